/*
 * The traffic normalizer, rule by rule, on crafted frames: what passes is
 * checked byte for byte and its checksums by full recomputation; what is
 * dropped is counted under its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "frames.h"
#include "norm.h"

#define S 1000000000ull

static struct norm *norm_with(const char *conf)
{
    struct norm_conf c;
    struct e2_err err = {0};
    if (norm_conf_load(&c, conf, NULL, &err)) fail_msg("%s", err.msg);
    struct norm *n = norm_create(&c, &err);
    if (!n) fail_msg("%s", err.msg);
    return n;
}

static uint8_t frame[1600];

/* Run the normalizer; returns whether it passed, *start the frame's new start. */
static bool run(struct norm *n, uint32_t *len, uint8_t **start, uint64_t now)
{
    uint32_t adv;
    bool pass = norm_packet(n, frame, len, &adv, now);
    *start = frame + adv;
    return pass;
}

/* Every checksum of a passed frame as a full recomputation says. */
static void assert_checksums(const uint8_t *f, uint32_t len)
{
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse((uint8_t *)f, len, &p), E2_PKT_OK);
    const uint8_t *ip = f + p.l3_off;
    assert_int_equal(e2_get16(ip + 10), e2_ipv4_csum(ip, p.ihl));
    int at = e2_l4_csum_offset(p.proto);
    if (at < 0 || p.is_frag) return;
    const uint8_t *l4 = f + p.l4_off;
    assert_int_equal(e2_get16(l4 + at), e2_l4_csum(l4, p.l4_len, p.proto, p.src_ip, p.dst_ip));
}

static uint32_t tcp(uint8_t flags, uint8_t ttl)
{
    return frame_build(frame, &(struct frame_spec){.proto = 6,
                                                   .ttl = ttl,
                                                   .tcp_flags = flags,
                                                   .src = 0x0a000001,
                                                   .dst = 0x0a000002,
                                                   .sport = 1234,
                                                   .dport = 80,
                                                   .payload = 10});
}

static uint64_t counter(struct norm *n, const char *name)
{
    for (unsigned i = 0; i < norm_ncounters; i++)
        if (!strcmp(norm_counters[i].name, name))
            return *(const uint64_t *)((const char *)norm_stats(n) + norm_counters[i].offset);
    fail_msg("no counter %s", name);
    return 0;
}

static void bad_tcp_flag_combinations_are_dropped(void **state)
{
    (void)state;
    struct norm *n = norm_with(NULL);
    static const struct {
        uint8_t flags;
        const char *reason;
    } bad[] = {
        {0, "tcp_null"},
        {E2_TCP_ECE | E2_TCP_CWR, "tcp_null"},
        {E2_TCP_FIN | E2_TCP_PSH | E2_TCP_URG, "tcp_xmas"},
        {0x3f, "tcp_xmas"},
        {E2_TCP_SYN | E2_TCP_FIN, "tcp_syn_fin"},
        {E2_TCP_SYN | E2_TCP_FIN | E2_TCP_ACK, "tcp_syn_fin"},
        {E2_TCP_SYN | E2_TCP_RST, "tcp_syn_rst"},
        {E2_TCP_FIN, "tcp_no_ack"},
        {E2_TCP_PSH, "tcp_no_ack"},
        {E2_TCP_URG, "tcp_no_ack"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t before = counter(n, bad[i].reason);
        uint32_t len = tcp(bad[i].flags, 64);
        uint8_t *start;
        assert_false(run(n, &len, &start, 0));
        assert_int_equal(counter(n, bad[i].reason), before + 1);
    }
    static const uint8_t good[] = {E2_TCP_SYN,
                                   E2_TCP_SYN | E2_TCP_ACK,
                                   E2_TCP_ACK,
                                   E2_TCP_FIN | E2_TCP_ACK,
                                   E2_TCP_RST,
                                   E2_TCP_RST | E2_TCP_ACK,
                                   E2_TCP_PSH | E2_TCP_ACK,
                                   E2_TCP_URG | E2_TCP_ACK,
                                   E2_TCP_SYN | E2_TCP_ECE | E2_TCP_CWR};
    for (size_t i = 0; i < sizeof(good); i++) {
        uint32_t len = tcp(good[i], 64);
        uint8_t copy[1600], *start;
        memcpy(copy, frame, len);
        assert_true(run(n, &len, &start, 0));
        assert_memory_equal(start, copy, len); /* untouched */
    }
    assert_int_equal(counter(n, "dropped"), sizeof(bad) / sizeof(bad[0]));
    assert_int_equal(counter(n, "passed"), sizeof(good));
    norm_free(n);
    n = norm_with("tcp-flags allow\n");
    uint32_t len = tcp(E2_TCP_SYN | E2_TCP_FIN, 64);
    uint8_t *start;
    assert_true(run(n, &len, &start, 0));
    norm_free(n);
}

static void low_ttls_are_raised_to_the_floor(void **state)
{
    (void)state;
    struct norm *n = norm_with("ttl-min 20\n");
    for (uint8_t ttl = 1; ttl < 40; ttl++) {
        uint32_t len = tcp(E2_TCP_ACK, ttl);
        uint8_t *start;
        assert_true(run(n, &len, &start, 0));
        assert_int_equal(start[14 + 8], ttl < 20 ? 20 : ttl);
        assert_checksums(start, len);
    }
    assert_int_equal(counter(n, "ttl_raised"), 19);
    norm_free(n);
    n = norm_with(NULL); /* no floor by default */
    uint32_t len = tcp(E2_TCP_ACK, 1);
    uint8_t *start;
    assert_true(run(n, &len, &start, 0));
    assert_int_equal(start[14 + 8], 1);
    norm_free(n);
}

/* Give the frame's IPv4 header @opt_len bytes of options (record route), keeping it consistent. */
static uint32_t add_options(uint32_t len, unsigned l3, unsigned opt_len)
{
    uint8_t *ip = frame + l3;
    memmove(ip + 20 + opt_len, ip + 20, len - l3 - 20);
    static const uint8_t rr[] = {1, 7, 39, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(ip + 20, rr, opt_len);
    ip[0] = (uint8_t)(0x40 | (20 + opt_len) / 4);
    e2_put16(ip + 2, (uint16_t)(e2_get16(ip + 2) + opt_len));
    e2_put16(ip + 10, 0);
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20 + opt_len));
    return len + opt_len;
}

static void ip_options_are_stripped_with_lengths_and_checksum(void **state)
{
    (void)state;
    struct norm *n = norm_with(NULL);
    for (uint8_t vlans = 0; vlans <= 2; vlans++) {
        struct frame_spec s = {.proto = 17,
                               .src = 0x0a000001,
                               .dst = 0x0a000002,
                               .sport = 53,
                               .dport = 5353,
                               .payload = 30,
                               .vlans = vlans};
        uint8_t plain[1600];
        uint32_t plain_len = frame_build(plain, &s);
        frame_build(frame, &s);
        unsigned l3 = 14 + 4u * vlans;
        uint32_t len = add_options(plain_len, l3, 12);
        assert_checksums(frame, len);
        uint8_t *start;
        assert_true(run(n, &len, &start, 0));
        assert_int_equal(start - frame, 12);
        assert_int_equal(len, plain_len);
        assert_memory_equal(start, plain, plain_len); /* exactly the frame without options */
        assert_checksums(start, len);
    }
    assert_int_equal(counter(n, "ip_options_stripped"), 3);
    norm_free(n);
    n = norm_with("ip-options drop\n");
    uint32_t len = add_options(tcp(E2_TCP_ACK, 64), 14, 4);
    uint8_t *start;
    assert_false(run(n, &len, &start, 0));
    assert_int_equal(counter(n, "ip_options_dropped"), 1);
    norm_free(n);
    n = norm_with("ip-options allow\n");
    len = add_options(tcp(E2_TCP_ACK, 64), 14, 4);
    assert_true(run(n, &len, &start, 0));
    assert_int_equal(start[14], 0x46);
    norm_free(n);
}

static void the_reserved_flag_is_cleared(void **state)
{
    (void)state;
    struct norm *n = norm_with("ttl-min 64\n");
    uint32_t len = tcp(E2_TCP_ACK, 5);
    frame[14 + 6] |= 0xc0; /* evil bit and DF */
    e2_put16(frame + 14 + 10, 0);
    e2_put16(frame + 14 + 10, e2_ipv4_csum(frame + 14, 20));
    uint8_t *start;
    assert_true(run(n, &len, &start, 0));
    assert_int_equal(start[14 + 6], 0x40); /* DF stays */
    assert_int_equal(start[14 + 8], 64);
    assert_checksums(start, len);
    assert_int_equal(counter(n, "reserved_cleared"), 1);
    norm_free(n);
    n = norm_with("reserved-flag drop\n");
    len = tcp(E2_TCP_ACK, 64);
    frame[14 + 6] |= 0x80;
    assert_false(run(n, &len, &start, 0));
    assert_int_equal(counter(n, "reserved_dropped"), 1);
    norm_free(n);
}

static void malformed_frames_are_dropped_others_pass(void **state)
{
    (void)state;
    struct norm *n = norm_with(NULL);
    uint32_t len = tcp(E2_TCP_ACK, 64);
    uint8_t *start;
    uint32_t short_len = 30;
    assert_false(run(n, &short_len, &start, 0));
    frame[14 + 20 + 12] = 0x20; /* TCP data offset 2 words */
    assert_false(run(n, &len, &start, 0));
    e2_put16(frame + 12, 0x86dd); /* IPv6: not ours to judge */
    assert_true(run(n, &len, &start, 0));
    const struct norm_stats *st = norm_stats(n);
    assert_int_equal(st->malformed[E2_PKT_SHORT_IP], 1);
    assert_int_equal(st->malformed[E2_PKT_BAD_TCP_OFF], 1);
    assert_int_equal(st->not_ipv4, 1);
    assert_int_equal(st->dropped, 2);
    norm_free(n);
}

/* ---- fragments ---- */

static uint8_t dgram[70000]; /* the datagram's payload the fragments carry */

/* A fragment of datagram @id: payload bytes [off, off + len) of dgram. */
static uint32_t frag(uint16_t id, unsigned off, unsigned len, bool mf)
{
    memset(frame, 0, 80);
    memset(frame, 0xaa, 12);
    e2_put16(frame + 12, 0x0800);
    uint8_t *ip = frame + 14;
    ip[0] = 0x45;
    e2_put16(ip + 2, (uint16_t)(20 + len));
    e2_put16(ip + 4, id);
    e2_put16(ip + 6, (uint16_t)((mf ? 0x2000 : 0) | off / 8));
    ip[8] = 64;
    ip[9] = 17;
    e2_put32(ip + 12, 0x0a000001);
    e2_put32(ip + 16, 0x0a000002);
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
    memcpy(ip + 20, dgram + off, len);
    return 34 + len;
}

static bool send_frag(struct norm *n, uint16_t id, unsigned off, unsigned len, bool mf,
                      uint64_t now)
{
    uint32_t l = frag(id, off, len, mf);
    uint8_t *start;
    bool pass = run(n, &l, &start, now);
    if (pass) assert_checksums(start, l);
    return pass;
}

static void fragments_in_any_order_pass_and_complete(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(dgram); i++) dgram[i] = (uint8_t)(i * 13 + 5);
    struct norm *n = norm_with(NULL);
    assert_true(send_frag(n, 1, 1480, 1480, true, 0));
    assert_true(send_frag(n, 1, 2960, 100, false, 0));
    assert_true(send_frag(n, 1, 0, 1480, true, 0));
    assert_int_equal(counter(n, "frag_complete"), 1);
    assert_true(send_frag(n, 1, 0, 1480, true, 0)); /* forgotten: a new datagram */
    assert_int_equal(counter(n, "frag_complete"), 1);
    assert_int_equal(counter(n, "passed"), 4);
    norm_free(n);
}

static void overlaps_with_different_data_are_dropped(void **state)
{
    (void)state;
    struct norm *n = norm_with(NULL);
    assert_true(send_frag(n, 7, 0, 800, true, 0));
    assert_true(send_frag(n, 7, 400, 800, true, 0)); /* overlaps 400..800 with the same bytes */
    assert_int_equal(counter(n, "frag_overlap_same"), 1);
    uint32_t l = frag(7, 792, 16, true);
    frame[34 + 3] ^= 0xff; /* byte 795 differs from what came before */
    uint8_t *start;
    assert_false(run(n, &l, &start, 0));
    assert_int_equal(counter(n, "frag_overlap_differing"), 1);
    assert_true(send_frag(n, 7, 1200, 80, false, 0)); /* touching, no overlap: completes */
    assert_int_equal(counter(n, "frag_complete"), 1);
    /* the first NORM_FRAG_KEEP (2048) bytes are kept: beyond, an overlap cannot be shown the same
     */
    assert_true(send_frag(n, 8, 2000, 1000, true, 0));
    assert_true(send_frag(n, 8, 1992, 16, true, 0)); /* same bytes at 2000..2008 */
    assert_true(send_frag(n, 8, 2040, 8, true, 0));
    assert_false(send_frag(n, 8, 2048, 8, true, 0));
    assert_int_equal(counter(n, "frag_overlap_same"), 3);
    assert_int_equal(counter(n, "frag_overlap_differing"), 2);
    norm_free(n);
}

static void any_overlap_is_dropped_when_configured(void **state)
{
    (void)state;
    struct norm *n = norm_with("frag-overlap any\n");
    assert_true(send_frag(n, 3, 0, 800, true, 0));
    assert_false(send_frag(n, 3, 0, 800, true, 0)); /* even an exact duplicate */
    assert_int_equal(counter(n, "frag_overlap"), 1);
    norm_free(n);
    n = norm_with("frag-overlap allow\n");
    assert_true(send_frag(n, 3, 0, 800, true, 0));
    uint32_t l = frag(3, 8, 16, true);
    frame[40] ^= 1;
    uint8_t *start;
    assert_true(run(n, &l, &start, 0));
    norm_free(n);
}

static void impossible_fragments_are_dropped(void **state)
{
    (void)state;
    struct norm *n = norm_with(NULL);
    assert_false(send_frag(n, 9, 65528, 16, false, 0)); /* ping of death: past 65,535 */
    assert_int_equal(counter(n, "frag_too_big"), 1);
    assert_false(send_frag(n, 9, 0, 100, true, 0)); /* 100 is not a multiple of 8 */
    assert_int_equal(counter(n, "frag_bad_len"), 1);
    assert_true(send_frag(n, 10, 800, 100, false, 0));  /* the end: 900 */
    assert_false(send_frag(n, 10, 896, 8, true, 0));    /* data past the end */
    assert_false(send_frag(n, 10, 800, 104, false, 0)); /* a second, different end */
    assert_int_equal(counter(n, "frag_bad_end"), 2);
    assert_true(send_frag(n, 11, 1600, 8, true, 0));
    assert_false(send_frag(n, 11, 8, 8, false, 0)); /* ends before data already seen */
    assert_int_equal(counter(n, "frag_bad_end"), 3);
    for (unsigned i = 0; i < NORM_FRAG_RANGES; i++) /* pieces with holes between them */
        assert_true(send_frag(n, 12, i * 16, 8, true, 0));
    assert_false(send_frag(n, 12, 1000, 8, true, 0));
    assert_int_equal(counter(n, "frag_too_many"), 1);
    assert_true(send_frag(n, 12, 8, 8, true, 0)); /* filling a hole merges two pieces */
    assert_true(send_frag(n, 12, 1000, 8, true, 0));
    norm_free(n);
}

static void fragment_state_times_out_and_is_bounded(void **state)
{
    (void)state;
    struct norm *n = norm_with("frag-timeout 2s\nfragments 16\n");
    uint32_t l;
    uint8_t *start;
    assert_true(send_frag(n, 5, 0, 800, true, 0));
    for (int i = 0; i < 200; i++) norm_sweep(n, 3 * S);
    assert_int_equal(counter(n, "frag_expired"), 1);
    l = frag(5, 0, 800, true);
    frame[40] ^= 1; /* would differ from the forgotten fragment: a new datagram now */
    assert_true(run(n, &l, &start, 3 * S));
    for (uint16_t id = 100; id < 140; id++) assert_true(send_frag(n, id, 0, 8, true, 4 * S));
    assert_true(counter(n, "frag_evicted") >= 40 - 16);
    norm_free(n);
}

/* ---- configuration ---- */

static void conf_statements_and_errors(void **state)
{
    (void)state;
    struct norm_conf c;
    struct e2_err err = {0};
    assert_int_equal(norm_conf_load(&c,
                                    "ttl-min 64\nip-options drop\nreserved-flag allow\n"
                                    "tcp-flags allow\nfrag-overlap any\nfragments 4096\n"
                                    "frag-timeout 10s\n",
                                    NULL, &err),
                     0);
    assert_int_equal(c.ttl_min, 64);
    assert_int_equal(c.ip_options, NORM_DROP);
    assert_int_equal(c.reserved, NORM_ALLOW);
    assert_false(c.tcp_flags);
    assert_int_equal(c.overlap, NORM_OVERLAP_ANY);
    assert_int_equal(c.fragments, 4096);
    assert_int_equal(c.frag_timeout, 10 * S);
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"ttl-min 256\n", "(options):1: ttl-min '256' is not a number from 0 to 255"},
        {"ip-options cut\n", "(options):1: ip-options 'cut' is not one of strip, drop, allow"},
        {"\nreserved-flag strip\n",
         "(options):2: reserved-flag 'strip' is not one of clear, drop, allow"},
        {"frag-overlap some\n",
         "(options):1: frag-overlap 'some' is not one of differing, any, allow"},
        {"tcp-flags fix\n", "(options):1: tcp-flags 'fix' is not one of drop, allow"},
        {"fragments 8\n", "(options):1: fragments '8' is not a number from 16 to 1048576"},
        {"frag-timeout 1\nfrag-timeout 2\n", "(options):2: frag-timeout is given twice"},
        {"ttl-min\n", "(options):1: ttl-min wants one value"},
        {"scrub all\n", "(options):1: unknown statement 'scrub' (ttl-min, ip-options, "
                        "reserved-flag, tcp-flags, frag-overlap, fragments, frag-timeout)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_not_equal(norm_conf_load(&c, cases[i].text, NULL, &err), 0);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_tcp_flag_combinations_are_dropped),
        cmocka_unit_test(low_ttls_are_raised_to_the_floor),
        cmocka_unit_test(ip_options_are_stripped_with_lengths_and_checksum),
        cmocka_unit_test(the_reserved_flag_is_cleared),
        cmocka_unit_test(malformed_frames_are_dropped_others_pass),
        cmocka_unit_test(fragments_in_any_order_pass_and_complete),
        cmocka_unit_test(overlaps_with_different_data_are_dropped),
        cmocka_unit_test(any_overlap_is_dropped_when_configured),
        cmocka_unit_test(impossible_fragments_are_dropped),
        cmocka_unit_test(fragment_state_times_out_and_is_bounded),
        cmocka_unit_test(conf_statements_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
