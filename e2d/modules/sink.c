/*
 * Sink and Drop — where packets end.
 *
 * Synopsis: Sink()   Drop()
 * Gates:    up to 64 inputs, no outputs.
 *
 * Both free every packet they receive. Sink counts them as consumed (the
 * normal end of a path: its packets and bytes are what "arrived"); Drop
 * counts them as dropped (a policy decision, shown in the module's drops).
 *
 * Example:  rx -> Counter() -> Sink();   classifier[1] -> Drop();
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
    .manual = "Gates: up to 64 inputs, no outputs. Statistics: packets, bytes.",
    .max_igates = 64,
    .priv_size = sizeof(struct sink_priv),
    .process = sink_process,
    .stats = sink_stats,
};

static struct e2_module_type drop_type = {
    .name = "Drop",
    .summary = "frees packets and counts them as dropped",
    .manual = "Gates: up to 64 inputs, no outputs. The count is the module's 'dropped'.",
    .max_igates = 64,
    .process = drop_process,
};

E2_MODULE_REGISTER(sink_type);
E2_MODULE_REGISTER(drop_type);
