/*
 * Tee — copy every packet to several outputs. The operator's manual is tee_type.manual at the end
 * of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>

#include "module.h"
#include "pktpool.h"

struct tee_args {
    uint16_t gates;
    bool clone;
};

static const struct e2_arg tee_spec[] = {
    E2_ARG_U16(struct tee_args, gates, "2", 2, 64, "number of output gates"),
    E2_ARG_BOOL(struct tee_args, clone, "false", "share packet data instead of copying it"),
    E2_ARG_END,
};

struct tee_priv {
    uint16_t gates;
    bool clone;
    uint64_t copy_failed;
};

static int tee_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    (void)err;
    const struct tee_args *a = args;
    struct tee_priv *t = m->priv;
    t->gates = a->gates;
    t->clone = a->clone;
    return 0;
}

static void tee_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct tee_priv *t = m->priv;
    for (uint16_t g = 1; g < t->gates; g++) {
        struct e2_batch c = {.cnt = 0};
        for (uint32_t i = 0; i < b->cnt; i++) {
            struct rte_mbuf *copy = t->clone
                                        ? rte_pktmbuf_clone(b->pkts[i], e2_pktpool())
                                        : rte_pktmbuf_copy(b->pkts[i], e2_pktpool(), 0, UINT32_MAX);
            if (copy)
                c.pkts[c.cnt++] = copy;
            else
                e2_stat_add(&t->copy_failed, 1);
        }
        e2_emit(m, g, &c);
    }
    e2_emit(m, 0, b);
}

static json_t *tee_stats(struct e2_module *m)
{
    struct tee_priv *t = m->priv;
    return json_pack("{s:I}", "copy_failed", (json_int_t)e2_stat_read(&t->copy_failed));
}

static struct e2_module_type tee_type = {
    .name = "Tee",
    .summary = "copies each packet to every output gate (original on gate 0)",
    .manual =
        "Gates: up to 64 inputs; outputs 0..gates-1.\n"
        "\n"
        "The original goes out of gate 0, a copy out of each other gate. Copies are deep (data and "
        "metadata duplicated) so downstream NFs may rewrite them independently; with clone=true "
        "they are indirect mbufs sharing the data (cheaper, read-only by convention). A copy that "
        "cannot be allocated is counted in copy_failed and that gate misses the packet.\n"
        "\n"
        "Statistics: copy_failed.",
    .example = "rx -> t :: Tee(gates=2); t[0] -> fw; t[1] -> monitor;",
    .max_igates = 64,
    .max_ogates = 64,
    .priv_size = sizeof(struct tee_priv),
    .args = tee_spec,
    .args_size = sizeof(struct tee_args),
    .init = tee_init,
    .process = tee_process,
    .stats = tee_stats,
};

E2_MODULE_REGISTER(tee_type);
