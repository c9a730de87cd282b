/* The model switch: atomic applies, table-full, counters, simulated latency, the classifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/switch.h"
#include "frames.h"

static json_t *j(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v) fail_msg("bad test JSON: %s", jerr.text);
    return v;
}

static struct e2_sw *open_model(const char *uri)
{
    struct e2_err err = {0};
    struct e2_sw *sw = e2_sw_open(uri, &err);
    if (!sw) fail_msg("%s", err.msg);
    return sw;
}

static int apply(struct e2_sw *sw, const char *rules, const char *del, struct e2_err *err)
{
    json_t *r = rules ? j(rules) : NULL, *d = del ? j(del) : NULL;
    int rc = e2_sw_apply(sw, r, d, err);
    json_decref(r);
    json_decref(d);
    return rc;
}

static void apply_ok(struct e2_sw *sw, const char *rules, const char *del)
{
    struct e2_err err = {0};
    if (apply(sw, rules, del, &err)) fail_msg("%s", err.msg);
}

static char *rules_text(struct e2_sw *sw)
{
    json_t *r;
    struct e2_err err = {0};
    assert_int_equal(e2_sw_rules(sw, &r, &err), 0);
    char *s = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return s;
}

/* 5 entries: a port range 1000-1003 (one block) times flow IDs [0, 5) (two blocks), + 3. */
static const char *const base_rules =
    "[{\"table\": 1, \"priority\": 5, \"cookie\": 1, \"match\": {\"ip_proto\": 17, \"dst_port\": "
    "\"1000-1003\", \"flow_range\": [0, 5]}, \"actions\": [{\"output\": 2}]},"
    " {\"priority\": 9, \"cookie\": 2, \"match\": {\"in_port\": 1}, \"actions\": [{\"output\": "
    "3}]},"
    " {\"priority\": 8, \"cookie\": 2, \"match\": {\"in_port\": 1}, \"actions\": [{\"output\": "
    "4}]},"
    " {\"priority\": 7, \"cookie\": 3, \"match\": {\"in_port\": 2}, \"actions\": [{\"output\": "
    "4}]}]";

static void applies_all_or_nothing(void **state)
{
    (void)state;
    struct e2_sw *sw = open_model("model:rules=6");
    struct e2_err err = {0};
    apply_ok(sw, base_rules, NULL);
    char *before = rules_text(sw);
    assert_non_null(strstr(before, "\"cookie\":1"));
    /* One bad rule: nothing changes, the message names it. */
    assert_int_equal(apply(sw,
                           "[{\"actions\": []}, {\"cookie\": 9, \"actions\": []}, "
                           "{\"actions\": [{\"goto_table\": 0}]}]",
                           "[1, 2]", &err),
                     -EINVAL);
    assert_string_equal(err.msg, "rules[2].actions[0].goto_table: 0 is out of range 1..253");
    assert_int_equal(apply(sw, NULL, "[1, -4]", &err), -EINVAL);
    assert_string_equal(err.msg, "delete[1]: a cookie is a whole number 0..4294967295");
    /* Too many entries: nothing changes, the message counts. */
    assert_int_equal(apply(sw,
                           "[{\"cookie\": 4, \"match\": {\"flow_range\": [1, 6]}, "
                           "\"actions\": []}]",
                           "[3]", &err),
                     -ENOSPC);
    assert_string_equal(err.msg, "table full: this change adds 3 entries (1 rules) but 2 fit (the "
                                 "switch holds 6 entries, 4 stay in use); nothing changed");
    char *after = rules_text(sw);
    assert_string_equal(before, after);
    free(after);
    /* Deleting makes room: the same change with cookie 2's two entries gone fits. */
    apply_ok(sw, "[{\"cookie\": 4, \"match\": {\"flow_range\": [1, 6]}, \"actions\": []}]", "[2]");
    after = rules_text(sw);
    assert_null(strstr(after, "\"cookie\":2"));
    assert_non_null(strstr(after, "\"cookie\":4"));
    free(after);
    free(before);
    e2_sw_close(sw);
}

/* Install time is latency_us per entry written, accounted and not slept. */
static void accounts_simulated_latency(void **state)
{
    (void)state;
    struct e2_sw *sw = open_model("model:rules=100,latency_us=2500");
    struct e2_sw_stats st;
    struct e2_err err = {0};
    apply_ok(sw, base_rules, NULL);
    assert_int_equal(e2_sw_stats(sw, &st, &err), 0);
    assert_string_equal(st.driver, "model");
    assert_true(st.simulated);
    assert_int_equal(st.rules, 4);
    assert_int_equal(st.entries, 5);
    assert_int_equal(st.capacity, 100);
    assert_int_equal(st.entries_added, 5);
    assert_true(st.last_apply_us == 5 * 2500.0);
    apply_ok(sw, NULL, "[1]"); /* 2 entries deleted */
    assert_int_equal(e2_sw_stats(sw, &st, &err), 0);
    assert_true(st.last_apply_us == 2 * 2500.0);
    assert_true(st.total_apply_us == 7 * 2500.0);
    assert_int_equal(st.applies, 2);
    assert_int_equal(st.entries, 3);
    e2_sw_close(sw);
}

static void rejects_bad_uris(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"model:rules=0", "model switch: rules=0 is not 1..100000000"},
        {"model:latency_us=-1", "model switch: latency_us=-1 is not a time in us"},
        {"model:size=3", "model switch: unknown parameter 'size=3' (rules, latency_us)"},
        {"ovs:file:/tmp/x",
         "switch 'ovs:file:/tmp/x': expected ovs:unix:PATH or ovs:tcp:HOST:PORT"},
        {"of:1", "switch 'of:1': expected model:rules=N,latency_us=L, ovs:unix:PATH or "
                 "ovs:tcp:HOST:PORT"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct e2_err err = {0};
        assert_null(e2_sw_open(bad[i][0], &err));
        assert_string_equal(err.msg, bad[i][1]);
    }
}

/*
 * The rack of data/rack_rules.json: table 0 hashes the 5-tuple of UDP from
 * port 1, table 1 splits the flow IDs in four ranges alternating between
 * the servers on ports 2 and 3, each with its own SPI; port 2 sends NSH
 * with SPI 0xffff00 out of port 1; eth_dst 02:e2:00:00:00:12 goes to port 3.
 */
static const uint8_t server_mac[2][6] = {{2, 0xe2, 0, 0, 0, 0x11}, {2, 0xe2, 0, 0, 0, 0x12}};

static struct e2_sw *open_rack(void)
{
    struct e2_sw *sw = open_model("model:");
    json_error_t jerr;
    struct e2_err err = {0};
    json_t *rules = json_load_file(E2_SW_TESTDATA "/rack_rules.json", 0, &jerr);
    assert_non_null(rules);
    if (e2_sw_apply(sw, rules, NULL, &err)) fail_msg("%s", err.msg);
    json_decref(rules);
    return sw;
}

static struct e2_sw_verdict verdict;

static void classify_ok(struct e2_sw *sw, const uint8_t *frame, size_t len, uint32_t port)
{
    struct e2_err err = {0};
    if (e2_sw_model_classify(sw, frame, len, port, &verdict, &err)) fail_msg("%s", err.msg);
}

/* The packet counter of the rule with @cookie. */
static uint64_t packets_of(struct e2_sw *sw, uint32_t cookie)
{
    json_t *r, *rule;
    size_t i;
    struct e2_err err = {0};
    uint64_t n = ~0ull;
    assert_int_equal(e2_sw_counters(sw, &r, &err), 0);
    json_array_foreach(r, i, rule)
    {
        if (json_integer_value(json_object_get(rule, "cookie")) == cookie)
            n = (uint64_t)json_integer_value(
                json_object_get(json_object_get(rule, "counters"), "packets"));
    }
    json_decref(r);
    return n;
}

static void classifies_ingress_by_flow_id(void **state)
{
    (void)state;
    struct e2_sw *sw = open_rack();
    uint8_t frame[256];
    unsigned seed = 7, per_range[4] = {0};
    const unsigned n = 400;
    for (unsigned i = 0; i < n; i++) {
        struct tf_flow f = {.dst = {2, 0xe2, 0, 0, 0, 1},
                            .src = {2, 0, 0, 0, 0, 2},
                            .sip = 0x0a000000u + (uint32_t)rand_r(&seed) % 0x300,
                            .dip = 0x0a010001,
                            .proto = 17,
                            .sport = (uint16_t)rand_r(&seed),
                            .dport = 5000};
        size_t len = tf_frame(frame, &f, 18);
        uint32_t id = e2_ovs_flow_id(frame, len, E2_OVS_HASH_SYMMETRIC_L3L4_UDP, 16);
        unsigned q = id / 16384;
        classify_ok(sw, frame, len, 1);
        assert_true(verdict.has_flow_id);
        assert_int_equal(verdict.flow_id, id);
        assert_int_equal(verdict.n_hits, 2);
        assert_int_equal(verdict.hit_cookie[1], 10 + q);
        assert_int_equal(verdict.n_out, 1);
        assert_int_equal(verdict.out[0].port, 2 + q % 2);
        /* Ethernet to the server (no source), NSH MD-2 with the range's SPI, the frame. */
        const uint8_t *o = verdict.out[0].frame;
        assert_int_equal(verdict.out[0].len, 22 + len);
        assert_memory_equal(o, server_mac[q % 2], 6);
        assert_memory_equal(o + 6, "\0\0\0\0\0\0\x89\x4f\x0f\xc2\x02\x03\0\0", 14);
        assert_int_equal(o[20], 10 + q);
        assert_int_equal(o[21], q == 3 ? 254 : 255);
        assert_memory_equal(o + 22, frame, len);
        per_range[q]++;
    }
    assert_int_equal(packets_of(sw, 1), n);
    for (unsigned q = 0; q < 4; q++) {
        assert_int_equal(packets_of(sw, 10 + q), per_range[q]);
        assert_true(per_range[q] > n / 8); /* the hash spreads */
    }
    e2_sw_close(sw);
}

static void classifies_egress_and_edges(void **state)
{
    (void)state;
    struct e2_sw *sw = open_rack();
    uint8_t frame[256], nsh[300];
    struct tf_flow f = {.dst = {2, 0, 0, 0, 0, 9},
                        .src = {2, 0, 0, 0, 0, 8},
                        .sip = 0x0a010001,
                        .dip = 0x08080808,
                        .proto = 6,
                        .sport = 80,
                        .dport = 40000};
    size_t len = tf_frame(frame, &f, 6);
    /* Server -> outside: Ethernet + NSH (SPI 0xffff00, MD-2 with one 8-byte TLV) + the frame. */
    static const uint8_t head[] = {2,    0xe2, 0,    0,    0,    1,    2,    0xe2, 0,    0,
                                   0,    0x10, 0x89, 0x4f, 0x0f, 0xc4, 0x02, 0x03, 0xff, 0xff,
                                   0x00, 0xff, 0xe2, 0xe2, 0x10, 0x04, 0,    0,    0,    42};
    memcpy(nsh, head, sizeof(head));
    memcpy(nsh + sizeof(head), frame, len);
    classify_ok(sw, nsh, sizeof(head) + len, 2);
    assert_int_equal(verdict.n_out, 1);
    assert_int_equal(verdict.out[0].port, 1);
    assert_int_equal(verdict.out[0].len, len);
    assert_memory_equal(verdict.out[0].frame, frame, len);
    assert_false(verdict.has_flow_id);
    /* NSH that does not carry Ethernet cannot be popped: dropped. */
    nsh[17] = 0x01;
    classify_ok(sw, nsh, sizeof(head) + len, 2);
    assert_int_equal(verdict.n_out, 0);
    assert_int_equal(verdict.n_hits, 1);
    /* Output to the ingress port is skipped; nothing for other MACs: a miss. */
    memcpy(frame, server_mac[1], 6);
    classify_ok(sw, frame, len, 3);
    assert_int_equal(verdict.n_out, 0);
    assert_int_equal(verdict.hit_cookie[0], 21);
    classify_ok(sw, frame, len, 4);
    assert_int_equal(verdict.out[0].port, 3);
    memcpy(frame, server_mac[0], 6);
    classify_ok(sw, frame, len, 4);
    assert_int_equal(verdict.n_hits, 0);
    /* TCP from port 1 does not match the UDP hash rule either. */
    classify_ok(sw, frame, len, 1);
    assert_int_equal(verdict.n_hits, 0);
    struct e2_err err = {0};
    assert_int_equal(e2_sw_model_classify(sw, frame, 13, 1, &verdict, &err), -EINVAL);
    assert_string_equal(err.msg, "a frame of 13 bytes: expected 14..2048");
    e2_sw_close(sw);
}

/* An add in the same slot replaces the rule and keeps its counters (OVS does too). */
static void same_slot_replaces(void **state)
{
    (void)state;
    struct e2_sw *sw = open_model("model:");
    uint8_t frame[128];
    struct tf_flow f = {.dst = {2, 0, 0, 0, 0, 9}, .src = {2, 0, 0, 0, 0, 8}, .proto = 17};
    size_t len = tf_frame(frame, &f, 0);
    apply_ok(sw, "[{\"cookie\": 5, \"match\": {\"in_port\": 7}, \"actions\": [{\"output\": 1}]}]",
             NULL);
    classify_ok(sw, frame, len, 7);
    apply_ok(sw, "[{\"cookie\": 6, \"match\": {\"in_port\": 7}, \"actions\": [{\"output\": 2}]}]",
             NULL);
    classify_ok(sw, frame, len, 7);
    assert_int_equal(verdict.out[0].port, 2);
    char *s = rules_text(sw);
    assert_string_equal(s,
                        "[{\"table\":0,\"priority\":32768,\"cookie\":6,\"match\":{\"in_port\":7},"
                        "\"actions\":[{\"output\":2}]}]");
    free(s);
    assert_int_equal(packets_of(sw, 6), 2);
    e2_sw_close(sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(applies_all_or_nothing),
        cmocka_unit_test(accounts_simulated_latency),
        cmocka_unit_test(rejects_bad_uris),
        cmocka_unit_test(classifies_ingress_by_flow_id),
        cmocka_unit_test(classifies_egress_and_edges),
        cmocka_unit_test(same_slot_replaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
