/*
 * A packet batch: up to E2_BATCH_MAX mbuf pointers moved through the module
 * graph in one call. Batches live on the stack of the task that runs them; a
 * module that receives a batch owns its packets (it must emit or free each
 * one) but not the batch struct, which it may reuse to emit.
 */
#ifndef E2_BATCH_H
#define E2_BATCH_H

#include <rte_mbuf.h>
#include <stdint.h>

#define E2_BATCH_MAX 32

struct e2_batch {
    uint32_t cnt;
    struct rte_mbuf *pkts[E2_BATCH_MAX];
};

static inline void e2_batch_clear(struct e2_batch *b)
{
    b->cnt = 0;
}

static inline void e2_batch_add(struct e2_batch *b, struct rte_mbuf *m)
{
    b->pkts[b->cnt++] = m;
}

static inline uint64_t e2_batch_bytes(const struct e2_batch *b)
{
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < b->cnt; i++) bytes += b->pkts[i]->pkt_len;
    return bytes;
}

#endif
