/*
 * Lowering: the syntax tree -> byte-load comparisons (IR), primitive by
 * primitive as libpcap 1.10's gencode.c does for DLT_EN10MB: link type at
 * 12, network header at 14, each `vlan` shifting both by 4 for everything
 * written after it; IPv4 transport headers at 14 + 4 * IHL, only in first
 * fragments; IPv6 transport headers right after the 40-byte header. The
 * order of checks follows libpcap's, which matters only for which load a
 * truncated packet fails on (and BPF rejects the packet on any such load).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"

#define ETH_IP   0x0800
#define ETH_IP6  0x86dd
#define ETH_ARP  0x0806
#define ETH_RARP 0x8035

struct lower {
    struct e2_filter *f;
    size_t cap_ir, cap_ar;
    uint32_t s; /* VLAN shift */
    bool oom;
};

static int32_t ir_add(struct lower *L, struct e2_ir n)
{
    struct e2_filter *f = L->f;
    if (L->oom) return 0;
    if (f->n_ir == L->cap_ir) {
        size_t cap = L->cap_ir ? 2 * L->cap_ir : 32;
        struct e2_ir *v = realloc(f->ir, cap * sizeof(*v));
        if (!v) {
            L->oom = true;
            return 0;
        }
        f->ir = v;
        L->cap_ir = cap;
    }
    f->ir[f->n_ir] = n;
    return (int32_t)f->n_ir++;
}

static int32_t ar_add(struct lower *L, struct e2_ir_arith n)
{
    struct e2_filter *f = L->f;
    if (L->oom) return 0;
    if (f->n_ar == L->cap_ar) {
        size_t cap = L->cap_ar ? 2 * L->cap_ar : 16;
        struct e2_ir_arith *v = realloc(f->ar, cap * sizeof(*v));
        if (!v) {
            L->oom = true;
            return 0;
        }
        f->ar = v;
        L->cap_ar = cap;
    }
    f->ar[f->n_ar] = n;
    return (int32_t)f->n_ar++;
}

static int32_t mcmp(struct lower *L, uint32_t off, uint8_t size, uint8_t op, uint32_t mask,
                    uint32_t k)
{
    return ir_add(L, (struct e2_ir){.kind = IR_CMP,
                                    .op = op,
                                    .size = size,
                                    .base = BASE_ABS,
                                    .off = off,
                                    .mask = mask,
                                    .k = k});
}

static int32_t cmp(struct lower *L, uint32_t off, uint8_t size, uint8_t op, uint32_t k)
{
    return mcmp(L, off, size, op, 0xffffffffu, k);
}

static int32_t l4cmp(struct lower *L, uint32_t off, uint8_t op, uint32_t k)
{
    uint32_t nh = 14 + L->s;
    return ir_add(L, (struct e2_ir){.kind = IR_CMP,
                                    .op = op,
                                    .size = 2,
                                    .base = BASE_L4,
                                    .nh = (uint16_t)nh,
                                    .off = nh + off,
                                    .mask = 0xffffffffu,
                                    .k = k});
}

static int32_t and2(struct lower *L, int32_t a, int32_t b)
{
    return ir_add(L, (struct e2_ir){.kind = IR_AND, .a = a, .b = b});
}

static int32_t or2(struct lower *L, int32_t a, int32_t b)
{
    return ir_add(L, (struct e2_ir){.kind = IR_OR, .a = a, .b = b});
}

static int32_t not1(struct lower *L, int32_t a)
{
    return ir_add(L, (struct e2_ir){.kind = IR_NOT, .a = a});
}

static int32_t linktype(struct lower *L, uint32_t type)
{
    return cmp(L, 12 + L->s, 2, CMP_EQ, type);
}

static int32_t ipv4_proto(struct lower *L, uint32_t proto)
{
    return and2(L, linktype(L, ETH_IP), cmp(L, 23 + L->s, 1, CMP_EQ, proto));
}

/* IPv6 next header, or a fragment header followed by it. */
static int32_t ipv6_proto(struct lower *L, uint32_t proto)
{
    int32_t direct = cmp(L, 20 + L->s, 1, CMP_EQ, proto);
    int32_t frag = and2(L, cmp(L, 20 + L->s, 1, CMP_EQ, 44), cmp(L, 54 + L->s, 1, CMP_EQ, proto));
    return and2(L, linktype(L, ETH_IP6), or2(L, direct, frag));
}

static const uint32_t pq_ipproto[PQ_COUNT] = {
    [PQ_TCP] = 6, [PQ_UDP] = 17, [PQ_SCTP] = 132, [PQ_ICMP] = 1, [PQ_ICMP6] = 58, [PQ_IGMP] = 2};

static int32_t abbrev(struct lower *L, uint8_t pq)
{
    switch (pq) {
    case PQ_IP: return linktype(L, ETH_IP);
    case PQ_IP6: return linktype(L, ETH_IP6);
    case PQ_ARP: return linktype(L, ETH_ARP);
    case PQ_RARP: return linktype(L, ETH_RARP);
    case PQ_ICMP:
    case PQ_IGMP: return ipv4_proto(L, pq_ipproto[pq]);
    case PQ_ICMP6: return ipv6_proto(L, 58);
    default: return or2(L, ipv4_proto(L, pq_ipproto[pq]), ipv6_proto(L, pq_ipproto[pq]));
    }
}

static int32_t ipfrag_first(struct lower *L)
{
    return not1(L, cmp(L, 20 + L->s, 2, CMP_SET, 0x1fff));
}

/* ---- ports ---- */

struct port_spec {
    const struct e2_ast *a;
    bool v6;
};

static int32_t port_atom(struct lower *L, const struct port_spec *ps, uint32_t off)
{
    const struct e2_ast *a = ps->a;
    if (ps->v6) {
        uint32_t at = 54 + L->s + off;
        if (!a->is_range) return cmp(L, at, 2, CMP_EQ, a->lo);
        return and2(L, cmp(L, at, 2, CMP_GE, a->lo), not1(L, cmp(L, at, 2, CMP_GT, a->hi)));
    }
    if (!a->is_range) return l4cmp(L, off, CMP_EQ, a->lo);
    return and2(L, l4cmp(L, off, CMP_GE, a->lo), not1(L, l4cmp(L, off, CMP_GT, a->hi)));
}

static int32_t by_dir(struct lower *L, uint8_t dq,
                      int32_t (*atom)(struct lower *, const void *, uint32_t), const void *arg,
                      uint32_t src_off, uint32_t dst_off)
{
    switch (dq) {
    case DQ_SRC: return atom(L, arg, src_off);
    case DQ_DST: return atom(L, arg, dst_off);
    case DQ_AND: return and2(L, atom(L, arg, src_off), atom(L, arg, dst_off));
    default: return or2(L, atom(L, arg, src_off), atom(L, arg, dst_off));
    }
}

static int32_t port_atom_cb(struct lower *L, const void *arg, uint32_t off)
{
    return port_atom(L, arg, off);
}

static int32_t portop(struct lower *L, const struct port_spec *ps, uint32_t proto)
{
    int32_t sel = by_dir(L, ps->a->q.dq, port_atom_cb, ps, 0, 2);
    if (ps->v6) return and2(L, cmp(L, 20 + L->s, 1, CMP_EQ, proto), sel);
    int32_t pre = and2(L, cmp(L, 23 + L->s, 1, CMP_EQ, proto), ipfrag_first(L));
    return and2(L, pre, sel);
}

static int32_t ports_for(struct lower *L, const struct port_spec *ps)
{
    uint8_t pq = ps->a->q.pq;
    int32_t b;
    if (pq == PQ_DEFAULT)
        b = or2(L, or2(L, portop(L, ps, 132), portop(L, ps, 6)), portop(L, ps, 17));
    else
        b = portop(L, ps, pq_ipproto[pq]);
    return and2(L, linktype(L, ps->v6 ? ETH_IP6 : ETH_IP), b);
}

static int32_t lower_port(struct lower *L, const struct e2_ast *a)
{
    struct port_spec v6 = {a, true}, v4 = {a, false};
    int32_t b6 = ports_for(L, &v6);
    return or2(L, b6, ports_for(L, &v4));
}

/* ---- hosts ---- */

struct host_spec {
    const struct e2_ast *a;
    uint32_t ethertype;
};

static int32_t host4_atom(struct lower *L, const void *arg, uint32_t off)
{
    const struct host_spec *h = arg;
    return and2(L, linktype(L, h->ethertype),
                mcmp(L, 14 + L->s + off, 4, CMP_EQ, h->a->mask4, h->a->addr4));
}

static int32_t host4_for(struct lower *L, const struct e2_ast *a, uint32_t ethertype)
{
    struct host_spec h = {a, ethertype};
    bool ip = ethertype == ETH_IP;
    return by_dir(L, a->q.dq, host4_atom, &h, ip ? 12 : 14, ip ? 16 : 24);
}

static int32_t lower_host4(struct lower *L, const struct e2_ast *a)
{
    switch (a->q.pq) {
    case PQ_IP: return host4_for(L, a, ETH_IP);
    case PQ_ARP: return host4_for(L, a, ETH_ARP);
    case PQ_RARP: return host4_for(L, a, ETH_RARP);
    default: break;
    }
    int32_t b = or2(L, host4_for(L, a, ETH_IP), host4_for(L, a, ETH_ARP));
    return or2(L, b, host4_for(L, a, ETH_RARP));
}

static uint32_t be32(const uint8_t *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static int32_t host6_atom(struct lower *L, const void *arg, uint32_t off)
{
    const struct e2_ast *a = arg;
    int32_t acc = linktype(L, ETH_IP6);
    for (unsigned w = 0; w < 4; w++) {
        unsigned bits = a->prefix6 > 32 * w ? a->prefix6 - 32 * w : 0;
        uint32_t mask = bits >= 32 ? 0xffffffffu : bits ? 0xffffffffu << (32 - bits) : 0;
        acc =
            and2(L, acc, mcmp(L, 14 + L->s + off + 4 * w, 4, CMP_EQ, mask, be32(a->addr6 + 4 * w)));
    }
    return acc;
}

static int32_t ehost_atom(struct lower *L, const void *arg, uint32_t off)
{
    const uint8_t *mac = arg;
    uint32_t lo = be32(mac + 2), hi = ((uint32_t)mac[0] << 8) | mac[1];
    return and2(L, cmp(L, off + 2, 4, CMP_EQ, lo), cmp(L, off, 2, CMP_EQ, hi));
}

/* ---- the rest ---- */

static int32_t lower_proto(struct lower *L, const struct e2_ast *a)
{
    switch (a->q.pq) {
    case PQ_IP: return ipv4_proto(L, a->num);
    case PQ_IP6: return ipv6_proto(L, a->num);
    case PQ_LINK: return linktype(L, a->num);
    default: return or2(L, ipv4_proto(L, a->num), ipv6_proto(L, a->num));
    }
}

static int32_t lower_vlan(struct lower *L, const struct e2_ast *a)
{
    uint32_t at = 12 + L->s;
    int32_t tpid = or2(L, or2(L, cmp(L, at, 2, CMP_EQ, 0x8100), cmp(L, at, 2, CMP_EQ, 0x88a8)),
                       cmp(L, at, 2, CMP_EQ, 0x9100));
    if (a->has_num) tpid = and2(L, tpid, mcmp(L, at + 2, 2, CMP_EQ, 0x0fff, a->num));
    L->s += 4;
    return tpid;
}

static int32_t lower_mcast(struct lower *L, const struct e2_ast *a)
{
    switch (a->q.pq) {
    case PQ_IP: return and2(L, linktype(L, ETH_IP), cmp(L, 30 + L->s, 1, CMP_GE, 224));
    case PQ_IP6: return and2(L, linktype(L, ETH_IP6), cmp(L, 38 + L->s, 1, CMP_EQ, 255));
    default: return cmp(L, 0, 1, CMP_SET, 1);
    }
}

static int32_t len_cmp(struct lower *L, uint8_t op, uint32_t k)
{
    return ir_add(
        L, (struct e2_ir){.kind = IR_CMP, .op = op, .base = BASE_LEN, .mask = 0xffffffffu, .k = k});
}

/* Guards collected while lowering one relation (protocol checks of its loads). */
struct guards {
    int32_t v[64];
    size_t n;
    bool overflow;
};

static void guard(struct guards *g, int32_t ir)
{
    if (g->n < sizeof(g->v) / sizeof(g->v[0]))
        g->v[g->n++] = ir;
    else
        g->overflow = true;
}

static int32_t lower_arith(struct lower *L, const struct e2_arith *a, struct guards *g);

static int32_t lower_load(struct lower *L, const struct e2_arith *a, struct guards *g)
{
    struct e2_ir_arith n = {.kind = AR_LOAD, .size = a->size, .base = BASE_ABS};
    uint8_t pq = a->pq;
    if (pq >= PQ_TCP && pq != PQ_ICMP6) guard(g, linktype(L, ETH_IP));
    if (pq == PQ_ICMP6) guard(g, linktype(L, ETH_IP6));
    n.a = lower_arith(L, a->a, g);
    switch (pq) {
    case PQ_LINK: n.k = 0; break;
    case PQ_IP:
    case PQ_IP6:
    case PQ_ARP:
    case PQ_RARP:
        guard(g, abbrev(L, pq));
        n.k = 14 + L->s;
        break;
    case PQ_ICMP6:
        guard(g, linktype(L, ETH_IP6));
        guard(g, cmp(L, 20 + L->s, 1, CMP_EQ, 58));
        n.k = 54 + L->s;
        break;
    default:
        guard(g, abbrev(L, pq));
        guard(g, ipfrag_first(L));
        n.base = BASE_L4;
        n.nh = (uint16_t)(14 + L->s);
        n.k = 14 + L->s;
        break;
    }
    return ar_add(L, n);
}

static int32_t lower_arith(struct lower *L, const struct e2_arith *a, struct guards *g)
{
    switch (a->kind) {
    case AR_NUM: return ar_add(L, (struct e2_ir_arith){.kind = AR_NUM, .k = a->num});
    case AR_LEN: return ar_add(L, (struct e2_ir_arith){.kind = AR_LEN});
    case AR_LOAD: return lower_load(L, a, g);
    case AR_NEG: {
        int32_t x = lower_arith(L, a->a, g);
        return ar_add(L, (struct e2_ir_arith){.kind = AR_NEG, .a = x});
    }
    case AR_BIN: break;
    }
    /* libpcap's gen_arth keeps only the left operand's protocol checks. */
    struct guards lost = {.n = 0};
    int32_t x = lower_arith(L, a->a, g);
    int32_t y = lower_arith(L, a->b, &lost);
    return ar_add(L, (struct e2_ir_arith){.kind = AR_BIN, .op = (uint8_t)a->op, .a = x, .b = y});
}

static int32_t lower_rel(struct lower *L, const struct e2_ast *a)
{
    struct guards g = {.n = 0};
    int32_t x = lower_arith(L, a->a, &g);
    int32_t y = lower_arith(L, a->b, &g);
    static const uint8_t ops[] = {[REL_EQ] = CMP_EQ, [REL_NE] = CMP_EQ, [REL_GT] = CMP_GT,
                                  [REL_GE] = CMP_GE, [REL_LT] = CMP_GE, [REL_LE] = CMP_GT};
    int32_t r = ir_add(L, (struct e2_ir){.kind = IR_REL, .op = ops[a->relop], .a = x, .b = y});
    if (a->relop == REL_NE || a->relop == REL_LT || a->relop == REL_LE) r = not1(L, r);
    if (g.overflow) L->oom = true;
    while (g.n) r = and2(L, g.v[--g.n], r);
    return r;
}

static int32_t lower_node(struct lower *L, const struct e2_ast *a)
{
    switch (a->kind) {
    case A_AND:
    case A_OR: {
        int32_t l = lower_node(L, a->l);
        int32_t r = lower_node(L, a->r);
        return a->kind == A_AND ? and2(L, l, r) : or2(L, l, r);
    }
    case A_NOT: return not1(L, lower_node(L, a->l));
    case A_HOST4: return lower_host4(L, a);
    case A_HOST6: return by_dir(L, a->q.dq, host6_atom, a, 8, 24);
    case A_EHOST: return by_dir(L, a->q.dq, ehost_atom, a->mac, 6, 0);
    case A_PORT: return lower_port(L, a);
    case A_PROTO: return lower_proto(L, a);
    case A_ABBREV: return abbrev(L, a->q.pq);
    case A_VLAN: return lower_vlan(L, a);
    case A_BCAST: return and2(L, cmp(L, 2, 4, CMP_EQ, 0xffffffffu), cmp(L, 0, 2, CMP_EQ, 0xffff));
    case A_MCAST: return lower_mcast(L, a);
    case A_LESS: return not1(L, len_cmp(L, CMP_GT, a->num));
    case A_GREATER: return len_cmp(L, CMP_GE, a->num);
    case A_REL: return lower_rel(L, a);
    case A_ATTR:
        L->f->has_attrs = true;
        return ir_add(L, (struct e2_ir){.kind = IR_ATTR,
                                        .slot = a->slot,
                                        .relop = a->relop,
                                        .atype = (uint8_t)a->atype,
                                        .v = a->val,
                                        .str = a->str});
    }
    return 0;
}

int e2_filter_lower(struct e2_filter *f, const struct e2_filter_src *src, struct e2_err *err)
{
    struct lower L = {.f = f};
    f->root = f->ast ? lower_node(&L, f->ast) : ir_add(&L, (struct e2_ir){.kind = IR_TRUE});
    if (L.oom) return e2_err_set(err, ENOMEM, "%s: error: out of memory", src->file);
    return 0;
}
