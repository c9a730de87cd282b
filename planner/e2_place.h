/*
 * e2_place — which server runs each instance (paper §5.1 step 4).
 *
 * Instances and Tees are placed on servers; port nodes sit outside every
 * server (on the switch) and Drop is wherever the packet is. An edge between
 * two servers leaves one NIC, crosses the switch and enters the other NIC;
 * an edge to or from a port crosses the switch once; an edge inside a server
 * stays in its E2D and costs no link. Limits: NF cores per server (cores
 * minus dataplane cores, one per instance), NIC bandwidth in and out, the
 * switch's bandwidth (when set), and the NF's scaling rules (across_cores:
 * false — at most one instance per server; across_servers: false — all
 * instances on one server).
 *
 * e2_place() is the paper's algorithm: a valid start by bin-packing along a
 * depth-first walk of the iGraph, then Kernighan-Lin style improvement — each
 * round makes the single swap of two nodes on different servers (or move to
 * a free core) that most reduces traffic through the switch, until none
 * helps. Packing holds link capacity for edges to nodes not placed yet
 * (pessimistic); the plain packing by cores and a flow-order cut (nodes
 * sorted by flow-ID range, consecutive runs per server, which keeps slices
 * whole) compete as starts. Links count as loaded beyond the utilization of
 * the busiest core (e2_place_link_limit), where they start to cap the plan's
 * rate: a swap never makes that worse; if the start is beyond it, swaps
 * first reduce the peak overload and the excess, and e2_place() fails when
 * some link remains over its capacity.
 *
 * The placement keeps running totals (per-node traffic to each server, NIC
 * loads, switch load) so a swap is scored in O(1) and applied in O(degree);
 * e2_place_incremental() (e2_incremental.c) uses the same totals to place a
 * new instance in O(degree + servers) without moving anything.
 */
#ifndef E2_PLACE_H
#define E2_PLACE_H

#include <limits.h>
#include <stdbool.h>

#include "e2_desc.h"
#include "e2_err.h"
#include "e2_igraph.h"

#define E2_SERVER_NONE    (UINT_MAX - 2) /**< not placed yet */
#define E2_SERVER_ANY     (UINT_MAX - 1) /**< Drop: local to every server */
#define E2_SERVER_OUTSIDE UINT_MAX       /**< port nodes: beyond the switch */

struct e2_place_opts {
    double switch_bps;  /**< switch bandwidth; 0 = non-blocking (only its links limit) */
    bool respect_links; /**< false: cores and scaling rules only (the strawmen) */
};

struct e2_placement {
    const struct e2_hw *hw;
    struct e2_place_opts opts;
    size_t n_servers;
    unsigned *server; /**< per iGraph node: a server index or E2_SERVER_* */
    size_t n_nodes, cap_nodes;
    size_t n_pnodes;
    /* Running totals, kept exact as nodes are placed and moved. */
    double *in_from, *out_to; /**< per node x (n_servers + 1): rate from/to nodes on each server;
                                   column n_servers is the outside (ports) */
    double *nic_in, *nic_out; /**< per server */
    unsigned *cores_used;     /**< per server */
    unsigned *nf_count;       /**< per server x pGraph node: instances there */
    double cross_bps;         /**< between servers */
    double switch_bps;        /**< everything through the switch */
};

/** An empty placement of @ig's nodes (ports outside, Drop anywhere, the rest unplaced). */
int e2_placement_new(const struct e2_igraph *ig, const struct e2_hw *hw,
                     const struct e2_place_opts *opts, struct e2_placement **out,
                     struct e2_err *err);

void e2_placement_free(struct e2_placement *pl);

/** Make room for nodes the iGraph gained since (they start unplaced). */
int e2_placement_grow(struct e2_placement *pl, const struct e2_igraph *ig);

/** NF cores of server @s (cores minus dataplane cores). */
unsigned e2_server_nf_cores(const struct e2_hw *hw, size_t s);

/** Sum over links of the traffic beyond @limit x capacity (0 when every limit holds). */
double e2_placement_excess(const struct e2_placement *pl, double limit);

/**
 * How far the utilization of the most loaded link (NIC direction or switch)
 * is beyond @limit (1: its capacity), or 0.
 */
double e2_placement_peak_overload(const struct e2_placement *pl, double limit);

/**
 * The link utilization beyond which links, not cores, limit the plan's rate:
 * that of the busiest instance's core (at the rack's slowest clock), at most
 * 1; 0 when no instance has a known throughput. Placement ranks candidates
 * by the links' overload beyond it, so it never trades the plan's headroom
 * for switch traffic.
 */
double e2_place_link_limit(const struct e2_igraph *ig, const struct e2_hw *hw);

/**
 * Place @node on server @s and account its edges to placed neighbours;
 * E2_SERVER_NONE unplaces it. No limit is checked here.
 */
void e2_placement_set(struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                      unsigned s);

/** Add (@sign = +1) or remove (-1) edge @e's traffic from the totals. */
void e2_placement_account(struct e2_placement *pl, const struct e2_igraph *ig, unsigned e,
                          int sign);

/** Whether @node may go on @s under its NF's scaling rules and the free cores. */
bool e2_placement_allows(const struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                         size_t s);

/**
 * The placement e2_place() computes, kept even when some link stays over
 * capacity (the simulator measures such plans): two DFS bin-packings — links
 * held pessimistically, and by cores alone — and the flow-order cut; the
 * best (peak overload beyond the link limit, then total excess, then switch
 * traffic) improved by swaps. Swaps never raise the peak overload, so the
 * result is never worse than any start.
 */
int e2_place_best_effort(const struct e2_igraph *ig, const struct e2_hw *hw,
                         const struct e2_place_opts *opts, struct e2_placement **out,
                         struct e2_err *err);

/**
 * The flow-order start of e2_place_best_effort() (e2_place_cut.c): placeable
 * nodes sorted by the middle of their flow-ID range, cut into consecutive
 * runs, one per server and within its NF cores, where the most utilized NIC
 * is least (then the NIC traffic in all).
 * @return 0, -ENOSPC when no cut fits the cores or a node's scaling rules
 *         forbid its run's server, -ENOMEM
 */
int e2_place_cut(const struct e2_igraph *ig, const struct e2_hw *hw,
                 const struct e2_place_opts *opts, struct e2_placement **out, struct e2_err *err);

/**
 * The paper's placement: check the totals fit, DFS bin-packing, then swaps.
 * @return 0, or -ENOSPC with the resource and the shortfall in @err
 *         ("the policy cannot fit: NF instances need 14 cores, the rack has 10 free ...").
 */
int e2_place(const struct e2_igraph *ig, const struct e2_hw *hw, const struct e2_place_opts *opts,
             struct e2_placement **out, struct e2_err *err);

/**
 * DFS bin-packing alone (the "Packing" strawman when opts->respect_links is
 * false): instances in depth-first order from the ports, each on the current
 * server if it fits, else the next one that does; servers are taken largest
 * first (most NF cores, then fastest NIC).
 */
int e2_place_pack(const struct e2_igraph *ig, const struct e2_hw *hw,
                  const struct e2_place_opts *opts, struct e2_placement **out, struct e2_err *err);

/** Kernighan-Lin swaps on a complete placement. @return the number of swaps made. */
size_t e2_place_improve(struct e2_placement *pl, const struct e2_igraph *ig);

/**
 * Incremental placement of a new, unplaced node (paper §5.1): never moves an
 * existing node; picks the server, among those with room, that adds the
 * least switch traffic, looking only at the node's own edges.
 * @return 0, or -ENOSPC naming why no server can take it.
 */
int e2_place_incremental(struct e2_placement *pl, const struct e2_igraph *ig, unsigned node,
                         struct e2_err *err);

/**
 * A split request (paper §5.3): split instance @inst in the iGraph
 * (e2_igraph_split) and place the new instance incrementally. Existing
 * instances stay where they are. On -ENOSPC the new instance stays unplaced.
 */
int e2_place_split(struct e2_placement *pl, struct e2_igraph *ig, unsigned inst, unsigned *new_inst,
                   struct e2_err *err);

#endif
