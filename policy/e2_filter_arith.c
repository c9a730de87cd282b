/*
 * Arithmetic comparisons (libpcap's arth: loads such as tcp[13], len,
 * constants and + - * / % & | ^ << >> with libpcap's precedences), E2's
 * `tos N`, and E2's attribute terms (FW.safe, IDS.verdict == 2, ...).
 */
#include "e2_filter_parser.h"

/* ---- arithmetic (libpcap's arth) ---- */

static struct e2_arith *arith(enum e2_arith_kind kind)
{
    struct e2_arith *a = calloc(1, sizeof(*a));
    if (a) a->kind = kind;
    return a;
}

static int parse_arith(struct parser *p, int level, struct e2_arith **out);

static int parse_load(struct parser *p, struct e2_arith **out)
{
    const struct e2_tok *pt = tok(p);
    p->i++;
    if (expect(p, T_LB, "'['")) return -EINVAL;
    struct e2_arith *idx, *a;
    int rc = parse_arith(p, 0, &idx);
    if (rc) return rc;
    uint32_t size = 1;
    if (take(p, T_COLON)) {
        const struct e2_tok *st = tok(p);
        if ((rc = expect(p, T_NUM, "a size (1, 2 or 4)"))) goto fail;
        size = st->num;
        if (size != 1 && size != 2 && size != 4) {
            rc = fail_at(p, st, EINVAL, "data size must be 1, 2, or 4");
            goto fail;
        }
    }
    if ((rc = expect(p, T_RB, "']'"))) goto fail;
    if (!(a = arith(AR_LOAD))) {
        rc = oom(p);
        goto fail;
    }
    a->pq = pq_of(pt->kind);
    a->size = (uint8_t)size;
    a->a = idx;
    *out = a;
    return 0;
fail:
    e2_arith_free(idx);
    return rc;
}

static int parse_primary(struct parser *p, struct e2_arith **out)
{
    const struct e2_tok *t = tok(p);
    if (++p->depth > MAX_DEPTH) return fail_at(p, t, EINVAL, "filter nested too deeply");
    int rc = 0;
    struct e2_arith *a = NULL;
    if (t->kind == T_NUM || t->kind == K_LEN) {
        p->i++;
        if (!(a = arith(t->kind == T_NUM ? AR_NUM : AR_LEN))) rc = oom(p);
        if (a) a->num = t->num;
    } else if (is_pname(t->kind) && peek(p, 1)->kind == T_LB) {
        rc = parse_load(p, &a);
    } else if (t->kind == T_LP) {
        p->i++;
        rc = parse_arith(p, 0, &a);
        if (!rc && (rc = expect(p, T_RP, "')'"))) e2_arith_free(a);
    } else if (t->kind == T_MINUS) {
        p->i++;
        struct e2_arith *x;
        if (!(rc = parse_primary(p, &x)) && !(a = arith(AR_NEG))) {
            e2_arith_free(x);
            rc = oom(p);
        }
        if (a) a->a = x;
    } else {
        rc = unexpected(p, "a number, len or a load such as ip[0]");
    }
    p->depth--;
    if (!rc) *out = a;
    return rc;
}

struct binop {
    enum e2_tok_kind tok;
    char op;
    int level;
};

/* libpcap: | and ^ lowest, then &, then << >>, then + -, then * / %. */
static const struct binop binops[] = {
    {T_PIPE, '|', 1}, {T_CARET, '^', 1}, {T_AMP, '&', 2},  {T_LSH, '<', 3},   {T_RSH, '>', 3},
    {T_PLUS, '+', 4}, {T_MINUS, '-', 4}, {T_STAR, '*', 5}, {T_SLASH, '/', 5}, {T_MOD, '%', 5},
};

static const struct binop *binop_of(enum e2_tok_kind k)
{
    for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
        if (binops[i].tok == k) return &binops[i];
    return NULL;
}

static int check_const_rhs(struct parser *p, const struct e2_tok *t, char op,
                           const struct e2_arith *b)
{
    if (b->kind != AR_NUM) return 0;
    if ((op == '/' || op == '%') && b->num == 0) return fail_at(p, t, EINVAL, "division by zero");
    if ((op == '<' || op == '>') && b->num > 31)
        return fail_at(p, t, EINVAL, "shift by more than 31 bits");
    return 0;
}

/* Precedence climbing over binops, all left-associative. */
static int parse_arith(struct parser *p, int level, struct e2_arith **out)
{
    struct e2_arith *lhs = NULL;
    int rc = parse_primary(p, &lhs);
    const struct binop *b;
    while (!rc && (b = binop_of(tok(p)->kind)) && b->level > level) {
        const struct e2_tok *t = tok(p);
        p->i++;
        struct e2_arith *rhs, *n;
        if ((rc = parse_arith(p, b->level, &rhs))) break;
        if ((rc = check_const_rhs(p, t, b->op, rhs)) || !(n = arith(AR_BIN))) {
            e2_arith_free(rhs);
            rc = rc ? rc : oom(p);
            break;
        }
        n->op = b->op;
        n->a = lhs;
        n->b = rhs;
        lhs = n;
    }
    if (rc) {
        e2_arith_free(lhs);
        return rc;
    }
    *out = lhs;
    return 0;
}

static int relop_of(enum e2_tok_kind k)
{
    switch (k) {
    case T_EQ: return REL_EQ;
    case T_NE: return REL_NE;
    case T_GT: return REL_GT;
    case T_GE: return REL_GE;
    case T_LT: return REL_LT;
    case T_LE: return REL_LE;
    default: return -1;
    }
}

int e2_fp_parse_relation(struct parser *p, struct e2_ast **out)
{
    struct e2_arith *a, *b;
    int rc = parse_arith(p, 0, &a);
    if (rc) return rc;
    int op = relop_of(tok(p)->kind);
    if (op < 0) {
        e2_arith_free(a);
        return unexpected(p, "a comparison (=, !=, <, <=, >, >=)");
    }
    p->i++;
    if ((rc = parse_arith(p, 0, &b))) {
        e2_arith_free(a);
        return rc;
    }
    struct e2_ast *n = node(A_REL, (struct e2_qual){0});
    if (!n) {
        e2_arith_free(a);
        e2_arith_free(b);
        return oom(p);
    }
    n->relop = (uint8_t)op;
    n->a = a;
    n->b = b;
    *out = n;
    return 0;
}

/* E2: tos N is ip[1] = N. */
int e2_fp_parse_tos(struct parser *p, struct e2_ast **out)
{
    p->i++;
    const struct e2_tok *t = tok(p);
    if (expect(p, T_NUM, "a TOS value")) return -EINVAL;
    if (t->num > 255) return fail_at(p, t, EINVAL, "TOS %u is not a byte", t->num);
    struct e2_ast *n = node(A_REL, (struct e2_qual){0});
    struct e2_arith *load = arith(AR_LOAD), *idx = arith(AR_NUM), *k = arith(AR_NUM);
    if (!n || !load || !idx || !k) {
        free(n);
        free(load);
        free(idx);
        free(k);
        return oom(p);
    }
    load->pq = PQ_IP;
    load->size = 1;
    idx->num = 1;
    load->a = idx;
    k->num = t->num;
    n->relop = REL_EQ;
    n->a = load;
    n->b = k;
    *out = n;
    return 0;
}

/* ---- attribute terms (E2) ---- */

static int attr_value(struct parser *p, struct e2_ast *n, const struct e2_nf_attr *attr)
{
    bool neg = take(p, T_MINUS);
    const struct e2_tok *t = tok(p);
    if (attr->type == E2_ATTR_INT) {
        if (expect(p, T_NUM, "an integer")) return -EINVAL;
        n->val = neg ? -(int64_t)t->num : (int64_t)t->num;
        if (!attr->n_values || (n->relop != REL_EQ && n->relop != REL_NE)) return 0;
        for (size_t i = 0; i < attr->n_values; i++)
            if (attr->values[i].num == n->val) return 0;
        return fail_at(p, t, EINVAL, "%lld is not a value of %s", (long long)n->val, n->ref);
    }
    if (neg || (t->kind != T_STR && t->kind != T_ID)) return unexpected(p, "a string value");
    p->i++;
    if (n->relop != REL_EQ && n->relop != REL_NE)
        return fail_at(p, t, EINVAL, "strings compare with == or != only");
    if (!(n->str = strdup(t->text))) return oom(p);
    for (size_t i = 0; i < attr->n_values; i++)
        if (!strcmp(attr->values[i].text, n->str)) return 0;
    if (attr->n_values) return fail_at(p, t, EINVAL, "\"%s\" is not a value of %s", n->str, n->ref);
    return e2_attr_table_intern(p->scope->attrs, n->slot, n->str) < 0 ? oom(p) : 0;
}

static int resolve_attr(struct parser *p, const struct e2_tok *t, const struct e2_nf_attr **out,
                        char *type, size_t type_len)
{
    const char *dot = strchr(t->text, '.');
    snprintf(type, type_len, "%.*s", (int)(dot - t->text), t->text);
    const struct e2_nf_desc *d = NULL;
    int rc = p->scope && p->scope->nf_type ? p->scope->nf_type(p->scope->ctx, type, &d) : -ENOENT;
    if (rc == -EISDIR)
        return fail_at(p, t, EINVAL,
                       "'%s': '%s' is an NF instance; name attributes by NF type (TYPE.%s)",
                       t->text, type, dot + 1);
    if (rc < 0)
        return fail_at(p, t, EINVAL, "'%s': '%s' is not an NF type of this policy", t->text, type);
    if (!d)
        return fail_at(p, t, EINVAL, "'%s': NF type '%s' has no description (see --nf-dir)",
                       t->text, type);
    if (!(*out = e2_nf_desc_attr(d, dot + 1))) {
        char have[256] = "";
        size_t o = 0;
        for (size_t i = 0; i < d->n_attrs && o < sizeof(have); i++)
            o += (size_t)snprintf(have + o, sizeof(have) - o, "%s%s", i ? ", " : "",
                                  d->attrs[i].name);
        return fail_at(p, t, EINVAL, "NF type '%s' has no attribute '%s' (it has: %s)", type,
                       dot + 1, d->n_attrs ? have : "none");
    }
    return 0;
}

int e2_fp_parse_attr(struct parser *p, struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    const struct e2_nf_attr *attr;
    char type[128];
    int rc = resolve_attr(p, t, &attr, type, sizeof(type));
    if (rc) return rc;
    p->i++;
    struct e2_ast *n = node(A_ATTR, (struct e2_qual){0});
    if (!n || !(n->ref = strdup(t->text))) {
        free(n);
        return oom(p);
    }
    n->atype = attr->type;
    int slot = e2_attr_table_slot(p->scope->attrs, type, attr);
    if (slot < 0) {
        e2_ast_free(n);
        return oom(p);
    }
    n->slot = (unsigned)slot;
    int op = relop_of(tok(p)->kind);
    if (attr->type == E2_ATTR_BOOL) {
        n->is_bool = true;
        n->val = 1;
        *out = n;
        if (op < 0) return 0;
        return fail_at(p, tok(p), EINVAL, "bool attribute %s is written bare (or negated with !)",
                       n->ref);
    }
    if (op < 0) {
        e2_ast_free(n);
        return unexpected(p, "a comparison after an attribute");
    }
    p->i++;
    n->relop = (uint8_t)op;
    if ((rc = attr_value(p, n, attr))) {
        e2_ast_free(n);
        return rc;
    }
    *out = n;
    return 0;
}
