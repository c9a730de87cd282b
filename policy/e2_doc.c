#include "e2_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct e2_doc_node *node_new(enum e2_doc_kind kind, int line, int col)
{
    struct e2_doc_node *n = calloc(1, sizeof(*n));
    if (!n) return NULL;
    n->kind = kind;
    n->line = line;
    n->col = col;
    return n;
}

/* Store @child at items[@at], growing the array. */
static int node_put(struct e2_doc_node *parent, size_t at, struct e2_doc_node *child)
{
    struct e2_doc_node **items = realloc(parent->items, (at + 1) * sizeof(*items));
    if (!items) return -ENOMEM;
    parent->items = items;
    items[at] = child;
    return 0;
}

void e2_doc_free(struct e2_doc_node *n)
{
    if (!n) return;
    size_t count = n->kind == E2_DOC_MAP ? 2 * n->n : n->n;
    for (size_t i = 0; i < count; i++) e2_doc_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

static bool yaml_scalar_is_null(const yaml_node_t *y)
{
    if (y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *t = (const char *)y->data.scalar.value;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

/* Descriptions are small: a document this large is an alias bomb or a mistake. */
#define MAX_DOC_NODES 100000

static int from_yaml(yaml_document_t *doc, yaml_node_t *y, int depth, size_t *budget,
                     struct e2_doc_node **out)
{
    if (depth > 64) return -ELOOP;
    if (!(*budget)--) return -E2BIG;
    int line = (int)y->start_mark.line + 1, col = (int)y->start_mark.column + 1;
    struct e2_doc_node *n = NULL;
    int rc = -ENOMEM;
    switch (y->type) {
    case YAML_SCALAR_NODE:
        n = node_new(E2_DOC_SCALAR, line, col);
        if (!n) return -ENOMEM;
        n->text = strndup((const char *)y->data.scalar.value, y->data.scalar.length);
        n->quoted = y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        n->is_null = yaml_scalar_is_null(y);
        if (!n->text) goto fail;
        break;
    case YAML_SEQUENCE_NODE:
        n = node_new(E2_DOC_SEQ, line, col);
        if (!n) return -ENOMEM;
        for (yaml_node_item_t *it = y->data.sequence.items.start; it < y->data.sequence.items.top;
             it++) {
            struct e2_doc_node *c;
            if ((rc = from_yaml(doc, yaml_document_get_node(doc, *it), depth + 1, budget, &c)))
                goto fail;
            if ((rc = node_put(n, n->n, c))) {
                e2_doc_free(c);
                goto fail;
            }
            n->n++;
        }
        break;
    case YAML_MAPPING_NODE:
        n = node_new(E2_DOC_MAP, line, col);
        if (!n) return -ENOMEM;
        for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top;
             p++) {
            struct e2_doc_node *k, *v;
            if ((rc = from_yaml(doc, yaml_document_get_node(doc, p->key), depth + 1, budget, &k)))
                goto fail;
            if ((rc = from_yaml(doc, yaml_document_get_node(doc, p->value), depth + 1, budget,
                                &v))) {
                e2_doc_free(k);
                goto fail;
            }
            if ((rc = node_put(n, 2 * n->n, k))) {
                e2_doc_free(k);
                e2_doc_free(v);
                goto fail;
            }
            if ((rc = node_put(n, 2 * n->n + 1, v))) {
                e2_doc_free(v);
                n->items[2 * n->n] = NULL;
                e2_doc_free(k);
                goto fail;
            }
            n->n++;
        }
        break;
    default: return -EINVAL;
    }
    *out = n;
    return 0;
fail:
    e2_doc_free(n);
    return rc;
}

int e2_doc_parse_yaml(const char *text, size_t len, const char *origin, struct e2_doc_node **out,
                      struct e2_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return e2_err_set(err, ENOMEM, "%s: out of memory", origin);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = e2_err_set(err, EINVAL, "%s:%zu:%zu: error: YAML: %s", origin,
                            parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                            parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc;
    if (!root)
        rc = e2_err_set(err, EINVAL, "%s:1:1: error: the document is empty", origin);
    else if ((rc = from_yaml(&doc, root, 0, &(size_t){MAX_DOC_NODES}, out)))
        rc = e2_err_set(err, rc == -ENOMEM ? ENOMEM : EINVAL, "%s: error: YAML: %s", origin,
                        rc == -ELOOP   ? "nested too deeply"
                        : rc == -E2BIG ? "more than 100000 nodes (aliases expanded)"
                                       : "out of memory");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int e2_doc_read_file(const char *path, char **text, size_t *len, struct e2_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return e2_err_set(err, errno, "%s: error: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return e2_err_set(err, ENOMEM, "%s: error: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return e2_err_set(err, EIO, "%s: error: read failed", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static int from_json(const json_t *j, int depth, struct e2_doc_node **out)
{
    if (depth > 64) return -ELOOP;
    struct e2_doc_node *n;
    char num[64];
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        n = node_new(E2_DOC_MAP, 0, 0);
        if (!n) return -ENOMEM;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v)
        {
            struct e2_doc_node *k = node_new(E2_DOC_SCALAR, 0, 0), *c = NULL;
            int rc = k && (k->text = strdup(key)) ? from_json(v, depth + 1, &c) : -ENOMEM;
            if (!rc) rc = node_put(n, 2 * n->n, k);
            if (!rc) rc = node_put(n, 2 * n->n + 1, c);
            if (rc) {
                n->items[2 * n->n] = NULL;
                e2_doc_free(k);
                e2_doc_free(c);
                e2_doc_free(n);
                return rc;
            }
            k->quoted = false;
            n->n++;
        }
        *out = n;
        return 0;
    }
    case JSON_ARRAY: {
        n = node_new(E2_DOC_SEQ, 0, 0);
        if (!n) return -ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            struct e2_doc_node *c = NULL;
            int rc = from_json(v, depth + 1, &c);
            if (!rc) rc = node_put(n, n->n, c);
            if (rc) {
                e2_doc_free(c);
                e2_doc_free(n);
                return rc;
            }
            n->n++;
        }
        *out = n;
        return 0;
    }
    case JSON_STRING: num[0] = '\0'; break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_REAL: snprintf(num, sizeof(num), "%.17g", json_real_value(j)); break;
    case JSON_TRUE: snprintf(num, sizeof(num), "true"); break;
    case JSON_FALSE: snprintf(num, sizeof(num), "false"); break;
    case JSON_NULL: snprintf(num, sizeof(num), "null"); break;
    }
    n = node_new(E2_DOC_SCALAR, 0, 0);
    if (!n) return -ENOMEM;
    n->quoted = json_is_string(j);
    n->is_null = json_is_null(j);
    n->text = strdup(json_is_string(j) ? json_string_value(j) : num);
    if (!n->text) {
        free(n);
        return -ENOMEM;
    }
    *out = n;
    return 0;
}

int e2_doc_from_json(const json_t *j, struct e2_doc_node **out, struct e2_err *err)
{
    int rc = from_json(j, 0, out);
    if (rc)
        return e2_err_set(err, rc, "error: JSON: %s",
                          rc == -ELOOP ? "nested too deeply" : "out of memory");
    return 0;
}

void e2_doc_at_begin(struct e2_doc_at *at, const char *file, struct e2_err *err)
{
    at->file = file;
    at->err = err;
    at->path[0] = '\0';
}

void e2_doc_at_key(struct e2_doc_at *child, const struct e2_doc_at *parent, const char *key)
{
    child->file = parent->file;
    child->err = parent->err;
    /* A path too long for the buffer is cut; the message still says where. */
    if (snprintf(child->path, sizeof(child->path), "%s%s%s", parent->path,
                 parent->path[0] ? "." : "", key) < 0)
        child->path[0] = '\0';
}

void e2_doc_at_index(struct e2_doc_at *child, const struct e2_doc_at *parent, size_t i)
{
    child->file = parent->file;
    child->err = parent->err;
    if (snprintf(child->path, sizeof(child->path), "%s[%zu]", parent->path, i) < 0)
        child->path[0] = '\0';
}

int e2_doc_fail(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *fmt, ...)
{
    char where[256], msg[E2_ERR_MSG_MAX];
    if (n && n->line)
        snprintf(where, sizeof(where), "%s:%d:%d", at->file, n->line, n->col);
    else
        snprintf(where, sizeof(where), "%s", at->file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(at->err, EINVAL, "%s: error: %s%s%s", where, at->path,
                      at->path[0] ? ": " : "", msg);
}

const struct e2_doc_node *e2_doc_get(const struct e2_doc_node *m, const char *key)
{
    if (!m || m->kind != E2_DOC_MAP) return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->items[2 * i]->text ? m->items[2 * i]->text : "", key))
            return m->items[2 * i + 1];
    return NULL;
}

static const char *kind_name(const struct e2_doc_node *n)
{
    static const char *names[] = {"a scalar", "a list", "a mapping"};
    return names[n->kind];
}

static void join_names(char *buf, size_t len, const char *const *names)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

int e2_doc_expect_map(const struct e2_doc_at *at, const struct e2_doc_node *m,
                      const char *const *allowed)
{
    if (!m || m->kind != E2_DOC_MAP)
        return e2_doc_fail(at, m, "expected a mapping, got %s", m ? kind_name(m) : "nothing");
    for (size_t i = 0; i < m->n; i++) {
        const struct e2_doc_node *k = m->items[2 * i];
        if (k->kind != E2_DOC_SCALAR) return e2_doc_fail(at, k, "keys must be scalars");
        for (size_t j = i + 1; j < m->n; j++)
            if (m->items[2 * j]->kind == E2_DOC_SCALAR && !strcmp(k->text, m->items[2 * j]->text))
                return e2_doc_fail(at, m->items[2 * j], "duplicate field \"%s\"", k->text);
        if (!allowed) continue;
        bool ok = false;
        for (size_t a = 0; allowed[a] && !ok; a++) ok = !strcmp(allowed[a], k->text);
        if (!ok) {
            char list[256];
            join_names(list, sizeof(list), allowed);
            return e2_doc_fail(at, k, "unknown field \"%s\" (expected one of %s)", k->text, list);
        }
    }
    return 0;
}

int e2_doc_expect_seq(const struct e2_doc_at *at, const struct e2_doc_node *n)
{
    if (!n || n->kind != E2_DOC_SEQ)
        return e2_doc_fail(at, n, "expected a list, got %s", n ? kind_name(n) : "nothing");
    return 0;
}

static int expect_scalar(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *what)
{
    if (!n || n->kind != E2_DOC_SCALAR || n->is_null)
        return e2_doc_fail(at, n, "expected %s, got %s", what,
                           !n                         ? "nothing"
                           : n->kind == E2_DOC_SCALAR ? "null"
                                                      : kind_name(n));
    return 0;
}

int e2_doc_str(const struct e2_doc_at *at, const struct e2_doc_node *n, char **out)
{
    int rc = expect_scalar(at, n, "a string");
    if (rc) return rc;
    char *s = strdup(n->text);
    if (!s) return e2_err_set(at->err, ENOMEM, "%s: error: out of memory", at->file);
    *out = s;
    return 0;
}

int e2_doc_bool(const struct e2_doc_at *at, const struct e2_doc_node *n, bool *out)
{
    int rc = expect_scalar(at, n, "true or false");
    if (rc) return rc;
    if (!n->quoted && (!strcmp(n->text, "true") || !strcmp(n->text, "false"))) {
        *out = n->text[0] == 't';
        return 0;
    }
    return e2_doc_fail(at, n, "expected true or false, got \"%s\"", n->text);
}

int e2_doc_int(const struct e2_doc_at *at, const struct e2_doc_node *n, int64_t lo, int64_t hi,
               int64_t *out)
{
    int rc = expect_scalar(at, n, "an integer");
    if (rc) return rc;
    char *end;
    errno = 0;
    long long v = strtoll(n->text, &end, 0);
    if (n->quoted || errno || end == n->text || *end)
        return e2_doc_fail(at, n, "expected an integer, got \"%s\"", n->text);
    if (v < lo || v > hi)
        return e2_doc_fail(at, n, "%lld is out of range [%lld, %lld]", v, (long long)lo,
                           (long long)hi);
    *out = v;
    return 0;
}

int e2_doc_double(const struct e2_doc_at *at, const struct e2_doc_node *n, double lo, double hi,
                  double *out)
{
    int rc = expect_scalar(at, n, "a number");
    if (rc) return rc;
    char *end;
    errno = 0;
    double v = strtod(n->text, &end);
    if (n->quoted || errno || end == n->text || *end || v != v)
        return e2_doc_fail(at, n, "expected a number, got \"%s\"", n->text);
    if (v < lo || v > hi) return e2_doc_fail(at, n, "%g is out of range [%g, %g]", v, lo, hi);
    *out = v;
    return 0;
}

int e2_doc_enum(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *const *names,
                int *out)
{
    char list[256];
    join_names(list, sizeof(list), names);
    int rc = expect_scalar(at, n, "a name");
    if (rc) return rc;
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], n->text)) {
            *out = i;
            return 0;
        }
    }
    return e2_doc_fail(at, n, "\"%s\" is not one of %s", n->text, list);
}

int e2_doc_flags(const struct e2_doc_at *at, const struct e2_doc_node *n, const char *const *names,
                 uint32_t *out)
{
    int rc = e2_doc_expect_seq(at, n);
    if (rc) return rc;
    uint32_t bits = 0;
    for (size_t i = 0; i < n->n; i++) {
        struct e2_doc_at ai;
        e2_doc_at_index(&ai, at, i);
        int idx;
        if ((rc = e2_doc_enum(&ai, n->items[i], names, &idx))) return rc;
        if (bits & (1u << idx))
            return e2_doc_fail(&ai, n->items[i], "\"%s\" is listed twice", names[idx]);
        bits |= 1u << idx;
    }
    *out = bits;
    return 0;
}

void e2_strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

int e2_doc_strv(const struct e2_doc_at *at, const struct e2_doc_node *n, char ***out, size_t *count)
{
    int rc = e2_doc_expect_seq(at, n);
    if (rc) return rc;
    char **v = calloc(n->n + 1, sizeof(*v));
    if (!v) return e2_err_set(at->err, ENOMEM, "%s: error: out of memory", at->file);
    for (size_t i = 0; i < n->n; i++) {
        struct e2_doc_at ai;
        e2_doc_at_index(&ai, at, i);
        if ((rc = e2_doc_str(&ai, n->items[i], &v[i]))) {
            e2_strv_free(v);
            return rc;
        }
    }
    *out = v;
    *count = n->n;
    return 0;
}
