/*
 * e2nf-nat — the NAPT (nat.h) as a native NF: packets from port "in" in
 * both directions, translated ones out of port "out" (e2d routes them on by
 * their rewritten headers). The configuration file is required; SIGHUP or
 * the "reload" operation reads it again.
 *
 *   e2nf-nat -n INSTANCE -c nat.conf [-s SOCKET] [--ctl PATH] [--poll] [--cpu N]
 *
 * See nfs/nat/README.md.
 */
#include <errno.h>
#include <string.h>

#include "e2/nfapp.h"
#include "e2_conf.h"
#include "nat.h"

struct nat_app {
    struct nat *nat;
    int out;
};

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct nat_app *a = ctx;
    struct nat_conf c;
    if (nat_conf_load(path, &c, err)) return err->code;
    if (a->nat) return nat_reconfigure(a->nat, &c, err);
    a->nat = nat_create(&c, err);
    return a->nat ? 0 : err->code;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct nat_app *a = ctx;
    a->out = e2nf_port(nf, "out");
    if (a->out < 0) return e2_err_set(err, ENOENT, "NF '%s' has no port 'out'", e2nf_name(nf));
    return 0;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct nat_app *a = ctx;
    (void)in;
    for (uint16_t base = 0; base < n; base += NAT_BURST) {
        unsigned m = n - base < NAT_BURST ? n - base : NAT_BURST;
        uint8_t *frames[NAT_BURST];
        uint32_t lens[NAT_BURST];
        enum nat_verdict v[NAT_BURST];
        for (unsigned i = 0; i < m; i++) {
            frames[i] = rte_pktmbuf_mtod(pkts[base + i], uint8_t *);
            lens[i] = rte_pktmbuf_data_len(pkts[base + i]);
        }
        nat_process_burst(a->nat, frames, lens, m, v, e2nf_app_now_ns());
        for (unsigned i = 0; i < m; i++)
            out[base + i] = v[i] == NAT_FORWARD ? a->out : E2NF_APP_DROP;
    }
}

static void tick(void *ctx, uint64_t now_ns)
{
    nat_tick(((struct nat_app *)ctx)->nat, now_ns);
}

static json_t *stats(void *ctx)
{
    return nat_stats_json(((struct nat_app *)ctx)->nat);
}

static void fini(void *ctx)
{
    nat_free(((struct nat_app *)ctx)->nat);
}

/* An address argument of the "mappings" operation, 0 when absent. */
static int arg_ip(const json_t *req, const char *key, uint32_t *ip, struct e2_err *err)
{
    const json_t *v = json_object_get(req, key);
    *ip = 0;
    if (!v) return 0;
    if (!json_is_string(v)) return e2_err_set(err, EINVAL, "'%s' wants an IPv4 address", key);
    return e2_conf_ipv4(json_string_value(v), ip, err);
}

static int arg_filter(const json_t *req, struct nat_filter *f, struct e2_err *err)
{
    const json_t *proto = json_object_get(req, "proto"), *port = json_object_get(req, "port"),
                 *limit = json_object_get(req, "limit");
    *f = (struct nat_filter){.proto = -1, .port = -1, .limit = 100};
    for (int i = 0; proto && i < NAT_NPROTO; i++)
        if (json_is_string(proto) && !strcmp(json_string_value(proto), nat_proto_name(i)))
            f->proto = i;
    if (proto && f->proto < 0) return e2_err_set(err, EINVAL, "proto is tcp, udp or icmp");
    if (port && (!json_is_integer(port) || json_integer_value(port) < 0 ||
                 json_integer_value(port) > 65535))
        return e2_err_set(err, EINVAL, "port is 0-65535");
    if (port) f->port = (int)json_integer_value(port);
    if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 0))
        return e2_err_set(err, EINVAL, "limit is a count");
    if (limit) f->limit = (unsigned)json_integer_value(limit);
    if (arg_ip(req, "inside", &f->inside_ip, err)) return err->code;
    return arg_ip(req, "public", &f->public_ip, err);
}

static json_t *op_mappings(void *ctx, const json_t *req, struct e2_err *err)
{
    struct nat_filter f;
    if (arg_filter(req, &f, err)) return NULL;
    return nat_mappings_json(((struct nat_app *)ctx)->nat, &f, e2nf_app_now_ns());
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_op ops[] = {
        {"mappings",
         "live mappings and their sessions; filters proto=tcp|udp|icmp inside=IP public=IP "
         "port=N (either side), limit=N (100)",
         op_mappings},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-nat",
        .summary = "NAPT for IPv4 (RFC 4787, 5382, 5508): port 'in' (both directions) to 'out'.",
        .ctx_size = sizeof(struct nat_app),
        .inputs = inputs,
        .ops = ops,
        .config_required = true,
        .load = load,
        .bind = bind,
        .process = process,
        .tick = tick,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
