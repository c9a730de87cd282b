/*
 * The packet space: BDD variables for frame bytes, the wire length,
 * attributes and the class tag, and the translation of a lowered filter
 * (IR) into a BDD. Comparisons of loaded values with constants become
 * bit-by-bit conditions; IPv4 transport offsets split on the IHL nibble;
 * arithmetic relations become 32-bit vectors with BPF's wrap-around.
 */
#include "e2_pspace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"
#include "e2_pspace_int.h"

#define MAX_OFFSET         9216 /* jumbo frame: no filter reads a byte beyond */
#define ENUM_VARS          16   /* packet bits a variable operand may depend on */
#define PREALLOCATED_BYTES 160

struct e2_pspace *e2_pspace_new(const struct e2_attr_table *attrs, uint32_t max_nodes)
{
    struct e2_pspace *ps = calloc(1, sizeof(*ps));
    if (!ps) return NULL;
    ps->m = e2_bdd_new(max_nodes);
    ps->attrs = attrs;
    ps->len_var = -1;
    ps->class_var = -1;
    ps->fixed_ihl = -1;
    ps->slots = calloc(attrs->n ? attrs->n : 1, sizeof(*ps->slots));
    if (!ps->m || !ps->slots) {
        e2_pspace_free(ps);
        return NULL;
    }
    for (size_t i = 0; i < attrs->n; i++) ps->slots[i].var = -1;
    e2_bdd_set_step_limit(ps->m, E2_PSPACE_STEPS);
    /*
     * Header bytes get their variables in frame order up front: a load whose
     * offset depends on earlier bytes (tcp[(tcp[12] & 0xf0) >> 2]) then finds
     * the bytes that decide the offset above the bytes it may read, which
     * keeps such BDDs small. Bytes further out are added when first read.
     */
    for (uint32_t off = 0; off < PREALLOCATED_BYTES; off++)
        if (e2_pspace_byte(ps, off) < 0) {
            e2_pspace_free(ps);
            return NULL;
        }
    return ps;
}

void e2_pspace_free(struct e2_pspace *ps)
{
    if (!ps) return;
    e2_bdd_free(ps->m);
    free(ps->byte_var);
    free(ps->var_kind);
    free(ps->slots);
    free(ps);
}

struct e2_bdd_mgr *e2_pspace_mgr(struct e2_pspace *ps)
{
    return ps->m;
}

/* Record what the new variables [first, first+n) stand for. */
int32_t e2_pspace_new_vars(struct e2_pspace *ps, uint32_t n, uint8_t kind, uint32_t what)
{
    uint32_t first = e2_bdd_add_vars(ps->m, n);
    struct e2_pspace_var *v = realloc(ps->var_kind, (first + n) * sizeof(*v));
    if (!v) return -1;
    ps->var_kind = v;
    for (uint32_t i = 0; i < n; i++) v[first + i] = (struct e2_pspace_var){kind, what, i};
    return (int32_t)first;
}

/* First variable of frame byte @off (its most significant bit). */
int32_t e2_pspace_byte(struct e2_pspace *ps, uint32_t off)
{
    if (off >= ps->n_bytes) {
        uint32_t n = off + 64;
        int32_t *v = realloc(ps->byte_var, n * sizeof(*v));
        if (!v) return -1;
        for (uint32_t i = ps->n_bytes; i < n; i++) v[i] = -1;
        ps->byte_var = v;
        ps->n_bytes = n;
    }
    if (ps->byte_var[off] < 0) ps->byte_var[off] = e2_pspace_new_vars(ps, 8, PV_BYTE, off);
    return ps->byte_var[off];
}

/* Bit @bit (0 = least significant) of frame byte @off. */
static e2_bdd byte_bit(struct e2_pspace *ps, uint32_t off, unsigned bit)
{
    int32_t v = e2_pspace_byte(ps, off);
    if (v < 0) {
        ps->oom = true;
        return E2_BDD_FALSE;
    }
    return e2_bdd_var(ps->m, (uint32_t)v + 7 - bit);
}

static e2_bdd len_bit(struct e2_pspace *ps, unsigned bit)
{
    if (ps->len_var < 0) ps->len_var = e2_pspace_new_vars(ps, 32, PV_LEN, 0);
    if (ps->len_var < 0) {
        ps->oom = true;
        return E2_BDD_FALSE;
    }
    return e2_bdd_var(ps->m, (uint32_t)ps->len_var + 31 - bit);
}

/* ---- bit vectors: 32 BDDs, index 0 the least significant bit ---- */

struct bvec {
    e2_bdd b[32];
};

static void bv_const(struct bvec *v, uint32_t c)
{
    for (unsigned i = 0; i < 32; i++) v->b[i] = (c >> i) & 1 ? E2_BDD_TRUE : E2_BDD_FALSE;
}

static bool bv_is_const(const struct bvec *v, uint32_t *c)
{
    *c = 0;
    for (unsigned i = 0; i < 32; i++) {
        if (v->b[i] > E2_BDD_TRUE) return false;
        *c |= (uint32_t)v->b[i] << i;
    }
    return true;
}

static e2_bdd bxor(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b)
{
    return e2_bdd_ite(m, a, e2_bdd_not(m, b), b);
}

/* Unsigned a > b (strict) or a >= b, from the least significant bit up. */
static e2_bdd bv_cmp(struct e2_bdd_mgr *m, const e2_bdd *a, const e2_bdd *b, unsigned n,
                     bool strict)
{
    e2_bdd r = strict ? E2_BDD_FALSE : E2_BDD_TRUE;
    for (unsigned i = 0; i < n; i++) r = e2_bdd_ite(m, bxor(m, a[i], b[i]), a[i], r);
    return r;
}

static e2_bdd bv_eq(struct e2_bdd_mgr *m, const e2_bdd *a, const e2_bdd *b, unsigned n)
{
    e2_bdd r = E2_BDD_TRUE;
    for (unsigned i = 0; i < n; i++) r = e2_bdd_and(m, r, e2_bdd_not(m, bxor(m, a[i], b[i])));
    return r;
}

static e2_bdd compare(struct e2_bdd_mgr *m, uint8_t op, const e2_bdd *x, const e2_bdd *k,
                      unsigned n)
{
    switch (op) {
    case CMP_EQ: return bv_eq(m, x, k, n);
    case CMP_GT: return bv_cmp(m, x, k, n, true);
    case CMP_GE: return bv_cmp(m, x, k, n, false);
    default: { /* SET: (x & k) != 0 */
        e2_bdd r = E2_BDD_FALSE;
        for (unsigned i = 0; i < n; i++) r = e2_bdd_or(m, r, e2_bdd_and(m, x[i], k[i]));
        return r;
    }
    }
}

/* The @size-byte big-endian value at @off. */
static void bv_load(struct e2_pspace *ps, uint32_t off, unsigned size, struct bvec *v)
{
    bv_const(v, 0);
    for (unsigned i = 0; i < 8 * size; i++) v->b[i] = byte_bit(ps, off + size - 1 - i / 8, i % 8);
}

/* IHL nibble of the IPv4 header at @nh equals @k. */
static e2_bdd ihl_is(struct e2_pspace *ps, uint32_t nh, unsigned k)
{
    e2_bdd r = E2_BDD_TRUE;
    for (unsigned bit = 0; bit < 4; bit++) {
        e2_bdd b = byte_bit(ps, nh, bit);
        r = e2_bdd_and(ps->m, r, (k >> bit) & 1 ? b : e2_bdd_not(ps->m, b));
    }
    return r;
}

static int too_far(struct e2_pspace *ps, uint64_t off)
{
    return e2_err_set(ps->err, ENOTSUP,
                      "cannot be decided exactly: it reads byte %llu, beyond any frame (%d)",
                      (unsigned long long)off, MAX_OFFSET);
}

/* (load & mask) op k for an IR_CMP. */
static int cmp_bdd(struct e2_pspace *ps, const struct e2_ir *n, e2_bdd *out)
{
    struct e2_bdd_mgr *m = ps->m;
    struct bvec x, k;
    bv_const(&k, n->k);
    if (n->base == BASE_LEN) {
        for (unsigned i = 0; i < 32; i++)
            x.b[i] = (n->mask >> i) & 1 ? len_bit(ps, i) : E2_BDD_FALSE;
        *out = compare(m, n->op, x.b, k.b, 32);
        return 0;
    }
    unsigned ks = n->base == BASE_L4 ? 16 : 1;
    if ((uint64_t)n->off + 60 * (ks > 1) + n->size > MAX_OFFSET) return too_far(ps, n->off);
    /* The IHL variables go above the bytes whose offsets depend on them. */
    if (ks > 1 && e2_pspace_byte(ps, n->nh) < 0) ps->oom = true;
    e2_bdd r = E2_BDD_FALSE;
    for (unsigned ihl = 0; ihl < ks; ihl++) {
        bv_load(ps, n->off + 4 * ihl, n->size, &x);
        for (unsigned i = 0; i < 32; i++)
            if (!((n->mask >> i) & 1)) x.b[i] = E2_BDD_FALSE;
        e2_bdd c = compare(m, n->op, x.b, k.b, 32);
        r = ks > 1 ? e2_bdd_or(m, r, e2_bdd_and(m, ihl_is(ps, n->nh, ihl), c)) : c;
    }
    *out = r;
    return 0;
}

/* ---- arithmetic ---- */

static void bv_add(struct e2_bdd_mgr *m, const struct bvec *a, const struct bvec *b, e2_bdd carry,
                   struct bvec *r)
{
    for (unsigned i = 0; i < 32; i++) {
        e2_bdd x = bxor(m, a->b[i], b->b[i]);
        e2_bdd s = bxor(m, x, carry);
        carry = e2_bdd_or(m, e2_bdd_and(m, a->b[i], b->b[i]), e2_bdd_and(m, carry, x));
        r->b[i] = s;
    }
}

static void bv_not(struct e2_bdd_mgr *m, const struct bvec *a, struct bvec *r)
{
    for (unsigned i = 0; i < 32; i++) r->b[i] = e2_bdd_not(m, a->b[i]);
}

static void bv_shift(const struct bvec *a, uint32_t c, bool left, struct bvec *r)
{
    struct bvec t;
    for (unsigned i = 0; i < 32; i++) {
        int from = left ? (int)i - (int)c : (int)i + (int)c;
        t.b[i] = c < 32 && from >= 0 && from < 32 ? a->b[from] : E2_BDD_FALSE;
    }
    *r = t;
}

static uint32_t concrete(char op, uint32_t x, uint32_t y)
{
    switch (op) {
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
    case '<': return y < 32 ? x << y : 0;
    default: return y < 32 ? x >> y : 0;
    }
}

static int arith_bv(struct e2_pspace *ps, const struct e2_filter *f, int32_t i, struct bvec *out);

/* Fix each of @vars in turn and recurse; at the leaves @a and @b are constants. */
static int enumerate(struct e2_pspace *ps, const uint32_t *vars, size_t n, char op,
                     const struct bvec *a, const struct bvec *b, struct bvec *out)
{
    uint32_t x, y;
    if (!e2_bdd_charge(ps->m, 32)) return -E2BIG; /* out of budget: stop enumerating */
    if (!n) {
        if (!bv_is_const(a, &x) || !bv_is_const(b, &y)) return -EINVAL;
        if ((op == '/' || op == '%') && !y)
            return e2_err_set(ps->err, ENOTSUP,
                              "cannot be decided exactly: a division by a packet value that "
                              "can be zero (BPF then rejects the packet)");
        bv_const(out, concrete(op, x, y));
        return 0;
    }
    struct bvec a0, b0, a1, b1, r0, r1;
    for (unsigned k = 0; k < 32; k++) {
        a0.b[k] = e2_bdd_restrict(ps->m, a->b[k], vars[0], false);
        b0.b[k] = e2_bdd_restrict(ps->m, b->b[k], vars[0], false);
        a1.b[k] = e2_bdd_restrict(ps->m, a->b[k], vars[0], true);
        b1.b[k] = e2_bdd_restrict(ps->m, b->b[k], vars[0], true);
    }
    int rc = enumerate(ps, vars + 1, n - 1, op, &a0, &b0, &r0);
    if (!rc) rc = enumerate(ps, vars + 1, n - 1, op, &a1, &b1, &r1);
    if (rc) return rc;
    e2_bdd v = e2_bdd_var(ps->m, vars[0]);
    for (unsigned k = 0; k < 32; k++) out->b[k] = e2_bdd_ite(ps->m, v, r1.b[k], r0.b[k]);
    return 0;
}

/* Variables two vectors depend on, into @vars (ENUM_VARS of room); -ENOTSUP beyond. */
static int support2(struct e2_pspace *ps, const struct bvec *a, const struct bvec *b,
                    uint32_t *vars, size_t *n, const char *what)
{
    size_t count = 0;
    bool too_many = false;
    uint32_t tmp[ENUM_VARS + 1];
    const struct bvec *v[2] = {a, b};
    for (int s = 0; s < 2 && !too_many; s++) {
        for (unsigned k = 0; k < 32 && !too_many; k++) {
            size_t got = e2_bdd_support(ps->m, v[s]->b[k], tmp, ENUM_VARS + 1);
            too_many = got > ENUM_VARS;
            for (size_t t = 0; t < got && !too_many; t++) {
                bool dup = false;
                for (size_t j = 0; j < count; j++) dup |= vars[j] == tmp[t];
                if (dup) continue;
                too_many = count == ENUM_VARS;
                if (!too_many) vars[count++] = tmp[t];
            }
        }
    }
    if (too_many)
        return e2_err_set(ps->err, ENOTSUP,
                          "cannot be decided exactly: %s depends on more than %d packet bits", what,
                          ENUM_VARS);
    *n = count;
    return 0;
}

static int load_bv(struct e2_pspace *ps, const struct e2_ir_arith *a, uint32_t idx,
                   struct bvec *out)
{
    uint64_t at = (uint64_t)idx + a->k;
    if (a->base == BASE_L4) at += 4 * (uint64_t)ps->fixed_ihl;
    if (at + a->size > MAX_OFFSET) return too_far(ps, at);
    bv_load(ps, (uint32_t)at, a->size, out);
    return 0;
}

/* A load at a packet-dependent index: one load per value of the index bits. */
static int load_var(struct e2_pspace *ps, const struct e2_ir_arith *a, const uint32_t *vars,
                    size_t n, const struct bvec *idx, struct bvec *out)
{
    uint32_t c;
    if (!e2_bdd_charge(ps->m, 32)) return -E2BIG; /* out of budget: stop enumerating */
    if (!n) return bv_is_const(idx, &c) ? load_bv(ps, a, c, out) : -EINVAL;
    struct bvec i0, i1, r0, r1;
    for (unsigned k = 0; k < 32; k++) {
        i0.b[k] = e2_bdd_restrict(ps->m, idx->b[k], vars[0], false);
        i1.b[k] = e2_bdd_restrict(ps->m, idx->b[k], vars[0], true);
    }
    int rc = load_var(ps, a, vars + 1, n - 1, &i0, &r0);
    if (!rc) rc = load_var(ps, a, vars + 1, n - 1, &i1, &r1);
    if (rc) return rc;
    e2_bdd v = e2_bdd_var(ps->m, vars[0]);
    for (unsigned k = 0; k < 32; k++) out->b[k] = e2_bdd_ite(ps->m, v, r1.b[k], r0.b[k]);
    return 0;
}

static int bin_bv(struct e2_pspace *ps, char op, const struct bvec *x, const struct bvec *y,
                  struct bvec *out)
{
    struct e2_bdd_mgr *m = ps->m;
    struct bvec t;
    uint32_t c;
    switch (op) {
    case '+': bv_add(m, x, y, E2_BDD_FALSE, out); return 0;
    case '-':
        bv_not(m, y, &t);
        bv_add(m, x, &t, E2_BDD_TRUE, out);
        return 0;
    case '&':
    case '|':
    case '^':
        for (unsigned k = 0; k < 32; k++)
            out->b[k] = op == '&'   ? e2_bdd_and(m, x->b[k], y->b[k])
                        : op == '|' ? e2_bdd_or(m, x->b[k], y->b[k])
                                    : bxor(m, x->b[k], y->b[k]);
        return 0;
    default: break;
    }
    if (bv_is_const(y, &c) && (op == '<' || op == '>')) {
        bv_shift(x, c, op == '<', out);
        return 0;
    }
    if (bv_is_const(y, &c) && c && !(c & (c - 1)) && (op == '/' || op == '%' || op == '*')) {
        unsigned sh = (unsigned)__builtin_ctz(c);
        if (op == '%') {
            for (unsigned k = 0; k < 32; k++) out->b[k] = k < sh ? x->b[k] : E2_BDD_FALSE;
        } else {
            bv_shift(x, sh, op == '*', out);
        }
        return 0;
    }
    uint32_t vars[ENUM_VARS];
    size_t n;
    int rc = support2(ps, x, y, vars, &n, "an arithmetic operand");
    return rc ? rc : enumerate(ps, vars, n, op, x, y, out);
}

static int arith_bv(struct e2_pspace *ps, const struct e2_filter *f, int32_t i, struct bvec *out)
{
    const struct e2_ir_arith *a = &f->ar[i];
    struct bvec x, y;
    int rc;
    uint32_t c;
    switch (a->kind) {
    case AR_NUM: bv_const(out, a->k); return 0;
    case AR_LEN:
        for (unsigned k = 0; k < 32; k++) out->b[k] = len_bit(ps, k);
        return 0;
    case AR_NEG:
        if ((rc = arith_bv(ps, f, a->a, &x))) return rc;
        bv_not(ps->m, &x, &y);
        bv_const(&x, 0);
        bv_add(ps->m, &x, &y, E2_BDD_TRUE, out);
        return 0;
    case AR_LOAD: {
        if ((rc = arith_bv(ps, f, a->a, &x))) return rc;
        if (bv_is_const(&x, &c)) return load_bv(ps, a, c, out);
        uint32_t vars[ENUM_VARS];
        size_t n;
        bv_const(&y, 0);
        if ((rc = support2(ps, &x, &y, vars, &n, "a load offset"))) return rc;
        return load_var(ps, a, vars, n, &x, out);
    }
    default: break;
    }
    if ((rc = arith_bv(ps, f, a->a, &x)) || (rc = arith_bv(ps, f, a->b, &y))) return rc;
    return bin_bv(ps, (char)a->op, &x, &y, out);
}

/* The IPv4 header offset of an L4 load in arith tree @i, or -1 when there is none. */
static int l4_nh(const struct e2_filter *f, int32_t i)
{
    const struct e2_ir_arith *a = &f->ar[i];
    if (a->kind == AR_LOAD && a->base == BASE_L4) return a->nh;
    int r = -1;
    if (a->kind == AR_LOAD || a->kind == AR_NEG || a->kind == AR_BIN) r = l4_nh(f, a->a);
    if (r < 0 && a->kind == AR_BIN) r = l4_nh(f, a->b);
    return r;
}

/*
 * A relation. When it loads from the IPv4 transport header, decide it once
 * per IHL value, so every load of that case sits at a fixed offset (this
 * keeps tcp[(tcp[12] & 0xf0) >> 2] exact and small).
 */
static int rel_bdd(struct e2_pspace *ps, const struct e2_filter *f, const struct e2_ir *n,
                   e2_bdd *out)
{
    int nh = l4_nh(f, n->a);
    if (nh < 0) nh = l4_nh(f, n->b);
    /* The IHL variables go above the bytes whose offsets depend on them. */
    if (nh >= 0 && e2_pspace_byte(ps, (uint32_t)nh) < 0) ps->oom = true;
    e2_bdd r = E2_BDD_FALSE;
    for (int ihl = 0; ihl < (nh < 0 ? 1 : 16); ihl++) {
        struct bvec x, y;
        ps->fixed_ihl = nh < 0 ? 0 : ihl;
        int rc = arith_bv(ps, f, n->a, &x);
        if (!rc) rc = arith_bv(ps, f, n->b, &y);
        ps->fixed_ihl = -1;
        if (rc) return rc;
        e2_bdd c = compare(ps->m, n->op, x.b, y.b, 32);
        r = nh < 0 ? c
                   : e2_bdd_or(ps->m, r,
                               e2_bdd_and(ps->m, ihl_is(ps, (uint32_t)nh, (unsigned)ihl), c));
    }
    *out = r;
    return 0;
}

int e2_pspace_ir(struct e2_pspace *ps, const struct e2_filter *f, int32_t i, e2_bdd *out)
{
    const struct e2_ir *n = &f->ir[i];
    struct e2_bdd_mgr *m = ps->m;
    e2_bdd a, b;
    int rc;
    switch (n->kind) {
    case IR_TRUE: *out = E2_BDD_TRUE; return 0;
    case IR_FALSE: *out = E2_BDD_FALSE; return 0;
    case IR_AND:
    case IR_OR:
        if ((rc = e2_pspace_ir(ps, f, n->a, &a)) || (rc = e2_pspace_ir(ps, f, n->b, &b))) return rc;
        *out = n->kind == IR_AND ? e2_bdd_and(m, a, b) : e2_bdd_or(m, a, b);
        return 0;
    case IR_NOT:
        if ((rc = e2_pspace_ir(ps, f, n->a, &a))) return rc;
        *out = e2_bdd_not(m, a);
        return 0;
    case IR_CMP: return cmp_bdd(ps, n, out);
    case IR_REL: return rel_bdd(ps, f, n, out);
    default: return e2_pspace_attr_term(ps, n, out);
    }
}

int e2_pspace_filter(struct e2_pspace *ps, const struct e2_filter *f, e2_bdd *out,
                     struct e2_err *err)
{
    ps->err = err;
    int rc = e2_pspace_ir(ps, f, f->root, out);
    if (rc && rc != -E2BIG) return rc;
    if (ps->oom) return e2_err_set(err, ENOMEM, "out of memory");
    if (rc || e2_bdd_failed(ps->m))
        return e2_err_set(err, E2BIG,
                          "too complex to decide exactly within the checker's budget (%zu BDD "
                          "nodes, %llu steps)",
                          e2_bdd_nodes(ps->m), (unsigned long long)e2_bdd_steps(ps->m));
    return 0;
}
