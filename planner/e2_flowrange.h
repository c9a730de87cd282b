/*
 * e2_flowrange — flow-ID ranges and what they cost in a switch.
 *
 * A flow ID is a hash of the header fields an NF's affinity names, cut to
 * `bits` bits (the dataplane's FlowHash module computes it; the switch computes
 * the same hash). An NF's instances each own one range [lo, hi) of
 * [0, 2^bits). The switch has no range match: it matches the hashed value
 * under a mask, so a range costs as many rules as its minimal prefix cover —
 * the fewest aligned power-of-two blocks whose union is exactly the range
 * (at most 2 * bits).
 *
 * Even splits put boundaries on a coarse power-of-two grid, so each range is
 * within 1/64 of its fair share and needs few prefixes. Sliced splits first
 * cut the space into equal slices, then each slice into equal ranges: NFs
 * whose counts are multiples of the same slice count then have ranges that
 * nest inside common slices (e2_sizing.h).
 */
#ifndef E2_FLOWRANGE_H
#define E2_FLOWRANGE_H

#include <stddef.h>
#include <stdint.h>

#define E2_FLOW_BITS_MAX 32

/** A half-open range [lo, hi) of flow IDs; hi may be 2^bits. */
struct e2_range {
    uint64_t lo, hi;
};

/** One masked match: IDs x with (x & mask) == value; len is the prefix length in bits. */
struct e2_prefix {
    uint64_t value, mask;
    unsigned len;
};

/** Size of the whole flow-ID space, 2^bits. */
static inline uint64_t e2_flow_space(unsigned bits)
{
    return 1ull << bits;
}

/** Number of IDs in the intersection of @a and @b (0 when disjoint). */
uint64_t e2_range_overlap(struct e2_range a, struct e2_range b);

/**
 * Split [0, 2^bits) into @k contiguous ranges, in order, of nearly equal
 * size: boundaries are multiples of the largest power of two not above
 * 2^bits / (64 k), so each range differs from 2^bits / k by less than 1/64
 * of it (exactly equal when k is a power of two).
 *
 * @param bits  1 .. E2_FLOW_BITS_MAX
 * @param k     1 .. 2^bits
 * @param out   k ranges
 */
void e2_range_split_even(unsigned bits, unsigned k, struct e2_range *out);

/**
 * Split [0, 2^bits) into @slices even slices (as e2_range_split_even) and
 * each slice into @k / @slices even ranges, in order: every range lies inside
 * one slice, and ranges of splits with the same @slices never straddle a
 * slice boundary. Each range is within about 1/32 of 2^bits / k.
 *
 * @param k       a multiple of @slices, 1 .. 2^bits
 * @param slices  1 .. k; 1, or 2^bits < 2 k, gives e2_range_split_even()
 * @param out     k ranges
 */
void e2_range_split_sliced(unsigned bits, unsigned k, unsigned slices, struct e2_range *out);

/**
 * The minimal prefix cover of [lo, hi) within [0, 2^bits): the largest
 * aligned block starting at each point, left to right.
 *
 * @param out  room for 2 * bits prefixes, or NULL to only count
 * @return the number of prefixes (0 for an empty range)
 */
size_t e2_range_prefix_cover(uint64_t lo, uint64_t hi, unsigned bits, struct e2_prefix *out);

#endif
