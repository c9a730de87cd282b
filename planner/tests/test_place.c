/*
 * Placement: Kernighan-Lin swaps remove switch traffic that DFS packing
 * leaves, links are spread before they cap the rate below the cores, the
 * flow-order cut keeps slices whole; links, cores, the switch and NF scaling
 * rules always hold; when
 * they cannot, the error names the resource and the shortfall. A property
 * test over random racks and graphs checks every plan against the limits,
 * recomputed from scratch.
 */
#include "helpers.h"

#include <math.h>

#include "e2_gen.h"
#include "e2_plan.h"
#include "e2_sim.h"

/* in -> A; A -> L1 (light) and A -> H (heavy); L1 -> L2; L2, H -> out. */
static struct e2_plan_pgraph *light_and_heavy(void)
{
    char d[5][512];
    const char *names[] = {"A", "L1", "H", "L2"};
    for (int i = 0; i < 4; i++) nf_json(d[i], sizeof(d[i]), names[i], "10G", T5, 0, "[]");
    char text[4096];
    snprintf(text, sizeof(text),
             "{\"format\":\"e2-pgraph/1\",\"nodes\":[{\"name\":\"in\",\"kind\":\"port\","
             "\"switch_ports\":[0]},{\"name\":\"A\",\"kind\":\"nf\",\"nf_type\":\"A\",\"nf\":%s},"
             "{\"name\":\"L1\",\"kind\":\"nf\",\"nf_type\":\"L1\",\"nf\":%s},"
             "{\"name\":\"H\",\"kind\":\"nf\",\"nf_type\":\"H\",\"nf\":%s},"
             "{\"name\":\"L2\",\"kind\":\"nf\",\"nf_type\":\"L2\",\"nf\":%s}],\"edges\":["
             "{\"id\":0,\"src\":\"in\",\"dst\":\"A\",\"filter\":\"\",\"bw_bps\":5100000000,"
             "\"root\":true},"
             "{\"id\":1,\"src\":\"A\",\"dst\":\"L1\",\"filter\":\"udp\",\"bw_bps\":100000000,"
             "\"root\":false},"
             "{\"id\":2,\"src\":\"A\",\"dst\":\"H\",\"filter\":\"tcp\",\"bw_bps\":5000000000,"
             "\"root\":false},"
             "{\"id\":3,\"src\":\"L1\",\"dst\":\"L2\",\"filter\":\"\",\"bw_bps\":100000000,"
             "\"root\":false},"
             "{\"id\":4,\"src\":\"L2\",\"dst\":\"in\",\"filter\":\"\",\"bw_bps\":100000000,"
             "\"root\":false},"
             "{\"id\":5,\"src\":\"H\",\"dst\":\"in\",\"filter\":\"\",\"bw_bps\":5000000000,"
             "\"root\":false}]}",
             d[0], d[1], d[2], d[3]);
    return pgraph_ok(text);
}

static struct e2_igraph *igraph_of(const struct e2_plan_pgraph *pg, const struct e2_hw *hw)
{
    double r[64];
    struct e2_nf_size s[64];
    struct e2_igraph *ig = NULL;
    struct e2_err err = {0};
    if (e2_rates_compute(pg, 1e9, r, &err) || e2_plan_size(pg, r, hw, s, &err) ||
        e2_igraph_build(pg, r, s, 16, &ig, &err))
        fail_msg("%s", err.msg);
    return ig;
}

static void swaps_remove_the_switch_traffic_packing_leaves(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = light_and_heavy();
    struct e2_hw *hw = rack_nic(2, 4, 40); /* 3 NF cores each; one instance per NF */
    struct e2_igraph *ig = igraph_of(pg, hw);
    struct e2_place_opts o = {0, true};
    struct e2_placement *packed = NULL, *placed = NULL;
    assert_int_equal(e2_place_pack(ig, hw, &o, &packed, NULL), 0);
    /* Depth first: A, L1, L2 fill s0, so the heavy A -> H edge crosses. */
    assert_true(fabs(packed->cross_bps - 5e9) < 1);
    assert_true(e2_place_improve(packed, ig) >= 1);
    assert_true(fabs(packed->cross_bps - 1e8) < 1); /* only L1 -> L2 crosses now */
    assert_int_equal(e2_place(ig, hw, &o, &placed, NULL), 0);
    assert_true(fabs(placed->cross_bps - 1e8) < 1);
    e2_placement_free(packed);
    e2_placement_free(placed);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void links_hold_where_packing_by_cores_would_overload_a_nic(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = three_heavy_entries();
    struct e2_hw *hw = rack(3, 8);
    struct e2_igraph *ig = igraph_of(pg, hw);
    struct e2_placement *strawman = NULL, *e2 = NULL;
    struct e2_place_opts cores_only = {0, false}, full = {0, true};
    assert_int_equal(e2_place_pack(ig, hw, &cores_only, &strawman, NULL), 0);
    assert_true(strawman->nic_in[0] > 17e9); /* all three on s0 */
    assert_int_equal(e2_place(ig, hw, &full, &e2, NULL), 0);
    for (int s = 0; s < 3; s++) assert_true(e2->nic_in[s] <= 10e9 && e2->nic_out[s] <= 10e9);
    assert_true(e2_placement_excess(e2, 1) == 0);
    e2_placement_free(strawman);
    e2_placement_free(e2);
    /* A 40 Gbit/s switch carries the 36 Gbit/s; a 30 Gbit/s one cannot. */
    struct e2_place_opts narrow = {30e9, true};
    struct e2_err err = {0};
    assert_int_equal(e2_place(ig, hw, &narrow, &e2, &err), -ENOSPC);
    assert_null(e2);
    assert_string_equal(err.msg, "the policy cannot fit: the switch would carry 36 Gbit/s, "
                                 "6 Gbit/s over its 30 Gbit/s");
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void links_are_spread_before_they_limit_more_than_the_cores(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = three_heavy_entries(); /* 6 Gbit/s each, cores run at 24% */
    struct e2_hw *hw = rack_nic(3, 8, 40);
    struct e2_igraph *ig = igraph_of(pg, hw);
    struct e2_placement *pl = NULL;
    struct e2_place_opts o = {0, true};
    assert_true(fabs(e2_place_link_limit(ig, hw) - 0.24) < 1e-9);
    /* Together on one server the NIC would run at 45% and cap the rack at 40 Gbit/s. */
    assert_int_equal(e2_place(ig, hw, &o, &pl, NULL), 0);
    for (int s = 0; s < 3; s++) assert_int_equal(pl->cores_used[s], 1);
    assert_true(fabs(e2_sim_max_rate(ig, pl->server, hw, 0) - 18e9 / 0.24) < 1e3);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void the_flow_order_cut_puts_each_slice_whole_on_a_server(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg =
        fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 1, "[]"),
                    nf_json(b, sizeof(b), "TB", "100G", T5, 1, "[]"), 25000000000LL);
    struct e2_hw *hw = rack_nic(4, 8, 40);
    struct e2_igraph *ig = igraph_of(pg, hw); /* A 10 and B 2 instances: 2 slices of 6 cores */
    assert_int_equal(ig->members[1].n, 10);
    assert_int_equal(ig->members[2].n, 2);
    struct e2_placement *pl = NULL;
    struct e2_place_opts o = {0, true};
    /* Next fit fills 7 cores a server, so DFS packing splits slices. */
    assert_int_equal(e2_place_pack(ig, hw, &o, &pl, NULL), 0);
    assert_true(pl->cross_bps > 1e8);
    e2_placement_free(pl);
    assert_int_equal(e2_place_cut(ig, hw, &o, &pl, NULL), 0);
    assert_true(pl->cross_bps < 1);
    for (int s = 0; s < 4; s++) {
        assert_true(pl->cores_used[s] == 0 || pl->cores_used[s] == 6);
        assert_true(pl->nic_in[s] < 1 || fabs(pl->nic_in[s] - 25e9 / 2) < 1e3);
    }
    e2_placement_free(pl);
    assert_int_equal(e2_place(ig, hw, &o, &pl, NULL), 0);
    assert_true(pl->cross_bps < 1);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static struct e2_igraph *one_nf(const char *scaling, unsigned instances, struct e2_plan_pgraph **pg)
{
    char text[2048];
    snprintf(
        text, sizeof(text),
        "{\"format\":\"e2-pgraph/1\",\"nodes\":[{\"name\":\"in\",\"kind\":\"port\","
        "\"switch_ports\":[0]},{\"name\":\"R\",\"kind\":\"nf\",\"nf_type\":\"R\",\"nf\":"
        "{\"nf_type\":\"R\",\"api\":\"native\",\"scaling\":%s}}],\"edges\":["
        "{\"id\":0,\"src\":\"in\",\"dst\":\"R\",\"filter\":\"\",\"bw_bps\":1000,\"root\":true},"
        "{\"id\":1,\"src\":\"R\",\"dst\":\"in\",\"filter\":\"\",\"root\":false}]}",
        scaling);
    *pg = pgraph_ok(text);
    double r[2] = {1000, 1000};
    struct e2_nf_size s[2] = {{.instances = 0}, {.instances = instances}};
    struct e2_igraph *ig = NULL;
    assert_int_equal(e2_igraph_build(*pg, r, s, 16, &ig, NULL), 0);
    return ig;
}

static void scaling_rules_decide_which_servers_an_nf_may_share(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(4, 8);
    struct e2_plan_pgraph *pg;
    struct e2_place_opts o = {0, true};
    struct e2_placement *pl = NULL;
    struct e2_igraph *ig = one_nf("{\"across_cores\":false,\"across_servers\":true,"
                                  "\"max_number_of_instances\":4}",
                                  3, &pg);
    assert_int_equal(e2_place(ig, hw, &o, &pl, NULL), 0);
    for (int s = 0; s < 4; s++) assert_true(pl->cores_used[s] <= 1);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    ig = one_nf("{\"across_cores\":true,\"across_servers\":false,\"max_number_of_instances\":9}", 5,
                &pg);
    assert_int_equal(e2_place(ig, hw, &o, &pl, NULL), 0);
    unsigned s0 = pl->server[ig->members[1].v[0]];
    assert_int_equal(pl->cores_used[s0], 5);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    struct e2_err err = {0};
    ig = one_nf("{\"across_cores\":true,\"across_servers\":false,\"max_number_of_instances\":9}", 8,
                &pg);
    assert_int_equal(e2_place(ig, hw, &o, &pl, &err), -ENOSPC);
    assert_string_equal(err.msg, "the policy cannot fit: NF 'R' (R) must stay on one server "
                                 "(across_servers: false) and needs 8 cores; the largest server "
                                 "has 7");
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void cannot_fit_says_which_resource_and_by_how_much(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = load_pgraph("fig14.json");
    struct e2_hw *tiny = load_hw("hw-tiny.yaml");
    struct e2_plan *p = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_plan_build(pg, tiny, NULL, &p, &err), -ENOSPC);
    assert_string_equal(err.msg,
                        "the policy cannot fit: NF instances need 9 cores (p 4, n 2, f 3), "
                        "the rack has 6 free (2 servers s0..s1, after 2 dataplane cores): "
                        "3 short");
    e2_hw_free(tiny);
    /* One instance receiving more than any NIC. */
    struct e2_hw *hw = rack(2, 8);
    struct e2_plan_pgraph *pg2 = NULL;
    struct e2_igraph *ig = one_nf("{\"across_cores\":false}", 1, &pg2);
    ig->edges[0].rate_bps = 12e9;
    struct e2_place_opts o = {0, true};
    struct e2_placement *pl = NULL;
    assert_int_equal(e2_place(ig, hw, &o, &pl, &err), -ENOSPC);
    assert_string_equal(err.msg, "the policy cannot fit: server s0's NIC would carry 12 Gbit/s in, "
                                 "2 Gbit/s over its 10 Gbit/s (best placement found)");
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg2);
    e2_hw_free(hw);
    /* A flow table too small for the ingress rules, and a switch that cannot hash. */
    struct e2_hw *small = hw_from_yaml(
        "servers:\n  - {name: a, cores: 16, ghz: 2.5, nic: 40G, dataplane_cores: 1, switch_port: "
        "20}\n"
        "  - {name: b, cores: 16, ghz: 2.5, nic: 40G, dataplane_cores: 1, switch_port: 21}\n"
        "switch: {name: sw, ports: 24, external_ports: [0-15], flow_table_size: 16, "
        "rule_update_latency: 1ms, actions: [forward, drop, hash_select]}\n");
    assert_int_equal(e2_plan_build(pg, small, NULL, &p, &err), -ENOSPC);
    assert_string_equal(err.msg, "the policy cannot fit: it needs 21 switch rules, switch 'sw' "
                                 "holds 16: 5 over");
    e2_hw_free(small);
    struct e2_hw *nohash = hw_from_yaml(
        "servers:\n  - {name: a, cores: 4, ghz: 2.5, nic: 40G, dataplane_cores: 1, switch_port: "
        "20}\n"
        "  - {name: b, cores: 4, ghz: 2.5, nic: 40G, dataplane_cores: 1, switch_port: 21}\n"
        "switch: {name: sw, ports: 24, external_ports: [0-15], flow_table_size: 2048, "
        "rule_update_latency: 1ms, actions: [forward, drop]}\n");
    char a[512], b[512];
    struct e2_plan_pgraph *four = fig4_pgraph(nf_json(a, sizeof(a), "TA", "1G", T5, 0, "[]"),
                                              nf_json(b, sizeof(b), "TB", "10G", T5, 0, "[]"),
                                              10000000000LL); /* A: 4 instances, 3 cores a server */
    assert_int_equal(e2_plan_build(four, nohash, NULL, &p, &err), -ENOSPC);
    assert_string_equal(err.msg, "the policy cannot fit: switch 'sw' lacks hash_select, so it "
                                 "cannot split the traffic of port 'in' among the 4 instances of "
                                 "'A'");
    e2_hw_free(nohash);
    e2_plan_pgraph_free(four);
    e2_plan_pgraph_free(pg);
}

/* ---- property: no plan exceeds a limit ---- */

static void assert_within_limits(const struct e2_plan *p, double switch_bps)
{
    const struct e2_hw *hw = p->hw;
    const struct e2_igraph *ig = p->ig;
    struct e2_usage u;
    assert_int_equal(e2_usage_compute(ig, p->pl->server, hw, switch_bps, &u), 0);
    for (size_t s = 0; s < hw->n_servers; s++) {
        double nic = (double)hw->servers[s].nic_bps * (1 + 1e-9);
        assert_true(u.cores[s] <= e2_server_nf_cores(hw, s));
        assert_true(u.nic_in[s] <= nic && u.nic_out[s] <= nic);
        /* The placer's running totals agree with the recount. */
        assert_true(fabs(p->pl->nic_in[s] - u.nic_in[s]) <= 1e-6 * (u.nic_in[s] + 1));
        assert_true(fabs(p->pl->nic_out[s] - u.nic_out[s]) <= 1e-6 * (u.nic_out[s] + 1));
    }
    if (switch_bps > 0) assert_true(u.switch_bps <= switch_bps * (1 + 1e-9));
    assert_true(p->n_rules <= hw->sw.flow_table_size);
    assert_int_equal(e2_switch_rules(ig, p->pl->server, hw, NULL), (long)p->n_rules);
    for (size_t q = 0; q < ig->pg->n_nodes; q++) {
        const struct e2_nf_desc *d = ig->pg->nodes[q].nf;
        if (!d) continue;
        unsigned servers = 0;
        for (size_t s = 0; s < hw->n_servers; s++) {
            unsigned here = 0;
            for (size_t k = 0; k < ig->members[q].n; k++)
                here += p->pl->server[ig->members[q].v[k]] == s;
            servers += here > 0;
            if (!d->across_cores) assert_true(here <= 1);
        }
        if (!d->across_servers) assert_true(servers <= 1);
    }
    json_t *j = e2_plan_to_json(p);
    struct e2_err err = {0};
    if (e2_plan_json_validate(j, &err)) fail_msg("%s", err.msg);
    json_decref(j);
    e2_usage_free(&u);
}

static void no_plan_ever_exceeds_a_core_link_or_switch_limit(void **state)
{
    (void)state;
    unsigned planned = 0, refused = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        struct e2_rng r = {seed};
        struct e2_hw *hw = NULL;
        assert_int_equal(e2_gen_rack_random(&r, &hw, NULL), 0);
        struct e2_gen_graph g = {.shape = e2_rng_below(&r, 2) ? E2_GEN_DAG : E2_GEN_CHAIN,
                                 .n_nfs = 1 + e2_rng_below(&r, 10),
                                 .ingress_bps = e2_rng_range(&r, 0.2e9, 12e9),
                                 .n_ports = (unsigned)hw->sw.n_external,
                                 .tput_min = 0.3e9,
                                 .tput_max = 3e9,
                                 .constrained = true};
        json_t *j = e2_gen_pgraph(&r, &g);
        struct e2_plan_pgraph *pg = NULL;
        struct e2_err err = {0};
        if (e2_plan_pgraph_from_json(j, "generated", &pg, &err))
            fail_msg("seed %llu: %s", (unsigned long long)seed, err.msg);
        json_decref(j);
        static const unsigned bits[] = {4, 8, 16};
        struct e2_plan_opts o = {1e9, e2_rng_below(&r, 3) ? 0 : e2_rng_range(&r, 5e9, 100e9),
                                 bits[e2_rng_below(&r, 3)]};
        struct e2_plan *p = NULL;
        int rc = e2_plan_build(pg, hw, &o, &p, &err);
        if (!rc) {
            assert_within_limits(p, o.switch_bps);
            planned++;
        } else {
            if (rc != -ENOSPC && rc != -ERANGE && rc != -EINVAL)
                fail_msg("seed %llu: rc %d: %s", (unsigned long long)seed, rc, err.msg);
            assert_true(strlen(err.msg) > 20);
            refused++;
        }
        e2_plan_free(p);
        e2_plan_pgraph_free(pg);
        e2_hw_free(hw);
    }
    print_message("planned %u, refused %u\n", planned, refused);
    assert_true(planned >= 120); /* the property is about real plans, not refusals */
    assert_true(refused >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swaps_remove_the_switch_traffic_packing_leaves),
        cmocka_unit_test(links_hold_where_packing_by_cores_would_overload_a_nic),
        cmocka_unit_test(links_are_spread_before_they_limit_more_than_the_cores),
        cmocka_unit_test(the_flow_order_cut_puts_each_slice_whole_on_a_server),
        cmocka_unit_test(scaling_rules_decide_which_servers_an_nf_may_share),
        cmocka_unit_test(cannot_fit_says_which_resource_and_by_how_much),
        cmocka_unit_test(no_plan_ever_exceeds_a_core_link_or_switch_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
