/*
 * Inside the filter parser: its state and small helpers, shared by the
 * grammar (e2_filter_parse.c), values with qualifiers (e2_filter_value.c)
 * and arithmetic and attribute terms (e2_filter_arith.c). Not public.
 */
#ifndef E2_FILTER_PARSER_H
#define E2_FILTER_PARSER_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"

#define MAX_DEPTH 200

struct parser {
    const struct e2_toks *t;
    size_t i;
    const struct e2_filter_src *src;
    const struct e2_filter_scope *scope;
    struct e2_err *err;
    int depth;
};

static inline const struct e2_tok *tok(const struct parser *p)
{
    return &p->t->v[p->i];
}

static inline const struct e2_tok *peek(const struct parser *p, size_t k)
{
    size_t j = p->i + k;
    return &p->t->v[j < p->t->n ? j : p->t->n - 1];
}

static inline int fail_at(const struct parser *p, const struct e2_tok *t, int code, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

static inline int fail_at(const struct parser *p, const struct e2_tok *t, int code, const char *fmt,
                          ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(p->err, code, "%s:%d:%d: error: %s", p->src->file, t->line, t->col, msg);
}

static inline int unexpected(const struct parser *p, const char *wanted)
{
    const struct e2_tok *t = tok(p);
    if (t->kind == T_EOF)
        return fail_at(p, t, EINVAL, "expected %s at the end of the filter", wanted);
    if (t->kind == K_UNSUPPORTED)
        return fail_at(p, t, ENOTSUP, "'%.*s' is a libpcap primitive E2 does not support",
                       (int)t->len, t->s);
    return fail_at(p, t, EINVAL, "expected %s, found '%.*s'", wanted, (int)t->len, t->s);
}

static inline bool take(struct parser *p, enum e2_tok_kind k)
{
    if (tok(p)->kind != k) return false;
    p->i++;
    return true;
}

static inline int expect(struct parser *p, enum e2_tok_kind k, const char *what)
{
    return take(p, k) ? 0 : unexpected(p, what);
}

static inline struct e2_ast *node(enum e2_ast_kind kind, struct e2_qual q)
{
    struct e2_ast *a = calloc(1, sizeof(*a));
    if (a) {
        a->kind = kind;
        a->q = q;
    }
    return a;
}

static inline int oom(const struct parser *p)
{
    return e2_err_set(p->err, ENOMEM, "%s: error: out of memory", p->src->file);
}

static inline struct e2_ast *join(enum e2_ast_kind kind, struct e2_ast *l, struct e2_ast *r)
{
    struct e2_ast *a = node(kind, (struct e2_qual){0});
    if (!a) {
        e2_ast_free(l);
        e2_ast_free(r);
        return NULL;
    }
    a->l = l;
    a->r = r;
    return a;
}

static inline bool is_pname(enum e2_tok_kind k)
{
    return k >= K_LINK && k <= K_IGMP;
}

static inline uint8_t pq_of(enum e2_tok_kind k)
{
    return (uint8_t)(PQ_LINK + (k - K_LINK));
}

/* Cross-file entry points of the parser. */
int e2_fp_parse_id(struct parser *p, struct e2_qual q, struct e2_ast **out);
bool e2_fp_is_value(const struct e2_tok *t);
int e2_fp_parse_relation(struct parser *p, struct e2_ast **out);
int e2_fp_parse_tos(struct parser *p, struct e2_ast **out);
int e2_fp_parse_attr(struct parser *p, struct e2_ast **out);

#endif
