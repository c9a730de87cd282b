/* Shared by the planner tests: fixtures, and small pGraphs written inline. */
#ifndef E2_PLANNER_TEST_HELPERS_H
#define E2_PLANNER_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2_igraph.h"

static inline struct e2_hw *load_hw(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", E2_PLANNER_DATA, name);
    struct e2_hw *hw = NULL;
    struct e2_err err = {0};
    if (e2_hw_load(path, &hw, &err)) fail_msg("%s", err.msg);
    return hw;
}

static inline struct e2_plan_pgraph *load_pgraph(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", E2_PLANNER_DATA, name);
    struct e2_plan_pgraph *pg = NULL;
    struct e2_err err = {0};
    if (e2_plan_pgraph_load(path, &pg, &err)) fail_msg("%s", err.msg);
    return pg;
}

static inline struct e2_hw *hw_from_yaml(const char *yaml)
{
    struct e2_hw *hw = NULL;
    struct e2_err err = {0};
    if (e2_hw_parse(yaml, strlen(yaml), "test.yaml", &hw, &err)) fail_msg("%s", err.msg);
    return hw;
}

/* A pGraph from JSON text; NULL with err filled when the loader refuses it. */
static inline struct e2_plan_pgraph *pgraph_from_text(const char *text, struct e2_err *err)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) fail_msg("test JSON does not parse: %s at %d:%d", jerr.text, jerr.line, jerr.column);
    struct e2_plan_pgraph *pg = NULL;
    e2_plan_pgraph_from_json(j, "test", &pg, err);
    json_decref(j);
    return pg;
}

static inline struct e2_plan_pgraph *pgraph_ok(const char *text)
{
    struct e2_err err = {0};
    struct e2_plan_pgraph *pg = pgraph_from_text(text, &err);
    if (!pg) fail_msg("%s", err.msg);
    return pg;
}

/*
 * An NF description as JSON text: type, throughput per core-GHz (a rate),
 * affinity fields (a JSON array text), symmetric, rewrites (array text).
 */
static inline const char *nf_json(char *buf, size_t len, const char *type, const char *tput,
                                  const char *fields, int symmetric, const char *rewrites)
{
    snprintf(buf, len,
             "{\"nf_type\":\"%s\",\"api\":\"native\",\"scaling\":{\"across_cores\":true,"
             "\"across_servers\":true},\"affinity\":{\"fields\":%s,\"symmetric\":%s},"
             "\"performance\":{\"throughput_per_core_per_ghz\":\"%s\"},\"rewrites\":%s}",
             type, fields, symmetric ? "true" : "false", tput, rewrites);
    return buf;
}

#define T5 "[\"src_ip\",\"dst_ip\",\"proto\",\"src_port\",\"dst_port\"]"

/*
 * Fig. 4(a): in -> A -> B -> out, with @rate on every edge (bits/s) and the
 * given descriptions of A and B.
 */
static inline struct e2_plan_pgraph *fig4_pgraph(const char *a_desc, const char *b_desc,
                                                 long long rate)
{
    char text[4096];
    snprintf(
        text, sizeof(text),
        "{\"format\":\"e2-pgraph/1\",\"policy\":\"fig4\",\"nodes\":["
        "{\"name\":\"in\",\"kind\":\"port\",\"switch_ports\":[0,1]},"
        "{\"name\":\"A\",\"kind\":\"nf\",\"nf_type\":\"TA\",\"nf\":%s},"
        "{\"name\":\"B\",\"kind\":\"nf\",\"nf_type\":\"TB\",\"nf\":%s},"
        "{\"name\":\"out\",\"kind\":\"port\",\"switch_ports\":[2]}],\"edges\":["
        "{\"id\":0,\"src\":\"in\",\"dst\":\"A\",\"filter\":\"\",\"bw_bps\":%lld,\"root\":true},"
        "{\"id\":1,\"src\":\"A\",\"dst\":\"B\",\"filter\":\"\",\"bw_bps\":%lld,\"root\":false},"
        "{\"id\":2,\"src\":\"B\",\"dst\":\"out\",\"filter\":\"\",\"bw_bps\":%lld,\"root\":false}]}",
        a_desc, b_desc, rate, rate, rate);
    return pgraph_ok(text);
}

/* in -> X, Y, Z at 6 Gbit/s each, out again: more than one 10 Gbit/s NIC can take. */
static inline struct e2_plan_pgraph *three_heavy_entries(void)
{
    char d[3][512];
    const char *names[] = {"X", "Y", "Z"};
    for (int i = 0; i < 3; i++) nf_json(d[i], sizeof(d[i]), names[i], "10G", T5, 0, "[]");
    char text[4096];
    snprintf(text, sizeof(text),
             "{\"format\":\"e2-pgraph/1\",\"nodes\":[{\"name\":\"in\",\"kind\":\"port\","
             "\"switch_ports\":[0]},{\"name\":\"X\",\"kind\":\"nf\",\"nf_type\":\"X\",\"nf\":%s},"
             "{\"name\":\"Y\",\"kind\":\"nf\",\"nf_type\":\"Y\",\"nf\":%s},"
             "{\"name\":\"Z\",\"kind\":\"nf\",\"nf_type\":\"Z\",\"nf\":%s}],\"edges\":["
             "{\"id\":0,\"src\":\"in\",\"dst\":\"X\",\"filter\":\"tcp\",\"bw_bps\":6000000000,"
             "\"root\":true},"
             "{\"id\":1,\"src\":\"in\",\"dst\":\"Y\",\"filter\":\"udp\",\"bw_bps\":6000000000,"
             "\"root\":true},"
             "{\"id\":2,\"src\":\"in\",\"dst\":\"Z\",\"filter\":\"icmp\",\"bw_bps\":6000000000,"
             "\"root\":true},"
             "{\"id\":3,\"src\":\"X\",\"dst\":\"in\",\"filter\":\"\",\"root\":false},"
             "{\"id\":4,\"src\":\"Y\",\"dst\":\"in\",\"filter\":\"\",\"root\":false},"
             "{\"id\":5,\"src\":\"Z\",\"dst\":\"in\",\"filter\":\"\",\"root\":false}]}",
             d[0], d[1], d[2]);
    return pgraph_ok(text);
}

/* Rack of @n servers with @cores cores (1 for the dataplane), @gbps Gbit/s NICs, 2.5 GHz. */
static inline struct e2_hw *rack_nic(unsigned n, unsigned cores, unsigned gbps)
{
    char y[4096];
    size_t k = (size_t)snprintf(y, sizeof(y), "servers:\n");
    for (unsigned i = 0; i < n; i++)
        k += (size_t)snprintf(y + k, sizeof(y) - k,
                              "  - {name: s%u, cores: %u, ghz: 2.5, nic: %u Gbit/s, "
                              "dataplane_cores: 1, switch_port: %u}\n",
                              i, cores, gbps, 16 + i);
    snprintf(y + k, sizeof(y) - k,
             "switch: {ports: 64, external_ports: [0-15], flow_table_size: 2048, "
             "rule_update_latency: 3ms, actions: [forward, drop, hash_select]}\n");
    return hw_from_yaml(y);
}

/* The same with 10 Gbit/s NICs. */
static inline struct e2_hw *rack(unsigned n, unsigned cores)
{
    return rack_nic(n, cores, 10);
}

#endif
