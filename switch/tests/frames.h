/*
 * Test frames for the switch tests: Ethernet + IPv4 + TCP/UDP/ICMP with a
 * valid IP checksum, written into a caller's buffer.
 */
#ifndef E2_SW_TEST_FRAMES_H
#define E2_SW_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tf_flow {
    uint8_t dst[6], src[6];
    uint32_t sip, dip; /* host order */
    uint8_t proto;     /* 6, 17 or 1 */
    uint16_t sport, dport;
};

static inline void tf_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static inline void tf_put32(uint8_t *p, uint32_t v)
{
    tf_put16(p, (uint16_t)(v >> 16)), tf_put16(p + 2, (uint16_t)v);
}

/* The frame of @f with @payload bytes after the L4 header (filled with a
 * counting pattern); returns its length. @buf needs 14 + 20 + 20 + payload. */
static inline size_t tf_frame(uint8_t *buf, const struct tf_flow *f, size_t payload)
{
    size_t l4 = f->proto == 6 ? 20 : 8, ip_len = 20 + l4 + payload;
    memset(buf, 0, 14 + ip_len);
    memcpy(buf, f->dst, 6);
    memcpy(buf + 6, f->src, 6);
    tf_put16(buf + 12, 0x0800);
    uint8_t *ip = buf + 14, *t = ip + 20;
    ip[0] = 0x45, ip[8] = 64, ip[9] = f->proto;
    tf_put16(ip + 2, (uint16_t)ip_len);
    tf_put32(ip + 12, f->sip);
    tf_put32(ip + 16, f->dip);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    tf_put16(ip + 10, (uint16_t)~sum);
    if (f->proto == 1) {
        t[0] = 8; /* echo request */
    } else {
        tf_put16(t, f->sport);
        tf_put16(t + 2, f->dport);
    }
    if (f->proto == 17) tf_put16(t + 4, (uint16_t)(8 + payload));
    if (f->proto == 6) t[12] = 0x50, t[13] = 0x02;
    for (size_t i = 0; i < payload; i++) t[l4 + i] = (uint8_t)i;
    return 14 + ip_len;
}

#endif
