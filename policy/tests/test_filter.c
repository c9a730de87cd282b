/*
 * Filters: every primitive on hand-built frames (a frame that matches and
 * one that does not), E2's additions (address names, dst ip NAME, tos,
 * attribute terms), canonical printing, the header-only residue for the
 * dataplane, and errors at their exact line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter.h"

/* ---- frames ---- */

struct pkt {
    uint8_t b[128];
    uint32_t len;
};

struct spec {
    uint16_t ethertype;        /* 0x0800 default */
    int vlan;                  /* > 0: one 802.1Q tag with this id */
    const char *src, *dst;     /* IPv4 or IPv6 */
    uint8_t proto, tos, flags; /* proto 6 default */
    uint16_t sport, dport;
    uint16_t frag; /* IPv4 flags+offset */
    uint8_t icmp_type;
    bool bcast;
};

static uint32_t put_ip4(uint8_t *p, const struct spec *s)
{
    p[0] = 0x45;
    p[1] = s->tos;
    p[2] = 0;
    p[3] = 40;
    p[6] = (uint8_t)(s->frag >> 8);
    p[7] = (uint8_t)s->frag;
    p[8] = 64;
    p[9] = s->proto;
    inet_pton(AF_INET, s->src, p + 12);
    inet_pton(AF_INET, s->dst, p + 16);
    return 20;
}

static uint32_t put_ip6(uint8_t *p, const struct spec *s)
{
    p[0] = 0x60;
    p[5] = 20;
    p[6] = s->proto;
    p[7] = 64;
    inet_pton(AF_INET6, s->src, p + 8);
    inet_pton(AF_INET6, s->dst, p + 24);
    return 40;
}

static struct pkt frame(struct spec s)
{
    struct pkt k = {{0}, 0};
    if (!s.ethertype) s.ethertype = strchr(s.src ? s.src : "", ':') ? 0x86dd : 0x0800;
    if (!s.src) s.src = "10.0.0.1";
    if (!s.dst) s.dst = "10.0.0.2";
    if (!s.proto) s.proto = 6;
    memset(k.b, s.bcast ? 0xff : 0x02, 6);
    memcpy(k.b + 6, "\x02\x00\x00\x00\x00\x01", 6);
    uint32_t o = 12;
    if (s.vlan > 0) {
        k.b[o] = 0x81;
        k.b[o + 2] = (uint8_t)(s.vlan >> 8);
        k.b[o + 3] = (uint8_t)s.vlan;
        o += 4;
    }
    k.b[o] = (uint8_t)(s.ethertype >> 8);
    k.b[o + 1] = (uint8_t)s.ethertype;
    o += 2;
    if (s.ethertype == 0x0800) o += put_ip4(k.b + o, &s);
    if (s.ethertype == 0x86dd) o += put_ip6(k.b + o, &s);
    if (s.ethertype == 0x0806) {
        memcpy(k.b + o, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
        inet_pton(AF_INET, s.src, k.b + o + 14);
        inet_pton(AF_INET, s.dst, k.b + o + 24);
        o += 28;
    }
    if (s.proto == 1 || s.proto == 58) k.b[o] = s.icmp_type;
    if (s.proto == 6 || s.proto == 17) {
        k.b[o] = (uint8_t)(s.sport >> 8);
        k.b[o + 1] = (uint8_t)s.sport;
        k.b[o + 2] = (uint8_t)(s.dport >> 8);
        k.b[o + 3] = (uint8_t)s.dport;
        k.b[o + 12] = 0x50;
        k.b[o + 13] = s.flags;
    }
    k.len = o + (s.proto == 6 ? 20 : 8);
    return k;
}

static struct e2_filter *parse_scoped(const char *text, const struct e2_filter_scope *scope,
                                      struct e2_err *err)
{
    struct e2_filter *f = NULL;
    struct e2_filter_src src = {"p.e2", 3, 10};
    int rc = e2_filter_parse(text, strlen(text), &src, scope, &f, err);
    return rc ? NULL : f;
}

static struct e2_filter *parse(const char *text)
{
    struct e2_err err = {0};
    struct e2_filter *f = parse_scoped(text, NULL, &err);
    if (!f) fail_msg("\"%s\": %s", text, err.msg);
    return f;
}

static bool match(const char *expr, struct pkt k)
{
    struct e2_filter *f = parse(expr);
    bool r = e2_filter_eval(f, k.b, k.len, k.len, NULL);
    e2_filter_free(f);
    return r;
}

struct row {
    const char *expr;
    struct spec yes, no;
};

#define S(...) ((struct spec){__VA_ARGS__})

static const struct row rows[] = {
    {"ip", S(.proto = 6), S(.src = "2001:db8::1", .dst = "::2")},
    {"ip6", S(.src = "2001:db8::1", .dst = "::2"), S(.proto = 6)},
    {"arp", S(.ethertype = 0x0806), S(.proto = 6)},
    {"tcp", S(.proto = 6), S(.proto = 17)},
    {"udp", S(.proto = 17), S(.proto = 6)},
    {"icmp", S(.proto = 1), S(.proto = 6)},
    {"icmp6", S(.src = "fe80::1", .dst = "ff02::1", .proto = 58), S(.proto = 1)},
    {"host 10.0.0.2", S(.dst = "10.0.0.2"), S(.dst = "10.0.0.3")},
    {"src host 10.0.0.1", S(.src = "10.0.0.1"), S(.src = "10.0.0.2", .dst = "10.0.0.1")},
    {"dst host 10.0.0.2", S(.dst = "10.0.0.2"), S(.src = "10.0.0.2", .dst = "10.0.0.1")},
    {"src or dst host 10.0.0.9", S(.dst = "10.0.0.9"), S(.dst = "10.0.0.8")},
    {"src and dst host 10.0.0.9", S(.src = "10.0.0.9", .dst = "10.0.0.9"), S(.dst = "10.0.0.9")},
    {"arp host 10.0.0.2", S(.ethertype = 0x0806, .dst = "10.0.0.2"), S(.dst = "10.0.0.2")},
    {"net 10.12.30.0/24", S(.dst = "10.12.30.7"), S(.dst = "10.12.31.7")},
    {"net 10.0.0.0 mask 255.0.0.0", S(.src = "10.9.9.9"), S(.src = "11.0.0.1", .dst = "11.0.0.2")},
    {"net 10", S(.src = "10.1.1.1"), S(.src = "11.0.0.1", .dst = "12.0.0.1")},
    {"ip6 net 2001:db8::/32", S(.src = "2001:db8::5", .dst = "::1"),
     S(.src = "2001:db9::5", .dst = "::1")},
    {"ip6 host ::1", S(.src = "::1", .dst = "::2"), S(.src = "::3", .dst = "::2")},
    {"ether host ff:ff:ff:ff:ff:ff", S(.bcast = true), S(.proto = 6)},
    {"ether broadcast", S(.bcast = true), S(.proto = 6)},
    {"multicast", S(.bcast = true), S(.proto = 6)},
    {"ip multicast", S(.dst = "224.0.0.5"), S(.dst = "10.0.0.5")},
    {"port 80", S(.dport = 80), S(.dport = 81)},
    {"src port 53", S(.proto = 17, .sport = 53), S(.proto = 17, .dport = 53)},
    {"tcp dst port 443", S(.dport = 443), S(.proto = 17, .dport = 443)},
    {"port 80", S(.src = "::1", .dst = "::2", .sport = 80),
     S(.src = "::1", .dst = "::2", .sport = 8)},
    {"port 80", S(.dport = 80), S(.dport = 80, .frag = 0x0010)}, /* later fragments: no ports */
    {"portrange 1000-2000", S(.sport = 1500), S(.sport = 999, .dport = 2001)},
    {"proto 17", S(.proto = 17), S(.proto = 6)},
    {"ip proto \\udp", S(.proto = 17), S(.proto = 6)},
    {"ether proto 0x0806", S(.ethertype = 0x0806), S(.proto = 6)},
    {"less 50", S(.proto = 1), S(.proto = 6, .dport = 1)},
    {"greater 50", S(.proto = 6), S(.proto = 1)},
    {"len >= 50", S(.proto = 6), S(.proto = 1)},
    {"tcp[tcpflags] & tcp-syn != 0", S(.flags = 0x02), S(.flags = 0x10)},
    {"tcp[13] = 0x12", S(.flags = 0x12), S(.flags = 0x02)},
    {"icmp[icmptype] = icmp-echo", S(.proto = 1, .icmp_type = 8), S(.proto = 1, .icmp_type = 0)},
    {"ip[1] & 0xfc = 0xb8", S(.tos = 0xb8), S(.tos = 0)},
    {"tos 4", S(.tos = 4), S(.tos = 5)},
    {"vlan 100", S(.vlan = 100), S(.vlan = 101)},
    {"vlan and tcp port 80", S(.vlan = 5, .dport = 80), S(.dport = 80)},
    {"not tcp", S(.proto = 17), S(.proto = 6)},
    {"tcp and not port 22", S(.dport = 80), S(.dport = 22)},
    {"udp or icmp", S(.proto = 1), S(.proto = 6)},
    {"host 10.0.0.1 and (10.0.0.2 or 10.0.0.3)", S(.dst = "10.0.0.3"), S(.dst = "10.0.0.4")},
    {"port 80 or 443", S(.dport = 443), S(.dport = 8443)},
    {"tcp or udp and port 53", S(.proto = 17, .dport = 53), S(.proto = 6, .dport = 80)},
};

static void every_primitive_matches_its_packet_and_not_the_other(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (!match(rows[i].expr, frame(rows[i].yes)))
            fail_msg("\"%s\" misses its packet", rows[i].expr);
        if (match(rows[i].expr, frame(rows[i].no)))
            fail_msg("\"%s\" takes the other packet", rows[i].expr);
    }
}

static void and_or_share_one_precedence_left_to_right(void **state)
{
    (void)state;
    /* libpcap: "udp or tcp and port 53" is "(udp or tcp) and port 53". */
    assert_false(match("udp or tcp and port 53", frame(S(.proto = 17, .dport = 80))));
    assert_true(match("udp or (tcp and port 53)", frame(S(.proto = 17, .dport = 80))));
}

static void truncated_frames_are_rejected_like_bpf(void **state)
{
    (void)state;
    struct pkt k = frame(S(.dport = 80));
    struct e2_filter *f = parse("not tcp port 80");
    assert_false(e2_filter_eval(f, k.b, 30, k.len, NULL)); /* the port is past the capture */
    assert_false(e2_filter_eval(f, k.b, k.len, k.len, NULL));
    e2_filter_free(f);
}

/* ---- E2 additions ---- */

static int addr_cb(void *ctx, const char *name, struct e2_addr *out)
{
    (void)ctx;
    if (strcmp(name, "my_net")) return -ENOENT;
    *out = (struct e2_addr){.family = AF_INET, .bytes = {10, 12, 30, 0}, .prefix = 24};
    return 0;
}

static struct e2_nf_attr fw_attrs[1], ids_attrs[2];
static struct e2_attr_value verdicts[4] = {{"0", 0, -1}, {"1", 1, -1}, {"2", 2, -1}, {"3", 3, -1}};
static struct e2_nf_desc fw = {.nf_type = "FW", .attrs = fw_attrs, .n_attrs = 1};
static struct e2_nf_desc ids = {.nf_type = "IDS", .attrs = ids_attrs, .n_attrs = 2};

static int type_cb(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    (void)ctx;
    if (!strcmp(type, "f")) return -EISDIR;
    if (!strcmp(type, "FW"))
        *out = &fw;
    else if (!strcmp(type, "IDS"))
        *out = &ids;
    else
        return -ENOENT;
    return 0;
}

static struct e2_attr_table table;
static struct e2_filter_scope scope = {NULL, addr_cb, type_cb, &table};

static int setup(void **state)
{
    (void)state;
    fw_attrs[0] = (struct e2_nf_attr){.name = "safe", .type = E2_ATTR_BOOL, .method = E2_ATTR_PORT};
    ids_attrs[0] = (struct e2_nf_attr){.name = "verdict",
                                       .type = E2_ATTR_INT,
                                       .method = E2_ATTR_METADATA,
                                       .values = verdicts,
                                       .n_values = 4};
    ids_attrs[1] =
        (struct e2_nf_attr){.name = "url", .type = E2_ATTR_STRING, .method = E2_ATTR_METADATA};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    e2_attr_table_free(&table);
    return 0;
}

struct values {
    int64_t safe, verdict;
    const char *url;
    bool have_safe;
};

static int value_cb(void *ctx, unsigned slot, struct e2_attr_val *out)
{
    const struct values *v = ctx;
    const char *name = table.slots[slot].attr->name;
    if (!strcmp(name, "safe") && v->have_safe)
        out->num = v->safe;
    else if (!strcmp(name, "verdict") && v->verdict >= 0)
        out->num = v->verdict;
    else if (!strcmp(name, "url") && v->url)
        out->str = v->url;
    else
        return -ENOENT;
    return 0;
}

static bool match_env(const char *expr, struct pkt k, struct values v)
{
    struct e2_err err = {0};
    struct e2_filter *f = parse_scoped(expr, &scope, &err);
    if (!f) fail_msg("\"%s\": %s", expr, err.msg);
    struct e2_filter_env env = {&v, value_cb};
    bool r = e2_filter_eval(f, k.b, k.len, k.len, &env);
    e2_filter_free(f);
    return r;
}

static void address_names_and_the_papers_dst_ip_form_resolve(void **state)
{
    (void)state;
    struct values none = {.verdict = -1};
    assert_true(match_env("dst ip my_net", frame(S(.dst = "10.12.30.4")), none));
    assert_false(match_env("dst ip my_net", frame(S(.src = "10.12.30.4", .dst = "1.1.1.1")), none));
    assert_true(match_env("!(dst ip my_net)", frame(S(.dst = "10.12.31.4")), none));
    assert_true(match_env("src net my_net or host my_net", frame(S(.dst = "10.12.30.9")), none));
}

static void attribute_terms_read_the_environment(void **state)
{
    (void)state;
    struct pkt k = frame(S(.dport = 80));
    assert_true(match_env("FW.safe && dst port 80", k, (struct values){1, -1, NULL, true}));
    assert_false(match_env("FW.safe", k, (struct values){0, -1, NULL, true}));
    assert_false(match_env("FW.safe", k, (struct values){.verdict = -1})); /* unset */
    assert_true(match_env("!FW.safe", k, (struct values){.verdict = -1}));
    assert_true(match_env("IDS.verdict == 2", k, (struct values){.verdict = 2}));
    assert_true(match_env("IDS.verdict >= 2", k, (struct values){.verdict = 3}));
    assert_false(match_env("IDS.verdict != 2", k, (struct values){.verdict = -1}));
    assert_true(match_env("IDS.url == \"example.com/x\"", k,
                          (struct values){.verdict = -1, .url = "example.com/x"}));
    assert_false(match_env("IDS.url != \"example.com/x\"", k,
                           (struct values){.verdict = -1, .url = "example.com/x"}));
}

static void canonical_text_spells_everything_out(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"dst ip my_net", "ip dst net 10.12.30.0/24"},
        {"host 10.1 && !tcp", "net 10.1.0.0/16 and not tcp"},
        {"net 10", "net 10.0.0.0/8"},
        {"tos 3", "ip[1] = 3"},
        {"tcp[tcpflags] & tcp-syn != 0", "tcp[13] & 2 != 0"},
        {"port 80 or 443 and not host 1.2.3.4", "port 80 or port 443 and not host 1.2.3.4"},
        {"tcp and (udp or (icmp and arp))", "tcp and (udp or (icmp and arp))"},
        {"len - (ip[0] - 1) - 2 > 0", "len - (ip[0] - 1) - 2 > 0"},
        {"IDS.verdict == 2 || FW.safe", "IDS.verdict == 2 or FW.safe"},
        {"net 10.0.0.0 mask 255.0.255.0", "net 10.0.0.0 mask 255.0.255.0"},
        {"ip6 src net 2001:db8::/32", "ip6 src net 2001:db8::/32"},
        {"vlan 7 and ether src 2:0:0:0:0:1", "vlan 7 and ether src host 02:00:00:00:00:01"},
        {"ip[2:2] - ((ip[0] & 0xf) << 2) > 20", "ip[2:2] - ((ip[0] & 15) << 2) > 20"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_err err = {0};
        struct e2_filter *f = parse_scoped(cases[i][0], &scope, &err);
        if (!f) fail_msg("%s", err.msg);
        assert_int_equal(e2_filter_is_empty(f), !cases[i][0][0]);
        bool attrs = strstr(cases[i][0], "FW.") || strstr(cases[i][0], "IDS.");
        assert_int_equal(e2_filter_has_attrs(f), attrs);
        char buf[256];
        e2_filter_print(f, buf, sizeof(buf));
        if (strcmp(buf, cases[i][1]))
            fail_msg("\"%s\" printed \"%s\", want \"%s\"", cases[i][0], buf, cases[i][1]);
        e2_filter_free(f);
    }
}

static void residue_gives_pcap_text_per_attribute_value(void **state)
{
    (void)state;
    struct e2_err err = {0};
    struct e2_filter *f =
        parse_scoped("(FW.safe && dst port 80) || (!FW.safe && src port 22)", &scope, &err);
    assert_non_null(f);
    char buf[128];
    struct values safe = {1, -1, NULL, true}, unsafe = {0, -1, NULL, true}, none = {.verdict = -1};
    struct e2_filter_env env = {&safe, value_cb};
    assert_true(e2_filter_print_pcap(f, &env, buf, sizeof(buf), &err) > 0);
    assert_string_equal(buf, "dst port 80");
    env.ctx = &unsafe;
    assert_true(e2_filter_print_pcap(f, &env, buf, sizeof(buf), &err) > 0);
    assert_string_equal(buf, "src port 22");
    env.ctx = &none;
    assert_int_equal(e2_filter_print_pcap(f, NULL, buf, sizeof(buf), &err), -ENOTSUP);
    assert_string_equal(err.msg, "no value given for attribute FW.safe");
    e2_filter_free(f);
    f = parse_scoped("FW.safe and IDS.verdict == 1", &scope, &err);
    env.ctx = &safe;
    assert_int_equal(e2_filter_print_pcap(f, &env, buf, sizeof(buf), &err), 5);
    assert_string_equal(buf, "1 = 0"); /* verdict unset: nothing passes */
    e2_filter_free(f);
    f = parse_scoped("(FW.safe and vlan) or ip", &scope, &err);
    env.ctx = &unsafe;
    assert_int_equal(e2_filter_print_pcap(f, &env, buf, sizeof(buf), &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "vlan"));
    e2_filter_free(f);
}

static void errors_point_at_the_offending_token(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"dst prot 80",
         "p.e2:3:14: error: unknown name 'prot' (not an Address declared in the policy)"},
        {"tcp and\n  port 99999", "p.e2:4:8: error: illegal port number 99999 > 65535"},
        {"host 1.2.3.4 and", "p.e2:3:26: error: expected a term at the end of the filter"},
        {"FW.sfe", "p.e2:3:10: error: NF type 'FW' has no attribute 'sfe' (it has: safe)"},
        {"f.safe", "p.e2:3:10: error: 'f.safe': 'f' is an NF instance; name attributes by NF type "
                   "(TYPE.safe)"},
        {"NAT.x", "p.e2:3:10: error: 'NAT.x': 'NAT' is not an NF type of this policy"},
        {"IDS.verdict == 7", "p.e2:3:25: error: 7 is not a value of IDS.verdict"},
        {"FW.safe == 1",
         "p.e2:3:18: error: bool attribute FW.safe is written bare (or negated with !)"},
        {"gateway foo", "p.e2:3:10: error: 'gateway' is a libpcap primitive E2 does not support"},
        {"port http",
         "p.e2:3:15: error: port names such as 'http' are not supported: write the number"},
        {"(tcp", "p.e2:3:14: error: expected ')' at the end of the filter"},
        {"ip /* never closed", "p.e2:3:13: error: unterminated comment"},
        {"nosuch_net", "p.e2:3:10: error: expected a term (a bare value needs a qualifier such as "
                       "host), found 'nosuch_net'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2_err err = {0};
        struct e2_filter *f = parse_scoped(cases[i][0], &scope, &err);
        if (f) fail_msg("\"%s\" was accepted", cases[i][0]);
        if (strcmp(err.msg, cases[i][1]))
            fail_msg("\"%s\":\n got  %s\n want %s", cases[i][0], err.msg, cases[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_primitive_matches_its_packet_and_not_the_other),
        cmocka_unit_test(and_or_share_one_precedence_left_to_right),
        cmocka_unit_test(truncated_frames_are_rejected_like_bpf),
        cmocka_unit_test(address_names_and_the_papers_dst_ip_form_resolve),
        cmocka_unit_test(attribute_terms_read_the_environment),
        cmocka_unit_test(canonical_text_spells_everything_out),
        cmocka_unit_test(residue_gives_pcap_text_per_attribute_value),
        cmocka_unit_test(errors_point_at_the_offending_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
