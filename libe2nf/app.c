#define _GNU_SOURCE
#include "e2/nfapp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "ctl_server.h"

#define OPTIONS_MAX 32
#define TICK_NS     1000000ull
#define LOAD_NS     100000000ull

struct port_stats {
    uint64_t rx, tx, dropped, tx_full;
};

struct e2nf_app {
    const struct e2nf_app_def *def;
    void *ctx;
    struct e2nf *nf;
    const char *instance, *config, *ctl_path;
    struct e2nf_opts opts;
    bool poll;
    int inputs[E2NF_APP_PORTS_MAX];
    unsigned n_inputs;
    struct port_stats ports[E2NF_APP_PORTS_MAX];
    uint64_t reloads, reload_failures, signals;
    struct e2_ctl_server *ctl;
    bool fini_done;
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

/* ---- time ---- */

static uint64_t base_ns, base_tsc, tsc_hz;

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t e2nf_app_now_ns(void)
{
    if (!tsc_hz) return clock_ns();
    return base_ns + (uint64_t)((double)(rte_rdtsc() - base_tsc) * 1e9 / (double)tsc_hz);
}

/* ---- options ---- */

static void usage(const struct e2nf_app_def *def, FILE *out)
{
    fprintf(out,
            "usage: %s -n INSTANCE [-s SOCKET] [-c CONFIG] [--ctl PATH] [--poll] [--cpu N]%s\n"
            "%s\n\n"
            "  -n, --name INSTANCE  the NF instance e2d knows (its ports come from there)\n"
            "  -s, --socket PATH    e2d's control socket (default $E2D_SOCKET, else "
            "/run/e2d/e2d.sock)\n"
            "  -c, --config FILE    the NF's configuration%s; SIGHUP or 'reload' reads it again\n"
            "      --ctl PATH       serve a control socket (e2ctl nf -s PATH stats)\n"
            "      --poll           spin instead of sleeping when idle\n"
            "      --cpu N          run on CPU N\n",
            def->prog, def->options ? " [options]" : "", def->summary,
            def->config_required ? " (required)" : "");
    for (const struct e2nf_app_option *o = def->options; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "      %-15s  %s\n", left, o->help);
    }
}

/* Parse argv; returns -1 to go on, else the exit status. */
static int parse_options(struct e2nf_app *app, int argc, char **argv)
{
    const struct e2nf_app_def *def = app->def;
    struct option longs[OPTIONS_MAX] = {
        {"name", required_argument, NULL, 'n'},   {"socket", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'c'}, {"ctl", required_argument, NULL, 'C'},
        {"poll", no_argument, NULL, 'p'},         {"cpu", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
    };
    int n = 7;
    for (const struct e2nf_app_option *o = def->options; o && o->name && n < OPTIONS_MAX - 1;
         o++, n++)
        longs[n] =
            (struct option){o->name, o->arg ? required_argument : no_argument, NULL, 1000 + n};
    int c, idx;
    while ((c = getopt_long(argc, argv, "n:s:c:h", longs, &idx)) != -1) {
        switch (c) {
        case 'n': app->instance = optarg; break;
        case 's': app->opts.socket = optarg; break;
        case 'c': app->config = optarg; break;
        case 'C': app->ctl_path = optarg; break;
        case 'p': app->poll = true; break;
        case 'P': app->opts.cpu = atoi(optarg); break;
        case 'h': usage(def, stdout); return 0;
        default:
            if (c >= 1000 && def->option) {
                struct e2_err err = {0};
                if (def->option(app->ctx, longs[c - 1000].name, optarg, &err)) {
                    fprintf(stderr, "%s: --%s: %s\n", def->prog, longs[c - 1000].name, err.msg);
                    return 2;
                }
                break;
            }
            usage(def, stderr);
            return 2;
        }
    }
    if (!app->instance || optind < argc || (def->config_required && !app->config)) {
        usage(def, stderr);
        return 2;
    }
    return -1;
}

/* ---- control ---- */

static json_t *ports_json(struct e2nf_app *app)
{
    json_t *ports = json_object();
    unsigned n = e2nf_port_count(app->nf);
    for (unsigned p = 0; p < n && p < E2NF_APP_PORTS_MAX; p++) {
        struct port_stats *s = &app->ports[p];
        if (app->def->poll) { /* the NF moves packets itself: libe2nf's own counts */
            const struct e2nf_port_stats *ps = e2nf_port_stats(app->nf, p);
            *s = (struct port_stats){.rx = ps->rx, .tx = ps->tx, .tx_full = ps->tx_full};
        }
        json_object_set_new(ports, e2nf_port_name(app->nf, p),
                            json_pack("{s:I, s:I, s:I, s:I}", "rx", (json_int_t)s->rx, "tx",
                                      (json_int_t)s->tx, "dropped", (json_int_t)s->dropped,
                                      "tx_full", (json_int_t)s->tx_full));
    }
    return ports;
}

static json_t *stats_json(struct e2nf_app *app)
{
    json_t *nf = app->def->stats ? app->def->stats(app->ctx) : json_object();
    return json_pack("{s:s, s:o, s:I, s:I, s:I, s:o}", "instance", app->instance, "ports",
                     ports_json(app), "reloads", (json_int_t)app->reloads, "reload_failures",
                     (json_int_t)app->reload_failures, "signals", (json_int_t)app->signals, "nf",
                     nf ? nf : json_object());
}

static int reload(struct e2nf_app *app, struct e2_err *err)
{
    int rc = app->def->load ? app->def->load(app->ctx, app->config, err) : 0;
    if (rc) {
        app->reload_failures++;
        fprintf(stderr, "%s: reload refused, the previous configuration stays: %s\n",
                app->def->prog, err->msg);
    } else {
        app->reloads++;
    }
    return rc;
}

static json_t *ok(json_t *result)
{
    return json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_null());
}

static json_t *refused(const char *msg)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *ops_json(const struct e2nf_app_def *def)
{
    json_t *a = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "op", "stats", "help",
                          "ports' packet counts and the NF's own counters", "op", "reload", "help",
                          "read the configuration file again (all or nothing)", "op", "ops", "help",
                          "this list");
    for (const struct e2nf_app_op *o = def->ops; o && o->name; o++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "op", o->name, "help", o->help));
    return a;
}

static json_t *handle(void *ctx, int client, const json_t *req, struct e2_ctl_fds *fds)
{
    (void)client;
    (void)fds;
    struct e2nf_app *app = ctx;
    const char *op = json_string_value(json_object_get(req, "op"));
    if (!op) return refused("a request needs \"op\"");
    if (!strcmp(op, "stats")) return ok(stats_json(app));
    if (!strcmp(op, "ops")) return ok(ops_json(app->def));
    struct e2_err err = {0};
    if (!strcmp(op, "reload")) return reload(app, &err) ? refused(err.msg) : ok(NULL);
    for (const struct e2nf_app_op *o = app->def->ops; o && o->name; o++) {
        if (strcmp(op, o->name)) continue;
        json_t *r = o->fn(app->ctx, req, &err);
        return r ? ok(r) : refused(err.msg[0] ? err.msg : "operation failed");
    }
    char msg[160];
    snprintf(msg, sizeof(msg), "no operation '%s' (\"ops\" lists them)", op);
    return refused(msg);
}

/* ---- packets ---- */

static unsigned move_packets(struct e2nf_app *app)
{
    unsigned handled = 0;
    for (unsigned i = 0; i < app->n_inputs; i++) {
        unsigned in = (unsigned)app->inputs[i];
        struct rte_mbuf *pkts[32];
        uint16_t n = e2nf_rx_burst(app->nf, in, 0, pkts, 32);
        if (!n) continue;
        handled += n;
        app->ports[in].rx += n;
        int out[32];
        app->def->process(app->ctx, in, pkts, n, out);
        struct rte_mbuf *by_port[E2NF_APP_PORTS_MAX][32];
        uint16_t cnt[E2NF_APP_PORTS_MAX] = {0};
        for (uint16_t k = 0; k < n; k++) {
            if (out[k] < 0 || out[k] >= E2NF_APP_PORTS_MAX) {
                app->ports[in].dropped++;
                e2nf_drop(app->nf, pkts[k]);
                continue;
            }
            by_port[out[k]][cnt[out[k]]++] = pkts[k];
        }
        for (unsigned p = 0; p < E2NF_APP_PORTS_MAX; p++) {
            if (!cnt[p]) continue;
            uint16_t sent = e2nf_tx_burst(app->nf, p, 0, by_port[p], cnt[p]);
            app->ports[p].tx += sent;
            app->ports[p].tx_full += (uint64_t)(cnt[p] - sent);
            for (uint16_t k = sent; k < cnt[p]; k++) e2nf_drop(app->nf, by_port[p][k]);
        }
    }
    return handled;
}

static void housekeeping(struct e2nf_app *app, uint64_t now)
{
    if (app->def->tick) app->def->tick(app->ctx, now);
    if (app->ctl) e2_ctl_server_step(app->ctl, 0, NULL, -1);
    struct e2nf_signal s;
    while (e2nf_signal_recv(app->nf, &s) == 1) {
        app->signals++;
        if (app->def->signal) app->def->signal(app->ctx, &s);
    }
    if (reload_requested) {
        reload_requested = 0;
        struct e2_err err = {0};
        reload(app, &err);
    }
}

static void run(struct e2nf_app *app)
{
    uint64_t next_tick = 0, load_start = e2nf_app_now_ns(), busy_ns = 0;
    while (!stop_requested) {
        uint64_t t0 = e2nf_app_now_ns();
        unsigned got = app->def->poll ? app->def->poll(app->ctx, app->nf) : move_packets(app);
        uint64_t now = e2nf_app_now_ns();
        if (got) busy_ns += now - t0;
        if (now >= next_tick) {
            housekeeping(app, now);
            next_tick = now + TICK_NS;
        }
        if (now - load_start >= LOAD_NS) {
            e2nf_report_load(app->nf, (double)busy_ns / (double)(now - load_start));
            load_start = now;
            busy_ns = 0;
        }
        if (!got && !app->poll) e2nf_wait(app->nf, 1000);
    }
}

/* ---- main ---- */

static int bind_inputs(struct e2nf_app *app, struct e2_err *err)
{
    if (e2nf_port_count(app->nf) > E2NF_APP_PORTS_MAX)
        return e2_err_set(err, E2BIG, "instance '%s' has %u ports; this NF handles at most %d",
                          app->instance, e2nf_port_count(app->nf), E2NF_APP_PORTS_MAX);
    for (const char *const *name = app->def->inputs; name && *name; name++) {
        int p = e2nf_port(app->nf, *name);
        if (p < 0)
            return e2_err_set(
                err, ENOENT,
                "instance '%s' has no port '%s' (declare it in e2d: nf %s(ports=[...]))",
                app->instance, *name, app->instance);
        app->inputs[app->n_inputs++] = p;
    }
    return app->def->bind ? app->def->bind(app->ctx, app->nf, err) : 0;
}

/* The NF's fini() runs once, before DPDK stops: what it holds may live in DPDK memory. */
static void fini(struct e2nf_app *app)
{
    if (app->def->fini && !app->fini_done) app->def->fini(app->ctx);
    app->fini_done = true;
}

static void finish(struct e2nf_app *app)
{
    fini(app);
    e2nf_detach(app->nf);
    app->nf = NULL;
}

static int start(struct e2nf_app *app)
{
    const struct e2nf_app_def *def = app->def;
    struct e2_err err = {0};
    if (def->load && def->load(app->ctx, app->config, &err)) {
        fprintf(stderr, "%s: %s\n", def->prog, err.msg);
        return 1;
    }
    if (e2nf_attach(app->instance, &app->opts, &app->nf, &err)) {
        fprintf(stderr, "%s: %s\n", def->prog, err.msg);
        return 1;
    }
    tsc_hz = rte_get_tsc_hz();
    base_tsc = rte_rdtsc();
    base_ns = clock_ns();
    const struct e2_ctl_handler h = {.handle = handle, .ctx = app};
    if (bind_inputs(app, &err) ||
        (app->ctl_path && e2_ctl_server_open(app->ctl_path, &h, &app->ctl, &err))) {
        fprintf(stderr, "%s: %s\n", def->prog, err.msg);
        finish(app);
        return 1;
    }
    return 0;
}

int e2nf_app_main(const struct e2nf_app_def *def, int argc, char **argv)
{
    struct e2nf_app app = {.def = def, .opts = {.cpu = -1}};
    app.ctx = calloc(1, def->ctx_size ? def->ctx_size : 1);
    if (!app.ctx) return 1;
    int rc = parse_options(&app, argc, argv); /* -1: go on; else the exit status (--help: 0) */
    if (rc < 0) rc = start(&app);
    if (!app.nf) {
        fini(&app);
        free(app.ctx);
        return rc;
    }
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGHUP, on_hup);
    run(&app);
    json_t *final = stats_json(&app);
    e2_ctl_server_close(app.ctl);
    finish(&app);
    char *line = json_dumps(final, JSON_COMPACT);
    if (line) printf("%s\n", line);
    free(line);
    json_decref(final);
    free(app.ctx);
    return 0;
}
