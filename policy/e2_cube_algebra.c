/*
 * Cube algebra: canonical form, intersection, difference, complement, merging.
 *
 * Canonical form: the fields that exist only for some packets (protocol, TOS
 * and addresses behind the EtherType; ports behind the IP protocol) are
 * constrained only when what they depend on is a single value, and then only
 * within the values such packets can have ("natural" range); a constraint
 * equal to the natural range is written as no constraint. So two cubes that
 * hold the same packets look the same, and targets find every prerequisite
 * (an EtherType for an address, a protocol for a port) in the cube itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_cubes.h"
#include "e2_strbuf.h"

static const uint64_t dim_max[E2_CD_META] = {
    [E2_CD_ETH] = 0xffff,         [E2_CD_PROTO] = E2_CUBE_NONE8, [E2_CD_SRC] = E2_CUBE_NONE32,
    [E2_CD_DST] = E2_CUBE_NONE32, [E2_CD_TOS] = E2_CUBE_NONE8,   [E2_CD_SPORT] = 65536,
    [E2_CD_DPORT] = 65536,
};

uint64_t e2_cube_dim_max(unsigned d)
{
    return d < E2_CD_META ? dim_max[d] : E2_CUBE_NONE32;
}

const char *e2_cube_dim_name(unsigned d)
{
    static const char *const names[E2_CD_COUNT] = {
        "eth_type", "proto", "src",  "dst",  "tos",  "sport", "dport", "tag0",
        "tag1",     "tag2",  "tag3", "tag4", "tag5", "tag6",  "tag7",
    };
    return d < E2_CD_COUNT ? names[d] : "?";
}

void e2_cube_full(struct e2_cube *c)
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++) {
        c->lo[d] = 0;
        c->hi[d] = e2_cube_dim_max(d);
    }
}

bool e2_cube_dim_full(const struct e2_cube *c, unsigned d)
{
    return c->lo[d] == 0 && c->hi[d] == e2_cube_dim_max(d);
}

void e2_cube_widen(struct e2_cube *c, unsigned d)
{
    c->lo[d] = 0;
    c->hi[d] = e2_cube_dim_max(d);
}

bool e2_cube_is_prefix(uint64_t lo, uint64_t hi)
{
    uint64_t size = hi - lo + 1;
    return (size & (size - 1)) == 0 && (lo & (size - 1)) == 0;
}

bool e2_cube_intersect(const struct e2_cube *a, const struct e2_cube *b, struct e2_cube *out)
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++) {
        out->lo[d] = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
        out->hi[d] = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];
        if (out->lo[d] > out->hi[d]) return false;
    }
    return true;
}

bool e2_cube_contains(const struct e2_cube *c, const uint64_t point[E2_CD_COUNT])
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++)
        if (point[d] < c->lo[d] || point[d] > c->hi[d]) return false;
    return true;
}

static bool disjoint(const struct e2_cube *a, const struct e2_cube *b)
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++)
        if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d]) return true;
    return false;
}

/* ---- lists ---- */

void e2_cubes_free(struct e2_cubes *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static size_t bound(const struct e2_cubes *l)
{
    return l->max ? l->max : E2_CUBES_MAX;
}

static int push(struct e2_cubes *l, const struct e2_cube *c)
{
    if (l->n >= bound(l)) return -E2BIG;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        struct e2_cube *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *c;
    return 0;
}

/* ---- canonical form ---- */

enum ecat { CAT_IP4, CAT_IP6, CAT_ARP, CAT_OTHER };

static enum ecat eth_cat(uint64_t eth)
{
    switch (eth) {
    case E2_ETH_IP4: return CAT_IP4;
    case E2_ETH_IP6: return CAT_IP6;
    case E2_ETH_ARP:
    case E2_ETH_RARP: return CAT_ARP;
    default: return CAT_OTHER;
    }
}

/* The values dimension @d takes for packets of category @k (ports: see port_natural). */
static void natural(unsigned d, enum ecat k, uint64_t *lo, uint64_t *hi)
{
    bool has;
    switch (d) {
    case E2_CD_PROTO: has = k == CAT_IP4 || k == CAT_IP6; break;
    case E2_CD_TOS: has = k == CAT_IP4; break;
    default: has = k == CAT_IP4 || k == CAT_ARP; break; /* addresses */
    }
    *lo = has ? 0 : dim_max[d];
    *hi = has ? dim_max[d] - 1 : dim_max[d];
}

static bool is_port_proto(uint64_t p)
{
    return p == 6 || p == 17 || p == 132;
}

/* Ports of category @k, protocol @proto (one value): IPv4 may lack them (a later fragment). */
static void port_natural(enum ecat k, uint64_t proto, uint64_t *lo, uint64_t *hi)
{
    bool ports = (k == CAT_IP4 || k == CAT_IP6) && is_port_proto(proto);
    *lo = ports && k == CAT_IP6 ? 1 : 0;
    *hi = ports ? 65536 : 0;
}

/* Clamp dimension @d to [nlo, nhi]; unconstrained when equal to it. False when empty. */
static bool clamp(struct e2_cube *c, unsigned d, uint64_t nlo, uint64_t nhi)
{
    if (c->lo[d] < nlo) c->lo[d] = nlo;
    if (c->hi[d] > nhi) c->hi[d] = nhi;
    if (c->lo[d] > c->hi[d]) return false;
    if (c->lo[d] == nlo && c->hi[d] == nhi) e2_cube_widen(c, d);
    return true;
}

static bool any_constrained(const struct e2_cube *c, unsigned from, unsigned to)
{
    for (unsigned d = from; d <= to; d++)
        if (!e2_cube_dim_full(c, d)) return true;
    return false;
}

/* Pieces of [lo, hi] cut at single values @cuts (ascending): at most 2 n + 1. */
static size_t cut(uint64_t lo, uint64_t hi, const uint64_t *cuts, size_t n, uint64_t (*out)[2])
{
    size_t k = 0;
    uint64_t at = lo;
    for (size_t i = 0; i < n && at <= hi; i++) {
        if (cuts[i] < at || cuts[i] > hi) continue;
        if (cuts[i] > at) out[k][0] = at, out[k++][1] = cuts[i] - 1;
        out[k][0] = out[k][1] = cuts[i];
        k++;
        at = cuts[i] + 1;
    }
    if (at <= hi) out[k][0] = at, out[k++][1] = hi;
    return k;
}

/* A cube whose EtherType is one category: its ports, per protocol. */
static int canon_ports(struct e2_cube *c, enum ecat k, struct e2_cubes *out)
{
    if (!any_constrained(c, E2_CD_SPORT, E2_CD_DPORT)) return push(out, c);
    static const uint64_t protos[] = {6, 17, 132};
    uint64_t plo = c->lo[E2_CD_PROTO], phi = c->hi[E2_CD_PROTO], pieces[8][2];
    if (k != CAT_IP4 && k != CAT_IP6) plo = phi = E2_CUBE_NONE8;
    if (phi == E2_CUBE_NONE8 && plo < phi) phi--; /* IP: the protocol is present */
    size_t n = cut(plo, phi, protos, 3, pieces);
    for (size_t i = 0; i < n; i++) {
        struct e2_cube p = *c;
        p.lo[E2_CD_PROTO] = pieces[i][0];
        p.hi[E2_CD_PROTO] = pieces[i][1];
        uint64_t nlo, nhi;
        port_natural(k, pieces[i][0], &nlo, &nhi);
        if (!clamp(&p, E2_CD_SPORT, nlo, nhi) || !clamp(&p, E2_CD_DPORT, nlo, nhi)) continue;
        natural(E2_CD_PROTO, k, &nlo, &nhi);
        if (!clamp(&p, E2_CD_PROTO, nlo, nhi)) continue;
        int rc = push(out, &p);
        if (rc) return rc;
    }
    return 0;
}

/* Split by EtherType category where a dependent field is constrained, and clamp. */
static int canon(const struct e2_cube *c, struct e2_cubes *out)
{
    if (!any_constrained(c, E2_CD_PROTO, E2_CD_DPORT)) return push(out, c);
    static const uint64_t eths[] = {E2_ETH_IP4, E2_ETH_ARP, E2_ETH_RARP, E2_ETH_IP6};
    uint64_t pieces[12][2];
    size_t n = cut(c->lo[E2_CD_ETH], c->hi[E2_CD_ETH], eths, 4, pieces);
    for (size_t i = 0; i < n; i++) {
        struct e2_cube p = *c;
        p.lo[E2_CD_ETH] = pieces[i][0];
        p.hi[E2_CD_ETH] = pieces[i][1];
        enum ecat k = pieces[i][0] == pieces[i][1] ? eth_cat(pieces[i][0]) : CAT_OTHER;
        bool ok = true;
        for (unsigned d = E2_CD_PROTO; d <= E2_CD_TOS && ok; d++) {
            uint64_t nlo, nhi;
            natural(d, k, &nlo, &nhi);
            ok = clamp(&p, d, nlo, nhi);
        }
        if (!ok) continue;
        int rc = canon_ports(&p, k, out);
        if (rc) return rc;
    }
    return 0;
}

int e2_cubes_add(struct e2_cubes *l, const struct e2_cube *c)
{
    return canon(c, l);
}

int e2_cubes_add_cut(struct e2_cubes *l, const struct e2_cube *c, unsigned d, uint64_t at)
{
    struct e2_cube below = *c, above = *c;
    below.hi[d] = at - 1;
    above.lo[d] = at;
    int rc = canon(&below, l);
    return rc ? rc : canon(&above, l);
}

int e2_cubes_add_prefixes(struct e2_cubes *l, const struct e2_cube *c, unsigned d)
{
    for (uint64_t at = c->lo[d]; at <= c->hi[d];) {
        uint64_t size = at ? at & -at : 1ull << 63;
        while (at + size - 1 > c->hi[d] || at + size - 1 < at) size >>= 1;
        struct e2_cube p = *c;
        p.lo[d] = at;
        p.hi[d] = at + size - 1;
        int rc = canon(&p, l);
        if (rc) return rc;
        at += size;
    }
    return 0;
}

/* ---- set operations ---- */

/* @x minus @y, appended to @out. */
static int subtract(const struct e2_cube *x, const struct e2_cube *y, struct e2_cubes *out)
{
    if (disjoint(x, y)) return canon(x, out);
    struct e2_cube cur = *x;
    for (unsigned d = 0; d < E2_CD_COUNT; d++) {
        int rc = 0;
        if (cur.lo[d] < y->lo[d]) {
            struct e2_cube p = cur;
            p.hi[d] = y->lo[d] - 1;
            cur.lo[d] = y->lo[d];
            rc = canon(&p, out);
        }
        if (!rc && cur.hi[d] > y->hi[d]) {
            struct e2_cube p = cur;
            p.lo[d] = y->hi[d] + 1;
            cur.hi[d] = y->hi[d];
            rc = canon(&p, out);
        }
        if (rc) return rc;
    }
    return 0;
}

static void take(struct e2_cubes *to, struct e2_cubes *from)
{
    size_t max = to->max;
    e2_cubes_free(to);
    *to = *from;
    to->max = max;
    *from = (struct e2_cubes){.max = max};
}

int e2_cubes_minus(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out)
{
    struct e2_cubes acc = {.max = out->max}, next = {.max = out->max};
    int rc = 0;
    for (size_t i = 0; i < a->n && !rc; i++) rc = push(&acc, &a->v[i]);
    for (size_t j = 0; j < b->n && !rc && acc.n; j++) {
        for (size_t i = 0; i < acc.n && !rc; i++) rc = subtract(&acc.v[i], &b->v[j], &next);
        if (!rc) take(&acc, &next);
        if (!rc && acc.n > 64) rc = e2_cubes_merge(&acc);
    }
    e2_cubes_free(&next);
    if (!rc) rc = e2_cubes_merge(&acc);
    if (!rc) take(out, &acc);
    e2_cubes_free(&acc);
    return rc;
}

int e2_cubes_not(const struct e2_cubes *a, struct e2_cubes *out)
{
    struct e2_cubes all = {0};
    struct e2_cube full;
    e2_cube_full(&full);
    int rc = push(&all, &full);
    if (!rc) rc = e2_cubes_minus(&all, a, out);
    e2_cubes_free(&all);
    return rc;
}

int e2_cubes_and(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out)
{
    struct e2_cubes r = {.max = out->max};
    int rc = 0;
    for (size_t i = 0; i < a->n && !rc; i++)
        for (size_t j = 0; j < b->n && !rc; j++) {
            struct e2_cube c;
            if (e2_cube_intersect(&a->v[i], &b->v[j], &c)) rc = canon(&c, &r);
        }
    if (!rc) rc = e2_cubes_merge(&r);
    if (!rc) take(out, &r);
    e2_cubes_free(&r);
    return rc;
}

int e2_cubes_or(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out)
{
    struct e2_cubes rest = {.max = out->max}, r = {.max = out->max};
    int rc = e2_cubes_minus(b, a, &rest);
    for (size_t i = 0; i < a->n && !rc; i++) rc = push(&r, &a->v[i]);
    for (size_t i = 0; i < rest.n && !rc; i++) rc = push(&r, &rest.v[i]);
    if (!rc) rc = e2_cubes_merge(&r);
    if (!rc) take(out, &r);
    e2_cubes_free(&rest);
    e2_cubes_free(&r);
    return rc;
}

int e2_cubes_same(const struct e2_cubes *a, const struct e2_cubes *b)
{
    struct e2_cubes d = {.max = a->max > b->max ? a->max : b->max};
    int rc = e2_cubes_minus(a, b, &d);
    if (!rc && !d.n) rc = e2_cubes_minus(b, a, &d);
    bool same = !rc && !d.n;
    e2_cubes_free(&d);
    return rc ? rc : same;
}

long e2_cubes_find(const struct e2_cubes *l, const uint64_t point[E2_CD_COUNT])
{
    for (size_t i = 0; i < l->n; i++)
        if (e2_cube_contains(&l->v[i], point)) return (long)i;
    return -1;
}

/* ---- merging ---- */

static int cmp_but(const void *pa, const void *pb, void *ctx)
{
    const struct e2_cube *a = pa, *b = pb;
    unsigned merge_dim = *(const unsigned *)ctx;
    for (unsigned d = 0; d < E2_CD_COUNT; d++) {
        if (d == merge_dim) continue;
        if (a->lo[d] != b->lo[d]) return a->lo[d] < b->lo[d] ? -1 : 1;
        if (a->hi[d] != b->hi[d]) return a->hi[d] < b->hi[d] ? -1 : 1;
    }
    return (a->lo[merge_dim] > b->lo[merge_dim]) - (a->lo[merge_dim] < b->lo[merge_dim]);
}

static bool same_but(const struct e2_cube *a, const struct e2_cube *b, unsigned k)
{
    for (unsigned d = 0; d < E2_CD_COUNT; d++)
        if (d != k && (a->lo[d] != b->lo[d] || a->hi[d] != b->hi[d])) return false;
    return true;
}

/* One pass along dimension @k; returns how many cubes it removed. */
static size_t merge_along(struct e2_cubes *l, unsigned k)
{
    if (l->n < 2) return 0;
    qsort_r(l->v, l->n, sizeof(*l->v), cmp_but, &k);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct e2_cube *last = w ? &l->v[w - 1] : NULL;
        if (last && same_but(last, &l->v[i], k) && last->hi[k] + 1 == l->v[i].lo[k]) {
            last->hi[k] = l->v[i].hi[k];
            continue;
        }
        l->v[w++] = l->v[i];
    }
    size_t removed = l->n - w;
    l->n = w;
    return removed;
}

/* Re-canonicalise (a merge can widen a range to its natural one). */
static int renormalise(struct e2_cubes *l)
{
    struct e2_cubes r = {.max = l->max ? l->max : E2_CUBES_MAX};
    int rc = 0;
    for (size_t i = 0; i < l->n && !rc; i++) rc = canon(&l->v[i], &r);
    if (!rc) take(l, &r);
    e2_cubes_free(&r);
    return rc;
}

int e2_cubes_merge(struct e2_cubes *l)
{
    for (int round = 0; round < 64; round++) {
        size_t removed = 0;
        for (unsigned k = 0; k < E2_CD_COUNT; k++) removed += merge_along(l, k);
        if (!removed) return 0;
        int rc = renormalise(l);
        if (rc) return rc;
    }
    return 0;
}

/* ---- text ---- */

static int put_value(char *buf, size_t room, unsigned d, uint64_t v)
{
    if (d == E2_CD_ETH) return snprintf(buf, room, "0x%llx", (unsigned long long)v);
    if (d == E2_CD_SPORT || d == E2_CD_DPORT)
        return v ? snprintf(buf, room, "%llu", (unsigned long long)v - 1)
                 : snprintf(buf, room, "none");
    if (v == e2_cube_dim_max(d)) return snprintf(buf, room, "none");
    if (d == E2_CD_SRC || d == E2_CD_DST)
        return snprintf(buf, room, "%u.%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 16 & 255),
                        (unsigned)(v >> 8 & 255), (unsigned)(v & 255));
    return snprintf(buf, room, "%llu", (unsigned long long)v);
}

size_t e2_cube_print(const struct e2_cube *c, char *buf, size_t len)
{
    struct e2_strbuf b = E2_STRBUF_FIXED(buf, len);
    for (unsigned d = 0; d < E2_CD_COUNT; d++) {
        if (e2_cube_dim_full(c, d)) continue;
        char lo[32], hi[32];
        put_value(lo, sizeof(lo), d, c->lo[d]);
        put_value(hi, sizeof(hi), d, c->hi[d]);
        e2_strbuf_addf(&b, "%s%s=%s", b.len ? " " : "", e2_cube_dim_name(d), lo);
        if (c->hi[d] != c->lo[d]) e2_strbuf_addf(&b, "-%s", hi);
    }
    if (!b.len) e2_strbuf_addf(&b, "all");
    return b.len;
}
