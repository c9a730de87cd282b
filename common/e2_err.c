#include "e2_err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int e2_err_vset(struct e2_err *err, int code, const char *fmt, va_list ap)
{
    int neg = code > 0 ? -code : code;
    if (neg == 0) neg = -EINVAL;
    if (!err) return neg;
    err->code = neg;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return neg;
}

int e2_err_set(struct e2_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = e2_err_vset(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

int e2_err_prefix(struct e2_err *err, const char *fmt, ...)
{
    if (!err) return -EINVAL;
    char head[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    /* Keep the head whole and cut the old message where the buffer ends. */
    size_t hl = strlen(head);
    size_t room = sizeof(err->msg) - 1 - hl;
    size_t ml = strnlen(err->msg, sizeof(err->msg) - 1);
    if (ml > room) ml = room;
    memmove(err->msg + hl, err->msg, ml);
    memcpy(err->msg, head, hl);
    err->msg[hl + ml] = '\0';
    if (err->code == 0) err->code = -EINVAL;
    return err->code;
}

void e2_err_clear(struct e2_err *err)
{
    if (!err) return;
    err->code = 0;
    err->msg[0] = '\0';
}
