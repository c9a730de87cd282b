#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { T_EOF, T_IDENT, T_NUMBER, T_STRING, T_PUNCT };

struct tok {
    enum tok_kind kind;
    const char *start;
    size_t len;
    int line, col;
    double num;
    char punct[3]; /* "::", "->" or one character */
};

struct parser {
    const char *text, *p, *file;
    int line, col;
    struct tok t; /* the current token */
    struct e2_err *err;
    json_t *ops;
    unsigned anon;
};

static int fail(struct parser *ps, const struct tok *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const struct tok *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e2_err_vset(ps->err, EINVAL, fmt, ap);
    va_end(ap);
    return e2_err_prefix(ps->err, "%s:%d:%d: ", ps->file, at->line, at->col);
}

/* ---- lexer ---- */

static void advance(struct parser *ps, size_t n)
{
    for (size_t i = 0; i < n && *ps->p; i++, ps->p++) {
        if (*ps->p == '\n') {
            ps->line++;
            ps->col = 1;
        } else {
            ps->col++;
        }
    }
}

static int skip_space(struct parser *ps)
{
    for (;;) {
        if (isspace((unsigned char)*ps->p)) {
            advance(ps, 1);
        } else if (*ps->p == '#' || (ps->p[0] == '/' && ps->p[1] == '/')) {
            while (*ps->p && *ps->p != '\n') advance(ps, 1);
        } else if (ps->p[0] == '/' && ps->p[1] == '*') {
            struct tok at = {.line = ps->line, .col = ps->col};
            advance(ps, 2);
            while (*ps->p && !(ps->p[0] == '*' && ps->p[1] == '/')) advance(ps, 1);
            if (!*ps->p) return fail(ps, &at, "comment is never closed");
            advance(ps, 2);
        } else {
            return 0;
        }
    }
}

static int lex_number(struct parser *ps, struct tok *t)
{
    char *end;
    t->num = strtod(ps->p, &end);
    size_t n = (size_t)(end - ps->p);
    static const struct {
        char c;
        double f;
    } mult[] = {{'k', 1e3}, {'K', 1e3}, {'M', 1e6}, {'G', 1e9}, {'T', 1e12}};
    for (unsigned i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
        if (*end == mult[i].c && !isalnum((unsigned char)end[1]) && end[1] != '_') {
            t->num *= mult[i].f;
            n++;
            break;
        }
    }
    if (isalpha((unsigned char)ps->p[n]) || ps->p[n] == '_') return fail(ps, t, "malformed number");
    t->kind = T_NUMBER;
    t->len = n;
    advance(ps, n);
    return 0;
}

static int lex_string(struct parser *ps, struct tok *t)
{
    const char *q = ps->p + 1;
    while (*q && *q != '"' && *q != '\n') q += (*q == '\\' && q[1]) ? 2 : 1;
    if (*q != '"') return fail(ps, t, "string is not closed on this line");
    t->kind = T_STRING;
    t->start = ps->p + 1;
    t->len = (size_t)(q - ps->p - 1);
    advance(ps, (size_t)(q - ps->p) + 1);
    return 0;
}

static int next(struct parser *ps)
{
    int rc = skip_space(ps);
    if (rc) return rc;
    struct tok *t = &ps->t;
    memset(t, 0, sizeof(*t));
    t->line = ps->line;
    t->col = ps->col;
    t->start = ps->p;
    char c = *ps->p;
    if (!c) {
        t->kind = T_EOF;
        return 0;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t n = 0;
        while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_') n++;
        t->kind = T_IDENT;
        t->len = n;
        advance(ps, n);
        return 0;
    }
    if (isdigit((unsigned char)c)) return lex_number(ps, t);
    if (c == '"') return lex_string(ps, t);
    t->kind = T_PUNCT;
    if ((c == ':' && ps->p[1] == ':') || (c == '-' && ps->p[1] == '>')) {
        memcpy(t->punct, ps->p, 2);
        advance(ps, 2);
        return 0;
    }
    if (!strchr("()[]{},;=:.-", c)) return fail(ps, t, "unexpected character '%c'", c);
    t->punct[0] = c;
    advance(ps, 1);
    return 0;
}

static bool is_punct(const struct parser *ps, const char *p)
{
    return ps->t.kind == T_PUNCT && strcmp(ps->t.punct, p) == 0;
}

static bool is_word(const struct parser *ps, const char *w)
{
    return ps->t.kind == T_IDENT && ps->t.len == strlen(w) &&
           strncmp(ps->t.start, w, ps->t.len) == 0;
}

static const char *describe(const struct tok *t, char *buf, size_t len)
{
    switch (t->kind) {
    case T_EOF: return "the end of the file";
    case T_PUNCT: snprintf(buf, len, "'%s'", t->punct); return buf;
    default: snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start); return buf;
    }
}

static int expect(struct parser *ps, const char *p, const char *what)
{
    if (!is_punct(ps, p)) {
        char buf[64];
        return fail(ps, &ps->t, "expected '%s' %s, found %s", p, what,
                    describe(&ps->t, buf, sizeof(buf)));
    }
    return next(ps);
}

static int take_ident(struct parser *ps, const char *what, char *out, size_t len)
{
    if (ps->t.kind != T_IDENT) {
        char buf[64];
        return fail(ps, &ps->t, "expected %s, found %s", what, describe(&ps->t, buf, sizeof(buf)));
    }
    if (ps->t.len >= len)
        return fail(ps, &ps->t, "%s is longer than %zu characters", what, len - 1);
    snprintf(out, len, "%.*s", (int)ps->t.len, ps->t.start);
    return next(ps);
}

/* ---- values ---- */

static int parse_value(struct parser *ps, json_t **out);
static int parse_kwargs(struct parser *ps, const char *close, json_t *obj);

static json_t *string_token(const struct tok *t)
{
    char *s = malloc(t->len + 1);
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->start[i];
        if (c == '\\' && i + 1 < t->len) {
            c = t->start[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        s[n++] = c;
    }
    s[n] = '\0';
    json_t *j = json_stringn(s, n);
    free(s);
    return j;
}

static json_t *number_token(double v)
{
    if (v == floor(v) && fabs(v) < 9.007199254740992e15) return json_integer((json_int_t)v);
    return json_real(v);
}

static int parse_list(struct parser *ps, json_t **out)
{
    json_t *arr = json_array();
    int rc = next(ps);
    while (!rc && !is_punct(ps, "]")) {
        json_t *v;
        rc = parse_value(ps, &v);
        if (rc) break;
        json_array_append_new(arr, v);
        if (is_punct(ps, ","))
            rc = next(ps);
        else if (!is_punct(ps, "]"))
            rc = expect(ps, "]", "to close the list");
    }
    if (!rc) rc = next(ps);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

static bool tok_is(const struct tok *t, const char *w)
{
    return t->kind == T_IDENT && t->len == strlen(w) && strncmp(t->start, w, t->len) == 0;
}

/* The JSON of a number, string or word token (@sign applies to numbers). */
static json_t *scalar(const struct tok *t, double sign)
{
    if (t->kind == T_NUMBER) return number_token(sign * t->num);
    if (t->kind == T_STRING) return string_token(t);
    return tok_is(t, "true")    ? json_true()
           : tok_is(t, "false") ? json_false()
           : tok_is(t, "null")  ? json_null()
                                : json_stringn(t->start, t->len);
}

static int parse_object(struct parser *ps, json_t **out)
{
    json_t *obj = json_object();
    int rc = next(ps);
    if (!rc) rc = parse_kwargs(ps, "}", obj);
    if (!rc) rc = next(ps);
    if (rc)
        json_decref(obj);
    else
        *out = obj;
    return rc;
}

static int parse_value(struct parser *ps, json_t **out)
{
    if (is_punct(ps, "[")) return parse_list(ps, out);
    if (is_punct(ps, "{")) return parse_object(ps, out);
    double sign = 1;
    if (is_punct(ps, "-")) {
        int rc = next(ps);
        if (rc) return rc;
        if (ps->t.kind != T_NUMBER) return fail(ps, &ps->t, "expected a number after '-'");
        sign = -1;
    }
    struct tok t = ps->t;
    if (t.kind != T_NUMBER && t.kind != T_STRING && t.kind != T_IDENT) {
        char buf[64];
        return fail(ps, &t, "expected a value, found %s", describe(&t, buf, sizeof(buf)));
    }
    /* Move on first: an error in what follows then leaves nothing to free. */
    int rc = next(ps);
    if (!rc) *out = scalar(&t, sign);
    return rc;
}

/* The token that ends a list of arguments: @close, or the end of the text for "". */
static bool at_close(const struct parser *ps, const char *close)
{
    return close[0] ? is_punct(ps, close) : ps->t.kind == T_EOF;
}

/* name=value, ... up to (not including) @close */
static int parse_kwargs(struct parser *ps, const char *close, json_t *obj)
{
    while (!at_close(ps, close)) {
        struct tok key = ps->t;
        char name[64];
        int rc = take_ident(ps, "an argument name", name, sizeof(name));
        if (rc) return rc;
        if (json_object_get(obj, name)) return fail(ps, &key, "argument '%s' is given twice", name);
        if (is_punct(ps, "=") || is_punct(ps, ":"))
            rc = next(ps);
        else
            rc = expect(ps, "=", "after the argument name");
        if (rc) return rc;
        json_t *v;
        rc = parse_value(ps, &v);
        if (rc) return rc;
        json_object_set_new(obj, name, v);
        if (is_punct(ps, ",")) {
            rc = next(ps);
            if (rc) return rc;
        } else if (!at_close(ps, close)) {
            char buf[64];
            return fail(ps, &ps->t, "expected ',' or '%s' in the arguments, found %s",
                        close[0] ? close : "the end", describe(&ps->t, buf, sizeof(buf)));
        }
    }
    return 0;
}

/* '(' kwargs ')' into a new object */
static int parse_call_args(struct parser *ps, json_t **out)
{
    int rc = expect(ps, "(", "to open the arguments");
    if (rc) return rc;
    json_t *obj = json_object();
    rc = parse_kwargs(ps, ")", obj);
    if (!rc) rc = next(ps);
    if (rc)
        json_decref(obj);
    else
        *out = obj;
    return rc;
}

/* ---- statements ---- */

/* "(args);" ending a statement: the arguments, or NULL and an error. */
static int parse_call_tail(struct parser *ps, json_t **args)
{
    *args = NULL;
    int rc = parse_call_args(ps, args);
    if (!rc) rc = expect(ps, ";", "at the end of the statement");
    if (rc) {
        json_decref(*args);
        *args = NULL;
    }
    return rc;
}

static void emit(struct parser *ps, const struct tok *at, json_t *req)
{
    char where[300];
    snprintf(where, sizeof(where), "%s:%d:%d", ps->file, at->line, at->col);
    json_object_set_new(req, "at", json_string(where));
    json_array_append_new(ps->ops, req);
}

/*
 * KEYWORD NAME(args);  or, with @task_key, KEYWORD NAME.TASK(args);
 * -> one request {op, @name_key: NAME, [@task_key: TASK,] args...}.
 * Without @name_key: KEYWORD(args); -> {op, args...}.
 */
static int parse_keyword(struct parser *ps, const char *op, const char *name_key, const char *what,
                         const char *task_key)
{
    struct tok at = ps->t;
    int rc = next(ps);
    char name[64] = "";
    if (!rc && name_key) rc = take_ident(ps, what, name, sizeof(name));
    json_int_t task = 0;
    if (!rc && task_key && is_punct(ps, ".")) {
        rc = next(ps);
        if (!rc && ps->t.kind != T_NUMBER)
            rc = fail(ps, &ps->t, "expected a task number after '.'");
        task = (json_int_t)ps->t.num;
        if (!rc) rc = next(ps);
    }
    json_t *args = NULL;
    if (!rc) rc = parse_call_tail(ps, &args);
    if (rc) return rc;
    json_object_set_new(args, "op", json_string(op));
    if (name_key) json_object_set_new(args, name_key, json_string(name));
    if (task_key) json_object_set_new(args, task_key, json_integer(task));
    emit(ps, &at, args);
    return 0;
}

struct elem {
    char name[64];
    long igate, ogate; /* -1: not given */
};

static int parse_gate(struct parser *ps, long *gate)
{
    int rc = next(ps);
    if (rc) return rc;
    if (ps->t.kind != T_NUMBER || ps->t.num < 0 || ps->t.num != floor(ps->t.num))
        return fail(ps, &ps->t, "expected a gate number inside '[ ]'");
    *gate = (long)ps->t.num;
    rc = next(ps);
    return rc ? rc : expect(ps, "]", "after the gate number");
}

/* [igate] NAME | [igate] NAME :: Type(args) | [igate] Type(args), then [ogate] */
static int parse_elem(struct parser *ps, struct elem *e)
{
    e->igate = e->ogate = -1;
    int rc = 0;
    if (is_punct(ps, "[")) rc = parse_gate(ps, &e->igate);
    if (rc) return rc;
    struct tok at = ps->t;
    char first[64];
    rc = take_ident(ps, "a module name or type", first, sizeof(first));
    if (rc) return rc;
    char type[64] = "";
    if (is_punct(ps, "::")) {
        rc = next(ps);
        if (!rc) rc = take_ident(ps, "a module type after '::'", type, sizeof(type));
        snprintf(e->name, sizeof(e->name), "%s", first);
    } else if (is_punct(ps, "(")) {
        snprintf(type, sizeof(type), "%s", first);
        char lower[40];
        size_t i = 0;
        for (; first[i] && i + 1 < sizeof(lower); i++)
            lower[i] = (char)tolower((unsigned char)first[i]);
        lower[i] = '\0';
        snprintf(e->name, sizeof(e->name), "%s_%d_%d", lower, at.line, at.col);
    } else {
        snprintf(e->name, sizeof(e->name), "%s", first);
    }
    if (!rc && type[0]) {
        json_t *args = NULL;
        rc = parse_call_args(ps, &args);
        if (rc) return rc;
        emit(ps, &at,
             json_pack("{s:s, s:s, s:s, s:o}", "op", "module_create", "name", e->name, "type", type,
                       "args", args));
    }
    if (!rc && is_punct(ps, "[")) rc = parse_gate(ps, &e->ogate);
    return rc;
}

static int parse_chain(struct parser *ps)
{
    struct elem prev;
    int rc = parse_elem(ps, &prev);
    while (!rc && is_punct(ps, "->")) {
        struct tok at = ps->t;
        rc = next(ps);
        struct elem cur;
        if (!rc) rc = parse_elem(ps, &cur);
        if (rc) break;
        emit(ps, &at,
             json_pack("{s:s, s:s, s:i, s:s, s:i}", "op", "connect", "from", prev.name, "ogate",
                       (int)(prev.ogate < 0 ? 0 : prev.ogate), "to", cur.name, "igate",
                       (int)(cur.igate < 0 ? 0 : cur.igate)));
        prev = cur;
    }
    return rc ? rc : expect(ps, ";", "at the end of the statement");
}

/* MODULE.command(args); */
static int parse_command(struct parser *ps)
{
    struct tok at = ps->t;
    char module[64], cmd[64];
    int rc = take_ident(ps, "a module name", module, sizeof(module));
    if (!rc) rc = expect(ps, ".", "between module and command");
    if (!rc) rc = take_ident(ps, "a command name", cmd, sizeof(cmd));
    json_t *args = NULL;
    if (!rc) rc = parse_call_tail(ps, &args);
    if (rc) return rc;
    emit(ps, &at,
         json_pack("{s:s, s:s, s:s, s:o}", "op", "module_cmd", "module", module, "cmd", cmd, "arg",
                   args));
    return 0;
}

/* Is the current identifier followed by '.' (a command)? Look ahead without consuming. */
static bool command_ahead(const struct parser *ps)
{
    const char *q = ps->p;
    while (isspace((unsigned char)*q)) q++;
    return *q == '.';
}

/* Statements that start with a keyword, and the request each becomes. */
static const struct keyword {
    const char *word, *op, *name_key, *what, *task_key;
} keywords[] = {
    {"port", "port_create", "name", "a port name", NULL},
    {"tc", "tc_create", "name", "a class name", NULL},
    {"attach", "attach", "module", "a module name", "task"},
    {"track", "track", "name", "a module name", NULL},
    {"tag", "tag_define", NULL, NULL, NULL},
    {"nf", "nf_create", "name", "an NF name", NULL},
};

static int parse_statement(struct parser *ps)
{
    bool cmd = ps->t.kind == T_IDENT && command_ahead(ps);
    for (size_t k = 0; !cmd && k < sizeof(keywords) / sizeof(keywords[0]); k++)
        if (is_word(ps, keywords[k].word))
            return parse_keyword(ps, keywords[k].op, keywords[k].name_key, keywords[k].what,
                                 keywords[k].task_key);
    return cmd ? parse_command(ps) : parse_chain(ps);
}

int e2_conf_compile(const char *text, const char *file, json_t **ops, struct e2_err *err)
{
    struct parser ps = {.text = text,
                        .p = text,
                        .file = file,
                        .line = 1,
                        .col = 1,
                        .err = err,
                        .ops = json_array()};
    int rc = next(&ps);
    while (!rc && ps.t.kind != T_EOF) rc = parse_statement(&ps);
    if (rc) {
        json_decref(ps.ops);
        return rc;
    }
    *ops = ps.ops;
    return 0;
}

int e2_conf_parse_args(const char *text, json_t **obj, struct e2_err *err)
{
    struct parser ps = {
        .text = text, .p = text, .file = "arguments", .line = 1, .col = 1, .err = err};
    json_t *o = json_object();
    int rc = next(&ps);
    if (!rc) rc = parse_kwargs(&ps, "", o);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *obj = o;
    return 0;
}
