/*
 * e2_hist — a log-linear histogram for latencies and delays.
 *
 * Values below 32 are exact; above, each power of two is cut into 32 equal
 * buckets, so any percentile is within 1/64 (about 1.6%) of the true value.
 * One writer records (the worker that owns the module); any thread may take a
 * snapshot. "Clear" is done by the reader keeping an old snapshot and
 * subtracting it, so the writer never has to be stopped.
 */
#ifndef E2_HIST_H
#define E2_HIST_H

#include <jansson.h>
#include <stdint.h>

#define E2_HIST_SUB     32
#define E2_HIST_BUCKETS (60 * E2_HIST_SUB)

struct e2_hist {
    uint64_t bucket[E2_HIST_BUCKETS];
    uint64_t sum; /**< sum of all recorded values, for the mean */
};

/** Record one value. Single writer. */
static inline void e2_hist_record(struct e2_hist *h, uint64_t v)
{
    unsigned idx;
    if (v < E2_HIST_SUB) {
        idx = (unsigned)v;
    } else {
        unsigned e = 63u - (unsigned)__builtin_clzll(v);
        idx = (e - 4) * E2_HIST_SUB + (unsigned)((v >> (e - 5)) & (E2_HIST_SUB - 1));
    }
    __atomic_store_n(&h->bucket[idx], h->bucket[idx] + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&h->sum, h->sum + v, __ATOMIC_RELAXED);
}

/** Copy @h into @out; safe while the writer records. */
void e2_hist_snapshot(const struct e2_hist *h, struct e2_hist *out);

/** @a -= @b, bucket by bucket (b an older snapshot of the same histogram). */
void e2_hist_sub(struct e2_hist *a, const struct e2_hist *b);

uint64_t e2_hist_count(const struct e2_hist *h);

/** The value at percentile @p (0..100): the middle of its bucket. 0 if empty. */
uint64_t e2_hist_percentile(const struct e2_hist *h, double p);

/** Smallest and largest recorded values, to bucket precision. 0 if empty. */
uint64_t e2_hist_min(const struct e2_hist *h);
uint64_t e2_hist_max(const struct e2_hist *h);

double e2_hist_mean(const struct e2_hist *h);

/**
 * What @live recorded since @base (an older snapshot of it, or NULL), with
 * every value multiplied by @scale (e.g. clock ticks to ns), as a new JSON
 * object {count, min, mean, p50, p90, p99, p999, max}. Safe while the writer
 * records. NULL when out of memory.
 */
json_t *e2_hist_summary(const struct e2_hist *live, const struct e2_hist *base, double scale);

#endif
