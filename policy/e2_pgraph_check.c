/*
 * Checking the pGraph: every packet leaving a node has exactly one
 * destination. Steps, for the graph as a whole:
 *   1. each edge's filter as a BDD (exact; undecidable filters are errors);
 *   2. which traffic classes (root edges) can reach each node, ignoring
 *      restrictions (a superset);
 *   3. per node, overlapping out-edges are restricted to their pipelets'
 *      classes (except at Ports, where no class exists yet, and at Tees,
 *      which copy); overlaps that remain are errors with an example packet;
 *   4. reachability again, now through the restricted edges;
 *   5. per node, packets that can reach it but no out-edge takes are errors.
 * A node's universe is what can leave it: at a Port, any frame without E2
 * attributes; at an NF, any frame with the NF's own attributes set (it sets
 * them on what it emits) and a class that reaches it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pgraph.h"
#include "e2_pspace.h"

#define MAX_NODES (1u << 23)

struct check {
    struct e2_pgraph *g;
    struct e2_pspace *ps;
    struct e2_bdd_mgr *m;
    struct e2_diags *diags;
    e2_bdd *f;         /* per edge: its filter, later restricted */
    e2_bdd *universe;  /* per node */
    int *cls_of_edge;  /* root edge -> class index, else -1 */
    unsigned *root_of; /* class index -> root edge */
    unsigned n_cls;
    size_t words;        /* 64-bit words per class bit set */
    uint64_t *reach;     /* per node: classes reaching it */
    char class_buf[256]; /* class_name()'s answer */
    bool oom;
};

static int diag(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int diag(struct check *c, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    char **v = n < 0 ? NULL : realloc(c->diags->msgs, (c->diags->n + 1) * sizeof(*v));
    if (!v) {
        if (n >= 0) free(msg);
        c->oom = true;
        return -ENOMEM;
    }
    c->diags->msgs = v;
    v[c->diags->n++] = msg;
    return -EINVAL;
}

static const char *class_name(void *ctx, unsigned cls)
{
    struct check *c = ctx;
    char *buf = c->class_buf;
    const struct e2_pedge *e = &c->g->edges[c->root_of[cls]];
    const struct e2_ppipelet *p = &c->g->pipelets[e->pipelets[0]];
    snprintf(buf, sizeof(c->class_buf), "entered by edge %u (%s -> %s, line %d, pipelet %s)",
             c->root_of[cls], c->g->nodes[e->src].name, c->g->nodes[e->dst].name, e->pos.line,
             p->name ? p->name : "unnamed");
    return buf;
}

/* An example packet of @set; at a Port (@at_port) packets have no class yet. */
static void example(struct check *c, e2_bdd set, e2_bdd tested, bool at_port, char *buf, size_t len)
{
    struct e2_example *ex = malloc(sizeof(*ex));
    if (!ex || e2_pspace_example(c->ps, set, tested, ex)) {
        snprintf(buf, len, "(no example)");
    } else {
        if (at_port) ex->cls = -1;
        e2_pspace_describe(c->ps, ex, class_name, c, buf, len);
    }
    free(ex);
}

static const char *edge_label(const struct check *c, unsigned e, char *buf, size_t len)
{
    const struct e2_pedge *pe = &c->g->edges[e];
    snprintf(buf, len, "edge %u (%s -> %s, line %d)", e, c->g->nodes[pe->src].name,
             c->g->nodes[pe->dst].name, pe->pos.line);
    return buf;
}

/* ---- class sets ---- */

static bool has(const uint64_t *set, unsigned i)
{
    return (set[i / 64] >> (i % 64)) & 1;
}

static void set_bit(uint64_t *set, unsigned i)
{
    set[i / 64] |= 1ull << (i % 64);
}

/* Classes of an edge's pipelets (its roots). */
static void pipelet_classes(const struct check *c, const struct e2_pedge *e, uint64_t *out)
{
    memset(out, 0, c->words * sizeof(*out));
    for (size_t k = 0; k < e->n_pipelets; k++) {
        const struct e2_ppipelet *p = &c->g->pipelets[e->pipelets[k]];
        for (size_t r = 0; r < p->n_roots; r++) set_bit(out, (unsigned)c->cls_of_edge[p->roots[r]]);
    }
}

static e2_bdd class_bdd(struct check *c, const uint64_t *set)
{
    e2_bdd r = E2_BDD_FALSE;
    for (unsigned i = 0; i < c->n_cls; i++)
        if (has(set, i)) r = e2_bdd_or(c->m, r, e2_pspace_class_in(c->ps, &i, 1));
    return r;
}

/* Classes reaching each node: roots seed their destination; edges pass theirs on. */
static void compute_reach(struct check *c, bool restricted)
{
    const struct e2_pgraph *g = c->g;
    uint64_t *allowed = calloc(c->words, sizeof(*allowed));
    memset(c->reach, 0, g->n_nodes * c->words * sizeof(uint64_t));
    if (!allowed) {
        c->oom = true;
        return;
    }
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edges[e].root)
            set_bit(c->reach + g->edges[e].dst * c->words, (unsigned)c->cls_of_edge[e]);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t e = 0; e < g->n_edges; e++) {
            const struct e2_pedge *pe = &g->edges[e];
            if (pe->root || g->nodes[pe->dst].kind == E2_NODE_PORT) continue;
            memset(allowed, restricted && pe->restricted ? 0 : 0xff, c->words * sizeof(*allowed));
            for (size_t k = 0; restricted && pe->restricted && k < pe->n_cls; k++)
                set_bit(allowed, (unsigned)c->cls_of_edge[pe->cls[k]]);
            uint64_t *from = c->reach + pe->src * c->words, *to = c->reach + pe->dst * c->words;
            for (size_t w = 0; w < c->words; w++) {
                uint64_t add = from[w] & allowed[w] & ~to[w];
                changed |= add != 0;
                to[w] |= add;
            }
        }
    }
    free(allowed);
}

static void compute_universes(struct check *c)
{
    const struct e2_pgraph *g = c->g;
    e2_bdd domain = e2_pspace_domain(c->ps);
    for (size_t v = 0; v < g->n_nodes; v++) {
        const struct e2_pnode *n = &g->nodes[v];
        e2_bdd u = domain;
        if (n->kind == E2_NODE_PORT) {
            u = e2_bdd_and(c->m, u, e2_pspace_no_attrs(c->ps));
        } else {
            u = e2_bdd_and(c->m, u, class_bdd(c, c->reach + v * c->words));
            if (n->kind == E2_NODE_NF)
                u = e2_bdd_and(c->m, u, e2_pspace_attrs_of(c->ps, n->nf_type));
        }
        c->universe[v] = u;
    }
}

/* ---- step 3: disjointness and the paper's remedy ---- */

static int restrict_edge(struct check *c, unsigned e)
{
    struct e2_pedge *pe = &c->g->edges[e];
    if (pe->restricted) return 0;
    uint64_t *set = calloc(c->words, sizeof(*set));
    if (!set) return -ENOMEM;
    pipelet_classes(c, pe, set);
    size_t n = 0;
    for (unsigned i = 0; i < c->n_cls; i++) n += has(set, i);
    pe->cls = calloc(n ? n : 1, sizeof(*pe->cls));
    if (!pe->cls) {
        free(set);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < c->n_cls; i++)
        if (has(set, i)) pe->cls[pe->n_cls++] = c->root_of[i];
    pe->restricted = true;
    c->f[e] = e2_bdd_and(c->m, c->f[e], class_bdd(c, set));
    free(set);
    return 0;
}

static bool same_target(const struct e2_pedge *a, const struct e2_pedge *b)
{
    return a->dst == b->dst && a->dst_input == b->dst_input && a->placeholder == b->placeholder;
}

/*
 * Out-edges of @v that share packets with an edge into another target, in
 * O(edges) BDD operations: each edge against the union of the edges into
 * other targets (prefix and suffix unions over the targets).
 */
static int ambiguous_edges(struct check *c, unsigned v, unsigned *out, size_t *n_out)
{
    const struct e2_pgraph *g = c->g;
    size_t k = 0, t = 0;
    unsigned *edges = malloc(g->n_edges * sizeof(*edges)),
             *target = malloc(g->n_edges * sizeof(*target));
    e2_bdd *group = calloc(g->n_edges + 2, sizeof(*group)),
           *pre = calloc(g->n_edges + 2, sizeof(*pre)),
           *post = calloc(g->n_edges + 2, sizeof(*post));
    int rc = edges && target && group && pre && post ? 0 : -ENOMEM;
    for (unsigned e = 0; !rc && e < g->n_edges; e++) {
        if (g->edges[e].src != v) continue;
        size_t j = 0;
        while (j < k && !same_target(&g->edges[edges[j]], &g->edges[e])) j++;
        target[k] = j < k ? target[j] : (unsigned)t++;
        edges[k++] = e;
        group[target[k - 1]] = e2_bdd_or(c->m, group[target[k - 1]], c->f[e]);
    }
    for (size_t i = 0; !rc && i < t; i++) pre[i + 1] = e2_bdd_or(c->m, pre[i], group[i]);
    for (size_t i = t; !rc && i > 0; i--) post[i - 1] = e2_bdd_or(c->m, post[i], group[i - 1]);
    *n_out = 0;
    for (size_t i = 0; !rc && i < k; i++) {
        e2_bdd others = e2_bdd_or(c->m, pre[target[i]], post[target[i] + 1]);
        if (e2_bdd_and(c->m, c->f[edges[i]], others) == E2_BDD_FALSE) continue;
        if (e2_bdd_and(c->m, c->universe[v], e2_bdd_and(c->m, c->f[edges[i]], others)) !=
            E2_BDD_FALSE)
            out[(*n_out)++] = edges[i];
    }
    free(edges);
    free(target);
    free(group);
    free(pre);
    free(post);
    return rc;
}

/* Report each pair of @v's ambiguous edges that still share packets. */
static void report_overlaps(struct check *c, unsigned v, const unsigned *amb, size_t n)
{
    const struct e2_pgraph *g = c->g;
    const struct e2_pnode *node = &g->nodes[v];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            unsigned a = amb[i], b = amb[j];
            if (same_target(&g->edges[a], &g->edges[b])) continue;
            e2_bdd both = e2_bdd_and(c->m, c->universe[v], e2_bdd_and(c->m, c->f[a], c->f[b]));
            if (both == E2_BDD_FALSE) continue;
            char pkt[768], la[128], lb[128];
            example(c, both, e2_bdd_or(c->m, c->f[a], c->f[b]), node->kind == E2_NODE_PORT, pkt,
                    sizeof(pkt));
            diag(c, "%s: error: node '%s': %s and %s both take packets such as: %s%s", g->file,
                 node->name, edge_label(c, a, la, sizeof(la)), edge_label(c, b, lb, sizeof(lb)),
                 pkt,
                 node->kind == E2_NODE_PORT
                     ? " (they leave a Port, where packets have no traffic class yet: make "
                       "their filters disjoint)"
                     : " (restricting them to their pipelets' traffic classes does not "
                       "separate them)");
        }
    }
}

static void check_disjoint(struct check *c)
{
    unsigned *amb = malloc((c->g->n_edges + 1) * sizeof(*amb));
    if (!amb) c->oom = true;
    for (unsigned v = 0; v < c->g->n_nodes && !c->oom; v++) {
        enum e2_node_kind k = c->g->nodes[v].kind;
        size_t n;
        if (k == E2_NODE_TEE || k == E2_NODE_DROP) continue;
        if (ambiguous_edges(c, v, amb, &n)) c->oom = true;
        if (!n || c->oom) continue;
        for (size_t i = 0; k != E2_NODE_PORT && i < n; i++)
            if (restrict_edge(c, amb[i])) c->oom = true;
        if (k != E2_NODE_PORT && ambiguous_edges(c, v, amb, &n)) c->oom = true;
        if (!c->oom) report_overlaps(c, v, amb, n);
    }
    free(amb);
}

/* ---- step 5: every packet has a destination ---- */

static void check_complete(struct check *c)
{
    const struct e2_pgraph *g = c->g;
    for (unsigned v = 0; v < g->n_nodes && !c->oom; v++) {
        const struct e2_pnode *n = &g->nodes[v];
        if (n->kind == E2_NODE_DROP) continue;
        e2_bdd covered = E2_BDD_FALSE;
        bool any = false;
        for (unsigned e = 0; e < g->n_edges; e++) {
            if (g->edges[e].src != v) continue;
            covered = e2_bdd_or(c->m, covered, c->f[e]);
            any = true;
        }
        if (n->kind == E2_NODE_PORT && !any) continue; /* only an exit */
        e2_bdd gap = e2_bdd_diff(c->m, c->universe[v], covered);
        if (gap == E2_BDD_FALSE) continue;
        char pkt[768];
        if (!any) {
            diag(c,
                 "%s: error: node '%s' receives traffic but has no out-edge (add '%s -> Drop;' "
                 "if it should discard)",
                 g->file, n->name, n->name);
            continue;
        }
        example(c, gap, covered, n->kind == E2_NODE_PORT, pkt, sizeof(pkt));
        diag(c,
             "%s: error: node '%s': packets such as %s have no destination (no out-edge takes "
             "them; add an edge, e.g. to Drop)",
             g->file, n->name, pkt);
    }
}

/* ---- output ports an edge draws from ---- */

static void compute_src_ports(struct check *c)
{
    struct e2_pgraph *g = c->g;
    for (unsigned e = 0; e < g->n_edges; e++) {
        struct e2_pedge *pe = &g->edges[e];
        const struct e2_pnode *n = &g->nodes[pe->src];
        if (n->kind != E2_NODE_NF) continue;
        size_t outs = n->desc ? n->desc->n_outputs : 1;
        int slot = -1;
        for (size_t s = 0; s < g->attrs.n; s++)
            if (!strcmp(g->attrs.slots[s].nf_type, n->nf_type) &&
                g->attrs.slots[s].attr->method == E2_ATTR_PORT)
                slot = (int)s;
        for (size_t o = 0; o < outs && o < 64; o++) {
            bool used = slot < 0;
            if (!used) { /* the cheap test first; the universe only when it passes */
                e2_bdd on = e2_bdd_and(c->m, c->f[e],
                                       e2_pspace_attr_on_port(c->ps, (unsigned)slot, (int)o));
                used = on != E2_BDD_FALSE &&
                       e2_bdd_and(c->m, on, c->universe[pe->src]) != E2_BDD_FALSE;
            }
            if (used) pe->src_ports |= 1ull << o;
        }
    }
}

/* ---- step 1 ---- */

static void edge_bdds(struct check *c)
{
    struct e2_pgraph *g = c->g;
    for (unsigned e = 0; e < g->n_edges; e++) {
        struct e2_err err = {0};
        if (e2_pspace_filter(c->ps, g->edges[e].filter, &c->f[e], &err) == 0) continue;
        c->f[e] = E2_BDD_FALSE;
        if (err.code == -ENOMEM) c->oom = true;
        diag(c, "%s:%d:%d: error: the filter of this edge %s", g->file, g->edges[e].pos.line,
             g->edges[e].pos.col, err.msg);
        if (err.code == -E2BIG) return; /* the budget is spent: stop here */
    }
}

static int setup(struct check *c)
{
    struct e2_pgraph *g = c->g;
    c->ps = e2_pspace_new(&g->attrs, MAX_NODES);
    c->f = calloc(g->n_edges + 1, sizeof(*c->f));
    c->universe = calloc(g->n_nodes + 1, sizeof(*c->universe));
    c->cls_of_edge = calloc(g->n_edges + 1, sizeof(*c->cls_of_edge));
    c->root_of = calloc(g->n_edges + 1, sizeof(*c->root_of));
    if (!c->ps || !c->f || !c->universe || !c->cls_of_edge || !c->root_of) return -ENOMEM;
    c->m = e2_pspace_mgr(c->ps);
    if (g->check_steps) e2_bdd_set_step_limit(c->m, g->check_steps);
    for (unsigned e = 0; e < g->n_edges; e++) {
        c->cls_of_edge[e] = g->edges[e].root ? (int)c->n_cls : -1;
        if (g->edges[e].root) c->root_of[c->n_cls++] = e;
    }
    c->words = (c->n_cls + 63) / 64 + 1;
    c->reach = calloc(g->n_nodes * c->words + 1, sizeof(*c->reach));
    if (!c->reach) return -ENOMEM;
    e2_pspace_class_init(c->ps, c->n_cls);
    return 0;
}

static void teardown(struct check *c)
{
    e2_pspace_free(c->ps);
    free(c->f);
    free(c->universe);
    free(c->cls_of_edge);
    free(c->root_of);
    free(c->reach);
}

int e2_pgraph_check(struct e2_pgraph *g, struct e2_diags *diags)
{
    struct check c = {.g = g, .diags = diags};
    size_t before = diags->n;
    if (setup(&c)) {
        teardown(&c);
        return -ENOMEM;
    }
    if (g->n_edges && !c.n_cls)
        diag(&c,
             "%s: error: no edge leaves a Port, so no traffic enters the policy (pipelets "
             "start at a Port, e.g. 'int -> n;')",
             g->file);
    edge_bdds(&c);
    if (diags->n == before) {
        compute_reach(&c, false);
        compute_universes(&c);
        check_disjoint(&c);
        compute_reach(&c, true);
        compute_universes(&c);
        check_complete(&c);
        compute_src_ports(&c);
    }
    if (!c.oom && e2_bdd_failed(c.m))
        diag(&c,
             "%s: error: too complex to decide exactly within the checker's budget (%zu BDD "
             "nodes)",
             g->file, e2_bdd_nodes(c.m));
    teardown(&c);
    if (c.oom) return -ENOMEM;
    return diags->n == before ? 0 : -EINVAL;
}
