/*
 * rabin — Rabin fingerprints over a sliding window (M. O. Rabin, 1981), as
 * LBFS computes them: a byte string is a polynomial over GF(2), its
 * fingerprint the remainder modulo an irreducible polynomial of degree 63.
 * Two 256-entry tables make sliding the window one byte cost two loads and
 * a few shifts: T appends a byte, U removes the one leaving the window.
 */
#ifndef RABIN_H
#define RABIN_H

#include <stdint.h>

#define RABIN_WINDOW 48
#define RABIN_POLY   0xbfe6b8a5bf378d83ull /* LBFS's; irreducible, degree 63 */

struct rabin {
    uint64_t T[256], U[256];
    unsigned shift;
};

/** Tables for RABIN_POLY and a window of RABIN_WINDOW bytes. */
void rabin_init(struct rabin *r);

/** The fingerprint of @p with byte @m appended (no window). */
static inline uint64_t rabin_append(const struct rabin *r, uint64_t p, uint8_t m)
{
    return ((p << 8) | m) ^ r->T[p >> r->shift];
}

/** Slide: @out leaves the window, @in enters; the window's new fingerprint. */
static inline uint64_t rabin_slide(const struct rabin *r, uint64_t fp, uint8_t out, uint8_t in)
{
    return rabin_append(r, fp ^ r->U[out], in);
}

/** x * y mod d over GF(2) (for the tables and for tests). */
uint64_t rabin_mulmod(uint64_t x, uint64_t y, uint64_t d);

#endif
