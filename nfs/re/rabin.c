#include "rabin.h"

#define MSB64 0x8000000000000000ull

static int degree(uint64_t p)
{
    return 63 - __builtin_clzll(p);
}

/* (nh:nl) mod d */
static uint64_t polymod(uint64_t nh, uint64_t nl, uint64_t d)
{
    int k = degree(d);
    d <<= 63 - k;
    if (nh) {
        if (nh & MSB64) nh ^= d;
        for (int i = 62; i >= 0; i--)
            if (nh & (1ull << i)) {
                nh ^= d >> (63 - i);
                nl ^= d << (i + 1);
            }
    }
    for (int i = 63; i >= k; i--)
        if (nl & (1ull << i)) nl ^= d >> (63 - i);
    return nl;
}

uint64_t rabin_mulmod(uint64_t x, uint64_t y, uint64_t d)
{
    uint64_t ph = 0, pl = x & 1 ? y : 0;
    for (int i = 1; i < 64; i++)
        if (x & (1ull << i)) {
            ph ^= y >> (64 - i);
            pl ^= y << i;
        }
    return polymod(ph, pl, d);
}

void rabin_init(struct rabin *r)
{
    int xshift = degree(RABIN_POLY);
    r->shift = (unsigned)(xshift - 8);
    uint64_t t1 = polymod(0, 1ull << xshift, RABIN_POLY);
    for (uint64_t j = 0; j < 256; j++) r->T[j] = rabin_mulmod(j, t1, RABIN_POLY) | (j << xshift);
    uint64_t sizeshift = 1;
    for (int i = 1; i < RABIN_WINDOW; i++) sizeshift = rabin_append(r, sizeshift, 0);
    for (uint64_t i = 0; i < 256; i++) r->U[i] = rabin_mulmod(i, sizeshift, RABIN_POLY);
}
