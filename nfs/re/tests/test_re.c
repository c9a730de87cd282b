/*
 * RE: the sliding Rabin fingerprint equals the fingerprint of the window
 * computed afresh; chunk boundaries follow the content, not how the stream
 * is cut; content repeated on another connection (at another offset) is
 * found and counted as saved, fresh content is not; gaps, closes and
 * options behave as documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"

static void sliding_equals_fresh(void **state)
{
    (void)state;
    static struct rabin rb;
    rabin_init(&rb);
    uint8_t data[1000];
    srand(3);
    for (unsigned i = 0; i < sizeof(data); i++) data[i] = (uint8_t)rand();
    uint8_t win[RABIN_WINDOW] = {0};
    uint64_t fp = 0;
    for (unsigned i = 0; i < sizeof(data); i++) {
        fp = rabin_slide(&rb, fp, win[i % RABIN_WINDOW], data[i]);
        win[i % RABIN_WINDOW] = data[i];
        if (i + 1 < RABIN_WINDOW) continue;
        uint64_t fresh = 0;
        for (unsigned k = i + 1 - RABIN_WINDOW; k <= i; k++)
            fresh = rabin_append(&rb, fresh, data[k]);
        assert_int_equal(fp, fresh);
    }
    /* multiplication modulo the polynomial: by one, commutative, below degree 63 */
    assert_int_equal(rabin_mulmod(1, 0x1234567, RABIN_POLY), 0x1234567);
    assert_int_equal(rabin_mulmod(0xdeadbeefcafe, 0x77777777777, RABIN_POLY),
                     rabin_mulmod(0x77777777777, 0xdeadbeefcafe, RABIN_POLY));
    assert_true(rabin_mulmod(0xffffffffffffffull, 0xfffffffffffffull, RABIN_POLY) >> 63 == 0);
}

struct rig {
    struct re r;
    struct e2_streams *t;
};

static void rig_up(struct rig *g, uint32_t avg)
{
    memset(g, 0, sizeof(*g));
    struct re_opts o = {.chunk_avg = avg, .cache_entries = 1 << 16};
    assert_int_equal(re_init(&g->r, &o, NULL), 0);
    struct e2_streams_opts so = {.capacity = 64, .user_size = sizeof(struct re_conn)};
    struct e2_streams_cb cb = {re_on_data, re_on_event, NULL, &g->r};
    g->t = e2_streams_create(&so, &cb, NULL);
    assert_non_null(g->t);
}

static void rig_down(struct rig *g)
{
    e2_streams_free(g->t);
    re_fini(&g->r);
}

/* Send @n bytes on connection @conn, direction @dir, in pieces of 1..@piece bytes. */
static void send_bytes(struct rig *g, uint64_t conn, int dir, const uint8_t *b, size_t n,
                       unsigned piece)
{
    uint64_t off = 0;
    while (off < n) {
        size_t k = 1 + (size_t)rand() % piece;
        if (k > n - off) k = n - off;
        struct e2_stream_msg m = {.kind = E2_STREAM_DATA,
                                  .dir = dir,
                                  .conn = conn,
                                  .arg = off,
                                  .data = b + off,
                                  .len = (uint32_t)k,
                                  .client_ip = 1,
                                  .server_ip = 2,
                                  .client_port = (uint16_t)conn,
                                  .server_port = 80};
        e2_streams_message(g->t, &m, 1);
        off += k;
    }
}

static void event(struct rig *g, uint64_t conn, int kind, int dir, uint64_t arg)
{
    struct e2_stream_msg m = {.kind = kind,
                              .dir = dir,
                              .conn = conn,
                              .arg = arg,
                              .client_ip = 1,
                              .server_ip = 2,
                              .client_port = (uint16_t)conn,
                              .server_port = 80};
    e2_streams_message(g->t, &m, 1);
}

enum { BLOCK = 65536 };
static uint8_t block[BLOCK], other[BLOCK + 1000];

static void fill(void)
{
    srand(11);
    for (unsigned i = 0; i < BLOCK; i++) block[i] = (uint8_t)rand();
    for (unsigned i = 0; i < sizeof(other); i++) other[i] = (uint8_t)rand();
    memcpy(other + 777, block, BLOCK - 777); /* the block again, shifted, on another connection */
}

static void repeated_content_is_found(void **state)
{
    (void)state;
    fill();
    struct rig g;
    rig_up(&g, 256);
    event(&g, 1, E2_TCP_OPEN, 0, 0);
    send_bytes(&g, 1, 1, block, BLOCK, 1460);
    uint64_t hits = g.r.st.hits;
    assert_true(hits <= 2); /* fresh content */
    assert_true(g.r.st.chunks > BLOCK / 256 / 2 && g.r.st.chunks < BLOCK / 256 * 2);
    event(&g, 2, E2_TCP_OPEN, 0, 0);
    send_bytes(&g, 2, 0, other, sizeof(other), 1460);
    uint64_t saved = g.r.st.saved;
    /* nearly all of the repeat: all but a chunk or two at its edges, and the references */
    assert_true(saved > (BLOCK - 777) * 9 / 10);
    assert_true(g.r.st.hit_bytes <= BLOCK - 777);
    assert_int_equal(g.r.st.bytes[0], sizeof(other));
    assert_int_equal(g.r.st.bytes[1], BLOCK);
    json_t *j = re_stats_json(&g.r);
    assert_int_equal(json_integer_value(json_object_get(j, "saved_bytes")), saved);
    json_decref(j);
    rig_down(&g);
}

static void cuts_do_not_move_boundaries(void **state)
{
    (void)state;
    fill();
    static const unsigned pieces[] = {1, 7, 300, 2000, 65536};
    struct re_stats first = {0};
    for (unsigned i = 0; i < 5; i++) {
        struct rig g;
        rig_up(&g, 128);
        event(&g, 1, E2_TCP_OPEN, 0, 0);
        send_bytes(&g, 1, 0, other, sizeof(other), pieces[i]);
        send_bytes(&g, 1, 1, block, BLOCK, pieces[i]);
        event(&g, 1, E2_TCP_CLOSE, 0, 0);
        event(&g, 1, E2_TCP_CLOSE, 1, 0);
        if (i == 0) first = g.r.st;
        assert_int_equal(g.r.st.chunks, first.chunks);
        assert_int_equal(g.r.st.hits, first.hits);
        assert_int_equal(g.r.st.saved, first.saved);
        assert_int_equal(g.r.st.chunk_bytes, sizeof(other) + BLOCK); /* closes end the last */
        rig_down(&g);
    }
    assert_true(first.hits > 0);
}

static void gaps_drop_the_chunk_in_progress(void **state)
{
    (void)state;
    fill();
    struct rig g;
    rig_up(&g, 1024);
    event(&g, 1, E2_TCP_OPEN, 0, 0);
    send_bytes(&g, 1, 0, block, 100, 100); /* under the minimum: no chunk yet */
    assert_int_equal(g.r.st.chunks, 0);
    event(&g, 1, E2_TCP_GAP, 0, 5000);
    assert_int_equal(g.r.st.dropped_partial, 1);
    event(&g, 1, E2_TCP_CLOSE, 0, 0);
    assert_int_equal(g.r.st.chunks, 0);
    rig_down(&g);
}

static void options_are_checked(void **state)
{
    (void)state;
    struct re r;
    struct e2_err err = {0};
    struct re_opts o = {.chunk_avg = 100};
    assert_true(re_init(&r, &o, &err) < 0);
    assert_non_null(strstr(err.msg, "power of two"));
    o = (struct re_opts){.chunk_avg = 32};
    assert_true(re_init(&r, &o, &err) < 0);
    o = (struct re_opts){.cache_entries = 1000}; /* rounded up */
    assert_int_equal(re_init(&r, &o, &err), 0);
    assert_int_equal(r.cache_entries, 1024);
    re_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sliding_equals_fresh),
        cmocka_unit_test(repeated_content_is_found),
        cmocka_unit_test(cuts_do_not_move_boundaries),
        cmocka_unit_test(gaps_drop_the_chunk_in_progress),
        cmocka_unit_test(options_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
