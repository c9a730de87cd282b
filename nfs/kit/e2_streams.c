#include "e2_streams.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "e2_flowtab.h"
#include "e2_pkt.h"

/* The value of a flow table entry: the connection, then the NF's bytes. */
struct entry {
    struct e2_stream s;
    struct e2_tcp_conn conn;
    unsigned char user[] __attribute__((aligned(8)));
};

struct e2_streams {
    struct e2_streams_opts o;
    struct e2_streams_cb cb;
    struct e2_flowtab *tab;
    struct e2_tcp_reasm *reasm;
    uint64_t next_id;
    struct e2_streams_stats st;
};

static struct e2_flow_entry *flow_of(struct entry *e)
{
    return (struct e2_flow_entry *)((unsigned char *)e - offsetof(struct e2_flow_entry, data));
}

static bool ended(const struct entry *e)
{
    return e->s.reset || e->s.closed == 3;
}

/* The connection leaves (or makes way for a new one on its key). */
static void finish(struct e2_streams *t, struct entry *e)
{
    if (t->cb.release) t->cb.release(t->cb.ctx, &e->s, e->user);
    e2_tcp_conn_release(t->reasm, &e->conn);
}

static void start(struct e2_streams *t, struct entry *e, uint64_t id)
{
    memset(e, 0, sizeof(*e) + t->o.user_size);
    e->s.id = id;
}

static void deliver(struct e2_streams *t, struct entry *e, int dir, uint64_t off, const uint8_t *b,
                    uint32_t len)
{
    e->s.bytes[dir] += len;
    t->st.bytes[dir] += len;
    if (t->cb.data) t->cb.data(t->cb.ctx, &e->s, e->user, dir, off, b, len);
}

static void dispatch(struct e2_streams *t, struct entry *e, int dir, enum e2_tcp_event ev,
                     uint64_t arg)
{
    switch (ev) {
    case E2_TCP_OPEN: t->st.connections++; break;
    case E2_TCP_CLOSE:
        e->s.closed |= (uint8_t)(1u << dir);
        t->st.closed += e->s.closed == 3 && !e->s.reset;
        break;
    case E2_TCP_RESET:
        t->st.reset += !e->s.reset;
        e->s.reset = true;
        break;
    default: break;
    }
    if (t->cb.event) t->cb.event(t->cb.ctx, &e->s, e->user, dir, ev, arg);
}

/* ---- packets: the reassembler's callbacks ---- */

static void on_data(void *ctx, void *flow, int dir, uint64_t off, const uint8_t *b, uint32_t len)
{
    deliver(ctx, flow, dir, off, b, len);
}

static void on_event(void *ctx, void *flow, int dir, enum e2_tcp_event ev, uint64_t arg)
{
    struct entry *e = flow;
    if (ev == E2_TCP_OPEN) {
        const struct e2_flow_key *k = &flow_of(e)->key;
        bool client_is_src = k->src_ip == e->conn.client_ip && k->src_port == e->conn.client_port;
        e->s.client_ip = e->conn.client_ip;
        e->s.client_port = e->conn.client_port;
        e->s.server_ip = client_is_src ? k->dst_ip : k->src_ip;
        e->s.server_port = client_is_src ? k->dst_port : k->src_port;
    }
    dispatch(ctx, e, dir, ev, arg);
}

static void on_evict(void *ctx, struct e2_flow_entry *fe, bool expired)
{
    struct e2_streams *t = ctx;
    struct entry *e = (struct entry *)fe->data;
    if (!ended(e)) {
        if (expired)
            t->st.expired++;
        else
            t->st.evicted++;
    }
    finish(t, e);
}

struct e2_streams *e2_streams_create(const struct e2_streams_opts *o,
                                     const struct e2_streams_cb *cb, struct e2_err *err)
{
    struct e2_streams *t = calloc(1, sizeof(*t));
    if (!t) {
        e2_err_set(err, ENOMEM, "no memory for a stream table");
        return NULL;
    }
    t->o = *o;
    t->cb = *cb;
    if (!t->o.capacity) t->o.capacity = 65536;
    if (!t->o.idle_ns) t->o.idle_ns = 300ull * 1000000000ull;
    if (!t->o.linger_ns) t->o.linger_ns = 5ull * 1000000000ull;
    const struct e2_tcp_reasm_cb rcb = {on_data, on_event, t};
    t->reasm = e2_tcp_reasm_create(&rcb, &t->o.reasm);
    t->tab =
        e2_flowtab_create(t->o.capacity, sizeof(struct entry) + t->o.user_size, on_evict, t, err);
    if (!t->reasm || !t->tab) {
        if (!t->reasm) e2_err_set(err, ENOMEM, "no memory for a TCP reassembler");
        e2_tcp_reasm_free(t->reasm);
        e2_flowtab_free(t->tab);
        free(t);
        return NULL;
    }
    return t;
}

static void finish_one(void *ctx, struct e2_flow_entry *fe)
{
    finish(ctx, (struct entry *)fe->data);
}

void e2_streams_free(struct e2_streams *t)
{
    if (!t) return;
    e2_flowtab_foreach(t->tab, finish_one, t);
    e2_flowtab_free(t->tab);
    e2_tcp_reasm_free(t->reasm);
    free(t);
}

void *e2_streams_packet(struct e2_streams *t, const struct e2_pkt *p, uint64_t now_ns)
{
    t->st.packets++;
    if (p->proto != 6 || p->is_frag) {
        t->st.not_tcp++;
        return NULL;
    }
    struct e2_flow_key k;
    bool swapped, created;
    e2_flow_key_of(p, &k);
    struct e2_flow_key key = e2_flow_key_canonical(&k, &swapped);
    struct e2_flow_entry *fe =
        e2_flowtab_insert(t->tab, &key, now_ns, now_ns + t->o.idle_ns, &created);
    struct entry *e = (struct entry *)fe->data;
    bool syn_only = (p->tcp_flags & (E2_TCP_SYN | E2_TCP_ACK)) == E2_TCP_SYN;
    if (!created && ended(e) && syn_only) {
        finish(t, e);
        t->st.restarted++;
        created = true;
    }
    if (created) start(t, e, ++t->next_id);
    e2_tcp_reasm_segment(t->reasm, &e->conn, e, p);
    fe->expires = now_ns + (ended(e) ? t->o.linger_ns : t->o.idle_ns);
    return e->user;
}

static bool valid(const struct e2_stream_msg *m)
{
    return m->kind >= E2_STREAM_DATA && m->kind <= E2_TCP_ANOMALY && (m->dir == 0 || m->dir == 1);
}

void e2_streams_message(struct e2_streams *t, const struct e2_stream_msg *m, uint64_t now_ns)
{
    t->st.messages++;
    if (!valid(m)) {
        t->st.bad_messages++;
        return;
    }
    struct e2_flow_key k = {.src_ip = m->client_ip,
                            .dst_ip = m->server_ip,
                            .src_port = m->client_port,
                            .dst_port = m->server_port,
                            .proto = 6};
    bool swapped, created;
    struct e2_flow_key key = e2_flow_key_canonical(&k, &swapped);
    struct e2_flow_entry *fe =
        e2_flowtab_insert(t->tab, &key, now_ns, now_ns + t->o.idle_ns, &created);
    struct entry *e = (struct entry *)fe->data;
    if (!created && (m->kind == E2_TCP_OPEN || e->s.id != m->conn)) {
        finish(t, e);
        t->st.restarted++;
        created = true;
    }
    if (created) {
        start(t, e, m->conn);
        e->s.client_ip = m->client_ip;
        e->s.server_ip = m->server_ip;
        e->s.client_port = m->client_port;
        e->s.server_port = m->server_port;
        if (m->kind != E2_TCP_OPEN) dispatch(t, e, 0, E2_TCP_OPEN, 1);
    }
    if (m->kind == E2_STREAM_DATA)
        deliver(t, e, m->dir, m->arg, m->data, m->len);
    else
        dispatch(t, e, m->dir, (enum e2_tcp_event)m->kind, m->arg);
    if (ended(e)) {
        finish(t, e);
        e2_flowtab_remove(t->tab, fe);
        return;
    }
    fe->expires = now_ns + t->o.idle_ns;
}

size_t e2_streams_expire(struct e2_streams *t, uint64_t now_ns, size_t buckets)
{
    return e2_flowtab_expire(t->tab, now_ns, buckets);
}

void e2_streams_stats(const struct e2_streams *t, struct e2_streams_stats *s)
{
    struct e2_flowtab_stats f;
    e2_flowtab_stats(t->tab, &f);
    *s = t->st;
    s->live = f.entries;
    s->capacity = f.capacity;
}

void e2_streams_reasm_stats(const struct e2_streams *t, struct e2_tcp_reasm_stats *s)
{
    e2_tcp_reasm_stats(t->reasm, s);
}

const struct e2_tcp_reasm_opts *e2_streams_reasm_opts(const struct e2_streams *t)
{
    return e2_tcp_reasm_opts(t->reasm);
}
