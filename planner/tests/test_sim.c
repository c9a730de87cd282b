/*
 * The rack simulator (Fig. 9): a plan's max input rate is its offered load
 * times the headroom of its first bottleneck; the Random strawman keeps the
 * cores; the ILP optimum is a ceiling for every strategy and finds a known
 * optimum; E2's placement never does worse than the packing it starts from.
 */
#include "helpers.h"

#include <math.h>

#include "e2_gen.h"
#include "e2_ilp.h"
#include "e2_plan.h"
#include "e2_sim.h"

static struct e2_igraph *fig4_igraph(struct e2_plan_pgraph **pg, struct e2_hw *hw, long long rate)
{
    char a[512], b[512];
    *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 0, "[]"),
                      nf_json(b, sizeof(b), "TB", "10G", T5, 0, "[]"), rate);
    double r[3];
    struct e2_nf_size s[4];
    struct e2_igraph *ig = NULL;
    assert_int_equal(e2_rates_compute(*pg, 1e9, r, NULL), 0);
    assert_int_equal(e2_plan_size(*pg, r, hw, s, NULL), 0);
    assert_int_equal(e2_igraph_build(*pg, r, s, 16, &ig, NULL), 0);
    return ig;
}

static void max_rate_is_offered_load_times_the_first_bottleneck(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(2, 8);
    struct e2_plan_pgraph *pg;
    struct e2_igraph *ig = fig4_igraph(&pg, hw, 4000000000LL); /* A: 2 x 2.5 Gbit/s, B: 1 */
    struct e2_place_opts o = {0, true};
    struct e2_placement *pl = NULL;
    assert_int_equal(e2_placement_new(ig, hw, &o, &pl, NULL), 0);
    for (size_t v = 0; v < ig->n_nodes; v++)
        if (e2_inode_placeable(&ig->nodes[v])) e2_placement_set(pl, ig, (unsigned)v, 0);
    /* A's instances carry 2 of their 2.5 Gbit/s: 1.25x the offered 4 Gbit/s. */
    assert_true(fabs(e2_sim_max_rate(ig, pl->server, hw, 0) - 5e9) < 1);
    struct e2_usage u;
    assert_int_equal(e2_usage_compute(ig, pl->server, hw, 0, &u), 0);
    assert_string_equal(u.bottleneck, "the core of A#0 on s0");
    e2_usage_free(&u);
    /* A 6 Gbit/s switch carries 4 in and 4 out at 0.75 of the offered load. */
    assert_true(fabs(e2_sim_max_rate(ig, pl->server, hw, 6e9) - 3e9) < 1);
    /* Rules beyond the flow table: the plan cannot be installed at all. */
    hw->sw.flow_table_size = 2;
    assert_true(e2_sim_max_rate(ig, pl->server, hw, 0) == 0);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void random_strawman_keeps_cores_and_varies_with_the_seed(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(4, 4);
    struct e2_plan_pgraph *pg;
    struct e2_igraph *ig = fig4_igraph(&pg, hw, 20000000000LL); /* 8 + 2 instances */
    struct e2_place_opts o = {0, false};
    unsigned differ = 0, first[64] = {0};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct e2_rng r = {seed};
        struct e2_placement *pl = NULL;
        assert_int_equal(e2_place_random(ig, hw, &o, &r, &pl, NULL), 0);
        for (size_t s = 0; s < 4; s++) assert_true(pl->cores_used[s] <= 3);
        for (size_t v = 0; v < ig->n_nodes; v++) {
            if (seed == 1) first[v] = pl->server[v];
            differ += pl->server[v] != first[v];
        }
        e2_placement_free(pl);
    }
    assert_true(differ > 20);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static double rate_of(const struct e2_igraph *ig, const struct e2_placement *pl,
                      const struct e2_hw *hw)
{
    return e2_sim_max_rate(ig, pl->server, hw, 0);
}

static void ilp_is_a_ceiling_for_every_strategy(void **state)
{
    (void)state;
    unsigned solved = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        struct e2_rng r = {seed};
        struct e2_hw *hw = rack(3, 5);
        struct e2_gen_graph g = {.shape = seed % 2 ? E2_GEN_CHAIN : E2_GEN_DAG,
                                 .n_nfs = 2 + e2_rng_below(&r, 3),
                                 .ingress_bps = e2_rng_range(&r, 4e9, 12e9),
                                 .n_ports = 4,
                                 .tput_min = 1e9,
                                 .tput_max = 4e9};
        json_t *j = e2_gen_pgraph(&r, &g);
        struct e2_plan_pgraph *pg = NULL;
        assert_int_equal(e2_plan_pgraph_from_json(j, "gen", &pg, NULL), 0);
        json_decref(j);
        double rates[64];
        struct e2_nf_size size[64];
        struct e2_igraph *ig = NULL;
        assert_int_equal(e2_rates_compute(pg, 1e9, rates, NULL), 0);
        if (e2_plan_size(pg, rates, hw, size, NULL) ||
            e2_igraph_build(pg, rates, size, 16, &ig, NULL)) {
            e2_plan_pgraph_free(pg);
            e2_hw_free(hw);
            continue;
        }
        struct e2_place_opts o = {0, true}, cores = {0, false};
        struct e2_placement *ilp = NULL, *e2 = NULL, *pack = NULL, *rnd = NULL;
        bool optimal = false;
        if (!e2_ilp_place(ig, hw, &o, 10, &ilp, &optimal, NULL) && optimal) {
            solved++;
            double ceiling = rate_of(ig, ilp, hw) * (1 + 1e-6);
            for (size_t s = 0; s < 3; s++) assert_true(ilp->cores_used[s] <= 4);
            assert_int_equal(e2_place_best_effort(ig, hw, &o, &e2, NULL), 0);
            assert_int_equal(e2_place_pack(ig, hw, &cores, &pack, NULL), 0);
            struct e2_rng rr = {seed};
            assert_int_equal(e2_place_random(ig, hw, &cores, &rr, &rnd, NULL), 0);
            assert_true(rate_of(ig, e2, hw) <= ceiling);
            assert_true(rate_of(ig, pack, hw) <= ceiling);
            assert_true(rate_of(ig, rnd, hw) <= ceiling);
            /* E2 starts from the better packing and swaps never raise the peak. */
            assert_true(rate_of(ig, e2, hw) >= rate_of(ig, pack, hw) * (1 - 1e-9));
        }
        e2_placement_free(ilp);
        e2_placement_free(e2);
        e2_placement_free(pack);
        e2_placement_free(rnd);
        e2_igraph_free(ig);
        e2_plan_pgraph_free(pg);
        e2_hw_free(hw);
    }
    print_message("%u ILPs solved to optimality\n", solved);
    assert_true(solved >= 10);
}

static void ilp_spreads_heavy_entries_one_per_server(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = three_heavy_entries();
    struct e2_hw *hw = rack(3, 8);
    double r[6];
    struct e2_nf_size s[4];
    struct e2_igraph *ig = NULL;
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_int_equal(e2_plan_size(pg, r, hw, s, NULL), 0);
    assert_int_equal(e2_igraph_build(pg, r, s, 16, &ig, NULL), 0);
    struct e2_place_opts o = {0, true};
    struct e2_placement *pl = NULL;
    bool optimal = false;
    assert_int_equal(e2_ilp_place(ig, hw, &o, 10, &pl, &optimal, NULL), 0);
    assert_true(optimal);
    /* 6 Gbit/s into each 10 Gbit/s NIC: 18 x 10/6 = 30 Gbit/s. */
    assert_true(fabs(rate_of(ig, pl, hw) - 30e9) < 1e3);
    for (int k = 0; k < 3; k++) assert_true(fabs(pl->nic_in[k] - 6e9) < 1e3);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void compare_ranks_e2_between_the_strawmen_and_the_ceiling(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(4, 4);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct e2_rng r = {seed};
        struct e2_gen_graph g = {.shape = E2_GEN_CHAIN,
                                 .n_nfs = 3,
                                 .ingress_bps = 5e9,
                                 .n_ports = 4,
                                 .tput_min = 1e9,
                                 .tput_max = 3e9,
                                 .compatible = true};
        json_t *j = e2_gen_pgraph(&r, &g);
        struct e2_plan_pgraph *pg = NULL;
        assert_int_equal(e2_plan_pgraph_from_json(j, "gen", &pg, NULL), 0);
        json_decref(j);
        struct e2_sim_result res[4];
        struct e2_sim_strategy all[4] = {{E2_STRATEGY_E2, &res[0]},
                                         {E2_STRATEGY_PACKING, &res[1]},
                                         {E2_STRATEGY_RANDOM, &res[2]},
                                         {E2_STRATEGY_ILP, &res[3]}};
        struct e2_sim_opts o = {0, 16, seed, 10};
        assert_int_equal(e2_sim_compare(pg, hw, all, 4, &o, NULL), 0);
        assert_true(res[0].max_rate_bps > 0);
        assert_true(res[0].max_rate_bps >= res[1].max_rate_bps * (1 - 1e-9));
        assert_true(res[0].max_rate_bps >= res[2].max_rate_bps * (1 - 1e-9));
        assert_true(res[3].exact);
        assert_true(res[3].max_rate_bps >= res[0].max_rate_bps * (1 - 1e-9));
        e2_plan_pgraph_free(pg);
    }
    e2_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(max_rate_is_offered_load_times_the_first_bottleneck),
        cmocka_unit_test(random_strawman_keeps_cores_and_varies_with_the_seed),
        cmocka_unit_test(ilp_is_a_ceiling_for_every_strategy),
        cmocka_unit_test(ilp_spreads_heavy_entries_one_per_server),
        cmocka_unit_test(compare_ranks_e2_between_the_strawmen_and_the_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
