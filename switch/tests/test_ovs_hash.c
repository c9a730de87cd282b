/* OVS's multipath hashes: hashes traced through ovs-vswitchd, symmetry, field extraction, the
 * mapping of E2 affinities. */
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

/*
 * The vectors: a header "# FIELDS/BASIS ..." naming a column per field set and basis, then a
 * line per frame "HASH ... FRAME_HEX" with the 32-bit hash ovs-vswitchd's multipath computed
 * (tests/ovs_hash_vectors.sh traces them; the checked-in file, or a fresh one given as argv[1]).
 */
#define MAX_FRAMES  5000
#define MAX_FRAME   2048
#define MAX_COLUMNS 32

struct column {
    enum e2_ovs_hash_fields fields;
    uint16_t basis;
};

struct frame {
    uint8_t *p;
    size_t len;
    uint32_t hash[MAX_COLUMNS];
};

static const char *vectors_path = E2_SW_TESTDATA "/ovs_hash_vectors.txt";
static struct column col[MAX_COLUMNS];
static unsigned n_col;
static struct frame *fr;
static size_t n_fr;

static void parse_header(char *line)
{
    for (char *tok = strtok(line + 1, " \n"); tok && n_col < MAX_COLUMNS;
         tok = strtok(NULL, " \n")) {
        char *slash = strchr(tok, '/');
        if (!slash) fail_msg("%s: bad column '%s'", vectors_path, tok);
        *slash = '\0';
        int fields = e2_ovs_hash_fields_parse(tok);
        if (fields < 0) fail_msg("%s: unknown field set %s", vectors_path, tok);
        col[n_col].fields = (enum e2_ovs_hash_fields)fields;
        col[n_col++].basis = (uint16_t)atoi(slash + 1);
    }
}

static void parse_frame(char *line, struct frame *f)
{
    char *tok = strtok(line, " \n");
    for (unsigned c = 0; c < n_col && tok; c++, tok = strtok(NULL, " \n"))
        f->hash[c] = (uint32_t)strtoul(tok, NULL, 16);
    if (!tok) fail_msg("%s: short line", vectors_path);
    f->len = strlen(tok) / 2;
    f->p = malloc(f->len);
    for (size_t i = 0; i < f->len; i++) assert_int_equal(sscanf(tok + 2 * i, "%2hhx", &f->p[i]), 1);
}

static int load_vectors(void **state)
{
    (void)state;
    FILE *f = fopen(vectors_path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", vectors_path);
        return -1;
    }
    fr = calloc(MAX_FRAMES, sizeof(*fr));
    static char line[2 * MAX_FRAME + 16 * MAX_COLUMNS];
    while (n_fr < MAX_FRAMES && fgets(line, sizeof(line), f)) {
        if (line[0] != '#')
            parse_frame(line, &fr[n_fr++]);
        else if (strchr(line, '/'))
            parse_header(line);
    }
    fclose(f);
    return 0;
}

static int free_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_fr; i++) free(fr[i].p);
    free(fr);
    return 0;
}

/* Every frame gives the hash ovs-vswitchd computed, for every field set and basis. */
static void flow_hashes_match_ovs(void **state)
{
    (void)state;
    assert_true(n_fr >= 150);
    unsigned bad = 0, per_set[E2_OVS_HASH_N] = {0};
    for (size_t i = 0; i < n_fr; i++) {
        struct e2_ovs_flow f;
        e2_ovs_flow_extract(fr[i].p, fr[i].len, &f);
        for (unsigned c = 0; c < n_col; c++) {
            uint32_t h = e2_ovs_flow_hash(&f, col[c].fields, col[c].basis);
            per_set[col[c].fields]++;
            if (h == fr[i].hash[c]) continue;
            if (bad++ < 10)
                fprintf(stderr, "frame %zu: %s basis %u: OVS %08x, e2 %08x\n", i,
                        e2_ovs_hash_fields_name(col[c].fields), col[c].basis, fr[i].hash[c], h);
        }
    }
    for (int s = 0; s < E2_OVS_HASH_N; s++) assert_true(per_set[s] > 0);
    assert_int_equal(bad, 0);
}

/* Under ASan each prefix lives in a buffer of exactly its size: any over-read is reported. */
static void every_prefix_of_every_frame_is_extracted_within_bounds(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_fr; i++) {
        for (size_t n = 0; n <= fr[i].len; n++) {
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, fr[i].p, n);
            struct e2_ovs_flow f;
            e2_ovs_flow_extract(p, n, &f);
            e2_ovs_flow_hash(&f, E2_OVS_HASH_SYMMETRIC_L4, 0);
            free(p);
        }
    }
}

/* E2's affinities map to OVS's field sets where OVS can hash them, and nowhere else. */
static void e2_affinities_map_to_ovs_field_sets(void **state)
{
    (void)state;
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_5TUPLE, true), E2_OVS_HASH_SYMMETRIC_L3L4_UDP);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_SRC_IP, false), E2_OVS_HASH_NW_SRC);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_DST_IP, false), E2_OVS_HASH_NW_DST);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, true),
                     E2_OVS_HASH_SYMMETRIC_L3);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_5TUPLE, false), -EINVAL);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, false), -EINVAL);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_SRC_IP, true), -EINVAL);
    assert_int_equal(e2_ovs_hash_fields_for(E2_OVS_F_SRC_IP | E2_OVS_F_PROTO, true), -EINVAL);
    assert_int_equal(e2_ovs_hash_fields_for(0, true), -EINVAL);
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

/* Usage: test_ovs_hash [VECTORS]   (default: the checked-in tests/data/ovs_hash_vectors.txt) */
int main(int argc, char **argv)
{
    if (argc > 1) vectors_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flow_hashes_match_ovs),
        cmocka_unit_test(every_prefix_of_every_frame_is_extracted_within_bounds),
        cmocka_unit_test(e2_affinities_map_to_ovs_field_sets),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(symmetric_sets_ignore_direction),
        cmocka_unit_test(narrower_ids_are_low_bits),
        cmocka_unit_test(extracts_what_ovs_extracts),
    };
    return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
