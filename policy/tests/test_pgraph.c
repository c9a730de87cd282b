/*
 * The pGraph: merging pipelets, the paper's disambiguation by traffic class,
 * each kind of check error with its example packet, and the JSON and DOT the
 * planner and people read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "e2_pgraph.h"

static struct e2_pgraph *build_text(const char *text)
{
    struct e2_policy *p = NULL;
    struct e2_pgraph *g = NULL;
    struct e2_err err = {0};
    if (e2_policy_parse(text, strlen(text), "t.e2", &p, &err) || e2_pgraph_build(p, &cat, &g, &err))
        fail_msg("%s", err.msg);
    e2_policy_free(p);
    return g;
}

static struct e2_pgraph *build_file(const char *path)
{
    struct e2_policy *p = NULL;
    struct e2_pgraph *g = NULL;
    struct e2_err err = {0};
    if (e2_policy_load(path, &p, &err) || e2_pgraph_build(p, &cat, &g, &err))
        fail_msg("%s", err.msg);
    e2_policy_free(p);
    return g;
}

/* Check @g; returns the diagnostics joined by newlines ("" when valid). */
static char *check(struct e2_pgraph *g)
{
    struct e2_diags d = {0};
    int rc = e2_pgraph_check(g, &d);
    assert_true(rc == 0 || rc == -EINVAL);
    assert_int_equal(rc == 0, d.n == 0);
    static char all[8192];
    all[0] = '\0';
    for (size_t i = 0; i < d.n; i++) {
        strncat(all, d.msgs[i], sizeof(all) - strlen(all) - 2);
        strcat(all, "\n");
    }
    e2_diags_free(&d);
    return all;
}

static void figure_14_needs_the_papers_remedy_at_the_nat(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_file(E2_EXAMPLES "/fig14.e2");
    assert_string_equal(check(g), "");
    assert_int_equal(g->n_edges, 12);
    assert_int_equal(e2_pgraph_restricted(g), 4);
    /* n -> f (outbound) may only take traffic that entered at int (edges 0, 1) ... */
    const struct e2_pedge *nf = &g->edges[3];
    assert_string_equal(g->nodes[nf->src].name, "n");
    assert_string_equal(g->nodes[nf->dst].name, "f");
    assert_true(nf->restricted);
    assert_int_equal(nf->n_cls, 2);
    assert_int_equal(nf->cls[0], 0);
    assert_int_equal(nf->cls[1], 1);
    /* ... and the inbound edges out of n only what entered at ext (edge 6). */
    for (unsigned e = 8; e <= 10; e++) {
        assert_true(g->edges[e].restricted);
        assert_int_equal(g->edges[e].n_cls, 1);
        assert_int_equal(g->edges[e].cls[0], 6);
    }
    assert_false(g->edges[4].restricted);    /* f's edges were disjoint already */
    assert_true(g->edges[4].src_ports == 1); /* FW.safe leaves on "safe" */
    assert_true(g->edges[5].src_ports == 2); /* !FW.safe on "unsafe" */
    e2_pgraph_free(g);
}

static void figure_16_resolves_placeholders_to_vports(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_file(E2_EXAMPLES "/fig16.e2");
    assert_string_equal(check(g), "");
    assert_non_null(g->edges[0].placeholder);
    assert_string_equal(g->edges[0].placeholder->name, "prio0");
    assert_int_equal(g->edges[0].dst_input, 0);
    assert_int_equal(g->edges[1].dst_input, 1);
    assert_int_equal(g->edges[1].bw_bps, 500000000ull);
    e2_pgraph_free(g);
}

static void identical_edges_of_two_pipelets_merge(void **state)
{
    (void)state;
    struct e2_pgraph *g =
        build_text("NAT n; Port<0> a; Port<1> b;\n"
                   "pipelet { a [tcp] -> (1G) n; n -> (1G) b; }\n"
                   "pipelet { a [udp] -> (2G) n; a [!(tcp or udp)] -> Drop; n -> (2G) b; }");
    assert_string_equal(check(g), "");
    assert_int_equal(g->n_edges, 4);
    assert_int_equal(g->edges[1].bw_bps, 3000000000ull); /* n -> b, once, both rates */
    assert_int_equal(g->edges[1].n_pipelets, 2);
    assert_int_equal(g->edges[0].n_pipelets, 1); /* a [tcp] -> n and a [udp] -> n stay apart */
    assert_int_equal(g->edges[2].dst, g->edges[0].dst);
    e2_pgraph_free(g);
}

static void parallel_edges_keep_their_own_traffic_class(void **state)
{
    (void)state;
    /* At n, pipelet 1 sends port 80 on and drops the rest; pipelet 2 sends tcp on
     * and drops the rest. Only per-pipelet classes on each edge make this exact. */
    struct e2_pgraph *g =
        build_text("NAT n; Port<0> a; Port<1> b; Port<2> c;\n"
                   "pipelet { a -> n; n [dst port 80] -> c; n [not dst port 80] -> Drop; }\n"
                   "pipelet { b -> n; n [tcp] -> c; n [not tcp] -> Drop; }");
    assert_string_equal(check(g), "");
    assert_int_equal(e2_pgraph_restricted(g), 4);
    e2_pgraph_free(g);
}

static void overlap_at_a_port_is_reported_with_a_packet(void **state)
{
    (void)state;
    struct e2_pgraph *g =
        build_text("NAT n; FW f; Port<0-7> a;\n"
                   "pipelet { a [tcp] -> n; a [port 80] -> f; a [not tcp and not port 80] -> Drop;"
                   " n -> Drop; f -> Drop; }");
    assert_string_equal(
        check(g), "t.e2: error: node 'a': edge 0 (a -> n, line 2) and edge 1 (a -> f, line 2) "
                  "both take packets such as: IPv4 10.0.0.1:1024 > 10.0.0.2:80 tcp [S] (they "
                  "leave a Port, where packets have no traffic class yet: make their filters "
                  "disjoint)\n");
    e2_pgraph_free(g);
}

static void overlap_within_one_pipelet_cannot_be_remedied(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_text("NAT n; FW f; Port<0> a;\n"
                                     "pipelet { a -> n; n [udp] -> f; n [port 53] -> Drop; n [not "
                                     "udp and not port 53] -> Drop; f -> a; }");
    assert_string_equal(
        check(g), "t.e2: error: node 'n': edge 1 (n -> f, line 2) and edge 2 (n -> Drop, line 2) "
                  "both take packets such as: IPv4 10.0.0.1:1024 > 10.0.0.2:53 udp, entered by "
                  "edge 0 (a -> n, line 2, pipelet unnamed) (restricting them to their "
                  "pipelets' traffic classes does not separate them)\n");
    e2_pgraph_free(g);
}

static void missing_destination_is_reported_with_a_packet(void **state)
{
    (void)state;
    struct e2_pgraph *g =
        build_text("FW f; Port<0> a; Port<1> b;\n"
                   "pipelet { a -> f; f [FW.safe and tcp] -> b; f [not FW.safe] -> Drop; }");
    assert_string_equal(check(g),
                        "t.e2: error: node 'f': packets such as IPv4 10.0.0.1:1024 > "
                        "10.0.0.2:53 udp, FW.safe=true, entered by edge 0 (a -> f, line "
                        "2, pipelet unnamed) have no destination (no out-edge takes them; "
                        "add an edge, e.g. to Drop)\n");
    e2_pgraph_free(g);
}

static void nf_without_out_edges_is_reported(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_text("NAT n; Port<0> a;\npipelet { a -> n; }");
    assert_string_equal(check(g), "t.e2: error: node 'n' receives traffic but has no out-edge (add "
                                  "'n -> Drop;' if it should discard)\n");
    e2_pgraph_free(g);
}

static void a_policy_without_ingress_is_an_error(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_text("NAT n; FW f;\npipelet { n -> f; f -> Drop; }");
    assert_string_equal(check(g), "t.e2: error: no edge leaves a Port, so no traffic enters the "
                                  "policy (pipelets start at a Port, e.g. 'int -> n;')\n");
    e2_pgraph_free(g);
}

static void attribute_values_are_exact(void **state)
{
    (void)state;
    /* verdict is one of 0..3: these four edges cover everything, and nothing twice. */
    struct e2_pgraph *g = build_text("IDS i; Port<0> a; Port<1> b;\npipelet { a -> i;"
                                     " i [IDS.verdict == 0] -> b; i [IDS.verdict == 1] -> b;"
                                     " i [IDS.verdict >= 2] -> Drop; }");
    assert_string_equal(check(g), "");
    e2_pgraph_free(g);
    g = build_text("IDS i; Port<0> a; Port<1> b;\npipelet { a -> i;"
                   " i [IDS.verdict < 2] -> b; i [IDS.verdict == 3] -> Drop; }");
    assert_non_null(strstr(check(g), "IDS.verdict=2"));
    e2_pgraph_free(g);
}

static void open_string_domains_are_each_constant_or_anything_else(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_text("Monitor m; Port<0> a; Port<1> b;\npipelet { a -> m;"
                                     " m [Monitor.url == \"x.com/a\"] -> Drop;"
                                     " m [Monitor.url == \"x.com/b\"] -> b; }");
    assert_non_null(strstr(check(g), "Monitor.url set to a value the policy does not name"));
    e2_pgraph_free(g);
}

static void tee_copies_so_its_edges_may_overlap(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_text("Tee t; IDS i; Port<0> a; Port<1> b;\n"
                                     "pipelet { a -> t; t -> b; t [tcp] -> i; i -> Drop; }");
    assert_string_equal(check(g), "");
    e2_pgraph_free(g);
}

static void undecidable_filters_are_errors_not_guesses(void **state)
{
    (void)state;
    struct e2_pgraph *g =
        build_text("Port<0> a; Port<1> b;\npipelet { a [ether[ip[2:2] + ip[4:2]] = 1] -> b;"
                   " a [not ether[ip[2:2] + ip[4:2]] = 1] -> Drop; }");
    assert_non_null(
        strstr(check(g), "t.e2:2:11: error: the filter of this edge cannot be decided exactly"));
    e2_pgraph_free(g);
}

static void json_is_self_contained_for_the_planner(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_file(E2_EXAMPLES "/fig14.e2");
    assert_string_equal(check(g), "");
    json_t *j = e2_pgraph_to_json(g);
    assert_string_equal(json_string_value(json_object_get(j, "format")), "e2-pgraph/1");
    json_t *nodes = json_object_get(j, "nodes"), *edges = json_object_get(j, "edges");
    assert_int_equal(json_array_size(nodes), 6);
    json_t *nat = json_array_get(nodes, 1);
    assert_string_equal(json_string_value(json_object_get(nat, "nf_type")), "NAT");
    struct e2_nf_desc *d = NULL;
    struct e2_err err = {0};
    if (e2_nf_desc_from_json(json_object_get(nat, "nf"), "pgraph", &d, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(d->max_instances, 32);
    e2_nf_desc_free(d);
    json_t *e3 = json_array_get(edges, 3), *e4 = json_array_get(edges, 4);
    assert_string_equal(json_string_value(json_object_get(e3, "filter")), "");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(e3, "class"), 1)), 1);
    assert_string_equal(json_string_value(json_object_get(e4, "filter")),
                        "FW.safe and not ip dst net 131.114.88.92/30");
    assert_string_equal(json_string_value(json_array_get(json_object_get(e4, "src_ports"), 0)),
                        "safe");
    assert_true(json_is_null(json_object_get(e4, "class")));
    assert_true(json_is_null(json_object_get(e4, "bw_bps")));
    json_t *ports = json_object_get(json_array_get(nodes, 3), "switch_ports");
    assert_int_equal(json_array_size(ports), 8);
    json_decref(j);
    char *dot = e2_pgraph_to_dot(g);
    assert_non_null(strstr(dot, "\"n\" -> \"f\" [label=\"e3: * {class e0, e1}\", style=dashed];"));
    free(dot);
    e2_pgraph_free(g);
}

/* IPv4/TCP 10.0.0.1:1024 -> @dst:@dport. */
static uint32_t tcp_frame(uint8_t *b, const uint8_t dst[4], unsigned dport)
{
    static const uint8_t head[] = {2, 0, 0,  0, 0, 2,    2, 0,  0, 0, 0, 1,  8, 0, 0x45,
                                   0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1};
    memset(b, 0, 54);
    memcpy(b, head, sizeof(head));
    memcpy(b + 30, dst, 4);
    b[34] = 4;
    b[36] = (uint8_t)(dport >> 8);
    b[37] = (uint8_t)dport;
    b[46] = 0x50;
    return 54;
}

static void the_dataplane_follows_a_packet_by_its_class(void **state)
{
    (void)state;
    struct e2_pgraph *g = build_file(E2_EXAMPLES "/fig14.e2");
    assert_string_equal(check(g), "");
    uint8_t b[64];
    /* An outbound web packet enters at port 3 (int) and takes root edge 0 (int -> p). */
    uint32_t n = tcp_frame(b, (const uint8_t[]){93, 184, 216, 34}, 80);
    assert_int_equal(e2_pgraph_ingress(g, 3, b, n, n), 0);
    assert_int_equal(e2_pgraph_ingress(g, 20, b, n, n), -1); /* not a port of the policy */
    /* Leaving the NAT with class 0 it takes n -> f, and none of the inbound edges. */
    assert_true(e2_pgraph_edge_takes(g, 3, b, n, n, NULL, 0));
    assert_false(e2_pgraph_edge_takes(g, 10, b, n, n, NULL, 0));
    /* The same bytes tagged with the inbound class (6) go the inbound way: to Drop. */
    assert_false(e2_pgraph_edge_takes(g, 3, b, n, n, NULL, 6));
    assert_true(e2_pgraph_edge_takes(g, 10, b, n, n, NULL, 6));
    e2_pgraph_free(g);
}

static void metadata_placeholders_become_tags(void **state)
{
    (void)state;
    struct e2_pgraph *g =
        build_text("Shaper s; Port<0> a; Port<1> b;\npipelet {"
                   " a [tos 0] -> [gold] s; a [not tos 0] -> [bronze] s; s -> b; }");
    assert_string_equal(check(g), "");
    json_t *j = e2_pgraph_to_json(g);
    json_t *in = json_object_get(json_array_get(json_object_get(j, "edges"), 1), "dst_input");
    assert_string_equal(json_string_value(json_object_get(in, "port")), "in");
    assert_string_equal(json_string_value(json_object_get(in, "placeholder")), "bronze");
    json_t *tag = json_object_get(in, "metadata");
    assert_string_equal(json_string_value(json_object_get(tag, "tag")), "class");
    assert_int_equal(json_integer_value(json_object_get(tag, "value")), 2);
    json_decref(j);
    e2_pgraph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figure_14_needs_the_papers_remedy_at_the_nat),
        cmocka_unit_test(figure_16_resolves_placeholders_to_vports),
        cmocka_unit_test(identical_edges_of_two_pipelets_merge),
        cmocka_unit_test(parallel_edges_keep_their_own_traffic_class),
        cmocka_unit_test(overlap_at_a_port_is_reported_with_a_packet),
        cmocka_unit_test(overlap_within_one_pipelet_cannot_be_remedied),
        cmocka_unit_test(missing_destination_is_reported_with_a_packet),
        cmocka_unit_test(nf_without_out_edges_is_reported),
        cmocka_unit_test(a_policy_without_ingress_is_an_error),
        cmocka_unit_test(attribute_values_are_exact),
        cmocka_unit_test(open_string_domains_are_each_constant_or_anything_else),
        cmocka_unit_test(tee_copies_so_its_edges_may_overlap),
        cmocka_unit_test(undecidable_filters_are_errors_not_guesses),
        cmocka_unit_test(json_is_self_contained_for_the_planner),
        cmocka_unit_test(the_dataplane_follows_a_packet_by_its_class),
        cmocka_unit_test(metadata_placeholders_become_tags),
    };
    return cmocka_run_group_tests(tests, catalog_setup, catalog_teardown);
}
