/*
 * e2nf-fw-block — send the "block this flow" signal (nfs/kit/e2_nfsig.h)
 * to a firewall, the way an IDS would: attach as NF instance NAME, send,
 * detach.
 *
 *   e2nf-fw-block -n NAME -s SOCKET -T FW SRC DST PROTO SPORT DPORT [TIMEOUT_S]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2/nf.h"
#include "e2_conf.h"
#include "e2_nfsig.h"

static int parse_flow(char **w, int n, struct e2_nfsig_block *b, struct e2_err *err)
{
    uint64_t sport, dport, timeout = 0;
    if (n < 5 || n > 6) return e2_err_set(err, EINVAL, "wants SRC DST PROTO SPORT DPORT [TIMEOUT]");
    if (e2_conf_ipv4(w[0], &b->flow.src_ip, err) || e2_conf_ipv4(w[1], &b->flow.dst_ip, err) ||
        e2_conf_proto(w[2], &b->flow.proto, err) ||
        e2_conf_uint(w[3], "port", 0, 65535, &sport, err) ||
        e2_conf_uint(w[4], "port", 0, 65535, &dport, err) ||
        (n == 6 && e2_conf_uint(w[5], "timeout", 0, UINT32_MAX, &timeout, err)))
        return -EINVAL;
    b->flow.src_port = (uint16_t)sport;
    b->flow.dst_port = (uint16_t)dport;
    b->timeout_s = (uint32_t)timeout;
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = NULL, *to = NULL;
    struct e2nf_opts opts = {.cpu = -1};
    int c;
    while ((c = getopt(argc, argv, "n:s:T:")) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 's')
            opts.socket = optarg;
        else if (c == 'T')
            to = optarg;
        else
            return 2;
    }
    struct e2_nfsig_block b = {0};
    struct e2_err err = {0};
    if (!name || !to || parse_flow(argv + optind, argc - optind, &b, &err)) {
        fprintf(stderr,
                "usage: e2nf-fw-block -n NAME -s SOCKET -T FW SRC DST PROTO SPORT DPORT "
                "[TIMEOUT_S]\n%s\n",
                err.msg);
        return 2;
    }
    struct e2nf *nf;
    if (e2nf_attach(name, &opts, &nf, &err)) {
        fprintf(stderr, "e2nf-fw-block: %s\n", err.msg);
        return 1;
    }
    int rc = e2nf_signal_send(nf, to, E2_NFSIG_BLOCK_FLOW, &b, sizeof(b), &err);
    if (rc) fprintf(stderr, "e2nf-fw-block: %s\n", err.msg);
    e2nf_detach(nf);
    return rc ? 1 : 0;
}
