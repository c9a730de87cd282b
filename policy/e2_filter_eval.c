/*
 * The evaluator: walks the lowered program over a raw frame with BPF's
 * semantics (32-bit unsigned arithmetic, big-endian loads, a load beyond the
 * captured bytes or a division by zero rejects the whole packet). No
 * allocation, no global state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"

#define ABORT (-1)

static inline int load(const uint8_t *p, uint32_t caplen, uint64_t off, uint8_t size, uint32_t *v)
{
    if (off + size > caplen) return ABORT;
    p += off;
    switch (size) {
    case 1: *v = p[0]; break;
    case 2: *v = ((uint32_t)p[0] << 8) | p[1]; break;
    default: *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    }
    return 0;
}

/* 4 * IHL of the IPv4 header at @nh (BPF's ldxb 4*([nh]&0xf)). */
static int ihl4(const uint8_t *p, uint32_t caplen, uint32_t nh, uint32_t *x)
{
    if (nh >= caplen) return ABORT;
    *x = 4u * (p[nh] & 0xfu);
    return 0;
}

static int arith(const struct e2_filter *f, int32_t i, const uint8_t *p, uint32_t caplen,
                 uint32_t wirelen, uint32_t *out)
{
    const struct e2_ir_arith *n = &f->ar[i];
    uint32_t x, y;
    switch (n->kind) {
    case AR_NUM: *out = n->k; return 0;
    case AR_LEN: *out = wirelen; return 0;
    case AR_NEG:
        if (arith(f, n->a, p, caplen, wirelen, &x)) return ABORT;
        *out = 0u - x;
        return 0;
    case AR_LOAD: {
        if (arith(f, n->a, p, caplen, wirelen, &x)) return ABORT;
        if (n->base == BASE_L4) {
            if (ihl4(p, caplen, n->nh, &y)) return ABORT;
            x += y; /* 32-bit, as BPF's add */
        }
        return load(p, caplen, (uint64_t)x + n->k, n->size, out);
    }
    default: break;
    }
    if (arith(f, n->a, p, caplen, wirelen, &x) || arith(f, n->b, p, caplen, wirelen, &y))
        return ABORT;
    switch (n->op) {
    case '+': *out = x + y; break;
    case '-': *out = x - y; break;
    case '*': *out = x * y; break;
    case '/':
        if (!y) return ABORT;
        *out = x / y;
        break;
    case '%':
        if (!y) return ABORT;
        *out = x % y;
        break;
    case '&': *out = x & y; break;
    case '|': *out = x | y; break;
    case '^': *out = x ^ y; break;
    case '<': *out = y < 32 ? x << y : 0; break;
    default: *out = y < 32 ? x >> y : 0; break;
    }
    return 0;
}

static inline int compare(uint8_t op, uint32_t x, uint32_t k)
{
    switch (op) {
    case CMP_EQ: return x == k;
    case CMP_GT: return x > k;
    case CMP_GE: return x >= k;
    default: return (x & k) != 0;
    }
}

static inline int cmp_node(const struct e2_ir *n, const uint8_t *p, uint32_t caplen,
                           uint32_t wirelen)
{
    uint32_t x, base = 0;
    if (n->base == BASE_LEN) return compare(n->op, wirelen & n->mask, n->k);
    if (n->base == BASE_L4 && ihl4(p, caplen, n->nh, &base)) return ABORT;
    if (load(p, caplen, (uint64_t)n->off + base, n->size, &x)) return ABORT;
    return compare(n->op, x & n->mask, n->k);
}

static int attr_node(const struct e2_ir *n, const struct e2_filter_env *env)
{
    struct e2_attr_val v = {0};
    if (!env || !env->attr || env->attr(env->ctx, n->slot, &v)) return 0;
    if (n->atype == E2_ATTR_BOOL) return v.num != 0;
    int c;
    if (n->atype == E2_ATTR_STRING)
        c = strcmp(v.str ? v.str : "", n->str);
    else
        c = (v.num > n->v) - (v.num < n->v);
    switch (n->relop) {
    case REL_EQ: return c == 0;
    case REL_NE: return c != 0;
    case REL_GT: return c > 0;
    case REL_GE: return c >= 0;
    case REL_LT: return c < 0;
    default: return c <= 0;
    }
}

static inline int test(const struct e2_filter *f, int32_t i, const uint8_t *p, uint32_t caplen,
                       uint32_t wirelen, const struct e2_filter_env *env)
{
    const struct e2_ir *n = &f->ir[i];
    uint32_t x, y;
    switch (n->kind) {
    case IR_CMP: return cmp_node(n, p, caplen, wirelen);
    case IR_REL:
        if (arith(f, n->a, p, caplen, wirelen, &x) || arith(f, n->b, p, caplen, wirelen, &y))
            return ABORT;
        return compare(n->op, x, y);
    default: return attr_node(n, env);
    }
}

int e2_ir_test(const struct e2_filter *f, int32_t i, const uint8_t *p, uint32_t caplen,
               uint32_t wirelen, const struct e2_filter_env *env)
{
    return test(f, i, p, caplen, wirelen, env);
}

int e2_filter_run(const struct e2_filter *f, const uint8_t *p, uint32_t caplen, uint32_t wirelen,
                  const struct e2_filter_env *env)
{
    int32_t pc = f->entry;
    while (pc >= 0) {
        const struct e2_insn *in = &f->prog[pc];
        int r = test(f, in->ir, p, caplen, wirelen, env);
        if (r < 0) return ABORT;
        pc = r ? in->jt : in->jf;
    }
    return pc == PROG_MATCH;
}

/* ---- linking: and/or/not become jumps, in the IR's evaluation order ---- */

struct linker {
    struct e2_filter *f;
    size_t cap;
    bool oom;
};

static int32_t emit(struct linker *L, int32_t ir, int32_t jt, int32_t jf)
{
    struct e2_filter *f = L->f;
    if (f->n_prog == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 16;
        struct e2_insn *v = realloc(f->prog, cap * sizeof(*v));
        if (!v) {
            L->oom = true;
            return PROG_NO_MATCH;
        }
        f->prog = v;
        L->cap = cap;
    }
    f->prog[f->n_prog] = (struct e2_insn){ir, jt, jf};
    return (int32_t)f->n_prog++;
}

/* Code for node @i that continues at @t when it holds and at @f otherwise; returns its entry. */
static int32_t link_node(struct linker *L, int32_t i, int32_t t, int32_t fl)
{
    const struct e2_ir *n = &L->f->ir[i];
    switch (n->kind) {
    case IR_TRUE: return t;
    case IR_FALSE: return fl;
    case IR_NOT: return link_node(L, n->a, fl, t);
    case IR_AND: return link_node(L, n->a, link_node(L, n->b, t, fl), fl);
    case IR_OR: return link_node(L, n->a, t, link_node(L, n->b, t, fl));
    default: return emit(L, i, t, fl);
    }
}

int e2_filter_link(struct e2_filter *f)
{
    struct linker L = {f, 0, false};
    f->entry = link_node(&L, f->root, PROG_MATCH, PROG_NO_MATCH);
    return L.oom ? -ENOMEM : 0;
}
