/*
 * e2nf-monitor — the network monitor of E2 paper Fig. 2 as a native NF:
 * passes every packet from "in" to "out", counts flows (mon.h) and exports
 * them as JSON lines and IPFIX (mon_export.h); tags packets with their
 * application class and URL value when e2d defines the tags Monitor.app
 * and Monitor.url. Manual: README.md.
 *
 *   e2nf-monitor -n INSTANCE [-c FILE] [--json PATH|-] [--ipfix ADDR:PORT] ...
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2/nfapp.h"
#include "e2_conf.h"
#include "mon_export.h"

#define TOP_MAX 1000

struct mon_nf {
    struct mon *mon;
    struct mon_conf conf;
    struct mon_export exp;
    char *opts;
    int out, app_slot, url_slot;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    return e2_conf_append(&((struct mon_nf *)ctx)->opts, name, value, err);
}

static int64_t epoch_offset_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - (int64_t)e2nf_app_now_ns();
}

/* The first load creates the monitor; later ones swap timeouts, URLs and exporters whole. */
static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct mon_nf *a = ctx;
    bool first = !a->mon;
    struct mon_conf c;
    int rc = mon_conf_load(&c, a->opts, path, err);
    if (!rc && !first && c.flows != a->conf.flows)
        rc = e2_err_set(err, EINVAL, "flows %llu: the table size changes only on a restart",
                        (unsigned long long)c.flows);
    bool new_exp = first || !mon_conf_same_targets(&c, &a->conf);
    struct mon_export x = a->exp;
    if (!rc && new_exp) rc = mon_export_open(&x, &c, err);
    if (rc) {
        mon_conf_free(&c);
        return rc;
    }
    if (first &&
        !(a->mon = mon_create(c.flows, mon_export_record, &a->exp, epoch_offset_ns(), err))) {
        mon_export_close(&x, 0);
        mon_conf_free(&c);
        return -ENOMEM;
    }
    if (new_exp && !first) {
        mon_export_close(&a->exp, e2nf_app_now_ns()); /* sends what it holds */
        x.st = a->exp.st;                             /* counters go on; a new IPFIX session */
    }
    x.template_ns = c.template_ns;
    a->exp = x;
    mon_configure(a->mon, &c.to, c.urls);
    mon_conf_free(&a->conf);
    a->conf = c;
    return 0;
}

static int bind_ports(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct mon_nf *a = ctx;
    a->out = e2nf_port(nf, "out");
    if (a->out < 0) return e2_err_set(err, ENOENT, "NF '%s' has no port 'out'", e2nf_name(nf));
    a->app_slot = e2nf_tag(nf, "Monitor.app"); /* tags only when e2d defines them */
    a->url_slot = e2nf_tag(nf, "Monitor.url");
    return 0;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct mon_nf *a = ctx;
    (void)in;
    uint8_t *frames[MON_BURST];
    uint32_t lens[MON_BURST];
    const struct mon_flow *f[MON_BURST];
    for (uint16_t i = 0; i < n; i++) {
        frames[i] = rte_pktmbuf_mtod(pkts[i], uint8_t *);
        lens[i] = rte_pktmbuf_data_len(pkts[i]);
    }
    mon_burst(a->mon, frames, lens, n, e2nf_app_now_ns(), f, NULL); /* the app's bursts: 32 */
    for (uint16_t i = 0; i < n; i++) {
        if (f[i] && a->app_slot >= 0) e2_meta_set_tag(pkts[i], (unsigned)a->app_slot, f[i]->app);
        if (f[i] && a->url_slot >= 0) e2_meta_set_tag(pkts[i], (unsigned)a->url_slot, f[i]->url);
        out[i] = a->out;
    }
}

static void tick(void *ctx, uint64_t now)
{
    struct mon_nf *a = ctx;
    mon_sweep(a->mon, now);
    mon_export_flush(&a->exp, now);
}

static json_t *top(void *ctx, const json_t *req, struct e2_err *err)
{
    struct mon_nf *a = ctx;
    json_int_t n = 10;
    json_t *v = json_object_get(req, "n");
    if (v && json_is_string(v)) n = strtoll(json_string_value(v), NULL, 10);
    if (v && json_is_integer(v)) n = json_integer_value(v);
    if (n < 1 || n > TOP_MAX) {
        e2_err_set(err, EINVAL, "n must be from 1 to %d", TOP_MAX);
        return NULL;
    }
    struct mon_record *r = calloc((size_t)n, sizeof(*r));
    if (!r) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    unsigned got = mon_top(a->mon, (unsigned)n, r);
    json_t *list = json_array();
    for (unsigned i = 0; i < got; i++) json_array_append_new(list, mon_record_json(&r[i]));
    free(r);
    return list;
}

static json_t *stats(void *ctx)
{
    struct mon_nf *a = ctx;
    struct mon_stats s;
    struct e2_flowtab_stats t;
    mon_stats(a->mon, &s, &t);
    json_t *bad = json_object(), *rec = json_object();
    for (unsigned k = E2_PKT_NOT_IPV4; k < E2_PKT_STATUS_COUNT; k++)
        json_object_set_new(bad, e2_pkt_status_name(k), json_integer((json_int_t)s.bad[k]));
    for (unsigned k = MON_END_IDLE; k <= MON_END_EVICTED; k++)
        json_object_set_new(rec, mon_end_name((uint8_t)k), json_integer((json_int_t)s.records[k]));
    const struct mon_export_stats *x = &a->exp.st;
    return json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "packets",
                     (json_int_t)s.packets, "bytes", (json_int_t)s.bytes, "unparsed", bad,
                     "flows_active", (json_int_t)t.entries, "flows_created",
                     (json_int_t)s.flows_created, "flows_capacity", (json_int_t)t.capacity,
                     "records", rec, "export", "json_records", (json_int_t)x->json_records,
                     "ipfix_records", (json_int_t)x->ipfix_records, "ipfix_messages",
                     (json_int_t)x->ipfix_messages, "ipfix_templates",
                     (json_int_t)x->ipfix_templates, "send_errors", (json_int_t)x->send_errors);
}

static void fini(void *ctx)
{
    struct mon_nf *a = ctx;
    if (a->mon) {
        uint64_t now = e2nf_app_now_ns();
        mon_end_all(a->mon, MON_END_FORCED);
        mon_export_close(&a->exp, now);
        mon_free(a->mon);
    }
    mon_conf_free(&a->conf);
    free(a->opts);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_option options[] = {
        {"json", "PATH|-", "write flow records as JSON lines to PATH (- for stdout)"},
        {"ipfix", "ADDR:PORT", "send IPFIX (RFC 7011) over UDP to a collector"},
        {"idle-timeout", "DURATION", "end a flow idle this long (default 30s)"},
        {"active-timeout", "DURATION", "report a long flow this often (default 60s)"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"top", "the flows with the most bytes so far (n=10)", top}, {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-monitor",
        .summary = "Pass packets from 'in' to 'out', counting flows; export them as JSON lines "
                   "and IPFIX.",
        .ctx_size = sizeof(struct mon_nf),
        .inputs = inputs,
        .options = options,
        .ops = ops,
        .option = option,
        .load = load,
        .bind = bind_ports,
        .process = process,
        .tick = tick,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
