/*
 * PortInc — receive packets from a port. The operator's manual is port_inc_type.manual at the end
 * of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>

#include <rte_ethdev.h>

#include "e2/meta.h"
#include "module.h"
#include "port.h"

struct port_inc_args {
    char port[48];
    int64_t queue;
    uint32_t burst;
};

static const struct e2_arg port_inc_spec[] = {
    E2_ARG_STR(struct port_inc_args, port, NULL, "name of the port to receive from"),
    E2_ARG_I64(struct port_inc_args, queue, "-1", -1, E2_PORT_QUEUES_MAX - 1,
               "receive queue, -1 for all (a task each)"),
    E2_ARG_U32(struct port_inc_args, burst, "32", 1, E2_BATCH_MAX, "packets per receive call"),
    E2_ARG_END,
};

struct port_inc_priv {
    struct e2_port *port;
    uint32_t burst;
};

static int port_inc_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct port_inc_args *a = args;
    struct port_inc_priv *p = m->priv;
    struct e2_port *port = e2_port_find(a->port);
    if (!port) return e2_err_set(err, ENOENT, "no port named '%s'", a->port);
    if (a->queue >= port->n_rxq)
        return e2_err_set(err, EINVAL,
                          "port '%s' has %u receive queue(s); queue %lld does not exist", a->port,
                          port->n_rxq, (long long)a->queue);
    p->burst = a->burst;
    uint16_t first = a->queue < 0 ? 0 : (uint16_t)a->queue;
    uint16_t last = a->queue < 0 ? port->n_rxq : (uint16_t)(a->queue + 1);
    for (uint16_t q = first; q < last; q++) {
        int rc = e2_module_add_task(m, (void *)(uintptr_t)q, err);
        if (rc < 0) return rc;
    }
    p->port = port;
    port->users++;
    return 0;
}

static void port_inc_deinit(struct e2_module *m)
{
    struct port_inc_priv *p = m->priv;
    if (p->port) p->port->users--;
}

static struct e2_task_result port_inc_run(struct e2_module *m, struct e2_task *t)
{
    struct port_inc_priv *p = m->priv;
    struct e2_batch b;
    uint16_t q = (uint16_t)(uintptr_t)t->arg;
    b.cnt = rte_eth_rx_burst(p->port->port_id, q, b.pkts, (uint16_t)p->burst);
    struct e2_task_result r = {b.cnt, 0};
    if (b.cnt == 0) return r;
    uint64_t bytes = e2_task_bytes(m, t, &b);
    r.bits = bytes * 8;
    e2_emit_bytes(m, 0, &b, bytes);
    return r;
}

static struct e2_module_type port_inc_type = {
    .name = "PortInc",
    .summary = "receives packets from a port (a task per receive queue)",
    .manual =
        "Gates: no inputs; output 0. Schedulable: one task per receive queue (queue=-1) or one "
        "task for the given queue.\n"
        "\n"
        "Packets arrive without E2 metadata; their mbuf's port field is the port's DPDK port id "
        "(shown by 'e2ctl dp ports'), which is what ingress filters match.",
    .example = "port p0(vdev=\"net_af_packet0,iface=veth0\");\n"
               "PortInc(port=p0) -> Counter() -> PortOut(port=p0);",
    .max_ogates = 1,
    .priv_size = sizeof(struct port_inc_priv),
    .args = port_inc_spec,
    .args_size = sizeof(struct port_inc_args),
    .init = port_inc_init,
    .deinit = port_inc_deinit,
    .run_task = port_inc_run,
};

E2_MODULE_REGISTER(port_inc_type);
