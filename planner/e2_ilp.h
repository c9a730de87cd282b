/*
 * e2_ilp — the exact placement optimum, as a mixed-integer program (GLPK).
 *
 * The ceiling for Fig. 9: among all placements that keep the cores and
 * scaling rules, the one with the largest headroom, i.e. the smallest
 * utilization lambda of its most loaded core, NIC direction or switch:
 *
 *   x[v][s] in {0,1}: node v on server s           sum_s x[v][s] = 1
 *   sum_v cores(v) x[v][s] <= NF cores of s
 *   y[e][s] >= x[u][s] - x[w][s]  (edge e = u->w leaves s),  z[e][s] >= x[w][s] - x[u][s]
 *   NIC out of s: sum_e r(e) y[e][s] + traffic of s's nodes to ports <= lambda nic(s)
 *   NIC in likewise; switch: sum_e,s r(e) y[e][s] + port traffic <= lambda switch
 *   instance v on s: load(v) / (tput x GHz(s)) x[v][s] summed over s <= lambda
 *   across_cores: false -> at most one instance per server;
 *   across_servers: false -> all instances on the server of the first
 *   minimize lambda.
 *
 * Identical servers are interchangeable, so when all are alike the k-th
 * node may only use servers 0..k (any placement can be renumbered so). The
 * program grows as nodes x servers: it solves small racks in milliseconds
 * and is the ceiling only where it proves optimality within the time limit.
 */
#ifndef E2_ILP_H
#define E2_ILP_H

#include <stdbool.h>

#include "e2_place.h"

/**
 * Solve for the placement of largest headroom.
 *
 * @param seconds  GLPK time limit
 * @param out      the best placement found
 * @param optimal  out: whether GLPK proved it optimal
 * @return 0; -ETIMEDOUT (no placement found in time), -ENOSPC (none exists),
 *         -ENOMEM
 */
int e2_ilp_place(const struct e2_igraph *ig, const struct e2_hw *hw,
                 const struct e2_place_opts *opts, double seconds, struct e2_placement **out,
                 bool *optimal, struct e2_err *err);

#endif
