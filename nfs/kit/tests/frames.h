/* Test helper: Ethernet/IPv4 frames built byte by byte, checksums right. */
#ifndef E2_TEST_FRAMES_H
#define E2_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "e2_csum.h"
#include "e2_pkt.h"

struct frame_spec {
    uint8_t proto, ttl, tcp_flags, icmp_type;
    uint32_t src, dst;
    uint16_t sport, dport; /* ICMP query: sport is the identifier */
    uint16_t payload;      /* bytes after the L4 header */
    const uint8_t *data;   /* the payload bytes; NULL: a fixed pattern */
    uint32_t seq;          /* TCP sequence number */
    uint16_t frag;         /* fragment field: flags and offset in 8-byte units */
    uint8_t vlans;
};

/* Build into @f (room for 1600 bytes); returns the frame length. */
static inline uint32_t frame_build(uint8_t *f, const struct frame_spec *s)
{
    memset(f, 0, 1600);
    memset(f, 0xaa, 12);
    uint16_t off = 12;
    for (unsigned v = 0; v < s->vlans; v++, off += 4) {
        e2_put16(f + off, 0x8100);
        e2_put16(f + off + 2, (uint16_t)(100 + v));
    }
    e2_put16(f + off, 0x0800);
    uint8_t *ip = f + off + 2;
    unsigned l4h = s->proto == 6 ? 20 : 8;
    uint16_t total = (uint16_t)(20 + l4h + s->payload);
    ip[0] = 0x45;
    e2_put16(ip + 2, total);
    e2_put16(ip + 4, 0x1234);
    e2_put16(ip + 6, s->frag);
    ip[8] = s->ttl ? s->ttl : 64;
    ip[9] = s->proto;
    e2_put32(ip + 12, s->src);
    e2_put32(ip + 16, s->dst);
    uint8_t *l4 = ip + 20;
    for (unsigned i = 0; i < s->payload; i++)
        l4[l4h + i] = s->data ? s->data[i] : (uint8_t)(i * 7 + 3);
    if (s->proto == 6) {
        e2_put16(l4, s->sport);
        e2_put16(l4 + 2, s->dport);
        e2_put32(l4 + 4, s->seq);
        l4[12] = 5 << 4;
        l4[13] = s->tcp_flags;
    } else if (s->proto == 17) {
        e2_put16(l4, s->sport);
        e2_put16(l4 + 2, s->dport);
        e2_put16(l4 + 4, (uint16_t)(8 + s->payload));
    } else if (s->proto == 1) {
        l4[0] = s->icmp_type;
        e2_put16(l4 + 4, s->sport);
    }
    int at = e2_l4_csum_offset(s->proto);
    if (at >= 0 && !(s->frag & 0x1fff))
        e2_put16(l4 + at, e2_l4_csum(l4, total - 20u, s->proto, s->src, s->dst));
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
    return (uint32_t)(off + 2 + total);
}

/*
 * A TCP segment of the connection CLIENT:CPORT <-> SERVER:SPORT (from the
 * server when @from_server) with @data as payload (NULL: none), built in @f
 * and parsed into @p; the parse's status.
 */
static inline enum e2_pkt_status frame_tcp_segment(uint8_t *f, struct e2_pkt *p, uint32_t client,
                                                   uint16_t cport, uint32_t server, uint16_t sport,
                                                   int from_server, uint32_t seq, uint8_t flags,
                                                   const char *data)
{
    struct frame_spec s = {.proto = 6,
                           .src = from_server ? server : client,
                           .dst = from_server ? client : server,
                           .sport = from_server ? sport : cport,
                           .dport = from_server ? cport : sport,
                           .tcp_flags = flags,
                           .seq = seq,
                           .data = (const uint8_t *)data,
                           .payload = (uint16_t)(data ? strlen(data) : 0)};
    return e2_pkt_parse(f, frame_build(f, &s), p);
}

#endif
