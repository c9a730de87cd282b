/*
 * Queue — a FIFO between tasks, and E2's overload signal. The operator's manual is
 * queue_type.manual at the end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "e2_hist.h"
#include "e2/meta.h"
#include "module.h"
#include "worker.h"

struct queue_args {
    uint32_t size;
    bool multi_producer;
    uint32_t burst;
};

static const struct e2_arg queue_spec[] = {
    E2_ARG_U32(struct queue_args, size, "1024", 16, 1 << 20,
               "capacity in packets (a power of two)"),
    E2_ARG_BOOL(struct queue_args, multi_producer, "false",
                "allow modules on several workers to enqueue"),
    E2_ARG_U32(struct queue_args, burst, "32", 1, E2_BATCH_MAX, "packets per dequeue"),
    E2_ARG_END,
};

#define OCC_EWMA_SHIFT 4 /* moving average over ~16 dequeues, in 1/256 packets */

struct queue_priv {
    struct rte_ring *ring;
    uint32_t burst, size;
    uint64_t enqueued, dequeued, full_drops;
    uint64_t occ_avg256, occ_peak;
    struct e2_hist delay; /* in TSC cycles >> E2_META_ENQ_SHIFT */
    struct e2_hist *baseline;
    uint64_t peak_baseline;
};

static int queue_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    static unsigned seq;
    const struct queue_args *a = args;
    struct queue_priv *q = m->priv;
    if (!rte_is_power_of_2(a->size))
        return e2_err_set(err, EINVAL, "'size' = %u is not a power of two", a->size);
    char name[RTE_RING_NAMESIZE];
    snprintf(name, sizeof(name), "e2q%u", seq++);
    unsigned flags = RING_F_SC_DEQ | RING_F_EXACT_SZ | (a->multi_producer ? 0 : RING_F_SP_ENQ);
    q->ring = rte_ring_create(name, a->size, (int)rte_socket_id(), flags);
    if (!q->ring)
        return e2_err_set(err, ENOMEM, "cannot create a ring of %u packets: %s", a->size,
                          rte_strerror(rte_errno));
    q->baseline = calloc(1, sizeof(*q->baseline));
    if (!q->baseline) return e2_err_set(err, ENOMEM, "out of memory");
    q->burst = a->burst;
    q->size = a->size;
    if (a->multi_producer) m->flags |= E2_MT_SAFE;
    int rc = e2_module_add_task(m, NULL, err);
    return rc < 0 ? rc : 0;
}

static void queue_deinit(struct e2_module *m)
{
    struct queue_priv *q = m->priv;
    if (q->ring) {
        struct rte_mbuf *pkts[E2_BATCH_MAX];
        unsigned n;
        while ((n = rte_ring_dequeue_burst(q->ring, (void **)pkts, E2_BATCH_MAX, NULL)) > 0)
            rte_pktmbuf_free_bulk(pkts, n);
        rte_ring_free(q->ring);
    }
    free(q->baseline);
}

static void queue_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct queue_priv *q = m->priv;
    uint32_t stamp = (uint32_t)(rte_rdtsc() >> E2_META_ENQ_SHIFT);
    for (uint32_t i = 0; i < b->cnt; i++) e2_meta(b->pkts[i])->enq_ts = stamp;
    unsigned n = rte_ring_enqueue_burst(q->ring, (void **)b->pkts, b->cnt, NULL);
    if (m->flags & E2_MT_SAFE)
        __atomic_fetch_add(&q->enqueued, n, __ATOMIC_RELAXED);
    else
        e2_stat_add(&q->enqueued, n);
    if (n < b->cnt) {
        uint32_t left = b->cnt - n;
        __atomic_fetch_add(&q->full_drops, left, __ATOMIC_RELAXED);
        __atomic_fetch_add(&m->dropped, left, __ATOMIC_RELAXED);
        rte_pktmbuf_free_bulk(&b->pkts[n], left);
    }
}

static uint32_t queue_room(const struct e2_module *m, uint16_t igate)
{
    (void)igate;
    return rte_ring_free_count(((const struct queue_priv *)m->priv)->ring);
}

static struct e2_task_result queue_run(struct e2_module *m, struct e2_task *t)
{
    struct queue_priv *q = m->priv;
    struct e2_batch b;
    unsigned left;
    b.cnt = rte_ring_dequeue_burst(q->ring, (void **)b.pkts, q->burst, &left);
    struct e2_task_result r = {b.cnt, 0};
    if (b.cnt == 0) return r;
    uint32_t now = (uint32_t)(rte_rdtsc() >> E2_META_ENQ_SHIFT);
    for (uint32_t i = 0; i < b.cnt; i++)
        e2_hist_record(&q->delay, (uint32_t)(now - e2_meta(b.pkts[i])->enq_ts));
    uint64_t occ = left + b.cnt;
    uint64_t avg = q->occ_avg256;
    __atomic_store_n(&q->occ_avg256, avg + ((occ << 8) >> OCC_EWMA_SHIFT) - (avg >> OCC_EWMA_SHIFT),
                     __ATOMIC_RELAXED);
    if (occ > q->occ_peak) __atomic_store_n(&q->occ_peak, occ, __ATOMIC_RELAXED);
    e2_stat_add(&q->dequeued, b.cnt);
    uint64_t bytes = e2_task_bytes(m, t, &b);
    r.bits = bytes * 8;
    e2_emit_bytes(m, 0, &b, bytes);
    return r;
}

static json_t *queue_stats(struct e2_module *m)
{
    struct queue_priv *q = m->priv;
    double ns_per_unit = (double)(1u << E2_META_ENQ_SHIFT) * 1e9 / (double)e2_tsc_hz();
    return json_pack("{s:I, s:I, s:I, s:i, s:{s:i, s:f, s:I}, s:o*}", "enqueued",
                     (json_int_t)e2_stat_read(&q->enqueued), "dequeued",
                     (json_int_t)e2_stat_read(&q->dequeued), "dropped_full",
                     (json_int_t)e2_stat_read(&q->full_drops), "size", q->size, "occupancy", "now",
                     rte_ring_count(q->ring), "avg", (double)e2_stat_read(&q->occ_avg256) / 256.0,
                     "peak", (json_int_t)e2_stat_read(&q->occ_peak), "delay_ns",
                     e2_hist_summary(&q->delay, q->baseline, ns_per_unit));
}

static int cmd_clear(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)result;
    (void)err;
    struct queue_priv *q = m->priv;
    e2_hist_snapshot(&q->delay, q->baseline);
    __atomic_store_n(&q->occ_peak, 0, __ATOMIC_RELAXED);
    return 0;
}

static const struct e2_cmd queue_cmds[] = {
    {.name = "get_status",
     .help = "occupancy and queueing delay",
     .fn = e2_cmd_stats,
     .mt_safe = true},
    {.name = "clear",
     .help = "restart delay percentiles and peak occupancy",
     .fn = cmd_clear,
     .mt_safe = true},
    {.name = NULL},
};

static struct e2_module_type queue_type = {
    .name = "Queue",
    .summary = "FIFO between tasks; measures occupancy and queueing delay (the overload signal)",
    .manual = "Gates: up to 64 inputs (enqueue); output 0 (dequeue). Schedulable: one task that "
              "dequeues and pushes downstream.\n"
              "\n"
              "A Queue cuts the module graph into two tasks, so the parts can run on different "
              "workers or under different traffic classes. Packets that find the queue full are "
              "dropped and counted. The Queue measures what E2's scaling decisions need: occupancy "
              "(now, moving average, peak) and each packet's queueing delay (percentiles), from an "
              "enqueue time stamped in the packet's metadata. Its free space is its room for "
              "producers that hold back instead of dropping (VPort reliable=true).\n"
              "\n"
              "Statistics (also the get_status command): enqueued, dequeued, dropped_full, "
              "occupancy {now, avg, peak}, delay_ns {count, min, mean, p50, p90, p99, p999, max}.",
    .example = "src -> q :: Queue(size=4096) -> Sink();  attach q(parent=w1slow);",
    .max_igates = 64,
    .max_ogates = 1,
    .priv_size = sizeof(struct queue_priv),
    .args = queue_spec,
    .args_size = sizeof(struct queue_args),
    .init = queue_init,
    .deinit = queue_deinit,
    .process = queue_process,
    .run_task = queue_run,
    .room = queue_room,
    .stats = queue_stats,
    .cmds = queue_cmds,
};

E2_MODULE_REGISTER(queue_type);
