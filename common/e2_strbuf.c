#include "e2_strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Grow @b so @need more bytes and a NUL fit; false when out of memory. */
static bool strbuf_reserve(struct e2_strbuf *b, size_t need)
{
    if (b->len + need < b->cap) return true;
    size_t cap = 2 * (b->len + need + 1);
    char *s = realloc(b->s, cap);
    if (!s) return false;
    b->s = s;
    b->cap = cap;
    return true;
}

void e2_strbuf_addf(struct e2_strbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->s + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->fixed || (size_t)n < room) {
        b->len += (size_t)n;
        return;
    }
    if (!strbuf_reserve(b, (size_t)n)) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *e2_strbuf_take(struct e2_strbuf *b)
{
    if (b->oom || !strbuf_reserve(b, 0)) {
        free(b->s);
        *b = (struct e2_strbuf){0};
        return NULL;
    }
    char *s = b->s;
    s[b->len] = '\0';
    *b = (struct e2_strbuf){0};
    return s;
}
