/*
 * The model switch: a bounded flow table in memory that behaves as the rack
 * switch does, for tests and simulation.
 *
 * Rules live in one array sorted by table, priority (highest first) and
 * install order; capacity counts masked entries over all tables, as a TCAM
 * does. An apply builds the new array beside the old one and swaps only if
 * it fits, so a failed apply changes nothing. Install time is simulated:
 * latency_us per entry added or deleted, accounted, never slept.
 *
 * The classifier runs a frame through the tables the way OVS runs it through
 * OpenFlow tables: extract the fields (e2_ovs_flow_extract, OVS's own rules),
 * take the first matching rule, apply its actions in order, continue at a
 * goto_table. flow_hash writes reg0 as OVS's multipath does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_int.h"

#define F(x) (1u << (x))

struct mrule {
    struct e2_sw_entry e;
    uint64_t seq; /* install order: the tie-break among equal priorities */
};

struct model {
    struct e2_sw base;
    size_t capacity;
    double latency_us;
    struct mrule *v;
    size_t n;
    uint64_t seq;
};

static struct model *model_of(struct e2_sw *sw)
{
    return (struct model *)sw;
}

static int mrule_cmp(const void *x, const void *y)
{
    const struct mrule *a = x, *b = y;
    if (a->e.rule.table != b->e.rule.table) return a->e.rule.table < b->e.rule.table ? -1 : 1;
    if (a->e.rule.priority != b->e.rule.priority)
        return a->e.rule.priority > b->e.rule.priority ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool deleted(uint32_t cookie, const uint32_t *del, size_t n_del)
{
    for (size_t i = 0; i < n_del; i++)
        if (del[i] == cookie) return true;
    return false;
}

/* Add @r to v[0..*n): replace a rule in the same slot (keeping its counters) or append. */
static size_t put(struct model *m, struct mrule *v, size_t *n, const struct e2_sw_rule *r)
{
    size_t replaced = 0, entries = e2_sw_rule_entries(r);
    for (size_t j = 0; j < *n; j++) {
        if (!e2_sw_rule_same_slot(&v[j].e.rule, r)) continue;
        replaced = v[j].e.entries;
        v[j].e.rule = *r;
        v[j].e.entries = entries;
        return replaced;
    }
    v[(*n)++] = (struct mrule){.e = {.rule = *r, .entries = entries}, .seq = m->seq++};
    return 0;
}

static int model_apply(struct e2_sw *sw, const struct e2_sw_rule *add, size_t n_add,
                       const uint32_t *del, size_t n_del, double *us, struct e2_err *err)
{
    struct model *m = model_of(sw);
    struct mrule *v = malloc((m->n + n_add + 1) * sizeof(*v));
    size_t n = 0, removed = 0, added = 0, used = 0;
    if (!v) return e2_err_set(err, ENOMEM, "out of memory for %zu rules", m->n + n_add);
    for (size_t i = 0; i < m->n; i++) {
        if (deleted(m->v[i].e.rule.cookie, del, n_del))
            removed += m->v[i].e.entries;
        else
            v[n++] = m->v[i];
    }
    for (size_t i = 0; i < n_add; i++) {
        removed += put(m, v, &n, &add[i]);
        added += e2_sw_rule_entries(&add[i]);
    }
    for (size_t i = 0; i < n; i++) used += v[i].e.entries;
    if (used > m->capacity) {
        free(v);
        size_t staying = used - added;
        return e2_err_set(err, ENOSPC,
                          "table full: this change adds %zu entries (%zu rules) but %zu fit "
                          "(the switch holds %zu entries, %zu stay in use); nothing changed",
                          added, n_add, m->capacity - staying, m->capacity, staying);
    }
    qsort(v, n, sizeof(*v), mrule_cmp);
    free(m->v);
    m->v = v;
    m->n = n;
    *us = (double)(added + removed) * m->latency_us;
    return 0;
}

static int model_dump(struct e2_sw *sw, struct e2_sw_entry **out, size_t *n, struct e2_err *err)
{
    struct model *m = model_of(sw);
    *out = calloc(m->n + 1, sizeof(**out));
    if (!*out) return e2_err_set(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n; i++) (*out)[i] = m->v[i].e;
    *n = m->n;
    return 0;
}

static size_t model_capacity(struct e2_sw *sw)
{
    return model_of(sw)->capacity;
}

static void model_close(struct e2_sw *sw)
{
    free(model_of(sw)->v);
    free(sw);
}

static const struct e2_sw_ops model_ops = {"model", model_apply, model_dump, model_capacity,
                                           model_close};

/* "rules=N,latency_us=L", either may be left out. */
static int parse_params(const char *params, struct model *m, struct e2_err *err)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", params);
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        if (!strncmp(kv, "rules=", 6)) {
            unsigned long long n = strtoull(kv + 6, &end, 10);
            if (end == kv + 6 || *end || n < 1 || n > 100000000)
                return e2_err_set(err, EINVAL, "model switch: rules=%s is not 1..100000000",
                                  kv + 6);
            m->capacity = (size_t)n;
        } else if (!strncmp(kv, "latency_us=", 11)) {
            m->latency_us = strtod(kv + 11, &end);
            if (end == kv + 11 || *end || !(m->latency_us >= 0 && m->latency_us < 1e9))
                return e2_err_set(err, EINVAL, "model switch: latency_us=%s is not a time in us",
                                  kv + 11);
        } else {
            return e2_err_set(err, EINVAL,
                              "model switch: unknown parameter '%s' (rules, latency_us)", kv);
        }
    }
    return 0;
}

struct e2_sw *e2_sw_model_open(const char *params, struct e2_err *err)
{
    struct model *m = calloc(1, sizeof(*m));
    if (!m) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    m->base.ops = &model_ops;
    m->base.stats.simulated = true;
    m->capacity = 2048;
    if (parse_params(params, m, err)) {
        free(m);
        return NULL;
    }
    return &m->base;
}

/* ---- the classifier ---- */

struct packet {
    uint8_t buf[E2_SW_OUT_FRAME];
    size_t len;
    uint32_t in_port, reg0;
    struct e2_ovs_flow flow;
};

static bool in_span(uint64_t x, struct e2_sw_span s)
{
    return x >= s.lo && x < s.hi;
}

static uint32_t ip4(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool matches(const struct e2_sw_match *m, const struct packet *p)
{
    const struct e2_ovs_flow *f = &p->flow;
    uint32_t has = m->fields;
    return (!(has & F(E2_SW_IN_PORT)) || m->in_port == p->in_port) &&
           (!(has & F(E2_SW_ETH_TYPE)) || m->eth_type == f->dl_type) &&
           (!(has & F(E2_SW_ETH_DST)) || !memcmp(m->eth_dst, f->dl_dst, 6)) &&
           (!(has & F(E2_SW_IP_PROTO)) || m->ip_proto == f->nw_proto) &&
           (!(has & F(E2_SW_SRC_IP)) || in_span(ip4(f->nw_src), m->src_ip)) &&
           (!(has & F(E2_SW_DST_IP)) || in_span(ip4(f->nw_dst), m->dst_ip)) &&
           (!(has & F(E2_SW_SRC_PORT)) || in_span(f->tp_src, m->src_port)) &&
           (!(has & F(E2_SW_DST_PORT)) || in_span(f->tp_dst, m->dst_port)) &&
           (!(has & F(E2_SW_NSH_SPI)) || m->nsh_spi == f->nsh_spi) &&
           (!(has & F(E2_SW_NSH_SI)) || m->nsh_si == f->nsh_si) &&
           (!(has & F(E2_SW_FLOW_RANGE)) || in_span(p->reg0, m->flow));
}

/* The first rule of @table that matches (rules are sorted by table, then priority). */
static struct mrule *lookup(struct model *m, unsigned table, const struct packet *p)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->v[mid].e.rule.table < table)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < m->n && m->v[i].e.rule.table == table; i++)
        if (matches(&m->v[i].e.rule.match, p)) return &m->v[i];
    return NULL;
}

/* Ethernet (zero addresses, type 0x894f) + NSH base and path headers, as OVS encaps. */
static int push_nsh(struct packet *p, const struct e2_sw_action *a, struct e2_err *err)
{
    static const size_t hdr = 14 + 8;
    if (p->len + hdr > sizeof(p->buf))
        return e2_err_set(err, ENOSPC, "push_nsh: the frame would grow past %zu bytes",
                          sizeof(p->buf));
    memmove(p->buf + hdr, p->buf, p->len);
    uint8_t h[22] = {[12] = 0x89,
                     [13] = 0x4f,
                     /* version 0, TTL 63, length 2 words; MD type 2; next protocol Ethernet */
                     [14] = 0x0f,
                     [15] = 0xc2,
                     [16] = 0x02,
                     [17] = 0x03,
                     [18] = (uint8_t)(a->spi >> 16),
                     [19] = (uint8_t)(a->spi >> 8),
                     [20] = (uint8_t)a->spi,
                     [21] = a->si};
    memcpy(p->buf, h, hdr);
    p->len += hdr;
    return 0;
}

/* Strip Ethernet and NSH; false when the frame is not NSH over Ethernet carrying Ethernet. */
static bool pop_nsh(struct packet *p)
{
    const struct e2_ovs_flow *f = &p->flow;
    if (f->dl_type != E2_OVS_ETH_NSH || !f->nsh_mdtype || f->nsh_np != 3) return false;
    size_t l2 = p->buf[12] == 0x89 && p->buf[13] == 0x4f ? 14 : 18; /* after one VLAN tag */
    size_t nsh = (size_t)(p->buf[l2 + 1] & 0x3f) * 4;
    if (l2 + nsh + 14 > p->len) return false;
    memmove(p->buf, p->buf + l2 + nsh, p->len - l2 - nsh);
    p->len -= l2 + nsh;
    return true;
}

static int output(struct packet *p, uint32_t port, struct e2_sw_verdict *v, struct e2_err *err)
{
    if (port == p->in_port) return 0; /* OpenFlow never sends a frame back where it came in */
    if (v->n_out == E2_SW_OUT_MAX)
        return e2_err_set(err, ENOSPC, "more than %d copies of one frame", E2_SW_OUT_MAX);
    struct e2_sw_out *o = &v->out[v->n_out++];
    o->port = port;
    o->len = p->len;
    memcpy(o->frame, p->buf, p->len);
    return 0;
}

/*
 * One rule's actions; *next is the table to continue in, or -1. A frame that
 * cannot be decapsulated is dropped there (*next = -1, no error), as OVS does.
 */
static int run_actions(const struct e2_sw_rule *r, struct packet *p, struct e2_sw_verdict *v,
                       int *next, struct e2_err *err)
{
    *next = -1;
    for (unsigned i = 0; i < r->n_actions; i++) {
        const struct e2_sw_action *a = &r->actions[i];
        int rc = 0;
        if (a->kind == E2_SW_FLOW_HASH || a->kind == E2_SW_POP_NSH)
            e2_ovs_flow_extract(p->buf, p->len, &p->flow);
        switch (a->kind) {
        case E2_SW_FLOW_HASH: {
            uint32_t mask = (1u << a->hash_bits) - 1;
            v->flow_id = e2_ovs_flow_hash(&p->flow, a->hash_fields, 0) % (1u << a->hash_bits);
            v->has_flow_id = true;
            p->reg0 = (p->reg0 & ~mask) | v->flow_id;
            break;
        }
        case E2_SW_GOTO_TABLE: *next = a->table; break;
        case E2_SW_PUSH_NSH: rc = push_nsh(p, a, err); break;
        case E2_SW_POP_NSH:
            if (!pop_nsh(p)) return 0;
            break;
        case E2_SW_SET_ETH_DST: memcpy(p->buf, a->mac, 6); break;
        case E2_SW_OUTPUT: rc = output(p, a->port, v, err); break;
        case E2_SW_DROP: break;
        }
        if (rc) return rc;
    }
    return 0;
}

int e2_sw_model_classify(struct e2_sw *sw, const uint8_t *frame, size_t len, uint32_t in_port,
                         struct e2_sw_verdict *out, struct e2_err *err)
{
    if (sw->ops != &model_ops)
        return e2_err_set(err, ENOTSUP, "only the model switch classifies frames, not '%s'",
                          sw->ops->name);
    if (len < 14 || len > E2_SW_FRAME_MAX)
        return e2_err_set(err, EINVAL, "a frame of %zu bytes: expected 14..%d", len,
                          E2_SW_FRAME_MAX);
    struct model *m = model_of(sw);
    struct packet *p = calloc(1, sizeof(*p));
    if (!p) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(p->buf, frame, len);
    p->len = len;
    p->in_port = in_port;
    out->n_out = out->n_hits = 0;
    out->has_flow_id = false;
    out->flow_id = 0;
    int rc = 0, table = 0;
    while (!rc && table >= 0) {
        e2_ovs_flow_extract(p->buf, p->len, &p->flow);
        struct mrule *r = lookup(m, (unsigned)table, p);
        if (!r) break;
        r->e.packets++;
        r->e.bytes += p->len;
        out->hit_cookie[out->n_hits++] = r->e.rule.cookie;
        rc = run_actions(&r->e.rule, p, out, &table, err);
    }
    free(p);
    return rc;
}
