/* The Fig. 9 simulator: max sustained rate per plan, and per strategy over offered loads. */
#include "e2_sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "e2_ilp.h"
#include "e2_sizing.h"
#include "e2_usage.h"

const char *e2_strategy_name(enum e2_strategy s)
{
    static const char *const names[] = {"E2", "Packing", "Random", "ILP"};
    return names[s];
}

int e2_place_random(const struct e2_igraph *ig, const struct e2_hw *hw,
                    const struct e2_place_opts *opts, struct e2_rng *rng, struct e2_placement **out,
                    struct e2_err *err)
{
    int rc = e2_placement_new(ig, hw, opts, out, err);
    unsigned *ok = rc ? NULL : malloc(hw->n_servers * sizeof(unsigned));
    if (!rc && !ok) rc = e2_err_set(err, ENOMEM, "out of memory");
    for (size_t v = 0; !rc && v < ig->n_nodes; v++) {
        if (!e2_inode_placeable(&ig->nodes[v])) continue;
        unsigned n = 0;
        for (size_t s = 0; s < hw->n_servers; s++)
            if (e2_placement_allows(*out, ig, (unsigned)v, s)) ok[n++] = (unsigned)s;
        if (!n) {
            char name[96];
            rc = e2_err_set(err, ENOSPC, "random placement: no server has room for %s",
                            e2_inode_name(ig, (unsigned)v, name, sizeof(name)));
            break;
        }
        e2_placement_set(*out, ig, (unsigned)v, ok[e2_rng_below(rng, n)]);
    }
    free(ok);
    if (rc) {
        e2_placement_free(*out);
        *out = NULL;
    }
    return rc;
}

double e2_sim_max_rate(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                       double switch_bps)
{
    struct e2_usage u;
    if (e2_usage_compute(ig, server, hw, switch_bps, &u)) return 0;
    long rules = e2_switch_rules(ig, server, hw, NULL);
    double rate = rules < 0 || (unsigned long)rules > hw->sw.flow_table_size ? 0
                  : isinf(u.headroom)                                        ? u.offered_bps
                                      : u.offered_bps * u.headroom;
    e2_usage_free(&u);
    return rate;
}

/* ---- one strategy over the offered loads ---- */

struct sweep {
    const struct e2_plan_pgraph *pg;
    const struct e2_hw *hw;
    const struct e2_sim_opts *o;
    enum e2_strategy strategy;
    struct e2_rng rng;
    double *base, *rate; /* edge rates at the pGraph's own ingress, and scaled */
    double ingress;      /* the pGraph's own ingress */
    struct e2_nf_size *size;
    unsigned free_cores;
    double link_bound; /* no placement carries more: all NIC capacity, the switch's */
    bool exact;
};

/* Size at offered load R; false when the rack's cores (or an NF's max) cannot take it. */
static bool size_at(struct sweep *w, double R)
{
    for (size_t e = 0; e < w->pg->n_edges; e++) w->rate[e] = w->base[e] * R / w->ingress;
    if (e2_plan_size(w->pg, w->rate, w->hw, w->size, NULL)) return false;
    unsigned need = 0;
    for (size_t p = 0; p < w->pg->n_nodes; p++)
        if (w->pg->nodes[p].kind == E2_PNODE_NF) need += w->size[p].instances;
    return need <= w->free_cores;
}

/* The largest offered load that still fits, by doubling then bisection; 0 if none does. */
static double top_rate(struct sweep *w)
{
    double lo = w->ingress * 1e-6, hi = w->ingress;
    if (!size_at(w, lo)) return 0;
    for (int i = 0; i < 60 && size_at(w, hi); i++) lo = hi, hi *= 2;
    for (int i = 0; i < 50; i++) {
        double mid = (lo + hi) / 2;
        if (size_at(w, mid))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* At load R (sized): the rate where the first NF saturates, and the next lower load to try. */
static double saturation(const struct sweep *w, double R, double *next)
{
    double alpha = INFINITY;
    *next = 0;
    for (size_t p = 0; p < w->pg->n_nodes; p++) {
        const struct e2_nf_size *s = &w->size[p];
        const struct e2_nf_desc *d = w->pg->nodes[p].nf;
        if (w->pg->nodes[p].kind != E2_PNODE_NF || s->capacity_bps <= 0 || s->load_bps <= 0)
            continue;
        alpha = fmin(alpha, s->instances * s->capacity_bps / s->load_bps);
        unsigned floor_n = d && d->min_instances > 1 ? d->min_instances : 1;
        if (s->instances > floor_n)
            *next = fmax(*next, (s->instances - 1) * s->capacity_bps / (s->load_bps / R));
    }
    return isinf(alpha) ? R : R * alpha;
}

static int place(struct sweep *w, const struct e2_igraph *ig, struct e2_placement **pl)
{
    struct e2_place_opts po = {w->o->switch_bps, w->strategy != E2_STRATEGY_PACKING};
    switch (w->strategy) {
    case E2_STRATEGY_E2: return e2_place_best_effort(ig, w->hw, &po, pl, NULL);
    case E2_STRATEGY_PACKING: return e2_place_pack(ig, w->hw, &po, pl, NULL);
    case E2_STRATEGY_RANDOM: return e2_place_random(ig, w->hw, &po, &w->rng, pl, NULL);
    case E2_STRATEGY_ILP: break;
    }
    bool optimal;
    int rc = e2_ilp_place(ig, w->hw, &po, w->o->ilp_seconds, pl, &optimal, NULL);
    w->exact &= !rc && optimal;
    return rc;
}

/* Place the iGraph of the current sizing at load R and return the rate it sustains. */
static double evaluate(struct sweep *w, double R, unsigned *instances)
{
    for (size_t e = 0; e < w->pg->n_edges; e++) w->rate[e] = w->base[e] * R / w->ingress;
    struct e2_igraph *ig = NULL;
    struct e2_placement *pl = NULL;
    double v = 0;
    if (!e2_igraph_build(w->pg, w->rate, w->size, w->o->flow_bits, &ig, NULL) && !place(w, ig, &pl))
        v = e2_sim_max_rate(ig, pl->server, w->hw, w->o->switch_bps);
    *instances = 0;
    for (size_t n = 0; ig && n < ig->n_nodes; n++)
        *instances += ig->nodes[n].kind == E2_INODE_INSTANCE;
    e2_placement_free(pl);
    e2_igraph_free(ig);
    return v;
}

/*
 * The count vector sized at load R, placed at its saturation rate, unless it
 * does not fit or cannot beat the best so far (its value is at most that
 * rate). Returns the next lower load with another vector, or 0 to stop.
 */
static double try_at(struct sweep *w, double R, struct e2_sim_result *out)
{
    double next;
    if (!size_at(w, R)) return 0;
    double sat = saturation(w, R, &next);
    if (sat <= out->max_rate_bps) return 0;
    if (sat > w->link_bound) return next * (1 - 1e-9);
    unsigned inst;
    double v = evaluate(w, sat, &inst);
    out->evaluated++;
    if (v > out->max_rate_bps) *out = (struct e2_sim_result){v, R, inst, out->evaluated, false};
    return next * (1 - 1e-9);
}

/*
 * Coarse, then fine: loads from the largest that fits down in steps of at
 * least 15%; then eight loads spaced evenly (geometrically) between the
 * coarse loads on either side of the best one.
 */
static void sweep(struct sweep *w, struct e2_sim_result *out)
{
    double coarse[256];
    size_t n = 0, best = 0;
    for (double R = top_rate(w); R > 0 && n < 256;) {
        double before = out->max_rate_bps, next = try_at(w, R, out);
        if (out->max_rate_bps > before) best = n;
        coarse[n++] = R;
        R = next > 0 ? fmin(next, R * 0.85) : 0;
    }
    if (!n) return;
    double hi = best ? coarse[best - 1] : coarse[0];
    double lo = best + 1 < n ? coarse[best + 1] : coarse[best] * 0.85;
    for (int i = 1; i <= 8; i++) try_at(w, hi * pow(lo / hi, i / 9.0), out);
}

static int sweep_init(struct sweep *w, const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                      enum e2_strategy strategy, const struct e2_sim_opts *opts, struct e2_err *err)
{
    *w = (struct sweep){.pg = pg,
                        .hw = hw,
                        .o = opts,
                        .strategy = strategy,
                        .rng = {opts->seed},
                        .base = calloc(pg->n_edges + 1, sizeof(double)),
                        .rate = calloc(pg->n_edges + 1, sizeof(double)),
                        .size = calloc(pg->n_nodes + 1, sizeof(struct e2_nf_size)),
                        .exact = true};
    if (!w->base || !w->rate || !w->size)
        return e2_err_set(err, ENOMEM, "simulator: out of memory");
    int rc = e2_rates_compute(pg, 1e9, w->base, err);
    for (size_t e = 0; !rc && e < pg->n_edges; e++)
        if (pg->edges[e].root) w->ingress += w->base[e];
    for (size_t s = 0; s < hw->n_servers; s++) {
        w->free_cores += e2_server_nf_cores(hw, s);
        w->link_bound += (double)hw->servers[s].nic_bps;
    }
    if (opts->switch_bps > 0) w->link_bound = fmin(w->link_bound, opts->switch_bps);
    return rc;
}

static void sweep_free(struct sweep *w)
{
    free(w->base);
    free(w->rate);
    free(w->size);
}

int e2_sim_best_rate(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                     enum e2_strategy strategy, const struct e2_sim_opts *opts,
                     struct e2_sim_result *out, struct e2_err *err)
{
    struct e2_sim_strategy one = {strategy, out};
    return e2_sim_compare(pg, hw, &one, 1, opts, err);
}

int e2_sim_compare(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                   const struct e2_sim_strategy *s, size_t n, const struct e2_sim_opts *opts,
                   struct e2_err *err)
{
    struct sweep w[8];
    int rc = n <= 8 ? 0 : e2_err_set(err, EINVAL, "simulator: at most 8 strategies at once");
    size_t ready = 0;
    for (; !rc && ready < n; ready++) {
        *s[ready].result = (struct e2_sim_result){0};
        rc = sweep_init(&w[ready], pg, hw, s[ready].strategy, opts, err);
        if (!rc && w[ready].ingress > 0) sweep(&w[ready], s[ready].result);
    }
    /* Each strategy also at the loads where the others did best: a common set of points. */
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (j != i && s[j].result->load_bps > 0 && w[i].ingress > 0)
                try_at(&w[i], s[j].result->load_bps, s[i].result);
    for (size_t i = 0; i < ready; i++) {
        s[i].result->exact = s[i].strategy == E2_STRATEGY_ILP && w[i].exact;
        sweep_free(&w[i]);
    }
    return rc;
}
