/*
 * First-match rule lists from labelled cubes (e2_cubes_order).
 *
 * A rule written for cube U may match a wider region U' (its target cannot
 * write U's ranges exactly). A point p of cube T reaches T's rule first iff
 * every rule before it whose match holds p has T's label. So for cubes T, U
 * of different labels with T ∩ U' non-empty, T's rule must come first. These
 * constraints form a graph; a topological order (smallest index first, so the
 * result is stable) is the rule list. Exact rules never need to come late
 * (U' = U is disjoint from every other cube), so every cycle runs through a
 * widened rule; one of those is split into pieces that widen less and the
 * order is tried again. A widened rule that cannot be split any further on a
 * cycle means no first-match list exists for this target: -ENOTSUP. Rules an
 * earlier rule wholly shadows are left out (they would never fire).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_cubes.h"

struct order {
    struct e2_cube_rule *r;
    bool *unsplittable;
    size_t n, cap, max;
    bool why; /* a split said why it could not */
};

static bool same_cube(const struct e2_cube *a, const struct e2_cube *b)
{
    return !memcmp(a->lo, b->lo, sizeof(a->lo)) && !memcmp(a->hi, b->hi, sizeof(a->hi));
}

static int add_rule(struct order *o, const struct e2_cube_target *t, const struct e2_cube *c,
                    int label)
{
    if (o->n >= o->max) return -E2BIG;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        struct e2_cube_rule *r = realloc(o->r, cap * sizeof(*r));
        if (!r) return -ENOMEM;
        o->r = r;
        bool *u = realloc(o->unsplittable, cap * sizeof(*u));
        if (!u) return -ENOMEM;
        o->unsplittable = u;
        o->cap = cap;
    }
    struct e2_cube_rule *r = &o->r[o->n];
    r->cube = *c;
    r->label = label;
    t->relax(t->ctx, c, &r->match);
    o->unsplittable[o->n++] = false;
    return 0;
}

/* must[i * n + j]: rule i before rule j. */
static bool *constraints(const struct order *o)
{
    size_t n = o->n;
    bool *must = calloc(n ? n * n : 1, sizeof(*must));
    if (!must) return NULL;
    for (size_t j = 0; j < n; j++) {
        if (same_cube(&o->r[j].cube, &o->r[j].match)) continue;
        for (size_t i = 0; i < n; i++) {
            struct e2_cube x;
            if (i != j && o->r[i].label != o->r[j].label &&
                e2_cube_intersect(&o->r[i].cube, &o->r[j].match, &x))
                must[i * n + j] = true;
        }
    }
    return must;
}

/*
 * Kahn's algorithm, smallest ready index first: the order into @seq (n entries
 * when it succeeds); returns how many it placed. Rules left over lie on or
 * behind a cycle.
 */
static size_t toposort(size_t n, const bool *must, size_t *seq, bool *done, size_t *indeg)
{
    memset(done, 0, n * sizeof(*done));
    memset(indeg, 0, n * sizeof(*indeg));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) indeg[j] += must[i * n + j];
    size_t placed = 0;
    for (;;) {
        size_t j = 0;
        while (j < n && (done[j] || indeg[j])) j++;
        if (j == n) return placed;
        done[j] = true;
        seq[placed++] = j;
        for (size_t k = 0; k < n; k++) indeg[k] -= must[j * n + k];
    }
}

/* Does one of the first @n rules match all that @m does? (Then a rule matching @m never fires.) */
static bool shadowed(const struct e2_cube_rule *r, size_t n, const struct e2_cube *m)
{
    for (size_t k = 0; k < n; k++) {
        bool inside = true;
        for (unsigned d = 0; d < E2_CD_COUNT && inside; d++)
            inside = m->lo[d] >= r[k].match.lo[d] && m->hi[d] <= r[k].match.hi[d];
        if (inside) return true;
    }
    return false;
}

/* Replace rule @k by the pieces its target cuts it into. */
static int split_rule(struct order *o, const struct e2_cube_target *t, size_t k, struct e2_err *err)
{
    struct e2_cubes pieces = {.max = o->max};
    struct e2_err later = {0}; /* keep the first reason a split gave */
    int rc = t->split(t->ctx, &o->r[k].cube, &pieces, o->why ? &later : err);
    if (rc == -ENOTSUP) o->why = true;
    if (rc == -ENOTSUP || (!rc && pieces.n <= 1)) {
        o->unsplittable[k] = true;
        e2_cubes_free(&pieces);
        return 0;
    }
    if (rc) {
        e2_cubes_free(&pieces);
        return rc;
    }
    int label = o->r[k].label;
    o->r[k] = o->r[--o->n];
    o->unsplittable[k] = o->unsplittable[o->n];
    for (size_t i = 0; i < pieces.n && !rc; i++) rc = add_rule(o, t, &pieces.v[i], label);
    e2_cubes_free(&pieces);
    return rc;
}

/* A widened, splittable rule among those left unplaced; -1 when none. */
static long pick(const struct order *o, const bool *done)
{
    for (size_t k = 0; k < o->n; k++)
        if (!done[k] && !o->unsplittable[k] && !same_cube(&o->r[k].cube, &o->r[k].match))
            return (long)k;
    return -1;
}

static int try_order(struct order *o, const struct e2_cube_target *t, struct e2_cube_rule **out,
                     size_t *n_out, bool *again, struct e2_err *err)
{
    size_t n = o->n;
    bool *must = constraints(o), *done = malloc(n ? n : 1);
    size_t *seq = malloc((n ? n : 1) * sizeof(*seq)), *indeg = malloc((n ? n : 1) * sizeof(*indeg));
    int rc = must && done && seq && indeg ? 0 : -ENOMEM;
    *again = false;
    if (!rc && toposort(n, must, seq, done, indeg) == n) {
        struct e2_cube_rule *r = malloc((n ? n : 1) * sizeof(*r));
        if (!r) rc = -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; r && i < n; i++)
            if (!shadowed(r, k, &o->r[seq[i]].match)) r[k++] = o->r[seq[i]];
        *out = r;
        *n_out = k;
    } else if (!rc) {
        long k = pick(o, done);
        if (k < 0 && o->why)
            rc = e2_err_prefix(err, "no first-match order: ");
        else if (k < 0)
            rc = e2_err_set(err, ENOTSUP,
                            "no first-match order: rules that match more than "
                            "their ranges shadow each other");
        else
            rc = split_rule(o, t, (size_t)k, err);
        *again = !rc;
    }
    free(must);
    free(done);
    free(seq);
    free(indeg);
    return rc;
}

int e2_cubes_order(const struct e2_cube_rule *in, size_t n, const struct e2_cube_target *t,
                   size_t max, struct e2_cube_rule **out, size_t *n_out, struct e2_err *err)
{
    struct order o = {.max = max ? max : E2_CUBES_MAX};
    int rc = 0;
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n && !rc; i++) rc = add_rule(&o, t, &in[i].cube, in[i].label);
    for (bool again = !rc; again;) rc = try_order(&o, t, out, n_out, &again, err);
    free(o.r);
    free(o.unsplittable);
    if (rc == -E2BIG)
        return e2_err_set(err, E2BIG, "more than %zu rules needed to write the ranges exactly",
                          o.max);
    if (rc == -ENOMEM) return e2_err_set(err, ENOMEM, "out of memory");
    return rc;
}

size_t e2_cube_rules_default(struct e2_cube_rule *r, size_t n, int label)
{
    while (n && r[n - 1].label == label) n--;
    for (size_t i = n; i-- > 0;) {
        if (r[i].label != label) continue;
        bool needed = false;
        for (size_t k = i + 1; k < n && !needed; k++) {
            struct e2_cube x;
            needed = r[k].label != label && e2_cube_intersect(&r[i].match, &r[k].match, &x);
        }
        if (needed) continue;
        memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
        n--;
    }
    return n;
}
