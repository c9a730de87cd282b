/*
 * The policy language: the Appendix grammar parses into declarations,
 * pipelets and edges; syntax and reference errors name FILE:LINE:COL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "e2_pgraph.h"
#include "e2_policy.h"

static void figure_14_parses_as_written(void **state)
{
    (void)state;
    struct e2_policy *p = NULL;
    struct e2_err err = {0};
    if (e2_policy_load(E2_EXAMPLES "/fig14.e2", &p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(p->n_decls, 7);
    assert_int_equal(p->decls[3].kind, E2_DECL_PORT);
    assert_string_equal(p->decls[3].name, "int");
    assert_int_equal(p->decls[3].port_lo, 0);
    assert_int_equal(p->decls[3].port_hi, 7);
    assert_int_equal(p->decls[5].kind, E2_DECL_ADDRESS);
    assert_int_equal(p->decls[5].addr.prefix, 24);
    assert_int_equal(p->n_pipelets, 2);
    assert_string_equal(p->pipelets[0].name, "outbound");
    const struct e2_edge_src *e = &p->pipelets[0].edges[4];
    assert_string_equal(e->src, "f");
    assert_string_equal(e->dst, "ext");
    assert_string_equal(e->filter_out.text, "FW.safe && !(dst ip wan_net)");
    assert_int_equal(e->filter_out.pos.line, 21);
    assert_int_equal(e->filter_out.pos.col, 8);
    e2_policy_free(p);
}

static void edges_carry_rate_and_placeholder(void **state)
{
    (void)state;
    const char *text = "RateLimiter r; Port<3> x; pipelet { x [tos 0] -> ( 2 Gbps ) [ prio0 ] r; }";
    struct e2_policy *p = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_policy_parse(text, strlen(text), "t.e2", &p, &err), 0);
    const struct e2_edge_src *e = &p->pipelets[0].edges[0];
    assert_null(p->pipelets[0].name);
    assert_int_equal(p->decls[1].port_lo, 3);
    assert_int_equal(p->decls[1].port_hi, 3);
    assert_int_equal(e->bw_bps, 2000000000ull);
    assert_string_equal(e->filter_in.text, " prio0 ");
    e2_policy_free(p);
}

static void filters_keep_nested_brackets_and_comments_are_skipped(void **state)
{
    (void)state;
    const char *text =
        "/* header */ FW f; Port<0-1> a; // ports\npipelet { a [tcp[13] & 2 != 0] -> f; }";
    struct e2_policy *p = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_policy_parse(text, strlen(text), "t.e2", &p, &err), 0);
    assert_string_equal(p->pipelets[0].edges[0].filter_out.text, "tcp[13] & 2 != 0");
    e2_policy_free(p);
}

static void syntax_errors_have_line_and_column(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"NAT n\nFW f;", "t.e2:2:1: error: expected ';' after the declaration, found 'FW'"},
        {"Port<8-3> x;", "t.e2:1:8: error: port range 8-3 is empty"},
        {"Port<0-70000> x;", "t.e2:1:8: error: port number out of range (0-65535)"},
        {"Address a 10.0.0.1/8;",
         "t.e2:1:11: error: '10.0.0.1/8' is not an address or prefix (10.0.0.0/8, 2001:db8::/32)"},
        {"Drop d;",
         "t.e2:1:1: error: Drop is predefined: use it directly ('f [!FW.safe] -> Drop;')"},
        {"pipelet {\n  a [tcp -> b;\n}", "t.e2:2:5: error: '[' is never closed"},
        {"pipelet { a => b; }", "t.e2:1:13: error: expected '->', found '=>'"},
        {"pipelet { a -> (fast) b; }",
         "t.e2:1:17: error: 'fast' is not a rate (e.g. 10Gbps, 500 Mbit/s)"},
        {"pipelet { a -> b }", "t.e2:1:18: error: expected ';' after the edge, found '}'"},
        {"pipelet { a -> b;",
         "t.e2:1:18: error: expected '}' closing the pipelet, found the end of the file"},
        {"/* open", "t.e2:1:1: error: unterminated comment"},
        {"NAT 9n;", "t.e2:1:5: error: expected an instance name (NAT n;), found '9n;'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_policy *p = NULL;
        struct e2_err err = {0};
        assert_int_equal(e2_policy_parse(cases[i][0], strlen(cases[i][0]), "t.e2", &p, &err),
                         -EINVAL);
        if (strcmp(err.msg, cases[i][1])) fail_msg("\n got  %s\n want %s", err.msg, cases[i][1]);
    }
}

static void reference_errors_have_line_and_column(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"NAT n; Port<0> a;\npipelet { a -> m; }",
         "t.e2:2:16: error: unknown node 'm' (declare it first, e.g. 'NAT m;')"},
        {"Foo x;", "t.e2:1:1: error: unknown NF type 'Foo': no NF description declares it"},
        {"NAT n; NAT n;", "t.e2:1:12: error: 'n' is already declared at line 1"},
        {"Port<0-7> a; Port<5-9> b;",
         "t.e2:1:24: error: ports 5-9 of 'b' overlap those of 'a' (0-7)"},
        {"NAT n; Port<0> a;\npipelet { Drop -> n; }",
         "t.e2:2:11: error: Drop discards packets: it cannot be the source of an edge"},
        {"NAT n;\npipelet { n -> n; }", "t.e2:2:16: error: an edge from 'n' to itself"},
        {"NAT n; FW f;\npipelet { n -> f; f -> n; }",
         "t.e2:2:19: error: this edge closes a cycle in the pipelet (a pipelet is a DAG): 'n' "
         "reaches 'f' again"},
        {"RateLimiter r; Port<0> a;\npipelet { a -> [prio7] r; }",
         "t.e2:2:17: error: 'prio7' is not a placeholder of RateLimiter (it has: prio0, prio1)"},
        {"NAT n; Port<0> a;\npipelet { n -> [prio0] a; }",
         "t.e2:2:17: error: filter_in 'prio0' needs an NF destination, not 'a'"},
        {"NAT n; Port<0> a;\npipelet { a [dst port 80 or] -> n; }",
         "t.e2:2:28: error: expected a term at the end of the filter"},
        {"NAT n; Port<0> a;\npipelet {\n  a [\n    FW.safe] -> n;\n}",
         "t.e2:4:5: error: 'FW.safe': 'FW' is not an NF type of this policy"},
        {"NAT n; Address x 10.0.0.0/8;\npipelet { n -> x; }",
         "t.e2:2:16: error: 'x' is an Address, not a node"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_policy *p = NULL;
        struct e2_pgraph *g = NULL;
        struct e2_err err = {0};
        if (e2_policy_parse(cases[i][0], strlen(cases[i][0]), "t.e2", &p, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(e2_pgraph_build(p, &cat, &g, &err), -EINVAL);
        if (strcmp(err.msg, cases[i][1])) fail_msg("\n got  %s\n want %s", err.msg, cases[i][1]);
        e2_policy_free(p);
    }
}

static void addresses_parse_v4_and_v6_prefixes(void **state)
{
    (void)state;
    struct e2_addr a;
    assert_int_equal(e2_addr_parse("131.114.88.92/30", &a), 0);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.prefix, 30);
    assert_int_equal(e2_addr_parse("10.0.0.7", &a), 0);
    assert_int_equal(a.prefix, 32);
    assert_int_equal(e2_addr_parse("2001:db8::/32", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(e2_addr_parse("2001:db8::1/32", &a), -EINVAL);
    assert_int_equal(e2_addr_parse("10.0.0.0/33", &a), -EINVAL);
    assert_int_equal(e2_addr_parse("ten", &a), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figure_14_parses_as_written),
        cmocka_unit_test(edges_carry_rate_and_placeholder),
        cmocka_unit_test(filters_keep_nested_brackets_and_comments_are_skipped),
        cmocka_unit_test(syntax_errors_have_line_and_column),
        cmocka_unit_test(reference_errors_have_line_and_column),
        cmocka_unit_test(addresses_parse_v4_and_v6_prefixes),
    };
    return cmocka_run_group_tests(tests, catalog_setup, catalog_teardown);
}
