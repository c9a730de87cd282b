/*
 * e2_plan_pgraph — the checked policy graph as the planner reads it.
 *
 * The policy compiler prints the pGraph as JSON (docs/pgraph-json.md,
 * format "e2-pgraph/1"): nodes (NFs with their embedded descriptions, switch
 * port groups, Drop, Tee) and merged edges with filters, (bw) rates, and
 * traffic-class restrictions. e2_plan_pgraph_from_json() validates that object
 * and turns it into the structs below; it is the one entry point the planner
 * has for policies, whether the JSON comes from a file or straight from the
 * compiler in the same process. Errors name the field path
 * ("edges[3].dst: no node named \"fw\"").
 */
#ifndef E2_PLAN_PGRAPH_H
#define E2_PLAN_PGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "e2_desc.h"
#include "e2_err.h"

#define E2_PLAN_PGRAPH_FORMAT "e2-pgraph/1"

enum e2_pnode_kind {
    E2_PNODE_NF,   /**< a network function; instances run on server cores */
    E2_PNODE_PORT, /**< a group of external switch ports: traffic enters and leaves here */
    E2_PNODE_DROP, /**< discards */
    E2_PNODE_TEE,  /**< copies each packet to every matching out-edge */
};

struct e2_plan_node {
    char *name;
    enum e2_pnode_kind kind;
    unsigned *switch_ports; /**< PORT: ascending */
    size_t n_switch_ports;
    char *nf_type;         /**< NF: the type name */
    struct e2_nf_desc *nf; /**< NF: the embedded description, NULL when none was given */
};

struct e2_plan_edge {
    unsigned src, dst; /**< node indices */
    char **src_ports;  /**< NF sources: output vports the traffic can leave by */
    size_t n_src_ports;
    char *dst_input;   /**< NF destinations: the input vport; NULL otherwise */
    char *filter;      /**< canonical filter text, "" for all traffic */
    bool has_bw;       /**< a (bw) annotation was given */
    uint64_t bw_bps;   /**< valid when has_bw */
    bool root;         /**< leaves a port node: its id is a traffic class */
    unsigned *classes; /**< class restriction (root edge ids); NULL when unrestricted */
    size_t n_classes;
    unsigned *pipelet_classes; /**< roots of the pipelets the edge came from (may be none) */
    size_t n_pipelet_classes;
    char *dst_placeholder; /**< the filter_in placeholder of dst_input; NULL when none */
};

struct e2_plan_pgraph {
    char *policy; /**< the policy file the compiler read */
    struct e2_plan_node *nodes;
    size_t n_nodes;
    struct e2_plan_edge *edges; /**< edge id == index */
    size_t n_edges;
};

/**
 * Validate a pGraph JSON object and build the graph.
 *
 * @param root    the parsed JSON (format "e2-pgraph/1")
 * @param origin  names the input in errors (a file name, or "compiler")
 * @param out     on success a new graph; free with e2_plan_pgraph_free()
 * @param err     "ORIGIN: FIELD.PATH: problem"
 * @return 0, -EINVAL on invalid input, -ENOMEM
 */
int e2_plan_pgraph_from_json(const json_t *root, const char *origin, struct e2_plan_pgraph **out,
                             struct e2_err *err);

/** Read a pGraph JSON file and call e2_plan_pgraph_from_json(). -ENOENT/-EINVAL with the reason. */
int e2_plan_pgraph_load(const char *path, struct e2_plan_pgraph **out, struct e2_err *err);

void e2_plan_pgraph_free(struct e2_plan_pgraph *pg);

/** Index of the node named @name, or -1. */
int e2_plan_pgraph_find(const struct e2_plan_pgraph *pg, const char *name);

/** True when edge @e may carry traffic of class @cls (a root edge id). */
bool e2_pedge_admits_class(const struct e2_plan_edge *e, unsigned cls);

#endif
