/*
 * The e2d runtime in two calls: start DPDK, register the packet metadata,
 * create the packet pool and the workers; and tear it all down in order.
 * Used by the e2d daemon, the unit tests and the benchmarks alike.
 */
#ifndef E2_RUNTIME_H
#define E2_RUNTIME_H

#include "e2_err.h"
#include "eal.h"
#include "worker.h"

struct e2_runtime_opts {
    struct e2_eal_opts eal;
    unsigned mbufs;
    struct e2_worker_opts worker;
};

/** EAL, metadata fields, packet pool, workers (created, not launched). */
int e2_runtime_start(const struct e2_runtime_opts *o, struct e2_err *err);

/** Stop workers, destroy every module, class and port, the pool, the EAL. */
void e2_runtime_stop(void);

#endif
