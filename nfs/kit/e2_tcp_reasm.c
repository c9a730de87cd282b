#include "e2_tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

#include "e2_pkt.h"

struct e2_tcp_seg {
    struct e2_tcp_seg *next;
    uint64_t off;
    uint32_t len;
    uint8_t data[];
};

struct e2_tcp_reasm {
    struct e2_tcp_reasm_cb cb;
    struct e2_tcp_reasm_opts o;
    struct e2_tcp_reasm_stats st;
};

/* One segment's view while it is being placed. */
struct seg_in {
    struct e2_tcp_reasm *r;
    struct e2_tcp_conn *conn;
    void *flow;
    int dir;
    struct e2_tcp_half *h;
};

/* An uncovered stretch of a new segment, still to be placed. */
struct piece {
    uint64_t off;
    const uint8_t *data;
    uint32_t len;
};

const char *e2_tcp_event_name(enum e2_tcp_event e)
{
    static const char *const names[] = {"open", "close", "reset", "gap", "anomaly"};
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

const char *e2_tcp_anomaly_name(enum e2_tcp_anomaly a)
{
    static const char *const names[E2_TCP_ANOMALY_COUNT] = {
        "overlap_differs", "out_of_window", "data_after_fin", "syn_mismatch", "no_memory"};
    return (unsigned)a < E2_TCP_ANOMALY_COUNT ? names[a] : "unknown";
}

struct e2_tcp_reasm *e2_tcp_reasm_create(const struct e2_tcp_reasm_cb *cb,
                                         const struct e2_tcp_reasm_opts *opts)
{
    struct e2_tcp_reasm *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->cb = *cb;
    if (opts) r->o = *opts;
    if (!r->o.max_flow_bytes) r->o.max_flow_bytes = 256 * 1024;
    if (!r->o.max_total_bytes) r->o.max_total_bytes = 64ull << 20;
    if (!r->o.max_window) r->o.max_window = 1u << 20;
    return r;
}

void e2_tcp_reasm_free(struct e2_tcp_reasm *r)
{
    free(r);
}

void e2_tcp_reasm_stats(const struct e2_tcp_reasm *r, struct e2_tcp_reasm_stats *s)
{
    *s = r->st;
}

const struct e2_tcp_reasm_opts *e2_tcp_reasm_opts(const struct e2_tcp_reasm *r)
{
    return &r->o;
}

static void event(const struct seg_in *in, enum e2_tcp_event ev, uint64_t arg)
{
    if (in->r->cb.event) in->r->cb.event(in->r->cb.ctx, in->flow, in->dir, ev, arg);
}

static void anomaly(const struct seg_in *in, enum e2_tcp_anomaly a)
{
    in->r->st.anomalies[a]++;
    event(in, E2_TCP_ANOMALY, a);
}

static void free_half(struct e2_tcp_reasm *r, struct e2_tcp_half *h)
{
    while (h->ooo) {
        struct e2_tcp_seg *s = h->ooo;
        h->ooo = s->next;
        r->st.waiting_bytes -= s->len;
        free(s);
    }
    h->waiting = 0;
}

void e2_tcp_conn_release(struct e2_tcp_reasm *r, struct e2_tcp_conn *conn)
{
    free_half(r, &conn->half[0]);
    free_half(r, &conn->half[1]);
}

/* Hand @len bytes at the next offset to the NF and move on. */
static void deliver(const struct seg_in *in, const uint8_t *data, uint32_t len)
{
    struct e2_tcp_half *h = in->h;
    if (in->r->cb.data) in->r->cb.data(in->r->cb.ctx, in->flow, in->dir, h->next_off, data, len);
    h->next_off += len;
    h->next_seq += len;
    in->r->st.delivered_bytes += len;
}

static void maybe_close(const struct seg_in *in)
{
    struct e2_tcp_half *h = in->h;
    if (!h->fin_seen || h->closed || h->next_seq != h->fin_seq) return;
    h->closed = true;
    event(in, E2_TCP_CLOSE, 0);
}

/*
 * Deliver waiting segments that the stream has reached. Waiting segments
 * never overlap each other or delivered bytes (new data is cut around them
 * before it is placed), so the first one starts exactly at the next offset.
 */
static void drain(const struct seg_in *in)
{
    struct e2_tcp_half *h = in->h;
    while (h->ooo && h->ooo->off == h->next_off) {
        struct e2_tcp_seg *s = h->ooo;
        h->ooo = s->next;
        deliver(in, s->data, s->len);
        h->waiting -= s->len;
        in->r->st.waiting_bytes -= s->len;
        free(s);
    }
    maybe_close(in);
}

/* Give up on the bytes before offset @to: a gap, then what waits behind it. */
static void skip_to(const struct seg_in *in, uint64_t to)
{
    struct e2_tcp_half *h = in->h;
    uint64_t n = to - h->next_off;
    in->r->st.gaps++;
    in->r->st.gap_bytes += n;
    event(in, E2_TCP_GAP, n);
    h->next_off = to;
    h->next_seq += (uint32_t)n;
    drain(in);
}

static bool fits(const struct seg_in *in, uint32_t len)
{
    const struct e2_tcp_reasm *r = in->r;
    return in->h->waiting + len <= r->o.max_flow_bytes &&
           r->st.waiting_bytes + len <= r->o.max_total_bytes;
}

static void link_sorted(struct e2_tcp_half *h, struct e2_tcp_seg *s)
{
    struct e2_tcp_seg **pp = &h->ooo;
    while (*pp && (*pp)->off < s->off) pp = &(*pp)->next;
    s->next = *pp;
    *pp = s;
}

/* Put a stretch no waiting segment covers in place: deliver, queue, or skip to it. */
static void place(const struct seg_in *in, struct piece pc)
{
    struct e2_tcp_half *h = in->h;
    for (;;) {
        if (pc.off <= h->next_off) {
            uint64_t skip = h->next_off - pc.off;
            if (skip < pc.len) deliver(in, pc.data + skip, (uint32_t)(pc.len - skip));
            drain(in);
            return;
        }
        if (fits(in, pc.len)) {
            struct e2_tcp_seg *s = malloc(sizeof(*s) + pc.len);
            if (!s) {
                anomaly(in, E2_TCP_ANOMALY_NO_MEMORY);
                return;
            }
            s->off = pc.off;
            s->len = pc.len;
            memcpy(s->data, pc.data, pc.len);
            link_sorted(h, s);
            h->waiting += pc.len;
            in->r->st.waiting_bytes += pc.len;
            return;
        }
        skip_to(in, h->ooo && h->ooo->off < pc.off ? h->ooo->off : pc.off);
    }
}

/*
 * Compare [off, off+len) with what waits already: count and flag differing
 * overlaps, overwrite them when the last copy wins, and collect the uncovered
 * stretches in @out (at most one more than the waiting segments).
 */
static size_t uncovered(const struct seg_in *in, uint64_t off, const uint8_t *data, uint32_t len,
                        struct piece *out)
{
    size_t n = 0;
    uint64_t cur = off, end = off + len;
    bool differs = false;
    for (struct e2_tcp_seg *s = in->h->ooo; s && cur < end; s = s->next) {
        uint64_t s_end = s->off + s->len;
        if (s_end <= cur) continue;
        if (s->off >= end) break;
        if (s->off > cur)
            out[n++] = (struct piece){cur, data + (cur - off), (uint32_t)(s->off - cur)};
        uint64_t a = s->off > cur ? s->off : cur, b = s_end < end ? s_end : end;
        uint8_t *old = s->data + (a - s->off);
        const uint8_t *new = data + (a - off);
        if (memcmp(old, new, b - a)) {
            differs = true;
            if (in->r->o.overlap_last_wins) memcpy(old, new, b - a);
        }
        in->r->st.overlap_bytes += b - a;
        cur = b;
    }
    if (cur < end) out[n++] = (struct piece){cur, data + (cur - off), (uint32_t)(end - cur)};
    if (differs) anomaly(in, E2_TCP_ANOMALY_OVERLAP_DIFFERS);
    return n;
}

static size_t waiting_segments(const struct e2_tcp_half *h)
{
    size_t n = 0;
    for (const struct e2_tcp_seg *s = h->ooo; s; s = s->next) n++;
    return n;
}

static void add_data(const struct seg_in *in, uint32_t seq, const uint8_t *data, uint32_t len)
{
    struct e2_tcp_half *h = in->h;
    int64_t rel = (int32_t)(seq - h->next_seq);
    if (rel + (int64_t)len <= 0) {
        in->r->st.retransmitted_bytes += len;
        return;
    }
    if (rel < 0) {
        in->r->st.retransmitted_bytes += (uint64_t)-rel;
        data += -rel;
        len -= (uint32_t)-rel;
        rel = 0;
    }
    if (h->fin_seen) {
        int64_t past = (int64_t)rel + len - (int32_t)(h->fin_seq - h->next_seq);
        if (past > 0) {
            anomaly(in, E2_TCP_ANOMALY_DATA_AFTER_FIN);
            if (past >= len) return;
            len -= (uint32_t)past;
        }
    }
    if (rel > in->r->o.max_window) {
        anomaly(in, E2_TCP_ANOMALY_OUT_OF_WINDOW);
        return;
    }
    uint64_t off = h->next_off + (uint64_t)rel;
    if (!h->ooo) {
        place(in, (struct piece){off, data, len});
        return;
    }
    struct piece local[16], *pieces = local;
    size_t room = waiting_segments(h) + 1;
    if (room > 16 && !(pieces = malloc(room * sizeof(*pieces)))) {
        anomaly(in, E2_TCP_ANOMALY_NO_MEMORY);
        return;
    }
    size_t n = uncovered(in, off, data, len, pieces);
    for (size_t i = 0; i < n; i++) place(in, pieces[i]);
    if (pieces != local) free(pieces);
}

static void start(struct e2_tcp_half *h, uint32_t seq)
{
    h->started = true;
    h->next_seq = seq;
    h->next_off = 0;
}

/* 0 for the side that sent the first segment seen, which is remembered. */
static int direction(struct e2_tcp_conn *conn, const struct e2_pkt *p)
{
    if (!conn->opened) {
        conn->client_ip = p->src_ip;
        conn->client_port = p->src_port;
    }
    return p->src_ip == conn->client_ip && p->src_port == conn->client_port ? 0 : 1;
}

int e2_tcp_reasm_segment(struct e2_tcp_reasm *r, struct e2_tcp_conn *conn, void *flow,
                         const struct e2_pkt *p)
{
    int dir = direction(conn, p);
    struct seg_in in = {r, conn, flow, dir, &conn->half[dir]};
    struct e2_tcp_half *h = in.h;
    bool syn = p->tcp_flags & E2_TCP_SYN;
    if (!conn->opened) {
        conn->opened = true;
        event(&in, E2_TCP_OPEN, !syn);
    }
    if (conn->reset) return dir;
    r->st.segments++;
    if (p->tcp_flags & E2_TCP_RST) {
        conn->reset = true;
        event(&in, E2_TCP_RESET, 0);
        e2_tcp_conn_release(r, conn);
        return dir;
    }
    uint32_t seq = p->tcp_seq;
    if (syn) {
        if (h->started && (uint32_t)(seq + 1) != (uint32_t)(h->next_seq - (uint32_t)h->next_off)) {
            anomaly(&in, E2_TCP_ANOMALY_SYN_MISMATCH);
            return dir;
        }
        if (!h->started) start(h, seq + 1);
        seq++; /* the SYN takes one sequence number */
    } else if (!h->started) {
        start(h, seq);
    }
    uint32_t len = (uint32_t)(p->l4_off + p->l4_len - p->payload_off);
    if (len) add_data(&in, seq, p->frame + p->payload_off, len);
    if ((p->tcp_flags & E2_TCP_FIN) && !h->fin_seen) {
        h->fin_seen = true;
        h->fin_seq = seq + len;
        maybe_close(&in);
    }
    return dir;
}
