/*
 * The filter parser: libpcap's grammar by recursive descent. As in libpcap,
 * `and` and `or` share one precedence and group to the left, `not` binds
 * tighter, and a bare value after and/or inherits the qualifiers of the value
 * before it (`host a or b` is `host a or host b`). Values are checked as
 * libpcap checks them (e2_filter_value.c); arithmetic comparisons and E2's
 * attribute terms are in e2_filter_arith.c.
 */
#include "e2_filter_parser.h"

void e2_arith_free(struct e2_arith *a)
{
    if (!a) return;
    e2_arith_free(a->a);
    e2_arith_free(a->b);
    free(a);
}

void e2_ast_free(struct e2_ast *a)
{
    if (!a) return;
    e2_ast_free(a->l);
    e2_ast_free(a->r);
    e2_arith_free(a->a);
    e2_arith_free(a->b);
    free(a->ref);
    free(a->str);
    free(a);
}

/* ---- terms ---- */

static int parse_expr(struct parser *p, struct e2_qual q, struct e2_qual *qout,
                      struct e2_ast **out);

/* head: [pname] [dqual] [aqual | proto], at least one after the pname. */
static int parse_head(struct parser *p, struct e2_qual *q)
{
    *q = (struct e2_qual){.valid = true};
    if (is_pname(tok(p)->kind)) q->pq = pq_of(tok(p)->kind), p->i++;
    enum e2_tok_kind k = tok(p)->kind;
    if (k == K_SRC || k == K_DST) {
        enum e2_tok_kind other = k == K_SRC ? K_DST : K_SRC;
        p->i++;
        q->dq = k == K_SRC ? DQ_SRC : DQ_DST;
        if ((tok(p)->kind == T_OR || tok(p)->kind == T_AND) && peek(p, 1)->kind == other) {
            q->dq = tok(p)->kind == T_OR ? DQ_OR : DQ_AND;
            p->i += 2;
        }
        /* E2, as the paper writes it: dst ip my_net */
        if (q->pq == PQ_DEFAULT && (tok(p)->kind == K_IP || tok(p)->kind == K_IP6) &&
            e2_fp_is_value(peek(p, 1))) {
            q->pq = pq_of(tok(p)->kind);
            q->e2_addr = true;
            p->i++;
            return 0;
        }
    }
    switch (tok(p)->kind) {
    case K_HOST: q->aq = AQ_HOST; break;
    case K_NET: q->aq = AQ_NET; break;
    case K_PORT: q->aq = AQ_PORT; break;
    case K_PORTRANGE: q->aq = AQ_PORTRANGE; break;
    case K_PROTO: q->aq = AQ_PROTO; break;
    default: return q->dq != DQ_DEFAULT ? 0 : unexpected(p, "src, dst, host, net, port or proto");
    }
    p->i++;
    return 0;
}

static int parse_qualified(struct parser *p, struct e2_qual *qout, struct e2_ast **out)
{
    int rc = parse_head(p, qout);
    return rc ? rc : e2_fp_parse_id(p, *qout, out);
}

static int parse_other(struct parser *p, struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    struct e2_qual q = {0};
    if (is_pname(t->kind)) q.pq = pq_of(t->kind), p->i++;
    t = tok(p);
    enum e2_ast_kind k;
    switch (t->kind) {
    case K_BROADCAST: k = A_BCAST; break;
    case K_MULTICAST: k = A_MCAST; break;
    default: return unexpected(p, "a term");
    }
    p->i++;
    if (k == A_BCAST && q.pq != PQ_DEFAULT && q.pq != PQ_LINK)
        return fail_at(p, t, ENOTSUP, "'%s broadcast' needs the netmask, which E2 does not know",
                       e2_pq_names[q.pq]);
    if (k == A_MCAST && q.pq != PQ_DEFAULT && q.pq != PQ_LINK && q.pq != PQ_IP && q.pq != PQ_IP6)
        return fail_at(p, t, EINVAL, "only link, IP and IPv6 multicast filters supported");
    if (!(*out = node(k, q))) return oom(p);
    return 0;
}

static int parse_lessgreater(struct parser *p, struct e2_ast **out)
{
    enum e2_ast_kind k = tok(p)->kind == K_LESS ? A_LESS : A_GREATER;
    p->i++;
    const struct e2_tok *t = tok(p);
    if (expect(p, T_NUM, "a length")) return -EINVAL;
    if (!(*out = node(k, (struct e2_qual){0}))) return oom(p);
    (*out)->num = t->num;
    return 0;
}

static int parse_vlan(struct parser *p, struct e2_ast **out)
{
    p->i++;
    const struct e2_tok *t = tok(p);
    bool has = t->kind == T_NUM;
    if (has && t->num > 4095)
        return fail_at(p, t, EINVAL, "VLAN tag %u greater than maximum 4095", t->num);
    if (has) p->i++;
    if (!(*out = node(A_VLAN, (struct e2_qual){0}))) return oom(p);
    (*out)->has_num = has;
    (*out)->num = has ? t->num : 0;
    return 0;
}

/* Is '(' here the start of an arithmetic comparison such as (ip[0] & 0xf) > 5? */
static bool paren_is_relation(struct parser *p)
{
    size_t save = p->i;
    struct e2_err *err = p->err;
    struct e2_err scratch;
    struct e2_ast *n = NULL;
    p->err = &scratch;
    bool ok = e2_fp_parse_relation(p, &n) == 0;
    e2_ast_free(n);
    p->err = err;
    p->i = save;
    return ok;
}

static int parse_rterm(struct parser *p, struct e2_qual q, struct e2_qual *qout,
                       struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    *qout = (struct e2_qual){0};
    switch (t->kind) {
    case T_LP:
        if (paren_is_relation(p)) return e2_fp_parse_relation(p, out);
        p->i++;
        {
            struct e2_qual inner;
            int rc = parse_expr(p, q, &inner, out);
            if (!rc && (rc = expect(p, T_RP, "')'"))) {
                e2_ast_free(*out);
                *out = NULL;
            }
            *qout = q;
            return rc;
        }
    case T_NUM:
    case K_LEN:
    case T_MINUS: return e2_fp_parse_relation(p, out);
    case K_SRC:
    case K_DST:
    case K_HOST:
    case K_NET:
    case K_PORT:
    case K_PORTRANGE:
    case K_PROTO: return parse_qualified(p, qout, out);
    case K_LESS:
    case K_GREATER: return parse_lessgreater(p, out);
    case K_VLAN: return parse_vlan(p, out);
    case K_TOS: return e2_fp_parse_tos(p, out);
    case K_BROADCAST:
    case K_MULTICAST: return parse_other(p, out);
    case T_ID:
        if (strchr(t->text, '.')) return e2_fp_parse_attr(p, out);
        return unexpected(p, "a term (a bare value needs a qualifier such as host)");
    default: break;
    }
    if (!is_pname(t->kind)) return unexpected(p, "a term");
    switch (peek(p, 1)->kind) {
    case T_LB: return e2_fp_parse_relation(p, out);
    case K_BROADCAST:
    case K_MULTICAST: return parse_other(p, out);
    case K_SRC:
    case K_DST:
    case K_HOST:
    case K_NET:
    case K_PORT:
    case K_PORTRANGE:
    case K_PROTO: return parse_qualified(p, qout, out);
    default: break;
    }
    if (t->kind == K_LINK) return fail_at(p, t, EINVAL, "link layer applied in wrong context");
    p->i++;
    if (!(*out = node(A_ABBREV, (struct e2_qual){.pq = pq_of(t->kind)}))) return oom(p);
    return 0;
}

static int parse_term(struct parser *p, struct e2_qual q, struct e2_qual *qout, struct e2_ast **out)
{
    if (++p->depth > MAX_DEPTH) return fail_at(p, tok(p), EINVAL, "filter nested too deeply");
    int rc;
    if (take(p, T_NOT)) {
        struct e2_ast *a;
        if (!(rc = parse_term(p, q, qout, &a)) && !(*out = join(A_NOT, a, NULL))) rc = oom(p);
    } else {
        rc = parse_rterm(p, q, qout, out);
    }
    p->depth--;
    return rc;
}

/* After and/or: a bare value (or `not value`, `(value ...)`) inherits qualifiers. */
static bool next_is_id(const struct parser *p)
{
    const struct e2_tok *t = tok(p), *n = peek(p, 1);
    if (e2_fp_is_value(t)) return true;
    if (t->kind == T_NOT) return e2_fp_is_value(n);
    if (t->kind != T_LP || !e2_fp_is_value(n)) return false;
    enum e2_tok_kind after = peek(p, 2)->kind;
    return after == T_AND || after == T_OR || after == T_RP || after == T_SLASH || after == K_MASK;
}

static int parse_expr(struct parser *p, struct e2_qual q, struct e2_qual *qout, struct e2_ast **out)
{
    struct e2_ast *acc = NULL, *rhs;
    int rc = parse_term(p, q, &q, &acc);
    while (!rc && (tok(p)->kind == T_AND || tok(p)->kind == T_OR)) {
        enum e2_ast_kind k = tok(p)->kind == T_AND ? A_AND : A_OR;
        p->i++;
        if (next_is_id(p))
            rc = e2_fp_parse_id(p, q, &rhs);
        else
            rc = parse_term(p, q, &q, &rhs);
        if (rc) break;
        if (!(acc = join(k, acc, rhs))) return oom(p);
    }
    if (rc) {
        e2_ast_free(acc);
        return rc;
    }
    *qout = q;
    *out = acc;
    return 0;
}

int e2_filter_parse_toks(const struct e2_toks *t, const struct e2_filter_src *src,
                         const struct e2_filter_scope *scope, struct e2_ast **out,
                         struct e2_err *err)
{
    struct parser p = {t, 0, src, scope, err, 0};
    *out = NULL;
    if (tok(&p)->kind == T_EOF) return 0;
    struct e2_qual q = {0};
    struct e2_ast *a = NULL;
    int rc = parse_expr(&p, q, &q, &a);
    if (!rc && tok(&p)->kind != T_EOF) rc = unexpected(&p, "'and', 'or' or the end of the filter");
    if (rc) {
        e2_ast_free(a);
        return rc;
    }
    *out = a;
    return 0;
}
