/*
 * e2nf-tcp — the TCP NF of bytestream vports (tcp.h) on the stream app:
 * packets from port "in" continue unchanged out of "out"; every TCP
 * connection among them is reassembled once and its streams leave port "bs"
 * as bytestream messages, in order, for the DPI NFs behind a reliable VPort.
 * When "bs" cannot take what one more packet may release, the NF stops
 * taking packets until it can: back-pressure instead of loss.
 *
 *   e2nf-tcp -n INSTANCE [-s SOCKET] [--conns N] [--idle S] [--max-flow-bytes N]
 *            [--ctl PATH] [--poll] [--cpu N]
 *
 * See nfs/tcp/README.md.
 */
#include <errno.h>

#include "e2/bytestream.h"
#include "stream_app.h"
#include "tcp.h"

/* The extra messages "bs" holds beyond the most one packet can make. */
#define TCP_QUEUE_SLACK 1024

struct tcp_app {
    struct tcp_nf t; /* first: the stream callbacks of tcp.h get this state as theirs */
    struct rte_mempool *pool;
    struct e2bs_out *bs;
    unsigned worst;
};

static int emit(void *ctx, const struct e2bs_hdr *h, const uint8_t *data)
{
    struct tcp_app *a = ctx;
    if (h->kind == E2BS_DATA) return e2bs_out_data(a->bs, h, data, h->len);
    struct rte_mbuf *m = e2bs_msg_new(a->pool, h, NULL);
    if (!m) return -ENOMEM;
    int rc = e2bs_out_put(a->bs, m);
    if (rc) rte_pktmbuf_free(m);
    return rc;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_streams *streams, struct e2_err *err)
{
    struct tcp_app *a = ctx;
    int bs = e2nf_port(nf, "bs");
    if (bs < 0) return e2_err_set(err, ENOENT, "NF '%s' has no port 'bs'", e2nf_name(nf));
    a->pool = e2nf_pktpool(nf);
    a->worst = tcp_worst_messages(e2_streams_reasm_opts(streams), e2bs_data_max(a->pool));
    a->bs = e2bs_out_create(nf, (unsigned)bs, a->worst + TCP_QUEUE_SLACK);
    if (!a->bs) return e2_err_set(err, ENOMEM, "no memory for the bytestream queue");
    tcp_init(&a->t, emit, a);
    return 0;
}

static bool ready(void *ctx)
{
    struct tcp_app *a = ctx;
    if (e2bs_out_room(a->bs) < a->worst) e2bs_out_flush(a->bs);
    return e2bs_out_room(a->bs) >= a->worst;
}

static void flush(void *ctx)
{
    e2bs_out_flush(((struct tcp_app *)ctx)->bs);
}

static json_t *stats(void *ctx)
{
    struct tcp_app *a = ctx;
    json_t *o = tcp_stats_json(&a->t);
    json_object_set_new(o, "bs_waiting", json_integer(a->bs ? e2bs_out_waiting(a->bs) : 0));
    return o;
}

static void fini(void *ctx)
{
    stream_app_close_out(((struct tcp_app *)ctx)->bs);
}

int main(int argc, char **argv)
{
    static const struct stream_nf def = {
        .prog = "e2nf-tcp",
        .summary = "TCP reassembly once for a chain: packets 'in' -> 'out', their TCP streams as "
                   "bytestream messages on 'bs'.",
        .ctx_size = sizeof(struct tcp_app),
        .library_only = true,
        .bind = bind,
        .ready = ready,
        .flush = flush,
        .data = tcp_on_data,
        .event = tcp_on_event,
        .stats = stats,
        .fini = fini,
    };
    return stream_app_main(&def, argc, argv);
}
