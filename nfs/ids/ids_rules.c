/* The IDS's rule files: a subset of Snort's rule language (ids.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_conf.h"
#include "ids.h"

#define VALUE_MAX (SIG_CONTENT_MAX * 4 + 64) /* a content written as |hex| */

struct ruleset {
    struct ids_rule *rules;
    unsigned n, cap;
};

static void ruleset_free(void *p)
{
    struct ruleset *rs = p;
    if (rs) free(rs->rules);
    free(rs);
}

struct ids_rule *ids_rules_of(const struct sig_rules *r, unsigned *n)
{
    struct ruleset *rs = sig_rules_aux(r);
    *n = rs->n;
    return rs->rules;
}

/* ---- the header: alert PROTO SRC SPORT DIR DST DPORT ---- */

static const char *unnegated(const char *text, bool *negated)
{
    *negated = text[0] == '!';
    return text + *negated;
}

static int not_a_list(const char *text, const char *what, struct e2_err *err)
{
    if (text[0] == '$')
        return e2_err_set(err, EINVAL, "variables ('%s') are not supported: write the %s", text,
                          what);
    if (text[0] == '[')
        return e2_err_set(err, EINVAL, "lists ('%s') are not supported: one rule per %s", text,
                          what);
    return 0;
}

static int parse_addr(const char *text, struct ids_addr *a, struct e2_err *err)
{
    const char *t = unnegated(text, &a->negated);
    if (not_a_list(t, "address", err)) return err->code;
    return e2_conf_prefix(t, &a->ip, &a->len, err);
}

static int parse_ports(const char *text, struct ids_ports *p, struct e2_err *err)
{
    const char *t = unnegated(text, &p->negated);
    if (not_a_list(t, "port", err)) return err->code;
    return e2_conf_port_range(t, &p->lo, &p->hi, err);
}

static int parse_header(const struct e2_conf_line *l, struct ids_rule *r, struct e2_err *err)
{
    if (l->argc < 8 || l->argv[7][0] != '(')
        return e2_err_set(err, EINVAL, "a rule is ACTION PROTO SRC SPORT -> DST DPORT (OPTIONS)");
    if (strcmp(l->argv[0], "alert"))
        return e2_err_set(err, EINVAL, "'%s' is not an action of this subset (alert)", l->argv[0]);
    if (!strcmp(l->argv[1], "tcp"))
        r->proto = 6;
    else if (!strcmp(l->argv[1], "udp"))
        r->proto = 17;
    else
        return e2_err_set(err, EINVAL, "'%s' is not a protocol of this subset (tcp, udp)",
                          l->argv[1]);
    if (strcmp(l->argv[4], "->") && strcmp(l->argv[4], "<>"))
        return e2_err_set(err, EINVAL, "'%s' is not a direction (-> or <>)", l->argv[4]);
    r->bidir = l->argv[4][0] == '<';
    if (parse_addr(l->argv[2], &r->src, err) || parse_ports(l->argv[3], &r->sport, err) ||
        parse_addr(l->argv[5], &r->dst, err) || parse_ports(l->argv[6], &r->dport, err))
        return err->code;
    return 0;
}

/* ---- the options: (name[:value]; ...) ---- */

struct build {
    struct ids_rule *r;
    uint8_t content[SIG_CONTENT_MAX];
    size_t content_len;
    bool nocase, has_msg, has_sid, has_rev, has_offset, has_depth, has_priority;
};

/*
 * The value at *@p up to a ';' (unescaped, outside quotes) into @out: blanks
 * around it and a pair of quotes go, \; \\ \" become ; \ ". *@p is left
 * on the ';'.
 */
static int read_value(const char **p, char *out, struct e2_err *err)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = 0;
    bool quoted = *s == '"', closed = false;
    if (quoted) s++;
    for (; *s && (*s != ';' || (quoted && !closed)); s++) {
        if (quoted && closed && *s != ' ' && *s != '\t')
            return e2_err_set(err, EINVAL, "text after a quoted value");
        if (*s == '\\' && (s[1] == ';' || s[1] == '\\' || s[1] == '"'))
            s++;
        else if (quoted && *s == '"') {
            closed = true;
            continue;
        }
        if (closed) continue;
        if (n == VALUE_MAX - 1) return e2_err_set(err, E2BIG, "a value is too long");
        out[n++] = *s;
    }
    if (quoted && !closed) return e2_err_set(err, EINVAL, "a quoted value is not closed");
    while (n && !quoted && (out[n - 1] == ' ' || out[n - 1] == '\t')) n--;
    out[n] = '\0';
    *p = s;
    return 0;
}

static int once(bool *seen, const char *name, struct e2_err *err)
{
    if (*seen) return e2_err_set(err, EINVAL, "'%s' is given twice", name);
    *seen = true;
    return 0;
}

static int number(const char *v, const char *name, uint64_t min, uint64_t max, uint64_t *out,
                  struct e2_err *err)
{
    return e2_conf_uint(v, name, min, max, out, err) ? err->code : 0;
}

/* A modifier of the content: after it. */
static int modifier(struct build *b, const char *name, bool *seen, struct e2_err *err)
{
    if (!b->content_len) return e2_err_set(err, EINVAL, "'%s' needs a content before it", name);
    return once(seen, name, err);
}

static int content(struct build *b, const char *v, struct e2_err *err)
{
    if (b->content_len) return e2_err_set(err, EINVAL, "one content per rule (this subset)");
    if (v[0] == '!') return e2_err_set(err, EINVAL, "negated content is not supported");
    return sig_content_decode(v, b->content, &b->content_len, err);
}

static int option(struct build *b, const char *name, const char *v, struct e2_err *err)
{
    struct ids_rule *r = b->r;
    uint64_t x;
    if (!strcmp(name, "msg")) {
        if (once(&b->has_msg, name, err)) return err->code;
        snprintf(r->msg, sizeof(r->msg), "%s", v);
    } else if (!strcmp(name, "content")) {
        return content(b, v, err);
    } else if (!strcmp(name, "nocase")) {
        return modifier(b, name, &b->nocase, err);
    } else if (!strcmp(name, "offset") || !strcmp(name, "depth")) {
        bool is_offset = name[0] == 'o';
        if (modifier(b, name, is_offset ? &b->has_offset : &b->has_depth, err) ||
            number(v, name, is_offset ? 0 : 1, 1u << 30, &x, err))
            return err->code;
        *(is_offset ? &r->offset : &r->depth) = (uint32_t)x;
    } else if (!strcmp(name, "sid") || !strcmp(name, "rev") || !strcmp(name, "priority")) {
        bool *seen = name[0] == 's' ? &b->has_sid : name[0] == 'r' ? &b->has_rev : &b->has_priority;
        if (once(seen, name, err) || number(v, name, 1, UINT32_MAX, &x, err)) return err->code;
        *(name[0] == 's' ? &r->sid : name[0] == 'r' ? &r->rev : &r->priority) = (unsigned)x;
    } else if (strcmp(name, "classtype") && strcmp(name, "reference") && strcmp(name, "metadata")) {
        return e2_err_set(err, EINVAL,
                          "option '%s' is not supported (this subset: msg, content, nocase, "
                          "offset, depth, sid, rev, priority, classtype, reference, metadata)",
                          name);
    }
    return 0;
}

/* The options after the '(' at @p, to the ')' that ends them. */
static int parse_options(const char *p, struct build *b, struct e2_err *err)
{
    static char value[VALUE_MAX];
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p == ')') break;
        if (!*p || *p == '\r') return e2_err_set(err, EINVAL, "the options lack their closing ')'");
        char name[32];
        size_t n = 0;
        while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(name) - 1) name[n++] = *p++;
        name[n] = '\0';
        while (*p == ' ' || *p == '\t') p++;
        if (!n || (*p != ':' && *p != ';'))
            return e2_err_set(err, EINVAL, "expected an option (name:value;) at '%.20s'", p);
        value[0] = '\0';
        if (*p == ':') {
            p++;
            if (read_value(&p, value, err)) return err->code;
        }
        if (*p++ != ';') return e2_err_set(err, EINVAL, "option '%s' lacks its ';'", name);
        if (option(b, name, value, err)) return err->code;
    }
    for (p++; *p == ' ' || *p == '\t' || *p == '\r'; p++) {
    }
    if (*p && *p != '#') return e2_err_set(err, EINVAL, "text after the options: '%.20s'", p);
    return 0;
}

static int check(const struct build *b, struct e2_err *err)
{
    const struct ids_rule *r = b->r;
    if (!b->has_sid) return e2_err_set(err, EINVAL, "a rule needs a sid");
    if (!b->content_len) return e2_err_set(err, EINVAL, "a rule needs a content");
    if (r->depth && r->depth < b->content_len)
        return e2_err_set(err, EINVAL, "depth %u is shorter than the content (%zu bytes)", r->depth,
                          b->content_len);
    return 0;
}

/* ---- the file ---- */

static int add_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct sig_rules *set = ctx;
    struct ruleset *rs = sig_rules_aux(set);
    if (rs->n == rs->cap) {
        unsigned cap = rs->cap ? rs->cap * 2 : 64;
        struct ids_rule *p = realloc(rs->rules, cap * sizeof(*p));
        if (!p) return e2_err_set(err, ENOMEM, "out of memory");
        rs->rules = p;
        rs->cap = cap;
    }
    struct ids_rule *r = &rs->rules[rs->n];
    *r = (struct ids_rule){.rev = 1, .line = l->line};
    struct build b = {.r = r};
    if (parse_header(l, r, err) || parse_options(strchr(l->text, '(') + 1, &b, err) ||
        check(&b, err))
        return err->code;
    r->content_len = (uint32_t)b.content_len;
    char name[SIG_NAME_MAX];
    snprintf(name, sizeof(name), "sid:%u", r->sid);
    if (sig_rules_add(set, name, b.content, b.content_len, b.nocase, l->line, err))
        return err->code;
    rs->n++;
    return 0;
}

int ids_rules_parse(const char *text, const char *name, enum sig_engine engine,
                    struct sig_rules **out, struct e2_err *err)
{
    struct ruleset *rs = calloc(1, sizeof(*rs));
    struct sig_rules *set = rs ? sig_rules_new(engine, rs, ruleset_free) : NULL;
    if (!set) {
        free(rs);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    return sig_rules_read(set, text, name, add_line, out, err);
}

int ids_rules_load(const char *path, enum sig_engine engine, struct sig_rules **out,
                   struct e2_err *err)
{
    return ids_rules_parse(NULL, path, engine, out, err);
}
