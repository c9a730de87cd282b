/*
 * The NAT on frames, time driven by hand: mapping and filtering behaviour,
 * the port pool, timeouts per state, the TCP state machine, ICMP query and
 * error translation (checksums checked by full recomputation), malformed
 * frames, hairpinning, reconfiguration, listings and configuration errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "nat.h"

#define S    1000000000ull
#define IN1  0x0a0c1e05u /* 10.12.30.5 */
#define IN2  0x0a0c1e06u /* 10.12.30.6 */
#define PUB  0x8372585cu /* 131.114.88.92 */
#define DNS  0x08080808u
#define DNS2 0x01010101u

static uint8_t f[1600];
static uint32_t flen;

static struct nat *make(const char *extra)
{
    char text[1024];
    snprintf(text, sizeof(text), "inside 10.12.30.0/24\npublic 131.114.88.92\n%s", extra);
    struct nat_conf c;
    struct e2_err err = {0};
    if (nat_conf_parse(text, "t.conf", &c, &err)) fail_msg("%s", err.msg);
    struct nat *n = nat_create(&c, &err);
    assert_non_null(n);
    return n;
}

/* Every checksum of the frame in f: IP header and L4, summed anew. */
static void assert_checksums(void)
{
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(f, flen, &p), E2_PKT_OK);
    const uint8_t *ip = f + p.l3_off, *l4 = f + p.l4_off;
    assert_int_equal(e2_get16(ip + 10), e2_ipv4_csum(ip, p.ihl));
    int at = e2_l4_csum_offset(p.proto);
    assert_int_equal(e2_get16(l4 + at), e2_l4_csum(l4, p.l4_len, p.proto, p.src_ip, p.dst_ip));
}

/* A frame into @buf (ICMP: @sport is the identifier, @dport the type); its length. */
static uint32_t build(uint8_t *buf, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                      uint16_t dport, uint8_t flags)
{
    struct frame_spec s = {.proto = proto,
                           .src = src,
                           .dst = dst,
                           .sport = sport,
                           .dport = dport,
                           .tcp_flags = flags,
                           .icmp_type = proto == 1 ? (uint8_t)dport : 0,
                           .payload = 12};
    return frame_build(buf, &s);
}

/* Build the frame into f and give it to the NAT. */
static enum nat_verdict send(struct nat *n, uint8_t proto, uint32_t src, uint16_t sport,
                             uint32_t dst, uint16_t dport, uint8_t flags, uint64_t now)
{
    flen = build(f, proto, src, sport, dst, dport, flags);
    return nat_process(n, f, flen, now);
}

static void assert_src(uint32_t ip, uint16_t port)
{
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(f, flen, &p), E2_PKT_OK);
    assert_int_equal(p.src_ip, ip);
    assert_int_equal(p.src_port, port);
    assert_checksums();
}

static void assert_dst(uint32_t ip, uint16_t port)
{
    struct e2_pkt p;
    assert_int_equal(e2_pkt_parse(f, flen, &p), E2_PKT_OK);
    assert_int_equal(p.dst_ip, ip);
    assert_int_equal(p.dst_port, port);
    assert_checksums();
}

static uint16_t out_port(void)
{
    struct e2_pkt p;
    e2_pkt_parse(f, flen, &p);
    return p.src_port;
}

static void mapping_is_endpoint_independent(void **state)
{
    (void)state;
    struct nat *n = make("");
    assert_int_equal(send(n, 17, IN1, 5000, DNS, 53, 0, 0), NAT_FORWARD);
    assert_src(PUB, 5000); /* the port is kept when free */
    assert_int_equal(send(n, 17, IN1, 5000, DNS2, 53, 0, S), NAT_FORWARD);
    assert_src(PUB, 5000); /* another destination, the same mapping */
    assert_int_equal(send(n, 17, IN2, 5000, DNS, 53, 0, S), NAT_FORWARD);
    uint16_t p2 = out_port();
    assert_int_not_equal(p2, 5000);         /* never two hosts on one external endpoint */
    assert_true(p2 >= 1024 && p2 % 2 == 0); /* same range and parity (RFC 4787 REQ-3, 4) */
    assert_int_equal(send(n, 17, IN2, 5000, DNS2, 53, 0, S), NAT_FORWARD);
    assert_src(PUB, p2);
    /* replies find their way back, to the right host */
    assert_int_equal(send(n, 17, DNS, 53, PUB, p2, 0, S), NAT_FORWARD);
    assert_dst(IN2, 5000);
    assert_int_equal(send(n, 17, DNS2, 53, PUB, 5000, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5000);
    const struct nat_stats *st = nat_stats(n);
    assert_int_equal(st->mappings_created[NAT_UDP], 2);
    assert_int_equal(st->sessions_created[NAT_UDP], 4);
    assert_int_equal(st->port_preserved, 1);
    assert_int_equal(st->translated_out[NAT_UDP], 4);
    assert_int_equal(st->translated_in[NAT_UDP], 2);
    /* a port below the pool's range: one of the pool, odd for odd */
    assert_int_equal(send(n, 17, IN2, 123, DNS, 123, 0, S), NAT_FORWARD);
    assert_true(out_port() >= 1024 && out_port() % 2 == 1);
    nat_free(n);
}

static void filtering_behaviours(void **state)
{
    (void)state;
    /* address-dependent (the default): any port of an address the host sent to */
    struct nat *n = make("");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    assert_int_equal(send(n, 17, DNS, 999, PUB, 5000, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5000);
    assert_int_equal(send(n, 17, DNS2, 53, PUB, 5000, 0, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_FILTERED], 1);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5002, 0, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_NO_MAPPING], 1);
    nat_free(n);
    /* endpoint-independent: anyone may use the mapping */
    n = make("filtering endpoint-independent\n");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    assert_int_equal(send(n, 17, DNS2, 7, PUB, 5000, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5000);
    nat_free(n);
    /* address-and-port-dependent: only the exact remote endpoint */
    n = make("filtering address-and-port-dependent\n");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    assert_int_equal(send(n, 17, DNS, 54, PUB, 5000, 0, S), NAT_DROP);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, S), NAT_FORWARD);
    nat_free(n);
}

static void pool_exhaustion_and_release(void **state)
{
    (void)state;
    struct nat_conf c;
    struct e2_err err;
    assert_int_equal(
        nat_conf_parse("inside 10.0.0.0/8\npublic 131.114.88.92 ports 2000-2003\n", "t", &c, &err),
        0);
    struct nat *n = nat_create(&c, &err);
    uint16_t seen = 0;
    for (uint16_t i = 0; i < 4; i++) {
        assert_int_equal(send(n, 17, IN1 + i, 40000, DNS, 53, 0, 0), NAT_FORWARD);
        uint16_t p = out_port();
        assert_true(p >= 2000 && p <= 2003);
        seen |= (uint16_t)(1u << (p - 2000));
    }
    assert_int_equal(seen, 0xf); /* every port lent once */
    assert_int_equal(send(n, 17, IN1 + 4, 40000, DNS, 53, 0, 0), NAT_DROP);
    assert_int_equal(nat_stats(n)->pool_exhausted[NAT_UDP], 1);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_POOL], 1);
    /* the same host's existing mapping still works; TCP has its own ports */
    assert_int_equal(send(n, 17, IN1, 40000, DNS2, 53, 0, 0), NAT_FORWARD);
    assert_int_equal(send(n, 6, IN1 + 4, 40000, DNS, 80, E2_TCP_SYN, 0), NAT_FORWARD);
    /* the mappings expire, their ports come back */
    for (int i = 0; i < 100000; i++) nat_tick(n, 301 * S);
    size_t maps, sess;
    nat_counts(n, &maps, &sess);
    assert_int_equal(maps, 0);
    assert_int_equal(nat_stats(n)->mappings_expired[NAT_UDP], 4);
    assert_int_equal(send(n, 17, IN1 + 4, 40000, DNS, 53, 0, 302 * S), NAT_FORWARD);
    nat_free(n);
    /* a low port stays low when the pool has low ports (RFC 4787 REQ-3a) */
    assert_int_equal(
        nat_conf_parse("inside 10.0.0.0/8\npublic 131.114.88.92 ports 500-3000\n", "t", &c, &err),
        0);
    n = nat_create(&c, &err);
    assert_int_equal(send(n, 17, IN1, 123, DNS, 123, 0, 0), NAT_FORWARD);
    assert_true(out_port() >= 500 && out_port() <= 1023 && out_port() % 2 == 1);
    assert_int_equal(send(n, 17, IN1, 4000, DNS, 123, 0, 0), NAT_FORWARD);
    assert_true(out_port() >= 1024 && out_port() <= 3000 && out_port() % 2 == 0);
    nat_free(n);
}

static void udp_refreshes_outbound_only(void **state)
{
    (void)state;
    struct nat *n = make("");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    /* replies do not refresh (RFC 4787 REQ-6 lets us choose: we do not) */
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 299 * S), NAT_FORWARD);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 300 * S), NAT_DROP);
    assert_int_equal(nat_stats(n)->sessions_expired[NAT_UDP], 1);
    assert_int_equal(nat_stats(n)->mappings_expired[NAT_UDP], 1);
    /* outbound traffic does */
    send(n, 17, IN1, 5000, DNS, 53, 0, 1000 * S);
    send(n, 17, IN1, 5000, DNS, 53, 0, 1200 * S);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 1499 * S), NAT_FORWARD);
    nat_free(n);
    /* a configured timeout */
    n = make("timeout udp 2m\n");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 119 * S), NAT_FORWARD);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 120 * S), NAT_DROP);
    nat_free(n);
}

static void tcp_states_and_their_timeouts(void **state)
{
    (void)state;
    struct nat *n = make("");
    /* half open: transitory, 4 minutes */
    send(n, 6, IN1, 40000, DNS, 80, E2_TCP_SYN, 0);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40000, E2_TCP_SYN | E2_TCP_ACK, 239 * S),
                     NAT_FORWARD);
    /* established (SYN both ways): 2 h 4 min idle, refreshed both ways */
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40000, E2_TCP_ACK, 7678 * S), NAT_FORWARD);
    assert_dst(IN1, 40000);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40000, E2_TCP_ACK, (7678 + 7440) * S), NAT_DROP);
    assert_int_equal(nat_stats(n)->sessions_expired[NAT_TCP], 1);
    /* a SYN alone times out after 4 minutes */
    send(n, 6, IN1, 40001, DNS, 80, E2_TCP_SYN, 10000 * S);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40001, E2_TCP_SYN | E2_TCP_ACK, 10240 * S), NAT_DROP);
    /* FINs both ways: closing, 4 minutes */
    send(n, 6, IN1, 40002, DNS, 80, E2_TCP_SYN, 20000 * S);
    send(n, 6, DNS, 80, PUB, 40002, E2_TCP_SYN | E2_TCP_ACK, 20000 * S);
    send(n, 6, IN1, 40002, DNS, 80, E2_TCP_FIN | E2_TCP_ACK, 20001 * S);
    /* one FIN: half closed, still the established timeout */
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40002, E2_TCP_ACK, 22000 * S), NAT_FORWARD);
    send(n, 6, DNS, 80, PUB, 40002, E2_TCP_FIN | E2_TCP_ACK, 22001 * S);
    assert_int_equal(send(n, 6, IN1, 40002, DNS, 80, E2_TCP_ACK, 22002 * S), NAT_FORWARD);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40002, E2_TCP_ACK, 22002 * S + 240 * S), NAT_DROP);
    /* RST: transitory too */
    send(n, 6, IN1, 40003, DNS, 80, E2_TCP_SYN, 30000 * S);
    send(n, 6, DNS, 80, PUB, 40003, E2_TCP_SYN | E2_TCP_ACK, 30000 * S);
    send(n, 6, DNS, 80, PUB, 40003, E2_TCP_RST, 30001 * S);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40003, E2_TCP_ACK, 30240 * S), NAT_FORWARD);
    assert_int_equal(send(n, 6, DNS, 80, PUB, 40003, E2_TCP_ACK, 30481 * S), NAT_DROP);
    nat_free(n);
}

static void tcp_opens(void **state)
{
    (void)state;
    struct nat *n = make("");
    /* simultaneous open: SYN out, SYN in (no ACK): established */
    send(n, 6, IN1, 40000, DNS, 4000, E2_TCP_SYN, 0);
    assert_int_equal(send(n, 6, DNS, 4000, PUB, 40000, E2_TCP_SYN, S), NAT_FORWARD);
    assert_dst(IN1, 40000);
    assert_int_equal(send(n, 6, DNS, 4000, PUB, 40000, E2_TCP_ACK, 7000 * S), NAT_FORWARD);
    /* an outbound RST opens nothing; inbound non-SYNs open nothing */
    assert_int_equal(send(n, 6, IN2, 1, DNS, 80, E2_TCP_RST, 0), NAT_DROP);
    assert_int_equal(send(n, 6, DNS, 4001, PUB, 40000, E2_TCP_ACK, 7000 * S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_NO_SESSION], 2);
    /* an inbound SYN through the mapping from an address the host talks to (ADF) */
    assert_int_equal(send(n, 6, DNS, 4001, PUB, 40000, E2_TCP_SYN, 7000 * S), NAT_FORWARD);
    assert_dst(IN1, 40000);
    assert_int_equal(send(n, 6, DNS2, 4001, PUB, 40000, E2_TCP_SYN, 7000 * S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_FILTERED], 1);
    /* mid-stream pickup outbound (no SYN) counts as established */
    send(n, 6, IN2, 50000, DNS, 22, E2_TCP_ACK, 0);
    assert_int_equal(send(n, 6, DNS, 22, PUB, 50000, E2_TCP_ACK, 7439 * S), NAT_FORWARD);
    assert_int_equal(nat_stats(n)->sessions_created[NAT_TCP], 3);
    nat_free(n);
}

static void icmp_echo_identifiers_are_translated(void **state)
{
    (void)state;
    struct nat *n = make("");
    assert_int_equal(send(n, 1, IN1, 5077, DNS, 8, 0, 0), NAT_FORWARD);
    assert_src(PUB, 5077);
    assert_int_equal(send(n, 1, IN2, 5077, DNS, 8, 0, 0), NAT_FORWARD);
    uint16_t id2 = out_port();
    assert_int_not_equal(id2, 5077);
    assert_src(PUB, id2);
    assert_int_equal(send(n, 1, DNS, 5077, PUB, 0, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5077);
    assert_int_equal(send(n, 1, DNS, id2, PUB, 0, 0, S), NAT_FORWARD);
    assert_dst(IN2, 5077);
    /* inbound requests and outbound replies are not ours to translate */
    assert_int_equal(send(n, 1, DNS, 5077, PUB, 8, 0, S), NAT_DROP);
    assert_int_equal(send(n, 1, IN1, 5077, DNS, 0, 0, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_ICMP_TYPE], 2);
    /* query timeout: 60 s */
    assert_int_equal(send(n, 1, DNS, 5077, PUB, 0, 0, 60 * S), NAT_DROP);
    assert_int_equal(nat_stats(n)->sessions_expired[NAT_ICMP], 1);
    nat_free(n);
}

/*
 * An ICMP error in f from @src to @dst quoting @qlen bytes of the datagram
 * now in f (which the caller made and translated).
 */
static void wrap_in_error(uint8_t type, uint8_t code, uint32_t src, uint32_t dst, unsigned qlen)
{
    uint8_t quote[1600];
    unsigned avail = flen - 14;
    if (qlen > avail) qlen = avail;
    memcpy(quote, f + 14, qlen);
    struct frame_spec s = {
        .proto = 1, .icmp_type = type, .src = src, .dst = dst, .payload = (uint16_t)qlen};
    flen = frame_build(f, &s);
    uint8_t *icmp = f + 34;
    icmp[1] = code;
    memcpy(icmp + 8, quote, qlen);
    e2_put16(icmp + 2, 0);
    e2_put16(icmp + 2, e2_l4_csum(icmp, 8 + qlen, 1, src, dst));
}

/* The quote of the error in f: its IP header checksum, and ports or identifier. */
static void assert_quote(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    struct e2_pkt p, q;
    assert_int_equal(e2_pkt_parse(f, flen, &p), E2_PKT_OK);
    assert_int_equal(e2_pkt_parse_quoted(&p, &q), E2_PKT_OK);
    assert_int_equal(q.src_ip, src);
    assert_int_equal(q.dst_ip, dst);
    assert_int_equal(q.src_port, sport);
    assert_int_equal(q.dst_port, dport);
    const uint8_t *ip = f + q.l3_off;
    assert_int_equal(e2_get16(ip + 10), e2_ipv4_csum(ip, q.ihl));
    if (q.l4_len == q.total_len - q.ihl) { /* whole datagram quoted: its L4 checksum too */
        const uint8_t *l4 = f + q.l4_off;
        int at = e2_l4_csum_offset(q.proto);
        assert_int_equal(e2_get16(l4 + at), e2_l4_csum(l4, q.l4_len, q.proto, src, dst));
    }
}

static void icmp_errors_from_outside(void **state)
{
    (void)state;
    struct nat *n = make("");
    const struct {
        uint8_t proto, type;
        uint16_t dport;
        unsigned qlen;
    } cases[] = {
        {17, 3, 53, 28},   /* port unreachable, RFC 792's 8 bytes */
        {17, 3, 53, 1000}, /* the whole datagram (RFC 1812) */
        {6, 3, 80, 1000},  /* TCP, whole: its checksum is in the quote */
        {6, 11, 80, 28},   /* TCP, 8 bytes: the checksum is not */
        {1, 11, 8, 28},    /* time exceeded for an echo request */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint16_t sport = (uint16_t)(6000 + i);
        uint8_t flags = cases[i].proto == 6 ? E2_TCP_SYN : 0;
        /* IN2 takes the port first, so IN1's is translated too */
        send(n, cases[i].proto, IN2, sport, DNS2, cases[i].dport, flags, 0);
        assert_int_equal(send(n, cases[i].proto, IN1, sport, DNS, cases[i].dport, flags, 0),
                         NAT_FORWARD);
        assert_int_not_equal(out_port(), sport);
        wrap_in_error(cases[i].type, 3, 0x0a0a0a0a, PUB, cases[i].qlen);
        assert_checksums();
        assert_int_equal(nat_process(n, f, flen, S), NAT_FORWARD);
        assert_dst(IN1, 0); /* outer destination back inside, ICMP checksum right */
        uint16_t dport = cases[i].proto == 1 ? sport : cases[i].dport;
        assert_quote(IN1, sport, DNS, dport);
    }
    assert_int_equal(nat_stats(n)->icmp_errors_in, 5);
    /* an error about nothing we sent is dropped */
    send(n, 17, PUB, 9999, DNS, 53, 0, 0);
    wrap_in_error(3, 3, DNS, PUB, 28);
    assert_int_equal(nat_process(n, f, flen, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_ICMP_UNMATCHED], 1);
    /* a wrong ICMP checksum, or a wrong quoted IP header checksum (the ICMP one right) */
    send(n, 17, IN1, 7000, DNS, 53, 0, 0);
    wrap_in_error(3, 3, DNS, PUB, 28);
    f[34 + 2] ^= 1;
    assert_int_equal(nat_process(n, f, flen, S), NAT_DROP);
    send(n, 17, IN1, 7000, DNS, 53, 0, 0);
    f[14 + 10] ^= 1;
    wrap_in_error(3, 3, DNS, PUB, 28);
    assert_int_equal(nat_process(n, f, flen, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_ICMP_CHECKSUM], 2);
    send(n, 17, IN1, 7000, DNS, 53, 0, 0); /* and right, it passes */
    wrap_in_error(3, 3, DNS, PUB, 28);
    assert_int_equal(nat_process(n, f, flen, S), NAT_FORWARD);
    /* an error quoting too little is dropped */
    wrap_in_error(3, 3, DNS, PUB, 0);
    assert_int_equal(nat_process(n, f, flen, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_ICMP_QUOTE], 1);
    nat_free(n);
}

static void icmp_errors_from_inside(void **state)
{
    (void)state;
    struct nat *n = make("filtering endpoint-independent\n");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    /* an inbound datagram the host refuses with a port unreachable */
    assert_int_equal(send(n, 17, DNS2, 4444, PUB, 5000, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5000);
    for (unsigned qlen = 28; qlen <= 1000; qlen += 972) {
        uint8_t saved[1600];
        uint32_t saved_len = flen;
        memcpy(saved, f, flen);
        wrap_in_error(3, 3, IN1, DNS2, qlen);
        assert_int_equal(nat_process(n, f, flen, S), NAT_FORWARD);
        assert_src(PUB, 0);
        assert_quote(DNS2, 4444, PUB, 5000);
        memcpy(f, saved, saved_len);
        flen = saved_len;
    }
    assert_int_equal(nat_stats(n)->icmp_errors_out, 2);
    nat_free(n);
}

static void hairpinning(void **state)
{
    (void)state;
    struct nat *n = make("filtering endpoint-independent\n");
    send(n, 17, IN2, 7000, DNS, 53, 0, 0); /* IN2's server endpoint is PUB:7000 */
    assert_int_equal(send(n, 17, IN1, 5000, PUB, 7000, 0, S), NAT_FORWARD);
    assert_dst(IN2, 7000);
    assert_src(PUB, 5000); /* the source is IN1's external endpoint (RFC 4787 REQ-9) */
    assert_int_equal(send(n, 17, IN2, 7000, PUB, 5000, 0, S), NAT_FORWARD);
    assert_dst(IN1, 5000);
    assert_src(PUB, 7000);
    assert_int_equal(nat_stats(n)->hairpinned, 2);
    nat_free(n);
    n = make("filtering endpoint-independent\nhairpin off\n");
    send(n, 17, IN2, 7000, DNS, 53, 0, 0);
    assert_int_equal(send(n, 17, IN1, 5000, PUB, 7000, 0, S), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_HAIRPIN], 1);
    nat_free(n);
}

static void other_traffic_and_malformed_frames(void **state)
{
    (void)state;
    struct nat *n = make("");
    assert_int_equal(send(n, 17, DNS, 1, DNS2, 2, 0, 0), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_OTHER], 1);
    uint8_t arp[60] = {0};
    e2_put16(arp + 12, 0x0806);
    assert_int_equal(nat_process(n, arp, sizeof(arp), 0), NAT_DROP);
    assert_int_equal(nat_stats(n)->status[E2_PKT_NOT_IPV4], 1);
    /* other protocols and later fragments cannot be translated */
    assert_int_equal(send(n, 47, IN1, 0, DNS, 0, 0, 0), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_PROTO], 1);
    struct frame_spec fs = {.proto = 17, .src = IN1, .dst = DNS, .frag = 10, .payload = 20};
    flen = frame_build(f, &fs);
    assert_int_equal(nat_process(n, f, flen, 0), NAT_DROP);
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_FRAGMENT], 1);
    /* truncations and corruptions: dropped, counted by status */
    send(n, 6, IN1, 1, DNS, 2, E2_TCP_SYN, 0);
    uint8_t good[1600];
    uint32_t good_len = flen;
    memcpy(good, f, flen);
    uint64_t malformed = 0;
    for (uint32_t cut = 0; cut < 54; cut++) {
        memcpy(f, good, good_len);
        if (nat_process(n, f, cut, 0) == NAT_DROP) malformed++;
    }
    assert_int_equal(nat_stats(n)->drops[NAT_DROP_MALFORMED], malformed);
    assert_true(malformed >= 40);
    assert_true(nat_stats(n)->status[E2_PKT_BAD_TOTAL_LEN] > 0);
    srand(7);
    for (int i = 0; i < 20000; i++) { /* garbage after valid headers: never a crash */
        memcpy(f, good, good_len);
        for (int j = 0; j < 4; j++) f[14 + rand() % 40] = (uint8_t)rand();
        nat_process(n, f, good_len, (uint64_t)i * S);
    }
    nat_free(n);
    n = make("other pass\n");
    assert_int_equal(send(n, 17, DNS, 1, DNS2, 2, 0, 0), NAT_FORWARD);
    assert_int_equal(nat_stats(n)->passed, 1);
    nat_free(n);
}

static void full_tables_evict_consistently(void **state)
{
    (void)state;
    struct nat *n = make("sessions 16\nfiltering endpoint-independent\n");
    for (uint32_t i = 0; i < 5000; i++) {
        assert_int_equal(
            send(n, 17, IN1 + i % 200, (uint16_t)(1000 + i % 37), DNS + i % 13, 53, 0, i),
            NAT_FORWARD);
        if (i % 7 == 0) nat_tick(n, i);
    }
    size_t maps, sess;
    nat_counts(n, &maps, &sess);
    assert_true(sess <= 64 && maps <= sess);
    assert_true(nat_stats(n)->sessions_evicted > 0);
    /* every listed mapping answers inbound and every session maps back */
    json_t *all =
        nat_mappings_json(n, &(struct nat_filter){.proto = -1, .port = -1, .limit = 1000}, 5000);
    assert_int_equal(json_integer_value(json_object_get(all, "matched")), maps);
    json_decref(all);
    nat_free(n);
}

static void a_burst_is_the_same_as_one_by_one(void **state)
{
    (void)state;
    struct nat *one = make("filtering endpoint-independent\n");
    struct nat *burst = make("filtering endpoint-independent\n");
    enum { N = 75 }; /* more than one NAT_BURST, not a multiple */
    static uint8_t a[N][1600], b[N][1600];
    uint8_t *frames[N];
    uint32_t lens[N];
    enum nat_verdict want[N], got[N];
    for (unsigned i = 0; i < N; i++) {
        uint16_t port = (uint16_t)(3000 + i - i % 5);
        switch (i % 5) { /* out; its reply and a hairpin to it, in the same burst; unsolicited */
        case 0: lens[i] = build(a[i], 17, IN1, port, DNS, 53, 0); break;
        case 1: lens[i] = build(a[i], 17, DNS, 53, PUB, port, 0); break;
        case 2: lens[i] = build(a[i], 17, IN2, 9, PUB, port, 0); break;
        case 3: lens[i] = build(a[i], 6, DNS, 1, PUB, 4444, E2_TCP_SYN); break;
        default: /* truncated */ build(a[i], 6, IN2, 1, DNS, 2, E2_TCP_SYN); lens[i] = 40;
        }
        memcpy(b[i], a[i], sizeof(a[i]));
        frames[i] = b[i];
        want[i] = nat_process(one, a[i], lens[i], 0);
    }
    nat_process_burst(burst, frames, lens, N, got, 0);
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(got[i], want[i]);
        assert_memory_equal(a[i], b[i], lens[i]);
    }
    assert_memory_equal(nat_stats(one), nat_stats(burst), sizeof(struct nat_stats));
    assert_int_equal(nat_stats(one)->hairpinned, N / 5);
    assert_int_equal(nat_stats(one)->translated_in[NAT_UDP], 2 * N / 5);
    nat_free(one);
    nat_free(burst);
}

static void mappings_listing_filters_and_limits(void **state)
{
    (void)state;
    struct nat *n = make("");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    send(n, 17, IN1, 5000, DNS2, 53, 0, 0);
    send(n, 6, IN2, 40000, DNS, 80, E2_TCP_SYN, 0);
    send(n, 1, IN2, 9, DNS, 8, 0, 0);
    struct nat_filter any = {.proto = -1, .port = -1, .limit = 100};
    json_t *j = nat_mappings_json(n, &any, 10 * S);
    assert_int_equal(json_integer_value(json_object_get(j, "matched")), 3);
    json_decref(j);
    struct nat_filter udp = any;
    udp.proto = NAT_UDP;
    j = nat_mappings_json(n, &udp, 10 * S);
    json_t *m = json_array_get(json_object_get(j, "mappings"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "inside")), "10.12.30.5:5000");
    assert_string_equal(json_string_value(json_object_get(m, "public")), "131.114.88.92:5000");
    assert_int_equal(json_integer_value(json_object_get(m, "session_count")), 2);
    json_t *s = json_array_get(json_object_get(m, "sessions"), 0);
    assert_true(json_real_value(json_object_get(s, "expires_in_s")) > 289);
    json_decref(j);
    struct nat_filter tcp = any;
    tcp.inside_ip = IN2;
    tcp.port = 40000;
    j = nat_mappings_json(n, &tcp, 10 * S);
    m = json_array_get(json_object_get(j, "mappings"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "proto")), "tcp");
    s = json_array_get(json_object_get(m, "sessions"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "state")), "syn_out");
    json_decref(j);
    struct nat_filter one = any;
    one.limit = 1;
    j = nat_mappings_json(n, &one, 0);
    assert_int_equal(json_array_size(json_object_get(j, "mappings")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "matched")), 3);
    json_decref(j);
    j = nat_stats_json(n);
    json_t *out = json_object_get(json_object_get(j, "translated"), "out");
    assert_int_equal(json_integer_value(json_object_get(out, "udp")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "mappings"), "active")),
                     3);
    json_decref(j);
    nat_free(n);
}

static void reconfiguration(void **state)
{
    (void)state;
    struct nat *n = make("");
    send(n, 17, IN1, 5000, DNS, 53, 0, 0);
    struct nat_conf c;
    struct e2_err err;
    /* new timeouts and filtering: state stays */
    assert_int_equal(nat_conf_parse("inside 10.12.30.0/24\npublic 131.114.88.92\n"
                                    "filtering endpoint-independent\ntimeout udp 10m\n",
                                    "t", &c, &err),
                     0);
    assert_int_equal(nat_reconfigure(n, &c, &err), 0);
    assert_int_equal(send(n, 17, DNS2, 1, PUB, 5000, 0, S), NAT_FORWARD);
    send(n, 17, IN1, 5000, DNS, 53, 0, 2 * S);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 500 * S), NAT_FORWARD);
    /* another pool: a flush */
    assert_int_equal(nat_conf_parse("inside 10.12.30.0/24\npublic 131.114.88.93\n", "t", &c, &err),
                     0);
    assert_int_equal(nat_reconfigure(n, &c, &err), 0);
    assert_int_equal(nat_stats(n)->flushes, 1);
    assert_int_equal(send(n, 17, DNS, 53, PUB, 5000, 0, 500 * S), NAT_DROP);
    send(n, 17, IN1, 5000, DNS, 53, 0, 501 * S);
    assert_src(PUB + 1, 5000);
    nat_free(n);
}

static void config_errors_name_file_and_line(void **state)
{
    (void)state;
    const struct {
        const char *text, *msg;
    } bad[] = {
        {"inside 10.0.0.0/8\nnope\n", "t.conf:2: unknown statement 'nope'"},
        {"inside 10.0.0.1/8\n", "t.conf:1: "},
        {"public 1.2.3.4 ports 9-8\n", "t.conf:1: "},
        {"public 1.2.0.0/16\n", "t.conf:1: public '1.2.0.0/16': a /22"},
        {"public 1.2.3.4\npublic 1.2.3.0/29\n", "t.conf:2: public '1.2.3.0/29' overlaps"},
        {"\n\ntimeout udp 60s\n", "t.conf:3: timeout udp 60s: RFC 4787 REQ-5 wants 120s"},
        {"timeout tcp-established 2h\n", "t.conf:1: timeout tcp-established 2h: RFC 5382"},
        {"timeout tcp-transitory 3m\n", "t.conf:1: timeout tcp-transitory 3m: RFC 5382"},
        {"timeout icmp 30s\n", "t.conf:1: timeout icmp 30s: RFC 5508"},
        {"timeout sctp 5m\n", "t.conf:1: unknown timeout 'sctp'"},
        {"timeout udp soon\n", "t.conf:1: 'soon' is not a duration"},
        {"filtering strict\n", "t.conf:1: filtering is"},
        {"other maybe\n", "t.conf:1: wants: other pass|drop"},
        {"sessions 3\n", "t.conf:1: "},
        {"inside 10.0.0.0/8\n", "t.conf: no 'public' address"},
        {"public 1.2.3.4\n", "t.conf: no 'inside' prefix"},
        {"inside 10.0.0.0/8\npublic 10.1.1.1\n", "t.conf: a public address lies inside"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct nat_conf c;
        struct e2_err err = {0};
        assert_int_not_equal(nat_conf_parse(bad[i].text, "t.conf", &c, &err), 0);
        if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
            fail_msg("case %u: got '%s', want '%s...'", i, err.msg, bad[i].msg);
    }
    struct nat_conf c;
    struct e2_err err;
    assert_int_not_equal(nat_conf_load("/nonexistent/nat.conf", &c, &err), 0);
    assert_non_null(strstr(err.msg, "/nonexistent/nat.conf"));
    assert_int_equal(nat_conf_parse("inside 10.0.0.0/8 # lan\npublic 1.2.3.4/30 ports 2000-3000\n"
                                    "timeout tcp-established 3h\nother pass\nsessions 1000\n",
                                    "t.conf", &c, &err),
                     0);
    assert_int_equal(c.pub[0].lo, 2000);
    assert_int_equal(c.timeout_ns[NAT_TO_TCP_EST], 3 * 3600 * S);
    assert_true(c.pass_other);
    assert_int_equal(c.filtering, NAT_FILTER_ADDRESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mapping_is_endpoint_independent),
        cmocka_unit_test(filtering_behaviours),
        cmocka_unit_test(pool_exhaustion_and_release),
        cmocka_unit_test(udp_refreshes_outbound_only),
        cmocka_unit_test(tcp_states_and_their_timeouts),
        cmocka_unit_test(tcp_opens),
        cmocka_unit_test(icmp_echo_identifiers_are_translated),
        cmocka_unit_test(icmp_errors_from_outside),
        cmocka_unit_test(icmp_errors_from_inside),
        cmocka_unit_test(hairpinning),
        cmocka_unit_test(other_traffic_and_malformed_frames),
        cmocka_unit_test(full_tables_evict_consistently),
        cmocka_unit_test(a_burst_is_the_same_as_one_by_one),
        cmocka_unit_test(mappings_listing_filters_and_limits),
        cmocka_unit_test(reconfiguration),
        cmocka_unit_test(config_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
