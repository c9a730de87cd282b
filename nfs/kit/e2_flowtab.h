/*
 * e2_flowtab — the per-flow state table of an NF (NAT mappings, firewall
 * connections, monitor counters).
 *
 * A flow is its IPv4 5-tuple (e2_flow_key). The table has a fixed capacity
 * chosen at creation and never allocates afterwards: 8-slot buckets, each
 * key in one of two buckets picked by its hash, a 16-bit signature per slot
 * so a lookup touches one or two cache lines of signatures before comparing
 * keys. Entries never move once inserted, so an NF may keep pointers
 * between entries (a NAT mapping and its reverse) until it removes them.
 *
 * Each entry carries an expiry time (in whatever clock the NF uses) and
 * value_size bytes of the NF's data. e2_flowtab_expire() sweeps a slice of
 * the table per call, so an NF spreads the work over its loop; when both
 * buckets of a new key are full, the entry closest to expiry among them is
 * evicted (the NF's evict callback sees it first) and counted.
 *
 * Pure C, single-threaded: one table per NF instance (E2 splits traffic
 * between instances by flow, so tables are never shared).
 */
#ifndef E2_FLOWTAB_H
#define E2_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"

struct e2_pkt;

/** An IPv4 5-tuple, host order; the padding is always zero so keys compare as bytes. */
struct e2_flow_key {
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port;
    uint8_t proto;
    uint8_t pad[3];
};

/** The key of a parsed packet (ports 0 for non-first fragments and other protocols). */
void e2_flow_key_of(const struct e2_pkt *p, struct e2_flow_key *k);

/** The key of the reverse direction. */
struct e2_flow_key e2_flow_key_reverse(const struct e2_flow_key *k);

/**
 * The same key for both directions (the lower endpoint first); *swapped
 * says whether @k was the reverse of the canonical key.
 */
struct e2_flow_key e2_flow_key_canonical(const struct e2_flow_key *k, bool *swapped);

/** A 32-bit hash of the key, well mixed in every bit. */
uint32_t e2_flow_hash(const struct e2_flow_key *k);

struct e2_flow_entry {
    struct e2_flow_key key;
    uint64_t expires; /**< the sweep removes the entry once now >= expires */
    unsigned char data[] __attribute__((aligned(8)));
};

/** Called with an entry about to leave by expiry or eviction (not by e2_flowtab_remove). */
typedef void (*e2_flowtab_evict_fn)(void *ctx, struct e2_flow_entry *e, bool expired);

struct e2_flowtab;

/**
 * A table for about @capacity flows (rounded up to whole buckets, at least
 * 16), each entry with @value_size bytes of data (zeroed on insert).
 */
struct e2_flowtab *e2_flowtab_create(size_t capacity, size_t value_size, e2_flowtab_evict_fn evict,
                                     void *ctx, struct e2_err *err);
void e2_flowtab_free(struct e2_flowtab *t);

/** The entry of @k, or NULL. */
struct e2_flow_entry *e2_flowtab_lookup(struct e2_flowtab *t, const struct e2_flow_key *k);

/** e2_flowtab_lookup of a key whose e2_flow_hash() is @hash (computed once, used twice). */
struct e2_flow_entry *e2_flowtab_lookup_hashed(struct e2_flowtab *t, const struct e2_flow_key *k,
                                               uint32_t hash);

/**
 * Start loading what a lookup of @hash will read, so that a burst of
 * lookups overlaps its cache misses: first the buckets (prefetch), a little
 * later the entries their signatures point at (prefetch_entries, which reads
 * the buckets), then the lookups.
 */
void e2_flowtab_prefetch(const struct e2_flowtab *t, uint32_t hash);
void e2_flowtab_prefetch_entries(const struct e2_flowtab *t, uint32_t hash);

/**
 * The entry of @k, inserted (data zeroed, expires = @expires) if absent;
 * *created says which. When both of its buckets are full, the entry closest
 * to expiry among them makes room (passed to the evict callback as expired
 * when its time, judged by @now, has come). Never NULL.
 */
struct e2_flow_entry *e2_flowtab_insert(struct e2_flowtab *t, const struct e2_flow_key *k,
                                        uint64_t now, uint64_t expires, bool *created);

/** e2_flowtab_insert of a key whose e2_flow_hash() is @hash (computed once, used twice). */
struct e2_flow_entry *e2_flowtab_insert_hashed(struct e2_flowtab *t, const struct e2_flow_key *k,
                                               uint32_t hash, uint64_t now, uint64_t expires,
                                               bool *created);

/** Remove @e (from lookup or insert); the evict callback is not called. */
void e2_flowtab_remove(struct e2_flowtab *t, struct e2_flow_entry *e);

/**
 * Remove entries that expired by @now, looking at up to @buckets buckets
 * from where the last sweep stopped. Returns how many were removed.
 */
size_t e2_flowtab_expire(struct e2_flowtab *t, uint64_t now, size_t buckets);

/** Call @fn for every entry (in table order); @fn must not insert or remove. */
void e2_flowtab_foreach(struct e2_flowtab *t, void (*fn)(void *ctx, struct e2_flow_entry *e),
                        void *ctx);

struct e2_flowtab_stats {
    size_t entries, capacity, buckets;
    uint64_t inserts, expired, evicted; /**< evicted: live entries pushed out by inserts */
};

void e2_flowtab_stats(const struct e2_flowtab *t, struct e2_flowtab_stats *s);

#endif
