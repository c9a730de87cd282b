#include "e2_ac.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE       UINT32_MAX
#define HAS_OUT    0x80000000u /* in a transition: the state it leads to reports matches */
#define STATE_MASK 0x7fffffffu

struct pat {
    uint8_t *bytes;
    uint32_t len, id;
    bool nocase;
};

struct e2_ac_builder {
    struct pat *pats;
    size_t n, cap;
};

/* One deterministic automaton: transitions over byte classes, outputs per state. */
struct automaton {
    uint32_t n_states, n_classes;
    uint8_t map[256]; /* input byte -> class (folding included) */
    uint32_t *delta;  /* n_states x n_classes; HAS_OUT marks states with outputs */
    uint32_t *out_at; /* n_states + 1: state s reports outs[out_at[s] .. out_at[s+1]) */
    uint32_t *outs;
};

struct e2_ac {
    struct automaton cased, folded;
};

struct e2_ac_builder *e2_ac_builder_new(void)
{
    return calloc(1, sizeof(struct e2_ac_builder));
}

void e2_ac_builder_free(struct e2_ac_builder *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) free(b->pats[i].bytes);
    free(b->pats);
    free(b);
}

int e2_ac_add(struct e2_ac_builder *b, const uint8_t *pat, size_t len, bool nocase, uint32_t id,
              struct e2_err *err)
{
    if (len == 0 || len > (1u << 20))
        return e2_err_set(err, EINVAL, "pattern %u: length %zu is not 1..1048576", id, len);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct pat *p = realloc(b->pats, cap * sizeof(*p));
        if (!p) return e2_err_set(err, ENOMEM, "out of memory");
        b->pats = p;
        b->cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(copy, pat, len);
    b->pats[b->n++] = (struct pat){copy, (uint32_t)len, id, nocase};
    return 0;
}

static uint8_t fold(uint8_t c, bool on)
{
    return on ? (uint8_t)tolower(c) : c;
}

/*
 * Classes: one per byte some pattern uses (after folding), class 0 for all
 * others. When patterns use all 256 bytes, the last takes class 0: no byte
 * is left unused to share it.
 */
static void make_classes(const struct e2_ac_builder *b, bool folded, struct automaton *a)
{
    bool used[256] = {false};
    for (size_t i = 0; i < b->n; i++)
        if (b->pats[i].nocase == folded)
            for (uint32_t k = 0; k < b->pats[i].len; k++)
                used[fold(b->pats[i].bytes[k], folded)] = true;
    uint8_t cls[256] = {0};
    unsigned n = 1;
    for (int c = 0; c < 256; c++)
        if (used[c]) cls[c] = (uint8_t)(n < 256 ? n++ : 0);
    a->n_classes = n;
    for (int c = 0; c < 256; c++) a->map[c] = cls[fold((uint8_t)c, folded)];
}

static void automaton_free(struct automaton *a)
{
    free(a->delta);
    free(a->out_at);
    free(a->outs);
}

/* Trie of the patterns of one kind; returns the number of states or 0 on no memory. */
static uint32_t build_trie(const struct e2_ac_builder *b, bool folded, struct automaton *a,
                           uint32_t **own_head, uint32_t **own_next)
{
    size_t total = 1;
    for (size_t i = 0; i < b->n; i++)
        if (b->pats[i].nocase == folded) total += b->pats[i].len;
    a->delta = malloc(total * a->n_classes * sizeof(uint32_t));
    *own_head = malloc(total * sizeof(uint32_t));
    *own_next = malloc((b->n + 1) * sizeof(uint32_t));
    if (!a->delta || !*own_head || !*own_next) return 0;
    memset(a->delta, 0xff, total * a->n_classes * sizeof(uint32_t));
    memset(*own_head, 0xff, total * sizeof(uint32_t));
    uint32_t n = 1;
    for (size_t i = 0; i < b->n; i++) {
        const struct pat *p = &b->pats[i];
        if (p->nocase != folded) continue;
        uint32_t s = 0;
        for (uint32_t k = 0; k < p->len; k++) {
            uint32_t *t = &a->delta[(size_t)s * a->n_classes + a->map[p->bytes[k]]];
            if (*t == NONE) *t = n++;
            s = *t;
        }
        (*own_next)[i] = (*own_head)[s];
        (*own_head)[s] = (uint32_t)i;
    }
    return n;
}

/* Failure links in breadth-first order, turning the trie into a DFA; fills @order. */
static void link_failures(struct automaton *a, uint32_t *fail, uint32_t *order)
{
    uint32_t head = 0, tail = 0, nc = a->n_classes;
    fail[0] = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t s = order[head++];
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t *t = &a->delta[(size_t)s * nc + c];
            uint32_t via_fail = s ? a->delta[(size_t)fail[s] * nc + c] : 0;
            if (*t == NONE) {
                *t = via_fail;
                continue;
            }
            fail[*t] = via_fail;
            order[tail++] = *t;
        }
    }
}

/* Outputs: a state's own patterns, then its failure state's (already complete). */
static int collect_outputs(const struct e2_ac_builder *b, struct automaton *a, const uint32_t *fail,
                           const uint32_t *order, const uint32_t *own_head,
                           const uint32_t *own_next)
{
    uint32_t n = a->n_states;
    uint32_t *count = calloc(n, sizeof(uint32_t));
    a->out_at = calloc((size_t)n + 1, sizeof(uint32_t));
    if (!count || !a->out_at) {
        free(count);
        return -ENOMEM;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = order[k];
        for (uint32_t p = own_head[s]; p != NONE; p = own_next[p]) count[s]++;
        if (s) count[s] += count[fail[s]];
    }
    for (uint32_t s = 0; s < n; s++) a->out_at[s + 1] = a->out_at[s] + count[s];
    a->outs = malloc(((size_t)a->out_at[n] + 1) * sizeof(uint32_t));
    if (!a->outs) {
        free(count);
        return -ENOMEM;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = order[k], w = a->out_at[s];
        for (uint32_t p = own_head[s]; p != NONE; p = own_next[p]) a->outs[w++] = b->pats[p].id;
        if (s && count[fail[s]])
            memcpy(&a->outs[w], &a->outs[a->out_at[fail[s]]], count[fail[s]] * sizeof(uint32_t));
    }
    for (size_t i = 0; i < (size_t)n * a->n_classes; i++)
        if (a->out_at[a->delta[i] + 1] != a->out_at[a->delta[i]]) a->delta[i] |= HAS_OUT;
    free(count);
    return 0;
}

static int build(const struct e2_ac_builder *b, bool folded, struct automaton *a)
{
    make_classes(b, folded, a);
    uint32_t *own_head = NULL, *own_next = NULL, *fail = NULL, *order = NULL;
    int rc = -ENOMEM;
    a->n_states = build_trie(b, folded, a, &own_head, &own_next);
    if (a->n_states) {
        fail = malloc(a->n_states * sizeof(uint32_t));
        order = malloc(a->n_states * sizeof(uint32_t));
    }
    if (fail && order) {
        link_failures(a, fail, order);
        rc = collect_outputs(b, a, fail, order, own_head, own_next);
    }
    free(own_head);
    free(own_next);
    free(fail);
    free(order);
    return rc;
}

struct e2_ac *e2_ac_compile(const struct e2_ac_builder *b, struct e2_err *err)
{
    struct e2_ac *ac = calloc(1, sizeof(*ac));
    if (!ac || build(b, false, &ac->cased) || build(b, true, &ac->folded)) {
        e2_ac_free(ac);
        e2_err_set(err, ENOMEM, "no memory for the automata of %zu patterns", b->n);
        return NULL;
    }
    return ac;
}

void e2_ac_free(struct e2_ac *ac)
{
    if (!ac) return;
    automaton_free(&ac->cased);
    automaton_free(&ac->folded);
    free(ac);
}

static size_t automaton_memory(const struct automaton *a)
{
    return (size_t)a->n_states * a->n_classes * sizeof(uint32_t) +
           ((size_t)a->n_states + 1 + a->out_at[a->n_states]) * sizeof(uint32_t);
}

size_t e2_ac_memory(const struct e2_ac *ac)
{
    return sizeof(*ac) + automaton_memory(&ac->cased) + automaton_memory(&ac->folded);
}

static int report(const struct automaton *a, uint32_t s, uint64_t end, e2_ac_match_fn fn, void *ctx)
{
    for (uint32_t k = a->out_at[s]; k < a->out_at[s + 1]; k++)
        if (fn(ctx, a->outs[k], end)) return 1;
    return 0;
}

int e2_ac_scan(const struct e2_ac *ac, struct e2_ac_state *st, const uint8_t *data, size_t len,
               uint64_t off, e2_ac_match_fn fn, void *ctx)
{
    const struct automaton *c = &ac->cased, *f = &ac->folded;
    uint32_t sc = st->cased, sf = st->folded;
    const uint32_t ncc = c->n_classes, ncf = f->n_classes;
    for (size_t i = 0; i < len; i++) {
        uint32_t tc = c->delta[(size_t)sc * ncc + c->map[data[i]]];
        uint32_t tf = f->delta[(size_t)sf * ncf + f->map[data[i]]];
        sc = tc & STATE_MASK;
        sf = tf & STATE_MASK;
        if (__builtin_expect(!((tc | tf) & HAS_OUT), 1)) continue;
        if (((tc & HAS_OUT) && report(c, sc, off + i + 1, fn, ctx)) ||
            ((tf & HAS_OUT) && report(f, sf, off + i + 1, fn, ctx))) {
            st->cased = sc;
            st->folded = sf;
            return 1;
        }
    }
    st->cased = sc;
    st->folded = sf;
    return 0;
}
