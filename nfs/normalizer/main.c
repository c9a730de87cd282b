/*
 * e2nf-normalizer — TCP/IP traffic normalization (norm.h) as a native NF:
 * packets from "in" leave on "out" scrubbed, or are dropped and counted by
 * reason (E2 paper Fig. 2: what the IDS finds unsafe). Manual: README.md.
 *
 *   e2nf-normalizer -n INSTANCE [-c FILE] [--ttl-min N] [--ip-options strip|drop|allow] ...
 */
#include <errno.h>
#include <stdlib.h>

#include "e2/nfapp.h"
#include "e2_conf.h"
#include "norm.h"

struct norm_nf {
    struct norm *norm;
    struct norm_conf conf;
    char *opts;
    int out;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    return e2_conf_append(&((struct norm_nf *)ctx)->opts, name, value, err);
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct norm_nf *a = ctx;
    struct norm_conf c;
    int rc = norm_conf_load(&c, a->opts, path, err);
    if (rc) return rc;
    if (a->norm && c.fragments != a->conf.fragments)
        return e2_err_set(err, EINVAL, "fragments %llu: the table size changes only on a restart",
                          (unsigned long long)c.fragments);
    if (!a->norm && !(a->norm = norm_create(&c, err))) return -ENOMEM;
    norm_configure(a->norm, &c);
    a->conf = c;
    return 0;
}

static int bind_ports(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct norm_nf *a = ctx;
    a->out = e2nf_port(nf, "out");
    return a->out < 0 ? e2_err_set(err, ENOENT, "NF '%s' has no port 'out'", e2nf_name(nf)) : 0;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct norm_nf *a = ctx;
    (void)in;
    uint64_t now = e2nf_app_now_ns();
    for (uint16_t i = 0; i < n; i++) /* the burst's headers load while the first are judged */
        rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint32_t len = rte_pktmbuf_data_len(m), advance;
        out[i] = E2NF_APP_DROP;
        if (m->nb_segs != 1) continue; /* frames come whole from e2d's pool; never chained */
        if (!norm_packet(a->norm, rte_pktmbuf_mtod(m, uint8_t *), &len, &advance, now)) continue;
        if (advance) rte_pktmbuf_adj(m, (uint16_t)advance);
        out[i] = a->out;
    }
}

static void tick(void *ctx, uint64_t now)
{
    norm_sweep(((struct norm_nf *)ctx)->norm, now);
}

static json_t *stats(void *ctx)
{
    const struct norm_stats *s = norm_stats(((struct norm_nf *)ctx)->norm);
    json_t *r = json_object(), *bad = json_object();
    for (unsigned i = 0; i < norm_ncounters; i++)
        json_object_set_new(
            r, norm_counters[i].name,
            json_integer((json_int_t) *
                         (const uint64_t *)((const char *)s + norm_counters[i].offset)));
    for (unsigned k = E2_PKT_SHORT_L2; k < E2_PKT_STATUS_COUNT; k++)
        json_object_set_new(bad, e2_pkt_status_name(k), json_integer((json_int_t)s->malformed[k]));
    json_object_set_new(r, "malformed", bad);
    return r;
}

static json_t *config(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)req;
    (void)err;
    const struct norm_conf *c = &((struct norm_nf *)ctx)->conf;
    static const char *const ip_options[] = {"strip", "drop", "allow"};
    static const char *const reserved[] = {"clear", "drop", "allow"};
    static const char *const overlap[] = {"differing", "any", "allow"};
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I}", "ttl_min", c->ttl_min, "ip_options",
                     ip_options[c->ip_options], "reserved_flag", reserved[c->reserved], "tcp_flags",
                     c->tcp_flags ? "drop" : "allow", "frag_overlap", overlap[c->overlap],
                     "fragments", (json_int_t)c->fragments, "frag_timeout_ms",
                     (json_int_t)(c->frag_timeout / 1000000));
}

static void fini(void *ctx)
{
    struct norm_nf *a = ctx;
    norm_free(a->norm);
    free(a->opts);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_option options[] = {
        {"ttl-min", "N", "raise TTLs below N to N"},
        {"ip-options", "strip|drop|allow", "what to do with IP options (default strip)"},
        {"frag-overlap", "differing|any|allow", "which overlapping fragments to drop"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"config", "the settings in force (after the last good reload)", config},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-normalizer",
        .summary = "Normalize TCP/IP traffic from 'in' to 'out': drop bad TCP flags, "
                   "overlapping fragments and malformed packets; fix TTLs, IP options, flags.",
        .ctx_size = sizeof(struct norm_nf),
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
