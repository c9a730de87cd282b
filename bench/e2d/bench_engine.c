/*
 * bench_engine — e2d's own costs, measured in-process against a floor taken
 * in the same run:
 *
 *   modules  cycles per packet of a Bypass module (a chain of N, slope over
 *            N), against a bare indirect call per batch; a FlowHash over
 *            10,000 flows with and without flow tracking (migration avoidance)
 *   sched    cycles per task run of the worker loop (scheduler pick +
 *            account, clock reads, RCU, stats) with 1, 8 and 64 tasks, under
 *            round_robin and weighted_fair, against calling the same tasks in
 *            a plain loop on the same lcore
 *   rules    FlowHash range updates while a worker pushes traffic through
 *            it: per rule (add + delete, each an RCU swap) and per rule in a
 *            batch of 100 (one swap)
 *   nsh      cycles per packet of the NSH round trip (NSHEncap -> NSHDecap,
 *            with and without tags and flow ID); FlowHash hash="ovs"
 *            against hash="crc32c" (bench/e2d/run.sh sets the round trip
 *            against a plain forward in a running e2d)
 *
 * Usage: bench_engine [--quick] [modules|sched|rules|nsh ...]
 * The control thread and the worker share the CPUs this process may use; pin
 * the whole process with taskset for steadier figures (run.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>

#include "e2/frame.h"
#include "e2/meta.h"
#include "graph.h"
#include "ops.h"
#include "pktpool.h"
#include "runtime.h"
#include "worker.h"

static bool quick;

/* ---- probes: a feeder that recycles one batch, and a do-nothing task ---- */

struct loop_priv {
    struct e2_batch *back; /* where the batch returns */
};

static void loop_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct loop_priv *l = m->priv;
    l->back = b;
}

static struct e2_module_type loop_type = {
    .name = "BenchLoop",
    .summary = "benchmark probe: receives a batch and keeps it for the next round",
    .manual = "",
    .example = "",
    .max_igates = 1,
    .max_ogates = 1,
    .priv_size = sizeof(struct loop_priv),
    .process = loop_process,
};
E2_MODULE_REGISTER(loop_type);

static struct e2_task_result null_run(struct e2_module *m, struct e2_task *t)
{
    (void)m;
    (void)t;
    return (struct e2_task_result){.packets = 32};
}

static int null_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    (void)args;
    int rc = e2_module_add_task(m, NULL, err);
    return rc < 0 ? rc : 0;
}

static struct e2_module_type null_type = {
    .name = "BenchTask",
    .summary = "benchmark probe: a task that returns at once, claiming a full batch",
    .manual = "",
    .example = "",
    .priv_size = 8,
    .init = null_init,
    .run_task = null_run,
};
E2_MODULE_REGISTER(null_type);

static void apply(const char *text)
{
    struct e2_err err = {0};
    if (e2_ops_load(text, "bench", &err) == 0) return;
    fprintf(stderr, "bench_engine: %s\n", err.msg);
    exit(1);
}

/* ---- modules ---- */

/*
 * Cycles per packet of pushing the 32-packet batch @b into module `head` of the loaded graph,
 * best of 5 runs; its tail (a BenchLoop) keeps the packets, so the batch goes round again.
 * Frees the packets.
 */
static double batch_cycles(struct e2_batch *b)
{
    struct e2_module *head = e2_graph_module_find("head");
    unsigned rounds = quick ? 20000 : 400000;
    double best = 1e18;
    for (int rep = 0; rep < 5; rep++) {
        uint64_t t0 = rte_rdtsc();
        for (unsigned r = 0; r < rounds; r++) head->type->process(head, 0, b);
        double c = (double)(rte_rdtsc() - t0) / rounds / 32.0;
        if (c < best) best = c;
    }
    rte_pktmbuf_free_bulk(b->pkts, 32);
    return best;
}

/* Cycles per packet of pushing one 32-packet batch through a chain of @n Bypass. */
static double chain_cycles(unsigned n, bool bytes)
{
    e2_graph_destroy_all();
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof(text), "head :: Bypass()");
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, " -> Bypass()");
    snprintf(text + len, sizeof(text) - len, " -> tail :: BenchLoop();");
    apply(text);
    if (bytes)
        for (struct e2_module *m = e2_graph_module_next(NULL); m; m = e2_graph_module_next(m))
            m->track_bytes = true;
    struct e2_batch b = {.cnt = 32};
    for (unsigned i = 0; i < 32; i++) b.pkts[i] = rte_pktmbuf_alloc(e2_pktpool());
    return batch_cycles(&b);
}

typedef void (*hop_fn)(struct e2_batch *b, unsigned left);
static volatile hop_fn hop_ptr;
static void bare_hop(struct e2_batch *b, unsigned left)
{
    if (left) hop_ptr(b, left - 1);
}

/* The floor: one indirect call per batch per hop, nothing else. */
static double bare_cycles(unsigned n)
{
    hop_ptr = bare_hop;
    struct e2_batch b = {.cnt = 32};
    unsigned rounds = quick ? 20000 : 400000;
    double best = 1e18;
    for (int rep = 0; rep < 5; rep++) {
        uint64_t t0 = rte_rdtsc();
        for (unsigned r = 0; r < rounds; r++) hop_ptr(&b, n);
        double c = (double)(rte_rdtsc() - t0) / rounds / 32.0;
        if (c < best) best = c;
    }
    return best;
}

/* Cycles per packet of a FlowHash over 10,016 UDP flows (313 batches of 32, round robin),
 * tracking up to @track flows (0: no tracking). */
static double flowhash_cycles(uint32_t track)
{
    enum { BATCHES = 313 };
    e2_graph_destroy_all();
    char text[256];
    snprintf(text, sizeof(text),
             "head :: FlowHash(bits=16, ranges=[{lo=0, hi=65536, gate=0}], track_flows=%u) -> "
             "tail :: BenchLoop();",
             track);
    apply(text);
    struct e2_module *head = e2_graph_module_find("head");
    static struct e2_batch b[BATCHES];
    for (unsigned i = 0; i < BATCHES; i++) {
        b[i].cnt = 32;
        for (unsigned k = 0; k < 32; k++) {
            struct rte_mbuf *m = rte_pktmbuf_alloc(e2_pktpool());
            uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 64);
            e2_frame_udp4(p, 64, 0x0a000000u + i, 0x0a090001u, (uint16_t)(1024 + k), 53);
            b[i].pkts[k] = m;
        }
    }
    unsigned rounds = quick ? 100 : 2000;
    double best = 1e18;
    for (int rep = 0; rep < 5; rep++) {
        uint64_t t0 = rte_rdtsc();
        for (unsigned r = 0; r < rounds; r++)
            for (unsigned i = 0; i < BATCHES; i++) head->type->process(head, 0, &b[i]);
        double c = (double)(rte_rdtsc() - t0) / rounds / BATCHES / 32.0;
        if (c < best) best = c;
    }
    for (unsigned i = 0; i < BATCHES; i++) rte_pktmbuf_free_bulk(b[i].pkts, 32);
    e2_graph_destroy_all();
    return best;
}

/* Least-squares slope of y over x. */
static double slope(const double *x, const double *y, int n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
    }
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void bench_modules(void)
{
    static const unsigned ns[] = {0, 1, 2, 4, 8, 16, 32};
    double x[7], y[7], yb[7], yf[7];
    printf("# Bypass chains: cycles per packet (32-packet batches)\n#   N  packets-only  "
           "with-bytes  bare-call\n");
    for (int i = 0; i < 7; i++) {
        x[i] = ns[i];
        y[i] = chain_cycles(ns[i], false);
        yb[i] = chain_cycles(ns[i], true);
        yf[i] = bare_cycles(ns[i]);
        printf("  %3u  %12.2f  %10.2f  %9.2f\n", ns[i], y[i], yb[i], yf[i]);
    }
    double per = slope(x, y, 7), per_b = slope(x, yb, 7), floor = slope(x, yf, 7);
    printf("RESULT bypass_cycles_per_packet %.2f cycles\n", per);
    printf("RESULT bypass_cycles_per_packet_with_bytes %.2f cycles\n", per_b);
    printf("RESULT bare_call_cycles_per_packet %.2f cycles\n", floor);
    printf("RATIO bypass_vs_bare_call %.2f (%.2f vs %.2f cycles/packet)\n", per / floor, per,
           floor);
    double plain = flowhash_cycles(0), tracked = flowhash_cycles(65536);
    printf("RESULT flowhash_cycles_per_packet %.1f cycles\n", plain);
    printf("RESULT flowhash_tracked_cycles_per_packet %.1f cycles (10,016 flows pinned)\n",
           tracked);
    printf("RATIO flowhash_tracked_vs_plain %.2f (%.1f vs %.1f cycles/packet)\n", tracked / plain,
           tracked, plain);
}

/* ---- sched ---- */

/* Worker-loop cycles per task run with @n BenchTask leaves under a class of @policy. */
static double sched_cycles(unsigned n, const char *policy)
{
    e2_graph_destroy_all();
    char text[16384];
    size_t len =
        (size_t)snprintf(text, sizeof(text), "tc top(policy=%s, resource=cycles);\n", policy);
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "t%u :: BenchTask(); attach t%u(parent=top, share=%u);\n", i, i,
                                1 + i % 4);
    apply(text);
    struct e2_worker_stats a, b;
    usleep(20000);
    e2_worker_stats(0, &a);
    uint64_t t0 = rte_rdtsc();
    usleep(quick ? 100000 : 500000);
    e2_worker_stats(0, &b);
    /* every run claims packets, so the worker never sleeps: elapsed time is all loop */
    return (double)(rte_rdtsc() - t0) / (double)(b.runs - a.runs);
}

struct bare_loop {
    struct e2_task *tasks[64];
    unsigned n, rounds;
    double cycles;
};

static int bare_loop_main(void *arg)
{
    struct bare_loop *b = arg;
    uint64_t packets = 0, t0 = rte_rdtsc();
    for (unsigned r = 0; r < b->rounds; r++) {
        struct e2_task *t = b->tasks[r % b->n];
        packets += t->m->type->run_task(t->m, t).packets;
    }
    b->cycles = packets ? (double)(rte_rdtsc() - t0) / b->rounds : 0;
    return 0;
}

/*
 * The floor: the same tasks called in a plain loop on the worker's own lcore
 * (after the workers stopped), with nothing else around them.
 */
static double bare_task_cycles(unsigned n)
{
    static struct bare_loop b;
    b.n = 0;
    b.rounds = quick ? 2000000 : 20000000;
    for (struct e2_module *m = e2_graph_module_next(NULL); m && b.n < 64;
         m = e2_graph_module_next(m))
        if (m->n_tasks) b.tasks[b.n++] = &m->tasks[0];
    if (b.n != n) return 0;
    rte_eal_remote_launch(bare_loop_main, &b, e2_worker_lcore(0));
    rte_eal_wait_lcore(e2_worker_lcore(0));
    return b.cycles;
}

/* Last: it stops the workers to measure the floor on their lcore. */
static void bench_sched(void)
{
    static const unsigned ns[] = {1, 8, 64};
    static const char *policies[] = {"round_robin", "weighted_fair"};
    double loop[3][2], bare[3];
    for (int i = 0; i < 3; i++)
        for (int p = 0; p < 2; p++) loop[i][p] = sched_cycles(ns[i], policies[p]);
    e2_workers_stop();
    for (int i = 0; i < 3; i++) {
        e2_graph_destroy_all();
        char text[8192];
        size_t len = 0;
        for (unsigned k = 0; k < ns[i]; k++)
            len += (size_t)snprintf(text + len, sizeof(text) - len, "t%u :: BenchTask();\n", k);
        apply(text);
        bare[i] = bare_task_cycles(ns[i]);
    }
    printf("# Worker loop: cycles per task run (each run of a task that returns at once)\n");
    printf("#  tasks  round_robin  weighted_fair  plain-loop\n");
    for (int i = 0; i < 3; i++)
        printf("  %5u  %11.1f  %13.1f  %10.1f\n", ns[i], loop[i][0], loop[i][1], bare[i]);
    for (int i = 0; i < 3; i++) {
        printf("RESULT sched_cycles_per_run_rr_%u %.1f cycles\n", ns[i], loop[i][0]);
        printf("RESULT sched_cycles_per_run_wfq_%u %.1f cycles\n", ns[i], loop[i][1]);
        printf("RATIO sched_wfq_%u_vs_plain_loop %.2f (%.1f vs %.1f cycles/run)\n", ns[i],
               loop[i][1] / bare[i], loop[i][1], bare[i]);
    }
    e2_graph_destroy_all();
}

/* ---- rules ---- */

static double now_us(void)
{
    return (double)rte_rdtsc() * 1e6 / (double)e2_tsc_hz();
}

static void bench_rules(void)
{
    e2_graph_destroy_all();
    apply("src :: Source(templates=[{src_ip=\"10.0.0.0/16\"}]) -> fh :: FlowHash(bits=16, "
          "ranges=[{lo=0, hi=32768, gate=0}]) -> Sink(); fh[1] -> Sink();");
    struct e2_module *fh = e2_graph_module_find("fh");
    const struct e2_cmd *add = e2_graph_cmd_find(fh, "add_range", NULL),
                        *del = e2_graph_cmd_find(fh, "delete_range", NULL),
                        *set = e2_graph_cmd_find(fh, "set_ranges", NULL);
    unsigned n = quick ? 200 : 2000;
    json_t *addargs[64], *delargs[64];
    for (unsigned i = 0; i < 64; i++) {
        addargs[i] = json_pack("{s:i, s:i, s:i}", "lo", 32768 + i * 16, "hi", 32768 + i * 16 + 16,
                               "gate", 1);
        delargs[i] = json_pack("{s:i, s:i}", "lo", 32768 + i * 16, "hi", 32768 + i * 16 + 16);
    }
    struct e2_err err = {0};
    double t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        if (e2_graph_module_cmd(fh, add, addargs[i % 64], NULL, &err))
            fprintf(stderr, "%s\n", err.msg);
        if (e2_graph_module_cmd(fh, del, delargs[i % 64], NULL, &err))
            fprintf(stderr, "%s\n", err.msg);
    }
    double per_rule = (now_us() - t0) / (2.0 * n);
    json_t *ranges = json_array();
    for (unsigned i = 0; i < 100; i++)
        json_array_append_new(
            ranges, json_pack("{s:i, s:i, s:i}", "lo", i * 64, "hi", i * 64 + 64, "gate", i % 2));
    json_t *setargs = json_pack("{s:o}", "ranges", ranges);
    t0 = now_us();
    for (unsigned i = 0; i < n / 10; i++)
        if (e2_graph_module_cmd(fh, set, setargs, NULL, &err)) fprintf(stderr, "%s\n", err.msg);
    double per_batched = (now_us() - t0) / (n / 10 * 100.0);
    printf("# FlowHash range updates with a worker forwarding through the table\n");
    printf("RESULT flowhash_rule_update_us %.2f us\n", per_rule);
    printf("RESULT flowhash_rule_update_batched_us %.3f us\n", per_batched);
    printf("RATIO flowhash_rule_update_vs_paper %.3f (%.2f vs 20 us per rule, E2 paper 7.2)\n",
           per_rule / 20.0, per_rule);
    json_decref(setargs);
    for (unsigned i = 0; i < 64; i++) {
        json_decref(addargs[i]);
        json_decref(delargs[i]);
    }
    e2_graph_destroy_all();
}

/* ---- nsh ---- */

/*
 * Cycles per packet of the pipeline @text (from `head` into `tail :: BenchLoop()`) on 32 UDP
 * packets of 64 bytes from 32 sources; with @md each carries tags 0 and 2 and a flow ID.
 */
static double pipeline_cycles(const char *text, bool md)
{
    e2_graph_destroy_all();
    apply(text);
    struct e2_batch b = {.cnt = 32};
    for (unsigned i = 0; i < 32; i++) {
        b.pkts[i] = rte_pktmbuf_alloc(e2_pktpool());
        e2_frame_udp4((uint8_t *)rte_pktmbuf_append(b.pkts[i], 64), 64, 0x0a000001 + i, 0x0a090002,
                      (uint16_t)(1000 + i), 80);
        if (!md) continue;
        e2_meta_set_flow_id(b.pkts[i], i);
        e2_meta_set_tag(b.pkts[i], 0, 7);
        e2_meta_set_tag(b.pkts[i], 2, i);
    }
    return batch_cycles(&b);
}

static void bench_nsh(void)
{
    static const char round_trip[] =
        "head :: NSHEncap(spi=5, dst_mac=\"02:e2:00:00:00:11\", src_mac=\"02:e2:00:00:00:10\") "
        "-> NSHDecap(spis=[{spi=5, gate=0}]) -> tail :: BenchLoop();";
    static const char crc[] =
        "head :: FlowHash(ranges=[{lo=0, hi=65536, gate=0}]) -> tail :: BenchLoop();";
    static const char ovs[] = "head :: FlowHash(hash=\"ovs\", ranges=[{lo=0, hi=65536, gate=0}]) "
                              "-> tail :: BenchLoop();";
    double rt = pipeline_cycles(round_trip, true), rt_bare = pipeline_cycles(round_trip, false),
           fh_crc = pipeline_cycles(crc, false), fh_ovs = pipeline_cycles(ovs, false);
    printf("# NSH round trip and FlowHash: cycles per packet (32-packet batches, 64-byte UDP)\n");
    printf("#  NSHEncap -> NSHDecap, 2 tags + flow ID    %8.2f\n", rt);
    printf("#  NSHEncap -> NSHDecap, no metadata         %8.2f\n", rt_bare);
    printf("#  FlowHash crc32c, 5-tuple                  %8.2f\n", fh_crc);
    printf("#  FlowHash ovs (symmetric_l3l4+udp)         %8.2f\n", fh_ovs);
    printf("RESULT nsh_roundtrip_md_cycles_per_packet %.2f cycles\n", rt);
    printf("RESULT nsh_roundtrip_bare_cycles_per_packet %.2f cycles\n", rt_bare);
    printf("RESULT flowhash_crc32c_cycles_per_packet %.2f cycles\n", fh_crc);
    printf("RESULT flowhash_ovs_cycles_per_packet %.2f cycles\n", fh_ovs);
    printf("RATIO flowhash_ovs_vs_crc32c %.2f (%.2f vs %.2f cycles/packet)\n", fh_ovs / fh_crc,
           fh_ovs, fh_crc);
    e2_graph_destroy_all();
}

int main(int argc, char **argv)
{
    bool want[4] = {false, false, false, false};
    bool any = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "modules") == 0)
            want[0] = any = true;
        else if (strcmp(argv[i], "sched") == 0)
            want[1] = any = true;
        else if (strcmp(argv[i], "rules") == 0)
            want[2] = any = true;
        else if (strcmp(argv[i], "nsh") == 0)
            want[3] = any = true;
        else {
            fprintf(stderr, "usage: bench_engine [--quick] [modules|sched|rules|nsh ...]\n");
            return 2;
        }
    }
    if (!any) want[0] = want[1] = want[2] = want[3] = true;
    struct e2_runtime_opts o = {
        .eal = {.name = "e2bench", .no_huge = true, .mem_mb = 512, .workers = 1},
        .mbufs = 16383,
        .worker = {.idle_spin_us = 100, .idle_sleep_max_us = 500},
    };
    struct e2_err err = {0};
    if (e2_runtime_start(&o, &err) || e2_workers_launch(&err)) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    printf("# TSC %.3f GHz\n", (double)e2_tsc_hz() / 1e9);
    if (want[0]) bench_modules();
    if (want[2]) bench_rules();
    if (want[3]) bench_nsh();
    if (want[1]) bench_sched();
    e2_runtime_stop();
    return 0;
}
