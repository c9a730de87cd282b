/*
 * Classifier stages: labelled regions (an output's edges, as cubes) ->
 * MetadataMatch and HeaderMatch modules.
 *
 * Regions are made disjoint first (the first listed wins where parallel
 * edges overlap). Their metadata parts (tags and the traffic class) are cut
 * into disjoint "atoms"; a MetadataMatch sends each atom to the HeaderMatch
 * that tells its labels apart by headers (or straight to its one label).
 * HeaderMatch rules come from the cubes through e2_cubes_order(): HeaderMatch
 * writes addresses only as prefixes and cannot say "no ports", so those rules
 * match more than their cube and are ordered after the rules they must not
 * shadow, or split into prefixes. 802.1Q and 802.1ad frames, which filters
 * see as their TPID and nothing behind it but HeaderMatch sees through, are
 * sent by a first rule on `vlan`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

#define DROP_LABEL (-1)

/* ---- HeaderMatch as a target of e2_cubes_order ---- */

static bool addr_dim_ok(const struct e2_cube *c, unsigned d)
{
    return e2_cube_dim_full(c, d) || e2_cube_is_prefix(c->lo[d], c->hi[d]);
}

static bool port_dim_ok(const struct e2_cube *c, unsigned d)
{
    return e2_cube_dim_full(c, d) || c->lo[d] >= 1;
}

static void hm_relax(void *ctx, const struct e2_cube *c, struct e2_cube *m)
{
    (void)ctx;
    *m = *c;
    for (unsigned d = E2_CD_SRC; d <= E2_CD_DST; d++)
        if (!addr_dim_ok(c, d)) e2_cube_widen(m, d);
    for (unsigned d = E2_CD_SPORT; d <= E2_CD_DPORT; d++)
        if (!port_dim_ok(c, d)) e2_cube_widen(m, d);
}

static int hm_split(void *ctx, const struct e2_cube *c, struct e2_cubes *out, struct e2_err *err)
{
    (void)ctx;
    for (unsigned d = E2_CD_SRC; d <= E2_CD_DST; d++)
        if (!addr_dim_ok(c, d)) return e2_cubes_add_prefixes(out, c, d);
    for (unsigned d = E2_CD_SPORT; d <= E2_CD_DPORT; d++) {
        if (!port_dim_ok(c, d) && c->hi[d] > 0)
            return e2_cubes_add_cut(out, c, d, 1); /* none | some */
    }
    return e2_err_set(err, ENOTSUP,
                      "HeaderMatch cannot tell packets without ports (ICMP, later fragments) "
                      "from others here");
}

/* ---- rule text ---- */

static void put_range(struct e2_strbuf *b, const char *key, uint64_t lo, uint64_t hi, bool hex)
{
    const char *sep = b->len ? ", " : "";
    if (lo == hi)
        e2_strbuf_addf(b, "%s%s=%llu", sep, key, (unsigned long long)lo);
    else if (hex)
        e2_strbuf_addf(b, "%s%s=\"0x%llx-0x%llx\"", sep, key, (unsigned long long)lo,
                       (unsigned long long)hi);
    else
        e2_strbuf_addf(b, "%s%s=\"%llu-%llu\"", sep, key, (unsigned long long)lo,
                       (unsigned long long)hi);
}

static void put_prefix(struct e2_strbuf *b, const char *key, uint64_t lo, uint64_t hi)
{
    unsigned len = 32;
    while (len && ((hi - lo + 1) >> (32 - len)) > 1) len--;
    e2_strbuf_addf(b, "%s%s=\"%u.%u.%u.%u/%u\"", b->len ? ", " : "", key, (unsigned)(lo >> 24),
                   (unsigned)(lo >> 16 & 255), (unsigned)(lo >> 8 & 255), (unsigned)(lo & 255),
                   len);
}

void ic_header_rule(const struct e2_cube *c, struct e2_strbuf *b)
{
    bool arp = c->lo[E2_CD_ETH] == c->hi[E2_CD_ETH] &&
               (c->lo[E2_CD_ETH] == E2_ETH_ARP || c->lo[E2_CD_ETH] == E2_ETH_RARP);
    if (!e2_cube_dim_full(c, E2_CD_ETH))
        put_range(b, "ether_type", c->lo[E2_CD_ETH], c->hi[E2_CD_ETH], true);
    if (!e2_cube_dim_full(c, E2_CD_PROTO))
        put_range(b, "proto", c->lo[E2_CD_PROTO], c->hi[E2_CD_PROTO], false);
    if (!e2_cube_dim_full(c, E2_CD_SRC))
        put_prefix(b, arp ? "arp_spa" : "src_ip", c->lo[E2_CD_SRC], c->hi[E2_CD_SRC]);
    if (!e2_cube_dim_full(c, E2_CD_DST))
        put_prefix(b, arp ? "arp_tpa" : "dst_ip", c->lo[E2_CD_DST], c->hi[E2_CD_DST]);
    if (!e2_cube_dim_full(c, E2_CD_TOS))
        put_range(b, "tos", c->lo[E2_CD_TOS], c->hi[E2_CD_TOS], false);
    if (!e2_cube_dim_full(c, E2_CD_SPORT))
        put_range(b, "src_port", c->lo[E2_CD_SPORT] - 1, c->hi[E2_CD_SPORT] - 1, false);
    if (!e2_cube_dim_full(c, E2_CD_DPORT))
        put_range(b, "dst_port", c->lo[E2_CD_DPORT] - 1, c->hi[E2_CD_DPORT] - 1, false);
}

/* ---- regions ---- */

struct item {
    struct e2_cube c;
    int label;
};

struct items {
    struct item *v;
    size_t n, cap;
};

static int item_add(struct items *it, const struct e2_cube *c, int label)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 32;
        struct item *v = realloc(it->v, cap * sizeof(*v));
        if (!v) return -ENOMEM;
        it->v = v;
        it->cap = cap;
    }
    it->v[it->n++] = (struct item){*c, label};
    return 0;
}

/* Each label's cubes minus those of the labels before it. */
static int disjoint_regions(const struct ic_region *r, size_t n, struct items *out)
{
    struct e2_cubes acc = {0};
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct e2_cubes mine = {0}, next = {0};
        rc = e2_cubes_minus(r[i].cubes, &acc, &mine);
        for (size_t k = 0; k < mine.n && !rc; k++) rc = item_add(out, &mine.v[k], r[i].label);
        if (!rc) rc = e2_cubes_or(&acc, r[i].cubes, &next);
        e2_cubes_free(&acc);
        e2_cubes_free(&mine);
        acc = next;
    }
    e2_cubes_free(&acc);
    return rc;
}

static void header_part(const struct e2_cube *c, struct e2_cube *h)
{
    *h = *c;
    for (unsigned d = E2_CD_META; d < E2_CD_COUNT; d++) e2_cube_widen(h, d);
}

static void meta_part(const struct e2_cube *c, struct e2_cube *m)
{
    *m = *c;
    for (unsigned d = 0; d < E2_CD_META; d++) e2_cube_widen(m, d);
}

/* Cut the metadata space into atoms: each item's metadata part is a union of atoms. */
static int atoms_of(const struct items *it, struct e2_cubes *atoms)
{
    struct e2_cube full;
    e2_cube_full(&full);
    int rc = e2_cubes_add(atoms, &full);
    for (size_t i = 0; i < it->n && !rc; i++) {
        struct e2_cube p;
        meta_part(&it->v[i].c, &p);
        struct e2_cubes one = {0}, in = {0}, out = {0}, next = {0};
        rc = e2_cubes_add(&one, &p);
        if (!rc) rc = e2_cubes_and(atoms, &one, &in);
        if (!rc) rc = e2_cubes_minus(atoms, &one, &out);
        for (size_t k = 0; k < in.n && !rc; k++) rc = e2_cubes_add(&next, &in.v[k]);
        for (size_t k = 0; k < out.n && !rc; k++) rc = e2_cubes_add(&next, &out.v[k]);
        if (!rc) {
            e2_cubes_free(atoms);
            *atoms = next;
            next = (struct e2_cubes){0};
        }
        e2_cubes_free(&one);
        e2_cubes_free(&in);
        e2_cubes_free(&out);
        e2_cubes_free(&next);
    }
    return rc;
}

/* The header items of atom @a (items whose metadata part holds it), with their labels. */
static int atom_items(const struct items *it, const struct e2_cube *a, struct items *out)
{
    int rc = 0;
    for (size_t i = 0; i < it->n && !rc; i++) {
        struct e2_cube x, h;
        if (!e2_cube_intersect(&it->v[i].c, a, &x)) continue;
        header_part(&it->v[i].c, &h);
        rc = item_add(out, &h, it->v[i].label);
    }
    return rc;
}

/* The one label of @it when it takes every packet, else -2 (several, or not all). */
static int only_label(const struct items *it)
{
    if (it->n == 0) return DROP_LABEL;
    struct e2_cubes all = {0}, rest = {0}, full = {0};
    struct e2_cube f;
    e2_cube_full(&f);
    int label = it->v[0].label, rc = e2_cubes_add(&full, &f);
    for (size_t i = 0; i < it->n && !rc; i++) {
        if (it->v[i].label != label) label = -2;
        rc = e2_cubes_add(&all, &it->v[i].c);
    }
    if (!rc && label != -2) rc = e2_cubes_minus(&full, &all, &rest);
    if (!rc && rest.n) label = -2;
    e2_cubes_free(&all);
    e2_cubes_free(&rest);
    e2_cubes_free(&full);
    return rc ? -2 : label;
}

/* ---- HeaderMatch ---- */

static int label_at(const struct items *it, uint64_t eth)
{
    uint64_t pt[E2_CD_COUNT];
    for (unsigned d = 0; d < E2_CD_COUNT; d++) pt[d] = e2_cube_dim_max(d);
    pt[E2_CD_ETH] = eth;
    pt[E2_CD_SPORT] = pt[E2_CD_DPORT] = E2_CUBE_NOPORT;
    for (unsigned d = E2_CD_META; d < E2_CD_COUNT; d++) pt[d] = 0;
    for (size_t i = 0; i < it->n; i++)
        if (e2_cube_contains(&it->v[i].c, pt)) return it->v[i].label;
    return DROP_LABEL;
}

/* Items + the rest (dropped), without the tagged frames, as rules for e2_cubes_order. */
static int order_input(const struct items *it, struct e2_cube_rule **in, size_t *n)
{
    struct e2_cubes all = {0}, rest = {0}, tpid = {0}, none = {0};
    struct e2_cube c;
    e2_cube_full(&c);
    int rc = 0;
    for (uint64_t t = 0x8100; t <= 0x88a8 && !rc; t += 0x88a8 - 0x8100) {
        c.lo[E2_CD_ETH] = c.hi[E2_CD_ETH] = t;
        rc = e2_cubes_add(&tpid, &c);
    }
    for (size_t i = 0; i < it->n && !rc; i++) rc = e2_cubes_add(&all, &it->v[i].c);
    if (!rc) rc = e2_cubes_not(&all, &rest);
    *in = calloc(2 * (it->n + rest.n) + 1, sizeof(**in));
    if (!*in) rc = -ENOMEM;
    *n = 0;
    for (size_t i = 0; i < it->n + rest.n && !rc; i++) {
        struct e2_cubes one = {0};
        rc = e2_cubes_add(&one, i < it->n ? &it->v[i].c : &rest.v[i - it->n]);
        if (!rc) rc = e2_cubes_minus(&one, &tpid, &none);
        for (size_t k = 0; k < none.n && !rc; k++) {
            (*in)[*n].cube = none.v[k];
            (*in)[(*n)++].label = i < it->n ? it->v[i].label : DROP_LABEL;
        }
        e2_cubes_free(&one);
        e2_cubes_free(&none);
    }
    e2_cubes_free(&all);
    e2_cubes_free(&rest);
    e2_cubes_free(&tpid);
    return rc;
}

/* The rules of a HeaderMatch telling @it's labels apart; gates = labels. */
static int header_rules(struct ic *ic, const struct items *it, struct e2_strbuf *b)
{
    int tag1 = label_at(it, 0x8100), tag2 = label_at(it, 0x88a8);
    if (tag1 != tag2)
        return ic_fail(ic, ENOTSUP,
                       "the filters tell 802.1Q from 802.1ad frames apart, which "
                       "HeaderMatch (looking through the tags) cannot");
    struct e2_cube_rule *in = NULL, *out = NULL;
    size_t n = 0, n_out = 0;
    int rc = order_input(it, &in, &n);
    struct e2_cube_target t = {.relax = hm_relax, .split = hm_split};
    if (!rc)
        rc = e2_cubes_order(in, n, &t, 0, &out, &n_out, ic->err);
    else
        ic_fail(ic, rc, "out of memory");
    /* The last rule's label is the default gate (every point is in some cube). */
    int deflt = n_out ? out[n_out - 1].label : DROP_LABEL;
    if (!rc) n_out = e2_cube_rules_default(out, n_out, deflt);
    if (!rc) e2_strbuf_addf(b, "rules=[{vlan=\"0-4095\", gate=%d}", tag1);
    for (size_t i = 0; i < n_out && !rc; i++) {
        struct e2_strbuf r = {0};
        ic_header_rule(&out[i].match, &r);
        e2_strbuf_addf(b, ",\n    {%s%sgate=%d}", r.s ? r.s : "", r.len ? ", " : "", out[i].label);
        free(r.s);
    }
    if (!rc) e2_strbuf_addf(b, "], default_gate=%d", deflt);
    free(in);
    free(out);
    return rc;
}

/* ---- MetadataMatch ---- */

/* Conditions of dimension @d's range: up to two alternatives (present range, absent). */
static int meta_alts(const struct ic *ic, const struct e2_cube *a, unsigned d, char alts[2][160])
{
    const char *tag = ic->tags.name[d - E2_CD_META];
    uint64_t lo = a->lo[d], hi = a->hi[d], top = E2_CUBE_NONE32 - 1;
    int n = 0;
    if (lo <= top && hi > top)
        hi = top, snprintf(alts[n++], 160, "{tag=\"%s\", present=false}", tag);
    if (lo == E2_CUBE_NONE32) return snprintf(alts[0], 160, "{tag=\"%s\", present=false}", tag), 1;
    if (lo == hi)
        snprintf(alts[n++], 160, "{tag=\"%s\", value=%llu}", tag, (unsigned long long)lo);
    else
        snprintf(alts[n++], 160, "{tag=\"%s\", lo=%llu, hi=%llu}", tag, (unsigned long long)lo,
                 (unsigned long long)hi);
    return n;
}

/* MetadataMatch rules for atom @a (its tag ranges, every combination), to @gate. */
static int meta_rules(struct ic *ic, const struct e2_cube *a, int gate, struct e2_strbuf *b)
{
    char alts[IC_TAGS][2][160];
    int n[IC_TAGS] = {0}, combos = 1;
    for (unsigned s = 0; s < E2_CUBE_META; s++) {
        unsigned d = E2_CD_META + s;
        if (e2_cube_dim_full(a, d)) continue;
        if (s >= ic->tags.n) return ic_fail(ic, EINVAL, "internal: metadata dimension %u left", s);
        n[s] = meta_alts(ic, a, d, alts[s]);
        combos *= n[s];
    }
    for (int k = 0; k < combos; k++) {
        e2_strbuf_addf(b, "%s\n    {all=[", b->len ? "," : "");
        int rest = k;
        bool first = true;
        for (unsigned s = 0; s < IC_TAGS; s++) {
            if (!n[s]) continue;
            e2_strbuf_addf(b, "%s%s", first ? "" : ", ", alts[s][rest % n[s]]);
            rest /= n[s];
            first = false;
        }
        e2_strbuf_addf(b, "], gate=%d}", gate);
    }
    return 0;
}

/* ---- the stage ---- */

static void exit_add(struct ic_exits *e, long mod, unsigned gate)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->mod[i] == mod && e->gate[i] == gate) return;
    if (e->n < 64) e->mod[e->n] = mod, e->gate[e->n++] = gate;
}

/* A HeaderMatch fed by (@from, @ogate) for @it; its gate L leads to label L. */
static int header_stage(struct ic *ic, struct ic_graph *g, const char *name, long from,
                        unsigned ogate, const struct items *it, struct ic_exits *exits)
{
    int only = only_label(it);
    if (only == DROP_LABEL) return 0; /* unconnected: e2d drops and counts */
    if (only >= 0) {
        exit_add(&exits[only], from, ogate);
        return 0;
    }
    struct e2_strbuf b = {0};
    int rc = header_rules(ic, it, &b);
    if (rc) {
        free(b.s);
        return rc;
    }
    long hm = ic_mod(g, "HeaderMatch", true, false, false, 64, "%s", name);
    ic_mod_args(g, hm, "%s", b.s ? b.s : "");
    free(b.s);
    ic_link(g, from, ogate, hm);
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].label >= 0) exit_add(&exits[it->v[i].label], hm, (unsigned)it->v[i].label);
    return 0;
}

static int meta_stage(struct ic *ic, struct ic_graph *g, const char *prefix, long from,
                      unsigned ogate, const struct items *it, const struct e2_cubes *atoms,
                      size_t n_labels, struct ic_exits *exits)
{
    long mm = ic_mod(g, "MetadataMatch", true, false, false, 64, "%s_mm", prefix);
    struct e2_strbuf rules = {0};
    int rc = 0;
    ic_link(g, from, ogate, mm);
    for (size_t a = 0; a < atoms->n && !rc; a++) {
        struct items sub = {0};
        rc = atom_items(it, &atoms->v[a], &sub);
        int only = rc ? DROP_LABEL : only_label(&sub);
        unsigned gate = only >= 0 ? (unsigned)only : (unsigned)(n_labels + a);
        if (!rc && only >= 0) exit_add(&exits[only], mm, gate);
        if (!rc && only != DROP_LABEL) rc = meta_rules(ic, &atoms->v[a], (int)gate, &rules);
        if (!rc && only == -2) {
            char name[96];
            snprintf(name, sizeof(name), "%s_hm%zu", prefix, a);
            rc = header_stage(ic, g, name, mm, gate, &sub, exits);
        }
        free(sub.v);
    }
    ic_mod_args(g, mm, "rules=[%s], default_gate=-1", rules.s ? rules.s : "");
    free(rules.s);
    return rc;
}

int ic_classify(struct ic *ic, struct ic_graph *g, const char *prefix, long from, unsigned ogate,
                const struct ic_region *regions, size_t n, struct ic_exits *exits)
{
    struct items it = {0};
    struct e2_cubes atoms = {0};
    for (size_t i = 0; i < n; i++) exits[i].n = 0;
    int rc = disjoint_regions(regions, n, &it);
    if (!rc) rc = atoms_of(&it, &atoms);
    if (rc == -ENOMEM || rc == -E2BIG)
        rc = ic_fail(ic, rc, "%s: the classifier needs too many cubes", prefix);
    else if (!rc && atoms.n == 1) {
        struct items h = {0};
        rc = atom_items(&it, &atoms.v[0], &h);
        char name[96];
        snprintf(name, sizeof(name), "%s_hm", prefix);
        if (!rc) rc = header_stage(ic, g, name, from, ogate, &h, exits);
        free(h.v);
    } else if (!rc) {
        rc = meta_stage(ic, g, prefix, from, ogate, &it, &atoms, n, exits);
    }
    free(it.v);
    e2_cubes_free(&atoms);
    return rc;
}
