/*
 * urltag: the URL table (classes, prefixes, FILE:LINE for every refusal),
 * classification (longest prefix, host case and port, absolute-form
 * targets), and sessions over packets: a connection's packets carry the
 * class of its latest request, both ways, from the segment that ends the
 * request's header block on; pipelined requests switch it in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "urltag.h"

static const char table[] = "# classes in order of appearance\n"
                            "cdn   static.example.com/ www.Example.com/images/\n"
                            "video video.example.com www.example.com/images/big/\n"
                            "cdn   cdn.example.net\n";

static void classes_and_longest_prefixes(void **state)
{
    (void)state;
    struct urltag_table *t;
    struct e2_err err = {0};
    if (urltag_table_parse(table, "u.urls", &t, &err)) fail_msg("%s", err.msg);
    assert_int_equal(urltag_classes(t), 2);
    assert_string_equal(urltag_class_name(t, 0), "other");
    assert_string_equal(urltag_class_name(t, 1), "cdn");
    assert_string_equal(urltag_class_name(t, 2), "video");
    assert_null(urltag_class_name(t, 3));
    assert_int_equal(urltag_classify(t, "static.example.com", "/a.css"), 1);
    assert_int_equal(urltag_classify(t, "STATIC.Example.COM:8080", "/a.css"), 1);
    assert_int_equal(urltag_classify(t, "www.example.com", "/images/x.png"), 1);
    assert_int_equal(urltag_classify(t, "www.example.com", "/images/big/x.png"), 2);
    assert_int_equal(urltag_classify(t, "www.example.com", "/Images/x.png"), 0); /* path case */
    assert_int_equal(urltag_classify(t, "www.example.com", "/"), 0);
    assert_int_equal(urltag_classify(t, "video.example.com", "/v/1"), 2);
    assert_int_equal(urltag_classify(t, "video.example.community", "/"), 2); /* a prefix */
    assert_int_equal(urltag_classify(t, "", "http://cdn.example.net/x"), 1);
    assert_int_equal(urltag_classify(t, "other.org", "http://static.example.com/a"), 1);
    assert_int_equal(urltag_classify(t, "", "/static.example.com/"), 0);
    urltag_table_free(t);
}

static void refused(const char *text, const char *want)
{
    struct urltag_table *t = NULL;
    struct e2_err err = {0};
    assert_true(urltag_table_parse(text, "x.urls", &t, &err) < 0);
    assert_null(t);
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void bad_tables_name_the_line(void **state)
{
    (void)state;
    refused("cdn a.com\ncdn\n", "x.urls:2: a line is CLASS PREFIX");
    refused("other a.com\n", "x.urls:1: 'other' is not a class name");
    refused("c/d a.com\n", "'c/d' is not a class name");
    refused("cdn a.com/x\nweb A.COM/x\n", "x.urls:2: prefix 'a.com/x' is listed already (line 1)");
    refused("cdn http://a.com/\n", "'http://a.com/' is not HOST[/PATH]");
    refused("cdn /a\n", "'/a' is not HOST[/PATH]");
    refused("# none\n", "x.urls: no prefixes");
    char big[512];
    snprintf(big, sizeof(big), "cdn a.com/%0300d\n", 0);
    refused(big, "is longer than");
    char many[64 * 16] = "";
    for (int i = 0; i < 64; i++) snprintf(many + strlen(many), 16, "c%d a%d\n", i, i);
    refused(many, "x.urls:64: more than 63 classes");
    struct urltag_table *t;
    struct e2_err err = {0};
    assert_true(urltag_table_load("/nonexistent.urls", &t, &err) < 0);
    assert_non_null(strstr(err.msg, "cannot read /nonexistent.urls"));
}

/* ---- sessions over packets ---- */

struct rig {
    struct urltag u;
    struct e2_streams *t;
};

static void rig_up(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    urltag_init(&g->u, NULL);
    struct urltag_table *t;
    assert_int_equal(urltag_table_parse(table, "u.urls", &t, NULL), 0);
    urltag_set_table(&g->u, t);
    struct e2_streams_opts o = {.capacity = 64, .user_size = sizeof(struct urltag_conn)};
    struct e2_streams_cb cb = {http_on_data, http_on_event, http_on_release, &g->u};
    g->t = e2_streams_create(&o, &cb, NULL);
    assert_non_null(g->t);
}

static void rig_down(struct rig *g)
{
    e2_streams_free(g->t);
    urltag_fini(&g->u);
}

static uint8_t frame[1600];

/* A segment of 10.0.0.1:4000 <-> 10.0.0.2:80 through the streams: its class. */
static unsigned seg(struct rig *g, int from_server, uint32_t seq, uint8_t flags, const char *data)
{
    struct e2_pkt p;
    assert_int_equal(frame_tcp_segment(frame, &p, 0x0a000001, 4000, 0x0a000002, 80, from_server,
                                       seq, flags, data),
                     E2_PKT_OK);
    return urltag_packet(&g->u, e2_streams_packet(g->t, &p, 1));
}

static void packets_carry_their_session_url(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    assert_int_equal(seg(&g, 0, 100, E2_TCP_SYN, NULL), 0);
    assert_int_equal(seg(&g, 1, 500, E2_TCP_SYN | E2_TCP_ACK, NULL), 0);
    const char *a = "GET /images/logo.png HTTP/1.1\r\nHost: www.example.com\r\n";
    assert_int_equal(seg(&g, 0, 101, E2_TCP_ACK, a), 0); /* the header block goes on */
    uint32_t seq = 101 + (uint32_t)strlen(a);
    assert_int_equal(seg(&g, 0, seq, E2_TCP_ACK, "\r\n"), 1);
    seq += 2;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nPNG!";
    assert_int_equal(seg(&g, 1, 501, E2_TCP_ACK, resp), 1); /* the answer too */
    /* two pipelined requests in one segment: the last one's class */
    const char *two = "GET /v/1 HTTP/1.1\r\nHost: video.example.com\r\n\r\n"
                      "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
    assert_int_equal(seg(&g, 0, seq, E2_TCP_ACK, two), 0);
    seq += (uint32_t)strlen(two);
    assert_int_equal(
        seg(&g, 0, seq, E2_TCP_ACK, "GET /x HTTP/1.1\r\nHost: cdn.example.net\r\n\r\n"), 1);
    /* a UDP datagram has no session */
    struct frame_spec u = {.proto = 17, .src = 1, .dst = 2, .sport = 5, .dport = 53, .payload = 8};
    uint32_t n = frame_build(frame, &u);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
    assert_int_equal(urltag_packet(&g.u, e2_streams_packet(g.t, &p, 1)), 0);
    json_t *st = urltag_stats_json(&g.u);
    json_t *req = json_object_get(st, "class_requests"), *pk = json_object_get(st, "class_packets");
    assert_int_equal(json_integer_value(json_object_get(req, "cdn")), 2);
    assert_int_equal(json_integer_value(json_object_get(req, "video")), 1);
    assert_int_equal(json_integer_value(json_object_get(req, "other")), 1);
    assert_int_equal(json_integer_value(json_object_get(pk, "cdn")), 3);
    assert_int_equal(json_integer_value(json_object_get(pk, "other")), 5);
    assert_int_equal(json_integer_value(json_object_get(st, "requests")), 4);
    json_decref(st);
    rig_down(&g);
}

static void a_new_table_keeps_sessions(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    seg(&g, 0, 100, E2_TCP_SYN, NULL);
    assert_int_equal(
        seg(&g, 0, 101, E2_TCP_ACK, "GET /a HTTP/1.1\r\nHost: static.example.com\r\n\r\n"), 1);
    struct urltag_table *t;
    assert_int_equal(urltag_table_parse("web www.example.com\n", "n.urls", &t, NULL), 0);
    urltag_set_table(&g.u, t);
    assert_int_equal(seg(&g, 0, 146, E2_TCP_ACK, NULL), 1); /* until its next request */
    assert_int_equal(seg(&g, 0, 146, E2_TCP_ACK, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"),
                     1);
    assert_string_equal(urltag_class_name(g.u.table, 1), "web");
    rig_down(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes_and_longest_prefixes),
        cmocka_unit_test(bad_tables_name_the_line),
        cmocka_unit_test(packets_carry_their_session_url),
        cmocka_unit_test(a_new_table_keeps_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
