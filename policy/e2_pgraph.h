/*
 * e2_pgraph — the policy graph: pipelets merged into one graph and checked.
 *
 * e2_pgraph_build() resolves a parsed policy against the NF catalog (every
 * name, type, placeholder and filter, with FILE:LINE:COL errors) and merges
 * the pipelets into one graph: nodes are shared, and identical edges (same
 * source, destination, input vport and filter) become one edge whose rate is
 * the sum and which remembers every pipelet it came from. Edges into the same
 * destination with different filters stay parallel edges, each with its own
 * pipelets; a packet several of them take still arrives once.
 *
 * e2_pgraph_check() proves that every packet leaving a node has exactly one
 * destination, exactly, with BDDs over header bits and attribute values:
 * out-edges into different destinations (or vports) are pairwise disjoint
 * (except at a Tee) and together cover every packet that can reach the node. Where two edges
 * overlap it first applies the paper's remedy: each ambiguous edge is restricted to its pipelets'
 * traffic class, i.e. to packets that entered the rack by one of those
 * pipelets' root edges (the edges leaving a Port). The dataplane tags each
 * packet with the id of the root edge it took. What remains is reported with
 * a concrete example packet.
 *
 * A graph is not thread-safe; build and check it in one thread.
 */
#ifndef E2_PGRAPH_H
#define E2_PGRAPH_H

#include <jansson.h>

#include "e2_desc.h"
#include "e2_filter.h"
#include "e2_policy.h"

enum e2_node_kind { E2_NODE_NF, E2_NODE_PORT, E2_NODE_DROP, E2_NODE_TEE };

struct e2_pnode {
    char *name;
    enum e2_node_kind kind;
    char *nf_type;                 /* NF and Tee: the type name */
    const struct e2_nf_desc *desc; /* NF: its description, or NULL (none given) */
    unsigned port_lo, port_hi;     /* PORT: switch ports */
    struct e2_pos pos;             /* declaration */
};

struct e2_pedge {
    unsigned src, dst;        /* node indices */
    struct e2_filter *filter; /* never NULL (the empty filter takes everything) */
    int dst_input;            /* NF destination: input port index, else -1 */
    const struct e2_nf_placeholder *placeholder; /* filter_in, or NULL */
    bool has_bw;
    uint64_t bw_bps;
    unsigned *pipelets; /* indices, ascending */
    size_t n_pipelets;
    bool root;       /* leaves a Port */
    bool restricted; /* disambiguation restricted it to ... */
    unsigned *cls;   /* ... packets tagged with one of these root edge ids */
    size_t n_cls;
    uint64_t src_ports; /* NF source: bit i = output i can carry this edge's traffic */
    struct e2_pos pos;  /* first occurrence in the policy */
};

struct e2_ppipelet {
    char *name; /* NULL when unnamed */
    struct e2_pos pos;
    unsigned *roots; /* edge ids */
    size_t n_roots;
};

struct e2_pgraph {
    char *file;
    struct e2_pnode *nodes;
    size_t n_nodes;
    struct e2_pedge *edges;
    size_t n_edges;
    struct e2_ppipelet *pipelets;
    size_t n_pipelets;
    struct e2_attr_table attrs;
    struct e2_addr *addrs; /* Address declarations, parallel to addr_names */
    char **addr_names;
    size_t n_addrs;
    uint64_t check_steps; /* e2_pgraph_check()'s BDD work budget; 0: E2_PSPACE_STEPS */
};

/** Problems found by the checker, one line each ("FILE: error: ..."). */
struct e2_diags {
    char **msgs;
    size_t n;
};

void e2_diags_free(struct e2_diags *d);

/**
 * Resolve and merge. @cat may be NULL (no descriptions: NF types are then
 * opaque, with one input, one output and no attributes).
 * @return 0, or -EINVAL/-ENOTSUP/-ENOMEM with the first error in @err.
 */
int e2_pgraph_build(const struct e2_policy *pol, const struct e2_nf_catalog *cat,
                    struct e2_pgraph **out, struct e2_err *err);

/**
 * Disambiguate and check. Every problem is appended to @diags.
 * @return 0 when the graph is valid, -EINVAL when @diags holds problems,
 * -ENOMEM.
 */
int e2_pgraph_check(struct e2_pgraph *g, struct e2_diags *diags);

/**
 * The dataplane's view of a checked graph. A packet entering the rack at
 * switch port @port takes the root edge this returns (-1: the port is not in
 * the policy; -2: no root edge takes the packet); its id is the packet's
 * class tag for the rest of its way.
 */
int e2_pgraph_ingress(const struct e2_pgraph *g, unsigned port, const uint8_t *frame,
                      uint32_t caplen, uint32_t wirelen);

/**
 * Does edge @edge take this packet? Its filter matches (attribute values
 * from @env) and, when the edge is restricted, @class_tag is one of its
 * classes. Allocation-free.
 */
bool e2_pgraph_edge_takes(const struct e2_pgraph *g, unsigned edge, const uint8_t *frame,
                          uint32_t caplen, uint32_t wirelen, const struct e2_filter_env *env,
                          int class_tag);

/** Number of edges disambiguation restricted. */
size_t e2_pgraph_restricted(const struct e2_pgraph *g);

/** The pGraph JSON of docs/pgraph-json.md (new reference). */
json_t *e2_pgraph_to_json(const struct e2_pgraph *g);

/** Graphviz DOT into a malloc'ed string (NULL on ENOMEM). */
char *e2_pgraph_to_dot(const struct e2_pgraph *g);

void e2_pgraph_free(struct e2_pgraph *g);

#endif
