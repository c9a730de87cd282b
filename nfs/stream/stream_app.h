/*
 * stream_app — the app of the stream NFs: the TCP NF and the DPI NFs (SIG,
 * HTTP, RE). An NF is its stream callbacks (nfs/kit/e2_streams.h) and a
 * table; stream_app_main() runs it on e2nf_app with a poll hook that moves
 * packets or bytestream messages (include/e2/bytestream.h) one by one
 * through an e2_streams table, two ways (--mode):
 *
 *   library     packets from port "in" are reassembled here, per connection,
 *               and forwarded unchanged to "out";
 *   bytestream  messages from port "bs" (a TCP NF reassembled them) drive the
 *               same callbacks and are forwarded, zero-copy, to "bs_out" when
 *               the instance has that port, so the next DPI NF gets them too;
 *               the last NF of a chain declares no bs_out and frees them.
 *
 * Whatever it forwards goes through an order-keeping e2bs_out, and the NF
 * takes its next input only when that queue (and the NF's own, for a
 * producer like the TCP NF: def->ready) has room: when the next NF falls
 * behind, this one stops taking input — back-pressure instead of loss. A
 * blocked NF naps 20 us at a time (e2d does not wake a producer when its
 * consumer drains). Output is sent in batches, once per burst of input (and
 * while idle, until nothing waits). Malformed packets are counted by reason
 * (e2_pkt) and forwarded; non-messages on "bs" are counted and freed. The
 * stats' busy_ns is the CPU time the NF's thread spent handling units
 * (CLOCK_THREAD_CPUTIME_ID around each burst): its processing cost without
 * idle polling, naps or preemption.
 *
 * Common options: --mode, --conns N (connections tracked), --idle SECONDS,
 * --max-flow-bytes N (out-of-order bytes held per direction, library mode).
 */
#ifndef STREAM_APP_H
#define STREAM_APP_H

#include "e2/nfapp.h"
#include "e2_streams.h"

enum stream_mode { STREAM_LIBRARY, STREAM_BYTESTREAM };

struct stream_nf {
    const char *prog, *summary;
    size_t ctx_size;   /**< the NF's state, zeroed; every callback gets it */
    size_t user_size;  /**< the NF's bytes per connection (e2_streams user state) */
    bool library_only; /**< no --mode (the TCP NF) */
    const struct e2nf_app_option *options; /**< the NF's own, NULL-terminated, or NULL */
    const struct e2nf_app_op *ops;         /**< called with the NF's state */
    bool config_required;
    int (*option)(void *ctx, const char *name, const char *value, struct e2_err *err);
    int (*load)(void *ctx, const char *path, struct e2_err *err);
    /** Attached, the stream table made (e.g. a producer finds its own ports). Optional. */
    int (*bind)(void *ctx, struct e2nf *nf, struct e2_streams *streams, struct e2_err *err);
    /** Room to take one more input (a producer's own queue); may flush it. Optional. */
    bool (*ready)(void *ctx);
    /** Send what a producer's own queue holds: after each burst, and when idle. Optional. */
    void (*flush)(void *ctx);
    /** The stream callbacks (their ctx is the NF's state). */
    void (*data)(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len);
    void (*event)(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg);
    void (*release)(void *ctx, struct e2_stream *s, void *user);
    void (*tick)(void *ctx, uint64_t now_ns);
    /**
     * Library mode, optional: a packet went through the connections (@p NULL:
     * malformed; @conn: its connection's user state, NULL when not TCP), just
     * before it is forwarded: e.g. tag it with what its connection showed.
     */
    void (*mark)(void *ctx, struct rte_mbuf *m, const struct e2_pkt *p, void *conn);
    /** The NF's counters, merged into the stats next to the stream table's. */
    json_t *(*stats)(void *ctx);
    void (*fini)(void *ctx);
};

/** Run the stream NF @def (one per process): the exit status, as e2nf_app_main. */
int stream_app_main(const struct stream_nf *def, int argc, char **argv);

struct e2bs_out;

/** Stopping, still attached: give what waits in @o 100 ms to go, then free it and the rest. */
void stream_app_close_out(struct e2bs_out *o);

/** The mode of the running NF (valid from load() on). */
enum stream_mode stream_app_mode(const void *ctx);

#endif
