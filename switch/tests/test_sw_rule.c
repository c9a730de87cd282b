/* Switch rules: parsing with JSON paths, canonical JSON, order, masked covers (a property test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2/switch.h"

static int parse(const char *text, struct e2_sw_rule *r, struct e2_err *err)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) fail_msg("bad test JSON: %s: %s", jerr.text, text);
    int rc = e2_sw_rule_parse(j, "rules[3]", r, err);
    json_decref(j);
    return rc;
}

static char *canonical(const char *text)
{
    struct e2_sw_rule r;
    struct e2_err err = {0};
    if (parse(text, &r, &err)) fail_msg("%s", err.msg);
    json_t *j = e2_sw_rule_to_json(&r);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static void assert_canonical(const char *text, const char *want)
{
    char *s = canonical(text);
    assert_string_equal(s, want);
    free(s);
}

static void contract_example_prints_canonically(void **state)
{
    (void)state;
    assert_canonical(
        "{\"table\": 0, \"priority\": 100, \"cookie\": 7, \"match\": {\"in_port\": 3, "
        "\"src_ip\": \"10.0.0.0/8\", \"dst_ip\": \"10.1.0.1-10.1.0.9\", \"ip_proto\": 6, "
        "\"dst_port\": \"1000-2000\", \"src_port\": \"80\", \"flow_range\": [0, 32768]}, "
        "\"actions\": [{\"flow_hash\": {\"hash\": \"symmetric_l3l4+udp\", \"bits\": 16}}, "
        "{\"goto_table\": 1}]}",
        "{\"table\":0,\"priority\":100,\"cookie\":7,\"match\":{\"in_port\":3,\"eth_type\":2048,"
        "\"ip_proto\":6,\"src_ip\":\"10.0.0.0/8\",\"dst_ip\":\"10.1.0.1-10.1.0.9\",\"src_port\":80,"
        "\"dst_port\":\"1000-2000\",\"flow_range\":[0,32768]},\"actions\":[{\"flow_hash\":{"
        "\"hash\":\"symmetric_l3l4+udp\",\"bits\":16}},{\"goto_table\":1}]}");
    assert_canonical(
        "{\"match\": {\"nsh_spi\": 5, \"eth_dst\": \"02:E2:00:00:00:0A\"}, \"actions\": "
        "[{\"pop_nsh\": true}, {\"set_eth_dst\": \"02:e2:00:00:00:10\"}, {\"output\": 17}]}",
        "{\"table\":0,\"priority\":32768,\"cookie\":0,\"match\":{\"eth_type\":35151,\"eth_dst\":"
        "\"02:e2:00:00:00:0a\",\"nsh_spi\":5},\"actions\":[{\"pop_nsh\":true},{\"set_eth_dst\":"
        "\"02:e2:00:00:00:10\"},{\"output\":17}]}");
    /* Defaults, an empty action list, a full range, a single address. */
    assert_canonical("{\"table\": 4, \"match\": {\"dst_ip\": \"0.0.0.0/0\", \"src_ip\": "
                     "\"10.0.0.7/32\"}, \"actions\": []}",
                     "{\"table\":4,\"priority\":32768,\"cookie\":0,\"match\":{\"eth_type\":2048,"
                     "\"src_ip\":\"10.0.0.7\"},\"actions\":[{\"drop\":true}]}");
    assert_canonical("{\"actions\": [{\"push_nsh\": {\"spi\": 16777215}}, {\"output\": 2}]}",
                     "{\"table\":0,\"priority\":32768,\"cookie\":0,\"match\":{},\"actions\":[{"
                     "\"push_nsh\":{\"spi\":16777215,\"si\":255}},{\"output\":2}]}");
}

/* Printing and parsing again gives the same rule; equivalent spellings compare equal. */
static void canonical_form_is_stable(void **state)
{
    (void)state;
    const char *a = "{\"priority\": 9, \"match\": {\"src_ip\": \"10.0.0.0-10.0.0.255\", "
                    "\"ip_proto\": 17, \"src_port\": \"7-7\"}, \"actions\": [{\"drop\": true}]}";
    const char *b = "{\"priority\": 9, \"match\": {\"src_ip\": \"10.0.0.0/24\", \"ip_proto\": 17, "
                    "\"eth_type\": 2048, \"src_port\": 7}, \"actions\": []}";
    struct e2_sw_rule ra, rb, rc;
    struct e2_err err = {0};
    assert_int_equal(parse(a, &ra, &err), 0);
    assert_int_equal(parse(b, &rb, &err), 0);
    assert_int_equal(e2_sw_rule_cmp(&ra, &rb), 0);
    char *s = canonical(a);
    assert_int_equal(parse(s, &rc, &err), 0);
    assert_int_equal(e2_sw_rule_cmp(&ra, &rc), 0);
    free(s);
    /* Higher priority sorts first within a table; tables in order. */
    assert_int_equal(parse("{\"priority\": 10, \"actions\": []}", &rb, &err), 0);
    assert_true(e2_sw_rule_cmp(&rb, &ra) < 0);
    assert_int_equal(parse("{\"table\": 1, \"priority\": 99, \"actions\": []}", &rc, &err), 0);
    assert_true(e2_sw_rule_cmp(&rb, &rc) < 0);
    rc = ra;
    rc.cookie++;
    assert_true(e2_sw_rule_cmp(&ra, &rc) < 0);
}

static void assert_error(const char *text, const char *want)
{
    struct e2_sw_rule r;
    struct e2_err err = {0};
    assert_int_equal(parse(text, &r, &err), -EINVAL);
    if (strcmp(err.msg, want)) fail_msg("got  '%s'\nwant '%s'", err.msg, want);
}

static void errors_name_the_json_path(void **state)
{
    (void)state;
    assert_error("{\"table\": 254, \"actions\": []}", "rules[3].table: 254 is out of range 0..253");
    assert_error("{\"actions\": [], \"prio\": 1}", "rules[3]: unknown key 'prio'");
    assert_error("{\"match\": {}}", "rules[3]: needs \"actions\"");
    assert_error("{\"match\": {\"src_ip\": \"10.0.0.300\"}, \"actions\": []}",
                 "rules[3].match.src_ip: '10.0.0.300' is not an IPv4 address, prefix (a.b.c.d/n) "
                 "or range (a-b)");
    assert_error("{\"match\": {\"dst_ip\": \"10.0.0.1/8\"}, \"actions\": []}",
                 "rules[3].match.dst_ip: '10.0.0.1/8' has bits set past the prefix length");
    assert_error("{\"match\": {\"dst_ip\": \"10.0.0.9-10.0.0.1\"}, \"actions\": []}",
                 "rules[3].match.dst_ip: '10.0.0.9-10.0.0.1' is an empty range");
    assert_error("{\"match\": {\"ip_proto\": 6, \"dst_port\": \"9-1\"}, \"actions\": []}",
                 "rules[3].match.dst_port: must be a port 0..65535 or a range \"A-B\" with A <= B");
    assert_error("{\"match\": {\"dst_port\": 80}, \"actions\": []}",
                 "rules[3].match.dst_port: needs ip_proto 6, 17 or 132");
    assert_error("{\"match\": {\"eth_type\": 2054, \"src_ip\": \"1.2.3.4\"}, \"actions\": []}",
                 "rules[3].match.eth_type: is 2054, but the IP fields need 2048");
    assert_error("{\"match\": {\"flow_range\": [5, 5]}, \"actions\": []}",
                 "rules[3].match.flow_range: [5, 5] is empty: hi must be above lo");
    assert_error("{\"match\": {\"flow_range\": [0, 65537]}, \"actions\": []}",
                 "rules[3].match.flow_range[1]: 65537 is out of range 1..65536");
    assert_error("{\"match\": {\"vlan\": 5}, \"actions\": []}",
                 "rules[3].match.vlan: unknown field (in_port, eth_type, eth_dst, ip_proto, "
                 "src_ip, dst_ip, src_port, dst_port, nsh_spi, nsh_si, flow_range)");
    assert_error("{\"match\": {\"eth_dst\": \"02:e2:00:00:00\"}, \"actions\": []}",
                 "rules[3].match.eth_dst: must be a MAC address \"xx:xx:xx:xx:xx:xx\"");
    assert_error("{\"actions\": [{\"goto_table\": 2}, {\"output\": 1}]}",
                 "rules[3].actions[0].goto_table: must be the last action");
    assert_error("{\"table\": 2, \"actions\": [{\"goto_table\": 2}]}",
                 "rules[3].actions[0].goto_table: goes to table 2, not after this rule's table 2");
    assert_error("{\"actions\": [{\"output\": 1}, {\"drop\": true}]}",
                 "rules[3].actions[1].drop: must be the only action");
    assert_error("{\"actions\": [{\"pop_nsh\": true}]}",
                 "rules[3].actions[0].pop_nsh: the frame is not NSH here: match eth_type 35151 "
                 "(or an nsh_ field), or push_nsh first");
    assert_error("{\"actions\": [{\"push_nsh\": {\"spi\": 16777216}}]}",
                 "rules[3].actions[0].push_nsh.spi: 16777216 is out of range 0..16777215");
    assert_error("{\"actions\": [{\"push_nsh\": {\"si\": 1}}]}",
                 "rules[3].actions[0].push_nsh: needs an \"spi\"");
    assert_error("{\"actions\": [{\"flow_hash\": {\"hash\": \"crc32c\"}}]}",
                 "rules[3].actions[0].flow_hash.hash: must be one of OVS's multipath field sets: "
                 "symmetric_l3l4+udp, symmetric_l3l4, symmetric_l3, symmetric_l4, nw_src, nw_dst, "
                 "eth_src");
    assert_error("{\"actions\": [{\"flow_hash\": {\"hash\": \"nw_src\", \"bits\": 17}}]}",
                 "rules[3].actions[0].flow_hash.bits: 17 is out of range 1..16");
    assert_error("{\"actions\": [{\"output\": 1, \"drop\": true}]}",
                 "rules[3].actions[0]: must be an object with one action");
    assert_error("{\"actions\": [{\"teleport\": 1}]}",
                 "rules[3].actions[0].teleport: unknown action (flow_hash, goto_table, push_nsh, "
                 "pop_nsh, set_eth_dst, output, drop)");
    assert_error("{\"match\": {\"src_ip\": \"0.0.0.1-255.255.255.254\", \"ip_proto\": 6, "
                 "\"src_port\": \"1-65534\", \"dst_port\": \"1-65534\"}, \"actions\": []}",
                 "rules[3].match: its ranges expand into 55800 masked entries, more than 4096");
}

static void arrays_name_the_index(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *j = json_loads("[{\"actions\": []}, {\"actions\": [{\"output\": 0}]}]", 0, &jerr);
    struct e2_sw_rule *r;
    size_t n;
    struct e2_err err = {0};
    assert_int_equal(e2_sw_rules_parse(j, &r, &n, &err), -EINVAL);
    assert_string_equal(err.msg, "rules[1].actions[0].output: 0 is out of range 1..4294967040");
    json_decref(j);
    j = json_loads("[{\"actions\": []}, {\"cookie\": 3, \"actions\": [{\"output\": 4}]}]", 0,
                   &jerr);
    assert_int_equal(e2_sw_rules_parse(j, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[1].cookie, 3);
    free(r);
    json_decref(j);
}

static void formats_one_line(void **state)
{
    (void)state;
    struct e2_sw_rule r;
    struct e2_err err = {0};
    char buf[256];
    assert_int_equal(parse("{\"match\": {\"in_port\": 3, \"ip_proto\": 17, \"dst_port\": "
                           "\"1000-1999\", \"flow_range\": [4, 9]}, \"actions\": [{\"push_nsh\": "
                           "{\"spi\": 10}}, {\"output\": 2}]}",
                           &r, &err),
                     0);
    e2_sw_rule_format(&r, buf, sizeof(buf));
    assert_string_equal(buf, "in_port=3,eth_type=0x0800,ip_proto=17,dst_port=1000-1999,"
                             "flow_range=[4,9) -> push_nsh(spi=0xa,si=255),output:2");
    assert_int_equal(parse("{\"actions\": [{\"flow_hash\": {\"hash\": \"nw_dst\", \"bits\": 4}}, "
                           "{\"goto_table\": 5}]}",
                           &r, &err),
                     0);
    e2_sw_rule_format(&r, buf, sizeof(buf));
    assert_string_equal(buf, "* -> flow_hash(nw_dst,4),goto_table:5");
}

/* The smallest number of aligned blocks that tile [lo, hi): an independent recursion. */
static size_t trie_count(uint64_t lo, uint64_t hi, uint64_t base, uint64_t size)
{
    if (hi <= base || lo >= base + size) return 0;
    if (lo <= base && base + size <= hi) return 1;
    return trie_count(lo, hi, base, size / 2) + trie_count(lo, hi, base + size / 2, size / 2);
}

static bool covered(uint64_t x, const uint64_t *v, const uint64_t *m, size_t n)
{
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) hits += (x & m[i]) == v[i];
    assert_true(hits <= 1); /* the blocks are disjoint */
    return hits == 1;
}

static uint64_t rand64(unsigned *seed)
{
    return (uint64_t)rand_r(seed) << 33 ^ (uint64_t)rand_r(seed) << 11 ^ (uint64_t)rand_r(seed);
}

/*
 * Property: for random ranges, the cover matches exactly [lo, hi) — every
 * value of a 16-bit space checked, the boundaries and random points of a
 * 32-bit one — with at most 2 * bits blocks, as few as any tiling can have.
 */
static void covers_are_exact_and_minimal(void **state)
{
    (void)state;
    unsigned seed = 42;
    uint64_t v[64], m[64];
    for (int round = 0; round < 2000; round++) {
        unsigned bits = round % 2 ? 32 : 16;
        uint64_t space = 1ull << bits, a = rand64(&seed) % (space + 1),
                 b = rand64(&seed) % (space + 1);
        if (round % 7 == 0) b = a + rand64(&seed) % 64; /* short ranges too */
        if (b > space) b = space;
        struct e2_sw_span s = {a < b ? a : b, a < b ? b : a};
        size_t n = e2_sw_span_cover(s, bits, v, m);
        assert_true(n <= 2 * bits);
        assert_int_equal(n, trie_count(s.lo, s.hi, 0, space));
        if (bits == 16 && round % 10 == 0) {
            for (uint64_t x = 0; x < space; x++)
                assert_int_equal(covered(x, v, m, n), x >= s.lo && x < s.hi);
            continue;
        }
        uint64_t probes[] = {s.lo, s.hi - 1, s.lo - 1, s.hi, 0, space - 1};
        for (size_t i = 0; i < 6; i++)
            if (probes[i] < space && s.hi > s.lo)
                assert_int_equal(covered(probes[i], v, m, n),
                                 probes[i] >= s.lo && probes[i] < s.hi);
        for (int i = 0; i < 64; i++) {
            uint64_t x = rand64(&seed) % space;
            assert_int_equal(covered(x, v, m, n), x >= s.lo && x < s.hi);
        }
    }
}

/* A rule takes the product of its ranges' covers in entries. */
static void entries_multiply(void **state)
{
    (void)state;
    struct e2_sw_rule r;
    struct e2_err err = {0};
    assert_int_equal(parse("{\"match\": {\"src_ip\": \"10.0.0.1-10.0.0.9\", \"ip_proto\": 6, "
                           "\"dst_port\": \"1000-2000\", \"flow_range\": [100, 40000]}, "
                           "\"actions\": []}",
                           &r, &err),
                     0);
    uint64_t v[64], m[64];
    size_t ip = e2_sw_span_cover(r.match.src_ip, 32, v, m),
           port = e2_sw_span_cover(r.match.dst_port, 16, v, m),
           flow = e2_sw_span_cover(r.match.flow, 16, v, m);
    assert_int_equal(ip, 4); /* .1/32 .2/31 .4/30 .8/31 */
    assert_int_equal(e2_sw_rule_entries(&r), ip * port * flow);
    assert_int_equal(parse("{\"match\": {\"in_port\": 1}, \"actions\": []}", &r, &err), 0);
    assert_int_equal(e2_sw_rule_entries(&r), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contract_example_prints_canonically),
        cmocka_unit_test(canonical_form_is_stable),
        cmocka_unit_test(errors_name_the_json_path),
        cmocka_unit_test(arrays_name_the_index),
        cmocka_unit_test(formats_one_line),
        cmocka_unit_test(covers_are_exact_and_minimal),
        cmocka_unit_test(entries_multiply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
