/*
 * bench-replay — a native NF that plays a pcap once into e2d, as fast as
 * the chain behind it takes it: every frame, in order, none lost.
 *
 * The trace (-c FILE) is read whole before attaching; then each poll puts
 * the next burst into fresh mbufs and sends it on port "out". What the ring
 * does not take is sent again at the next poll: behind a reliable VPort
 * (VPort(nf=replay, port=out, reliable=true) -> VPort(nf=x, port=in)) the
 * replay goes at the pace of the slowest NF of the chain, with small rings
 * and no drops. Stats: "sent" frames of "frames" and "done" once all went.
 *
 *   bench-replay -n INSTANCE -c TRACE.pcap [-s SOCKET] [--ctl PATH] [--cpu N]
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "e2/nfapp.h"

#define BURST 32

struct replay {
    uint8_t **frames;
    uint32_t *lens;
    size_t n, next, cap;
    int out;
    struct rte_mempool *pool;
    struct rte_mbuf *held[BURST];
    unsigned n_held;
};

static int add(struct replay *r, const uint8_t *data, uint32_t len, struct e2_err *err)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        uint8_t **f = realloc(r->frames, cap * sizeof(*f));
        uint32_t *l = f ? realloc(r->lens, cap * sizeof(*l)) : NULL;
        if (f) r->frames = f;
        if (!l) return e2_err_set(err, ENOMEM, "out of memory");
        r->lens = l;
        r->cap = cap;
    }
    if (!(r->frames[r->n] = malloc(len))) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(r->frames[r->n], data, len);
    r->lens[r->n++] = len;
    return 0;
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct replay *r = ctx;
    if (r->n) return e2_err_set(err, EBUSY, "the trace is read once");
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, ebuf);
    if (!p) return e2_err_set(err, EINVAL, "%s", ebuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = 0;
    while (!rc && pcap_next_ex(p, &h, &data) == 1)
        rc = h->caplen == h->len
                 ? add(r, data, h->caplen, err)
                 : e2_err_set(err, EINVAL, "%s: frame %zu is truncated", path, r->n);
    pcap_close(p);
    return rc;
}

static int bind_ports(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct replay *r = ctx;
    r->out = e2nf_port(nf, "out");
    r->pool = e2nf_pktpool(nf);
    return r->out < 0 ? e2_err_set(err, ENOENT, "the instance needs a port 'out'") : 0;
}

/* Fill the held burst with the next frames. */
static void fill(struct replay *r)
{
    while (r->n_held < BURST && r->next < r->n) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
        if (!m) return;
        uint32_t len = r->lens[r->next];
        char *d = rte_pktmbuf_append(m, (uint16_t)len);
        if (!d) {
            rte_pktmbuf_free(m);
            r->next++; /* larger than an mbuf: cannot be played */
            continue;
        }
        memcpy(d, r->frames[r->next++], len);
        r->held[r->n_held++] = m;
    }
}

static unsigned play(void *ctx, struct e2nf *nf)
{
    struct replay *r = ctx;
    fill(r);
    if (!r->n_held) return 0;
    uint16_t sent = e2nf_tx_burst(nf, (unsigned)r->out, 0, r->held, (uint16_t)r->n_held);
    memmove(r->held, r->held + sent, (r->n_held - sent) * sizeof(r->held[0]));
    r->n_held -= sent;
    if (!sent) { /* the chain is behind: nothing wakes us when it catches up */
        struct timespec nap = {0, 20000};
        nanosleep(&nap, NULL);
    }
    return 1; /* busy until the trace is out */
}

static json_t *stats(void *ctx)
{
    struct replay *r = ctx;
    size_t sent = r->next - r->n_held;
    return json_pack("{s:I, s:I, s:b}", "frames", (json_int_t)r->n, "sent", (json_int_t)sent,
                     "done", sent == r->n);
}

static void fini(void *ctx)
{
    struct replay *r = ctx;
    for (unsigned i = 0; i < r->n_held; i++) rte_pktmbuf_free(r->held[i]);
    for (size_t i = 0; i < r->n; i++) free(r->frames[i]);
    free(r->frames);
    free(r->lens);
}

int main(int argc, char **argv)
{
    static const struct e2nf_app_def def = {
        .prog = "bench-replay",
        .summary = "Play a pcap (-c FILE) once on port 'out', at the pace the chain takes it.",
        .ctx_size = sizeof(struct replay),
        .config_required = true,
        .load = load,
        .bind = bind_ports,
        .poll = play,
        .stats = stats,
        .fini = fini,
    };
    return e2nf_app_main(&def, argc, argv);
}
