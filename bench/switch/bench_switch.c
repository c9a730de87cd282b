/*
 * bench_switch OVS_URI [--rules N] [--single M] [--model-latency-us L]
 *
 * How fast rules go into the switch: N one-entry rules in one apply (one
 * OpenFlow bundle on OVS), M rules applied one by one (one bundle, one
 * ovs-ofctl run each, as a controller without batching pays), deleting the
 * N rules by cookie, and the same N into the model switch configured with L
 * us per entry (its simulated time). Prints RESULT and RATIO lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2/switch.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* @n one-entry rules of @cookie in table 1: TCP to ports @first.., to port 2. */
static json_t *rules(unsigned first, unsigned n, unsigned cookie)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{sisisis{sisi}s[{si}]}", "table", 1, "priority", 10,
                                           "cookie", cookie, "match", "ip_proto", 6, "dst_port",
                                           first + i, "actions", "output", 2));
    return a;
}

static void apply(struct e2_sw *sw, json_t *add, json_t *del)
{
    struct e2_err err = {0};
    if (e2_sw_apply(sw, add, del, &err)) {
        fprintf(stderr, "bench_switch: %s\n", err.msg);
        exit(1);
    }
    json_decref(add);
    json_decref(del);
}

static struct e2_sw *open_or_die(const char *uri)
{
    struct e2_err err = {0};
    struct e2_sw *sw = e2_sw_open(uri, &err);
    if (!sw) {
        fprintf(stderr, "bench_switch: %s\n", err.msg);
        exit(1);
    }
    return sw;
}

static void ratio(const char *name, double ours, double peer, const char *unit)
{
    printf("RATIO %s %.2f (%.0f vs %.0f %s)\n", name, peer > 0 ? ours / peer : 0, ours, peer, unit);
}

int main(int argc, char **argv)
{
    unsigned n = 2000, m = 100;
    double latency_us = 1000;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rules"))
            n = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--single"))
            m = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model-latency-us"))
            latency_us = atof(argv[i + 1]);
    }
    if (argc < 2 || argc % 2 || !n || !m || n + m > 60000) {
        fprintf(stderr, "usage: bench_switch OVS_URI [--rules N] [--single M] "
                        "[--model-latency-us L]\n");
        return 2;
    }
    struct e2_sw *ovs = open_or_die(argv[1]);
    double t = now_s();
    apply(ovs, rules(1, n, 1), NULL);
    double bundle = n / (now_s() - t);
    t = now_s();
    for (unsigned i = 0; i < m; i++) apply(ovs, rules(n + 1 + i, 1, 2), NULL);
    double single = m / (now_s() - t);
    t = now_s();
    apply(ovs, NULL, json_pack("[ii]", 1, 2));
    double del = (n + m) / (now_s() - t);
    e2_sw_close(ovs);

    char uri[64];
    snprintf(uri, sizeof(uri), "model:rules=%u,latency_us=%g", n, latency_us);
    struct e2_sw *model = open_or_die(uri);
    struct e2_sw_stats st;
    struct e2_err err = {0};
    apply(model, rules(1, n, 1), NULL);
    e2_sw_stats(model, &st, &err);
    double simulated = n / (st.last_apply_us / 1e6);
    e2_sw_close(model);

    printf("RESULT switch_ovs_bundle_rules_per_s %.0f rules/s\n", bundle);
    printf("RESULT switch_ovs_single_rules_per_s %.0f rules/s\n", single);
    printf("RESULT switch_ovs_delete_rules_per_s %.0f rules/s\n", del);
    printf("RESULT switch_model_rules_per_s %.0f rules/s\n", simulated);
    ratio("switch_ovs_bundle_vs_single", bundle, single, "rules/s");
    ratio("switch_ovs_bundle_vs_model", bundle, simulated, "rules/s");
    return 0;
}
