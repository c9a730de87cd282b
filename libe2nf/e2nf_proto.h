/*
 * The contract between e2d and libe2nf — one header both sides build from;
 * E2NF_ABI_VERSION changes whenever anything here does.
 *
 * Attach: the NF connects to e2d's control socket and sends
 *   {"op": "nf_attach", "name": INSTANCE, "abi": E2NF_ABI_VERSION, "pid": PID}
 * on a connection it keeps open for its whole life (e2d learns of its death
 * when the kernel closes it). e2d answers with the DPDK file prefix, the
 * lcore id the NF must use (unique per NF, so mempool caches in shared
 * memory never collide), a random token, its ports and queues, the tag
 * names, and passes two eventfds (SCM_RIGHTS): the NF's wake-up (e2d writes
 * it when it delivers to a sleeping NF, or a signal) and e2d's (the NF
 * writes it after sending e2d a signal).
 *
 * Shared memory (named with the token, which only e2d and the NF know):
 *   rings      per port and queue, one each way, single producer and single
 *              consumer, carrying mbuf pointers from the shared packet pool
 *   stats      struct e2nf_shared: what the NF reports, what e2d reads
 *   inbox      a ring of struct e2nf_signal for the NF; e2d's own inbox is
 *              E2NF_E2D_INBOX, messages from E2NF_SIGNAL_POOL
 */
#ifndef E2NF_PROTO_H
#define E2NF_PROTO_H

#include <stdint.h>
#include <stdio.h>

#define E2NF_ABI_VERSION 1
#define E2NF_PORTS_MAX   16
#define E2NF_QUEUES_MAX  8
#define E2NF_NAME_MAX    32
#define E2NF_LCORE_BASE  64  /**< NF lcore ids: base + slot, below RTE_MAX_LCORE */
#define E2NF_SLOTS_MAX   60
#define E2NF_RING_SIZE   4096 /**< default ring size: tens of ms of traffic for an NF that sleeps */
#define E2NF_INBOX_SIZE  256

#define E2NF_SIGNAL_DATA 192
#define E2NF_SIGNAL_POOL "e2nf_signals"
#define E2NF_E2D_INBOX   "e2nf_e2d_inbox"
#define E2NF_TO_E2D      "e2" /**< the address of E2 itself in signals */

/** An inter-NF signal: a small message to a named NF or to E2. */
struct e2nf_signal {
    uint32_t type; /**< the sender's meaning, e.g. 1 = "block this flow" */
    uint16_t len;  /**< bytes used in data */
    uint16_t reserved;
    char from[E2NF_NAME_MAX];
    char to[E2NF_NAME_MAX];
    uint8_t data[E2NF_SIGNAL_DATA];
};

/** Per-port counters the NF keeps (written by the NF only). */
struct e2nf_port_stats {
    uint64_t rx;      /**< packets the NF received on this port */
    uint64_t tx;      /**< packets it sent out of this port */
    uint64_t tx_full; /**< packets e2d's ring had no room for (the NF kept them) */
};

/** The NF's shared statistics and flags (one per attach). */
struct e2nf_shared {
    uint32_t abi;
    uint32_t sleeping;    /**< 1 while the NF waits in e2nf_wait(): wake it */
    uint64_t heartbeat;   /**< counts the NF's polls: e2d's hang detector watches it move */
    uint64_t busy_cycles; /**< time from a poll that got packets to the next poll */
    uint64_t freed;       /**< packets the NF freed itself (e2nf_drop) */
    double load;          /**< the NF's own estimate 0..1, or < 0 when it gives none */
    struct e2nf_port_stats port[E2NF_PORTS_MAX];
};

/** Names of the shared objects of one attach (RTE_RING_NAMESIZE is 30). */
static inline void e2nf_ring_name(char *buf, size_t len, uint32_t token, unsigned port, unsigned queue,
                                  char dir /* 'i': e2d to NF, 'o': NF to e2d */)
{
    /* ports and queues are below E2NF_PORTS_MAX and E2NF_QUEUES_MAX: the name always fits */
    snprintf(buf, len, "e2v%08x_%u_%u%c", token, (unsigned)(uint8_t)port, (unsigned)(uint8_t)queue, dir);
}

static inline void e2nf_shared_name(char *buf, size_t len, uint32_t token)
{
    snprintf(buf, len, "e2s%08x", token);
}

static inline void e2nf_inbox_name(char *buf, size_t len, uint32_t token)
{
    snprintf(buf, len, "e2i%08x", token);
}

#endif
