/*
 * e2_streams: packets (reassembled here) and messages (reassembled by a
 * producer) drive the same callbacks the same way; connections open with
 * their endpoints, end by FINs or RST, linger, expire, are evicted and
 * restart on a reused key; the NF's state is zeroed for each connection
 * and released exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2_streams.h"
#include "frames.h"

#define S(x) ((uint64_t)(x)*1000000000ull)

struct rec {
    char log[8192];
    size_t used;
    unsigned releases;
};

struct user {
    uint64_t seen; /* bytes this connection's state saw: zero at OPEN */
};

static void say(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->used += (size_t)vsnprintf(r->log + r->used, sizeof(r->log) - r->used, fmt, ap);
    va_end(ap);
    assert_true(r->used < sizeof(r->log));
}

static void on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                    const uint8_t *b, uint32_t len)
{
    struct user *u = user;
    u->seen += len;
    say(ctx, "data id=%llu dir=%d off=%llu len=%u first=%c\n", (unsigned long long)s->id, dir,
        (unsigned long long)off, len, b[0]);
}

static void on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                     uint64_t arg)
{
    struct user *u = user;
    if (ev == E2_TCP_OPEN) assert_int_equal(u->seen, 0);
    say(ctx, "%s id=%llu dir=%d arg=%llu %x:%u>%x:%u\n", e2_tcp_event_name(ev),
        (unsigned long long)s->id, dir, (unsigned long long)arg, s->client_ip, s->client_port,
        s->server_ip, s->server_port);
}

static void on_release(void *ctx, struct e2_stream *s, void *user)
{
    struct rec *r = ctx;
    (void)user;
    r->releases++;
    say(r, "release id=%llu\n", (unsigned long long)s->id);
}

static struct e2_streams *make(struct rec *r, size_t capacity)
{
    memset(r, 0, sizeof(*r));
    struct e2_streams_opts o = {.capacity = capacity,
                                .user_size = sizeof(struct user),
                                .idle_ns = S(60),
                                .linger_ns = S(5)};
    struct e2_streams_cb cb = {on_data, on_event, on_release, r};
    struct e2_streams *t = e2_streams_create(&o, &cb, NULL);
    assert_non_null(t);
    return t;
}

static uint8_t frame[1600];

/* One segment of connection 10.0.0.1:(1000+c) -> 10.0.0.2:80, or back. */
static struct user *seg(struct e2_streams *t, unsigned c, int from_server, uint32_t seq,
                        uint8_t flags, const char *data, uint64_t now)
{
    struct frame_spec s = {.proto = 6,
                           .src = from_server ? 0x0a000002 : 0x0a000001,
                           .dst = from_server ? 0x0a000001 : 0x0a000002,
                           .sport = (uint16_t)(from_server ? 80 : 1000 + c),
                           .dport = (uint16_t)(from_server ? 1000 + c : 80),
                           .tcp_flags = flags,
                           .seq = seq,
                           .data = (const uint8_t *)data,
                           .payload = (uint16_t)(data ? strlen(data) : 0)};
    uint32_t n = frame_build(frame, &s);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
    return e2_streams_packet(t, &p, now);
}

/* A whole exchange: handshake, request, response in two segments (the second first), FINs. */
static void exchange(struct e2_streams *t, unsigned c, uint64_t now)
{
    seg(t, c, 0, 100, E2_TCP_SYN, NULL, now);
    seg(t, c, 1, 500, E2_TCP_SYN | E2_TCP_ACK, NULL, now);
    seg(t, c, 0, 101, E2_TCP_ACK, NULL, now);
    seg(t, c, 0, 101, E2_TCP_ACK, "GET / HTTP/1.0\r\n\r\n", now);
    seg(t, c, 1, 501 + 5, E2_TCP_ACK, "world", now);
    seg(t, c, 1, 501, E2_TCP_ACK, "hello", now);
    seg(t, c, 0, 119, E2_TCP_ACK | E2_TCP_FIN, NULL, now);
    seg(t, c, 1, 511, E2_TCP_ACK | E2_TCP_FIN, NULL, now);
    seg(t, c, 0, 120, E2_TCP_ACK, NULL, now);
}

static void msg(struct e2_streams *t, uint64_t conn, unsigned c, int kind, int dir, uint64_t arg,
                const char *data, uint64_t now)
{
    struct e2_stream_msg m = {.kind = kind,
                              .dir = dir,
                              .conn = conn,
                              .arg = arg,
                              .data = (const uint8_t *)data,
                              .len = data ? (uint32_t)strlen(data) : 0,
                              .client_ip = 0x0a000001,
                              .server_ip = 0x0a000002,
                              .client_port = (uint16_t)(1000 + c),
                              .server_port = 80};
    e2_streams_message(t, &m, now);
}

static const char expected_exchange[] = "open id=1 dir=0 arg=0 a000001:1000>a000002:80\n"
                                        "data id=1 dir=0 off=0 len=18 first=G\n"
                                        "data id=1 dir=1 off=0 len=5 first=h\n"
                                        "data id=1 dir=1 off=5 len=5 first=w\n"
                                        "close id=1 dir=0 arg=0 a000001:1000>a000002:80\n"
                                        "close id=1 dir=1 arg=0 a000001:1000>a000002:80\n";

static void packets_reassemble_and_report_endpoints(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 64);
    exchange(t, 0, S(1));
    assert_string_equal(r.log, expected_exchange);
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.bytes[0], 18);
    assert_int_equal(st.bytes[1], 10);
    assert_int_equal(st.live, 1); /* lingering: the last ACK did not open it again */
    e2_streams_expire(t, S(1) + S(5) - 1, 1 << 20);
    assert_int_equal(r.releases, 0);
    e2_streams_expire(t, S(1) + S(5), 1 << 20);
    assert_int_equal(r.releases, 1);
    e2_streams_stats(t, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.expired, 0); /* it had ended: lingering is not idling */
    e2_streams_free(t);
}

static void messages_drive_the_same_callbacks(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 64);
    msg(t, 1, 0, E2_TCP_OPEN, 0, 0, NULL, S(1));
    msg(t, 1, 0, E2_STREAM_DATA, 0, 0, "GET / HTTP/1.0\r\n\r\n", S(1));
    msg(t, 1, 0, E2_STREAM_DATA, 1, 0, "hello", S(1));
    msg(t, 1, 0, E2_STREAM_DATA, 1, 5, "world", S(1));
    msg(t, 1, 0, E2_TCP_CLOSE, 0, 0, NULL, S(1));
    msg(t, 1, 0, E2_TCP_CLOSE, 1, 0, NULL, S(1));
    char expect[sizeof(expected_exchange) + 32];
    snprintf(expect, sizeof(expect), "%srelease id=1\n", expected_exchange);
    assert_string_equal(r.log, expect); /* the producer said it ended: released at once */
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.closed, 1);
    assert_int_equal(st.messages, 6);
    e2_streams_free(t);
}

static void a_message_for_an_unknown_connection_opens_it_midstream(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 64);
    msg(t, 7, 3, E2_STREAM_DATA, 1, 4000, "late", S(1));
    assert_string_equal(r.log, "open id=7 dir=0 arg=1 a000001:1003>a000002:80\n"
                               "data id=7 dir=1 off=4000 len=4 first=l\n");
    /* a new producer id on the same key is a new connection */
    msg(t, 8, 3, E2_TCP_OPEN, 0, 0, NULL, S(2));
    assert_int_equal(r.releases, 1);
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.restarted, 1);
    assert_int_equal(st.connections, 2);
    /* out of range: ignored */
    msg(t, 8, 3, 42, 0, 0, NULL, S(2));
    msg(t, 8, 3, E2_STREAM_DATA, 2, 0, "x", S(2));
    e2_streams_stats(t, &st);
    assert_int_equal(st.bad_messages, 2);
    e2_streams_free(t);
    assert_int_equal(r.releases, 2); /* freeing releases what lives */
}

static void reset_ends_and_a_new_syn_restarts(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 64);
    seg(t, 0, 0, 100, E2_TCP_SYN, NULL, S(1));
    seg(t, 0, 0, 101, E2_TCP_ACK, "abc", S(1));
    seg(t, 0, 1, 900, E2_TCP_RST, NULL, S(1));
    seg(t, 0, 0, 104, E2_TCP_ACK, "def", S(1)); /* after the RST: nothing */
    seg(t, 0, 0, 7000, E2_TCP_SYN, NULL, S(2)); /* the port reused */
    seg(t, 0, 0, 7001, E2_TCP_ACK, "xyz", S(2));
    assert_string_equal(r.log, "open id=1 dir=0 arg=0 a000001:1000>a000002:80\n"
                               "data id=1 dir=0 off=0 len=3 first=a\n"
                               "reset id=1 dir=1 arg=0 a000001:1000>a000002:80\n"
                               "release id=1\n"
                               "open id=2 dir=0 arg=0 a000001:1000>a000002:80\n"
                               "data id=2 dir=0 off=0 len=3 first=x\n");
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.reset, 1);
    assert_int_equal(st.restarted, 1);
    e2_streams_free(t);
}

static void idle_connections_expire_and_full_tables_evict(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 16); /* two buckets of 8 */
    for (unsigned c = 0; c < 40; c++) seg(t, c, 0, 100, E2_TCP_SYN, NULL, S(1) + c);
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.connections, 40);
    assert_int_equal(st.live, 16);
    assert_int_equal(st.evicted, 24);
    assert_int_equal(r.releases, 24);
    e2_streams_expire(t, S(1) + S(60) + 100, 1 << 20);
    e2_streams_stats(t, &st);
    assert_int_equal(st.expired, 16);
    assert_int_equal(st.live, 0);
    assert_int_equal(r.releases, 40);
    e2_streams_free(t);
}

/* Each packet hands back its connection's state as the callbacks left it. */
static void a_packet_returns_its_connection(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 16);
    struct user *a = seg(t, 0, 0, 100, E2_TCP_SYN, NULL, S(1));
    assert_non_null(a);
    assert_ptr_equal(seg(t, 0, 1, 500, E2_TCP_SYN | E2_TCP_ACK, NULL, S(1)), a);
    struct user *b = seg(t, 1, 0, 700, E2_TCP_SYN, NULL, S(1));
    assert_ptr_not_equal(a, b);
    assert_int_equal(seg(t, 0, 0, 101, E2_TCP_ACK, "abc", S(1))->seen, 3);
    assert_int_equal(seg(t, 0, 0, 108, E2_TCP_ACK, "later", S(1))->seen, 3); /* waits for 104 */
    assert_int_equal(seg(t, 0, 0, 104, E2_TCP_ACK, "dddd", S(1))->seen, 12);
    assert_int_equal(b->seen, 0);
    e2_streams_free(t);
}

static void other_packets_are_only_counted(void **state)
{
    (void)state;
    struct rec r;
    struct e2_streams *t = make(&r, 16);
    struct frame_spec s = {.proto = 17, .src = 1, .dst = 2, .sport = 5, .dport = 53, .payload = 8};
    uint32_t n = frame_build(frame, &s);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
    assert_null(e2_streams_packet(t, &p, S(1)));
    struct e2_streams_stats st;
    e2_streams_stats(t, &st);
    assert_int_equal(st.not_tcp, 1);
    assert_int_equal(st.live, 0);
    assert_int_equal(r.used, 0);
    e2_streams_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(packets_reassemble_and_report_endpoints),
        cmocka_unit_test(messages_drive_the_same_callbacks),
        cmocka_unit_test(a_message_for_an_unknown_connection_opens_it_midstream),
        cmocka_unit_test(reset_ends_and_a_new_syn_restarts),
        cmocka_unit_test(idle_connections_expire_and_full_tables_evict),
        cmocka_unit_test(a_packet_returns_its_connection),
        cmocka_unit_test(other_packets_are_only_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
