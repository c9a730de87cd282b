/*
 * legacy_loop — the e2nf-probe "loop" NF's logic over ordinary Linux raw
 * sockets: the peer e2d's native vports are measured against (E2 paper,
 * Table 1, "Legacy API").
 *
 * It sends stamped packets out of interface OUT and takes them back on
 * interface IN (e2d forwards from the other end of OUT's veth to the other
 * end of IN's), batching with sendmmsg/recvmmsg and polling without
 * blocking, like the native probe polls its rings.
 *
 *   legacy_loop -o OUT -i IN [-l BYTES] [-w SECONDS] [--pingpong -c COUNT]
 *
 * Prints the same JSON line as e2nf-probe loop.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "e2_hist.h"

#define BATCH       32
#define PAYLOAD_OFF 42
#define FRAME_MAX   2048

struct stamp {
    uint64_t seq, tsc;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TSC ticks per second, measured against the monotonic clock. */
static double tsc_hz(void)
{
    double t0 = now_s();
    uint64_t c0 = __rdtsc();
    while (now_s() - t0 < 0.1) {
    }
    return (double)(__rdtsc() - c0) / (now_s() - t0);
}

static int raw_socket(const char *ifname, bool receive)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, receive ? htons(ETH_P_ALL) : 0);
    if (fd < 0) return -1;
    struct sockaddr_ll sa = {.sll_family = AF_PACKET,
                             .sll_protocol = receive ? htons(ETH_P_ALL) : 0,
                             .sll_ifindex = (int)if_nametoindex(ifname)};
    if (!sa.sll_ifindex || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    int big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
    return fd;
}

static void build(uint8_t *p, unsigned len, uint64_t seq)
{
    memset(p, 0, PAYLOAD_OFF);
    memset(p, 0xff, 6); /* broadcast: the veths and e2d take it whatever their MACs */
    p[6] = 0x02;
    p[11] = 0x01;
    p[12] = 0x08; /* IPv4 */
    uint8_t *ip = p + 14;
    ip[0] = 0x45;
    uint16_t tl = htons((uint16_t)(len - 14));
    memcpy(ip + 2, &tl, 2);
    ip[8] = 64;
    ip[9] = 17;
    uint32_t src = htonl(0x0a000001), dst = htonl(0x0a010001);
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint8_t *udp = ip + 20;
    uint16_t ports[3] = {htons(1024), htons(9), htons((uint16_t)(len - 34))};
    memcpy(udp, ports, sizeof(ports));
    struct stamp st = {seq, __rdtsc()};
    memcpy(p + PAYLOAD_OFF, &st, sizeof(st));
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"pingpong", no_argument, NULL, 'G'}, {NULL, 0, NULL, 0}};
    const char *out_if = NULL, *in_if = NULL;
    unsigned len = 64;
    double secs = 5;
    uint64_t count = 0;
    bool pingpong = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:i:l:w:c:", longs, NULL)) != -1) {
        switch (c) {
        case 'o': out_if = optarg; break;
        case 'i': in_if = optarg; break;
        case 'l': len = (unsigned)atoi(optarg); break;
        case 'w': secs = atof(optarg); break;
        case 'c': count = strtoull(optarg, NULL, 10); break;
        case 'G': pingpong = true; break;
        default: return 2;
        }
    }
    if (!out_if || !in_if || len < PAYLOAD_OFF + sizeof(struct stamp) || len > 1514) {
        fprintf(stderr,
                "usage: legacy_loop -o OUT -i IN [-l BYTES] [-w SECONDS] [--pingpong -c COUNT]\n");
        return 2;
    }
    int tx = raw_socket(out_if, false), rx = raw_socket(in_if, true);
    if (tx < 0 || rx < 0) {
        perror("legacy_loop: raw socket");
        return 1;
    }
    double hz = tsc_hz();
    static uint8_t txbuf[BATCH][FRAME_MAX], rxbuf[BATCH][FRAME_MAX];
    struct mmsghdr txm[BATCH], rxm[BATCH];
    struct iovec txv[BATCH], rxv[BATCH];
    for (int i = 0; i < BATCH; i++) {
        txv[i] = (struct iovec){txbuf[i], len};
        rxv[i] = (struct iovec){rxbuf[i], FRAME_MAX};
        txm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &txv[i], .msg_iovlen = 1}};
        rxm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &rxv[i], .msg_iovlen = 1}};
    }
    struct e2_hist *lat = calloc(1, sizeof(*lat));
    uint64_t sent = 0, back = 0, window = pingpong ? 1 : 1024;
    double start = now_s();
    while (now_s() - start < secs && (!count || back < count)) {
        unsigned n = (unsigned)(window - (sent - back));
        if (n > BATCH) n = BATCH;
        for (unsigned i = 0; i < n; i++) build(txbuf[i], len, sent + i);
        int s = n ? sendmmsg(tx, txm, n, 0) : 0;
        if (s > 0) sent += (unsigned)s;
        int r = recvmmsg(rx, rxm, BATCH, MSG_DONTWAIT, NULL);
        uint64_t now = __rdtsc();
        for (int i = 0; i < r; i++) {
            struct stamp st;
            if (rxm[i].msg_len < PAYLOAD_OFF + sizeof(st)) continue;
            memcpy(&st, rxbuf[i] + PAYLOAD_OFF, sizeof(st));
            e2_hist_record(lat, now - st.tsc);
            back++;
        }
    }
    double elapsed = now_s() - start, ns = 1e9 / hz;
    printf("{\"sent\": %llu, \"received\": %llu, \"mpps\": %.3f, \"gbps\": %.3f, \"latency_ns\": "
           "{\"p50\": %.0f, "
           "\"p99\": %.0f, \"mean\": %.0f}}\n",
           (unsigned long long)sent, (unsigned long long)back, (double)back / elapsed / 1e6,
           (double)back * len * 8 / elapsed / 1e9, (double)e2_hist_percentile(lat, 50) * ns,
           (double)e2_hist_percentile(lat, 99) * ns, e2_hist_mean(lat) * ns);
    free(lat);
    return back ? 0 : 1;
}
