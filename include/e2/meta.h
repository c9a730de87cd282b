/*
 * Per-packet E2 metadata, carried in registered mbuf dynamic fields so that
 * it travels with the packet through e2d, across zero-copy vports into NFs
 * (which find the same offsets in shared memory) and back.
 *
 *   e2_meta   flow ID (the hash FlowHash computed, what ranges are cut on),
 *             up to E2_META_TAGS metadata tags (NF attributes such as
 *             FW.safe or a URL class, resolved to slots by the control plane),
 *             and the enqueue time used for queueing delay.
 *   timestamp DPDK's standard rx timestamp field (TSC), set by Timestamp or
 *             by a PMD, read by Latency; flagged in ol_flags by e2_ts_flag.
 *   ingress   the mbuf's own `port` field, which every PMD sets on receive.
 *
 * Validity costs nothing at ingress: a dynamic flag in ol_flags says whether
 * e2_meta holds anything, and allocating an mbuf (rte_pktmbuf_reset) or
 * receiving one from a device (PMDs rewrite ol_flags) clears it; a ring port
 * passes it through, metadata and all. The metadata is initialised the first
 * time something is written to it; a packet nobody tagged is never touched
 * beyond its first cache line.
 */
#ifndef E2_META_H
#define E2_META_H

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "e2_err.h"

#define E2_META_TAGS 4

#define E2_META_FLOW_ID 0x01u          /**< valid bit: flow_id is set */
#define E2_META_TAG(i)  (0x02u << (i)) /**< valid bit: tag[i] is set */

struct e2_meta {
    uint32_t flow_id;
    uint8_t valid; /**< E2_META_FLOW_ID | E2_META_TAG(i) bits */
    uint8_t flags; /**< reserved for the control plane's use */
    uint16_t reserved;
    uint32_t enq_ts; /**< Queue: (TSC >> E2_META_ENQ_SHIFT) at enqueue; the Queue's own */
    uint32_t tag[E2_META_TAGS];
};

#define E2_META_ENQ_SHIFT 4

extern int e2_meta_offset;
extern uint64_t e2_meta_flag;
extern int e2_ts_offset;
extern uint64_t e2_ts_flag;

/**
 * Register (in the primary) or find (in a secondary) the dynamic fields and
 * flags. Must run after rte_eal_init() and before any packet is touched.
 */
int e2_meta_register(struct e2_err *err);

/** The raw metadata area (no validity check: for Queue's enq_ts). */
static inline struct e2_meta *e2_meta(struct rte_mbuf *m)
{
    return RTE_MBUF_DYNFIELD(m, e2_meta_offset, struct e2_meta *);
}

/* Mark @bit valid: the first write to a packet's metadata also makes the rest invalid. */
static inline void e2_meta_mark(struct rte_mbuf *m, struct e2_meta *md, uint8_t bit)
{
    if (m->ol_flags & e2_meta_flag) {
        md->valid |= bit;
        return;
    }
    md->valid = bit;
    m->ol_flags |= e2_meta_flag;
}

/** The valid bits of a packet's metadata (0 when it carries none). */
static inline uint8_t e2_meta_valid(struct rte_mbuf *m)
{
    return (m->ol_flags & e2_meta_flag) ? e2_meta(m)->valid : 0;
}

static inline void e2_meta_set_flow_id(struct rte_mbuf *m, uint32_t id)
{
    struct e2_meta *md = e2_meta(m);
    md->flow_id = id;
    e2_meta_mark(m, md, E2_META_FLOW_ID);
}

/** 0 and *id set when the packet has a flow ID, -1 otherwise. */
static inline int e2_meta_get_flow_id(struct rte_mbuf *m, uint32_t *id)
{
    if (!(e2_meta_valid(m) & E2_META_FLOW_ID)) return -1;
    *id = e2_meta(m)->flow_id;
    return 0;
}

static inline void e2_meta_set_tag(struct rte_mbuf *m, unsigned slot, uint32_t value)
{
    struct e2_meta *md = e2_meta(m);
    md->tag[slot] = value;
    e2_meta_mark(m, md, (uint8_t)E2_META_TAG(slot));
}

/** 0 and *value set when tag @slot is present, -1 otherwise. */
static inline int e2_meta_get_tag(struct rte_mbuf *m, unsigned slot, uint32_t *value)
{
    if (!(e2_meta_valid(m) & E2_META_TAG(slot))) return -1;
    *value = e2_meta(m)->tag[slot];
    return 0;
}

static inline void e2_ts_set(struct rte_mbuf *m, uint64_t tsc)
{
    *RTE_MBUF_DYNFIELD(m, e2_ts_offset, uint64_t *) = tsc;
    m->ol_flags |= e2_ts_flag;
}

/** 0 and *tsc set when the packet carries a timestamp, -1 otherwise. */
static inline int e2_ts_get(struct rte_mbuf *m, uint64_t *tsc)
{
    if (!(m->ol_flags & e2_ts_flag)) return -1;
    *tsc = *RTE_MBUF_DYNFIELD(m, e2_ts_offset, uint64_t *);
    return 0;
}

#endif
