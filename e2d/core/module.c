/* Module type registry and the helpers module code calls. */
#include "module.h"

#include <errno.h>
#include <string.h>

static struct e2_module_type *registered;
static const struct e2_module_type *sorted[256];

void e2_module_type_register(struct e2_module_type *t)
{
    t->next_registered = registered;
    registered = t;
    sorted[0] = NULL; /* re-sort on next listing */
}

const struct e2_module_type *e2_module_type_find(const char *name)
{
    for (struct e2_module_type *t = registered; t; t = t->next_registered)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct e2_module_type *const *)a)->name,
                  (*(const struct e2_module_type *const *)b)->name);
}

const struct e2_module_type *const *e2_module_types(void)
{
    if (sorted[0]) return sorted;
    size_t n = 0;
    for (struct e2_module_type *t = registered; t && n + 1 < RTE_DIM(sorted);
         t = t->next_registered)
        sorted[n++] = t;
    qsort(sorted, n, sizeof(sorted[0]), by_name);
    sorted[n] = NULL;
    return sorted;
}

int e2_cmd_stats(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)err;
    *result = m->type->stats ? m->type->stats(m) : json_null();
    return 0;
}

int e2_module_add_task(struct e2_module *m, void *arg, struct e2_err *err)
{
    if (!m->type->run_task)
        return e2_err_set(err, EINVAL, "%s modules have no tasks", m->type->name);
    if (m->n_tasks >= E2_MODULE_TASKS)
        return e2_err_set(err, ENOSPC, "a module has at most %d tasks", E2_MODULE_TASKS);
    struct e2_task *t = &m->tasks[m->n_tasks];
    t->m = m;
    t->arg = arg;
    t->leaf = NULL;
    t->worker = -1;
    return (int)m->n_tasks++;
}

void e2_split(struct e2_module *m, const uint16_t *gates, struct e2_batch *b)
{
    uint32_t n = b->cnt;
    uint32_t i = 1;
    while (i < n && gates[i] == gates[0]) i++;
    if (i == n) {
        if (gates[0] == E2_GATE_DROP)
            e2_drop_batch(m, b);
        else
            e2_emit(m, gates[0], b);
        return;
    }
    /* Several gates: gather one gate's packets at a time, in arrival order. */
    uint64_t pending = (n == 64 ? ~0ull : (1ull << n) - 1);
    struct e2_batch out;
    while (pending) {
        uint32_t first = (uint32_t)__builtin_ctzll(pending);
        uint16_t g = gates[first];
        out.cnt = 0;
        for (uint32_t k = first; k < n; k++) {
            if ((pending >> k & 1) && gates[k] == g) {
                out.pkts[out.cnt++] = b->pkts[k];
                pending &= ~(1ull << k);
            }
        }
        if (g == E2_GATE_DROP)
            e2_drop_batch(m, &out);
        else
            e2_emit(m, g, &out);
    }
    b->cnt = 0;
}
