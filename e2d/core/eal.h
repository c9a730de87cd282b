/*
 * Starting DPDK for e2d: turn e2d's options into EAL arguments.
 *
 * With hugepages e2d is a DPDK primary process under its own file prefix
 * (its instance name), so native NFs can later attach to it as secondaries
 * and several e2d instances can share one machine. Without hugepages
 * (--no-huge) it runs as a single process with --no-shconf: fine for tests
 * and benchmarks, but no NF can attach.
 *
 * lcore 0 is the control thread; lcores 1..workers are the workers. They are
 * mapped onto the given CPUs in turn, so one CPU may carry several lcores on
 * a small machine.
 */
#ifndef E2_EAL_H
#define E2_EAL_H

#include <stdbool.h>

#include "e2_err.h"

struct e2_eal_opts {
    const char *name; /**< instance name: the DPDK file prefix */
    bool no_huge;     /**< single process, anonymous memory */
    unsigned mem_mb;  /**< memory to reserve */
    unsigned workers; /**< worker lcores */
    const char *cpus; /**< "0,1" or "0-3"; NULL: the CPUs this process may use */
    int extra_argc;   /**< raw EAL arguments appended last (after "--") */
    char **extra_argv;
};

/** Build the EAL command line and run rte_eal_init(). */
int e2_eal_init(const struct e2_eal_opts *o, struct e2_err *err);

#endif
