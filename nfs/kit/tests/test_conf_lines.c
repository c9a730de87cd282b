/* Rule-file reading: words, quotes, comments, and errors that name FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_conf.h"

struct got {
    char text[1024], raw[64];
    unsigned lines;
};

static int collect(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct got *g = ctx;
    if (!strcmp(l->argv[0], "bad")) return e2_err_set(err, EINVAL, "'%s' is refused", l->argv[1]);
    size_t n = strlen(g->text);
    snprintf(g->text + n, sizeof(g->text) - n, "%u:", l->line);
    for (int i = 0; i < l->argc; i++) {
        n = strlen(g->text);
        snprintf(g->text + n, sizeof(g->text) - n, "[%s]", l->argv[i]);
    }
    n = strlen(g->text);
    snprintf(g->text + n, sizeof(g->text) - n, "\n");
    g->lines++;
    snprintf(g->raw, sizeof(g->raw), "%s", l->text);
    return 0;
}

static void words_quotes_and_comments(void **state)
{
    (void)state;
    struct got g = {0};
    const char *text = "# a comment\n\n  allow tcp 10.0.0.0/8  # trailing\n"
                       "name \"two words\" x\"y z\"w\r\n\tlast";
    assert_int_equal(e2_conf_read_text(text, "r.rules", collect, &g, NULL), 0);
    assert_string_equal(g.text,
                        "3:[allow][tcp][10.0.0.0/8]\n4:[name][two words][xy zw]\n5:[last]\n");
    assert_string_equal(g.raw, "\tlast"); /* the last line as written */
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    struct got g = {0};
    struct e2_err err = {0};
    assert_int_equal(e2_conf_read_text("ok 1\n\nbad thing\nok 2\n", "fw.rules", collect, &g, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "fw.rules:3: 'thing' is refused");
    assert_int_equal(g.lines, 1); /* reading stopped at the error */
    assert_int_equal(e2_conf_read_text("x \"open\n", "q.rules", collect, &g, &err), -EINVAL);
    assert_string_equal(err.msg, "q.rules:1: a quote is not closed");
    assert_int_equal(e2_conf_read_file("/nonexistent/e2.rules", collect, &g, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "cannot read /nonexistent/e2.rules"));
}

static void values_parse_or_say_what_is_wrong(void **state)
{
    (void)state;
    struct e2_err err = {0};
    uint32_t ip;
    uint8_t len, proto;
    uint16_t lo, hi;
    assert_int_equal(e2_conf_prefix("192.168.0.0/16", &ip, &len, &err), 0);
    assert_int_equal(ip, 0xc0a80000);
    assert_int_equal(len, 16);
    assert_int_equal(e2_conf_prefix("10.1.2.3", &ip, &len, &err), 0);
    assert_int_equal(len, 32);
    assert_int_equal(e2_conf_prefix("any", &ip, &len, &err), 0);
    assert_int_equal(len, 0);
    char text[16];
    assert_string_equal(e2_conf_ipv4_text(0xc0a80a01, text), "192.168.10.1");
    assert_int_equal(e2_conf_prefix("10.1.2.3/8", &ip, &len, &err), -EINVAL);
    assert_string_equal(err.msg, "'10.1.2.3/8' has host bits set (did you mean 10.0.0.0/8?)");
    assert_int_equal(e2_conf_prefix("10.1.2/8", &ip, &len, &err), -EINVAL);
    assert_int_equal(e2_conf_prefix("10.0.0.0/33", &ip, &len, &err), -EINVAL);
    assert_int_equal(e2_conf_port_range("1000:2000", &lo, &hi, &err), 0);
    assert_int_equal(hi, 2000);
    assert_int_equal(e2_conf_port_range("80", &lo, &hi, &err), 0);
    assert_true(lo == 80 && hi == 80);
    assert_int_equal(e2_conf_port_range(":1023", &lo, &hi, &err), 0);
    assert_true(lo == 0 && hi == 1023);
    assert_int_equal(e2_conf_port_range("1024:", &lo, &hi, &err), 0);
    assert_true(lo == 1024 && hi == 65535);
    assert_int_equal(e2_conf_port_range(":", &lo, &hi, &err), -EINVAL);
    assert_int_equal(e2_conf_port_range("-", &lo, &hi, &err), -EINVAL);
    assert_int_equal(e2_conf_port_range("90-80", &lo, &hi, &err), -EINVAL);
    assert_string_equal(err.msg, "port range '90-80' ends before it starts");
    assert_int_equal(e2_conf_port_range("70000", &lo, &hi, &err), -EINVAL);
    assert_int_equal(e2_conf_proto("UDP", &proto, &err), 0);
    assert_int_equal(proto, 17);
    assert_int_equal(e2_conf_proto("132", &proto, &err), 0);
    assert_int_equal(e2_conf_proto("tcpp", &proto, &err), -EINVAL);
    uint64_t v;
    assert_int_equal(e2_conf_uint("-1", "size", 0, 10, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "size '-1' is not a number from 0 to 10");
}

static void rates_sizes_and_durations(void **state)
{
    (void)state;
    struct e2_err err = {0};
    uint64_t v;
    assert_int_equal(e2_conf_rate("2Gbit", "rate", 1, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 2000000000ull);
    assert_int_equal(e2_conf_rate("500 Mbit/s", "rate", 1, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 500000000ull);
    assert_int_equal(e2_conf_rate("2GB", "rate", 1, UINT64_MAX, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "rate '2GB' is not a rate (e.g. 2Gbit, 500Mbit/s, 64kbps)");
    assert_int_equal(e2_conf_rate("0", "rate", 1, 100, &v, &err), -ERANGE);
    assert_string_equal(err.msg, "rate '0' is not from 1 to 100 bit/s");
    assert_int_equal(e2_conf_size("64k", "burst", 1, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(e2_conf_size("2MB", "burst", 1, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 2u << 20);
    assert_int_equal(e2_conf_size("1500", "burst", 1, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(e2_conf_size("1g", "burst", 1, 1u << 29, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "burst '1g' is not a size from 1 to 536870912 bytes");
    assert_int_equal(e2_conf_duration_us("30s", "idle", 0, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 30000000);
    assert_int_equal(e2_conf_duration_us("250ms", "idle", 0, UINT64_MAX, &v, &err), 0);
    assert_int_equal(v, 250000);
    assert_int_equal(e2_conf_duration_us("soon", "idle", 0, 10, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "idle 'soon' is not a duration (e.g. 30s, 500ms, 2m)");
    assert_int_equal(e2_conf_duration_us("1h", "idle", 0, 1000000, &v, &err), -ERANGE);
    assert_string_equal(err.msg, "idle '1h' is not from 0 to 1000000 us");
    assert_int_equal(e2_conf_size("k", "burst", 1, 100, &v, &err), -EINVAL);
    assert_int_equal(e2_conf_size("10x", "burst", 1, 100, &v, &err), -EINVAL);
    assert_int_equal(e2_conf_size("-1", "burst", 0, 100, &v, &err), -EINVAL);
    assert_int_equal(e2_conf_size("99999999999999999999k", "b", 0, UINT64_MAX, &v, &err), -EINVAL);
}

static void options_become_statements(void **state)
{
    (void)state;
    char *text = NULL;
    assert_int_equal(e2_conf_append(&text, "link", "rate 1G", NULL), 0);
    assert_int_equal(e2_conf_append(&text, "class", "prio0 \"a b\"", NULL), 0);
    assert_string_equal(text, "link rate 1G\nclass prio0 \"a b\"\n");
    struct got g = {0};
    assert_int_equal(e2_conf_read_all(text, NULL, collect, &g, NULL), 0);
    assert_string_equal(g.text, "1:[link][rate][1G]\n2:[class][prio0][a b]\n");
    struct e2_err err = {0};
    assert_int_equal(e2_conf_read_all("bad x\n", "/nonexistent", collect, &g, &err), -EINVAL);
    assert_string_equal(err.msg, "(options):1: 'x' is refused"); /* options first */
    assert_int_equal(e2_conf_read_all(NULL, "/nonexistent", collect, &g, &err), -ENOENT);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_quotes_and_comments),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(values_parse_or_say_what_is_wrong),
        cmocka_unit_test(rates_sizes_and_durations),
        cmocka_unit_test(options_become_statements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
