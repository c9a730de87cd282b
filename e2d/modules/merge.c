/*
 * Merge — join several inputs into one output. The operator's manual is merge_type.manual at the
 * end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include "module.h"

static void merge_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    e2_emit(m, 0, b);
}

static struct e2_module_type merge_type = {
    .name = "Merge",
    .summary = "joins up to 64 input gates into output gate 0",
    .manual = "Gates: any of 64 inputs -> output 0.",
    .example = "a -> [0]m :: Merge(); b -> [1]m; m -> out;",
    .max_igates = 64,
    .max_ogates = 1,
    .process = merge_process,
};

E2_MODULE_REGISTER(merge_type);
