/*
 * One server's e2d module graph, built stage by stage and then made runnable:
 * where tasks of several workers reach a module that is not thread-safe, a
 * Queue(multi_producer=true) goes in front of it (its task on the module's
 * worker); a module that keeps input i on output i gets a Merge in front when
 * several producers feed it; more producers than a module has input gates
 * get Merge trees, one per worker. Then input gates are numbered and the
 * graph is printed in e2d's config language.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic_int.h"

#define NAME_MAX_E2D 47 /* e2d module names are shorter than 48 */

long ic_mod(struct ic_graph *g, const char *type, bool mt_safe, bool preserving, bool task,
            unsigned max_in, const char *name_fmt, ...)
{
    if (g->oom) return 0;
    if (g->n_mods == g->cap_mods) {
        size_t cap = g->cap_mods ? 2 * g->cap_mods : 32;
        struct ic_mod *v = realloc(g->mods, cap * sizeof(*v));
        if (!v) {
            g->oom = true;
            return 0;
        }
        g->mods = v;
        g->cap_mods = cap;
    }
    struct ic_mod *m = &g->mods[g->n_mods];
    *m = (struct ic_mod){
        .mt_safe = mt_safe, .preserving = preserving, .task = task, .max_in = max_in, .home = -1};
    snprintf(m->type, sizeof(m->type), "%s", type);
    va_list ap;
    va_start(ap, name_fmt);
    vsnprintf(m->name, sizeof(m->name), name_fmt, ap);
    va_end(ap);
    for (char *c = m->name; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9'))
            *c = '_';
    snprintf(m->key, sizeof(m->key), "%s", m->name);
    bool taken = false;
    for (size_t i = 0; i < g->n_mods && !taken; i++) taken = !strcmp(g->mods[i].name, m->name);
    if (strlen(m->name) > NAME_MAX_E2D || taken) /* unique, and short enough */
        snprintf(m->name + (strlen(m->name) > 36 ? 36 : strlen(m->name)), 12, "_%zu", g->n_mods);
    return (long)g->n_mods++;
}

void ic_mod_args(struct ic_graph *g, long m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) g->oom = true;
    free(g->mods[m].args);
    g->mods[m].args = s;
}

void ic_link(struct ic_graph *g, long from, unsigned ogate, long to)
{
    if (g->oom) return;
    if (g->n_links == g->cap_links) {
        size_t cap = g->cap_links ? 2 * g->cap_links : 64;
        struct ic_link *v = realloc(g->links, cap * sizeof(*v));
        if (!v) {
            g->oom = true;
            return;
        }
        g->links = v;
        g->cap_links = cap;
    }
    g->links[g->n_links++] = (struct ic_link){(size_t)from, (size_t)to, ogate, 0};
}

long ic_mod_find(const struct ic_graph *g, const char *type, const char *name)
{
    for (size_t i = 0; i < g->n_mods; i++)
        if (!strcmp(g->mods[i].key, name) && (!type || !strcmp(g->mods[i].type, type)))
            return (long)i;
    return -1;
}

void ic_graph_free(struct ic_graph *g)
{
    for (size_t i = 0; i < g->n_mods; i++) free(g->mods[i].args);
    free(g->mods);
    free(g->links);
    free(g->head.s);
    *g = (struct ic_graph){0};
}

/* ---- workers ---- */

static uint64_t out_workers(const struct ic_mod *m)
{
    return m->task && m->home >= 0 ? 1ull << m->home : m->workers;
}

/* Which workers' tasks run each module's process(): to a fixpoint (loops run through vports). */
static void compute_workers(struct ic_graph *g)
{
    for (size_t i = 0; i < g->n_mods; i++) g->mods[i].workers = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t l = 0; l < g->n_links; l++) {
            struct ic_mod *to = &g->mods[g->links[l].to];
            uint64_t w = to->workers | out_workers(&g->mods[g->links[l].from]);
            changed |= w != to->workers;
            to->workers = w;
        }
    }
}

static size_t in_links(const struct ic_graph *g, size_t m, uint64_t *workers)
{
    size_t n = 0;
    *workers = 0;
    for (size_t l = 0; l < g->n_links; l++)
        if (g->links[l].to == m) {
            n++;
            *workers |= out_workers(&g->mods[g->links[l].from]);
        }
    return n;
}

/* Move every link into @m (from producers in @workers, all when 0) to @to; then @to -> @m. */
static void reroute(struct ic_graph *g, size_t m, uint64_t workers, long to, size_t limit)
{
    size_t moved = 0;
    for (size_t l = 0; l < g->n_links && moved < limit; l++) {
        if (g->links[l].to != m) continue;
        uint64_t w = out_workers(&g->mods[g->links[l].from]);
        if (workers && !(w & workers)) continue;
        g->links[l].to = (size_t)to;
        moved++;
    }
    ic_link(g, to, 0, (long)m);
}

static int lowest(uint64_t w)
{
    return w ? __builtin_ctzll(w) : 0;
}

/* Queues where workers meet, Merges in front of gate-keeping modules. */
static void fan_in(struct ic_graph *g)
{
    size_t n = g->n_mods;
    for (size_t m = 0; m < n; m++) {
        uint64_t w;
        size_t k = in_links(g, m, &w);
        struct ic_mod *M = &g->mods[m];
        if (k == 0 || M->external) continue;
        char name[sizeof(M->name)];
        snprintf(name, sizeof(name), "%s", M->name);
        if (__builtin_popcountll(w) > 1 && !M->mt_safe) {
            long home = M->task && M->home >= 0 ? M->home : lowest(w);
            long q = ic_mod(g, "Queue", true, false, true, 64, "%s_q", name);
            ic_mod_args(g, q, "multi_producer=true");
            g->mods[q].home = home;
            reroute(g, m, 0, q, SIZE_MAX);
        } else if (k > 1 && M->preserving) {
            long mg = ic_mod(g, "Merge", false, false, false, 64, "%s_in", name);
            reroute(g, m, 0, mg, SIZE_MAX);
        }
    }
}

/* Merge trees, per worker, where a module has more producers than input gates. */
static void widen(struct ic_graph *g)
{
    for (size_t m = 0; m < g->n_mods; m++) {
        uint64_t w;
        char name[sizeof(g->mods[m].name)];
        snprintf(name, sizeof(name), "%s", g->mods[m].name);
        for (unsigned round = 0; in_links(g, m, &w) > g->mods[m].max_in && round < 64; round++) {
            int worker = lowest(w);
            long mg = ic_mod(g, "Merge", false, false, false, 64, "%s_w%d_%u", name, worker, round);
            reroute(g, m, 1ull << worker, mg, 63);
        }
    }
}

/* ---- text ---- */

static void number_gates(struct ic_graph *g)
{
    for (size_t m = 0; m < g->n_mods; m++) g->mods[m].next_in = 0;
    for (size_t l = 0; l < g->n_links; l++) g->links[l].igate = g->mods[g->links[l].to].next_in++;
}

char *ic_graph_text(struct ic_graph *g, struct e2_err *err)
{
    compute_workers(g);
    fan_in(g);
    compute_workers(g);
    widen(g);
    number_gates(g);
    struct e2_strbuf b = {0};
    e2_strbuf_addf(&b, "%s", g->head.s ? g->head.s : "");
    for (size_t m = 0; m < g->n_mods; m++) {
        const struct ic_mod *M = &g->mods[m];
        if (M->external) continue;
        e2_strbuf_addf(&b, "%s :: %s(%s);\n", M->name, M->type, M->args ? M->args : "");
    }
    for (size_t l = 0; l < g->n_links; l++) {
        const struct ic_link *L = &g->links[l];
        e2_strbuf_addf(&b, "%s[%u] -> [%u]%s;\n", g->mods[L->from].name, L->ogate, L->igate,
                       g->mods[L->to].name);
    }
    for (size_t m = 0; m < g->n_mods; m++) {
        const struct ic_mod *M = &g->mods[m];
        if (M->task && !M->external && M->home > 0)
            e2_strbuf_addf(&b, "attach %s(parent=worker%ld);\n", M->name, M->home);
    }
    char *text = g->oom ? NULL : e2_strbuf_take(&b);
    if (g->oom) free(b.s);
    if (!text) e2_err_set(err, ENOMEM, "out of memory");
    return text;
}
