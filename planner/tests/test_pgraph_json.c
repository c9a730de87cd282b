/* The pGraph JSON loader: the fixtures load as written; bad input fails with its field path. */
#include "helpers.h"

static void fig14_fixture_loads_with_descriptions_and_classes(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = load_pgraph("fig14.json");
    assert_int_equal(pg->n_nodes, 6);
    assert_int_equal(pg->n_edges, 11);
    int f = e2_plan_pgraph_find(pg, "f");
    assert_true(f >= 0);
    assert_int_equal(pg->nodes[f].kind, E2_PNODE_NF);
    assert_string_equal(pg->nodes[f].nf->nf_type, "FW");
    assert_int_equal(pg->nodes[f].nf->throughput_bps_per_core_ghz, 3000000000ull);
    const struct e2_plan_node *in = &pg->nodes[e2_plan_pgraph_find(pg, "int")];
    assert_int_equal(in->n_switch_ports, 8);
    assert_int_equal(in->switch_ports[7], 7);
    const struct e2_plan_edge *n_f = &pg->edges[3];
    assert_int_equal(n_f->n_classes, 2);
    assert_true(e2_pedge_admits_class(n_f, 1));
    assert_false(e2_pedge_admits_class(n_f, 6));
    assert_true(e2_pedge_admits_class(&pg->edges[2], 6));
    assert_true(pg->edges[6].root && pg->edges[6].has_bw);
    assert_false(pg->edges[3].has_bw);
    assert_string_equal(pg->edges[4].src_ports[0], "safe");
    assert_null(pg->edges[4].dst_input);
    e2_plan_pgraph_free(pg);
}

static void refuse(const char *text, const char *want)
{
    struct e2_err err = {0};
    struct e2_plan_pgraph *pg = pgraph_from_text(text, &err);
    assert_null(pg);
    assert_int_equal(err.code, -EINVAL);
    if (!strstr(err.msg, want)) fail_msg("error \"%s\" lacks \"%s\"", err.msg, want);
}

#define HEAD                                                                                       \
    "{\"format\":\"e2-pgraph/1\",\"policy\":\"t\",\"nodes\":["                                     \
    "{\"name\":\"in\",\"kind\":\"port\",\"switch_ports\":[0]},{\"name\":\"D\",\"kind\":\"drop\"}"
#define EDGE(i, s, d, extra)                                                                       \
    "{\"id\":" #i ",\"src\":\"" s "\",\"dst\":\"" d "\",\"filter\":\"\",\"root\":" extra "}"

static void bad_input_names_the_field_that_is_wrong(void **state)
{
    (void)state;
    refuse("[]", "(top): expected a JSON object");
    refuse("{\"format\":\"e2-pgraph/2\"}", "format: expected \"e2-pgraph/1\", got \"e2-pgraph/2\"");
    refuse(HEAD "],\"edges\":[" EDGE(0, "in", "X", "true") "]}",
           "edges[0]: dst: no node named \"X\"");
    refuse(HEAD "],\"edges\":[" EDGE(3, "in", "D", "true") "]}", "edges[0]: \"id\" must equal");
    refuse(HEAD "],\"edges\":[" EDGE(0, "in", "D", "false") "]}",
           "\"root\" is false but the edge leaves");
    refuse(HEAD "],\"edges\":[" EDGE(0, "D", "in", "false") "]}", "cannot leave Drop");
    refuse(HEAD "],\"edges\":[" EDGE(0, "in", "in", "true") "]}", "to itself");
    refuse(HEAD ",{\"name\":\"in\",\"kind\":\"drop\"}],\"edges\":[]}", "\"in\" is declared twice");
    refuse(HEAD ",{\"name\":\"x\",\"kind\":\"box\"}],\"edges\":[]}",
           "nodes[2]: \"kind\" must be one of");
    refuse(HEAD ",{\"name\":\"p\",\"kind\":\"port\",\"switch_ports\":[-1]}],\"edges\":[]}",
           "nodes[2].switch_ports: item 0 is not an integer");
    refuse(HEAD "],\"edges\":[{\"id\":0,\"src\":\"in\",\"dst\":\"D\",\"filter\":\"\",\"root\":true,"
                "\"bw_bps\":-5}]}",
           "\"bw_bps\" must be null or a rate");
    refuse(HEAD "],\"edges\":[{\"id\":0,\"src\":\"in\",\"dst\":\"D\",\"filter\":\"\",\"root\":true,"
                "\"class\":[7]}]}",
           "edges[0].class: 7 is not the id of a root edge");
    refuse(HEAD ",{\"name\":\"f\",\"kind\":\"nf\",\"nf_type\":\"FW\",\"nf\":{\"nf_type\":\"FW\","
                "\"api\":\"native\",\"scaling\":{\"replicable\":true}}}],\"edges\":[]}",
           "nodes[2].nf");
    refuse(HEAD ",{\"name\":\"f\",\"kind\":\"nf\",\"nf_type\":\"FW\",\"nf\":{\"nf_type\":\"NAT\","
                "\"api\":\"native\"}}],\"edges\":[]}",
           "differs from its description's \"NAT\"");
    refuse(HEAD ",{\"name\":\"f\",\"kind\":\"nf\",\"nf_type\":\"FW\",\"nf\":{\"nf_type\":\"FW\","
                "\"api\":\"native\"}}],\"edges\":[{\"id\":0,\"src\":\"in\",\"dst\":\"f\","
                "\"filter\":\"\",\"root\":true,\"dst_input\":{\"port\":\"vp9\"}}]}",
           "dst_input: \"vp9\" is not an input of FW");
}

static void missing_file_is_enoent(void **state)
{
    (void)state;
    struct e2_plan_pgraph *pg = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_plan_pgraph_load("/nonexistent/pg.json", &pg, &err), -ENOENT);
    assert_null(pg);
    assert_non_null(strstr(err.msg, "/nonexistent/pg.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fig14_fixture_loads_with_descriptions_and_classes),
        cmocka_unit_test(bad_input_names_the_field_that_is_wrong),
        cmocka_unit_test(missing_file_is_enoent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
