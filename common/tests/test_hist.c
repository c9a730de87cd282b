/* The latency histogram: exact small values, bounded error, clear by subtraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "e2_hist.h"

static void small_values_are_exact(void **state)
{
    (void)state;
    struct e2_hist *h = calloc(1, sizeof(*h));
    for (uint64_t v = 0; v < 32; v++) e2_hist_record(h, v);
    assert_int_equal(e2_hist_count(h), 32);
    assert_int_equal(e2_hist_min(h), 0);
    assert_int_equal(e2_hist_max(h), 31);
    assert_int_equal(e2_hist_percentile(h, 50), 15);
    assert_true(fabs(e2_hist_mean(h) - 15.5) < 1e-9);
    free(h);
}

static void percentiles_are_within_two_percent_over_a_wide_range(void **state)
{
    (void)state;
    struct e2_hist *h = calloc(1, sizeof(*h));
    /* 1..1,000,000 once each: the p-th percentile is p*10,000 */
    for (uint64_t v = 1; v <= 1000000; v++) e2_hist_record(h, v);
    double ps[] = {1, 10, 50, 90, 99, 99.9};
    for (unsigned i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        double want = ps[i] * 10000.0;
        double got = (double)e2_hist_percentile(h, ps[i]);
        assert_true(fabs(got / want - 1.0) < 0.02);
    }
    assert_true(fabs((double)e2_hist_max(h) / 1e6 - 1.0) < 0.02);
    e2_hist_record(h, UINT64_MAX);
    assert_true(e2_hist_max(h) > (1ull << 62));
    free(h);
}

static void subtracting_an_old_snapshot_clears(void **state)
{
    (void)state;
    struct e2_hist *h = calloc(1, sizeof(*h)), *old = calloc(1, sizeof(*h)),
                   *now = calloc(1, sizeof(*h));
    for (int i = 0; i < 100; i++) e2_hist_record(h, 1000);
    e2_hist_snapshot(h, old);
    for (int i = 0; i < 10; i++) e2_hist_record(h, 50);
    e2_hist_snapshot(h, now);
    e2_hist_sub(now, old);
    assert_int_equal(e2_hist_count(now), 10);
    assert_int_equal(e2_hist_max(now), 50);
    assert_true(fabs(e2_hist_mean(now) - 50.0) < 1e-9);
    free(h);
    free(old);
    free(now);
}

static void summary_scales_and_starts_from_the_base(void **state)
{
    (void)state;
    struct e2_hist *h = calloc(1, sizeof(*h)), *base = calloc(1, sizeof(*h));
    for (int i = 0; i < 10; i++) e2_hist_record(h, 5);
    e2_hist_snapshot(h, base);
    for (int i = 0; i < 4; i++) e2_hist_record(h, 20);
    json_t *j = e2_hist_summary(h, base, 2.0);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
    assert_true(json_real_value(json_object_get(j, "p50")) == 40.0);
    assert_true(json_real_value(json_object_get(j, "mean")) == 40.0);
    json_decref(j);
    j = e2_hist_summary(h, NULL, 1.0);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 14);
    assert_true(json_real_value(json_object_get(j, "min")) == 5.0);
    json_decref(j);
    free(h);
    free(base);
}

static void empty_histogram_reports_zero(void **state)
{
    (void)state;
    struct e2_hist *h = calloc(1, sizeof(*h));
    assert_int_equal(e2_hist_percentile(h, 99), 0);
    assert_int_equal(e2_hist_min(h), 0);
    assert_int_equal(e2_hist_max(h), 0);
    assert_true(e2_hist_mean(h) == 0.0);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_values_are_exact),
        cmocka_unit_test(percentiles_are_within_two_percent_over_a_wide_range),
        cmocka_unit_test(subtracting_an_old_snapshot_clears),
        cmocka_unit_test(summary_scales_and_starts_from_the_base),
        cmocka_unit_test(empty_histogram_reports_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
