/*
 * HeaderMatch and MetadataMatch: what each condition matches, rule order and
 * the default gate, what is refused (and how the error reads), the commands,
 * the compiled (rte_acl) table agreeing with the scan, and rules changed
 * while a live worker pushes traffic through the module.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "harness.h"
#include "e2/meta.h"
#include "ops.h"
#include "pktpool.h"
#include "port.h"
#include "tags.h"
#include "worker.h"

#define IP(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define DROPPED -1

static struct capture *cap;

/* A match module with its gates 0..3 connected to a capture (igate = gate). */
static struct e2_module *matcher(const char *type, const char *args)
{
    struct e2_module *m = make("m", type, args), *c = make_capture("cap", &cap);
    for (uint16_t g = 0; g < 4; g++) link_gates(m, g, c, g);
    return m;
}

/* Push @n packets as one batch; each one's gate (DROPPED when freed) into @gates. */
static void steer(struct e2_module *m, struct rte_mbuf **pkts, unsigned n, int *gates)
{
    uint64_t dropped = m->dropped;
    push(m, 0, pkts, n);
    unsigned seen = 0;
    for (unsigned i = 0; i < n; i++) {
        gates[i] = DROPPED;
        for (unsigned k = 0; k < cap->n; k++)
            if (cap->pkts[k] == pkts[i]) gates[i] = cap->igate[k];
        seen += gates[i] != DROPPED;
    }
    assert_int_equal(seen, cap->n);
    assert_int_equal(m->dropped - dropped, n - seen);
    capture_clear(cap);
}

/* The gate of one packet. */
static int gate_of(struct e2_module *m, struct rte_mbuf *p)
{
    int g;
    steer(m, &p, 1, &g);
    return g;
}

static struct rte_mbuf *tagged(int slot, uint32_t value)
{
    struct rte_mbuf *p = udp_packet(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1, 2, 60);
    if (slot >= 0) e2_meta_set_tag(p, (unsigned)slot, value);
    return p;
}

static void define_tag(const char *name, int slot)
{
    struct e2_err err = {0};
    if (e2_tag_define(name, slot, &err) < 0) fail_msg("%s", err.msg);
}

/* The error of creating a module (which must fail). */
static const char *create_error(const char *type, const char *args)
{
    static struct e2_err err;
    json_error_t jerr;
    json_t *a = json_loads(args, 0, &jerr);
    if (!a) fail_msg("bad test JSON %s: %s", args, jerr.text);
    assert_int_not_equal(e2_graph_module_create("bad", type, a, NULL, NULL, &err), 0);
    json_decref(a);
    assert_null(e2_graph_module_find("bad"));
    return err.msg;
}

/* The error of a command (which must fail). */
static const char *cmd_error(struct e2_module *m, const char *cmd, const char *args)
{
    static char msg[E2_ERR_MSG_MAX];
    assert_int_not_equal(command(m, cmd, args, NULL, msg, sizeof(msg)), 0);
    return msg;
}

static void cmd_ok(struct e2_module *m, const char *cmd, const char *args)
{
    char msg[E2_ERR_MSG_MAX];
    if (command(m, cmd, args, NULL, msg, sizeof(msg))) fail_msg("%s: %s", cmd, msg);
}

static json_t *get_rules(struct e2_module *m)
{
    json_t *r = NULL;
    assert_int_equal(command(m, "get_rules", NULL, &r, NULL, 0), 0);
    return r;
}

/* ---- MetadataMatch ---- */

static void metadata_exact_value_steers_and_others_take_the_default_gate(void **state)
{
    (void)state;
    define_tag("FW.safe", 2);
    struct e2_module *m =
        matcher("MetadataMatch", "{\"rules\": [{\"tag\": \"FW.safe\", "
                                 "\"value\": 1, \"gate\": 1}], \"default_gate\": 3}");
    assert_int_equal(gate_of(m, tagged(2, 1)), 1);
    assert_int_equal(gate_of(m, tagged(2, 0)), 3);
    assert_int_equal(gate_of(m, tagged(1, 1)), 3); /* another slot */
    assert_int_equal(gate_of(m, tagged(-1, 0)), 3);
}

static void metadata_range_includes_both_ends_and_open_ends_default(void **state)
{
    (void)state;
    define_tag("class", 0);
    struct e2_module *m = matcher(
        "MetadataMatch", "{\"rules\": [{\"tag\": \"class\", \"lo\": 10, \"hi\": 20, \"gate\": 1},"
                         " {\"tag\": \"class\", \"lo\": 4000000000, \"gate\": 2},"
                         " {\"tag\": \"class\", \"hi\": 3, \"gate\": 3}]}");
    static const struct {
        uint32_t value;
        int gate;
    } want[] = {
        {9, DROPPED}, {10, 1},      {20, 1},          {21, DROPPED},   {0, 3},
        {3, 3},       {4, DROPPED}, {4000000000u, 2}, {UINT32_MAX, 2}, {3999999999u, DROPPED}};
    for (size_t i = 0; i < RTE_DIM(want); i++)
        assert_int_equal(gate_of(m, tagged(0, want[i].value)), want[i].gate);
}

static void metadata_present_false_matches_packets_without_the_tag(void **state)
{
    (void)state;
    define_tag("url", 1);
    struct e2_module *m =
        matcher("MetadataMatch", "{\"rules\": [{\"tag\": \"url\", \"present\": false, \"gate\": 0},"
                                 " {\"tag\": \"url\", \"gate\": 1}]}");
    assert_int_equal(gate_of(m, tagged(-1, 0)), 0);
    assert_int_equal(gate_of(m, tagged(0, 7)), 0); /* tagged, but not with url */
    assert_int_equal(gate_of(m, tagged(1, 0)), 1); /* url present, any value */
    assert_int_equal(gate_of(m, tagged(1, UINT32_MAX)), 1);
}

static void metadata_all_conditions_of_a_rule_must_hold(void **state)
{
    (void)state;
    define_tag("a", 0);
    define_tag("b", 3);
    struct e2_module *m = matcher(
        "MetadataMatch", "{\"rules\": [{\"all\": [{\"tag\": \"a\", \"value\": 1}, {\"tag\": "
                         "\"b\", \"lo\": 5, \"hi\": 6}], \"gate\": 2}], \"default_gate\": 0}");
    struct rte_mbuf *both = tagged(0, 1), *b_wrong = tagged(0, 1), *only_a = tagged(0, 1);
    e2_meta_set_tag(both, 3, 6);
    e2_meta_set_tag(b_wrong, 3, 7);
    assert_int_equal(gate_of(m, both), 2);
    assert_int_equal(gate_of(m, b_wrong), 0);
    assert_int_equal(gate_of(m, only_a), 0);
}

static void metadata_first_matching_rule_wins(void **state)
{
    (void)state;
    define_tag("v", 0);
    struct e2_module *m =
        matcher("MetadataMatch", "{\"rules\": [{\"tag\": \"v\", \"value\": 5, \"gate\": 2},"
                                 " {\"tag\": \"v\", \"lo\": 0, \"hi\": 9, \"gate\": 1}]}");
    struct rte_mbuf *p[4] = {tagged(0, 5), tagged(0, 4), tagged(0, 6), tagged(0, 5)};
    int g[4];
    steer(m, p, 4, g);
    assert_int_equal(g[0], 2);
    assert_int_equal(g[1], 1);
    assert_int_equal(g[2], 1);
    assert_int_equal(g[3], 2);
}

static void metadata_tag_by_slot_is_the_tag_by_name(void **state)
{
    (void)state;
    define_tag("prio", 2);
    struct e2_module *by_slot =
        make("s", "MetadataMatch", "{\"rules\": [{\"slot\": 2, \"value\": 9, \"gate\": 1}]}");
    struct e2_module *m =
        matcher("MetadataMatch", "{\"rules\": [{\"tag\": \"prio\", \"value\": 9, \"gate\": 1}]}");
    struct capture *c2;
    link_gates(by_slot, 1, make_capture("cap2", &c2), 0);
    struct rte_mbuf *p = tagged(2, 9), *q = tagged(2, 9);
    assert_int_equal(gate_of(m, p), 1);
    push(by_slot, 0, &q, 1);
    assert_int_equal(c2->n, 1);
    /* the name was resolved once: redefining it later does not move the rule */
    assert_int_equal(e2_tag_undefine("prio", NULL), 0);
    define_tag("prio", 0);
    assert_int_equal(gate_of(m, tagged(2, 9)), 1);
}

static void metadata_undefined_tag_is_refused_at_init_and_in_commands(void **state)
{
    (void)state;
    assert_string_equal(
        create_error("MetadataMatch",
                     "{\"rules\": [{\"tag\": \"nope\", \"value\": 1, \"gate\": 0}]}"),
        "module 'bad' (MetadataMatch): rules[0].tag: no tag named 'nope' (define it with the "
        "tag_define request)");
    struct e2_module *m = matcher("MetadataMatch", NULL);
    assert_string_equal(cmd_error(m, "add_rule", "{\"rule\": {\"tag\": \"nope\", \"gate\": 0}}"),
                        "m.add_rule: rule.tag: no tag named 'nope' (define it with the "
                        "tag_define request)");
    assert_string_equal(
        cmd_error(m, "set_rules",
                  "{\"rules\": [{\"slot\": 0, \"gate\": 0}, {\"all\": [{\"slot\": 1}, {\"tag\": "
                  "\"x\"}], \"gate\": 1}]}"),
        "m.set_rules: rules[1].all[1].tag: no tag named 'x' (define it with the tag_define "
        "request)");
}

static void metadata_invalid_conditions_are_refused_naming_rule_and_key(void **state)
{
    (void)state;
    define_tag("t", 0);
    static const char *const cases[][2] = {
        {"{\"tag\": \"t\", \"value\": 1, \"lo\": 0, \"gate\": 0}",
         "rules[0].value: give value, or lo and/or hi, not both"},
        {"{\"tag\": \"t\", \"lo\": 9, \"hi\": 3, \"gate\": 0}", "rules[0].lo: 9 is above hi (3)"},
        {"{\"tag\": \"t\", \"slot\": 0, \"gate\": 0}", "rules[0].slot: give tag or slot, not both"},
        {"{\"slot\": 4, \"gate\": 0}", "rules[0].slot: 4 is out of range 0..3"},
        {"{\"slot\": 0, \"value\": 4294967296, \"gate\": 0}",
         "rules[0].value: 4294967296 is out of range 0..4294967295"},
        {"{\"slot\": 0, \"present\": false, \"value\": 1, \"gate\": 0}",
         "rules[0].present: false takes no value, lo or hi"},
        {"{\"value\": 1, \"gate\": 0}", "rules[0].tag: missing (name the tag, or give its slot)"},
        {"{\"slot\": 0, \"vlaue\": 1, \"gate\": 0}",
         "rules[0].vlaue: unknown key (a condition has tag or slot, then value, lo/hi or present; "
         "a rule also gate, name, all)"},
        {"{\"all\": [{\"tag\": \"t\", \"value\": 1}, {\"slot\": 0, \"lo\": 3}], \"gate\": 0}",
         "rules[0].all[1].slot: this rule already has a condition on slot 0"},
        {"{\"slot\": 0, \"all\": [], \"gate\": 0}",
         "rules[0].all: give the conditions inline or in all, not both"},
        {"{\"slot\": 0}", "rules[0].gate: missing (an output gate, or -1 to drop)"},
        {"{\"slot\": 0, \"gate\": 1024}", "rules[0].gate: must be a gate 0..1023, or -1 to drop"},
        {"7", "rules[0]: must be an object of conditions and a gate"},
    };
    struct e2_module *m = matcher("MetadataMatch", NULL);
    for (size_t i = 0; i < RTE_DIM(cases); i++) {
        char args[512], want[512];
        snprintf(args, sizeof(args), "{\"rules\": [%s]}", cases[i][0]);
        snprintf(want, sizeof(want), "m.set_rules: %s", cases[i][1]);
        assert_string_equal(cmd_error(m, "set_rules", args), want);
    }
    json_t *r = get_rules(m); /* nothing changed */
    assert_int_equal(json_array_size(json_object_get(r, "rules")), 0);
    json_decref(r);
}

/* ---- both: order, shadows, names, commands ---- */

static void rule_that_can_never_match_is_refused(void **state)
{
    (void)state;
    assert_string_equal(
        create_error("HeaderMatch", "{\"rules\": [{\"dst_port\": \"80-90\", \"gate\": 0},"
                                    " {\"proto\": \"udp\", \"gate\": 1},"
                                    " {\"proto\": \"udp\", \"dst_port\": 85, \"gate\": 2}]}"),
        "module 'bad' (HeaderMatch): rules[2] never matches: rules[0] comes first and matches "
        "every packet it would");
    assert_string_equal(
        create_error("HeaderMatch", "{\"rules\": [{\"gate\": 0}, {\"vlan\": 3, \"gate\": 1}]}"),
        "module 'bad' (HeaderMatch): rules[1] never matches: rules[0] comes first and matches "
        "every packet it would");
    struct e2_module *m = matcher(
        "HeaderMatch", "{\"rules\": [{\"dst_ip\": \"10.1.0.0/16\", \"gate\": 1, \"name\": \"a\"},"
                       " {\"dst_ip\": \"10.0.0.0/8\", \"gate\": 2}]}");
    /* a specific rule after the general one: shadowed */
    assert_string_equal(
        cmd_error(m, "add_rule", "{\"rule\": {\"dst_ip\": \"10.1.2.0/24\", \"gate\": 3}}"),
        "m.add_rule: the new rule would be rules[2]: rules[2] never matches: rules[0] comes "
        "first and matches every packet it would");
    /* a general rule before specific ones: they would be shadowed */
    assert_string_equal(
        cmd_error(m, "add_rule",
                  "{\"rule\": {\"dst_ip\": \"10.0.0.0/8\", \"gate\": 3}, \"index\": 0}"),
        "m.add_rule: the new rule would be rules[0]: rules[1] never matches: rules[0] comes "
        "first and matches every packet it would");
    assert_string_equal(
        cmd_error(m, "add_rule", "{\"rule\": {\"dst_port\": 1, \"gate\": 3, \"name\": \"a\"}}"),
        "m.add_rule: the new rule would be rules[2]: rules[2].name: \"a\" is also the name of "
        "rules[0]");
    /* overlapping without covering is first-match order, and fine */
    cmd_ok(m, "add_rule",
           "{\"rule\": {\"dst_ip\": \"10.1.2.0/24\", \"dst_port\": 80, \"gate\": 3}, "
           "\"index\": 0}");
}

static void commands_add_delete_and_get_rules_in_order(void **state)
{
    (void)state;
    struct e2_module *m = matcher("HeaderMatch", "{\"rules\": [{\"dst_port\": 1, \"gate\": 1}],"
                                                 " \"default_gate\": 0}");
    cmd_ok(m, "add_rule", "{\"rule\": {\"dst_port\": 2, \"gate\": 2, \"name\": \"two\"}}");
    cmd_ok(m, "add_rule", "{\"rule\": {\"dst_port\": 3, \"gate\": 3}, \"index\": 0}");
    json_t *r = get_rules(m);
    json_t *rules = json_object_get(r, "rules");
    assert_int_equal(json_array_size(rules), 3);
    int ports[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, i), "dst_port")),
                         ports[i]);
    assert_int_equal(json_integer_value(json_object_get(r, "default_gate")), 0);
    assert_string_equal(json_string_value(json_object_get(r, "engine")), "scan");
    json_decref(r);
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 2, 60)), 2);
    cmd_ok(m, "delete_rule", "{\"name\": \"two\"}");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 2, 60)), 0);
    cmd_ok(m, "delete_rule", "{\"index\": 0}");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 3, 60)), 0);
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 1, 60)), 1);
    assert_string_equal(cmd_error(m, "delete_rule", "{\"index\": 1}"),
                        "m.delete_rule: no rule at index 1 (there are 1 rules)");
    assert_string_equal(cmd_error(m, "delete_rule", "{\"name\": \"two\"}"),
                        "m.delete_rule: no rule named \"two\"");
    assert_string_equal(cmd_error(m, "delete_rule", NULL),
                        "m.delete_rule: give the rule's index or its name (one of them)");
    assert_string_equal(cmd_error(m, "add_rule", "{\"rule\": {\"gate\": 0}, \"index\": 5}"),
                        "m.add_rule: index 5 is past the end (there are 1 rules)");
    /* set_rules without default_gate keeps it; with it, changes it */
    cmd_ok(m, "set_rules", "{\"rules\": [{\"dst_port\": 9, \"gate\": 2}]}");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 1, 60)), 0);
    cmd_ok(m, "set_rules", "{\"rules\": [], \"default_gate\": -1}");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 9, 60)), DROPPED);
}

static void gate_minus_one_drops_and_counts(void **state)
{
    (void)state;
    struct e2_module *m = matcher("HeaderMatch", "{\"rules\": [{\"dst_port\": 7, \"gate\": -1}],"
                                                 " \"default_gate\": 1}");
    struct rte_mbuf *p[3] = {udp_packet(1, 2, 3, 7, 60), udp_packet(1, 2, 3, 8, 60),
                             udp_packet(1, 2, 3, 7, 60)};
    int g[3];
    steer(m, p, 3, g);
    assert_int_equal(g[0], DROPPED);
    assert_int_equal(g[1], 1);
    assert_int_equal(g[2], DROPPED);
    assert_int_equal(m->dropped, 2);
}

/* ---- HeaderMatch ---- */

static struct rte_mbuf *ip6_packet(const char *src, const char *dst, uint16_t dport)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(e2_pktpool());
    uint16_t len = 14 + 40 + 8 + 10;
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
    memset(p, 0, len);
    ((struct rte_ether_hdr *)p)->ether_type = htons(RTE_ETHER_TYPE_IPV6);
    struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + 14);
    ip->vtc_flow = htonl(6u << 28 | 0xb8u << 20); /* traffic class 0xb8: DSCP 46 */
    ip->proto = IPPROTO_UDP;
    assert_int_equal(inet_pton(AF_INET6, src, ip->src_addr), 1);
    assert_int_equal(inet_pton(AF_INET6, dst, ip->dst_addr), 1);
    ((struct rte_udp_hdr *)(ip + 1))->dst_port = htons(dport);
    return m;
}

static struct rte_ipv4_hdr *ip4(struct rte_mbuf *m)
{
    return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

static void header_ipv4_prefixes_proto_and_port_ranges(void **state)
{
    (void)state;
    struct e2_module *m =
        matcher("HeaderMatch", "{\"rules\": [{\"src_ip\": \"192.168.1.7\", \"gate\": 3},"
                               " {\"dst_ip\": \"10.1.0.0/16\", \"proto\": \"udp\", \"dst_port\": "
                               "\"1000-1999\", \"gate\": 1},"
                               " {\"dst_ip\": \"10.0.0.0/8\", \"src_port\": 53, \"gate\": 2}]}");
    assert_int_equal(gate_of(m, udp_packet(IP(192, 168, 1, 7), IP(1, 1, 1, 1), 1, 1, 60)), 3);
    assert_int_equal(gate_of(m, udp_packet(IP(192, 168, 1, 8), IP(1, 1, 1, 1), 1, 1, 60)), DROPPED);
    assert_int_equal(gate_of(m, udp_packet(1, IP(10, 1, 9, 9), 1, 1000, 60)), 1);
    assert_int_equal(gate_of(m, udp_packet(1, IP(10, 1, 255, 255), 1, 1999, 60)), 1);
    assert_int_equal(gate_of(m, udp_packet(1, IP(10, 1, 0, 0), 1, 2000, 60)), DROPPED);
    assert_int_equal(gate_of(m, udp_packet(1, IP(10, 2, 0, 0), 53, 1500, 60)), 2);
    assert_int_equal(gate_of(m, udp_packet(1, IP(11, 0, 0, 0), 53, 1500, 60)), DROPPED);
    struct rte_mbuf *tcp = udp_packet(1, IP(10, 1, 0, 1), 1, 1500, 60);
    ip4(tcp)->next_proto_id = IPPROTO_TCP;
    assert_int_equal(gate_of(m, tcp), DROPPED); /* proto udp fails, the /8 rule wants sport 53 */
}

static void header_ports_never_match_packets_without_them(void **state)
{
    (void)state;
    struct e2_module *m =
        matcher("HeaderMatch",
                "{\"rules\": [{\"dst_port\": \"0-65535\", \"gate\": 1}], \"default_gate\": 0}");
    struct rte_mbuf *icmp = udp_packet(1, 2, 3, 4, 60), *frag = udp_packet(1, 2, 3, 4, 60);
    ip4(icmp)->next_proto_id = IPPROTO_ICMP;
    ip4(frag)->fragment_offset = htons(100); /* a non-first fragment has no L4 header */
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 4, 60)), 1);
    assert_int_equal(gate_of(m, icmp), 0);
    assert_int_equal(gate_of(m, frag), 0);
}

static void header_ipv6_prefixes_match_only_ipv6(void **state)
{
    (void)state;
    struct e2_module *m =
        matcher("HeaderMatch", "{\"rules\": [{\"dst_ip\": \"2001:db8:0:1::/64\", \"gate\": 1},"
                               " {\"src_ip\": \"2001:db8::/36\", \"dscp\": 46, \"gate\": 2},"
                               " {\"dst_ip\": \"::/0\", \"gate\": 3}]}");
    assert_int_equal(gate_of(m, ip6_packet("::1", "2001:db8:0:1:ffff::5", 9)), 1);
    assert_int_equal(gate_of(m, ip6_packet("2001:db8:fff::1", "2001:db8:0:2::5", 9)), 2);
    assert_int_equal(gate_of(m, ip6_packet("2001:db8:1000::1", "2001:db8:0:2::5", 9)), 3);
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 4, 60)), DROPPED); /* IPv4: no rule */
}

static void header_tos_dscp_vlan_ether_type_and_in_port(void **state)
{
    (void)state;
    struct e2_err err = {0};
    json_t *pa = json_pack("{s:s, s:s}", "name", "p0", "vdev", "net_null0");
    struct e2_port_args args;
    assert_int_equal(e2_args_parse(e2_port_arg_spec, pa, &args, &err), 0);
    json_decref(pa);
    assert_int_equal(e2_graph_port_create(&args, NULL, &err), 0);
    uint16_t p0 = e2_port_find("p0")->port_id;
    struct e2_module *m =
        matcher("HeaderMatch", "{\"rules\": [{\"in_port\": \"p0\", \"gate\": 3},"
                               " {\"vlan\": \"100-199\", \"gate\": 2},"
                               " {\"dscp\": 10, \"ether_type\": \"ipv4\", \"gate\": 1},"
                               " {\"tos\": \"0x10-0x1f\", \"gate\": 0}]}");
    struct rte_mbuf *port = udp_packet(1, 2, 3, 4, 60), *vlan = udp_packet(1, 2, 3, 4, 60),
                    *stripped = udp_packet(1, 2, 3, 4, 60), *dscp = udp_packet(1, 2, 3, 4, 60),
                    *tos = udp_packet(1, 2, 3, 4, 60), *none = udp_packet(1, 2, 3, 4, 60);
    port->port = p0;
    vlan->vlan_tci = 150;
    assert_int_equal(rte_vlan_insert(&vlan), 0);
    stripped->vlan_tci = 199;
    stripped->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
    ip4(dscp)->type_of_service = 10 << 2 | 1; /* ECN bits do not matter */
    ip4(tos)->type_of_service = 0x1f;
    none->port = (uint16_t)(p0 + 1);
    struct rte_mbuf *v6 = ip6_packet("::1", "::2", 1); /* DSCP 10 too, but not IPv4 */
    struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(v6, struct rte_ipv6_hdr *, 14);
    ip6->vtc_flow = htonl(6u << 28 | (10u << 2) << 20);
    assert_int_equal(gate_of(m, port), 3);
    assert_int_equal(gate_of(m, vlan), 2);
    assert_int_equal(gate_of(m, stripped), 2);
    assert_int_equal(gate_of(m, dscp), 1);
    assert_int_equal(gate_of(m, tos), 0);
    assert_int_equal(gate_of(m, none), DROPPED);
    assert_int_equal(gate_of(m, v6), DROPPED);
    harness_reset();
    assert_int_equal(e2_port_destroy(e2_port_find("p0"), NULL), 0);
}

/* An ARP (or RARP) request from @spa for @tpa, made from a UDP packet's bytes. */
static struct rte_mbuf *arp_packet(uint16_t ether_type, uint32_t spa, uint32_t tpa)
{
    struct rte_mbuf *p = udp_packet(1, 2, 3, 4, 60);
    uint8_t *b = rte_pktmbuf_mtod(p, uint8_t *);
    *(rte_be16_t *)(b + 12) = rte_cpu_to_be_16(ether_type);
    static const uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    memcpy(b + 14, head, sizeof(head));
    uint32_t s = htonl(spa), t = htonl(tpa);
    memcpy(b + 28, &s, 4);
    memcpy(b + 38, &t, 4);
    return p;
}

static void header_arp_addresses_match_arp_and_rarp_only(void **state)
{
    (void)state;
    struct e2_module *m =
        matcher("HeaderMatch", "{\"rules\": [{\"arp_tpa\": \"10.0.0.0/8\", \"gate\": 1},"
                               " {\"arp_spa\": \"192.168.1.7\", \"gate\": 2},"
                               " {\"ether_type\": \"arp\", \"gate\": 3}]}");
    assert_int_equal(gate_of(m, arp_packet(RTE_ETHER_TYPE_ARP, 1, IP(10, 9, 9, 9))), 1);
    assert_int_equal(gate_of(m, arp_packet(RTE_ETHER_TYPE_RARP, 1, IP(10, 0, 0, 1))), 1);
    assert_int_equal(gate_of(m, arp_packet(RTE_ETHER_TYPE_ARP, IP(192, 168, 1, 7), 1)), 2);
    assert_int_equal(gate_of(m, arp_packet(RTE_ETHER_TYPE_ARP, IP(192, 168, 1, 8), 1)), 3);
    /* IPv4 packets with those addresses are not ARP */
    assert_int_equal(gate_of(m, udp_packet(IP(192, 168, 1, 7), IP(10, 0, 0, 1), 1, 2, 60)),
                     DROPPED);
    assert_string_equal(
        create_error("HeaderMatch", "{\"rules\": [{\"arp_spa\": \"::1\", \"gate\": 1}]}"),
        "module 'bad' (HeaderMatch): rules[0].arp_spa: \"::1\": ARP carries IPv4 addresses");
}

static void header_invalid_values_are_refused_naming_rule_and_field(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{\"src_ip\": \"10.0.0.0/33\", \"gate\": 0}",
         "rules[2].src_ip: \"10.0.0.0/33\" is not a prefix (the length must be 0..32)"},
        {"{\"dst_ip\": \"10.0.0.1/8\", \"gate\": 0}",
         "rules[2].dst_ip: \"10.0.0.1/8\" is not a prefix (bits set after the first 8)"},
        {"{\"dst_ip\": \"2001:db8::1/32\", \"gate\": 0}",
         "rules[2].dst_ip: \"2001:db8::1/32\" is not a prefix (bits set after the first 32)"},
        {"{\"dst_ip\": \"10.0.0.256\", \"gate\": 0}",
         "rules[2].dst_ip: \"10.0.0.256\" is not an IPv4 address"},
        {"{\"dst_port\": 70000, \"gate\": 0}", "rules[2].dst_port: 70000 is out of range 0..65535"},
        {"{\"dst_port\": \"90-80\", \"gate\": 0}",
         "rules[2].dst_port: \"90-80\" is an empty range (90 > 80)"},
        {"{\"proto\": \"tpc\", \"gate\": 0}",
         "rules[2].proto: \"tpc\" is not a value or range LO-HI in 0..255, nor one of icmp, tcp, "
         "udp, sctp, icmpv6"},
        {"{\"dscp\": 64, \"gate\": 0}", "rules[2].dscp: 64 is out of range 0..63"},
        {"{\"tos\": 4, \"dscp\": 1, \"gate\": 0}",
         "rules[2].dscp: this rule already has a condition on tos"},
        {"{\"in_port\": \"nope\", \"gate\": 0}", "rules[2].in_port: no port named \"nope\""},
        {"{\"dport\": 80, \"gate\": 0}",
         "rules[2].dport: unknown key (a rule has gate, name, in_port, ether_type, vlan, src_ip, "
         "dst_ip, proto, tos, dscp, src_port, dst_port, arp_spa, arp_tpa)"},
        {"{\"vlan\": 1, \"gate\": \"x\"}", "rules[2].gate: must be a gate 0..1023, or -1 to drop"},
        {"{\"vlan\": 1, \"gate\": 0, \"name\": 3}",
         "rules[2].name: must be a string of 1..47 characters"},
    };
    for (size_t i = 0; i < RTE_DIM(cases); i++) {
        char args[512], want[512];
        snprintf(args, sizeof(args),
                 "{\"rules\": [{\"vlan\": 1, \"gate\": 0}, {\"vlan\": 2, \"gate\": 0}, %s]}",
                 cases[i][0]);
        snprintf(want, sizeof(want), "module 'bad' (HeaderMatch): %s", cases[i][1]);
        assert_string_equal(create_error("HeaderMatch", args), want);
    }
}

/* ---- the compiled table ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* A random header rule over small domains, so that packets hit rules often. */
static json_t *random_header_rule(void)
{
    json_t *r = json_pack("{s:i}", "gate", (int)rnd(4) - 1);
    if (rnd(2)) {
        uint32_t lo = rnd(16), hi = lo + rnd(4);
        json_object_set_new(r, "dst_port", json_sprintf("%u-%u", lo, hi));
    }
    if (rnd(3) == 0) json_object_set_new(r, "proto", json_string(rnd(2) ? "udp" : "tcp"));
    if (rnd(3) == 0)
        json_object_set_new(r, "src_ip", json_sprintf("10.0.%u.0/%u", rnd(4), 22 + rnd(3)));
    if (rnd(4) == 0) json_object_set_new(r, "dscp", json_integer(rnd(3)));
    if (rnd(5) == 0)
        json_object_set_new(r, "dst_ip", json_string(rnd(2) ? "::/0" : "2001:db8::/32"));
    if (rnd(6) == 0) json_object_set_new(r, "arp_tpa", json_sprintf("10.0.%u.0/24", rnd(4)));
    return r;
}

static struct rte_mbuf *random_header_packet(void)
{
    if (rnd(8) == 0) return arp_packet(RTE_ETHER_TYPE_ARP, 1, IP(10, 0, rnd(4), rnd(256)));
    if (rnd(8) == 0)
        return ip6_packet("::1", rnd(2) ? "2001:db8::1" : "2001:db9::1", (uint16_t)rnd(20));
    struct rte_mbuf *p = udp_packet(IP(10, 0, rnd(4), rnd(256)), 1, 1, (uint16_t)rnd(20), 60);
    ip4(p)->next_proto_id = rnd(3) ? IPPROTO_UDP : IPPROTO_TCP;
    ip4(p)->type_of_service = (uint8_t)(rnd(3) << 2);
    return p;
}

static json_t *random_tag_rule(void)
{
    json_t *all = json_array();
    for (unsigned s = 0; s < 4; s++) {
        if (rnd(3)) continue;
        json_t *c = json_pack("{s:i}", "slot", s);
        if (rnd(5) == 0)
            json_object_set_new(c, "present", json_false());
        else if (rnd(2))
            json_object_set_new(c, "value", json_integer(rnd(6)));
        else
            json_object_set_new(c, "hi", json_integer(rnd(6)));
        json_array_append_new(all, c);
    }
    return json_pack("{s:o, s:i}", "all", all, "gate", (int)rnd(4) - 1);
}

static struct rte_mbuf *random_tagged_packet(void)
{
    struct rte_mbuf *p = udp_packet(1, 2, 3, 4, 60);
    for (unsigned s = 0; s < 4; s++)
        if (rnd(4)) e2_meta_set_tag(p, s, rnd(8));
    return p;
}

static const char *engine(struct e2_module *m)
{
    static char buf[16];
    json_t *r = get_rules(m);
    snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(r, "engine")));
    json_decref(r);
    return buf;
}

/* Grow the same random rules in a scanned and a compiled table; every packet must agree. */
static void scan_and_acl_agree(const char *type, json_t *(*rule)(void),
                               struct rte_mbuf *(*packet)(void))
{
    struct e2_module *scan = matcher(type, "{\"acl_min_rules\": 0, \"default_gate\": 2}");
    struct e2_module *acl = make("acl", type, "{\"acl_min_rules\": 1, \"default_gate\": 2}");
    for (uint16_t g = 0; g < 4; g++) link_gates(acl, g, e2_graph_module_find("cap"), g);
    unsigned rules = 0;
    for (int round = 0; round < 60; round++) {
        json_t *args = json_pack("{s:o, s:i}", "rule", rule(), "index", (int)rnd(rules + 1));
        char *text = json_dumps(args, 0);
        json_decref(args);
        char m1[E2_ERR_MSG_MAX], m2[E2_ERR_MSG_MAX];
        int rc1 = command(scan, "add_rule", text, NULL, m1, sizeof(m1));
        int rc2 = command(acl, "add_rule", text, NULL, m2, sizeof(m2));
        free(text);
        assert_int_equal(rc1, rc2);
        rules += rc1 == 0;
        if (rules == 0) continue;
        assert_string_equal(engine(scan), "scan");
        assert_string_equal(engine(acl), "acl");
        for (int k = 0; k < 20; k++) {
            struct rte_mbuf *p = packet(), *q = rte_pktmbuf_copy(p, e2_pktpool(), 0, UINT32_MAX);
            if (!q) fail_msg("copy failed");
            assert_int_equal(gate_of(acl, q), gate_of(scan, p));
        }
    }
    assert_true(rules >= 10);
}

static void header_acl_table_agrees_with_the_scan(void **state)
{
    (void)state;
    scan_and_acl_agree("HeaderMatch", random_header_rule, random_header_packet);
}

static void metadata_acl_table_agrees_with_the_scan(void **state)
{
    (void)state;
    scan_and_acl_agree("MetadataMatch", random_tag_rule, random_tagged_packet);
}

static void table_is_compiled_from_acl_min_rules_on(void **state)
{
    (void)state;
    struct e2_module *m = matcher("HeaderMatch", "{\"acl_min_rules\": 3}");
    cmd_ok(m, "add_rule", "{\"rule\": {\"dst_port\": 1, \"gate\": 1}}");
    cmd_ok(m, "add_rule", "{\"rule\": {\"dst_port\": 2, \"gate\": 2}}");
    assert_string_equal(engine(m), "scan");
    cmd_ok(m, "add_rule", "{\"rule\": {\"dst_port\": 3, \"gate\": 3}}");
    assert_string_equal(engine(m), "acl");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 3, 60)), 3);
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 1, 60)), 1);
    cmd_ok(m, "delete_rule", "{\"index\": 0}");
    assert_string_equal(engine(m), "scan");
    assert_int_equal(gate_of(m, udp_packet(1, 2, 3, 1, 60)), DROPPED);
}

/* ---- live ---- */

/* Test fixture: tags each packet's slot 0 with a counter, 0..3 in turn. */
static void tagger_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    uint32_t *n = m->priv;
    for (uint32_t i = 0; i < b->cnt; i++) e2_meta_set_tag(b->pkts[i], 0, (*n)++ % 4);
    e2_emit(m, 0, b);
}

static struct e2_module_type tagger_type = {
    .name = "TestTagger",
    .summary = "test fixture: tags slot 0 with 0, 1, 2, 3, 0, ...",
    .max_igates = 1,
    .max_ogates = 1,
    .priv_size = sizeof(uint32_t),
    .process = tagger_process,
};
E2_MODULE_REGISTER(tagger_type);

static uint64_t counted(const char *module)
{
    struct e2_module *m = e2_graph_module_find(module);
    json_t *s = m->type->stats(m);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(s, "packets"));
    json_decref(s);
    return n;
}

/*
 * Change the rules of m (set_rules from @tables in turn; every third time add
 * @rule first and delete it) until a worker has sent @total packets through
 * it: none may be lost, and the changes must have overlapped the traffic.
 */
static void churn_under_traffic(const char *const *tables, unsigned n_tables, const char *rule,
                                uint64_t total)
{
    struct e2_module *m = e2_graph_module_find("m");
    char add[256];
    snprintf(add, sizeof(add), "{\"rule\": %s, \"index\": 0}", rule);
    unsigned during = 0;
    for (unsigned i = 0; counted("a") + counted("b") < total && i < 1000000; i++) {
        if (i % 3 == 2) {
            cmd_ok(m, "add_rule", add);
            cmd_ok(m, "delete_rule", "{\"index\": 0}");
        } else {
            cmd_ok(m, "set_rules", tables[i % n_tables]);
        }
        during += counted("a") + counted("b") > 0;
    }
    assert_true(during >= 20);
    assert_int_equal(counted("a") + counted("b"), total);
    assert_int_equal(m->dropped, 0);
    assert_true(counted("b") > 0);
}

static void metadata_rules_change_under_traffic_without_losing_packets(void **state)
{
    (void)state;
    load("tag(name=\"n\", slot=0);\n"
         "src :: Source(limit=600000) -> TestTagger() -> m :: MetadataMatch(default_gate=0, "
         "acl_min_rules=3);\n"
         "m[0] -> a :: Sink(); m[1] -> b :: Sink();");
    static const char *const tables[] = {
        "{\"rules\": [{\"tag\": \"n\", \"value\": 1, \"gate\": 1}]}",
        "{\"rules\": [{\"tag\": \"n\", \"lo\": 2, \"gate\": 1}, {\"tag\": \"n\", \"gate\": 0}]}",
        /* compiled (acl_min_rules) */
        ("{\"rules\": [{\"tag\": \"n\", \"value\": 0, \"gate\": 0}, {\"tag\": \"n\", \"value\": 3,"
         " \"gate\": 1}, {\"slot\": 1, \"present\": false, \"gate\": 0}]}"),
    };
    churn_under_traffic(tables, RTE_DIM(tables), "{\"slot\": 3, \"value\": 1, \"gate\": 1}",
                        600000);
}

static void header_rules_change_under_traffic_without_losing_packets(void **state)
{
    (void)state;
    load("src :: Source(limit=600000, templates=[{dst_port=\"0-3\"}]) -> m :: "
         "HeaderMatch(default_gate=0, acl_min_rules=2);\n"
         "m[0] -> a :: Sink(); m[1] -> b :: Sink();");
    static const char *const tables[] = {
        "{\"rules\": [{\"dst_port\": 1, \"gate\": 1}]}",
        "{\"rules\": [{\"dst_port\": \"2-3\", \"gate\": 1}, {\"proto\": \"udp\", \"gate\": 0}]}",
    };
    churn_under_traffic(tables, RTE_DIM(tables), "{\"vlan\": 7, \"gate\": 1}", 600000);
}

int main(void)
{
    harness_start(1, true);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(metadata_exact_value_steers_and_others_take_the_default_gate),
        T(metadata_range_includes_both_ends_and_open_ends_default),
        T(metadata_present_false_matches_packets_without_the_tag),
        T(metadata_all_conditions_of_a_rule_must_hold),
        T(metadata_first_matching_rule_wins),
        T(metadata_tag_by_slot_is_the_tag_by_name),
        T(metadata_undefined_tag_is_refused_at_init_and_in_commands),
        T(metadata_invalid_conditions_are_refused_naming_rule_and_key),
        T(rule_that_can_never_match_is_refused),
        T(commands_add_delete_and_get_rules_in_order),
        T(gate_minus_one_drops_and_counts),
        T(header_ipv4_prefixes_proto_and_port_ranges),
        T(header_ports_never_match_packets_without_them),
        T(header_ipv6_prefixes_match_only_ipv6),
        T(header_tos_dscp_vlan_ether_type_and_in_port),
        T(header_arp_addresses_match_arp_and_rarp_only),
        T(header_invalid_values_are_refused_naming_rule_and_field),
        T(header_acl_table_agrees_with_the_scan),
        T(metadata_acl_table_agrees_with_the_scan),
        T(table_is_compiled_from_acl_min_rules_on),
        T(metadata_rules_change_under_traffic_without_losing_packets),
        T(header_rules_change_under_traffic_without_losing_packets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
