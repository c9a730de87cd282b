/* NF and hardware descriptions: loading, defaults, JSON round trip, and errors
 * that name the file, line:col, field path and offending value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2_desc.h"

static struct e2_nf_desc *nf_ok(const char *yaml)
{
    struct e2_nf_desc *d = NULL;
    struct e2_err err = {0};
    int rc = e2_nf_desc_parse(yaml, strlen(yaml), "t.yaml", &d, &err);
    if (rc) fail_msg("unexpected error: %s", err.msg);
    return d;
}

static void nf_err(const char *yaml, const char *want)
{
    struct e2_nf_desc *d = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_nf_desc_parse(yaml, strlen(yaml), "t.yaml", &d, &err), -EINVAL);
    assert_null(d);
    if (!strstr(err.msg, want)) fail_msg("error \"%s\" lacks \"%s\"", err.msg, want);
}

static void examples_catalog_loads_every_nf(void **state)
{
    (void)state;
    struct e2_nf_catalog cat;
    struct e2_err err = {0};
    int rc = e2_nf_catalog_load_dir(E2_EXAMPLES "/nf", &cat, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_int_equal(cat.n, 9);
    const struct e2_nf_desc *fw = e2_nf_catalog_find(&cat, "FW");
    assert_non_null(fw);
    const struct e2_nf_attr *safe = e2_nf_desc_attr(fw, "safe");
    assert_non_null(safe);
    assert_int_equal(safe->method, E2_ATTR_PORT);
    assert_int_equal(safe->n_values, 2);
    assert_string_equal(fw->outputs[safe->values[0].port], safe->values[0].num ? "safe" : "unsafe");
    assert_int_equal(fw->affinity, E2_FIELDS_5TUPLE);
    assert_string_equal(e2_field_name(E2_FIELD_DST_PORT), "dst_port");
    assert_null(e2_field_name(E2_FIELD_DST_PORT | E2_FIELD_SRC_PORT));
    assert_string_equal(e2_switch_action_name(fw->offload_actions & E2_SW_DROP), "drop");
    assert_true(fw->affinity_symmetric);
    assert_int_equal(fw->throughput_bps_per_core_ghz, 3000000000ull);
    assert_int_equal(fw->flow_idle_timeout_ms, 120 * 3600 * 1000);
    assert_string_equal(fw->instantiate.command, "e2nf-fw");
    assert_string_equal(fw->instantiate.args[0], "-c");
    const struct e2_nf_desc *rl = e2_nf_catalog_find(&cat, "RateLimiter");
    const struct e2_nf_placeholder *p1 = e2_nf_desc_placeholder(rl, "prio1");
    assert_int_equal(p1->method, E2_ATTR_PORT);
    assert_string_equal(rl->inputs[p1->port], "vp1");
    const struct e2_nf_desc *nat = e2_nf_catalog_find(&cat, "NAT");
    assert_true(nat->rewrites & E2_FIELD_SRC_IP);
    assert_int_equal(nat->max_instances, 32);
    assert_null(e2_nf_catalog_find(&cat, "Cache"));
    e2_nf_catalog_free(&cat);
}

static void minimal_nf_gets_one_port_each_way_and_one_instance(void **state)
{
    (void)state;
    struct e2_nf_desc *d = nf_ok("nf_type: Mon\napi: legacy\n");
    assert_int_equal(d->n_inputs, 1);
    assert_string_equal(d->inputs[0], "in");
    assert_string_equal(d->outputs[0], "out");
    assert_int_equal(d->min_instances, 1);
    assert_int_equal(d->max_instances, 1);
    assert_false(d->across_cores);
    assert_int_equal(d->affinity, 0);
    e2_nf_desc_free(d);
}

static void replicable_nf_defaults_to_many_instances(void **state)
{
    (void)state;
    struct e2_nf_desc *d = nf_ok("nf_type: X\napi: native\nscaling: {across_cores: true}\n");
    assert_int_equal(d->max_instances, 65535);
    e2_nf_desc_free(d);
}

static void int_attribute_takes_range_or_values(void **state)
{
    (void)state;
    struct e2_nf_desc *d = nf_ok("nf_type: X\napi: native\nattributes:\n"
                                 "  score: {type: int, method: metadata, range: [-5, 100]}\n"
                                 "  level: {type: int, method: metadata, values: [1, 2, 4]}\n"
                                 "  url: {type: string, method: metadata}\n");
    assert_true(d->attrs[0].has_range);
    assert_int_equal(d->attrs[0].min, -5);
    assert_int_equal(d->attrs[0].max, 100);
    assert_int_equal(d->attrs[1].n_values, 3);
    assert_int_equal(d->attrs[1].values[2].num, 4);
    assert_int_equal(d->attrs[2].n_values, 0);
    assert_false(d->attrs[2].has_range);
    e2_nf_desc_free(d);
}

static void errors_name_line_column_path_and_value(void **state)
{
    (void)state;
    nf_err("nf_type: X\napi: native\nscaling:\n  replicable: true\n",
           "t.yaml:4:3: error: scaling: unknown field \"replicable\" (expected one of "
           "across_cores, across_servers, min_number_of_instances, max_number_of_instances)");
    nf_err("nf_type: X\napi: nativ\n",
           "t.yaml:2:6: error: api: \"nativ\" is not one of native, legacy");
    nf_err(
        "nf_type: FW\napi: native\nports: {outputs: [safe, unsafe]}\nattributes:\n"
        "  safe: {type: bool, method: port, ports: {true: safe, false: unsafe2}}\n",
        "t.yaml:5:63: error: attributes.safe.ports.false: \"unsafe2\" is not one of the outputs");
    nf_err("nf_type: X\napi: native\nflow_idle_timeout: soon\n",
           "t.yaml:3:20: error: flow_idle_timeout: \"soon\" is not a duration");
    nf_err("nf_type: 9X\napi: native\n", "t.yaml:1:10: error: nf_type: \"9X\" is not a name");
    nf_err("api: native\n", "t.yaml:1:1: error: \"nf_type\" is required");
}

static void semantic_errors_say_what_to_fix(void **state)
{
    (void)state;
    nf_err(
        "nf_type: X\napi: legacy\nattributes:\n  v: {type: int, method: metadata, values: [1]}\n",
        "attributes.v.method: metadata needs the native API");
    nf_err("nf_type: X\napi: native\nports: {outputs: [a, b]}\n",
           "2 outputs need an attribute with method port");
    nf_err("nf_type: X\napi: native\nports: {outputs: [a, b]}\nattributes:\n"
           "  k: {type: string, method: port, ports: {x: a, y: a}}\n",
           "output \"b\" carries no value of \"k\"");
    nf_err("nf_type: X\napi: native\nscaling: {max_number_of_instances: 4}\n",
           "4 instances need across_cores or across_servers: true");
    nf_err("nf_type: X\napi: native\nscaling: {across_cores: true, min_number_of_instances: 3, "
           "max_number_of_instances: 2}\n",
           "2 is below min_number_of_instances 3");
    nf_err("nf_type: X\napi: native\naffinity: {fields: [src_ip, vlan]}\n",
           "affinity uses 5-tuple fields only");
    nf_err("nf_type: X\napi: native\naffinity: {fields: [src_ip], symmetric: true}\n",
           "symmetric affinity needs src and dst fields in pairs");
    nf_err("nf_type: X\napi: native\naffinity: {fields: [src_ip, src_ip]}\n",
           "affinity.fields[1]: \"src_ip\" is listed twice");
    nf_err("nf_type: X\napi: legacy\nplaceholders: {p0: {port: vp0}}\n",
           "placeholders.p0.port: \"vp0\" is not one of the inputs");
    nf_err("nf_type: X\napi: native\nattributes:\n  n: {type: int, method: metadata}\n",
           "an int attribute needs \"values\" or \"range\"");
    nf_err(
        "nf_type: X\napi: native\nattributes:\n  b: {type: bool, method: metadata, values: [1]}\n",
        "a bool attribute is always false/true");
    nf_err("nf_type: X\napi: native\nperformance: {throughput_per_core_per_ghz: 3 GB/s}\n",
           "\"3 GB/s\" is not a rate");
    nf_err("nf_type: X\napi: native\nports: {inputs: []}\n", "an NF needs at least one port");
    nf_err("nf_type: X\napi: native\nattributes:\n  p: {type: bool, method: metadata}\n"
           "placeholders:\n  p: {metadata: q, value: 1}\n",
           "\"p\" is already an attribute name");
}

static void yaml_syntax_errors_have_a_position(void **state)
{
    (void)state;
    nf_err("nf_type: X\napi: [native\n", "t.yaml:3:1: error: YAML:");
}

static void alias_bombs_and_self_references_are_refused(void **state)
{
    (void)state;
    nf_err("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, "
           "*c, *c]\n"
           "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
           "t.yaml: error: YAML: more than 100000 nodes (aliases expanded)");
}

static void catalog_rejects_a_type_described_twice(void **state)
{
    (void)state;
    char dir[] = "/tmp/e2descXXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[300], b[300];
    snprintf(a, sizeof(a), "%s/a.yaml", dir);
    snprintf(b, sizeof(b), "%s/b.yml", dir);
    FILE *f = fopen(a, "w");
    fputs("nf_type: X\napi: native\n", f);
    fclose(f);
    f = fopen(b, "w");
    fputs("nf_type: X\napi: legacy\n", f);
    fclose(f);
    struct e2_nf_catalog cat;
    struct e2_err err = {0};
    assert_int_equal(e2_nf_catalog_load_dir(dir, &cat, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "b.yml: error: nf_type \"X\" is already described in"));
    assert_non_null(strstr(err.msg, "a.yaml"));
    unlink(a);
    unlink(b);
    rmdir(dir);
}

static void nf_json_round_trip_is_lossless(void **state)
{
    (void)state;
    struct e2_nf_catalog cat;
    struct e2_err err = {0};
    assert_int_equal(e2_nf_catalog_load_dir(E2_EXAMPLES "/nf", &cat, &err), 0);
    for (size_t i = 0; i < cat.n; i++) {
        json_t *j = e2_nf_desc_to_json(cat.descs[i]);
        struct e2_nf_desc *back = NULL;
        if (e2_nf_desc_from_json(j, "pgraph.json", &back, &err)) fail_msg("%s", err.msg);
        json_t *j2 = e2_nf_desc_to_json(back);
        if (!json_equal(j, j2)) {
            char *s1 = json_dumps(j, JSON_SORT_KEYS), *s2 = json_dumps(j2, JSON_SORT_KEYS);
            fail_msg("%s\n!=\n%s", s1, s2);
        }
        json_decref(j);
        json_decref(j2);
        e2_nf_desc_free(back);
    }
    e2_nf_catalog_free(&cat);
}

static void json_errors_name_the_field_without_a_line(void **state)
{
    (void)state;
    json_t *j = json_pack("{sssss{si}}", "nf_type", "X", "api", "native", "scaling",
                          "max_number_of_instances", 0);
    struct e2_nf_desc *d = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_nf_desc_from_json(j, "pg.json", &d, &err), -EINVAL);
    assert_string_equal(err.msg, "pg.json: error: scaling.max_number_of_instances: 0 is out of "
                                 "range [1, 65535]");
    json_decref(j);
}

static struct e2_hw *hw_parse(const char *yaml, struct e2_err *err)
{
    struct e2_hw *hw = NULL;
    e2_hw_parse(yaml, strlen(yaml), "hw.yaml", &hw, err);
    return hw;
}

#define HW_SWITCH                                                                                  \
    "switch: {ports: 8, external_ports: [0-3, 5], flow_table_size: 100, "                          \
    "rule_update_latency: 2ms, actions: [forward, drop]}\n"

static void hardware_example_loads(void **state)
{
    (void)state;
    struct e2_hw *hw = NULL;
    struct e2_err err = {0};
    if (e2_hw_load(E2_EXAMPLES "/hw.yaml", &hw, &err)) fail_msg("%s", err.msg);
    assert_int_equal(hw->n_servers, 3);
    assert_string_equal(hw->servers[2].name, "s3");
    assert_int_equal(hw->servers[2].nic_bps, 40000000000ull);
    assert_int_equal(hw->servers[2].dataplane_cores, 2);
    assert_true(hw->servers[1].ghz > 2.59 && hw->servers[1].ghz < 2.61);
    assert_int_equal(hw->sw.n_ports, 24);
    assert_int_equal(hw->sw.n_external, 16);
    assert_true(e2_hw_port_is_external(hw, 15));
    assert_false(e2_hw_port_is_external(hw, 16));
    assert_int_equal(hw->sw.rule_update_latency_us, 3000);
    assert_true(hw->sw.actions & E2_SW_HASH_SELECT);
    assert_false(hw->sw.actions & E2_SW_PUSH_NSH);
    json_t *j = e2_hw_to_json(hw);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "switch"), "flow_table_size")), 2048);
    json_decref(j);
    e2_hw_free(hw);
}

static void hardware_errors_name_the_server_field(void **state)
{
    (void)state;
    struct e2_err err = {0};
    struct e2_hw *hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: 10G, "
                                "dataplane_cores: 4, switch_port: 6}\n" HW_SWITCH,
                                &err);
    assert_null(hw);
    assert_string_equal(err.msg, "hw.yaml:2:59: error: servers[0].dataplane_cores: 4 of 4 cores "
                                 "leaves none for NFs");
    hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: 10G, dataplane_cores: 1, "
                  "switch_port: 2}\n" HW_SWITCH,
                  &err);
    assert_null(hw);
    assert_non_null(strstr(err.msg, "servers[0].switch_port: port 2 is an external port"));
    hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: 10G, dataplane_cores: 1, "
                  "switch_port: 6}\n - {name: b, cores: 4, ghz: 2, nic: 10G, dataplane_cores: 1, "
                  "switch_port: 6}\n" HW_SWITCH,
                  &err);
    assert_null(hw);
    assert_non_null(strstr(err.msg, "servers[1]: switch_port 6 is also cabled to a"));
    hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: fast, dataplane_cores: 1, "
                  "switch_port: 6}\n" HW_SWITCH,
                  &err);
    assert_null(hw);
    assert_non_null(strstr(err.msg, "servers[0].nic: \"fast\" is not a rate"));
    hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: 1G, dataplane_cores: 1, "
                  "switch_port: 6}\nswitch: {ports: 8, external_ports: [0-9], flow_table_size: 1, "
                  "rule_update_latency: 1ms, actions: [teleport]}\n",
                  &err);
    assert_null(hw);
    assert_non_null(strstr(err.msg, "switch.actions[0]: \"teleport\" is not one of forward"));
    hw = hw_parse("servers:\n - {name: a, cores: 4, ghz: 2, nic: 1G, dataplane_cores: 1, "
                  "switch_port: 6}\nswitch: {ports: 8, external_ports: [0-9], flow_table_size: 1, "
                  "rule_update_latency: 1ms, actions: [drop]}\n",
                  &err);
    assert_null(hw);
    assert_non_null(strstr(err.msg, "switch.external_ports[0]: \"0-9\" is outside ports 0-7"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples_catalog_loads_every_nf),
        cmocka_unit_test(minimal_nf_gets_one_port_each_way_and_one_instance),
        cmocka_unit_test(replicable_nf_defaults_to_many_instances),
        cmocka_unit_test(int_attribute_takes_range_or_values),
        cmocka_unit_test(errors_name_line_column_path_and_value),
        cmocka_unit_test(semantic_errors_say_what_to_fix),
        cmocka_unit_test(yaml_syntax_errors_have_a_position),
        cmocka_unit_test(alias_bombs_and_self_references_are_refused),
        cmocka_unit_test(catalog_rejects_a_type_described_twice),
        cmocka_unit_test(nf_json_round_trip_is_lossless),
        cmocka_unit_test(json_errors_name_the_field_without_a_line),
        cmocka_unit_test(hardware_example_loads),
        cmocka_unit_test(hardware_errors_name_the_server_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
