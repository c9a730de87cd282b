/*
 * e2_igraph — the instance graph (paper §5.1 step 3, Fig. 4).
 *
 * Every NF of the pGraph becomes as many instance nodes as sizing asked for;
 * port groups, Drop and Tee stay single nodes. Instances of an NF split the
 * flow-ID space of its *steering* — the hash that decides which instance a
 * packet goes to — evenly, one range each; when sizing sliced the NFs
 * (e2_sizing.h), first into the common slices, so NFs sharing a steering
 * have instances that nest in the same slices.
 *
 * Steering. An NF hashes on its own affinity fields — symmetrically when
 * they come in src/dst pairs, which keeps its flows together as well and
 * suits symmetric NFs downstream (an NF without affinity hashes on the
 * 5-tuple, symmetrically) — unless it can *adopt* the steering S of an
 * upstream NF A that sends to it. B may adopt S exactly when
 *   (1) A rewrites none of S's fields, so the flow ID computed where S was
 *       first applied is still the hash of the packet B receives; and
 *   (2) B has no affinity, or S's fields are a subset of B's affinity fields
 *       and S is symmetric whenever B's affinity is: packets B must keep
 *       together agree on S's fields (in both directions when symmetric), so
 *       they share one flow ID, one range, one B instance.
 * Among qualifying upstream NFs B takes the one that sends it the most
 * traffic. Adoption is transitive: a chain of compatible NFs shares one hash.
 *
 * Distribution on an edge A -> B (what E2D or the switch does):
 *   - from a port: the switch hashes on B's steering and matches ranges;
 *   - same steering, same ranges (equal instance counts): A_i -> B_i direct,
 *     no classification at all (Fig. 4d);
 *   - same steering, different counts: A_i sends only to the B_j whose range
 *     overlaps its own, by the flow ID already computed (no re-hash);
 *   - different steering: A_i hashes on B's fields and spreads its traffic
 *     over every B_j (Fig. 4b, 4c).
 * Every edge carries its pGraph filter, the flow-ID range of B's steering it
 * delivers, and its expected rate (traffic is taken as uniform over flow IDs).
 */
#ifndef E2_IGRAPH_H
#define E2_IGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_flowrange.h"
#include "e2_plan_pgraph.h"
#include "e2_sizing.h"

#define E2_FLOW_BITS_DEFAULT 16 /* the dataplane FlowHash default */

enum e2_inode_kind {
    E2_INODE_INSTANCE, /**< an NF instance on one core */
    E2_INODE_TEE,      /**< E2D copies packets; runs on some server, no core of its own */
    E2_INODE_PORT,     /**< external switch ports: outside every server */
    E2_INODE_DROP,     /**< discards wherever the packet is */
};

enum e2_dist {
    E2_DIST_NONE,   /**< into a port, Drop or Tee: one destination */
    E2_DIST_SWITCH, /**< from a port: switch rules on the flow-ID range */
    E2_DIST_HASH,   /**< E2D hashes on the destination's steering fields */
    E2_DIST_RANGE,  /**< E2D matches the flow ID the packet already carries */
    E2_DIST_DIRECT, /**< same steering and range: no classification */
};

/** The hash that picks an NF's instance. */
struct e2_steering {
    uint32_t fields; /**< E2_FIELD_* bits hashed */
    bool symmetric;  /**< both directions of a flow hash alike */
    unsigned owner;  /**< pGraph node where this hash is first applied */
};

/** A growable list of ids. */
struct e2_ivec {
    unsigned *v;
    size_t n, cap;
};

struct e2_inode {
    enum e2_inode_kind kind;
    unsigned pnode;         /**< the pGraph node it instantiates */
    unsigned index;         /**< instance number within its NF */
    unsigned cores;         /**< 1 for an instance, else 0 */
    struct e2_range range;  /**< instances: the flow IDs it owns; others: everything */
    struct e2_ivec in, out; /**< edge ids */
};

struct e2_iedge {
    unsigned src, dst; /**< node ids */
    unsigned pedge;    /**< the pGraph edge (filter, classes, vports) */
    enum e2_dist dist;
    struct e2_range range; /**< flow IDs of the destination's steering it carries */
    double rate_bps;
};

struct e2_igraph {
    const struct e2_plan_pgraph *pg; /**< borrowed; must outlive the iGraph */
    unsigned bits;                   /**< flow IDs lie in [0, 2^bits) */
    struct e2_steering *steer;       /**< per pGraph node */
    struct e2_ivec *members;         /**< per pGraph node: its iGraph nodes, by index */
    struct e2_inode *nodes;
    size_t n_nodes, cap_nodes;
    struct e2_iedge *edges;
    size_t n_edges, cap_edges;
};

/**
 * Build the iGraph.
 *
 * @param pg    the pGraph
 * @param rate  pg->n_edges edge rates (e2_rates_compute)
 * @param size  pg->n_nodes sizes (e2_plan_size)
 * @param bits  flow-ID width, 1 .. 24
 * @param out   new iGraph; free with e2_igraph_free()
 * @return 0, -EINVAL (bad bits, more instances than flow IDs), -ENOMEM
 */
int e2_igraph_build(const struct e2_plan_pgraph *pg, const double *rate,
                    const struct e2_nf_size *size, unsigned bits, struct e2_igraph **out,
                    struct e2_err *err);

void e2_igraph_free(struct e2_igraph *ig);

/**
 * Whether B may adopt steering @s from an upstream NF that rewrites
 * @upstream_rewrites (rule above). @b NULL means B has no description, so no
 * affinity.
 */
bool e2_steering_implies(const struct e2_steering *s, uint32_t upstream_rewrites,
                         const struct e2_nf_desc *b);

/**
 * Split instance @inst (paper §5.3): it keeps the lower half of its range, a
 * new instance of the same NF takes the upper half, with edges mirrored and
 * rates divided in proportion. Nothing else changes; the new node is not
 * placed.
 *
 * @param new_inst  out: the new node's id
 * @return 0, -EINVAL (not an instance), -ENOSPC (range of one flow ID), -ENOMEM
 */
int e2_igraph_split(struct e2_igraph *ig, unsigned inst, unsigned *new_inst, struct e2_err *err);

/** Multiply every edge rate by @factor. */
void e2_igraph_scale(struct e2_igraph *ig, double factor);

/** "fw#2" for instances, the pGraph node name otherwise. Returns @buf. */
const char *e2_inode_name(const struct e2_igraph *ig, unsigned node, char *buf, size_t len);

/** True for nodes placement assigns to a server (instances and Tees). */
static inline bool e2_inode_placeable(const struct e2_inode *n)
{
    return n->kind == E2_INODE_INSTANCE || n->kind == E2_INODE_TEE;
}

/** Sum of the rates of @node's incoming edges. */
double e2_inode_load(const struct e2_igraph *ig, unsigned node);

/* Internal to the iGraph files: append a node / an edge (keeps adjacency). */
int e2_igraph_add_node(struct e2_igraph *ig, enum e2_inode_kind kind, unsigned pnode,
                       struct e2_range range, unsigned *id);
int e2_igraph_add_edge(struct e2_igraph *ig, const struct e2_iedge *e);
int e2_ivec_push(struct e2_ivec *v, unsigned x);
void e2_ivec_remove(struct e2_ivec *v, unsigned x);

#endif
