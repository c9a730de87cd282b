/*
 * Kernighan-Lin style improvement (paper §5.1): each round scores every swap
 * of two nodes on different servers, and every move of a node to a server
 * with a free core (a swap with an empty slot), and makes the best one; it
 * stops when none helps.
 *
 * A candidate is judged first by the overload of the most loaded link
 * (NIC direction or switch) beyond the link limit — the utilization of the
 * busiest core, at most 1 (e2_place_link_limit): beyond it links, not
 * cores, bound the plan's rate — then by the total excess over that limit,
 * then by the switch traffic it saves; it may never make the first two
 * worse. Within the limit only the switch traffic counts, as in the paper.
 *
 * Scoring is O(1): moving u from server a to b only changes the NIC loads of
 * a and b, by amounts read from u's traffic to each server
 * (in_from/out_to); a swap is u's move followed by v's, with v's rows
 * corrected for the u-v edges. The peak over the other servers comes from
 * the three most loaded ones, found once per round.
 *
 * Only pairs that can help are scored: a swap or move reduces switch traffic
 * only if u already exchanges traffic with the other server (or v with u's),
 * and reduces excess only if one of the two servers is over the limit; each
 * such pair is met from the side of the node that qualifies it.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "e2_place.h"

struct delta {
    double in_a, out_a, in_b, out_b, cross;
};

struct cand {
    unsigned u, v, b;  /* v == E2_SERVER_NONE: move u to b */
    double dp, dx, dc; /* change of peak overload, of total excess, of cross-server traffic */
};

struct kl {
    struct e2_placement *pl;
    const struct e2_igraph *ig;
    unsigned *movable;
    size_t n_movable;
    double *tot_in, *tot_out; /* per node: all its incoming / outgoing traffic */
    double *r_uv, *r_vu;      /* per node v: rate u->v and v->u for the current u */
    double eps;
    double limit; /* link utilization beyond which links limit the plan (e2_place_link_limit) */
    size_t w;
    unsigned top[3];   /* the three servers of highest link utilization this round */
    double top_u[3];   /* their utilization */
    double peak;       /* overload of the most loaded link beyond the limit now (or 0) */
    bool *solo;        /* per node: an instance of an NF that runs one per server */
    unsigned *grouped; /* movable nodes grouped by server this round */
    size_t *first;     /* per server: where its nodes start in grouped (n_servers + 1) */
    bool *hot;         /* per server: a NIC direction over the limit */
};

/* Moving a node with totals IN/OUT from server f to server t. */
static inline void move_terms(struct delta *d, bool u_side, double IN, double OUT, double if_f,
                              double ot_f, double if_t, double ot_t)
{
    double *f_in = u_side ? &d->in_a : &d->in_b, *f_out = u_side ? &d->out_a : &d->out_b;
    double *t_in = u_side ? &d->in_b : &d->in_a, *t_out = u_side ? &d->out_b : &d->out_a;
    *f_in += ot_f - (IN - if_f);
    *f_out += if_f - (OUT - ot_f);
    *t_in += (IN - if_t) - ot_t;
    *t_out += (OUT - ot_t) - if_t;
    d->cross += (if_f + ot_f) - (if_t + ot_t);
}

static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

static double over(double load, double cap)
{
    return load > cap * (1 + 1e-9) ? load - cap : 0;
}

static double util(const struct e2_placement *pl, unsigned s, double d_in, double d_out)
{
    double cap = (double)pl->hw->servers[s].nic_bps;
    return max2(pl->nic_in[s] + d_in, pl->nic_out[s] + d_out) / cap;
}

/* Server s's NIC capacity up to the limit. */
static double cap_of(const struct kl *k, unsigned s)
{
    return k->limit * (double)k->pl->hw->servers[s].nic_bps;
}

/* The three most utilized servers, and the overload of the most loaded link. */
static void find_peaks(struct kl *k)
{
    const struct e2_placement *pl = k->pl;
    double *u = k->top_u;
    u[0] = u[1] = u[2] = 0;
    k->top[0] = k->top[1] = k->top[2] = UINT_MAX;
    for (unsigned s = 0; s < pl->n_servers; s++) {
        double x = util(pl, s, 0, 0);
        for (int i = 0; i < 3; i++)
            if (x > u[i] || k->top[i] == UINT_MAX) {
                for (int j = 2; j > i; j--) u[j] = u[j - 1], k->top[j] = k->top[j - 1];
                u[i] = x, k->top[i] = s;
                break;
            }
    }
    double sw = pl->opts.switch_bps > 0 ? pl->switch_bps / pl->opts.switch_bps : 0;
    k->peak = max2(0, max2(u[0], sw) - k->limit);
}

static double peak_change(const struct kl *k, unsigned a, unsigned b, const struct delta *d)
{
    const struct e2_placement *pl = k->pl;
    double rest = 0;
    for (int i = 0; i < 3; i++)
        if (k->top[i] != a && k->top[i] != b) {
            rest = k->top_u[i];
            break;
        }
    double p = max2(rest, max2(util(pl, a, d->in_a, d->out_a), util(pl, b, d->in_b, d->out_b)));
    if (pl->opts.switch_bps > 0) p = max2(p, (pl->switch_bps + d->cross) / pl->opts.switch_bps);
    return max2(0, p - k->limit) - k->peak;
}

static double excess_change(const struct kl *k, unsigned a, unsigned b, const struct delta *d)
{
    const struct e2_placement *pl = k->pl;
    double ca = cap_of(k, a), cb = cap_of(k, b);
    double x = over(pl->nic_in[a] + d->in_a, ca) - over(pl->nic_in[a], ca) +
               over(pl->nic_out[a] + d->out_a, ca) - over(pl->nic_out[a], ca) +
               over(pl->nic_in[b] + d->in_b, cb) - over(pl->nic_in[b], cb) +
               over(pl->nic_out[b] + d->out_b, cb) - over(pl->nic_out[b], cb);
    double sw = k->limit * pl->opts.switch_bps;
    if (sw > 0) x += over(pl->switch_bps + d->cross, sw) - over(pl->switch_bps, sw);
    return x;
}

/* Lexicographic: peak overload (relative), then total excess, then switch traffic. */
static bool better(const struct kl *k, const struct cand *c, const struct cand *best)
{
    if (c->dp < best->dp - 1e-9) return true;
    if (c->dp > best->dp + 1e-9) return false;
    if (c->dx < best->dx - k->eps) return true;
    return c->dx <= best->dx + k->eps && c->dc < best->dc - k->eps;
}

/* Whether the candidate leaves a or b (or the switch) over capacity. */
static bool overflows(const struct kl *k, unsigned a, unsigned b, const struct delta *d)
{
    const struct e2_placement *pl = k->pl;
    double ca = cap_of(k, a), cb = cap_of(k, b), sw = k->limit * pl->opts.switch_bps;
    return over(pl->nic_in[a] + d->in_a, ca) > 0 || over(pl->nic_out[a] + d->out_a, ca) > 0 ||
           over(pl->nic_in[b] + d->in_b, cb) > 0 || over(pl->nic_out[b] + d->out_b, cb) > 0 ||
           (sw > 0 && over(pl->switch_bps + d->cross, sw) > 0);
}

static inline void consider(const struct kl *k, struct cand *c, unsigned a, const struct delta *d,
                            struct cand *best)
{
    c->dc = d->cross;
    if (k->pl->opts.respect_links && k->peak > 0) {
        c->dp = peak_change(k, a, c->b, d);
        if (c->dp > best->dp + 1e-9) return;
        c->dx = excess_change(k, a, c->b, d);
    } else if (c->dc >= best->dc - k->eps ||
               (k->pl->opts.respect_links && overflows(k, a, c->b, d))) {
        return; /* within capacity only switch traffic counts, and no link may overflow */
    }
    if (better(k, c, best)) *best = *c;
}

static const double *row(const struct kl *k, const double *m, unsigned node)
{
    return &m[node * k->w];
}

/* Whether @node may join server s that @leaving leaves, under its NF's one-per-server rule. */
static inline bool no_sibling_conflict(const struct kl *k, unsigned node, unsigned s,
                                       unsigned leaving)
{
    if (!k->solo[node]) return true;
    const struct e2_igraph *ig = k->ig;
    unsigned p = ig->nodes[node].pnode, here = k->pl->nf_count[s * k->pl->n_pnodes + p];
    return here == 0 || (here == 1 && ig->nodes[leaving].pnode == p);
}

static bool swap_allowed(const struct kl *k, unsigned u, unsigned v, unsigned a, unsigned b)
{
    const struct e2_placement *pl = k->pl;
    unsigned cu = k->ig->nodes[u].cores, cv = k->ig->nodes[v].cores;
    if (cu != cv && (pl->cores_used[a] - cu + cv > e2_server_nf_cores(pl->hw, a) ||
                     pl->cores_used[b] - cv + cu > e2_server_nf_cores(pl->hw, b)))
        return false;
    return no_sibling_conflict(k, u, b, v) && no_sibling_conflict(k, v, a, u);
}

/* Swap u (on a) with v (on b): @du is u's move to b alone. */
static void score_swap(const struct kl *k, unsigned u, unsigned v, unsigned a, unsigned b,
                       const struct delta *du, struct cand *best)
{
    if (!swap_allowed(k, u, v, a, b)) return;
    const double *iv = row(k, k->pl->in_from, v), *ov = row(k, k->pl->out_to, v);
    double ruv = k->r_uv[v], rvu = k->r_vu[v];
    struct delta d = *du;
    /* v's rows once u sits on b: u->v now comes from b, v->u now goes to b. */
    move_terms(&d, false, k->tot_in[v], k->tot_out[v], iv[b] + ruv, ov[b] + rvu, iv[a] - ruv,
               ov[a] - rvu);
    struct cand c = {u, v, b, 0, 0, 0};
    consider(k, &c, a, &d, best);
}

/* Every swap of u with a node of server b, and u's move to b, when they can help. */
static void score_server(const struct kl *k, unsigned u, unsigned b, struct cand *best)
{
    const struct e2_placement *pl = k->pl;
    unsigned a = pl->server[u];
    const double *iu = row(k, pl->in_from, u), *ou = row(k, pl->out_to, u);
    if (b == a || !(k->hot[a] || iu[b] + ou[b] > 0)) return; /* v's own turn covers the rest */
    struct delta du = {0};
    move_terms(&du, true, k->tot_in[u], k->tot_out[u], iu[a], ou[a], iu[b], ou[b]);
    for (size_t j = k->first[b]; j < k->first[b + 1]; j++)
        score_swap(k, u, k->grouped[j], a, b, &du, best);
    if (!e2_placement_allows(pl, k->ig, u, b)) return;
    struct cand c = {u, E2_SERVER_NONE, b, 0, 0, 0};
    consider(k, &c, a, &du, best);
}

/* Record (or clear) the rates between u and each neighbour, for O(1) swap scoring. */
static void mark_neighbours(struct kl *k, unsigned u, bool set)
{
    const struct e2_inode *n = &k->ig->nodes[u];
    for (size_t i = 0; i < n->out.n; i++) {
        const struct e2_iedge *e = &k->ig->edges[n->out.v[i]];
        k->r_uv[e->dst] = set ? k->r_uv[e->dst] + e->rate_bps : 0;
    }
    for (size_t i = 0; i < n->in.n; i++) {
        const struct e2_iedge *e = &k->ig->edges[n->in.v[i]];
        k->r_vu[e->src] = set ? k->r_vu[e->src] + e->rate_bps : 0;
    }
}

/* Group the movable nodes by server (counting sort) and flag overloaded servers. */
static void survey(struct kl *k)
{
    const struct e2_placement *pl = k->pl;
    size_t S = pl->n_servers;
    memset(k->first, 0, (S + 1) * sizeof(size_t));
    for (size_t i = 0; i < k->n_movable; i++) k->first[pl->server[k->movable[i]] + 1]++;
    for (size_t s = 0; s < S; s++) k->first[s + 1] += k->first[s];
    for (size_t i = 0; i < k->n_movable; i++) {
        unsigned s = pl->server[k->movable[i]];
        k->grouped[k->first[s]++] = k->movable[i];
    }
    for (size_t s = S; s > 0; s--) k->first[s] = k->first[s - 1];
    k->first[0] = 0;
    for (size_t s = 0; s < S; s++) {
        double cap = cap_of(k, (unsigned)s);
        k->hot[s] = pl->opts.respect_links &&
                    (over(pl->nic_in[s], cap) > 0 || over(pl->nic_out[s], cap) > 0);
    }
    find_peaks(k);
}

static bool round_once(struct kl *k)
{
    struct cand best = {0, 0, 0, 0, 0, 0};
    survey(k);
    for (size_t i = 0; i < k->n_movable; i++) {
        unsigned u = k->movable[i];
        mark_neighbours(k, u, true);
        for (unsigned b = 0; b < k->pl->n_servers; b++) score_server(k, u, b, &best);
        mark_neighbours(k, u, false);
    }
    struct cand none = {0, 0, 0, 0, 0, 0};
    if (!better(k, &best, &none)) return false;
    unsigned a = k->pl->server[best.u];
    e2_placement_set(k->pl, k->ig, best.u, best.b);
    if (best.v != E2_SERVER_NONE) e2_placement_set(k->pl, k->ig, best.v, a);
    return true;
}

/* Instances of an NF that must share one server stay where packing put them. */
static bool pinned(const struct e2_igraph *ig, unsigned node)
{
    const struct e2_inode *n = &ig->nodes[node];
    const struct e2_nf_desc *d = ig->pg->nodes[n->pnode].nf;
    return n->kind == E2_INODE_INSTANCE && d && !d->across_servers && ig->members[n->pnode].n > 1;
}

static bool one_per_server(const struct e2_igraph *ig, unsigned node)
{
    const struct e2_inode *n = &ig->nodes[node];
    const struct e2_nf_desc *d = ig->pg->nodes[n->pnode].nf;
    return n->kind == E2_INODE_INSTANCE && d && !d->across_cores;
}

static int kl_init(struct kl *k)
{
    const struct e2_igraph *ig = k->ig;
    size_t n = ig->n_nodes;
    k->w = k->pl->n_servers + 1;
    k->movable = malloc((n + 1) * sizeof(unsigned));
    k->tot_in = calloc(n + 1, sizeof(double));
    k->tot_out = calloc(n + 1, sizeof(double));
    k->r_uv = calloc(n + 1, sizeof(double));
    k->r_vu = calloc(n + 1, sizeof(double));
    k->grouped = malloc((n + 1) * sizeof(unsigned));
    k->first = malloc((k->pl->n_servers + 1) * sizeof(size_t));
    k->hot = malloc(k->pl->n_servers + 1);
    k->solo = malloc((n + 1) * sizeof(bool));
    if (!k->movable || !k->tot_in || !k->tot_out || !k->r_uv || !k->r_vu || !k->grouped ||
        !k->first || !k->hot || !k->solo)
        return -1;
    double all = 0;
    for (size_t v = 0; v < n; v++) {
        for (size_t c = 0; c < k->w; c++) {
            k->tot_in[v] += k->pl->in_from[v * k->w + c];
            k->tot_out[v] += k->pl->out_to[v * k->w + c];
        }
        all += k->tot_in[v];
        k->solo[v] = one_per_server(ig, (unsigned)v);
        if (e2_inode_placeable(&ig->nodes[v]) && k->pl->server[v] < k->pl->n_servers &&
            !pinned(ig, (unsigned)v))
            k->movable[k->n_movable++] = (unsigned)v;
    }
    k->eps = 1e-9 * all + 1e-6;
    k->limit = e2_place_link_limit(ig, k->pl->hw);
    return 0;
}

size_t e2_place_improve(struct e2_placement *pl, const struct e2_igraph *ig)
{
    struct kl k = {.pl = pl, .ig = ig};
    size_t swaps = 0;
    if (!kl_init(&k)) {
        size_t limit = 50 * (k.n_movable + 1);
        while (swaps < limit && round_once(&k)) swaps++;
    }
    free(k.movable);
    free(k.tot_in);
    free(k.tot_out);
    free(k.r_uv);
    free(k.r_vu);
    free(k.grouped);
    free(k.first);
    free(k.hot);
    free(k.solo);
    return swaps;
}
