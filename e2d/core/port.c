#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "e2_args.h"
#include "pktpool.h"
#include "worker.h"

static struct e2_port *ports;

const struct e2_arg e2_port_arg_spec[] = {
    E2_ARG_STR(struct e2_port_args, name, NULL, "port name, used by PortInc and PortOut"),
    E2_ARG_STR(struct e2_port_args, vdev, NULL,
               "DPDK virtual device with its arguments, e.g. \"net_af_packet0,iface=veth0\""),
    E2_ARG_U16(struct e2_port_args, rxq, "1", 1, E2_PORT_QUEUES_MAX, "receive queues"),
    E2_ARG_U16(struct e2_port_args, txq, "1", 1, E2_PORT_QUEUES_MAX, "transmit queues"),
    E2_ARG_U16(struct e2_port_args, rx_desc, "1024", 64, 16384, "descriptors per receive queue"),
    E2_ARG_U16(struct e2_port_args, tx_desc, "1024", 64, 16384, "descriptors per transmit queue"),
    E2_ARG_END,
};

struct e2_port *e2_port_find(const char *name)
{
    for (struct e2_port *p = ports; p; p = p->next)
        if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

struct e2_port *e2_port_first(void)
{
    return ports;
}

static int setup_queues(struct e2_port *p, struct e2_err *err)
{
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(p->port_id, &info);
    if (rc) return e2_err_set(err, rc, "cannot read device info: %s", rte_strerror(-rc));
    if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues)
        return e2_err_set(
            err, EINVAL, "%s supports at most %u rx and %u tx queues (asked %u and %u)",
            info.driver_name, info.max_rx_queues, info.max_tx_queues, p->n_rxq, p->n_txq);
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof(conf));
    rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
    if (rc)
        return e2_err_set(err, rc, "cannot configure %u/%u queues: %s", p->n_rxq, p->n_txq,
                          rte_strerror(-rc));
    rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->rx_desc, &p->tx_desc);
    int socket = rte_eth_dev_socket_id(p->port_id);
    for (uint16_t q = 0; q < p->n_rxq; q++) {
        rc =
            rte_eth_rx_queue_setup(p->port_id, q, p->rx_desc, (unsigned)socket, NULL, e2_pktpool());
        if (rc) return e2_err_set(err, rc, "cannot set up rx queue %u: %s", q, rte_strerror(-rc));
    }
    for (uint16_t q = 0; q < p->n_txq; q++) {
        rc = rte_eth_tx_queue_setup(p->port_id, q, p->tx_desc, (unsigned)socket, NULL);
        if (rc) return e2_err_set(err, rc, "cannot set up tx queue %u: %s", q, rte_strerror(-rc));
        rte_spinlock_init(&p->txq_lock[q]);
    }
    rte_eth_promiscuous_enable(p->port_id); /* not every PMD has it; that is fine */
    rc = rte_eth_dev_start(p->port_id);
    if (rc) return e2_err_set(err, rc, "cannot start: %s", rte_strerror(-rc));
    return 0;
}

int e2_port_create(const struct e2_port_args *a, struct e2_port **out, struct e2_err *err)
{
    const char *name = a->name;
    if (e2_port_find(name)) return e2_err_set(err, EEXIST, "port '%s' already exists", name);
    struct e2_port *p = calloc(1, sizeof(*p));
    if (!p) return e2_err_set(err, ENOMEM, "port '%s': out of memory", name);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->devargs, sizeof(p->devargs), "%s", a->vdev);
    size_t dl = strcspn(a->vdev, ",");
    snprintf(p->devname, sizeof(p->devname), "%.*s", (int)dl, a->vdev);
    p->n_rxq = a->rxq;
    p->n_txq = a->txq;
    p->rx_desc = a->rx_desc;
    p->tx_desc = a->tx_desc;
    uint16_t pid;
    if (rte_eth_dev_get_port_by_name(p->devname, &pid) == 0) {
        e2_err_set(err, EEXIST, "port '%s': device '%s' already exists", name, p->devname);
        free(p);
        return -EEXIST;
    }
    int rc = rte_dev_probe(a->vdev);
    if (rc) {
        free(p);
        return e2_err_set(
            err, rc,
            "port '%s': cannot create device \"%s\" (is the driver name right, are its "
            "arguments? DPDK says: %s)",
            name, a->vdev, rte_strerror(-rc));
    }
    if (rte_eth_dev_get_port_by_name(p->devname, &p->port_id) != 0) {
        rte_eal_hotplug_remove("vdev", p->devname);
        free(p);
        return e2_err_set(err, ENODEV, "port '%s': \"%s\" is not an ethernet device", name,
                          a->vdev);
    }
    rc = setup_queues(p, err);
    if (rc) {
        rte_eth_dev_close(p->port_id);
        rte_eal_hotplug_remove("vdev", p->devname);
        free(p);
        return e2_err_prefix(err, "port '%s': ", name);
    }
    p->tx_shared = e2_worker_count() > p->n_txq;
    p->next = ports;
    ports = p;
    *out = p;
    return 0;
}

int e2_port_destroy(struct e2_port *p, struct e2_err *err)
{
    if (p->users > 0)
        return e2_err_set(err, EBUSY, "port '%s' is used by %d module(s)", p->name, p->users);
    rte_eth_dev_stop(p->port_id);
    rte_eth_dev_close(p->port_id);
    rte_eal_hotplug_remove("vdev", p->devname);
    for (struct e2_port **pp = &ports; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    free(p);
    return 0;
}

void e2_ports_destroy_all(void)
{
    while (ports) {
        ports->users = 0;
        e2_port_destroy(ports, NULL);
    }
}

json_t *e2_port_describe(const struct e2_port *p)
{
    struct rte_eth_stats st;
    memset(&st, 0, sizeof(st));
    rte_eth_stats_get(p->port_id, &st);
    struct rte_ether_addr mac;
    char macs[RTE_ETHER_ADDR_FMT_SIZE] = "";
    if (rte_eth_macaddr_get(p->port_id, &mac) == 0) rte_ether_format_addr(macs, sizeof(macs), &mac);
    struct rte_eth_link link;
    memset(&link, 0, sizeof(link));
    rte_eth_link_get_nowait(p->port_id, &link);
    return json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:s, s:b, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
        "name", p->name, "vdev", p->devargs, "port_id", p->port_id, "rxq", p->n_rxq, "txq",
        p->n_txq, "mac", macs, "link_up", link.link_status == RTE_ETH_LINK_UP, "users", p->users,
        "stats", "rx_packets", (json_int_t)st.ipackets, "tx_packets", (json_int_t)st.opackets,
        "rx_bytes", (json_int_t)st.ibytes, "tx_bytes", (json_int_t)st.obytes, "rx_missed",
        (json_int_t)st.imissed, "rx_errors", (json_int_t)st.ierrors, "tx_errors",
        (json_int_t)st.oerrors, "rx_nombuf", (json_int_t)st.rx_nombuf);
}
