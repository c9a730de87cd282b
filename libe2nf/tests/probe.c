/*
 * e2nf-probe — a native NF that tests and benchmarks use to drive and check
 * e2d's NF path from the outside.
 *
 *   e2nf-probe gen  -n NF [-p PORT] [-c COUNT] [-r PPS] [-l BYTES] [-t TAG=V]
 *       make COUNT packets (0: until stopped) carrying a sequence number and a
 *       TSC stamp, send them out of PORT (default "out") at PPS (0: flat out);
 *       paced in bursts of up to 100 µs of traffic, sleeping between them
 *       (with --poll: packet by packet, spinning)
 *   e2nf-probe sink -n NF [-p PORT] [-c COUNT] [-w SECONDS] [-e TAG=V]
 *       receive on PORT (default "in") until COUNT packets or SECONDS pass;
 *       check the expected tag, order and duplicates; print latency percentiles
 *   e2nf-probe loop -n NF [-l BYTES] [-w SECONDS] [--pingpong] [-c COUNT]
 *       send stamped packets out of port "out" and take them back on port
 *       "in" (e2d connects the two): packets per second through the loop,
 *       keeping up to 1024 in flight; with --pingpong, one at a time, COUNT
 *       times, for the round-trip latency (NF -> e2d -> NF); with -t TAG=V
 *       it also tags each packet from a byte of its payload (E2 paper Table 2)
 *   e2nf-probe signal -n NF -T TO [-y TYPE] [-m TEXT]   send a signal
 *   e2nf-probe inbox  -n NF [-w SECONDS]                wait for one signal
 *
 * Common: -s SOCKET, --cpu N, --poll (spin instead of sleeping when idle).
 * Each mode prints one JSON line of results; exit 0 when its check passed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "e2/frame.h"
#include "e2/nf.h"
#include "e2_hist.h"

#define PAYLOAD_OFF E2_FRAME_UDP4_HDR  /* after Ethernet, IPv4 and UDP headers: a struct stamp */
#define CLASS_OFF   (PAYLOAD_OFF + 16) /* then a class byte (1), for the metadata benchmark */

struct probe {
    const char *mode, *name, *port, *to, *text;
    struct e2nf_opts opts;
    uint64_t count, rate;
    unsigned len, type;
    double wait_s;
    char tag[64];
    uint32_t tag_value;
    bool has_tag, poll, pingpong;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

struct stamp {
    uint64_t seq, tsc;
};

static void build(struct rte_mbuf *m, unsigned len, uint64_t seq)
{
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
    e2_frame_udp4(p, (uint16_t)len, 0x0a000001 + (uint32_t)(seq % 256), 0x0a010001,
                  (uint16_t)(1024 + seq % 1000), 9);
    struct stamp st = {seq, rte_rdtsc()};
    memcpy(p + PAYLOAD_OFF, &st, sizeof(st));
    p[CLASS_OFF] = 1;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int run_gen(struct probe *pr, struct e2nf *nf, int port, int slot)
{
    struct rte_mempool *pool = e2nf_pktpool(nf);
    uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), seq = 0, retries = 0;
    while (!stop && (pr->count == 0 || seq < pr->count)) {
        unsigned n = 32;
        if (pr->count && pr->count - seq < n) n = (unsigned)(pr->count - seq);
        if (pr->rate) {
            double elapsed = (double)(rte_rdtsc() - start) / (double)hz;
            uint64_t due = (uint64_t)(elapsed * (double)pr->rate);
            /* Without --poll, wait for a burst of up to 100 µs of traffic: the core is
             * free between bursts for e2d and the other NFs. */
            uint64_t burst = pr->poll ? 1 : RTE_MAX(1, RTE_MIN((uint64_t)n, pr->rate / 10000));
            if (due < seq + burst) {
                if (pr->poll)
                    rte_pause();
                else
                    sleep_s((double)(seq + burst) / (double)pr->rate - elapsed);
                continue;
            }
            if (due - seq < n) n = (unsigned)(due - seq);
        }
        struct rte_mbuf *pkts[32];
        if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) continue;
        for (unsigned i = 0; i < n; i++) {
            build(pkts[i], pr->len, seq + i);
            if (slot >= 0) e2_meta_set_tag(pkts[i], (unsigned)slot, pr->tag_value);
        }
        unsigned sent = 0;
        while (sent < n && !stop) {
            sent += e2nf_tx_burst(nf, (unsigned)port, 0, pkts + sent, (uint16_t)(n - sent));
            if (sent == n) break;
            retries++; /* e2d has not taken the ring's contents yet: give it the CPU */
            if (!pr->poll) usleep(20);
        }
        for (unsigned i = sent; i < n; i++) e2nf_drop(nf, pkts[i]);
        seq += sent;
    }
    double secs = (double)(rte_rdtsc() - start) / (double)hz;
    printf("{\"sent\": %llu, \"seconds\": %.3f, \"mpps\": %.3f, \"ring_full_retries\": %llu}\n",
           (unsigned long long)seq, secs, (double)seq / secs / 1e6, (unsigned long long)retries);
    return pr->count == 0 || seq == pr->count ? 0 : 1;
}

static int run_sink(struct probe *pr, struct e2nf *nf, int port, int slot)
{
    uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), first = 0, last_rx = 0;
    uint64_t got = 0, wrong_tag = 0, out_of_order = 0, dups = 0, next = 0;
    struct e2_hist *lat = calloc(1, sizeof(*lat));
    while (!stop && (pr->count == 0 || got < pr->count)) {
        uint64_t now = rte_rdtsc();
        if ((double)(now - start) / (double)hz > pr->wait_s) break;
        struct rte_mbuf *pkts[32];
        uint16_t n = e2nf_rx_burst(nf, (unsigned)port, 0, pkts, 32);
        if (!n) {
            if (!pr->poll) e2nf_wait(nf, 10000);
            continue;
        }
        if (!got) first = now;
        last_rx = now;
        for (uint16_t i = 0; i < n; i++) {
            struct stamp st;
            memcpy(&st, rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, PAYLOAD_OFF), sizeof(st));
            if (st.tsc < now) e2_hist_record(lat, now - st.tsc);
            if (st.seq < next)
                dups++;
            else if (st.seq > next)
                out_of_order++;
            next = st.seq + 1;
            uint32_t v;
            if (slot >= 0 &&
                (e2_meta_get_tag(pkts[i], (unsigned)slot, &v) != 0 || v != pr->tag_value))
                wrong_tag++;
            e2nf_drop(nf, pkts[i]);
        }
        got += n;
    }
    double ns = 1e9 / (double)hz, secs = got > 1 ? (double)(last_rx - first) / (double)hz : 0;
    printf("{\"received\": %llu, \"wrong_tag\": %llu, \"out_of_order\": %llu, \"duplicates\": "
           "%llu, \"mpps\": %.3f, "
           "\"latency_ns\": {\"p50\": %.0f, \"p99\": %.0f, \"mean\": %.0f}}\n",
           (unsigned long long)got, (unsigned long long)wrong_tag, (unsigned long long)out_of_order,
           (unsigned long long)dups, secs > 0 ? (double)got / secs / 1e6 : 0.0,
           (double)e2_hist_percentile(lat, 50) * ns, (double)e2_hist_percentile(lat, 99) * ns,
           e2_hist_mean(lat) * ns);
    free(lat);
    bool ok = (pr->count == 0 || got >= pr->count) && wrong_tag == 0;
    return ok ? 0 : 1;
}

/* Take back what came around; record each packet's time since it was stamped. */
static unsigned reap(struct e2nf *nf, int in, struct e2_hist *lat)
{
    struct rte_mbuf *pkts[32];
    uint16_t n = e2nf_rx_burst(nf, (unsigned)in, 0, pkts, 32);
    if (!n) return 0;
    uint64_t now = rte_rdtsc();
    for (uint16_t i = 0; i < n; i++) {
        struct stamp st;
        memcpy(&st, rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, PAYLOAD_OFF), sizeof(st));
        e2_hist_record(lat, now - st.tsc);
    }
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
}

/*
 * Table 2's metadata case: the NF classifies each packet by a field of its
 * payload (its class byte) and puts the class in a tag for e2d to steer by.
 */
static void tag_from_payload(struct rte_mbuf **pkts, unsigned n, unsigned slot)
{
    for (unsigned i = 0; i < n; i++) {
        e2_meta_set_tag(pkts[i], slot, *rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, CLASS_OFF));
    }
}

static int run_loop(struct probe *pr, struct e2nf *nf, int slot)
{
    int out = e2nf_port(nf, "out"), in = e2nf_port(nf, "in");
    if (out < 0 || in < 0) {
        fprintf(stderr, "e2nf-probe: loop needs ports 'out' and 'in'\n");
        return 1;
    }
    struct rte_mempool *pool = e2nf_pktpool(nf);
    struct e2_hist *lat = calloc(1, sizeof(*lat));
    uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(),
             end = start + (uint64_t)(pr->wait_s * (double)hz);
    uint64_t sent = 0, back = 0, window = pr->pingpong ? 1 : 1024;
    /* the clock is read once every 64 rounds: the loop itself should cost next to nothing */
    for (uint64_t round = 0;
         !stop && (round % 64 || rte_rdtsc() < end) && (!pr->count || back < pr->count); round++) {
        unsigned n = (unsigned)(window - (sent - back));
        if (n > 32) n = 32;
        struct rte_mbuf *pkts[32];
        if (n && rte_pktmbuf_alloc_bulk(pool, pkts, n) == 0) {
            for (unsigned i = 0; i < n; i++) build(pkts[i], pr->len, sent + i);
            if (slot >= 0) tag_from_payload(pkts, n, (unsigned)slot);
            unsigned s = e2nf_tx_burst(nf, (unsigned)out, 0, pkts, (uint16_t)n);
            if (s < n) rte_pktmbuf_free_bulk(pkts + s, n - s);
            sent += s;
        }
        back += reap(nf, in, lat);
    }
    uint64_t t_end = rte_rdtsc();
    while (back < sent && rte_rdtsc() - t_end < hz / 10)
        back += reap(nf, in, lat); /* the last few in flight */
    double secs = (double)(t_end - start) / (double)hz, ns = 1e9 / (double)hz;
    printf("{\"sent\": %llu, \"received\": %llu, \"mpps\": %.3f, \"gbps\": %.3f, \"latency_ns\": "
           "{\"p50\": %.0f, "
           "\"p99\": %.0f, \"mean\": %.0f}}\n",
           (unsigned long long)sent, (unsigned long long)back, (double)back / secs / 1e6,
           (double)back * pr->len * 8 / secs / 1e9, (double)e2_hist_percentile(lat, 50) * ns,
           (double)e2_hist_percentile(lat, 99) * ns, e2_hist_mean(lat) * ns);
    free(lat);
    return back > 0 ? 0 : 1;
}

static int run_signal(struct probe *pr, struct e2nf *nf)
{
    struct e2_err err = {0};
    int rc = e2nf_signal_send(nf, pr->to, pr->type, pr->text, strlen(pr->text), &err);
    printf("{\"sent\": %s%s%s}\n", rc ? "false, \"error\": \"" : "true", rc ? err.msg : "",
           rc ? "\"" : "");
    return rc ? 1 : 0;
}

static int run_inbox(struct probe *pr, struct e2nf *nf)
{
    uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc();
    struct e2nf_signal s;
    while (!stop && (double)(rte_rdtsc() - start) / (double)hz < pr->wait_s) {
        if (e2nf_signal_recv(nf, &s)) {
            printf("{\"from\": \"%s\", \"type\": %u, \"text\": \"%.*s\"}\n", s.from, s.type,
                   (int)s.len, (char *)s.data);
            return 0;
        }
        e2nf_wait(nf, 10000);
    }
    printf("{\"from\": null}\n");
    return 1;
}

static int parse(int argc, char **argv, struct probe *pr)
{
    static const struct option longs[] = {{"cpu", required_argument, NULL, 'C'},
                                          {"poll", no_argument, NULL, 'P'},
                                          {"pingpong", no_argument, NULL, 'G'},
                                          {NULL, 0, NULL, 0}};
    *pr = (struct probe){.opts = {.cpu = -1}, .len = 64, .wait_s = 10, .text = "", .type = 1};
    if (argc < 2) return -1;
    pr->mode = argv[1];
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "n:p:c:r:l:t:e:w:s:T:y:m:", longs, NULL)) != -1) {
        switch (c) {
        case 'n': pr->name = optarg; break;
        case 'p': pr->port = optarg; break;
        case 'c': pr->count = strtoull(optarg, NULL, 10); break;
        case 'r': pr->rate = strtoull(optarg, NULL, 10); break;
        case 'l': pr->len = (unsigned)atoi(optarg); break;
        case 't':
        case 'e': pr->has_tag = sscanf(optarg, "%63[^=]=%u", pr->tag, &pr->tag_value) == 2; break;
        case 'w': pr->wait_s = atof(optarg); break;
        case 's': pr->opts.socket = optarg; break;
        case 'T': pr->to = optarg; break;
        case 'y': pr->type = (unsigned)atoi(optarg); break;
        case 'm': pr->text = optarg; break;
        case 'C': pr->opts.cpu = atoi(optarg); break;
        case 'P': pr->poll = true; break;
        case 'G': pr->pingpong = true; break;
        default: return -1;
        }
    }
    if (!pr->name || pr->len < CLASS_OFF + 1 || pr->len > 2000) return -1;
    if (strcmp(pr->mode, "signal") == 0 && !pr->to) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct probe pr;
    if (parse(argc, argv, &pr)) {
        fprintf(
            stderr,
            "usage: e2nf-probe gen|sink|signal|inbox -n NF [options] (see the source's header)\n");
        return 2;
    }
    struct e2nf *nf;
    struct e2_err err = {0};
    if (e2nf_attach(pr.name, &pr.opts, &nf, &err)) {
        fprintf(stderr, "e2nf-probe: %s\n", err.msg);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bool gen = strcmp(pr.mode, "gen") == 0, sink = strcmp(pr.mode, "sink") == 0;
    int port = gen || sink ? e2nf_port(nf, pr.port ? pr.port : gen ? "out" : "in") : 0;
    int slot = pr.has_tag ? e2nf_tag(nf, pr.tag) : -1;
    int rc;
    if (port < 0 || (pr.has_tag && slot < 0)) {
        fprintf(stderr, "e2nf-probe: NF '%s' has no such port or tag\n", pr.name);
        rc = 1;
    } else if (gen) {
        rc = run_gen(&pr, nf, port, slot);
    } else if (sink) {
        rc = run_sink(&pr, nf, port, slot);
    } else if (strcmp(pr.mode, "loop") == 0) {
        rc = run_loop(&pr, nf, slot);
    } else if (strcmp(pr.mode, "signal") == 0) {
        rc = run_signal(&pr, nf);
    } else {
        rc = run_inbox(&pr, nf);
    }
    fflush(stdout);
    e2nf_detach(nf);
    return rc;
}
