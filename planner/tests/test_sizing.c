/*
 * Sizing: edge rates follow traffic classes (Fig. 14), annotations win and
 * propagate, and instances = ceil(load / (per-core-GHz rate x slowest GHz))
 * within the description's min and max; rounded up to a multiple of the
 * slices when the policy needs several servers and a slice fits one.
 */
#include "helpers.h"

#include <math.h>

#include "e2_sizing.h"

static void assert_rate(double got, double want_gbps)
{
    if (fabs(got - want_gbps * 1e9) > 1e-3)
        fail_msg("rate %.6f Gbit/s, want %.6f", got / 1e9, want_gbps);
}

static void fig14_rates_follow_each_class_through_its_own_edges(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = load_pgraph("fig14.json");
    double r[11];
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    /* Outbound classes 0 (2G via the proxy) and 1 (4G) reach the NAT and go on to f only
     * (n->f is restricted to them); inbound class 6 (6G) leaves n by n->p and n->int. */
    assert_rate(r[0], 2);
    assert_rate(r[2], 1 + 0.5);           /* p->n: half of class 0, half of class 6 at p */
    assert_rate(r[3], 1 + 4);             /* n->f: classes 0 and 1 */
    assert_rate(r[4], (1 + 4 + 6) / 3.0); /* f splits each class three ways */
    assert_rate(r[5], (1 + 4 + 6) / 3.0);
    assert_rate(r[7], (1 + 4 + 6) / 3.0);
    assert_rate(r[8], 1); /* n->p: class 6 only, half of its 2G at n */
    assert_rate(r[9], 1);
    assert_rate(r[10], 1 + 0.5);
    e2_plan_pgraph_free(pg);
}

static void annotated_sibling_takes_its_share_first(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = load_pgraph("chain5.json");
    double r[7];
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_rate(r[0], 3);
    assert_rate(r[3], 3);   /* ids -> fw */
    assert_rate(r[6], 0.3); /* fw -> Drop, annotated */
    assert_rate(r[4], 2.7); /* fw -> vpn gets the rest */
    assert_rate(r[5], 2.7);
    e2_plan_pgraph_free(pg);
}

static void annotation_rescales_what_flows_downstream(void **state)
{
    (void)state;
    char a[512], b[512];
    nf_json(a, sizeof(a), "TA", "1 Gbit/s", T5, 0, "[]");
    nf_json(b, sizeof(b), "TB", "1 Gbit/s", T5, 0, "[]");
    char text[2048];
    snprintf(text, sizeof(text),
             "{\"format\":\"e2-pgraph/1\",\"nodes\":[{\"name\":\"in\",\"kind\":\"port\","
             "\"switch_ports\":[0]},{\"name\":\"A\",\"kind\":\"nf\",\"nf_type\":\"TA\",\"nf\":%s},"
             "{\"name\":\"B\",\"kind\":\"nf\",\"nf_type\":\"TB\",\"nf\":%s},{\"name\":\"t\","
             "\"kind\":\"tee\"},{\"name\":\"D\",\"kind\":\"drop\"}],\"edges\":["
             "{\"id\":0,\"src\":\"in\",\"dst\":\"A\",\"filter\":\"\",\"root\":true},"
             "{\"id\":1,\"src\":\"A\",\"dst\":\"B\",\"filter\":\"\",\"bw_bps\":4000000000,\"root\":"
             "false},"
             "{\"id\":2,\"src\":\"B\",\"dst\":\"t\",\"filter\":\"\",\"root\":false},"
             "{\"id\":3,\"src\":\"t\",\"dst\":\"in\",\"filter\":\"\",\"root\":false},"
             "{\"id\":4,\"src\":\"t\",\"dst\":\"D\",\"filter\":\"tcp\",\"root\":false}]}",
             a, b);
    struct e2_plan_pgraph *pg = pgraph_ok(text);
    double r[5];
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_rate(r[0], 1); /* the default ingress rate */
    assert_rate(r[1], 4);
    assert_rate(r[2], 4); /* downstream of the annotation, not of the 1G root */
    assert_rate(r[3], 4); /* a Tee copies to each out-edge */
    assert_rate(r[4], 4);
    e2_plan_pgraph_free(pg);
}

static struct e2_nf_size size_of(const char *a_desc, long long rate_bps, struct e2_hw *hw,
                                 int want_rc, struct e2_err *err)
{
    char b[512];
    struct e2_plan_pgraph *pg =
        fig4_pgraph(a_desc, nf_json(b, sizeof(b), "TB", "100 Gbit/s", T5, 0, "[]"), rate_bps);
    double r[3];
    struct e2_nf_size s[4];
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_int_equal(e2_plan_size(pg, r, hw, s, err), want_rc);
    assert_int_equal(s[0].instances, 0); /* ports */
    e2_plan_pgraph_free(pg);
    return s[1];
}

static void instances_are_load_over_capacity_rounded_up(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(2, 8); /* 2.5 GHz */
    char a[512];
    nf_json(a, sizeof(a), "TA", "1 Gbit/s", T5, 0, "[]");
    struct e2_nf_size s = size_of(a, 10000000000, hw, 0, NULL);
    assert_true(fabs(s.capacity_bps - 2.5e9) < 1);
    assert_true(fabs(s.load_bps - 10e9) < 1);
    assert_int_equal(s.instances, 4);
    assert_int_equal(size_of(a, 7500000000, hw, 0, NULL).instances, 3); /* exactly 3 cores' worth */
    assert_int_equal(size_of(a, 7501000000, hw, 0, NULL).instances, 4); /* 1 Mbit/s over */
    assert_int_equal(size_of(a, 1, hw, 0, NULL).instances, 1);
    e2_hw_free(hw);
}

static void min_max_and_unknown_throughput_bound_the_count(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(2, 8);
    const char *min5 = "{\"nf_type\":\"TA\",\"api\":\"native\",\"scaling\":{\"across_cores\":true,"
                       "\"min_number_of_instances\":5},\"performance\":"
                       "{\"throughput_per_core_per_ghz\":\"1 Gbit/s\"}}";
    assert_int_equal(size_of(min5, 1000000000, hw, 0, NULL).instances, 5);
    const char *unknown =
        "{\"nf_type\":\"TA\",\"api\":\"native\",\"scaling\":{\"across_cores\":true,"
        "\"min_number_of_instances\":2}}";
    assert_int_equal(size_of(unknown, 90000000000, hw, 0, NULL).instances, 2);
    const char *max2 = "{\"nf_type\":\"TA\",\"api\":\"native\",\"scaling\":{\"across_cores\":true,"
                       "\"max_number_of_instances\":2},\"performance\":"
                       "{\"throughput_per_core_per_ghz\":\"1 Gbit/s\"}}";
    struct e2_err err = {0};
    size_of(max2, 10000000000, hw, -ERANGE, &err);
    assert_string_equal(err.msg, "NF 'A' (TA) needs 4 instances for 10 Gbit/s at 2.5 Gbit/s each "
                                 "(1 Gbit/s per core-GHz on 2.5 GHz cores), but its description "
                                 "allows at most 2");
    e2_hw_free(hw);
}

static void slowest_clock_sizes_every_nf(void **state)
{
    (void)state;
    struct e2_hw *hw = hw_from_yaml(
        "servers:\n"
        "  - {name: fast, cores: 8, ghz: 3.0, nic: 10G, dataplane_cores: 1, switch_port: 16}\n"
        "  - {name: slow, cores: 8, ghz: 2.0, nic: 10G, dataplane_cores: 1, switch_port: 17}\n"
        "switch: {ports: 24, external_ports: [0-15], flow_table_size: 64, "
        "rule_update_latency: 1ms, actions: [forward]}\n");
    assert_true(e2_hw_min_ghz(hw) == 2.0);
    char a[512];
    nf_json(a, sizeof(a), "TA", "1 Gbit/s", T5, 0, "[]");
    assert_int_equal(size_of(a, 6000000000, hw, 0, NULL).instances, 3); /* 2 Gbit/s each, not 3 */
    e2_hw_free(hw);
}

/* A -> B at @rate_bps: A 2.5 Gbit/s per instance on 2.5 GHz cores; B capped at half a link. */
static void size_chain(struct e2_hw *hw, const char *b_desc, long long rate_bps,
                       struct e2_nf_size *s)
{
    char a[512], b[512];
    nf_json(a, sizeof(a), "TA", "1 Gbit/s", T5, 1, "[]");
    struct e2_plan_pgraph *pg = fig4_pgraph(
        a, b_desc ? b_desc : nf_json(b, sizeof(b), "TB", "100 Gbit/s", T5, 1, "[]"), rate_bps);
    double r[3];
    assert_int_equal(e2_rates_compute(pg, 1e9, r, NULL), 0);
    assert_int_equal(e2_plan_size(pg, r, hw, s, NULL), 0);
    e2_plan_pgraph_free(pg);
}

static void counts_round_up_to_slices_when_the_policy_needs_servers(void **state)
{
    (void)state;
    struct e2_hw *hw = rack(4, 8); /* 7 NF cores and 10 Gbit/s each */
    struct e2_nf_size s[4];
    /* 25 Gbit/s: A needs 10, B 5 — 3 servers' NICs; 3 slices of 4 + 2 cores fit one server. */
    size_chain(hw, NULL, 25000000000, s);
    assert_int_equal(s[1].instances, 12);
    assert_int_equal(s[2].instances, 6);
    assert_int_equal(s[1].slices, 3);
    assert_int_equal(s[2].slices, 3);
    /* 7.5 Gbit/s: one server carries it all, nothing is rounded. */
    size_chain(hw, NULL, 7500000000, s);
    assert_int_equal(s[1].instances, 3);
    assert_int_equal(s[2].instances, 2);
    assert_int_equal(s[1].slices, 1);
    /* An NF that runs one instance per server is never sliced. */
    const char *solo = "{\"nf_type\":\"TB\",\"api\":\"native\",\"scaling\":{\"across_cores\":"
                       "false,\"across_servers\":true},\"performance\":"
                       "{\"throughput_per_core_per_ghz\":\"100 Gbit/s\"}}";
    size_chain(hw, solo, 25000000000, s);
    assert_int_equal(s[1].instances, 10);
    assert_int_equal(s[2].instances, 5);
    assert_int_equal(s[1].slices, 1);
    e2_hw_free(hw);
    /* 5 NF cores per server: a slice of 4 + 2 fits none of the 3 servers, so no slices. */
    hw = rack(3, 6);
    size_chain(hw, NULL, 25000000000, s);
    assert_int_equal(s[1].instances, 10);
    assert_int_equal(s[1].slices, 1);
    e2_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fig14_rates_follow_each_class_through_its_own_edges),
        cmocka_unit_test(annotated_sibling_takes_its_share_first),
        cmocka_unit_test(annotation_rescales_what_flows_downstream),
        cmocka_unit_test(instances_are_load_over_capacity_rounded_up),
        cmocka_unit_test(min_max_and_unknown_throughput_bound_the_count),
        cmocka_unit_test(slowest_clock_sizes_every_nf),
        cmocka_unit_test(counts_round_up_to_slices_when_the_policy_needs_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
