/*
 * Splitting an instance (paper §5.3): the overloaded instance keeps the lower
 * half of its flow-ID range, a new instance of the same NF takes the upper
 * half. Each edge of the old instance is cut along the same boundary where
 * its range lives in the NF's own steering (edges into it, and edges to NFs
 * that share its steering); other edges are mirrored with the rate divided.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2_igraph.h"

struct split {
    struct e2_igraph *ig;
    unsigned old, neu;
    struct e2_range low, high; /* the two halves of the old range */
};

static double part(struct e2_range whole, uint64_t n)
{
    return whole.hi > whole.lo ? (double)n / (double)(whole.hi - whole.lo) : 0;
}

/* Repoint endpoint of edge @id from the old instance to the new one. */
static int retarget(struct split *s, unsigned id, bool src_side)
{
    struct e2_iedge *e = &s->ig->edges[id];
    struct e2_inode *o = &s->ig->nodes[s->old], *n = &s->ig->nodes[s->neu];
    if (src_side) {
        e->src = s->neu;
        e2_ivec_remove(&o->out, id);
        return e2_ivec_push(&n->out, id);
    }
    e->dst = s->neu;
    e2_ivec_remove(&o->in, id);
    return e2_ivec_push(&n->in, id);
}

/* The edge's range is in the split NF's flow space: cut it at the boundary. */
static int cut(struct split *s, unsigned id, bool src_side)
{
    struct e2_iedge *e = &s->ig->edges[id];
    uint64_t lo_n = e2_range_overlap(e->range, s->low), hi_n = e2_range_overlap(e->range, s->high);
    if (!hi_n) return 0;
    if (!lo_n) {
        if (e->dist == E2_DIST_DIRECT) e->dist = E2_DIST_RANGE;
        return retarget(s, id, src_side);
    }
    struct e2_iedge upper = *e;
    struct e2_range was = e->range;
    upper.range = (struct e2_range){s->high.lo, was.hi};
    upper.rate_bps = e->rate_bps * part(was, hi_n);
    e->range.hi = s->high.lo;
    e->rate_bps *= part(was, lo_n);
    if (e->dist == E2_DIST_DIRECT) e->dist = upper.dist = E2_DIST_RANGE;
    if (src_side)
        upper.src = s->neu;
    else
        upper.dst = s->neu;
    return e2_igraph_add_edge(s->ig, &upper);
}

/* The edge's range is in the destination's own flow space: halve its rate. */
static int mirror(struct split *s, unsigned id)
{
    struct e2_iedge *e = &s->ig->edges[id];
    struct e2_range whole = {s->low.lo, s->high.hi};
    struct e2_iedge copy = *e;
    copy.src = s->neu;
    copy.rate_bps = e->rate_bps * part(whole, s->high.hi - s->high.lo);
    e->rate_bps -= copy.rate_bps;
    return e2_igraph_add_edge(s->ig, &copy);
}

static bool shares_steering(const struct e2_iedge *e)
{
    return e->dist == E2_DIST_RANGE || e->dist == E2_DIST_DIRECT;
}

static int rewire(struct split *s)
{
    struct e2_igraph *ig = s->ig;
    /* Snapshot the edge lists: cutting and retargeting change them. */
    struct e2_ivec in = {0}, out = {0};
    const struct e2_inode *o = &ig->nodes[s->old];
    int rc = 0;
    for (size_t i = 0; !rc && i < o->in.n; i++) rc = e2_ivec_push(&in, o->in.v[i]);
    for (size_t i = 0; !rc && i < o->out.n; i++) rc = e2_ivec_push(&out, o->out.v[i]);
    for (size_t i = 0; !rc && i < in.n; i++) rc = cut(s, in.v[i], false);
    for (size_t i = 0; !rc && i < out.n; i++)
        rc = shares_steering(&ig->edges[out.v[i]]) ? cut(s, out.v[i], true) : mirror(s, out.v[i]);
    free(in.v);
    free(out.v);
    return rc;
}

int e2_igraph_split(struct e2_igraph *ig, unsigned inst, unsigned *new_inst, struct e2_err *err)
{
    if (inst >= ig->n_nodes || ig->nodes[inst].kind != E2_INODE_INSTANCE)
        return e2_err_set(err, EINVAL, "split: node %u is not an NF instance", inst);
    struct e2_range r = ig->nodes[inst].range;
    char name[96];
    if (r.hi - r.lo < 2)
        return e2_err_set(err, ENOSPC, "split: %s owns a single flow ID",
                          e2_inode_name(ig, inst, name, sizeof(name)));
    uint64_t mid = r.lo + (r.hi - r.lo) / 2;
    struct split s = {ig, inst, 0, {r.lo, mid}, {mid, r.hi}};
    int rc = e2_igraph_add_node(ig, E2_INODE_INSTANCE, ig->nodes[inst].pnode, s.high, &s.neu);
    if (!rc) {
        ig->nodes[inst].range = s.low;
        rc = rewire(&s);
    }
    if (rc) return e2_err_set(err, rc, "split: out of memory");
    *new_inst = s.neu;
    return 0;
}
