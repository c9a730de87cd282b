/* Offload candidates: switch-capable NFs next to a switch port, if their rules fit. */
#include "e2_offload.h"

#include <errno.h>
#include <stdlib.h>

#include "e2_place.h"

static bool next_to_port(const struct e2_plan_pgraph *pg, unsigned p)
{
    for (size_t e = 0; e < pg->n_edges; e++) {
        const struct e2_plan_edge *pe = &pg->edges[e];
        if (pe->dst == p && pg->nodes[pe->src].kind == E2_PNODE_PORT) return true;
        if (pe->src == p && pg->nodes[pe->dst].kind == E2_PNODE_PORT) return true;
    }
    return false;
}

/* Switch ports the NF's traffic arrives on, as a set over port numbers. */
static unsigned arrival_ports(const struct e2_igraph *ig, const unsigned *server,
                              const struct e2_hw *hw, unsigned p, unsigned char *seen)
{
    unsigned n = 0;
    const struct e2_ivec *m = &ig->members[p];
    for (size_t i = 0; i < m->n; i++) {
        const struct e2_ivec *in = &ig->nodes[m->v[i]].in;
        for (size_t k = 0; k < in->n; k++) {
            unsigned src = ig->edges[in->v[k]].src, s = server[src];
            const struct e2_plan_node *pn = &ig->pg->nodes[ig->nodes[src].pnode];
            for (size_t j = 0; s == E2_SERVER_OUTSIDE && j < pn->n_switch_ports; j++)
                if (!seen[pn->switch_ports[j]]++) n++;
            if (s < hw->n_servers && !seen[hw->servers[s].switch_port]++) n++;
        }
    }
    return n;
}

static unsigned out_edges(const struct e2_plan_pgraph *pg, unsigned p)
{
    unsigned n = 0;
    for (size_t e = 0; e < pg->n_edges; e++) n += pg->edges[e].src == p;
    return n;
}

long e2_offload_candidates(const struct e2_igraph *ig, const unsigned *server,
                           const struct e2_hw *hw, unsigned rules_used, struct e2_offload **out)
{
    const struct e2_plan_pgraph *pg = ig->pg;
    unsigned room = hw->sw.flow_table_size > rules_used ? hw->sw.flow_table_size - rules_used : 0;
    *out = NULL;
    long n = 0;
    for (size_t p = 0; p < pg->n_nodes; p++) {
        const struct e2_nf_desc *d = pg->nodes[p].nf;
        if (pg->nodes[p].kind != E2_PNODE_NF || !d || !d->offload_actions ||
            (d->offload_actions & ~hw->sw.actions) || !next_to_port(pg, (unsigned)p))
            continue;
        unsigned char *seen = calloc(65536, 1);
        if (!seen) return -ENOMEM;
        unsigned rules =
            arrival_ports(ig, server, hw, (unsigned)p, seen) * out_edges(pg, (unsigned)p);
        free(seen);
        if (rules > room) continue;
        struct e2_offload *v = realloc(*out, (size_t)(n + 1) * sizeof(*v));
        if (!v) return -ENOMEM;
        *out = v;
        v[n++] =
            (struct e2_offload){(unsigned)p, d->offload_actions, rules, (unsigned)ig->members[p].n};
    }
    return n;
}
