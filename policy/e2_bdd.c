#include "e2_bdd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TERMINAL_VAR UINT32_MAX

struct node {
    uint32_t var;
    e2_bdd lo, hi;
};

struct cache_entry {
    e2_bdd f, g, h, r;
};

struct e2_bdd_mgr {
    struct node *nodes;
    uint32_t n_nodes, cap_nodes, max_nodes;
    uint32_t *unique; /* open addressing; 0 = empty (node 0 is a terminal) */
    uint32_t unique_mask;
    struct cache_entry *cache;
    uint32_t cache_mask;
    uint32_t n_vars;
    uint64_t steps, max_steps; /* ite/restrict recursions: a time budget */
    bool failed;
};

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)b * 0xC2B2AE3D27D4EB4Full + (h >> 29);
    h ^= (uint64_t)c * 0x165667B19E3779F9ull + (h >> 32);
    return (uint32_t)(h ^ (h >> 31));
}

struct e2_bdd_mgr *e2_bdd_new(uint32_t max_nodes)
{
    struct e2_bdd_mgr *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->max_nodes = max_nodes < 1024 ? 1024 : max_nodes;
    m->max_steps = UINT64_MAX;
    m->cap_nodes = m->max_nodes < (1u << 16) ? m->max_nodes : 1u << 16;
    m->unique_mask = (1u << 17) - 1;
    m->cache_mask = (1u << 18) - 1;
    m->nodes = malloc(m->cap_nodes * sizeof(*m->nodes));
    m->unique = calloc(m->unique_mask + 1, sizeof(*m->unique));
    m->cache = calloc(m->cache_mask + 1, sizeof(*m->cache));
    if (!m->nodes || !m->unique || !m->cache) {
        e2_bdd_free(m);
        return NULL;
    }
    m->nodes[0] = (struct node){TERMINAL_VAR, 0, 0};
    m->nodes[1] = (struct node){TERMINAL_VAR, 1, 1};
    m->n_nodes = 2;
    return m;
}

void e2_bdd_set_step_limit(struct e2_bdd_mgr *m, uint64_t steps)
{
    m->max_steps = steps;
}

bool e2_bdd_charge(struct e2_bdd_mgr *m, uint64_t steps)
{
    m->steps += steps;
    if (m->steps > m->max_steps) m->failed = true;
    return !m->failed;
}

uint64_t e2_bdd_steps(const struct e2_bdd_mgr *m)
{
    return m->steps;
}

void e2_bdd_free(struct e2_bdd_mgr *m)
{
    if (!m) return;
    free(m->nodes);
    free(m->unique);
    free(m->cache);
    free(m);
}

uint32_t e2_bdd_add_vars(struct e2_bdd_mgr *m, uint32_t n)
{
    uint32_t first = m->n_vars;
    m->n_vars += n;
    return first;
}

uint32_t e2_bdd_nvars(const struct e2_bdd_mgr *m)
{
    return m->n_vars;
}

bool e2_bdd_failed(const struct e2_bdd_mgr *m)
{
    return m->failed;
}

size_t e2_bdd_nodes(const struct e2_bdd_mgr *m)
{
    return m->n_nodes;
}

/* Double the node array, the unique table and the cache together. */
static bool grow(struct e2_bdd_mgr *m)
{
    uint32_t cap = m->cap_nodes * 2;
    if (cap > m->max_nodes) cap = m->max_nodes;
    if (cap <= m->n_nodes) return false;
    struct node *nodes = realloc(m->nodes, (size_t)cap * sizeof(*nodes));
    if (!nodes) return false;
    m->nodes = nodes;
    m->cap_nodes = cap;
    uint32_t umask = m->unique_mask;
    while (umask + 1 < 2 * cap) umask = umask * 2 + 1;
    if (umask != m->unique_mask) {
        uint32_t *u = calloc((size_t)umask + 1, sizeof(*u));
        struct cache_entry *c = calloc((size_t)(umask + 1) * 2, sizeof(*c));
        if (!u || !c) {
            free(u);
            free(c);
            return false;
        }
        for (uint32_t i = 2; i < m->n_nodes; i++) {
            const struct node *n = &m->nodes[i];
            uint32_t h = hash3(n->var, n->lo, n->hi) & umask;
            while (u[h]) h = (h + 1) & umask;
            u[h] = i;
        }
        free(m->unique);
        free(m->cache);
        m->unique = u;
        m->unique_mask = umask;
        m->cache = c;
        m->cache_mask = umask * 2 + 1;
    }
    return true;
}

static e2_bdd mk(struct e2_bdd_mgr *m, uint32_t var, e2_bdd lo, e2_bdd hi)
{
    if (lo == hi) return lo;
    uint32_t h = hash3(var, lo, hi) & m->unique_mask;
    for (uint32_t i; (i = m->unique[h]); h = (h + 1) & m->unique_mask) {
        const struct node *n = &m->nodes[i];
        if (n->var == var && n->lo == lo && n->hi == hi) return i;
    }
    if (m->n_nodes == m->cap_nodes) {
        if (m->failed || !grow(m)) {
            m->failed = true;
            return E2_BDD_FALSE;
        }
        h = hash3(var, lo, hi) & m->unique_mask;
        while (m->unique[h]) h = (h + 1) & m->unique_mask;
    }
    uint32_t i = m->n_nodes++;
    m->nodes[i] = (struct node){var, lo, hi};
    m->unique[h] = i;
    return i;
}

e2_bdd e2_bdd_var(struct e2_bdd_mgr *m, uint32_t v)
{
    return mk(m, v, E2_BDD_FALSE, E2_BDD_TRUE);
}

static uint32_t top_var(const struct e2_bdd_mgr *m, e2_bdd f)
{
    return m->nodes[f].var;
}

static e2_bdd cofactor(const struct e2_bdd_mgr *m, e2_bdd f, uint32_t var, bool high)
{
    if (m->nodes[f].var != var) return f;
    return high ? m->nodes[f].hi : m->nodes[f].lo;
}

e2_bdd e2_bdd_ite(struct e2_bdd_mgr *m, e2_bdd f, e2_bdd g, e2_bdd h)
{
    if (f == E2_BDD_TRUE) return g;
    if (f == E2_BDD_FALSE) return h;
    if (g == h) return g;
    if (g == E2_BDD_TRUE && h == E2_BDD_FALSE) return f;
    if (m->failed || ++m->steps > m->max_steps) {
        m->failed = true;
        return E2_BDD_FALSE;
    }
    uint32_t slot = hash3(f, g, h) & m->cache_mask;
    struct cache_entry *c = &m->cache[slot];
    if (c->f == f && c->g == g && c->h == h && c->r) return c->r - 1;
    uint32_t v = top_var(m, f);
    if (top_var(m, g) < v) v = top_var(m, g);
    if (top_var(m, h) < v) v = top_var(m, h);
    e2_bdd hi =
        e2_bdd_ite(m, cofactor(m, f, v, true), cofactor(m, g, v, true), cofactor(m, h, v, true));
    e2_bdd lo =
        e2_bdd_ite(m, cofactor(m, f, v, false), cofactor(m, g, v, false), cofactor(m, h, v, false));
    e2_bdd r = mk(m, v, lo, hi);
    if (m->failed) return E2_BDD_FALSE;
    /* The cache may have been reallocated by mk(): index it afresh. */
    c = &m->cache[hash3(f, g, h) & m->cache_mask];
    *c = (struct cache_entry){f, g, h, r + 1};
    return r;
}

e2_bdd e2_bdd_and(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b)
{
    return e2_bdd_ite(m, a, b, E2_BDD_FALSE);
}

e2_bdd e2_bdd_or(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b)
{
    return e2_bdd_ite(m, a, E2_BDD_TRUE, b);
}

e2_bdd e2_bdd_not(struct e2_bdd_mgr *m, e2_bdd a)
{
    return e2_bdd_ite(m, a, E2_BDD_FALSE, E2_BDD_TRUE);
}

e2_bdd e2_bdd_diff(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b)
{
    return e2_bdd_ite(m, b, E2_BDD_FALSE, a);
}

e2_bdd e2_bdd_restrict(struct e2_bdd_mgr *m, e2_bdd f, uint32_t v, bool val)
{
    uint32_t fv = m->nodes[f].var;
    if (fv > v) return f; /* terminals have the largest var */
    if (fv == v) return val ? m->nodes[f].hi : m->nodes[f].lo;
    if (m->failed || ++m->steps > m->max_steps) {
        m->failed = true;
        return E2_BDD_FALSE;
    }
    /* Cache key: h = UINT32_MAX - val never names a node. */
    uint32_t g = v, h = UINT32_MAX - (uint32_t)val;
    struct cache_entry *c = &m->cache[hash3(f, g, h) & m->cache_mask];
    if (c->f == f && c->g == g && c->h == h && c->r) return c->r - 1;
    e2_bdd lo = e2_bdd_restrict(m, m->nodes[f].lo, v, val);
    e2_bdd hi = e2_bdd_restrict(m, m->nodes[f].hi, v, val);
    e2_bdd r = mk(m, fv, lo, hi);
    if (m->failed) return E2_BDD_FALSE;
    c = &m->cache[hash3(f, g, h) & m->cache_mask];
    *c = (struct cache_entry){f, g, h, r + 1};
    return r;
}

/* Depth-first walk marking nodes in @seen; records each variable once. */
static void support_walk(const struct e2_bdd_mgr *m, e2_bdd f, uint8_t *seen, uint8_t *var_seen)
{
    while (f > E2_BDD_TRUE && !seen[f]) {
        seen[f] = 1;
        var_seen[m->nodes[f].var] = 1;
        support_walk(m, m->nodes[f].lo, seen, var_seen);
        f = m->nodes[f].hi;
    }
}

size_t e2_bdd_support(const struct e2_bdd_mgr *m, e2_bdd f, uint32_t *vars, size_t max)
{
    uint8_t *seen = calloc(m->n_nodes, 1), *var_seen = calloc(m->n_vars + 1, 1);
    size_t n = 0;
    if (seen && var_seen) {
        support_walk(m, f, seen, var_seen);
        for (uint32_t v = 0; v < m->n_vars; v++) {
            if (!var_seen[v]) continue;
            if (n < max) vars[n] = v;
            n++;
        }
    }
    free(seen);
    free(var_seen);
    return n;
}

bool e2_bdd_eval(const struct e2_bdd_mgr *m, e2_bdd f, const uint8_t *bits)
{
    while (f > E2_BDD_TRUE) f = bits[m->nodes[f].var] ? m->nodes[f].hi : m->nodes[f].lo;
    return f == E2_BDD_TRUE;
}

int e2_bdd_sat_prefer(const struct e2_bdd_mgr *m, e2_bdd f, uint8_t *bits)
{
    if (f == E2_BDD_FALSE) return -ENOENT;
    while (f > E2_BDD_TRUE) {
        const struct node *n = &m->nodes[f];
        e2_bdd want = bits[n->var] ? n->hi : n->lo;
        if (want == E2_BDD_FALSE) {
            bits[n->var] = !bits[n->var];
            want = bits[n->var] ? n->hi : n->lo;
        }
        f = want;
    }
    return 0;
}

uint32_t e2_bdd_node_var(const struct e2_bdd_mgr *m, e2_bdd f)
{
    return m->nodes[f].var;
}

e2_bdd e2_bdd_low(const struct e2_bdd_mgr *m, e2_bdd f)
{
    return m->nodes[f].lo;
}

e2_bdd e2_bdd_high(const struct e2_bdd_mgr *m, e2_bdd f)
{
    return m->nodes[f].hi;
}
