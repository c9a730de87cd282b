/*
 * e2nf-bsprobe — drives and checks bytestream vports (include/e2/bytestream.h).
 *
 *   e2nf-bsprobe gen  -n NF [-p PORT] [-c CONNS] [-b BYTES]
 *       send CONNS connections (OPEN, BYTES of DATA in stretches of 1..3000
 *       bytes whose content is a function of connection and offset, CLOSE),
 *       interleaved, through an e2bs_out; when it is full, wait and retry
 *   e2nf-bsprobe sink -n NF [-p PORT] [-c CONNS] [-d USEC] [-w SECONDS]
 *       receive until CONNS connections closed or SECONDS pass, sleeping USEC
 *       after each burst (a slow consumer); check order, offsets and content
 *
 * Common: -s SOCKET. PORT defaults to "bs". Each prints one JSON line; the
 * sink exits 0 only when every connection arrived whole and in order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2/bytestream.h"

struct opts {
    const char *mode, *name, *port;
    struct e2nf_opts nf;
    unsigned conns, delay_us;
    uint64_t bytes;
    double wait_s;
};

static uint8_t pattern(uint64_t conn, uint64_t off)
{
    return (uint8_t)(off * 31 + conn * 7 + (off >> 9));
}

static void fill(uint8_t *buf, uint64_t conn, uint64_t off, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) buf[i] = pattern(conn, off + i);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Queue one message, waiting for room; counts the waits. */
static void put(struct e2bs_out *out, struct rte_mempool *pool, const struct e2bs_hdr *h,
                const uint8_t *data, uint64_t *waits)
{
    for (;;) {
        int rc;
        if (h->kind == E2BS_DATA) {
            rc = e2bs_out_data(out, h, data, h->len);
        } else {
            struct rte_mbuf *m = e2bs_msg_new(pool, h, NULL);
            rc = m ? e2bs_out_put(out, m) : -ENOMEM;
            if (rc && m) rte_pktmbuf_free(m);
        }
        if (!rc) return;
        (*waits)++;
        usleep(50);
    }
}

static int run_gen(const struct opts *o, struct e2nf *nf, int port)
{
    struct rte_mempool *pool = e2nf_pktpool(nf);
    struct e2bs_out *out = e2bs_out_create(nf, (unsigned)port, 256);
    uint64_t *sent = calloc(o->conns, sizeof(*sent)), waits = 0, messages = 0;
    uint8_t buf[3000];
    srand(1);
    for (unsigned c = 0; c < o->conns; c++) {
        struct e2bs_hdr h = {
            .kind = E2BS_OPEN, .conn = c, .client_ip = 0x0a000001 + c, .server_ip = 0x0a010001};
        put(out, pool, &h, NULL, &waits);
        messages++;
    }
    for (unsigned open = o->conns; open;) {
        open = 0;
        for (unsigned c = 0; c < o->conns; c++) {
            if (sent[c] > o->bytes) continue;
            struct e2bs_hdr h = {.conn = c, .client_ip = 0x0a000001 + c, .server_ip = 0x0a010001};
            if (sent[c] == o->bytes) {
                h.kind = E2BS_CLOSE;
                put(out, pool, &h, NULL, &waits);
                sent[c]++;
                messages++;
                continue;
            }
            open++;
            uint32_t len = 1 + (uint32_t)(rand() % 3000);
            if (len > o->bytes - sent[c]) len = (uint32_t)(o->bytes - sent[c]);
            fill(buf, c, sent[c], len);
            h.kind = E2BS_DATA;
            h.offset = sent[c];
            h.len = len;
            put(out, pool, &h, buf, &waits);
            sent[c] += len;
            messages++;
        }
    }
    while (e2bs_out_flush(out)) usleep(50);
    printf("{\"connections\": %u, \"bytes_each\": %llu, \"messages\": %llu, \"waits\": %llu}\n",
           o->conns, (unsigned long long)o->bytes, (unsigned long long)messages,
           (unsigned long long)waits);
    e2bs_out_free(out);
    free(sent);
    return 0;
}

struct conn_check {
    uint64_t next;
    bool opened, closed;
};

static int run_sink(const struct opts *o, struct e2nf *nf, int port)
{
    struct conn_check *cc = calloc(o->conns, sizeof(*cc));
    uint64_t messages = 0, bytes = 0, bad_order = 0, corrupt = 0, foreign = 0;
    unsigned closed = 0;
    double end = now_s() + o->wait_s;
    while (closed < o->conns && now_s() < end) {
        struct rte_mbuf *ms[32];
        uint16_t n = e2nf_rx_burst(nf, (unsigned)port, 0, ms, 32);
        if (!n) {
            e2nf_wait(nf, 10000);
            continue;
        }
        for (uint16_t i = 0; i < n; i++) {
            const uint8_t *data;
            const struct e2bs_hdr *h = e2bs_msg_read(ms[i], &data);
            messages++;
            if (!h || h->conn >= o->conns) {
                foreign++;
                e2nf_drop(nf, ms[i]);
                continue;
            }
            struct conn_check *c = &cc[h->conn];
            if (h->kind == E2BS_OPEN) {
                bad_order += c->opened;
                c->opened = true;
            } else if (h->kind == E2BS_DATA) {
                bad_order += !c->opened || c->closed || h->offset != c->next;
                for (uint32_t k = 0; k < h->len; k++)
                    corrupt += data[k] != pattern(h->conn, h->offset + k);
                c->next = h->offset + h->len;
                bytes += h->len;
            } else if (h->kind == E2BS_CLOSE) {
                bad_order += !c->opened || c->closed || c->next != o->bytes;
                c->closed = true;
                closed++;
            }
            e2nf_drop(nf, ms[i]);
        }
        if (o->delay_us) usleep(o->delay_us);
    }
    printf("{\"messages\": %llu, \"bytes\": %llu, \"closed\": %u, \"bad_order\": %llu, "
           "\"corrupt\": %llu, "
           "\"foreign\": %llu}\n",
           (unsigned long long)messages, (unsigned long long)bytes, closed,
           (unsigned long long)bad_order, (unsigned long long)corrupt, (unsigned long long)foreign);
    free(cc);
    return closed == o->conns && !bad_order && !corrupt && !foreign ? 0 : 1;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.port = "bs", .nf = {.cpu = -1}, .conns = 10, .bytes = 100000, .wait_s = 30};
    if (argc < 2) return -1;
    o->mode = argv[1];
    int c;
    optind = 2;
    while ((c = getopt(argc, argv, "n:s:p:c:b:d:w:")) != -1) {
        switch (c) {
        case 'n': o->name = optarg; break;
        case 's': o->nf.socket = optarg; break;
        case 'p': o->port = optarg; break;
        case 'c': o->conns = (unsigned)atoi(optarg); break;
        case 'b': o->bytes = strtoull(optarg, NULL, 10); break;
        case 'd': o->delay_us = (unsigned)atoi(optarg); break;
        case 'w': o->wait_s = atof(optarg); break;
        default: return -1;
        }
    }
    bool known = !strcmp(o->mode, "gen") || !strcmp(o->mode, "sink");
    return known && o->name && o->conns ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "usage: e2nf-bsprobe gen|sink -n NF [options] (see the source's header)\n");
        return 2;
    }
    struct e2nf *nf;
    struct e2_err err = {0};
    if (e2nf_attach(o.name, &o.nf, &nf, &err)) {
        fprintf(stderr, "e2nf-bsprobe: %s\n", err.msg);
        return 1;
    }
    int port = e2nf_port(nf, o.port), rc = 1;
    if (port < 0)
        fprintf(stderr, "e2nf-bsprobe: NF '%s' has no port '%s'\n", o.name, o.port);
    else
        rc = !strcmp(o.mode, "gen") ? run_gen(&o, nf, port) : run_sink(&o, nf, port);
    fflush(stdout);
    e2nf_detach(nf);
    return rc;
}
