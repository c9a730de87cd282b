/*
 * The flow table: lookups, stable entries, expiry sweeps, eviction when
 * full, callbacks that remove partners, canonical keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "e2_flowtab.h"

struct value {
    uint64_t packets;
    struct e2_flow_entry *partner;
};

struct seen {
    struct e2_flowtab *t;
    unsigned expired, evicted;
    bool remove_partner;
};

static void on_evict(void *ctx, struct e2_flow_entry *e, bool expired)
{
    struct seen *s = ctx;
    if (expired)
        s->expired++;
    else
        s->evicted++;
    struct value *v = (struct value *)e->data;
    if (s->remove_partner && v->partner) {
        ((struct value *)v->partner->data)->partner = NULL;
        e2_flowtab_remove(s->t, v->partner);
    }
}

static struct e2_flow_key key(uint32_t i)
{
    return (struct e2_flow_key){.src_ip = 0x0a000000 + i,
                                .dst_ip = 0x08080808,
                                .src_port = (uint16_t)(i * 31),
                                .dst_port = 443,
                                .proto = 6};
}

static void inserted_entries_are_found_zeroed_and_stay_put(void **state)
{
    (void)state;
    struct e2_flowtab *t = e2_flowtab_create(10000, sizeof(struct value), NULL, NULL, NULL);
    assert_non_null(t);
    struct e2_flow_entry *first[5000];
    for (uint32_t i = 0; i < 5000; i++) {
        struct e2_flow_key k = key(i);
        bool created = false;
        first[i] = e2_flowtab_insert(t, &k, 0, 100, &created);
        assert_true(created);
        struct value *v = (struct value *)first[i]->data;
        assert_int_equal(v->packets, 0);
        v->packets = i;
    }
    for (uint32_t i = 0; i < 5000; i++) {
        struct e2_flow_key k = key(i);
        assert_ptr_equal(e2_flowtab_lookup(t, &k), first[i]);
        uint32_t h = e2_flow_hash(&k);
        e2_flowtab_prefetch(t, h);
        e2_flowtab_prefetch_entries(t, h);
        assert_ptr_equal(e2_flowtab_lookup_hashed(t, &k, h), first[i]);
        bool created = true;
        assert_ptr_equal(e2_flowtab_insert(t, &k, 0, 100, &created), first[i]);
        assert_false(created);
        created = true;
        assert_ptr_equal(e2_flowtab_insert_hashed(t, &k, h, 0, 100, &created), first[i]);
        assert_false(created);
        assert_int_equal(((struct value *)first[i]->data)->packets, i);
    }
    struct e2_flow_key absent = key(99999);
    assert_null(e2_flowtab_lookup(t, &absent));
    e2_flowtab_remove(t, first[7]);
    e2_flowtab_remove(t, first[7]); /* twice is harmless */
    struct e2_flow_key k7 = key(7);
    assert_null(e2_flowtab_lookup(t, &k7));
    struct e2_flowtab_stats st;
    e2_flowtab_stats(t, &st);
    assert_int_equal(st.entries, 4999);
    assert_int_equal(st.evicted, 0);
    assert_true(st.capacity >= 10000);
    e2_flowtab_free(t);
}

static void sweep_removes_exactly_the_expired(void **state)
{
    (void)state;
    struct seen s = {0};
    struct e2_flowtab *t = e2_flowtab_create(4096, sizeof(struct value), on_evict, &s, NULL);
    for (uint32_t i = 0; i < 2000; i++) {
        struct e2_flow_key k = key(i);
        bool c;
        e2_flowtab_insert(t, &k, 0, i % 2 ? 50 : 500, &c);
    }
    struct e2_flowtab_stats st;
    e2_flowtab_stats(t, &st);
    size_t removed = 0;
    for (size_t swept = 0; swept < st.buckets; swept += 64)
        removed += e2_flowtab_expire(t, 100, 64);
    assert_int_equal(removed, 1000);
    assert_int_equal(s.expired, 1000);
    for (uint32_t i = 0; i < 2000; i++) {
        struct e2_flow_key k = key(i);
        assert_true((e2_flowtab_lookup(t, &k) != NULL) == (i % 2 == 0));
    }
    assert_int_equal(e2_flowtab_expire(t, 100, st.buckets), 0);
    e2_flowtab_free(t);
}

static void a_full_table_evicts_the_entry_closest_to_expiry(void **state)
{
    (void)state;
    struct seen s = {0};
    struct e2_flowtab *t = e2_flowtab_create(256, sizeof(struct value), on_evict, &s, NULL);
    struct e2_flowtab_stats st;
    e2_flowtab_stats(t, &st);
    unsigned n = (unsigned)st.capacity * 3;
    for (uint32_t i = 0; i < n; i++) {
        struct e2_flow_key k = key(i);
        bool c;
        assert_non_null(e2_flowtab_insert(t, &k, 0, 1000 + i, &c));
        assert_true(c);
    }
    e2_flowtab_stats(t, &st);
    assert_true(st.entries <= st.capacity);
    assert_int_equal(st.evicted, n - st.entries);
    assert_int_equal(s.evicted, n - st.entries);
    /* Later expiries survive: the newest key is always there. */
    struct e2_flow_key last = key(n - 1);
    assert_non_null(e2_flowtab_lookup(t, &last));
    e2_flowtab_free(t);
}

static void callbacks_may_remove_partners(void **state)
{
    (void)state;
    struct seen s = {.remove_partner = true};
    struct e2_flowtab *t = e2_flowtab_create(1024, sizeof(struct value), on_evict, &s, NULL);
    s.t = t;
    for (uint32_t i = 0; i < 300; i++) {
        struct e2_flow_key a = key(i), b = e2_flow_key_reverse(&a);
        bool c;
        struct e2_flow_entry *ea = e2_flowtab_insert(t, &a, 0, 10, &c);
        struct e2_flow_entry *eb = e2_flowtab_insert(t, &b, 0, 10, &c);
        ((struct value *)ea->data)->partner = eb;
        ((struct value *)eb->data)->partner = ea;
    }
    struct e2_flowtab_stats st;
    e2_flowtab_stats(t, &st);
    assert_int_equal(st.entries, 600);
    e2_flowtab_expire(t, 20, st.buckets);
    e2_flowtab_stats(t, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(s.expired, 300); /* each pair reported once: the partner went with it */
    e2_flowtab_free(t);
}

static void canonical_keys_match_both_directions(void **state)
{
    (void)state;
    struct e2_flow_key a = key(3), b = e2_flow_key_reverse(&a);
    bool sa, sb;
    struct e2_flow_key ca = e2_flow_key_canonical(&a, &sa), cb = e2_flow_key_canonical(&b, &sb);
    assert_memory_equal(&ca, &cb, sizeof(ca));
    assert_true(sa != sb);
    assert_int_equal(e2_flow_hash(&ca), e2_flow_hash(&cb));
    assert_int_not_equal(e2_flow_hash(&a), e2_flow_hash(&b));
}

static void hash_spreads_sequential_keys(void **state)
{
    (void)state;
    unsigned counts[256] = {0};
    for (uint32_t i = 0; i < 256 * 400; i++) {
        struct e2_flow_key k = {
            .src_ip = 0x0a000000 + i, .dst_ip = 1, .src_port = 1, .dst_port = 80, .proto = 6};
        counts[e2_flow_hash(&k) & 255]++;
    }
    for (int i = 0; i < 256; i++) assert_true(counts[i] > 300 && counts[i] < 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inserted_entries_are_found_zeroed_and_stay_put),
        cmocka_unit_test(sweep_removes_exactly_the_expired),
        cmocka_unit_test(a_full_table_evicts_the_entry_closest_to_expiry),
        cmocka_unit_test(callbacks_may_remove_partners),
        cmocka_unit_test(canonical_keys_match_both_directions),
        cmocka_unit_test(hash_spreads_sequential_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
