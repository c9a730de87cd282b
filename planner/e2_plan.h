/*
 * e2_plan — the planner end to end: pGraph + hardware -> deployment plan.
 *
 *   rates (e2_sizing) -> instances per NF (e2_plan_size) -> iGraph
 *   (e2_igraph) -> placement (e2_place) -> loads and headroom (e2_usage)
 *   -> switch rules, checked against the flow table -> offload candidates
 *   -> JSON (e2_plan_to_json, format "e2-plan/1", docs/planner.md).
 *
 * Every failure says which resource is short and by how much: sizing beyond
 * an NF's max instances, cores, NIC links, the switch's bandwidth, its flow
 * table, or a switch that cannot split traffic by flow ID.
 */
#ifndef E2_PLAN_H
#define E2_PLAN_H

#include <jansson.h>

#include "e2_desc.h"
#include "e2_err.h"
#include "e2_igraph.h"
#include "e2_offload.h"
#include "e2_plan_pgraph.h"
#include "e2_place.h"
#include "e2_sizing.h"
#include "e2_usage.h"

#define E2_PLAN_FORMAT "e2-plan/1"

struct e2_plan_opts {
    double default_root_bps; /**< rate of a root edge without (bw); default 1 Gbit/s */
    double switch_bps;       /**< switch bandwidth; 0 (default) = non-blocking */
    unsigned flow_bits;      /**< flow-ID width; default 16 (FlowHash's) */
};

/** The defaults above. */
void e2_plan_opts_default(struct e2_plan_opts *o);

struct e2_plan {
    const struct e2_plan_pgraph *pg; /**< borrowed */
    const struct e2_hw *hw;          /**< borrowed */
    struct e2_plan_opts opts;
    double *edge_bps;        /**< per pGraph edge */
    struct e2_nf_size *size; /**< per pGraph node */
    struct e2_igraph *ig;
    struct e2_placement *pl;
    struct e2_usage usage;
    struct e2_switch_rule *rules;
    size_t n_rules;
    struct e2_offload *offload;
    size_t n_offload;
};

/**
 * Plan a pGraph on a rack.
 *
 * @param pg, hw  must outlive the plan
 * @param opts    NULL for the defaults
 * @param out     new plan; free with e2_plan_free()
 * @return 0; -ERANGE (an NF needs more instances than allowed), -ENOSPC (the
 *         rack cannot hold it: the message names the resource and shortfall),
 *         -EINVAL, -ENOMEM
 */
int e2_plan_build(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                  const struct e2_plan_opts *opts, struct e2_plan **out, struct e2_err *err);

void e2_plan_free(struct e2_plan *p);

/** The deployment plan as JSON (new reference; NULL on ENOMEM). */
json_t *e2_plan_to_json(const struct e2_plan *p);

/**
 * Check a plan JSON document: structure, and that it keeps every limit it
 * states (cores, NIC links, flow table), places each instance exactly once
 * and gives each NF's instances ranges that tile the flow-ID space.
 * @return 0 or -EINVAL with the offending path in @err.
 */
int e2_plan_json_validate(const json_t *plan, struct e2_err *err);

#endif
