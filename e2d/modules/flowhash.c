/*
 * FlowHash — flow IDs and the range table that spreads flows over instances. The operator's manual
 * is flowhash_type.manual at the end of this file (also e2d --list-modules and
 * docs/e2d-modules.md).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>

#include "e2/ovs_hash.h"
#include "flowpin.h"
#include "hdr.h"
#include "e2/meta.h"
#include "module.h"
#include "rcu.h"

/* The field bits are e2/ovs_hash.h's, which are policy's E2_FIELD_* too. */
#define FH_SRC_IP   E2_OVS_F_SRC_IP
#define FH_DST_IP   E2_OVS_F_DST_IP
#define FH_PROTO    E2_OVS_F_PROTO
#define FH_SRC_PORT E2_OVS_F_SRC_PORT
#define FH_DST_PORT E2_OVS_F_DST_PORT
#define FH_ALL      E2_OVS_F_5TUPLE

/* Load counters: 2^LOAD_BITS buckets over the flow-ID space (fewer if bits is smaller). */
#define LOAD_BITS 10

static const char *const field_names[] = {"src_ip",   "dst_ip",   "proto",
                                          "src_port", "dst_port", NULL};

enum { HASH_CRC32C, HASH_OVS };
static const char *const hash_names[] = {"crc32c", "ovs", NULL};

struct fh_range {
    uint32_t lo, last; /* [lo, last] inclusive */
    uint16_t gate;
    uint32_t moved; /* flows pinned before this table epoch are re-pinned (0: never) */
};

struct fh_table {
    uint32_t n;
    uint32_t epoch; /* one more for every table published */
    uint16_t miss_gate;
    struct fh_range r[]; /* sorted by lo, disjoint */
};

struct flowhash_args {
    json_t *fields;
    uint8_t bits;
    json_t *ranges;
    int64_t miss_gate;
    uint32_t track_flows;
    uint64_t idle_ms, linger_ms;
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
    E2_ARG_U32(struct flowhash_args, track_flows, "0", 0, 1 << 24,
               "flows pinned to the gate they started on, at most (0: no tracking)"),
    E2_ARG_U64(struct flowhash_args, idle_ms, "60000", 1, 1e10,
               "a tracked flow idle this long has ended (the NF's flow_idle_timeout)"),
    E2_ARG_U64(struct flowhash_args, linger_ms, "2000", 1, 1e7,
               "a TCP flow ends this long after a RST, or after its last packet past a FIN"),
    E2_ARG_ENUM(struct flowhash_args, hash, "\"crc32c\"", hash_names,
                "crc32c, or ovs: the ID Open vSwitch's multipath computes"),
    E2_ARG_END,
};

struct flowhash_priv {
    struct fh_table *table; /* RCU-protected */
    uint32_t fields, mask;
    uint8_t bits;
    struct e2_flowpin *pin; /* NULL without track_flows; owned by the worker */
    uint64_t *load;         /* packets per load bucket, with tracking */
    uint8_t load_shift;     /* flow ID >> load_shift = load bucket */
    uint64_t untracked;     /* packets no flow could be kept for (not IPv4) */
    int hash;
    enum e2_ovs_hash_fields ovs; /* hash=ovs: the OVS field set */
    bool symmetric;              /* both directions of a flow have one ID (and one pin) */
};

/* ---- the hash ---- */

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
    if (unlikely(pkt->nb_segs > 1)) return ovs_id_segmented(f, pkt) & f->mask;
    struct e2_ovs_flow flow;
    e2_ovs_flow_extract(rte_pktmbuf_mtod(pkt, const void *), rte_pktmbuf_data_len(pkt), &flow);
    return e2_ovs_flow_hash(&flow, f->ovs, 0) & f->mask;
}

static inline uint32_t flow_id(const struct flowhash_priv *f, const struct rte_mbuf *pkt,
                               const struct e2_hdr *hp)
{
    if (f->hash == HASH_OVS) return ovs_id(f, pkt);
    const struct e2_hdr h = *hp;
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

/* The range holding @id, or NULL. */
static inline const struct fh_range *lookup(const struct fh_table *t, uint32_t id)
{
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->r[mid].lo <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && id <= t->r[lo - 1].last ? &t->r[lo - 1] : NULL;
}

/* The tracking key: the hashed fields of an IPv4 packet, the others zero, both directions
 * alike when the hash is symmetric; false if not IPv4. */
static bool flow_key(const struct flowhash_priv *f, const struct rte_mbuf *pkt,
                     const struct e2_hdr *hp, struct e2_flow_key *k, uint8_t *tcp_flags)
{
    const struct e2_hdr h = *hp;
    if (h.ip_version != 4) return false;
    const uint8_t *p = rte_pktmbuf_mtod(pkt, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(pkt);
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + h.l3_off);
    *k = (struct e2_flow_key){0};
    *tcp_flags = 0;
    if (f->fields & FH_SRC_IP) k->src_ip = rte_be_to_cpu_32(ip->src_addr);
    if (f->fields & FH_DST_IP) k->dst_ip = rte_be_to_cpu_32(ip->dst_addr);
    if (f->fields & FH_PROTO) k->proto = h.proto;
    bool l4 = h.l4_off &&
              (h.proto == IPPROTO_TCP || h.proto == IPPROTO_UDP || h.proto == IPPROTO_SCTP) &&
              h.l4_off + 4u <= len;
    if (!l4) return true;
    const uint16_t *ports = (const uint16_t *)(p + h.l4_off);
    if (f->fields & FH_SRC_PORT) k->src_port = rte_be_to_cpu_16(ports[0]);
    if (f->fields & FH_DST_PORT) k->dst_port = rte_be_to_cpu_16(ports[1]);
    if (h.proto == IPPROTO_TCP && h.l4_off + 14u <= len) *tcp_flags = p[h.l4_off + 13];
    if (f->symmetric) {
        bool swapped;
        *k = e2_flow_key_canonical(k, &swapped);
    }
    return true;
}

/* A packet of a batch on its way through the flow table. */
struct pinned {
    const struct fh_range *r; /* NULL: no range (miss gate) or not tracked (range gate) */
    struct e2_flow_key k;
    uint32_t id, hash;
    uint8_t tcp_flags;
};

/* With tracking: first hash, find ranges and keys for the whole batch, prefetching the
 * flow table's buckets, then pin or follow each flow, so the table's cache misses
 * overlap instead of stalling one packet at a time. */
static void process_tracked(struct flowhash_priv *f, const struct fh_table *t, struct e2_batch *b,
                            uint16_t *gates)
{
    struct pinned q[E2_BATCH_MAX];
    uint64_t now = rte_rdtsc();
    for (uint32_t i = 0; i < b->cnt; i++) {
        struct e2_hdr h;
        e2_hdr_parse(b->pkts[i], &h);
        q[i].id = flow_id(f, b->pkts[i], &h);
        e2_meta_set_flow_id(b->pkts[i], q[i].id);
        q[i].r = lookup(t, q[i].id);
        gates[i] = q[i].r ? q[i].r->gate : t->miss_gate;
        if (!q[i].r) continue;
        f->load[q[i].id >> f->load_shift]++;
        if (!flow_key(f, b->pkts[i], &h, &q[i].k, &q[i].tcp_flags)) {
            f->untracked++;
            q[i].r = NULL;
            continue;
        }
        q[i].hash = e2_flow_hash(&q[i].k);
        e2_flowpin_prefetch(f->pin, q[i].hash);
    }
    for (uint32_t i = 0; i < b->cnt; i++)
        if (q[i].r)
            gates[i] = e2_flowpin_gate(f->pin, &q[i].k, q[i].hash, q[i].id, q[i].r->gate, t->epoch,
                                       q[i].r->moved, q[i].tcp_flags, now);
    e2_flowpin_sweep(f->pin, now, 1);
}

static void flowhash_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct flowhash_priv *f = m->priv;
    const struct fh_table *t = e2_rcu_load(&f->table);
    uint16_t gates[E2_BATCH_MAX];
    if (f->pin) {
        process_tracked(f, t, b, gates);
    } else {
        for (uint32_t i = 0; i < b->cnt; i++) {
            struct e2_hdr h;
            e2_hdr_parse(b->pkts[i], &h);
            uint32_t id = flow_id(f, b->pkts[i], &h);
            e2_meta_set_flow_id(b->pkts[i], id);
            const struct fh_range *r = lookup(t, id);
            gates[i] = r ? r->gate : t->miss_gate;
        }
    }
    e2_split(m, gates, b);
}

/* ---- tables ---- */

/* A table of @n ranges, one epoch after @prev (NULL: the first). */
static struct fh_table *table_new(uint32_t n, uint16_t miss_gate, const struct fh_table *prev)
{
    struct fh_table *t = calloc(1, sizeof(*t) + n * sizeof(t->r[0]));
    if (!t) return NULL;
    t->n = n;
    t->epoch = prev ? prev->epoch + 1 : 1;
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
    struct fh_table *t = table_new((uint32_t)json_array_size(ranges),
                                   miss < 0 ? E2_GATE_DROP : (uint16_t)miss, f->table);
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

/* hash=ovs: the OVS field set for the fields (pairs hash symmetrically), at most 16 bits. */
static int ovs_fields(struct flowhash_priv *f, struct e2_err *err)
{
    if (f->bits > 16)
        return e2_err_set(err, ERANGE,
                          "bits: hash=\"ovs\" takes at most 16 (multipath's modulo_n has at most "
                          "65536 links)");
    int ovs = e2_ovs_hash_fields_for(f->fields, __builtin_popcount(f->fields) > 1);
    f->ovs = (enum e2_ovs_hash_fields)ovs;
    f->symmetric = ovs == E2_OVS_HASH_SYMMETRIC_L3 || ovs == E2_OVS_HASH_SYMMETRIC_L3L4_UDP;
    if (ovs < 0)
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
    rc = table_from_json(f, a->ranges, a->miss_gate, &f->table, err);
    if (rc || !a->track_flows) return rc;
    uint64_t ms = rte_get_tsc_hz() / 1000;
    struct e2_flowpin_opts o = {.capacity = a->track_flows,
                                .idle = a->idle_ms * ms,
                                .linger = a->linger_ms * ms,
                                .closes = f->fields == FH_ALL};
    f->pin = e2_flowpin_create(&o, err);
    if (!f->pin) return e2_err_prefix(err, "track_flows: ");
    f->load_shift = (uint8_t)(f->bits > LOAD_BITS ? f->bits - LOAD_BITS : 0);
    f->load = calloc((size_t)1 << (f->bits - f->load_shift), sizeof(f->load[0]));
    return f->load ? 0 : e2_err_set(err, ENOMEM, "out of memory for the load counters");
}

static void flowhash_deinit(struct e2_module *m)
{
    struct flowhash_priv *f = m->priv;
    free(f->table);
    e2_flowpin_free(f->pin);
    free(f->load);
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
    struct fh_table *t = table_new(f->table->n + 1, f->table->miss_gate, f->table);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(t->r, f->table->r, f->table->n * sizeof(t->r[0]));
    t->r[f->table->n] =
        (struct fh_range){.lo = (uint32_t)a->lo, .last = (uint32_t)(a->hi - 1), .gate = a->gate};
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
    struct fh_table *t = table_new(old->n - 1, old->miss_gate, old);
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
    *result = json_pack("{s:o, s:i, s:i, s:s}", "ranges", arr, "bits", f->bits, "miss_gate",
                        f->table->miss_gate == E2_GATE_DROP ? -1 : f->table->miss_gate, "hash",
                        hash_names[f->hash]);
    if (f->hash == HASH_OVS)
        json_object_set_new(*result, "ovs_fields", json_string(e2_ovs_hash_fields_name(f->ovs)));
    return 0;
}

/* ---- migration avoidance: split, migrate, exceptions, load ---- */

/* Packets counted in [lo, hi), load buckets cut by the range weighted by their overlap. */
static double load_between(const struct flowhash_priv *f, uint64_t lo, uint64_t hi)
{
    double sum = 0;
    uint64_t w = 1ull << f->load_shift;
    for (uint64_t b = lo >> f->load_shift; b << f->load_shift < hi; b++) {
        uint64_t from = RTE_MAX(lo, b * w), to = RTE_MIN(hi, (b + 1) * w);
        sum += (double)f->load[b] * (double)(to - from) / (double)w;
    }
    return sum;
}

/* Where to cut [lo, hi) so both halves carry about the same measured load: the load
 * bucket boundary closest to half of it, or the middle when nothing was measured. */
static uint64_t split_point(const struct flowhash_priv *f, uint64_t lo, uint64_t hi)
{
    double total = load_between(f, lo, hi), best_gap = total;
    uint64_t w = 1ull << f->load_shift, best = lo + (hi - lo) / 2;
    if (total <= 0) return best;
    for (uint64_t at = (lo / w + 1) * w; at < hi; at += w) {
        double gap = fabs(2 * load_between(f, lo, at) - total);
        if (gap < best_gap) {
            best_gap = gap;
            best = at;
        }
    }
    return best;
}

/* The index of the range [lo, hi) exactly, or -ENOENT with a message. */
static int find_range(const struct fh_table *t, uint64_t lo, uint64_t hi, struct e2_err *err)
{
    for (uint32_t k = 0; k < t->n; k++)
        if (t->r[k].lo == lo && (uint64_t)t->r[k].last + 1 == hi) return (int)k;
    return e2_err_set(err, ENOENT, "no range [%llu, %llu)", (unsigned long long)lo,
                      (unsigned long long)hi);
}

static int need_tracking(const struct flowhash_priv *f, const char *what, struct e2_err *err)
{
    if (f->pin) return 0;
    return e2_err_set(err, ENOTSUP, "%s needs flow tracking (track_flows > 0)", what);
}

struct split_args {
    uint64_t lo, hi;
    int64_t at;
    uint16_t gate;
};

static const struct e2_arg split_spec[] = {
    E2_ARG_U64(struct split_args, lo, NULL, 0, 4294967295.0, "first flow ID of the range"),
    E2_ARG_U64(struct split_args, hi, NULL, 1, 4294967296.0, "one past its last flow ID"),
    E2_ARG_I64(struct split_args, at, "-1", -1, 4294967295.0,
               "first flow ID of the new upper part (-1: where the measured load halves)"),
    E2_ARG_U16(struct split_args, gate, NULL, 0, E2_GATES_MAX - 1,
               "gate of the upper part's new flows"),
    E2_ARG_END,
};

static int cmd_split(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    const struct split_args *a = args;
    struct flowhash_priv *f = m->priv;
    const struct fh_table *old = f->table;
    int k = need_tracking(f, "split (else every flow of the upper part would move)", err);
    if (!k) k = find_range(old, a->lo, a->hi, err);
    if (k < 0) return k;
    uint64_t at = a->at < 0 ? split_point(f, a->lo, a->hi) : (uint64_t)a->at;
    if (at <= a->lo || at >= a->hi)
        return e2_err_set(err, ERANGE, "at=%llu is not inside the range (%llu, %llu)",
                          (unsigned long long)at, (unsigned long long)a->lo,
                          (unsigned long long)a->hi);
    struct fh_table *t = table_new(old->n + 1, old->miss_gate, old);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(t->r, old->r, (size_t)(k + 1) * sizeof(t->r[0]));
    memcpy(&t->r[k + 1], &old->r[k], (old->n - (uint32_t)k) * sizeof(t->r[0]));
    t->r[k].last = (uint32_t)(at - 1);
    t->r[k + 1].lo = (uint32_t)at;
    t->r[k + 1].gate = a->gate;
    table_swap(f, t);
    *result = json_pack("{s:I}", "at", (json_int_t)at);
    return 0;
}

static int cmd_migrate(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    const struct range_args *a = args;
    struct flowhash_priv *f = m->priv;
    const struct fh_table *old = f->table;
    int rc = need_tracking(f, "migrate", err);
    if (rc) return rc;
    struct fh_table *t = table_new(old->n, old->miss_gate, old);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(t->r, old->r, old->n * sizeof(t->r[0]));
    json_int_t moved = 0;
    for (uint32_t k = 0; k < t->n; k++)
        if (t->r[k].lo >= a->lo && (uint64_t)t->r[k].last + 1 <= a->hi) {
            t->r[k].moved = t->epoch;
            moved++;
        }
    if (!moved) {
        free(t);
        return e2_err_set(err, ENOENT, "no whole range inside [%llu, %llu)",
                          (unsigned long long)a->lo, (unsigned long long)a->hi);
    }
    table_swap(f, t);
    *result = json_pack("{s:I}", "ranges", moved);
    return 0;
}

struct exc_args {
    uint32_t max;
};

static const struct e2_arg exc_spec[] = {
    E2_ARG_U32(struct exc_args, max, "0", 0, 1 << 20, "list up to this many exceptions"),
    E2_ARG_END,
};

/* What exceptions() gathers while the workers are paused. */
struct exc_walk {
    const struct flowhash_priv *f;
    const struct fh_table *t;
    uint64_t *flows, *exceptions; /* per range */
    uint64_t *per_gate;           /* flows pinned to each gate */
    json_t *list;
    uint32_t max;
};

static json_t *key_json(const struct flowhash_priv *f, const struct e2_flow_key *k)
{
    json_t *j = json_object();
    char ip[16];
    if (f->fields & FH_SRC_IP) {
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", k->src_ip >> 24, k->src_ip >> 16 & 255,
                 k->src_ip >> 8 & 255, k->src_ip & 255);
        json_object_set_new(j, "src_ip", json_string(ip));
    }
    if (f->fields & FH_DST_IP) {
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", k->dst_ip >> 24, k->dst_ip >> 16 & 255,
                 k->dst_ip >> 8 & 255, k->dst_ip & 255);
        json_object_set_new(j, "dst_ip", json_string(ip));
    }
    if (f->fields & FH_PROTO) json_object_set_new(j, "proto", json_integer(k->proto));
    if (f->fields & FH_SRC_PORT) json_object_set_new(j, "src_port", json_integer(k->src_port));
    if (f->fields & FH_DST_PORT) json_object_set_new(j, "dst_port", json_integer(k->dst_port));
    return j;
}

static void exc_visit(void *ctx, const struct e2_flowpin_view *v)
{
    struct exc_walk *w = ctx;
    w->per_gate[v->gate]++;
    const struct fh_range *r = lookup(w->t, v->flow_id);
    if (!r) return;
    size_t k = (size_t)(r - w->t->r);
    w->flows[k]++;
    if (v->gate == r->gate || v->epoch < r->moved) return;
    w->exceptions[k]++;
    if (json_array_size(w->list) >= w->max) return;
    json_t *e = key_json(w->f, v->key);
    json_object_set_new(e, "flow_id", json_integer(v->flow_id));
    json_object_set_new(e, "gate", json_integer(v->gate));
    json_array_append_new(w->list, e);
}

static json_t *exc_result(const struct exc_walk *w)
{
    json_t *ranges = json_array(), *gates = json_object();
    json_int_t total = 0;
    for (uint32_t k = 0; k < w->t->n; k++) {
        const struct fh_range *r = &w->t->r[k];
        total += (json_int_t)w->exceptions[k];
        json_array_append_new(ranges, json_pack("{s:I, s:I, s:i, s:I, s:I}", "lo",
                                                (json_int_t)r->lo, "hi", (json_int_t)r->last + 1,
                                                "gate", r->gate, "flows", (json_int_t)w->flows[k],
                                                "exceptions", (json_int_t)w->exceptions[k]));
    }
    for (unsigned g = 0; g < E2_GATES_MAX; g++) {
        if (!w->per_gate[g]) continue;
        char name[8];
        snprintf(name, sizeof(name), "%u", g);
        json_object_set_new(gates, name, json_integer((json_int_t)w->per_gate[g]));
    }
    return json_pack("{s:I, s:o, s:o, s:O}", "exceptions", total, "ranges", ranges,
                     "flows_per_gate", gates, "list", w->list);
}

static int cmd_exceptions(struct e2_module *m, const void *args, json_t **result,
                          struct e2_err *err)
{
    const struct exc_args *a = args;
    struct flowhash_priv *f = m->priv;
    int rc = need_tracking(f, "exceptions", err);
    if (rc) return rc;
    e2_flowpin_sweep(f->pin, rte_rdtsc(), SIZE_MAX);
    struct exc_walk w = {.f = f, .t = f->table, .max = a->max, .list = json_array()};
    w.flows = calloc(2 * (size_t)w.t->n + E2_GATES_MAX, sizeof(uint64_t));
    if (!w.flows) {
        json_decref(w.list);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    w.exceptions = w.flows + w.t->n;
    w.per_gate = w.exceptions + w.t->n;
    e2_flowpin_foreach(f->pin, exc_visit, &w);
    *result = exc_result(&w);
    json_decref(w.list);
    free(w.flows);
    return 0;
}

static int cmd_load(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    const struct range_args *a = args;
    struct flowhash_priv *f = m->priv;
    int rc = need_tracking(f, "load", err);
    if (rc) return rc;
    if (a->lo >= a->hi || a->hi > (uint64_t)f->mask + 1)
        return e2_err_set(err, ERANGE, "bad range [%llu, %llu) for %u-bit flow IDs",
                          (unsigned long long)a->lo, (unsigned long long)a->hi, f->bits);
    *result = json_pack("{s:f, s:I}", "packets", load_between(f, a->lo, a->hi), "split_at",
                        (json_int_t)split_point(f, a->lo, a->hi));
    return 0;
}

static json_t *flowhash_stats(struct e2_module *m)
{
    struct flowhash_priv *f = m->priv;
    if (!f->pin) return json_object();
    struct e2_flowpin_stats s;
    e2_flowpin_stats(f->pin, &s);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "flows", (json_int_t)s.flows,
                     "capacity", (json_int_t)s.capacity, "pinned", (json_int_t)s.pinned, "ended",
                     (json_int_t)s.ended, "evicted", (json_int_t)s.evicted, "repinned",
                     (json_int_t)s.repinned, "untracked", (json_int_t)f->untracked);
}

static const struct e2_cmd flowhash_cmds[] = {
    {"set_ranges", "replace the whole range table in one swap", set_spec, sizeof(struct set_args),
     cmd_set_ranges, true},
    {"add_range", "add [lo, hi) -> gate (must not overlap)", add_spec, sizeof(struct range_args),
     cmd_add_range, true},
    {"delete_range", "remove the range [lo, hi)", del_spec, sizeof(struct range_args),
     cmd_delete_range, true},
    {"get_ranges", "the current table", NULL, 0, cmd_get_ranges, true},
    {"split",
     "cut the range [lo, hi) at 'at': new flows of [at, hi) leave by 'gate', every flow "
     "already seen stays where it is (needs track_flows)",
     split_spec, sizeof(struct split_args), cmd_split, true},
    {"migrate",
     "move the flows of the ranges inside [lo, hi) to their range's gate on their next packet",
     del_spec, sizeof(struct range_args), cmd_migrate, true},
    {"exceptions",
     "per range, the tracked flows and the exceptions (flows pinned to another gate than "
     "their range's), flows per gate, and up to 'max' exceptions listed",
     exc_spec, sizeof(struct exc_args), cmd_exceptions, false},
    {"load", "packets counted in [lo, hi) and where the load halves", del_spec,
     sizeof(struct range_args), cmd_load, true},
    {"stats", "flow tracking counters", NULL, 0, e2_cmd_stats, true},
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
              "get_ranges says which hash runs.\n"
              "\n"
              "With track_flows > 0 it also keeps every flow on the gate it started on (migration "
              "avoidance, the E2 paper's §5.3): a flow (the hashed fields of an IPv4 packet) seen "
              "for the first time is pinned to its range's gate, and later range changes move only "
              "new flows. split(lo, hi, at, gate) cuts a range so that new flows of [at, hi) leave "
              "by the new gate while every flow already there stays — an exception to the new "
              "ranges — until it ends: idle for idle_ms, or, when all five fields are hashed, "
              "linger_ms after a TCP RST or after its last packet past a FIN. Without 'at' the cut "
              "goes where the measured load halves (load counts packets in 1,024 buckets of the "
              "flow-ID space). exceptions lists them (for the switch, once few are left) with the "
              "flows pinned per gate (an instance being drained is empty when its count is 0); "
              "migrate moves a range's flows on purpose (a failed instance). Pins live in a "
              "fixed-size table; when it is full the flow closest to its end is forgotten "
              "(statistics: evicted). Non-IPv4 packets follow the ranges (untracked).",
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
    .stats = flowhash_stats,
    .cmds = flowhash_cmds,
};

E2_MODULE_REGISTER(flowhash_type);
