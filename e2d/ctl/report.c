#include "report.h"

#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "client.h"
#include "graph.h"
#include "worker.h"

struct mod_counts {
    char name[E2_NAME_MAX];
    const char *type;
    uint64_t in, out, drops;
};

#define REPORT_MAX 256

static struct mod_counts prev[REPORT_MAX];
static unsigned n_prev;
static double prev_time, start_time;
static struct e2_worker_stats prev_w[E2_WORKERS_MAX];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned snapshot(struct mod_counts *out)
{
    unsigned n = 0;
    for (struct e2_module *m = e2_graph_module_next(NULL); m && n < REPORT_MAX;
         m = e2_graph_module_next(m)) {
        json_t *d = e2_graph_module_describe(m);
        snprintf(out[n].name, sizeof(out[n].name), "%s", m->name);
        out[n].type = m->type->name;
        out[n].in = (uint64_t)e2_gates_packets(json_object_get(d, "igates"));
        out[n].out = (uint64_t)e2_gates_packets(json_object_get(d, "ogates"));
        out[n].drops = e2_stat_read(&m->dropped);
        json_decref(d);
        n++;
    }
    return n;
}

static const struct mod_counts *find_prev(const char *name)
{
    for (unsigned i = 0; i < n_prev; i++)
        if (strcmp(prev[i].name, name) == 0) return &prev[i];
    return NULL;
}

static void worker_line(FILE *out, const struct e2_worker_stats *a, const struct e2_worker_stats *b,
                        unsigned w)
{
    uint64_t busy = a->busy_cycles - b->busy_cycles, idle = a->idle_cycles - b->idle_cycles;
    double sleep_s = (double)(a->sleep_ns - b->sleep_ns) / 1e9;
    double cyc = (double)(busy + idle) + sleep_s * (double)e2_tsc_hz();
    fprintf(out, "  worker%u: %5.1f%% busy, %5.1f%% polling idle, %5.1f%% asleep\n", w,
            cyc > 0 ? 100.0 * (double)busy / cyc : 0.0, cyc > 0 ? 100.0 * (double)idle / cyc : 0.0,
            cyc > 0 ? 100.0 * sleep_s * (double)e2_tsc_hz() / cyc : 0.0);
}

void e2_report_rates(FILE *out, const char *name)
{
    static struct mod_counts cur[REPORT_MAX];
    double t = now_s();
    unsigned n = snapshot(cur);
    if (prev_time == 0) {
        start_time = t;
    } else {
        double dt = t - prev_time;
        fprintf(out, "e2d %s: t=%.1fs\n  %-24s %-14s %12s %12s %12s\n", name, t - start_time,
                "module", "type", "in Mpps", "out Mpps", "drops/s");
        for (unsigned i = 0; i < n; i++) {
            const struct mod_counts *p = find_prev(cur[i].name);
            struct mod_counts z = {0};
            if (!p) p = &z;
            fprintf(out, "  %-24s %-14s %12.3f %12.3f %12.0f\n", cur[i].name, cur[i].type,
                    (double)(cur[i].in - p->in) / dt / 1e6,
                    (double)(cur[i].out - p->out) / dt / 1e6,
                    (double)(cur[i].drops - p->drops) / dt);
        }
    }
    for (unsigned w = 0; w < e2_worker_count(); w++) {
        struct e2_worker_stats s;
        e2_worker_stats(w, &s);
        if (prev_time != 0) worker_line(out, &s, &prev_w[w], w);
        prev_w[w] = s;
    }
    fflush(out);
    memcpy(prev, cur, n * sizeof(cur[0]));
    n_prev = n;
    prev_time = t;
}

void e2_report_totals(FILE *out, const char *name)
{
    static struct mod_counts cur[REPORT_MAX];
    unsigned n = snapshot(cur);
    fprintf(out, "e2d %s: totals\n  %-24s %-14s %14s %14s %12s\n", name, "module", "type",
            "packets in", "packets out", "dropped");
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "  %-24s %-14s %14llu %14llu %12llu\n", cur[i].name, cur[i].type,
                (unsigned long long)cur[i].in, (unsigned long long)cur[i].out,
                (unsigned long long)cur[i].drops);
    struct e2_worker_stats zero = {0};
    for (unsigned w = 0; w < e2_worker_count(); w++) {
        struct e2_worker_stats s;
        e2_worker_stats(w, &s);
        worker_line(out, &s, &zero, w);
    }
    fflush(out);
}

static void print_args(FILE *out, const struct e2_arg *args, int markdown)
{
    static const struct e2_arg none[] = {E2_ARG_END};
    if (markdown) {
        e2_args_doc(args ? args : none, out);
        return;
    }
    for (const struct e2_arg *a = args; a && a->name; a++) {
        char buf[200];
        fprintf(out, "    %-16s %-22s %-12s %s\n", a->name, e2_arg_type_name(a, buf, sizeof(buf)),
                a->def ? a->def : "(required)", a->help);
    }
}

/* "Queue(size=1024, multi_producer=false, burst=32)": the synopsis, from the arguments. */
static void print_synopsis(FILE *out, const struct e2_module_type *t)
{
    fprintf(out, "%s(", t->name);
    for (const struct e2_arg *a = t->args; a && a->name; a++)
        fprintf(out, "%s%s=%s", a == t->args ? "" : ", ", a->name, a->def ? a->def : "...");
    fprintf(out, ")");
}

/* Indent every line of @text by @pad spaces. */
static void print_indented(FILE *out, const char *text, int pad)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "%*s%.*s\n", pad, "", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

void e2_report_module_types(FILE *out, int markdown)
{
    if (markdown)
        fprintf(out, "# e2d module reference\n\nGenerated by `e2d --list-modules --markdown`; "
                     "a test keeps this file equal to the code.\n\n");
    for (const struct e2_module_type *const *tp = e2_module_types(); *tp; tp++) {
        const struct e2_module_type *t = *tp;
        if (markdown)
            fprintf(out, "## %s\n\n%s.\n\n    ", t->name, t->summary);
        else
            fprintf(out, "%s — %s\n\n  ", t->name, t->summary);
        print_synopsis(out, t);
        fprintf(out, "\n\n");
        if (markdown)
            fprintf(out, "%s\n\n### Arguments\n\n", t->manual);
        else
            print_indented(out, t->manual, 2);
        print_args(out, t->args, markdown);
        if (t->cmds && t->cmds[0].name)
            fprintf(out, markdown ? "\n### Commands\n\n" : "\n  commands:\n");
        for (const struct e2_cmd *c = t->cmds; c && c->name; c++) {
            if (markdown)
                fprintf(out, "#### `%s`%s\n\n%s.\n\n", c->name,
                        c->mt_safe ? " (runs without pausing)" : "", c->help);
            else
                fprintf(out, "  %s: %s\n", c->name, c->help);
            print_args(out, c->args, markdown);
            if (markdown) fprintf(out, "\n");
        }
        fprintf(out, markdown ? "\n### Example\n\n" : "\n  example:\n");
        print_indented(out, t->example, 4);
        fprintf(out, "\n");
    }
}
