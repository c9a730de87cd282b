/*
 * Packet parsing and rewriting: every field, every refusal status, and
 * rewrites whose incremental checksums equal a full recomputation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "frames.h"

static uint8_t f[1600];

static void udp_tcp_and_icmp_fields_are_read(void **state)
{
    (void)state;
    struct e2_pkt p;
    struct frame_spec s = {.proto = 17,
                           .src = 0x0a000001,
                           .dst = 0xc0a80102,
                           .sport = 1234,
                           .dport = 53,
                           .payload = 10};
    uint32_t n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_int_equal(p.src_ip, 0x0a000001);
    assert_int_equal(p.dst_ip, 0xc0a80102);
    assert_int_equal(p.src_port, 1234);
    assert_int_equal(p.dst_port, 53);
    assert_int_equal(p.l3_off, 14);
    assert_int_equal(p.l4_off, 34);
    assert_int_equal(p.payload_off, 42);
    assert_int_equal(p.l4_len, 18);
    assert_false(p.is_frag);
    s = (struct frame_spec){.proto = 6,
                            .src = 1,
                            .dst = 2,
                            .sport = 40000,
                            .dport = 80,
                            .tcp_flags = E2_TCP_SYN,
                            .vlans = 2,
                            .seq = 1000};
    n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_int_equal(p.vlans, 2);
    assert_int_equal(p.l3_off, 22);
    assert_int_equal(p.tcp_flags, E2_TCP_SYN);
    assert_int_equal(p.tcp_seq, 1000);
    assert_int_equal(p.payload_off, 22 + 40);
    s = (struct frame_spec){.proto = 1, .icmp_type = 8, .sport = 777, .src = 1, .dst = 2};
    n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_int_equal(p.icmp_type, 8);
    assert_int_equal(p.src_port, 777);
    assert_int_equal(p.dst_port, 777);
}

static void ethernet_padding_is_not_payload(void **state)
{
    (void)state;
    struct frame_spec s = {.proto = 17, .src = 1, .dst = 2, .sport = 1, .dport = 2};
    uint32_t n = frame_build(f, &s); /* 42 bytes; the wire pads to 60 */
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(f, 60, &p), E2_PKT_OK);
    assert_int_equal(p.l4_len, 8);
    assert_int_equal(p.total_len, n - 14);
}

static void each_malformation_has_its_status(void **state)
{
    (void)state;
    struct e2_pkt p;
    struct frame_spec s = {.proto = 6, .src = 1, .dst = 2, .sport = 1, .dport = 2};
    uint32_t n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, 13, &p), E2_PKT_SHORT_L2);
    assert_int_equal(e2_pkt_parse(f, 30, &p), E2_PKT_SHORT_IP);
    assert_int_equal(e2_pkt_parse(f, n - 1, &p), E2_PKT_BAD_TOTAL_LEN);
    f[14] = 0x65;
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_VERSION);
    f[14] = 0x44;
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_IHL);
    f[14] = 0x4f; /* 60 bytes of header: more than the frame holds */
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_IHL);
    f[14] = 0x45;
    e2_put16(f + 16, 19);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_TOTAL_LEN);
    e2_put16(f + 16, 30); /* 10 bytes of TCP */
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_SHORT_L4);
    e2_put16(f + 16, 40);
    f[34 + 12] = 4 << 4;
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_TCP_OFF);
    f[34 + 12] = 6 << 4; /* 24 bytes of TCP header in a 20-byte segment */
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_BAD_TCP_OFF);
    e2_put16(f + 12, 0x0806);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_NOT_IPV4);
    e2_put16(f + 12, 0x8100); /* a VLAN tag cut off */
    assert_int_equal(e2_pkt_parse(f, 15, &p), E2_PKT_SHORT_L2);
    for (int st = 0; st < E2_PKT_STATUS_COUNT; st++)
        assert_string_not_equal(e2_pkt_status_name(st), "unknown");
}

static void later_fragments_have_no_ports(void **state)
{
    (void)state;
    struct e2_pkt p;
    struct frame_spec s = {
        .proto = 17, .src = 1, .dst = 2, .sport = 5, .dport = 6, .payload = 16, .frag = 0x2000};
    uint32_t n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_true(p.is_frag && p.mf);
    assert_int_equal(p.dst_port, 6);
    s.frag = 3; /* offset 24 bytes, last fragment */
    n = frame_build(f, &s);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_true(p.is_frag);
    assert_int_equal(p.frag_off, 24);
    assert_int_equal(p.src_port, 0);
    assert_int_equal(p.dst_port, 0);
}

/* Every checksum in the frame equals what a full computation gives. */
static void assert_checksums_right(const struct e2_pkt *p)
{
    const uint8_t *ip = p->frame + p->l3_off;
    assert_int_equal(e2_get16(ip + 10), e2_ipv4_csum(ip, p->ihl));
    int at = e2_l4_csum_offset(p->proto);
    if (at < 0 || p->frag_off) return;
    const uint8_t *l4 = p->frame + p->l4_off;
    uint16_t stored = e2_get16(l4 + at);
    if (p->proto == 17 && stored == 0) return;
    assert_int_equal(stored, e2_l4_csum(l4, p->l4_len, p->proto, p->src_ip, p->dst_ip));
}

static void rewrites_keep_checksums_equal_to_a_full_recomputation(void **state)
{
    (void)state;
    srand(7);
    static const uint8_t protos[] = {6, 17, 1};
    for (int i = 0; i < 3000; i++) {
        struct frame_spec s = {.proto = protos[i % 3],
                               .src = (uint32_t)rand() * 2654435761u,
                               .dst = (uint32_t)rand(),
                               .sport = (uint16_t)rand(),
                               .dport = (uint16_t)rand(),
                               .icmp_type = 8,
                               .payload = (uint16_t)(rand() % 64)};
        uint32_t n = frame_build(f, &s);
        struct e2_pkt p;
        assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
        e2_pkt_set_endpoint(&p, i & 1, (uint32_t)rand() * 40503u, (uint16_t)rand());
        e2_pkt_set_ttl(&p, (uint8_t)(p.ttl - 1));
        assert_checksums_right(&p);
        struct e2_pkt again;
        assert_int_equal(e2_pkt_parse(f, n, &again), E2_PKT_OK);
        assert_int_equal(again.src_ip, p.src_ip);
        assert_int_equal(again.dst_port, p.dst_port);
    }
}

static void udp_without_checksum_stays_without(void **state)
{
    (void)state;
    struct frame_spec s = {.proto = 17, .src = 1, .dst = 2, .sport = 3, .dport = 4};
    uint32_t n = frame_build(f, &s);
    e2_put16(f + 34 + 6, 0);
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    e2_pkt_set_endpoint(&p, false, 0x01020304, 999);
    assert_int_equal(e2_get16(f + 34 + 6), 0);
    assert_checksums_right(&p);
}

static void udp_checksum_that_computes_to_zero_is_sent_as_ffff(void **state)
{
    (void)state;
    /* Search for a source port whose checksum folds to zero. */
    for (uint32_t port = 0; port < 65536; port++) {
        struct frame_spec s = {.proto = 17,
                               .src = 0x0a000001,
                               .dst = 0x0a000002,
                               .sport = (uint16_t)port,
                               .dport = 53};
        uint32_t n = frame_build(f, &s);
        if (e2_get16(f + 34 + 6) != 0xffff) continue;
        struct e2_pkt p;
        assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
        assert_checksums_right(&p);
        return;
    }
    fail_msg("no port gave a zero UDP checksum");
}

static void quoted_datagram_of_an_icmp_error_is_read_and_rewritten(void **state)
{
    (void)state;
    /* The UDP datagram an error refers to... */
    uint8_t inner[1600];
    struct frame_spec is = {.proto = 17,
                            .src = 0x0a000005,
                            .dst = 0x08080808,
                            .sport = 5555,
                            .dport = 53,
                            .payload = 20};
    frame_build(inner, &is);
    /* ...quoted (IP header and 8 bytes) in a port unreachable from the far end. */
    struct frame_spec os = {
        .proto = 1, .icmp_type = 3, .src = 0x08080808, .dst = 0x0a000005, .payload = 28};
    uint32_t n = frame_build(f, &os);
    memcpy(f + 42, inner + 14, 28);
    struct e2_pkt p, q;
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_true(e2_icmp_is_error(p.icmp_type));
    assert_int_equal(e2_pkt_parse_quoted(&p, &q), E2_PKT_OK);
    assert_int_equal(q.src_ip, 0x0a000005);
    assert_int_equal(q.src_port, 5555);
    assert_int_equal(q.dst_port, 53);
    assert_int_equal(q.total_len, 48); /* the original length, more than is quoted */
    assert_int_equal(q.l4_len, 8);
    e2_pkt_set_endpoint(&q, false, 0xc6336401, 61000);
    assert_int_equal(e2_get16(f + 42 + 10), e2_ipv4_csum(f + 42, 20));
    /* A query is not an error: nothing quoted. */
    struct frame_spec echo = {.proto = 1, .icmp_type = 8, .src = 1, .dst = 2};
    n = frame_build(f, &echo);
    assert_int_equal(e2_pkt_parse(f, n, &p), E2_PKT_OK);
    assert_int_not_equal(e2_pkt_parse_quoted(&p, &q), E2_PKT_OK);
}

static void a_rewritten_region_patches_the_checksum_over_it(void **state)
{
    (void)state;
    uint8_t data[64], old[64];
    for (unsigned i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 37 + 11);
    uint8_t csum[2];
    e2_put16(csum, e2_csum_fold(e2_csum_add(0, data, sizeof(data))));
    for (unsigned len = 1; len <= 21; len += 4) { /* odd lengths too: the tail byte pads */
        memcpy(old, data + 10, len);
        for (unsigned i = 0; i < len; i++) data[10 + i] ^= (uint8_t)(0x5a + i);
        e2_csum_replace_bytes(csum, old, data + 10, len);
        assert_int_equal(e2_get16(csum), e2_csum_fold(e2_csum_add(0, data, sizeof(data))));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_tcp_and_icmp_fields_are_read),
        cmocka_unit_test(ethernet_padding_is_not_payload),
        cmocka_unit_test(each_malformation_has_its_status),
        cmocka_unit_test(later_fragments_have_no_ports),
        cmocka_unit_test(rewrites_keep_checksums_equal_to_a_full_recomputation),
        cmocka_unit_test(udp_without_checksum_stays_without),
        cmocka_unit_test(udp_checksum_that_computes_to_zero_is_sent_as_ffff),
        cmocka_unit_test(quoted_datagram_of_an_icmp_error_is_read_and_rewritten),
        cmocka_unit_test(a_rewritten_region_patches_the_checksum_over_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
