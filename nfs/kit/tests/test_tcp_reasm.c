/*
 * TCP reassembly: any order, duplicates and consistent overlaps give back
 * the exact streams; inconsistent overlaps, windows, memory limits, FIN,
 * RST, mid-stream pickup and sequence wrap behave as the header documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "e2_tcp_reasm.h"
#include "frames.h"

#define STREAM_MAX 65536

struct sink {
    uint8_t stream[2][STREAM_MAX];
    uint64_t len[2]; /* next offset expected: delivery must be contiguous */
    unsigned events[5], anomalies[E2_TCP_ANOMALY_COUNT];
    uint64_t gap_bytes, open_arg;
};

static void on_data(void *ctx, void *flow, int dir, uint64_t off, const uint8_t *b, uint32_t n)
{
    struct sink *s = ctx;
    (void)flow;
    assert_int_equal(off, s->len[dir]); /* in order, each byte once */
    assert_true(off + n <= STREAM_MAX);
    memcpy(s->stream[dir] + off, b, n);
    s->len[dir] += n;
}

static void on_event(void *ctx, void *flow, int dir, enum e2_tcp_event ev, uint64_t arg)
{
    struct sink *s = ctx;
    (void)flow;
    s->events[ev]++;
    if (ev == E2_TCP_ANOMALY) s->anomalies[arg]++;
    if (ev == E2_TCP_OPEN) s->open_arg = arg;
    if (ev == E2_TCP_GAP) {
        s->gap_bytes += arg;
        s->len[dir] += arg; /* the stream resumes after the hole */
    }
}

static struct sink sink;
static uint8_t frame[1600];

static struct e2_tcp_reasm *make(const struct e2_tcp_reasm_opts *o)
{
    memset(&sink, 0, sizeof(sink));
    struct e2_tcp_reasm_cb cb = {on_data, on_event, &sink};
    return e2_tcp_reasm_create(&cb, o);
}

/* Feed one segment: client (dir 0) 10.0.0.1:1000 -> 10.0.0.2:80, or back. */
static void seg(struct e2_tcp_reasm *r, struct e2_tcp_conn *c, int from_server, uint32_t seq,
                uint8_t flags, const uint8_t *data, uint16_t len)
{
    struct frame_spec s = {.proto = 6,
                           .src = from_server ? 2 : 1,
                           .dst = from_server ? 1 : 2,
                           .sport = from_server ? 80 : 1000,
                           .dport = from_server ? 1000 : 80,
                           .tcp_flags = flags,
                           .seq = seq,
                           .data = data,
                           .payload = len};
    uint32_t n = frame_build(frame, &s);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(frame, n, &p), E2_PKT_OK);
    e2_tcp_reasm_segment(r, c, NULL, &p);
}

static uint8_t text[STREAM_MAX];

static void fill_text(void)
{
    for (unsigned i = 0; i < STREAM_MAX; i++) text[i] = (uint8_t)(i * 131 + (i >> 8));
}

static void in_order_stream_with_handshake_and_fin(void **state)
{
    (void)state;
    struct e2_tcp_reasm *r = make(NULL);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 100, E2_TCP_SYN, NULL, 0);
    seg(r, &c, 1, 900, E2_TCP_SYN | E2_TCP_ACK, NULL, 0);
    seg(r, &c, 0, 101, E2_TCP_ACK, text, 500);
    seg(r, &c, 1, 901, E2_TCP_ACK, text + 1000, 300);
    seg(r, &c, 0, 601, E2_TCP_ACK | E2_TCP_FIN, text + 500, 100);
    assert_int_equal(sink.events[E2_TCP_OPEN], 1);
    assert_int_equal(sink.open_arg, 0);
    assert_int_equal(sink.len[0], 600);
    assert_memory_equal(sink.stream[0], text, 600);
    assert_int_equal(sink.len[1], 300);
    assert_memory_equal(sink.stream[1], text + 1000, 300);
    assert_int_equal(sink.events[E2_TCP_CLOSE], 1);
    seg(r, &c, 1, 1201, E2_TCP_ACK | E2_TCP_FIN, NULL, 0);
    assert_int_equal(sink.events[E2_TCP_CLOSE], 2);
    e2_tcp_conn_release(r, &c);
    e2_tcp_reasm_free(r);
}

/* Any order, duplicates and consistent overlaps: the stream comes back exact. */
static void shuffled_duplicated_overlapping_segments_give_the_exact_stream(void **state)
{
    (void)state;
    fill_text();
    for (unsigned seed = 1; seed <= 200; seed++) {
        srand(seed);
        struct e2_tcp_reasm *r = make(NULL);
        struct e2_tcp_conn c = {0};
        uint32_t isn = (uint32_t)rand() * 2654435761u; /* wraps for some seeds */
        uint32_t total = 2000 + (uint32_t)(rand() % 20000);
        struct {
            uint32_t off;
            uint16_t len;
        } segs[600];
        unsigned n = 0;
        for (uint32_t off = 0; off < total && n < 500;) {
            uint16_t len = (uint16_t)(1 + rand() % 1400);
            if (off + len > total) len = (uint16_t)(total - off);
            segs[n].off = off;
            segs[n++].len = len;
            off += len;
        }
        /* duplicates and overlapping re-cuts of the same bytes */
        for (unsigned k = 0; k < 60 && n < 600; k++) {
            uint32_t off = (uint32_t)rand() % total;
            uint16_t len = (uint16_t)(1 + rand() % 1400);
            if (off + len > total) len = (uint16_t)(total - off);
            segs[n].off = off;
            segs[n++].len = len;
        }
        for (unsigned i = n - 1; i > 0; i--) {
            unsigned j = (unsigned)rand() % (i + 1);
            __typeof__(segs[0]) t = segs[i];
            segs[i] = segs[j];
            segs[j] = t;
        }
        seg(r, &c, 0, isn, E2_TCP_SYN, NULL, 0);
        for (unsigned i = 0; i < n; i++)
            seg(r, &c, 0, isn + 1 + segs[i].off, E2_TCP_ACK, text + segs[i].off, segs[i].len);
        assert_int_equal(sink.len[0], total);
        assert_memory_equal(sink.stream[0], text, total);
        assert_int_equal(sink.events[E2_TCP_ANOMALY], 0);
        assert_int_equal(sink.events[E2_TCP_GAP], 0);
        struct e2_tcp_reasm_stats st;
        e2_tcp_reasm_stats(r, &st);
        assert_int_equal(st.waiting_bytes, 0);
        assert_int_equal(st.delivered_bytes, total);
        e2_tcp_conn_release(r, &c);
        e2_tcp_reasm_free(r);
    }
}

static void differing_overlap_first_copy_wins_unless_configured(void **state)
{
    (void)state;
    uint8_t a[20], b[20];
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    for (int last = 0; last <= 1; last++) {
        struct e2_tcp_reasm_opts o = {.overlap_last_wins = last};
        struct e2_tcp_reasm *r = make(&o);
        struct e2_tcp_conn c = {0};
        seg(r, &c, 0, 0, E2_TCP_SYN, NULL, 0);
        seg(r, &c, 0, 11, E2_TCP_ACK, a, 20);   /* waits: bytes 10..29 */
        seg(r, &c, 0, 21, E2_TCP_ACK, b, 20);   /* overlaps 20..29, adds 30..39 */
        seg(r, &c, 0, 1, E2_TCP_ACK, text, 10); /* fills the hole */
        assert_int_equal(sink.len[0], 40);
        assert_int_equal(sink.anomalies[E2_TCP_ANOMALY_OVERLAP_DIFFERS], 1);
        assert_int_equal(sink.stream[0][25], last ? 'b' : 'a');
        assert_int_equal(sink.stream[0][35], 'b');
        e2_tcp_conn_release(r, &c);
        e2_tcp_reasm_free(r);
    }
}

static void retransmissions_and_far_segments_are_counted_not_delivered(void **state)
{
    (void)state;
    struct e2_tcp_reasm_opts o = {.max_window = 4096};
    struct e2_tcp_reasm *r = make(&o);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 0, E2_TCP_SYN, NULL, 0);
    seg(r, &c, 0, 1, E2_TCP_ACK, text, 100);
    seg(r, &c, 0, 1, E2_TCP_ACK, text, 100);        /* all old */
    seg(r, &c, 0, 51, E2_TCP_ACK, text + 50, 100);  /* half old */
    seg(r, &c, 0, 1 + 10000, E2_TCP_ACK, text, 10); /* beyond the window */
    assert_int_equal(sink.len[0], 150);
    struct e2_tcp_reasm_stats st;
    e2_tcp_reasm_stats(r, &st);
    assert_int_equal(st.retransmitted_bytes, 150);
    assert_int_equal(sink.anomalies[E2_TCP_ANOMALY_OUT_OF_WINDOW], 1);
    e2_tcp_reasm_free(r);
}

static void a_hole_never_filled_becomes_a_gap_within_the_memory_bound(void **state)
{
    (void)state;
    fill_text();
    struct e2_tcp_reasm_opts o = {.max_flow_bytes = 4000};
    struct e2_tcp_reasm *r = make(&o);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 0, E2_TCP_SYN, NULL, 0);
    seg(r, &c, 0, 1, E2_TCP_ACK, text, 100);
    /* bytes 100..199 lost; 200.. keep coming */
    for (uint32_t off = 200; off < 10000; off += 500) {
        seg(r, &c, 0, 1 + off, E2_TCP_ACK, text + off, 500);
        struct e2_tcp_reasm_stats st;
        e2_tcp_reasm_stats(r, &st);
        assert_true(st.waiting_bytes <= 4000);
    }
    assert_int_equal(sink.events[E2_TCP_GAP], 1);
    assert_int_equal(sink.gap_bytes, 100);
    assert_true(sink.len[0] >= 10000 - 4000);
    assert_memory_equal(sink.stream[0] + 200, text + 200, sink.len[0] - 200);
    e2_tcp_conn_release(r, &c);
    struct e2_tcp_reasm_stats st;
    e2_tcp_reasm_stats(r, &st);
    assert_int_equal(st.waiting_bytes, 0);
    e2_tcp_reasm_free(r);
}

static void reset_ends_the_connection_and_frees_what_waited(void **state)
{
    (void)state;
    struct e2_tcp_reasm *r = make(NULL);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 0, E2_TCP_SYN, NULL, 0);
    seg(r, &c, 0, 500, E2_TCP_ACK, text, 100);
    seg(r, &c, 1, 77, E2_TCP_RST, NULL, 0);
    seg(r, &c, 0, 1, E2_TCP_ACK, text, 100); /* ignored: the connection is over */
    assert_int_equal(sink.events[E2_TCP_RESET], 1);
    assert_int_equal(sink.len[0], 0);
    struct e2_tcp_reasm_stats st;
    e2_tcp_reasm_stats(r, &st);
    assert_int_equal(st.waiting_bytes, 0);
    e2_tcp_reasm_free(r);
}

static void midstream_pickup_fin_and_syn_anomalies(void **state)
{
    (void)state;
    struct e2_tcp_reasm *r = make(NULL);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 5000, E2_TCP_ACK, text, 10); /* no handshake seen */
    assert_int_equal(sink.open_arg, 1);
    assert_int_equal(sink.len[0], 10);
    seg(r, &c, 0, 5010, E2_TCP_ACK | E2_TCP_FIN, text + 10, 10);
    assert_int_equal(sink.events[E2_TCP_CLOSE], 1);
    seg(r, &c, 0, 5020, E2_TCP_ACK, text, 10); /* after the FIN */
    assert_int_equal(sink.anomalies[E2_TCP_ANOMALY_DATA_AFTER_FIN], 1);
    seg(r, &c, 0, 1, E2_TCP_SYN, NULL, 0); /* a SYN that does not fit the stream */
    assert_int_equal(sink.anomalies[E2_TCP_ANOMALY_SYN_MISMATCH], 1);
    assert_int_equal(sink.len[0], 20);
    e2_tcp_reasm_free(r);
}

static void fin_before_the_missing_data_closes_once_complete(void **state)
{
    (void)state;
    struct e2_tcp_reasm *r = make(NULL);
    struct e2_tcp_conn c = {0};
    seg(r, &c, 0, 0xfffffff0u, E2_TCP_SYN, NULL, 0); /* the sequence space wraps */
    seg(r, &c, 0, 0xfffffff1u + 40, E2_TCP_ACK | E2_TCP_FIN, text + 40, 40);
    assert_int_equal(sink.events[E2_TCP_CLOSE], 0);
    seg(r, &c, 0, 0xfffffff1u, E2_TCP_ACK, text, 40);
    assert_int_equal(sink.len[0], 80);
    assert_memory_equal(sink.stream[0], text, 80);
    assert_int_equal(sink.events[E2_TCP_CLOSE], 1);
    e2_tcp_reasm_free(r);
}

int main(void)
{
    fill_text();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_stream_with_handshake_and_fin),
        cmocka_unit_test(shuffled_duplicated_overlapping_segments_give_the_exact_stream),
        cmocka_unit_test(differing_overlap_first_copy_wins_unless_configured),
        cmocka_unit_test(retransmissions_and_far_segments_are_counted_not_delivered),
        cmocka_unit_test(a_hole_never_filled_becomes_a_gap_within_the_memory_bound),
        cmocka_unit_test(reset_ends_the_connection_and_frees_what_waited),
        cmocka_unit_test(midstream_pickup_fin_and_syn_anomalies),
        cmocka_unit_test(fin_before_the_missing_data_closes_once_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
