/*
 * Ports: DPDK ethdevs that e2d sends and receives on, created from a vdev
 * string at run time ("net_null0,copy=0", "net_af_packet0,iface=veth0",
 * "net_af_xdp0,iface=eth1", "net_tap0,iface=e2tap0", "net_ring0", ...).
 * PortInc and PortOut modules attach to a port by name.
 *
 * A packet's ingress port is its mbuf's port field: the DPDK port id, which
 * the PMD sets on receive and e2_port_describe() reports. A net_ring port is
 * the exception, and on purpose: it is a wire inside the machine, and packets
 * come out of it exactly as they went in, port field and E2 metadata included.
 */
#ifndef E2_PORT_H
#define E2_PORT_H

#include <jansson.h>
#include <rte_spinlock.h>
#include <stdint.h>

#include "e2_args.h"
#include "e2_err.h"

#define E2_PORT_QUEUES_MAX 16

struct e2_port {
    char name[48];
    char devargs[256];
    char devname[64]; /**< the vdev name before the first comma */
    uint16_t port_id; /**< DPDK port id */
    uint16_t n_rxq, n_txq, rx_desc, tx_desc;
    bool tx_shared; /**< more workers than tx queues: tx takes the queue lock */
    rte_spinlock_t txq_lock[E2_PORT_QUEUES_MAX];
    int users; /**< PortInc/PortOut modules using it */
    struct e2_port *next;
};

struct e2_port_args {
    char name[48];
    char vdev[256];
    uint16_t rxq, txq, rx_desc, tx_desc;
};

extern const struct e2_arg e2_port_arg_spec[];

/** Probe the vdev, configure queues on the packet pool, start it. */
int e2_port_create(const struct e2_port_args *args, struct e2_port **out, struct e2_err *err);

/** Stop, close and remove a port no module uses. */
int e2_port_destroy(struct e2_port *p, struct e2_err *err);

struct e2_port *e2_port_find(const char *name);
struct e2_port *e2_port_first(void);

/** Device statistics and identity as JSON. */
json_t *e2_port_describe(const struct e2_port *p);

/** Destroy every port (shutdown). */
void e2_ports_destroy_all(void);

#endif
