/*
 * e2_nfsig — the signals sample NFs send each other (e2nf_signal_send /
 * the app's signal() callback), so that sender and receiver agree on the
 * type number and the payload without sharing anything else.
 *
 * Signals stay on one server (shared memory, same CPU): payloads are C
 * structs in host byte order, compared by size on receipt; a receiver
 * counts and ignores types it does not know and payloads of the wrong size.
 *
 * E2_NFSIG_BLOCK_FLOW — "block this flow" (an IDS that found an attack, a
 * monitor that saw abuse, an operator's tool): the receiver (the firewall,
 * nfs/fw) treats the flow's packets in both directions as unsafe from now
 * on, drops what it tracked of it, and forgets the block after timeout_s
 * seconds (0: its own default). The 5-tuple is exact; proto 0 and port 0
 * are values, not wildcards (an ICMP echo's identifier is its "port").
 */
#ifndef E2_NFSIG_H
#define E2_NFSIG_H

#include <stdint.h>

#include "e2_flowtab.h"

enum e2_nfsig_type {
    E2_NFSIG_BLOCK_FLOW = 1, /**< payload: struct e2_nfsig_block */
};

struct e2_nfsig_block {
    struct e2_flow_key flow; /**< host order, pad zero */
    uint32_t timeout_s;      /**< 0: the receiver's default */
};

#endif
