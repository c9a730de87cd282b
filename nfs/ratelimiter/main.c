/*
 * e2nf-ratelimiter — the strict-priority rate limiter of E2 paper Fig. 16
 * as a native NF: priority 0 arrives on vport vp0, priority 1 on vp1, both
 * leave on out, paced by token buckets (rl.h; manual in README.md).
 *
 *   e2nf-ratelimiter -n INSTANCE [-c FILE] [--link "rate R [burst B]"]
 *                    [--class "prio0|prio1 [rate R] [burst B] [queue N]"] ...
 *
 * The app's poll hook moves packets: receive what e2d delivered on each
 * input into its class queue, then release what the buckets allow now.
 * When nothing moved the app sleeps until packets arrive or a millisecond
 * passes, so without --poll releases come at least every millisecond or
 * so: the buckets' bursts (2 ms by default) cover that gap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/nfapp.h"
#include "e2_conf.h"
#include "rl.h"

#define BURST          32
#define RELEASE_ROUNDS 16 /* up to 512 packets released per poll */

struct rl_app {
    struct rl_sched sched;
    char *opts; /* --link/--class statements, one per line */
    struct e2nf *nf;
    int in[RL_CLASSES], out;
    uint64_t tx_full;
};

static void drop_pkt(void *ctx, void *pkt)
{
    e2nf_drop(((struct rl_app *)ctx)->nf, pkt);
}

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    return e2_conf_append(&((struct rl_app *)ctx)->opts, name, value, err);
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct rl_app *a = ctx;
    struct rl_conf c;
    int rc = rl_conf_load(&c, a->opts, path, err);
    if (rc) return rc;
    if (!a->sched.drop) rl_sched_init(&a->sched, drop_pkt, a);
    return rl_sched_configure(&a->sched, &c, e2nf_app_now_ns(), err);
}

static int bind_ports(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct rl_app *a = ctx;
    a->nf = nf;
    for (unsigned c = 0; c < RL_CLASSES; c++) a->in[c] = e2nf_port(nf, rl_class_ports[c]);
    a->out = e2nf_port(nf, "out");
    if (a->out < 0) return e2_err_set(err, ENOENT, "NF '%s' has no port 'out'", e2nf_name(nf));
    return 0;
}

static unsigned poll_once(void *ctx, struct e2nf *nf)
{
    struct rl_app *a = ctx;
    struct rte_mbuf *pkts[BURST];
    unsigned moved = 0;
    for (unsigned c = 0; c < RL_CLASSES; c++) {
        uint16_t n = e2nf_rx_burst(nf, (unsigned)a->in[c], 0, pkts, BURST);
        for (uint16_t i = 0; i < n; i++)
            rl_enqueue(&a->sched, c, pkts[i], rte_pktmbuf_pkt_len(pkts[i]));
        moved += n;
    }
    uint64_t now = e2nf_app_now_ns();
    for (unsigned round = 0; round < RELEASE_ROUNDS; round++) {
        unsigned n = rl_dequeue(&a->sched, now, (void **)pkts, BURST);
        if (!n) break;
        uint16_t sent = e2nf_tx_burst(nf, (unsigned)a->out, 0, pkts, (uint16_t)n);
        for (unsigned i = sent; i < n; i++) e2nf_drop(nf, pkts[i]);
        a->tx_full += n - sent;
        moved += n;
    }
    return moved;
}

static json_t *limit_json(const struct rl_limit *l, const struct rl_bucket *b)
{
    return json_pack("{s:I, s:I, s:I}", "rate_bps", (json_int_t)l->rate, "burst_bytes",
                     (json_int_t)l->burst, "tokens_bytes", (json_int_t)rl_bucket_bytes(b));
}

static json_t *classes(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)req;
    (void)err;
    struct rl_sched *s = &((struct rl_app *)ctx)->sched;
    json_t *r = json_pack("{s:o}", "link", limit_json(&s->conf.link, &s->link));
    for (unsigned c = 0; c < RL_CLASSES; c++) {
        json_t *j = limit_json(&s->conf.cls[c], &s->cls[c]);
        json_object_set_new(j, "port", json_string(rl_class_ports[c]));
        json_object_set_new(j, "queue", json_integer(s->conf.cls[c].queue));
        json_object_set_new(j, "queued", json_integer(s->q[c].count));
        json_object_set_new(r, rl_class_names[c], j);
    }
    return r;
}

static json_t *stats(void *ctx)
{
    struct rl_app *a = ctx;
    json_t *r = json_pack("{s:I, s:I}", "tx_full", (json_int_t)a->tx_full, "queued",
                          (json_int_t)rl_backlog(&a->sched));
    for (unsigned c = 0; c < RL_CLASSES; c++) {
        const struct rl_class_stats *st = &a->sched.st[c];
        json_object_set_new(r, rl_class_names[c],
                            json_pack("{s:I, s:I, s:I, s:I, s:I}", "enqueued",
                                      (json_int_t)st->enqueued, "sent", (json_int_t)st->sent,
                                      "sent_bytes", (json_int_t)st->sent_bytes, "overflow_drops",
                                      (json_int_t)st->overflow, "oversize_drops",
                                      (json_int_t)st->oversize));
    }
    return r;
}

static void fini(void *ctx)
{
    struct rl_app *a = ctx;
    if (a->sched.drop) rl_sched_free(&a->sched);
    free(a->opts);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"vp0", "vp1", NULL};
    static const struct e2nf_app_option options[] = {
        {"link", "\"rate R [burst B]\"", "limit the output link (a config statement)"},
        {"class", "\"prio0|prio1 ...\"", "limit a class: [rate R] [burst B] [queue N]"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"classes", "the link and each class: rate, burst, tokens now, queue length", classes},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-ratelimiter",
        .summary = "Rate-limit vp0 (priority 0) and vp1 (priority 1) onto 'out' with token "
                   "buckets, strict priority.",
        .ctx_size = sizeof(struct rl_app),
        .inputs = inputs,
        .options = options,
        .ops = ops,
        .option = option,
        .load = load,
        .bind = bind_ports,
        .poll = poll_once,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
