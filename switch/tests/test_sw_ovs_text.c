/*
 * The OVS driver's text: flow lines for ovs-ofctl, and dump-flows output
 * read back. data/ovs_dump.txt is what ovs-vswitchd 3.1 printed after the
 * driver applied data/rules.json (plus two flows of others and 3 packets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_ovs.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    fclose(f);
    s[n] = 0;
    return s;
}

static struct e2_sw_rule rule(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    struct e2_sw_rule r;
    struct e2_err err = {0};
    if (!j || e2_sw_rule_parse(j, "rule", &r, &err)) fail_msg("%s %s", jerr.text, err.msg);
    json_decref(j);
    return r;
}

static void writes_one_line_per_entry(void **state)
{
    (void)state;
    struct e2_sw_rule r =
        rule("{\"table\": 1, \"priority\": 10, \"match\": {\"in_port\": 3, \"ip_proto\": 6, "
             "\"src_ip\": \"10.0.0.2-10.0.0.5\", \"flow_range\": [0, 32768]}, \"actions\": "
             "[{\"push_nsh\": {\"spi\": 5}}, {\"set_eth_dst\": \"02:e2:00:00:00:10\"}, "
             "{\"output\": 2}]}");
    struct e2_strbuf b = {0};
    e2_sw_ovs_add_lines(&r, e2_sw_ovs_cookie(7, 9), &b);
    e2_sw_ovs_delete_line(7, &b);
    char *s = e2_strbuf_take(&b);
    const char *acts = " actions=encap(nsh(md_type=2)),set_field:0x5->nsh_spi,set_field:255->"
                       "nsh_si,encap(ethernet),set_field:02:e2:00:00:00:10->eth_dst,output:2\n";
    char want[2048];
    snprintf(want, sizeof(want),
             "add table=1,priority=10,cookie=0x780000009,in_port=3,dl_type=0x0800,nw_proto=6,"
             "nw_src=10.0.0.2/31,reg0=0x0/0x8000%s"
             "add table=1,priority=10,cookie=0x780000009,in_port=3,dl_type=0x0800,nw_proto=6,"
             "nw_src=10.0.0.4/31,reg0=0x0/0x8000%s"
             "delete cookie=0x780000000/0xffffffff80000000\n",
             acts, acts);
    assert_string_equal(s, want);
    free(s);
    r = rule("{\"actions\": [{\"flow_hash\": {\"hash\": \"nw_src\", \"bits\": 1}}, "
             "{\"goto_table\": 4}]}");
    e2_sw_ovs_add_lines(&r, e2_sw_ovs_cookie(0, 1), &b);
    s = e2_strbuf_take(&b);
    assert_string_equal(s, "add table=0,priority=32768,cookie=0x80000001 "
                           "actions=multipath(nw_src,0,modulo_n,2,0,reg0[0..0]),goto_table:4\n");
    free(s);
}

/* OVS's dump of data/rules.json is those rules again, with the packets counted. */
static void reads_back_what_ovs_printed(void **state)
{
    (void)state;
    char *dump = slurp(E2_SW_TESTDATA "/ovs_dump.txt");
    struct e2_sw_entry *e;
    size_t n;
    uint32_t serial;
    struct e2_err err = {0};
    if (e2_sw_ovs_parse_dump(dump, &e, &n, &serial, &err)) fail_msg("%s", err.msg);
    json_error_t jerr;
    json_t *want = json_load_file(E2_SW_TESTDATA "/rules.json", 0, &jerr);
    struct e2_sw_rule *w;
    size_t nw;
    assert_int_equal(e2_sw_rules_parse(want, &w, &nw, &err), 0);
    assert_int_equal(n, nw); /* the NORMAL flow and cookie 0x5 are not E2's */
    assert_int_equal(serial, 5);
    for (size_t i = 0; i < n; i++) { /* the dump is in cookie order: serials 1..5 */
        assert_int_equal(e2_sw_rule_cmp(&e[i].rule, &w[i]), 0);
        assert_int_equal(e[i].entries, e2_sw_rule_entries(&w[i]));
    }
    assert_int_equal(e[1].entries, 56);
    assert_int_equal(e[0].packets, 3);
    assert_int_equal(e[0].bytes, 144);
    free(e);
    free(w);
    json_decref(want);
    free(dump);
}

static void assert_dump_error(const char *text, const char *want)
{
    struct e2_sw_entry *e;
    size_t n;
    uint32_t serial;
    struct e2_err err = {0};
    assert_int_equal(e2_sw_ovs_parse_dump(text, &e, &n, &serial, &err), -EPROTO);
    assert_string_equal(err.msg, want);
    assert_null(e);
}

static void refuses_flows_e2_did_not_write(void **state)
{
    (void)state;
    char *dump = slurp(E2_SW_TESTDATA "/ovs_dump.txt");
    /* Drop one flow of the 56 of rule 2: the rest is not a whole rule. */
    char *line = strstr(dump, " cookie=0x780000002"), *end = strchr(line, '\n');
    memmove(line, end + 1, strlen(end + 1) + 1);
    assert_dump_error(dump, "flows of cookie 0x780000002: 55 flows, but their ranges make 56");
    free(dump);
    assert_dump_error(" cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1,ip,"
                      "nw_src=10.0.0.0 actions=drop\n"
                      " cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1,ip,"
                      "nw_src=10.0.0.2 actions=drop\n",
                      "flows of cookie 0x180000001: their nw_src blocks have gaps");
    assert_dump_error(" cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1,ip,"
                      "nw_src=10.0.0.0 actions=drop\n"
                      " cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=2,ip,"
                      "nw_src=10.0.0.1 actions=drop\n",
                      "flows of cookie 0x180000001 differ in more than ranges");
    assert_dump_error(" cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1 "
                      "actions=NORMAL\n",
                      "flow cookie 0x180000001: action 'NORMAL' is not one E2 writes");
    assert_dump_error(" cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1,"
                      "vlan_tci=0x1000/0x1000 actions=drop\n",
                      "flow cookie 0x180000001: 'vlan_tci=0x1000/0x1000' is not something E2 "
                      "writes");
    assert_dump_error(" cookie=0x180000001, table=0, n_packets=0, n_bytes=0, priority=1,"
                      "reg0=0x3/0x3 actions=drop\n",
                      "flow cookie 0x180000001: 'reg0=0x3/0x3' is not something E2 writes");
    assert_dump_error(" cookie=zz actions=drop\n", "not a flow: ' cookie=zz actions=drop'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_one_line_per_entry),
        cmocka_unit_test(reads_back_what_ovs_printed),
        cmocka_unit_test(refuses_flows_e2_did_not_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
