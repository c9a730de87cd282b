/*
 * Edge filters for the interconnection: parsed with the NF catalogue (so
 * attribute terms resolve), turned into cubes whose metadata dimensions are
 * the rack-wide tag slots (the traffic class, metadata attributes, filter_in
 * placeholder tags), and specialised per output vport: a port-method
 * attribute is known from the vport the packet left by (FW.safe on "safe"),
 * an attribute a packet cannot carry there is "not set".
 *
 * Tag slots are the same on every server, because NSH carries tags between
 * servers by slot. Only tags something reads get a slot: the class (when an
 * edge is restricted to classes), attributes that filters test, placeholder
 * tags; more than a packet's four slots is an error that names them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

static int scope_type(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    const struct ic *ic = ctx;
    *out = e2_nf_catalog_find(ic->cat, type);
    return *out ? 0 : -ENOENT;
}

int ic_tag_slot(const struct ic *ic, const char *name)
{
    for (size_t i = 0; i < ic->tags.n; i++)
        if (!strcmp(ic->tags.name[i], name)) return (int)i;
    return -1;
}

static int add_tag(struct ic *ic, const char *name)
{
    if (ic_tag_slot(ic, name) >= 0) return 0;
    if (ic->tags.n == IC_TAGS) {
        char have[256] = "";
        for (size_t i = 0; i < ic->tags.n; i++)
            snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s", i ? ", " : "",
                     ic->tags.name[i]);
        return ic_fail(ic, ENOTSUP,
                       "tag \"%s\" needs a slot, but a packet carries %d tags and these take "
                       "them: %s",
                       name, IC_TAGS, have);
    }
    if (!(ic->tags.name[ic->tags.n] = strdup(name))) return ic_fail(ic, ENOMEM, "out of memory");
    ic->tags.n++;
    return 0;
}

static int parse_filter(struct ic *ic, struct ic_pedge *pe)
{
    struct e2_filter_scope scope = {.ctx = ic, .nf_type = scope_type, .attrs = &ic->attrs};
    char origin[48];
    snprintf(origin, sizeof(origin), "pGraph edge %u", pe->id);
    struct e2_filter_src src = {origin, 1, 1};
    return e2_filter_parse(pe->filter, strlen(pe->filter), &src, &scope, &pe->f, ic->err);
}

static const struct e2_nf_desc *node_desc(const struct ic *ic, const char *node)
{
    for (size_t i = 0; i < ic->n_insts; i++)
        if (!strcmp(ic->insts[i].node, node)) return ic->insts[i].desc;
    return NULL;
}

static int placeholder_tag(struct ic *ic, const struct ic_pedge *pe)
{
    const struct e2_nf_desc *d = pe->placeholder ? node_desc(ic, pe->dst) : NULL;
    const struct e2_nf_placeholder *ph = d ? e2_nf_desc_placeholder(d, pe->placeholder) : NULL;
    return ph && ph->method == E2_ATTR_METADATA ? add_tag(ic, ph->tag) : 0;
}

/* Metadata dimensions: tags at their slot; port-method attributes on scratch dimensions. */
static int map_slots(struct ic *ic)
{
    ic->n_slot_dim = ic->attrs.n;
    ic->slot_dim = calloc(ic->n_slot_dim ? ic->n_slot_dim : 1, sizeof(*ic->slot_dim));
    if (!ic->slot_dim) return ic_fail(ic, ENOMEM, "out of memory");
    int scratch = IC_TAGS;
    for (size_t s = 0; s < ic->attrs.n; s++) {
        const struct e2_attr_slot *sl = &ic->attrs.slots[s];
        char name[160];
        snprintf(name, sizeof(name), "%s.%s", sl->nf_type, sl->attr->name);
        if (sl->attr->method == E2_ATTR_METADATA) {
            ic->slot_dim[s] = ic_tag_slot(ic, name);
            continue;
        }
        if (scratch == E2_CUBE_META)
            return ic_fail(ic, ENOTSUP, "filters test more than %d port attributes (%s...)",
                           E2_CUBE_META - IC_TAGS, name);
        ic->slot_dim[s] = scratch++;
    }
    return 0;
}

int ic_tags_plan(struct ic *ic)
{
    int rc = 0;
    for (size_t i = 0; i < ic->n_pedges && !rc; i++)
        if (ic->pedges[i].has_cls) rc = add_tag(ic, E2_IC_CLASS_TAG);
    for (size_t i = 0; i < ic->n_pedges && !rc; i++) rc = parse_filter(ic, &ic->pedges[i]);
    for (size_t s = 0; s < ic->attrs.n && !rc; s++) {
        const struct e2_attr_slot *sl = &ic->attrs.slots[s];
        char name[160];
        snprintf(name, sizeof(name), "%s.%s", sl->nf_type, sl->attr->name);
        if (sl->attr->method == E2_ATTR_METADATA) rc = add_tag(ic, name);
    }
    for (size_t i = 0; i < ic->n_pedges && !rc; i++) rc = placeholder_tag(ic, &ic->pedges[i]);
    return rc ? rc : map_slots(ic);
}

static int slot_dim(void *ctx, unsigned slot)
{
    const struct ic *ic = ctx;
    return slot < ic->n_slot_dim ? ic->slot_dim[slot] : -1;
}

/* Cubes of "class ∈ @cls" on the class tag's dimension. */
static int class_cubes(struct ic *ic, const unsigned *cls, size_t n, struct e2_cubes *out)
{
    unsigned d = E2_CD_META + (unsigned)ic_tag_slot(ic, E2_IC_CLASS_TAG);
    for (size_t i = 0; i < n; i++) {
        struct e2_cube c;
        e2_cube_full(&c);
        c.lo[d] = c.hi[d] = cls[i];
        struct e2_cubes one = {0}, r = {0};
        int rc = e2_cubes_add(&one, &c);
        if (!rc) rc = e2_cubes_or(out, &one, &r);
        e2_cubes_free(&one);
        e2_cubes_free(out);
        *out = r;
        if (rc) return rc;
    }
    return 0;
}

int ic_edge_cubes(struct ic *ic, struct ic_pedge *pe, const struct e2_cubes **out)
{
    *out = &pe->cubes;
    if (pe->cubes_done) return 0;
    struct e2_cube_opts o = {.attrs = &ic->attrs, .slot_dim = slot_dim, .ctx = ic};
    struct e2_cubes f = {0}, cls = {0};
    int rc = e2_filter_cubes(pe->f, &o, &f, ic->err);
    if (!rc && pe->has_cls) rc = class_cubes(ic, pe->cls, pe->n_cls, &cls);
    if (!rc && pe->has_cls) rc = e2_cubes_and(&f, &cls, &pe->cubes);
    if (!rc && !pe->has_cls) {
        pe->cubes = f;
        f = (struct e2_cubes){0};
    }
    e2_cubes_free(&f);
    e2_cubes_free(&cls);
    if (rc == -E2BIG || rc == -ENOMEM)
        ic_fail(ic, rc, "cubes of the class restriction: %s",
                rc == -E2BIG ? "too many" : "out of memory");
    if (rc) return e2_err_prefix(ic->err, "pGraph edge %u [%s]: ", pe->id, pe->filter);
    pe->cubes_done = true;
    return 0;
}

int ic_attr_tag_value(struct ic *ic, const struct e2_nf_attr *a, size_t v, uint64_t *out)
{
    int64_t num = a->values[v].num;
    if (num < 0 || num > (int64_t)UINT32_MAX)
        return ic_fail(ic, ENOTSUP, "attribute %s value %s cannot be a 32-bit tag value", a->name,
                       a->values[v].text);
    *out = (uint64_t)num;
    return 0;
}

/* @in restricted to dimension @d in [lo, hi], with @d then left unconstrained. */
static int fix_dim(const struct e2_cubes *in, unsigned d, uint64_t lo, uint64_t hi,
                   struct e2_cubes *out)
{
    int rc = 0;
    for (size_t i = 0; i < in->n && !rc; i++) {
        struct e2_cube c = in->v[i];
        if (c.hi[d] < lo || c.lo[d] > hi) continue;
        e2_cube_widen(&c, d);
        struct e2_cubes one = {0}, r = {0};
        rc = e2_cubes_add(&one, &c);
        if (!rc) rc = e2_cubes_or(out, &one, &r);
        e2_cubes_free(&one);
        e2_cubes_free(out);
        *out = r;
    }
    return rc;
}

static int output_index(const struct e2_nf_desc *d, const char *port)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (!strcmp(d->outputs[i], port)) return (int)i;
    return -1;
}

/* A port-method attribute of the source's own type, known from the vport. */
static int by_port_value(struct ic *ic, const struct ic_pedge *pe, const struct e2_nf_attr *a,
                         unsigned d, int port, const struct e2_cubes *in, struct e2_cubes *out)
{
    bool first = true;
    int rc = 0;
    for (size_t v = 0; v < a->n_values && !rc; v++) {
        if (a->values[v].port != port) continue;
        uint64_t tag = 0;
        struct e2_cubes x = {0};
        rc = ic_attr_tag_value(ic, a, v, &tag);
        if (!rc) rc = fix_dim(in, d, tag, tag, &x);
        if (!rc && first) {
            *out = x;
            x = (struct e2_cubes){0};
        } else if (!rc) {
            int same = e2_cubes_same(out, &x);
            rc = same < 0 ? same : 0;
            if (same == 0)
                rc = ic_fail(ic, ENOTSUP,
                             "pGraph edge %u [%s]: the filter tells apart values of %s that "
                             "leave by the same output",
                             pe->id, pe->filter, a->name);
        }
        first = false;
        e2_cubes_free(&x);
    }
    return rc;
}

static int swap_in(struct e2_cubes *cur, struct e2_cubes *next, int rc)
{
    if (!rc) {
        e2_cubes_free(cur);
        *cur = *next;
        *next = (struct e2_cubes){0};
    }
    e2_cubes_free(next);
    return rc;
}

int ic_specialise(struct ic *ic, const struct ic_pedge *pe, const struct e2_nf_desc *desc,
                  const char *port, bool no_tags, const struct e2_cubes *in, struct e2_cubes *out)
{
    struct e2_cubes cur = {0};
    int rc = e2_cubes_or(in, &cur, out) ? -ENOMEM : 0; /* a copy */
    for (size_t s = 0; s < ic->attrs.n && !rc; s++) {
        const struct e2_attr_slot *sl = &ic->attrs.slots[s];
        unsigned d = E2_CD_META + (unsigned)ic->slot_dim[s];
        bool own = desc && !strcmp(desc->nf_type, sl->nf_type);
        bool is_port = sl->attr->method == E2_ATTR_PORT;
        struct e2_cubes next = {0};
        if (is_port && own && port)
            rc = by_port_value(ic, pe, sl->attr, d, output_index(desc, port), out, &next);
        else if (is_port || no_tags)
            rc = fix_dim(out, d, E2_CUBE_NONE32, E2_CUBE_NONE32, &next); /* not set here */
        else
            continue;
        rc = swap_in(out, &next, rc);
    }
    if (rc == -E2BIG || rc == -ENOMEM)
        return ic_fail(ic, rc, "pGraph edge %u [%s]: specialising the filter: %s", pe->id,
                       pe->filter, rc == -E2BIG ? "too many cubes" : "out of memory");
    return rc;
}

int ic_edge_cubes_at(struct ic *ic, struct ic_pedge *pe, const struct ic_end *src, const char *port,
                     struct e2_cubes *out)
{
    const struct e2_cubes *all;
    int rc = ic_edge_cubes(ic, pe, &all);
    const struct e2_nf_desc *desc = src->kind == IC_INST ? ic->insts[src->i].desc : NULL;
    bool legacy = desc && desc->api == E2_NF_LEGACY;
    if (!rc && legacy && pe->has_cls)
        return ic_fail(ic, ENOTSUP,
                       "pGraph edge %u (%s -> %s) is told apart by traffic class, which a legacy "
                       "NF cannot carry",
                       pe->id, pe->src, pe->dst);
    return rc ? rc : ic_specialise(ic, pe, desc, port, src->kind == IC_PORT || legacy, all, out);
}
