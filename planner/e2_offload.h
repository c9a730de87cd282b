/*
 * e2_offload — NFs the rack switch could run instead of servers (paper §5.1
 * step 5). Opportunistic, after placement: an NF is a candidate when
 *   - its description lists offload_actions and the switch supports all of
 *     them (hardware description `actions`);
 *   - it is adjacent to a switch port: some edge links it to a port node;
 *   - its rules fit the flow table left after the plan's own rules: one rule
 *     per (switch port its traffic arrives on, out-edge of the NF), where it
 *     arrives on the external ports of the port nodes feeding it and on the
 *     switch ports of the servers hosting its upstream instances.
 * The planner reports candidates; it does not offload on its own.
 */
#ifndef E2_OFFLOAD_H
#define E2_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "e2_desc.h"
#include "e2_igraph.h"

struct e2_offload {
    unsigned pnode;        /**< the NF's pGraph node */
    uint32_t actions;      /**< E2_SW_* it needs */
    unsigned rules_needed; /**< flow-table entries */
    unsigned frees_cores;  /**< its instances' cores */
};

/**
 * List offload candidates.
 *
 * @param server      the placement (per iGraph node)
 * @param rules_used  entries the plan already takes
 * @param out         new array (free()), NULL when there are none
 * @return the number of candidates, or -ENOMEM
 */
long e2_offload_candidates(const struct e2_igraph *ig, const unsigned *server,
                           const struct e2_hw *hw, unsigned rules_used, struct e2_offload **out);

#endif
