/*
 * Counter — count packets and bytes that pass. The operator's manual is counter_type.manual at the
 * end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include "module.h"

struct counter_priv {
    uint64_t pkts, bytes;
    uint64_t base_pkts, base_bytes; /* control thread only */
};

static void counter_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    struct counter_priv *c = m->priv;
    e2_stat_add(&c->pkts, b->cnt);
    e2_stat_add(&c->bytes, e2_batch_bytes(b));
    e2_emit(m, igate, b);
}

static json_t *counter_stats(struct e2_module *m)
{
    struct counter_priv *c = m->priv;
    return json_pack("{s:I, s:I}", "packets", (json_int_t)(e2_stat_read(&c->pkts) - c->base_pkts),
                     "bytes", (json_int_t)(e2_stat_read(&c->bytes) - c->base_bytes));
}

static int cmd_reset(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)result;
    (void)err;
    struct counter_priv *c = m->priv;
    c->base_pkts = e2_stat_read(&c->pkts);
    c->base_bytes = e2_stat_read(&c->bytes);
    return 0;
}

static const struct e2_cmd counter_cmds[] = {
    {.name = "get",
     .help = "packets and bytes since the last reset",
     .fn = e2_cmd_stats,
     .mt_safe = true},
    {.name = "reset", .help = "start counting from zero", .fn = cmd_reset, .mt_safe = true},
    {.name = NULL},
};

static struct e2_module_type counter_type = {
    .name = "Counter",
    .summary = "counts packets and bytes passing through; readable and resettable by name",
    .manual = "Gates: input i goes out of output i (up to 64).\n"
              "\n"
              "Unlike the gate counters every module has, a Counter can be read and reset by name, "
              "which is what tests and operators check traffic with.",
    .example = "rx -> c :: Counter() -> Sink();   e2ctl dp cmd c get",
    .max_igates = 64,
    .max_ogates = 64,
    .priv_size = sizeof(struct counter_priv),
    .process = counter_process,
    .stats = counter_stats,
    .cmds = counter_cmds,
};

E2_MODULE_REGISTER(counter_type);
