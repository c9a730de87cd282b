/*
 * HTTP: requests and responses over streams cut anywhere (down to one byte
 * per message), pipelining with responses matched in order, Content-Length
 * and chunked bodies (extensions, trailers), HEAD/204/304, interim 1xx,
 * bodies until close, tunnels, gaps, errors that stop a direction, and the
 * same log from reassembled packets that came out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "http.h"

struct rig {
    struct http h;
    struct e2_streams *t;
    char *log;
    size_t log_len;
};

static void rig_up(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    FILE *f = open_memstream(&g->log, &g->log_len);
    assert_non_null(f);
    http_init(&g->h, f);
    struct e2_streams_opts o = {.capacity = 64, .user_size = sizeof(struct http_conn_ref)};
    struct e2_streams_cb cb = {http_on_data, http_on_event, http_on_release, &g->h};
    g->t = e2_streams_create(&o, &cb, NULL);
    assert_non_null(g->t);
}

/* Free the table (connections end: unanswered requests are logged) and read the log. */
static const char *rig_down(struct rig *g)
{
    e2_streams_free(g->t);
    fclose(g->h.log);
    return g->log;
}

static uint64_t sent[2];

static void msg(struct rig *g, int kind, int dir, uint64_t arg, const char *data, size_t len)
{
    struct e2_stream_msg m = {.kind = kind,
                              .dir = dir,
                              .conn = 5,
                              .arg = arg,
                              .data = (const uint8_t *)data,
                              .len = (uint32_t)len,
                              .client_ip = 0x0a000001,
                              .server_ip = 0x0a000002,
                              .client_port = 33000,
                              .server_port = 80};
    e2_streams_message(g->t, &m, 1);
}

static void open_conn(struct rig *g)
{
    sent[0] = sent[1] = 0;
    msg(g, E2_TCP_OPEN, 0, 0, NULL, 0);
}

/* Send @text in one direction in pieces of @piece bytes (0: whole). */
static void say(struct rig *g, int dir, const char *text, size_t piece)
{
    size_t n = strlen(text);
    if (!piece) piece = n;
    for (size_t at = 0; at < n; at += piece) {
        size_t k = n - at < piece ? n - at : piece;
        msg(g, E2_STREAM_DATA, dir, sent[dir], text + at, k);
        sent[dir] += k;
    }
}

#define LOGLINE(m, h, p, s, b)                                                                     \
    "{\"client\":\"10.0.0.1:33000\",\"server\":\"10.0.0.2:80\",\"method\":\"" m "\",\"host\":\"" h \
    "\",\"path\":\"" p "\",\"status\":" #s ",\"bytes\":" #b "}\n"

static const char pipelined_requests[] = "GET /one HTTP/1.1\r\nHost: example.com\r\n\r\n"
                                         "HEAD /two HTTP/1.1\r\nHost: example.com\r\n\r\n"
                                         "POST /three HTTP/1.1\r\nHost: example.com\r\n"
                                         "Content-Length: 5\r\n\r\nhello"
                                         "PUT /four HTTP/1.1\r\nHost: x\r\n"
                                         "Transfer-Encoding: gzip, chunked\r\n\r\n"
                                         "3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n";

static const char pipelined_responses[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
                                          "HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n"
                                          "HTTP/1.1 100 Continue\r\n\r\n"
                                          "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n"
                                          "\r\n4\r\nabcd\r\nA ; name=\"v\"\r\n0123456789\r\n"
                                          "0\r\n\r\n"
                                          "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n";

static const char pipelined_log[] =
    LOGLINE("GET", "example.com", "/one", 200, 10) LOGLINE("HEAD", "example.com", "/two", 200, 0)
        LOGLINE("POST", "example.com", "/three", 201, 14) LOGLINE("PUT", "x", "/four", 304, 0);

static void pipelined_exchange_cut_anywhere(void **state)
{
    (void)state;
    static const size_t pieces[] = {0, 1, 2, 3, 7, 13, 64};
    for (unsigned i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct rig g;
        rig_up(&g);
        open_conn(&g);
        say(&g, 0, pipelined_requests, pieces[i]);
        say(&g, 1, pipelined_responses, pieces[i]);
        assert_int_equal(g.h.st.requests, 4);
        assert_int_equal(g.h.st.responses, 4);
        assert_int_equal(g.h.st.interim, 1);
        assert_int_equal(g.h.st.pipelined, 3);
        assert_int_equal(g.h.st.methods[HTTP_HEAD], 1);
        assert_int_equal(g.h.st.status[2], 3);
        assert_int_equal(g.h.st.status[3], 1);
        assert_int_equal(g.h.st.chunked, 2);
        assert_int_equal(g.h.st.body_bytes[0], 8);  /* hello + abc */
        assert_int_equal(g.h.st.body_bytes[1], 24); /* 10 + 4 + 10 */
        for (unsigned e = 0; e < HTTP_ERRORS; e++) assert_int_equal(g.h.st.errors[e], 0);
        assert_string_equal(rig_down(&g), pipelined_log);
        free(g.log);
    }
}

static void bodies_until_close_and_unanswered_requests(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    open_conn(&g);
    say(&g, 0, "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n", 0);
    say(&g, 1, "\r\nHTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of this until the end", 5);
    msg(&g, E2_TCP_CLOSE, 1, 0, NULL, 0);
    assert_int_equal(g.h.st.body_bytes[1], 25);
    assert_int_equal(g.h.st.logged, 1);
    assert_string_equal(rig_down(&g),
                        LOGLINE("GET", "", "/a", 200, 25) LOGLINE("GET", "", "/b", 0, 0));
    assert_int_equal(g.h.st.unanswered, 1);
    free(g.log);
}

static void errors_stop_one_direction(void **state)
{
    (void)state;
    static const struct {
        int dir;
        const char *text;
        enum http_error e;
    } cases[] = {
        {0, "GET /x\r\n\r\n", HTTP_ERR_REQUEST_LINE},
        {0, "G@T /x HTTP/1.1\r\n\r\n", HTTP_ERR_REQUEST_LINE},
        {0, "GET /x HTTP/2.0\r\n\r\n", HTTP_ERR_REQUEST_LINE},
        {0, "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n", HTTP_ERR_HEADER},
        {0, "GET /x HTTP/1.1\r\nno colon\r\n\r\n", HTTP_ERR_HEADER},
        {0, "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
         HTTP_ERR_CONTENT_LENGTH},
        {0, "POST /x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", HTTP_ERR_CONTENT_LENGTH},
        {0, "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP_ERR_CONTENT_LENGTH},
        {0, "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", HTTP_ERR_TRANSFER_ENCODING},
        {0, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HTTP_ERR_CHUNK},
        {0, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", HTTP_ERR_CHUNK},
        {1, "HTTP/1.1 2000 OK\r\n\r\n", HTTP_ERR_STATUS_LINE},
        {1, "ICY 200 OK\r\n\r\n", HTTP_ERR_STATUS_LINE},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rig g;
        rig_up(&g);
        open_conn(&g);
        say(&g, cases[i].dir, cases[i].text, 0);
        assert_int_equal(g.h.st.errors[cases[i].e], 1);
        /* the direction stopped: a good message after it is not read */
        unsigned long long before = g.h.st.requests + g.h.st.responses;
        say(&g, cases[i].dir, cases[i].dir ? "HTTP/1.1 200 OK\r\n\r\n" : "GET / HTTP/1.1\r\n\r\n",
            0);
        assert_int_equal(g.h.st.requests + g.h.st.responses, before);
        rig_down(&g);
        free(g.log);
    }
    /* a line over the limit */
    struct rig g;
    rig_up(&g);
    open_conn(&g);
    static char big[HTTP_LINE_MAX + 10];
    memset(big, 'a', sizeof(big) - 1);
    say(&g, 0, "GET /", 0);
    say(&g, 0, big, 1000);
    assert_int_equal(g.h.st.errors[HTTP_ERR_LINE_TOO_LONG], 1);
    rig_down(&g);
    free(g.log);
}

static void gaps_tunnels_and_midstream(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    open_conn(&g);
    say(&g, 0, "GET /big HTTP/1.1\r\nHost: h\r\n\r\nCONNECT h:443 HTTP/1.1\r\n\r\n", 0);
    say(&g, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc", 0);
    msg(&g, E2_TCP_GAP, 1, 990, NULL, 0); /* inside the body: skipped over */
    sent[1] += 990;
    say(&g, 1, "1234567HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01 tls", 0);
    say(&g, 0, "\x16\x03\x01 not http at all\r\n", 0);
    assert_int_equal(g.h.st.tunnels, 1);
    assert_int_equal(g.h.st.errors[HTTP_ERR_REQUEST_LINE], 0);
    assert_string_equal(rig_down(&g), LOGLINE("GET", "h", "/big", 200, 1000)
                                          LOGLINE("CONNECT", "", "h:443", 200, 0));
    free(g.log);

    rig_up(&g);
    open_conn(&g);
    say(&g, 0, "GET /a HT", 0);
    msg(&g, E2_TCP_GAP, 0, 5, NULL, 0); /* in a line: the direction stops */
    assert_int_equal(g.h.st.errors[HTTP_ERR_GAP], 1);
    rig_down(&g);
    free(g.log);

    rig_up(&g);
    msg(&g, E2_STREAM_DATA, 1, 777, "ody\r\nHTTP/1.1 200 OK\r\n\r\n", 24); /* mid-stream */
    assert_int_equal(g.h.st.midstream, 1);
    assert_int_equal(g.h.st.responses, 0);
    rig_down(&g);
    free(g.log);
}

/* The same exchange from packets, the server's segments out of order. */
static void library_mode_reassembles_first(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    static uint8_t frame[1600];
    const char *req = "GET /one HTTP/1.1\r\nHost: example.com\r\n\r\n";
    const char *resp = pipelined_responses;
    size_t half = 30, rl = 49; /* the first response only */
    struct {
        int srv;
        uint32_t seq;
        uint8_t flags;
        const char *d;
        size_t n;
    } segs[] = {
        {0, 99, E2_TCP_SYN, NULL, 0},
        {1, 499, E2_TCP_SYN | E2_TCP_ACK, NULL, 0},
        {0, 100, E2_TCP_ACK, req, strlen(req)},
        {1, 500 + (uint32_t)half, E2_TCP_ACK, resp + half, rl - half},
        {1, 500, E2_TCP_ACK, resp, half},
    };
    for (unsigned i = 0; i < 5; i++) {
        struct frame_spec s = {.proto = 6,
                               .src = segs[i].srv ? 0x0a000002 : 0x0a000001,
                               .dst = segs[i].srv ? 0x0a000001 : 0x0a000002,
                               .sport = segs[i].srv ? 80 : 33000,
                               .dport = segs[i].srv ? 33000 : 80,
                               .tcp_flags = segs[i].flags,
                               .seq = segs[i].seq,
                               .data = (const uint8_t *)segs[i].d,
                               .payload = (uint16_t)segs[i].n};
        uint32_t n = frame_build(frame, &s);
        struct e2_pkt p;
        assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
        e2_streams_packet(g.t, &p, 1);
        if (i == 3) assert_int_equal(g.h.st.responses, 0);
    }
    assert_string_equal(rig_down(&g), LOGLINE("GET", "example.com", "/one", 200, 10));
    free(g.log);
}

static void log_strings_are_escaped(void **state)
{
    (void)state;
    struct rig g;
    rig_up(&g);
    open_conn(&g);
    say(&g, 0, "GET /\"q\\\xff HTTP/1.1\r\nHost: a\"b\x01\r\n\r\n", 0);
    say(&g, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0);
    assert_string_equal(rig_down(&g), "{\"client\":\"10.0.0.1:33000\",\"server\":\"10.0.0.2:80\","
                                      "\"method\":\"GET\",\"host\":\"a\\\"b\\u0001\",\"path\":"
                                      "\"/\\\"q\\\\\\u00ff\",\"status\":404,\"bytes\":0}\n");
    free(g.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pipelined_exchange_cut_anywhere),
        cmocka_unit_test(bodies_until_close_and_unanswered_requests),
        cmocka_unit_test(errors_stop_one_direction),
        cmocka_unit_test(gaps_tunnels_and_midstream),
        cmocka_unit_test(library_mode_reassembles_first),
        cmocka_unit_test(log_strings_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
