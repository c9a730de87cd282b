/*
 * e2nf-fw — the stateful firewall as a native NF (see README.md): frames
 * from port "in" are judged by fw.c and leave by "safe" or "unsafe" (the
 * description's method port) or, on an instance with one output "out", by
 * "out" with the tag FW.safe set to 1 or 0 (method metadata). Which one is
 * decided at bind time from the instance's ports.
 *
 *   e2nf-fw -n INSTANCE [-s SOCKET] [-c RULES] [--conn-max N] [--block-timeout S]
 *           [--acl-min-rules N] [--tag NAME] [--ctl PATH] [--poll] [--cpu N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/nfapp.h"
#include "e2_conf.h"
#include "fw.h"
#include "fw_acl.h"
#include "fw_json.h"

#define CONNS_LISTED 100

struct fw_app {
    struct fw_opts o;
    struct fw *fw;
    const char *tag_name;
    int safe, unsafe; /* output per verdict (the same port "out" with method metadata) */
    int tag;          /* FW.safe's slot with method metadata, else -1 */
    bool acl_min_set;
};

#define DEFAULT_CONN_MAX      131072
#define DEFAULT_BLOCK_TIMEOUT 300
#define DEFAULT_ACL_MIN_RULES 8

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct fw_app *a = ctx;
    uint64_t v;
    if (!strcmp(name, "tag")) {
        a->tag_name = value;
        return 0;
    }
    if (!strcmp(name, "conn-max")) {
        if (e2_conf_uint(value, "connections", 16, 1u << 26, &v, err)) return -EINVAL;
        a->o.conn_max = v;
    } else if (!strcmp(name, "block-timeout")) {
        if (e2_conf_uint(value, "seconds", 1, 365 * 86400, &v, err)) return -EINVAL;
        a->o.block_timeout_ns = v * FW_NS;
    } else {
        if (e2_conf_uint(value, "rules", 0, FW_RULES_MAX, &v, err)) return -EINVAL;
        a->o.acl_min_rules = (uint32_t)v;
        a->acl_min_set = true;
    }
    return 0;
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct fw_app *a = ctx;
    if (!a->fw) { /* the first load, before attaching: rte_acl waits for bind() */
        if (!a->o.conn_max) a->o.conn_max = DEFAULT_CONN_MAX;
        if (!a->o.block_timeout_ns) a->o.block_timeout_ns = DEFAULT_BLOCK_TIMEOUT * FW_NS;
        if (!a->acl_min_set) a->o.acl_min_rules = DEFAULT_ACL_MIN_RULES;
        if (!a->tag_name) a->tag_name = "FW.safe";
        a->o.block_max = a->o.conn_max / 8;
        a->fw = fw_create(&a->o, err);
        if (!a->fw) return -ENOMEM;
    }
    return fw_load_file(a->fw, path, err);
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct fw_app *a = ctx;
    a->safe = e2nf_port(nf, "safe");
    a->unsafe = e2nf_port(nf, "unsafe");
    a->tag = -1;
    if (a->safe < 0 || a->unsafe < 0) {
        int out = e2nf_port(nf, "out");
        if (out < 0)
            return e2_err_set(err, ENOENT,
                              "NF '%s' needs ports safe and unsafe (method port) or out (method "
                              "metadata)",
                              e2nf_name(nf));
        a->tag = e2nf_tag(nf, a->tag_name);
        if (a->tag < 0)
            return e2_err_set(err, ENOENT,
                              "NF '%s' has one output 'out' but e2d defines no tag '%s' "
                              "(tag(name=\"%s\") in its config)",
                              e2nf_name(nf), a->tag_name, a->tag_name);
        a->safe = a->unsafe = out;
    }
    return fw_set_builder(a->fw, fw_acl_build, err);
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct fw_app *a = ctx;
    (void)in;
    uint8_t *frames[n];
    uint32_t lens[n];
    uint8_t verdicts[n];
    for (uint16_t i = 0; i < n; i++) {
        frames[i] = rte_pktmbuf_mtod(pkts[i], uint8_t *);
        lens[i] = rte_pktmbuf_data_len(pkts[i]);
    }
    fw_burst(a->fw, frames, lens, n, e2nf_app_now_ns(), verdicts);
    for (uint16_t i = 0; i < n; i++) {
        out[i] = verdicts[i] == FW_SAFE ? a->safe : a->unsafe;
        if (a->tag >= 0) e2_meta_set_tag(pkts[i], (unsigned)a->tag, verdicts[i] == FW_SAFE);
    }
}

static void tick(void *ctx, uint64_t now_ns)
{
    fw_expire(((struct fw_app *)ctx)->fw, now_ns);
}

static void on_signal(void *ctx, const struct e2nf_signal *s)
{
    fw_signal(((struct fw_app *)ctx)->fw, s->type, s->data, s->len, e2nf_app_now_ns());
}

static json_t *stats(void *ctx)
{
    struct fw_app *a = ctx;
    json_t *o = fw_stats_json(a->fw);
    json_object_set_new(o, "method", json_string(a->tag >= 0 ? "metadata" : "port"));
    return o;
}

static json_t *op_rules(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)req;
    (void)err;
    return fw_rules_json(((struct fw_app *)ctx)->fw);
}

static json_t *op_conns(void *ctx, const json_t *req, struct e2_err *err)
{
    (void)err;
    json_int_t limit = json_integer_value(json_object_get(req, "limit"));
    return fw_conns_json(((struct fw_app *)ctx)->fw, limit > 0 ? (size_t)limit : CONNS_LISTED,
                         e2nf_app_now_ns());
}

static json_t *op_block(void *ctx, const json_t *req, struct e2_err *err)
{
    struct fw_app *a = ctx;
    struct e2_flow_key k;
    uint64_t timeout;
    if (fw_block_from_json(req, &k, &timeout, err)) return NULL;
    fw_block(a->fw, &k, timeout, e2nf_app_now_ns());
    return json_pack("{s:I}", "blocks", (json_int_t)fw_block_count(a->fw));
}

static void fini(void *ctx)
{
    fw_free(((struct fw_app *)ctx)->fw);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_option options[] = {
        {"conn-max", "N", "connections tracked at most (default 131072)"},
        {"block-timeout", "SECONDS", "how long a block signal lasts by default (300)"},
        {"acl-min-rules", "N", "compile rule sets of N rules or more with rte_acl (8; 0: never)"},
        {"tag", "NAME", "the tag of method metadata (default FW.safe)"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"rules", "the rules in order with their packet and byte counters, and the policy",
         op_rules},
        {"conns", "tracked connections (limit=N, default 100)", op_conns},
        {"block", "block a flow: src=A dst=B proto=P sport=N dport=N [timeout=SECONDS]", op_block},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-fw",
        .summary = "Stateful firewall: iptables-like rules (-c RULES) and connection tracking; "
                   "accepted traffic leaves by 'safe', dropped by 'unsafe' (or 'out' tagged "
                   "FW.safe=1/0).",
        .ctx_size = sizeof(struct fw_app),
        .inputs = inputs,
        .options = options,
        .ops = ops,
        .option = option,
        .load = load,
        .bind = bind,
        .process = process,
        .tick = tick,
        .signal = on_signal,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
