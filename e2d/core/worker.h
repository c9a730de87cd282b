/*
 * Workers: one thread per EAL worker lcore, each running its own scheduler
 * tree (see sched/tc.h) in a poll loop.
 *
 * The loop: pick the next leaf, run its task, charge what it used, report a
 * quiescent state for RCU. When no task has seen a packet for idle_spin_us,
 * the worker sleeps (first 1 µs, doubling up to idle_sleep_max_us) between
 * rounds of its tasks, and spins again at the first packet — so e2d shares a
 * core politely when idle and is a poll-mode dataplane under load. When every
 * task is rate-limited it sleeps until the first limiter has tokens.
 *
 * Control: the control thread changes the graph only while workers are paused
 * (e2_workers_pause/resume nest, so an operator's explicit pause and the
 * pauses around single changes compose). Tables that must change without a
 * pause (FlowHash ranges, match rules) are swapped RCU-style (rcu.h): publish
 * the new pointer, e2_rcu_synchronize(), free the old one.
 */
#ifndef E2_WORKER_H
#define E2_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"
#include "tc.h"

#define E2_WORKERS_MAX 32

struct e2_worker_opts {
    unsigned idle_spin_us;      /**< spin this long without packets before sleeping */
    unsigned idle_sleep_max_us; /**< longest single sleep when idle */
};

struct e2_worker_stats {
    uint64_t runs;        /**< task runs */
    uint64_t packets;     /**< packets reported by tasks */
    uint64_t busy_cycles; /**< cycles in runs that moved packets */
    uint64_t idle_cycles; /**< cycles in runs that moved none */
    uint64_t sleeps;      /**< times the worker slept */
    uint64_t sleep_ns;    /**< time asleep */
};

struct e2_worker;

/** Create @n workers (not yet running) with their root classes "worker<i>". */
int e2_workers_init(unsigned n, const struct e2_worker_opts *opts, struct e2_err *err);

/** Start the worker threads on the EAL worker lcores. */
int e2_workers_launch(struct e2_err *err);

/** Stop and join the workers; the graph may then be torn down. */
void e2_workers_stop(void);

/** Pause every worker at a task boundary and wait until all have stopped. Nests. */
void e2_workers_pause(void);

/** Undo one e2_workers_pause(); workers run again when the count reaches 0. */
void e2_workers_resume(void);

/** True while the graph may be changed (paused, or not launched). */
bool e2_workers_quiet(void);

/** How deep the operator's explicit pauses are nested (for status). */
unsigned e2_workers_pause_depth(void);

unsigned e2_worker_count(void);
struct e2_tc *e2_worker_root(unsigned id);
unsigned e2_worker_lcore(unsigned id);
void e2_worker_stats(unsigned id, struct e2_worker_stats *out);

/** The calling thread's worker id, or -1 on the control thread. */
int e2_worker_self(void);

/** Tell worker @id that its number of task leaves changed by @delta. */
void e2_worker_tasks_changed(unsigned id, int delta);

/** Wait until every running worker has finished what it was doing. */
void e2_rcu_synchronize(void);

/** The TSC frequency every worker and module uses. */
uint64_t e2_tsc_hz(void);

#endif
