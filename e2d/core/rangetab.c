#include "rangetab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "rcu.h"

struct e2_rangetab *e2_rangetab_new(uint32_t n, uint16_t miss_gate)
{
    struct e2_rangetab *t = malloc(sizeof(*t) + n * sizeof(t->r[0]));
    if (!t) return NULL;
    t->n = n;
    t->miss_gate = miss_gate;
    return t;
}

static int by_lo(const void *a, const void *b)
{
    const struct e2_range_gate *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

uint32_t e2_rangetab_sort(struct e2_rangetab *t)
{
    qsort(t->r, t->n, sizeof(t->r[0]), by_lo);
    for (uint32_t i = 1; i < t->n; i++)
        if (t->r[i].lo <= t->r[i - 1].last) return i;
    return 0;
}

uint32_t e2_rangetab_find(const struct e2_rangetab *t, uint32_t lo, uint32_t last)
{
    uint32_t k = 0;
    while (k < t->n && !(t->r[k].lo == lo && t->r[k].last == last)) k++;
    return k;
}

struct e2_rangetab *e2_rangetab_with(const struct e2_rangetab *t, struct e2_range_gate r)
{
    struct e2_rangetab *c = e2_rangetab_new(t->n + 1, t->miss_gate);
    if (!c) return NULL;
    memcpy(c->r, t->r, t->n * sizeof(t->r[0]));
    c->r[t->n] = r;
    return c;
}

struct e2_rangetab *e2_rangetab_without(const struct e2_rangetab *t, uint32_t k)
{
    struct e2_rangetab *c = e2_rangetab_new(t->n - 1, t->miss_gate);
    if (!c) return NULL;
    memcpy(c->r, t->r, k * sizeof(t->r[0]));
    memcpy(&c->r[k], &t->r[k + 1], (t->n - k - 1) * sizeof(t->r[0]));
    return c;
}

int e2_rangetab_from_json(const struct e2_rangetab_kind *k, const void *ctx, const json_t *list,
                          int64_t miss_gate, struct e2_rangetab **out, struct e2_err *err)
{
    if (!json_is_array(list))
        return e2_err_set(err, EINVAL, "'%s' must be a list of %s", k->list, k->entry);
    struct e2_rangetab *t = e2_rangetab_new((uint32_t)json_array_size(list),
                                            miss_gate < 0 ? E2_GATE_DROP : (uint16_t)miss_gate);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; i < t->n && !rc; i++)
        if ((rc = k->parse(json_array_get(list, i), &t->r[i], err)) != 0)
            e2_err_prefix(err, "%s[%u]: ", k->list, i);
    if (!rc) rc = k->check(ctx, t, err);
    if (rc) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int e2_rangetab_publish(const struct e2_rangetab_kind *k, const void *ctx,
                        struct e2_rangetab **slot, struct e2_rangetab *t, struct e2_err *err)
{
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    int rc = k->check(ctx, t, err);
    if (rc) {
        free(t);
        return rc;
    }
    free(e2_rcu_swap(slot, t));
    return 0;
}

int e2_rangetab_replace(const struct e2_rangetab_kind *k, const void *ctx,
                        struct e2_rangetab **slot, const json_t *list, int64_t miss_gate,
                        struct e2_err *err)
{
    struct e2_rangetab *t;
    int rc = e2_rangetab_from_json(k, ctx, list, miss_gate, &t, err);
    if (!rc) free(e2_rcu_swap(slot, t));
    return rc;
}
