/*
 * The firewall's logic without DPDK: rule files (every statement, every
 * refusal with FILE:LINE), matching (prefixes, ranges, first match, the
 * policy), connection tracking (NEW/ESTABLISHED/RELATED/INVALID, TCP's
 * handshake and teardown, timeouts on an explicit clock), per-rule
 * counters, reloads that keep the old rules on error, malformed frames,
 * blocks by signal, and the JSON the control operations answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2_csum.h"
#include "e2_nfsig.h"
#include "fw.h"
#include "fw_json.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SEC            FW_NS
#define TCP            6
#define UDP            17
#define ICMP           1
#define SYN            E2_TCP_SYN
#define ACK            E2_TCP_ACK
#define FIN            E2_TCP_FIN
#define RST            E2_TCP_RST

struct frame {
    uint8_t b[256];
    uint32_t len;
};

/* Ethernet + IPv4 (20 bytes) at @f; returns the L4 offset. */
static unsigned ipv4_header(struct frame *f, uint8_t proto, uint32_t src, uint32_t dst,
                            unsigned l4_len)
{
    memset(f->b, 0, sizeof(f->b));
    e2_put16(f->b + 12, 0x0800);
    uint8_t *ip = f->b + 14;
    ip[0] = 0x45;
    e2_put16(ip + 2, (uint16_t)(20 + l4_len));
    ip[8] = 64;
    ip[9] = proto;
    e2_put32(ip + 12, src);
    e2_put32(ip + 16, dst);
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
    f->len = 14 + 20 + l4_len;
    if (f->len < 60) f->len = 60; /* Ethernet padding is not payload */
    return 34;
}

/* A TCP segment with @flags, a UDP datagram, or an ICMP query with @sport as identifier. */
static struct frame pkt(uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        uint8_t flags)
{
    struct frame f;
    unsigned l4_len = proto == TCP ? 20 : 8;
    unsigned o = ipv4_header(&f, proto, src, dst, l4_len);
    if (proto == ICMP) {
        f.b[o] = flags; /* the type: 8 echo request, 0 echo reply */
        e2_put16(f.b + o + 4, sport);
    } else {
        e2_put16(f.b + o, sport);
        e2_put16(f.b + o + 2, dport);
    }
    if (proto == TCP) {
        f.b[o + 12] = 5 << 4;
        f.b[o + 13] = flags;
    }
    if (proto == UDP) e2_put16(f.b + o + 4, 8);
    return f;
}

/* An ICMP error (type 3 code 3) from @from quoting @quoted's IP header and 8 bytes. */
static struct frame icmp_error(uint32_t from, const struct frame *quoted)
{
    const uint8_t *qip = quoted->b + 14;
    struct frame f;
    unsigned o = ipv4_header(&f, ICMP, from, e2_get32(qip + 12), 8 + 28);
    f.b[o] = 3;
    f.b[o + 1] = 3;
    memcpy(f.b + o + 8, qip, 28);
    return f;
}

static const char conntrack_rules[] = "-P FORWARD DROP\n"
                                      "-A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT\n"
                                      "-A FORWARD -s 10.0.0.0/8 -m state --state NEW -j ACCEPT\n";

static struct fw *fw_with(const char *rules)
{
    struct fw_opts o = {.conn_max = 1024, .block_max = 64, .block_timeout_ns = 300 * SEC};
    struct e2_err err = {0};
    struct fw *fw = fw_create(&o, &err);
    assert_non_null(fw);
    if (fw_load_text(fw, rules, "t.rules", &err)) fail_msg("%s", err.msg);
    return fw;
}

/* Judge @f at @now: the verdict, and the tracked state it was given (-1: none). */
static int judge(struct fw *fw, struct frame f, uint64_t now, int *state)
{
    struct fw_stats before = *fw_stats(fw);
    int v = fw_packet(fw, f.b, f.len, now);
    *state = -1;
    for (int s = 0; s < FW_CT_COUNT; s++)
        if (fw_stats(fw)->state[s] != before.state[s]) *state = s;
    return v;
}

/* Expect verdict @v with state @s. */
#define EXPECT(fw, f, now, v, s)                                                                   \
    do {                                                                                           \
        int st_;                                                                                   \
        assert_int_equal(judge(fw, f, now, &st_), v);                                              \
        assert_int_equal(st_, s);                                                                  \
    } while (0)

/* ---- rule files ---- */

static void every_statement_parses(void **state)
{
    (void)state;
    const char *text =
        "# iptables-save framing\n"
        "*filter\n"
        ":INPUT ACCEPT [0:0]\n"
        ":FORWARD DROP [12:345]\n"
        ":OUTPUT ACCEPT [0:0]\n"
        "-A FORWARD -p tcp -s 10.0.0.0/8 -d 0.0.0.0/0 --sport 1024:65535 --dport 80 "
        "-m state --state NEW -j ACCEPT\n"
        "--append FORWARD --protocol udp --source 192.168.1.1 --destination-port 53 -m udp "
        "-m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT\n"
        "-A FORWARD -p tcp -m tcp --sport 1024: --dport :1023 -m comment --comment \"web, "
        "low\" -j DROP\n"
        "-A FORWARD -p icmp -m state --state RELATED,INVALID -j DROP\n"
        "-A FORWARD -p 47 -j ACCEPT\n"
        "-A FORWARD -j DROP\n"
        "COMMIT\n"
        "-P FORWARD ACCEPT\n";
    struct fw_ruleset *rs;
    struct e2_err err = {0};
    if (fw_ruleset_parse_text(text, "all.rules", &rs, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rs->n, 6);
    assert_int_equal(rs->policy, FW_SAFE); /* the last -P wins */
    const struct fw_rule *r = rs->rules;
    assert_int_equal(r[0].proto, TCP);
    assert_int_equal(r[0].src_ip, IP(10, 0, 0, 0));
    assert_int_equal(r[0].src_mask, 0xff000000u);
    assert_int_equal(r[0].dst_mask, 0);
    assert_int_equal(r[0].sport_lo, 1024);
    assert_int_equal(r[0].sport_hi, 65535);
    assert_int_equal(r[0].dport_lo, 80);
    assert_int_equal(r[0].dport_hi, 80);
    assert_int_equal(r[0].states, 1u << FW_CT_NEW);
    assert_true(r[0].has_ports);
    assert_int_equal(r[0].verdict, FW_SAFE);
    assert_int_equal(r[0].line, 6);
    assert_int_equal(r[1].src_mask, 0xffffffffu);
    assert_int_equal(r[1].sport_lo, 0);
    assert_int_equal(r[1].sport_hi, 65535);
    assert_int_equal(r[1].states, 1u << FW_CT_NEW | 1u << FW_CT_ESTABLISHED);
    assert_int_equal(r[2].sport_lo, 1024);
    assert_int_equal(r[2].dport_lo, 0);
    assert_int_equal(r[2].dport_hi, 1023);
    assert_int_equal(r[2].verdict, FW_UNSAFE);
    assert_string_equal(r[2].text, "-A FORWARD -p tcp -m tcp --sport 1024: --dport :1023 -m "
                                   "comment --comment \"web, low\" -j DROP");
    assert_int_equal(r[3].states, 1u << FW_CT_RELATED | 1u << FW_CT_INVALID);
    assert_false(r[3].has_ports);
    assert_int_equal(r[4].proto, 47);
    assert_int_equal(r[5].proto, 0);
    assert_int_equal(r[5].states, FW_CT_ALL);
    fw_ruleset_free(rs);
}

static void refusals_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"-A INPUT -j ACCEPT", "chain INPUT is not supported: the firewall sees forwarded "
                               "traffic only (FORWARD)"},
        {"-A mychain -j ACCEPT", "chain 'mychain' is not supported (only FORWARD; no user chains)"},
        {"-A FORWARD -j REJECT", "target REJECT is not supported: the firewall has no path back "
                                 "to the sender; use DROP"},
        {"-A FORWARD -j LOG", "target 'LOG' is not supported (ACCEPT or DROP)"},
        {"-A FORWARD -p tcp", "a rule needs a target (-j ACCEPT or -j DROP)"},
        {"-A FORWARD --dport 80 -j DROP", "--dport needs -p tcp or -p udp"},
        {"-A FORWARD -p icmp --sport 1 -j DROP", "--sport needs -p tcp or -p udp"},
        {"-A FORWARD ! -s 10.0.0.0/8 -j DROP", "negation ('!') is not supported"},
        {"-A FORWARD -i eth0 -j DROP",
         "interface matches (-i) are not supported: the firewall has one input"},
        {"-A FORWARD --syn -j DROP", "unknown option '--syn'"},
        {"-A FORWARD -s", "-s needs a value"},
        {"-A FORWARD -s 10.0.0.1 -s 10.0.0.2 -j DROP", "-s given twice"},
        {"-A FORWARD -s 10.0.0.1/8 -j DROP",
         "'10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"},
        {"-A FORWARD -d 10.0.0.300 -j DROP", "'10.0.0.300' is not an IPv4 address"},
        {"-A FORWARD -p tcp --dport 90:80 -j DROP", "port range '90:80' ends before it starts"},
        {"-A FORWARD -p tcp --dport 70000 -j DROP", "port '70000' is not a number from 0 to 65535"},
        {"-A FORWARD -p sctpx -j DROP",
         "'sctpx' is not a protocol (tcp, udp, icmp, esp, any or 0-255)"},
        {"-A FORWARD --state NEW -j DROP", "--state needs -m state before it"},
        {"-A FORWARD -m state -j DROP", "-m state needs --state"},
        {"-A FORWARD -m conntrack -j DROP", "-m conntrack needs --ctstate"},
        {"-A FORWARD -m state --state NEW,UNTRACKED -j DROP",
         "'UNTRACKED' is not a state (NEW, ESTABLISHED, RELATED, INVALID)"},
        {"-A FORWARD -m state --state , -j DROP", "',' names no state"},
        {"-A FORWARD -m multiport -j DROP",
         "match module 'multiport' is not supported (state, conntrack, comment, tcp, udp)"},
        {"-A FORWARD -m state -m state --state NEW -j DROP", "-m state given twice"},
        {"-A FORWARD -m state --state NEW -m conntrack --ctstate NEW -j DROP",
         "a rule has one state match"},
        {"-A FORWARD --comment x -j DROP", "--comment needs -m comment before it"},
        {"-A FORWARD -p udp -m tcp -j DROP", "-m tcp needs -p tcp"},
        {"-A FORWARD -p tcp -m udp -j DROP", "-m udp needs -p udp"},
        {"-A", "-A wants a chain"},
        {"-P FORWARD", "-P wants CHAIN TARGET"},
        {"-P FORWARD REJECT", "target REJECT is not supported: the firewall has no path back to "
                              "the sender; use DROP"},
        {":FORWARD", ":FORWARD wants POLICY [PACKETS:BYTES]"},
        {"*nat", "table 'nat' is not supported (only *filter)"},
        {"COMMIT now", "'COMMIT' stands alone on its line"},
        {"-I FORWARD -j DROP", "unknown statement '-I' (-A FORWARD ... or -P FORWARD ...)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512], want[512];
        snprintf(text, sizeof(text), "# rules\n-P FORWARD DROP\n%s\n-A FORWARD -j ACCEPT\n",
                 cases[i].line);
        snprintf(want, sizeof(want), "bad.rules:3: %s", cases[i].msg);
        struct fw_ruleset *rs = NULL;
        struct e2_err err = {0};
        assert_int_not_equal(fw_ruleset_parse_text(text, "bad.rules", &rs, &err), 0);
        assert_null(rs);
        if (strcmp(err.msg, want)) fail_msg("%s\n  got:  %s\n  want: %s", text, err.msg, want);
    }
}

static void rule_files_are_read_from_disk(void **state)
{
    (void)state;
    char path[] = "/tmp/test_fw_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "-P FORWARD DROP\n-A FORWARD -p udp -j ACCEPT\n-A FORWARD -p tcp -j\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fd);
    struct fw *fw = fw_with("");
    struct e2_err err = {0};
    assert_int_not_equal(fw_load_file(fw, path, &err), 0);
    char want[128];
    snprintf(want, sizeof(want), "%s:3: -j needs a value", path);
    assert_string_equal(err.msg, want);
    assert_int_not_equal(fw_load_file(fw, "/nonexistent/fw.rules", &err), 0);
    assert_non_null(strstr(err.msg, "cannot read /nonexistent/fw.rules"));
    unlink(path);
    fw_free(fw);
}

/* ---- matching ---- */

static int32_t first_match(const struct fw_ruleset *rs, struct fw_key k)
{
    int32_t r;
    rs->cls->classify(rs->cls, &k, 1, &r);
    return r;
}

static void prefixes_ranges_first_match_policy(void **state)
{
    (void)state;
    struct fw *fw = fw_with("-P FORWARD DROP\n"
                            "-A FORWARD -p tcp -s 10.1.0.0/16 --dport 80:89 -j ACCEPT\n"
                            "-A FORWARD -p tcp -s 10.0.0.0/8 -j DROP\n"
                            "-A FORWARD -d 192.168.0.0/24 -j ACCEPT\n"
                            "-A FORWARD -p udp --sport 53 -m state --state ESTABLISHED -j "
                            "ACCEPT\n");
    const struct fw_ruleset *rs = fw_rules(fw);
    struct fw_key k = {.src_ip = IP(10, 1, 2, 3),
                       .dst_ip = IP(192, 168, 0, 9),
                       .src_port = 5555,
                       .dst_port = 80,
                       .proto = TCP,
                       .ports = true};
    assert_int_equal(first_match(rs, k), 0);
    k.dst_port = 89;
    assert_int_equal(first_match(rs, k), 0); /* range ends included */
    k.dst_port = 90;
    assert_int_equal(first_match(rs, k), 1); /* first match wins over rule 2 */
    k.src_ip = IP(11, 1, 2, 3);
    assert_int_equal(first_match(rs, k), 2); /* /8 boundary; any protocol */
    k.dst_ip = IP(192, 168, 1, 9);
    assert_int_equal(first_match(rs, k), -1); /* the policy */
    k.src_ip = IP(10, 1, 0, 0);
    k.dst_port = 80;
    k.ports = false; /* a non-first fragment: port conditions cannot match */
    assert_int_equal(first_match(rs, k), 1);
    struct fw_key dns = {.src_port = 53, .proto = UDP, .ports = true, .state = FW_CT_NEW};
    assert_int_equal(first_match(rs, dns), -1);
    dns.state = FW_CT_ESTABLISHED;
    assert_int_equal(first_match(rs, dns), 3);
    assert_string_equal(rs->cls->name, "scan");
    fw_free(fw);
}

static void verdicts_follow_rules_and_policy(void **state)
{
    (void)state;
    struct fw *fw = fw_with("-A FORWARD -p udp -d 10.9.0.0/16 -j DROP\n");
    EXPECT(fw, pkt(UDP, IP(1, 1, 1, 1), IP(10, 9, 1, 1), 1, 2, 0), 0, FW_UNSAFE, FW_CT_NEW);
    EXPECT(fw, pkt(UDP, IP(1, 1, 1, 1), IP(10, 8, 1, 1), 1, 2, 0), 0, FW_SAFE, FW_CT_NEW);
    fw_free(fw);
    fw = fw_with(""); /* no rules: ACCEPT, like an empty iptables */
    EXPECT(fw, pkt(TCP, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 1, 2, SYN), 0, FW_SAFE, FW_CT_NEW);
    fw_free(fw);
}

/* ---- connection tracking ---- */

static void udp_new_then_established(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    struct frame out = pkt(UDP, IP(10, 0, 0, 1), IP(8, 8, 8, 8), 4000, 53, 0);
    struct frame back = pkt(UDP, IP(8, 8, 8, 8), IP(10, 0, 0, 1), 53, 4000, 0);
    struct frame other = pkt(UDP, IP(8, 8, 8, 8), IP(10, 0, 0, 1), 53, 4001, 0);
    EXPECT(fw, out, 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, out, 1, FW_SAFE, FW_CT_NEW); /* no reply yet: still NEW */
    EXPECT(fw, back, 2, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, out, 3, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, other, 4, FW_UNSAFE, FW_CT_NEW); /* unsolicited inbound */
    assert_int_equal(fw_conn_count(fw), 1);
    fw_free(fw);
}

static void refused_first_packets_leave_no_connection(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    struct frame in = pkt(UDP, IP(8, 8, 8, 8), IP(10, 0, 0, 1), 53, 4000, 0);
    struct frame out = pkt(UDP, IP(10, 0, 0, 1), IP(8, 8, 8, 8), 4000, 53, 0);
    EXPECT(fw, in, 0, FW_UNSAFE, FW_CT_NEW);
    assert_int_equal(fw_conn_count(fw), 0);
    EXPECT(fw, out, 1, FW_SAFE, FW_CT_NEW); /* the reply of nothing: a connection of its own */
    fw_free(fw);
}

static void tcp_handshake_data_and_teardown(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    uint32_t c = IP(10, 0, 0, 1), s = IP(20, 0, 0, 1);
#define C2S(fl) pkt(TCP, c, s, 40000, 80, fl)
#define S2C(fl) pkt(TCP, s, c, 80, 40000, fl)
    EXPECT(fw, C2S(ACK), 0, FW_UNSAFE, FW_CT_INVALID); /* no SYN, no connection */
    EXPECT(fw, C2S(SYN | FIN), 0, FW_UNSAFE, FW_CT_INVALID);
    assert_int_equal(fw_conn_count(fw), 0);
    EXPECT(fw, C2S(SYN), 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, C2S(SYN), 1, FW_SAFE, FW_CT_NEW);             /* a retransmission */
    EXPECT(fw, C2S(ACK), 1, FW_UNSAFE, FW_CT_INVALID);       /* ACK before SYN/ACK */
    EXPECT(fw, C2S(SYN | ACK), 1, FW_UNSAFE, FW_CT_INVALID); /* SYN/ACK from the opener */
    EXPECT(fw, S2C(SYN | ACK), 1, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, C2S(ACK), 1, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, C2S(ACK | E2_TCP_PSH), 2, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, S2C(ACK | E2_TCP_PSH), 2, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, C2S(SYN), 2, FW_UNSAFE, FW_CT_INVALID); /* a SYN inside a connection */
    EXPECT(fw, C2S(FIN), 2, FW_UNSAFE, FW_CT_INVALID); /* FIN without ACK */
    EXPECT(fw, C2S(FIN | ACK), 3, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, S2C(ACK), 3, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, S2C(FIN | ACK), 3, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, C2S(ACK), 3, FW_SAFE, FW_CT_ESTABLISHED); /* the last ACK: TIME_WAIT */
    json_t *j = fw_conns_json(fw, 10, 3);
    json_t *conn = json_array_get(json_object_get(j, "conns"), 0);
    assert_string_equal(json_string_value(json_object_get(conn, "tcp_state")), "TIME_WAIT");
    assert_string_equal(json_string_value(json_object_get(conn, "src")), "10.0.0.1");
    assert_int_equal(json_integer_value(json_object_get(conn, "dport")), 80);
    assert_true(json_real_value(json_object_get(conn, "expires_in")) == 120.0);
    json_decref(j);
    EXPECT(fw, C2S(SYN), 4, FW_SAFE, FW_CT_NEW); /* a SYN in TIME_WAIT opens anew */
    EXPECT(fw, S2C(SYN | ACK), 4, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, S2C(RST), 5, FW_SAFE, FW_CT_ESTABLISHED); /* CLOSE, 10 s */
    EXPECT(fw, C2S(ACK), 9 * SEC, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, C2S(ACK), 20 * SEC, FW_UNSAFE, FW_CT_INVALID); /* gone 10 s after the last */
    assert_int_equal(fw_conn_count(fw), 0);
    assert_int_equal(fw_stats(fw)->conns_created, 2);
#undef C2S
#undef S2C
    fw_free(fw);
}

static void icmp_errors_are_related(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    struct frame probe = pkt(UDP, IP(10, 0, 0, 1), IP(20, 0, 0, 1), 4000, 33434, 0);
    struct frame stray = pkt(UDP, IP(10, 0, 0, 1), IP(20, 0, 0, 1), 4000, 33435, 0);
    EXPECT(fw, icmp_error(IP(30, 0, 0, 1), &probe), 0, FW_UNSAFE, FW_CT_INVALID); /* untracked */
    EXPECT(fw, probe, 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, icmp_error(IP(30, 0, 0, 1), &probe), 1, FW_SAFE, FW_CT_RELATED);
    EXPECT(fw, icmp_error(IP(30, 0, 0, 1), &stray), 1, FW_UNSAFE, FW_CT_INVALID);
    /* echo: the request opens, the reply is ESTABLISHED, a reply of nothing INVALID */
    EXPECT(fw, pkt(ICMP, IP(20, 0, 0, 1), IP(10, 0, 0, 1), 77, 77, 0), 1, FW_UNSAFE, FW_CT_INVALID);
    EXPECT(fw, pkt(ICMP, IP(10, 0, 0, 1), IP(20, 0, 0, 1), 77, 77, 8), 1, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(ICMP, IP(20, 0, 0, 1), IP(10, 0, 0, 1), 77, 77, 0), 1, FW_SAFE,
           FW_CT_ESTABLISHED);
    fw_free(fw);
}

static void timeouts_on_an_explicit_clock(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    uint32_t c = IP(10, 0, 0, 1), s = IP(20, 0, 0, 1);
    struct frame out = pkt(UDP, c, s, 1, 2, 0), back = pkt(UDP, s, c, 2, 1, 0);
    EXPECT(fw, out, 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, back, 30 * SEC - 1, FW_SAFE, FW_CT_ESTABLISHED);                 /* 30 s unreplied */
    EXPECT(fw, back, 30 * SEC - 1 + 120 * SEC - 1, FW_SAFE, FW_CT_ESTABLISHED); /* then 120 s */
    EXPECT(fw, back, 30 * SEC - 1 + 240 * SEC, FW_UNSAFE, FW_CT_NEW);
    /* TCP: SYN_SENT 120 s */
    EXPECT(fw, pkt(TCP, c, s, 5, 6, SYN), 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(TCP, s, c, 6, 5, SYN | ACK), 121 * SEC, FW_UNSAFE, FW_CT_INVALID);
    /* ESTABLISHED lasts 5 days */
    uint64_t t = 1000 * SEC;
    EXPECT(fw, pkt(TCP, c, s, 7, 8, SYN), t, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(TCP, s, c, 8, 7, SYN | ACK), t, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, pkt(TCP, c, s, 7, 8, ACK), t, FW_SAFE, FW_CT_ESTABLISHED);
    t += 432000 * SEC - 1;
    EXPECT(fw, pkt(TCP, s, c, 8, 7, ACK), t, FW_SAFE, FW_CT_ESTABLISHED);
    /* ICMP 30 s */
    EXPECT(fw, pkt(ICMP, c, s, 9, 9, 8), 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(ICMP, s, c, 9, 9, 0), 31 * SEC, FW_UNSAFE, FW_CT_INVALID);
    /* the sweep forgets what timed out without being asked */
    for (int i = 0; i < 64; i++) fw_expire(fw, t + 432000 * SEC);
    assert_int_equal(fw_conn_count(fw), 0);
    fw_free(fw);
}

static void fragments_and_other_protocols(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    struct frame f = pkt(UDP, IP(10, 0, 0, 1), IP(20, 0, 0, 1), 1, 2, 0);
    e2_put16(f.b + 14 + 6, 185); /* offset 1480 bytes: a later fragment */
    EXPECT(fw, f, 0, FW_UNSAFE, FW_CT_INVALID);
    assert_int_equal(fw_stats(fw)->fragments, 1);
    struct frame gre = pkt(47, IP(10, 0, 0, 1), IP(20, 0, 0, 1), 0, 0, 0);
    struct frame gre_back = pkt(47, IP(20, 0, 0, 1), IP(10, 0, 0, 1), 0, 0, 0);
    EXPECT(fw, gre, 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, gre_back, 599 * SEC, FW_SAFE, FW_CT_ESTABLISHED); /* 600 s */
    fw_free(fw);
}

/* ---- counters, reloads, bad input ---- */

static void per_rule_counters(void **state)
{
    (void)state;
    struct fw *fw = fw_with("-P FORWARD DROP\n-A FORWARD -p udp --dport 53 -j ACCEPT\n"
                            "-A FORWARD -p tcp -j DROP\n");
    for (int i = 0; i < 3; i++) fw_packet(fw, pkt(UDP, 1, 2, 3, 53, 0).b, 60, 0);
    struct frame big = pkt(TCP, 1, 2, 3, 4, SYN);
    big.len = 100;
    for (int i = 0; i < 2; i++) fw_packet(fw, big.b, big.len, 0);
    fw_packet(fw, pkt(ICMP, 1, 2, 3, 3, 8).b, 60, 0);
    const struct fw_ruleset *rs = fw_rules(fw);
    assert_int_equal(rs->packets[0], 3);
    assert_int_equal(rs->bytes[0], 180);
    assert_int_equal(rs->packets[1], 2);
    assert_int_equal(rs->bytes[1], 200);
    assert_int_equal(rs->packets[2], 1); /* the policy */
    assert_int_equal(fw_stats(fw)->safe, 3);
    assert_int_equal(fw_stats(fw)->unsafe, 3);
    assert_int_equal(fw_stats(fw)->cache_hits, 2); /* the DNS flow: classified once */
    json_t *j = fw_rules_json(fw);
    json_t *r0 = json_array_get(json_object_get(j, "rules"), 0);
    assert_int_equal(json_integer_value(json_object_get(r0, "packets")), 3);
    assert_int_equal(json_integer_value(json_object_get(r0, "line")), 2);
    assert_string_equal(json_string_value(json_object_get(r0, "target")), "ACCEPT");
    json_t *pol = json_object_get(j, "policy");
    assert_string_equal(json_string_value(json_object_get(pol, "target")), "DROP");
    assert_int_equal(json_integer_value(json_object_get(pol, "packets")), 1);
    json_decref(j);
    fw_free(fw);
}

static void reload_is_all_or_nothing(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    uint32_t c = IP(10, 0, 0, 1), s = IP(20, 0, 0, 1);
    EXPECT(fw, pkt(TCP, c, s, 1, 80, SYN), 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(TCP, s, c, 80, 1, SYN | ACK), 0, FW_SAFE, FW_CT_ESTABLISHED);
    uint32_t gen = fw_rules(fw)->gen;
    struct e2_err err = {0};
    assert_int_not_equal(
        fw_load_text(fw,
                     "-P FORWARD DROP\n-A FORWARD -p tcp --dport 22 -j ACCEPT\n-A FORWARD "
                     "-j REJECT\n",
                     "new.rules", &err),
        0);
    assert_non_null(strstr(err.msg, "new.rules:3: target REJECT"));
    assert_int_equal(fw_rules(fw)->gen, gen); /* the old rules run on */
    assert_int_equal(fw_rules(fw)->n, 2);
    EXPECT(fw, pkt(UDP, c, s, 5, 5, 0), 1, FW_SAFE, FW_CT_NEW);
    /* new rules: no new connections from 10/8, established ones stay */
    assert_int_equal(fw_load_text(fw,
                                  "-P FORWARD DROP\n-A FORWARD -m conntrack --ctstate "
                                  "ESTABLISHED -j ACCEPT\n",
                                  "new.rules", &err),
                     0);
    assert_int_not_equal(fw_rules(fw)->gen, gen);
    EXPECT(fw, pkt(TCP, c, s, 1, 80, ACK), 2, FW_SAFE, FW_CT_ESTABLISHED);
    EXPECT(fw, pkt(TCP, c, s, 2, 80, SYN), 2, FW_UNSAFE, FW_CT_NEW);
    EXPECT(fw, pkt(UDP, c, s, 5, 5, 0), 2, FW_UNSAFE, FW_CT_NEW); /* cached verdicts are redone */
    assert_int_equal(fw_rules(fw)->packets[0], 1);
    assert_int_equal(fw_rules(fw)->packets[1], 2);
    fw_free(fw);
}

static void malformed_frames_are_counted(void **state)
{
    (void)state;
    struct fw *fw = fw_with("");
    struct frame f = pkt(TCP, 1, 2, 3, 4, SYN);
    assert_int_equal(fw_packet(fw, f.b, 20, 0), FW_UNSAFE); /* short_ip */
    assert_int_equal(fw_packet(fw, f.b, 10, 0), FW_UNSAFE); /* short_l2 */
    f.b[14] = 0x65;
    assert_int_equal(fw_packet(fw, f.b, f.len, 0), FW_UNSAFE); /* bad version */
    f = pkt(TCP, 1, 2, 3, 4, SYN);
    f.b[14 + 20 + 12] = 2 << 4;
    assert_int_equal(fw_packet(fw, f.b, f.len, 0), FW_UNSAFE); /* data offset 2 words */
    const struct fw_stats *st = fw_stats(fw);
    assert_int_equal(st->malformed[E2_PKT_SHORT_IP], 1);
    assert_int_equal(st->malformed[E2_PKT_SHORT_L2], 1);
    assert_int_equal(st->malformed[E2_PKT_BAD_VERSION], 1);
    assert_int_equal(st->malformed[E2_PKT_BAD_TCP_OFF], 1);
    assert_int_equal(st->unsafe, 4);
    json_t *j = fw_stats_json(fw);
    json_t *m = json_object_get(j, "malformed");
    assert_int_equal(json_integer_value(json_object_get(m, "bad_tcp_off")), 1);
    assert_null(json_object_get(m, "ok"));
    json_decref(j);
    /* ARP passes, IPv6 follows the policy */
    memset(f.b, 0, sizeof(f.b));
    e2_put16(f.b + 12, 0x0806);
    assert_int_equal(fw_packet(fw, f.b, 60, 0), FW_SAFE);
    e2_put16(f.b + 12, 0x86dd);
    assert_int_equal(fw_packet(fw, f.b, 60, 0), FW_SAFE);
    struct e2_err err = {0};
    assert_int_equal(fw_load_text(fw, "-P FORWARD DROP\n", "p", &err), 0);
    assert_int_equal(fw_packet(fw, f.b, 60, 0), FW_UNSAFE);
    assert_int_equal(fw_stats(fw)->arp, 1);
    assert_int_equal(fw_stats(fw)->not_ipv4, 2);
    fw_free(fw);
}

/* ---- blocks ---- */

static void block_signals(void **state)
{
    (void)state;
    struct fw *fw = fw_with(conntrack_rules);
    uint32_t c = IP(10, 0, 0, 1), s = IP(20, 0, 0, 1);
    EXPECT(fw, pkt(UDP, c, s, 1, 2, 0), 0, FW_SAFE, FW_CT_NEW);
    EXPECT(fw, pkt(UDP, s, c, 2, 1, 0), 0, FW_SAFE, FW_CT_ESTABLISHED);
    struct e2_nfsig_block b = {
        .flow = {.src_ip = s, .dst_ip = c, .src_port = 2, .dst_port = 1, .proto = UDP},
        .timeout_s = 10};
    fw_signal(fw, E2_NFSIG_BLOCK_FLOW, &b, sizeof(b), SEC);
    assert_int_equal(fw_block_count(fw), 1);
    assert_int_equal(fw_conn_count(fw), 0); /* its connection is gone */
    assert_int_equal(fw_packet(fw, pkt(UDP, c, s, 1, 2, 0).b, 60, 2 * SEC), FW_UNSAFE);
    assert_int_equal(fw_packet(fw, pkt(UDP, s, c, 2, 1, 0).b, 60, 2 * SEC), FW_UNSAFE);
    assert_int_equal(fw_packet(fw, pkt(UDP, c, s, 1, 3, 0).b, 60, 2 * SEC), FW_SAFE); /* exact */
    assert_int_equal(fw_stats(fw)->blocked, 2);
    EXPECT(fw, pkt(UDP, c, s, 1, 2, 0), 11 * SEC, FW_SAFE, FW_CT_NEW); /* 10 s later: free */
    assert_int_equal(fw_block_count(fw), 0);
    /* a bare flow key takes the default timeout (300 s); bad signals are counted */
    fw_signal(fw, E2_NFSIG_BLOCK_FLOW, &b.flow, sizeof(b.flow), 20 * SEC);
    assert_int_equal(fw_packet(fw, pkt(UDP, s, c, 2, 1, 0).b, 60, 319 * SEC), FW_UNSAFE);
    for (int i = 0; i < 16; i++) fw_expire(fw, 320 * SEC);
    assert_int_equal(fw_block_count(fw), 0);
    fw_signal(fw, E2_NFSIG_BLOCK_FLOW, "block 10.0.0.1", 14, 0);
    fw_signal(fw, 77, &b, sizeof(b), 0);
    assert_int_equal(fw_stats(fw)->bad_signals, 2);
    assert_int_equal(fw_stats(fw)->blocks_added, 2);
    fw_free(fw);
}

static void block_requests_from_json(void **state)
{
    (void)state;
    struct e2_flow_key k;
    uint64_t t;
    struct e2_err err = {0};
    json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i}", "src", "10.0.0.1", "dst", "10.0.0.2",
                            "proto", "tcp", "sport", 1234, "dport", "80", "timeout", 60);
    assert_int_equal(fw_block_from_json(req, &k, &t, &err), 0);
    assert_int_equal(k.src_ip, IP(10, 0, 0, 1));
    assert_int_equal(k.dst_ip, IP(10, 0, 0, 2));
    assert_int_equal(k.proto, TCP);
    assert_int_equal(k.src_port, 1234);
    assert_int_equal(k.dst_port, 80);
    assert_true(t == 60 * SEC);
    json_object_set_new(req, "sport", json_integer(70000));
    assert_int_not_equal(fw_block_from_json(req, &k, &t, &err), 0);
    assert_string_equal(err.msg, "sport: a number from 0 to 65535");
    json_object_del(req, "dst");
    assert_int_not_equal(fw_block_from_json(req, &k, &t, &err), 0);
    assert_string_equal(err.msg, "dst: an IPv4 address is required");
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_statement_parses),
        cmocka_unit_test(refusals_name_file_and_line),
        cmocka_unit_test(rule_files_are_read_from_disk),
        cmocka_unit_test(prefixes_ranges_first_match_policy),
        cmocka_unit_test(verdicts_follow_rules_and_policy),
        cmocka_unit_test(udp_new_then_established),
        cmocka_unit_test(refused_first_packets_leave_no_connection),
        cmocka_unit_test(tcp_handshake_data_and_teardown),
        cmocka_unit_test(icmp_errors_are_related),
        cmocka_unit_test(timeouts_on_an_explicit_clock),
        cmocka_unit_test(fragments_and_other_protocols),
        cmocka_unit_test(per_rule_counters),
        cmocka_unit_test(reload_is_all_or_nothing),
        cmocka_unit_test(malformed_frames_are_counted),
        cmocka_unit_test(block_signals),
        cmocka_unit_test(block_requests_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
