/* Flow-ID ranges: even splits and minimal prefix covers. */
#include "e2_flowrange.h"

uint64_t e2_range_overlap(struct e2_range a, struct e2_range b)
{
    uint64_t lo = a.lo > b.lo ? a.lo : b.lo;
    uint64_t hi = a.hi < b.hi ? a.hi : b.hi;
    return hi > lo ? hi - lo : 0;
}

/* The largest power of two not above 2^bits / (64 k): where boundaries of k ranges may fall. */
static uint64_t grain_of(unsigned bits, unsigned k)
{
    uint64_t space = e2_flow_space(bits), grain = 1;
    while (grain * 2 <= space / (64ull * k)) grain *= 2;
    return grain;
}

/* The i-th of k even boundaries of [lo, hi), moved to the nearest multiple of @grain. */
static uint64_t boundary(uint64_t lo, uint64_t hi, unsigned i, unsigned k, uint64_t grain)
{
    if (i == 0) return lo;
    if (i == k) return hi;
    uint64_t exact = lo + (hi - lo) * i / k;
    return (exact + grain / 2) / grain * grain;
}

static void split_range(uint64_t lo, uint64_t hi, unsigned k, uint64_t grain, struct e2_range *out)
{
    for (unsigned i = 0; i < k; i++)
        out[i] =
            (struct e2_range){boundary(lo, hi, i, k, grain), boundary(lo, hi, i + 1, k, grain)};
}

void e2_range_split_even(unsigned bits, unsigned k, struct e2_range *out)
{
    split_range(0, e2_flow_space(bits), k, grain_of(bits, k), out);
}

void e2_range_split_sliced(unsigned bits, unsigned k, unsigned slices, struct e2_range *out)
{
    uint64_t space = e2_flow_space(bits);
    if (slices <= 1 || 2ull * k > space) {
        e2_range_split_even(bits, k, out);
        return;
    }
    uint64_t g = grain_of(bits, slices), per = k / slices;
    for (unsigned s = 0; s < slices; s++)
        split_range(boundary(0, space, s, slices, g), boundary(0, space, s + 1, slices, g),
                    (unsigned)per, grain_of(bits, k), out + s * per);
}

size_t e2_range_prefix_cover(uint64_t lo, uint64_t hi, unsigned bits, struct e2_prefix *out)
{
    uint64_t space = e2_flow_space(bits);
    size_t n = 0;
    while (lo < hi) {
        /* The largest block aligned at lo that stays inside [lo, hi). */
        uint64_t size = lo ? lo & -lo : space;
        while (size > hi - lo) size /= 2;
        if (out) {
            unsigned len = bits;
            for (uint64_t s = size; s > 1; s /= 2) len--;
            out[n] = (struct e2_prefix){lo, (space - 1) & ~(size - 1), len};
        }
        n++;
        lo += size;
    }
    return n;
}
