/*
 * Attributes and the class tag in the packet space: each attribute slot is a
 * "present" bit and a value code (see e2_pspace.h for the codes); the class
 * tag is a code 0 .. n-1. Attribute terms of filters become sets of codes.
 */
#include <string.h>

#include "e2_pspace_int.h"

static unsigned bits_for(uint64_t max_code)
{
    unsigned w = 0;
    while (w < 64 && (max_code >> w)) w++;
    return w;
}

static uint64_t n_codes(const struct e2_attr_slot *s)
{
    const struct e2_nf_attr *a = s->attr;
    if (a->type == E2_ATTR_BOOL) return 2;
    if (a->n_values) return a->n_values;
    if (a->has_range) return (uint64_t)a->max - (uint64_t)a->min + 1; /* 0 means 2^64 */
    return s->n_strings + 1;
}

static struct e2_pspace_slot *slot_vars(struct e2_pspace *ps, unsigned slot)
{
    struct e2_pspace_slot *s = &ps->slots[slot];
    if (s->var >= 0) return s;
    s->n_codes = n_codes(&ps->attrs->slots[slot]);
    s->width = s->n_codes ? bits_for(s->n_codes - 1) : 64;
    s->var = e2_pspace_new_vars(ps, 1 + s->width, PV_ATTR, slot);
    if (s->var < 0) ps->oom = true;
    return s;
}

e2_bdd e2_pspace_vars_cmp(struct e2_pspace *ps, uint32_t first, uint32_t width, uint64_t c, int op)
{
    struct e2_bdd_mgr *m = ps->m;
    if (width < 64 && (c >> width)) return op < 0 ? E2_BDD_TRUE : E2_BDD_FALSE;
    e2_bdd r = E2_BDD_TRUE; /* equal so far, from the least significant bit */
    for (uint32_t i = 0; i < width; i++) {
        e2_bdd x = e2_bdd_var(m, first + width - 1 - i);
        bool k = (c >> i) & 1;
        if (op == 0)
            r = e2_bdd_and(m, r, k ? x : e2_bdd_not(m, x));
        else if (op > 0) /* x >= c */
            r = k ? e2_bdd_and(m, x, r) : e2_bdd_or(m, x, r);
        else /* x <= c */
            r = k ? e2_bdd_or(m, e2_bdd_not(m, x), r) : e2_bdd_and(m, e2_bdd_not(m, x), r);
    }
    return r;
}

static e2_bdd present(struct e2_pspace *ps, const struct e2_pspace_slot *s)
{
    return e2_bdd_var(ps->m, (uint32_t)s->var);
}

static e2_bdd code_is(struct e2_pspace *ps, const struct e2_pspace_slot *s, uint64_t c)
{
    return e2_pspace_vars_cmp(ps, (uint32_t)s->var + 1, s->width, c, 0);
}

/* Codes lo..hi (inclusive, lo <= hi). */
static e2_bdd code_range(struct e2_pspace *ps, const struct e2_pspace_slot *s, uint64_t lo,
                         uint64_t hi)
{
    return e2_bdd_and(ps->m, e2_pspace_vars_cmp(ps, (uint32_t)s->var + 1, s->width, lo, 1),
                      e2_pspace_vars_cmp(ps, (uint32_t)s->var + 1, s->width, hi, -1));
}

static bool holds(uint8_t relop, int64_t x, int64_t v)
{
    switch (relop) {
    case REL_EQ: return x == v;
    case REL_NE: return x != v;
    case REL_GT: return x > v;
    case REL_GE: return x >= v;
    case REL_LT: return x < v;
    default: return x <= v;
    }
}

/* int with a range: the values satisfying "x relop v" form one or two intervals. */
static e2_bdd range_term(struct e2_pspace *ps, const struct e2_pspace_slot *s,
                         const struct e2_nf_attr *a, uint8_t relop, int64_t v)
{
    int64_t lo = a->min, hi = a->max;
    switch (relop) {
    case REL_EQ: lo = hi = v; break;
    case REL_NE: {
        e2_bdd eq = range_term(ps, s, a, REL_EQ, v);
        return e2_bdd_not(ps->m, eq);
    }
    case REL_GT: lo = v == INT64_MAX ? hi + 1 : (v + 1 > lo ? v + 1 : lo); break;
    case REL_GE: lo = v > lo ? v : lo; break;
    case REL_LT: hi = v == INT64_MIN ? lo - 1 : (v - 1 < hi ? v - 1 : hi); break;
    default: hi = v < hi ? v : hi; break;
    }
    if (lo > hi || lo > a->max || hi < a->min) return E2_BDD_FALSE;
    if (lo < a->min) lo = a->min;
    if (hi > a->max) hi = a->max;
    return code_range(ps, s, (uint64_t)lo - (uint64_t)a->min, (uint64_t)hi - (uint64_t)a->min);
}

static uint64_t string_code(const struct e2_attr_slot *slot, const char *str)
{
    const struct e2_nf_attr *a = slot->attr;
    for (size_t i = 0; i < a->n_values; i++)
        if (!strcmp(a->values[i].text, str)) return i;
    for (size_t i = 0; i < slot->n_strings; i++)
        if (!strcmp(slot->strings[i], str)) return i + 1;
    return 0;
}

int e2_pspace_attr_term(struct e2_pspace *ps, const struct e2_ir *n, e2_bdd *out)
{
    const struct e2_attr_slot *slot = &ps->attrs->slots[n->slot];
    const struct e2_nf_attr *a = slot->attr;
    struct e2_pspace_slot *s = slot_vars(ps, n->slot);
    struct e2_bdd_mgr *m = ps->m;
    if (s->var < 0) return 0;
    e2_bdd set = E2_BDD_FALSE;
    if (a->type == E2_ATTR_BOOL) {
        set = code_is(ps, s, 1);
    } else if (a->type == E2_ATTR_STRING) {
        set = code_is(ps, s, string_code(slot, n->str));
        if (n->relop == REL_NE) set = e2_bdd_not(m, set);
    } else if (a->n_values) {
        for (size_t i = 0; i < a->n_values; i++)
            if (holds(n->relop, a->values[i].num, n->v)) set = e2_bdd_or(m, set, code_is(ps, s, i));
    } else {
        set = range_term(ps, s, a, n->relop, n->v);
    }
    *out = e2_bdd_and(m, present(ps, s), set);
    return 0;
}

e2_bdd e2_pspace_domain(struct e2_pspace *ps)
{
    struct e2_bdd_mgr *m = ps->m;
    e2_bdd d = E2_BDD_TRUE;
    for (size_t i = 0; i < ps->attrs->n; i++) {
        const struct e2_pspace_slot *s = &ps->slots[i];
        if (s->var < 0) continue;
        e2_bdd valid =
            s->n_codes ? e2_pspace_vars_cmp(ps, (uint32_t)s->var + 1, s->width, s->n_codes - 1, -1)
                       : E2_BDD_TRUE;
        d = e2_bdd_and(m, d, e2_bdd_ite(m, present(ps, s), valid, code_is(ps, s, 0)));
    }
    if (ps->class_var >= 0)
        d = e2_bdd_and(m, d,
                       e2_pspace_vars_cmp(ps, (uint32_t)ps->class_var, ps->class_width,
                                          ps->n_classes - 1, -1));
    return d;
}

e2_bdd e2_pspace_attrs_of(struct e2_pspace *ps, const char *nf_type)
{
    e2_bdd r = E2_BDD_TRUE;
    for (size_t i = 0; i < ps->attrs->n; i++) {
        if (strcmp(ps->attrs->slots[i].nf_type, nf_type)) continue;
        r = e2_bdd_and(ps->m, r, present(ps, slot_vars(ps, (unsigned)i)));
    }
    return r;
}

e2_bdd e2_pspace_no_attrs(struct e2_pspace *ps)
{
    e2_bdd r = E2_BDD_TRUE;
    for (size_t i = 0; i < ps->attrs->n; i++)
        r = e2_bdd_and(ps->m, r, e2_bdd_not(ps->m, present(ps, slot_vars(ps, (unsigned)i))));
    return r;
}

e2_bdd e2_pspace_attr_on_port(struct e2_pspace *ps, unsigned slot, int port)
{
    const struct e2_nf_attr *a = ps->attrs->slots[slot].attr;
    struct e2_pspace_slot *s = slot_vars(ps, slot);
    e2_bdd set = E2_BDD_FALSE;
    for (size_t i = 0; i < a->n_values; i++) {
        uint64_t code = a->type == E2_ATTR_BOOL ? (uint64_t)a->values[i].num : i;
        if (a->values[i].port == port) set = e2_bdd_or(ps->m, set, code_is(ps, s, code));
    }
    return e2_bdd_and(ps->m, present(ps, s), set);
}

void e2_pspace_class_init(struct e2_pspace *ps, unsigned n)
{
    ps->n_classes = n ? n : 1;
    ps->class_width = bits_for(ps->n_classes - 1);
    if (!ps->class_width) ps->class_width = 1;
    ps->class_var = e2_pspace_new_vars(ps, ps->class_width, PV_CLASS, 0);
    if (ps->class_var < 0) ps->oom = true;
}

e2_bdd e2_pspace_class_in(struct e2_pspace *ps, const unsigned *ids, size_t n)
{
    e2_bdd r = E2_BDD_FALSE;
    for (size_t i = 0; i < n && ps->class_var >= 0; i++)
        r = e2_bdd_or(ps->m, r,
                      e2_pspace_vars_cmp(ps, (uint32_t)ps->class_var, ps->class_width, ids[i], 0));
    return r;
}
