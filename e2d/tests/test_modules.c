/*
 * Every e2d module type, driven directly on the control thread (no worker
 * threads): what comes out of which gate, what is counted, what is refused.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "harness.h"
#include "e2/meta.h"
#include "tags.h"
#include "port.h"

#define IP(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void bypass_keeps_gate_and_counts_packets_and_bytes(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *b = make("b", "Bypass", NULL), *cap = make_capture("cap", &c);
    assert_int_equal(e2_graph_track_bytes(b, true, NULL, NULL), 0);
    link_gates(b, 0, cap, 0);
    link_gates(b, 3, cap, 1);
    struct rte_mbuf *p[3] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 100),
                             udp_packet(1, 2, 3, 4, 64)};
    push(b, 0, p, 2);
    push(b, 3, &p[2], 1);
    assert_int_equal(c->n, 3);
    assert_int_equal(c->igate[0], 0);
    assert_int_equal(c->igate[2], 1);
    assert_int_equal(b->ogates[0].pkts, 2);
    assert_int_equal(b->ogates[0].bytes, 160);
    assert_int_equal(b->ogates[3].bytes, 64);
    assert_int_equal(b->dropped, 0);
}

static void gates_count_bytes_only_when_tracked(void **state)
{
    (void)state;
    struct e2_module *b = make("b", "Bypass", NULL), *s = make("s", "Sink", NULL);
    link_gates(b, 0, s, 0);
    struct rte_mbuf *p[2] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 70)};
    push(b, 0, p, 1);
    assert_int_equal(b->ogates[0].pkts, 1);
    assert_int_equal(b->ogates[0].bytes, 0);
    assert_int_equal(e2_graph_track_bytes(b, true, NULL, NULL), 0);
    push(b, 0, &p[1], 1);
    assert_int_equal(b->ogates[0].pkts, 2);
    assert_int_equal(b->ogates[0].bytes, 70);
    json_t *d = e2_graph_module_describe(b);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(d, "ogates"), 0), "bytes")),
                     70);
    json_decref(d);
}

static void unconnected_gate_drops_and_counts(void **state)
{
    (void)state;
    struct e2_module *b = make("b", "Bypass", NULL);
    struct rte_mbuf *p[2] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 60)};
    push(b, 5, p, 2);
    assert_int_equal(b->dropped, 2);
}

static void split_sends_each_packet_to_its_gate_in_order(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *b = make("b", "Bypass", NULL), *cap = make_capture("cap", &c);
    link_gates(b, 0, cap, 0);
    link_gates(b, 1, cap, 1);
    struct e2_batch batch = {.cnt = 6};
    uint16_t gates[6] = {1, 0, E2_GATE_DROP, 1, 0, 1};
    for (int i = 0; i < 6; i++) batch.pkts[i] = udp_packet(1, 2, 3, (uint16_t)i, 60);
    struct rte_mbuf *orig[6];
    memcpy(orig, batch.pkts, sizeof(orig));
    e2_split(b, gates, &batch);
    assert_int_equal(c->n, 5);
    /* gate 1's packets first (the first packet chose it), in arrival order, then gate 0's */
    struct rte_mbuf *want[5] = {orig[0], orig[3], orig[5], orig[1], orig[4]};
    for (int i = 0; i < 5; i++) assert_ptr_equal(c->pkts[i], want[i]);
    assert_int_equal(b->dropped, 1);
}

static void merge_joins_inputs_and_sink_and_drop_count_what_ends(void **state)
{
    (void)state;
    struct e2_module *m = make("m", "Merge", NULL), *s = make("s", "Sink", NULL),
                     *d = make("d", "Drop", NULL);
    link_gates(m, 0, s, 0);
    struct rte_mbuf *p[3] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 70),
                             udp_packet(1, 2, 3, 4, 80)};
    push(m, 0, p, 1);
    push(m, 9, &p[1], 1);
    push(d, 0, &p[2], 1);
    json_t *st = s->type->stats(s);
    assert_int_equal(json_integer_value(json_object_get(st, "packets")), 2);
    assert_int_equal(json_integer_value(json_object_get(st, "bytes")), 130);
    json_decref(st);
    assert_int_equal(s->dropped, 0);
    assert_int_equal(d->dropped, 1);
}

/* Recompute the IP and TCP checksums of a generated TCP packet and compare. */
static bool checksums_ok(struct rte_mbuf *m)
{
    struct rte_ipv4_hdr *ip =
        rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
    struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
    uint16_t ipsum = ip->hdr_checksum, l4sum = tcp->cksum;
    ip->hdr_checksum = 0;
    tcp->cksum = 0;
    bool ok = rte_ipv4_cksum(ip) == ipsum && rte_ipv4_udptcp_cksum(ip, tcp) == l4sum;
    ip->hdr_checksum = ipsum;
    tcp->cksum = l4sum;
    return ok;
}

static void source_walks_every_flow_with_valid_checksums(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *src =
        make("src", "Source",
             "{\"templates\": [{\"src_ip\": \"10.0.0.0/30\", \"dst_ip\": \"10.9.0.1-10.9.0.2\","
             " \"dst_port\": \"80-81\", \"size\": [64, 128], \"proto\": \"tcp\"}], \"burst\": 16}");
    struct e2_module *cap = make_capture("cap", &c);
    link_gates(src, 0, cap, 0);
    assert_int_equal(run_task(src, 0), 16);
    assert_int_equal(c->n, 16);
    bool seen[4][2][2] = {{{false}}};
    for (unsigned i = 0; i < 16; i++) {
        struct rte_mbuf *m = c->pkts[i];
        assert_int_equal(m->pkt_len, i % 2 ? 128 : 64);
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
        struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
        assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
        uint32_t s = ntohl(ip->src_addr) - IP(10, 0, 0, 0),
                 d = ntohl(ip->dst_addr) - IP(10, 9, 0, 1);
        uint16_t port = (uint16_t)(ntohs(tcp->dst_port) - 80);
        assert_true(s < 4 && d < 2 && port < 2);
        seen[s][d][port] = true;
        assert_true(checksums_ok(m));
        assert_int_equal(e2_meta_valid(m), 0);
    }
    for (int s = 0; s < 4; s++)
        for (int d = 0; d < 2; d++)
            for (int p = 0; p < 2; p++) assert_true(seen[s][d][p]);
}

static void source_stops_at_its_limit_and_refuses_bad_templates(void **state)
{
    (void)state;
    struct e2_module *src = make("src", "Source", "{\"limit\": 40}");
    struct e2_module *sink = make("sink", "Sink", NULL);
    link_gates(src, 0, sink, 0);
    assert_int_equal(run_task(src, 0), 32);
    assert_int_equal(run_task(src, 0), 8);
    assert_int_equal(run_task(src, 0), 0);
    struct e2_err err = {0};
    json_t *bad = json_pack("{s:[{s:s}]}", "templates", "dst_ip", "10.0.0.0/99");
    assert_int_not_equal(e2_graph_module_create("bad", "Source", bad, NULL, NULL, &err), 0);
    assert_string_equal(err.msg, "module 'bad' (Source): templates[0]: 'dst_ip' = \"10.0.0.0/99\": "
                                 "prefix length must be 8..32");
    json_decref(bad);
    assert_null(e2_graph_module_find("bad"));
}

static void paced_source_never_exceeds_its_tokens(void **state)
{
    (void)state;
    /* 1000 pps: the bucket holds one burst (32) at start; back-to-back runs get no more */
    struct e2_module *src = make("src", "Source", "{\"rate\": 1000}");
    struct e2_module *sink = make("sink", "Sink", NULL);
    link_gates(src, 0, sink, 0);
    uint32_t total = 0;
    for (int i = 0; i < 10; i++) total += run_task(src, 0);
    assert_in_range(total, 32, 33);
}

static void queue_fifo_counts_drops_occupancy_and_delay(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *q = make("q", "Queue", "{\"size\": 16, \"burst\": 4}"),
                     *cap = make_capture("cap", &c);
    link_gates(q, 0, cap, 0);
    struct rte_mbuf *p[20];
    for (int i = 0; i < 20; i++) p[i] = udp_packet(1, 2, 3, (uint16_t)i, 60);
    push(q, 0, p, 20);
    assert_int_equal(q->dropped, 4);
    assert_int_equal(run_task(q, 0), 4);
    assert_int_equal(c->n, 4);
    for (int i = 0; i < 4; i++) assert_ptr_equal(c->pkts[i], p[i]);
    while (run_task(q, 0)) {
    }
    assert_int_equal(c->n, 16);
    json_t *st;
    assert_int_equal(command(q, "get_status", NULL, &st, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "enqueued")), 16);
    assert_int_equal(json_integer_value(json_object_get(st, "dropped_full")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "occupancy"), "peak")),
                     16);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "delay_ns"), "count")),
                     16);
    json_decref(st);
    assert_int_equal(command(q, "clear", NULL, NULL, NULL, 0), 0);
    assert_int_equal(command(q, "get_status", NULL, &st, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "delay_ns"), "count")),
                     0);
    json_decref(st);
    char msg[200];
    json_t *bad = json_pack("{s:i}", "size", 100);
    struct e2_err err = {0};
    assert_int_not_equal(e2_graph_module_create("q2", "Queue", bad, NULL, NULL, &err), 0);
    assert_string_equal(err.msg, "module 'q2' (Queue): 'size' = 100 is not a power of two");
    json_decref(bad);
    (void)msg;
}

static void queue_destroyed_with_packets_frees_them(void **state)
{
    (void)state;
    struct e2_module *q = make("q", "Queue", NULL);
    struct rte_mbuf *p[8];
    for (int i = 0; i < 8; i++) p[i] = udp_packet(1, 2, 3, 4, 60);
    push(q, 0, p, 8);
    /* teardown checks that all 8 buffers come back */
}

static void tee_copies_are_independent(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *t = make("t", "Tee", "{\"gates\": 3}"), *cap = make_capture("cap", &c);
    for (uint16_t g = 0; g < 3; g++) link_gates(t, g, cap, g);
    struct rte_mbuf *p = udp_packet(1, 2, 3, 4, 60);
    e2_meta_set_tag(p, 2, 77);
    push(t, 0, &p, 1);
    assert_int_equal(c->n, 3);
    struct rte_mbuf *orig = NULL, *copy = NULL;
    for (unsigned i = 0; i < 3; i++) {
        if (c->igate[i] == 0)
            orig = c->pkts[i];
        else
            copy = c->pkts[i];
    }
    assert_ptr_equal(orig, p);
    assert_ptr_not_equal(copy, p);
    rte_pktmbuf_mtod(copy, uint8_t *)[0] = 0xee;
    assert_int_not_equal(rte_pktmbuf_mtod(orig, uint8_t *)[0], 0xee);
    uint32_t tag;
    assert_int_equal(e2_meta_get_tag(copy, 2, &tag), 0);
    assert_int_equal(tag, 77);
}

static void rewrite_sets_swaps_and_tags(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *r =
        make("r", "Rewrite", "{\"dst_mac\": \"02:00:00:00:00:09\", \"vlan_push\": 42}");
    struct e2_module *s = make("s", "Rewrite", "{\"swap_macs\": true, \"vlan_pop\": true}");
    struct e2_module *cap = make_capture("cap", &c);
    link_gates(r, 0, s, 0);
    link_gates(s, 0, cap, 0);
    struct rte_mbuf *p = udp_packet(1, 2, 3, 4, 60);
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(p, struct rte_ether_hdr *);
    eth->src_addr.addr_bytes[5] = 0x05;
    /* watch the middle: push r alone first */
    struct capture *mid;
    struct e2_module *capmid = make_capture("capmid", &mid);
    link_gates(r, 1, capmid, 0);
    push(r, 1, &p, 1);
    eth = rte_pktmbuf_mtod(mid->pkts[0], struct rte_ether_hdr *);
    assert_int_equal(eth->dst_addr.addr_bytes[5], 0x09);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_VLAN);
    assert_int_equal(ntohs(((struct rte_vlan_hdr *)(eth + 1))->vlan_tci) & 0xfff, 42);
    assert_int_equal(mid->pkts[0]->pkt_len, 64);
    struct rte_mbuf *again = mid->pkts[0];
    mid->n = 0;
    push(s, 0, &again, 1);
    eth = rte_pktmbuf_mtod(c->pkts[0], struct rte_ether_hdr *);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_IPV4);
    assert_int_equal(eth->src_addr.addr_bytes[5], 0x09); /* swapped */
    assert_int_equal(eth->dst_addr.addr_bytes[5], 0x05);
    assert_int_equal(c->pkts[0]->pkt_len, 60);
}

static void set_tag_sets_a_tag_by_name_or_slot_from_any_input(void **state)
{
    (void)state;
    struct e2_err err = {0};
    assert_int_equal(e2_tag_define("e2.class", 1, &err), 1);
    struct capture *c;
    struct e2_module *byname = make("n", "SetTag", "{\"tag\": \"e2.class\", \"value\": 6}");
    struct e2_module *byslot = make("s", "SetTag", "{\"slot\": 3, \"value\": 4000000000}");
    struct e2_module *cap = make_capture("cap", &c);
    link_gates(byname, 0, byslot, 0);
    link_gates(byslot, 0, cap, 0);
    struct rte_mbuf *p[2] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 60)};
    e2_meta_set_tag(p[1], 1, 9);
    push(byname, 5, p, 2);
    assert_int_equal(c->n, 2);
    for (unsigned i = 0; i < 2; i++) {
        uint32_t v;
        assert_int_equal(e2_meta_get_tag(c->pkts[i], 1, &v), 0);
        assert_int_equal(v, 6);
        assert_int_equal(e2_meta_get_tag(c->pkts[i], 3, &v), 0);
        assert_int_equal(v, 4000000000u);
        assert_int_equal(e2_meta_get_tag(c->pkts[i], 0, &v), -1);
    }
    capture_clear(c);
    json_t *bad = json_pack("{s:s}", "tag", "nope");
    assert_int_not_equal(e2_graph_module_create("x", "SetTag", bad, NULL, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "tag: "));
    json_decref(bad);
    bad = json_pack("{s:s, s:i}", "tag", "e2.class", "slot", 1);
    assert_int_not_equal(e2_graph_module_create("x", "SetTag", bad, NULL, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "not both"));
    json_decref(bad);
    e2_tags_clear();
}

static void counter_counts_and_resets(void **state)
{
    (void)state;
    struct e2_module *cnt = make("cnt", "Counter", NULL), *sink = make("sink", "Sink", NULL);
    link_gates(cnt, 0, sink, 0);
    struct rte_mbuf *p[2] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 90)};
    push(cnt, 0, p, 2);
    json_t *r;
    assert_int_equal(command(cnt, "get", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "packets")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 150);
    json_decref(r);
    assert_int_equal(command(cnt, "reset", NULL, NULL, NULL, 0), 0);
    assert_int_equal(command(cnt, "get", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "packets")), 0);
    json_decref(r);
    char msg[200];
    assert_int_not_equal(command(cnt, "explode", NULL, NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "Counter module 'cnt' has no command 'explode' (it has: get, reset)");
}

static void timestamp_then_latency_measures_and_flags_unstamped(void **state)
{
    (void)state;
    struct e2_module *ts = make("ts", "Timestamp", NULL), *lat = make("lat", "Latency", NULL);
    struct e2_module *sink = make("sink", "Sink", NULL);
    link_gates(ts, 0, lat, 0);
    link_gates(lat, 0, sink, 0);
    struct rte_mbuf *p[3] = {udp_packet(1, 2, 3, 4, 60), udp_packet(1, 2, 3, 4, 60),
                             udp_packet(1, 2, 3, 4, 60)};
    push(ts, 0, p, 2);
    push(lat, 0, &p[2], 1);
    json_t *r;
    assert_int_equal(command(lat, "get", NULL, &r, NULL, 0), 0);
    json_t *l = json_object_get(r, "latency_ns");
    assert_int_equal(json_integer_value(json_object_get(l, "count")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "unstamped")), 1);
    assert_true(json_real_value(json_object_get(l, "max")) < 1e9);
    assert_true(json_real_value(json_object_get(l, "min")) <=
                json_real_value(json_object_get(l, "p50")));
    json_decref(r);
}

static uint32_t flow_id_of(struct rte_mbuf *m)
{
    uint32_t id = UINT32_MAX;
    assert_int_equal(e2_meta_get_flow_id(m, &id), 0);
    return id;
}

static void flowhash_keeps_flows_together_and_splits_by_range(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = make("fh", "FlowHash",
                                "{\"bits\": 8, \"ranges\": [{\"lo\": 0, \"hi\": 128, \"gate\": 0},"
                                " {\"lo\": 128, \"hi\": 256, \"gate\": 1}]}");
    struct e2_module *cap = make_capture("cap", &c);
    link_gates(fh, 0, cap, 0);
    link_gates(fh, 1, cap, 1);
    /* 64 flows, each sent twice in separate batches */
    for (int round = 0; round < 2; round++)
        for (int f = 0; f < 64; f += 16) {
            struct rte_mbuf *p[16];
            for (int i = 0; i < 16; i++)
                p[i] =
                    udp_packet(IP(10, 0, 0, 1), IP(10, 1, 0, 1), (uint16_t)(1000 + f + i), 53, 60);
            push(fh, 0, p, 16);
        }
    assert_int_equal(c->n, 128);
    unsigned on_gate[2] = {0, 0};
    for (unsigned i = 0; i < 128; i++) {
        uint32_t id = flow_id_of(c->pkts[i]);
        assert_true(id < 256);
        assert_int_equal(c->igate[i], id < 128 ? 0 : 1);
        on_gate[c->igate[i]]++;
    }
    assert_true(on_gate[0] > 20 && on_gate[1] > 20); /* the hash spreads */
    /* the same flow got the same ID in both rounds */
    uint32_t first[64] = {0};
    unsigned found = 0;
    for (unsigned i = 0; i < 128; i++) {
        struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(c->pkts[i], struct rte_udp_hdr *, 34);
        unsigned f = ntohs(u->src_port) - 1000u;
        if (!first[f]) {
            first[f] = flow_id_of(c->pkts[i]) + 1;
            found++;
        } else {
            assert_int_equal(first[f], flow_id_of(c->pkts[i]) + 1);
        }
    }
    assert_int_equal(found, 64);
}

static void flowhash_on_src_ip_ignores_ports(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh =
        make("fh", "FlowHash", "{\"fields\": [\"src_ip\"], \"bits\": 16, \"miss_gate\": 0}");
    struct e2_module *cap = make_capture("cap", &c);
    link_gates(fh, 0, cap, 0);
    struct rte_mbuf *p[3] = {udp_packet(IP(10, 0, 0, 1), IP(1, 1, 1, 1), 1, 2, 60),
                             udp_packet(IP(10, 0, 0, 1), IP(2, 2, 2, 2), 3, 4, 60),
                             udp_packet(IP(10, 0, 0, 2), IP(1, 1, 1, 1), 1, 2, 60)};
    push(fh, 0, p, 3);
    assert_int_equal(c->n, 3); /* no ranges: all leave by miss_gate 0 */
    assert_int_equal(flow_id_of(c->pkts[0]), flow_id_of(c->pkts[1]));
    assert_int_not_equal(flow_id_of(c->pkts[0]), flow_id_of(c->pkts[2]));
}

static void flowhash_range_commands_update_and_refuse_overlaps(void **state)
{
    (void)state;
    struct e2_module *fh = make("fh", "FlowHash", "{\"bits\": 4}");
    char msg[300];
    assert_int_equal(
        command(fh, "add_range", "{\"lo\": 0, \"hi\": 8, \"gate\": 0}", NULL, msg, sizeof(msg)), 0);
    assert_int_equal(
        command(fh, "add_range", "{\"lo\": 8, \"hi\": 16, \"gate\": 1}", NULL, msg, sizeof(msg)),
        0);
    assert_int_not_equal(
        command(fh, "add_range", "{\"lo\": 4, \"hi\": 9, \"gate\": 2}", NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "fh.add_range: range [4, 9) overlaps [0, 8)");
    assert_int_not_equal(
        command(fh, "add_range", "{\"lo\": 16, \"hi\": 17, \"gate\": 2}", NULL, msg, sizeof(msg)),
        0);
    assert_string_equal(msg, "fh.add_range: range [16, 17) goes beyond 2^4");
    assert_int_not_equal(
        command(fh, "delete_range", "{\"lo\": 0, \"hi\": 7}", NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "fh.delete_range: no range [0, 7)");
    assert_int_equal(command(fh, "delete_range", "{\"lo\": 0, \"hi\": 8}", NULL, msg, sizeof(msg)),
                     0);
    json_t *r;
    assert_int_equal(command(fh, "get_ranges", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_array_size(json_object_get(r, "ranges")), 1);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(r, "ranges"), 0), "gate")),
                     1);
    json_decref(r);
    assert_int_equal(
        command(fh, "set_ranges",
                "{\"ranges\": [{\"lo\": 0, \"hi\": 16, \"gate\": 3}], \"miss_gate\": 2}", NULL, msg,
                sizeof(msg)),
        0);
    assert_int_equal(command(fh, "get_ranges", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "miss_gate")), 2);
    json_decref(r);
    assert_int_not_equal(command(fh, "set_ranges",
                                 "{\"ranges\": [{\"lo\": 3, \"hi\": 3, \"gate\": 0}]}", NULL, msg,
                                 sizeof(msg)),
                         0);
    assert_string_equal(msg, "fh.set_ranges: ranges[0]: bad range [3, 3)");
}

static void ports_carry_packets_between_port_modules(void **state)
{
    (void)state;
    struct e2_err err = {0};
    json_t *pa = json_pack("{s:s, s:s}", "name", "p0", "vdev", "net_null0,copy=0");
    struct e2_port_args args;
    assert_int_equal(e2_args_parse(e2_port_arg_spec, pa, &args, &err), 0);
    json_decref(pa);
    assert_int_equal(e2_graph_port_create(&args, NULL, &err), 0);
    assert_int_not_equal(e2_graph_port_create(&args, NULL, &err), 0);
    assert_string_equal(err.msg, "port 'p0' already exists");
    struct capture *c;
    struct e2_module *in = make("in", "PortInc", "{\"port\": \"p0\"}"),
                     *cap = make_capture("cap", &c);
    link_gates(in, 0, cap, 0);
    assert_int_equal(run_task(in, 0), 32);
    assert_int_equal(c->pkts[0]->port, e2_port_find("p0")->port_id);
    assert_int_equal(e2_meta_valid(c->pkts[0]), 0);
    struct e2_module *out = make("out", "PortOut", "{\"port\": \"p0\"}");
    push(out, 0, c->pkts, c->n);
    c->n = 0;
    json_t *st = e2_port_describe(e2_port_find("p0"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(st, "stats"), "tx_packets")), 32);
    assert_int_equal(out->dropped, 0);
    json_decref(st);
    assert_int_not_equal(e2_port_destroy(e2_port_find("p0"), &err), 0);
    assert_string_equal(err.msg, "port 'p0' is used by 2 module(s)");
    struct e2_module *bad;
    json_t *ba = json_pack("{s:s}", "port", "nope");
    assert_int_not_equal(e2_graph_module_create("bad", "PortInc", ba, NULL, &bad, &err), 0);
    assert_string_equal(err.msg, "module 'bad' (PortInc): no port named 'nope'");
    json_decref(ba);
    harness_reset();
    assert_int_equal(e2_port_destroy(e2_port_find("p0"), &err), 0);
}

static struct e2_port *port(const char *name, const char *vdev)
{
    struct e2_err err = {0};
    json_t *pa = json_pack("{s:s, s:s}", "name", name, "vdev", vdev);
    struct e2_port_args args;
    assert_int_equal(e2_args_parse(e2_port_arg_spec, pa, &args, &err), 0);
    json_decref(pa);
    if (e2_graph_port_create(&args, NULL, &err)) fail_msg("%s", err.msg);
    return e2_port_find(name);
}

/* A ring port is a wire inside the machine: packets come back with their metadata. */
static void ring_port_loops_packets_back_with_their_metadata(void **state)
{
    (void)state;
    struct e2_port *p = port("loop", "net_ring0");
    struct capture *c;
    struct e2_module *src =
        make("src", "Source", "{\"limit\": 100, \"templates\": [{\"size\": 128}]}");
    struct e2_module *fh = make("fh", "FlowHash", "{\"miss_gate\": 0}");
    struct e2_module *out = make("out", "PortOut", "{\"port\": \"loop\"}");
    struct e2_module *in = make("in", "PortInc", "{\"port\": \"loop\"}"),
                     *cap = make_capture("cap", &c);
    link_gates(src, 0, fh, 0);
    link_gates(fh, 0, out, 0);
    link_gates(in, 0, cap, 0);
    while (run_task(src, 0)) {
    }
    while (run_task(in, 0)) {
    }
    assert_int_equal(c->n, 100);
    assert_int_equal(c->pkts[99]->pkt_len, 128);
    uint32_t id;
    assert_int_equal(e2_meta_get_flow_id(c->pkts[0], &id), 0);
    harness_reset();
    assert_int_equal(e2_port_destroy(p, NULL), 0);
}

static void pcap_port_writes_a_trace_that_reads_back(void **state)
{
    (void)state;
    char path[64], vdev[200];
    snprintf(path, sizeof(path), "/tmp/e2d-test-%d.pcap", (int)getpid());
    snprintf(vdev, sizeof(vdev), "net_pcap0,tx_pcap=%s", path);
    struct e2_port *w = port("w", vdev);
    struct e2_module *src =
        make("src", "Source", "{\"limit\": 50, \"templates\": [{\"size\": [64, 1000]}]}");
    struct e2_module *out = make("out", "PortOut", "{\"port\": \"w\"}");
    link_gates(src, 0, out, 0);
    while (run_task(src, 0)) {
    }
    harness_reset();
    assert_int_equal(e2_port_destroy(w, NULL), 0); /* closing flushes the file */
    snprintf(vdev, sizeof(vdev), "net_pcap1,rx_pcap=%s", path);
    struct e2_port *r = port("r", vdev);
    struct capture *c;
    struct e2_module *in = make("in", "PortInc", "{\"port\": \"r\"}"),
                     *cap = make_capture("cap", &c);
    link_gates(in, 0, cap, 0);
    for (int i = 0; i < 100 && c->n < 50; i++) run_task(in, 0);
    assert_int_equal(c->n, 50);
    for (unsigned i = 0; i < 50; i++) assert_int_equal(c->pkts[i]->pkt_len, i % 2 ? 1000 : 64);
    harness_reset();
    assert_int_equal(e2_port_destroy(r, NULL), 0);
    unlink(path);
}

int main(void)
{
    harness_start(1, false);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(bypass_keeps_gate_and_counts_packets_and_bytes),
        T(gates_count_bytes_only_when_tracked),
        T(unconnected_gate_drops_and_counts),
        T(split_sends_each_packet_to_its_gate_in_order),
        T(merge_joins_inputs_and_sink_and_drop_count_what_ends),
        T(source_walks_every_flow_with_valid_checksums),
        T(source_stops_at_its_limit_and_refuses_bad_templates),
        T(paced_source_never_exceeds_its_tokens),
        T(queue_fifo_counts_drops_occupancy_and_delay),
        T(queue_destroyed_with_packets_frees_them),
        T(tee_copies_are_independent),
        T(rewrite_sets_swaps_and_tags),
        T(set_tag_sets_a_tag_by_name_or_slot_from_any_input),
        T(counter_counts_and_resets),
        T(timestamp_then_latency_measures_and_flags_unstamped),
        T(flowhash_keeps_flows_together_and_splits_by_range),
        T(flowhash_on_src_ip_ignores_ports),
        T(flowhash_range_commands_update_and_refuse_overlaps),
        T(ports_carry_packets_between_port_modules),
        T(ring_port_loops_packets_back_with_their_metadata),
        T(pcap_port_writes_a_trace_that_reads_back),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
