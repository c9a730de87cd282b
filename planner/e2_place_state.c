/* The placement and its running totals: who is where, and what each link carries. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "e2_place.h"

static size_t col(const struct e2_placement *pl, unsigned s)
{
    return s == E2_SERVER_OUTSIDE ? pl->n_servers : s;
}

unsigned e2_server_nf_cores(const struct e2_hw *hw, size_t s)
{
    return hw->servers[s].cores - hw->servers[s].dataplane_cores;
}

static unsigned initial_server(const struct e2_inode *n)
{
    if (n->kind == E2_INODE_PORT) return E2_SERVER_OUTSIDE;
    if (n->kind == E2_INODE_DROP) return E2_SERVER_ANY;
    return E2_SERVER_NONE;
}

int e2_placement_grow(struct e2_placement *pl, const struct e2_igraph *ig)
{
    size_t n = ig->n_nodes, w = pl->n_servers + 1;
    if (n > pl->cap_nodes) {
        size_t cap = pl->cap_nodes ? pl->cap_nodes : 16;
        while (cap < n) cap *= 2;
        unsigned *sv = realloc(pl->server, cap * sizeof(*sv));
        if (sv) pl->server = sv;
        double *in = realloc(pl->in_from, cap * w * sizeof(*in));
        if (in) pl->in_from = in;
        double *out = realloc(pl->out_to, cap * w * sizeof(*out));
        if (out) pl->out_to = out;
        if (!sv || !in || !out) return -ENOMEM;
        pl->cap_nodes = cap;
    }
    for (size_t i = pl->n_nodes; i < n; i++) {
        pl->server[i] = initial_server(&ig->nodes[i]);
        memset(&pl->in_from[i * w], 0, w * sizeof(double));
        memset(&pl->out_to[i * w], 0, w * sizeof(double));
    }
    pl->n_nodes = n;
    return 0;
}

int e2_placement_new(const struct e2_igraph *ig, const struct e2_hw *hw,
                     const struct e2_place_opts *opts, struct e2_placement **out,
                     struct e2_err *err)
{
    *out = NULL;
    struct e2_placement *pl = calloc(1, sizeof(*pl));
    if (!pl) return e2_err_set(err, ENOMEM, "placement: out of memory");
    size_t S = hw->n_servers;
    pl->hw = hw;
    pl->opts = *opts;
    pl->n_servers = S;
    pl->n_pnodes = ig->pg->n_nodes;
    pl->nic_in = calloc(S, sizeof(double));
    pl->nic_out = calloc(S, sizeof(double));
    pl->cores_used = calloc(S, sizeof(unsigned));
    pl->nf_count = calloc(S * pl->n_pnodes + 1, sizeof(unsigned));
    if (!pl->nic_in || !pl->nic_out || !pl->cores_used || !pl->nf_count ||
        e2_placement_grow(pl, ig)) {
        e2_placement_free(pl);
        return e2_err_set(err, ENOMEM, "placement: out of memory");
    }
    for (size_t e = 0; e < ig->n_edges; e++) e2_placement_account(pl, ig, (unsigned)e, 1);
    *out = pl;
    return 0;
}

void e2_placement_free(struct e2_placement *pl)
{
    if (!pl) return;
    free(pl->server);
    free(pl->in_from);
    free(pl->out_to);
    free(pl->nic_in);
    free(pl->nic_out);
    free(pl->cores_used);
    free(pl->nf_count);
    free(pl);
}

void e2_placement_account(struct e2_placement *pl, const struct e2_igraph *ig, unsigned e, int sign)
{
    const struct e2_iedge *ed = &ig->edges[e];
    unsigned a = pl->server[ed->src], b = pl->server[ed->dst];
    if (a == E2_SERVER_NONE || b == E2_SERVER_NONE || a == E2_SERVER_ANY || b == E2_SERVER_ANY)
        return;
    double r = sign * ed->rate_bps;
    size_t w = pl->n_servers + 1;
    pl->out_to[ed->src * w + col(pl, b)] += r;
    pl->in_from[ed->dst * w + col(pl, a)] += r;
    if (a == b && a != E2_SERVER_OUTSIDE) return;
    if (a != E2_SERVER_OUTSIDE) pl->nic_out[a] += r;
    if (b != E2_SERVER_OUTSIDE) pl->nic_in[b] += r;
    if (a != E2_SERVER_OUTSIDE && b != E2_SERVER_OUTSIDE) pl->cross_bps += r;
    pl->switch_bps += r;
}

static void account_node(struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                         int sign)
{
    const struct e2_inode *n = &ig->nodes[node];
    for (size_t i = 0; i < n->in.n; i++) e2_placement_account(pl, ig, n->in.v[i], sign);
    for (size_t i = 0; i < n->out.n; i++) e2_placement_account(pl, ig, n->out.v[i], sign);
}

void e2_placement_set(struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                      unsigned s)
{
    const struct e2_inode *n = &ig->nodes[node];
    unsigned old = pl->server[node];
    if (old != E2_SERVER_NONE) {
        account_node(pl, ig, node, -1);
        pl->cores_used[old] -= n->cores;
        pl->nf_count[old * pl->n_pnodes + n->pnode]--;
    }
    pl->server[node] = s;
    if (s == E2_SERVER_NONE) return;
    pl->cores_used[s] += n->cores;
    pl->nf_count[s * pl->n_pnodes + n->pnode]++;
    account_node(pl, ig, node, 1);
}

bool e2_placement_allows(const struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                         size_t s)
{
    const struct e2_inode *n = &ig->nodes[node];
    if (pl->cores_used[s] + n->cores > e2_server_nf_cores(pl->hw, s)) return false;
    const struct e2_nf_desc *d = ig->pg->nodes[n->pnode].nf;
    if (!d || n->kind != E2_INODE_INSTANCE) return true;
    if (!d->across_cores && pl->nf_count[s * pl->n_pnodes + n->pnode]) return false;
    for (size_t t = 0; !d->across_servers && t < pl->n_servers; t++)
        if (t != s && pl->nf_count[t * pl->n_pnodes + n->pnode]) return false;
    return true;
}

static double beyond(double load, double cap)
{
    return load > cap * (1 + 1e-9) ? load - cap : 0;
}

double e2_placement_excess(const struct e2_placement *pl, double limit)
{
    double x = 0;
    for (size_t s = 0; s < pl->n_servers; s++) {
        double cap = limit * (double)pl->hw->servers[s].nic_bps;
        x += beyond(pl->nic_in[s], cap) + beyond(pl->nic_out[s], cap);
    }
    if (pl->opts.switch_bps > 0) x += beyond(pl->switch_bps, limit * pl->opts.switch_bps);
    return x;
}

double e2_placement_peak_overload(const struct e2_placement *pl, double limit)
{
    double u = 0;
    for (size_t s = 0; s < pl->n_servers; s++) {
        double cap = (double)pl->hw->servers[s].nic_bps;
        u = fmax(u, fmax(pl->nic_in[s], pl->nic_out[s]) / cap);
    }
    if (pl->opts.switch_bps > 0) u = fmax(u, pl->switch_bps / pl->opts.switch_bps);
    return u > limit * (1 + 1e-9) ? u - limit : 0;
}

double e2_place_link_limit(const struct e2_igraph *ig, const struct e2_hw *hw)
{
    double ghz = e2_hw_min_ghz(hw), busiest = 0;
    for (size_t v = 0; v < ig->n_nodes; v++) {
        const struct e2_nf_desc *d = ig->pg->nodes[ig->nodes[v].pnode].nf;
        if (ig->nodes[v].kind != E2_INODE_INSTANCE || !d || !d->throughput_bps_per_core_ghz)
            continue;
        double core = (double)d->throughput_bps_per_core_ghz * ghz;
        busiest = fmax(busiest, e2_inode_load(ig, (unsigned)v) / core);
    }
    return fmin(1, busiest);
}
