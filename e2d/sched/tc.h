/*
 * e2_tc — the hierarchical scheduler of an e2d worker.
 *
 * Each worker owns a tree of traffic classes (TCs). Leaves hold tasks; inner
 * nodes hold a policy that chooses among their children:
 *
 *   priority       the runnable child with the highest priority wins
 *   weighted_fair  stride scheduling: each child is charged
 *                  usage[resource] * (2^20 / share) and the least charged runs
 *   round_robin    children take turns, one task run each
 *   rate_limit     one child, admitted while a token bucket over `resource`
 *                  (count, cycles, packets or bits per second) has tokens
 *
 * The worker loop asks e2_tc_pick() for the next leaf, runs its task, and
 * reports what the run used with e2_tc_account(); every node on the way to the
 * root adds the usage to its statistics (the per-class cycle accounting Alpine
 * builds on) and updates its policy state. A subtree is blocked only while a
 * rate limiter in it is in debt; pick() then returns NULL and the root's
 * blocked_until tells the worker how long it may sleep.
 *
 * Pure C: the clock is the caller's (TSC cycles in e2d, a counter in tests).
 * Threading: the tree is changed only while its worker is paused; pick and
 * account run on the worker; statistics may be read at any time.
 */
#ifndef E2_TC_H
#define E2_TC_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"
#include "tbucket.h"

#define E2_TC_NAME_MAX  64
#define E2_TC_SHARE_MAX 1024

enum e2_tc_policy {
    E2_TC_PRIORITY,
    E2_TC_WEIGHTED_FAIR,
    E2_TC_ROUND_ROBIN,
    E2_TC_RATE_LIMIT,
    E2_TC_LEAF,
};

enum e2_resource {
    E2_RES_COUNT,   /**< task runs */
    E2_RES_CYCLES,  /**< CPU cycles spent in the task */
    E2_RES_PACKETS, /**< packets the task processed */
    E2_RES_BITS,    /**< bits the task processed */
    E2_RES_MAX,
};

/** What one task run used, or what a class used in total. */
struct e2_usage {
    uint64_t v[E2_RES_MAX];
};

struct e2_tc {
    char name[E2_TC_NAME_MAX];
    enum e2_tc_policy policy;
    struct e2_tc *parent;
    int64_t key;            /**< priority or share, as given when attached */
    uint32_t slot;          /**< position in the parent's array or heap */
    uint64_t blocked_until; /**< clock before which nothing below may run */
    struct e2_usage stats;  /**< usage of everything run below, read with e2_tc_stats() */
    uint64_t pass, stride;  /**< weighted_fair state of this node as a child */

    struct e2_tc **children; /**< priority: sorted by key, highest first */
    uint32_t n_children, cap_children;
    struct e2_tc **heap;    /**< weighted_fair: runnable children by pass */
    struct e2_tc **blocked; /**< weighted_fair: children set aside while blocked */
    uint32_t n_heap, n_blocked;
    uint32_t rr_next;          /**< round_robin: child to try first */
    enum e2_resource resource; /**< weighted_fair and rate_limit */
    struct e2_tbucket tb;      /**< rate_limit */
    uint64_t limit, burst;     /**< rate_limit, as configured */
    void *task;                /**< leaf: the task it runs */
};

/** Parameters for e2_tc_create(); unused fields are ignored per policy. */
struct e2_tc_params {
    enum e2_resource resource; /**< weighted_fair, rate_limit */
    uint64_t limit;            /**< rate_limit: units per second */
    uint64_t burst;            /**< rate_limit: bucket size in units (0: one run's worth) */
    uint64_t hz;               /**< rate_limit: clock ticks per second */
    uint64_t now;              /**< rate_limit: current clock */
    void *task;                /**< leaf */
};

/** Policy and resource names as used in configs ("weighted_fair", "cycles"). */
const char *e2_tc_policy_name(enum e2_tc_policy p);
int e2_tc_policy_parse(const char *name, enum e2_tc_policy *out);
const char *e2_resource_name(enum e2_resource r);
int e2_resource_parse(const char *name, enum e2_resource *out);

/** A new detached class. Returns NULL with @err filled on bad parameters. */
struct e2_tc *e2_tc_create(const char *name, enum e2_tc_policy policy,
                           const struct e2_tc_params *params, struct e2_err *err);

/** Free a detached class without children. */
void e2_tc_destroy(struct e2_tc *tc);

/**
 * Make @child a child of @parent with @key (priority for a priority parent,
 * share 1..1024 for a weighted_fair parent, ignored otherwise). Fails on a
 * leaf parent, a second child of a rate_limit, a duplicate priority, a share
 * out of range, an attached child, or a cycle.
 */
int e2_tc_attach(struct e2_tc *parent, struct e2_tc *child, int64_t key, struct e2_err *err);

/** Remove @child from its parent (no-op when detached). */
void e2_tc_detach(struct e2_tc *child);

/** Change a rate limiter's limit and burst. */
int e2_tc_set_limit(struct e2_tc *tc, uint64_t limit, uint64_t burst, struct e2_err *err);

/**
 * The leaf to run next at clock @now, or NULL when everything below @root is
 * rate-limited; then root->blocked_until is the clock at which to ask again.
 */
struct e2_tc *e2_tc_pick(struct e2_tc *root, uint64_t now);

/** Charge what @leaf's task used to every class from @leaf up to the root. */
void e2_tc_account(struct e2_tc *leaf, const struct e2_usage *used, uint64_t now);

/** A consistent-enough copy of a class's statistics, safe from any thread. */
void e2_tc_stats(const struct e2_tc *tc, struct e2_usage *out);

#endif
