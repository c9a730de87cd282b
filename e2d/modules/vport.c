/*
 * VPort — e2d's end of a native NF's port. The operator's manual is
 * vport_type.manual at the end of this file (also e2d --list-modules and
 * docs/e2d-modules.md); the NF's end is libe2nf (include/e2/nf.h).
 */
#include <errno.h>
#include <unistd.h>

#include "e2/meta.h"
#include "module.h"
#include "nfreg.h"

struct vport_args {
    char nf[E2NF_NAME_MAX];
    char port[E2NF_NAME_MAX];
    uint32_t burst;
    bool reliable;
};

static const struct e2_arg vport_spec[] = {
    E2_ARG_STR(struct vport_args, nf, NULL,
               "the NF instance (declared with nf_create / 'nf NAME(...)')"),
    E2_ARG_STR(struct vport_args, port, NULL, "which of its ports"),
    E2_ARG_U32(struct vport_args, burst, "32", 1, E2_BATCH_MAX,
               "packets taken from the NF per queue and run"),
    E2_ARG_BOOL(struct vport_args, reliable, "false",
                "take from the NF only what the next module has room for (bytestreams: "
                "back-pressure, no loss)"),
    E2_ARG_END,
};

struct vport_priv {
    struct e2_nf *nf;
    struct e2_nf_port *port;
    uint32_t burst;
    bool reliable;
};

static int vport_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct vport_args *a = args;
    struct vport_priv *v = m->priv;
    struct e2_nf *nf = e2_nf_find(a->nf);
    if (!nf)
        return e2_err_set(err, ENOENT, "no NF named '%s' (declare it first: nf %s(ports=[...]))",
                          a->nf, a->nf);
    int p = e2_nf_port_index(nf, a->port, err);
    if (p < 0) return -ENOENT;
    if (nf->ports[p].vport)
        return e2_err_set(err, EBUSY, "port '%s' of NF '%s' already has a VPort ('%s')", a->port,
                          a->nf, nf->ports[p].vport->name);
    int rc = e2_module_add_task(m, NULL, err);
    if (rc < 0) return rc;
    v->nf = nf;
    v->port = &nf->ports[p];
    v->burst = a->burst;
    v->reliable = a->reliable;
    v->port->vport = m;
    return 0;
}

static void vport_deinit(struct e2_module *m)
{
    struct vport_priv *v = m->priv;
    if (v->port) v->port->vport = NULL;
}

/* Wake the NF if it sleeps in e2nf_wait(); pairs with the fence in libe2nf. */
static inline void wake_if_sleeping(const struct e2_nf *nf)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (likely(!__atomic_load_n(&nf->shared->sleeping, __ATOMIC_RELAXED))) return;
    __atomic_store_n(&nf->shared->sleeping, 0, __ATOMIC_RELAXED);
    uint64_t one = 1;
    ssize_t rc = write(nf->wake_fd, &one, sizeof(one));
    (void)rc;
}

/* Put @n packets into @r; free and count what does not fit. Returns packets delivered. */
static unsigned deliver(struct e2_module *m, struct e2_nf_port *p, struct rte_ring *r,
                        struct rte_mbuf **pkts, unsigned n)
{
    unsigned sent = rte_ring_sp_enqueue_burst(r, (void **)pkts, n, NULL);
    e2_stat_add(&p->delivered, sent);
    if (unlikely(sent < n)) {
        e2_stat_add(&p->full_drops, n - sent);
        __atomic_store_n(&m->dropped, m->dropped + n - sent, __ATOMIC_RELAXED);
        rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
    }
    return sent;
}

/* Into the NF: with several queues, each packet goes to queue (flow ID mod queues). */
static void vport_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    struct vport_priv *v = m->priv;
    struct e2_nf_port *p = v->port;
    if (unlikely(!p->to_nf[0])) {
        e2_stat_add(&p->down_drops, b->cnt);
        e2_drop_batch(m, b);
        return;
    }
    unsigned queues = v->nf->queues, sent = 0;
    if (queues == 1) {
        sent = deliver(m, p, p->to_nf[0], b->pkts, b->cnt);
    } else {
        struct rte_mbuf *per_q[E2NF_QUEUES_MAX][E2_BATCH_MAX];
        unsigned n[E2NF_QUEUES_MAX] = {0};
        for (uint32_t i = 0; i < b->cnt; i++) {
            uint32_t id = 0;
            e2_meta_get_flow_id(b->pkts[i], &id);
            unsigned q = id % queues;
            per_q[q][n[q]++] = b->pkts[i];
        }
        for (unsigned q = 0; q < queues; q++)
            if (n[q]) sent += deliver(m, p, p->to_nf[q], per_q[q], n[q]);
    }
    if (sent) wake_if_sleeping(v->nf);
}

/* Out of the NF: every queue of this port, one burst each. */
static struct e2_task_result vport_run(struct e2_module *m, struct e2_task *t)
{
    struct vport_priv *v = m->priv;
    struct e2_nf_port *p = v->port;
    struct e2_task_result r = {0, 0};
    for (unsigned q = 0; q < v->nf->queues && p->from_nf[q]; q++) {
        uint32_t burst = v->burst;
        if (v->reliable) {
            uint32_t room = e2_gate_room(m, 0);
            if (room < burst) burst = room;
        }
        struct e2_batch b;
        b.cnt = rte_ring_sc_dequeue_burst(p->from_nf[q], (void **)b.pkts, burst, NULL);
        if (!b.cnt) continue;
        e2_stat_add(&p->returned, b.cnt);
        uint64_t bytes = e2_task_bytes(m, t, &b);
        r.packets += b.cnt;
        r.bits += bytes * 8;
        e2_emit_bytes(m, 0, &b, bytes);
    }
    return r;
}

/* Room in the NF's rings: the least free over its queues (packets spread by flow ID); 0 while
 * detached. */
static uint32_t vport_room(const struct e2_module *m, uint16_t igate)
{
    (void)igate;
    const struct vport_priv *v = m->priv;
    uint32_t room = UINT32_MAX;
    for (unsigned q = 0; q < v->nf->queues; q++) {
        struct rte_ring *r = v->port->to_nf[q];
        uint32_t free = r ? rte_ring_free_count(r) : 0;
        if (free < room) room = free;
    }
    return room;
}

static json_t *vport_stats(struct e2_module *m)
{
    struct vport_priv *v = m->priv;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "nf", v->nf->name, "port",
                     v->port->name, "state", v->port->to_nf[0] ? "attached" : "detached", "to_nf",
                     (json_int_t)e2_stat_read(&v->port->delivered), "from_nf",
                     (json_int_t)e2_stat_read(&v->port->returned), "full_drops",
                     (json_int_t)e2_stat_read(&v->port->full_drops), "down_drops",
                     (json_int_t)e2_stat_read(&v->port->down_drops));
}

static struct e2_module_type vport_type = {
    .name = "VPort",
    .summary =
        "a native NF's port: packets in go to the NF, packets the NF sends come out (zero-copy)",
    .manual =
        "Gates: up to 64 inputs (to the NF); output 0 (from the NF). Schedulable: one task that "
        "takes what "
        "the NF sent on this port, from each of its queues.\n"
        "\n"
        "The NF instance must be declared first (nf NAME(ports=[...], queues=N)); the NF process "
        "attaches "
        "to it with libe2nf and gets a pair of rings per queue. Packets are never copied: the NF "
        "and e2d share "
        "the packet pool. With several queues, packets go to queue (flow ID mod queues), so a "
        "FlowHash in "
        "front keeps each flow on one of the NF's threads. While no NF is attached, or when its "
        "ring is full "
        "(it is slow, hung or dead), packets are freed and counted: e2d never waits for an NF.\n"
        "\n"
        "With reliable=true the VPort takes from its NF only as many packets as the next module "
        "has room "
        "for (a VPort into another NF reports the free space of that NF's ring, zero while it is "
        "detached), "
        "so nothing is dropped between them: a full or absent consumer leaves messages in the "
        "producer's "
        "ring, and the producer's sends stop succeeding (back-pressure). This is how bytestream "
        "vports "
        "carry reassembled TCP streams between NFs (include/e2/bytestream.h). It holds for one "
        "producer "
        "feeding the consumer's port.\n"
        "\n"
        "Statistics: to_nf, from_nf, full_drops, down_drops (also per port in 'e2ctl dp nfs').",
    .example = "nf fw0(ports=[in, safe, unsafe]);\n"
               "PortInc(port=p0) -> VPort(nf=fw0, port=in);\n"
               "VPort(nf=fw0, port=safe) -> PortOut(port=p1);\n"
               "VPort(nf=fw0, port=unsafe) -> Drop();",
    .max_igates = 64,
    .max_ogates = 1,
    .priv_size = sizeof(struct vport_priv),
    .args = vport_spec,
    .args_size = sizeof(struct vport_args),
    .init = vport_init,
    .deinit = vport_deinit,
    .process = vport_process,
    .run_task = vport_run,
    .room = vport_room,
    .stats = vport_stats,
};

E2_MODULE_REGISTER(vport_type);
