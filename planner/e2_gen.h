/*
 * e2_gen — random racks and policy graphs, reproducible from a seed, for the
 * property tests and the Fig. 9 benchmark.
 *
 * Racks are written as hardware-description YAML and loaded with
 * e2_hw_parse(); graphs are built as pGraph JSON and read with
 * e2_plan_pgraph_from_json() — generated inputs take the same validated path as
 * an operator's files.
 *
 * Graphs have one port node "ext" (traffic enters and leaves there), NFs
 * "nf0".."nfN-1" and, when some edge discards, "Drop". Every edge carries a
 * (bw) rate: the ingress rate splits over the root edges, and each NF's
 * input splits over its out-edges by random weights. A chain is
 * ext -> nf0 -> ... -> nfN-1 -> ext; a DAG adds random forward edges, exits
 * to ext and to Drop. NF descriptions are drawn from a pool (e.g. the
 * example NFs), or made up: affinity (5-tuple, symmetric or not; src_ip;
 * src_ip+dst_ip symmetric; none), NAT-like rewrites now and then, and a
 * throughput per core-GHz; with `constrained`, also scaling limits (one
 * server only, one instance per server, a max count).
 */
#ifndef E2_GEN_H
#define E2_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "e2_desc.h"
#include "e2_err.h"

/** splitmix64: small, fast, the same sequence on every platform. */
struct e2_rng {
    uint64_t s;
};

static inline uint64_t e2_rng_next(struct e2_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/** Uniform in [0, 1). */
static inline double e2_rng_unit(struct e2_rng *r)
{
    return (double)(e2_rng_next(r) >> 11) * 0x1.0p-53;
}

/** Uniform in [0, n), n >= 1. */
static inline unsigned e2_rng_below(struct e2_rng *r, unsigned n)
{
    return (unsigned)(e2_rng_unit(r) * n);
}

/** Uniform in [lo, hi). */
static inline double e2_rng_range(struct e2_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * e2_rng_unit(r);
}

/** A rack of identical servers; external ports 0..external_ports-1, server i on the next ports. */
struct e2_gen_rack {
    unsigned servers, cores, dataplane_cores, external_ports, flow_table_size;
    double ghz;
    uint64_t nic_bps;
};

int e2_gen_rack_uniform(const struct e2_gen_rack *p, struct e2_hw **out, struct e2_err *err);

/** 1-8 servers of mixed cores (2-16), clocks, NICs (10-100 Gbit/s); a 16..2048-entry flow table. */
int e2_gen_rack_random(struct e2_rng *r, struct e2_hw **out, struct e2_err *err);

enum e2_gen_shape { E2_GEN_CHAIN, E2_GEN_DAG };

struct e2_gen_graph {
    enum e2_gen_shape shape;
    unsigned n_nfs;            /**< >= 1 */
    double ingress_bps;        /**< total rate entering at ext */
    unsigned n_ports;          /**< ext's switch ports: 0 .. n_ports-1 */
    double tput_min, tput_max; /**< NF throughput per core-GHz, bits/s */
    bool constrained;          /**< draw scaling limits too */
    bool compatible;           /**< every NF keeps flows by the symmetric 5-tuple and rewrites
                                    nothing: one hash serves the whole graph */
    const struct e2_nf_desc *const *pool; /**< when set, NFs are drawn from these instead
                                               (compatible: only their throughput) */
    size_t n_pool;
};

/** A random pGraph JSON object (new reference), or NULL on ENOMEM. */
json_t *e2_gen_pgraph(struct e2_rng *r, const struct e2_gen_graph *g);

#endif
