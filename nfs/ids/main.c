/*
 * e2nf-ids — the IDS (ids.h) as a stream NF. Library mode: packets from
 * "in" are reassembled here, judged, tagged IDS.verdict and IDS.safe (the
 * tags e2d defines; at least one) and forwarded to "out". Bytestream mode:
 * the messages of a TCP NF on "bs", passed on to "bs_out" if the instance
 * has it (alerts and blocks only: there are no packets to tag). Alerts go
 * to --log in Snort's alert_fast format; with --fw, a flow's first alert
 * sends that firewall E2_NFSIG_BLOCK_FLOW.
 *
 *   e2nf-ids -n INSTANCE -c RULES [--mode library|bytestream] [--engine ac|hyperscan]
 *            [--fw INSTANCE] [--block-timeout S] [--log FILE] [--conns N] [--idle S]
 *            [--max-flow-bytes N] [-s SOCKET] [--ctl PATH] [--poll] [--cpu N]
 *
 * See nfs/ids/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "e2/meta.h"
#include "e2_conf.h"
#include "e2_nfsig.h"
#include "ids.h"
#include "stream_app.h"

struct ids_app {
    struct ids ids; /* first: the stream callbacks of ids.h get this state as theirs */
    enum sig_engine engine;
    bool engine_set;
    struct e2nf *nf;
    const char *fw, *log_path;
    FILE *log;
    uint32_t block_timeout_s;
    int tag_safe, tag_verdict;
    uint64_t signals_sent, signal_failures, log_failures;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct ids_app *a = ctx;
    uint64_t v;
    if (!strcmp(name, "engine")) {
        a->engine_set = true;
        return sig_engine_parse(value, &a->engine, err);
    }
    if (!strcmp(name, "fw")) {
        a->fw = value;
        return 0;
    }
    if (!strcmp(name, "log")) {
        a->log_path = value;
        return 0;
    }
    if (e2_conf_uint(value, "seconds", 1, 365 * 86400, &v, err)) return err->code;
    a->block_timeout_s = (uint32_t)v;
    return 0;
}

/* One alert_fast line: 11/23-18:25:07.123456  [**] [1:SID:REV] MSG [**] [Priority: N] {TCP} ... */
static void log_alert(struct ids_app *a, const struct ids_alert *x)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char when[32], src[16], dst[16];
    strftime(when, sizeof(when), "%m/%d-%H:%M:%S", &tm);
    if (fprintf(a->log, "%s.%06ld  [**] [1:%u:%u] %s [**] [Priority: %u] {%s} %s:%u -> %s:%u\n",
                when, ts.tv_nsec / 1000, x->sid, x->rev, x->msg, x->priority,
                x->proto == 6 ? "TCP" : "UDP", e2_conf_ipv4_text(x->src_ip, src), x->src_port,
                e2_conf_ipv4_text(x->dst_ip, dst), x->dst_port) < 0 ||
        fflush(a->log))
        a->log_failures++;
}

static void on_alert(void *ctx, const struct ids_alert *x)
{
    struct ids_app *a = ctx;
    if (a->log) log_alert(a, x);
    if (!x->first || !a->fw) return;
    struct e2_nfsig_block b = {.flow = x->flow, .timeout_s = a->block_timeout_s};
    struct e2_err err = {0};
    if (e2nf_signal_send(a->nf, a->fw, E2_NFSIG_BLOCK_FLOW, &b, sizeof(b), &err))
        a->signal_failures++;
    else
        a->signals_sent++;
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct ids_app *a = ctx;
    if (!a->ids.sig.on_match) { /* the first load, before attaching */
        ids_init(&a->ids);
        if (!a->engine_set) a->engine = SIG_HYPERSCAN;
        a->ids.alert = on_alert;
        a->ids.alert_ctx = a;
        if (a->log_path && !(a->log = fopen(a->log_path, "a")))
            return e2_err_set(err, errno, "cannot open %s: %s", a->log_path, strerror(errno));
    }
    struct sig_rules *r;
    if (ids_rules_load(path, a->engine, &r, err)) return err->code;
    if (ids_install(&a->ids, r, err)) {
        sig_rules_free(r);
        return err->code;
    }
    return 0;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_streams *streams, struct e2_err *err)
{
    struct ids_app *a = ctx;
    (void)streams;
    a->nf = nf;
    a->tag_safe = e2nf_tag(nf, "IDS.safe");
    a->tag_verdict = e2nf_tag(nf, "IDS.verdict");
    if (stream_app_mode(ctx) == STREAM_LIBRARY && a->tag_safe < 0 && a->tag_verdict < 0)
        return e2_err_set(
            err, ENOENT,
            "e2d defines neither tag IDS.safe nor IDS.verdict (tag(name=\"IDS.safe\") "
            "in its config): the IDS would judge packets for nothing");
    return 0;
}

static void mark(void *ctx, struct rte_mbuf *m, const struct e2_pkt *p, void *conn)
{
    struct ids_app *a = ctx;
    enum ids_verdict v = ids_packet(&a->ids, p, conn);
    if (a->tag_verdict >= 0) e2_meta_set_tag(m, (unsigned)a->tag_verdict, v);
    if (a->tag_safe >= 0) e2_meta_set_tag(m, (unsigned)a->tag_safe, v < IDS_MALICIOUS);
}

static json_t *stats(void *ctx)
{
    struct ids_app *a = ctx;
    json_t *o = ids_stats_json(&a->ids);
    json_object_set_new(o, "signals_sent", json_integer((json_int_t)a->signals_sent));
    json_object_set_new(o, "signal_failures", json_integer((json_int_t)a->signal_failures));
    json_object_set_new(o, "log_failures", json_integer((json_int_t)a->log_failures));
    return o;
}

static void fini(void *ctx)
{
    struct ids_app *a = ctx;
    ids_fini(&a->ids);
    if (a->log) fclose(a->log);
}

static json_t *op_rules(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)req;
    (void)err;
    return ids_rules_json(&((struct ids_app *)ctx)->ids);
}

static json_t *op_alerts(void *ctx, const json_t *req, struct e2_err *err)
{
    const json_t *limit = json_object_get(req, "limit");
    if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 0))
        return e2_err_set(err, EINVAL, "limit is a count"), NULL;
    unsigned n = limit ? (unsigned)json_integer_value(limit) : IDS_RECENT;
    return ids_alerts_json(&((struct ids_app *)ctx)->ids, n);
}

int main(int argc, char **argv)
{
    static const struct e2nf_app_option options[] = {
        {"engine", "ENGINE", "hyperscan (default) or ac (our Aho-Corasick)"},
        {"fw", "INSTANCE", "the firewall NF asked to block a flow at its first alert"},
        {"block-timeout", "SECONDS", "how long that block lasts (default: the firewall's)"},
        {"log", "FILE", "append alerts to FILE (Snort alert_fast lines)"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"rules", "the rules in file order with their alerts", op_rules},
        {"alerts", "the latest alerts, newest first; limit=N (64)", op_alerts},
        {NULL, NULL, NULL}};
    static const struct stream_nf def = {
        .prog = "e2nf-ids",
        .summary = "Intrusion detection: Snort rules (a subset) over TCP streams and UDP "
                   "datagrams on SIG; tags packets IDS.verdict/IDS.safe, asks a firewall to "
                   "block alerted flows.",
        .ctx_size = sizeof(struct ids_app),
        .user_size = sizeof(struct ids_conn),
        .options = options,
        .ops = ops,
        .config_required = true,
        .option = option,
        .load = load,
        .bind = bind,
        .data = ids_on_data,
        .event = ids_on_event,
        .release = ids_on_release,
        .mark = mark,
        .stats = stats,
        .fini = fini,
    };
    return stream_app_main(&def, argc, argv);
}
