/* Token buckets and the strict-priority scheduler of the rate limiter (rl.h). */
#include "rl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- token bucket ---- */

void rl_bucket_init(struct rl_bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
    b->rate = rate;
    b->cap = burst * RL_UNITS_PER_BYTE;
    b->credit = b->cap;
    b->last = now;
}

void rl_bucket_reset(struct rl_bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
    rl_bucket_refill(b, now);
    b->rate = rate;
    b->cap = burst * RL_UNITS_PER_BYTE;
    if (b->credit > b->cap) b->credit = b->cap;
}

void rl_bucket_refill(struct rl_bucket *b, uint64_t now)
{
    uint64_t dt = now > b->last ? now - b->last : 0;
    b->last = now > b->last ? now : b->last;
    if (!b->rate) return;
    uint64_t room = b->cap - b->credit;
    /* rate x dt may overflow only when it would fill the bucket anyway */
    b->credit = dt > room / b->rate ? b->cap : b->credit + b->rate * dt;
}

bool rl_bucket_admits(const struct rl_bucket *b, uint32_t len)
{
    return !b->rate || b->credit >= len * RL_UNITS_PER_BYTE;
}

bool rl_bucket_oversize(const struct rl_bucket *b, uint32_t len)
{
    return b->rate && len * RL_UNITS_PER_BYTE > b->cap;
}

void rl_bucket_take(struct rl_bucket *b, uint32_t len)
{
    if (b->rate) b->credit -= len * RL_UNITS_PER_BYTE;
}

uint64_t rl_bucket_bytes(const struct rl_bucket *b)
{
    return b->credit / RL_UNITS_PER_BYTE;
}

/* ---- queues ---- */

static struct rl_item *queue_head(const struct rl_queue *q)
{
    return q->count ? &q->ring[q->head] : NULL;
}

static struct rl_item queue_pop(struct rl_queue *q)
{
    struct rl_item it = q->ring[q->head];
    q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
    q->count--;
    return it;
}

static bool queue_push(struct rl_queue *q, void *pkt, uint32_t len)
{
    if (q->count == q->cap) return false;
    uint32_t at = q->head + q->count;
    q->ring[at >= q->cap ? at - q->cap : at] = (struct rl_item){pkt, len};
    q->count++;
    return true;
}

/* ---- scheduler ---- */

void rl_sched_init(struct rl_sched *s, rl_drop_fn drop, void *ctx)
{
    memset(s, 0, sizeof(*s));
    s->drop = drop;
    s->drop_ctx = ctx;
}

/* Move @q's packets into @ring of @cap items, oldest first; drop what does not fit. */
static void queue_move(struct rl_sched *s, unsigned c, struct rl_item *ring, uint32_t cap)
{
    struct rl_queue *q = &s->q[c], n = {.ring = ring, .cap = cap};
    while (q->count) {
        struct rl_item it = queue_pop(q);
        if (queue_push(&n, it.pkt, it.len)) continue;
        s->st[c].overflow++;
        s->drop(s->drop_ctx, it.pkt);
    }
    free(q->ring);
    *q = n;
}

int rl_sched_configure(struct rl_sched *s, const struct rl_conf *c, uint64_t now,
                       struct e2_err *err)
{
    struct rl_item *rings[RL_CLASSES] = {0};
    for (unsigned i = 0; i < RL_CLASSES; i++) {
        if (c->cls[i].queue == s->q[i].cap) continue;
        rings[i] = calloc(c->cls[i].queue, sizeof(struct rl_item));
        if (rings[i]) continue;
        for (unsigned k = 0; k < i; k++) free(rings[k]);
        return e2_err_set(err, ENOMEM, "no memory for a queue of %u packets", c->cls[i].queue);
    }
    bool fresh = !s->q[0].ring;
    for (unsigned i = 0; i < RL_CLASSES; i++) {
        if (rings[i]) queue_move(s, i, rings[i], c->cls[i].queue);
        if (fresh)
            rl_bucket_init(&s->cls[i], c->cls[i].rate, c->cls[i].burst, now);
        else
            rl_bucket_reset(&s->cls[i], c->cls[i].rate, c->cls[i].burst, now);
    }
    if (fresh)
        rl_bucket_init(&s->link, c->link.rate, c->link.burst, now);
    else
        rl_bucket_reset(&s->link, c->link.rate, c->link.burst, now);
    s->conf = *c;
    return 0;
}

void rl_sched_free(struct rl_sched *s)
{
    for (unsigned c = 0; c < RL_CLASSES; c++) {
        while (s->q[c].count) s->drop(s->drop_ctx, queue_pop(&s->q[c]).pkt);
        free(s->q[c].ring);
        s->q[c] = (struct rl_queue){0};
    }
}

void rl_enqueue(struct rl_sched *s, unsigned cls, void *pkt, uint32_t len)
{
    if (queue_push(&s->q[cls], pkt, len)) {
        s->st[cls].enqueued++;
        return;
    }
    s->st[cls].overflow++;
    s->drop(s->drop_ctx, pkt);
}

/* The head of class @c if it may go now as far as its own bucket says; drops oversize heads. */
static struct rl_item *eligible_head(struct rl_sched *s, unsigned c)
{
    struct rl_item *h;
    while ((h = queue_head(&s->q[c]))) {
        if (!rl_bucket_oversize(&s->cls[c], h->len) && !rl_bucket_oversize(&s->link, h->len))
            return rl_bucket_admits(&s->cls[c], h->len) ? h : NULL;
        s->st[c].oversize++;
        s->drop(s->drop_ctx, queue_pop(&s->q[c]).pkt);
    }
    return NULL;
}

/* The highest class with an eligible head, or -1. */
static int next_class(struct rl_sched *s)
{
    for (unsigned c = 0; c < RL_CLASSES; c++)
        if (eligible_head(s, c)) return (int)c;
    return -1;
}

unsigned rl_dequeue(struct rl_sched *s, uint64_t now, void **out, unsigned max)
{
    rl_bucket_refill(&s->link, now);
    for (unsigned c = 0; c < RL_CLASSES; c++) rl_bucket_refill(&s->cls[c], now);
    unsigned n = 0;
    int c;
    while (n < max && (c = next_class(s)) >= 0) {
        struct rl_item *h = queue_head(&s->q[c]);
        if (!rl_bucket_admits(&s->link, h->len)) break; /* strict: nobody overtakes */
        rl_bucket_take(&s->cls[c], h->len);
        rl_bucket_take(&s->link, h->len);
        s->st[c].sent++;
        s->st[c].sent_bytes += h->len;
        out[n++] = queue_pop(&s->q[c]).pkt;
    }
    return n;
}

uint32_t rl_backlog(const struct rl_sched *s)
{
    uint32_t n = 0;
    for (unsigned c = 0; c < RL_CLASSES; c++) n += s->q[c].count;
    return n;
}
