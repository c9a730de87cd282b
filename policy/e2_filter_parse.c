/*
 * The filter parser: libpcap's grammar by recursive descent. As in libpcap,
 * `and` and `or` share one precedence and group to the left, `not` binds
 * tighter, and a bare value after and/or inherits the qualifiers of the value
 * before it (`host a or b` is `host a or host b`). Values are checked as
 * libpcap checks them (port <= 65535, no host bits under a net mask, ...).
 * E2 adds address names, `dst ip NAME`, `tos N` and attribute terms.
 */
#include <arpa/inet.h>
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

static const char *const pq_names[PQ_COUNT] = {"",    "ether", "ip",   "ip6",  "arp",   "rarp",
                                               "tcp", "udp",   "sctp", "icmp", "icmp6", "igmp"};

static const struct e2_tok *tok(const struct parser *p)
{
    return &p->t->v[p->i];
}

static const struct e2_tok *peek(const struct parser *p, size_t k)
{
    size_t j = p->i + k;
    return &p->t->v[j < p->t->n ? j : p->t->n - 1];
}

static int fail_at(const struct parser *p, const struct e2_tok *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(const struct parser *p, const struct e2_tok *t, int code, const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(p->err, code, "%s:%d:%d: error: %s", p->src->file, t->line, t->col, msg);
}

static int unexpected(const struct parser *p, const char *wanted)
{
    const struct e2_tok *t = tok(p);
    if (t->kind == T_EOF)
        return fail_at(p, t, EINVAL, "expected %s at the end of the filter", wanted);
    if (t->kind == K_UNSUPPORTED)
        return fail_at(p, t, ENOTSUP, "'%.*s' is a libpcap primitive E2 does not support",
                       (int)t->len, t->s);
    return fail_at(p, t, EINVAL, "expected %s, found '%.*s'", wanted, (int)t->len, t->s);
}

static bool take(struct parser *p, enum e2_tok_kind k)
{
    if (tok(p)->kind != k) return false;
    p->i++;
    return true;
}

static int expect(struct parser *p, enum e2_tok_kind k, const char *what)
{
    return take(p, k) ? 0 : unexpected(p, what);
}

static struct e2_ast *node(enum e2_ast_kind kind, struct e2_qual q)
{
    struct e2_ast *a = calloc(1, sizeof(*a));
    if (a) {
        a->kind = kind;
        a->q = q;
    }
    return a;
}

static int oom(const struct parser *p)
{
    return e2_err_set(p->err, ENOMEM, "%s: error: out of memory", p->src->file);
}

static struct e2_ast *join(enum e2_ast_kind kind, struct e2_ast *l, struct e2_ast *r)
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

static bool is_pname(enum e2_tok_kind k)
{
    return k >= K_LINK && k <= K_IGMP;
}

static uint8_t pq_of(enum e2_tok_kind k)
{
    return (uint8_t)(PQ_LINK + (k - K_LINK));
}

/* ---- values with qualifiers (libpcap gen_ncode/gen_mcode/gen_scode) ---- */

static int host4(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t addr,
                 uint32_t mask, struct e2_ast **out)
{
    if (q.pq == PQ_LINK) return fail_at(p, t, EINVAL, "illegal link layer address");
    if (q.pq == PQ_IP6) return fail_at(p, t, EINVAL, "'ip6' modifier applied to ip host");
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP && q.pq != PQ_ARP && q.pq != PQ_RARP)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to host", pq_names[q.pq]);
    struct e2_ast *a = node(A_HOST4, q);
    if (!a) return oom(p);
    a->addr4 = addr;
    a->mask4 = mask;
    *out = a;
    return 0;
}

static int host6(struct parser *p, const struct e2_tok *t, struct e2_qual q, const uint8_t *addr,
                 unsigned prefix, struct e2_ast **out)
{
    if (q.pq == PQ_IP) return fail_at(p, t, EINVAL, "'ip' modifier applied to ip6 host");
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP6)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to ip6 host",
                       q.pq == PQ_LINK ? "link-layer" : pq_names[q.pq]);
    if (q.aq != AQ_DEFAULT && q.aq != AQ_HOST && q.aq != AQ_NET)
        return fail_at(p, t, EINVAL, "invalid qualifier against IPv6 address");
    if (prefix > 128) return fail_at(p, t, EINVAL, "mask length must be <= 128");
    if (prefix != 128 && q.aq != AQ_NET)
        return fail_at(p, t, EINVAL, "Mask syntax for networks only");
    for (unsigned b = prefix; b < 128; b++)
        if (addr[b / 8] & (0x80 >> (b % 8)))
            return fail_at(p, t, EINVAL, "non-network bits set in \"%.*s/%u\"", (int)t->len, t->s,
                           prefix);
    struct e2_ast *a = node(A_HOST6, q);
    if (!a) return oom(p);
    memcpy(a->addr6, addr, 16);
    a->prefix6 = prefix;
    *out = a;
    return 0;
}

static int port(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t lo,
                uint32_t hi, struct e2_ast **out)
{
    if (q.pq != PQ_DEFAULT && q.pq != PQ_TCP && q.pq != PQ_UDP && q.pq != PQ_SCTP)
        return fail_at(p, t, EINVAL, "illegal qualifier of '%s'",
                       q.aq == AQ_PORT ? "port" : "portrange");
    if (lo > 65535 || hi > 65535)
        return fail_at(p, t, EINVAL, "illegal port number %u > 65535", lo > 65535 ? lo : hi);
    struct e2_ast *a = node(A_PORT, q);
    if (!a) return oom(p);
    a->is_range = q.aq == AQ_PORTRANGE;
    a->lo = lo < hi ? lo : hi;
    a->hi = lo < hi ? hi : lo;
    *out = a;
    return 0;
}

static int proto(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t v,
                 struct e2_ast **out)
{
    if (q.dq != DQ_DEFAULT) return fail_at(p, t, EINVAL, "direction applied to 'proto'");
    if (q.pq == PQ_LINK && v <= 1500)
        return fail_at(p, t, ENOTSUP, "'ether proto %u': 802.2 LLC SAP values are not supported",
                       v);
    if (q.pq != PQ_DEFAULT && q.pq != PQ_IP && q.pq != PQ_IP6 && q.pq != PQ_LINK)
        return fail_at(p, t, EINVAL, "'%s proto' is bogus", pq_names[q.pq]);
    struct e2_ast *a = node(A_PROTO, q);
    if (!a) return oom(p);
    a->num = v;
    *out = a;
    return 0;
}

static int number_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                        struct e2_ast **out)
{
    uint32_t v = t->num, mask = 0xffffffffu;
    switch (q.aq) {
    case AQ_PORT:
    case AQ_PORTRANGE: return port(p, t, q, v, v, out);
    case AQ_PROTO: return proto(p, t, q, v, out);
    case AQ_NET:
        while (v && !(v & 0xff000000u)) { /* libpcap promotes a short net number */
            v <<= 8;
            mask <<= 8;
        }
        break;
    default: break;
    }
    return host4(p, t, q, v, mask, out);
}

/* libpcap's __pcap_atoin: dotted parts into *v; returns 8 * parts, or -1. */
static int atoin(const char *s, uint32_t *v)
{
    int bits = 0;
    *v = 0;
    for (;;) {
        uint32_t part = 0;
        while (*s >= '0' && *s <= '9') {
            part = part * 10 + (uint32_t)(*s++ - '0');
            if (part > 255) return -1;
        }
        *v = (*v << 8) | part;
        bits += 8;
        if (*s++ != '.') return bits;
    }
}

static int net_mask(struct parser *p, const struct e2_tok *t, struct e2_qual q, uint32_t n,
                    uint32_t m, const char *how, struct e2_ast **out)
{
    if ((n & ~m) != 0)
        return fail_at(p, t, EINVAL, "non-network bits set in \"%.*s%s\"", (int)t->len, t->s, how);
    if (q.aq != AQ_NET) return fail_at(p, t, EINVAL, "Mask syntax for networks only");
    return host4(p, t, q, n, m, out);
}

static int hid_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                     struct e2_ast **out)
{
    uint32_t v;
    int bits = atoin(t->text, &v);
    if (bits < 0) return fail_at(p, t, EINVAL, "invalid IPv4 address '%s'", t->text);
    v <<= 32 - bits;
    uint32_t mask = 0xffffffffu << (32 - bits);
    if (take(p, T_SLASH)) {
        const struct e2_tok *len = tok(p);
        if (expect(p, T_NUM, "a mask length")) return -EINVAL;
        if (len->num > 32) return fail_at(p, len, EINVAL, "mask length must be <= 32");
        uint32_t m = len->num ? 0xffffffffu << (32 - len->num) : 0;
        char how[16];
        snprintf(how, sizeof(how), "/%u", len->num);
        if (q.e2_addr) q.aq = len->num == 32 ? AQ_HOST : AQ_NET;
        return net_mask(p, t, q, v, m, how, out);
    }
    if (take(p, K_MASK)) {
        const struct e2_tok *mt = tok(p);
        if (expect(p, T_HID, "a dotted mask")) return -EINVAL;
        uint32_t m;
        int mbits = atoin(mt->text, &m);
        if (mbits < 0) return fail_at(p, mt, EINVAL, "invalid IPv4 address '%s'", mt->text);
        m <<= 32 - mbits;
        char how[64];
        snprintf(how, sizeof(how), " mask %s", mt->text);
        return net_mask(p, t, q, v, m, how, out);
    }
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE || q.aq == AQ_PROTO)
        return fail_at(p, t, EINVAL, "'%s' modifier applied to ip host",
                       q.aq == AQ_PORT        ? "port"
                       : q.aq == AQ_PORTRANGE ? "portrange"
                                              : "proto");
    return host4(p, t, q, v, mask, out);
}

static int hid6_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                      struct e2_ast **out)
{
    unsigned prefix = 128;
    if (take(p, T_SLASH)) {
        const struct e2_tok *len = tok(p);
        if (expect(p, T_NUM, "a prefix length")) return -EINVAL;
        prefix = len->num;
        if (q.e2_addr) q.aq = prefix >= 128 ? AQ_HOST : AQ_NET;
    }
    return host6(p, t, q, t->addr, prefix, out);
}

static int eid_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                     struct e2_ast **out)
{
    if (q.pq != PQ_LINK || (q.aq != AQ_DEFAULT && q.aq != AQ_HOST))
        return fail_at(p, t, EINVAL, "ethernet address used in non-ether expression");
    struct e2_ast *a = node(A_EHOST, q);
    if (!a) return oom(p);
    memcpy(a->mac, t->addr, 6);
    *out = a;
    return 0;
}

struct proto_name {
    const char *name;
    uint32_t ip, ether;
};

static const struct proto_name proto_names[] = {
    {"icmp", 1, 0},    {"igmp", 2, 0},     {"tcp", 6, 0},      {"udp", 17, 0},
    {"gre", 47, 0},    {"esp", 50, 0},     {"ah", 51, 0},      {"sctp", 132, 0},
    {"ip", 0, 0x0800}, {"ip6", 0, 0x86dd}, {"arp", 0, 0x0806}, {"rarp", 0, 0x8035},
};

/* An E2 address name used as a host or net. */
static int address_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                         const struct e2_addr *a, struct e2_ast **out)
{
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE || q.aq == AQ_PROTO)
        return fail_at(p, t, EINVAL, "'%s' is an address, not a port or protocol", t->text);
    unsigned full = a->family == AF_INET ? 32 : 128;
    q.aq = a->prefix == full ? AQ_HOST : AQ_NET;
    if (a->family == AF_INET6) return host6(p, t, q, a->bytes, a->prefix, out);
    uint32_t v = ((uint32_t)a->bytes[0] << 24) | ((uint32_t)a->bytes[1] << 16) |
                 ((uint32_t)a->bytes[2] << 8) | a->bytes[3];
    uint32_t m = a->prefix ? 0xffffffffu << (32 - a->prefix) : 0;
    return host4(p, t, q, v & m, m, out);
}

static int name_value(struct parser *p, const struct e2_tok *t, struct e2_qual q,
                      struct e2_ast **out)
{
    struct e2_addr a;
    if (p->scope && p->scope->address && p->scope->address(p->scope->ctx, t->text, &a) == 0)
        return address_value(p, t, q, &a, out);
    if (q.aq == AQ_PROTO) {
        for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
            uint32_t v = q.pq == PQ_LINK ? proto_names[i].ether : proto_names[i].ip;
            if (v && !strcmp(proto_names[i].name, t->text)) return proto(p, t, q, v, out);
        }
        return fail_at(p, t, EINVAL, "unknown %s proto '%s'",
                       q.pq == PQ_LINK  ? "ether"
                       : q.pq == PQ_IP6 ? "ip6"
                                        : "ip",
                       t->text);
    }
    if (q.aq == AQ_PORTRANGE) {
        unsigned lo, hi;
        char tail;
        if (sscanf(t->text, "%u-%u%c", &lo, &hi, &tail) == 2) return port(p, t, q, lo, hi, out);
    }
    if (q.aq == AQ_PORT || q.aq == AQ_PORTRANGE)
        return fail_at(p, t, ENOTSUP, "port names such as '%s' are not supported: write the number",
                       t->text);
    return fail_at(p, t, EINVAL, "unknown name '%s' (not an Address declared in the policy)",
                   t->text);
}

static bool is_value(const struct e2_tok *t)
{
    return t->kind == T_NUM || t->kind == T_HID || t->kind == T_HID6 || t->kind == T_EID ||
           (t->kind == T_ID && !strchr(t->text, '.'));
}

static int parse_id(struct parser *p, struct e2_qual q, struct e2_ast **out);

/* '(' id { and|or id } ')' with the same qualifiers throughout. */
static int parse_id_group(struct parser *p, struct e2_qual q, struct e2_ast **out)
{
    struct e2_ast *acc = NULL, *rhs;
    int rc = parse_id(p, q, &acc);
    while (!rc && (tok(p)->kind == T_AND || tok(p)->kind == T_OR)) {
        enum e2_ast_kind k = tok(p)->kind == T_AND ? A_AND : A_OR;
        p->i++;
        if ((rc = parse_id(p, q, &rhs))) break;
        if (!(acc = join(k, acc, rhs))) return oom(p);
    }
    if (!rc) rc = expect(p, T_RP, "')'");
    if (rc) {
        e2_ast_free(acc);
        return rc;
    }
    *out = acc;
    return 0;
}

static int parse_id(struct parser *p, struct e2_qual q, struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    if (!q.valid) return unexpected(p, "a qualifier (host, net, port...) before a value");
    if (++p->depth > MAX_DEPTH) return fail_at(p, t, EINVAL, "filter nested too deeply");
    int rc;
    p->i++;
    switch (t->kind) {
    case T_NOT: {
        struct e2_ast *a;
        if ((rc = parse_id(p, q, &a))) break;
        if (!(*out = join(A_NOT, a, NULL))) rc = oom(p);
        break;
    }
    case T_LP: rc = parse_id_group(p, q, out); break;
    case T_NUM: rc = number_value(p, t, q, out); break;
    case T_HID: rc = hid_value(p, t, q, out); break;
    case T_HID6: rc = hid6_value(p, t, q, out); break;
    case T_EID: rc = eid_value(p, t, q, out); break;
    case T_ID: rc = name_value(p, t, q, out); break;
    default:
        p->i--;
        rc = unexpected(p, "a value");
        break;
    }
    p->depth--;
    return rc;
}

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

static int parse_relation(struct parser *p, struct e2_ast **out)
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
static int parse_tos(struct parser *p, struct e2_ast **out)
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
    const struct e2_tok *t = tok(p);
    bool neg = take(p, T_MINUS);
    t = tok(p);
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
                        const char **type_out)
{
    static char type[128];
    const char *dot = strchr(t->text, '.');
    snprintf(type, sizeof(type), "%.*s", (int)(dot - t->text), t->text);
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
    *type_out = type;
    return 0;
}

static int parse_attr(struct parser *p, struct e2_ast **out)
{
    const struct e2_tok *t = tok(p);
    const struct e2_nf_attr *attr;
    const char *type;
    int rc = resolve_attr(p, t, &attr, &type);
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
            is_value(peek(p, 1))) {
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
    return rc ? rc : parse_id(p, *qout, out);
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
                       pq_names[q.pq]);
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
    bool ok = parse_relation(p, &n) == 0;
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
        if (paren_is_relation(p)) return parse_relation(p, out);
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
    case T_MINUS: return parse_relation(p, out);
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
    case K_TOS: return parse_tos(p, out);
    case K_BROADCAST:
    case K_MULTICAST: return parse_other(p, out);
    case T_ID:
        if (strchr(t->text, '.')) return parse_attr(p, out);
        return unexpected(p, "a term (a bare value needs a qualifier such as host)");
    default: break;
    }
    if (!is_pname(t->kind)) return unexpected(p, "a term");
    switch (peek(p, 1)->kind) {
    case T_LB: return parse_relation(p, out);
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
    if (is_value(t)) return true;
    if (t->kind == T_NOT) return is_value(n);
    if (t->kind != T_LP || !is_value(n)) return false;
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
            rc = parse_id(p, q, &rhs);
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
