/* Errors as values: codes are always negative, context reads outermost-first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "e2_err.h"

static void set_returns_negative_code_for_either_sign(void **state)
{
    (void)state;
    struct e2_err err;
    assert_int_equal(e2_err_set(&err, EINVAL, "bad %d", 1), -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_string_equal(err.msg, "bad 1");
    assert_int_equal(e2_err_set(&err, -ENOENT, "x"), -ENOENT);
    assert_int_equal(e2_err_set(NULL, ENOMEM, "ignored"), -ENOMEM);
}

static void prefix_puts_context_first(void **state)
{
    (void)state;
    struct e2_err err;
    e2_err_set(&err, EINVAL, "hi < lo");
    e2_err_prefix(&err, "ranges[%d]: ", 1);
    e2_err_prefix(&err, "module '%s': ", "fh");
    assert_string_equal(err.msg, "module 'fh': ranges[1]: hi < lo");
    assert_int_equal(err.code, -EINVAL);
}

static void long_messages_are_truncated_not_overflowed(void **state)
{
    (void)state;
    struct e2_err err;
    char big[2 * E2_ERR_MSG_MAX];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    e2_err_set(&err, EINVAL, "%s", big);
    assert_int_equal(strlen(err.msg), E2_ERR_MSG_MAX - 1);
    e2_err_prefix(&err, "ctx: ");
    assert_int_equal(strlen(err.msg), E2_ERR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "ctx: ", 5);
}

static void clear_resets(void **state)
{
    (void)state;
    struct e2_err err;
    e2_err_set(&err, EIO, "x");
    e2_err_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_returns_negative_code_for_either_sign),
        cmocka_unit_test(prefix_puts_context_first),
        cmocka_unit_test(long_messages_are_truncated_not_overflowed),
        cmocka_unit_test(clear_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
