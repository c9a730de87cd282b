/*
 * FlowHash — flow IDs and the range table that spreads flows over instances. The operator's manual
 * is flowhash_type.manual at the end of this file (also e2d --list-modules and
 * docs/e2d-modules.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "e2_ovs_hash.h"
#include "hdr.h"
#include "e2/meta.h"
#include "module.h"
#include "rangetab.h"
#include "rcu.h"

/* The field bits are contract A's (e2_ovs_hash.h), which are policy's E2_FIELD_* too. */
#define FH_SRC_IP   E2_OVS_F_SRC_IP
#define FH_DST_IP   E2_OVS_F_DST_IP
#define FH_PROTO    E2_OVS_F_PROTO
#define FH_SRC_PORT E2_OVS_F_SRC_PORT
#define FH_DST_PORT E2_OVS_F_DST_PORT

static const char *const field_names[] = {"src_ip",   "dst_ip",   "proto",
                                          "src_port", "dst_port", NULL};

enum { HASH_CRC32C, HASH_OVS };
static const char *const hash_names[] = {"crc32c", "ovs", NULL};

struct flowhash_args {
    json_t *fields;
    uint8_t bits;
    json_t *ranges;
    int64_t miss_gate;
    int hash;
};

static const struct e2_arg flowhash_spec[] = {
    E2_ARG_JSON(struct flowhash_args, fields,
                "[\"src_ip\",\"dst_ip\",\"proto\",\"src_port\",\"dst_port\"]",
                "header fields hashed (any of src_ip, dst_ip, proto, src_port, dst_port)"),
    E2_ARG_U8(struct flowhash_args, bits, "16", 1, 32, "flow IDs lie in [0, 2^bits)"),
    E2_ARG_JSON(struct flowhash_args, ranges, "[]",
                "list of {lo, hi, gate}: IDs in [lo, hi) leave by gate"),
    E2_ARG_I64(struct flowhash_args, miss_gate, "-1", -1, E2_GATES_MAX - 1,
               "gate for IDs in no range, -1 to drop"),
    E2_ARG_ENUM(struct flowhash_args, hash, "\"crc32c\"", hash_names,
                "crc32c, or ovs: the ID Open vSwitch's multipath computes"),
    E2_ARG_END,
};

struct flowhash_priv {
    struct e2_rangetab *table; /* RCU-protected */
    uint32_t fields, mask;
    uint8_t bits;
    int hash;
    enum e2_ovs_fields ovs; /* hash=ovs: the OVS field set */
};

/* ---- the hash ---- */

static inline uint32_t crc_id(const struct flowhash_priv *f, const struct rte_mbuf *pkt)
{
    struct e2_hdr h;
    e2_hdr_parse(pkt, &h);
    const uint8_t *p = rte_pktmbuf_mtod(pkt, const uint8_t *);
    uint32_t v = 0;
    if (h.ip_version == 4) {
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + h.l3_off);
        if (f->fields & FH_SRC_IP) v = rte_hash_crc_4byte(ip->src_addr, v);
        if (f->fields & FH_DST_IP) v = rte_hash_crc_4byte(ip->dst_addr, v);
    } else if (h.ip_version == 6) {
        const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(p + h.l3_off);
        if (f->fields & FH_SRC_IP) v = rte_hash_crc(ip6->src_addr, 16, v);
        if (f->fields & FH_DST_IP) v = rte_hash_crc(ip6->dst_addr, 16, v);
    }
    if (f->fields & FH_PROTO) v = rte_hash_crc_1byte(h.proto, v);
    bool ports = h.l4_off &&
                 (h.proto == IPPROTO_TCP || h.proto == IPPROTO_UDP || h.proto == IPPROTO_SCTP) &&
                 h.l4_off + 4u <= rte_pktmbuf_data_len(pkt);
    const uint16_t *l4 = ports ? (const uint16_t *)(p + h.l4_off) : NULL;
    if (f->fields & FH_SRC_PORT) v = rte_hash_crc_2byte(l4 ? l4[0] : 0, v);
    if (f->fields & FH_DST_PORT) v = rte_hash_crc_2byte(l4 ? l4[1] : 0, v);
    return v;
}

/*
 * A packet in several segments: OVS checks IP lengths against the whole frame, so hash a copy
 * of it in one piece (frames up to 16 KiB; longer ones are cut there).
 */
static __rte_noinline uint32_t ovs_id_segmented(const struct flowhash_priv *f,
                                                const struct rte_mbuf *pkt)
{
    uint8_t buf[16384];
    uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(pkt), (uint32_t)sizeof(buf));
    struct e2_ovs_flow flow;
    e2_ovs_flow_extract(rte_pktmbuf_read(pkt, 0, len, buf), len, &flow);
    return e2_ovs_flow_hash(&flow, f->ovs, 0);
}

/* OVS's multipath(fields, 0, modulo_n, 2^bits, ...): the hash, cut below by the mask. */
static inline uint32_t ovs_id(const struct flowhash_priv *f, const struct rte_mbuf *pkt)
{
    if (unlikely(pkt->nb_segs > 1)) return ovs_id_segmented(f, pkt);
    struct e2_ovs_flow flow;
    e2_ovs_flow_extract(rte_pktmbuf_mtod(pkt, const void *), rte_pktmbuf_data_len(pkt), &flow);
    return e2_ovs_flow_hash(&flow, f->ovs, 0);
}

static void flowhash_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct flowhash_priv *f = m->priv;
    const struct e2_rangetab *t = e2_rcu_load(&f->table);
    uint16_t gates[E2_BATCH_MAX];
    for (uint32_t i = 0; i < b->cnt; i++) {
        uint32_t id =
            (f->hash == HASH_OVS ? ovs_id(f, b->pkts[i]) : crc_id(f, b->pkts[i])) & f->mask;
        e2_meta_set_flow_id(b->pkts[i], id);
        gates[i] = e2_rangetab_lookup(t, id);
    }
    e2_split(m, gates, b);
}

/* ---- tables ---- */

static unsigned long long hi_of(const struct e2_range_gate *r)
{
    return (unsigned long long)r->last + 1;
}

/* Sort and check that ranges are disjoint and inside [0, 2^bits). */
static int table_check(const void *ctx, struct e2_rangetab *t, struct e2_err *err)
{
    const struct flowhash_priv *f = ctx;
    uint32_t k = e2_rangetab_sort(t);
    if (k)
        return e2_err_set(err, EEXIST, "range [%u, %llu) overlaps [%u, %llu)", t->r[k].lo,
                          hi_of(&t->r[k]), t->r[k - 1].lo, hi_of(&t->r[k - 1]));
    if (t->n && t->r[t->n - 1].last > f->mask)
        return e2_err_set(err, ERANGE, "range [%u, %llu) goes beyond 2^%u", t->r[t->n - 1].lo,
                          hi_of(&t->r[t->n - 1]), f->bits);
    return 0;
}

static int parse_range(const json_t *j, struct e2_range_gate *r, struct e2_err *err)
{
    struct {
        uint64_t lo, hi;
        uint16_t gate;
    } a;
    static const struct e2_arg spec[] = {
        {.name = "lo", .type = E2_ARGT_U64, .offset = 0, .help = "first flow ID"},
        {.name = "hi",
         .type = E2_ARGT_U64,
         .offset = sizeof(uint64_t),
         .help = "one past the last flow ID"},
        {.name = "gate",
         .type = E2_ARGT_U16,
         .offset = 2 * sizeof(uint64_t),
         .min = 0,
         .max = E2_GATES_MAX - 1,
         .help = "output gate"},
        E2_ARG_END,
    };
    int rc = e2_args_parse(spec, j, &a, err);
    if (rc) return rc;
    if (a.lo >= a.hi || a.hi > (1ull << 32))
        return e2_err_set(err, ERANGE, "bad range [%llu, %llu)", (unsigned long long)a.lo,
                          (unsigned long long)a.hi);
    r->lo = (uint32_t)a.lo;
    r->last = (uint32_t)(a.hi - 1);
    r->gate = a.gate;
    return 0;
}

static const struct e2_rangetab_kind range_kind = {
    .list = "ranges",
    .entry = "{lo, hi, gate}",
    .parse = parse_range,
    .check = table_check,
};

static int parse_fields(const json_t *j, uint32_t *out, struct e2_err *err)
{
    if (!json_is_array(j) || json_array_size(j) == 0)
        return e2_err_set(err, EINVAL, "'fields' must be a non-empty list of field names");
    *out = 0;
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        unsigned k = 0;
        while (field_names[k] &&
               (!json_is_string(v) || strcmp(field_names[k], json_string_value(v)) != 0))
            k++;
        if (!field_names[k])
            return e2_err_set(err, EINVAL,
                              "fields[%zu] is not one of src_ip, dst_ip, proto, src_port, dst_port",
                              i);
        *out |= 1u << k;
    }
    return 0;
}

/* hash=ovs: the OVS field set for the fields (pairs hash symmetrically), at most 16 bits. */
static int ovs_fields(struct flowhash_priv *f, struct e2_err *err)
{
    if (f->bits > 16)
        return e2_err_set(err, ERANGE,
                          "bits: hash=\"ovs\" takes at most 16 (multipath's modulo_n has at most "
                          "65536 links)");
    if (e2_ovs_hash_fields(f->fields, __builtin_popcount(f->fields) > 1, &f->ovs) != 0)
        return e2_err_set(err, EINVAL,
                          "fields: hash=\"ovs\" hashes what OVS's multipath can: [src_ip] "
                          "(nw_src), [dst_ip] (nw_dst), [src_ip, dst_ip] (symmetric_l3) or the "
                          "5-tuple (symmetric_l3l4+udp)");
    return 0;
}

static int flowhash_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct flowhash_args *a = args;
    struct flowhash_priv *f = m->priv;
    int rc = parse_fields(a->fields, &f->fields, err);
    if (rc) return rc;
    f->bits = a->bits;
    f->mask = a->bits == 32 ? UINT32_MAX : (1u << a->bits) - 1;
    f->hash = a->hash;
    if (f->hash == HASH_OVS && (rc = ovs_fields(f, err)) != 0) return rc;
    return e2_rangetab_from_json(&range_kind, f, a->ranges, a->miss_gate, &f->table, err);
}

static void flowhash_deinit(struct e2_module *m)
{
    struct flowhash_priv *f = m->priv;
    free(f->table);
}

/* ---- commands ---- */

struct set_args {
    json_t *ranges;
    int64_t miss_gate;
};

static const struct e2_arg set_spec[] = {
    E2_ARG_JSON(struct set_args, ranges, NULL, "the new list of {lo, hi, gate}"),
    E2_ARG_I64(struct set_args, miss_gate, "-1", -1, E2_GATES_MAX - 1,
               "gate for IDs in no range, -1 to drop"),
    E2_ARG_END,
};

static int cmd_set_ranges(struct e2_module *m, const void *args, json_t **result,
                          struct e2_err *err)
{
    (void)result;
    const struct set_args *a = args;
    struct flowhash_priv *f = m->priv;
    return e2_rangetab_replace(&range_kind, f, &f->table, a->ranges, a->miss_gate, err);
}

struct range_args {
    uint64_t lo, hi;
    uint16_t gate;
};

static const struct e2_arg add_spec[] = {
    E2_ARG_U64(struct range_args, lo, NULL, 0, 4294967295.0, "first flow ID"),
    E2_ARG_U64(struct range_args, hi, NULL, 1, 4294967296.0, "one past the last flow ID"),
    E2_ARG_U16(struct range_args, gate, NULL, 0, E2_GATES_MAX - 1, "output gate"),
    E2_ARG_END,
};

static const struct e2_arg del_spec[] = {
    E2_ARG_U64(struct range_args, lo, NULL, 0, 4294967295.0, "first flow ID of the range"),
    E2_ARG_U64(struct range_args, hi, NULL, 1, 4294967296.0, "one past its last flow ID"),
    E2_ARG_END,
};

static int cmd_add_range(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct range_args *a = args;
    struct flowhash_priv *f = m->priv;
    if (a->lo >= a->hi)
        return e2_err_set(err, ERANGE, "bad range [%llu, %llu)", (unsigned long long)a->lo,
                          (unsigned long long)a->hi);
    struct e2_range_gate r = {(uint32_t)a->lo, (uint32_t)(a->hi - 1), a->gate};
    return e2_rangetab_publish(&range_kind, f, &f->table, e2_rangetab_with(f->table, r), err);
}

static int cmd_delete_range(struct e2_module *m, const void *args, json_t **result,
                            struct e2_err *err)
{
    (void)result;
    const struct range_args *a = args;
    struct flowhash_priv *f = m->priv;
    uint32_t k = e2_rangetab_find(f->table, (uint32_t)a->lo, (uint32_t)(a->hi - 1));
    if (k == f->table->n)
        return e2_err_set(err, ENOENT, "no range [%llu, %llu)", (unsigned long long)a->lo,
                          (unsigned long long)a->hi);
    return e2_rangetab_publish(&range_kind, f, &f->table, e2_rangetab_without(f->table, k), err);
}

static int cmd_get_ranges(struct e2_module *m, const void *args, json_t **result,
                          struct e2_err *err)
{
    (void)args;
    (void)err;
    struct flowhash_priv *f = m->priv;
    json_t *arr = json_array();
    for (uint32_t i = 0; i < f->table->n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:I, s:i}", "lo", (json_int_t)f->table->r[i].lo,
                                             "hi", (json_int_t)f->table->r[i].last + 1, "gate",
                                             f->table->r[i].gate));
    *result = json_pack("{s:o, s:i, s:i, s:s}", "ranges", arr, "bits", f->bits, "miss_gate",
                        f->table->miss_gate == E2_GATE_DROP ? -1 : f->table->miss_gate, "hash",
                        hash_names[f->hash]);
    if (f->hash == HASH_OVS)
        json_object_set_new(*result, "ovs_fields", json_string(e2_ovs_fields_name(f->ovs)));
    return 0;
}

static const struct e2_cmd flowhash_cmds[] = {
    {"set_ranges", "replace the whole range table in one swap", set_spec, sizeof(struct set_args),
     cmd_set_ranges, true},
    {"add_range", "add [lo, hi) -> gate (must not overlap)", add_spec, sizeof(struct range_args),
     cmd_add_range, true},
    {"delete_range", "remove the range [lo, hi)", del_spec, sizeof(struct range_args),
     cmd_delete_range, true},
    {"get_ranges", "the current table", NULL, 0, cmd_get_ranges, true},
    {.name = NULL},
};

static struct e2_module_type flowhash_type = {
    .name = "FlowHash",
    .summary = "computes flow IDs from affinity fields and steers ID ranges to gates",
    .manual = "Gates: up to 64 inputs; outputs as named by the ranges (up to 1024).\n"
              "\n"
              "Computes each packet's flow ID — a hash of the header fields named by the NF's "
              "affinity, cut to `bits` bits — stores it in the packet's metadata, and sends the "
              "packet out of the gate whose range [lo, hi) holds it; packets in no range leave by "
              "miss_gate (-1: dropped). This is the building block of E2's distribute stages and "
              "of migration avoidance, so the table changes without pausing traffic: a new table "
              "is built and swapped in RCU-style, and a batch of changes costs one swap.\n"
              "\n"
              "hash=\"crc32c\" (the default) hashes the fields in order with CRC32-C; absent "
              "fields (ports of ICMP, non-first fragments, non-IP packets) hash as zero. "
              "hash=\"ovs\" computes the ID Open vSwitch's multipath(FIELDS, 0, modulo_n, "
              "2^bits, 0, reg) writes for the same packet, so that the switch and e2d cut flow-ID "
              "ranges alike (docs/nsh.md): fields [src_ip] is OVS's nw_src, [dst_ip] nw_dst, "
              "[src_ip, dst_ip] symmetric_l3 and the 5-tuple symmetric_l3l4+udp (both directions "
              "of a flow get one ID); other field sets, and bits above 16, are refused. "
              "get_ranges says which hash runs.",
    .example = "rx -> fh :: FlowHash(fields=[\"src_ip\"], bits=8,\n"
               "ranges=[{lo=0, hi=128, gate=0}, {lo=128, hi=256, gate=1}]);\n"
               "fh[0] -> nat0; fh[1] -> nat1;",
    .max_igates = 64,
    .max_ogates = E2_GATES_MAX,
    .priv_size = sizeof(struct flowhash_priv),
    .args = flowhash_spec,
    .args_size = sizeof(struct flowhash_args),
    .init = flowhash_init,
    .deinit = flowhash_deinit,
    .process = flowhash_process,
    .cmds = flowhash_cmds,
};

E2_MODULE_REGISTER(flowhash_type);
