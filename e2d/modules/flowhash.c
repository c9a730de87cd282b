/*
 * FlowHash — flow IDs and the range table that spreads flows over instances. The operator's manual
 * is flowhash_type.manual at the end of this file (also e2d --list-modules and
 * docs/e2d-modules.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "hdr.h"
#include "e2/meta.h"
#include "module.h"
#include "rcu.h"

#define FH_SRC_IP   0x01
#define FH_DST_IP   0x02
#define FH_PROTO    0x04
#define FH_SRC_PORT 0x08
#define FH_DST_PORT 0x10

static const char *const field_names[] = {"src_ip",   "dst_ip",   "proto",
                                          "src_port", "dst_port", NULL};

struct fh_range {
    uint32_t lo, last; /* [lo, last] inclusive */
    uint16_t gate;
};

struct fh_table {
    uint32_t n;
    uint16_t miss_gate;
    struct fh_range r[]; /* sorted by lo, disjoint */
};

struct flowhash_args {
    json_t *fields;
    uint8_t bits;
    json_t *ranges;
    int64_t miss_gate;
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
    E2_ARG_END,
};

struct flowhash_priv {
    struct fh_table *table; /* RCU-protected */
    uint32_t fields, mask;
    uint8_t bits;
};

/* ---- the hash ---- */

static inline uint32_t flow_id(const struct flowhash_priv *f, const struct rte_mbuf *pkt)
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
    return v & f->mask;
}

static inline uint16_t lookup(const struct fh_table *t, uint32_t id)
{
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->r[mid].lo <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && id <= t->r[lo - 1].last) return t->r[lo - 1].gate;
    return t->miss_gate;
}

static void flowhash_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct flowhash_priv *f = m->priv;
    const struct fh_table *t = e2_rcu_load(&f->table);
    uint16_t gates[E2_BATCH_MAX];
    for (uint32_t i = 0; i < b->cnt; i++) {
        uint32_t id = flow_id(f, b->pkts[i]);
        e2_meta_set_flow_id(b->pkts[i], id);
        gates[i] = lookup(t, id);
    }
    e2_split(m, gates, b);
}

/* ---- tables ---- */

static struct fh_table *table_new(uint32_t n, uint16_t miss_gate)
{
    struct fh_table *t = malloc(sizeof(*t) + n * sizeof(t->r[0]));
    if (!t) return NULL;
    t->n = n;
    t->miss_gate = miss_gate;
    return t;
}

static int by_lo(const void *a, const void *b)
{
    const struct fh_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and check that ranges are disjoint and inside [0, 2^bits). */
static int table_check(const struct flowhash_priv *f, struct fh_table *t, struct e2_err *err)
{
    qsort(t->r, t->n, sizeof(t->r[0]), by_lo);
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->r[i].last > f->mask)
            return e2_err_set(err, ERANGE, "range [%u, %llu) goes beyond 2^%u", t->r[i].lo,
                              (unsigned long long)t->r[i].last + 1, f->bits);
        if (i > 0 && t->r[i].lo <= t->r[i - 1].last)
            return e2_err_set(err, EEXIST, "range [%u, %llu) overlaps [%u, %llu)", t->r[i].lo,
                              (unsigned long long)t->r[i].last + 1, t->r[i - 1].lo,
                              (unsigned long long)t->r[i - 1].last + 1);
    }
    return 0;
}

static int parse_range(const json_t *j, struct fh_range *r, struct e2_err *err)
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

static int table_from_json(const struct flowhash_priv *f, const json_t *ranges, int64_t miss,
                           struct fh_table **out, struct e2_err *err)
{
    if (!json_is_array(ranges))
        return e2_err_set(err, EINVAL, "'ranges' must be a list of {lo, hi, gate}");
    struct fh_table *t =
        table_new((uint32_t)json_array_size(ranges), miss < 0 ? E2_GATE_DROP : (uint16_t)miss);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < t->n; i++) {
        int rc = parse_range(json_array_get(ranges, i), &t->r[i], err);
        if (rc) {
            free(t);
            return e2_err_prefix(err, "ranges[%u]: ", i);
        }
    }
    int rc = table_check(f, t, err);
    if (rc) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Publish @t and free the old table once no worker can be reading it. */
static void table_swap(struct flowhash_priv *f, struct fh_table *t)
{
    free(e2_rcu_swap(&f->table, t));
}

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

static int flowhash_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct flowhash_args *a = args;
    struct flowhash_priv *f = m->priv;
    int rc = parse_fields(a->fields, &f->fields, err);
    if (rc) return rc;
    f->bits = a->bits;
    f->mask = a->bits == 32 ? UINT32_MAX : (1u << a->bits) - 1;
    return table_from_json(f, a->ranges, a->miss_gate, &f->table, err);
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
    struct fh_table *t;
    int rc = table_from_json(f, a->ranges, a->miss_gate, &t, err);
    if (!rc) table_swap(f, t);
    return rc;
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
    struct fh_table *t = table_new(f->table->n + 1, f->table->miss_gate);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(t->r, f->table->r, f->table->n * sizeof(t->r[0]));
    t->r[f->table->n] = (struct fh_range){(uint32_t)a->lo, (uint32_t)(a->hi - 1), a->gate};
    int rc = table_check(f, t, err);
    if (rc) {
        free(t);
        return rc;
    }
    table_swap(f, t);
    return 0;
}

static int cmd_delete_range(struct e2_module *m, const void *args, json_t **result,
                            struct e2_err *err)
{
    (void)result;
    const struct range_args *a = args;
    struct flowhash_priv *f = m->priv;
    const struct fh_table *old = f->table;
    uint32_t k = 0;
    while (k < old->n && !(old->r[k].lo == a->lo && (uint64_t)old->r[k].last + 1 == a->hi)) k++;
    if (k == old->n)
        return e2_err_set(err, ENOENT, "no range [%llu, %llu)", (unsigned long long)a->lo,
                          (unsigned long long)a->hi);
    struct fh_table *t = table_new(old->n - 1, old->miss_gate);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(t->r, old->r, k * sizeof(t->r[0]));
    memcpy(&t->r[k], &old->r[k + 1], (old->n - k - 1) * sizeof(t->r[0]));
    table_swap(f, t);
    return 0;
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
    *result = json_pack("{s:o, s:i, s:i}", "ranges", arr, "bits", f->bits, "miss_gate",
                        f->table->miss_gate == E2_GATE_DROP ? -1 : f->table->miss_gate);
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
              "Computes each packet's flow ID — a hash (CRC32C) of the header fields named by the "
              "NF's affinity, cut to `bits` bits — stores it in the packet's metadata, and sends "
              "the packet out of the gate whose range [lo, hi) holds it; packets in no range leave "
              "by miss_gate (-1: dropped). Absent fields (ports of ICMP, non-first fragments, "
              "non-IP packets) hash as zero. This is the building block of E2's distribute stages "
              "and of migration avoidance, so the table changes without pausing traffic: a new "
              "table is built and swapped in RCU-style, and a batch of changes costs one swap.",
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
