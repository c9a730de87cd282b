/*
 * e2_strbuf: build text with printf-style appends.
 *
 * Two kinds, one call:
 *  - fixed: over a caller's buffer (E2_STRBUF_FIXED). Text past the end is cut,
 *    the buffer always stays NUL-terminated, and len counts what the whole text
 *    would take, as snprintf does, so callers can tell it was cut.
 *  - growing: zero-initialised ({0}); the buffer is malloc'd and doubled as
 *    needed. If memory runs out, oom is set, later appends do nothing, and
 *    e2_strbuf_take() returns NULL.
 */
#ifndef E2_STRBUF_H
#define E2_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct e2_strbuf {
    char *s;
    size_t len, cap;
    bool fixed; /**< over a caller's buffer: cut, never grow */
    bool oom;   /**< a growing buffer could not grow */
};

#define E2_STRBUF_FIXED(buf, size) ((struct e2_strbuf){.s = (buf), .cap = (size), .fixed = true})

/** Append formatted text. */
void e2_strbuf_addf(struct e2_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** A growing buffer's text, now the caller's to free; NULL if it ran out of memory. */
char *e2_strbuf_take(struct e2_strbuf *b);

#endif
