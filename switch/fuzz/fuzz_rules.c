/*
 * libFuzzer target: switch rules. Any bytes are read as JSON, then as an
 * array of rules (or one rule); rules that parse must (1) print canonical
 * JSON that parses again to an equal rule, (2) format as one line, (3) go
 * into a model switch that (4) classifies a few frames and (5) deletes them
 * again by cookie, leaving it empty.
 *
 * Longer run: build with clang (CC=clang cmake -DE2_FUZZ=ON ...) and
 *   ./fuzz_sw_rules -max_total_time=3600 CORPUS_DIR switch/fuzz/seeds/rules
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2/switch.h"

static const uint8_t frames[][64] = {
    /* IPv4 UDP 10.0.0.1:1000 > 10.1.0.1:5000 */
    {2, 0,  0,  0, 0, 2,  2, 0, 0, 0,  0, 1, 8, 0,    0x45, 0,    0,    28, 0, 1, 0,
     0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 0, 1, 0x03, 0xe8, 0x13, 0x88, 0,  8, 0, 0},
    /* Ethernet + NSH (SPI 5, SI 255) + Ethernet */
    {2, 0xe2, 0, 0,    0, 1, 0, 0, 0, 0, 0, 0, 0x89, 0x4f, 0x0f, 0xc2, 2,    3,
     0, 0,    5, 0xff, 2, 0, 0, 0, 0, 2, 2, 0, 0,    0,    0,    1,    0x08, 0x06},
};

static void check_rule(const struct e2_sw_rule *r)
{
    struct e2_sw_rule again;
    struct e2_err err;
    char line[512];
    json_t *j = e2_sw_rule_to_json(r);
    if (e2_sw_rule_parse(j, "again", &again, &err) || e2_sw_rule_cmp(r, &again)) abort();
    json_decref(j);
    e2_sw_rule_format(r, line, sizeof(line));
}

static void through_model(const json_t *rules, const struct e2_sw_rule *r, size_t n)
{
    struct e2_err err;
    struct e2_sw *sw = e2_sw_open("model:rules=100000,latency_us=1", &err);
    static struct e2_sw_verdict v;
    if (!sw) abort();
    if (e2_sw_apply(sw, rules, NULL, &err) == 0) {
        for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++)
            for (uint32_t port = 1; port <= 3; port++)
                e2_sw_model_classify(sw, frames[f], sizeof(frames[f]), port, &v, &err);
        json_t *cookies = json_array(), *left = NULL;
        for (size_t i = 0; i < n; i++) json_array_append_new(cookies, json_integer(r[i].cookie));
        if (e2_sw_apply(sw, NULL, cookies, &err) || e2_sw_rules(sw, &left, &err) ||
            json_array_size(left))
            abort();
        json_decref(cookies);
        json_decref(left);
    }
    e2_sw_close(sw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j) return 0;
    json_t *rules = json_is_array(j) ? json_incref(j) : json_pack("[O]", j);
    struct e2_sw_rule *r = NULL;
    size_t n = 0;
    struct e2_err err;
    if (e2_sw_rules_parse(rules, &r, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) check_rule(&r[i]);
        through_model(rules, r, n);
    }
    free(r);
    json_decref(rules);
    json_decref(j);
    return 0;
}
