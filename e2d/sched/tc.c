#include "tc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIDE1     (1ull << 20)
#define PASS_REBASE (1ull << 62)

static const char *policy_names[] = {"priority", "weighted_fair", "round_robin", "rate_limit",
                                     "leaf"};
static const char *resource_names[] = {"count", "cycles", "packets", "bits"};

const char *e2_tc_policy_name(enum e2_tc_policy p)
{
    return policy_names[p];
}

const char *e2_resource_name(enum e2_resource r)
{
    return resource_names[r];
}

static int lookup(const char *const *names, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

int e2_tc_policy_parse(const char *name, enum e2_tc_policy *out)
{
    int i = lookup(policy_names, E2_TC_LEAF + 1, name);
    if (i < 0) return -EINVAL;
    *out = (enum e2_tc_policy)i;
    return 0;
}

int e2_resource_parse(const char *name, enum e2_resource *out)
{
    int i = lookup(resource_names, E2_RES_MAX, name);
    if (i < 0) return -EINVAL;
    *out = (enum e2_resource)i;
    return 0;
}

/* ---- statistics: one writer (the worker), readers anywhere ---- */

static inline void stat_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

void e2_tc_stats(const struct e2_tc *tc, struct e2_usage *out)
{
    for (int r = 0; r < E2_RES_MAX; r++)
        out->v[r] = __atomic_load_n(&tc->stats.v[r], __ATOMIC_RELAXED);
}

/* ---- creation ---- */

struct e2_tc *e2_tc_create(const char *name, enum e2_tc_policy policy, const struct e2_tc_params *p,
                           struct e2_err *err)
{
    if (!name || !*name || strlen(name) >= E2_TC_NAME_MAX) {
        e2_err_set(err, EINVAL, "traffic class name must be 1..%d characters", E2_TC_NAME_MAX - 1);
        return NULL;
    }
    if (policy == E2_TC_RATE_LIMIT && (p->limit == 0 || p->hz == 0)) {
        e2_err_set(err, EINVAL, "rate_limit '%s': limit must be > 0", name);
        return NULL;
    }
    if (policy == E2_TC_LEAF && !p->task) {
        e2_err_set(err, EINVAL, "leaf '%s' has no task", name);
        return NULL;
    }
    struct e2_tc *tc = calloc(1, sizeof(*tc));
    if (!tc) {
        e2_err_set(err, ENOMEM, "traffic class '%s': out of memory", name);
        return NULL;
    }
    snprintf(tc->name, sizeof(tc->name), "%s", name);
    tc->policy = policy;
    tc->resource = p->resource;
    tc->task = p->task;
    if (policy == E2_TC_RATE_LIMIT) {
        tc->limit = p->limit;
        tc->burst = p->burst;
        e2_tbucket_init(&tc->tb, p->limit, p->burst, p->hz, p->now);
    }
    return tc;
}

void e2_tc_destroy(struct e2_tc *tc)
{
    if (!tc) return;
    free(tc->children);
    free(tc->heap);
    free(tc->blocked);
    free(tc);
}

/* ---- weighted_fair heap (min-heap on pass) ---- */

static void heap_set(struct e2_tc *p, uint32_t i, struct e2_tc *c)
{
    p->heap[i] = c;
    c->slot = i;
}

static void heap_up(struct e2_tc *p, uint32_t i)
{
    struct e2_tc *c = p->heap[i];
    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (p->heap[up]->pass <= c->pass) break;
        heap_set(p, i, p->heap[up]);
        i = up;
    }
    heap_set(p, i, c);
}

static void heap_down(struct e2_tc *p, uint32_t i)
{
    struct e2_tc *c = p->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, m = l;
        if (l >= p->n_heap) break;
        if (l + 1 < p->n_heap && p->heap[l + 1]->pass < p->heap[l]->pass) m = l + 1;
        if (p->heap[m]->pass >= c->pass) break;
        heap_set(p, i, p->heap[m]);
        i = m;
    }
    heap_set(p, i, c);
}

static void heap_push(struct e2_tc *p, struct e2_tc *c)
{
    if (p->n_heap > 0 && c->pass < p->heap[0]->pass) c->pass = p->heap[0]->pass;
    heap_set(p, p->n_heap++, c);
    heap_up(p, c->slot);
}

static void heap_remove(struct e2_tc *p, uint32_t i)
{
    struct e2_tc *last = p->heap[--p->n_heap];
    if (i == p->n_heap) return;
    heap_set(p, i, last);
    heap_down(p, i);
    heap_up(p, last->slot);
}

static void wfq_rebase(struct e2_tc *p)
{
    uint64_t base = p->heap[0]->pass;
    for (uint32_t i = 0; i < p->n_children; i++)
        p->children[i]->pass = p->children[i]->pass > base ? p->children[i]->pass - base : 0;
}

/* ---- tree changes (worker paused) ---- */

static void unblock_path(struct e2_tc *tc)
{
    for (; tc; tc = tc->parent) tc->blocked_until = 0;
}

static int grow(struct e2_tc *p)
{
    if (p->n_children < p->cap_children) return 0;
    uint32_t cap = p->cap_children ? 2 * p->cap_children : 4;
    struct e2_tc **c = realloc(p->children, cap * sizeof(*c));
    if (!c) return -ENOMEM;
    p->children = c;
    if (p->policy == E2_TC_WEIGHTED_FAIR) {
        struct e2_tc **h = realloc(p->heap, cap * sizeof(*h));
        if (!h) return -ENOMEM;
        p->heap = h;
        struct e2_tc **b = realloc(p->blocked, cap * sizeof(*b));
        if (!b) return -ENOMEM;
        p->blocked = b;
    }
    p->cap_children = cap;
    return 0;
}

static int check_attach(struct e2_tc *parent, struct e2_tc *child, int64_t key, struct e2_err *err)
{
    if (child->parent)
        return e2_err_set(err, EBUSY, "'%s' already has a parent ('%s')", child->name,
                          child->parent->name);
    if (parent->policy == E2_TC_LEAF)
        return e2_err_set(err, EINVAL, "'%s' is a leaf and cannot have children", parent->name);
    if (parent->policy == E2_TC_RATE_LIMIT && parent->n_children > 0)
        return e2_err_set(err, EINVAL, "rate_limit '%s' already has its one child ('%s')",
                          parent->name, parent->children[0]->name);
    if (parent->policy == E2_TC_WEIGHTED_FAIR && (key < 1 || key > E2_TC_SHARE_MAX))
        return e2_err_set(err, ERANGE, "share %lld for '%s' is out of range 1..%d", (long long)key,
                          child->name, E2_TC_SHARE_MAX);
    if (parent->policy == E2_TC_PRIORITY) {
        for (uint32_t i = 0; i < parent->n_children; i++)
            if (parent->children[i]->key == key)
                return e2_err_set(err, EEXIST, "priority %lld under '%s' is already taken by '%s'",
                                  (long long)key, parent->name, parent->children[i]->name);
    }
    for (struct e2_tc *a = parent; a; a = a->parent)
        if (a == child)
            return e2_err_set(err, ELOOP, "attaching '%s' under '%s' would make a cycle",
                              child->name, parent->name);
    return 0;
}

int e2_tc_attach(struct e2_tc *parent, struct e2_tc *child, int64_t key, struct e2_err *err)
{
    int rc = check_attach(parent, child, key, err);
    if (rc) return rc;
    if (grow(parent)) return e2_err_set(err, ENOMEM, "attaching '%s': out of memory", child->name);
    child->parent = parent;
    child->key = key;
    uint32_t i = parent->n_children++;
    if (parent->policy == E2_TC_PRIORITY) {
        while (i > 0 && parent->children[i - 1]->key < key) {
            parent->children[i] = parent->children[i - 1];
            parent->children[i]->slot = i;
            i--;
        }
    }
    parent->children[i] = child;
    child->slot = i;
    if (parent->policy == E2_TC_WEIGHTED_FAIR) {
        child->stride = STRIDE1 / (uint64_t)key;
        child->pass = 0;
        heap_push(parent, child);
    }
    unblock_path(parent);
    return 0;
}

static void remove_from(struct e2_tc **arr, uint32_t *n, struct e2_tc *c)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (arr[i] != c) continue;
        memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
        (*n)--;
        return;
    }
}

void e2_tc_detach(struct e2_tc *child)
{
    struct e2_tc *p = child->parent;
    if (!p) return;
    if (p->policy == E2_TC_WEIGHTED_FAIR) {
        bool in_heap = child->slot < p->n_heap && p->heap[child->slot] == child;
        if (in_heap)
            heap_remove(p, child->slot);
        else
            remove_from(p->blocked, &p->n_blocked, child);
    }
    remove_from(p->children, &p->n_children, child);
    if (p->policy != E2_TC_WEIGHTED_FAIR)
        for (uint32_t i = 0; i < p->n_children; i++) p->children[i]->slot = i;
    if (p->rr_next >= p->n_children) p->rr_next = 0;
    child->parent = NULL;
    unblock_path(p);
}

int e2_tc_set_limit(struct e2_tc *tc, uint64_t limit, uint64_t burst, struct e2_err *err)
{
    if (tc->policy != E2_TC_RATE_LIMIT)
        return e2_err_set(err, EINVAL, "'%s' is not a rate_limit class", tc->name);
    if (limit == 0) return e2_err_set(err, EINVAL, "rate_limit '%s': limit must be > 0", tc->name);
    tc->limit = limit;
    tc->burst = burst;
    e2_tbucket_init(&tc->tb, limit, burst, tc->tb.hz, tc->tb.last);
    unblock_path(tc);
    return 0;
}

/* ---- pick ---- */

static struct e2_tc *pick(struct e2_tc *tc, uint64_t now);

static struct e2_tc *blocked_at(struct e2_tc *tc, uint64_t until)
{
    tc->blocked_until = until;
    return NULL;
}

static struct e2_tc *pick_priority(struct e2_tc *tc, uint64_t now)
{
    uint64_t wake = UINT64_MAX;
    for (uint32_t i = 0; i < tc->n_children; i++) {
        struct e2_tc *leaf = pick(tc->children[i], now);
        if (leaf) return leaf;
        if (tc->children[i]->blocked_until < wake) wake = tc->children[i]->blocked_until;
    }
    return blocked_at(tc, wake);
}

static void wfq_wake_blocked(struct e2_tc *tc, uint64_t now)
{
    for (uint32_t i = 0; i < tc->n_blocked;) {
        struct e2_tc *c = tc->blocked[i];
        if (c->blocked_until > now) {
            i++;
            continue;
        }
        tc->blocked[i] = tc->blocked[--tc->n_blocked];
        heap_push(tc, c);
    }
}

static struct e2_tc *pick_weighted_fair(struct e2_tc *tc, uint64_t now)
{
    wfq_wake_blocked(tc, now);
    while (tc->n_heap > 0) {
        struct e2_tc *c = tc->heap[0];
        struct e2_tc *leaf = pick(c, now);
        if (leaf) return leaf;
        heap_remove(tc, 0);
        tc->blocked[tc->n_blocked++] = c;
    }
    uint64_t wake = UINT64_MAX;
    for (uint32_t i = 0; i < tc->n_blocked; i++)
        if (tc->blocked[i]->blocked_until < wake) wake = tc->blocked[i]->blocked_until;
    return blocked_at(tc, wake);
}

static struct e2_tc *pick_round_robin(struct e2_tc *tc, uint64_t now)
{
    uint64_t wake = UINT64_MAX;
    for (uint32_t k = 0; k < tc->n_children; k++) {
        uint32_t i = (tc->rr_next + k) % tc->n_children;
        struct e2_tc *leaf = pick(tc->children[i], now);
        if (leaf) {
            tc->rr_next = i;
            return leaf;
        }
        if (tc->children[i]->blocked_until < wake) wake = tc->children[i]->blocked_until;
    }
    return blocked_at(tc, wake);
}

static struct e2_tc *pick_rate_limit(struct e2_tc *tc, uint64_t now)
{
    e2_tbucket_refill(&tc->tb, now);
    uint64_t ready = e2_tbucket_ready_at(&tc->tb, now);
    if (ready) return blocked_at(tc, ready);
    if (tc->n_children == 0) return blocked_at(tc, UINT64_MAX);
    struct e2_tc *leaf = pick(tc->children[0], now);
    return leaf ? leaf : blocked_at(tc, tc->children[0]->blocked_until);
}

static struct e2_tc *pick(struct e2_tc *tc, uint64_t now)
{
    if (tc->blocked_until > now) return NULL;
    tc->blocked_until = 0;
    switch (tc->policy) {
    case E2_TC_LEAF: return tc;
    case E2_TC_PRIORITY: return pick_priority(tc, now);
    case E2_TC_WEIGHTED_FAIR: return pick_weighted_fair(tc, now);
    case E2_TC_ROUND_ROBIN: return pick_round_robin(tc, now);
    case E2_TC_RATE_LIMIT: return pick_rate_limit(tc, now);
    }
    return NULL;
}

struct e2_tc *e2_tc_pick(struct e2_tc *root, uint64_t now)
{
    return pick(root, now);
}

/* ---- accounting ---- */

static void charge_parent(struct e2_tc *p, struct e2_tc *c, const struct e2_usage *u)
{
    switch (p->policy) {
    case E2_TC_WEIGHTED_FAIR:
        if (c->slot >= p->n_heap || p->heap[c->slot] != c) return;
        c->pass += u->v[p->resource] * c->stride;
        heap_down(p, c->slot);
        if (p->heap[0]->pass >= PASS_REBASE) wfq_rebase(p);
        return;
    case E2_TC_ROUND_ROBIN: p->rr_next = (c->slot + 1) % p->n_children; return;
    default: return;
    }
}

void e2_tc_account(struct e2_tc *leaf, const struct e2_usage *u, uint64_t now)
{
    for (struct e2_tc *c = leaf; c; c = c->parent) {
        for (int r = 0; r < E2_RES_MAX; r++) stat_add(&c->stats.v[r], u->v[r]);
        if (c->policy == E2_TC_RATE_LIMIT) {
            e2_tbucket_charge(&c->tb, now, u->v[c->resource]);
        }
        if (c->parent) charge_parent(c->parent, c, u);
    }
}
