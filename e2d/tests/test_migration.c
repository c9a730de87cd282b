/*
 * Migration avoidance in FlowHash (track_flows): a split sends only new
 * flows to the new gate, every flow already seen stays where it started
 * until it ends (RST, FIN, idle); exceptions are counted and listed; migrate
 * moves flows on purpose; the split point follows the measured load.
 */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>

#include "harness.h"
#include "e2/meta.h"

#define IP(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#define TRACKED                                                                                    \
    "\"bits\": 8, \"track_flows\": 4096, \"ranges\": [{\"lo\": 0, \"hi\": 256, \"gate\": 0}]"

static uint32_t flow_id_of(struct rte_mbuf *m)
{
    uint32_t id = 0;
    assert_int_equal(e2_meta_get_flow_id(m, &id), 0);
    return id;
}

/* A TCP/IPv4 packet of flow number @f (source port 1000 + f) with @flags. */
static struct rte_mbuf *tcp_packet(unsigned f, uint8_t flags)
{
    struct rte_mbuf *m = udp_packet(IP(10, 0, 0, 1), IP(10, 9, 0, 1), (uint16_t)(1000 + f), 80, 60);
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    ((struct rte_ipv4_hdr *)(p + 14))->next_proto_id = IPPROTO_TCP;
    p[34 + 12] = 0x50; /* data offset: 5 words */
    p[34 + 13] = flags;
    return m;
}

/* Send one packet of each flow in [from, to) with @flags; return the gate of each in @gate. */
static void send_flows(struct e2_module *fh, struct capture *c, unsigned from, unsigned to,
                       uint8_t flags, uint16_t *gate, uint32_t *id)
{
    for (unsigned f = from; f < to; f++) {
        struct rte_mbuf *p = tcp_packet(f, flags);
        push(fh, 0, &p, 1);
        assert_int_equal(c->n, 1);
        if (gate) gate[f] = c->igate[0];
        if (id) id[f] = flow_id_of(c->pkts[0]);
        capture_clear(c);
    }
}

static struct e2_module *tracked_flowhash(const char *extra, struct capture **c)
{
    char args[400];
    snprintf(args, sizeof(args), "{" TRACKED "%s}", extra);
    struct e2_module *fh = make("fh", "FlowHash", args), *cap = make_capture("cap", c);
    link_gates(fh, 0, cap, 0);
    link_gates(fh, 1, cap, 1);
    return fh;
}

static json_int_t exceptions(struct e2_module *fh, json_t **out)
{
    json_t *r = NULL;
    assert_int_equal(command(fh, "exceptions", "{\"max\": 1000}", &r, NULL, 0), 0);
    json_int_t n = json_integer_value(json_object_get(r, "exceptions"));
    if (out)
        *out = r;
    else
        json_decref(r);
    return n;
}

static void split_moves_only_new_flows(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = tracked_flowhash("", &c);
    uint16_t gate[128];
    uint32_t id[128];
    send_flows(fh, c, 0, 64, 0x02, gate, id); /* SYNs of 64 connections */
    for (unsigned f = 0; f < 64; f++) assert_int_equal(gate[f], 0);

    json_t *r = NULL;
    assert_int_equal(
        command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"at\": 128, \"gate\": 1}", &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "at")), 128);
    json_decref(r);

    send_flows(fh, c, 0, 64, 0x10, gate, NULL); /* the old connections go on */
    for (unsigned f = 0; f < 64; f++) assert_int_equal(gate[f], 0);
    send_flows(fh, c, 64, 128, 0x02, gate, id); /* new connections follow the ranges */
    unsigned upper_old = 0, upper_new = 0;
    for (unsigned f = 0; f < 128; f++) {
        if (f >= 64) assert_int_equal(gate[f], id[f] < 128 ? 0 : 1);
        if (id[f] >= 128) *(f < 64 ? &upper_old : &upper_new) += 1;
    }
    assert_true(upper_old > 10 && upper_new > 10);

    /* the exceptions: exactly the old flows of [128, 256), listed with their gate */
    assert_int_equal(exceptions(fh, &r), upper_old);
    json_t *list = json_object_get(r, "list"), *e;
    size_t i;
    assert_int_equal(json_array_size(list), upper_old);
    json_array_foreach(list, i, e)
    {
        assert_int_equal(json_integer_value(json_object_get(e, "gate")), 0);
        assert_true(json_integer_value(json_object_get(e, "flow_id")) >= 128);
        assert_string_equal(json_string_value(json_object_get(e, "src_ip")), "10.0.0.1");
        json_int_t port = json_integer_value(json_object_get(e, "src_port"));
        assert_true(port >= 1000 && port < 1064 && id[port - 1000] >= 128);
    }
    json_t *per_gate = json_object_get(r, "flows_per_gate");
    assert_int_equal(json_integer_value(json_object_get(per_gate, "1")), upper_new);
    assert_int_equal(json_integer_value(json_object_get(per_gate, "0")), 128 - upper_new);
    json_decref(r);
}

static void exceptions_end_with_rst_fin_and_idle(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = tracked_flowhash(", \"idle_ms\": 2000, \"linger_ms\": 1", &c);
    uint16_t gate[64];
    uint32_t id[64];
    send_flows(fh, c, 0, 64, 0x02, gate, id);
    assert_int_equal(
        command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"at\": 128, \"gate\": 1}", NULL, NULL, 0),
        0);
    json_int_t upper = 0;
    int rst = -1, fin = -1;
    for (unsigned f = 0; f < 64; f++) {
        if (id[f] < 128) continue;
        upper++;
        if (rst < 0)
            rst = (int)f;
        else if (fin < 0)
            fin = (int)f;
    }
    assert_int_equal(exceptions(fh, NULL), upper);
    send_flows(fh, c, (unsigned)rst, (unsigned)rst + 1, 0x04, gate, NULL); /* RST */
    send_flows(fh, c, (unsigned)fin, (unsigned)fin + 1, 0x11, gate, NULL); /* FIN+ACK */
    assert_int_equal(gate[rst], 0);
    assert_int_equal(gate[fin], 0);
    usleep(20000); /* past the linger, well before the idle timeout */
    assert_int_equal(exceptions(fh, NULL), upper - 2);
    /* a new connection reusing the RST one's 5-tuple is a new flow: the new gate */
    send_flows(fh, c, (unsigned)rst, (unsigned)rst + 1, 0x02, gate, NULL);
    assert_int_equal(gate[rst], 1);
    usleep(2200000); /* past the idle timeout: every old flow has ended */
    assert_int_equal(exceptions(fh, NULL), 0);
    json_t *r = NULL;
    assert_int_equal(command(fh, "stats", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "flows")), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "pinned")), 65);
    assert_int_equal(json_integer_value(json_object_get(r, "ended")), 65);
    json_decref(r);
}

static void migrate_moves_pinned_flows(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = tracked_flowhash("", &c);
    uint16_t gate[64];
    uint32_t id[64];
    send_flows(fh, c, 0, 64, 0x02, gate, id);
    assert_int_equal(
        command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"at\": 128, \"gate\": 1}", NULL, NULL, 0),
        0);
    assert_true(exceptions(fh, NULL) > 0);
    json_t *r = NULL;
    assert_int_equal(command(fh, "migrate", "{\"lo\": 128, \"hi\": 256}", &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "ranges")), 1);
    json_decref(r);
    assert_int_equal(exceptions(fh, NULL), 0); /* due to move: no longer exceptions */
    send_flows(fh, c, 0, 64, 0x10, gate, NULL);
    for (unsigned f = 0; f < 64; f++) assert_int_equal(gate[f], id[f] < 128 ? 0 : 1);
    assert_int_equal(command(fh, "stats", NULL, &r, NULL, 0), 0);
    assert_true(json_integer_value(json_object_get(r, "repinned")) > 10);
    json_decref(r);
}

static void split_point_follows_the_load(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = tracked_flowhash("", &c);
    uint32_t id[256];
    send_flows(fh, c, 0, 256, 0x10, NULL, id);
    /* nine more packets for each flow below ID 64: most of the load sits low */
    unsigned low = 0;
    for (unsigned f = 0; f < 256; f++) {
        if (id[f] >= 64) continue;
        low++;
        for (int k = 0; k < 9; k++) send_flows(fh, c, f, f + 1, 0x10, NULL, NULL);
    }
    json_t *r = NULL;
    assert_int_equal(command(fh, "load", "{\"lo\": 0, \"hi\": 256}", &r, NULL, 0), 0);
    assert_true(json_real_value(json_object_get(r, "packets")) == 256 + 9.0 * low);
    json_int_t at = json_integer_value(json_object_get(r, "split_at"));
    assert_true(at > 0 && at < 64);
    json_decref(r);
    /* split without 'at' cuts there */
    assert_int_equal(command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"gate\": 1}", &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "at")), at);
    json_decref(r);
}

/* With OVS's symmetric hash both directions of a connection share one pin. */
static void a_symmetric_hash_pins_both_directions_together(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = tracked_flowhash(", \"hash\": \"ovs\"", &c);
    uint16_t gate[64];
    uint32_t id[64];
    send_flows(fh, c, 0, 64, 0x02, gate, id); /* SYNs, client to server */
    assert_int_equal(
        command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"at\": 128, \"gate\": 1}", NULL, NULL, 0),
        0);
    unsigned upper = 0;
    for (unsigned f = 0; f < 64; f++) {
        /* the SYN-ACK, server to client: never seen, yet part of a pinned connection */
        struct rte_mbuf *p = tcp_packet(f, 0x12);
        uint8_t *b = rte_pktmbuf_mtod(p, uint8_t *);
        uint8_t t[4];
        memcpy(t, b + 26, 4), memcpy(b + 26, b + 30, 4), memcpy(b + 30, t, 4);
        memcpy(t, b + 34, 2), memcpy(b + 34, b + 36, 2), memcpy(b + 36, t, 2);
        push(fh, 0, &p, 1);
        assert_int_equal(c->n, 1);
        assert_int_equal(flow_id_of(c->pkts[0]), id[f]);
        assert_int_equal(c->igate[0], 0);
        capture_clear(c);
        upper += id[f] >= 128;
    }
    assert_true(upper > 10);
    assert_int_equal(exceptions(fh, NULL), upper);
}

static void migration_commands_refuse_what_they_cannot_do(void **state)
{
    (void)state;
    char msg[300];
    struct e2_module *plain = make(
        "plain", "FlowHash", "{\"bits\": 8, \"ranges\": [{\"lo\": 0, \"hi\": 256, \"gate\": 0}]}");
    assert_int_not_equal(
        command(plain, "split", "{\"lo\": 0, \"hi\": 256, \"gate\": 1}", NULL, msg, sizeof(msg)),
        0);
    assert_string_equal(msg, "plain.split: split (else every flow of the upper part would move) "
                             "needs flow tracking (track_flows > 0)");
    struct capture *c;
    struct e2_module *fh = tracked_flowhash("", &c);
    assert_int_not_equal(
        command(fh, "split", "{\"lo\": 0, \"hi\": 128, \"gate\": 1}", NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "fh.split: no range [0, 128)");
    assert_int_not_equal(command(fh, "split", "{\"lo\": 0, \"hi\": 256, \"at\": 256, \"gate\": 1}",
                                 NULL, msg, sizeof(msg)),
                         0);
    assert_string_equal(msg, "fh.split: at=256 is not inside the range (0, 256)");
    assert_int_not_equal(command(fh, "migrate", "{\"lo\": 1, \"hi\": 255}", NULL, msg, sizeof(msg)),
                         0);
    assert_string_equal(msg, "fh.migrate: no whole range inside [1, 255)");
    assert_int_not_equal(command(fh, "load", "{\"lo\": 0, \"hi\": 512}", NULL, msg, sizeof(msg)),
                         0);
    assert_string_equal(msg, "fh.load: bad range [0, 512) for 8-bit flow IDs");
}

int main(void)
{
    harness_start(1, false);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(split_moves_only_new_flows),
        T(exceptions_end_with_rst_fin_and_idle),
        T(migrate_moves_pinned_flows),
        T(split_point_follows_the_load),
        T(a_symmetric_hash_pins_both_directions_together),
        T(migration_commands_refuse_what_they_cannot_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
