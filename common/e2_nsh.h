/*
 * e2_nsh — the Network Service Header (RFC 8300) as E2 puts it on the wire between the switch
 * and the servers, in pure C: e2d's NSHEncap/NSHDecap, the fuzz target and the model switch all
 * use this one codec.
 *
 *   outer Ethernet, ethertype 0x894F
 *   base header   Ver 0 | O 0 | U | TTL 63 | Length (4-byte words, whole NSH) | U | MD type 2 |
 *                 Next Protocol 0x3 (Ethernet)
 *   service path  SPI (24 bits) | SI (8 bits)
 *   context       MD type 2 TLVs: Metadata Class 0xFFF6 (E2_NSH_MD_CLASS, from the
 *                 experimental range 0xFFF6-0xFFFE of IANA's NSH MD Class registry), Type =
 *                 tag slot 0..3 or 0x10 for the flow ID, Length 4, a 32-bit big-endian value;
 *                 one TLV per tag the packet carries, one for its flow ID when it has one
 *   inner Ethernet frame
 *
 * The parser trusts nothing: it reads only the bytes it is given and says why a header is
 * refused (enum e2_nsh_bad), one reason per rule it checks. Unassigned bits are ignored as RFC
 * 8300 asks; TLVs of other classes, and E2-class TLVs of types E2 does not know, are skipped
 * and counted.
 */
#ifndef E2_NSH_H
#define E2_NSH_H

#include <stddef.h>
#include <stdint.h>

#define E2_NSH_ETHERTYPE   0x894F
#define E2_NSH_MD_CLASS    0xFFF6 /* E2's MD class: the first of IANA's experimental values */
#define E2_NSH_TLV_FLOW_ID 0x10   /* TLV type of the flow ID; types 0..3 are tag slots */
#define E2_NSH_TAGS        4
#define E2_NSH_TTL         63 /* RFC 8300's default initial TTL */
#define E2_NSH_MD_TYPE2    0x2
#define E2_NSH_NP_ETHERNET 0x3
#define E2_NSH_SPI_MAX     0xFFFFFF
#define E2_NSH_BASE_LEN    8 /* base + service path header */
#define E2_NSH_HDR_MAX     (E2_NSH_BASE_LEN + 8 * (E2_NSH_TAGS + 1)) /* E2 writes at most this */
#define E2_NSH_ETH_LEN     14

/* E2's SPI space (24 bits; docs/nsh.md). */
#define E2_SPI_EDGE_MAX    0x7FFFFF /* iGraph edges: SPI = edge id, 1 .. E2_SPI_EDGE_MAX */
#define E2_SPI_DIST_BASE   0x800000 /* + pGraph edge: to the e2d that classifies and splits */
#define E2_SPI_EGRESS_BASE 0xFFFF00 /* + port-node index: the switch pops NSH, outputs */

/* What E2 carries in the context headers; the valid bits are those of e2_meta (meta.h). */
#define E2_NSH_MD_FLOW_ID 0x01u
#define E2_NSH_MD_TAG(i)  (0x02u << (i))

struct e2_nsh_md {
    uint8_t valid; /**< E2_NSH_MD_FLOW_ID | E2_NSH_MD_TAG(i) */
    uint32_t flow_id;
    uint32_t tag[E2_NSH_TAGS];
};

/** A parsed header. */
struct e2_nsh {
    uint32_t spi;
    uint8_t si, ttl;
    uint16_t len;    /**< bytes of the NSH header (Length * 4) */
    uint8_t skipped; /**< TLVs of other classes or unknown E2 types, ignored */
    struct e2_nsh_md md;
};

/** Why a frame is refused, one reason per check, in the order they are made. */
enum e2_nsh_bad {
    E2_NSH_OK,
    E2_NSH_BAD_NOT_NSH,    /**< shorter than Ethernet, or its ethertype is not 0x894F */
    E2_NSH_BAD_SHORT,      /**< fewer than 8 bytes for the base and service path headers */
    E2_NSH_BAD_VERSION,    /**< Ver is not 0 */
    E2_NSH_BAD_OAM,        /**< O bit set: an OAM packet, which E2 does not process */
    E2_NSH_BAD_MD_TYPE,    /**< MD type is not 2 */
    E2_NSH_BAD_NEXT_PROTO, /**< Next Protocol is not Ethernet */
    E2_NSH_BAD_LENGTH,     /**< Length below 2 words, or beyond the frame */
    E2_NSH_BAD_TLV_LENGTH, /**< a TLV's value (padded to 4 bytes) runs past Length */
    E2_NSH_BAD_E2_TLV,     /**< an E2 TLV whose length is not 4, or given twice */
    E2_NSH_BAD_INNER,      /**< the inner frame is shorter than an Ethernet header */
    E2_NSH_BAD_N
};

/** The reason's short name ("tlv_length"), for statistics. */
const char *e2_nsh_bad_name(enum e2_nsh_bad bad);

/** Parse the NSH header at @p (@len bytes up to the end of the frame) into @out. */
enum e2_nsh_bad e2_nsh_parse(const uint8_t *p, size_t len, struct e2_nsh *out);

/**
 * Parse a whole frame (outer Ethernet, NSH, inner Ethernet): E2_NSH_OK and @out with the inner
 * frame at @frame + E2_NSH_ETH_LEN + out->len.
 */
enum e2_nsh_bad e2_nsh_parse_frame(const uint8_t *frame, size_t len, struct e2_nsh *out);

/** Bytes of the NSH header that carries @md (no outer Ethernet). */
size_t e2_nsh_hdr_len(const struct e2_nsh_md *md);

/** Write the NSH header carrying @md at @p (e2_nsh_hdr_len(@md) bytes); returns that length. */
size_t e2_nsh_write(uint8_t *p, uint32_t spi, uint8_t si, uint8_t ttl, const struct e2_nsh_md *md);

/**
 * Write only the context TLVs for @md at @p (the bytes after the first E2_NSH_BASE_LEN of what
 * e2_nsh_write writes); returns their length. For writers that keep the base headers ready.
 */
size_t e2_nsh_write_md(uint8_t *p, const struct e2_nsh_md *md);

#endif
