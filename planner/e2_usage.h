/*
 * e2_usage — what a placement asks of the rack, computed from scratch.
 *
 * Loads: NF cores per server, NIC traffic in and out per server, traffic
 * between servers and through the switch, and the *headroom*: the largest
 * factor by which every rate could grow before the first core, NIC link or
 * the switch saturates (an instance saturates at its NF's
 * throughput_per_core_per_ghz x its server's clock). Offered load x headroom
 * is the maximum input rate the rack sustains with this placement — the
 * quantity of the paper's Fig. 9.
 *
 * Switch rules, in the two tables of an OpenFlow switch (it cannot match
 * ranges, only masked values):
 *   - port group: one rule per external port of a port node that traffic
 *     enters by, tagging packets with the port node;
 *   - ingress: per port node, root edge and destination server, one rule per
 *     prefix of the minimal cover of the flow IDs that edge sends to that
 *     server (adjacent ranges of instances on one server merge first);
 *   - to-server: one rule per server that receives traffic from another
 *     server (E2D tunnels it to the server's switch port);
 *   - egress: one rule per port node that receives traffic from servers.
 */
#ifndef E2_USAGE_H
#define E2_USAGE_H

#include <stddef.h>

#include "e2_desc.h"
#include "e2_flowrange.h"
#include "e2_igraph.h"

struct e2_usage {
    size_t n_servers;
    unsigned *cores;          /**< per server: NF cores used */
    double *nic_in, *nic_out; /**< per server, bits/s */
    double cross_bps;         /**< between servers */
    double switch_bps;        /**< through the switch (ports and between servers) */
    double offered_bps;       /**< entering from ports */
    double headroom;          /**< see above; INFINITY when nothing is loaded */
    char bottleneck[128];     /**< what saturates first, e.g. "s2 NIC in" */
};

/**
 * Compute the usage of a placement.
 *
 * @param server      per iGraph node: server index or E2_SERVER_* (e2_place.h);
 *                    every instance and Tee must be placed
 * @param switch_bps  switch bandwidth, 0 for non-blocking
 * @return 0, -EINVAL (an unplaced node), -ENOMEM
 */
int e2_usage_compute(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                     double switch_bps, struct e2_usage *u);

void e2_usage_free(struct e2_usage *u);

enum e2_rule_kind {
    E2_RULE_PORT_GROUP, /**< external port -> tag of its port node */
    E2_RULE_INGRESS,    /**< port node tag + filter + flow-ID prefix -> destination */
    E2_RULE_TO_SERVER,  /**< traffic tunnelled to a server -> its port */
    E2_RULE_EGRESS,     /**< traffic for a port node -> its ports */
};

struct e2_switch_rule {
    enum e2_rule_kind kind;
    unsigned in_port;      /**< PORT_GROUP: the external port matched */
    unsigned group;        /**< PORT_GROUP: tag set, INGRESS: tag matched (a pGraph port node) */
    unsigned pedge;        /**< INGRESS: root edge (its filter is matched) */
    struct e2_prefix flow; /**< INGRESS: flow-ID match (mask 0 matches all) */
    unsigned server;       /**< INGRESS, TO_SERVER: destination server; E2_SERVER_ANY = drop,
                                E2_SERVER_OUTSIDE = the port node port_node */
    unsigned port_node;    /**< destination pGraph port node (INGRESS to a port node, EGRESS) */
};

/**
 * Every switch rule the placement needs, in a stable order: port groups,
 * ingress (by port node, edge, destination and flow ID), to-server, egress.
 * @param out  new array (free()), may be NULL when only counting
 * @return the number of rules, or -ENOMEM
 */
long e2_switch_rules(const struct e2_igraph *ig, const unsigned *server, const struct e2_hw *hw,
                     struct e2_switch_rule **out);

#endif
