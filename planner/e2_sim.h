/*
 * e2_sim — the rack simulator of the paper's Fig. 9.
 *
 * The measure: the maximum input rate a rack sustains with a given plan
 * before any core, server link or the switch saturates — the plan's offered
 * load times its headroom (e2_usage.h); zero when its rules overflow the
 * switch's flow table.
 *
 * The comparison: a strategy (E2's placement, Packing = DFS bin-packing by
 * cores alone, Random = each instance on a random server with a free core,
 * or the exact ILP optimum) is judged by the best rate it reaches as the
 * operator's offered load grows. Sizing turns each offered load into
 * instance counts; each distinct count vector is evaluated at the rate
 * where its busiest NF's instances reach their capacity, so every strategy
 * places the same iGraphs at the same rates. The search is the same for
 * every strategy: offered loads from the largest that fits the rack's cores
 * downwards in steps of at least 15%, then eight loads spaced evenly
 * between the two coarse loads around the best one. Skipped: vectors whose saturation
 * rate cannot beat the best value found (their value is at most that rate),
 * and vectors sized beyond what any placement could carry (more than the
 * rack's total NIC capacity, or the switch's).
 */
#ifndef E2_SIM_H
#define E2_SIM_H

#include <stdbool.h>

#include "e2_gen.h"
#include "e2_igraph.h"
#include "e2_place.h"

enum e2_strategy {
    E2_STRATEGY_E2,      /**< packing + Kernighan-Lin swaps, links respected */
    E2_STRATEGY_PACKING, /**< DFS bin-packing by cores only */
    E2_STRATEGY_RANDOM,  /**< uniformly random server with a free core */
    E2_STRATEGY_ILP,     /**< exact optimum of the headroom (GLPK), small instances */
};

/** "E2", "Packing", "Random", "ILP". */
const char *e2_strategy_name(enum e2_strategy s);

/**
 * The Random strawman: instances in order, each on a uniformly random server
 * that has a free core and that its NF's scaling rules allow.
 * @return 0, or -ENOSPC when some instance finds no such server
 */
int e2_place_random(const struct e2_igraph *ig, const struct e2_hw *hw,
                    const struct e2_place_opts *opts, struct e2_rng *rng, struct e2_placement **out,
                    struct e2_err *err);

/**
 * Maximum input rate the rack sustains with this placement: offered load x
 * headroom; 0 when the plan's switch rules exceed the flow table.
 */
double e2_sim_max_rate(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                       double switch_bps);

struct e2_sim_opts {
    double switch_bps;  /**< switch bandwidth, 0 = non-blocking */
    unsigned flow_bits; /**< flow-ID width */
    uint64_t seed;      /**< Random's draws */
    double ilp_seconds; /**< time limit per ILP solve */
};

struct e2_sim_result {
    double max_rate_bps; /**< the best sustained input rate */
    double load_bps;     /**< the offered load whose sizing reached it */
    unsigned instances;  /**< NF instances of the iGraph that reached it */
    unsigned evaluated;  /**< count vectors placed */
    bool exact;          /**< ILP: every solve was proven optimal */
};

/** A strategy to compare and where its result goes. */
struct e2_sim_strategy {
    enum e2_strategy strategy;
    struct e2_sim_result *result;
};

/**
 * The best max input rate @strategy reaches on @hw for @pg (see above).
 * @return 0 (a rate of 0 when nothing fits), or -ENOMEM
 */
int e2_sim_best_rate(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                     enum e2_strategy strategy, const struct e2_sim_opts *opts,
                     struct e2_sim_result *out, struct e2_err *err);

/**
 * e2_sim_best_rate() for up to 8 strategies on the same inputs, then each
 * one also at the loads where the others found their best, so all are
 * compared on a common set of iGraphs there.
 */
int e2_sim_compare(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                   const struct e2_sim_strategy *s, size_t n, const struct e2_sim_opts *opts,
                   struct e2_err *err);

#endif
