/*
 * e2_args — declarative parsing of JSON arguments into C structs.
 *
 * A module, command or API describes its arguments once, as a table:
 *
 *     struct queue_args { uint32_t size; bool multi_producer; };
 *     static const struct e2_arg queue_arg_spec[] = {
 *         E2_ARG_U32(struct queue_args, size, "1024", 64, 1 << 20,
 *                    "ring size in packets (a power of two)"),
 *         E2_ARG_BOOL(struct queue_args, multi_producer, "false",
 *                     "allow several workers to enqueue"),
 *         E2_ARG_END,
 *     };
 *
 * and e2_args_parse() fills the struct from a JSON object, applying defaults,
 * checking types and ranges, and refusing unknown keys. Errors name the
 * argument and the offending value. The same table renders the reference
 * documentation (e2_args_doc), so docs cannot drift from the code.
 */
#ifndef E2_ARGS_H
#define E2_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "e2_err.h"

enum e2_arg_type {
    E2_ARGT_U64,
    E2_ARGT_U32,
    E2_ARGT_U16,
    E2_ARGT_U8,
    E2_ARGT_I64,
    E2_ARGT_DOUBLE,
    E2_ARGT_BOOL,
    E2_ARGT_STR,  /**< copied into a char array of `size` bytes */
    E2_ARGT_ENUM, /**< a string from `choices`, stored as int index */
    E2_ARGT_MAC,  /**< "aa:bb:cc:dd:ee:ff", stored as uint8_t[6] */
    E2_ARGT_IPV4, /**< dotted quad, stored as uint32_t in network order */
    E2_ARGT_JSON, /**< any JSON value, stored as a new json_t * reference (or NULL) */
};

struct e2_arg {
    const char *name;
    enum e2_arg_type type;
    size_t offset;              /**< where in the target struct */
    size_t size;                /**< STR: buffer size */
    const char *def;            /**< default as JSON text; NULL = required */
    double min, max;            /**< numeric bounds, checked when min < max */
    const char *const *choices; /**< ENUM: NULL-terminated names */
    const char *help;
};

#define E2_ARG_NUM_(T, S, f, d, lo, hi, h)                                                         \
    {                                                                                              \
        .name = #f, .type = (T), .offset = offsetof(S, f), .def = (d), .min = (lo), .max = (hi),   \
        .help = (h)                                                                                \
    }
#define E2_ARG_U64(S, f, d, lo, hi, h)    E2_ARG_NUM_(E2_ARGT_U64, S, f, d, lo, hi, h)
#define E2_ARG_U32(S, f, d, lo, hi, h)    E2_ARG_NUM_(E2_ARGT_U32, S, f, d, lo, hi, h)
#define E2_ARG_U16(S, f, d, lo, hi, h)    E2_ARG_NUM_(E2_ARGT_U16, S, f, d, lo, hi, h)
#define E2_ARG_U8(S, f, d, lo, hi, h)     E2_ARG_NUM_(E2_ARGT_U8, S, f, d, lo, hi, h)
#define E2_ARG_I64(S, f, d, lo, hi, h)    E2_ARG_NUM_(E2_ARGT_I64, S, f, d, lo, hi, h)
#define E2_ARG_DOUBLE(S, f, d, lo, hi, h) E2_ARG_NUM_(E2_ARGT_DOUBLE, S, f, d, lo, hi, h)
#define E2_ARG_BOOL(S, f, d, h)                                                                    \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_BOOL, .offset = offsetof(S, f), .def = (d), .help = (h)        \
    }
#define E2_ARG_STR(S, f, d, h)                                                                     \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_STR, .offset = offsetof(S, f), .size = sizeof(((S *)0)->f),    \
        .def = (d), .help = (h)                                                                    \
    }
#define E2_ARG_ENUM(S, f, d, ch, h)                                                                \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_ENUM, .offset = offsetof(S, f), .def = (d), .choices = (ch),   \
        .help = (h)                                                                                \
    }
#define E2_ARG_MAC(S, f, d, h)                                                                     \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_MAC, .offset = offsetof(S, f), .def = (d), .help = (h)         \
    }
#define E2_ARG_IPV4(S, f, d, h)                                                                    \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_IPV4, .offset = offsetof(S, f), .def = (d), .help = (h)        \
    }
#define E2_ARG_JSON(S, f, d, h)                                                                    \
    {                                                                                              \
        .name = #f, .type = E2_ARGT_JSON, .offset = offsetof(S, f), .def = (d), .help = (h)        \
    }
#define E2_ARG_END                                                                                 \
    {                                                                                              \
        .name = NULL                                                                               \
    }

/**
 * Fill @out from the JSON object @in (NULL or JSON null means "no arguments")
 * according to @spec. Every field listed in @spec is written: from @in, or
 * from its default. Unknown keys, missing required arguments, wrong types and
 * out-of-range values fail with -EINVAL and a message naming the argument.
 * On failure, JSON references already taken are released.
 */
int e2_args_parse(const struct e2_arg *spec, const json_t *in, void *out, struct e2_err *err);

/** Release the JSON references e2_args_parse() stored in @out. */
void e2_args_release(const struct e2_arg *spec, void *out);

/** Type name for documentation ("uint32", "string", "one of a|b|c", ...). */
const char *e2_arg_type_name(const struct e2_arg *a, char *buf, size_t len);

/** Render @spec as a Markdown table (name, type, default, help). */
void e2_args_doc(const struct e2_arg *spec, FILE *out);

/** Render @spec as a JSON array of {name, type, required, default (if any), help}. */
json_t *e2_args_describe(const struct e2_arg *spec);

#endif
