/*
 * e2_filter_cubes — a filter as a list of disjoint cubes: conjunctions of
 * value ranges over the fields classifiers can test (e2d's HeaderMatch and
 * MetadataMatch, a switch's match fields), so a classifier built from the
 * cubes of an edge's filter takes exactly the packets the filter takes.
 *
 * A packet is a point: one value per dimension (below), with a reserved value
 * for "this packet has no such field" (a non-IP frame has no protocol, an ICMP
 * packet or a non-first IPv4 fragment has no ports, an untagged packet no tag
 * value). A cube is a box: one inclusive range per dimension. A filter is the
 * union of its cubes, which are pairwise disjoint; negation is the complement
 * (a box's complement is at most 2 boxes per dimension, a prefix's complement
 * at most 32 prefixes once a target writes it as prefixes).
 *
 * Exactness. The cubes give the filter's verdict (e2_filter_eval, libpcap's
 * semantics) on every frame of the exact domain, which e2_cube_point() defines:
 * complete frames (headers not cut short), IPv4 headers of at least 20 bytes,
 * and no IPv6 fragment header as the first next header (libpcap's `tcp` looks
 * past one, its `port` does not; no classifier does either). Filters whose
 * meaning needs anything else are refused with -ENOTSUP and the reason: `vlan`
 * (it shifts every later header), MAC addresses, IPv6 addresses, frame length
 * (`len`, `less`, `greater`), broadcast/multicast, byte-offset expressions
 * other than `ip[1]` (TOS), non-contiguous netmasks, attributes with an open
 * string domain. 802.1Q frames are points like any other: libpcap sees their
 * TPID (0x8100) at byte 12 and nothing behind it, and so do the cubes.
 *
 * Cubes are canonical: a dimension that depends on another (ports on the IP
 * protocol, addresses on the EtherType) is constrained only where the fields
 * it depends on are single values, so a target never needs a prerequisite the
 * cube does not state. Metadata dimensions carry NF attribute values and the
 * traffic-class tag: bool attributes as 0/1 (any non-zero value is true),
 * ints as their value, enumerated strings as their index in the attribute's
 * values.
 *
 * e2_cubes_order() turns the cubes of several labelled regions (one per edge)
 * into a first-match rule list for a target that cannot write every range
 * exactly, by ordering rules whose match is wider than their cube after the
 * rules that must win over them, or splitting them when no order works.
 */
#ifndef E2_FILTER_CUBES_H
#define E2_FILTER_CUBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_filter.h"

#define E2_CUBE_META 8 /**< metadata dimensions (tag slots 0..3, and scratch ones) */

enum e2_cube_dim {
    E2_CD_ETH,   /**< EtherType at byte 12, 0..0xffff (an 802.1Q frame's is its TPID) */
    E2_CD_PROTO, /**< IPv4 protocol / IPv6 next header, 0..255; E2_CUBE_NONE8: not IP */
    E2_CD_SRC,   /**< IPv4 source or ARP/RARP sender address; E2_CUBE_NONE32: neither */
    E2_CD_DST,   /**< IPv4 destination or ARP/RARP target address; E2_CUBE_NONE32: neither */
    E2_CD_TOS,   /**< IPv4 TOS byte, 0..255; E2_CUBE_NONE8: not IPv4 */
    E2_CD_SPORT, /**< E2_CUBE_NOPORT: no ports; p + 1 for TCP/UDP/SCTP port p */
    E2_CD_DPORT, /**< as E2_CD_SPORT */
    E2_CD_META,  /**< E2_CUBE_META tag dimensions: 0..2^32-1; E2_CUBE_NONE32: not set */
    E2_CD_COUNT = E2_CD_META + E2_CUBE_META,
};

#define E2_CUBE_NONE8  256ull
#define E2_CUBE_NONE32 (1ull << 32)
#define E2_CUBE_NOPORT 0ull

#define E2_ETH_IP4  0x0800u
#define E2_ETH_ARP  0x0806u
#define E2_ETH_RARP 0x8035u
#define E2_ETH_IP6  0x86ddu

#define E2_CUBES_MAX 4096 /**< default bound on a list's cubes */

/** A box: packets whose value in every dimension d lies in [lo[d], hi[d]]. */
struct e2_cube {
    uint64_t lo[E2_CD_COUNT], hi[E2_CD_COUNT];
};

/** Disjoint cubes. Zero-initialise; max 0 means E2_CUBES_MAX. */
struct e2_cubes {
    struct e2_cube *v;
    size_t n, cap, max;
};

/** The largest value of dimension @d (its "none" value where it has one). */
uint64_t e2_cube_dim_max(unsigned d);

/** A dimension's name ("eth_type", "tag2"), for messages. */
const char *e2_cube_dim_name(unsigned d);

/** The cube of all packets. */
void e2_cube_full(struct e2_cube *c);

/** True when dimension @d of @c is unconstrained. */
bool e2_cube_dim_full(const struct e2_cube *c, unsigned d);

/** Leave dimension @d of @c unconstrained. */
void e2_cube_widen(struct e2_cube *c, unsigned d);

/** True when [lo, hi] is an aligned power-of-two block (a prefix). */
bool e2_cube_is_prefix(uint64_t lo, uint64_t hi);

/** Append @c cut along dimension @d into the fewest prefixes (e2_cube_is_prefix). */
int e2_cubes_add_prefixes(struct e2_cubes *l, const struct e2_cube *c, unsigned d);

/** Append @c cut along dimension @d into [lo, @at - 1] and [@at, hi] (lo < @at <= hi). */
int e2_cubes_add_cut(struct e2_cubes *l, const struct e2_cube *c, unsigned d, uint64_t at);

/** @a ∩ @b into @out; false when empty. */
bool e2_cube_intersect(const struct e2_cube *a, const struct e2_cube *b, struct e2_cube *out);

bool e2_cube_contains(const struct e2_cube *c, const uint64_t point[E2_CD_COUNT]);

/** Readable text ("eth_type=0x800 proto=6 dport=80"); "all" for the full cube. Like snprintf. */
size_t e2_cube_print(const struct e2_cube *c, char *buf, size_t len);

void e2_cubes_free(struct e2_cubes *l);

/**
 * Append @c (canonicalised, possibly as several cubes) to @l; the caller keeps
 * @l disjoint. -ENOMEM, or -E2BIG past the bound.
 */
int e2_cubes_add(struct e2_cubes *l, const struct e2_cube *c);

/** New lists (@out must be zeroed; its max is kept). -ENOMEM / -E2BIG. */
int e2_cubes_and(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out);
int e2_cubes_or(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out);
int e2_cubes_minus(const struct e2_cubes *a, const struct e2_cubes *b, struct e2_cubes *out);
int e2_cubes_not(const struct e2_cubes *a, struct e2_cubes *out);

/** Same set of points? 1 yes, 0 no, negative on error. */
int e2_cubes_same(const struct e2_cubes *a, const struct e2_cubes *b);

/** Merge neighbouring cubes (same everywhere but one adjacent range). -ENOMEM. */
int e2_cubes_merge(struct e2_cubes *l);

/** Index of the cube holding @point, or -1. */
long e2_cubes_find(const struct e2_cubes *l, const uint64_t point[E2_CD_COUNT]);

/**
 * The point of an Ethernet frame of @len bytes (all captured); its metadata
 * dimensions are "not set". -1 when the frame is outside the exact domain
 * (see above): cut short, IPv4 header under 20 bytes, IPv6 fragment header.
 */
int e2_cube_point(const uint8_t *frame, uint32_t len, uint64_t point[E2_CD_COUNT]);

/** How e2_filter_cubes() maps attribute terms to metadata dimensions. */
struct e2_cube_opts {
    size_t max;                        /**< bound on cubes (0: E2_CUBES_MAX) */
    const struct e2_attr_table *attrs; /**< the table the filter was parsed with */
    /** Metadata dimension (0..E2_CUBE_META-1) of attribute slot @slot, or -1 (refused). */
    int (*slot_dim)(void *ctx, unsigned slot);
    void *ctx;
};

/**
 * The cubes of @f (into @out, zeroed by the caller; @o may be NULL for a
 * filter without attribute terms). -ENOTSUP with the reason when the filter
 * cannot be exact as ranges, -E2BIG past the bound, -ENOMEM.
 */
int e2_filter_cubes(const struct e2_filter *f, const struct e2_cube_opts *o, struct e2_cubes *out,
                    struct e2_err *err);

/* ---- first-match rule lists ---- */

/** A labelled region (@cube) and the region its rule matches (@match ⊇ @cube). */
struct e2_cube_rule {
    struct e2_cube cube, match;
    int label;
};

/** What a target can write as one rule. */
struct e2_cube_target {
    void *ctx;
    /** The region one rule written for @c matches: @c itself when exact. */
    void (*relax)(void *ctx, const struct e2_cube *c, struct e2_cube *match);
    /**
     * Cut @c into cubes whose rules match less beyond them (e.g. a range into
     * prefixes). Fails (-ENOTSUP, @err says why) when it cannot.
     */
    int (*split)(void *ctx, const struct e2_cube *c, struct e2_cubes *pieces, struct e2_err *err);
};

/**
 * Order @in (cubes with labels, together covering every point, pairwise
 * disjoint) into rules such that the first rule matching any point has the
 * label of the cube holding it. Rules whose match is wider than their cube
 * come after those they must not shadow; when that is circular, one of them is
 * split and the order tried again. Rules that could never fire (an earlier
 * rule matches all they match) are left out. @out is malloc'd. -ENOTSUP when a needed
 * split is impossible, -E2BIG past @max rules (0: E2_CUBES_MAX), -ENOMEM.
 */
int e2_cubes_order(const struct e2_cube_rule *in, size_t n, const struct e2_cube_target *t,
                   size_t max, struct e2_cube_rule **out, size_t *n_out, struct e2_err *err);

/**
 * Leave out what a default (for packets no rule matches) of @label does as
 * well: the trailing rules of @label, and any rule of @label that no later
 * rule of another label overlaps. Returns the new count.
 */
size_t e2_cube_rules_default(struct e2_cube_rule *r, size_t n, int label);

#endif
