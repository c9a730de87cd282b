/*
 * Initial placement: totals check, DFS bin-packing, Kernighan-Lin swaps.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_place.h"
#include "e2_units.h"

static const char *rate_str(double bps, char *buf, unsigned len)
{
    return e2_rate_format((uint64_t)llround(bps), buf, len);
}

/* ---- can it fit at all? ---- */

static int cores_short(const struct e2_igraph *ig, const struct e2_hw *hw, unsigned need,
                       unsigned have, struct e2_err *err)
{
    char per[200] = "", *p = per;
    for (size_t i = 0; i < ig->pg->n_nodes; i++) {
        const struct e2_ivec *m = &ig->members[i];
        if (ig->pg->nodes[i].kind != E2_PNODE_NF || p - per > 150) continue;
        p += snprintf(p, sizeof(per) - (size_t)(p - per), "%s%s %zu", p == per ? "" : ", ",
                      ig->pg->nodes[i].name, m->n);
    }
    unsigned dp = 0;
    for (size_t s = 0; s < hw->n_servers; s++) dp += hw->servers[s].dataplane_cores;
    return e2_err_set(err, ENOSPC,
                      "the policy cannot fit: NF instances need %u cores (%s), the rack has %u "
                      "free (%zu servers %s..%s, after %u dataplane cores): %u short",
                      need, per, have, hw->n_servers, hw->servers[0].name,
                      hw->servers[hw->n_servers - 1].name, dp, need - have);
}

static int check_nf_rules(const struct e2_igraph *ig, const struct e2_hw *hw, unsigned biggest,
                          struct e2_err *err)
{
    for (size_t i = 0; i < ig->pg->n_nodes; i++) {
        const struct e2_plan_node *p = &ig->pg->nodes[i];
        size_t k = ig->members[i].n;
        if (p->kind != E2_PNODE_NF || !p->nf) continue;
        if (!p->nf->across_servers && k > biggest)
            return e2_err_set(err, ENOSPC,
                              "the policy cannot fit: NF '%s' (%s) must stay on one server "
                              "(across_servers: false) and needs %zu cores; the largest server "
                              "has %u",
                              p->name, p->nf_type, k, biggest);
        if (!p->nf->across_cores && k > hw->n_servers)
            return e2_err_set(err, ENOSPC,
                              "the policy cannot fit: NF '%s' (%s) runs one instance per server "
                              "(across_cores: false) and needs %zu; the rack has %zu servers",
                              p->name, p->nf_type, k, hw->n_servers);
    }
    return 0;
}

static int check_totals(const struct e2_igraph *ig, const struct e2_hw *hw, struct e2_err *err)
{
    unsigned need = 0, have = 0, biggest = 0;
    for (size_t i = 0; i < ig->n_nodes; i++) need += ig->nodes[i].cores;
    for (size_t s = 0; s < hw->n_servers; s++) {
        unsigned c = e2_server_nf_cores(hw, s);
        have += c;
        if (c > biggest) biggest = c;
    }
    if (need > have) return cores_short(ig, hw, need, have, err);
    return check_nf_rules(ig, hw, biggest, err);
}

/* ---- DFS bin-packing ---- */

/* Placeable nodes in depth-first preorder from the ports, then any left over. */
static int dfs_order(const struct e2_igraph *ig, unsigned *order, size_t *n)
{
    unsigned char *seen = calloc(ig->n_nodes + 1, 1);
    unsigned *stack = malloc((ig->n_edges + ig->n_nodes + 1) * sizeof(unsigned));
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return -ENOMEM;
    }
    *n = 0;
    for (int ports = 1; ports >= 0; ports--)
        for (size_t r = 0; r < ig->n_nodes; r++) {
            if (seen[r] || (ig->nodes[r].kind == E2_INODE_PORT) != ports) continue;
            size_t top = 0;
            stack[top++] = (unsigned)r;
            while (top) {
                unsigned v = stack[--top];
                if (seen[v]) continue;
                seen[v] = 1;
                if (e2_inode_placeable(&ig->nodes[v])) order[(*n)++] = v;
                const struct e2_ivec *out = &ig->nodes[v].out;
                for (size_t i = out->n; i-- > 0;) /* reversed: first edge on top */
                    if (!seen[ig->edges[out->v[i]].dst]) stack[top++] = ig->edges[out->v[i]].dst;
            }
        }
    free(seen);
    free(stack);
    return 0;
}

/*
 * Packing state. Links are accounted pessimistically while packing: an edge
 * to a node not placed yet is *held* on the placed end's NIC (and the
 * switch) as if it will cross; it is released when the other end lands on
 * the same server. Placing v on s then changes the load of s alone, and a
 * packing where every node fit is feasible once the last hold is released.
 */
struct pack {
    struct e2_placement *pl;
    const struct e2_igraph *ig;
    double *held_in, *held_out; /* per server */
    double held_sw;
    unsigned *bins; /* servers, largest first */
};

/* More NF cores first, then a faster NIC, then the order of the description. */
static bool larger(const struct e2_hw *hw, unsigned a, unsigned b)
{
    unsigned ca = e2_server_nf_cores(hw, a), cb = e2_server_nf_cores(hw, b);
    if (ca != cb) return ca > cb;
    if (hw->servers[a].nic_bps != hw->servers[b].nic_bps)
        return hw->servers[a].nic_bps > hw->servers[b].nic_bps;
    return a < b;
}

static int sort_bins(struct pack *k)
{
    size_t S = k->pl->n_servers;
    k->bins = malloc(S * sizeof(unsigned));
    if (!k->bins) return -ENOMEM;
    for (size_t s = 0; s < S; s++) { /* insertion sort: stable, no globals */
        size_t i = s;
        for (; i > 0 && larger(k->pl->hw, (unsigned)s, k->bins[i - 1]); i--)
            k->bins[i] = k->bins[i - 1];
        k->bins[i] = (unsigned)s;
    }
    return 0;
}

struct hold {
    double in, out, sw; /* change of s's held-or-real NIC loads and the switch's */
};

/* What placing @v on @s does to the pessimistic loads (only s's change). */
static struct hold pessimistic_change(const struct pack *k, unsigned v, unsigned s)
{
    const struct e2_inode *n = &k->ig->nodes[v];
    struct hold h = {0, 0, 0};
    for (int dir = 0; dir < 2; dir++) {
        const struct e2_ivec *es = dir ? &n->out : &n->in;
        for (size_t i = 0; i < es->n; i++) {
            const struct e2_iedge *e = &k->ig->edges[es->v[i]];
            unsigned t = k->pl->server[dir ? e->dst : e->src];
            double r = e->rate_bps;
            if (t == E2_SERVER_ANY) continue;
            if (t == s) { /* the neighbour's hold is released */
                *(dir ? &h.in : &h.out) -= r;
                h.sw -= r;
                continue;
            }
            *(dir ? &h.out : &h.in) += r;
            if (t == E2_SERVER_NONE || t == E2_SERVER_OUTSIDE) h.sw += r;
        }
    }
    return h;
}

static double over(double load, double delta, double cap)
{
    cap *= 1 + 1e-9;
    return fmax(0, load + delta - fmax(cap, load));
}

/* Link excess that placing @v on @s would add, pessimistically (0: it fits). */
static double added_excess(const struct pack *k, unsigned v, unsigned s)
{
    const struct e2_placement *pl = k->pl;
    struct hold h = pessimistic_change(k, v, s);
    double cap = (double)pl->hw->servers[s].nic_bps;
    double x = over(pl->nic_in[s] + k->held_in[s], h.in, cap) +
               over(pl->nic_out[s] + k->held_out[s], h.out, cap);
    if (pl->opts.switch_bps > 0) x += over(pl->switch_bps + k->held_sw, h.sw, pl->opts.switch_bps);
    return x;
}

/* Move holds: v's edges to unplaced nodes are held on s; its neighbours' holds on v end. */
static void update_holds(struct pack *k, unsigned v, unsigned s)
{
    const struct e2_inode *n = &k->ig->nodes[v];
    for (int dir = 0; dir < 2; dir++) {
        const struct e2_ivec *es = dir ? &n->out : &n->in;
        for (size_t i = 0; i < es->n; i++) {
            const struct e2_iedge *e = &k->ig->edges[es->v[i]];
            unsigned t = k->pl->server[dir ? e->dst : e->src];
            double r = e->rate_bps;
            if (t == E2_SERVER_NONE) {
                *(dir ? &k->held_out[s] : &k->held_in[s]) += r;
                k->held_sw += r;
            } else if (t < k->pl->n_servers) {
                *(dir ? &k->held_in[t] : &k->held_out[t]) -= r;
                k->held_sw -= r;
            }
        }
    }
}

/*
 * Next fit over the bins, largest first: from the current bin, the first one
 * the node is allowed on whose links still fit; failing that, the allowed
 * bin with the least excess (the swaps then try to remove it).
 */
static int pack_one(struct pack *k, unsigned v, size_t *cur)
{
    size_t S = k->pl->n_servers, best = S;
    double best_x = INFINITY;
    for (size_t i = 0; i < S; i++) {
        size_t b = (*cur + i) % S, s = k->bins[b];
        if (!e2_placement_allows(k->pl, k->ig, v, s)) continue;
        double x = k->pl->opts.respect_links ? added_excess(k, v, (unsigned)s) : 0;
        if (x < best_x) best = b, best_x = x;
        if (x <= 0) break;
    }
    if (best == S) return -ENOSPC;
    update_holds(k, v, k->bins[best]);
    e2_placement_set(k->pl, k->ig, v, k->bins[best]);
    *cur = best;
    return 0;
}

static int pack_all(struct pack *k, struct e2_err *err)
{
    unsigned *order = malloc((k->ig->n_nodes + 1) * sizeof(unsigned));
    size_t n = 0, cur = 0;
    int rc = order ? dfs_order(k->ig, order, &n) : -ENOMEM;
    if (rc) {
        free(order);
        return e2_err_set(err, rc, "placement: out of memory");
    }
    for (size_t i = 0; !rc && i < n; i++) {
        rc = pack_one(k, order[i], &cur);
        if (rc) {
            char name[96];
            e2_err_set(err, rc,
                       "the policy cannot fit: no server has a free core for %s that its NF's "
                       "scaling rules allow",
                       e2_inode_name(k->ig, order[i], name, sizeof(name)));
        }
    }
    free(order);
    return rc;
}

int e2_place_pack(const struct e2_igraph *ig, const struct e2_hw *hw,
                  const struct e2_place_opts *opts, struct e2_placement **out, struct e2_err *err)
{
    *out = NULL;
    if (!hw->n_servers) return e2_err_set(err, EINVAL, "the rack has no servers");
    int rc = check_totals(ig, hw, err);
    struct e2_placement *pl = NULL;
    if (!rc) rc = e2_placement_new(ig, hw, opts, &pl, err);
    if (rc) return rc;
    struct pack k = {
        pl, ig,  calloc(hw->n_servers, sizeof(double)), calloc(hw->n_servers, sizeof(double)),
        0,  NULL};
    rc = k.held_in && k.held_out && !sort_bins(&k) ? pack_all(&k, err)
                                                   : e2_err_set(err, ENOMEM, "out of memory");
    free(k.held_in);
    free(k.held_out);
    free(k.bins);
    if (rc) {
        e2_placement_free(pl);
        return rc;
    }
    *out = pl;
    return 0;
}

/* ---- when links stay over ---- */

static int links_short(const struct e2_placement *pl, struct e2_err *err)
{
    char load[32], cap[32], over[32];
    double worst = 0;
    size_t ws = 0;
    int dir = 0;
    for (size_t s = 0; s < pl->n_servers; s++)
        for (int d = 0; d < 2; d++) {
            double x = (d ? pl->nic_out[s] : pl->nic_in[s]) - (double)pl->hw->servers[s].nic_bps;
            if (x > worst) worst = x, ws = s, dir = d;
        }
    double swx = pl->opts.switch_bps > 0 ? pl->switch_bps - pl->opts.switch_bps : 0;
    if (swx > worst)
        return e2_err_set(
            err, ENOSPC, "the policy cannot fit: the switch would carry %s, %s over its %s",
            rate_str(pl->switch_bps, load, sizeof(load)), rate_str(swx, over, sizeof(over)),
            rate_str(pl->opts.switch_bps, cap, sizeof(cap)));
    return e2_err_set(err, ENOSPC,
                      "the policy cannot fit: server %s's NIC would carry %s %s, %s over its %s "
                      "(best placement found)",
                      pl->hw->servers[ws].name,
                      rate_str(dir ? pl->nic_out[ws] : pl->nic_in[ws], load, sizeof(load)),
                      dir ? "out" : "in", rate_str(worst, over, sizeof(over)),
                      rate_str((double)pl->hw->servers[ws].nic_bps, cap, sizeof(cap)));
}

/* Lexicographic: peak overload, then total excess (beyond @limit), then traffic between servers. */
static bool worse(const struct e2_placement *a, const struct e2_placement *b, double limit)
{
    double pa = e2_placement_peak_overload(a, limit), pb = e2_placement_peak_overload(b, limit);
    if (fabs(pa - pb) > 1e-9) return pa > pb;
    double xa = e2_placement_excess(a, limit), xb = e2_placement_excess(b, limit);
    if (fabs(xa - xb) > 1e-6 * (xa + xb)) return xa > xb;
    return a->cross_bps > b->cross_bps;
}

/* Keep the better of *best and @cand, judged under @opts; the other is freed. */
static void keep_better(struct e2_placement **best, struct e2_placement *cand,
                        const struct e2_place_opts *opts, double limit)
{
    cand->opts = *opts;
    if (!worse(*best, cand, limit)) {
        e2_placement_free(cand);
        return;
    }
    e2_placement_free(*best);
    *best = cand;
}

int e2_place_best_effort(const struct e2_igraph *ig, const struct e2_hw *hw,
                         const struct e2_place_opts *opts, struct e2_placement **out,
                         struct e2_err *err)
{
    int rc = e2_place_pack(ig, hw, opts, out, err);
    if (rc) return rc;
    if (opts->respect_links) {
        struct e2_place_opts by_cores = *opts;
        by_cores.respect_links = false;
        struct e2_placement *plain = NULL, *cut = NULL;
        double limit = e2_place_link_limit(ig, hw);
        if (!e2_place_pack(ig, hw, &by_cores, &plain, NULL)) keep_better(out, plain, opts, limit);
        if (!e2_place_cut(ig, hw, opts, &cut, NULL)) keep_better(out, cut, opts, limit);
    }
    e2_place_improve(*out, ig);
    return 0;
}

int e2_place(const struct e2_igraph *ig, const struct e2_hw *hw, const struct e2_place_opts *opts,
             struct e2_placement **out, struct e2_err *err)
{
    int rc = e2_place_best_effort(ig, hw, opts, out, err);
    if (rc) return rc;
    if (opts->respect_links && e2_placement_excess(*out, 1) > 0) {
        rc = links_short(*out, err);
        e2_placement_free(*out);
        *out = NULL;
    }
    return rc;
}
