/*
 * NSHEncap, NSHDecap and FlowHash(hash="ovs") in the engine: the round trip restores frame and
 * metadata exactly; every malformation is refused and counted under its reason; SPIs steer to
 * their gates and the table changes while a live worker pushes traffic through it without a
 * packet lost; FlowHash computes the flow ID the real OVS traced for a packet.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "e2_nsh.h"
#include "e2/meta.h"
#include "pktpool.h"

#define IP(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define MACS "\"dst_mac\": \"02:e2:00:00:00:11\", \"src_mac\": \"02:e2:00:00:00:10\""

static const uint8_t dst_mac[6] = {0x02, 0xe2, 0, 0, 0, 0x11};

static struct e2_module *encap(const char *name, uint32_t spi, const char *extra)
{
    char args[256];
    snprintf(args, sizeof(args), "{\"spi\": %u, " MACS "%s}", spi, extra);
    return make(name, "NSHEncap", args);
}

static json_t *stats(struct e2_module *m)
{
    json_t *r = NULL;
    assert_int_equal(command(m, "get", NULL, &r, NULL, 0), 0);
    return r;
}

static uint64_t stat_of(struct e2_module *m, const char *key)
{
    json_t *s = stats(m);
    uint64_t v = (uint64_t)json_integer_value(json_object_get(s, key));
    json_decref(s);
    return v;
}

/* A packet with the metadata bits @valid set to values derived from @seed. */
static struct rte_mbuf *tagged_packet(unsigned valid, uint32_t seed)
{
    struct rte_mbuf *p = udp_packet(IP(10, 0, 0, 1) + seed, IP(10, 9, 0, 2), 1000, 80, 60);
    if (valid & E2_META_FLOW_ID) e2_meta_set_flow_id(p, 0xf10000 + seed);
    for (unsigned s = 0; s < E2_META_TAGS; s++)
        if (valid & E2_META_TAG(s)) e2_meta_set_tag(p, s, seed * 16 + s);
    return p;
}

static void round_trip_restores_frame_tags_and_flow_id(void **state)
{
    (void)state;
    struct capture *wire, *out;
    struct e2_module *enc = encap("enc", 0x123456, ", \"si\": 254"),
                     *dec =
                         make("dec", "NSHDecap", "{\"spis\": [{\"spi\": 1193046, \"gate\": 0}]}");
    link_gates(enc, 0, make_capture("wire", &wire), 0);
    link_gates(dec, 0, make_capture("out", &out), 0);
    for (unsigned valid = 0; valid < 32; valid++) {
        struct rte_mbuf *p = tagged_packet(valid, valid), *orig = tagged_packet(0, valid);
        push(enc, 0, &p, 1);
        assert_int_equal(wire->n, 1);
        const uint8_t *w = rte_pktmbuf_mtod(wire->pkts[0], const uint8_t *);
        struct e2_nsh h;
        assert_int_equal(e2_nsh_parse_frame(w, rte_pktmbuf_data_len(wire->pkts[0]), &h), E2_NSH_OK);
        assert_memory_equal(w, dst_mac, 6);
        assert_int_equal(h.spi, 0x123456);
        assert_int_equal(h.si, 254);
        assert_int_equal(h.ttl, 63);
        assert_int_equal(h.md.valid, valid);
        assert_int_equal(rte_pktmbuf_data_len(wire->pkts[0]), 14 + h.len + 60);
        push(dec, 0, wire->pkts, 1);
        wire->n = 0;
        assert_int_equal(out->n, 1);
        struct rte_mbuf *q = out->pkts[0];
        assert_int_equal(rte_pktmbuf_data_len(q), 60);
        assert_memory_equal(rte_pktmbuf_mtod(q, void *), rte_pktmbuf_mtod(orig, void *), 60);
        assert_int_equal(e2_meta_valid(q), valid);
        uint32_t v;
        if (valid & E2_META_FLOW_ID)
            assert_true(!e2_meta_get_flow_id(q, &v) && v == 0xf10000 + valid);
        for (unsigned s = 0; s < E2_META_TAGS; s++)
            if (valid & E2_META_TAG(s))
                assert_true(!e2_meta_get_tag(q, s, &v) && v == valid * 16 + s);
        rte_pktmbuf_free(orig);
        capture_clear(out);
    }
    assert_int_equal(stat_of(enc, "encapsulated"), 32);
    assert_int_equal(stat_of(dec, "decapsulated"), 32);
    assert_int_equal(stat_of(dec, "malformed"), 0);
}

static void tags_false_and_flow_id_false_leave_the_metadata_out(void **state)
{
    (void)state;
    struct capture *c1, *c2;
    struct e2_module *no_tags = encap("a", 1, ", \"tags\": false"),
                     *no_id = encap("b", 2, ", \"flow_id\": false");
    link_gates(no_tags, 0, make_capture("c1", &c1), 0);
    link_gates(no_id, 0, make_capture("c2", &c2), 0);
    struct rte_mbuf *p = tagged_packet(0x1f, 3), *q = tagged_packet(0x1f, 3);
    push(no_tags, 0, &p, 1);
    push(no_id, 0, &q, 1);
    struct e2_nsh h;
    assert_int_equal(e2_nsh_parse_frame(rte_pktmbuf_mtod(c1->pkts[0], uint8_t *),
                                        rte_pktmbuf_data_len(c1->pkts[0]), &h),
                     E2_NSH_OK);
    assert_int_equal(h.md.valid, E2_NSH_MD_FLOW_ID);
    assert_int_equal(e2_nsh_parse_frame(rte_pktmbuf_mtod(c2->pkts[0], uint8_t *),
                                        rte_pktmbuf_data_len(c2->pkts[0]), &h),
                     E2_NSH_OK);
    assert_int_equal(h.md.valid, 0x1e);
}

/* An mbuf holding @len bytes of @data. */
static struct rte_mbuf *mbuf_of(const uint8_t *data, size_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(e2_pktpool());
    assert_non_null(m);
    memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
    return m;
}

static void every_malformation_is_dropped_and_counted_under_its_reason(void **state)
{
    (void)state;
    struct capture *wire, *out;
    struct e2_module *enc = encap("enc", 7, ""),
                     *dec = make("dec", "NSHDecap",
                                 "{\"spis\": [{\"spi\": 7, \"gate\": 0}],"
                                 " \"miss_gate\": 0}");
    link_gates(enc, 0, make_capture("wire", &wire), 0);
    link_gates(dec, 0, make_capture("out", &out), 0);
    struct rte_mbuf *p = tagged_packet(E2_META_TAG(0) | E2_META_FLOW_ID, 1);
    push(enc, 0, &p, 1);
    uint8_t good[256];
    size_t n = rte_pktmbuf_data_len(wire->pkts[0]); /* 14 + 24 + 60 */
    memcpy(good, rte_pktmbuf_mtod(wire->pkts[0], void *), n);
    capture_clear(wire);
    static const struct {
        const char *reason;
        int at, value; /* byte to change (-1: none), its new value */
        size_t len;    /* 0: the whole frame */
    } cases[] = {
        {"not_nsh", 13, 0x00, 0}, {"short", -1, 0, 21},       {"version", 14, 0x4f, 0},
        {"oam", 14, 0x2f, 0},     {"md_type", 16, 0x01, 0},   {"next_proto", 17, 0x01, 0},
        {"length", 15, 0xc1, 0},  {"length", -1, 0, 14 + 23}, {"tlv_length", 25, 13, 0},
        {"e2_tlv", 25, 3, 0},     {"e2_tlv", 32, 0, 0},       {"inner_short", -1, 0, 14 + 24 + 13},
    };
    struct rte_mbuf *bad[RTE_DIM(cases)];
    for (size_t i = 0; i < RTE_DIM(cases); i++) {
        uint8_t f[256];
        memcpy(f, good, n);
        if (cases[i].at >= 0) f[cases[i].at] = (uint8_t)cases[i].value;
        bad[i] = mbuf_of(f, cases[i].len ? cases[i].len : n);
    }
    push(dec, 0, bad, RTE_DIM(bad));
    assert_int_equal(out->n, 0);
    assert_int_equal(dec->dropped, RTE_DIM(cases));
    json_t *s = stats(dec), *why = json_object_get(s, "malformed_by_reason");
    assert_int_equal(json_integer_value(json_object_get(s, "malformed")), RTE_DIM(cases));
    assert_int_equal(json_integer_value(json_object_get(s, "decapsulated")), 0);
    for (size_t i = 0; i < RTE_DIM(cases); i++) {
        int want = 0;
        for (size_t k = 0; k < RTE_DIM(cases); k++)
            want += strcmp(cases[k].reason, cases[i].reason) == 0;
        assert_int_equal(json_integer_value(json_object_get(why, cases[i].reason)), want);
    }
    json_decref(s);
    struct rte_mbuf *ok = mbuf_of(good, n);
    push(dec, 0, &ok, 1);
    assert_int_equal(out->n, 1);
}

static void spis_steer_to_their_gates_and_misses_take_the_miss_gate(void **state)
{
    (void)state;
    struct capture *out;
    struct e2_module *dec = make("dec", "NSHDecap",
                                 "{\"spis\": [{\"spi\": 5, \"gate\": 0}, {\"spi\": 16777215, "
                                 "\"gate\": 1}, {\"spi\": 0, \"gate\": 3}], \"miss_gate\": 2}");
    struct e2_module *c = make_capture("out", &out);
    for (uint16_t g = 0; g < 4; g++) link_gates(dec, g, c, g);
    static const uint32_t spis[] = {5, 16777215, 6, 0, 5};
    static const uint16_t want[] = {0, 1, 2, 3, 0};
    struct capture *wire;
    struct e2_module *w = make_capture("wire", &wire);
    for (size_t i = 0; i < RTE_DIM(spis); i++) {
        char name[8];
        snprintf(name, sizeof(name), "e%zu", i);
        struct e2_module *e = encap(name, spis[i], "");
        link_gates(e, 0, w, 0);
        struct rte_mbuf *p = tagged_packet(0, (uint32_t)i);
        push(e, 0, &p, 1);
    }
    struct rte_mbuf *sent[RTE_DIM(spis)];
    memcpy(sent, wire->pkts, sizeof(sent));
    push(dec, 0, wire->pkts, wire->n);
    wire->n = 0;
    assert_int_equal(out->n, RTE_DIM(spis));
    for (size_t i = 0; i < RTE_DIM(spis); i++) { /* the split keeps order per gate only */
        unsigned k = 0;
        while (out->pkts[k] != sent[i]) k++;
        assert_int_equal(out->igate[k], want[i]);
    }
    assert_int_equal(stat_of(dec, "spi_miss"), 1);
    assert_int_equal(stat_of(dec, "decapsulated"), RTE_DIM(spis));
}

static void spi_commands_change_the_table_and_refuse_what_is_wrong(void **state)
{
    (void)state;
    struct e2_module *dec = make("dec", "NSHDecap", "{\"spis\": [{\"spi\": 5, \"gate\": 0}]}");
    char msg[E2_ERR_MSG_MAX];
    assert_int_equal(command(dec, "add_spi", "{\"spi\": 9, \"gate\": 3}", NULL, msg, sizeof(msg)),
                     0);
    assert_int_not_equal(
        command(dec, "add_spi", "{\"spi\": 5, \"gate\": 3}", NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "dec.add_spi: spi 5 is given twice (gates 0 and 3)");
    assert_int_not_equal(command(dec, "remove_spi", "{\"spi\": 6}", NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "dec.remove_spi: no spi 6");
    assert_int_not_equal(
        command(dec, "add_spi", "{\"spi\": 16777216, \"gate\": 1}", NULL, msg, sizeof(msg)), 0);
    assert_int_equal(command(dec, "remove_spi", "{\"spi\": 5}", NULL, msg, sizeof(msg)), 0);
    json_t *r = NULL;
    assert_int_equal(command(dec, "get_spis", NULL, &r, NULL, 0), 0);
    assert_int_equal(json_array_size(json_object_get(r, "spis")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(r, "spis"), 0), "spi")),
        9);
    assert_int_equal(json_integer_value(json_object_get(r, "miss_gate")), -1);
    json_decref(r);
    assert_int_not_equal(
        command(dec, "set_spis",
                "{\"spis\": [{\"spi\": 1, \"gate\": 0}, {\"spi\": 1, \"gate\": 2}]}", NULL, msg,
                sizeof(msg)),
        0);
    assert_string_equal(msg, "dec.set_spis: spi 1 is given twice (gates 0 and 2)");
    load_fails("d :: NSHDecap(spis=[{spi=1, gate=0}, {gate=1}]);",
               "t.conf:1:1: module 'd' (NSHDecap): spis[1]: missing required argument 'spi'");
    load_fails("e :: NSHEncap(spi=1, dst_mac=\"02:00:00:00:00:01\");",
               "t.conf:1:1: module 'e' (NSHEncap): missing required argument 'src_mac'");
}

/* Packets leaving e2d's NIC have no headroom left to spare once it is used up: dropped, counted. */
static void a_packet_without_headroom_is_dropped_and_counted(void **state)
{
    (void)state;
    struct capture *wire;
    struct e2_module *enc = encap("enc", 1, "");
    link_gates(enc, 0, make_capture("wire", &wire), 0);
    struct rte_mbuf *p = tagged_packet(0x1f, 1);
    rte_pktmbuf_prepend(p, (uint16_t)(rte_pktmbuf_headroom(p) - 20)); /* 20 bytes left */
    push(enc, 0, &p, 1);
    assert_int_equal(wire->n, 0);
    assert_int_equal(stat_of(enc, "no_headroom"), 1);
    assert_int_equal(enc->dropped, 1);
}

/* ---- FlowHash hash="ovs" ---- */

static uint32_t flow_id_of(struct e2_module *fh, struct capture *c, struct rte_mbuf *p)
{
    push(fh, 0, &p, 1);
    assert_int_equal(c->n, 1);
    uint32_t id = 0;
    assert_int_equal(e2_meta_get_flow_id(c->pkts[0], &id), 0);
    capture_clear(c);
    return id;
}

/*
 * ofproto/trace of UDP 10.0.0.1:1234 -> 10.0.0.2:80 through multipath(symmetric_l3l4+udp, 0,
 * modulo_n, 65536, 0, reg0[0..15]) on ovs-vswitchd 3.1 gave reg0 = 0xfedd (and 0xe306 for
 * hash_threshold: the hash is 0xe306fedd).
 */
static void flowhash_ovs_gives_the_flow_id_ovs_traced(void **state)
{
    (void)state;
    struct capture *c;
    struct e2_module *fh = make("fh", "FlowHash", "{\"hash\": \"ovs\", \"miss_gate\": 0}"),
                     *fh8 = make("fh8", "FlowHash",
                                 "{\"hash\": \"ovs\", \"bits\": 8, \"miss_gate\": 0}");
    struct e2_module *cap = make_capture("c", &c);
    link_gates(fh, 0, cap, 0);
    link_gates(fh8, 0, cap, 0);
    assert_int_equal(flow_id_of(fh, c, udp_packet(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1234, 80, 60)),
                     0xfedd);
    assert_int_equal(flow_id_of(fh, c, udp_packet(IP(10, 0, 0, 2), IP(10, 0, 0, 1), 80, 1234, 60)),
                     0xfedd); /* symmetric */
    assert_int_equal(flow_id_of(fh8, c, udp_packet(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1234, 80, 60)),
                     0xdd);
    /* the same frame in two segments (the IP header cut in the middle) */
    struct rte_mbuf *whole = udp_packet(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1234, 80, 60);
    struct rte_mbuf *head = mbuf_of(rte_pktmbuf_mtod(whole, uint8_t *), 24),
                    *tail = mbuf_of(rte_pktmbuf_mtod(whole, uint8_t *) + 24, 36);
    rte_pktmbuf_free(whole);
    assert_int_equal(rte_pktmbuf_chain(head, tail), 0);
    assert_int_equal(flow_id_of(fh, c, head), 0xfedd);
    json_t *r = NULL;
    assert_int_equal(command(fh, "get_ranges", NULL, &r, NULL, 0), 0);
    assert_string_equal(json_string_value(json_object_get(r, "hash")), "ovs");
    assert_string_equal(json_string_value(json_object_get(r, "ovs_fields")), "symmetric_l3l4+udp");
    json_decref(r);
}

static void flowhash_ovs_refuses_what_ovs_cannot_hash(void **state)
{
    (void)state;
    load_fails(
        "f :: FlowHash(hash=\"ovs\", fields=[src_ip, proto]);",
        "t.conf:1:1: module 'f' (FlowHash): fields: hash=\"ovs\" hashes what OVS's multipath "
        "can: [src_ip] (nw_src), [dst_ip] (nw_dst), [src_ip, dst_ip] (symmetric_l3) or the "
        "5-tuple (symmetric_l3l4+udp)");
    load_fails("f :: FlowHash(hash=\"ovs\", bits=17);",
               "t.conf:1:1: module 'f' (FlowHash): bits: hash=\"ovs\" takes at most 16 "
               "(multipath's modulo_n has at most 65536 links)");
    load("a :: FlowHash(hash=\"ovs\", fields=[src_ip]); b :: FlowHash(hash=\"ovs\", "
         "fields=[dst_ip, src_ip]);");
}

/* ---- live ---- */

static uint64_t sunk(const char *name)
{
    struct e2_module *m = e2_graph_module_find(name);
    json_t *s = m->type->stats(m);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(s, "packets"));
    json_decref(s);
    return n;
}

/*
 * Two service paths (SPI 1 and 2, half the flows each) into one NSHDecap; SPI 2 is added,
 * removed and the whole table replaced over and over while a worker pushes the traffic: every
 * packet must come out (SPI 2 by its entry or by the miss gate), none malformed or lost.
 */
static void spis_change_under_traffic_without_losing_packets(void **state)
{
    (void)state;
    const uint64_t total = 400000;
    char conf[1024];
    snprintf(
        conf, sizeof(conf),
        "src :: Source(limit=%llu, templates=[{src_ip=\"10.0.0.0/24\"}]) -> fh :: "
        "FlowHash(bits=1, ranges=[{lo=0, hi=1, gate=0}, {lo=1, hi=2, gate=1}]);\n"
        "fh[0] -> NSHEncap(spi=1, dst_mac=\"02:00:00:00:00:02\", src_mac=\"02:00:00:00:00:01\") "
        "-> [0]mg :: Merge();\n"
        "fh[1] -> NSHEncap(spi=2, dst_mac=\"02:00:00:00:00:02\", src_mac=\"02:00:00:00:00:01\") "
        "-> [1]mg;\n"
        "mg -> dec :: NSHDecap(spis=[{spi=1, gate=0}], miss_gate=2);\n"
        "dec[0] -> a :: Sink(); dec[1] -> b :: Sink(); dec[2] -> miss :: Sink();",
        (unsigned long long)total);
    load(conf);
    struct e2_module *dec = e2_graph_module_find("dec");
    unsigned during = 0;
    for (unsigned i = 0; sunk("a") + sunk("b") + sunk("miss") < total && i < 1000000; i++) {
        if (i % 3 == 2) {
            assert_int_equal(command(dec, "set_spis",
                                     "{\"spis\": [{\"spi\": 1, \"gate\": 0}, {\"spi\": 2, "
                                     "\"gate\": 1}], \"miss_gate\": 2}",
                                     NULL, NULL, 0),
                             0);
            assert_int_equal(command(dec, "remove_spi", "{\"spi\": 2}", NULL, NULL, 0), 0);
        } else {
            assert_int_equal(command(dec, "add_spi", "{\"spi\": 2, \"gate\": 1}", NULL, NULL, 0),
                             0);
            assert_int_equal(command(dec, "remove_spi", "{\"spi\": 2}", NULL, NULL, 0), 0);
        }
        during += sunk("a") + sunk("b") + sunk("miss") > 0;
    }
    assert_true(during >= 20);
    assert_int_equal(sunk("a") + sunk("b") + sunk("miss"), total);
    struct e2_module *fh = e2_graph_module_find("fh");
    assert_true(sunk("b") > 0 && sunk("miss") > 0);
    assert_int_equal(sunk("a"), fh->ogates[0].pkts);
    assert_int_equal(sunk("b") + sunk("miss"), fh->ogates[1].pkts);
    assert_int_equal(dec->dropped, 0);
    assert_int_equal(stat_of(dec, "malformed"), 0);
    assert_int_equal(stat_of(dec, "spi_miss"), sunk("miss"));
}

int main(void)
{
    harness_start(1, true);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(round_trip_restores_frame_tags_and_flow_id),
        T(tags_false_and_flow_id_false_leave_the_metadata_out),
        T(every_malformation_is_dropped_and_counted_under_its_reason),
        T(spis_steer_to_their_gates_and_misses_take_the_miss_gate),
        T(spi_commands_change_the_table_and_refuse_what_is_wrong),
        T(a_packet_without_headroom_is_dropped_and_counted),
        T(flowhash_ovs_gives_the_flow_id_ovs_traced),
        T(flowhash_ovs_refuses_what_ovs_cannot_hash),
        T(spis_change_under_traffic_without_losing_packets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
