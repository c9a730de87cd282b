/* The BDD package: canonical results, cofactors, supports, preferred
 * satisfying assignments, and limits that fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "e2_bdd.h"

static void equal_functions_are_the_same_node(void **state)
{
    (void)state;
    struct e2_bdd_mgr *m = e2_bdd_new(1 << 16);
    uint32_t v = e2_bdd_add_vars(m, 3);
    e2_bdd a = e2_bdd_var(m, v), b = e2_bdd_var(m, v + 1), c = e2_bdd_var(m, v + 2);
    /* distributivity and De Morgan give identical nodes */
    assert_int_equal(e2_bdd_and(m, a, e2_bdd_or(m, b, c)),
                     e2_bdd_or(m, e2_bdd_and(m, a, b), e2_bdd_and(m, a, c)));
    assert_int_equal(e2_bdd_not(m, e2_bdd_and(m, a, b)),
                     e2_bdd_or(m, e2_bdd_not(m, a), e2_bdd_not(m, b)));
    assert_int_equal(e2_bdd_and(m, a, e2_bdd_not(m, a)), E2_BDD_FALSE);
    assert_int_equal(e2_bdd_or(m, a, e2_bdd_not(m, a)), E2_BDD_TRUE);
    assert_int_equal(e2_bdd_diff(m, a, a), E2_BDD_FALSE);
    assert_false(e2_bdd_failed(m));
    e2_bdd_free(m);
}

static void evaluation_and_cofactors_agree(void **state)
{
    (void)state;
    struct e2_bdd_mgr *m = e2_bdd_new(1 << 16);
    e2_bdd_add_vars(m, 3);
    e2_bdd f =
        e2_bdd_ite(m, e2_bdd_var(m, 0), e2_bdd_var(m, 1), e2_bdd_var(m, 2)); /* x0 ? x1 : x2 */
    for (unsigned bits = 0; bits < 8; bits++) {
        uint8_t x[3] = {bits & 1, (bits >> 1) & 1, (bits >> 2) & 1};
        assert_int_equal(e2_bdd_eval(m, f, x), x[0] ? x[1] : x[2]);
    }
    assert_int_equal(e2_bdd_restrict(m, f, 0, true), e2_bdd_var(m, 1));
    assert_int_equal(e2_bdd_restrict(m, f, 0, false), e2_bdd_var(m, 2));
    uint32_t vars[4];
    assert_int_equal(e2_bdd_support(m, f, vars, 4), 3);
    assert_int_equal(vars[2], 2);
    assert_int_equal(e2_bdd_node_var(m, f), 0);
    e2_bdd_free(m);
}

static void satisfying_assignment_stays_close_to_the_preferred_one(void **state)
{
    (void)state;
    struct e2_bdd_mgr *m = e2_bdd_new(1 << 16);
    e2_bdd_add_vars(m, 4);
    e2_bdd f = e2_bdd_and(m, e2_bdd_var(m, 1), e2_bdd_not(m, e2_bdd_var(m, 3)));
    uint8_t x[4] = {1, 0, 1, 1};
    assert_int_equal(e2_bdd_sat_prefer(m, f, x), 0);
    assert_memory_equal(x, ((uint8_t[]){1, 1, 1, 0}), 4); /* only x1 and x3 changed */
    assert_int_equal(e2_bdd_sat_prefer(m, E2_BDD_FALSE, x), -ENOENT);
    e2_bdd_free(m);
}

/* A function whose BDD needs many nodes: x0 == x16 and x1 == x17 and ... (bad order). */
static e2_bdd wide(struct e2_bdd_mgr *m)
{
    e2_bdd_add_vars(m, 32);
    e2_bdd f = E2_BDD_TRUE;
    for (uint32_t i = 0; i < 16; i++)
        f = e2_bdd_and(
            m, f,
            e2_bdd_not(m, e2_bdd_ite(m, e2_bdd_var(m, i), e2_bdd_not(m, e2_bdd_var(m, i + 16)),
                                     e2_bdd_var(m, i + 16))));
    return f;
}

static void node_limit_fails_cleanly(void **state)
{
    (void)state;
    struct e2_bdd_mgr *m = e2_bdd_new(2000);
    assert_int_equal(wide(m), E2_BDD_FALSE);
    assert_true(e2_bdd_failed(m));
    assert_true(e2_bdd_nodes(m) <= 2000);
    e2_bdd_free(m);
    m = e2_bdd_new(1 << 20);
    assert_int_not_equal(wide(m), E2_BDD_FALSE);
    assert_true(e2_bdd_nodes(m) > 100000);
    e2_bdd_free(m);
}

static void step_budget_fails_cleanly(void **state)
{
    (void)state;
    struct e2_bdd_mgr *m = e2_bdd_new(1 << 20);
    e2_bdd_set_step_limit(m, 1000);
    wide(m);
    assert_true(e2_bdd_failed(m));
    assert_false(e2_bdd_charge(m, 1));
    e2_bdd_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equal_functions_are_the_same_node),
        cmocka_unit_test(evaluation_and_cofactors_agree),
        cmocka_unit_test(satisfying_assignment_stays_close_to_the_preferred_one),
        cmocka_unit_test(node_limit_fails_cleanly),
        cmocka_unit_test(step_budget_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
