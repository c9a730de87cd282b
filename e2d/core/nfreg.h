/*
 * Native NF instances as e2d sees them: their ports (vports), the rings
 * behind them while the NF is attached, and the NF's health.
 *
 * An NF instance is declared (nf_create: name, ports, queues) and VPort
 * modules bind to its ports; the NF process then attaches over the control
 * socket (libe2nf, see libe2nf/e2nf_proto.h) and gets fresh rings named with
 * a random token. While it runs, VPort delivers into its rings and drains
 * what it sends. When it detaches, dies (its control connection closes, or
 * its pid is gone) or hangs (its rings stop draining), e2d never waits for
 * it: undelivered packets are freed and counted, packets it had already sent
 * are still delivered, the failure is logged as an event for the agent, and
 * the ports keep dropping (counted) until an NF attaches again.
 *
 * Control thread only; the packet path (VPort) reads the ring pointers,
 * which change only while workers are paused.
 */
#ifndef E2_NFREG_H
#define E2_NFREG_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include <rte_memzone.h>
#include <rte_ring.h>

#include "e2_err.h"
#include "e2nf_proto.h"

struct e2_module;

struct e2_nf_port {
    char name[E2NF_NAME_MAX];
    struct rte_ring *to_nf[E2NF_QUEUES_MAX];   /**< e2d -> NF; NULL while detached */
    struct rte_ring *from_nf[E2NF_QUEUES_MAX]; /**< NF -> e2d */
    struct e2_module *vport;                   /**< the VPort bound to it, or NULL */
    uint64_t delivered;  /**< packets put in the NF's rings (worker-written) */
    uint64_t returned;   /**< packets taken from the NF's rings (worker-written) */
    uint64_t full_drops; /**< the NF's ring was full */
    uint64_t down_drops; /**< no NF attached */
    uint64_t lost;       /**< left undelivered in the rings when the NF went away */
};

enum e2_nf_state {
    E2_NF_WAITING, /**< declared, no process attached (yet, or after a clean detach) */
    E2_NF_RUNNING,
    E2_NF_HUNG,    /**< attached but not draining its rings */
    E2_NF_FAILED,  /**< its process went away without detaching */
};

struct e2_nf {
    char name[E2NF_NAME_MAX];
    unsigned slot, queues, n_ports, ring_size;
    struct e2_nf_port ports[E2NF_PORTS_MAX];
    enum e2_nf_state state;
    pid_t pid;
    int client; /**< control connection it attached on, -1 */
    uint32_t token;
    const struct rte_memzone *mz;
    struct e2nf_shared *shared;
    struct rte_ring *inbox;
    int wake_fd, e2d_fd_dup; /**< eventfds handed to the NF */
    uint64_t attaches, failures, held_at_failure;
    uint64_t seen_heartbeat, stalled_since; /**< hang detector, TSC */
    char reason[160];
};

/** Set up the signal pool and e2d's inbox (hugepage mode only; else NFs cannot attach). */
int e2_nfreg_init(bool multiprocess, const char *file_prefix, struct e2_err *err);
void e2_nfreg_fini(void);

/** What an NF instance is declared with. */
struct e2_nf_spec {
    const char *name;
    const char *const *ports;
    unsigned n_ports;
    unsigned queues;    /**< ring pairs per port */
    unsigned ring_size; /**< packets per ring, a power of two */
};

/** Declare an NF instance. */
int e2_nf_create(const struct e2_nf_spec *spec, struct e2_nf **out, struct e2_err *err);

/** Forget an instance with no process attached and no VPort bound. */
int e2_nf_destroy(struct e2_nf *nf, struct e2_err *err);

struct e2_nf *e2_nf_find(const char *name);

/** Index of port @name of @nf, or -1 with @err filled. */
int e2_nf_port_index(const struct e2_nf *nf, const char *name, struct e2_err *err);

/**
 * Attach the process @pid on control connection @client to @nf: make its
 * rings, statistics and inbox; return what it needs (e2nf_proto.h) and the
 * two eventfds to pass it. Pauses the workers while the rings are bound.
 */
int e2_nf_attach(struct e2_nf *nf, uint32_t abi, pid_t pid, int client, json_t **reply, int fds[2],
                 struct e2_err *err);

/** The NF on @client detaches cleanly. */
int e2_nf_detach_client(int client, struct e2_err *err);

/** Control connection @client closed: if an NF attached on it, it failed. */
void e2_nf_client_closed(int client);

/** Send a signal from E2 itself to NF @to. */
int e2_nf_send_signal(const char *to, uint32_t type, const void *data, size_t len, struct e2_err *err);

/** Periodic checks (dead pids, hung NFs) and signal delivery; call often. */
void e2_nf_tick(void);

/** e2d's eventfd, readable when an NF sent a signal (poll it, then tick). */
int e2_nf_signal_fd(void);

json_t *e2_nf_describe(const struct e2_nf *nf);
json_t *e2_nf_describe_all(void);

/** Events (attached, detached, failed, hung, recovered, signal) after sequence @since. */
json_t *e2_nf_events(uint64_t since);

/** Detach everything and free every instance (shutdown). */
void e2_nf_destroy_all(void);

#endif
