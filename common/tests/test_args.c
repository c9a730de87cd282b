/* Declarative arguments: defaults, types, ranges and unknown keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "e2_args.h"

struct demo {
    uint32_t size;
    uint16_t port;
    uint8_t ttl;
    uint64_t rate;
    int64_t offset;
    double weight;
    bool multi;
    char label[8];
    int mode;
    uint8_t mac[6];
    uint32_t ip;
    json_t *extra;
};

static const char *const modes[] = {"seq", "random", NULL};

static const struct e2_arg spec[] = {
    E2_ARG_U32(struct demo, size, "1024", 64, 65536, "ring size"),
    E2_ARG_U16(struct demo, port, NULL, 0, 0, "required port"),
    E2_ARG_U8(struct demo, ttl, "64", 0, 0, "ttl"),
    E2_ARG_U64(struct demo, rate, "0", 0, 0, "rate"),
    E2_ARG_I64(struct demo, offset, "-5", -100, 100, "offset"),
    E2_ARG_DOUBLE(struct demo, weight, "0.5", 0, 1, "weight"),
    E2_ARG_BOOL(struct demo, multi, "false", "multi"),
    E2_ARG_STR(struct demo, label, "\"x\"", "label"),
    E2_ARG_ENUM(struct demo, mode, "\"seq\"", modes, "mode"),
    E2_ARG_MAC(struct demo, mac, "\"02:00:00:00:00:01\"", "mac"),
    E2_ARG_IPV4(struct demo, ip, "\"10.0.0.1\"", "ip"),
    E2_ARG_JSON(struct demo, extra, "null", "anything"),
    E2_ARG_END,
};

static int parse(const char *text, struct demo *d, struct e2_err *err)
{
    json_error_t jerr;
    json_t *in = json_loads(text, 0, &jerr);
    assert_non_null(in);
    memset(d, 0xA5, sizeof(*d));
    int rc = e2_args_parse(spec, in, d, err);
    json_decref(in);
    return rc;
}

static void defaults_fill_every_field_not_given(void **state)
{
    (void)state;
    struct demo d;
    struct e2_err err = {0};
    assert_int_equal(parse("{\"port\": 80}", &d, &err), 0);
    assert_int_equal(d.size, 1024);
    assert_int_equal(d.port, 80);
    assert_int_equal(d.ttl, 64);
    assert_int_equal(d.rate, 0);
    assert_int_equal(d.offset, -5);
    assert_true(d.weight == 0.5);
    assert_false(d.multi);
    assert_string_equal(d.label, "x");
    assert_int_equal(d.mode, 0);
    assert_int_equal(d.mac[5], 1);
    assert_int_equal(d.ip, inet_addr("10.0.0.1"));
    assert_null(d.extra);
}

static void given_values_of_every_type_are_stored(void **state)
{
    (void)state;
    struct demo d;
    struct e2_err err = {0};
    assert_int_equal(
        parse("{\"port\": 8080, \"size\": 2048, \"rate\": 1e9, \"multi\": true, \"label\": \"abc\","
              " \"mode\": \"random\", \"mac\": \"aa:bb:cc:dd:ee:ff\", \"ip\": \"192.168.1.2\","
              " \"extra\": [1, 2], \"weight\": 1, \"offset\": 100}",
              &d, &err),
        0);
    assert_int_equal(d.size, 2048);
    assert_int_equal(d.rate, 1000000000ull);
    assert_true(d.multi);
    assert_string_equal(d.label, "abc");
    assert_int_equal(d.mode, 1);
    assert_int_equal(d.mac[0], 0xaa);
    assert_int_equal(d.ip, inet_addr("192.168.1.2"));
    assert_int_equal(json_array_size(d.extra), 2);
    assert_true(d.weight == 1.0);
    assert_int_equal(d.offset, 100);
    e2_args_release(spec, &d);
    assert_null(d.extra);
}

static void errors_name_the_argument_and_value(void **state)
{
    (void)state;
    struct demo d;
    struct e2_err err = {0};
    struct {
        const char *in, *msg;
    } cases[] = {
        {"{}", "missing required argument 'port'"},
        {"{\"port\": 1, \"sise\": 3}", "unknown argument 'sise' (expected one of: size, port, ttl, "
                                       "rate, offset, weight, multi, label, mode, mac, ip, extra)"},
        {"{\"port\": \"80\"}", "'port' must be a number"},
        {"{\"port\": 70000}", "'port' = 70000 does not fit"},
        {"{\"port\": -1}", "'port' must not be negative"},
        {"{\"port\": 1.5}", "'port' must be a whole number, got 1.5"},
        {"{\"port\": 1, \"size\": 8}", "'size' = 8 is out of range 64..65536"},
        {"{\"port\": 1, \"multi\": 1}", "'multi' must be true or false"},
        {"{\"port\": 1, \"label\": \"too long!\"}", "'label' is longer than 7 characters"},
        {"{\"port\": 1, \"mode\": \"rr\"}", "'mode' = \"rr\" is not one of seq|random"},
        {"{\"port\": 1, \"mac\": \"aa:bb\"}", "'mac' = \"aa:bb\" is not a MAC address"},
        {"{\"port\": 1, \"ip\": \"10.0.0\"}", "'ip' = \"10.0.0\" is not an IPv4 address"},
        {"{\"port\": 1, \"weight\": 2}", "'weight' = 2 is out of range 0..1"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_not_equal(parse(cases[i].in, &d, &err), 0);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

static void failure_releases_json_references(void **state)
{
    (void)state;
    struct demo d;
    struct e2_err err = {0};
    /* the JSON argument is taken first, then a later one fails */
    static const struct e2_arg spec2[] = {
        E2_ARG_JSON(struct demo, extra, NULL, "first"),
        E2_ARG_U16(struct demo, port, NULL, 0, 0, "then a bad one"),
        E2_ARG_END,
    };
    json_t *in = json_pack("{s:[i], s:s}", "extra", 1, "port", "x");
    assert_int_equal(e2_args_parse(spec2, in, &d, &err), -EINVAL);
    assert_null(d.extra);
    assert_int_equal(in->refcount, 1);
    json_decref(in);
}

static void non_object_arguments_are_refused(void **state)
{
    (void)state;
    struct demo d;
    struct e2_err err = {0};
    json_t *in = json_integer(3);
    assert_int_equal(e2_args_parse(spec, in, &d, &err), -EINVAL);
    assert_string_equal(err.msg, "arguments must be an object of name=value pairs");
    json_decref(in);
    static const struct e2_arg none[] = {E2_ARG_END};
    in = json_pack("{s:i}", "x", 1);
    assert_int_equal(e2_args_parse(none, in, &d, &err), -EINVAL);
    assert_string_equal(err.msg, "unknown argument 'x' (takes no arguments)");
    json_decref(in);
    assert_int_equal(e2_args_parse(none, NULL, &d, &err), 0);
}

static void describe_lists_every_argument(void **state)
{
    (void)state;
    json_t *d = e2_args_describe(spec);
    assert_int_equal(json_array_size(d), 12);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 8), "type")),
                        "one of seq|random");
    assert_null(json_object_get(json_array_get(d, 1), "default"));
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_fill_every_field_not_given),
        cmocka_unit_test(given_values_of_every_type_are_stored),
        cmocka_unit_test(errors_name_the_argument_and_value),
        cmocka_unit_test(failure_releases_json_references),
        cmocka_unit_test(non_object_arguments_are_refused),
        cmocka_unit_test(describe_lists_every_argument),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
