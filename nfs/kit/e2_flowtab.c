#include "e2_flowtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pkt.h"

#define SLOTS 8

struct bucket {
    uint16_t sig[SLOTS]; /* 0: empty slot */
};

struct e2_flowtab {
    struct bucket *buckets;
    unsigned char *entries; /* n_buckets * SLOTS entries of entry_size bytes */
    size_t n_buckets, mask, entry_size, cursor;
    e2_flowtab_evict_fn evict;
    void *ctx;
    struct e2_flowtab_stats st;
};

void e2_flow_key_of(const struct e2_pkt *p, struct e2_flow_key *k)
{
    *k = (struct e2_flow_key){.src_ip = p->src_ip,
                              .dst_ip = p->dst_ip,
                              .src_port = p->src_port,
                              .dst_port = p->dst_port,
                              .proto = p->proto};
}

struct e2_flow_key e2_flow_key_reverse(const struct e2_flow_key *k)
{
    return (struct e2_flow_key){.src_ip = k->dst_ip,
                                .dst_ip = k->src_ip,
                                .src_port = k->dst_port,
                                .dst_port = k->src_port,
                                .proto = k->proto};
}

struct e2_flow_key e2_flow_key_canonical(const struct e2_flow_key *k, bool *swapped)
{
    *swapped = k->src_ip > k->dst_ip || (k->src_ip == k->dst_ip && k->src_port > k->dst_port);
    return *swapped ? e2_flow_key_reverse(k) : *k;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint32_t e2_flow_hash(const struct e2_flow_key *k)
{
    uint64_t a = (uint64_t)k->src_ip << 32 | k->dst_ip;
    uint64_t b = (uint64_t)k->src_port << 32 | (uint64_t)k->dst_port << 16 | k->proto;
    return (uint32_t)mix64(a ^ mix64(b + 0x9e3779b97f4a7c15ull));
}

static struct e2_flow_entry *slot_entry(const struct e2_flowtab *t, size_t b, unsigned s)
{
    return (struct e2_flow_entry *)(t->entries + (b * SLOTS + s) * t->entry_size);
}

struct e2_flowtab *e2_flowtab_create(size_t capacity, size_t value_size, e2_flowtab_evict_fn evict,
                                     void *ctx, struct e2_err *err)
{
    size_t n = 2;
    while (n * SLOTS < capacity && n < ((size_t)1 << 28)) n <<= 1;
    struct e2_flowtab *t = calloc(1, sizeof(*t));
    size_t entry_size = (sizeof(struct e2_flow_entry) + value_size + 7) & ~(size_t)7;
    if (t) {
        t->buckets = calloc(n, sizeof(*t->buckets));
        t->entries = calloc(n * SLOTS, entry_size);
    }
    if (!t || !t->buckets || !t->entries) {
        e2_flowtab_free(t);
        e2_err_set(err, ENOMEM, "no memory for a flow table of %zu entries", n * SLOTS);
        return NULL;
    }
    t->n_buckets = n;
    t->mask = n - 1;
    t->entry_size = entry_size;
    t->evict = evict;
    t->ctx = ctx;
    t->st.capacity = n * SLOTS;
    t->st.buckets = n;
    return t;
}

void e2_flowtab_free(struct e2_flowtab *t)
{
    if (!t) return;
    free(t->buckets);
    free(t->entries);
    free(t);
}

/* The two buckets and the slot signature of a hash; the signature is never 0. */
static void place(const struct e2_flowtab *t, uint32_t h, size_t *b1, size_t *b2, uint16_t *sig)
{
    *sig = (uint16_t)(h >> 16) | 1;
    *b1 = h & t->mask;
    *b2 = (*b1 ^ mix64(*sig)) & t->mask;
}

static struct e2_flow_entry *find_in(struct e2_flowtab *t, size_t b, uint16_t sig,
                                     const struct e2_flow_key *k)
{
    for (unsigned s = 0; s < SLOTS; s++) {
        if (t->buckets[b].sig[s] != sig) continue;
        struct e2_flow_entry *e = slot_entry(t, b, s);
        if (!memcmp(&e->key, k, sizeof(*k))) return e;
    }
    return NULL;
}

struct e2_flow_entry *e2_flowtab_lookup_hashed(struct e2_flowtab *t, const struct e2_flow_key *k,
                                               uint32_t hash)
{
    size_t b1, b2;
    uint16_t sig;
    place(t, hash, &b1, &b2, &sig);
    struct e2_flow_entry *e = find_in(t, b1, sig, k);
    return e ? e : find_in(t, b2, sig, k);
}

struct e2_flow_entry *e2_flowtab_lookup(struct e2_flowtab *t, const struct e2_flow_key *k)
{
    return e2_flowtab_lookup_hashed(t, k, e2_flow_hash(k));
}

void e2_flowtab_prefetch(const struct e2_flowtab *t, uint32_t hash)
{
    size_t b1, b2;
    uint16_t sig;
    place(t, hash, &b1, &b2, &sig);
    __builtin_prefetch(&t->buckets[b1]);
    __builtin_prefetch(&t->buckets[b2]);
}

void e2_flowtab_prefetch_entries(const struct e2_flowtab *t, uint32_t hash)
{
    size_t b[2];
    uint16_t sig;
    place(t, hash, &b[0], &b[1], &sig);
    for (unsigned i = 0; i < 2; i++)
        for (unsigned s = 0; s < SLOTS; s++)
            if (t->buckets[b[i]].sig[s] == sig) __builtin_prefetch(slot_entry(t, b[i], s));
}

/* Slot index of @e: where it sits in the entry array. */
static size_t index_of(const struct e2_flowtab *t, const struct e2_flow_entry *e)
{
    return (size_t)((const unsigned char *)e - t->entries) / t->entry_size;
}

static void clear_slot(struct e2_flowtab *t, size_t idx)
{
    t->buckets[idx / SLOTS].sig[idx % SLOTS] = 0;
    t->st.entries--;
}

static int free_slot(const struct e2_flowtab *t, size_t b)
{
    for (unsigned s = 0; s < SLOTS; s++)
        if (!t->buckets[b].sig[s]) return (int)s;
    return -1;
}

/* Make room in b1 or b2 by evicting the entry closest to expiry; its slot index. */
static size_t evict_one(struct e2_flowtab *t, size_t b1, size_t b2, uint64_t now)
{
    size_t victim = b1 * SLOTS;
    for (size_t b = b1;; b = b2) {
        for (unsigned s = 0; s < SLOTS; s++)
            if (slot_entry(t, b, s)->expires <
                slot_entry(t, victim / SLOTS, victim % SLOTS)->expires)
                victim = b * SLOTS + s;
        if (b == b2) break;
    }
    struct e2_flow_entry *e = slot_entry(t, victim / SLOTS, victim % SLOTS);
    bool expired = now >= e->expires;
    if (t->evict) t->evict(t->ctx, e, expired);
    if (expired)
        t->st.expired++;
    else
        t->st.evicted++;
    if (t->buckets[victim / SLOTS].sig[victim % SLOTS]) clear_slot(t, victim);
    return victim;
}

struct e2_flow_entry *e2_flowtab_insert(struct e2_flowtab *t, const struct e2_flow_key *k,
                                        uint64_t now, uint64_t expires, bool *created)
{
    return e2_flowtab_insert_hashed(t, k, e2_flow_hash(k), now, expires, created);
}

struct e2_flow_entry *e2_flowtab_insert_hashed(struct e2_flowtab *t, const struct e2_flow_key *k,
                                               uint32_t hash, uint64_t now, uint64_t expires,
                                               bool *created)
{
    size_t b1, b2;
    uint16_t sig;
    place(t, hash, &b1, &b2, &sig);
    struct e2_flow_entry *e = find_in(t, b1, sig, k);
    if (!e) e = find_in(t, b2, sig, k);
    *created = !e;
    if (e) return e;
    int s1 = free_slot(t, b1), s2 = free_slot(t, b2);
    size_t idx;
    if (s1 >= 0 && (s2 < 0 || s1 <= s2)) /* the emptier-looking bucket keeps chains short */
        idx = b1 * SLOTS + (size_t)s1;
    else if (s2 >= 0)
        idx = b2 * SLOTS + (size_t)s2;
    else
        idx = evict_one(t, b1, b2, now);
    e = slot_entry(t, idx / SLOTS, idx % SLOTS);
    memset(e, 0, t->entry_size);
    e->key = *k;
    e->expires = expires;
    t->buckets[idx / SLOTS].sig[idx % SLOTS] = sig;
    t->st.entries++;
    t->st.inserts++;
    return e;
}

void e2_flowtab_remove(struct e2_flowtab *t, struct e2_flow_entry *e)
{
    size_t idx = index_of(t, e);
    if (t->buckets[idx / SLOTS].sig[idx % SLOTS]) clear_slot(t, idx);
}

size_t e2_flowtab_expire(struct e2_flowtab *t, uint64_t now, size_t buckets)
{
    size_t removed = 0;
    if (buckets > t->n_buckets) buckets = t->n_buckets;
    for (size_t i = 0; i < buckets; i++) {
        size_t b = t->cursor;
        t->cursor = (t->cursor + 1) & t->mask;
        for (unsigned s = 0; s < SLOTS; s++) {
            struct e2_flow_entry *e = slot_entry(t, b, s);
            if (!t->buckets[b].sig[s] || now < e->expires) continue;
            if (t->evict) t->evict(t->ctx, e, true);
            /* the callback may have removed it (or its partner in this bucket) itself */
            if (t->buckets[b].sig[s]) clear_slot(t, b * SLOTS + s);
            t->st.expired++;
            removed++;
        }
    }
    return removed;
}

void e2_flowtab_foreach(struct e2_flowtab *t, void (*fn)(void *ctx, struct e2_flow_entry *e),
                        void *ctx)
{
    for (size_t b = 0; b < t->n_buckets; b++)
        for (unsigned s = 0; s < SLOTS; s++)
            if (t->buckets[b].sig[s]) fn(ctx, slot_entry(t, b, s));
}

void e2_flowtab_stats(const struct e2_flowtab *t, struct e2_flowtab_stats *s)
{
    *s = t->st;
}
