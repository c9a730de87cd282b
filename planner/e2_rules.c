/* The switch rules a placement needs, counted exactly (see e2_usage.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_place.h"
#include "e2_usage.h"

/* Flow IDs an ingress edge sends to one destination. */
struct piece {
    unsigned port_inode, pedge, server, port_node;
    uint64_t lo, hi;
};

struct rules {
    struct e2_switch_rule *v;
    size_t n, cap;
    bool store;
};

static int emit(struct rules *r, const struct e2_switch_rule *rule)
{
    if (r->store && r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        struct e2_switch_rule *p = realloc(r->v, cap * sizeof(*p));
        if (!p) return -ENOMEM;
        r->v = p;
        r->cap = cap;
    }
    if (r->store) r->v[r->n] = *rule;
    r->n++;
    return 0;
}

static int by_key(const void *x, const void *y)
{
    const struct piece *a = x, *b = y;
    unsigned ka[] = {a->port_inode, a->pedge, a->server, a->port_node};
    unsigned kb[] = {b->port_inode, b->pedge, b->server, b->port_node};
    for (int i = 0; i < 4; i++)
        if (ka[i] != kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static bool same_group(const struct piece *a, const struct piece *b)
{
    return a->port_inode == b->port_inode && a->pedge == b->pedge && a->server == b->server &&
           a->port_node == b->port_node;
}

/* One merged interval of one group: its prefix cover. */
static int emit_interval(struct rules *r, const struct e2_igraph *ig, const struct piece *p,
                         uint64_t lo, uint64_t hi)
{
    struct e2_prefix pre[2 * E2_FLOW_BITS_MAX];
    size_t np = e2_range_prefix_cover(lo, hi, ig->bits, pre);
    for (size_t k = 0; k < np; k++) {
        struct e2_switch_rule rule = {E2_RULE_INGRESS, 0,      ig->nodes[p->port_inode].pnode,
                                      p->pedge,        pre[k], p->server,
                                      p->port_node};
        int rc = emit(r, &rule);
        if (rc) return rc;
    }
    return 0;
}

/* Table 0: every external port of a port node that traffic enters by. */
static int emit_port_groups(struct rules *r, const struct e2_igraph *ig)
{
    for (size_t v = 0; v < ig->n_nodes; v++) {
        if (ig->nodes[v].kind != E2_INODE_PORT || !ig->nodes[v].out.n) continue;
        const struct e2_plan_node *pn = &ig->pg->nodes[ig->nodes[v].pnode];
        for (size_t i = 0; i < pn->n_switch_ports; i++) {
            struct e2_switch_rule rule = {.kind = E2_RULE_PORT_GROUP,
                                          .in_port = pn->switch_ports[i],
                                          .group = ig->nodes[v].pnode};
            int rc = emit(r, &rule);
            if (rc) return rc;
        }
    }
    return 0;
}

static int emit_ingress(struct rules *r, const struct e2_igraph *ig, struct piece *ps, size_t n)
{
    qsort(ps, n, sizeof(*ps), by_key);
    for (size_t i = 0; i < n;) {
        uint64_t lo = ps[i].lo, hi = ps[i].hi;
        size_t j = i + 1;
        for (; j < n && same_group(&ps[i], &ps[j]) && ps[j].lo <= hi; j++)
            if (ps[j].hi > hi) hi = ps[j].hi;
        int rc = emit_interval(r, ig, &ps[i], lo, hi);
        if (rc) return rc;
        i = j;
    }
    return 0;
}

static int collect_ingress(const struct e2_igraph *ig, const unsigned *server, struct piece **out,
                           size_t *n)
{
    *n = 0;
    *out = malloc((ig->n_edges + 1) * sizeof(**out));
    if (!*out) return -ENOMEM;
    for (size_t e = 0; e < ig->n_edges; e++) {
        const struct e2_iedge *ed = &ig->edges[e];
        if (ig->nodes[ed->src].kind != E2_INODE_PORT) continue;
        unsigned dst = server[ed->dst];
        bool to_port = dst == E2_SERVER_OUTSIDE;
        (*out)[(*n)++] =
            (struct piece){ed->src,      ed->pedge,   dst, to_port ? ig->nodes[ed->dst].pnode : 0,
                           ed->range.lo, ed->range.hi};
    }
    return 0;
}

/* To-server and egress: one rule per receiving server, one per receiving port node. */
static int emit_forwarding(struct rules *r, const struct e2_igraph *ig, const unsigned *server,
                           const struct e2_hw *hw)
{
    size_t S = hw->n_servers, P = ig->pg->n_nodes;
    unsigned char *srv = calloc(S + 1, 1), *port = calloc(P + 1, 1);
    int rc = srv && port ? 0 : -ENOMEM;
    for (size_t e = 0; !rc && e < ig->n_edges; e++) {
        unsigned a = server[ig->edges[e].src], b = server[ig->edges[e].dst];
        if (a >= S || a == b) continue;
        if (b < S) srv[b] = 1;
        if (b == E2_SERVER_OUTSIDE) port[ig->nodes[ig->edges[e].dst].pnode] = 1;
    }
    for (size_t s = 0; !rc && s < S; s++)
        if (srv[s])
            rc =
                emit(r, &(struct e2_switch_rule){.kind = E2_RULE_TO_SERVER, .server = (unsigned)s});
    for (size_t p = 0; !rc && p < P; p++)
        if (port[p])
            rc = emit(r, &(struct e2_switch_rule){.kind = E2_RULE_EGRESS,
                                                  .server = E2_SERVER_OUTSIDE,
                                                  .port_node = (unsigned)p});
    free(srv);
    free(port);
    return rc;
}

long e2_switch_rules(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                     struct e2_switch_rule **out)
{
    struct rules r = {.store = out != NULL};
    struct piece *ps = NULL;
    size_t n = 0;
    int rc = emit_port_groups(&r, ig);
    if (!rc) rc = collect_ingress(ig, server, &ps, &n);
    if (!rc) rc = emit_ingress(&r, ig, ps, n);
    if (!rc) rc = emit_forwarding(&r, ig, server, hw);
    free(ps);
    if (rc) {
        free(r.v);
        return rc;
    }
    if (out) *out = r.v;
    return (long)r.n;
}
