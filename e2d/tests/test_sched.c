/*
 * The hierarchical scheduler on a simulated clock: shares, priorities, rate
 * limits and round robin behave as configured, and bad trees are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "tc.h"

#define HZ 1000000000ull /* 1 GHz simulated clock */

/* A simulated task: each run costs cycles in [cmin, cmax] and moves `pkts` packets. */
struct fake_task {
    uint64_t cmin, cmax, pkts, bytes_per_pkt;
    uint64_t runs;
};

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static struct e2_tc *leaf(const char *name, struct fake_task *t)
{
    struct e2_tc_params p = {.task = t};
    struct e2_tc *tc = e2_tc_create(name, E2_TC_LEAF, &p, NULL);
    assert_non_null(tc);
    return tc;
}

static struct e2_tc *inner(const char *name, enum e2_tc_policy pol, enum e2_resource res)
{
    struct e2_tc_params p = {.resource = res};
    struct e2_tc *tc = e2_tc_create(name, pol, &p, NULL);
    assert_non_null(tc);
    return tc;
}

static struct e2_tc *limiter(const char *name, enum e2_resource res, uint64_t limit, uint64_t burst)
{
    struct e2_tc_params p = {.resource = res, .limit = limit, .burst = burst, .hz = HZ, .now = 0};
    struct e2_tc *tc = e2_tc_create(name, E2_TC_RATE_LIMIT, &p, NULL);
    assert_non_null(tc);
    return tc;
}

static void attach(struct e2_tc *parent, struct e2_tc *child, int64_t key)
{
    struct e2_err err = {0};
    int rc = e2_tc_attach(parent, child, key, &err);
    if (rc) fail_msg("attach: %s", err.msg);
}

/* Run the worker loop on the simulated clock until it reaches @until. */
static uint64_t run_until(struct e2_tc *root, uint64_t now, uint64_t until)
{
    while (now < until) {
        struct e2_tc *l = e2_tc_pick(root, now);
        if (!l) {
            assert_true(root->blocked_until > now);
            now = root->blocked_until;
            continue;
        }
        struct fake_task *t = l->task;
        uint64_t c = t->cmin + next_rand() % (t->cmax - t->cmin + 1);
        struct e2_usage u = {{1, c, t->pkts, t->pkts * t->bytes_per_pkt * 8}};
        now += c;
        t->runs++;
        e2_tc_account(l, &u, now);
    }
    return now;
}

static void free_tree(struct e2_tc *tc)
{
    while (tc->n_children) {
        struct e2_tc *c = tc->children[0];
        e2_tc_detach(c);
        free_tree(c);
    }
    e2_tc_destroy(tc);
}

static double ratio(const struct e2_tc *a, const struct e2_tc *b, enum e2_resource r)
{
    struct e2_usage ua, ub;
    e2_tc_stats(a, &ua);
    e2_tc_stats(b, &ub);
    return (double)ua.v[r] / (double)ub.v[r];
}

static void weighted_fair_3_to_1_splits_cycles_within_2_percent(void **state)
{
    (void)state;
    /* Unequal task costs: the split must follow the shares, not the run counts. */
    struct fake_task ta = {.cmin = 200, .cmax = 1800, .pkts = 32},
                     tb = {.cmin = 3000, .cmax = 5000, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_WEIGHTED_FAIR, E2_RES_CYCLES);
    struct e2_tc *a = leaf("a", &ta), *b = leaf("b", &tb);
    attach(root, a, 3);
    attach(root, b, 1);
    run_until(root, 0, HZ);
    assert_true(fabs(ratio(a, b, E2_RES_CYCLES) / 3.0 - 1.0) < 0.02);
    free_tree(root);
}

static void weighted_fair_on_packets_ignores_cycle_cost(void **state)
{
    (void)state;
    struct fake_task ta = {.cmin = 100, .cmax = 100, .pkts = 8},
                     tb = {.cmin = 5000, .cmax = 5000, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_WEIGHTED_FAIR, E2_RES_PACKETS);
    struct e2_tc *a = leaf("a", &ta), *b = leaf("b", &tb);
    attach(root, a, 1);
    attach(root, b, 2);
    run_until(root, 0, HZ / 10);
    assert_true(fabs(ratio(b, a, E2_RES_PACKETS) / 2.0 - 1.0) < 0.02);
    free_tree(root);
}

static void priority_starves_lower_class_under_load(void **state)
{
    (void)state;
    struct fake_task hi = {.cmin = 1000, .cmax = 1000, .pkts = 32},
                     lo = {.cmin = 1000, .cmax = 1000, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_PRIORITY, E2_RES_COUNT);
    attach(root, leaf("lo", &lo), 0);
    attach(root, leaf("hi", &hi), 10);
    run_until(root, 0, HZ / 100);
    assert_int_equal(lo.runs, 0);
    assert_int_equal(hi.runs, (HZ / 100) / 1000);
    free_tree(root);
}

static void priority_gives_leftover_to_lower_class_when_higher_is_limited(void **state)
{
    (void)state;
    struct fake_task hi = {.cmin = 1000, .cmax = 1000, .pkts = 32},
                     lo = {.cmin = 1000, .cmax = 1000, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_PRIORITY, E2_RES_COUNT);
    struct e2_tc *rl = limiter("hi_limit", E2_RES_COUNT, 1000, 1); /* 1000 runs/s */
    attach(rl, leaf("hi", &hi), 0);
    attach(root, rl, 10);
    attach(root, leaf("lo", &lo), 0);
    run_until(root, 0, HZ);
    assert_in_range(hi.runs, 999, 1002);
    assert_true(lo.runs > 990000 - 2000);
    free_tree(root);
}

static void rate_limit_holds_packet_rate(void **state)
{
    (void)state;
    struct fake_task t = {.cmin = 500, .cmax = 1500, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_ROUND_ROBIN, E2_RES_COUNT);
    struct e2_tc *rl = limiter("rl", E2_RES_PACKETS, 100000, 64);
    attach(rl, leaf("t", &t), 0);
    attach(root, rl, 0);
    run_until(root, 0, 10 * HZ);
    struct e2_usage u;
    e2_tc_stats(rl, &u);
    /* 10 s at 100 kpps: within one burst plus one batch of 1,000,000 */
    assert_in_range(u.v[E2_RES_PACKETS], 1000000 - 96, 1000000 + 96);
    free_tree(root);
}

static void rate_limit_holds_bit_and_cycle_rates(void **state)
{
    (void)state;
    struct fake_task t = {.cmin = 1000, .cmax = 3000, .pkts = 32, .bytes_per_pkt = 1500};
    struct e2_tc *root = inner("root", E2_TC_ROUND_ROBIN, E2_RES_COUNT);
    struct e2_tc *bits = limiter("bits", E2_RES_BITS, 1000000000ull, 0); /* 1 Gbit/s */
    attach(bits, leaf("t", &t), 0);
    attach(root, bits, 0);
    run_until(root, 0, HZ);
    struct e2_usage u;
    e2_tc_stats(bits, &u);
    /* within one run (384,000 bits) of 1e9 */
    assert_in_range(u.v[E2_RES_BITS], 1000000000ull - 384000, 1000000000ull + 384000);
    free_tree(root);

    struct fake_task c = {.cmin = 1000, .cmax = 3000, .pkts = 32};
    root = inner("root", E2_TC_ROUND_ROBIN, E2_RES_COUNT);
    struct e2_tc *cyc = limiter("cyc", E2_RES_CYCLES, HZ / 4, 0); /* a quarter of the core */
    attach(cyc, leaf("c", &c), 0);
    attach(root, cyc, 0);
    run_until(root, 0, HZ);
    e2_tc_stats(cyc, &u);
    assert_true(fabs((double)u.v[E2_RES_CYCLES] / (HZ / 4) - 1.0) < 0.01);
    free_tree(root);
}

static void round_robin_alternates_children(void **state)
{
    (void)state;
    struct fake_task t[3] = {
        {.cmin = 10, .cmax = 10}, {.cmin = 5000, .cmax = 5000}, {.cmin = 10, .cmax = 10}};
    struct e2_tc *root = inner("root", E2_TC_ROUND_ROBIN, E2_RES_COUNT);
    attach(root, leaf("a", &t[0]), 0);
    attach(root, leaf("b", &t[1]), 0);
    attach(root, leaf("c", &t[2]), 0);
    for (int i = 0; i < 9; i++) {
        struct e2_tc *l = e2_tc_pick(root, 0);
        assert_ptr_equal(l->task, &t[i % 3]);
        struct e2_usage u = {{1, 1, 0, 0}};
        e2_tc_account(l, &u, 0);
    }
    free_tree(root);
}

/* Figure 5.2 of the thesis: priority over {port_inc, weighted_fair 5:3 over two queues}. */
static void nested_tree_of_figure_5_2_keeps_both_policies(void **state)
{
    (void)state;
    struct fake_task pinc = {.cmin = 1000, .cmax = 1000, .pkts = 32},
                     q0 = {.cmin = 800, .cmax = 1200, .pkts = 32},
                     q1 = {.cmin = 800, .cmax = 1200, .pkts = 32};
    struct e2_tc *root = inner("root", E2_TC_PRIORITY, E2_RES_COUNT);
    struct e2_tc *rl = limiter("pinc_rl", E2_RES_PACKETS, 1000000, 32);
    struct e2_tc *wf = inner("wf", E2_TC_WEIGHTED_FAIR, E2_RES_CYCLES);
    struct e2_tc *l0 = leaf("q0", &q0), *l1 = leaf("q1", &q1);
    attach(rl, leaf("port_inc", &pinc), 0);
    attach(root, rl, 1);
    attach(root, wf, 0);
    attach(wf, l0, 5);
    attach(wf, l1, 3);
    run_until(root, 0, HZ);
    struct e2_usage u;
    e2_tc_stats(rl, &u);
    assert_in_range(u.v[E2_RES_PACKETS], 1000000 - 64, 1000000 + 64);
    assert_true(fabs(ratio(l0, l1, E2_RES_CYCLES) / (5.0 / 3.0) - 1.0) < 0.02);
    e2_tc_stats(root, &u);
    assert_true(u.v[E2_RES_CYCLES] <= HZ + 1200);
    free_tree(root);
}

static void blocked_fair_child_gets_no_catch_up_burst(void **state)
{
    (void)state;
    struct fake_task a = {.cmin = 1000, .cmax = 1000, .pkts = 1},
                     b = {.cmin = 1000, .cmax = 1000, .pkts = 1};
    struct e2_tc *root = inner("root", E2_TC_WEIGHTED_FAIR, E2_RES_CYCLES);
    struct e2_tc *rl = limiter("rl", E2_RES_COUNT, 1, 1); /* b runs once, then waits a second */
    attach(rl, leaf("b", &b), 0);
    attach(root, leaf("a", &a), 1);
    attach(root, rl, 1);
    uint64_t now = run_until(root, 0, HZ / 2);
    assert_int_equal(b.runs, 1);
    e2_tc_set_limit(rl, 1000000, 1, NULL); /* b may run freely again */
    uint64_t a_before = a.runs;
    run_until(root, now, now + 1000 * 1000);
    /* b must not monopolise the core to "catch up" on the half second it waited */
    assert_in_range(a.runs - a_before, 450, 550);
    free_tree(root);
}

static void bad_trees_are_refused_with_reasons(void **state)
{
    (void)state;
    struct fake_task t = {.cmin = 1, .cmax = 1};
    struct e2_err err = {0};
    struct e2_tc *prio = inner("prio", E2_TC_PRIORITY, E2_RES_COUNT);
    struct e2_tc *wf = inner("wf", E2_TC_WEIGHTED_FAIR, E2_RES_CYCLES);
    struct e2_tc *rl = limiter("rl", E2_RES_PACKETS, 10, 1);
    struct e2_tc *a = leaf("a", &t), *b = leaf("b", &t), *c = leaf("c", &t);

    attach(prio, a, 5);
    assert_int_equal(e2_tc_attach(prio, b, 5, &err), -EEXIST);
    assert_string_equal(err.msg, "priority 5 under 'prio' is already taken by 'a'");
    assert_int_equal(e2_tc_attach(wf, b, 0, &err), -ERANGE);
    assert_int_equal(e2_tc_attach(wf, b, 1025, &err), -ERANGE);
    attach(rl, b, 0);
    assert_int_equal(e2_tc_attach(rl, c, 0, &err), -EINVAL);
    assert_int_equal(e2_tc_attach(a, c, 0, &err), -EINVAL);
    assert_string_equal(err.msg, "'a' is a leaf and cannot have children");
    assert_int_equal(e2_tc_attach(wf, a, 1, &err), -EBUSY);
    attach(prio, wf, 1);
    assert_int_equal(e2_tc_attach(wf, prio, 1, &err), -ELOOP);
    assert_null(e2_tc_create("", E2_TC_LEAF, &(struct e2_tc_params){.task = &t}, &err));
    assert_null(
        e2_tc_create("x", E2_TC_RATE_LIMIT, &(struct e2_tc_params){.limit = 0, .hz = HZ}, &err));
    assert_null(e2_tc_create("x", E2_TC_LEAF, &(struct e2_tc_params){0}, &err));
    assert_int_equal(e2_tc_set_limit(wf, 5, 1, &err), -EINVAL);
    free_tree(prio);
    free_tree(rl);
    e2_tc_destroy(c);
}

static void detach_removes_child_from_every_policy(void **state)
{
    (void)state;
    struct fake_task t = {.cmin = 10, .cmax = 10, .pkts = 1};
    enum e2_tc_policy pols[] = {E2_TC_PRIORITY, E2_TC_WEIGHTED_FAIR, E2_TC_ROUND_ROBIN};
    for (unsigned p = 0; p < 3; p++) {
        struct e2_tc *root = inner("root", pols[p], E2_RES_COUNT);
        struct e2_tc *l[4];
        const char *names[4] = {"a", "b", "c", "d"};
        for (int i = 0; i < 4; i++) {
            l[i] = leaf(names[i], &t);
            attach(root, l[i], i + 1);
        }
        e2_tc_detach(l[1]);
        e2_tc_detach(l[3]);
        for (int i = 0; i < 50; i++) {
            struct e2_tc *got = e2_tc_pick(root, 0);
            assert_true(got == l[0] || got == l[2]);
            struct e2_usage u = {{1, 10, 1, 8}};
            e2_tc_account(got, &u, 0);
        }
        e2_tc_destroy(l[1]);
        e2_tc_destroy(l[3]);
        free_tree(root);
    }
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int p = E2_TC_PRIORITY; p <= E2_TC_LEAF; p++) {
        enum e2_tc_policy out;
        assert_int_equal(e2_tc_policy_parse(e2_tc_policy_name(p), &out), 0);
        assert_int_equal(out, p);
    }
    for (int r = 0; r < E2_RES_MAX; r++) {
        enum e2_resource out;
        assert_int_equal(e2_resource_parse(e2_resource_name(r), &out), 0);
        assert_int_equal(out, r);
    }
    enum e2_resource out;
    assert_int_equal(e2_resource_parse("bytes", &out), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weighted_fair_3_to_1_splits_cycles_within_2_percent),
        cmocka_unit_test(weighted_fair_on_packets_ignores_cycle_cost),
        cmocka_unit_test(priority_starves_lower_class_under_load),
        cmocka_unit_test(priority_gives_leftover_to_lower_class_when_higher_is_limited),
        cmocka_unit_test(rate_limit_holds_packet_rate),
        cmocka_unit_test(rate_limit_holds_bit_and_cycle_rates),
        cmocka_unit_test(round_robin_alternates_children),
        cmocka_unit_test(nested_tree_of_figure_5_2_keeps_both_policies),
        cmocka_unit_test(blocked_fair_child_gets_no_catch_up_burst),
        cmocka_unit_test(bad_trees_are_refused_with_reasons),
        cmocka_unit_test(detach_removes_child_from_every_policy),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
