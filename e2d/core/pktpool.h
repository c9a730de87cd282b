/*
 * The packet buffer pool: one DPDK mempool that every port, module and
 * (later) native NF allocates from. In hugepage mode it lives in shared
 * memory under a well-known name, so NF processes attached as DPDK secondaries
 * use the very same buffers: that is what makes vports zero-copy.
 */
#ifndef E2_PKTPOOL_H
#define E2_PKTPOOL_H

#include <rte_mempool.h>

#include "e2_err.h"

#define E2_PKTPOOL_NAME "e2_pktpool"

int e2_pktpool_create(unsigned n_mbufs, struct e2_err *err);
struct rte_mempool *e2_pktpool(void);
void e2_pktpool_destroy(void);

#endif
