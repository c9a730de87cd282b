/* Edge rates by following traffic classes, and instance counts. */
#include "e2_sizing.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "e2_units.h"

/* One traffic class's walk: nodes in topological order, edges that close cycles. */
struct walk {
    unsigned *order;
    size_t n;
    bool *back; /* per edge */
};

struct rates_ctx {
    const struct e2_plan_pgraph *pg;
    unsigned cls;
    struct walk *w;
    unsigned char *mark; /* per node: 0 new, 1 on the DFS stack, 2 done */
    unsigned *post;      /* post-order */
    size_t n_post;
};

static bool is_sink(const struct e2_plan_pgraph *pg, unsigned node)
{
    enum e2_pnode_kind k = pg->nodes[node].kind;
    return k == E2_PNODE_PORT || k == E2_PNODE_DROP;
}

static void dfs(struct rates_ctx *c, unsigned v)
{
    c->mark[v] = 1;
    for (size_t e = 0; !is_sink(c->pg, v) && e < c->pg->n_edges; e++) {
        const struct e2_plan_edge *pe = &c->pg->edges[e];
        if (pe->src != v || !e2_pedge_admits_class(pe, c->cls)) continue;
        if (c->mark[pe->dst] == 1)
            c->w->back[e] = true;
        else if (!c->mark[pe->dst])
            dfs(c, pe->dst);
    }
    c->mark[v] = 2;
    c->post[c->n_post++] = v;
}

static int walk_class(const struct e2_plan_pgraph *pg, unsigned root, struct walk *w)
{
    size_t nn = pg->n_nodes;
    struct rates_ctx c = {pg, root, w, calloc(nn, 1), calloc(nn, sizeof(unsigned)), 0};
    w->order = calloc(nn, sizeof(unsigned));
    w->back = calloc(pg->n_edges, sizeof(bool));
    int rc = c.mark && c.post && w->order && w->back ? 0 : -ENOMEM;
    if (!rc) {
        dfs(&c, pg->edges[root].dst);
        for (size_t i = 0; i < c.n_post; i++) w->order[i] = c.post[c.n_post - 1 - i];
        w->n = c.n_post;
    }
    free(c.mark);
    free(c.post);
    return rc;
}

static double root_amount(const struct e2_plan_edge *e, double default_root_bps)
{
    return e->has_bw ? (double)e->bw_bps : default_root_bps;
}

/*
 * Push one class through its walk. At a node, annotated out-edges take their
 * scaled share first and the rest splits evenly over the unannotated ones (a
 * Tee gives everything to each). derived[] collects the unscaled shares that
 * the annotation scales are computed from.
 */
static void push_class(const struct e2_plan_pgraph *pg, unsigned root, const struct walk *w,
                       double amount, const double *scale, double *in, double *derived)
{
    memset(in, 0, pg->n_nodes * sizeof(*in));
    derived[root] += amount;
    in[pg->edges[root].dst] = amount;
    for (size_t i = 0; i < w->n; i++) {
        unsigned v = w->order[i];
        if (is_sink(pg, v) || in[v] <= 0) continue;
        bool tee = pg->nodes[v].kind == E2_PNODE_TEE;
        unsigned k = 0, k_plain = 0;
        double taken = 0;
        for (size_t e = 0; e < pg->n_edges; e++)
            k += pg->edges[e].src == v && e2_pedge_admits_class(&pg->edges[e], root);
        if (!k) continue;
        double share = tee ? in[v] : in[v] / k;
        for (size_t e = 0; e < pg->n_edges; e++) {
            const struct e2_plan_edge *pe = &pg->edges[e];
            if (pe->src != v || !e2_pedge_admits_class(pe, root)) continue;
            if (pe->has_bw && !tee)
                taken += share * scale[e];
            else
                k_plain++;
        }
        double rest = tee ? in[v] : k_plain ? fmax(0, in[v] - taken) / k_plain : 0;
        for (size_t e = 0; e < pg->n_edges; e++) {
            const struct e2_plan_edge *pe = &pg->edges[e];
            if (pe->src != v || !e2_pedge_admits_class(pe, root)) continue;
            double raw = pe->has_bw ? share : rest;
            derived[e] += raw;
            if (!w->back[e]) in[pe->dst] += raw * scale[e];
        }
    }
}

/* One pass over every class; returns true when the annotation scales settled. */
static bool rates_pass(const struct e2_plan_pgraph *pg, const struct walk *walks, double dflt,
                       double *scale, double *in, double *derived)
{
    memset(derived, 0, pg->n_edges * sizeof(*derived));
    for (size_t r = 0; r < pg->n_edges; r++)
        if (pg->edges[r].root)
            push_class(pg, (unsigned)r, &walks[r], root_amount(&pg->edges[r], dflt), scale, in,
                       derived);
    bool settled = true;
    for (size_t e = 0; e < pg->n_edges; e++) {
        const struct e2_plan_edge *pe = &pg->edges[e];
        double s = pe->has_bw && !pe->root && derived[e] > 0 ? (double)pe->bw_bps / derived[e] : 1;
        if (fabs(s - scale[e]) > 1e-9 * fmax(1, scale[e])) settled = false;
        scale[e] = s;
    }
    return settled;
}

int e2_rates_compute(const struct e2_plan_pgraph *pg, double default_root_bps, double *rate,
                     struct e2_err *err)
{
    size_t ne = pg->n_edges;
    struct walk *walks = calloc(ne ? ne : 1, sizeof(*walks));
    double *scale = malloc((ne + 1) * sizeof(double)),
           *in = calloc(pg->n_nodes + 1, sizeof(double));
    int rc = walks && scale && in ? 0 : -ENOMEM;
    for (size_t e = 0; !rc && e < ne; e++) {
        scale[e] = 1;
        if (pg->edges[e].root) rc = walk_class(pg, (unsigned)e, &walks[e]);
    }
    for (size_t it = 0; !rc && it <= ne + 1; it++)
        if (rates_pass(pg, walks, default_root_bps, scale, in, rate)) break;
    for (size_t e = 0; !rc && e < ne; e++)
        if (pg->edges[e].has_bw) rate[e] = (double)pg->edges[e].bw_bps;
    for (size_t e = 0; walks && e < ne; e++) {
        free(walks[e].order);
        free(walks[e].back);
    }
    free(walks);
    free(scale);
    free(in);
    return rc ? e2_err_set(err, rc, "edge rates: out of memory") : 0;
}

double e2_hw_min_ghz(const struct e2_hw *hw)
{
    double g = hw->n_servers ? hw->servers[0].ghz : 1;
    for (size_t i = 1; i < hw->n_servers; i++)
        if (hw->servers[i].ghz < g) g = hw->servers[i].ghz;
    return g;
}

/* The most one instance is given: half the slowest server link. */
static double link_share(const struct e2_hw *hw)
{
    double b = hw->n_servers ? (double)hw->servers[0].nic_bps : 0;
    for (size_t i = 1; i < hw->n_servers; i++)
        if (hw->servers[i].nic_bps < b) b = (double)hw->servers[i].nic_bps;
    return b / 2;
}

/* Why one instance takes no more than it does: its core, or half a server link. */
static const char *capacity_reason(const struct e2_nf_desc *d, double ghz, bool by_link, char *buf,
                                   size_t len)
{
    char per[32];
    if (by_link) return snprintf(buf, len, "half the slowest server link"), buf;
    e2_rate_format(d->throughput_bps_per_core_ghz, per, sizeof(per));
    snprintf(buf, len, "%s per core-GHz on %.1f GHz cores", per, ghz);
    return buf;
}

static int size_nf(const struct e2_plan_node *n, double ghz, double link, struct e2_nf_size *s,
                   struct e2_err *err)
{
    const struct e2_nf_desc *d = n->nf;
    if (!d) return s->instances = 1, 0;
    double core = (double)d->throughput_bps_per_core_ghz * ghz;
    bool by_link = core > link && link > 0;
    s->capacity_bps = by_link ? link : core;
    double need = s->capacity_bps > 0 ? ceil(s->load_bps / s->capacity_bps - 1e-9) : 0;
    if (need > d->max_instances) {
        char load[32], cap[32], why[96];
        e2_rate_format((uint64_t)s->load_bps, load, sizeof(load));
        e2_rate_format((uint64_t)s->capacity_bps, cap, sizeof(cap));
        return e2_err_set(err, ERANGE,
                          "NF '%s' (%s) needs %.0f instances for %s at %s each (%s), but its "
                          "description allows at most %u",
                          n->name, d->nf_type, need, load, cap,
                          capacity_reason(d, ghz, by_link, why, sizeof(why)), d->max_instances);
    }
    s->instances = need < d->min_instances ? d->min_instances : (unsigned)need;
    return 0;
}

/* ---- slices ---- */

/* What one server offers: NF cores and NIC, of the smallest and of the largest server. */
struct span {
    unsigned min_cores, max_cores;
    double min_nic, max_nic;
};

static struct span rack_span(const struct e2_hw *hw)
{
    struct span r = {UINT_MAX, 0, INFINITY, 0};
    for (size_t i = 0; i < hw->n_servers; i++) {
        unsigned c = hw->servers[i].cores - hw->servers[i].dataplane_cores;
        double b = (double)hw->servers[i].nic_bps;
        r = (struct span){c < r.min_cores ? c : r.min_cores, c > r.max_cores ? c : r.max_cores,
                          fmin(b, r.min_nic), fmax(b, r.max_nic)};
    }
    return r;
}

/* Only NFs that may spread over cores and servers, with a known throughput, are sliced. */
static bool all_sliceable(const struct e2_plan_pgraph *pg, const struct e2_nf_size *s)
{
    for (size_t i = 0; i < pg->n_nodes; i++) {
        const struct e2_nf_desc *d = pg->nodes[i].nf;
        if (pg->nodes[i].kind == E2_PNODE_NF &&
            (!d || !d->across_cores || !d->across_servers || s[i].capacity_bps <= 0))
            return false;
    }
    return true;
}

static unsigned round_up(unsigned k, unsigned c)
{
    return (k + c - 1) / c * c;
}

/* Whether @c slices fit: each on the smallest server (cores, NIC), within every NF's maximum. */
static bool slices_fit(const struct e2_plan_pgraph *pg, const struct e2_nf_size *s, unsigned c,
                       const struct span *r, double in, double out)
{
    unsigned cores = 0;
    for (size_t i = 0; i < pg->n_nodes; i++) {
        if (pg->nodes[i].kind != E2_PNODE_NF) continue;
        if (round_up(s[i].instances, c) > pg->nodes[i].nf->max_instances) return false;
        cores += round_up(s[i].instances, c) / c;
    }
    return cores <= r->min_cores && fmax(in, out) / c <= r->min_nic * (1 + 1e-9);
}

/* Slices as few as the rack needs and whose share fits one server; 1 when none do. */
static void choose_slices(const struct e2_plan_pgraph *pg, const double *rate,
                          const struct e2_hw *hw, struct e2_nf_size *s)
{
    if (!hw->n_servers || !all_sliceable(pg, s)) return;
    struct span r = rack_span(hw);
    double in = 0, out = 0, cores = 0;
    for (size_t e = 0; e < pg->n_edges; e++) {
        in += pg->nodes[pg->edges[e].src].kind == E2_PNODE_PORT ? rate[e] : 0;
        out += pg->nodes[pg->edges[e].dst].kind == E2_PNODE_PORT ? rate[e] : 0;
    }
    for (size_t i = 0; i < pg->n_nodes; i++)
        cores += pg->nodes[i].kind == E2_PNODE_NF ? s[i].instances : 0;
    double need = fmax(ceil(cores / r.max_cores), ceil(fmax(in, out) / r.max_nic - 1e-9));
    if (need <= 1 || need > hw->n_servers) return;
    for (unsigned c = (unsigned)need; c <= hw->n_servers; c++) {
        if (!slices_fit(pg, s, c, &r, in, out)) continue;
        for (size_t i = 0; i < pg->n_nodes; i++) {
            if (pg->nodes[i].kind != E2_PNODE_NF) continue;
            s[i].instances = round_up(s[i].instances, c);
            s[i].slices = c;
        }
        return;
    }
}

int e2_plan_size(const struct e2_plan_pgraph *pg, const double *rate, const struct e2_hw *hw,
                 struct e2_nf_size *out, struct e2_err *err)
{
    double ghz = e2_hw_min_ghz(hw), link = link_share(hw);
    memset(out, 0, pg->n_nodes * sizeof(*out));
    for (size_t e = 0; e < pg->n_edges; e++) out[pg->edges[e].dst].load_bps += rate[e];
    for (size_t i = 0; i < pg->n_nodes; i++) {
        const struct e2_plan_node *n = &pg->nodes[i];
        out[i].slices = 1;
        if (n->kind == E2_PNODE_TEE) out[i].instances = 1;
        if (n->kind != E2_PNODE_NF) continue;
        int rc = size_nf(n, ghz, link, &out[i], err);
        if (rc) return rc;
    }
    choose_slices(pg, rate, hw, out);
    return 0;
}
