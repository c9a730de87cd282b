/* OVS's multipath hashes: flow IDs recorded from ovs-vswitchd, symmetry, field extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/ovs_hash.h"
#include "frames.h"

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++) assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
    return n;
}

/* Every frame of the recorded file gives OVS's flow ID for every field set. */
static void flow_ids_match_ovs(void **state)
{
    (void)state;
    FILE *f = fopen(E2_SW_TESTDATA "/ovs_hash_vectors.txt", "r");
    assert_non_null(f);
    char line[4096], hex[2048];
    unsigned want[E2_OVS_HASH_N], lines = 0;
    uint8_t frame[1024];
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#') continue;
        int n = sscanf(line, "%2047s %x %x %x %x %x %x %x", hex, &want[0], &want[1], &want[2],
                       &want[3], &want[4], &want[5], &want[6]);
        assert_int_equal(n, 1 + E2_OVS_HASH_N);
        size_t len = unhex(hex, frame, sizeof(frame));
        for (int k = 0; k < E2_OVS_HASH_N; k++) {
            uint32_t got = e2_ovs_flow_id(frame, len, k, 16);
            if (got != want[k])
                fail_msg("line %u, %s: got 0x%x, OVS 0x%x", lines + 1, e2_ovs_hash_fields_name(k),
                         got, want[k]);
        }
        lines++;
    }
    fclose(f);
    assert_true(lines >= 20);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < E2_OVS_HASH_N; k++)
        assert_int_equal(e2_ovs_hash_fields_parse(e2_ovs_hash_fields_name(k)), k);
    assert_int_equal(e2_ovs_hash_fields_parse("Symmetric_L3L4+UDP"),
                     E2_OVS_HASH_SYMMETRIC_L3L4_UDP);
    assert_int_equal(e2_ovs_hash_fields_parse("crc32c"), -EINVAL);
    assert_null(e2_ovs_hash_fields_name(E2_OVS_HASH_N));
}

static struct tf_flow random_flow(unsigned *seed)
{
    struct tf_flow f = {.dst = {2, 0xe2, 0, 0, 0, 1}, .src = {2, 0, 0, 0, 0, 2}};
    f.sip = (uint32_t)rand_r(seed) * 7919u;
    f.dip = (uint32_t)rand_r(seed) * 104729u;
    f.proto = rand_r(seed) % 2 ? 6 : 17;
    f.sport = (uint16_t)rand_r(seed), f.dport = (uint16_t)rand_r(seed);
    f.src[5] = (uint8_t)rand_r(seed);
    return f;
}

static struct tf_flow reversed(struct tf_flow f)
{
    struct tf_flow r = f;
    memcpy(r.dst, f.src, 6), memcpy(r.src, f.dst, 6);
    r.sip = f.dip, r.dip = f.sip, r.sport = f.dport, r.dport = f.sport;
    return r;
}

/* The symmetric field sets give both directions of a flow the same ID; nw_src swaps with nw_dst. */
static void symmetric_sets_ignore_direction(void **state)
{
    (void)state;
    static const enum e2_ovs_hash_fields sym[] = {
        E2_OVS_HASH_SYMMETRIC_L4, E2_OVS_HASH_SYMMETRIC_L3L4, E2_OVS_HASH_SYMMETRIC_L3L4_UDP,
        E2_OVS_HASH_SYMMETRIC_L3};
    unsigned seed = 1;
    uint8_t a[128], b[128];
    for (int i = 0; i < 500; i++) {
        struct tf_flow f = random_flow(&seed), r = reversed(f);
        size_t la = tf_frame(a, &f, 10), lb = tf_frame(b, &r, 10);
        for (size_t k = 0; k < sizeof(sym) / sizeof(sym[0]); k++)
            assert_int_equal(e2_ovs_flow_id(a, la, sym[k], 16), e2_ovs_flow_id(b, lb, sym[k], 16));
        assert_int_equal(e2_ovs_flow_id(a, la, E2_OVS_HASH_NW_SRC, 16),
                         e2_ovs_flow_id(b, lb, E2_OVS_HASH_NW_DST, 16));
    }
}

/* modulo_n over 2^bits links keeps the low bits of the hash. */
static void narrower_ids_are_low_bits(void **state)
{
    (void)state;
    unsigned seed = 2;
    uint8_t a[128];
    for (int i = 0; i < 200; i++) {
        struct tf_flow f = random_flow(&seed);
        size_t len = tf_frame(a, &f, 0);
        uint32_t id16 = e2_ovs_flow_id(a, len, E2_OVS_HASH_SYMMETRIC_L3L4_UDP, 16);
        for (unsigned bits = 1; bits < 16; bits++)
            assert_int_equal(e2_ovs_flow_id(a, len, E2_OVS_HASH_SYMMETRIC_L3L4_UDP, bits),
                             id16 & ((1u << bits) - 1));
    }
}

static void extracts_what_ovs_extracts(void **state)
{
    (void)state;
    uint8_t a[256];
    struct e2_ovs_flow fl;
    struct tf_flow f = {.dst = {2, 0xe2, 0, 0, 0, 1},
                        .src = {2, 0, 0, 0, 0, 2},
                        .sip = 0x0a000001,
                        .dip = 0x0a010001,
                        .proto = 17,
                        .sport = 1000,
                        .dport = 5000};
    size_t len = tf_frame(a, &f, 4);
    assert_int_equal(e2_ovs_flow_extract(a, len, &fl), 0);
    assert_int_equal(fl.dl_type, 0x0800);
    assert_memory_equal(fl.nw_src, "\x0a\x00\x00\x01", 4);
    assert_int_equal(fl.nw_proto, 17);
    assert_int_equal(fl.tp_src, 1000);
    assert_int_equal(fl.tp_dst, 5000);
    assert_int_equal(fl.nw_frag, 0);
    /* A later fragment has no ports. */
    a[14 + 6] = 0x00, a[14 + 7] = 0x10;
    e2_ovs_flow_extract(a, len, &fl);
    assert_int_equal(fl.nw_frag, E2_OVS_FRAG_ANY | E2_OVS_FRAG_LATER);
    assert_int_equal(fl.tp_src, 0);
    /* One VLAN tag is skipped and its ID kept. */
    memmove(a + 16, a + 12, len - 12);
    a[12] = 0x81, a[13] = 0x00, a[14] = 0x20, a[15] = 0x64;
    e2_ovs_flow_extract(a, len + 4, &fl);
    assert_int_equal(fl.vlan_vid, 100);
    assert_int_equal(fl.dl_type, 0x0800);
    /* NSH: SPI, SI, next protocol. */
    static const uint8_t nsh[] = {2, 0,    0,    0,    0,    1,    2,    0,    0,    0,    0,
                                  2, 0x89, 0x4f, 0x0f, 0xc2, 0x02, 0x03, 0x12, 0x34, 0x56, 0xfe};
    e2_ovs_flow_extract(nsh, sizeof(nsh), &fl);
    assert_int_equal(fl.dl_type, E2_OVS_ETH_NSH);
    assert_int_equal(fl.nsh_spi, 0x123456);
    assert_int_equal(fl.nsh_si, 0xfe);
    assert_int_equal(fl.nsh_np, 3);
    assert_int_equal(fl.nsh_mdtype, 2);
    assert_int_equal(e2_ovs_flow_extract(nsh, 13, &fl), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flow_ids_match_ovs),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(symmetric_sets_ignore_direction),
        cmocka_unit_test(narrower_ids_are_low_bits),
        cmocka_unit_test(extracts_what_ovs_extracts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
