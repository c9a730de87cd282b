/*
 * Internet checksums (RFC 1071) and their incremental update (RFC 1624).
 *
 * Sums are kept as 32-bit one's-complement accumulators of big-endian 16-bit
 * words, folded at the end. An NF that rewrites a field (NAT: addresses and
 * ports; normalizer: TTL) patches the checksums in place with
 * e2_csum_replace16/32 instead of summing the packet again; the result is
 * the same as a full recomputation, which the unit tests check.
 */
#ifndef E2_CSUM_H
#define E2_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Add @len bytes at @data (big-endian words, odd tail padded) to @sum. */
static inline uint32_t e2_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    for (; len >= 2; p += 2, len -= 2) s += (uint32_t)(p[0] << 8 | p[1]);
    if (len) s += (uint32_t)(p[0] << 8);
    while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)s;
}

/** Fold a sum to 16 bits and complement it: the value to store (host order). */
static inline uint16_t e2_csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/** Read and write a big-endian 16-bit field at any alignment. */
static inline uint16_t e2_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void e2_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t e2_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void e2_put32(uint8_t *p, uint32_t v)
{
    e2_put16(p, (uint16_t)(v >> 16));
    e2_put16(p + 2, (uint16_t)v);
}

/**
 * The checksum field at @csum (big-endian, in the packet) after a 16-bit
 * word of the covered data changed from @old to @new (host order):
 * HC' = ~(~HC + ~m + m'), RFC 1624 eqn. 3.
 */
static inline void e2_csum_replace16(uint8_t *csum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t)~e2_get16(csum);
    s += (uint16_t)~old;
    s += new;
    e2_put16(csum, e2_csum_fold(s));
}

/** The same for a 32-bit quantity (an IPv4 address) covered by the sum. */
static inline void e2_csum_replace32(uint8_t *csum, uint32_t old, uint32_t new)
{
    e2_csum_replace16(csum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
    e2_csum_replace16(csum, (uint16_t)old, (uint16_t) new);
}

/**
 * The checksum field at @csum after @len bytes of the covered data changed
 * from @old to @new, in one step (an NF that rewrote a region, such as the
 * datagram an ICMP error quotes). The region must start an even number of
 * bytes from where the checksummed data starts.
 */
static inline void e2_csum_replace_bytes(uint8_t *csum, const void *old, const void *new,
                                         size_t len)
{
    e2_csum_replace16(csum, (uint16_t)~e2_csum_fold(e2_csum_add(0, old, len)),
                      (uint16_t)~e2_csum_fold(e2_csum_add(0, new, len)));
}

#endif
