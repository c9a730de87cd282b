/*
 * e2_streams — the TCP connections of a stream-inspecting NF, whether it
 * reassembles them itself or receives what another NF reassembled.
 *
 * A DPI NF looks at byte streams, not packets. It keeps per-connection state
 * (user_size bytes) and implements three callbacks:
 *   data(s, user, dir, offset, bytes)  stream bytes in order, each once;
 *   event(s, user, dir, kind, arg)     open, close, reset, gap, anomaly
 *                                      (enum e2_tcp_event, as in e2_tcp_reasm);
 *   release(s, user)                   the connection leaves: free what it holds.
 * The same callbacks are driven two ways, so an NF behaves identically in both:
 *   - e2_streams_packet(): TCP segments, reassembled here (e2_tcp_reasm) in
 *     connections kept in an e2_flowtab (the "Library" way of the E2 paper);
 *   - e2_streams_message(): units a producer already reassembled, e.g. the
 *     bytestream messages of the TCP NF (the "ByteStream" way).
 *
 * Lifetimes: the user state is zeroed before OPEN. A connection is released
 * when it has been idle for idle_ns, when the table evicts it to make room,
 * or (packets) linger_ns after both directions closed or it was reset, so
 * late retransmissions and ACKs do not open it again; a SYN on such a
 * connection starts a new one. With messages the producer says when a
 * connection ends (both CLOSE, or RESET): it is released at once, and an
 * OPEN for a key still held starts it afresh. A message for an unknown
 * connection (the NF started late, or expired it) opens it mid-stream (OPEN
 * with arg 1), as the reassembler does with packets.
 *
 * Pure C, single-threaded; no allocation per packet beyond the reassembler's.
 */
#ifndef E2_STREAMS_H
#define E2_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_tcp_reasm.h"

struct e2_pkt;

/** A connection as the callbacks see it. */
struct e2_stream {
    uint64_t id; /**< packets: numbered here from 1; messages: the producer's id */
    uint32_t client_ip, server_ip; /**< host order; the client sent the first segment seen */
    uint16_t client_port, server_port;
    uint64_t bytes[2]; /**< delivered per direction (0: from the client) */
    uint8_t closed;    /**< bit d: direction d closed (its FIN reached) */
    bool reset;
};

struct e2_streams_cb {
    void (*data)(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len);
    void (*event)(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg);
    void (*release)(void *ctx, struct e2_stream *s, void *user); /**< may be NULL */
    void *ctx;
};

struct e2_streams_opts {
    size_t capacity;    /**< connections (0: 65536) */
    size_t user_size;   /**< the NF's bytes per connection */
    uint64_t idle_ns;   /**< 0: 300 s */
    uint64_t linger_ns; /**< after close or reset, packets only (0: 5 s) */
    struct e2_tcp_reasm_opts reasm;
};

/** What e2_streams_message() takes: one reassembled unit (a bytestream message, decoded). */
struct e2_stream_msg {
    int kind;      /**< E2_STREAM_DATA or an enum e2_tcp_event */
    int dir;       /**< 0: from the client */
    uint64_t conn; /**< the producer's connection id */
    uint64_t arg;  /**< DATA: the stream offset of the bytes; events: their argument */
    const uint8_t *data;
    uint32_t len;
    uint32_t client_ip, server_ip;
    uint16_t client_port, server_port;
};

#define E2_STREAM_DATA (-1)

struct e2_streams_stats {
    uint64_t connections;                 /**< opened (each OPEN) */
    uint64_t closed, reset;               /**< ended by both FINs, by RST */
    uint64_t expired, evicted, restarted; /**< restarted: a SYN or OPEN reused a live key */
    uint64_t bytes[2];
    uint64_t packets, messages;
    uint64_t not_tcp;      /**< packets that were not TCP or were fragments (nothing to do) */
    uint64_t bad_messages; /**< a kind or direction out of range: ignored */
    size_t live, capacity;
};

struct e2_streams;

struct e2_streams *e2_streams_create(const struct e2_streams_opts *o,
                                     const struct e2_streams_cb *cb, struct e2_err *err);
/** Releases every live connection (release callback), then frees the table. */
void e2_streams_free(struct e2_streams *t);

/**
 * One parsed packet (status E2_PKT_OK); non-TCP packets and fragments are only
 * counted (NULL). Returns the user state of the packet's connection, as the
 * callbacks left it (valid until the next call): what an NF that judges
 * packets by their connection (the IDS) reads.
 */
void *e2_streams_packet(struct e2_streams *t, const struct e2_pkt *p, uint64_t now_ns);

/** One unit a producer reassembled. */
void e2_streams_message(struct e2_streams *t, const struct e2_stream_msg *m, uint64_t now_ns);

/** Release connections idle (or lingering) past their time; looks at up to @buckets buckets. */
size_t e2_streams_expire(struct e2_streams *t, uint64_t now_ns, size_t buckets);

void e2_streams_stats(const struct e2_streams *t, struct e2_streams_stats *s);
void e2_streams_reasm_stats(const struct e2_streams *t, struct e2_tcp_reasm_stats *s);

/** The reassembler's limits in effect (defaults filled in): for producers sizing their queues. */
const struct e2_tcp_reasm_opts *e2_streams_reasm_opts(const struct e2_streams *t);

#endif
