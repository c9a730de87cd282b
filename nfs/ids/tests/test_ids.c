/*
 * IDS: the rule subset (every option, FILE:LINE for every refusal) and
 * matching with both engines: a content split across TCP segments (in
 * order and not), directions, ports and addresses (negated, <>), offset and
 * depth in the stream, nocase, UDP datagrams; verdicts per connection and
 * per packet (gaps, anomalies, malformed frames); one block per flow;
 * reloads keep verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "ids.h"

static const enum sig_engine engines[] = {SIG_AC, SIG_HYPERSCAN};

#define CLIENT 0x0a000001
#define SERVER 0x0a000002

/* ---- rule files ---- */

static void a_rule_with_every_option(void **state)
{
    (void)state;
    struct sig_rules *set;
    struct e2_err err = {0};
    const char *text =
        "# comment\n"
        "alert tcp !10.0.0.0/8 1024: -> 192.168.1.0/24 :1023 (msg:\"a \\\"b\\\"; (c)\"; "
        "content:\"|0d 0a|x\\;y\"; nocase; offset:4; depth:20; sid:1000001; rev:3; "
        "priority:2; classtype:trojan-activity; reference:url,example.com/#x; metadata:a b;)  "
        "# trailing\n"
        "alert udp any any <> any !53 (content:abc; sid:7;)\n";
    if (ids_rules_parse(text, "r.rules", SIG_AC, &set, &err)) fail_msg("%s", err.msg);
    unsigned n;
    const struct ids_rule *r = ids_rules_of(set, &n);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].proto, 6);
    assert_true(r[0].src.negated && r[0].src.ip == 0x0a000000 && r[0].src.len == 8);
    assert_true(r[0].sport.lo == 1024 && r[0].sport.hi == 65535 && !r[0].sport.negated);
    assert_true(r[0].dst.ip == 0xc0a80100 && r[0].dst.len == 24);
    assert_true(r[0].dport.lo == 0 && r[0].dport.hi == 1023);
    assert_string_equal(r[0].msg, "a \"b\"; (c)");
    assert_int_equal(r[0].content_len, 5);
    assert_true(r[0].offset == 4 && r[0].depth == 20);
    assert_true(r[0].sid == 1000001 && r[0].rev == 3 && r[0].priority == 2 && r[0].line == 2);
    assert_false(r[0].bidir);
    assert_int_equal(r[1].proto, 17);
    assert_true(r[1].bidir && r[1].dport.negated && r[1].rev == 1 && r[1].line == 3);
    assert_string_equal(r[1].msg, "");
    sig_rules_free(set);
}

static void refused(const char *rule, const char *want)
{
    char text[1024];
    snprintf(text, sizeof(text), "alert tcp any any -> any 80 (content:ok; sid:1;)\n%s\n", rule);
    struct sig_rules *set = NULL;
    struct e2_err err = {0};
    assert_true(ids_rules_parse(text, "x.rules", SIG_AC, &set, &err) < 0);
    assert_null(set);
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void bad_rules_name_the_line(void **state)
{
    (void)state;
    refused("alert tcp any any -> any 80", "x.rules:2: a rule is ACTION PROTO SRC SPORT");
    refused("drop tcp any any -> any 80 (content:a; sid:2;)", "x.rules:2: 'drop' is not an action");
    refused("alert icmp any any -> any 80 (content:a; sid:2;)", "'icmp' is not a protocol");
    refused("alert tcp any any <- any 80 (content:a; sid:2;)", "'<-' is not a direction");
    refused("alert tcp $HOME_NET any -> any 80 (content:a; sid:2;)", "variables ('$HOME_NET')");
    refused("alert tcp any [80,81] -> any 80 (content:a; sid:2;)", "lists ('[80,81]')");
    refused("alert tcp 10.0.0.1/8 any -> any 80 (content:a; sid:2;)", "has host bits set");
    refused("alert tcp any any -> any 90:80 (content:a; sid:2;)", "ends before it starts");
    refused("alert tcp any any -> any 80 (content:a;)", "x.rules:2: a rule needs a sid");
    refused("alert tcp any any -> any 80 (msg:\"m\"; sid:2;)", "a rule needs a content");
    refused("alert tcp any any -> any 80 (content:a; content:b; sid:2;)", "one content per rule");
    refused("alert tcp any any -> any 80 (nocase; content:a; sid:2;)",
            "'nocase' needs a content before it");
    refused("alert tcp any any -> any 80 (content:abc; depth:2; sid:2;)",
            "depth 2 is shorter than the content (3 bytes)");
    refused("alert tcp any any -> any 80 (content:a; offset:x; sid:2;)", "'x' is not");
    refused("alert tcp any any -> any 80 (content:a; flow:established; sid:2;)",
            "option 'flow' is not supported");
    refused("alert tcp any any -> any 80 (content:a; sid:2; sid:3;)", "'sid' is given twice");
    refused("alert tcp any any -> any 80 (content:a; sid:1;)",
            "x.rules:2: pattern 'sid:1' is named already (line 1)");
    refused("alert tcp any any -> any 80 (content:a; sid:2)", "option 'sid' lacks its ';'");
    refused("alert tcp any any -> any 80 (content:a; sid:2;", "lack their closing ')'");
    refused("alert tcp any any -> any 80 (content:a; sid:2;) x", "text after the options");
    refused("alert tcp any any -> any 80 (content:\"a\"b; sid:2;)", "text after a quoted value");
    refused("alert tcp any any -> any 80 (content:\"|0d|\\\"; sid:2;)",
            "a quoted value is not closed");
    refused("alert tcp any any -> any 80 (content:\"|0d\"; sid:2;)", "a |hex| part is not closed");
    refused("alert tcp any any -> any 80 (content:!\"a\"; sid:2;)", "negated content");
    refused("alert tcp any any -> any 80 (content:a; sid:2; 9x)", "expected an option");
    struct sig_rules *set = NULL;
    struct e2_err err = {0};
    assert_true(ids_rules_parse("# none\n", "e.rules", SIG_AC, &set, &err) < 0);
    assert_string_equal(err.msg, "e.rules: no patterns");
    assert_true(ids_rules_load("/nonexistent.rules", SIG_AC, &set, &err) < 0);
    assert_non_null(strstr(err.msg, "cannot read /nonexistent.rules"));
}

/* ---- matching ---- */

struct rig {
    struct ids ids;
    struct e2_streams *t;
    struct ids_alert got[16];
    unsigned n;
};

static void on_alert(void *ctx, const struct ids_alert *a)
{
    struct rig *g = ctx;
    assert_true(g->n < 16);
    g->got[g->n++] = *a;
}

/* @room: out-of-order bytes per direction (0: the default). */
static void rig_up(struct rig *g, enum sig_engine e, const char *rules, uint32_t room)
{
    memset(g, 0, sizeof(*g));
    ids_init(&g->ids);
    g->ids.alert = on_alert;
    g->ids.alert_ctx = g;
    struct sig_rules *r;
    struct e2_err err = {0};
    if (ids_rules_parse(rules, "t.rules", e, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ids_install(&g->ids, r, &err), 0);
    struct e2_streams_opts o = {
        .capacity = 64, .user_size = sizeof(struct ids_conn), .reasm = {.max_flow_bytes = room}};
    struct e2_streams_cb cb = {ids_on_data, ids_on_event, ids_on_release, &g->ids};
    g->t = e2_streams_create(&o, &cb, NULL);
    assert_non_null(g->t);
}

static void rig_down(struct rig *g)
{
    e2_streams_free(g->t);
    ids_fini(&g->ids);
}

static uint8_t frame[1600];

/* A segment of CLIENT:4000 <-> SERVER:80 through the streams, judged: its verdict. */
static enum ids_verdict seg(struct rig *g, int from_server, uint32_t seq, uint8_t flags,
                            const char *data)
{
    struct e2_pkt p;
    assert_int_equal(
        frame_tcp_segment(frame, &p, CLIENT, 4000, SERVER, 80, from_server, seq, flags, data),
        E2_PKT_OK);
    return ids_packet(&g->ids, &p, e2_streams_packet(g->t, &p, 1));
}

static enum ids_verdict dgram(struct rig *g, uint16_t sport, uint16_t dport, const char *data)
{
    struct frame_spec s = {.proto = 17,
                           .src = CLIENT,
                           .dst = SERVER,
                           .sport = sport,
                           .dport = dport,
                           .data = (const uint8_t *)data,
                           .payload = (uint16_t)strlen(data)};
    uint32_t n = frame_build(frame, &s);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
    return ids_packet(&g->ids, &p, e2_streams_packet(g->t, &p, 1));
}

static void handshake(struct rig *g)
{
    assert_int_equal(seg(g, 0, 100, E2_TCP_SYN, NULL), IDS_CLEAN);
    assert_int_equal(seg(g, 1, 500, E2_TCP_SYN | E2_TCP_ACK, NULL), IDS_CLEAN);
}

static const char attack[] = "alert tcp any any -> any 80 (msg:\"evil\"; content:\"EVIL|2f|LOAD\"; "
                             "sid:100; rev:2; priority:1;)\n";

static void a_content_split_across_segments(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], attack, 0);
        handshake(&g);
        char first[] = "GET / HTTP/1.0\r\nX: EVI";
        assert_int_equal(seg(&g, 0, 101, E2_TCP_ACK, first), IDS_CLEAN);
        assert_int_equal(seg(&g, 0, 101 + 22, E2_TCP_ACK, "L/LOAD!"), IDS_MALICIOUS);
        assert_int_equal(g.n, 1);
        const struct ids_alert *a = &g.got[0];
        assert_true(a->sid == 100 && a->rev == 2 && a->priority == 1 && a->first);
        assert_string_equal(a->msg, "evil");
        assert_true(a->src_ip == CLIENT && a->dst_ip == SERVER && a->src_port == 4000 &&
                    a->dst_port == 80 && a->proto == 6);
        assert_int_equal(a->end, 28);
        assert_true(a->flow.src_ip == CLIENT && a->flow.dst_port == 80 && a->flow.proto == 6);
        /* every later packet of the connection, either way, is malicious */
        assert_int_equal(seg(&g, 1, 501, E2_TCP_ACK, "HTTP/1.0 200 OK\r\n"), IDS_MALICIOUS);
        /* another match on the same connection alerts, but asks no second block */
        assert_int_equal(seg(&g, 0, 101 + 29, E2_TCP_ACK, "EVIL"), IDS_MALICIOUS);
        seg(&g, 0, 101 + 33, E2_TCP_ACK, "/LOAD");
        assert_int_equal(g.n, 2);
        assert_false(g.got[1].first);
        assert_int_equal(g.ids.alerts, 2);
        assert_int_equal(g.ids.conns_alerted, 1);
        assert_int_equal(g.ids.packets[IDS_CLEAN], 3);
        assert_int_equal(g.ids.packets[IDS_MALICIOUS], 4);
        rig_down(&g);
    }
}

static void a_content_split_out_of_order(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], attack, 0);
        handshake(&g);
        /* the second half first: it waits, so its packet is still clean */
        assert_int_equal(seg(&g, 0, 104, E2_TCP_ACK, "L/LOAD"), IDS_CLEAN);
        assert_int_equal(seg(&g, 0, 101, E2_TCP_ACK, "EVI"), IDS_MALICIOUS);
        assert_int_equal(g.n, 1);
        rig_down(&g);
    }
}

static void directions_ports_and_addresses(void **state)
{
    (void)state;
    const char *rules = "alert tcp any any -> any 80 (content:up; sid:1;)\n"
                        "alert tcp any 80 -> any any (content:down; sid:2;)\n"
                        "alert tcp 10.0.0.2 80 <> any any (content:both; sid:3;)\n"
                        "alert tcp 10.0.0.1 any -> any !80 (content:near; sid:4;)\n"
                        "alert tcp !10.0.0.0/24 any -> any any (content:far; sid:5;)\n"
                        "alert tcp any any -> !10.0.0.1 any (content:far; sid:6;)\n";
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], rules, 0);
        handshake(&g);
        seg(&g, 1, 501, E2_TCP_ACK, "up both far near"); /* server to client */
        seg(&g, 0, 101, E2_TCP_ACK, "down both far near");
        seg(&g, 0, 119, E2_TCP_ACK, "up");
        seg(&g, 1, 517, E2_TCP_ACK, "down");
        static const unsigned want[] = {3, 3, 6, 1, 2};
        assert_int_equal(g.n, 5);
        for (unsigned i = 0; i < 5; i++) assert_int_equal(g.got[i].sid, want[i]);
        assert_true(g.got[0].src_ip == SERVER && g.got[0].src_port == 80);
        assert_true(g.got[1].src_ip == CLIENT && g.got[1].dst_port == 80);
        rig_down(&g);
    }
}

static void offset_and_depth_count_in_the_stream(void **state)
{
    (void)state;
    const char *rules = "alert tcp any any -> any any (content:GET; offset:0; depth:3; sid:1;)\n"
                        "alert tcp any any -> any any (content:host; nocase; offset:10; sid:2;)\n"
                        "alert tcp any any -> any any (content:tail; offset:20; depth:8; sid:3;)\n";
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], rules, 0);
        handshake(&g);
        /* offsets 0..: GET at 0 (in), HOST at 4 (before offset 10), tail at 12 (before 20) */
        seg(&g, 0, 101, E2_TCP_ACK, "GET HOST tailHost");
        assert_int_equal(g.n, 2);
        assert_true(g.got[0].sid == 1 && g.got[1].sid == 2 && g.got[1].end == 17);
        /* 17..: tail at 20 (in: 20..24 <= 28), GET later (past depth), tail at 25 (past 28) */
        seg(&g, 0, 118, E2_TCP_ACK, "xxxtail GETtail");
        assert_int_equal(g.n, 3);
        assert_true(g.got[2].sid == 3 && g.got[2].end == 24);
        rig_down(&g);
    }
}

static void datagrams_are_judged_alone(void **state)
{
    (void)state;
    const char *rules = "alert udp any any -> any 53 (content:\"|07|example\"; offset:12; sid:9;)\n"
                        "alert tcp any any -> any any (content:tcponly; sid:10;)\n";
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], rules, 0);
        assert_int_equal(dgram(&g, 5000, 53, "0123456789ab\aexample"), IDS_MALICIOUS);
        assert_int_equal(g.n, 1);
        assert_true(g.got[0].proto == 17 && g.got[0].first && g.got[0].end == 20);
        assert_true(g.got[0].flow.src_port == 5000 && g.got[0].flow.proto == 17);
        assert_int_equal(dgram(&g, 5000, 53, "0123456789ab\aexample"), IDS_MALICIOUS);
        assert_false(g.got[1].first); /* the same flow was just asked to be blocked */
        assert_int_equal(dgram(&g, 5000, 53, "\aexample"), IDS_CLEAN); /* before offset */
        assert_int_equal(dgram(&g, 5000, 54, "0123456789ab\aexample"), IDS_CLEAN); /* port */
        assert_int_equal(dgram(&g, 5000, 53, "0123456789ab tcponly"), IDS_CLEAN);  /* proto */
        assert_int_equal(dgram(&g, 5001, 53, "0123456789ab\aexample"), IDS_MALICIOUS);
        assert_true(g.got[2].first);
        assert_int_equal(g.ids.datagrams, 6);
        assert_int_equal(g.ids.datagram_alerts, 3);
        rig_down(&g);
    }
}

/* Verdicts rise and never fall; packets carry their connection's; frames outside get theirs. */
static void verdicts(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g, SIG_AC, attack, 0);
    handshake(&g);
    /* differing overlaps waiting ahead of a hole: suspicious */
    assert_int_equal(seg(&g, 0, 110, E2_TCP_ACK, "aaaa"), IDS_CLEAN);
    assert_int_equal(seg(&g, 0, 110, E2_TCP_ACK, "bbbb"), IDS_SUSPICIOUS);
    /* the attack fills the hole: malicious, above all */
    assert_int_equal(seg(&g, 0, 101, E2_TCP_ACK, "EVIL/LOAD"), IDS_MALICIOUS);
    assert_int_equal(seg(&g, 0, 114, E2_TCP_ACK, "more"), IDS_MALICIOUS);
    assert_int_equal(g.n, 1);
    /* a malformed frame and a non-IP one */
    assert_int_equal(ids_packet(&g.ids, NULL, NULL), IDS_UNKNOWN);
    struct e2_pkt arp = {.ether_type = 0x0806};
    assert_int_equal(ids_packet(&g.ids, &arp, NULL), IDS_CLEAN);
    rig_down(&g);
    /* a gap (the hole's bytes given up: 8 bytes of room out of order): unknown, then malicious */
    rig_up(&g, SIG_AC, attack, 8);
    handshake(&g);
    assert_int_equal(seg(&g, 0, 120, E2_TCP_ACK, "0123456789"), IDS_UNKNOWN);
    assert_int_equal(seg(&g, 0, 130, E2_TCP_ACK, "ok"), IDS_UNKNOWN);
    assert_int_equal(seg(&g, 0, 132, E2_TCP_ACK, "EVIL/LOAD"), IDS_MALICIOUS);
    json_t *st = ids_stats_json(&g.ids);
    json_t *v = json_object_get(st, "verdicts");
    assert_int_equal(json_integer_value(json_object_get(v, "clean")), 2);
    assert_int_equal(json_integer_value(json_object_get(v, "unknown")), 2);
    assert_int_equal(json_integer_value(json_object_get(v, "malicious")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "rules")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "alerts")), 1);
    json_decref(st);
    rig_down(&g);
}

static void reloads_keep_verdicts_and_count_anew(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], attack, 0);
        handshake(&g);
        seg(&g, 0, 101, E2_TCP_ACK, "EVIL");
        assert_int_equal(seg(&g, 0, 105, E2_TCP_ACK, "/LOAD"), IDS_MALICIOUS);
        struct sig_rules *r;
        assert_int_equal(ids_rules_parse("alert tcp any any <> any any (msg:\"new\"; "
                                         "content:fresh; sid:200;)\n",
                                         "n.rules", engines[e], &r, NULL),
                         0);
        assert_int_equal(ids_install(&g.ids, r, NULL), 0);
        assert_int_equal(seg(&g, 1, 501, E2_TCP_ACK, "fresh"), IDS_MALICIOUS);
        assert_int_equal(g.n, 2);
        assert_true(g.got[1].sid == 200 && !g.got[1].first);
        json_t *rules = ids_rules_json(&g.ids);
        assert_int_equal(json_array_size(rules), 1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, 0), "alerts")),
                         1);
        json_decref(rules);
        json_t *alerts = ids_alerts_json(&g.ids, 10);
        assert_int_equal(json_array_size(alerts), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(alerts, 0), "msg")),
                            "new");
        assert_string_equal(json_string_value(json_object_get(json_array_get(alerts, 1), "src")),
                            "10.0.0.1");
        json_decref(alerts);
        rig_down(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_rule_with_every_option),
        cmocka_unit_test(bad_rules_name_the_line),
        cmocka_unit_test(a_content_split_across_segments),
        cmocka_unit_test(a_content_split_out_of_order),
        cmocka_unit_test(directions_ports_and_addresses),
        cmocka_unit_test(offset_and_depth_count_in_the_stream),
        cmocka_unit_test(datagrams_are_judged_alone),
        cmocka_unit_test(verdicts),
        cmocka_unit_test(reloads_keep_verdicts_and_count_anew),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
