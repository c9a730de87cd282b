/*
 * The flow-order start of e2_place_best_effort().
 *
 * Instances of NFs that share a steering exchange traffic only where their
 * flow-ID ranges overlap, so sorting the placeable nodes by the middle of
 * their range puts the nodes that talk to each other next to each other;
 * with sliced sizing (e2_sizing.h) the instances of one slice are
 * consecutive. The order is cut into consecutive runs, one per server, by
 * dynamic programming over the cut points: the most utilized NIC as low as
 * possible, then the least NIC traffic in all. A run's NIC load is what its
 * nodes exchange with nodes outside it, and a run holds at most its server's
 * NF cores. O(n log n + n L (S + degree)) for runs of at most L nodes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "e2_place.h"

struct keyed {
    uint64_t mid; /* lo + hi of the node's range: twice its middle */
    unsigned node;
};

static int by_middle(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->mid != y->mid) return x->mid < y->mid ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* A run's value: utilization of its busier NIC direction, and the traffic through its NIC. */
struct score {
    double peak, sum;
};

static bool lower(struct score a, struct score b)
{
    if (fabs(a.peak - b.peak) > 1e-12) return a.peak < b.peak;
    return a.sum < b.sum;
}

struct cut {
    const struct e2_igraph *ig;
    const struct e2_hw *hw;
    size_t n, S, L; /* nodes in order, servers, longest run */
    unsigned *order;
    long *pos;        /* per iGraph node: place in order, or -1 */
    size_t *len;      /* per start: how many nodes the longest run from there holds */
    double *in, *out; /* per (start, length): NIC loads of the run, row stride L + 1 */
    unsigned *cores;  /* per (start, length) */
};

static int sort_nodes(struct cut *c)
{
    const struct e2_igraph *ig = c->ig;
    struct keyed *k = malloc((ig->n_nodes + 1) * sizeof(*k));
    if (!k) return -ENOMEM;
    for (size_t v = 0; v < ig->n_nodes; v++) {
        c->pos[v] = -1;
        if (e2_inode_placeable(&ig->nodes[v]))
            k[c->n++] = (struct keyed){ig->nodes[v].range.lo + ig->nodes[v].range.hi, (unsigned)v};
    }
    qsort(k, c->n, sizeof(*k), by_middle);
    for (size_t i = 0; i < c->n; i++) {
        c->order[i] = k[i].node;
        c->pos[k[i].node] = (long)i;
    }
    free(k);
    return 0;
}

/* Run lengths from each start, within the most NF cores any server has. */
static void run_lengths(struct cut *c)
{
    unsigned most = 0, used = 0;
    for (size_t s = 0; s < c->S; s++)
        if (e2_server_nf_cores(c->hw, s) > most) most = e2_server_nf_cores(c->hw, s);
    size_t j = 0;
    for (size_t i = 0; i < c->n; i++) {
        while (j < c->n && used + c->ig->nodes[c->order[j]].cores <= most)
            used += c->ig->nodes[c->order[j++]].cores;
        c->len[i] = j - i;
        if (j - i > c->L) c->L = j - i;
        if (j > i)
            used -= c->ig->nodes[c->order[i]].cores;
        else
            j++; /* a node wider than every server: its run stays empty */
    }
}

/* The node at place j joins run [i, j): its edge of rate @r with @other, on the run's NIC. */
static void add_edge(struct cut *c, size_t i, size_t j, unsigned other, double r, double *here,
                     double *there)
{
    long p = c->pos[other];
    if (c->ig->nodes[other].kind == E2_INODE_DROP) return;
    if (p >= (long)i && p < (long)j)
        *there -= r; /* it was leaving through the other end, now it stays inside */
    else
        *here += r;
}

/* NIC loads and cores of every run [i, i + l), l <= len[i], each from the one before. */
static void run_loads(struct cut *c)
{
    size_t w = c->L + 1;
    for (size_t i = 0; i < c->n; i++) {
        double in = 0, out = 0;
        unsigned cores = 0;
        c->in[i * w] = c->out[i * w] = 0;
        c->cores[i * w] = 0;
        for (size_t l = 1; l <= c->len[i]; l++) {
            const struct e2_inode *v = &c->ig->nodes[c->order[i + l - 1]];
            for (size_t k = 0; k < v->in.n; k++) {
                const struct e2_iedge *e = &c->ig->edges[v->in.v[k]];
                add_edge(c, i, i + l - 1, e->src, e->rate_bps, &in, &out);
            }
            for (size_t k = 0; k < v->out.n; k++) {
                const struct e2_iedge *e = &c->ig->edges[v->out.v[k]];
                add_edge(c, i, i + l - 1, e->dst, e->rate_bps, &out, &in);
            }
            cores += v->cores;
            c->in[i * w + l] = in;
            c->out[i * w + l] = out;
            c->cores[i * w + l] = cores;
        }
    }
}

/* best[s][j]: the cuts of the first j nodes over the first s servers; from[s][j]: where s's run
 * starts. */
static void cut_runs(struct cut *c, struct score *best, size_t *from)
{
    size_t w = c->L + 1, N = c->n + 1;
    for (size_t j = 0; j < N; j++) best[j] = (struct score){j ? INFINITY : 0, 0};
    for (size_t s = 1; s <= c->S; s++) {
        double nic = (double)c->hw->servers[s - 1].nic_bps;
        unsigned room = e2_server_nf_cores(c->hw, s - 1);
        for (size_t j = 0; j < N; j++) {
            struct score b = best[(s - 1) * N + j];
            size_t f = j;
            for (size_t i = j; i-- > 0 && j - i <= c->L;) {
                size_t l = j - i, at = i * w + l;
                if (l > c->len[i] || c->cores[at] > room) continue;
                struct score prev = best[(s - 1) * N + i];
                struct score x = {fmax(prev.peak, fmax(c->in[at], c->out[at]) / nic),
                                  prev.sum + c->in[at] + c->out[at]};
                if (lower(x, b)) b = x, f = i;
            }
            best[s * N + j] = b;
            from[s * N + j] = f;
        }
    }
}

static int assign(const struct cut *c, const size_t *from, struct e2_placement *pl)
{
    size_t N = c->n + 1, j = c->n;
    for (size_t s = c->S; s >= 1; s--) {
        size_t i = from[s * N + j];
        for (size_t k = i; k < j; k++) {
            if (!e2_placement_allows(pl, c->ig, c->order[k], s - 1)) return -ENOSPC;
            e2_placement_set(pl, c->ig, c->order[k], (unsigned)(s - 1));
        }
        j = i;
    }
    return j ? -ENOSPC : 0;
}

static int plan_cuts(struct cut *c, struct e2_placement *pl)
{
    int rc = sort_nodes(c);
    if (rc) return rc;
    run_lengths(c);
    size_t w = c->L + 1, N = c->n + 1;
    c->in = malloc(c->n * w * sizeof(double) + 1);
    c->out = malloc(c->n * w * sizeof(double) + 1);
    c->cores = malloc(c->n * w * sizeof(unsigned) + 1);
    struct score *best = malloc((c->S + 1) * N * sizeof(*best));
    size_t *from = malloc((c->S + 1) * N * sizeof(*from));
    rc = c->in && c->out && c->cores && best && from ? 0 : -ENOMEM;
    if (!rc) {
        run_loads(c);
        cut_runs(c, best, from);
        rc = isinf(best[c->S * N + c->n].peak) ? -ENOSPC : assign(c, from, pl);
    }
    free(c->in);
    free(c->out);
    free(c->cores);
    free(best);
    free(from);
    return rc;
}

int e2_place_cut(const struct e2_igraph *ig, const struct e2_hw *hw,
                 const struct e2_place_opts *opts, struct e2_placement **out, struct e2_err *err)
{
    int rc = e2_placement_new(ig, hw, opts, out, err);
    if (rc) return rc;
    size_t n = ig->n_nodes + 1;
    struct cut c = {.ig = ig,
                    .hw = hw,
                    .S = hw->n_servers,
                    .order = malloc(n * sizeof(unsigned)),
                    .pos = malloc(n * sizeof(long)),
                    .len = malloc(n * sizeof(size_t))};
    rc = c.order && c.pos && c.len ? plan_cuts(&c, *out) : -ENOMEM;
    free(c.order);
    free(c.pos);
    free(c.len);
    if (rc) {
        e2_placement_free(*out);
        *out = NULL;
        return e2_err_set(err, rc,
                          rc == -ENOMEM ? "placement: out of memory"
                                        : "flow-order cut: some node finds no server");
    }
    return 0;
}
