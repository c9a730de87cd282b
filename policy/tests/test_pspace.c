/*
 * The checker's BDDs mean what the evaluator means: for every expression of
 * the differential list and every trace packet the evaluator decides without
 * running off the captured bytes, the BDD holds exactly when the evaluator
 * matches. Example packets drawn from a filter's set (and its complement)
 * really match (and really do not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"
#include "e2_pspace_int.h"
#include "traces.h"

static struct e2_filter *parse(const char *text)
{
    struct e2_filter *f = NULL;
    struct e2_err err = {0};
    struct e2_filter_src src = {"expr", 1, 1};
    if (e2_filter_parse(text, strlen(text), &src, NULL, &f, &err)) fail_msg("%s", err.msg);
    return f;
}

/* The BDD's verdict on a packet: walk one path, reading each variable's bit
 * from the packet's bytes (0 past the capture) or its wire length. */
static bool bdd_on_packet(const struct e2_pspace *ps, e2_bdd f, const uint8_t *p, uint32_t caplen,
                          uint32_t wirelen)
{
    while (f > E2_BDD_TRUE) {
        const struct e2_pspace_var *k = &ps->var_kind[e2_bdd_node_var(ps->m, f)];
        uint8_t byte = k->kind == PV_BYTE && k->what < caplen ? p[k->what] : 0;
        bool bit = k->kind == PV_BYTE  ? (byte >> (7 - k->bit)) & 1
                   : k->kind == PV_LEN ? (wirelen >> (31 - k->bit)) & 1
                                       : 0;
        f = bit ? e2_bdd_high(ps->m, f) : e2_bdd_low(ps->m, f);
    }
    return f == E2_BDD_TRUE;
}

static void bdd_agrees_with_the_evaluator_on_every_decided_packet(void **state)
{
    (void)state;
    struct e2_attr_table none = {0};
    size_t compared = 0, undecidable = 0;
    for (size_t i = 0; i < exprs.n; i++) {
        struct e2_filter *f = parse(exprs.v[i]);
        struct e2_pspace *ps = e2_pspace_new(&none, 1u << 22);
        e2_bdd_set_step_limit(e2_pspace_mgr(ps), 4000000); /* keep the test quick */
        struct e2_err err = {0};
        e2_bdd set;
        int rc = e2_pspace_filter(ps, f, &set, &err);
        if (rc == -ENOTSUP || rc == -E2BIG) {
            assert_non_null(strstr(err.msg, "exactly"));
            if (i < exprs.listed) printf("  undecidable: %s: %s\n", exprs.v[i], err.msg);
            undecidable++;
        } else if (rc) {
            fail_msg("\"%s\": %s", exprs.v[i], err.msg);
        }
        for (size_t k = 0; !rc && k < traces.n; k++) {
            const struct trace_packet *pk = &traces.p[k];
            int want = e2_filter_run(f, pk->data, pk->h.caplen, pk->h.len, NULL);
            if (want < 0) continue; /* ran off the capture: not a policy question */
            bool got = bdd_on_packet(ps, set, pk->data, pk->h.caplen, pk->h.len);
            if (got != (want == 1))
                fail_msg("\"%s\" packet %zu: evaluator %d, BDD %d", exprs.v[i], k + 1, want, got);
            compared++;
        }
        e2_pspace_free(ps);
        e2_filter_free(f);
    }
    printf("pspace: %zu verdicts compared, %zu of %zu expressions refused as undecidable\n",
           compared, undecidable, exprs.n);
    assert_true(compared > 100000);
    assert_true(undecidable * 20 < exprs.n);
}

/* An example from @set must evaluate to @want. */
static void check_example(struct e2_pspace *ps, const struct e2_filter *f, e2_bdd set, bool want,
                          const char *text)
{
    struct e2_example ex;
    if (ps->n_bytes > sizeof(ex.frame)) return;       /* reads beyond any example frame */
    if (e2_pspace_example(ps, set, set, &ex)) return; /* empty: nothing to draw */
    bool got = e2_filter_eval(f, ex.frame, sizeof(ex.frame), ex.wirelen, NULL);
    if (got != want) {
        char d[512];
        e2_pspace_describe(ps, &ex, NULL, NULL, d, sizeof(d));
        fail_msg("example of %s\"%s\" (%s) evaluates to %d", want ? "" : "not ", text, d, got);
    }
}

static void examples_belong_to_their_set(void **state)
{
    (void)state;
    struct e2_attr_table none = {0};
    for (size_t i = 0; i < exprs.listed; i++) {
        struct e2_filter *f = parse(exprs.v[i]);
        struct e2_pspace *ps = e2_pspace_new(&none, 1u << 22);
        struct e2_err err = {0};
        e2_bdd set;
        if (!e2_pspace_filter(ps, f, &set, &err)) {
            check_example(ps, f, set, true, exprs.v[i]);
            check_example(ps, f, e2_bdd_not(ps->m, set), false, exprs.v[i]);
        }
        e2_pspace_free(ps);
        e2_filter_free(f);
    }
}

static void example_prefers_ordinary_tcp_and_reads_well(void **state)
{
    (void)state;
    struct e2_attr_table none = {0};
    struct e2_filter *f = parse("dst port 80 and not src net 10.0.0.0/8");
    struct e2_pspace *ps = e2_pspace_new(&none, 1u << 20);
    e2_bdd set;
    struct e2_err err;
    assert_int_equal(e2_pspace_filter(ps, f, &set, &err), 0);
    struct e2_example ex;
    assert_int_equal(e2_pspace_example(ps, set, set, &ex), 0);
    char d[256];
    e2_pspace_describe(ps, &ex, NULL, NULL, d, sizeof(d));
    assert_string_equal(d, "IPv4 11.0.0.1:1024 > 10.0.0.2:80 tcp [S]");
    e2_pspace_free(ps);
    e2_filter_free(f);
}

static void undecidable_expressions_say_why(void **state)
{
    (void)state;
    struct e2_attr_table none = {0};
    static const char *const cases[] = {"ether[ip[2:2] + ip[4:2]] = 1", "len / ip[2:2] = 1",
                                        "ether[20000] = 1"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_filter *f = parse(cases[i]);
        struct e2_pspace *ps = e2_pspace_new(&none, 1u << 20);
        e2_bdd set;
        struct e2_err err = {0};
        assert_int_equal(e2_pspace_filter(ps, f, &set, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "cannot be decided exactly"));
        e2_pspace_free(ps);
        e2_filter_free(f);
    }
}

static void node_limit_is_an_error_not_a_crash(void **state)
{
    (void)state;
    struct e2_attr_table none = {0};
    struct e2_filter *f = parse("ip[2:2] % 7 = 3 and ip[4:2] % 5 = 1");
    struct e2_pspace *ps = e2_pspace_new(&none, 2000);
    e2_bdd set;
    struct e2_err err = {0};
    assert_int_equal(e2_pspace_filter(ps, f, &set, &err), -E2BIG);
    assert_non_null(strstr(err.msg, "too complex to decide exactly"));
    e2_pspace_free(ps);
    e2_filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bdd_agrees_with_the_evaluator_on_every_decided_packet),
        cmocka_unit_test(examples_belong_to_their_set),
        cmocka_unit_test(example_prefers_ordinary_tcp_and_reads_well),
        cmocka_unit_test(undecidable_expressions_say_why),
        cmocka_unit_test(node_limit_is_an_error_not_a_crash),
    };
    return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
