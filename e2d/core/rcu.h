/*
 * RCU-swapped pointers: how a table that workers read on every packet is
 * changed without pausing them (FlowHash ranges, HeaderMatch and
 * MetadataMatch rules).
 *
 *   workers:  const struct t *t = e2_rcu_load(&priv->table);   once per batch
 *   control:  struct t *fresh = build(...);                     off to the side
 *             free(e2_rcu_swap(&priv->table, fresh));           publish, wait, reclaim
 *
 * e2_rcu_swap publishes the new pointer (release), waits until every worker
 * has passed a quiescent point (e2_rcu_synchronize: the end of a task run),
 * and returns the old one, which no worker can still be reading. Only the
 * control thread swaps; it may read the pointer plainly.
 */
#ifndef E2_RCU_H
#define E2_RCU_H

#include "worker.h"

/** The current table, for a worker (acquire: the table's contents are visible). */
#define e2_rcu_load(slot) __atomic_load_n((slot), __ATOMIC_ACQUIRE)

/** Publish @fresh in *@slot; returns the old value once no worker can be using it. */
#define e2_rcu_swap(slot, fresh)                                                                   \
    ({                                                                                             \
        __typeof__(*(slot)) e2_rcu_old_ = *(slot);                                                 \
        __atomic_store_n((slot), (fresh), __ATOMIC_RELEASE);                                       \
        e2_rcu_synchronize();                                                                      \
        e2_rcu_old_;                                                                               \
    })

#endif
