/*
 * e2_sizing — expected rates on every pGraph edge, and instances per NF.
 *
 * Rates (paper §5.1 step 2: "the sum of all incoming traffic streams"):
 * an edge with a (bw) annotation carries that rate. An edge without one gets
 * an estimate by following each traffic class from its root edge: a root
 * edge without (bw) carries the default ingress rate; a node passes each
 * class it receives to its out-edges that admit the class — annotated edges
 * take their annotated share, the rest splits evenly over the others (a Tee
 * copies it to each); port and Drop nodes absorb it. An annotated edge also
 * rescales what flows on from it, so downstream estimates agree with the
 * annotation (iterated to a fixed point). Edges that close a cycle in a
 * class's walk carry their share but pass nothing on.
 *
 * Sizing: an NF's load is the sum of its incoming edge rates; one instance
 * runs on one core and handles throughput_per_core_per_ghz x GHz, taking the
 * slowest server clock of the rack so an instance fits wherever it lands —
 * but is never given more than half the slowest server link (a deliberate
 * addition to the paper's sizing: an instance that fills a whole link can
 * only run on a server that exchanges nothing else, so fast NFs behind slow
 * NICs get more, smaller instances that placement can put next to their
 * peers; it costs cores, which such racks have to spare);
 * instances = ceil(load / capacity), within the description's min and max.
 * An NF without a known throughput gets its minimum.
 *
 * Slices (also beyond the paper): when the policy needs more than one server
 * (its instances exceed the largest server's NF cores, or its port traffic
 * the largest NIC), every NF's count is rounded up to a multiple of C, the
 * fewest slices, C <= servers, such that one slice — 1/C of every NF's
 * instances and of the port traffic — fits the smallest server's NF cores
 * and NIC, within every NF's maximum. The iGraph then cuts each NF's flow-ID
 * space into the same C slices first (e2_range_split_sliced), so NFs sharing
 * a steering have instances that nest in common slices and a slice can run
 * whole on one server: between NFs of one hash nothing need cross the switch.
 * Without slices, an NF of 7 instances next to one of 16 has ranges that
 * straddle every server boundary, and instances wider than a server's share
 * of the flow space send most of their traffic across it. Slicing spends
 * spare cores; it applies only when every NF may spread over cores and
 * servers and has a known throughput, and C = 1 (no rounding) when no C fits.
 */
#ifndef E2_SIZING_H
#define E2_SIZING_H

#include "e2_desc.h"
#include "e2_err.h"
#include "e2_plan_pgraph.h"

/** Sizing of one pGraph node. */
struct e2_nf_size {
    double load_bps;     /**< sum of incoming edge rates */
    double capacity_bps; /**< what one instance is sized for: its core's rate, at most half
                              the slowest link; 0 when unknown */
    unsigned instances;  /**< NF: >= 1; Tee: 1 (copies in E2D); port, Drop: 0 */
    unsigned slices;     /**< instances nest in this many equal slices of the flow-ID space
                              (a divisor of instances); 1 (or 0): plain even ranges */
};

/**
 * Expected rate of every edge.
 *
 * @param pg                the graph
 * @param default_root_bps  rate of a root edge without (bw)
 * @param rate              out: pg->n_edges rates in bits/s
 * @return 0 or -ENOMEM
 */
int e2_rates_compute(const struct e2_plan_pgraph *pg, double default_root_bps, double *rate,
                     struct e2_err *err);

/**
 * Instances per node, and their slices (see above).
 *
 * @param rate  edge rates from e2_rates_compute() (or scaled copies of them)
 * @param out   pg->n_nodes entries
 * @return 0, or -ERANGE when an NF needs more instances than its description
 *         allows ("NF 'ids' (IDS) needs 5 instances for ...").
 */
int e2_plan_size(const struct e2_plan_pgraph *pg, const double *rate, const struct e2_hw *hw,
                 struct e2_nf_size *out, struct e2_err *err);

/** The slowest server clock of the rack, GHz. */
double e2_hw_min_ghz(const struct e2_hw *hw);

#endif
