/*
 * ovs_check URI NS_X1 NS_S1 NS_S2 NS_X2 — the OVS driver against a running
 * Open vSwitch (set up by ovs_switch.sh: OpenFlow ports 1..4 are the veths
 * "nic0" of the four namespaces, table 5 holds 4 flows).
 *
 *  - applied rules (data/rack_rules.json) read back equal to what the model
 *    switch holds, and
 *    `ovs-ofctl dump-flows` shows each rule's entries;
 *  - a change OVS refuses (table 5 full) or a bad rule changes nothing;
 *  - frames sent into port 1 leave by the port the model switch predicts,
 *    byte for byte (NSH with the right SPI); NSH frames from a server are
 *    decapsulated to the external port or forwarded to the other server;
 *    OVS's per-rule counters equal the model's;
 *  - for every OVS multipath field set, the flow ID OVS computed for each of
 *    many flows (seen as the range rule that rewrote the frame's eth_dst)
 *    equals ovs_hash.c's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "e2/switch.h"
#include "frames.h"

enum { X1, S1, S2, X2, N_PORTS };

static const char *uri;
static int fd[N_PORTS];
static struct e2_sw *ovs, *model;

/* A packet socket on "nic0" inside network namespace @ns. */
static int open_port(const char *ns)
{
    char path[256];
    snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
    int home = open("/proc/self/ns/net", O_RDONLY), there = open(path, O_RDONLY);
    assert_true(home >= 0 && there >= 0);
    assert_int_equal(setns(there, CLONE_NEWNET), 0);
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
    struct sockaddr_ll a = {.sll_family = AF_PACKET,
                            .sll_protocol = htons(ETH_P_ALL),
                            .sll_ifindex = (int)if_nametoindex("nic0")};
    int one = 1, big = 4 << 20;
    assert_true(s >= 0 && a.sll_ifindex > 0);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    assert_int_equal(setns(home, CLONE_NEWNET), 0);
    close(home);
    close(there);
    return s;
}

static void send_frame(int port, const uint8_t *frame, size_t len)
{
    for (int tries = 0; send(fd[port], frame, len, 0) < 0; tries++) {
        assert_true(errno == EAGAIN && tries < 1000);
        usleep(1000);
    }
}

struct rx {
    uint8_t frame[E2_SW_OUT_FRAME];
    size_t len;
};

/* Up to @want frames from @port, waiting at most @ms since the last one. */
static size_t receive(int port, struct rx *out, size_t want, int ms)
{
    size_t n = 0;
    struct pollfd p = {fd[port], POLLIN, 0};
    while (n < want && poll(&p, 1, ms) > 0) {
        ssize_t r;
        while (n < want && (r = recv(fd[port], out[n].frame, sizeof(out[n].frame), 0)) > 0)
            out[n++].len = (size_t)r;
    }
    return n;
}

static void drain(void)
{
    static struct rx junk[64];
    for (int p = 0; p < N_PORTS; p++)
        while (receive(p, junk, 64, 50) == 64) {
        }
}

static json_t *jparse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v) fail_msg("bad test JSON: %s", jerr.text);
    return v;
}

/* Apply the same change to OVS and to the model. */
static void apply_both(json_t *rules, json_t *del)
{
    struct e2_err err = {0};
    if (e2_sw_apply(ovs, rules, del, &err)) fail_msg("ovs: %s", err.msg);
    if (e2_sw_apply(model, rules, del, &err)) fail_msg("model: %s", err.msg);
}

static char *rules_text(struct e2_sw *sw, bool counters)
{
    json_t *r;
    struct e2_err err = {0};
    int rc = counters ? e2_sw_counters(sw, &r, &err) : e2_sw_rules(sw, &r, &err);
    if (rc) fail_msg("%s", err.msg);
    char *s = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return s;
}

/* Flows per E2 cookie in `ovs-ofctl dump-flows`, run here as an operator would. */
static void flows_per_cookie(unsigned *count, size_t n)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ovs-ofctl -O OpenFlow15 dump-flows %s", uri + strlen("ovs:"));
    FILE *p = popen(cmd, "r");
    char line[2048];
    memset(count, 0, n * sizeof(*count));
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        const char *c = strstr(line, "cookie=");
        unsigned long long v = c ? strtoull(c + 7, NULL, 0) : 0;
        if (c && (v >> 32) < n) count[v >> 32]++;
    }
    assert_int_equal(pclose(p), 0);
}

static const uint8_t mac_s2[6] = {2, 0xe2, 0, 0, 0, 0x12};

static void rules_read_back_and_show_in_dump(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *rules = json_load_file(E2_SW_TESTDATA "/rack_rules.json", 0, &jerr);
    assert_non_null(rules);
    apply_both(rules, NULL);
    char *a = rules_text(ovs, false), *b = rules_text(model, false);
    assert_string_equal(a, b);
    free(a);
    free(b);
    struct e2_sw_rule *r;
    size_t n;
    struct e2_err err = {0};
    unsigned want[32] = {0}, got[32];
    assert_int_equal(e2_sw_rules_parse(rules, &r, &n, &err), 0);
    for (size_t i = 0; i < n; i++) want[r[i].cookie] += (unsigned)e2_sw_rule_entries(&r[i]);
    flows_per_cookie(got, 32);
    assert_memory_equal(got, want, sizeof(want));
    assert_true(want[10] > 1); /* the ranges did expand */
    free(r);
    json_decref(rules);
}

static void refused_changes_change_nothing(void **state)
{
    (void)state;
    char *before = rules_text(ovs, false);
    unsigned flows_before[64], flows_after[64];
    flows_per_cookie(flows_before, 64);
    /* Five flows into table 5 (ports 1-6 are four blocks), which holds four: OVS refuses. */
    json_t *rules = jparse(
        "[{\"table\": 2, \"cookie\": 50, \"actions\": [{\"output\": 4}]},"
        " {\"table\": 5, \"cookie\": 51, \"match\": {\"ip_proto\": 6, \"dst_port\": \"1-6\"}, "
        "\"actions\": []},"
        " {\"table\": 5, \"cookie\": 51, \"match\": {\"ip_proto\": 6, \"dst_port\": 7}, "
        "\"actions\": []}]");
    json_t *del = jparse("[1, 20]");
    struct e2_err err = {0};
    int rc = e2_sw_apply(ovs, rules, del, &err);
    assert_string_equal(err.msg, "table full: this change adds 5 entries to table 5 but 4 fit (it "
                                 "holds 4, 0 in use); nothing changed");
    assert_int_equal(rc, -ENOSPC);
    json_decref(rules);
    /* A bad rule among good ones never reaches the switch. */
    rules = jparse("[{\"cookie\": 50, \"actions\": [{\"output\": 4}]},"
                   " {\"cookie\": 51, \"match\": {\"dst_port\": 80}, \"actions\": []}]");
    assert_int_equal(e2_sw_apply(ovs, rules, del, &err), -EINVAL);
    assert_string_equal(err.msg, "rules[1].match.dst_port: needs ip_proto 6, 17 or 132");
    char *after = rules_text(ovs, false);
    assert_string_equal(before, after);
    flows_per_cookie(flows_after, 64);
    assert_memory_equal(flows_before, flows_after, sizeof(flows_before));
    free(before);
    free(after);
    json_decref(rules);
    json_decref(del);
}

static struct e2_sw_verdict verdict;
static struct rx rx[2][512];

static size_t udp_frame(uint8_t *buf, unsigned seq, unsigned *seed, uint8_t proto)
{
    struct tf_flow f = {.dst = {2, 0xe2, 0, 0, 0, 0xfe},
                        .src = {2, 0, 0, 0, 1, 0},
                        .sip = 0x0a000000u + (uint32_t)rand_r(seed) % 0x300,
                        .dip = 0x0a010001,
                        .proto = proto,
                        .sport = (uint16_t)rand_r(seed),
                        .dport = (uint16_t)(5000 + rand_r(seed) % 1000)};
    f.src[5] = (uint8_t)rand_r(seed);
    size_t len = tf_frame(buf, &f, 16);
    memcpy(buf + len - 8, "E2SW", 4);
    tf_put32(buf + len - 4, seq);
    return len;
}

static uint32_t seq_of(const struct rx *r)
{
    const uint8_t *p = r->frame + r->len - 4;
    assert_memory_equal(p - 4, "E2SW", 4);
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Frames from x1 leave by the model's port, exactly as the model wrote them. */
static void frames_leave_where_the_model_says(void **state)
{
    (void)state;
    enum { N = 200 };
    static uint8_t want[N][E2_SW_OUT_FRAME];
    static size_t want_len[N];
    static int want_port[N];
    unsigned seed = 11, expect[2] = {0, 0};
    struct e2_err err = {0};
    uint8_t frame[256];
    drain();
    for (unsigned i = 0; i < N; i++) {
        size_t len = udp_frame(frame, i, &seed, 17);
        if (e2_sw_model_classify(model, frame, len, 1, &verdict, &err)) fail_msg("%s", err.msg);
        assert_int_equal(verdict.n_out, 1);
        want_port[i] = (int)verdict.out[0].port;
        want_len[i] = verdict.out[0].len;
        memcpy(want[i], verdict.out[0].frame, want_len[i]);
        expect[want_port[i] - 2]++;
        send_frame(X1, frame, len);
        if (i % 32 == 31) usleep(20000); /* bursts a busy ovs-vswitchd keeps up with */
    }
    assert_true(expect[0] > N / 4 && expect[1] > N / 4);
    for (int s = 0; s < 2; s++) {
        size_t got = receive(S1 + s, rx[s], expect[s], 3000);
        assert_int_equal(got, expect[s]);
        for (size_t k = 0; k < got; k++) {
            uint32_t i = seq_of(&rx[s][k]);
            assert_true(i < N);
            assert_int_equal(want_port[i], 2 + s);
            assert_int_equal(rx[s][k].len, want_len[i]);
            assert_memory_equal(rx[s][k].frame, want[i], want_len[i]);
        }
    }
    /* TCP matches no rule: dropped. */
    size_t len = udp_frame(frame, N, &seed, 6);
    send_frame(X1, frame, len);
    assert_int_equal(receive(S1, rx[0], 1, 300) + receive(S2, rx[1], 1, 300), 0);
}

/* Server -> outside: Ethernet + NSH (SPI 0xffff00, one MD-2 TLV) + the frame, out of x1 bare. */
static void nsh_frames_from_servers(void **state)
{
    (void)state;
    static const uint8_t head[] = {2,    0xe2, 0,    0,    0,    0xfe, 2,    0xe2, 0,    0,
                                   0,    0x11, 0x89, 0x4f, 0x0f, 0xc4, 0x02, 0x03, 0xff, 0xff,
                                   0x00, 0xff, 0xe2, 0xe2, 0x10, 0x04, 0,    0,    0,    42};
    uint8_t inner[256], egress[300], s2s[300];
    unsigned seed = 5;
    size_t len = udp_frame(inner, 7, &seed, 17), n = sizeof(head) + len;
    memcpy(egress, head, sizeof(head));
    memcpy(egress + sizeof(head), inner, len);
    drain();
    send_frame(S1, egress, n);
    assert_int_equal(receive(X1, rx[0], 1, 3000), 1);
    assert_int_equal(rx[0][0].len, len);
    assert_memory_equal(rx[0][0].frame, inner, len);
    /* Server -> server by eth_dst, untouched. */
    memcpy(s2s, egress, n);
    memcpy(s2s, mac_s2, 6);
    s2s[20] = 0x07; /* SPI 0xffff07: not egress */
    send_frame(S1, s2s, n);
    assert_int_equal(receive(S2, rx[1], 1, 3000), 1);
    assert_int_equal(rx[1][0].len, n);
    assert_memory_equal(rx[1][0].frame, s2s, n);
    assert_int_equal(e2_sw_model_classify(model, egress, n, 2, &verdict, NULL), 0);
    assert_int_equal(e2_sw_model_classify(model, s2s, n, 2, &verdict, NULL), 0);
    /* The model saw the same frames: its counters are OVS's. */
    char *a = rules_text(ovs, true), *b = rules_text(model, true);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/*
 * OVS's multipath against ovs_hash.c: 256 range rules in table 1 each set
 * eth_dst to 02:e2:00:00:ROUND:INDEX. Round 1 hashes to 16 bits and ranges
 * of 256 (the high byte of the flow ID), round 2 to 8 bits and ranges of 1
 * (the low byte): every flow's whole ID is checked.
 */
static json_t *hash_rules(enum e2_ovs_hash_fields fs, unsigned round)
{
    unsigned bits = round == 1 ? 16 : 8, width = round == 1 ? 256 : 1;
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{sisisis{si}s[{s{sssi}}{si}]}", "priority", 100, "cookie",
                                       30, "table", 0, "match", "in_port", 1, "actions",
                                       "flow_hash", "hash", e2_ovs_hash_fields_name(fs), "bits",
                                       bits, "goto_table", 1));
    for (unsigned i = 0; i < 256; i++) {
        char mac[18];
        snprintf(mac, sizeof(mac), "02:e2:00:00:%02x:%02x", round, i);
        json_array_append_new(a, json_pack("{sisisis{s[ii]}s[{ss}{si}]}", "table", 1, "priority",
                                           10, "cookie", 31, "match", "flow_range", i * width,
                                           (i + 1) * width, "actions", "set_eth_dst", mac, "output",
                                           2));
    }
    return a;
}

static size_t hash_frame(uint8_t *buf, unsigned seq, unsigned *seed)
{
    uint8_t protos[] = {17, 17, 6, 6, 1};
    size_t len = udp_frame(buf, seq, seed, protos[seq % 5]);
    tf_put32(buf + 26, (uint32_t)rand_r(seed) * 2654435761u); /* any source address */
    return len;
}

static void ovs_computes_ovs_hash_c_flow_ids(void **state)
{
    (void)state;
    enum { N = 240 };
    json_t *del = jparse("[1, 30, 31]"); /* cookie 1 hashes port 1 too */
    unsigned checked = 0;
    for (int fs = 0; fs < E2_OVS_HASH_N; fs++) {
        for (unsigned round = 1; round <= 2; round++) {
            json_t *rules = hash_rules(fs, round);
            apply_both(rules, del);
            json_decref(rules);
            drain();
            unsigned seed = 100 + (unsigned)fs, wrong = 0;
            static uint8_t sent[N][128];
            for (unsigned i = 0; i < N; i++) {
                size_t len = hash_frame(sent[i], i, &seed);
                send_frame(X1, sent[i], len);
                if (i % 32 == 31) usleep(20000);
            }
            size_t got = receive(S1, rx[0], N, 3000);
            assert_int_equal(got, N);
            for (size_t k = 0; k < got; k++) {
                uint32_t i = seq_of(&rx[0][k]);
                uint32_t id = e2_ovs_flow_id(sent[i], rx[0][k].len, fs, round == 1 ? 16 : 8);
                unsigned index = round == 1 ? id >> 8 : id;
                wrong += rx[0][k].frame[4] != round || rx[0][k].frame[5] != index;
                checked++;
            }
            if (wrong)
                fail_msg("%s, round %u: %u of %d flow IDs differ from OVS's",
                         e2_ovs_hash_fields_name(fs), round, wrong, N);
        }
    }
    printf("ovs_check: %u flow IDs computed by OVS equal ovs_hash.c's (%d field sets)\n", checked,
           E2_OVS_HASH_N);
    json_decref(del);
}

int main(int argc, char **argv)
{
    if (argc != 2 + N_PORTS) {
        fprintf(stderr, "usage: ovs_check URI NS_X1 NS_S1 NS_S2 NS_X2\n");
        return 2;
    }
    struct e2_err err = {0};
    uri = argv[1];
    for (int p = 0; p < N_PORTS; p++) fd[p] = open_port(argv[2 + p]);
    ovs = e2_sw_open(uri, &err);
    model = e2_sw_open("model:rules=100000", &err);
    if (!ovs || !model) {
        fprintf(stderr, "ovs_check: %s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_read_back_and_show_in_dump),
        cmocka_unit_test(refused_changes_change_nothing),
        cmocka_unit_test(frames_leave_where_the_model_says),
        cmocka_unit_test(nsh_frames_from_servers),
        cmocka_unit_test(ovs_computes_ovs_hash_c_flow_ids),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_sw_close(ovs);
    e2_sw_close(model);
    return rc;
}
