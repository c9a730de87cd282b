/*
 * norm — TCP/IP traffic normalization (Handley, Paxson, Kreibich, "Network
 * Intrusion Detection: Evasion, Traffic Normalization, and End-to-End
 * Protocol Semantics", USENIX Security 2001) in pure C over frames.
 *
 * A normalizer removes the ambiguities an attacker uses to make a monitor
 * and the end host see different traffic. Per packet, in this order:
 *   1. malformed (e2_pkt_parse status other than ok/not_ipv4): dropped;
 *      frames that are not IPv4 pass untouched;
 *   2. the reserved IP flag (RFC 791 bit 0, RFC 3514's evil bit): cleared
 *      (or the packet dropped, or left);
 *   3. IP options: stripped, rewriting the header length, the total length
 *      and the header checksum (or the packet dropped, or left);
 *   4. fragments: each datagram (src, dst, id, proto) is tracked with
 *      bounded state (norm_frag.c) until complete or timed out; a fragment
 *      overlapping an earlier one with different data, or any overlap, per
 *      configuration, is dropped; so are fragments past 65,535 bytes,
 *      non-final fragments not a multiple of 8 bytes, and data past a
 *      datagram's known end;
 *   5. TCP flags (unfragmented or first fragments): no flags (null scan),
 *      FIN+PSH+URG (Christmas tree), SYN+FIN, SYN+RST, and FIN, PSH or URG
 *      without ACK are dropped;
 *   6. a TTL below the configured floor is raised to it.
 * Every rewrite keeps the IPv4 header checksum right (RFC 1624 patches, or
 * a full sum after stripping options); the L4 checksum needs no change (its
 * pseudo header's length is the same). Each action is counted by reason.
 */
#ifndef NORM_H
#define NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_pkt.h"

enum norm_mode { NORM_FIX, NORM_DROP, NORM_ALLOW }; /* FIX: strip options / clear the flag */
enum norm_overlap { NORM_OVERLAP_DIFFERING, NORM_OVERLAP_ANY, NORM_OVERLAP_ALLOW };

struct norm_conf {
    uint8_t ttl_min;       /**< 0: no floor */
    uint8_t ip_options;    /**< enum norm_mode: strip (FIX), drop, allow */
    uint8_t reserved;      /**< enum norm_mode: clear (FIX), drop, allow */
    uint8_t overlap;       /**< enum norm_overlap */
    bool tcp_flags;        /**< drop bad TCP flag combinations */
    uint64_t fragments;    /**< datagrams tracked at once (fixed once running) */
    uint64_t frag_timeout; /**< ns a datagram is tracked after its first fragment */
};

/** The counters, by reason. */
// clang-format off: one counter a line (clang-format does not settle on X-macro lists)
#define NORM_COUNTERS(X)                                                                           \
    X(passed)                                                                                      \
    X(dropped)                                                                                     \
    X(not_ipv4)                                                                                    \
    X(tcp_null)                                                                                    \
    X(tcp_xmas)                                                                                    \
    X(tcp_syn_fin)                                                                                 \
    X(tcp_syn_rst)                                                                                 \
    X(tcp_no_ack)                                                                                  \
    X(ttl_raised)                                                                                  \
    X(ip_options_stripped)                                                                         \
    X(ip_options_dropped)                                                                          \
    X(reserved_cleared)                                                                            \
    X(reserved_dropped)                                                                            \
    X(frag_overlap_same)                                                                           \
    X(frag_overlap_differing)                                                                      \
    X(frag_overlap)                                                                                \
    X(frag_too_many)                                                                               \
    X(frag_too_big)                                                                                \
    X(frag_bad_len)                                                                                \
    X(frag_bad_end)                                                                                \
    X(frag_complete)                                                                               \
    X(frag_expired)                                                                                \
    X(frag_evicted)
// clang-format on

struct norm_stats {
#define NORM_FIELD(name) uint64_t name;
    NORM_COUNTERS(NORM_FIELD)
#undef NORM_FIELD
    uint64_t malformed[E2_PKT_STATUS_COUNT]; /**< dropped, per e2_pkt status */
};

/** Names and offsets of the counters of struct norm_stats, for printing. */
struct norm_counter {
    const char *name;
    size_t offset;
};
extern const struct norm_counter norm_counters[];
extern const unsigned norm_ncounters;

/**
 * Read @opts (statements from options, may be NULL) then the file @path
 * (may be NULL). Statements (each at most once):
 *   ttl-min N | ip-options strip|drop|allow | reserved-flag clear|drop|allow
 *   tcp-flags drop|allow | frag-overlap differing|any|allow
 *   fragments N | frag-timeout DURATION
 */
int norm_conf_load(struct norm_conf *c, const char *opts, const char *path, struct e2_err *err);

struct norm;

/** A normalizer tracking up to c->fragments datagrams. */
struct norm *norm_create(const struct norm_conf *c, struct e2_err *err);
void norm_free(struct norm *n);

/** New settings (the fragment table keeps its size). */
void norm_configure(struct norm *n, const struct norm_conf *c);

/**
 * Normalize the frame of *@len bytes at @frame at @now: true to pass it
 * (maybe rewritten), false to drop it. Stripping IP options moves the
 * Ethernet and IPv4 headers forward: the frame then starts *@advance bytes
 * later and *@len is shorter by as much.
 */
bool norm_packet(struct norm *n, uint8_t *frame, uint32_t *len, uint32_t *advance, uint64_t now);

/** Forget datagrams whose time is up (a slice of the table per call). */
void norm_sweep(struct norm *n, uint64_t now);

const struct norm_stats *norm_stats(const struct norm *n);

/* ---- fragments (norm_frag.c) ---- */

enum norm_frag_verdict {
    NORM_FRAG_OK,
    NORM_FRAG_SAME,      /**< overlaps earlier fragments with the same data */
    NORM_FRAG_DIFFERING, /**< overlaps with different data (or beyond what is kept) */
    NORM_FRAG_OVERLAP,   /**< overlaps (frag-overlap any) */
    NORM_FRAG_TOO_MANY,  /**< the datagram has too many separate pieces */
    NORM_FRAG_TOO_BIG,   /**< ends past 65,535 bytes */
    NORM_FRAG_BAD_LEN,   /**< not the last fragment, length not a multiple of 8 */
    NORM_FRAG_BAD_END,   /**< data past the datagram's end, or a second different end */
};

#define NORM_FRAG_KEEP   2048 /* bytes of each datagram kept to compare overlaps */
#define NORM_FRAG_RANGES 16   /* separate pieces a datagram may have */

struct norm_frags;

struct norm_frags *norm_frags_create(size_t capacity, struct norm_stats *st, struct e2_err *err);
void norm_frags_free(struct norm_frags *f);

/**
 * Judge the fragment @p (is_frag set) at @now under @mode and, when it is
 * kept (OK or SAME), record it; a datagram seen whole is forgotten.
 */
enum norm_frag_verdict norm_frags_add(struct norm_frags *f, const struct e2_pkt *p, uint64_t now,
                                      uint64_t timeout, enum norm_overlap mode);

void norm_frags_sweep(struct norm_frags *f, uint64_t now);

#endif
