/* The planner pipeline: rates, sizing, iGraph, placement, rules, offload. */
#include "e2_plan.h"

#include <errno.h>
#include <stdlib.h>

void e2_plan_opts_default(struct e2_plan_opts *o)
{
    *o = (struct e2_plan_opts){1e9, 0, E2_FLOW_BITS_DEFAULT};
}

/* A switch without hash_select can only send a port's traffic to one place. */
static int check_hashing(const struct e2_plan *p, struct e2_err *err)
{
    if (p->hw->sw.actions & E2_SW_HASH_SELECT) return 0;
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct e2_switch_rule *r = &p->rules[i];
        if (r->kind != E2_RULE_INGRESS || !r->flow.len) continue;
        const struct e2_plan_edge *pe = &p->pg->edges[r->pedge];
        return e2_err_set(err, ENOSPC,
                          "the policy cannot fit: switch '%s' lacks hash_select, so it cannot "
                          "split the traffic of port '%s' among the %zu instances of '%s'",
                          p->hw->sw.name, p->pg->nodes[pe->src].name, p->ig->members[pe->dst].n,
                          p->pg->nodes[pe->dst].name);
    }
    return 0;
}

static int rules_and_offload(struct e2_plan *p, struct e2_err *err)
{
    long n = e2_switch_rules(p->ig, p->pl->server, p->hw, &p->rules);
    if (n < 0) return e2_err_set(err, (int)n, "switch rules: out of memory");
    p->n_rules = (size_t)n;
    unsigned table = p->hw->sw.flow_table_size;
    if (p->n_rules > table)
        return e2_err_set(err, ENOSPC,
                          "the policy cannot fit: it needs %zu switch rules, switch '%s' holds "
                          "%u: %zu over",
                          p->n_rules, p->hw->sw.name, table, p->n_rules - table);
    int rc = check_hashing(p, err);
    if (rc) return rc;
    n = e2_offload_candidates(p->ig, p->pl->server, p->hw, (unsigned)p->n_rules, &p->offload);
    if (n < 0) return e2_err_set(err, (int)n, "offload: out of memory");
    p->n_offload = (size_t)n;
    return 0;
}

static int build(struct e2_plan *p, struct e2_err *err)
{
    const struct e2_plan_pgraph *pg = p->pg;
    p->edge_bps = calloc(pg->n_edges + 1, sizeof(double));
    p->size = calloc(pg->n_nodes + 1, sizeof(*p->size));
    if (!p->edge_bps || !p->size) return e2_err_set(err, ENOMEM, "plan: out of memory");
    struct e2_place_opts po = {p->opts.switch_bps, true};
    int rc;
    if ((rc = e2_rates_compute(pg, p->opts.default_root_bps, p->edge_bps, err)) ||
        (rc = e2_plan_size(pg, p->edge_bps, p->hw, p->size, err)) ||
        (rc = e2_igraph_build(pg, p->edge_bps, p->size, p->opts.flow_bits, &p->ig, err)) ||
        (rc = e2_place(p->ig, p->hw, &po, &p->pl, err)))
        return rc;
    rc = e2_usage_compute(p->ig, p->pl->server, p->hw, p->opts.switch_bps, &p->usage);
    if (rc) return e2_err_set(err, rc, "plan: out of memory");
    return rules_and_offload(p, err);
}

int e2_plan_build(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                  const struct e2_plan_opts *opts, struct e2_plan **out, struct e2_err *err)
{
    *out = NULL;
    struct e2_plan *p = calloc(1, sizeof(*p));
    if (!p) return e2_err_set(err, ENOMEM, "plan: out of memory");
    p->pg = pg;
    p->hw = hw;
    if (opts)
        p->opts = *opts;
    else
        e2_plan_opts_default(&p->opts);
    int rc = build(p, err);
    if (rc) {
        e2_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void e2_plan_free(struct e2_plan *p)
{
    if (!p) return;
    free(p->edge_bps);
    free(p->size);
    e2_placement_free(p->pl);
    e2_igraph_free(p->ig);
    e2_usage_free(&p->usage);
    free(p->rules);
    free(p->offload);
    free(p);
}
