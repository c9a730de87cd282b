/*
 * e2_ac — Aho-Corasick multi-pattern matching, streaming.
 *
 * The baseline signature matcher of the DPI NFs (Hyperscan is the other).
 * Patterns are byte strings, each case-sensitive or not. Compilation builds
 * two deterministic automata, one for case-sensitive patterns over the bytes
 * as they are and one for the others over case-folded bytes, each a full
 * transition table over the alphabet's equivalence classes (bytes no pattern
 * uses share one class), so scanning costs one table load per byte and
 * automaton. Each state lists every pattern ending there, its own and those
 * of its dictionary suffixes.
 *
 * Scanning is streaming: the state after one buffer is the start of the
 * next, so a pattern split across packets or stream messages is found; match
 * offsets are stream offsets (of the byte after the match's end).
 */
#ifndef E2_AC_H
#define E2_AC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"

struct e2_ac_builder;
struct e2_ac;

/** Where a stream is in both automata; start with {0, 0}. */
struct e2_ac_state {
    uint32_t cased, folded;
};

struct e2_ac_builder *e2_ac_builder_new(void);
void e2_ac_builder_free(struct e2_ac_builder *b);

/** Add pattern @id (reported on match) of @len >= 1 bytes. */
int e2_ac_add(struct e2_ac_builder *b, const uint8_t *pat, size_t len, bool nocase, uint32_t id,
              struct e2_err *err);

/** Build the automata; the builder stays usable (and must still be freed). */
struct e2_ac *e2_ac_compile(const struct e2_ac_builder *b, struct e2_err *err);
void e2_ac_free(struct e2_ac *ac);

/** Bytes the automata take (tables and outputs). */
size_t e2_ac_memory(const struct e2_ac *ac);

/** Called for each match: pattern id and the stream offset just after it; nonzero stops the scan.
 */
typedef int (*e2_ac_match_fn)(void *ctx, uint32_t id, uint64_t end);

/**
 * Scan @len bytes that start at stream offset @off from state *@st, calling
 * @fn for every match, in order of their end (at one end: case-sensitive
 * patterns before folded ones, longer before shorter); *@st is left where
 * the stream continues. Returns 1 when
 * @fn stopped the scan, else 0.
 */
int e2_ac_scan(const struct e2_ac *ac, struct e2_ac_state *st, const uint8_t *data, size_t len,
               uint64_t off, e2_ac_match_fn fn, void *ctx);

#endif
