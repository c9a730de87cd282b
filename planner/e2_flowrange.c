/* Flow-ID ranges: even splits and minimal prefix covers. */
#include "e2_flowrange.h"

uint64_t e2_range_overlap(struct e2_range a, struct e2_range b)
{
    uint64_t lo = a.lo > b.lo ? a.lo : b.lo;
    uint64_t hi = a.hi < b.hi ? a.hi : b.hi;
    return hi > lo ? hi - lo : 0;
}

void e2_range_split_even(unsigned bits, unsigned k, struct e2_range *out)
{
    uint64_t space = e2_flow_space(bits);
    uint64_t grain = 1;
    while (grain * 2 <= space / (64ull * k)) grain *= 2;
    uint64_t lo = 0;
    for (unsigned i = 0; i < k; i++) {
        uint64_t exact = space * (i + 1) / k;
        uint64_t hi = i + 1 == k ? space : (exact + grain / 2) / grain * grain;
        out[i] = (struct e2_range){lo, hi};
        lo = hi;
    }
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
