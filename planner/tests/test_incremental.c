/*
 * Incremental placement (split requests): existing instances never move; the
 * new one lands where its traffic is when there is room, elsewhere when not,
 * and nowhere (with a reason) when the rack is full; limits always hold.
 */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>

#include "e2_gen.h"
#include "e2_plan.h"

static void assert_ranges_tile(const struct e2_igraph *ig)
{
    for (size_t p = 0; p < ig->pg->n_nodes; p++) {
        if (ig->pg->nodes[p].kind != E2_PNODE_NF) continue;
        uint64_t total = 0;
        for (size_t k = 0; k < ig->members[p].n; k++) {
            struct e2_range r = ig->nodes[ig->members[p].v[k]].range;
            total += r.hi - r.lo;
            for (size_t m = 0; m < k; m++)
                assert_int_equal(e2_range_overlap(r, ig->nodes[ig->members[p].v[m]].range), 0);
        }
        assert_int_equal(total, e2_flow_space(ig->bits));
    }
}

static void assert_limits(const struct e2_placement *pl, const struct e2_igraph *ig,
                          const struct e2_hw *hw)
{
    struct e2_usage u;
    assert_int_equal(e2_usage_compute(ig, pl->server, hw, 0, &u), 0);
    for (size_t s = 0; s < hw->n_servers; s++) {
        assert_true(u.cores[s] <= e2_server_nf_cores(hw, s));
        assert_true(u.nic_in[s] <= hw->servers[s].nic_bps * (1 + 1e-9));
        assert_true(u.nic_out[s] <= hw->servers[s].nic_bps * (1 + 1e-9));
        assert_true(fabs(pl->nic_in[s] - u.nic_in[s]) <= 1e-6 * (u.nic_in[s] + 1));
        assert_true(fabs(pl->nic_out[s] - u.nic_out[s]) <= 1e-6 * (u.nic_out[s] + 1));
    }
    e2_usage_free(&u);
}

static void splits_never_move_an_existing_instance(void **state)
{
    (void)state;
    unsigned total = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct e2_rng r = {seed};
        struct e2_gen_rack rk = {8, 8, 1, 8, 2048, 2.6, 25000000000ull};
        struct e2_hw *hw = NULL;
        assert_int_equal(e2_gen_rack_uniform(&rk, &hw, NULL), 0);
        struct e2_gen_graph g = {.shape = E2_GEN_DAG,
                                 .n_nfs = 8,
                                 .ingress_bps = 20e9,
                                 .n_ports = 8,
                                 .tput_min = 0.5e9,
                                 .tput_max = 2e9};
        json_t *j = e2_gen_pgraph(&r, &g);
        struct e2_plan_pgraph *pg = NULL;
        struct e2_plan *p = NULL;
        struct e2_err err = {0};
        assert_int_equal(e2_plan_pgraph_from_json(j, "gen", &pg, NULL), 0);
        json_decref(j);
        if (e2_plan_build(pg, hw, NULL, &p, &err))
            fail_msg("seed %llu: %s", (unsigned long long)seed, err.msg);
        unsigned splits = 0;
        for (int k = 0; k < 40; k++) {
            size_t n = p->ig->n_nodes;
            unsigned *before = malloc(n * sizeof(unsigned));
            memcpy(before, p->pl->server, n * sizeof(unsigned));
            unsigned victim;
            do victim = e2_rng_below(&r, (unsigned)n);
            while (p->ig->nodes[victim].kind != E2_INODE_INSTANCE);
            unsigned neu;
            int rc = e2_place_split(p->pl, p->ig, victim, &neu, &err);
            for (size_t v = 0; v < n; v++) assert_int_equal(p->pl->server[v], before[v]);
            free(before);
            if (rc) {
                assert_int_equal(rc, -ENOSPC);
                assert_non_null(strstr(err.msg, "no server can host"));
                assert_int_equal(p->pl->server[neu], E2_SERVER_NONE);
                break;
            }
            splits++;
            assert_int_equal(neu, n); /* appended */
            assert_true(p->pl->server[neu] < hw->n_servers);
            assert_limits(p->pl, p->ig, hw);
            assert_ranges_tile(p->ig);
        }
        total += splits;
        e2_plan_free(p);
        e2_plan_pgraph_free(pg);
        e2_hw_free(hw);
    }
    print_message("%u splits placed\n", total);
    assert_true(total >= 200); /* most requests find room: the property is about real splits */
}

static void new_instance_joins_its_traffic_while_there_is_room(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", "[\"src_ip\"]", 0, "[]"),
                                       nf_json(b, sizeof(b), "TB", "1G", T5, 0, "[]"),
                                       4000000000LL); /* 2 instances each at 2.5 GHz */
    struct e2_hw *hw = rack(2, 4);                    /* 3 NF cores per server */
    struct e2_plan *p = NULL;
    struct e2_err err = {0};
    if (e2_plan_build(pg, hw, NULL, &p, &err)) fail_msg("%s", err.msg);
    unsigned a0 = p->ig->members[1].v[0], b0 = p->ig->members[2].v[0];
    unsigned home = p->pl->server[a0];
    assert_int_equal(p->pl->server[b0], home); /* the direct pair shares a server */
    assert_true(p->pl->cores_used[home] == 2);
    unsigned n1, n2, n3;
    assert_int_equal(e2_place_split(p->pl, p->ig, b0, &n1, NULL), 0);
    assert_int_equal(p->pl->server[n1], home); /* fed only by a0: the last core there */
    assert_int_equal(e2_place_split(p->pl, p->ig, b0, &n2, NULL), 0);
    assert_int_equal(p->pl->server[n2], 1 - home); /* home is full */
    assert_int_equal(e2_place_split(p->pl, p->ig, n1, &n3, &err), -ENOSPC);
    assert_string_equal(err.msg, "no server can host B#4: every NF core of the rack is used");
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_never_move_an_existing_instance),
        cmocka_unit_test(new_instance_joins_its_traffic_while_there_is_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
