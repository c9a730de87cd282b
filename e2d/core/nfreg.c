#include "nfreg.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "e2_log.h"
#include "graph.h"
#include "module.h"
#include "pktpool.h"
#include "tags.h"
#include "worker.h"

#define EVENTS_MAX   256
#define HANG_SECONDS 1

struct event {
    uint64_t seq;
    double time;
    char nf[E2NF_NAME_MAX];
    char kind[16];
    char detail[200];
};

static struct e2_nf *nfs[E2NF_SLOTS_MAX];
static bool multiprocess;
static char file_prefix[64];
static struct rte_mempool *sig_pool;
static struct rte_ring *e2d_inbox;
static int e2d_sig_fd = -1;
static struct event events[EVENTS_MAX];
static uint64_t next_seq = 1;

static const char *state_names[] = {"waiting", "running", "hung", "failed"};

/* ---- events ---- */

static void event(const char *nf, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void event(const char *nf, const char *kind, const char *fmt, ...)
{
    struct event *e = &events[next_seq % EVENTS_MAX];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->seq = next_seq++;
    e->time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    snprintf(e->nf, sizeof(e->nf), "%s", nf);
    snprintf(e->kind, sizeof(e->kind), "%s", kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    E2_INFO("nf %s: %s: %s", nf, kind, e->detail);
}

json_t *e2_nf_events(uint64_t since)
{
    json_t *arr = json_array();
    uint64_t first = next_seq > EVENTS_MAX ? next_seq - EVENTS_MAX : 1;
    for (uint64_t s = since + 1 > first ? since + 1 : first; s < next_seq; s++) {
        const struct event *e = &events[s % EVENTS_MAX];
        json_array_append_new(arr, json_pack("{s:I, s:f, s:s, s:s, s:s}", "seq", (json_int_t)e->seq, "time", e->time,
                                             "nf", e->nf, "kind", e->kind, "detail", e->detail));
    }
    return arr;
}

/* ---- set-up ---- */

int e2_nfreg_init(bool mp, const char *prefix, struct e2_err *err)
{
    multiprocess = mp;
    snprintf(file_prefix, sizeof(file_prefix), "%s", prefix);
    if (!mp) return 0;
    sig_pool = rte_mempool_create(E2NF_SIGNAL_POOL, 4095, sizeof(struct e2nf_signal), 0, 0, NULL, NULL, NULL, NULL,
                                  (int)rte_socket_id(), 0);
    e2d_inbox = rte_ring_create(E2NF_E2D_INBOX, 4096, (int)rte_socket_id(), RING_F_SC_DEQ);
    e2d_sig_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!sig_pool || !e2d_inbox || e2d_sig_fd < 0)
        return e2_err_set(err, ENOMEM, "cannot set up NF signalling: %s", rte_strerror(rte_errno));
    return 0;
}

int e2_nf_signal_fd(void)
{
    return e2d_sig_fd;
}

/* ---- instances ---- */

struct e2_nf *e2_nf_find(const char *name)
{
    for (unsigned s = 0; s < E2NF_SLOTS_MAX; s++)
        if (nfs[s] && strcmp(nfs[s]->name, name) == 0) return nfs[s];
    return NULL;
}

int e2_nf_port_index(const struct e2_nf *nf, const char *name, struct e2_err *err)
{
    for (unsigned p = 0; p < nf->n_ports; p++)
        if (strcmp(nf->ports[p].name, name) == 0) return (int)p;
    char names[E2NF_PORTS_MAX * (E2NF_NAME_MAX + 2)] = "";
    for (unsigned p = 0; p < nf->n_ports; p++) strcat(strcat(names, p ? ", " : ""), nf->ports[p].name);
    e2_err_set(err, ENOENT, "NF '%s' has no port '%s' (it has: %s)", nf->name, name, names);
    return -1;
}

static bool good_name(const char *s)
{
    if (!*s || strlen(s) >= E2NF_NAME_MAX) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

int e2_nf_create(const struct e2_nf_spec *spec, struct e2_nf **out, struct e2_err *err)
{
    const char *name = spec->name;
    const char *const *ports = spec->ports;
    unsigned n_ports = spec->n_ports, queues = spec->queues;
    if (!rte_is_power_of_2(spec->ring_size) || spec->ring_size < 64 || spec->ring_size > 65536)
        return e2_err_set(err, EINVAL, "NF '%s': ring_size %u must be a power of two in 64..65536", name,
                          spec->ring_size);
    if (!good_name(name))
        return e2_err_set(err, EINVAL, "NF name '%s' must be 1..%d letters, digits, '_', '-' or '.'", name,
                          E2NF_NAME_MAX - 1);
    if (e2_nf_find(name)) return e2_err_set(err, EEXIST, "an NF named '%s' already exists", name);
    if (n_ports == 0 || n_ports > E2NF_PORTS_MAX)
        return e2_err_set(err, EINVAL, "NF '%s': 1..%d ports, not %u", name, E2NF_PORTS_MAX, n_ports);
    if (queues == 0 || queues > E2NF_QUEUES_MAX)
        return e2_err_set(err, EINVAL, "NF '%s': 1..%d queues, not %u", name, E2NF_QUEUES_MAX, queues);
    for (unsigned i = 0; i < n_ports; i++) {
        if (!good_name(ports[i])) return e2_err_set(err, EINVAL, "NF '%s': bad port name '%s'", name, ports[i]);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(ports[i], ports[j]) == 0) return e2_err_set(err, EEXIST, "NF '%s': port '%s' twice", name, ports[i]);
    }
    unsigned slot = 0;
    while (slot < E2NF_SLOTS_MAX && nfs[slot]) slot++;
    if (slot == E2NF_SLOTS_MAX) return e2_err_set(err, ENOSPC, "e2d has no room for more than %d NFs", E2NF_SLOTS_MAX);
    struct e2_nf *nf = calloc(1, sizeof(*nf));
    if (!nf) return e2_err_set(err, ENOMEM, "out of memory");
    snprintf(nf->name, sizeof(nf->name), "%s", name);
    nf->slot = slot;
    nf->queues = queues;
    nf->ring_size = spec->ring_size;
    nf->n_ports = n_ports;
    for (unsigned i = 0; i < n_ports; i++) snprintf(nf->ports[i].name, sizeof(nf->ports[i].name), "%s", ports[i]);
    nf->client = -1;
    nf->wake_fd = nf->e2d_fd_dup = -1;
    nfs[slot] = nf;
    *out = nf;
    return 0;
}

static bool attached(const struct e2_nf *nf)
{
    return nf->state == E2_NF_RUNNING || nf->state == E2_NF_HUNG;
}

int e2_nf_destroy(struct e2_nf *nf, struct e2_err *err)
{
    if (attached(nf)) return e2_err_set(err, EBUSY, "NF '%s' is attached (pid %d)", nf->name, (int)nf->pid);
    for (unsigned p = 0; p < nf->n_ports; p++)
        if (nf->ports[p].vport)
            return e2_err_set(err, EBUSY, "NF '%s': port '%s' is used by module '%s'", nf->name, nf->ports[p].name,
                              nf->ports[p].vport->name);
    nfs[nf->slot] = NULL;
    free(nf);
    return 0;
}

/* ---- attach and release ---- */

static void free_ring(struct rte_ring **r, uint64_t *lost)
{
    if (!*r) return;
    void *m;
    while (rte_ring_dequeue(*r, &m) == 0) {
        rte_pktmbuf_free(m);
        if (lost) (*lost)++;
    }
    rte_ring_free(*r);
    *r = NULL;
}

/* Deliver what the NF already sent, through its VPort (workers are paused). */
static void drain_from_nf(const struct e2_nf *nf, struct e2_nf_port *p)
{
    struct e2_module *v = p->vport;
    unsigned queues = nf->queues;
    /* each run takes at least one packet per non-empty queue: bounded */
    for (unsigned rounds = 0; v && rounds < nf->ring_size; rounds++) {
        unsigned left = 0;
        for (unsigned q = 0; q < queues; q++) left += p->from_nf[q] ? rte_ring_count(p->from_nf[q]) : 0;
        if (!left) break;
        v->type->run_task(v, &v->tasks[0]);
    }
}

static void free_shared(struct e2_nf *nf)
{
    if (nf->inbox) {
        void *msg;
        while (rte_ring_dequeue(nf->inbox, &msg) == 0) rte_mempool_put(sig_pool, msg);
        rte_ring_free(nf->inbox);
        nf->inbox = NULL;
    }
    if (nf->mz) rte_memzone_free(nf->mz);
    nf->mz = NULL;
    nf->shared = NULL;
    if (nf->wake_fd >= 0) close(nf->wake_fd);
    if (nf->e2d_fd_dup >= 0) close(nf->e2d_fd_dup);
    nf->wake_fd = nf->e2d_fd_dup = -1;
}

/* Take the NF's rings away; deliver what it sent, free and count what it did not get. */
static void release(struct e2_nf *nf, bool failed, const char *reason)
{
    e2_workers_pause();
    uint64_t lost = 0, rx = 0, tx = 0;
    for (unsigned p = 0; p < nf->n_ports; p++) {
        struct e2_nf_port *port = &nf->ports[p];
        for (unsigned q = 0; q < nf->queues; q++) free_ring(&port->to_nf[q], &port->lost);
        drain_from_nf(nf, port);
        for (unsigned q = 0; q < nf->queues; q++) free_ring(&port->from_nf[q], &port->lost);
        lost += port->lost;
        if (nf->shared) {
            rx += nf->shared->port[p].rx;
            tx += nf->shared->port[p].tx;
        }
    }
    uint64_t freed = nf->shared ? nf->shared->freed : 0;
    nf->held_at_failure = failed && rx > tx + freed ? rx - tx - freed : 0;
    free_shared(nf);
    e2_workers_resume();
    nf->state = failed ? E2_NF_FAILED : E2_NF_WAITING;
    nf->client = -1;
    snprintf(nf->reason, sizeof(nf->reason), "%s", reason);
    if (failed) {
        nf->failures++;
        event(nf->name, "failed", "pid %d: %s; %llu packets undelivered (freed), about %llu buffers held by the NF lost",
              (int)nf->pid, reason, (unsigned long long)lost, (unsigned long long)nf->held_at_failure);
    } else {
        event(nf->name, "detached", "pid %d: %s", (int)nf->pid, reason);
    }
}

static int make_rings(struct e2_nf *nf, struct e2_err *err)
{
    int socket = (int)rte_socket_id();
    for (unsigned p = 0; p < nf->n_ports; p++) {
        for (unsigned q = 0; q < nf->queues; q++) {
            char in[32], out[32];
            e2nf_ring_name(in, sizeof(in), nf->token, p, q, 'i');
            e2nf_ring_name(out, sizeof(out), nf->token, p, q, 'o');
            nf->ports[p].to_nf[q] = rte_ring_create(in, nf->ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
            nf->ports[p].from_nf[q] = rte_ring_create(out, nf->ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (!nf->ports[p].to_nf[q] || !nf->ports[p].from_nf[q])
                return e2_err_set(err, ENOMEM, "cannot create rings for NF '%s': %s", nf->name, rte_strerror(rte_errno));
        }
    }
    return 0;
}

static int make_shared(struct e2_nf *nf, struct e2_err *err)
{
    char name[32];
    e2nf_shared_name(name, sizeof(name), nf->token);
    nf->mz = rte_memzone_reserve(name, sizeof(struct e2nf_shared), (int)rte_socket_id(), 0);
    e2nf_inbox_name(name, sizeof(name), nf->token);
    nf->inbox = rte_ring_create(name, E2NF_INBOX_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    nf->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    nf->e2d_fd_dup = dup(e2d_sig_fd);
    if (!nf->mz || !nf->inbox || nf->wake_fd < 0 || nf->e2d_fd_dup < 0)
        return e2_err_set(err, ENOMEM, "cannot create shared state for NF '%s': %s", nf->name, rte_strerror(rte_errno));
    nf->shared = nf->mz->addr;
    memset(nf->shared, 0, sizeof(*nf->shared));
    nf->shared->abi = E2NF_ABI_VERSION;
    nf->shared->load = -1;
    return 0;
}

static bool pid_alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static json_t *attach_reply(const struct e2_nf *nf)
{
    json_t *ports = json_array();
    for (unsigned p = 0; p < nf->n_ports; p++) json_array_append_new(ports, json_string(nf->ports[p].name));
    return json_pack("{s:s, s:s, s:i, s:I, s:i, s:o, s:o, s:s, s:i}", "name", nf->name, "file_prefix", file_prefix,
                     "lcore", E2NF_LCORE_BASE + nf->slot, "token", (json_int_t)nf->token, "queues", nf->queues, "ports",
                     ports, "tags", e2_tags_describe(), "pool", E2_PKTPOOL_NAME, "abi", E2NF_ABI_VERSION);
}

int e2_nf_attach(struct e2_nf *nf, uint32_t abi, pid_t pid, int client, json_t **reply, int fds[2],
                 struct e2_err *err)
{
    if (abi != E2NF_ABI_VERSION)
        return e2_err_set(err, EPROTO, "the NF's libe2nf speaks ABI %u, this e2d speaks %u: rebuild the NF against "
                          "this E2", abi, E2NF_ABI_VERSION);
    if (!multiprocess)
        return e2_err_set(err, ENOTSUP, "e2d runs without hugepages (--no-huge): native NFs cannot attach");
    if (attached(nf) && pid_alive(nf->pid))
        return e2_err_set(err, EBUSY, "NF '%s' is already attached by pid %d", nf->name, (int)nf->pid);
    if (attached(nf)) release(nf, true, "replaced by a new process while its own was gone");
    nf->token = (uint32_t)rte_rand() | 1u;
    int rc = make_shared(nf, err);
    e2_workers_pause();
    if (!rc) rc = make_rings(nf, err);
    if (rc) {
        for (unsigned p = 0; p < nf->n_ports; p++)
            for (unsigned q = 0; q < nf->queues; q++) {
                free_ring(&nf->ports[p].to_nf[q], NULL);
                free_ring(&nf->ports[p].from_nf[q], NULL);
            }
        e2_workers_resume();
        free_shared(nf);
        return rc;
    }
    e2_workers_resume();
    nf->state = E2_NF_RUNNING;
    nf->pid = pid;
    nf->client = client;
    nf->seen_heartbeat = 0;
    nf->stalled_since = 0;
    nf->attaches++;
    nf->reason[0] = '\0';
    fds[0] = nf->wake_fd;
    fds[1] = nf->e2d_fd_dup;
    *reply = attach_reply(nf);
    event(nf->name, "attached", "pid %d, lcore %u, token %08x", (int)pid, E2NF_LCORE_BASE + nf->slot, nf->token);
    return 0;
}

static struct e2_nf *by_client(int client)
{
    for (unsigned s = 0; s < E2NF_SLOTS_MAX; s++)
        if (nfs[s] && attached(nfs[s]) && nfs[s]->client == client) return nfs[s];
    return NULL;
}

int e2_nf_detach_client(int client, struct e2_err *err)
{
    struct e2_nf *nf = by_client(client);
    if (!nf) return e2_err_set(err, ENOENT, "no NF is attached on this connection");
    release(nf, false, "detached");
    return 0;
}

void e2_nf_client_closed(int client)
{
    struct e2_nf *nf = by_client(client);
    if (nf) release(nf, true, "its control connection closed: the process exited or crashed without detaching");
}

/* ---- health and signals ---- */

static void check_health(struct e2_nf *nf, uint64_t now)
{
    if (!pid_alive(nf->pid)) {
        release(nf, true, "its process is gone");
        return;
    }
    uint64_t hb = __atomic_load_n(&nf->shared->heartbeat, __ATOMIC_RELAXED);
    if (hb != nf->seen_heartbeat) {
        nf->seen_heartbeat = hb;
        nf->stalled_since = 0;
        if (nf->state == E2_NF_HUNG) {
            nf->state = E2_NF_RUNNING;
            event(nf->name, "recovered", "pid %d drains its rings again", (int)nf->pid);
        }
        return;
    }
    unsigned waiting = 0;
    for (unsigned p = 0; p < nf->n_ports; p++)
        for (unsigned q = 0; q < nf->queues; q++) waiting += rte_ring_count(nf->ports[p].to_nf[q]);
    if (!waiting) {
        nf->stalled_since = 0;
        return;
    }
    if (!nf->stalled_since) nf->stalled_since = now;
    if (nf->state == E2_NF_RUNNING && now - nf->stalled_since > HANG_SECONDS * e2_tsc_hz()) {
        nf->state = E2_NF_HUNG;
        event(nf->name, "hung", "pid %d has not polled for %d s with %u packets waiting; e2d drops what its rings "
              "cannot hold", (int)nf->pid, HANG_SECONDS, waiting);
    }
}

static void wake(int fd)
{
    uint64_t one = 1;
    ssize_t rc = write(fd, &one, sizeof(one));
    (void)rc;
}

/* Route one signal: to E2 (an event) or into the named NF's inbox. */
static void route(struct e2nf_signal *s)
{
    s->to[sizeof(s->to) - 1] = s->from[sizeof(s->from) - 1] = '\0';
    if (strcmp(s->to, E2NF_TO_E2D) == 0) {
        event(s->from, "signal", "type %u, %u bytes, to e2", s->type, s->len);
        rte_mempool_put(sig_pool, s);
        return;
    }
    struct e2_nf *to = e2_nf_find(s->to);
    if (!to || !attached(to) || rte_ring_enqueue(to->inbox, s) != 0) {
        event(s->from, "signal-lost", "type %u to '%s': %s", s->type, s->to,
              !to ? "no such NF" : !attached(to) ? "not attached" : "its inbox is full");
        rte_mempool_put(sig_pool, s);
        return;
    }
    wake(to->wake_fd);
}

int e2_nf_send_signal(const char *to, uint32_t type, const void *data, size_t len, struct e2_err *err)
{
    if (!multiprocess) return e2_err_set(err, ENOTSUP, "no signals without hugepages (--no-huge)");
    if (len > E2NF_SIGNAL_DATA) return e2_err_set(err, E2BIG, "a signal carries at most %d bytes", E2NF_SIGNAL_DATA);
    struct e2nf_signal *s;
    if (rte_mempool_get(sig_pool, (void **)&s) != 0) return e2_err_set(err, ENOBUFS, "no free signal buffers");
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->len = (uint16_t)len;
    snprintf(s->from, sizeof(s->from), "%s", E2NF_TO_E2D);
    snprintf(s->to, sizeof(s->to), "%s", to);
    memcpy(s->data, data, len);
    route(s);
    return 0;
}

void e2_nf_tick(void)
{
    if (e2d_sig_fd >= 0) {
        uint64_t v;
        ssize_t rc = read(e2d_sig_fd, &v, sizeof(v));
        (void)rc;
        void *msg;
        while (rte_ring_dequeue(e2d_inbox, &msg) == 0) route(msg);
    }
    uint64_t now = rte_rdtsc();
    for (unsigned s = 0; s < E2NF_SLOTS_MAX; s++)
        if (nfs[s] && attached(nfs[s])) check_health(nfs[s], now);
}

/* ---- descriptions ---- */

json_t *e2_nf_describe(const struct e2_nf *nf)
{
    json_t *ports = json_array();
    for (unsigned p = 0; p < nf->n_ports; p++) {
        const struct e2_nf_port *port = &nf->ports[p];
        unsigned depth = 0;
        for (unsigned q = 0; q < nf->queues; q++) depth += port->to_nf[q] ? rte_ring_count(port->to_nf[q]) : 0;
        json_t *pj = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:i}", "name", port->name, "vport",
                               port->vport ? port->vport->name : NULL, "delivered",
                               (json_int_t)e2_stat_read(&port->delivered), "returned",
                               (json_int_t)e2_stat_read(&port->returned), "full_drops",
                               (json_int_t)e2_stat_read(&port->full_drops), "down_drops",
                               (json_int_t)e2_stat_read(&port->down_drops), "lost", (json_int_t)port->lost,
                               "queue_depth", depth);
        if (nf->shared)
            json_object_set_new(pj, "nf", json_pack("{s:I, s:I, s:I}", "rx", (json_int_t)nf->shared->port[p].rx, "tx",
                                                    (json_int_t)nf->shared->port[p].tx, "tx_full",
                                                    (json_int_t)nf->shared->port[p].tx_full));
        json_array_append_new(ports, pj);
    }
    json_t *d = json_pack("{s:s, s:s, s:i, s:i, s:o, s:I, s:I, s:I, s:s}", "name", nf->name, "state",
                          state_names[nf->state], "pid", (int)nf->pid, "queues", nf->queues, "ports", ports, "attaches",
                          (json_int_t)nf->attaches, "failures", (json_int_t)nf->failures, "held_at_failure",
                          (json_int_t)nf->held_at_failure, "reason", nf->reason);
    if (nf->shared)
        json_object_set_new(d, "load", json_pack("{s:I, s:I, s:f, s:b}", "busy_cycles",
                                                 (json_int_t)nf->shared->busy_cycles, "freed",
                                                 (json_int_t)nf->shared->freed, "reported", nf->shared->load,
                                                 "sleeping", nf->shared->sleeping != 0));
    return d;
}

json_t *e2_nf_describe_all(void)
{
    json_t *arr = json_array();
    for (unsigned s = 0; s < E2NF_SLOTS_MAX; s++)
        if (nfs[s]) json_array_append_new(arr, e2_nf_describe(nfs[s]));
    return arr;
}

void e2_nf_destroy_all(void)
{
    for (unsigned s = 0; s < E2NF_SLOTS_MAX; s++) {
        if (!nfs[s]) continue;
        if (attached(nfs[s])) release(nfs[s], false, "e2d is stopping");
        for (unsigned p = 0; p < nfs[s]->n_ports; p++) nfs[s]->ports[p].vport = NULL;
        e2_nf_destroy(nfs[s], NULL);
    }
}

void e2_nfreg_fini(void)
{
    e2_nf_destroy_all();
    if (e2d_inbox) {
        void *msg;
        while (rte_ring_dequeue(e2d_inbox, &msg) == 0) rte_mempool_put(sig_pool, msg);
        rte_ring_free(e2d_inbox);
    }
    rte_mempool_free(sig_pool);
    if (e2d_sig_fd >= 0) close(e2d_sig_fd);
    e2d_inbox = NULL;
    sig_pool = NULL;
    e2d_sig_fd = -1;
}
