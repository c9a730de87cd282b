/*
 * bench_placement — the paper's Fig. 9 and the controller timings (§7.2).
 *
 *   bench_placement [--seeds N] [--ilp-seeds N] [--long]
 *
 * Fig. 9: the paper's testbed servers scaled to a rack — 24 servers with 16
 * cores at 2.6 GHz (one for E2D) and a 10 Gbit/s link each, a 48 x 10 Gbit/s
 * switch (24 external ports, 2,048 flow entries, 480 Gbit/s); a 5-NF chain
 * and random 10-NF graphs, new ones for every seed, with NF throughputs drawn
 * from the example NF descriptions that scale out (policy/examples/nf: FW,
 * NAT, IDS, Monitor, Normalizer, VPN). Two workloads:
 *   - 5-tuple NFs (the paper's setting): every NF keeps flows by the
 *     symmetric 5-tuple and rewrites nothing, so one hash serves the graph
 *     and instances connect directly (Fig. 4d);
 *   - example NFs as described: their own affinities and rewrites (NAT and
 *     VPN rewrite the 5-tuple, Normalizer hashes on src_ip), so some hops
 *     must hash again and spread over every instance downstream.
 * For each, the maximum input rate the rack sustains (e2_sim.h) with E2's
 * placement, with Packing (DFS bin-packing by cores) and with Random, all in
 * this process on the same inputs. The exact ILP optimum (GLPK) is the
 * ceiling on racks small enough to solve: 4 servers, chains of 3 and random
 * 4-NF graphs of both workloads.
 *
 * Timings: placing a 100-instance iGraph (packing + swaps), and answering
 * 68 split requests on it (the paper's one split per core per second).
 *
 * Default: 10 seeds per graph and workload, 10 ILP seeds (about a minute on
 * two cores). --long: 50 seeds and 30 ILP seeds with a 10 s limit per solve.
 * Ends with one line per figure: RESULT name value unit / RATIO name value (ours vs peer).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2_gen.h"
#include "e2_plan.h"
#include "e2_sim.h"

struct cfg {
    unsigned seeds, ilp_seeds, ilp_servers;
    double ilp_seconds;
};

/* The example NFs that scale out across servers to at least 16 instances. */
static struct e2_nf_catalog catalog;
static const struct e2_nf_desc *pool[16];
static size_t n_pool;

static void load_pool(void)
{
    struct e2_err err = {0};
    if (e2_nf_catalog_load_dir(E2_NF_DIR, &catalog, &err)) {
        fprintf(stderr, "bench_placement: %s\n", err.msg);
        exit(1);
    }
    for (size_t i = 0; i < catalog.n && n_pool < 16; i++)
        if (catalog.descs[i]->across_servers && catalog.descs[i]->max_instances >= 16)
            pool[n_pool++] = catalog.descs[i];
    printf("NF pool:");
    for (size_t i = 0; i < n_pool; i++)
        printf(" %s (%.1f Gbit/s per core-GHz)", pool[i]->nf_type,
               pool[i]->throughput_bps_per_core_ghz / 1e9);
    printf("\n");
}

struct tally {
    double sum, min, n;
};

static void add(struct tally *t, double x)
{
    if (!t->n || x < t->min) t->min = x;
    t->sum += x;
    t->n++;
}

static double mean(const struct tally *t)
{
    return t->n ? t->sum / t->n : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct e2_hw *make_rack(unsigned servers, unsigned cores)
{
    struct e2_gen_rack r = {servers, cores, 1, 24, 2048, 2.6, 10000000000ull};
    struct e2_hw *hw = NULL;
    struct e2_err err = {0};
    if (e2_gen_rack_uniform(&r, &hw, &err)) {
        fprintf(stderr, "bench_placement: %s\n", err.msg);
        exit(1);
    }
    return hw;
}

static struct e2_plan_pgraph *make_graph(uint64_t seed, enum e2_gen_shape shape, unsigned nfs,
                                         bool compatible)
{
    struct e2_rng r = {seed * 7919 + nfs};
    struct e2_gen_graph g = {.shape = shape,
                             .n_nfs = nfs,
                             .ingress_bps = 10e9,
                             .n_ports = 24,
                             .pool = pool,
                             .n_pool = n_pool,
                             .compatible = compatible};
    json_t *j = e2_gen_pgraph(&r, &g);
    struct e2_plan_pgraph *pg = NULL;
    struct e2_err err = {0};
    if (!j || e2_plan_pgraph_from_json(j, "generated", &pg, &err)) {
        fprintf(stderr, "bench_placement: %s\n", err.msg);
        exit(1);
    }
    json_decref(j);
    return pg;
}

/* The best max input rate of each strategy, compared on the same inputs. */
static void best_rates(const struct e2_plan_pgraph *pg, const struct e2_hw *hw,
                       const enum e2_strategy *which, size_t n, uint64_t seed, double ilp_seconds,
                       struct e2_sim_result *res)
{
    struct e2_sim_opts o = {480e9, 16, seed, ilp_seconds};
    struct e2_sim_strategy s[4];
    struct e2_err err = {0};
    for (size_t i = 0; i < n; i++) s[i] = (struct e2_sim_strategy){which[i], &res[i]};
    if (e2_sim_compare(pg, hw, s, n, &o, &err)) {
        fprintf(stderr, "bench_placement: %s\n", err.msg);
        exit(1);
    }
}

struct fig9_row {
    struct tally vs_random, vs_packing, e2_gbps;
};

/* Fig. 9 for one graph shape and workload: E2 / Random and E2 / Packing per seed. */
static void fig9(const struct cfg *c, const char *label, enum e2_gen_shape shape, unsigned nfs,
                 bool compatible, struct fig9_row *row)
{
    struct e2_hw *hw = make_rack(24, 16);
    printf("\nFig. 9, %s: 24 servers x 15 NF cores, 10 Gbit/s links (max input rate, Gbit/s)\n",
           label);
    printf("%6s %10s %10s %10s %10s %10s\n", "seed", "E2", "Packing", "Random", "E2/Rand",
           "E2/Pack");
    for (uint64_t seed = 1; seed <= c->seeds; seed++) {
        struct e2_plan_pgraph *pg = make_graph(seed, shape, nfs, compatible);
        static const enum e2_strategy three[] = {E2_STRATEGY_E2, E2_STRATEGY_PACKING,
                                                 E2_STRATEGY_RANDOM};
        struct e2_sim_result r[3];
        best_rates(pg, hw, three, 3, seed, 0, r);
        double e2 = r[0].max_rate_bps, pack = r[1].max_rate_bps, rnd = r[2].max_rate_bps;
        printf("%6llu %10.1f %10.1f %10.1f %10.2f %10.2f\n", (unsigned long long)seed, e2 / 1e9,
               pack / 1e9, rnd / 1e9, e2 / rnd, e2 / pack);
        add(&row->vs_random, e2 / rnd);
        add(&row->vs_packing, e2 / pack);
        add(&row->e2_gbps, e2 / 1e9);
        e2_plan_pgraph_free(pg);
    }
    e2_hw_free(hw);
}

/* E2 against the exact optimum where GLPK proves it. */
static void vs_ilp(const struct cfg *c, struct tally *ratio, unsigned *unsolved)
{
    struct e2_hw *hw = make_rack(c->ilp_servers, 4);
    printf("\nE2 vs the ILP optimum: %u servers x 3 NF cores (max input rate, Gbit/s)\n",
           c->ilp_servers);
    printf("%6s %14s %10s %10s %8s\n", "seed", "graph", "E2", "ILP", "E2/ILP");
    for (uint64_t seed = 1; seed <= c->ilp_seeds; seed++) {
        bool chain = seed % 2, compatible = (seed / 2) % 2;
        struct e2_plan_pgraph *pg =
            make_graph(seed, chain ? E2_GEN_CHAIN : E2_GEN_DAG, chain ? 3 : 4, compatible);
        static const enum e2_strategy two[] = {E2_STRATEGY_E2, E2_STRATEGY_ILP};
        struct e2_sim_result r[2];
        best_rates(pg, hw, two, 2, seed, c->ilp_seconds, r);
        double e2 = r[0].max_rate_bps, ilp = r[1].max_rate_bps;
        bool exact = r[1].exact;
        char graph[32];
        snprintf(graph, sizeof(graph), "%s%s", chain ? "chain3" : "dag4",
                 compatible ? "/5-tuple" : "/examples");
        printf("%6llu %14s %10.2f %10.2f %8.3f%s\n", (unsigned long long)seed, graph, e2 / 1e9,
               ilp / 1e9, e2 / ilp, exact ? "" : "  (not proven optimal: left out)");
        if (exact)
            add(ratio, e2 / ilp);
        else
            ++*unsolved;
        e2_plan_pgraph_free(pg);
    }
    e2_hw_free(hw);
}

/* A random 10-NF graph sized to about @target instances on the Fig. 9 rack. */
static struct e2_plan *plan_of_size(unsigned target, struct e2_plan_pgraph **pg, struct e2_hw *hw)
{
    for (uint64_t seed = 1;; seed++) {
        *pg = make_graph(seed, E2_GEN_DAG, 10, false);
        struct e2_plan_opts o;
        e2_plan_opts_default(&o);
        double lo = 1e8, hi = 1e12;
        struct e2_plan *p = NULL;
        for (int i = 0; i < 60; i++) {
            double mid = sqrt(lo * hi);
            o.default_root_bps = mid;
            for (size_t e = 0; e < (*pg)->n_edges; e++) (*pg)->edges[e].has_bw = false;
            e2_plan_free(p);
            p = NULL;
            if (e2_plan_build(*pg, hw, &o, &p, NULL)) {
                hi = mid;
                continue;
            }
            unsigned n = 0;
            for (size_t v = 0; v < p->ig->n_nodes; v++)
                n += p->ig->nodes[v].kind == E2_INODE_INSTANCE;
            if (n == target) return p;
            if (n < target)
                lo = mid;
            else
                hi = mid;
        }
        e2_plan_free(p);
        e2_plan_pgraph_free(*pg);
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void timings(double *place_ms, double *split_ms, double *split_max_ms)
{
    struct e2_hw *hw = make_rack(24, 16);
    struct e2_plan_pgraph *pg = NULL;
    struct e2_plan *p = plan_of_size(100, &pg, hw);
    struct e2_place_opts o = {0, true};
    enum { REPS = 31 };
    double t[REPS];
    for (int i = 0; i < REPS; i++) {
        struct e2_placement *pl = NULL;
        double t0 = now_ms();
        if (e2_place(p->ig, hw, &o, &pl, NULL))
            fprintf(stderr, "bench_placement: 100 nodes do not fit\n");
        t[i] = now_ms() - t0;
        e2_placement_free(pl);
    }
    qsort(t, REPS, sizeof(double), by_value);
    *place_ms = t[REPS / 2];
    printf("\nplacing a 100-instance iGraph (%zu edges) on 24 servers: median %.3f ms, "
           "min %.3f, max %.3f over %d runs\n",
           p->ig->n_edges, t[REPS / 2], t[0], t[REPS - 1], REPS);
    struct e2_rng r = {68};
    double sum = 0, worst = 0;
    unsigned done = 0;
    for (int k = 0; k < 68; k++) {
        unsigned victim, neu;
        do victim = e2_rng_below(&r, (unsigned)p->ig->n_nodes);
        while (p->ig->nodes[victim].kind != E2_INODE_INSTANCE);
        double t0 = now_ms();
        int rc = e2_place_split(p->pl, p->ig, victim, &neu, NULL);
        double dt = now_ms() - t0;
        sum += dt;
        worst = fmax(worst, dt);
        done += rc == 0;
    }
    *split_ms = sum / 68;
    *split_max_ms = worst;
    printf("68 split requests (one per core per second): %u placed, mean %.4f ms, max %.4f ms "
           "each; busy %.3f%% of each second\n",
           done, *split_ms, worst, sum / 10);
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
}

static int parse(int argc, char **argv, struct cfg *c)
{
    *c = (struct cfg){10, 10, 4, 5};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--long"))
            *c = (struct cfg){50, 30, 4, 10};
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            c->seeds = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ilp-seeds") && i + 1 < argc)
            c->ilp_seeds = (unsigned)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_placement [--seeds N] [--ilp-seeds N] [--long]\n");
            return 2;
        }
    }
    return 0;
}

static void print_row(const char *name, const struct fig9_row *r)
{
    printf("RESULT fig9_%s_e2_rate %.1f Gbit/s\n", name, mean(&r->e2_gbps));
    printf("RATIO placement_vs_random_%s %.2f (E2 vs Random)\n", name, mean(&r->vs_random));
    printf("RATIO placement_vs_packing_%s %.2f (E2 vs Packing)\n", name, mean(&r->vs_packing));
}

int main(int argc, char **argv)
{
    struct cfg c;
    int rc = parse(argc, argv, &c);
    if (rc) return rc;
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows when redirected */
    struct fig9_row rows[4] = {0};
    static const char *const names[] = {"chain5", "random10", "chain5_examples",
                                        "random10_examples"};
    struct tally ilp = {0};
    unsigned unsolved = 0;
    double place_ms, split_ms, split_max;
    load_pool();
    fig9(&c, "5-NF chain, 5-tuple NFs", E2_GEN_CHAIN, 5, true, &rows[0]);
    fig9(&c, "random 10-NF graphs, 5-tuple NFs", E2_GEN_DAG, 10, true, &rows[1]);
    fig9(&c, "5-NF chain, example NFs as described", E2_GEN_CHAIN, 5, false, &rows[2]);
    fig9(&c, "random 10-NF graphs, example NFs as described", E2_GEN_DAG, 10, false, &rows[3]);
    vs_ilp(&c, &ilp, &unsolved);
    timings(&place_ms, &split_ms, &split_max);
    printf("\n");
    double worst_pack = INFINITY;
    for (int i = 0; i < 4; i++) {
        print_row(names[i], &rows[i]);
        worst_pack = fmin(worst_pack, rows[i].vs_packing.min);
    }
    printf("RATIO placement_vs_packing_worst_seed %.3f (E2 vs Packing)\n", worst_pack);
    printf("RATIO placement_vs_ilp %.3f (E2 vs ILP)\n", mean(&ilp));
    printf("RATIO placement_vs_ilp_worst_seed %.3f (E2 vs ILP)\n", ilp.min);
    printf("RESULT ilp_instances_solved %.0f of %u\n", ilp.n, c.ilp_seeds);
    printf("RESULT place_100_nodes_ms %.3f ms\n", place_ms);
    printf("RESULT split_response_ms %.4f ms\n", split_ms);
    printf("RESULT split_response_max_ms %.4f ms\n", split_max);
    e2_nf_catalog_free(&catalog);
    return 0;
}
