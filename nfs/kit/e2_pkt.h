/*
 * e2_pkt — a validating parse of an Ethernet/IPv4 frame for NFs, and the
 * header rewrites NFs make, checksums kept right.
 *
 * e2_pkt_parse() reads Ethernet (up to two VLAN tags), IPv4 and the first
 * L4 header (TCP, UDP, ICMP) of a frame and says, as one status, what if
 * anything is wrong with it: a truncated or inconsistent header is never
 * read past; the NF counts the status and drops or passes the packet. The
 * IP datagram's extent comes from its total length, so Ethernet padding is
 * not payload. A non-first fragment has no L4 header: is_frag says so and
 * the ports stay 0.
 *
 * All fields are host order; offsets are from the frame's first byte, so
 * rewrites work on the frame in place. No DPDK: this is pure C, fuzzed and
 * unit-tested on its own.
 */
#ifndef E2_PKT_H
#define E2_PKT_H

#include <stdbool.h>
#include <stdint.h>

enum e2_pkt_status {
    E2_PKT_OK,
    E2_PKT_NOT_IPV4,      /**< a well-formed frame that is not IPv4 (ARP, IPv6, ...) */
    E2_PKT_SHORT_L2,      /**< shorter than its Ethernet/VLAN headers */
    E2_PKT_SHORT_IP,      /**< shorter than 20 bytes of IPv4 header */
    E2_PKT_BAD_VERSION,   /**< ethertype IPv4, version field not 4 */
    E2_PKT_BAD_IHL,       /**< header length below 20 or beyond the frame */
    E2_PKT_BAD_TOTAL_LEN, /**< total length below the header or beyond the frame */
    E2_PKT_SHORT_L4,      /**< first fragment too short for its TCP/UDP/ICMP header */
    E2_PKT_BAD_TCP_OFF,   /**< TCP data offset below 5 words or beyond the datagram */
    E2_PKT_STATUS_COUNT,
};

/** A short name for @s ("short_l4"), for counters and logs. */
const char *e2_pkt_status_name(enum e2_pkt_status s);

struct e2_pkt {
    uint8_t *frame;
    uint32_t len; /**< bytes of the frame */
    uint16_t ether_type, l3_off, ihl, total_len;
    uint16_t l4_off, l4_len; /**< l4_len: bytes from l4_off to the datagram's end */
    uint16_t payload_off;    /**< after the L4 header (TCP options included) */
    uint16_t frag_off;       /**< fragment offset in bytes */
    uint16_t ip_id;
    uint8_t vlans, tos, ttl, proto;
    bool mf, df, is_frag; /**< is_frag: MF set or offset non-zero */
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port; /**< TCP/UDP ports; ICMP echo: the identifier in both */
    uint8_t tcp_flags, icmp_type, icmp_code;
    uint32_t tcp_seq, tcp_ack;
};

/** TCP flag bits as in the header. */
enum {
    E2_TCP_FIN = 0x01,
    E2_TCP_SYN = 0x02,
    E2_TCP_RST = 0x04,
    E2_TCP_PSH = 0x08,
    E2_TCP_ACK = 0x10,
    E2_TCP_URG = 0x20,
    E2_TCP_ECE = 0x40,
    E2_TCP_CWR = 0x80,
};

/** Parse @len bytes at @frame into @p; the status says whether it is usable. */
enum e2_pkt_status e2_pkt_parse(uint8_t *frame, uint32_t len, struct e2_pkt *p);

/**
 * Parse the datagram an ICMP error in @outer quotes: its IPv4 header and
 * the first 8 bytes of its L4 header (ports, or an ICMP query's identifier),
 * which is all RFC 792 promises. The quote may be cut short, so the inner
 * total length is not held against what is there; l4_len is what is there.
 * Rewriting the inner packet leaves the outer ICMP checksum to the caller.
 */
enum e2_pkt_status e2_pkt_parse_quoted(const struct e2_pkt *outer, struct e2_pkt *inner);

/** True for ICMP messages that quote an offending datagram (unreachable, time exceeded, ...). */
bool e2_icmp_is_error(uint8_t type);

/** True for ICMP queries whose identifier plays the role of a port (echo, timestamp). */
bool e2_icmp_is_query(uint8_t type);

/**
 * Rewrite the source (@dst false) or destination address and port (ICMP
 * query: the identifier) of a parsed packet, patching the IP and L4
 * checksums incrementally. A UDP checksum of 0 (none) stays 0. On a
 * non-first fragment only the address changes (its L4 checksum is in the
 * first fragment).
 */
void e2_pkt_set_endpoint(struct e2_pkt *p, bool dst, uint32_t ip, uint16_t port);

/** Set the TTL, patching the IP checksum. */
void e2_pkt_set_ttl(struct e2_pkt *p, uint8_t ttl);

/** The IPv4 header checksum as it should be (for checks and for built headers). */
uint16_t e2_ipv4_csum(const uint8_t *ip, unsigned ihl);

/**
 * The TCP/UDP/ICMP checksum as it should be over @len bytes at @l4 with the
 * IPv4 pseudo header of @src/@dst/@proto (ICMP has none), with the checksum
 * field itself counted as zero. For UDP a computed 0 is returned as 0xffff.
 */
uint16_t e2_l4_csum(const uint8_t *l4, unsigned len, uint8_t proto, uint32_t src, uint32_t dst);

/** Where the L4 checksum field sits in a header of @proto, or -1. */
int e2_l4_csum_offset(uint8_t proto);

#endif
