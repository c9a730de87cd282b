/* Flow-ID ranges: the prefix cover is exact and minimal; even splits are even and tile the space;
 * sliced splits nest in common slices. */
#include "helpers.h"

#include "e2_flowrange.h"

/* Fewest aligned blocks covering [lo, hi), by shortest path over positions (the oracle). */
static unsigned min_blocks(uint64_t lo, uint64_t hi, unsigned bits)
{
    unsigned best[65];
    for (uint64_t x = hi + 1; x-- > lo;) {
        if (x == hi) {
            best[x] = 0;
            continue;
        }
        best[x] = 1000;
        for (uint64_t size = 1; size <= (1ull << bits); size *= 2)
            if (x % size == 0 && x + size <= hi && best[x + size] + 1 < best[x])
                best[x] = best[x + size] + 1;
    }
    return best[lo];
}

static void prefix_cover_is_exact_and_minimal_for_every_range(void **state)
{
    (void)state;
    const unsigned bits = 6;
    for (uint64_t lo = 0; lo < 64; lo++)
        for (uint64_t hi = lo + 1; hi <= 64; hi++) {
            struct e2_prefix p[2 * bits];
            size_t n = e2_range_prefix_cover(lo, hi, bits, p);
            unsigned char hit[64] = {0};
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(p[i].value & ~p[i].mask, 0);
                assert_int_equal(__builtin_popcountll(p[i].mask), p[i].len);
                for (uint64_t x = 0; x < 64; x++)
                    if ((x & p[i].mask) == p[i].value) hit[x]++;
            }
            for (uint64_t x = 0; x < 64; x++) assert_int_equal(hit[x], x >= lo && x < hi);
            assert_int_equal(n, min_blocks(lo, hi, bits));
            assert_true(n <= 2 * bits);
            assert_int_equal(e2_range_prefix_cover(lo, hi, bits, NULL), n);
        }
}

static void whole_space_is_one_rule_and_worst_case_is_two_per_bit(void **state)
{
    (void)state;
    assert_int_equal(e2_range_prefix_cover(0, 1u << 16, 16, NULL), 1);
    assert_int_equal(e2_range_prefix_cover(0, 1u << 15, 16, NULL), 1);
    assert_int_equal(e2_range_prefix_cover(1, (1u << 16) - 1, 16, NULL), 30);
    assert_int_equal(e2_range_prefix_cover(5, 5, 16, NULL), 0);
}

static void even_split_tiles_the_space_within_a_64th_of_fair(void **state)
{
    (void)state;
    const unsigned bits_v[] = {8, 16, 20};
    for (size_t b = 0; b < 3; b++)
        for (unsigned k = 1; k <= 300 && k <= (1u << bits_v[b]); k++) {
            struct e2_range r[300];
            e2_range_split_even(bits_v[b], k, r);
            uint64_t space = e2_flow_space(bits_v[b]), at = 0;
            double fair = (double)space / k;
            for (unsigned i = 0; i < k; i++) {
                assert_int_equal(r[i].lo, at);
                assert_true(r[i].hi > r[i].lo);
                double size = (double)(r[i].hi - r[i].lo);
                assert_true(size >= fair - fair / 64 - 1 && size <= fair + fair / 64 + 1);
                if (!(k & (k - 1))) assert_true(size == fair);
                at = r[i].hi;
            }
            assert_int_equal(at, space);
        }
}

static void even_split_of_three_needs_few_rules(void **state)
{
    (void)state;
    struct e2_range r[3];
    e2_range_split_even(16, 3, r);
    for (int i = 0; i < 3; i++) assert_true(e2_range_prefix_cover(r[i].lo, r[i].hi, 16, NULL) <= 8);
}

static void sliced_split_nests_every_range_in_a_common_slice(void **state)
{
    (void)state;
    const unsigned bits_v[] = {8, 16, 20};
    for (size_t b = 0; b < 3; b++)
        for (unsigned slices = 1; slices <= 30; slices++)
            for (unsigned per = 1; per <= 5 && 2 * slices * per <= (1u << bits_v[b]); per++) {
                unsigned k = slices * per;
                struct e2_range r[150], cut[30];
                e2_range_split_sliced(bits_v[b], k, slices, r);
                e2_range_split_even(bits_v[b], slices, cut);
                uint64_t space = e2_flow_space(bits_v[b]), at = 0;
                double fair = (double)space / k;
                for (unsigned i = 0; i < k; i++) {
                    assert_int_equal(r[i].lo, at);
                    double size = (double)(r[i].hi - r[i].lo);
                    assert_true(size >= fair - fair / 32 - 2 && size <= fair + fair / 32 + 2);
                    const struct e2_range *s = &cut[i / per];
                    assert_true(r[i].lo >= s->lo && r[i].hi <= s->hi);
                    at = r[i].hi;
                }
                assert_int_equal(at, space);
            }
}

static void overlap_counts_shared_ids(void **state)
{
    (void)state;
    assert_int_equal(e2_range_overlap((struct e2_range){0, 10}, (struct e2_range){5, 20}), 5);
    assert_int_equal(e2_range_overlap((struct e2_range){0, 10}, (struct e2_range){10, 20}), 0);
    assert_int_equal(e2_range_overlap((struct e2_range){3, 4}, (struct e2_range){0, 20}), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_cover_is_exact_and_minimal_for_every_range),
        cmocka_unit_test(whole_space_is_one_rule_and_worst_case_is_two_per_bit),
        cmocka_unit_test(even_split_tiles_the_space_within_a_64th_of_fair),
        cmocka_unit_test(even_split_of_three_needs_few_rules),
        cmocka_unit_test(sliced_split_nests_every_range_in_a_common_slice),
        cmocka_unit_test(overlap_counts_shared_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
