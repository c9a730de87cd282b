/*
 * e2_doc — a small document tree (maps, sequences, scalars with their line
 * and column) read from YAML (libyaml) or JSON (jansson), plus a reader that
 * walks it with a field path so every validation error says where it is:
 * "fw.yaml:12:13: error: attributes.safe.method: \"prt\" is not one of port, metadata".
 *
 * Descriptors are validated by walking this tree once; the same walker serves
 * YAML files and the JSON objects embedded in the pGraph.
 */
#ifndef E2_DOC_H
#define E2_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "e2_err.h"

enum e2_doc_kind { E2_DOC_SCALAR, E2_DOC_SEQ, E2_DOC_MAP };

struct e2_doc_node {
    enum e2_doc_kind kind;
    int line, col;              /**< 1-based; 0 when unknown (JSON) */
    char *text;                 /**< scalars: the text ("" for null) */
    bool quoted;                /**< scalars: written quoted, so always a string */
    bool is_null;               /**< scalars: YAML ~/null/empty, JSON null */
    struct e2_doc_node **items; /**< SEQ: items; MAP: key0, value0, key1, value1... */
    size_t n;                   /**< SEQ: items; MAP: pairs */
};

/** A read cursor: the origin file and the field path of the current node. */
struct e2_doc_at {
    const char *file;
    struct e2_err *err; /**< where failures are recorded (may be NULL) */
    char path[192];
};

/** Parse YAML text (first document). @origin names the text in errors. */
int e2_doc_parse_yaml(const char *text, size_t len, const char *origin, struct e2_doc_node **out,
                      struct e2_err *err);

/** Read a whole file into a NUL-terminated buffer (free() it). */
int e2_doc_read_file(const char *path, char **text, size_t *len, struct e2_err *err);

/** Convert a JSON value to a tree (no line numbers). */
int e2_doc_from_json(const json_t *j, struct e2_doc_node **out, struct e2_err *err);

void e2_doc_free(struct e2_doc_node *n);

/** Record an error at @n: "FILE:LINE:COL: error: PATH: message". Returns -EINVAL. */
int e2_doc_fail(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Start reading @file; errors go to @err. */
void e2_doc_at_begin(struct e2_doc_at *at, const char *file, struct e2_err *err);

/** Cursor for a child: PATH.key (maps) or PATH[i] (sequences). */
void e2_doc_at_key(struct e2_doc_at *child, const struct e2_doc_at *parent, const char *key);
void e2_doc_at_index(struct e2_doc_at *child, const struct e2_doc_at *parent, size_t i);

/** Value of @key in map @m, or NULL. */
const struct e2_doc_node *e2_doc_get(const struct e2_doc_node *m, const char *key);

/**
 * Fail on any key of map @m not in the NULL-terminated @allowed list, and
 * when @m is not a map. Catches typos such as "replicable" for "scaling".
 */
int e2_doc_expect_map(const struct e2_doc_at *at, const struct e2_doc_node *m,
                      const char *const *allowed);

int e2_doc_expect_seq(const struct e2_doc_at *at, const struct e2_doc_node *n);

/** Typed scalars. Each fails with the path and the offending text. */
int e2_doc_str(const struct e2_doc_at *at, const struct e2_doc_node *n, char **out);
int e2_doc_bool(const struct e2_doc_at *at, const struct e2_doc_node *n, bool *out);
int e2_doc_int(const struct e2_doc_at *at, const struct e2_doc_node *n, int64_t lo, int64_t hi,
               int64_t *out);
int e2_doc_double(const struct e2_doc_at *at, const struct e2_doc_node *n, double lo, double hi,
                  double *out);

/** A scalar that must be one of @names (NULL-terminated); *out is its index. */
int e2_doc_enum(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *const *names,
                int *out);

/** A sequence of names each in @names, as a bit set (bit i = names[i]). */
int e2_doc_flags(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *const *names,
                 uint32_t *out);

/** A sequence of scalars as a NULL-terminated strdup'ed array. */
int e2_doc_strv(const struct e2_doc_at *at, const struct e2_doc_node *n, char ***out,
                size_t *count);

void e2_strv_free(char **v);

#endif
