#include "e2/bytestream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct e2bs_out {
    struct e2nf *nf;
    unsigned port, capacity, head, count;
    struct rte_mbuf *q[]; /* a circular queue of messages in order */
};

uint32_t e2bs_data_max(struct rte_mempool *pool)
{
    uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
    return room - (uint32_t)sizeof(struct e2bs_hdr);
}

struct rte_mbuf *e2bs_msg_new(struct rte_mempool *pool, const struct e2bs_hdr *h, const void *data)
{
    if (h->len > e2bs_data_max(pool)) return NULL;
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (!m) return NULL;
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + h->len));
    struct e2bs_hdr *out = (struct e2bs_hdr *)p;
    *out = *h;
    out->magic = E2BS_MAGIC;
    if (h->len) memcpy(p + sizeof(*h), data, h->len);
    return m;
}

const struct e2bs_hdr *e2bs_msg_read(const struct rte_mbuf *m, const uint8_t **data)
{
    if (rte_pktmbuf_data_len(m) < sizeof(struct e2bs_hdr)) return NULL;
    const struct e2bs_hdr *h = rte_pktmbuf_mtod(m, const struct e2bs_hdr *);
    if (h->magic != E2BS_MAGIC || sizeof(*h) + h->len > rte_pktmbuf_data_len(m)) return NULL;
    if (data) *data = (const uint8_t *)(h + 1);
    return h;
}

struct e2bs_out *e2bs_out_create(struct e2nf *nf, unsigned port, unsigned capacity)
{
    struct e2bs_out *o = calloc(1, sizeof(*o) + capacity * sizeof(o->q[0]));
    if (!o) return NULL;
    o->nf = nf;
    o->port = port;
    o->capacity = capacity;
    return o;
}

void e2bs_out_free(struct e2bs_out *o)
{
    if (!o) return;
    for (unsigned i = 0; i < o->count; i++) e2nf_drop(o->nf, o->q[(o->head + i) % o->capacity]);
    free(o);
}

unsigned e2bs_out_waiting(const struct e2bs_out *o)
{
    return o->count;
}

unsigned e2bs_out_room(const struct e2bs_out *o)
{
    return o->capacity - o->count;
}

unsigned e2bs_out_flush(struct e2bs_out *o)
{
    while (o->count) {
        /* the queue's contiguous run from head, sent as one burst */
        unsigned run = o->capacity - o->head < o->count ? o->capacity - o->head : o->count;
        uint16_t n = run > 64 ? 64 : (uint16_t)run;
        uint16_t sent = e2nf_tx_burst(o->nf, o->port, 0, &o->q[o->head], n);
        o->head = (o->head + sent) % o->capacity;
        o->count -= sent;
        if (sent < n) break;
    }
    return o->count;
}

static void push(struct e2bs_out *o, struct rte_mbuf *m)
{
    o->q[(o->head + o->count) % o->capacity] = m;
    o->count++;
}

int e2bs_out_put(struct e2bs_out *o, struct rte_mbuf *m)
{
    if (o->count == o->capacity && e2bs_out_flush(o) == o->capacity) return -ENOBUFS;
    push(o, m);
    return 0;
}

int e2bs_out_data(struct e2bs_out *o, const struct e2bs_hdr *h, const uint8_t *data, uint32_t len)
{
    struct rte_mempool *pool = e2nf_pktpool(o->nf);
    uint32_t max = e2bs_data_max(pool);
    unsigned need = (len + max - 1) / max;
    if (o->capacity - o->count < need) e2bs_out_flush(o);
    if (o->capacity - o->count < need) return -ENOBUFS;
    /* build every piece in the free places first: all of the stretch or none of it */
    struct e2bs_hdr piece = *h;
    piece.kind = E2BS_DATA;
    for (unsigned k = 0; k < need; k++) {
        uint32_t done = k * max;
        piece.len = len - done < max ? len - done : max;
        piece.offset = h->offset + done;
        struct rte_mbuf *m = e2bs_msg_new(pool, &piece, data + done);
        if (!m) {
            while (k--) rte_pktmbuf_free(o->q[(o->head + o->count + k) % o->capacity]);
            return -ENOMEM;
        }
        o->q[(o->head + o->count + k) % o->capacity] = m;
    }
    o->count += need;
    return 0;
}
