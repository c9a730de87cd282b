/*
 * Building the pGraph: resolve every name of a parsed policy (nodes, NF
 * types, placeholders, filters), then merge the pipelets' edges.
 */
#include "e2_pgraph.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct build {
    struct e2_pgraph *g;
    const struct e2_policy *pol;
    const struct e2_nf_catalog *cat;
    struct e2_err *err;
};

static int fail(const struct build *b, struct e2_pos at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const struct build *b, struct e2_pos at, int code, const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(b->err, code, "%s:%d:%d: error: %s", b->pol->file, at.line, at.col, msg);
}

static int oom(const struct build *b)
{
    return e2_err_set(b->err, ENOMEM, "%s: error: out of memory", b->pol->file);
}

static int find_node(const struct e2_pgraph *g, const char *name)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return (int)i;
    return -1;
}

static int add_node(struct build *b, struct e2_pnode n)
{
    struct e2_pgraph *g = b->g;
    struct e2_pnode *v = realloc(g->nodes, (g->n_nodes + 1) * sizeof(*v));
    if (!v) return -ENOMEM;
    g->nodes = v;
    v[g->n_nodes] = n;
    v[g->n_nodes].name = strdup(n.name);
    v[g->n_nodes].nf_type = n.nf_type ? strdup(n.nf_type) : NULL;
    if (!v[g->n_nodes].name || (n.nf_type && !v[g->n_nodes].nf_type)) return -ENOMEM;
    return (int)g->n_nodes++;
}

static int find_addr(const struct e2_pgraph *g, const char *name)
{
    for (size_t i = 0; i < g->n_addrs; i++)
        if (!strcmp(g->addr_names[i], name)) return (int)i;
    return -1;
}

static int add_address(struct build *b, const struct e2_decl *d)
{
    struct e2_pgraph *g = b->g;
    if (find_addr(g, d->name) >= 0)
        return fail(b, d->pos, EINVAL, "address '%s' is declared twice", d->name);
    struct e2_addr *a = realloc(g->addrs, (g->n_addrs + 1) * sizeof(*a));
    if (a) g->addrs = a;
    char **n = realloc(g->addr_names, (g->n_addrs + 1) * sizeof(*n));
    if (n) g->addr_names = n;
    if (!a || !n || !(n[g->n_addrs] = strdup(d->name))) return oom(b);
    a[g->n_addrs++] = d->addr;
    return 0;
}

/* Register the port-method attribute of an NF type, so output ports can be told apart. */
static int port_attr_slot(struct build *b, const struct e2_nf_desc *d)
{
    for (size_t i = 0; d && i < d->n_attrs; i++)
        if (d->attrs[i].method == E2_ATTR_PORT &&
            e2_attr_table_slot(&b->g->attrs, d->nf_type, &d->attrs[i]) < 0)
            return oom(b);
    return 0;
}

static int add_decl_node(struct build *b, const struct e2_decl *d)
{
    struct e2_pgraph *g = b->g;
    int other = find_node(g, d->name);
    if (other >= 0)
        return fail(b, d->pos, EINVAL, "'%s' is already declared at line %d", d->name,
                    g->nodes[other].pos.line);
    if (!strcmp(d->name, "Drop")) return fail(b, d->pos, EINVAL, "'Drop' is a predefined node");
    struct e2_pnode n = {.name = d->name, .pos = d->pos};
    if (d->kind == E2_DECL_PORT) {
        n.kind = E2_NODE_PORT;
        n.port_lo = d->port_lo;
        n.port_hi = d->port_hi;
        for (size_t i = 0; i < g->n_nodes; i++) {
            const struct e2_pnode *o = &g->nodes[i];
            if (o->kind == E2_NODE_PORT && o->port_lo <= n.port_hi && n.port_lo <= o->port_hi)
                return fail(b, d->pos, EINVAL, "ports %u-%u of '%s' overlap those of '%s' (%u-%u)",
                            n.port_lo, n.port_hi, d->name, o->name, o->port_lo, o->port_hi);
        }
    } else if (!strcmp(d->type, "Tee")) {
        n.kind = E2_NODE_TEE;
        n.nf_type = d->type;
    } else {
        n.kind = E2_NODE_NF;
        n.nf_type = d->type;
        n.desc = e2_nf_catalog_find(b->cat, d->type);
        if (b->cat && !n.desc)
            return fail(b, d->type_pos, EINVAL,
                        "unknown NF type '%s': no NF description declares it", d->type);
        int rc = port_attr_slot(b, n.desc);
        if (rc) return rc;
    }
    return add_node(b, n) < 0 ? oom(b) : 0;
}

/* ---- filter scope: the policy's addresses and NF types ---- */

static int scope_address(void *ctx, const char *name, struct e2_addr *out)
{
    const struct e2_pgraph *g = ctx;
    int i = find_addr(g, name);
    if (i < 0) return -ENOENT;
    *out = g->addrs[i];
    return 0;
}

static int scope_nf_type(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    const struct e2_pgraph *g = ctx;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct e2_pnode *n = &g->nodes[i];
        if (n->kind == E2_NODE_NF && !strcmp(n->nf_type, type)) {
            *out = n->desc;
            return 0;
        }
    }
    return find_node(g, type) >= 0 ? -EISDIR : -ENOENT;
}

/* ---- edges ---- */

static int resolve_node(struct build *b, const char *name, struct e2_pos pos, bool is_src)
{
    struct e2_pgraph *g = b->g;
    int i = find_node(g, name);
    if (i < 0 && !strcmp(name, "Drop"))
        i = add_node(b, (struct e2_pnode){.name = "Drop", .kind = E2_NODE_DROP, .pos = pos});
    if (i == -ENOMEM) return oom(b);
    if (i < 0 && find_addr(g, name) >= 0)
        return fail(b, pos, EINVAL, "'%s' is an Address, not a node", name);
    if (i < 0)
        return fail(b, pos, EINVAL, "unknown node '%s' (declare it first, e.g. 'NAT %s;')", name,
                    name);
    if (is_src && g->nodes[i].kind == E2_NODE_DROP)
        return fail(b, pos, EINVAL, "Drop discards packets: it cannot be the source of an edge");
    return i;
}

static int resolve_filter_in(struct build *b, const struct e2_edge_src *e, struct e2_pedge *pe)
{
    const struct e2_pnode *dst = &b->g->nodes[pe->dst];
    pe->dst_input = dst->kind == E2_NODE_NF ? 0 : -1;
    if (!e->filter_in.text) return 0;
    char name[64];
    if (sscanf(e->filter_in.text, " %63[A-Za-z0-9_] %c", name, name + 63) != 1)
        return fail(b, e->filter_in.pos, EINVAL,
                    "a filter_in names one placeholder of the destination NF, e.g. [prio0]");
    if (dst->kind != E2_NODE_NF)
        return fail(b, e->filter_in.pos, EINVAL, "filter_in '%s' needs an NF destination, not '%s'",
                    name, dst->name);
    if (!dst->desc)
        return fail(b, e->filter_in.pos, EINVAL,
                    "filter_in '%s': NF type '%s' has no description to resolve it", name,
                    dst->nf_type);
    pe->placeholder = e2_nf_desc_placeholder(dst->desc, name);
    if (!pe->placeholder) {
        char have[256] = "";
        size_t o = 0;
        for (size_t i = 0; i < dst->desc->n_placeholders && o < sizeof(have); i++)
            o += (size_t)snprintf(have + o, sizeof(have) - o, "%s%s", i ? ", " : "",
                                  dst->desc->placeholders[i].name);
        return fail(b, e->filter_in.pos, EINVAL, "'%s' is not a placeholder of %s (it has: %s)",
                    name, dst->nf_type, o ? have : "none");
    }
    pe->dst_input = pe->placeholder->port;
    return 0;
}

static int parse_filter(struct build *b, const struct e2_text *t, struct e2_filter **out)
{
    struct e2_filter_scope scope = {b->g, scope_address, scope_nf_type, &b->g->attrs};
    struct e2_filter_src src = {b->pol->file, t->pos.line, t->pos.col};
    const char *text = t->text ? t->text : "";
    return e2_filter_parse(text, strlen(text), &src, &scope, out, b->err);
}

static bool same_target(const struct e2_pedge *a, const struct e2_pedge *b)
{
    return a->src == b->src && a->dst == b->dst && a->dst_input == b->dst_input &&
           a->placeholder == b->placeholder;
}

static int add_pipelet_ref(struct e2_pedge *e, unsigned pipelet)
{
    for (size_t i = 0; i < e->n_pipelets; i++)
        if (e->pipelets[i] == pipelet) return 0;
    unsigned *v = realloc(e->pipelets, (e->n_pipelets + 1) * sizeof(*v));
    if (!v) return -ENOMEM;
    e->pipelets = v;
    v[e->n_pipelets++] = pipelet;
    return 0;
}

/*
 * Fold @pe into an existing identical edge (same target, same filter), or
 * append it. Edges into the same target with different filters stay apart:
 * each keeps its own pipelets, so the paper's remedy can restrict each to
 * its own traffic class.
 */
static int merge_edge(struct build *b, struct e2_pedge *pe, unsigned pipelet, struct e2_pos pos)
{
    struct e2_pgraph *g = b->g;
    size_t n = e2_filter_print(pe->filter, NULL, 0);
    char *text = malloc(n + 1), *other = NULL;
    if (!text) {
        e2_filter_free(pe->filter);
        return oom(b);
    }
    e2_filter_print(pe->filter, text, n + 1);
    for (size_t i = 0; i < g->n_edges; i++) {
        struct e2_pedge *old = &g->edges[i];
        if (!same_target(old, pe) || e2_filter_print(old->filter, NULL, 0) != n) continue;
        if (!(other = realloc(other, n + 1))) break;
        e2_filter_print(old->filter, other, n + 1);
        if (strcmp(text, other)) continue;
        free(text);
        free(other);
        e2_filter_free(pe->filter);
        old->bw_bps += pe->bw_bps;
        old->has_bw |= pe->has_bw;
        return add_pipelet_ref(old, pipelet) ? oom(b) : 0;
    }
    free(text);
    free(other);
    struct e2_pedge *v = realloc(g->edges, (g->n_edges + 1) * sizeof(*v));
    if (!v) {
        e2_filter_free(pe->filter);
        return oom(b);
    }
    g->edges = v;
    v[g->n_edges] = *pe;
    v[g->n_edges].pos = pos;
    g->n_edges++;
    return add_pipelet_ref(&v[g->n_edges - 1], pipelet) ? oom(b) : 0;
}

static int add_edge(struct build *b, const struct e2_edge_src *e, unsigned pipelet)
{
    struct e2_pedge pe = {.bw_bps = e->bw_bps, .has_bw = e->bw.text != NULL};
    int s = resolve_node(b, e->src, e->src_pos, true);
    if (s < 0) return s;
    int d = resolve_node(b, e->dst, e->dst_pos, false);
    if (d < 0) return d;
    if (s == d) return fail(b, e->dst_pos, EINVAL, "an edge from '%s' to itself", e->src);
    pe.src = (unsigned)s;
    pe.dst = (unsigned)d;
    pe.root = b->g->nodes[s].kind == E2_NODE_PORT;
    int rc = resolve_filter_in(b, e, &pe);
    if (!rc) rc = parse_filter(b, &e->filter_out, &pe.filter);
    return rc ? rc : merge_edge(b, &pe, pipelet, e->pos);
}

/* ---- pipelets: each a DAG; its roots are its edges out of Ports ---- */

/* Depth-first search for a cycle among @pl's edges; colour 1 = on the stack. */
static int cycle_from(const struct e2_pgraph *g, const struct e2_pipelet *pl, unsigned v,
                      uint8_t *colour, size_t *edge)
{
    colour[v] = 1;
    for (size_t i = 0; i < pl->n_edges; i++) {
        if (find_node(g, pl->edges[i].src) != (int)v) continue;
        unsigned d = (unsigned)find_node(g, pl->edges[i].dst);
        if (g->nodes[d].kind == E2_NODE_PORT) continue; /* leaves the rack: no way back */
        if (colour[d] == 1 || (colour[d] == 0 && cycle_from(g, pl, d, colour, edge))) {
            if (*edge == SIZE_MAX) *edge = i;
            return 1;
        }
    }
    colour[v] = 2;
    return 0;
}

static int check_pipelet(struct build *b, size_t index)
{
    struct e2_pgraph *g = b->g;
    const struct e2_pipelet *pl = &b->pol->pipelets[index];
    struct e2_ppipelet *pp = &g->pipelets[index];
    pp->pos = pl->pos;
    if (pl->name && !(pp->name = strdup(pl->name))) return oom(b);
    uint8_t *colour = calloc(g->n_nodes, 1);
    if (!colour) return oom(b);
    size_t edge = SIZE_MAX;
    for (unsigned v = 0; v < g->n_nodes && edge == SIZE_MAX; v++)
        if (!colour[v]) cycle_from(g, pl, v, colour, &edge);
    free(colour);
    if (edge != SIZE_MAX)
        return fail(b, pl->edges[edge].pos, EINVAL,
                    "this edge closes a cycle in the pipelet (a pipelet is a DAG): '%s' reaches "
                    "'%s' again",
                    pl->edges[edge].dst, pl->edges[edge].src);
    for (size_t e = 0; e < g->n_edges; e++) {
        const struct e2_pedge *pe = &g->edges[e];
        bool mine = false;
        for (size_t k = 0; k < pe->n_pipelets; k++) mine |= pe->pipelets[k] == index;
        if (!mine || !pe->root) continue;
        unsigned *v = realloc(pp->roots, (pp->n_roots + 1) * sizeof(*v));
        if (!v) return oom(b);
        pp->roots = v;
        v[pp->n_roots++] = (unsigned)e;
    }
    return 0;
}

static int build(struct build *b)
{
    const struct e2_policy *pol = b->pol;
    int rc = 0;
    for (size_t i = 0; i < pol->n_decls && !rc; i++)
        rc = pol->decls[i].kind == E2_DECL_ADDRESS ? add_address(b, &pol->decls[i])
                                                   : add_decl_node(b, &pol->decls[i]);
    for (size_t p = 0; p < pol->n_pipelets && !rc; p++)
        for (size_t i = 0; i < pol->pipelets[p].n_edges && !rc; i++)
            rc = add_edge(b, &pol->pipelets[p].edges[i], (unsigned)p);
    if (rc) return rc;
    b->g->pipelets = calloc(pol->n_pipelets ? pol->n_pipelets : 1, sizeof(*b->g->pipelets));
    if (!b->g->pipelets) return oom(b);
    b->g->n_pipelets = pol->n_pipelets;
    for (size_t p = 0; p < pol->n_pipelets && !rc; p++) rc = check_pipelet(b, p);
    return rc;
}

int e2_pgraph_build(const struct e2_policy *pol, const struct e2_nf_catalog *cat,
                    struct e2_pgraph **out, struct e2_err *err)
{
    struct e2_pgraph *g = calloc(1, sizeof(*g));
    if (!g || !(g->file = strdup(pol->file))) {
        free(g);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    struct build b = {g, pol, cat, err};
    int rc = build(&b);
    if (rc) {
        e2_pgraph_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

bool e2_pgraph_edge_takes(const struct e2_pgraph *g, unsigned edge, const uint8_t *frame,
                          uint32_t caplen, uint32_t wirelen, const struct e2_filter_env *env,
                          int class_tag)
{
    const struct e2_pedge *e = &g->edges[edge];
    bool in_class = !e->restricted;
    for (size_t i = 0; !in_class && i < e->n_cls; i++) in_class = (int)e->cls[i] == class_tag;
    return in_class && e2_filter_eval(e->filter, frame, caplen, wirelen, env);
}

int e2_pgraph_ingress(const struct e2_pgraph *g, unsigned port, const uint8_t *frame,
                      uint32_t caplen, uint32_t wirelen)
{
    int node = -1;
    for (size_t v = 0; v < g->n_nodes && node < 0; v++)
        if (g->nodes[v].kind == E2_NODE_PORT && g->nodes[v].port_lo <= port &&
            port <= g->nodes[v].port_hi)
            node = (int)v;
    if (node < 0) return -1;
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edges[e].src == (unsigned)node &&
            e2_filter_eval(g->edges[e].filter, frame, caplen, wirelen, NULL))
            return (int)e;
    return -2;
}

size_t e2_pgraph_restricted(const struct e2_pgraph *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_edges; i++) n += g->edges[i].restricted;
    return n;
}

void e2_diags_free(struct e2_diags *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->msgs[i]);
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
}

void e2_pgraph_free(struct e2_pgraph *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].nf_type);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        e2_filter_free(g->edges[i].filter);
        free(g->edges[i].pipelets);
        free(g->edges[i].cls);
    }
    for (size_t i = 0; i < g->n_pipelets; i++) {
        free(g->pipelets[i].name);
        free(g->pipelets[i].roots);
    }
    for (size_t i = 0; i < g->n_addrs; i++) free(g->addr_names[i]);
    free(g->addr_names);
    free(g->addrs);
    free(g->nodes);
    free(g->edges);
    free(g->pipelets);
    e2_attr_table_free(&g->attrs);
    free(g->file);
    free(g);
}
