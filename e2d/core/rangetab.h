/*
 * Range tables: sorted, disjoint ranges [lo, last] of 32-bit keys, each sending to a gate, and
 * a miss gate for keys in none; looked up by binary search. NSHDecap steers SPIs with one (a
 * range of one key per SPI). A published table is never changed: a command builds a new one
 * (these helpers, from the module's JSON lists and checks) and swaps it in RCU-style (rcu.h), so
 * workers read without locks.
 */
#ifndef E2_RANGETAB_H
#define E2_RANGETAB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"

struct e2_range_gate {
    uint32_t lo, last; /* [lo, last], both included */
    uint16_t gate;
};

struct e2_rangetab {
    uint32_t n;
    uint16_t miss_gate;
    struct e2_range_gate r[]; /* sorted by lo, disjoint (after e2_rangetab_sort) */
};

/** What a module's tables hold: how its JSON lists read and what makes a table valid. */
struct e2_rangetab_kind {
    const char *list;  /**< the argument naming the list: "ranges" */
    const char *entry; /**< an entry's shape, for messages: "{lo, hi, gate}" */
    int (*parse)(const json_t *j, struct e2_range_gate *r, struct e2_err *err);
    /** Sort and check a fresh table (e2_rangetab_sort and the module's own limits). */
    int (*check)(const void *ctx, struct e2_rangetab *t, struct e2_err *err);
};

/** A checked table from the JSON list @list (errors name the entry: "ranges[3]: ..."). */
int e2_rangetab_from_json(const struct e2_rangetab_kind *k, const void *ctx, const json_t *list,
                          int64_t miss_gate, struct e2_rangetab **out, struct e2_err *err);

/**
 * Check @t (NULL: out of memory) and publish it in *@slot RCU-style, freeing the old table once
 * no worker can be reading it; on error @t is freed and *@slot stays.
 */
int e2_rangetab_publish(const struct e2_rangetab_kind *k, const void *ctx,
                        struct e2_rangetab **slot, struct e2_rangetab *t, struct e2_err *err);

/** Replace *@slot by the table of the JSON list @list, RCU-style (*@slot stays on error). */
int e2_rangetab_replace(const struct e2_rangetab_kind *k, const void *ctx,
                        struct e2_rangetab **slot, const json_t *list, int64_t miss_gate,
                        struct e2_err *err);

/** A table of @n ranges, to be filled (NULL when out of memory). */
struct e2_rangetab *e2_rangetab_new(uint32_t n, uint16_t miss_gate);

/** Sort; 0, or the index (> 0) of the first range that overlaps the one before it. */
uint32_t e2_rangetab_sort(struct e2_rangetab *t);

/** Index of the range exactly [lo, last], or t->n. */
uint32_t e2_rangetab_find(const struct e2_rangetab *t, uint32_t lo, uint32_t last);

/** A copy of @t with @r added (unsorted: sort it), or NULL when out of memory. */
struct e2_rangetab *e2_rangetab_with(const struct e2_rangetab *t, struct e2_range_gate r);

/** A copy of @t without its range @k, or NULL when out of memory. */
struct e2_rangetab *e2_rangetab_without(const struct e2_rangetab *t, uint32_t k);

/** The range holding @key, or NULL. */
static inline const struct e2_range_gate *e2_rangetab_range(const struct e2_rangetab *t,
                                                            uint32_t key)
{
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->r[mid].lo <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && key <= t->r[lo - 1].last ? &t->r[lo - 1] : NULL;
}

/** The gate of @key: its range's, or the miss gate. */
static inline uint16_t e2_rangetab_lookup(const struct e2_rangetab *t, uint32_t key)
{
    const struct e2_range_gate *r = e2_rangetab_range(t, key);
    return r ? r->gate : t->miss_gate;
}

#endif
