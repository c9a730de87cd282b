/*
 * tcp — the TCP NF of bytestream vports (E2 paper §4.3, §7.1): every TCP
 * connection is reassembled once (e2_streams over e2_tcp_reasm, nfs/kit)
 * and turned into bytestream messages (include/e2/bytestream_hdr.h) for the
 * DPI NFs after it: OPEN, DATA in stream order, GAP, ANOMALY, CLOSE per
 * direction, RESET.
 *
 * Pure C: the stream callbacks hand each message to an emit function; the
 * NF's main.c makes mbufs of them and queues them in order (e2bs_out),
 * splitting long stretches of bytes. An emit that fails (no buffers) is
 * counted as a lost message; main.c takes a packet only when its queue has
 * room for the most one packet can release (tcp_worst_messages), so with
 * buffers to spare nothing is lost.
 */
#ifndef TCP_H
#define TCP_H

#include <jansson.h>

#include "e2/bytestream_hdr.h"
#include "e2_streams.h"

/** Queue message @h (DATA: its h->len bytes at @data); nonzero when it could not. */
typedef int (*tcp_emit_fn)(void *ctx, const struct e2bs_hdr *h, const uint8_t *data);

struct tcp_nf {
    tcp_emit_fn emit;
    void *emit_ctx;
    uint64_t messages[E2BS_ANOMALY + 1]; /**< emitted per kind */
    uint64_t anomalies[E2_TCP_ANOMALY_COUNT];
    uint64_t lost; /**< messages the emitter refused */
};

void tcp_init(struct tcp_nf *t, tcp_emit_fn emit, void *emit_ctx);

/** The e2_streams callbacks (ctx: the struct tcp_nf). */
void tcp_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len);
void tcp_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg);

/**
 * The most messages one packet can make, with messages of up to @data_max
 * bytes: the out-of-order bytes a segment can release (@o->max_flow_bytes)
 * and its own, plus its events.
 */
unsigned tcp_worst_messages(const struct e2_tcp_reasm_opts *o, uint32_t data_max);

/** Counters: messages per kind, anomalies by name, lost. */
json_t *tcp_stats_json(const struct tcp_nf *t);

#endif
