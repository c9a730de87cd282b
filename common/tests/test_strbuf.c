/* Text buffers: fixed ones cut and count like snprintf, growing ones keep everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "e2_strbuf.h"

static void fixed_buffer_cuts_and_counts_the_whole_text(void **state)
{
    (void)state;
    char buf[8];
    struct e2_strbuf b = E2_STRBUF_FIXED(buf, sizeof(buf));
    e2_strbuf_addf(&b, "%s", "abcd");
    e2_strbuf_addf(&b, "%d", 12345);
    e2_strbuf_addf(&b, "xy");
    assert_string_equal(buf, "abcd123");
    assert_int_equal(b.len, 11);
    assert_false(b.oom);
}

static void fixed_buffer_of_size_zero_only_counts(void **state)
{
    (void)state;
    struct e2_strbuf b = E2_STRBUF_FIXED(NULL, 0);
    e2_strbuf_addf(&b, "hello %s", "world");
    assert_int_equal(b.len, 11);
}

static void growing_buffer_keeps_every_append(void **state)
{
    (void)state;
    struct e2_strbuf b = {0};
    for (int i = 0; i < 10000; i++) e2_strbuf_addf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 20000);
    char *s = e2_strbuf_take(&b);
    assert_non_null(s);
    assert_int_equal(strlen(s), 20000);
    assert_memory_equal(s, "0,1,2,3,4,5,6,7,8,9,0,", 22);
    assert_null(b.s);
    free(s);
}

static void growing_buffer_with_nothing_added_is_an_empty_string(void **state)
{
    (void)state;
    struct e2_strbuf b = {0};
    char *s = e2_strbuf_take(&b);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_buffer_cuts_and_counts_the_whole_text),
        cmocka_unit_test(fixed_buffer_of_size_zero_only_counts),
        cmocka_unit_test(growing_buffer_keeps_every_append),
        cmocka_unit_test(growing_buffer_with_nothing_added_is_an_empty_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
