/*
 * e2_conf — the line-oriented text files NFs read (firewall rules, NAT
 * pools, VPN security associations, rate-limiter classes).
 *
 * One statement per line, split into words at blanks; "double quotes" keep
 * blanks inside a word; '#' outside quotes starts a comment; blank lines are
 * skipped. The NF's callback gets each line's words; when it refuses one,
 * the error reads "FILE:LINE: what was wrong" and reading stops, so the NF
 * keeps its previous configuration whole.
 *
 * Helpers parse the values these files hold, each with a message that
 * quotes the bad text.
 */
#ifndef E2_CONF_H
#define E2_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "e2_err.h"

#define E2_CONF_WORDS_MAX 64

struct e2_conf_line {
    const char *file;
    unsigned line;
    const char *text; /**< the line as written (no newline): for syntaxes words cannot carry */
    int argc;
    char *argv[E2_CONF_WORDS_MAX];
};

typedef int (*e2_conf_line_fn)(void *ctx, const struct e2_conf_line *l, struct e2_err *err);

/** Read @text (named @name in messages) line by line. 0 or the first error. */
int e2_conf_read_text(const char *text, const char *name, e2_conf_line_fn fn, void *ctx,
                      struct e2_err *err);

/** Read the file at @path. */
int e2_conf_read_file(const char *path, e2_conf_line_fn fn, void *ctx, struct e2_err *err);

/**
 * Append the statement "@verb @rest\n" to the growing text *@text (NULL
 * at first; free() it): how an NF turns its command-line options into
 * statements read before its file (--link "rate 1G" -> "link rate 1G").
 */
int e2_conf_append(char **text, const char *verb, const char *rest, struct e2_err *err);

/**
 * Read the statements of @opts (from e2_conf_append; may be NULL), named
 * "(options)" in messages, then the file at @path (may be NULL).
 */
int e2_conf_read_all(const char *opts, const char *path, e2_conf_line_fn fn, void *ctx,
                     struct e2_err *err);

/** "10.1.2.3" -> host-order address. */
int e2_conf_ipv4(const char *text, uint32_t *ip, struct e2_err *err);

/** The other way: host-order @ip written into @out (16 bytes); returns @out. */
const char *e2_conf_ipv4_text(uint32_t ip, char out[16]);

/** "10.0.0.0/8", a bare address (/32) or "any" (/0); host bits must be zero. */
int e2_conf_prefix(const char *text, uint32_t *ip, uint8_t *len, struct e2_err *err);

/** "80", "1000-2000" (or "1000:2000"), open ends ":1023" and "1024:", or "any" -> inclusive range.
 */
int e2_conf_port_range(const char *text, uint16_t *lo, uint16_t *hi, struct e2_err *err);

/** "tcp", "udp", "icmp", "any" (0) or a number 0-255. */
int e2_conf_proto(const char *text, uint8_t *proto, struct e2_err *err);

/** An unsigned number in [min, max], named @what in the message. */
int e2_conf_uint(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 struct e2_err *err);

/** A rate in bits/s ("2Gbit", "500 Mbit/s", "1e9"; common/e2_units.h) in [@min, @max]. */
int e2_conf_rate(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *bps,
                 struct e2_err *err);

/** A duration ("30s", "500ms", "2m"; common/e2_units.h) in microseconds, in [@min, @max]. */
int e2_conf_duration_us(const char *text, const char *what, uint64_t min, uint64_t max,
                        uint64_t *us, struct e2_err *err);

/**
 * A size in bytes in [@min, @max]: a number with an optional binary suffix
 * k, m or g (x1024, x1024^2, x1024^3; either case, "kb" too), as tc writes
 * bursts ("64k" = 65536).
 */
int e2_conf_size(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *bytes,
                 struct e2_err *err);

#endif
