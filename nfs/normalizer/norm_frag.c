/*
 * Fragment tracking of the normalizer (norm.h): per datagram (src, dst, id,
 * proto, as RFC 791 reassembly keys it) the byte ranges received so far,
 * merged into at most NORM_FRAG_RANGES pieces, the datagram's end once its
 * last fragment came, and a copy of its first NORM_FRAG_KEEP bytes, so an
 * overlap there can be compared byte for byte (Handley et al. §5: a
 * normalizer must not let the end host and the monitor reassemble
 * different data). State is an e2_flowtab of fixed size; a datagram is
 * forgotten when seen whole, when its timeout passes, or when the table
 * needs room for a newer one (the oldest goes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_flowtab.h"
#include "norm.h"

#define IP_MAX 65535u

struct range {
    uint16_t lo, hi; /* [lo, hi) bytes of the datagram's payload */
};

struct dgram {
    uint16_t n;   /* pieces in r, sorted, disjoint, not touching */
    uint16_t end; /* payload length, once has_end */
    bool has_end;
    struct range r[NORM_FRAG_RANGES];
    uint8_t data[NORM_FRAG_KEEP];
};

struct norm_frags {
    struct e2_flowtab *tab;
    struct norm_stats *st;
    size_t sweep_buckets;
};

static void on_evict(void *ctx, struct e2_flow_entry *e, bool expired)
{
    struct norm_frags *f = ctx;
    (void)e;
    if (expired)
        f->st->frag_expired++;
    else
        f->st->frag_evicted++;
}

struct norm_frags *norm_frags_create(size_t capacity, struct norm_stats *st, struct e2_err *err)
{
    struct norm_frags *f = calloc(1, sizeof(*f));
    if (!f) {
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    f->tab = e2_flowtab_create(capacity, sizeof(struct dgram), on_evict, f, err);
    if (!f->tab) {
        free(f);
        return NULL;
    }
    struct e2_flowtab_stats ts;
    e2_flowtab_stats(f->tab, &ts);
    f->sweep_buckets = ts.buckets / 100 + 1;
    f->st = st;
    return f;
}

void norm_frags_free(struct norm_frags *f)
{
    if (!f) return;
    e2_flowtab_free(f->tab);
    free(f);
}

/* Compare the overlap of [lo, hi) with what @d holds; data is the fragment's payload. */
static enum norm_frag_verdict compare(const struct dgram *d, uint16_t lo, uint16_t hi,
                                      const uint8_t *data, enum norm_overlap mode)
{
    enum norm_frag_verdict v = NORM_FRAG_OK;
    for (unsigned i = 0; i < d->n; i++) {
        unsigned a = lo > d->r[i].lo ? lo : d->r[i].lo, b = hi < d->r[i].hi ? hi : d->r[i].hi;
        if (a >= b || mode == NORM_OVERLAP_ALLOW) continue;
        if (mode == NORM_OVERLAP_ANY) return NORM_FRAG_OVERLAP;
        if (b > NORM_FRAG_KEEP || memcmp(d->data + a, data + (a - lo), b - a))
            return NORM_FRAG_DIFFERING; /* beyond what is kept cannot be shown the same */
        v = NORM_FRAG_SAME;
    }
    return v;
}

/* Merge [lo, hi) into the pieces of @d; false when that would make too many. */
static bool merge(struct dgram *d, uint16_t lo, uint16_t hi)
{
    struct range out[NORM_FRAG_RANGES + 1];
    unsigned n = 0, i = 0;
    for (; i < d->n && d->r[i].hi < lo; i++) out[n++] = d->r[i]; /* wholly before, not touching */
    struct range m = {lo, hi};
    for (; i < d->n && d->r[i].lo <= hi; i++) { /* overlapping or touching: absorb */
        if (d->r[i].lo < m.lo) m.lo = d->r[i].lo;
        if (d->r[i].hi > m.hi) m.hi = d->r[i].hi;
    }
    out[n++] = m;
    for (; i < d->n; i++) out[n++] = d->r[i];
    if (n > NORM_FRAG_RANGES) return false;
    memcpy(d->r, out, n * sizeof(out[0]));
    d->n = (uint16_t)n;
    return true;
}

static enum norm_frag_verdict check_end(const struct dgram *d, const struct e2_pkt *p, uint16_t hi)
{
    if (p->mf) return d->has_end && hi > d->end ? NORM_FRAG_BAD_END : NORM_FRAG_OK;
    if (d->has_end && d->end != hi) return NORM_FRAG_BAD_END;
    return d->n && d->r[d->n - 1].hi > hi ? NORM_FRAG_BAD_END : NORM_FRAG_OK;
}

enum norm_frag_verdict norm_frags_add(struct norm_frags *f, const struct e2_pkt *p, uint64_t now,
                                      uint64_t timeout, enum norm_overlap mode)
{
    unsigned lo = p->frag_off, hi = lo + p->l4_len;
    if (hi + p->ihl > IP_MAX) return NORM_FRAG_TOO_BIG;
    if (p->mf && p->l4_len % 8) return NORM_FRAG_BAD_LEN;
    struct e2_flow_key k = {
        .src_ip = p->src_ip, .dst_ip = p->dst_ip, .src_port = p->ip_id, .proto = p->proto};
    bool created;
    struct e2_flow_entry *e = e2_flowtab_insert(f->tab, &k, now, now + timeout, &created);
    struct dgram *d = (struct dgram *)e->data;
    enum norm_frag_verdict v = check_end(d, p, (uint16_t)hi);
    const uint8_t *data = p->frame + p->l4_off;
    if (v == NORM_FRAG_OK) v = compare(d, (uint16_t)lo, (uint16_t)hi, data, mode);
    if (v != NORM_FRAG_OK && v != NORM_FRAG_SAME) return v;
    if (!merge(d, (uint16_t)lo, (uint16_t)hi)) return NORM_FRAG_TOO_MANY; /* left as it was */
    if (lo < NORM_FRAG_KEEP)
        memcpy(d->data + lo, data, (hi < NORM_FRAG_KEEP ? hi : NORM_FRAG_KEEP) - lo);
    if (!p->mf) {
        d->has_end = true;
        d->end = (uint16_t)hi;
    }
    if (d->has_end && d->n == 1 && d->r[0].lo == 0 && d->r[0].hi == d->end) {
        f->st->frag_complete++;
        e2_flowtab_remove(f->tab, e);
    }
    return v;
}

void norm_frags_sweep(struct norm_frags *f, uint64_t now)
{
    e2_flowtab_expire(f->tab, now, f->sweep_buckets);
}
