/*
 * libe2nf: attach to e2d, move packets through the NF's rings, wait, signal,
 * report load. See include/e2/nf.h for the API, e2nf_proto.h for the
 * contract with e2d.
 */
#define _GNU_SOURCE
#include "e2/nf.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "client.h"

struct e2nf {
    char name[E2NF_NAME_MAX];
    struct e2_client *ctl; /* kept open: e2d sees the NF die when it closes */
    unsigned n_ports, queues;
    char port_names[E2NF_PORTS_MAX][E2NF_NAME_MAX];
    struct rte_ring *rx[E2NF_PORTS_MAX][E2NF_QUEUES_MAX]; /* e2d -> NF */
    struct rte_ring *tx[E2NF_PORTS_MAX][E2NF_QUEUES_MAX]; /* NF -> e2d */
    struct e2nf_shared *shared;
    struct rte_ring *inbox, *e2d_inbox;
    struct rte_mempool *pool, *sig_pool;
    int wake_fd, e2d_fd;
    json_t *tags;
    uint64_t last_poll;
    bool last_got;
};

/* ---- attach ---- */

static int first_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) return c;
    return 0;
}

static int start_eal(const json_t *reply, const struct e2nf_opts *o, const char *name,
                     struct e2_err *err)
{
    static char prog[64], prefix[128], lcores[64];
    snprintf(prog, sizeof(prog), "e2nf-%s", name);
    snprintf(prefix, sizeof(prefix), "--file-prefix=%s",
             json_string_value(json_object_get(reply, "file_prefix")));
    snprintf(lcores, sizeof(lcores), "--lcores=%lld@%d",
             (long long)json_integer_value(json_object_get(reply, "lcore")),
             o && o->cpu >= 0 ? o->cpu : first_cpu());
    char *argv[64] = {prog,
                      "--proc-type=secondary",
                      prefix,
                      lcores,
                      "--no-pci",
                      "--no-telemetry",
                      "--log-level=lib.eal:error"};
    int argc = 7;
    for (int i = 0; o && i < o->eal_argc && argc < 63; i++) argv[argc++] = o->eal_argv[i];
    argv[argc] = NULL;
    if (rte_eal_init(argc, argv) < 0)
        return e2_err_set(err, rte_errno,
                          "NF '%s': cannot join e2d's shared memory (DPDK secondary process): %s",
                          name, rte_strerror(rte_errno));
    return 0;
}

static int lookup(struct e2nf *nf, uint32_t token, struct e2_err *err)
{
    char name[32];
    for (unsigned p = 0; p < nf->n_ports; p++) {
        for (unsigned q = 0; q < nf->queues; q++) {
            e2nf_ring_name(name, sizeof(name), token, p, q, 'i');
            nf->rx[p][q] = rte_ring_lookup(name);
            e2nf_ring_name(name, sizeof(name), token, p, q, 'o');
            nf->tx[p][q] = rte_ring_lookup(name);
            if (!nf->rx[p][q] || !nf->tx[p][q])
                return e2_err_set(err, ENOENT, "e2d's rings for port '%s' are missing",
                                  nf->port_names[p]);
        }
    }
    e2nf_shared_name(name, sizeof(name), token);
    const struct rte_memzone *mz = rte_memzone_lookup(name);
    e2nf_inbox_name(name, sizeof(name), token);
    nf->inbox = rte_ring_lookup(name);
    nf->e2d_inbox = rte_ring_lookup(E2NF_E2D_INBOX);
    nf->sig_pool = rte_mempool_lookup(E2NF_SIGNAL_POOL);
    if (!mz || !nf->inbox || !nf->e2d_inbox || !nf->sig_pool || !nf->pool)
        return e2_err_set(err, ENOENT, "e2d's shared objects for this NF are missing");
    nf->shared = mz->addr;
    if (nf->shared->abi != E2NF_ABI_VERSION)
        return e2_err_set(err, EPROTO, "shared statistics have ABI %u, expected %u",
                          nf->shared->abi, E2NF_ABI_VERSION);
    return 0;
}

static int take_reply(struct e2nf *nf, const json_t *reply, struct e2_err *err)
{
    const json_t *ports = json_object_get(reply, "ports");
    nf->n_ports = (unsigned)json_array_size(ports);
    nf->queues = (unsigned)json_integer_value(json_object_get(reply, "queues"));
    if (nf->n_ports == 0 || nf->n_ports > E2NF_PORTS_MAX || nf->queues == 0 ||
        nf->queues > E2NF_QUEUES_MAX)
        return e2_err_set(err, EPROTO, "e2d's attach reply has %u ports and %u queues", nf->n_ports,
                          nf->queues);
    for (unsigned p = 0; p < nf->n_ports; p++)
        snprintf(nf->port_names[p], E2NF_NAME_MAX, "%s",
                 json_string_value(json_array_get(ports, p)));
    nf->tags = json_incref(json_object_get(reply, "tags"));
    return 0;
}

int e2nf_attach(const char *instance, const struct e2nf_opts *o, struct e2nf **out,
                struct e2_err *err)
{
    const char *sock = o && o->socket ? o->socket : getenv("E2D_SOCKET");
    struct e2nf *nf = calloc(1, sizeof(*nf));
    if (!nf) return e2_err_set(err, ENOMEM, "out of memory");
    snprintf(nf->name, sizeof(nf->name), "%s", instance);
    nf->wake_fd = nf->e2d_fd = -1;
    nf->ctl = e2_client_open(sock ? sock : "/run/e2d/e2d.sock", err);
    if (!nf->ctl) {
        free(nf);
        return err ? err->code : -ENOTCONN;
    }
    json_t *req = json_pack("{s:s, s:s, s:i, s:i}", "op", "nf_attach", "name", instance, "abi",
                            E2NF_ABI_VERSION, "pid", (int)getpid());
    json_t *reply = NULL;
    int fds[2], n_fds = 0;
    int rc = e2_client_call_fds(nf->ctl, req, &reply, fds, 2, &n_fds, err);
    json_decref(req);
    if (!rc && n_fds != 2) rc = e2_err_set(err, EPROTO, "e2d did not pass the NF its two eventfds");
    if (n_fds > 0) nf->wake_fd = fds[0];
    if (n_fds > 1) nf->e2d_fd = fds[1];
    if (!rc) rc = take_reply(nf, reply, err);
    if (!rc) rc = start_eal(reply, o, instance, err);
    if (!rc) rc = e2_meta_register(err); /* find the metadata fields e2d registered */
    if (!rc) {
        nf->pool = rte_mempool_lookup(json_string_value(json_object_get(reply, "pool")));
        rc = lookup(nf, (uint32_t)json_integer_value(json_object_get(reply, "token")), err);
    }
    json_decref(reply);
    if (rc) {
        e2_client_close(nf->ctl);
        if (nf->wake_fd >= 0) close(nf->wake_fd);
        if (nf->e2d_fd >= 0) close(nf->e2d_fd);
        json_decref(nf->tags);
        free(nf);
        return rc;
    }
    nf->shared->load = -1;
    nf->shared->heartbeat++;
    *out = nf;
    return 0;
}

/* Wait until e2d has taken everything this NF sent (at most @ms milliseconds). */
static void flush_tx(struct e2nf *nf, unsigned ms)
{
    for (unsigned waited = 0; waited < ms; waited++) {
        unsigned left = 0;
        for (unsigned p = 0; p < nf->n_ports; p++)
            for (unsigned q = 0; q < nf->queues; q++) left += rte_ring_count(nf->tx[p][q]);
        if (!left) return;
        nf->shared->heartbeat++;
        usleep(1000);
    }
}

void e2nf_detach(struct e2nf *nf)
{
    if (!nf) return;
    flush_tx(nf, 1000);
    json_t *req = json_pack("{s:s}", "op", "nf_detach"), *r = NULL;
    struct e2_err err;
    if (e2_client_call(nf->ctl, req, &r, &err) != 0)
        fprintf(stderr, "e2nf %s: detach: %s\n", nf->name, err.msg);
    json_decref(req);
    json_decref(r);
    e2_client_close(nf->ctl);
    close(nf->wake_fd);
    close(nf->e2d_fd);
    json_decref(nf->tags);
    free(nf);
    rte_eal_cleanup();
}

/* ---- names ---- */

const char *e2nf_name(const struct e2nf *nf)
{
    return nf->name;
}

unsigned e2nf_port_count(const struct e2nf *nf)
{
    return nf->n_ports;
}

unsigned e2nf_queue_count(const struct e2nf *nf)
{
    return nf->queues;
}

const char *e2nf_port_name(const struct e2nf *nf, unsigned port)
{
    return port < nf->n_ports ? nf->port_names[port] : NULL;
}

const struct e2nf_port_stats *e2nf_port_stats(const struct e2nf *nf, unsigned port)
{
    return port < nf->n_ports ? &nf->shared->port[port] : NULL;
}

int e2nf_port(const struct e2nf *nf, const char *name)
{
    for (unsigned p = 0; p < nf->n_ports; p++)
        if (strcmp(nf->port_names[p], name) == 0) return (int)p;
    return -ENOENT;
}

int e2nf_tag(const struct e2nf *nf, const char *name)
{
    size_t i;
    json_t *t;
    json_array_foreach(nf->tags, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
            return (int)json_integer_value(json_object_get(t, "slot"));
    }
    return -ENOENT;
}

struct rte_mempool *e2nf_pktpool(const struct e2nf *nf)
{
    return nf->pool;
}

/* ---- packets ---- */

uint16_t e2nf_rx_burst(struct e2nf *nf, unsigned port, unsigned queue, struct rte_mbuf **pkts,
                       uint16_t n)
{
    uint16_t got = (uint16_t)rte_ring_sc_dequeue_burst(nf->rx[port][queue], (void **)pkts, n, NULL);
    struct e2nf_shared *s = nf->shared;
    __atomic_store_n(&s->heartbeat, s->heartbeat + 1, __ATOMIC_RELAXED);
    /* busy time: from a poll that got packets to the next poll; idle polls read no clock */
    if (got || nf->last_got) {
        uint64_t now = rte_rdtsc();
        if (nf->last_got)
            __atomic_store_n(&s->busy_cycles, s->busy_cycles + (now - nf->last_poll),
                             __ATOMIC_RELAXED);
        nf->last_poll = now;
    }
    nf->last_got = got > 0;
    if (got) __atomic_store_n(&s->port[port].rx, s->port[port].rx + got, __ATOMIC_RELAXED);
    return got;
}

uint16_t e2nf_tx_burst(struct e2nf *nf, unsigned port, unsigned queue, struct rte_mbuf **pkts,
                       uint16_t n)
{
    uint16_t sent =
        (uint16_t)rte_ring_sp_enqueue_burst(nf->tx[port][queue], (void **)pkts, n, NULL);
    struct e2nf_port_stats *ps = &nf->shared->port[port];
    __atomic_store_n(&ps->tx, ps->tx + sent, __ATOMIC_RELAXED);
    if (sent < n) __atomic_store_n(&ps->tx_full, ps->tx_full + (n - sent), __ATOMIC_RELAXED);
    return sent;
}

void e2nf_drop(struct e2nf *nf, struct rte_mbuf *m)
{
    __atomic_store_n(&nf->shared->freed, nf->shared->freed + 1, __ATOMIC_RELAXED);
    rte_pktmbuf_free(m);
}

/* ---- waiting, signals, load ---- */

static bool work_waiting(const struct e2nf *nf)
{
    for (unsigned p = 0; p < nf->n_ports; p++)
        for (unsigned q = 0; q < nf->queues; q++)
            if (!rte_ring_empty(nf->rx[p][q])) return true;
    return !rte_ring_empty(nf->inbox);
}

int e2nf_wait(struct e2nf *nf, unsigned timeout_us)
{
    struct e2nf_shared *s = nf->shared;
    __atomic_store_n(&s->sleeping, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with e2d: enqueue, fence, read sleeping */
    if (work_waiting(nf)) {
        __atomic_store_n(&s->sleeping, 0, __ATOMIC_RELAXED);
        return 1;
    }
    struct pollfd pfd = {.fd = nf->wake_fd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout_us / 1000000,
                          .tv_nsec = (long)(timeout_us % 1000000) * 1000};
    int woke = ppoll(&pfd, 1, &ts, NULL) > 0;
    if (woke) {
        uint64_t v;
        ssize_t rc = read(nf->wake_fd, &v, sizeof(v));
        (void)rc;
    }
    __atomic_store_n(&s->sleeping, 0, __ATOMIC_RELAXED);
    nf->last_got = false;
    __atomic_store_n(&s->heartbeat, s->heartbeat + 1, __ATOMIC_RELAXED);
    return woke || work_waiting(nf);
}

int e2nf_signal_send(struct e2nf *nf, const char *to, uint32_t type, const void *data, size_t len,
                     struct e2_err *err)
{
    if (len > E2NF_SIGNAL_DATA)
        return e2_err_set(err, E2BIG, "a signal carries at most %d bytes", E2NF_SIGNAL_DATA);
    struct e2nf_signal *s;
    if (rte_mempool_get(nf->sig_pool, (void **)&s) != 0)
        return e2_err_set(err, ENOBUFS, "no free signal buffers");
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->len = (uint16_t)len;
    snprintf(s->from, sizeof(s->from), "%s", nf->name);
    snprintf(s->to, sizeof(s->to), "%s", to);
    if (len) memcpy(s->data, data, len);
    if (rte_ring_mp_enqueue(nf->e2d_inbox, s) != 0) {
        rte_mempool_put(nf->sig_pool, s);
        return e2_err_set(err, ENOBUFS, "e2d's signal inbox is full");
    }
    uint64_t one = 1;
    ssize_t rc = write(nf->e2d_fd, &one, sizeof(one));
    (void)rc;
    return 0;
}

int e2nf_signal_recv(struct e2nf *nf, struct e2nf_signal *out)
{
    void *s;
    if (rte_ring_sc_dequeue(nf->inbox, &s) != 0) return 0;
    memcpy(out, s, sizeof(*out));
    rte_mempool_put(nf->sig_pool, s);
    return 1;
}

void e2nf_report_load(struct e2nf *nf, double load)
{
    nf->shared->load = load;
}
