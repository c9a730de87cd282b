/*
 * Incremental placement (paper §5.1, §5.3-5.4). Migration avoidance keeps
 * every existing flow on the instance that holds its state, so a new
 * instance never displaces an old one: we only choose where the new one
 * goes. One pass over its own edges gives its traffic to and from each
 * server; putting it on server s then adds to s's NIC what it exchanges with
 * everyone else, and to every other server's NIC what that server exchanges
 * with it — so each candidate is checked in O(1): O(degree + servers) in all.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2_place.h"
#include "e2_units.h"

struct probe {
    double *from, *to; /* per server, plus the outside in column n_servers */
    double in, out;    /* all it receives from / sends to placed nodes */
    size_t n_over;     /* servers overflowing from the node's traffic alone */
    size_t over;       /* one of them */
};

static bool fits(double load, double cap)
{
    return load <= cap * (1 + 1e-9);
}

static void survey(const struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                   struct probe *p)
{
    const struct e2_inode *n = &ig->nodes[node];
    size_t S = pl->n_servers;
    for (int dir = 0; dir < 2; dir++) {
        const struct e2_ivec *es = dir ? &n->out : &n->in;
        for (size_t i = 0; i < es->n; i++) {
            const struct e2_iedge *e = &ig->edges[es->v[i]];
            unsigned t = pl->server[dir ? e->dst : e->src];
            if (t == E2_SERVER_NONE || t == E2_SERVER_ANY) continue;
            size_t c = t == E2_SERVER_OUTSIDE ? S : t;
            (dir ? p->to : p->from)[c] += e->rate_bps;
            *(dir ? &p->out : &p->in) += e->rate_bps;
        }
    }
    for (size_t s = 0; s < S; s++) {
        double cap = (double)pl->hw->servers[s].nic_bps;
        if (!fits(pl->nic_out[s] + p->from[s], cap) || !fits(pl->nic_in[s] + p->to[s], cap))
            p->n_over++, p->over = s;
    }
}

/* Switch traffic added by putting the node on @s, or -1 when a limit forbids it. */
static double added_on(const struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                       const struct probe *p, size_t s)
{
    if (!e2_placement_allows(pl, ig, node, s)) return -1;
    double add = p->in + p->out - p->from[s] - p->to[s];
    if (!pl->opts.respect_links) return add;
    /* Other servers gain what they exchange with the node; s gains all it exchanges elsewhere. */
    if (p->n_over > 1 || (p->n_over == 1 && p->over != s)) return -1;
    double cap = (double)pl->hw->servers[s].nic_bps;
    if (!fits(pl->nic_in[s] + p->in - p->from[s], cap) ||
        !fits(pl->nic_out[s] + p->out - p->to[s], cap))
        return -1;
    if (pl->opts.switch_bps > 0 && !fits(pl->switch_bps + add, pl->opts.switch_bps)) return -1;
    return add;
}

static int nowhere(const struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                   const struct probe *p, struct e2_err *err)
{
    char name[96], in[32], out[32];
    unsigned free_cores = 0;
    for (size_t s = 0; s < pl->n_servers; s++)
        free_cores += e2_server_nf_cores(pl->hw, s) - pl->cores_used[s];
    e2_inode_name(ig, node, name, sizeof(name));
    if (!free_cores)
        return e2_err_set(err, ENOSPC, "no server can host %s: every NF core of the rack is used",
                          name);
    return e2_err_set(err, ENOSPC,
                      "no server can host %s: none of the %u free cores is on a server that its "
                      "NF's scaling rules allow and whose links, with those of the servers it "
                      "exchanges traffic with, can add its %s in and %s out",
                      name, free_cores, e2_rate_format((uint64_t)p->in, in, sizeof(in)),
                      e2_rate_format((uint64_t)p->out, out, sizeof(out)));
}

int e2_place_incremental(struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                         struct e2_err *err)
{
    if (e2_placement_grow(pl, ig)) return e2_err_set(err, ENOMEM, "placement: out of memory");
    if (node >= ig->n_nodes || !e2_inode_placeable(&ig->nodes[node]) ||
        pl->server[node] != E2_SERVER_NONE)
        return e2_err_set(err, EINVAL, "node %u is not an unplaced instance", node);
    size_t S = pl->n_servers;
    struct probe p = {calloc(S + 1, sizeof(double)), calloc(S + 1, sizeof(double)), 0, 0, 0, 0};
    if (!p.from || !p.to) {
        free(p.from);
        free(p.to);
        return e2_err_set(err, ENOMEM, "placement: out of memory");
    }
    survey(pl, ig, node, &p);
    size_t best = S;
    double best_add = 0;
    for (size_t s = 0; s < S; s++) {
        double add = added_on(pl, ig, node, &p, s);
        if (add >= 0 && (best == S || add < best_add)) best = s, best_add = add;
    }
    int rc = best < S ? 0 : nowhere(pl, ig, node, &p, err);
    if (!rc) e2_placement_set(pl, ig, node, (unsigned)best);
    free(p.from);
    free(p.to);
    return rc;
}

int e2_place_split(struct e2_placement *pl, struct e2_igraph *ig, unsigned inst, unsigned *new_inst,
                   struct e2_err *err)
{
    if (inst >= pl->n_nodes || pl->server[inst] >= pl->n_servers)
        return e2_err_set(err, EINVAL, "split: node %u is not a placed instance", inst);
    /* Take the instance's edges out of the totals while the split rewrites them. */
    const struct e2_inode *n = &ig->nodes[inst];
    for (size_t i = 0; i < n->in.n; i++) e2_placement_account(pl, ig, n->in.v[i], -1);
    for (size_t i = 0; i < n->out.n; i++) e2_placement_account(pl, ig, n->out.v[i], -1);
    int rc = e2_igraph_split(ig, inst, new_inst, err);
    if (e2_placement_grow(pl, ig)) rc = e2_err_set(err, ENOMEM, "placement: out of memory");
    n = &ig->nodes[inst];
    for (size_t i = 0; i < n->in.n; i++) e2_placement_account(pl, ig, n->in.v[i], 1);
    for (size_t i = 0; i < n->out.n; i++) e2_placement_account(pl, ig, n->out.v[i], 1);
    if (rc) return rc;
    return e2_place_incremental(pl, ig, *new_inst, err);
}
