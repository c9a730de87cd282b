/* Loads and headroom of a placement, from scratch. */
#include "e2_usage.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2_place.h"

struct limit {
    double headroom;
    char *what;
    size_t len;
};

static void consider(struct limit *l, double cap, double load, const char *fmt, const char *a,
                     const char *b)
{
    if (load <= 0 || cap / load >= l->headroom) return;
    l->headroom = cap / load;
    snprintf(l->what, l->len, fmt, a, b);
}

static void edge_loads(const struct e2_igraph *ig, const unsigned *server, struct e2_usage *u)
{
    for (size_t e = 0; e < ig->n_edges; e++) {
        const struct e2_iedge *ed = &ig->edges[e];
        unsigned a = server[ed->src], b = server[ed->dst];
        double r = ed->rate_bps;
        if (a == E2_SERVER_OUTSIDE) u->offered_bps += r;
        if (a == E2_SERVER_ANY || b == E2_SERVER_ANY || (a == b && a != E2_SERVER_OUTSIDE))
            continue;
        if (a != E2_SERVER_OUTSIDE) u->nic_out[a] += r;
        if (b != E2_SERVER_OUTSIDE) u->nic_in[b] += r;
        if (a != E2_SERVER_OUTSIDE && b != E2_SERVER_OUTSIDE) u->cross_bps += r;
        u->switch_bps += r;
    }
}

static void headroom(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                     double switch_bps, struct e2_usage *u)
{
    struct limit l = {INFINITY, u->bottleneck, sizeof(u->bottleneck)};
    char name[96];
    for (size_t v = 0; v < ig->n_nodes; v++) {
        const struct e2_nf_desc *d = ig->pg->nodes[ig->nodes[v].pnode].nf;
        if (ig->nodes[v].kind != E2_INODE_INSTANCE || !d || !d->throughput_bps_per_core_ghz)
            continue;
        const struct e2_server *s = &hw->servers[server[v]];
        consider(&l, (double)d->throughput_bps_per_core_ghz * s->ghz,
                 e2_inode_load(ig, (unsigned)v), "the core of %s on %s",
                 e2_inode_name(ig, (unsigned)v, name, sizeof(name)), s->name);
    }
    for (size_t s = 0; s < hw->n_servers; s++) {
        consider(&l, (double)hw->servers[s].nic_bps, u->nic_in[s], "%s NIC in%s",
                 hw->servers[s].name, "");
        consider(&l, (double)hw->servers[s].nic_bps, u->nic_out[s], "%s NIC out%s",
                 hw->servers[s].name, "");
    }
    if (switch_bps > 0) consider(&l, switch_bps, u->switch_bps, "the switch%s%s", "", "");
    u->headroom = l.headroom;
}

int e2_usage_compute(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                     double switch_bps, struct e2_usage *u)
{
    size_t S = hw->n_servers;
    *u = (struct e2_usage){.n_servers = S};
    u->cores = calloc(S + 1, sizeof(unsigned));
    u->nic_in = calloc(S + 1, sizeof(double));
    u->nic_out = calloc(S + 1, sizeof(double));
    if (!u->cores || !u->nic_in || !u->nic_out) {
        e2_usage_free(u);
        return -ENOMEM;
    }
    for (size_t v = 0; v < ig->n_nodes; v++) {
        if (!e2_inode_placeable(&ig->nodes[v])) continue;
        if (server[v] >= S) {
            e2_usage_free(u);
            return -EINVAL;
        }
        u->cores[server[v]] += ig->nodes[v].cores;
    }
    edge_loads(ig, server, u);
    headroom(ig, server, hw, switch_bps, u);
    return 0;
}

void e2_usage_free(struct e2_usage *u)
{
    free(u->cores);
    free(u->nic_in);
    free(u->nic_out);
    u->cores = NULL;
    u->nic_in = u->nic_out = NULL;
}
