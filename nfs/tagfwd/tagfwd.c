/*
 * tagfwd — the minimal native NF: forward packets from port "in" to port
 * "out", setting a metadata tag on each.
 *
 *   e2nf-tagfwd -n INSTANCE [-s SOCKET] [-t TAG=VALUE] [--poll] [--cpu N]
 *
 * It sleeps in e2nf_wait() when no packets come (so it can share a core),
 * unless --poll makes it spin. On SIGINT/SIGTERM it detaches cleanly and
 * prints what it forwarded. See docs/nf-api.md.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/nf.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: e2nf-tagfwd -n INSTANCE [-s SOCKET] [-t TAG=VALUE] [--poll] [--cpu N]\n"
                 "Forward packets from port 'in' to port 'out' of NF INSTANCE, setting metadata tag TAG.\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"name", required_argument, NULL, 'n'},   {"socket", required_argument, NULL, 's'},
                                          {"tag", required_argument, NULL, 't'},    {"poll", no_argument, NULL, 'p'},
                                          {"cpu", required_argument, NULL, 'c'},    {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *name = NULL, *tag = NULL;
    struct e2nf_opts opts = {.cpu = -1};
    bool poll = false;
    int c;
    while ((c = getopt_long(argc, argv, "n:s:t:h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 's': opts.socket = optarg; break;
        case 't': tag = optarg; break;
        case 'p': poll = true; break;
        case 'c': opts.cpu = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!name) {
        usage(stderr);
        return 2;
    }
    char tag_name[64] = "";
    uint32_t tag_value = 0;
    if (tag && sscanf(tag, "%63[^=]=%u", tag_name, &tag_value) != 2) {
        fprintf(stderr, "e2nf-tagfwd: --tag wants NAME=VALUE, not '%s'\n", tag);
        return 2;
    }
    struct e2nf *nf;
    struct e2_err err = {0};
    if (e2nf_attach(name, &opts, &nf, &err)) {
        fprintf(stderr, "e2nf-tagfwd: %s\n", err.msg);
        return 1;
    }
    int in = e2nf_port(nf, "in"), out = e2nf_port(nf, "out");
    int slot = tag ? e2nf_tag(nf, tag_name) : -1;
    if (in < 0 || out < 0 || (tag && slot < 0)) {
        fprintf(stderr, "e2nf-tagfwd: NF '%s' needs ports 'in' and 'out'%s%s%s\n", name, tag ? " and tag '" : "",
                tag ? tag_name : "", tag ? "'" : "");
        e2nf_detach(nf);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint64_t forwarded = 0, dropped = 0;
    while (!stop) {
        struct rte_mbuf *pkts[32];
        uint16_t n = e2nf_rx_burst(nf, (unsigned)in, 0, pkts, 32);
        if (n == 0) {
            if (!poll) e2nf_wait(nf, 100000);
            continue;
        }
        if (slot >= 0)
            for (uint16_t i = 0; i < n; i++) e2_meta_set_tag(pkts[i], (unsigned)slot, tag_value);
        uint16_t sent = e2nf_tx_burst(nf, (unsigned)out, 0, pkts, n);
        forwarded += sent;
        for (uint16_t i = sent; i < n; i++, dropped++) e2nf_drop(nf, pkts[i]);
    }
    e2nf_detach(nf);
    printf("{\"forwarded\": %llu, \"dropped\": %llu}\n", (unsigned long long)forwarded, (unsigned long long)dropped);
    return 0;
}
