/*
 * libe2nf — the native NF API of E2.
 *
 * A native NF is its own process. It attaches to its server's e2d by
 * instance name and gets its ports (vports): per port and queue a pair of
 * rings carrying packet buffer pointers. e2d is the DPDK primary and the NF a
 * secondary sharing its hugepage packet pool, so packets are never copied.
 *
 *     struct e2nf *nf;
 *     struct e2_err err;
 *     if (e2nf_attach("fw0", NULL, &nf, &err)) { fprintf(stderr, "%s\n", err.msg); exit(1); }
 *     int in = e2nf_port(nf, "in"), safe = e2nf_port(nf, "safe");
 *     int tag = e2nf_tag(nf, "FW.safe");
 *     for (;;) {
 *         struct rte_mbuf *pkts[32];
 *         uint16_t n = e2nf_rx_burst(nf, in, 0, pkts, 32);
 *         if (n == 0) { e2nf_wait(nf, 1000); continue; }   // sleep until packets come
 *         for (uint16_t i = 0; i < n; i++) e2_meta_set_tag(pkts[i], tag, 1);
 *         uint16_t sent = e2nf_tx_burst(nf, safe, 0, pkts, n);
 *         for (uint16_t i = sent; i < n; i++) e2nf_drop(nf, pkts[i]);
 *     }
 *
 * Metadata tags are read and written with e2_meta_get_tag/e2_meta_set_tag
 * (include/e2/meta.h) on the slot e2nf_tag() resolved once from the
 * attribute's name; they travel with the packet through e2d to the next NF.
 *
 * Trust: native NFs share the packet pool and the hugepage memory with e2d
 * and with each other. The API hands an NF only its own rings (named with a
 * random token it learns over its control connection), but a native NF is
 * trusted code, like a kernel module is to the kernel: it could read or
 * corrupt any packet. NFs that must be isolated run as legacy NFs behind
 * ordinary Linux interfaces (docs/nf-api.md).
 *
 * Threading: one thread per NF; call everything from it.
 */
#ifndef E2_NF_H
#define E2_NF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "e2/meta.h"
#include "e2_err.h"
#include "e2nf_proto.h"

struct e2nf;

struct e2nf_opts {
    const char *socket; /**< e2d's control socket; NULL: $E2D_SOCKET, else /run/e2d/e2d.sock */
    int cpu;            /**< CPU to run on; -1: the first this process may use */
    int eal_argc;       /**< more DPDK EAL arguments, if any */
    char **eal_argv;
};

/**
 * Attach to e2d as NF instance @instance: start DPDK as a secondary process
 * of e2d, find this instance's rings, statistics and inbox.
 * @return 0, or a negative errno with @err saying why (no such instance, e2d
 *         not reachable, already attached, ABI mismatch, no hugepages...).
 */
int e2nf_attach(const char *instance, const struct e2nf_opts *opts, struct e2nf **out,
                struct e2_err *err);

/**
 * Detach cleanly: wait (up to a second) until e2d has taken what this NF
 * sent, tell e2d, stop DPDK. Packets still queued for the NF are freed and
 * counted by e2d. @nf is freed.
 */
void e2nf_detach(struct e2nf *nf);

const char *e2nf_name(const struct e2nf *nf);
unsigned e2nf_port_count(const struct e2nf *nf);
unsigned e2nf_queue_count(const struct e2nf *nf);
const char *e2nf_port_name(const struct e2nf *nf, unsigned port);

/** This attach's counters of @port (received, sent, refused by a full ring), or NULL. */
const struct e2nf_port_stats *e2nf_port_stats(const struct e2nf *nf, unsigned port);

/** Index of port @name (as in the NF description), or -ENOENT. */
int e2nf_port(const struct e2nf *nf, const char *name);

/** Slot of metadata tag @name, or -ENOENT when e2d has no such tag. */
int e2nf_tag(const struct e2nf *nf, const char *name);

/** The shared packet pool, to make new packets. */
struct rte_mempool *e2nf_pktpool(const struct e2nf *nf);

/**
 * Receive up to @n packets that e2d delivered to @port on @queue.
 * Never blocks. Returns how many.
 */
uint16_t e2nf_rx_burst(struct e2nf *nf, unsigned port, unsigned queue, struct rte_mbuf **pkts,
                       uint16_t n);

/**
 * Send up to @n packets out of @port on @queue. Returns how many e2d's ring
 * took; the rest still belong to the caller (send them again or e2nf_drop).
 */
uint16_t e2nf_tx_burst(struct e2nf *nf, unsigned port, unsigned queue, struct rte_mbuf **pkts,
                       uint16_t n);

/** Free a packet the NF decided to drop (counted, so e2d knows where buffers went). */
void e2nf_drop(struct e2nf *nf, struct rte_mbuf *m);

/**
 * Sleep until e2d delivers packets on any port, a signal arrives, or
 * @timeout_us passes. For NFs sharing a core: they cost no CPU while idle.
 * @return 1 when there may be work, 0 on timeout.
 */
int e2nf_wait(struct e2nf *nf, unsigned timeout_us);

/**
 * Send a signal (@type and up to E2NF_SIGNAL_DATA bytes) to NF instance @to
 * on the same server, or to E2 itself (@to = E2NF_TO_E2D, "e2"): e.g. an IDS
 * asking the firewall to block a flow. Delivery is best effort; failures
 * show in e2d's NF events.
 */
int e2nf_signal_send(struct e2nf *nf, const char *to, uint32_t type, const void *data, size_t len,
                     struct e2_err *err);

/** Take the next signal for this NF: 1 and *out filled, or 0 when there is none. */
int e2nf_signal_recv(struct e2nf *nf, struct e2nf_signal *out);

/**
 * Report the NF's own load estimate (0 idle .. 1 saturated) to e2d, next to
 * what libe2nf measures by itself (packets per port, queue depths, busy
 * cycles: time from a receive that returned packets to the next receive).
 */
void e2nf_report_load(struct e2nf *nf, double load);

#endif
