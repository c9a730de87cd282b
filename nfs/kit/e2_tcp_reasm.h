/*
 * e2_tcp_reasm — TCP stream reassembly: turn a connection's segments, in
 * whatever order they come, into two ordered byte streams and events.
 *
 * One e2_tcp_reasm per NF (callbacks, limits, memory accounting); one
 * e2_tcp_conn per connection, kept wherever the NF keeps flows (an
 * e2_flowtab entry). Feed every TCP segment of the connection to
 * e2_tcp_reasm_segment(); the library calls back with
 *   data(flow, dir, offset, bytes)  in stream order, each byte exactly once;
 *   event(flow, dir, kind, arg)     open, close (FIN reached), reset, gap
 *                                   (arg: bytes skipped), anomaly (arg: kind).
 * Direction 0 is the side that sent the connection's first segment seen
 * (the SYN's sender when the handshake is seen); offsets count from the first
 * byte after the SYN, or from the first byte seen when picked up mid-stream.
 *
 * Policy (what Snort's stream5 calls a target-based choice, fixed here):
 *   - Retransmitted bytes that were already delivered are dropped (counted);
 *     they cannot be compared, the library keeps no delivered data.
 *   - Overlaps among bytes still waiting out of order: the first copy wins
 *     (BSD and Linux keep what they queued first) unless overlap_last_wins;
 *     differing overlapping bytes raise E2_TCP_ANOMALY_OVERLAP_DIFFERS.
 *   - A segment starting more than max_window bytes ahead of the next
 *     expected byte is out of window: dropped with an anomaly.
 *   - Memory is bounded per direction (max_flow_bytes waiting out of order)
 *     and overall (max_total_bytes). When a segment does not fit, the stream
 *     gives up waiting for the hole: a GAP event with its length, the next
 *     byte jumps to the first waiting segment, and delivery resumes; a
 *     segment that still does not fit is dropped (E2_TCP_ANOMALY_NO_MEMORY).
 *   - Data past a FIN, and a SYN whose sequence number disagrees with the
 *     one seen, are anomalies and ignored; RST ends the connection.
 *
 * Pure C, single-threaded (one reassembler per NF instance).
 */
#ifndef E2_TCP_REASM_H
#define E2_TCP_REASM_H

#include <stdbool.h>
#include <stdint.h>

struct e2_pkt;

enum e2_tcp_event {
    E2_TCP_OPEN,    /**< arg: 1 when picked up mid-stream (no SYN seen) */
    E2_TCP_CLOSE,   /**< this direction's FIN reached: all its bytes delivered */
    E2_TCP_RESET,   /**< RST: the connection is over, buffers freed */
    E2_TCP_GAP,     /**< arg: bytes of this direction that will never be delivered */
    E2_TCP_ANOMALY, /**< arg: an enum e2_tcp_anomaly */
};

enum e2_tcp_anomaly {
    E2_TCP_ANOMALY_OVERLAP_DIFFERS,
    E2_TCP_ANOMALY_OUT_OF_WINDOW,
    E2_TCP_ANOMALY_DATA_AFTER_FIN,
    E2_TCP_ANOMALY_SYN_MISMATCH,
    E2_TCP_ANOMALY_NO_MEMORY,
    E2_TCP_ANOMALY_COUNT,
};

const char *e2_tcp_event_name(enum e2_tcp_event e);
const char *e2_tcp_anomaly_name(enum e2_tcp_anomaly a);

struct e2_tcp_reasm_cb {
    void (*data)(void *ctx, void *flow, int dir, uint64_t offset, const uint8_t *bytes,
                 uint32_t len);
    void (*event)(void *ctx, void *flow, int dir, enum e2_tcp_event ev, uint64_t arg);
    void *ctx;
};

struct e2_tcp_reasm_opts {
    uint32_t max_flow_bytes;  /**< out-of-order bytes waiting per direction (0: 256 KiB) */
    uint64_t max_total_bytes; /**< over all connections (0: 64 MiB) */
    uint32_t max_window;      /**< how far ahead a segment may start (0: 1 MiB) */
    bool overlap_last_wins;
};

struct e2_tcp_seg; /* a waiting out-of-order segment (private) */

struct e2_tcp_half {
    uint32_t next_seq; /**< sequence number of the next byte to deliver */
    uint64_t next_off; /**< its stream offset */
    uint32_t fin_seq;  /**< sequence number of the FIN, when seen */
    uint32_t waiting;  /**< bytes in the out-of-order list */
    struct e2_tcp_seg *ooo;
    bool started, fin_seen, closed;
};

/** A connection's reassembly state; zero it before the first segment. */
struct e2_tcp_conn {
    struct e2_tcp_half half[2];
    uint32_t client_ip;
    uint16_t client_port;
    bool opened, reset;
};

struct e2_tcp_reasm_stats {
    uint64_t segments, delivered_bytes, retransmitted_bytes, overlap_bytes, gaps, gap_bytes;
    uint64_t anomalies[E2_TCP_ANOMALY_COUNT];
    uint64_t waiting_bytes; /**< now, over all connections */
};

struct e2_tcp_reasm;

/** A reassembler with @cb; NULL when out of memory. @opts may be NULL (defaults). */
struct e2_tcp_reasm *e2_tcp_reasm_create(const struct e2_tcp_reasm_cb *cb,
                                         const struct e2_tcp_reasm_opts *opts);
void e2_tcp_reasm_free(struct e2_tcp_reasm *r);

/**
 * One TCP segment of @conn (the parse of its frame, payload included);
 * @flow is handed back in the callbacks. Returns the direction (0 or 1).
 */
int e2_tcp_reasm_segment(struct e2_tcp_reasm *r, struct e2_tcp_conn *conn, void *flow,
                         const struct e2_pkt *p);

/** Free what @conn holds (the NF forgets the connection: timeout, eviction). */
void e2_tcp_conn_release(struct e2_tcp_reasm *r, struct e2_tcp_conn *conn);

void e2_tcp_reasm_stats(const struct e2_tcp_reasm *r, struct e2_tcp_reasm_stats *s);

/** The limits in effect, defaults filled in. */
const struct e2_tcp_reasm_opts *e2_tcp_reasm_opts(const struct e2_tcp_reasm *r);

#endif
