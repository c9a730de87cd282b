/*
 * PortOut — send packets out of a port. The operator's manual is port_out_type.manual at the end
 * of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>

#include <rte_ethdev.h>

#include "module.h"
#include "port.h"
#include "worker.h"

struct port_out_args {
    char port[48];
};

static const struct e2_arg port_out_spec[] = {
    E2_ARG_STR(struct port_out_args, port, NULL, "name of the port to send to"),
    E2_ARG_END,
};

struct port_out_priv {
    struct e2_port *port;
};

static int port_out_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct port_out_args *a = args;
    struct port_out_priv *p = m->priv;
    p->port = e2_port_find(a->port);
    if (!p->port) return e2_err_set(err, ENOENT, "no port named '%s'", a->port);
    p->port->users++;
    return 0;
}

static void port_out_deinit(struct e2_module *m)
{
    struct port_out_priv *p = m->priv;
    if (p->port) p->port->users--;
}

static void port_out_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct port_out_priv *p = m->priv;
    struct e2_port *port = p->port;
    int w = e2_worker_self();
    uint16_t q = (uint16_t)((w < 0 ? 0 : w) % port->n_txq);
    if (port->tx_shared) rte_spinlock_lock(&port->txq_lock[q]);
    uint16_t sent = rte_eth_tx_burst(port->port_id, q, b->pkts, (uint16_t)b->cnt);
    if (port->tx_shared) rte_spinlock_unlock(&port->txq_lock[q]);
    if (unlikely(sent < b->cnt)) {
        uint32_t left = b->cnt - sent;
        __atomic_fetch_add(&m->dropped, left, __ATOMIC_RELAXED);
        rte_pktmbuf_free_bulk(&b->pkts[sent], left);
    }
}

static struct e2_module_type port_out_type = {
    .name = "PortOut",
    .summary = "sends packets out of a port (a queue per worker)",
    .manual = "Gates: up to 64 inputs; no outputs.\n"
              "\n"
              "Each worker transmits on its own queue (worker id modulo the port's transmit "
              "queues); when the port has fewer queues than e2d has workers, the queue is taken "
              "under a lock. Packets the device does not accept are freed and counted as dropped.\n"
              "\n"
              "What the device accepted is in the port's counters ('e2ctl dp ports'); what it "
              "refused is this module's drops.",
    .example = "src -> PortOut(port=p1);",
    .max_igates = 64,
    .flags = E2_MT_SAFE,
    .priv_size = sizeof(struct port_out_priv),
    .args = port_out_spec,
    .args_size = sizeof(struct port_out_args),
    .init = port_out_init,
    .deinit = port_out_deinit,
    .process = port_out_process,
};

E2_MODULE_REGISTER(port_out_type);
