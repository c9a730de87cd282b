#include "flowpin.h"

#include <errno.h>
#include <stdlib.h>

#define TCP_FIN 0x01
#define TCP_RST 0x04

struct pin {
    uint32_t flow_id;
    uint32_t epoch;
    uint16_t gate;
    bool fin; /* this direction sent a FIN: it lives on only by linger */
};

struct e2_flowpin {
    struct e2_flowtab *tab;
    struct e2_flowpin_opts o;
    uint64_t repinned;
};

struct e2_flowpin *e2_flowpin_create(const struct e2_flowpin_opts *o, struct e2_err *err)
{
    struct e2_flowpin *p = calloc(1, sizeof(*p));
    if (!p) {
        e2_err_set(err, ENOMEM, "out of memory for the flow table");
        return NULL;
    }
    p->o = *o;
    p->tab = e2_flowtab_create(o->capacity, sizeof(struct pin), NULL, NULL, err);
    if (!p->tab) {
        free(p);
        return NULL;
    }
    return p;
}

void e2_flowpin_free(struct e2_flowpin *p)
{
    if (!p) return;
    e2_flowtab_free(p->tab);
    free(p);
}

/* When the flow ends if nothing more is heard of it. */
static uint64_t expiry(const struct e2_flowpin *p, const struct pin *pin, uint8_t tcp_flags,
                       uint64_t now)
{
    if (p->o.closes && (pin->fin || (tcp_flags & TCP_RST))) return now + p->o.linger;
    return now + p->o.idle;
}

void e2_flowpin_prefetch(const struct e2_flowpin *p, uint32_t hash)
{
    e2_flowtab_prefetch(p->tab, hash);
}

uint16_t e2_flowpin_gate(struct e2_flowpin *p, const struct e2_flow_key *k, uint32_t hash,
                         uint32_t flow_id, uint16_t gate, uint32_t epoch, uint32_t moved,
                         uint8_t tcp_flags, uint64_t now)
{
    bool created;
    struct e2_flow_entry *e =
        e2_flowtab_insert_hashed(p->tab, k, hash, now, now + p->o.idle, &created);
    struct pin *pin = (struct pin *)e->data;
    if (!created && pin->epoch < moved) {
        p->repinned++;
        created = true;
    }
    if (created) *pin = (struct pin){.flow_id = flow_id, .epoch = epoch, .gate = gate};
    if (tcp_flags & TCP_FIN) pin->fin = true;
    e->expires = expiry(p, pin, tcp_flags, now);
    return pin->gate;
}

void e2_flowpin_sweep(struct e2_flowpin *p, uint64_t now, size_t buckets)
{
    e2_flowtab_expire(p->tab, now, buckets);
}

struct visit {
    void (*fn)(void *ctx, const struct e2_flowpin_view *v);
    void *ctx;
};

static void visit_entry(void *ctx, struct e2_flow_entry *e)
{
    const struct visit *v = ctx;
    const struct pin *pin = (const struct pin *)e->data;
    struct e2_flowpin_view view = {
        .key = &e->key, .flow_id = pin->flow_id, .gate = pin->gate, .epoch = pin->epoch};
    v->fn(v->ctx, &view);
}

void e2_flowpin_foreach(struct e2_flowpin *p,
                        void (*fn)(void *ctx, const struct e2_flowpin_view *v), void *ctx)
{
    struct visit v = {fn, ctx};
    e2_flowtab_foreach(p->tab, visit_entry, &v);
}

void e2_flowpin_stats(const struct e2_flowpin *p, struct e2_flowpin_stats *s)
{
    struct e2_flowtab_stats t;
    e2_flowtab_stats(p->tab, &t);
    *s = (struct e2_flowpin_stats){.flows = t.entries,
                                   .capacity = t.capacity,
                                   .pinned = t.inserts,
                                   .ended = t.expired,
                                   .evicted = t.evicted,
                                   .repinned = p->repinned};
}
