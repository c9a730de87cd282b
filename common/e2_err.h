/*
 * e2_err — errors are values.
 *
 * Every fallible E2 function returns 0 (or a count) on success and a negative
 * errno on failure. When the caller passes a non-NULL struct e2_err, the
 * function also fills it with one line that says what was wrong and where:
 * FILE:LINE:COL for text the operator wrote, a field path such as
 * "modules[2].args.rate" for structured input, the offending value in quotes.
 *
 * Callers add context on the way up with e2_err_prefix(), so the final message
 * reads outermost-first: "pipeline.conf:12:7: module 'fh': ranges[1]: hi < lo".
 */
#ifndef E2_ERR_H
#define E2_ERR_H

#include <stdarg.h>

#define E2_ERR_MSG_MAX 512

struct e2_err {
    int code;                 /**< negative errno, 0 when clear */
    char msg[E2_ERR_MSG_MAX]; /**< NUL-terminated, never longer than one line */
};

/**
 * Record an error. @code may be given as errno or -errno; the stored and
 * returned value is always negative. @err may be NULL (the error is only
 * returned). Returns the negative code so callers can `return e2_err_set(...)`.
 */
int e2_err_set(struct e2_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list twin of e2_err_set(). */
int e2_err_vset(struct e2_err *err, int code, const char *fmt, va_list ap);

/**
 * Prepend context to an error already recorded ("where: " + old message).
 * Returns err->code (negative) so it can be used in a return statement.
 * With a NULL @err it returns -EINVAL.
 */
int e2_err_prefix(struct e2_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Reset to "no error". */
void e2_err_clear(struct e2_err *err);

#endif
