#include "graph.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfreg.h"
#include "port.h"
#include "tags.h"
#include "worker.h"

static struct e2_module **mods;
static unsigned n_mods, cap_mods;
static struct e2_tc **tcs; /* inner classes created by the operator */
static unsigned n_tcs, cap_tcs;

/* ---- lookup ---- */

struct e2_module *e2_graph_module_find(const char *name)
{
    for (unsigned i = 0; i < n_mods; i++)
        if (!mods[i]->retired && strcmp(mods[i]->name, name) == 0) return mods[i];
    return NULL;
}

struct e2_module *e2_graph_module_next(struct e2_module *prev)
{
    unsigned i = 0;
    if (prev) {
        while (i < n_mods && mods[i] != prev) i++;
        i++;
    }
    while (i < n_mods && mods[i]->retired) i++;
    return i < n_mods ? mods[i] : NULL;
}

struct e2_tc *e2_graph_tc_find(const char *name)
{
    for (unsigned w = 0; w < e2_worker_count(); w++)
        if (strcmp(e2_worker_root(w)->name, name) == 0) return e2_worker_root(w);
    for (unsigned i = 0; i < n_tcs; i++)
        if (strcmp(tcs[i]->name, name) == 0) return tcs[i];
    for (unsigned i = 0; i < n_mods; i++)
        for (unsigned t = 0; t < mods[i]->n_tasks && !mods[i]->retired; t++)
            if (strcmp(mods[i]->tasks[t].leaf->name, name) == 0) return mods[i]->tasks[t].leaf;
    return NULL;
}

int e2_graph_tc_worker(const struct e2_tc *tc)
{
    while (tc->parent) tc = tc->parent;
    for (unsigned w = 0; w < e2_worker_count(); w++)
        if (e2_worker_root(w) == tc) return (int)w;
    return -1;
}

static int check_name(const char *name, struct e2_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n >= E2_NAME_MAX)
        return e2_err_set(err, EINVAL, "name '%s' must be 1..%d characters", name, E2_NAME_MAX - 1);
    if (!isalpha((unsigned char)name[0]) && name[0] != '_')
        return e2_err_set(err, EINVAL, "name '%s' must start with a letter or '_'", name);
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return e2_err_set(err, EINVAL, "name '%s' may hold only letters, digits and '_'", name);
    if (e2_graph_module_find(name))
        return e2_err_set(err, EEXIST, "a module named '%s' already exists", name);
    if (e2_graph_tc_find(name))
        return e2_err_set(err, EEXIST, "a traffic class named '%s' already exists", name);
    return 0;
}

static int grow_array(void ***arr, unsigned *cap, unsigned n)
{
    if (n < *cap) return 0;
    unsigned c = *cap ? *cap * 2 : 16;
    void **a = realloc(*arr, c * sizeof(void *));
    if (!a) return -ENOMEM;
    *arr = a;
    *cap = c;
    return 0;
}

/* ---- the thread-safety check ---- */

static void reach(struct e2_module *m, uint64_t bit)
{
    for (uint16_t g = 0; g < m->n_ogates; g++) {
        struct e2_module *n = m->ogates[g].next;
        if (!n || (n->in_workers & bit)) continue;
        n->in_workers |= bit;
        if (!n->type->run_task) reach(n, bit);
    }
}

/* Does a class above @leaf share or limit bits? Then its task must count them. */
static bool needs_bits(const struct e2_tc *leaf)
{
    for (const struct e2_tc *tc = leaf->parent; tc; tc = tc->parent)
        if ((tc->policy == E2_TC_WEIGHTED_FAIR || tc->policy == E2_TC_RATE_LIMIT) &&
            tc->resource == E2_RES_BITS)
            return true;
    return false;
}

static void refresh_report_bits(void)
{
    for (unsigned i = 0; i < n_mods; i++)
        for (unsigned t = 0; t < mods[i]->n_tasks; t++)
            mods[i]->tasks[t].report_bits = needs_bits(mods[i]->tasks[t].leaf);
}

/*
 * After any change: recompute which tasks report bits, and which workers
 * call each module's process(); refuse two on a module that is not
 * thread-safe.
 */
static int check_threads(struct e2_err *err)
{
    refresh_report_bits();
    for (unsigned i = 0; i < n_mods; i++) mods[i]->in_workers = 0;
    for (unsigned i = 0; i < n_mods; i++)
        for (unsigned t = 0; t < mods[i]->n_tasks; t++)
            if (mods[i]->tasks[t].worker >= 0) reach(mods[i], 1ull << mods[i]->tasks[t].worker);
    for (unsigned i = 0; i < n_mods; i++) {
        struct e2_module *m = mods[i];
        if (__builtin_popcountll(m->in_workers) <= 1 || (m->flags & E2_MT_SAFE)) continue;
        int a = __builtin_ctzll(m->in_workers), b = 63 - __builtin_clzll(m->in_workers);
        return e2_err_set(err, EDEADLK,
                          "module '%s' (%s) would run on workers %d and %d but is not thread-safe; "
                          "put a Queue with multi_producer=true in front of it",
                          m->name, m->type->name, a, b);
    }
    return 0;
}

/* ---- transactions ---- */

enum undo_kind {
    U_PORT_CREATED,
    U_MODULE_CREATED,
    U_MODULE_RETIRED,
    U_CONNECTED,
    U_DISCONNECTED,
    U_TC_CREATED,
    U_TC_RETIRED,
    U_TC_LIMIT,
    U_ATTACHED,
    U_TRACK,
    U_TAG_DEFINED,
    U_TAG_UNDEFINED,
    U_NF_CREATED,
};

struct undo {
    enum undo_kind kind;
    char tag[E2_TAG_NAME_MAX];
    struct e2_module *m, *to;
    struct e2_port *port;
    struct e2_tc *tc, *parent;
    uint16_t ogate, igate;
    unsigned task;
    int64_t key;
    uint64_t limit, burst;
};

struct e2_txn {
    struct undo *u;
    unsigned n, cap;
    bool failed; /* could not record: the next change is refused */
};

struct e2_txn *e2_txn_begin(void)
{
    return calloc(1, sizeof(struct e2_txn));
}

static int record(struct e2_txn *txn, struct undo u, struct e2_err *err)
{
    if (!txn) return 0;
    if (txn->n == txn->cap) {
        unsigned cap = txn->cap ? txn->cap * 2 : 32;
        struct undo *a = realloc(txn->u, cap * sizeof(*a));
        if (!a) return e2_err_set(err, ENOMEM, "out of memory recording the change");
        txn->u = a;
        txn->cap = cap;
    }
    txn->u[txn->n++] = u;
    return 0;
}

/* Make room for one record before a change, so recording it cannot fail after. */
static int reserve(struct e2_txn *txn, unsigned n, struct e2_err *err)
{
    if (!txn || txn->n + n <= txn->cap) return 0;
    unsigned cap = txn->cap ? txn->cap : 32;
    while (cap < txn->n + n) cap *= 2;
    struct undo *a = realloc(txn->u, cap * sizeof(*a));
    if (!a) return e2_err_set(err, ENOMEM, "out of memory recording the change");
    txn->u = a;
    txn->cap = cap;
    return 0;
}

static void free_module(struct e2_module *m);
static void unlist_module(struct e2_module *m);
static void attach_or_detach(struct e2_task *t, struct e2_tc *parent, int64_t key);

void e2_txn_commit(struct e2_txn *txn)
{
    if (!txn) return;
    for (unsigned i = 0; i < txn->n; i++) {
        struct undo *u = &txn->u[i];
        if (u->kind == U_MODULE_RETIRED) {
            if (u->m->type->deinit) u->m->type->deinit(u->m);
            unlist_module(u->m);
            free_module(u->m);
        } else if (u->kind == U_TC_RETIRED) {
            e2_tc_destroy(u->tc);
        }
    }
    free(txn->u);
    free(txn);
}

static void list_tc(struct e2_tc *tc)
{
    tcs[n_tcs++] = tc; /* room was reserved when it was retired */
}

static void unlist_tc(struct e2_tc *tc)
{
    for (unsigned i = 0; i < n_tcs; i++) {
        if (tcs[i] != tc) continue;
        memmove(&tcs[i], &tcs[i + 1], (n_tcs - i - 1) * sizeof(*tcs));
        n_tcs--;
        return;
    }
}

void e2_txn_rollback(struct e2_txn *txn)
{
    if (!txn) return;
    for (unsigned i = txn->n; i-- > 0;) {
        struct undo *u = &txn->u[i];
        switch (u->kind) {
        case U_PORT_CREATED: e2_port_destroy(u->port, NULL); break;
        case U_MODULE_CREATED:
            if (u->m->type->deinit) u->m->type->deinit(u->m);
            unlist_module(u->m);
            free_module(u->m);
            break;
        case U_MODULE_RETIRED: u->m->retired = false; break;
        case U_CONNECTED: u->m->ogates[u->ogate].next = NULL; break;
        case U_DISCONNECTED:
            u->m->ogates[u->ogate].next = u->to;
            u->m->ogates[u->ogate].next_igate = u->igate;
            break;
        case U_TC_CREATED:
            e2_tc_detach(u->tc);
            unlist_tc(u->tc);
            e2_tc_destroy(u->tc);
            break;
        case U_TC_RETIRED:
            e2_tc_attach(u->parent, u->tc, u->key, NULL);
            list_tc(u->tc);
            break;
        case U_TC_LIMIT: e2_tc_set_limit(u->tc, u->limit, u->burst, NULL); break;
        case U_ATTACHED: attach_or_detach(&u->m->tasks[u->task], u->parent, u->key); break;
        case U_TRACK: u->m->track_bytes = u->key; break;
        case U_TAG_DEFINED: e2_tag_undefine(u->tag, NULL); break;
        case U_TAG_UNDEFINED: e2_tag_define(u->tag, (int)u->key, NULL); break;
        case U_NF_CREATED: e2_nf_destroy(e2_nf_find(u->tag), NULL); break;
        }
    }
    check_threads(NULL);
    free(txn->u);
    free(txn);
}

/* ---- ports ---- */

int e2_graph_port_create(const struct e2_port_args *args, struct e2_txn *txn, struct e2_err *err)
{
    int rc = reserve(txn, 1, err);
    if (rc) return rc;
    struct e2_port *p;
    rc = e2_port_create(args, &p, err);
    if (rc) return rc;
    return record(txn, (struct undo){.kind = U_PORT_CREATED, .port = p}, err);
}

/* ---- connections ---- */

static int ensure_ogates(struct e2_module *m, uint16_t ogate)
{
    if (ogate < m->n_ogates) return 0;
    struct e2_ogate *g = realloc(m->ogates, (ogate + 1u) * sizeof(*g));
    if (!g) return -ENOMEM;
    memset(&g[m->n_ogates], 0, (ogate + 1u - m->n_ogates) * sizeof(*g));
    m->ogates = g;
    m->n_ogates = (uint16_t)(ogate + 1);
    return 0;
}

int e2_graph_connect(struct e2_module *from, uint16_t ogate, struct e2_module *to, uint16_t igate,
                     struct e2_txn *txn, struct e2_err *err)
{
    if (ogate >= from->type->max_ogates)
        return e2_err_set(err, EINVAL, "'%s' (%s) has %u output gate(s); gate %u does not exist",
                          from->name, from->type->name, from->type->max_ogates, ogate);
    if (igate >= to->type->max_igates)
        return e2_err_set(err, EINVAL, "'%s' (%s) has %u input gate(s); gate %u does not exist",
                          to->name, to->type->name, to->type->max_igates, igate);
    if (ogate < from->n_ogates && from->ogates[ogate].next)
        return e2_err_set(err, EBUSY, "output gate %u of '%s' is already connected to '%s'", ogate,
                          from->name, from->ogates[ogate].next->name);
    if (reserve(txn, 1, err)) return -ENOMEM;
    if (ensure_ogates(from, ogate)) return e2_err_set(err, ENOMEM, "out of memory");
    from->ogates[ogate].next = to;
    from->ogates[ogate].next_igate = igate;
    int rc = check_threads(err);
    if (rc) {
        from->ogates[ogate].next = NULL;
        check_threads(NULL);
        return e2_err_prefix(err, "cannot connect '%s'[%u] -> [%u]'%s': ", from->name, ogate, igate,
                             to->name);
    }
    return record(txn, (struct undo){.kind = U_CONNECTED, .m = from, .ogate = ogate}, err);
}

int e2_graph_disconnect(struct e2_module *from, uint16_t ogate, struct e2_txn *txn,
                        struct e2_err *err)
{
    if (ogate >= from->n_ogates || !from->ogates[ogate].next)
        return e2_err_set(err, ENOENT, "output gate %u of '%s' is not connected", ogate,
                          from->name);
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct e2_ogate *g = &from->ogates[ogate];
    record(txn,
           (struct undo){.kind = U_DISCONNECTED,
                         .m = from,
                         .ogate = ogate,
                         .to = g->next,
                         .igate = g->next_igate},
           NULL);
    g->next = NULL;
    check_threads(NULL);
    return 0;
}

/* ---- tasks and classes ---- */

static int attach_leaf(struct e2_task *t, struct e2_tc *parent, int64_t key, struct e2_err *err)
{
    int w = e2_graph_tc_worker(parent);
    if (w < 0)
        return e2_err_set(err, EINVAL, "class '%s' is not in any worker's tree", parent->name);
    int rc = e2_tc_attach(parent, t->leaf, key, err);
    if (rc) return rc;
    t->worker = w;
    e2_worker_tasks_changed((unsigned)w, 1);
    return 0;
}

static void detach_leaf(struct e2_task *t)
{
    if (t->worker < 0) return;
    e2_tc_detach(t->leaf);
    e2_worker_tasks_changed((unsigned)t->worker, -1);
    t->worker = -1;
}

static void attach_or_detach(struct e2_task *t, struct e2_tc *parent, int64_t key)
{
    detach_leaf(t);
    if (parent) attach_leaf(t, parent, key, NULL);
}

int e2_graph_task_attach(struct e2_module *m, unsigned task, struct e2_tc *parent, int64_t key,
                         struct e2_txn *txn, struct e2_err *err)
{
    if (task >= m->n_tasks)
        return e2_err_set(err, ENOENT, "module '%s' has no task %u", m->name, task);
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct e2_task *t = &m->tasks[task];
    struct e2_tc *old_parent = t->leaf->parent;
    int64_t old_key = t->leaf->key;
    detach_leaf(t);
    int rc = attach_leaf(t, parent, key, err);
    if (!rc) rc = check_threads(err);
    if (rc) {
        attach_or_detach(t, old_parent, old_key);
        check_threads(NULL);
        return rc;
    }
    return record(
        txn,
        (struct undo){
            .kind = U_ATTACHED, .m = m, .task = task, .parent = old_parent, .key = old_key},
        err);
}

int e2_graph_tc_create(const char *name, enum e2_tc_policy policy,
                       const struct e2_tc_params *params, struct e2_tc *parent, int64_t key,
                       struct e2_txn *txn, struct e2_err *err)
{
    int rc = check_name(name, err);
    if (rc) return rc;
    if (policy == E2_TC_LEAF)
        return e2_err_set(err, EINVAL, "leaves are made by modules' tasks, not by hand");
    if (grow_array((void ***)&tcs, &cap_tcs, n_tcs) || reserve(txn, 1, err))
        return e2_err_set(err, ENOMEM, "out of memory");
    struct e2_tc *tc = e2_tc_create(name, policy, params, err);
    if (!tc) return err ? err->code : -EINVAL;
    rc = e2_tc_attach(parent, tc, key, err);
    if (rc) {
        e2_tc_destroy(tc);
        return rc;
    }
    tcs[n_tcs++] = tc;
    check_threads(NULL);
    return record(txn, (struct undo){.kind = U_TC_CREATED, .tc = tc}, err);
}

int e2_graph_tc_destroy(struct e2_tc *tc, struct e2_txn *txn, struct e2_err *err)
{
    unsigned i = 0;
    while (i < n_tcs && tcs[i] != tc) i++;
    if (i == n_tcs)
        return e2_err_set(
            err, EINVAL, "'%s' is a worker root or a task leaf, not an operator's class", tc->name);
    if (tc->n_children)
        return e2_err_set(err, ENOTEMPTY, "class '%s' still has %u child(ren), e.g. '%s'", tc->name,
                          tc->n_children, tc->children[0]->name);
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct undo u = {.kind = U_TC_RETIRED, .tc = tc, .parent = tc->parent, .key = tc->key};
    e2_tc_detach(tc);
    unlist_tc(tc);
    check_threads(NULL);
    if (txn) return record(txn, u, err);
    e2_tc_destroy(tc);
    return 0;
}

int e2_graph_tc_set_limit(struct e2_tc *tc, uint64_t limit, uint64_t burst, struct e2_txn *txn,
                          struct e2_err *err)
{
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct undo u = {.kind = U_TC_LIMIT, .tc = tc, .limit = tc->limit, .burst = tc->burst};
    int rc = e2_tc_set_limit(tc, limit, burst, err);
    return rc ? rc : record(txn, u, err);
}

int e2_graph_track_bytes(struct e2_module *m, bool on, struct e2_txn *txn, struct e2_err *err)
{
    int rc = record(txn, (struct undo){.kind = U_TRACK, .m = m, .key = m->track_bytes}, err);
    if (!rc) m->track_bytes = on;
    return rc;
}

int e2_graph_tag_define(const char *name, int slot, struct e2_txn *txn, struct e2_err *err)
{
    if (reserve(txn, 1, err)) return -ENOMEM;
    bool existed = e2_tag_slot(name, NULL) >= 0;
    int rc = e2_tag_define(name, slot, err);
    if (rc < 0 || existed) return rc;
    struct undo u = {.kind = U_TAG_DEFINED};
    snprintf(u.tag, sizeof(u.tag), "%s", name);
    record(txn, u, NULL);
    return rc;
}

int e2_graph_tag_undefine(const char *name, struct e2_txn *txn, struct e2_err *err)
{
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct undo u = {.kind = U_TAG_UNDEFINED, .key = e2_tag_slot(name, NULL)};
    snprintf(u.tag, sizeof(u.tag), "%s", name);
    int rc = e2_tag_undefine(name, err);
    if (!rc) record(txn, u, NULL);
    return rc;
}

int e2_graph_nf_create(const struct e2_nf_spec *spec, struct e2_txn *txn, struct e2_err *err)
{
    if (reserve(txn, 1, err)) return -ENOMEM;
    struct e2_nf *nf;
    int rc = e2_nf_create(spec, &nf, err);
    if (rc) return rc;
    struct undo u = {.kind = U_NF_CREATED};
    snprintf(u.tag, sizeof(u.tag), "%s", spec->name);
    record(txn, u, NULL);
    return 0;
}

/* ---- module lifetime ---- */

static void auto_name(const struct e2_module_type *t, char *out, size_t len)
{
    char base[E2_NAME_MAX];
    size_t i = 0;
    for (; t->name[i] && i < 30; i++) base[i] = (char)tolower((unsigned char)t->name[i]);
    base[i] = '\0';
    for (unsigned n = 0;; n++) {
        snprintf(out, len, "%.30s%u", base, n);
        if (!e2_graph_module_find(out) && !e2_graph_tc_find(out)) return;
    }
}

static void free_module(struct e2_module *m)
{
    for (unsigned t = 0; t < m->n_tasks; t++) {
        detach_leaf(&m->tasks[t]);
        e2_tc_destroy(m->tasks[t].leaf);
    }
    free(m->ogates);
    free(m->priv);
    free(m);
}

static void unlist_module(struct e2_module *m)
{
    for (unsigned i = 0; i < n_mods; i++) {
        if (mods[i] != m) continue;
        memmove(&mods[i], &mods[i + 1], (n_mods - i - 1) * sizeof(*mods));
        n_mods--;
        return;
    }
}

static int make_leaves(struct e2_module *m, struct e2_err *err)
{
    for (unsigned t = 0; t < m->n_tasks; t++) {
        char name[E2_TC_NAME_MAX];
        if (m->n_tasks == 1)
            snprintf(name, sizeof(name), "%s", m->name);
        else
            snprintf(name, sizeof(name), "%.47s.%u", m->name, t);
        struct e2_tc_params p = {.task = &m->tasks[t]};
        m->tasks[t].leaf = e2_tc_create(name, E2_TC_LEAF, &p, err);
        if (!m->tasks[t].leaf) return err ? err->code : -ENOMEM;
        if (e2_worker_count() > 0) {
            int rc = attach_leaf(&m->tasks[t], e2_worker_root(0), 0, err);
            if (rc) return rc;
        }
    }
    return 0;
}

static int init_module(struct e2_module *m, const json_t *args, struct e2_err *err)
{
    const struct e2_module_type *t = m->type;
    void *parsed = t->args_size ? calloc(1, t->args_size) : NULL;
    if (t->args_size && !parsed) return e2_err_set(err, ENOMEM, "out of memory");
    static const struct e2_arg no_args[] = {E2_ARG_END};
    int rc = e2_args_parse(t->args ? t->args : no_args, args, parsed, err);
    if (!rc) {
        rc = t->init ? t->init(m, parsed, err) : 0;
        if (rc && t->deinit) t->deinit(m);
        e2_args_release(t->args ? t->args : no_args, parsed);
    }
    free(parsed);
    return rc;
}

int e2_graph_module_create(const char *name, const char *type, const json_t *args,
                           struct e2_txn *txn, struct e2_module **out, struct e2_err *err)
{
    const struct e2_module_type *t = e2_module_type_find(type);
    if (!t)
        return e2_err_set(err, ENOENT, "unknown module type '%s' ('e2d --list-modules' lists them)",
                          type);
    char autoname[E2_NAME_MAX];
    if (!name) {
        auto_name(t, autoname, sizeof(autoname));
        name = autoname;
    }
    int rc = check_name(name, err);
    if (rc) return rc;
    if (grow_array((void ***)&mods, &cap_mods, n_mods) || reserve(txn, 1, err))
        return e2_err_set(err, ENOMEM, "out of memory");
    struct e2_module *m = calloc(1, sizeof(*m));
    if (!m) return e2_err_set(err, ENOMEM, "out of memory");
    m->type = t;
    m->flags = t->flags;
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->priv = t->priv_size ? aligned_alloc(64, (t->priv_size + 63) & ~(size_t)63) : NULL;
    if (t->priv_size && !m->priv) {
        free(m);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    if (m->priv) memset(m->priv, 0, t->priv_size);
    rc = init_module(m, args, err); /* a failed init has already been undone */
    if (!rc) {
        rc = make_leaves(m, err);
        if (rc && t->deinit) t->deinit(m);
    }
    if (rc) {
        free_module(m);
        return e2_err_prefix(err, "module '%s' (%s): ", name, type);
    }
    mods[n_mods++] = m;
    record(txn, (struct undo){.kind = U_MODULE_CREATED, .m = m}, NULL);
    if (out) *out = m;
    return 0;
}

int e2_graph_module_destroy(struct e2_module *m, struct e2_txn *txn, struct e2_err *err)
{
    unsigned links = m->n_tasks + 1;
    for (unsigned i = 0; i < n_mods; i++)
        for (uint16_t g = 0; g < mods[i]->n_ogates; g++)
            links += mods[i]->ogates[g].next == m || mods[i] == m;
    if (reserve(txn, links, err)) return -ENOMEM;
    for (unsigned i = 0; i < n_mods; i++)
        for (uint16_t g = 0; g < mods[i]->n_ogates; g++)
            if (mods[i]->ogates[g].next == m || (mods[i] == m && m->ogates[g].next))
                e2_graph_disconnect(mods[i], g, txn, NULL);
    if (!txn) {
        if (m->type->deinit) m->type->deinit(m);
        unlist_module(m);
        free_module(m);
        return 0;
    }
    for (unsigned t = 0; t < m->n_tasks; t++) {
        record(txn,
               (struct undo){.kind = U_ATTACHED,
                             .m = m,
                             .task = t,
                             .parent = m->tasks[t].leaf->parent,
                             .key = m->tasks[t].leaf->key},
               NULL);
        detach_leaf(&m->tasks[t]);
    }
    m->retired = true;
    record(txn, (struct undo){.kind = U_MODULE_RETIRED, .m = m}, NULL);
    check_threads(NULL);
    return 0;
}

void e2_graph_destroy_all(void)
{
    e2_workers_pause();
    e2_tags_clear();
    while (n_mods) e2_graph_module_destroy(mods[n_mods - 1], NULL, NULL);
    while (n_tcs) {
        /* children first: find a class without children */
        for (unsigned i = 0; i < n_tcs; i++) {
            if (tcs[i]->n_children == 0) {
                e2_graph_tc_destroy(tcs[i], NULL, NULL);
                break;
            }
        }
    }
    free(mods);
    free(tcs);
    mods = NULL;
    tcs = NULL;
    n_mods = cap_mods = n_tcs = cap_tcs = 0;
    e2_workers_resume();
}

/* ---- commands ---- */

const struct e2_cmd *e2_graph_cmd_find(struct e2_module *m, const char *cmd, struct e2_err *err)
{
    for (const struct e2_cmd *c = m->type->cmds; c && c->name; c++)
        if (strcmp(c->name, cmd) == 0) return c;
    char names[256] = "";
    size_t n = 0;
    for (const struct e2_cmd *c = m->type->cmds; c && c->name && n < sizeof(names); c++)
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", c->name);
    e2_err_set(err, ENOENT, "%s module '%s' has no command '%s'%s%s%s", m->type->name, m->name, cmd,
               n ? " (it has: " : " (it has none)", names, n ? ")" : "");
    return NULL;
}

int e2_graph_module_cmd(struct e2_module *m, const struct e2_cmd *cmd, const json_t *arg,
                        json_t **result, struct e2_err *err)
{
    _Alignas(max_align_t) unsigned char buf[E2_CMD_ARGS_MAX];
    static const struct e2_arg no_args[] = {E2_ARG_END};
    const struct e2_arg *spec = cmd->args ? cmd->args : no_args;
    if (cmd->args_size > sizeof(buf))
        return e2_err_set(err, EOVERFLOW, "command '%s': argument struct too big", cmd->name);
    memset(buf, 0, sizeof(buf));
    int rc = e2_args_parse(spec, arg, buf, err);
    if (rc) return e2_err_prefix(err, "%s.%s: ", m->name, cmd->name);
    if (!cmd->mt_safe) e2_workers_pause();
    rc = cmd->fn(m, buf, result, err);
    if (!cmd->mt_safe) e2_workers_resume();
    e2_args_release(spec, buf);
    if (rc) return e2_err_prefix(err, "%s.%s: ", m->name, cmd->name);
    return 0;
}

/* ---- descriptions ---- */

/* One output gate of @from: where it leads, its packets, its bytes when tracked. */
static json_t *gate_json(const struct e2_module *from, uint16_t g)
{
    const struct e2_ogate *o = &from->ogates[g];
    json_t *j = json_pack("{s:s, s:i, s:s?, s:i, s:I}", "from", from->name, "ogate", g, "to",
                          o->next ? o->next->name : NULL, "igate", o->next_igate, "pkts",
                          (json_int_t)e2_stat_read(&o->pkts));
    if (from->track_bytes)
        json_object_set_new(j, "bytes", json_integer((json_int_t)e2_stat_read(&o->bytes)));
    return j;
}

json_t *e2_graph_module_describe(struct e2_module *m)
{
    json_t *og = json_array(), *ig = json_array(), *tasks = json_array();
    for (uint16_t g = 0; g < m->n_ogates; g++)
        if (m->ogates[g].next || e2_stat_read(&m->ogates[g].pkts))
            json_array_append_new(og, gate_json(m, g));
    for (unsigned i = 0; i < n_mods; i++)
        for (uint16_t g = 0; g < mods[i]->n_ogates; g++)
            if (mods[i]->ogates[g].next == m && !mods[i]->retired)
                json_array_append_new(ig, gate_json(mods[i], g));
    for (unsigned t = 0; t < m->n_tasks; t++) {
        struct e2_tc *leaf = m->tasks[t].leaf;
        struct e2_usage u;
        e2_tc_stats(leaf, &u);
        json_array_append_new(tasks, json_pack("{s:s, s:i, s:s?, s:I, s:I, s:I}", "leaf",
                                               leaf->name, "worker", m->tasks[t].worker, "parent",
                                               leaf->parent ? leaf->parent->name : NULL, "runs",
                                               (json_int_t)u.v[E2_RES_COUNT], "cycles",
                                               (json_int_t)u.v[E2_RES_CYCLES], "packets",
                                               (json_int_t)u.v[E2_RES_PACKETS]));
    }
    json_t *d = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:b}", "name", m->name, "type",
                          m->type->name, "igates", ig, "ogates", og, "tasks", tasks, "dropped",
                          (json_int_t)e2_stat_read(&m->dropped), "track_bytes", m->track_bytes);
    if (m->type->stats) json_object_set_new(d, "stats", m->type->stats(m));
    return d;
}

static json_t *describe_tc(const struct e2_tc *tc)
{
    struct e2_usage u;
    e2_tc_stats(tc, &u);
    json_t *d =
        json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}}", "name", tc->name, "policy",
                  e2_tc_policy_name(tc->policy), "usage", "count", (json_int_t)u.v[E2_RES_COUNT],
                  "cycles", (json_int_t)u.v[E2_RES_CYCLES], "packets",
                  (json_int_t)u.v[E2_RES_PACKETS], "bits", (json_int_t)u.v[E2_RES_BITS]);
    if (tc->parent && tc->parent->policy == E2_TC_PRIORITY)
        json_object_set_new(d, "priority", json_integer(tc->key));
    if (tc->parent && tc->parent->policy == E2_TC_WEIGHTED_FAIR)
        json_object_set_new(d, "share", json_integer(tc->key));
    if (tc->policy == E2_TC_WEIGHTED_FAIR || tc->policy == E2_TC_RATE_LIMIT)
        json_object_set_new(d, "resource", json_string(e2_resource_name(tc->resource)));
    if (tc->policy == E2_TC_RATE_LIMIT) {
        json_object_set_new(d, "limit", json_integer((json_int_t)tc->limit));
        json_object_set_new(d, "burst", json_integer((json_int_t)tc->burst));
    }
    if (tc->policy == E2_TC_LEAF) {
        const struct e2_task *t = tc->task;
        json_object_set_new(d, "module", json_string(t->m->name));
        return d;
    }
    json_t *kids = json_array();
    for (uint32_t i = 0; i < tc->n_children; i++)
        json_array_append_new(kids, describe_tc(tc->children[i]));
    json_object_set_new(d, "children", kids);
    return d;
}

json_t *e2_graph_tc_describe_all(void)
{
    json_t *arr = json_array();
    for (unsigned w = 0; w < e2_worker_count(); w++) {
        json_t *d = describe_tc(e2_worker_root(w));
        json_object_set_new(d, "worker", json_integer(w));
        json_object_set_new(d, "lcore", json_integer(e2_worker_lcore(w)));
        json_array_append_new(arr, d);
    }
    return arr;
}
