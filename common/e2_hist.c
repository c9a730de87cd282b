#include "e2_hist.h"

#include <stdlib.h>

static uint64_t bucket_low(unsigned idx)
{
    if (idx < E2_HIST_SUB) return idx;
    unsigned e = idx / E2_HIST_SUB + 4, sub = idx % E2_HIST_SUB;
    return (uint64_t)(E2_HIST_SUB + sub) << (e - 5);
}

static uint64_t bucket_mid(unsigned idx)
{
    if (idx < E2_HIST_SUB) return idx;
    unsigned e = idx / E2_HIST_SUB + 4;
    return bucket_low(idx) + ((1ull << (e - 5)) >> 1);
}

void e2_hist_snapshot(const struct e2_hist *h, struct e2_hist *out)
{
    for (unsigned i = 0; i < E2_HIST_BUCKETS; i++)
        out->bucket[i] = __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
    out->sum = __atomic_load_n(&h->sum, __ATOMIC_RELAXED);
}

void e2_hist_sub(struct e2_hist *a, const struct e2_hist *b)
{
    for (unsigned i = 0; i < E2_HIST_BUCKETS; i++)
        a->bucket[i] = a->bucket[i] >= b->bucket[i] ? a->bucket[i] - b->bucket[i] : 0;
    a->sum = a->sum >= b->sum ? a->sum - b->sum : 0;
}

uint64_t e2_hist_count(const struct e2_hist *h)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < E2_HIST_BUCKETS; i++) n += h->bucket[i];
    return n;
}

uint64_t e2_hist_percentile(const struct e2_hist *h, double p)
{
    uint64_t total = e2_hist_count(h);
    if (total == 0) return 0;
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total + 0.5);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < E2_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) return bucket_mid(i);
    }
    return 0;
}

uint64_t e2_hist_min(const struct e2_hist *h)
{
    for (unsigned i = 0; i < E2_HIST_BUCKETS; i++)
        if (h->bucket[i]) return bucket_mid(i);
    return 0;
}

uint64_t e2_hist_max(const struct e2_hist *h)
{
    for (unsigned i = E2_HIST_BUCKETS; i-- > 0;)
        if (h->bucket[i]) return bucket_mid(i);
    return 0;
}

double e2_hist_mean(const struct e2_hist *h)
{
    uint64_t n = e2_hist_count(h);
    return n ? (double)h->sum / (double)n : 0.0;
}

json_t *e2_hist_summary(const struct e2_hist *live, const struct e2_hist *base, double scale)
{
    struct e2_hist *h = malloc(sizeof(*h));
    if (!h) return NULL;
    e2_hist_snapshot(live, h);
    if (base) e2_hist_sub(h, base);
    json_t *j = json_pack(
        "{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)e2_hist_count(h), "min",
        (double)e2_hist_min(h) * scale, "mean", e2_hist_mean(h) * scale, "p50",
        (double)e2_hist_percentile(h, 50) * scale, "p90", (double)e2_hist_percentile(h, 90) * scale,
        "p99", (double)e2_hist_percentile(h, 99) * scale, "p999",
        (double)e2_hist_percentile(h, 99.9) * scale, "max", (double)e2_hist_max(h) * scale);
    free(h);
    return j;
}
