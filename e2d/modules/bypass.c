/*
 * Bypass — pass packets through unchanged. The operator's manual is bypass_type.manual at the end
 * of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include "module.h"

static void bypass_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    e2_emit(m, igate, b);
}

static struct e2_module_type bypass_type = {
    .name = "Bypass",
    .summary = "passes packets through unchanged (input gate i to output gate i)",
    .manual = "Gates: input i goes out of output i (up to 64 of each).\n"
              "\n"
              "The cheapest module there is: the per-module cost of e2d (one call, the gate "
              "counters) and nothing else. bench/e2d measures chains of them.",
    .example = "src -> Bypass() -> sink;",
    .max_igates = 64,
    .max_ogates = 64,
    .flags = E2_MT_SAFE,
    .process = bypass_process,
};

E2_MODULE_REGISTER(bypass_type);
