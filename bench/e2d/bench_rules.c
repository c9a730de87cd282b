/*
 * bench_rules — how fast a running e2d takes FlowHash range updates over its
 * control socket, the way the agent will send them: one request per rule
 * (add, then delete) and one set_ranges request carrying 100 rules. A
 * "status" request, which changes nothing, gives the socket's round trip
 * for comparison.
 *
 * Usage: bench_rules -s SOCKET -m MODULE [-n ROUNDS]
 * The module must be a FlowHash with bits >= 16 whose ranges leave
 * [32768, 65536) free.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "client.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void call(struct e2_client *c, json_t *req)
{
    struct e2_err err = {0};
    json_t *r = NULL;
    if (e2_client_call(c, req, &r, &err)) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        exit(1);
    }
    json_decref(r);
    json_decref(req);
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *module = "fh";
    int n = 2000, opt;
    while ((opt = getopt(argc, argv, "s:m:n:")) != -1) {
        if (opt == 's')
            sock = optarg;
        else if (opt == 'm')
            module = optarg;
        else if (opt == 'n')
            n = atoi(optarg);
        else
            return 2;
    }
    if (!sock || n <= 0) {
        fprintf(stderr, "usage: bench_rules -s SOCKET [-m MODULE] [-n ROUNDS]\n");
        return 2;
    }
    struct e2_err err = {0};
    struct e2_client *c = e2_client_open(sock, &err);
    if (!c) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        return 1;
    }
    double t0 = now_us();
    for (int i = 0; i < n; i++) call(c, json_pack("{s:s}", "op", "status"));
    double per_status = (now_us() - t0) / n;
    t0 = now_us();
    for (int i = 0; i < n; i++) {
        int lo = 32768 + (i % 64) * 16;
        call(c, json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:i}}", "op", "module_cmd", "module",
                          module, "cmd", "add_range", "arg", "lo", lo, "hi", lo + 16, "gate", 1));
        call(c, json_pack("{s:s, s:s, s:s, s:{s:i, s:i}}", "op", "module_cmd", "module", module,
                          "cmd", "delete_range", "arg", "lo", lo, "hi", lo + 16));
    }
    double per_rule = (now_us() - t0) / (2.0 * n);
    json_t *ranges = json_array();
    for (int i = 0; i < 100; i++)
        json_array_append_new(
            ranges, json_pack("{s:i, s:i, s:i}", "lo", i * 64, "hi", i * 64 + 64, "gate", i % 2));
    int batches = n / 10 > 0 ? n / 10 : 1;
    t0 = now_us();
    for (int i = 0; i < batches; i++)
        call(c, json_pack("{s:s, s:s, s:s, s:{s:O}}", "op", "module_cmd", "module", module, "cmd",
                          "set_ranges", "arg", "ranges", ranges));
    double per_batched = (now_us() - t0) / (batches * 100.0);
    json_decref(ranges);
    e2_client_close(c);
    printf("RESULT socket_status_roundtrip_us %.2f us\n", per_status);
    printf("RESULT socket_rule_update_us %.2f us\n", per_rule);
    printf("RESULT socket_rule_update_batched_us %.3f us\n", per_batched);
    printf("RATIO socket_rule_update_vs_paper %.3f (%.2f vs 20 us per rule, E2 paper 7.2)\n",
           per_rule / 20.0, per_rule);
    return 0;
}
