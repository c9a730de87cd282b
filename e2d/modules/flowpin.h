/*
 * e2_flowpin — the flows a distribute stage has seen, each pinned to the
 * output gate (NF instance) it started on: E2's migration avoidance (paper
 * §5.3) in the dataplane.
 *
 * A FlowHash with flow tracking asks, for every packet, e2_flowpin_gate():
 * a flow seen for the first time is pinned to the gate its flow-ID range
 * names now; a known flow keeps its pin, whatever the ranges say since. So
 * re-cutting the ranges (a split [X,Y) -> A into [X,M) -> A and [M,Y) -> A')
 * moves only new flows; every flow that was on A stays there — an
 * "exception" to the new ranges — until it ends. A flow ends when it has
 * been idle for the NF's idle timeout, or, where the key is a whole 5-tuple,
 * a linger time after a TCP RST, or after its last packet once it sent a FIN
 * (each direction is its own key, so ACKs after a FIN keep the pin alive).
 *
 * Moving flows on purpose (a failed instance, the always-migrate strawman)
 * raises a range's "moved" epoch: pins older than it are re-pinned to the
 * range's gate on their next packet.
 *
 * Pure C over e2_flowtab (fixed capacity, no allocation after creation);
 * single-threaded: the worker that runs the FlowHash owns it; readers
 * (exceptions lists) run while workers are paused. Times are in the
 * caller's clock units (e2d: TSC cycles).
 */
#ifndef E2_FLOWPIN_H
#define E2_FLOWPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_flowtab.h"

struct e2_flowpin_opts {
    size_t capacity; /**< flows tracked at most (the oldest to expire make room) */
    uint64_t idle;   /**< a flow idle this long has ended */
    uint64_t linger; /**< how long a flow lives after a RST, or after its last packet past a FIN */
    bool closes;     /**< keys are whole 5-tuples, so TCP FIN/RST end a flow */
};

/** One pin, as e2_flowpin_foreach() shows it. */
struct e2_flowpin_view {
    const struct e2_flow_key *key;
    uint32_t flow_id;
    uint16_t gate;
    uint32_t epoch; /**< the range table's epoch when the flow was pinned */
};

struct e2_flowpin_stats {
    size_t flows, capacity;
    uint64_t pinned, ended, evicted, repinned;
};

struct e2_flowpin;

struct e2_flowpin *e2_flowpin_create(const struct e2_flowpin_opts *o, struct e2_err *err);
void e2_flowpin_free(struct e2_flowpin *p);

/** Start loading the buckets of the flow whose e2_flow_hash() is @hash. */
void e2_flowpin_prefetch(const struct e2_flowpin *p, uint32_t hash);

/**
 * The gate for a packet of flow @k (e2_flow_hash @hash, flow ID @flow_id) whose range names
 * @gate, in range table @epoch, the range moved at epoch @moved (0: never):
 * the flow's pin, or @gate for a new flow (pinned now) or one pinned before
 * @moved (re-pinned). @tcp_flags: the packet's TCP flags (0 otherwise).
 */
uint16_t e2_flowpin_gate(struct e2_flowpin *p, const struct e2_flow_key *k, uint32_t hash,
                         uint32_t flow_id, uint16_t gate, uint32_t epoch, uint32_t moved,
                         uint8_t tcp_flags, uint64_t now);

/** End flows whose time is up, looking at @buckets buckets (all: SIZE_MAX). */
void e2_flowpin_sweep(struct e2_flowpin *p, uint64_t now, size_t buckets);

/** Call @fn for every live pin (no changes to @p meanwhile). */
void e2_flowpin_foreach(struct e2_flowpin *p,
                        void (*fn)(void *ctx, const struct e2_flowpin_view *v), void *ctx);

void e2_flowpin_stats(const struct e2_flowpin *p, struct e2_flowpin_stats *s);

#endif
