/*
 * The config language compiles to the control requests it stands for, and
 * every syntax error names FILE:LINE:COL and what was expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "conf.h"

static json_t *compile_ok(const char *text)
{
    json_t *ops = NULL;
    struct e2_err err = {0};
    int rc = e2_conf_compile(text, "t.conf", &ops, &err);
    if (rc) fail_msg("unexpected error: %s", err.msg);
    return ops;
}

static void assert_error(const char *text, const char *msg)
{
    json_t *ops = NULL;
    struct e2_err err = {0};
    assert_int_not_equal(e2_conf_compile(text, "t.conf", &ops, &err), 0);
    assert_null(ops);
    assert_string_equal(err.msg, msg);
}

/* Compare one compiled request with the JSON we expect (ignoring "at" unless given). */
static void assert_op(json_t *ops, size_t i, const char *want_text)
{
    json_error_t jerr;
    json_t *want = json_loads(want_text, 0, &jerr);
    assert_non_null(want);
    json_t *got = json_copy(json_array_get(ops, i));
    if (!json_object_get(want, "at")) json_object_del(got, "at");
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("request %zu is %s, expected %s", i, g, want_text);
    }
    json_decref(got);
    json_decref(want);
}

static void chain_declares_and_connects_with_gates(void **state)
{
    (void)state;
    json_t *ops = compile_ok("src :: Source(rate=1M) -> Bypass() -> [2]m :: Merge();\nfh[3] -> m;");
    assert_int_equal(json_array_size(ops), 6);
    assert_op(ops, 0,
              "{\"op\":\"module_create\",\"name\":\"src\",\"type\":\"Source\",\"args\":{\"rate\":"
              "1000000},"
              "\"at\":\"t.conf:1:1\"}");
    assert_op(
        ops, 1,
        "{\"op\":\"module_create\",\"name\":\"bypass_1_27\",\"type\":\"Bypass\",\"args\":{}}");
    assert_op(ops, 2,
              "{\"op\":\"connect\",\"from\":\"src\",\"ogate\":0,\"to\":\"bypass_1_27\",\"igate\":0,"
              "\"at\":\"t.conf:1:24\"}");
    assert_op(ops, 3, "{\"op\":\"module_create\",\"name\":\"m\",\"type\":\"Merge\",\"args\":{}}");
    assert_op(ops, 4,
              "{\"op\":\"connect\",\"from\":\"bypass_1_27\",\"ogate\":0,\"to\":\"m\",\"igate\":2}");
    assert_op(ops, 5,
              "{\"op\":\"connect\",\"from\":\"fh\",\"ogate\":3,\"to\":\"m\",\"igate\":0,"
              "\"at\":\"t.conf:2:7\"}");
    json_decref(ops);
}

static void values_cover_numbers_strings_lists_and_objects(void **state)
{
    (void)state;
    json_t *ops =
        compile_ok("x :: T(a=1.5k, b=-3, c=\"s\\\"q\", d=bare, e=true, f=null, g=[1, [2], {h=2G}], "
                   "i={j: \"k\"}, l=0.25, m=[],);");
    assert_op(
        ops, 0,
        "{\"op\":\"module_create\",\"name\":\"x\",\"type\":\"T\",\"args\":{\"a\":1500,\"b\":-3,"
        "\"c\":\"s\\\"q\",\"d\":\"bare\",\"e\":true,\"f\":null,\"g\":[1,[2],{\"h\":2000000000}],"
        "\"i\":{\"j\":\"k\"},\"l\":0.25,\"m\":[]}}");
    json_decref(ops);
}

static void ports_classes_attach_and_commands(void **state)
{
    (void)state;
    json_t *ops = compile_ok(
        "# comment\nport p0(vdev=\"net_null0\", rxq=2); // trailing\n/* block\n comment */"
        "tc fair(policy=weighted_fair);\nattach q.1(parent=fair, share=3);\n"
        "fh.add_range(lo=0, hi=128, gate=1);\n"
        "tag(name=\"FW.safe\", slot=1);\n");
    assert_int_equal(json_array_size(ops), 5);
    assert_op(ops, 0,
              "{\"op\":\"port_create\",\"name\":\"p0\",\"vdev\":\"net_null0\",\"rxq\":2,\"at\":\"t."
              "conf:2:1\"}");
    assert_op(ops, 1,
              "{\"op\":\"tc_create\",\"name\":\"fair\",\"policy\":\"weighted_fair\",\"at\":\"t."
              "conf:4:12\"}");
    assert_op(ops, 2,
              "{\"op\":\"attach\",\"module\":\"q\",\"task\":1,\"parent\":\"fair\",\"share\":3}");
    assert_op(ops, 3,
              "{\"op\":\"module_cmd\",\"module\":\"fh\",\"cmd\":\"add_range\",\"arg\":{\"lo\":0,"
              "\"hi\":128,"
              "\"gate\":1},\"at\":\"t.conf:6:1\"}");
    assert_op(ops, 4,
              "{\"op\":\"tag_define\",\"name\":\"FW.safe\",\"slot\":1,\"at\":\"t.conf:7:1\"}");
    json_decref(ops);
}

static void syntax_errors_point_at_the_text(void **state)
{
    (void)state;
    assert_error("a -> b",
                 "t.conf:1:7: expected ';' at the end of the statement, found the end of the file");
    assert_error("a :: T(x=1 y=2);",
                 "t.conf:1:12: expected ',' or ')' in the arguments, found 'y'");
    assert_error("a :: T(x=1, x=2);", "t.conf:1:13: argument 'x' is given twice");
    assert_error("\n  a :: (x=1);", "t.conf:2:8: expected a module type after '::', found '('");
    assert_error("a[x] -> b;", "t.conf:1:3: expected a gate number inside '[ ]'");
    assert_error("a :: T(s=\"open);", "t.conf:1:10: string is not closed on this line");
    assert_error("/* never closed", "t.conf:1:1: comment is never closed");
    assert_error("a :: T(n=12abc);", "t.conf:1:10: malformed number");
    assert_error("a @ b;", "t.conf:1:3: unexpected character '@'");
    assert_error("port (vdev=x);", "t.conf:1:6: expected a port name, found '('");
    assert_error("attach q.x(parent=p);", "t.conf:1:10: expected a task number after '.'");
    assert_error("a :: T(x=);", "t.conf:1:10: expected a value, found ')'");
    assert_error("a :: T(x=-y);", "t.conf:1:11: expected a number after '-'");
}

static void argument_lists_parse_alone(void **state)
{
    (void)state;
    json_t *o = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_conf_parse_args("size=4k, multi_producer=true", &o, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "size")), 4000);
    assert_true(json_is_true(json_object_get(o, "multi_producer")));
    json_decref(o);
    assert_int_equal(e2_conf_parse_args("", &o, &err), 0);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
    assert_int_not_equal(e2_conf_parse_args("size=", &o, &err), 0);
    assert_string_equal(err.msg, "arguments:1:6: expected a value, found the end of the file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_declares_and_connects_with_gates),
        cmocka_unit_test(values_cover_numbers_strings_lists_and_objects),
        cmocka_unit_test(ports_classes_attach_and_commands),
        cmocka_unit_test(syntax_errors_point_at_the_text),
        cmocka_unit_test(argument_lists_parse_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
