/*
 * Printing: the canonical text of a filter (pcap-filter syntax with every
 * qualifier spelled out, address names replaced by their prefixes, plus E2
 * attribute terms), and the header-only residue for known attribute values.
 * Primitives print in their original order: libpcap's `vlan` shifts the
 * offsets of everything written after it, so order is meaning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2_filter_int.h"
#include "e2_strbuf.h"

const char *const e2_pq_names[PQ_COUNT] = {"",    "ether", "ip",   "ip6",  "arp",   "rarp",
                                           "tcp", "udp",   "sctp", "icmp", "icmp6", "igmp"};
static const char *const dq_names[] = {"", "src ", "dst ", "src or dst ", "src and dst "};
static const char *const relops[] = {"=", "!=", ">", ">=", "<", "<="};

static void put_pq(struct e2_strbuf *o, uint8_t pq)
{
    if (pq != PQ_DEFAULT) e2_strbuf_addf(o, "%s ", e2_pq_names[pq]);
}

static int mask_len(uint32_t m)
{
    int n = 0;
    while (n < 32 && (m & (0x80000000u >> n))) n++;
    return (n == 32 ? 0xffffffffu : n ? ~(0xffffffffu >> n) : 0) == m ? n : -1;
}

static void put_ip4(struct e2_strbuf *o, uint32_t a)
{
    e2_strbuf_addf(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static void put_host4(struct e2_strbuf *o, const struct e2_ast *a)
{
    put_pq(o, a->q.pq);
    e2_strbuf_addf(o, "%s", dq_names[a->q.dq]);
    int n = mask_len(a->mask4);
    e2_strbuf_addf(o, "%s ", n == 32 ? "host" : "net");
    put_ip4(o, a->addr4);
    if (n >= 0 && n < 32) e2_strbuf_addf(o, "/%d", n);
    if (n < 0) {
        e2_strbuf_addf(o, " mask ");
        put_ip4(o, a->mask4);
    }
}

static void put_host6(struct e2_strbuf *o, const struct e2_ast *a)
{
    char t[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, a->addr6, t, sizeof(t));
    put_pq(o, a->q.pq);
    e2_strbuf_addf(o, "%s%s %s", dq_names[a->q.dq], a->prefix6 == 128 ? "host" : "net", t);
    if (a->prefix6 != 128) e2_strbuf_addf(o, "/%u", a->prefix6);
}

/* libpcap's arithmetic precedences: | ^, then &, then << >>, then + -, then * / %. */
static int level(char op)
{
    switch (op) {
    case '|':
    case '^': return 1;
    case '&': return 2;
    case '<':
    case '>': return 3;
    case '+':
    case '-': return 4;
    default: return 5;
    }
}

static bool is_bin(const struct e2_arith *a)
{
    return a->kind == AR_BIN;
}

static void put_arith(struct e2_strbuf *o, const struct e2_arith *a)
{
    switch (a->kind) {
    case AR_NUM: e2_strbuf_addf(o, "%u", a->num); return;
    case AR_LEN: e2_strbuf_addf(o, "len"); return;
    case AR_LOAD:
        e2_strbuf_addf(o, "%s[", e2_pq_names[a->pq]);
        put_arith(o, a->a);
        if (a->size != 1) e2_strbuf_addf(o, ":%u", a->size);
        e2_strbuf_addf(o, "]");
        return;
    case AR_NEG:
        e2_strbuf_addf(o, is_bin(a->a) ? "-(" : "-");
        put_arith(o, a->a);
        if (is_bin(a->a)) e2_strbuf_addf(o, ")");
        return;
    case AR_BIN: break;
    }
    static const char *ops[128] = {
        ['+'] = "+", ['-'] = "-", ['*'] = "*", ['/'] = "/",  ['%'] = "%",
        ['&'] = "&", ['|'] = "|", ['^'] = "^", ['<'] = "<<", ['>'] = ">>"};
    /* Parentheses only where libpcap's precedences need them (left-associative). */
    const struct e2_arith *side[2] = {a->a, a->b};
    for (int i = 0; i < 2; i++) {
        bool paren = is_bin(side[i]) && (level(side[i]->op) < level(a->op) ||
                                         (i == 1 && level(side[i]->op) == level(a->op)));
        if (i) e2_strbuf_addf(o, " %s ", ops[(int)a->op]);
        if (paren) e2_strbuf_addf(o, "(");
        put_arith(o, side[i]);
        if (paren) e2_strbuf_addf(o, ")");
    }
}

static void put_string(struct e2_strbuf *o, const char *s)
{
    e2_strbuf_addf(o, "\"");
    for (; *s; s++) e2_strbuf_addf(o, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    e2_strbuf_addf(o, "\"");
}

static void put_attr(struct e2_strbuf *o, const struct e2_ast *a)
{
    static const char *const attr_ops[] = {"==", "!=", ">", ">=", "<", "<="};
    if (a->atype == E2_ATTR_BOOL) {
        e2_strbuf_addf(o, "%s", a->ref);
    } else if (a->atype == E2_ATTR_INT) {
        e2_strbuf_addf(o, "%s %s %lld", a->ref, attr_ops[a->relop], (long long)a->val);
    } else {
        e2_strbuf_addf(o, "%s %s ", a->ref, attr_ops[a->relop]);
        put_string(o, a->str);
    }
}

static void put_prim(struct e2_strbuf *o, const struct e2_ast *a)
{
    switch (a->kind) {
    case A_HOST4: put_host4(o, a); return;
    case A_HOST6: put_host6(o, a); return;
    case A_EHOST:
        e2_strbuf_addf(o, "ether %shost %02x:%02x:%02x:%02x:%02x:%02x", dq_names[a->q.dq],
                       a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
        return;
    case A_PORT:
        put_pq(o, a->q.pq);
        if (a->is_range)
            e2_strbuf_addf(o, "%sportrange %u-%u", dq_names[a->q.dq], a->lo, a->hi);
        else
            e2_strbuf_addf(o, "%sport %u", dq_names[a->q.dq], a->lo);
        return;
    case A_PROTO:
        put_pq(o, a->q.pq);
        e2_strbuf_addf(o, "proto %u", a->num);
        return;
    case A_ABBREV: e2_strbuf_addf(o, "%s", e2_pq_names[a->q.pq]); return;
    case A_VLAN:
        a->has_num ? e2_strbuf_addf(o, "vlan %u", a->num) : e2_strbuf_addf(o, "vlan");
        return;
    case A_BCAST:
    case A_MCAST:
        put_pq(o, a->q.pq);
        e2_strbuf_addf(o, a->kind == A_BCAST ? "broadcast" : "multicast");
        return;
    case A_LESS: e2_strbuf_addf(o, "less %u", a->num); return;
    case A_GREATER: e2_strbuf_addf(o, "greater %u", a->num); return;
    case A_REL:
        put_arith(o, a->a);
        e2_strbuf_addf(o, " %s ", relops[a->relop]);
        put_arith(o, a->b);
        return;
    case A_ATTR: put_attr(o, a); return;
    default: return;
    }
}

/*
 * Residue of a subtree under known attribute values: R_TRUE, R_FALSE, or
 * R_KEEP (print it). Negative: an attribute the environment does not know.
 */
enum { R_FALSE, R_TRUE, R_KEEP };

struct resid {
    const struct e2_filter_env *env; /* NULL: print everything (canonical) */
    struct e2_err *err;
    int bad; /* 0, or -ENOTSUP */
};

static bool has_vlan(const struct e2_ast *a)
{
    return a && (a->kind == A_VLAN || has_vlan(a->l) || has_vlan(a->r));
}

static int attr_known(struct resid *r, const struct e2_ast *a)
{
    struct e2_attr_val v = {0};
    int rc = r->env->attr ? r->env->attr(r->env->ctx, a->slot, &v) : -ENODATA;
    if (rc && rc != -ENOENT && !r->bad)
        r->bad = e2_err_set(r->err, ENOTSUP, "no value given for attribute %s", a->ref);
    if (rc) return R_FALSE; /* -ENOENT: not set, so every term on it is false */
    /* Evaluate the one term with the evaluator's rules. */
    struct e2_ir n = {.kind = IR_ATTR,
                      .slot = a->slot,
                      .relop = a->relop,
                      .atype = (uint8_t)a->atype,
                      .v = a->val,
                      .str = a->str};
    struct e2_filter f = {.ir = &n, .n_ir = 1};
    return e2_ir_test(&f, 0, NULL, 0, 0, r->env) == 1 ? R_TRUE : R_FALSE;
}

/* Dropping a subtree that contains `vlan` would shift every later offset. */
static void dropped(struct resid *r, const struct e2_ast *a)
{
    if (r->env && has_vlan(a) && !r->bad)
        r->bad = e2_err_set(r->err, ENOTSUP,
                            "a vlan primitive sits in a branch the attribute values decide");
}

static int residue(struct resid *r, const struct e2_ast *a)
{
    if (!r->env) return R_KEEP;
    switch (a->kind) {
    case A_ATTR: return attr_known(r, a);
    case A_NOT: {
        int v = residue(r, a->l);
        return v == R_KEEP ? R_KEEP : !v;
    }
    case A_AND:
    case A_OR: {
        int absorb = a->kind == A_AND ? R_FALSE : R_TRUE;
        int l = residue(r, a->l), rr = residue(r, a->r);
        if (l == absorb || rr == absorb) {
            if (l != absorb) dropped(r, a->l);
            if (rr != absorb) dropped(r, a->r);
            return absorb;
        }
        if (l == R_KEEP && rr == R_KEEP) return R_KEEP;
        return l == R_KEEP || rr == R_KEEP ? R_KEEP : !absorb;
    }
    default: return R_KEEP;
    }
}

/*
 * and/or print with the fewest parentheses libpcap needs, which also keeps
 * long chains flat: both share one precedence and group to the left, so a
 * left operand never needs them and a right operand only when its operator
 * differs. @bare: this and/or node may go without parentheses here.
 */
static void put_node(struct e2_strbuf *o, struct resid *r, const struct e2_ast *a, bool bare);

static void put_side(struct e2_strbuf *o, struct resid *r, const struct e2_ast *a,
                     enum e2_ast_kind parent, bool left, bool *first)
{
    if (residue(r, a) != R_KEEP) return;
    if (!*first) e2_strbuf_addf(o, parent == A_AND ? " and " : " or ");
    *first = false;
    put_node(o, r, a, left || a->kind == parent);
}

static void put_node(struct e2_strbuf *o, struct resid *r, const struct e2_ast *a, bool bare)
{
    if (a->kind == A_AND || a->kind == A_OR) {
        bool l = residue(r, a->l) == R_KEEP, rr = residue(r, a->r) == R_KEEP;
        if (!(l && rr)) { /* one side vanished: print the other in our place */
            put_node(o, r, l ? a->l : a->r, bare);
            return;
        }
        if (!bare) e2_strbuf_addf(o, "(");
        bool first = true;
        put_side(o, r, a->l, a->kind, true, &first);
        put_side(o, r, a->r, a->kind, false, &first);
        if (!bare) e2_strbuf_addf(o, ")");
        return;
    }
    if (a->kind == A_NOT) {
        e2_strbuf_addf(o, "not ");
        put_node(o, r, a->l, false);
        return;
    }
    put_prim(o, a);
}

static size_t print_tree(const struct e2_filter *f, struct resid *r, char *buf, size_t len)
{
    struct e2_strbuf o = E2_STRBUF_FIXED(buf, len);
    if (len) buf[0] = '\0';
    if (f->ast) {
        int top = residue(r, f->ast);
        if (top == R_KEEP)
            put_node(&o, r, f->ast, true);
        else if (top == R_FALSE)
            e2_strbuf_addf(&o, "1 = 0");
        else
            dropped(r, f->ast);
    }
    return o.len;
}

size_t e2_filter_print(const struct e2_filter *f, char *buf, size_t len)
{
    struct resid r = {0};
    return print_tree(f, &r, buf, len);
}

int e2_filter_print_pcap(const struct e2_filter *f, const struct e2_filter_env *known, char *buf,
                         size_t len, struct e2_err *err)
{
    static const struct e2_filter_env none = {0};
    struct resid r = {known ? known : &none, err, 0};
    size_t n = print_tree(f, &r, buf, len);
    if (r.bad) return r.bad;
    if (n >= len) return e2_err_set(err, ENOSPC, "filter text longer than %zu bytes", len);
    return (int)n;
}
