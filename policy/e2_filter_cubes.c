/*
 * A filter's syntax tree -> cubes, primitive by primitive with the meaning
 * e2_filter_lower.c gives it (libpcap 1.10 for DLT_EN10MB), and the point of
 * a frame, read as those primitives read it.
 */
#include <errno.h>
#include <string.h>

#include "e2_filter_cubes.h"
#include "e2_filter_int.h"

struct conv {
    const struct e2_cube_opts *o;
    size_t max;
    struct e2_err *err;
};

static int one(struct conv *cv, const struct e2_cube *c, struct e2_cubes *out)
{
    out->max = cv->max;
    return e2_cubes_add(out, c);
}

/* A cube with dimension @d in [lo, hi], and the EtherType @eth (or any, when -1). */
static void box(struct e2_cube *c, long eth, unsigned d, uint64_t lo, uint64_t hi)
{
    e2_cube_full(c);
    c->lo[d] = lo;
    c->hi[d] = hi;
    if (eth >= 0) c->lo[E2_CD_ETH] = c->hi[E2_CD_ETH] = (uint64_t)eth;
}

/* Combine @b into @acc: acc = acc op b (op: 'a'nd, 'o'r); @b is freed. */
static int fold(struct conv *cv, struct e2_cubes *acc, struct e2_cubes *b, char op)
{
    struct e2_cubes r = {.max = cv->max};
    int rc = op == 'a' ? e2_cubes_and(acc, b, &r) : e2_cubes_or(acc, b, &r);
    e2_cubes_free(b);
    e2_cubes_free(acc);
    *acc = r;
    return rc;
}

/* Union of a cube per EtherType in @eths (n of them), each with @d in [lo, hi]. */
static int per_eth(struct conv *cv, const uint32_t *eths, size_t n, unsigned d, uint64_t lo,
                   uint64_t hi, struct e2_cubes *out)
{
    out->max = cv->max;
    for (size_t i = 0; i < n; i++) {
        struct e2_cube c;
        box(&c, eths[i], d, lo, hi);
        int rc = e2_cubes_add(out, &c);
        if (rc) return rc;
    }
    return 0;
}

/* src, dst, "src or dst", "src and dst" of @base on dimensions @ds/@dd. */
static int by_dir(struct conv *cv, const struct e2_cubes *base, uint8_t dq, unsigned ds,
                  unsigned dd, uint64_t lo, uint64_t hi, struct e2_cubes *out)
{
    struct e2_cubes s = {.max = cv->max}, t = {.max = cv->max}, sel = {.max = cv->max};
    struct e2_cube c;
    int rc = 0;
    if (dq != DQ_DST) {
        box(&c, -1, ds, lo, hi);
        rc = one(cv, &c, &s);
    }
    if (!rc && dq != DQ_SRC) {
        box(&c, -1, dd, lo, hi);
        rc = one(cv, &c, &t);
    }
    if (!rc && dq == DQ_SRC) rc = e2_cubes_and(base, &s, out);
    if (!rc && dq == DQ_DST) rc = e2_cubes_and(base, &t, out);
    if (!rc && dq == DQ_AND) rc = e2_cubes_and(&s, &t, &sel);
    if (!rc && (dq == DQ_OR || dq == DQ_DEFAULT)) rc = e2_cubes_or(&s, &t, &sel);
    if (!rc && sel.n) rc = e2_cubes_and(base, &sel, out);
    e2_cubes_free(&s);
    e2_cubes_free(&t);
    e2_cubes_free(&sel);
    return rc;
}

static int unsupported(struct conv *cv, const char *what)
{
    return e2_err_set(cv->err, ENOTSUP, "cannot be exact as header and tag ranges: %s", what);
}

static int host4(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    uint32_t m = a->mask4;
    if (m & (~m >> 1)) /* a set bit right of a clear one */
        return unsupported(cv, "a netmask that is not a prefix");
    uint64_t lo = a->addr4 & m, hi = lo | (uint64_t)(~m & 0xffffffffu);
    static const uint32_t all[] = {E2_ETH_IP4, E2_ETH_ARP, E2_ETH_RARP};
    uint32_t eth = a->q.pq == PQ_IP ? E2_ETH_IP4 : a->q.pq == PQ_ARP ? E2_ETH_ARP : E2_ETH_RARP;
    bool every = a->q.pq == PQ_DEFAULT;
    struct e2_cubes base = {.max = cv->max};
    int rc = per_eth(cv, every ? all : &eth, every ? 3 : 1, E2_CD_ETH, 0, 0xffff, &base);
    if (!rc) rc = by_dir(cv, &base, a->q.dq, E2_CD_SRC, E2_CD_DST, lo, hi, out);
    e2_cubes_free(&base);
    return rc;
}

static int port(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    static const uint32_t eths[] = {E2_ETH_IP4, E2_ETH_IP6};
    static const uint8_t protos[PQ_COUNT] = {[PQ_TCP] = 6, [PQ_UDP] = 17, [PQ_SCTP] = 132};
    struct e2_cubes base = {.max = cv->max};
    int rc = 0;
    for (unsigned pq = PQ_TCP; pq <= PQ_SCTP && !rc; pq++) {
        if (a->q.pq != PQ_DEFAULT && a->q.pq != pq) continue;
        struct e2_cubes p = {.max = cv->max};
        rc = per_eth(cv, eths, 2, E2_CD_PROTO, protos[pq], protos[pq], &p);
        if (!rc) rc = fold(cv, &base, &p, 'o');
    }
    if (!rc)
        rc = by_dir(cv, &base, a->q.dq, E2_CD_SPORT, E2_CD_DPORT, a->lo + 1ull, a->hi + 1ull, out);
    e2_cubes_free(&base);
    return rc;
}

/* IP protocol @num over IPv4 and/or IPv6. */
static int ip_proto(struct conv *cv, bool v4, bool v6, uint32_t num, struct e2_cubes *out)
{
    uint32_t eths[2];
    size_t n = 0;
    if (v4) eths[n++] = E2_ETH_IP4;
    if (v6) eths[n++] = E2_ETH_IP6;
    out->max = cv->max;
    if (num > 255) return 0; /* a byte never holds it */
    return per_eth(cv, eths, n, E2_CD_PROTO, num, num, out);
}

static int ether(struct conv *cv, uint32_t eth, struct e2_cubes *out)
{
    out->max = cv->max;
    if (eth > 0xffff) return 0;
    return per_eth(cv, &eth, 1, E2_CD_ETH, eth, eth, out);
}

static int proto(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    switch (a->q.pq) {
    case PQ_LINK: return ether(cv, a->num, out);
    case PQ_IP: return ip_proto(cv, true, false, a->num, out);
    case PQ_IP6: return ip_proto(cv, false, true, a->num, out);
    case PQ_DEFAULT: return ip_proto(cv, true, true, a->num, out);
    default: return unsupported(cv, "'proto' with this qualifier");
    }
}

static int abbrev(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    static const uint8_t num[PQ_COUNT] = {[PQ_TCP] = 6,  [PQ_UDP] = 17,   [PQ_SCTP] = 132,
                                          [PQ_ICMP] = 1, [PQ_ICMP6] = 58, [PQ_IGMP] = 2};
    switch (a->q.pq) {
    case PQ_IP: return ether(cv, E2_ETH_IP4, out);
    case PQ_IP6: return ether(cv, E2_ETH_IP6, out);
    case PQ_ARP: return ether(cv, E2_ETH_ARP, out);
    case PQ_RARP: return ether(cv, E2_ETH_RARP, out);
    case PQ_ICMP:
    case PQ_IGMP: return ip_proto(cv, true, false, num[a->q.pq], out);
    case PQ_ICMP6: return ip_proto(cv, false, true, 58, out);
    case PQ_TCP:
    case PQ_UDP:
    case PQ_SCTP: return ip_proto(cv, true, true, num[a->q.pq], out);
    default: return unsupported(cv, "this protocol name");
    }
}

/* Values x in [0, max] with (x relop k), as up to two ranges; returns how many. */
static int rel_ranges(uint8_t relop, int64_t k, uint64_t max, uint64_t r[2][2])
{
    int64_t top = (int64_t)max;
    int64_t lo = 0, hi = top;
    switch (relop) {
    case REL_EQ: lo = hi = k; break;
    case REL_GT: lo = k + 1; break;
    case REL_GE: lo = k; break;
    case REL_LT: hi = k - 1; break;
    case REL_LE: hi = k; break;
    default: { /* REL_NE */
        int n = 0;
        if (k > 0) r[n][0] = 0, r[n++][1] = (uint64_t)(k - 1 < top ? k - 1 : top);
        if (k < top) r[n][0] = (uint64_t)(k + 1 > 0 ? k + 1 : 0), r[n++][1] = max;
        return n;
    }
    }
    if (lo < 0) lo = 0;
    if (hi > top) hi = top;
    if (lo > hi) return 0;
    r[0][0] = (uint64_t)lo;
    r[0][1] = (uint64_t)hi;
    return 1;
}

static int ranges_on(struct conv *cv, long eth, unsigned d, uint64_t r[2][2], int n,
                     struct e2_cubes *out)
{
    out->max = cv->max;
    for (int i = 0; i < n; i++) {
        struct e2_cube c;
        box(&c, eth, d, r[i][0], r[i][1]);
        int rc = e2_cubes_add(out, &c);
        if (rc) return rc;
    }
    return 0;
}

static bool is_tos_load(const struct e2_arith *x)
{
    return x->kind == AR_LOAD && x->pq == PQ_IP && x->size == 1 && x->a->kind == AR_NUM &&
           x->a->num == 1;
}

/* The one byte-offset expression with a field behind it: ip[1] (E2's `tos N`). */
static int rel(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    static const uint8_t flip[] = {[REL_EQ] = REL_EQ, [REL_NE] = REL_NE, [REL_GT] = REL_LT,
                                   [REL_GE] = REL_LE, [REL_LT] = REL_GT, [REL_LE] = REL_GE};
    const struct e2_arith *x = a->a, *k = a->b;
    uint8_t op = a->relop;
    if (!is_tos_load(x)) {
        x = a->b;
        k = a->a;
        op = flip[op];
    }
    if (!is_tos_load(x) || k->kind != AR_NUM)
        return unsupported(cv, "a byte-offset expression (only ip[1], the TOS byte, is a field)");
    uint64_t r[2][2];
    int n = rel_ranges(op, k->num, 255, r);
    return ranges_on(cv, E2_ETH_IP4, E2_CD_TOS, r, n, out);
}

static int attr(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    const struct e2_cube_opts *o = cv->o;
    int dim = o && o->slot_dim ? o->slot_dim(o->ctx, a->slot) : -1;
    if (dim < 0 || dim >= E2_CUBE_META)
        return e2_err_set(cv->err, ENOTSUP, "attribute %s: no metadata dimension for it", a->ref);
    unsigned d = E2_CD_META + (unsigned)dim;
    uint64_t r[2][2], tag_max = E2_CUBE_NONE32 - 1;
    int n;
    if (a->atype == E2_ATTR_BOOL) {
        r[0][0] = 1;
        r[0][1] = tag_max;
        n = 1;
    } else if (a->atype == E2_ATTR_INT) {
        n = rel_ranges(a->relop, a->val, tag_max, r);
    } else {
        const struct e2_nf_attr *at = o->attrs ? o->attrs->slots[a->slot].attr : NULL;
        long idx = -1;
        for (size_t i = 0; at && i < at->n_values; i++)
            if (!strcmp(at->values[i].text, a->str)) idx = (long)i;
        if (idx < 0)
            return unsupported(cv, "a string attribute with an open domain (its tag "
                                   "values are the NF's own, not the description's)");
        n = rel_ranges(a->relop, idx, tag_max, r);
    }
    return ranges_on(cv, -1, d, r, n, out);
}

static int conv(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out);

static int binary(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    struct e2_cubes l = {.max = cv->max}, r = {.max = cv->max};
    int rc = conv(cv, a->l, &l);
    if (!rc) rc = conv(cv, a->r, &r);
    if (!rc) rc = fold(cv, &l, &r, a->kind == A_AND ? 'a' : 'o');
    if (!rc) {
        e2_cubes_free(out);
        *out = l;
        l = (struct e2_cubes){0};
    }
    e2_cubes_free(&l);
    e2_cubes_free(&r);
    return rc;
}

static int negate(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    struct e2_cubes x = {.max = cv->max};
    int rc = conv(cv, a->l, &x);
    out->max = cv->max;
    if (!rc) rc = e2_cubes_not(&x, out);
    e2_cubes_free(&x);
    return rc;
}

static int conv(struct conv *cv, const struct e2_ast *a, struct e2_cubes *out)
{
    switch (a->kind) {
    case A_AND:
    case A_OR: return binary(cv, a, out);
    case A_NOT: return negate(cv, a, out);
    case A_HOST4: return host4(cv, a, out);
    case A_PORT: return port(cv, a, out);
    case A_PROTO: return proto(cv, a, out);
    case A_ABBREV: return abbrev(cv, a, out);
    case A_REL: return rel(cv, a, out);
    case A_ATTR: return attr(cv, a, out);
    case A_HOST6: return unsupported(cv, "an IPv6 address");
    case A_EHOST: return unsupported(cv, "a MAC address ('ether host')");
    case A_VLAN: return unsupported(cv, "'vlan' (a tag shifts every header after it)");
    case A_BCAST:
    case A_MCAST: return unsupported(cv, "'broadcast'/'multicast'");
    case A_LESS:
    case A_GREATER: return unsupported(cv, "the frame length ('less', 'greater', 'len')");
    }
    return unsupported(cv, "this primitive");
}

int e2_filter_cubes(const struct e2_filter *f, const struct e2_cube_opts *o, struct e2_cubes *out,
                    struct e2_err *err)
{
    struct conv cv = {o, o && o->max ? o->max : E2_CUBES_MAX, err};
    out->max = cv.max;
    int rc;
    if (!f->ast) {
        struct e2_cube all;
        e2_cube_full(&all);
        rc = e2_cubes_add(out, &all);
    } else {
        rc = conv(&cv, f->ast, out);
    }
    if (rc == -E2BIG)
        return e2_err_set(err, E2BIG,
                          "the filter needs more than %zu cubes (disjoint "
                          "conjunctions of field ranges)",
                          cv.max);
    if (rc == -ENOMEM) return e2_err_set(err, ENOMEM, "out of memory");
    return rc;
}

/* ---- points ---- */

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return be16(p) << 16 | be16(p + 2);
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static int point_ports(const uint8_t *l4, const uint8_t *end, uint64_t *pt)
{
    if (l4 + 4 > end) return -1;
    pt[E2_CD_SPORT] = be16(l4) + 1ull;
    pt[E2_CD_DPORT] = be16(l4 + 2) + 1ull;
    return 0;
}

static int point_ip4(const uint8_t *f, uint32_t len, uint64_t *pt)
{
    unsigned ihl = (f[14] & 15u) * 4;
    if (len < 34 || ihl < 20 || len < 14 + ihl) return -1;
    pt[E2_CD_PROTO] = f[23];
    pt[E2_CD_TOS] = f[15];
    pt[E2_CD_SRC] = be32(f + 26);
    pt[E2_CD_DST] = be32(f + 30);
    bool later = (be16(f + 20) & 0x1fff) != 0;
    if (!has_ports(f[23]) || later) return 0;
    return point_ports(f + 14 + ihl, f + len, pt);
}

static int point_ip6(const uint8_t *f, uint32_t len, uint64_t *pt)
{
    if (len < 54 || f[20] == 44) return -1;
    pt[E2_CD_PROTO] = f[20];
    return has_ports(f[20]) ? point_ports(f + 54, f + len, pt) : 0;
}

int e2_cube_point(const uint8_t *frame, uint32_t len, uint64_t point[E2_CD_COUNT])
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++) point[d] = e2_cube_dim_max(d);
    point[E2_CD_SPORT] = point[E2_CD_DPORT] = E2_CUBE_NOPORT;
    if (len < 14) return -1;
    point[E2_CD_ETH] = be16(frame + 12);
    switch (point[E2_CD_ETH]) {
    case E2_ETH_IP4: return point_ip4(frame, len, point);
    case E2_ETH_IP6: return point_ip6(frame, len, point);
    case E2_ETH_ARP:
    case E2_ETH_RARP:
        if (len < 42) return -1;
        point[E2_CD_SRC] = be32(frame + 28);
        point[E2_CD_DST] = be32(frame + 38);
        return 0;
    default: return 0;
    }
}
