/* pGraph -> iGraph: steering, instances with their ranges, and edges. */
#include "e2_igraph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int e2_ivec_push(struct e2_ivec *v, unsigned x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4;
        unsigned *p = realloc(v->v, cap * sizeof(*p));
        if (!p) return -ENOMEM;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

void e2_ivec_remove(struct e2_ivec *v, unsigned x)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i] == x) {
            memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(*v->v));
            v->n--;
            return;
        }
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*arr, c * elem);
    if (!p) return -ENOMEM;
    memset((char *)p + *cap * elem, 0, (c - *cap) * elem);
    *arr = p;
    *cap = c;
    return 0;
}

int e2_igraph_add_node(struct e2_igraph *ig, enum e2_inode_kind kind, unsigned pnode,
                       struct e2_range range, unsigned *id)
{
    if (grow((void **)&ig->nodes, &ig->cap_nodes, ig->n_nodes, sizeof(*ig->nodes))) return -ENOMEM;
    struct e2_ivec *m = &ig->members[pnode];
    unsigned n = (unsigned)ig->n_nodes;
    if (e2_ivec_push(m, n)) return -ENOMEM;
    ig->nodes[n] = (struct e2_inode){.kind = kind,
                                     .pnode = pnode,
                                     .index = (unsigned)m->n - 1,
                                     .cores = kind == E2_INODE_INSTANCE,
                                     .range = range};
    ig->n_nodes++;
    if (id) *id = n;
    return 0;
}

int e2_igraph_add_edge(struct e2_igraph *ig, const struct e2_iedge *e)
{
    if (grow((void **)&ig->edges, &ig->cap_edges, ig->n_edges, sizeof(*ig->edges))) return -ENOMEM;
    unsigned id = (unsigned)ig->n_edges;
    if (e2_ivec_push(&ig->nodes[e->src].out, id) || e2_ivec_push(&ig->nodes[e->dst].in, id))
        return -ENOMEM;
    ig->edges[id] = *e;
    ig->n_edges++;
    return 0;
}

/* ---- steering ---- */

bool e2_steering_implies(const struct e2_steering *s, uint32_t upstream_rewrites,
                         const struct e2_nf_desc *b)
{
    if (s->fields & upstream_rewrites) return false;
    if (!b || !b->affinity) return true;
    if (s->fields & ~b->affinity) return false;
    return s->symmetric || !b->affinity_symmetric;
}

struct order_ctx {
    const struct e2_plan_pgraph *pg;
    unsigned char *seen;
    unsigned *post;
    size_t n;
};

static void order_dfs(struct order_ctx *c, unsigned v)
{
    c->seen[v] = 1;
    for (size_t e = 0; e < c->pg->n_edges; e++)
        if (c->pg->edges[e].src == v && !c->seen[c->pg->edges[e].dst])
            order_dfs(c, c->pg->edges[e].dst);
    c->post[c->n++] = v;
}

/* pos[v]: place of v in a depth-first order from the ports (upstream first). */
static int upstream_order(const struct e2_plan_pgraph *pg, unsigned *pos)
{
    struct order_ctx c = {pg, calloc(pg->n_nodes + 1, 1), calloc(pg->n_nodes + 1, sizeof(unsigned)),
                          0};
    int rc = c.seen && c.post ? 0 : -ENOMEM;
    for (int ports = 1; !rc && ports >= 0; ports--)
        for (size_t v = 0; v < pg->n_nodes; v++)
            if (!c.seen[v] && (pg->nodes[v].kind == E2_PNODE_PORT) == ports)
                order_dfs(&c, (unsigned)v);
    for (size_t i = 0; !rc && i < c.n; i++) pos[c.post[i]] = (unsigned)(c.n - 1 - i);
    free(c.seen);
    free(c.post);
    return rc;
}

/* True when every source field comes with its destination twin and back. */
static bool pair_closed(uint32_t f)
{
    bool ip = !(f & E2_FIELD_SRC_IP) == !(f & E2_FIELD_DST_IP);
    bool port = !(f & E2_FIELD_SRC_PORT) == !(f & E2_FIELD_DST_PORT);
    return ip && port;
}

/* Hash on the NF's affinity fields — symmetrically whenever they pair up, which keeps its
 * flows together just as well and lets symmetric NFs downstream adopt the hash. */
static struct e2_steering own_steering(const struct e2_plan_node *n, unsigned id)
{
    if (n->nf && n->nf->affinity)
        return (struct e2_steering){n->nf->affinity,
                                    n->nf->affinity_symmetric || pair_closed(n->nf->affinity), id};
    return (struct e2_steering){E2_FIELDS_5TUPLE, true, id};
}

/* The steering of NF b: adopted from its heaviest qualifying upstream NF, else its own. */
static struct e2_steering choose_steering(const struct e2_igraph *ig, const double *rate,
                                          const unsigned *pos, unsigned b)
{
    const struct e2_plan_pgraph *pg = ig->pg;
    int best = -1;
    double best_bps = -1;
    for (size_t e = 0; e < pg->n_edges; e++) {
        unsigned a = pg->edges[e].src;
        if (pg->edges[e].dst != b || pg->nodes[a].kind != E2_PNODE_NF || pos[a] >= pos[b] ||
            !e2_steering_implies(&ig->steer[a], pg->nodes[a].nf ? pg->nodes[a].nf->rewrites : 0,
                                 pg->nodes[b].nf))
            continue;
        double bps = 0;
        for (size_t f = 0; f < pg->n_edges; f++)
            if (pg->edges[f].src == a && pg->edges[f].dst == b) bps += rate[f];
        if (bps > best_bps) best = (int)a, best_bps = bps;
    }
    return best >= 0 ? ig->steer[best] : own_steering(&pg->nodes[b], b);
}

static int decide_steering(struct e2_igraph *ig, const double *rate)
{
    const struct e2_plan_pgraph *pg = ig->pg;
    unsigned *pos = calloc(pg->n_nodes + 1, sizeof(unsigned));
    unsigned *by_pos = calloc(pg->n_nodes + 1, sizeof(unsigned));
    int rc = pos && by_pos ? upstream_order(pg, pos) : -ENOMEM;
    for (size_t v = 0; !rc && v < pg->n_nodes; v++) by_pos[pos[v]] = (unsigned)v;
    for (size_t i = 0; !rc && i < pg->n_nodes; i++) {
        unsigned v = by_pos[i];
        ig->steer[v] = pg->nodes[v].kind == E2_PNODE_NF ? choose_steering(ig, rate, pos, v)
                                                        : own_steering(&pg->nodes[v], v);
    }
    free(pos);
    free(by_pos);
    return rc;
}

/* ---- nodes and edges ---- */

static enum e2_inode_kind kind_of(enum e2_pnode_kind k)
{
    switch (k) {
    case E2_PNODE_NF: return E2_INODE_INSTANCE;
    case E2_PNODE_PORT: return E2_INODE_PORT;
    case E2_PNODE_DROP: return E2_INODE_DROP;
    case E2_PNODE_TEE: break;
    }
    return E2_INODE_TEE;
}

static int add_members(struct e2_igraph *ig, unsigned p, unsigned k, unsigned slices,
                       struct e2_range *tmp)
{
    e2_range_split_sliced(ig->bits, k, slices && k % slices == 0 ? slices : 1, tmp);
    for (unsigned i = 0; i < k; i++) {
        int rc = e2_igraph_add_node(ig, kind_of(ig->pg->nodes[p].kind), p, tmp[i], NULL);
        if (rc) return rc;
    }
    return 0;
}

static double share(const struct e2_igraph *ig, struct e2_range r)
{
    return (double)(r.hi - r.lo) / (double)e2_flow_space(ig->bits);
}

static enum e2_dist dist_between(const struct e2_igraph *ig, unsigned ps, unsigned pd)
{
    const struct e2_plan_pgraph *pg = ig->pg;
    if (pg->nodes[pd].kind != E2_PNODE_NF) return E2_DIST_NONE;
    if (pg->nodes[ps].kind == E2_PNODE_PORT) return E2_DIST_SWITCH;
    if (pg->nodes[ps].kind == E2_PNODE_NF && ig->steer[ps].owner == ig->steer[pd].owner)
        return E2_DIST_RANGE;
    return E2_DIST_HASH;
}

/* One instance-level edge s -> d for pGraph edge pe; skipped when it carries nothing. */
static int connect_pair(struct e2_igraph *ig, unsigned pe, double bps, unsigned s, unsigned d,
                        enum e2_dist dist)
{
    const struct e2_inode *src = &ig->nodes[s], *dst = &ig->nodes[d];
    struct e2_iedge e = {s, d, pe, dist, dst->range, bps * share(ig, src->range)};
    if (dist == E2_DIST_RANGE) {
        uint64_t lo = src->range.lo > dst->range.lo ? src->range.lo : dst->range.lo;
        uint64_t o = e2_range_overlap(src->range, dst->range);
        if (!o) return 0;
        e.range = (struct e2_range){lo, lo + o};
        e.rate_bps = bps * share(ig, e.range);
        if (src->range.lo == dst->range.lo && src->range.hi == dst->range.hi)
            e.dist = E2_DIST_DIRECT;
    } else if (dist != E2_DIST_NONE) {
        e.rate_bps *= share(ig, dst->range);
    }
    return e2_igraph_add_edge(ig, &e);
}

static int connect_edge(struct e2_igraph *ig, unsigned pe, double bps)
{
    const struct e2_plan_edge *p = &ig->pg->edges[pe];
    const struct e2_ivec *ss = &ig->members[p->src], *ds = &ig->members[p->dst];
    enum e2_dist dist = dist_between(ig, p->src, p->dst);
    for (size_t i = 0; i < ss->n; i++)
        for (size_t j = 0; j < ds->n; j++) {
            int rc = connect_pair(ig, pe, bps, ss->v[i], ds->v[j], dist);
            if (rc) return rc;
        }
    return 0;
}

static int build(struct e2_igraph *ig, const double *rate, const struct e2_nf_size *size,
                 struct e2_err *err)
{
    const struct e2_plan_pgraph *pg = ig->pg;
    unsigned most = 1;
    size_t who = 0;
    for (size_t p = 0; p < pg->n_nodes; p++)
        if (size[p].instances > most) most = size[p].instances, who = p;
    if (most > e2_flow_space(ig->bits))
        return e2_err_set(err, EINVAL,
                          "the %u instances of '%s' cannot split 2^%u flow IDs; use more flow-ID "
                          "bits",
                          most, pg->nodes[who].name, ig->bits);
    struct e2_range *tmp = calloc(most, sizeof(*tmp));
    int rc = tmp ? decide_steering(ig, rate) : -ENOMEM;
    for (size_t p = 0; !rc && p < pg->n_nodes; p++)
        rc = add_members(ig, (unsigned)p, size[p].instances ? size[p].instances : 1, size[p].slices,
                         tmp);
    for (size_t e = 0; !rc && e < pg->n_edges; e++) rc = connect_edge(ig, (unsigned)e, rate[e]);
    free(tmp);
    return rc ? e2_err_set(err, rc, "iGraph: out of memory") : 0;
}

int e2_igraph_build(const struct e2_plan_pgraph *pg, const double *rate,
                    const struct e2_nf_size *size, unsigned bits, struct e2_igraph **out,
                    struct e2_err *err)
{
    *out = NULL;
    if (bits < 1 || bits > 24)
        return e2_err_set(err, EINVAL, "flow-ID bits must be 1..24, not %u", bits);
    struct e2_igraph *ig = calloc(1, sizeof(*ig));
    if (!ig) return e2_err_set(err, ENOMEM, "iGraph: out of memory");
    ig->pg = pg;
    ig->bits = bits;
    ig->steer = calloc(pg->n_nodes + 1, sizeof(*ig->steer));
    ig->members = calloc(pg->n_nodes + 1, sizeof(*ig->members));
    int rc = ig->steer && ig->members ? build(ig, rate, size, err)
                                      : e2_err_set(err, ENOMEM, "iGraph: out of memory");
    if (rc) {
        e2_igraph_free(ig);
        return rc;
    }
    *out = ig;
    return 0;
}

void e2_igraph_free(struct e2_igraph *ig)
{
    if (!ig) return;
    for (size_t i = 0; i < ig->n_nodes; i++) {
        free(ig->nodes[i].in.v);
        free(ig->nodes[i].out.v);
    }
    for (size_t p = 0; ig->members && p < ig->pg->n_nodes; p++) free(ig->members[p].v);
    free(ig->members);
    free(ig->steer);
    free(ig->nodes);
    free(ig->edges);
    free(ig);
}

void e2_igraph_scale(struct e2_igraph *ig, double factor)
{
    for (size_t e = 0; e < ig->n_edges; e++) ig->edges[e].rate_bps *= factor;
}

const char *e2_inode_name(const struct e2_igraph *ig, unsigned node, char *buf, size_t len)
{
    const struct e2_inode *n = &ig->nodes[node];
    const char *name = ig->pg->nodes[n->pnode].name;
    if (n->kind == E2_INODE_INSTANCE)
        snprintf(buf, len, "%s#%u", name, n->index);
    else
        snprintf(buf, len, "%s", name);
    return buf;
}

double e2_inode_load(const struct e2_igraph *ig, unsigned node)
{
    double s = 0;
    const struct e2_ivec *in = &ig->nodes[node].in;
    for (size_t i = 0; i < in->n; i++) s += ig->edges[in->v[i]].rate_bps;
    return s;
}
