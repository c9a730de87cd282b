/*
 * The policy parser: a hand-written lexer and recursive descent over the
 * Appendix grammar. Filters and rates are captured as raw text (brackets
 * balanced, so tcp[13] inside a filter is fine) with their start positions.
 */
#include "e2_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_doc.h"
#include "e2_units.h"

struct pp {
    const char *p, *end;
    int line, col;
    const char *file;
    struct e2_err *err;
    struct e2_policy *pol;
};

static int fail(const struct pp *s, struct e2_pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct pp *s, struct e2_pos at, const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(s->err, EINVAL, "%s:%d:%d: error: %s", s->file, at.line, at.col, msg);
}

static struct e2_pos here(const struct pp *s)
{
    return (struct e2_pos){s->line, s->col};
}

static void step(struct pp *s)
{
    if (s->p >= s->end) return;
    if (*s->p == '\n') {
        s->line++;
        s->col = 1;
    } else {
        s->col++;
    }
    s->p++;
}

static bool at(const struct pp *s, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(s->end - s->p) >= n && !memcmp(s->p, lit, n);
}

static int skip_space(struct pp *s)
{
    for (;;) {
        while (s->p < s->end && isspace((unsigned char)*s->p)) step(s);
        if (at(s, "//")) {
            while (s->p < s->end && *s->p != '\n') step(s);
        } else if (at(s, "/*")) {
            struct e2_pos start = here(s);
            step(s);
            step(s);
            while (s->p < s->end && !at(s, "*/")) step(s);
            if (s->p >= s->end) return fail(s, start, "unterminated comment");
            step(s);
            step(s);
        } else {
            return 0;
        }
    }
}

static const char *describe_next(const struct pp *s, char *buf, size_t len)
{
    if (s->p >= s->end) return "the end of the file";
    size_t n = 0;
    while (s->p + n < s->end && n < 20 && !isspace((unsigned char)s->p[n])) n++;
    snprintf(buf, len, "'%.*s'", (int)(n ? n : 1), s->p);
    return buf;
}

static int expected(const struct pp *s, const char *what)
{
    char buf[32];
    return fail(s, here(s), "expected %s, found %s", what, describe_next(s, buf, sizeof(buf)));
}

static int expect_char(struct pp *s, char c, const char *what)
{
    int rc = skip_space(s);
    if (rc) return rc;
    if (s->p >= s->end || *s->p != c) return expected(s, what);
    step(s);
    return 0;
}

static int ident(struct pp *s, char **out, struct e2_pos *pos, const char *what)
{
    int rc = skip_space(s);
    if (rc) return rc;
    *pos = here(s);
    if (s->p >= s->end || !(isalpha((unsigned char)*s->p) || *s->p == '_'))
        return expected(s, what);
    const char *start = s->p;
    while (s->p < s->end && (isalnum((unsigned char)*s->p) || *s->p == '_')) step(s);
    *out = strndup(start, (size_t)(s->p - start));
    return *out ? 0 : e2_err_set(s->err, ENOMEM, "out of memory");
}

static int number(struct pp *s, unsigned *out)
{
    int rc = skip_space(s);
    if (rc) return rc;
    if (s->p >= s->end || !isdigit((unsigned char)*s->p)) return expected(s, "a port number");
    unsigned long v = 0;
    struct e2_pos start = here(s);
    while (s->p < s->end && isdigit((unsigned char)*s->p)) {
        v = v * 10 + (unsigned long)(*s->p - '0');
        if (v > 65535) return fail(s, start, "port number out of range (0-65535)");
        step(s);
    }
    *out = (unsigned)v;
    return 0;
}

/* Text up to the matching @close, brackets of the same kind nested. */
static int bracketed(struct pp *s, char open, char close, struct e2_text *out)
{
    struct e2_pos start = here(s);
    step(s); /* open */
    out->pos = here(s);
    const char *begin = s->p;
    int depth = 1;
    while (s->p < s->end) {
        if (*s->p == open) depth++;
        if (*s->p == close && --depth == 0) break;
        step(s);
    }
    if (s->p >= s->end) return fail(s, start, "'%c' is never closed", open);
    out->text = strndup(begin, (size_t)(s->p - begin));
    step(s); /* close */
    return out->text ? 0 : e2_err_set(s->err, ENOMEM, "out of memory");
}

static int optional_bracket(struct pp *s, char open, char close, struct e2_text *out)
{
    int rc = skip_space(s);
    if (rc || s->p >= s->end || *s->p != open) return rc;
    return bracketed(s, open, close, out);
}

static void edge_free(struct e2_edge_src *e)
{
    free(e->src);
    free(e->dst);
    free(e->filter_out.text);
    free(e->bw.text);
    free(e->filter_in.text);
}

static int parse_bw(struct pp *s, struct e2_edge_src *e)
{
    char *t = e->bw.text;
    while (isspace((unsigned char)*t)) t++;
    char *end = t + strlen(t);
    while (end > t && isspace((unsigned char)end[-1])) *--end = '\0';
    if (e2_rate_parse(t, &e->bw_bps))
        return fail(s, e->bw.pos, "'%s' is not a rate (e.g. 10Gbps, 500 Mbit/s)", t);
    return 0;
}

/* src [filter_out] -> (bw) [filter_in] dst ; */
static int parse_edge(struct pp *s, struct e2_pipelet *pl)
{
    struct e2_edge_src e = {0};
    int rc = ident(s, &e.src, &e.src_pos, "a node name or '}'");
    e.pos = e.src_pos;
    if (!rc) rc = optional_bracket(s, '[', ']', &e.filter_out);
    if (!rc && !(rc = skip_space(s)) && !at(s, "->")) rc = expected(s, "'->'");
    if (!rc) {
        step(s);
        step(s);
        rc = optional_bracket(s, '(', ')', &e.bw);
    }
    if (!rc && e.bw.text) rc = parse_bw(s, &e);
    if (!rc) rc = optional_bracket(s, '[', ']', &e.filter_in);
    if (!rc) rc = ident(s, &e.dst, &e.dst_pos, "a destination node name");
    if (!rc) rc = expect_char(s, ';', "';' after the edge");
    struct e2_edge_src *v = rc ? NULL : realloc(pl->edges, (pl->n_edges + 1) * sizeof(*v));
    if (!rc && !v) rc = e2_err_set(s->err, ENOMEM, "out of memory");
    if (rc) {
        edge_free(&e);
        return rc;
    }
    pl->edges = v;
    v[pl->n_edges++] = e;
    return 0;
}

static int add_pipelet(struct pp *s, struct e2_pipelet *pl)
{
    struct e2_pipelet *v = realloc(s->pol->pipelets, (s->pol->n_pipelets + 1) * sizeof(*v));
    if (!v) return e2_err_set(s->err, ENOMEM, "out of memory");
    s->pol->pipelets = v;
    v[s->pol->n_pipelets++] = *pl;
    return 0;
}

static void pipelet_free(struct e2_pipelet *pl)
{
    for (size_t i = 0; i < pl->n_edges; i++) edge_free(&pl->edges[i]);
    free(pl->edges);
    free(pl->name);
}

static int parse_pipelet(struct pp *s, struct e2_pos pos)
{
    struct e2_pipelet pl = {.pos = pos};
    int rc = skip_space(s);
    struct e2_pos np;
    if (!rc && s->p < s->end && *s->p != '{') rc = ident(s, &pl.name, &np, "a pipelet name or '{'");
    if (!rc) rc = expect_char(s, '{', "'{'");
    while (!rc && !(rc = skip_space(s)) && s->p < s->end && *s->p != '}') rc = parse_edge(s, &pl);
    if (!rc) rc = expect_char(s, '}', "'}' closing the pipelet");
    if (!rc) rc = add_pipelet(s, &pl);
    if (rc) pipelet_free(&pl);
    return rc;
}

static int add_decl(struct pp *s, struct e2_decl *d)
{
    struct e2_decl *v = realloc(s->pol->decls, (s->pol->n_decls + 1) * sizeof(*v));
    if (!v) return e2_err_set(s->err, ENOMEM, "out of memory");
    s->pol->decls = v;
    v[s->pol->n_decls++] = *d;
    return 0;
}

/* Port<A> name;  or  Port<A-B> name; */
static int parse_port(struct pp *s, struct e2_decl *d)
{
    d->kind = E2_DECL_PORT;
    int rc = expect_char(s, '<', "'<' after Port (Port<0-7> name;)");
    if (!rc) rc = number(s, &d->port_lo);
    d->port_hi = d->port_lo;
    if (!rc && !(rc = skip_space(s)) && s->p < s->end && *s->p == '-') {
        struct e2_pos hp;
        step(s);
        rc = skip_space(s);
        hp = here(s);
        if (!rc) rc = number(s, &d->port_hi);
        if (!rc && d->port_hi < d->port_lo)
            rc = fail(s, hp, "port range %u-%u is empty", d->port_lo, d->port_hi);
    }
    if (!rc) rc = expect_char(s, '>', "'>' closing the port range");
    struct e2_pos np;
    if (!rc) rc = ident(s, &d->name, &np, "a name for the ports");
    if (!rc) d->pos = np;
    return rc ? rc : expect_char(s, ';', "';'");
}

/* Address name PREFIX; */
static int parse_address(struct pp *s, struct e2_decl *d)
{
    d->kind = E2_DECL_ADDRESS;
    int rc = ident(s, &d->name, &d->pos, "an address name");
    if (!rc) rc = skip_space(s);
    if (rc) return rc;
    struct e2_pos vp = here(s);
    const char *begin = s->p;
    while (s->p < s->end && *s->p != ';' && !isspace((unsigned char)*s->p)) step(s);
    char *text = strndup(begin, (size_t)(s->p - begin));
    if (!text) return e2_err_set(s->err, ENOMEM, "out of memory");
    if (!*text || e2_addr_parse(text, &d->addr))
        rc = fail(s, vp, "'%s' is not an address or prefix (10.0.0.0/8, 2001:db8::/32)", text);
    free(text);
    return rc ? rc : expect_char(s, ';', "';' after the address");
}

static void decl_free(struct e2_decl *d)
{
    free(d->type);
    free(d->name);
}

static int parse_item(struct pp *s)
{
    struct e2_decl d = {0};
    struct e2_pos pos;
    int rc = ident(s, &d.type, &pos, "a declaration or 'pipelet'");
    if (rc) return rc;
    d.type_pos = pos;
    if (!strcmp(d.type, "pipelet")) {
        free(d.type);
        return parse_pipelet(s, pos);
    }
    if (!strcmp(d.type, "Port")) {
        rc = parse_port(s, &d);
    } else if (!strcmp(d.type, "Address")) {
        rc = parse_address(s, &d);
    } else if (!strcmp(d.type, "Drop")) {
        rc = fail(s, pos, "Drop is predefined: use it directly ('f [!FW.safe] -> Drop;')");
    } else {
        d.kind = E2_DECL_NF;
        rc = ident(s, &d.name, &d.pos, "an instance name (NAT n;)");
        if (!rc) rc = expect_char(s, ';', "';' after the declaration");
    }
    if (!rc) rc = add_decl(s, &d);
    if (rc) decl_free(&d);
    return rc;
}

int e2_policy_parse(const char *text, size_t len, const char *file, struct e2_policy **out,
                    struct e2_err *err)
{
    struct e2_policy *pol = calloc(1, sizeof(*pol));
    if (!pol || !(pol->file = strdup(file))) {
        free(pol);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    struct pp s = {text, text + len, 1, 1, file, err, pol};
    int rc;
    while (!(rc = skip_space(&s)) && s.p < s.end)
        if ((rc = parse_item(&s))) break;
    if (rc) {
        e2_policy_free(pol);
        return rc;
    }
    *out = pol;
    return 0;
}

int e2_policy_load(const char *path, struct e2_policy **out, struct e2_err *err)
{
    char *text;
    size_t len;
    int rc = e2_doc_read_file(path, &text, &len, err);
    if (rc) return rc;
    if (memchr(text, '\0', len)) {
        free(text);
        return e2_err_set(err, EINVAL, "%s: error: the policy contains a NUL byte", path);
    }
    rc = e2_policy_parse(text, len, path, out, err);
    free(text);
    return rc;
}

void e2_policy_free(struct e2_policy *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_decls; i++) decl_free(&p->decls[i]);
    for (size_t i = 0; i < p->n_pipelets; i++) pipelet_free(&p->pipelets[i]);
    free(p->decls);
    free(p->pipelets);
    free(p->file);
    free(p);
}

int e2_addr_parse(const char *text, struct e2_addr *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(text) >= sizeof(buf)) return -EINVAL;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        prefix = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || prefix < 0) return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->bytes) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, out->bytes) == 1)
        out->family = AF_INET6;
    else
        return -EINVAL;
    unsigned full = out->family == AF_INET ? 32 : 128;
    if (prefix > (long)full) return -EINVAL;
    out->prefix = prefix < 0 ? full : (unsigned)prefix;
    for (unsigned b = out->prefix; b < full; b++)
        if (out->bytes[b / 8] & (0x80 >> (b % 8))) return -EINVAL; /* host bits set */
    return 0;
}
