/*
 * Sink and Drop — where packets end: one page, two types that differ only in
 * how they count. Their manuals are sink_type.manual and drop_type.manual
 * below (also e2d --list-modules and docs/e2d-modules.md).
 */
#include "module.h"

struct sink_priv {
    uint64_t pkts, bytes;
};

static void sink_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct sink_priv *s = m->priv;
    e2_stat_add(&s->pkts, b->cnt);
    e2_stat_add(&s->bytes, e2_batch_bytes(b));
    rte_pktmbuf_free_bulk(b->pkts, b->cnt);
}

static void drop_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    e2_drop_batch(m, b);
}

static json_t *sink_stats(struct e2_module *m)
{
    struct sink_priv *s = m->priv;
    return json_pack("{s:I, s:I}", "packets", (json_int_t)e2_stat_read(&s->pkts), "bytes",
                     (json_int_t)e2_stat_read(&s->bytes));
}

static struct e2_module_type sink_type = {
    .name = "Sink",
    .summary = "frees and counts packets that reached the end of their path",
    .manual =
        "Gates: up to 64 inputs; no outputs.\n"
        "\n"
        "Frees every packet it receives and counts it as consumed: the normal end of a path, where "
        "its packets and bytes are what arrived. Drop is the same with the count kept as drops.\n"
        "\n"
        "Statistics: packets, bytes.",
    .example = "rx -> Counter() -> Sink();",
    .max_igates = 64,
    .priv_size = sizeof(struct sink_priv),
    .process = sink_process,
    .stats = sink_stats,
};

static struct e2_module_type drop_type = {
    .name = "Drop",
    .summary = "frees packets and counts them as dropped",
    .manual =
        "Gates: up to 64 inputs; no outputs.\n"
        "\n"
        "Frees every packet it receives and counts it in the module's drops: a policy decision "
        "(\"this traffic goes nowhere\"), as opposed to Sink's normal end of a path.",
    .example = "classifier[1] -> Drop();",
    .max_igates = 64,
    .process = drop_process,
};

E2_MODULE_REGISTER(sink_type);
E2_MODULE_REGISTER(drop_type);
