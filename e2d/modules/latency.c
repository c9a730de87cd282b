/*
 * Latency — measure the time since a packet was stamped. The operator's manual is
 * latency_type.manual at the end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "e2_hist.h"
#include "e2/meta.h"
#include "module.h"
#include "worker.h"

struct latency_priv {
    struct e2_hist hist; /* TSC cycles */
    struct e2_hist *baseline;
    uint64_t unstamped, base_unstamped;
};

static int latency_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    (void)args;
    struct latency_priv *l = m->priv;
    l->baseline = calloc(1, sizeof(*l->baseline));
    return l->baseline ? 0 : e2_err_set(err, ENOMEM, "out of memory");
}

static void latency_deinit(struct e2_module *m)
{
    struct latency_priv *l = m->priv;
    free(l->baseline);
}

static void latency_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    struct latency_priv *l = m->priv;
    uint64_t now = rte_rdtsc();
    for (uint32_t i = 0; i < b->cnt; i++) {
        uint64_t ts;
        if (e2_ts_get(b->pkts[i], &ts) == 0 && ts <= now)
            e2_hist_record(&l->hist, now - ts);
        else
            e2_stat_add(&l->unstamped, 1);
    }
    e2_emit(m, igate, b);
}

static json_t *latency_stats(struct e2_module *m)
{
    struct latency_priv *l = m->priv;
    return json_pack("{s:I, s:o*}", "unstamped",
                     (json_int_t)(e2_stat_read(&l->unstamped) - l->base_unstamped), "latency_ns",
                     e2_hist_summary(&l->hist, l->baseline, 1e9 / (double)e2_tsc_hz()));
}

static int cmd_clear(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)result;
    (void)err;
    struct latency_priv *l = m->priv;
    e2_hist_snapshot(&l->hist, l->baseline);
    l->base_unstamped = e2_stat_read(&l->unstamped);
    return 0;
}

static const struct e2_cmd latency_cmds[] = {
    {.name = "get",
     .help = "latency percentiles in ns since the last clear",
     .fn = e2_cmd_stats,
     .mt_safe = true},
    {.name = "clear", .help = "start measuring afresh", .fn = cmd_clear, .mt_safe = true},
    {.name = NULL},
};

static struct e2_module_type latency_type = {
    .name = "Latency",
    .summary = "measures time since Timestamp: min, mean, p50/p90/p99/p99.9, max",
    .manual = "Gates: input i goes out of output i (up to 64).\n"
              "\n"
              "For each packet carrying a timestamp (from Timestamp or a PMD), records now - stamp "
              "in a histogram; packets without one are counted as unstamped. Percentiles are exact "
              "to about 1.6%.\n"
              "\n"
              "Statistics (also the get command): unstamped, latency_ns {count, min, mean, p50, "
              "p90, p99, p999, max}.",
    .example = "... -> lat :: Latency() -> Sink();   e2ctl dp cmd lat get",
    .max_igates = 64,
    .max_ogates = 64,
    .priv_size = sizeof(struct latency_priv),
    .init = latency_init,
    .deinit = latency_deinit,
    .process = latency_process,
    .stats = latency_stats,
    .cmds = latency_cmds,
};

E2_MODULE_REGISTER(latency_type);
