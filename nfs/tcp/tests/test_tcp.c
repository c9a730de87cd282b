/*
 * The TCP NF's logic: connections become bytestream messages (OPEN, DATA
 * in order, GAP, CLOSE, RESET) with their endpoints and connection ids, and
 * a consumer fed those messages sees exactly what it would have seen
 * reassembling the packets itself; a refusing emitter is counted as loss.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "stream_msg.h"
#include "tcp.h"

#define MSG_MAX  256
#define DATA_MAX 65536

/* What the emitter collected. */
struct tape {
    struct e2bs_hdr h[MSG_MAX];
    uint32_t at[MSG_MAX]; /* where each message's bytes are in data */
    uint8_t data[DATA_MAX];
    unsigned n;
    uint32_t used;
    bool refuse;
};

static int collect(void *ctx, const struct e2bs_hdr *h, const uint8_t *data)
{
    struct tape *t = ctx;
    if (t->refuse) return -ENOBUFS;
    assert_true(t->n < MSG_MAX && t->used + h->len <= DATA_MAX);
    t->h[t->n] = *h;
    t->at[t->n++] = t->used;
    if (h->len) memcpy(t->data + t->used, data, h->len);
    t->used += h->len;
    return 0;
}

/* A consumer's view, as text: what the DPI NFs' callbacks would be told. */
struct view {
    char log[16384];
    size_t used;
};

static void on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                    const uint8_t *b, uint32_t len)
{
    struct view *v = ctx;
    (void)user;
    v->used += (size_t)snprintf(v->log + v->used, sizeof(v->log) - v->used,
                                "data %llu %d %llu %.*s\n", (unsigned long long)s->id, dir,
                                (unsigned long long)off, (int)len, (const char *)b);
}

static void on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                     uint64_t arg)
{
    struct view *v = ctx;
    (void)user;
    v->used += (size_t)snprintf(v->log + v->used, sizeof(v->log) - v->used,
                                "%s %llu %d %llu %x:%u %x:%u\n", e2_tcp_event_name(ev),
                                (unsigned long long)s->id, dir, (unsigned long long)arg,
                                s->client_ip, s->client_port, s->server_ip, s->server_port);
}

static struct e2_streams *table(const struct e2_streams_cb *cb)
{
    struct e2_streams_opts o = {.capacity = 64, .reasm = {.max_flow_bytes = 8}};
    struct e2_streams *t = e2_streams_create(&o, cb, NULL);
    assert_non_null(t);
    return t;
}

struct segspec {
    unsigned conn;
    int from_server;
    uint32_t seq;
    uint8_t flags;
    const char *data;
};

/* Two interleaved connections: reordering, a retransmission, a gap (memory), FINs and a RST. */
static const struct segspec trace[] = {
    {0, 0, 100, E2_TCP_SYN, NULL},
    {1, 0, 300, E2_TCP_SYN, NULL},
    {0, 1, 900, E2_TCP_SYN | E2_TCP_ACK, NULL},
    {0, 0, 101, E2_TCP_ACK, "GET /a HTTP/1.1\r\n"},
    {1, 0, 301, E2_TCP_ACK, "hello"},
    {0, 1, 912, E2_TCP_ACK, "0 OK"}, /* ahead: waits (4 of the 8 bytes allowed) */
    {0, 1, 901, E2_TCP_ACK, "HTTP/1.1 20"},
    {0, 0, 101, E2_TCP_ACK, "GET /a HTTP/1.1\r\n"}, /* retransmitted: nothing new */
    {1, 0, 306 + 20, E2_TCP_ACK, "far"},            /* waits */
    {1, 0, 306 + 40, E2_TCP_ACK, "farther"},        /* does not fit: a gap to "far" */
    {0, 0, 118, E2_TCP_ACK | E2_TCP_FIN, NULL},
    {0, 1, 916, E2_TCP_ACK | E2_TCP_FIN, NULL},
    {1, 1, 50, E2_TCP_RST, NULL},
};

static void feed(struct e2_streams *t)
{
    static uint8_t frame[1600];
    for (size_t i = 0; i < sizeof(trace) / sizeof(trace[0]); i++) {
        const struct segspec *g = &trace[i];
        struct frame_spec s = {.proto = 6,
                               .src = g->from_server ? 0x0a000002 : 0x0a000001,
                               .dst = g->from_server ? 0x0a000001 : 0x0a000002,
                               .sport = (uint16_t)(g->from_server ? 80 : 1000 + g->conn),
                               .dport = (uint16_t)(g->from_server ? 1000 + g->conn : 80),
                               .tcp_flags = g->flags,
                               .seq = g->seq,
                               .data = (const uint8_t *)g->data,
                               .payload = (uint16_t)(g->data ? strlen(g->data) : 0)};
        uint32_t n = frame_build(frame, &s);
        struct e2_pkt p;
        assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
        e2_streams_packet(t, &p, 1000);
    }
}

static struct tape tape;
static struct tcp_nf nf;

static struct e2_streams *producer(void)
{
    memset(&tape, 0, sizeof(tape));
    tcp_init(&nf, collect, &tape);
    struct e2_streams_cb cb = {tcp_on_data, tcp_on_event, NULL, &nf};
    return table(&cb);
}

static void streams_become_ordered_messages(void **state)
{
    (void)state;
    struct e2_streams *p = producer();
    feed(p);
    static const struct {
        uint8_t kind, dir;
        uint64_t conn, offset;
        uint32_t len;
    } want[] = {
        {E2BS_OPEN, 0, 1, 0, 0},  {E2BS_OPEN, 0, 2, 0, 0},  {E2BS_DATA, 0, 1, 0, 17},
        {E2BS_DATA, 0, 2, 0, 5},  {E2BS_DATA, 1, 1, 0, 11}, {E2BS_DATA, 1, 1, 11, 4},
        {E2BS_GAP, 0, 2, 20, 0},  {E2BS_DATA, 0, 2, 25, 3}, {E2BS_CLOSE, 0, 1, 0, 0},
        {E2BS_CLOSE, 1, 1, 0, 0}, {E2BS_RESET, 1, 2, 0, 0},
    };
    assert_int_equal(tape.n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < tape.n; i++) {
        const struct e2bs_hdr *h = &tape.h[i];
        assert_int_equal(h->magic, E2BS_MAGIC);
        assert_int_equal(h->kind, want[i].kind);
        assert_int_equal(h->dir, want[i].dir);
        assert_int_equal(h->conn, want[i].conn);
        assert_int_equal(h->offset, want[i].offset);
        assert_int_equal(h->len, want[i].len);
        assert_int_equal(h->client_ip, 0x0a000001);
        assert_int_equal(h->server_ip, 0x0a000002);
        assert_int_equal(h->client_port, 1000 + h->conn - 1);
        assert_int_equal(h->server_port, 80);
    }
    assert_memory_equal(tape.data + tape.at[4], "HTTP/1.1 20", 11);
    assert_int_equal(nf.messages[E2BS_DATA], 5);
    assert_int_equal(nf.lost, 0);
    e2_streams_free(p);
}

static void consumers_of_messages_see_what_reassembly_shows(void **state)
{
    (void)state;
    static struct view direct, relayed;
    memset(&direct, 0, sizeof(direct));
    memset(&relayed, 0, sizeof(relayed));
    struct e2_streams_cb cb = {on_data, on_event, NULL, &direct};
    struct e2_streams *d = table(&cb);
    feed(d);

    struct e2_streams *p = producer();
    feed(p);
    cb.ctx = &relayed;
    struct e2_streams *r = table(&cb);
    for (unsigned i = 0; i < tape.n; i++) {
        struct e2_stream_msg m;
        assert_int_equal(stream_msg_decode(&tape.h[i], tape.data + tape.at[i], &m), 0);
        e2_streams_message(r, &m, 1000);
    }
    assert_true(direct.used > 200);
    assert_string_equal(relayed.log, direct.log);
    struct e2_streams_stats sd, sr;
    e2_streams_stats(d, &sd);
    e2_streams_stats(r, &sr);
    assert_int_equal(sr.bytes[0], sd.bytes[0]);
    assert_int_equal(sr.bytes[1], sd.bytes[1]);
    assert_int_equal(sr.connections, 2);
    assert_int_equal(sr.live, 0); /* both ended: released at their last message */
    e2_streams_free(d);
    e2_streams_free(p);
    e2_streams_free(r);
}

static void not_messages_are_refused(void **state)
{
    (void)state;
    struct e2bs_hdr h = {.magic = E2BS_MAGIC, .kind = E2BS_ANOMALY + 1};
    struct e2_stream_msg m;
    assert_int_equal(stream_msg_decode(&h, NULL, &m), -1);
    h.kind = E2BS_DATA;
    h.dir = 2;
    assert_int_equal(stream_msg_decode(&h, NULL, &m), -1);
    h.dir = 1;
    h.magic = 0;
    assert_int_equal(stream_msg_decode(&h, NULL, &m), -1);
}

static void refused_messages_are_counted_lost(void **state)
{
    (void)state;
    struct e2_streams *p = producer();
    tape.refuse = true;
    feed(p);
    assert_int_equal(nf.lost, 11);
    assert_int_equal(nf.messages[E2BS_DATA], 0);
    json_t *j = tcp_stats_json(&nf);
    assert_int_equal(json_integer_value(json_object_get(j, "lost")), 11);
    json_decref(j);
    e2_streams_free(p);
}

static void the_worst_packet_fits_the_queue(void **state)
{
    (void)state;
    struct e2_tcp_reasm_opts o = {.max_flow_bytes = 262144};
    /* 256 KiB waiting plus a 64 KiB segment, 2008 bytes a message, and its events */
    assert_int_equal(tcp_worst_messages(&o, 2008), (262144 + 65535 + 2007) / 2008 + 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(streams_become_ordered_messages),
        cmocka_unit_test(consumers_of_messages_see_what_reassembly_shows),
        cmocka_unit_test(not_messages_are_refused),
        cmocka_unit_test(refused_messages_are_counted_lost),
        cmocka_unit_test(the_worst_packet_fits_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
