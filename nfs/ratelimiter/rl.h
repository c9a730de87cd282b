/*
 * rl — the two-class strict-priority rate limiter of E2 paper Fig. 16, in
 * pure C over opaque packets and an explicit clock (no DPDK, unit-tested).
 *
 * Packets of class c (prio0 arrives on vport vp0, prio1 on vp1) wait in a
 * bounded FIFO per class; a full queue drops the arriving packet (tail
 * drop, counted). Token buckets meter bytes: one per class (its own rate
 * and burst) and one for the output link (the aggregate). rl_dequeue()
 * releases packets in strict priority: the highest class whose head packet
 * its own bucket admits goes next, if the link's bucket admits it too; a
 * class held back by its own rate lets lower classes use the link, a link
 * out of tokens holds everybody (so prio1 never takes prio0's share).
 *
 * Tokens are integers in units of bit-nanoseconds per second, 8e9 per byte:
 * refilling adds rate (bit/s) x elapsed ns exactly, so a bucket neither
 * drifts nor loses fractions, and it fills to its burst while idle. A
 * packet larger than a burst can never conform: it is dropped as oversize
 * instead of blocking its queue. Rate 0 means unlimited.
 */
#ifndef RL_H
#define RL_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"

#define RL_CLASSES        2
#define RL_UNITS_PER_BYTE 8000000000ull /* 8 bits x 1e9 ns/s */
#define RL_BURST_MAX      (1ull << 30)  /* keeps a full bucket within 63 bits */
#define RL_RATE_MIN       1000ull
#define RL_RATE_MAX       1000000000000ull /* 1 Tbit/s */
#define RL_QUEUE_DEFAULT  1024u
#define RL_QUEUE_MAX      (1u << 20)

/* ---- token bucket ---- */

struct rl_bucket {
    uint64_t rate;   /**< bit/s; 0: unlimited */
    uint64_t cap;    /**< burst, in units (bytes x RL_UNITS_PER_BYTE) */
    uint64_t credit; /**< units available now */
    uint64_t last;   /**< ns of the last refill */
};

/** A bucket of @rate bit/s and @burst bytes, full at @now. */
void rl_bucket_init(struct rl_bucket *b, uint64_t rate, uint64_t burst, uint64_t now);

/** New rate and burst, keeping the credit earned so far (at most the new burst). */
void rl_bucket_reset(struct rl_bucket *b, uint64_t rate, uint64_t burst, uint64_t now);

/** Add what @now - last earned, up to the burst. */
void rl_bucket_refill(struct rl_bucket *b, uint64_t now);

/** Whether @len bytes may go now (refilled already). */
bool rl_bucket_admits(const struct rl_bucket *b, uint32_t len);

/** Whether @len bytes would never fit in the burst. */
bool rl_bucket_oversize(const struct rl_bucket *b, uint32_t len);

/** Spend @len bytes of credit (after rl_bucket_admits). */
void rl_bucket_take(struct rl_bucket *b, uint32_t len);

/** Whole bytes of credit now. */
uint64_t rl_bucket_bytes(const struct rl_bucket *b);

/* ---- configuration ---- */

struct rl_limit {
    uint64_t rate;   /**< bit/s, 0: unlimited */
    uint64_t burst;  /**< bytes */
    uint32_t queue;  /**< packets (classes only) */
    char where[128]; /**< "FILE:LINE" of its statement, "" when not configured */
};

struct rl_conf {
    struct rl_limit link;
    struct rl_limit cls[RL_CLASSES];
};

/** Class names as configured ("prio0") and the vports they arrive on ("vp0"). */
extern const char *const rl_class_names[RL_CLASSES];
extern const char *const rl_class_ports[RL_CLASSES];

/**
 * Read @opts (statements from the command line, may be NULL) and then the
 * file at @path (may be NULL) into @c. Statements:
 *   link rate RATE [burst SIZE]
 *   class prio0|prio1 [rate RATE] [burst SIZE] [queue PACKETS]
 * Unset: no limit, queues of RL_QUEUE_DEFAULT packets; a burst defaults to
 * 2 ms at the rate, at least 4 KiB. Errors name FILE:LINE.
 */
int rl_conf_load(struct rl_conf *c, const char *opts, const char *path, struct e2_err *err);

/* ---- scheduler ---- */

typedef void (*rl_drop_fn)(void *ctx, void *pkt);

struct rl_item {
    void *pkt;
    uint32_t len;
};

struct rl_queue {
    struct rl_item *ring;
    uint32_t cap, head, count;
};

struct rl_class_stats {
    uint64_t enqueued, sent, sent_bytes;
    uint64_t overflow; /**< dropped: the queue was full */
    uint64_t oversize; /**< dropped: larger than a burst */
};

struct rl_sched {
    struct rl_conf conf;
    struct rl_bucket link, cls[RL_CLASSES];
    struct rl_queue q[RL_CLASSES];
    struct rl_class_stats st[RL_CLASSES];
    rl_drop_fn drop;
    void *drop_ctx;
};

/** Where dropped packets go (the NF frees them). Call once before anything else. */
void rl_sched_init(struct rl_sched *s, rl_drop_fn drop, void *ctx);

/**
 * Apply @c at @now: buckets keep their credit (up to the new bursts),
 * queues are resized keeping the oldest packets (the rest are dropped as
 * overflow). All or nothing: -ENOMEM leaves everything as it was.
 */
int rl_sched_configure(struct rl_sched *s, const struct rl_conf *c, uint64_t now,
                       struct e2_err *err);

/** Drop every queued packet and free the queues. */
void rl_sched_free(struct rl_sched *s);

/** Queue @pkt of @len bytes in class @cls, or drop it when the queue is full. */
void rl_enqueue(struct rl_sched *s, unsigned cls, void *pkt, uint32_t len);

/** Release up to @max packets at @now in priority order into @out; returns how many. */
unsigned rl_dequeue(struct rl_sched *s, uint64_t now, void **out, unsigned max);

/** Packets waiting in all queues. */
uint32_t rl_backlog(const struct rl_sched *s);

#endif
