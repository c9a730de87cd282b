/*
 * The deployment plan: the Fig. 14 plan's JSON says what runs where and
 * validates; the validator rejects plans that break their own promises;
 * switch rules are counted exactly; offload candidates are the NFs next to
 * a port that the switch can run within its table.
 */
#include "helpers.h"

#include "e2_plan.h"

static struct e2_plan *fig14_plan(struct e2_plan_pgraph **pg, struct e2_hw **hw, const char *hw_name)
{
    *pg = load_pgraph("fig14.json");
    *hw = load_hw(hw_name);
    struct e2_plan *p = NULL;
    struct e2_err err = {0};
    if (e2_plan_build(*pg, *hw, NULL, &p, &err)) fail_msg("%s", err.msg);
    return p;
}

static json_t *find_edge(json_t *server, const char *src, const char *dst)
{
    json_t *edges = json_object_get(server, "edges"), *e;
    size_t i;
    json_array_foreach(edges, i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "src")), src) &&
            !strcmp(json_string_value(json_object_get(e, "dst")), dst))
            return e;
    }
    return NULL;
}

static void fig14_plan_json_says_what_runs_where_and_validates(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg;
    struct e2_hw *hw;
    struct e2_plan *p = fig14_plan(&pg, &hw, "hw-small.yaml");
    json_t *j = e2_plan_to_json(p);
    struct e2_err err = {0};
    if (e2_plan_json_validate(j, &err)) fail_msg("%s", err.msg);
    json_t *sum = json_object_get(j, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "instances")), 9);
    assert_int_equal(json_integer_value(json_object_get(sum, "servers_used")), 1);
    assert_true(json_real_value(json_object_get(sum, "cross_server_bps")) == 0);
    /* Everything fits on s3, the 14-core 40 Gbit/s server: no traffic between servers. */
    json_t *s3 = json_array_get(json_object_get(j, "servers"), 2);
    assert_string_equal(json_string_value(json_object_get(s3, "name")), "s3");
    assert_int_equal(json_integer_value(json_object_get(s3, "cores_used")), 9);
    json_t *p0 = json_array_get(json_object_get(s3, "instances"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "id")), "p#0");
    assert_int_equal(json_integer_value(json_object_get(p0, "core")), 2); /* after 2 for E2D */
    json_t *in = find_edge(s3, "int", "p#1");
    assert_non_null(in);
    assert_string_equal(json_string_value(json_object_get(in, "distribution")), "switch");
    assert_string_equal(json_string_value(json_object_get(in, "filter")), "dst port 80");
    json_t *nf = find_edge(s3, "n#0", "f#1"); /* NAT rewrites: f hashes again */
    assert_string_equal(json_string_value(json_object_get(nf, "distribution")), "hash");
    assert_string_equal(json_string_value(json_object_get(nf, "path")), "local");
    /* 16 external ports tagged with their port node; p's four ranges merge on s3 into one
     * match, as do n's and f's: 3 ingress rules; one egress rule per port node. */
    json_t *sw = json_object_get(j, "switch");
    assert_int_equal(json_integer_value(json_object_get(sw, "rules_used")), 16 + 3 + 2);
    json_decref(j);
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void refuse(json_t *plan, const char *want)
{
    struct e2_err err = {0};
    assert_int_equal(e2_plan_json_validate(plan, &err), -EINVAL);
    if (!strstr(err.msg, want)) fail_msg("error \"%s\" lacks \"%s\"", err.msg, want);
    json_decref(plan);
}

static void validator_rejects_plans_that_break_their_promises(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg;
    struct e2_hw *hw;
    struct e2_plan *p = fig14_plan(&pg, &hw, "hw-small.yaml");
    json_t *good = e2_plan_to_json(p), *j, *inst;
#define S3_INST(x) json_object_get(json_array_get(json_object_get((x), "servers"), 2), "instances")
    j = json_deep_copy(good);
    json_array_remove(S3_INST(j), 0);
    refuse(j, "servers[2]: cores_used is 9 but 8 instances run there");
    j = json_deep_copy(good);
    json_array_remove(S3_INST(j), 0);
    json_object_set_new(json_array_get(json_object_get(j, "servers"), 2), "cores_used",
                        json_integer(8));
    refuse(j, "nfs[0]: instance 0 is on no server");
    j = json_deep_copy(good);
    inst = S3_INST(j);
    json_t *s0 = json_array_get(json_object_get(j, "servers"), 0);
    json_array_append(json_object_get(s0, "instances"), json_array_get(inst, 1));
    json_object_set_new(s0, "cores_used", json_integer(1));
    refuse(j, "servers[2].instances[1]: instance \"p#1\" is placed twice");
    j = json_deep_copy(good);
    json_object_set_new(json_array_get(S3_INST(j), 3), "core", json_integer(1));
    refuse(j, "servers[2].instances[3]: core 1 is not an NF core (2..15)");
    j = json_deep_copy(good);
    json_object_set_new(json_array_get(json_object_get(j, "servers"), 2), "nic_in_bps",
                        json_real(41e9));
    refuse(j, "servers[2]: NIC carries");
    j = json_deep_copy(good);
    json_object_set_new(json_array_get(S3_INST(j), 0), "flow_range", json_pack("[ii]", 0, 100));
    refuse(j, "nfs[0]: instance ranges leave a gap or overlap at 100");
    j = json_deep_copy(good);
    json_array_remove(json_object_get(json_object_get(j, "switch"), "rules"), 0);
    refuse(j, "switch: rules_used 21, summary says 21, 20 rules listed");
    j = json_deep_copy(good);
    json_object_set_new(json_object_get(j, "switch"), "flow_table_size", json_integer(10));
    refuse(j, "21 rules exceed the flow table of 10");
    j = json_deep_copy(good);
    json_object_set_new(j, "format", json_string("e2-plan/0"));
    refuse(j, "format: expected \"e2-plan/1\"");
    json_decref(good);
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void ingress_rules_merge_ranges_that_share_a_server(void **state)
{
    (void)state;
    char a[512], b[512];
    struct e2_plan_pgraph *pg =
        fig4_pgraph(nf_json(a, sizeof(a), "TA", "10G", T5, 0, "[]"),
                    nf_json(b, sizeof(b), "TB", "10G", "[\"src_ip\"]", 0, "[]"), 1000000000LL);
    struct e2_hw *hw = rack(3, 8);
    double r[3] = {1e9, 1e9, 1e9};
    struct e2_nf_size s[4] = {
        {.instances = 0}, {.instances = 4}, {.instances = 1}, {.instances = 0}};
    struct e2_igraph *ig = NULL;
    assert_int_equal(e2_igraph_build(pg, r, s, 16, &ig, NULL), 0);
    struct e2_place_opts o = {0, true};
    struct e2_placement *pl = NULL;
    assert_int_equal(e2_placement_new(ig, hw, &o, &pl, NULL), 0);
    /* A#0, A#1 on s0 (one half-space prefix), A#2 on s1, A#3 on s2 (a quarter each); B on s0. */
    const unsigned where[] = {0, 0, 1, 2};
    for (unsigned i = 0; i < 4; i++) e2_placement_set(pl, ig, ig->members[1].v[i], where[i]);
    e2_placement_set(pl, ig, ig->members[2].v[0], 0);
    struct e2_switch_rule *rules = NULL;
    long n = e2_switch_rules(ig, pl->server, hw, &rules);
    /* Port "in"'s 2 switch ports tagged; 3 prefixes; s0 receives from s1 and s2; "out" gets B's. */
    assert_int_equal(n, 2 + 3 + 1 + 1);
    assert_int_equal(rules[0].kind, E2_RULE_PORT_GROUP);
    assert_int_equal(rules[1].in_port, 1);
    assert_int_equal(rules[2].kind, E2_RULE_INGRESS);
    assert_int_equal(rules[2].flow.mask, 0x8000);
    assert_int_equal(rules[2].server, 0);
    assert_int_equal(rules[4].flow.value, 0xc000);
    assert_int_equal(rules[4].flow.mask, 0xc000);
    assert_int_equal(rules[4].server, 2);
    assert_int_equal(rules[5].kind, E2_RULE_TO_SERVER);
    assert_int_equal(rules[5].server, 0);
    assert_int_equal(rules[6].kind, E2_RULE_EGRESS);
    free(rules);
    e2_placement_free(pl);
    e2_igraph_free(ig);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static void offload_candidates_are_switchable_nfs_next_to_a_port(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg;
    struct e2_hw *hw;
    struct e2_plan *p = fig14_plan(&pg, &hw, "hw-small.yaml");
    /* FW (forward, drop) is fed by ext; NAT and Proxy list no switch actions. */
    assert_int_equal(p->n_offload, 1);
    assert_string_equal(pg->nodes[p->offload[0].pnode].name, "f");
    assert_int_equal(p->offload[0].actions, E2_SW_FORWARD | E2_SW_DROP);
    /* Arrives on ext's 8 ports and from s3 (the NAT); 3 out-edges each. */
    assert_int_equal(p->offload[0].rules_needed, 27);
    assert_int_equal(p->offload[0].frees_cores, 3);
    struct e2_offload *c = NULL;
    assert_int_equal(e2_offload_candidates(p->ig, p->pl->server, hw, 2048 - 26, &c),
                     0); /* 27 > 26 */
    hw->sw.actions &= ~(uint32_t)E2_SW_DROP;
    assert_int_equal(e2_offload_candidates(p->ig, p->pl->server, hw, 0, &c), 0);
    free(c);
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fig14_plan_json_says_what_runs_where_and_validates),
        cmocka_unit_test(validator_rejects_plans_that_break_their_promises),
        cmocka_unit_test(ingress_rules_merge_ranges_that_share_a_server),
        cmocka_unit_test(offload_candidates_are_switchable_nfs_next_to_a_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
