/* Rates and durations as people write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "e2_units.h"

static void rates_accept_common_spellings(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(e2_rate_parse("10 Gbit/s", &v), 0);
    assert_int_equal(v, 10000000000ull);
    assert_int_equal(e2_rate_parse("2.5Gbps", &v), 0);
    assert_int_equal(v, 2500000000ull);
    assert_int_equal(e2_rate_parse("500M", &v), 0);
    assert_int_equal(v, 500000000ull);
    assert_int_equal(e2_rate_parse("1e3", &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(e2_rate_parse("64 kbps", &v), 0);
    assert_int_equal(v, 64000);
    assert_int_equal(e2_rate_parse("2Gbit", &v), 0); /* tc's spelling */
    assert_int_equal(v, 2000000000ull);
    assert_int_equal(e2_rate_parse("300 kbit", &v), 0);
    assert_int_equal(v, 300000);
}

static void rates_reject_bytes_garbage_and_negatives(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(e2_rate_parse("3 GB/s", &v), -EINVAL);
    assert_int_equal(e2_rate_parse("fast", &v), -EINVAL);
    assert_int_equal(e2_rate_parse("", &v), -EINVAL);
    assert_int_equal(e2_rate_parse("-1G", &v), -ERANGE);
    assert_int_equal(e2_rate_parse("1e30", &v), -ERANGE);
}

static void durations_convert_to_microseconds(void **state)
{
    (void)state;
    uint64_t us;
    assert_int_equal(e2_duration_parse_us("3ms", &us), 0);
    assert_int_equal(us, 3000);
    assert_int_equal(e2_duration_parse_us("60", &us), 0);
    assert_int_equal(us, 60000000);
    assert_int_equal(e2_duration_parse_us("2m", &us), 0);
    assert_int_equal(us, 120000000);
    assert_int_equal(e2_duration_parse_us("1500ns", &us), 0);
    assert_int_equal(us, 2);
    assert_int_equal(e2_duration_parse_us("5 weeks", &us), -EINVAL);
}

static void rates_format_with_the_largest_unit(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(e2_rate_format(1500000000ull, buf, sizeof(buf)), "1.5 Gbit/s");
    assert_string_equal(e2_rate_format(999, buf, sizeof(buf)), "999 bit/s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rates_accept_common_spellings),
        cmocka_unit_test(rates_reject_bytes_garbage_and_negatives),
        cmocka_unit_test(durations_convert_to_microseconds),
        cmocka_unit_test(rates_format_with_the_largest_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
