/*
 * Timestamp — stamp packets with the current time for Latency to measure. The operator's manual is
 * timestamp_type.manual at the end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <rte_cycles.h>

#include "e2/meta.h"
#include "module.h"

static void timestamp_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    uint64_t now = rte_rdtsc();
    for (uint32_t i = 0; i < b->cnt; i++) e2_ts_set(b->pkts[i], now);
    e2_emit(m, igate, b);
}

static struct e2_module_type timestamp_type = {
    .name = "Timestamp",
    .summary = "stamps each packet with the current TSC for a downstream Latency",
    .manual = "Gates: input i goes out of output i (up to 64).\n"
              "\n"
              "Writes the TSC into the packet's standard timestamp field (shared with PMDs and NFs "
              "in the same host, so a stamp survives a trip through an NF).",
    .example = "src -> Timestamp() -> nf_path ... -> Latency() -> Sink();",
    .max_igates = 64,
    .max_ogates = 64,
    .flags = E2_MT_SAFE,
    .process = timestamp_process,
};

E2_MODULE_REGISTER(timestamp_type);
