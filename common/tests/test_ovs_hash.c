/*
 * e2_ovs_hash against the real Open vSwitch: every vector (a frame and, for each field set and
 * basis, the 32-bit hash ovs-vswitchd's multipath computed for it, ovs_hash_vectors.sh) must
 * come out the same; the symmetric sets must not care about direction; every prefix of every frame
 * is extracted without reading past it; the E2 field sets map to OVS's names as contract A says.
 *
 * Usage: test_ovs_hash [VECTORS]   (default: the checked-in tests/ovs_hash_vectors.txt)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_ovs_hash.h"

#define MAX_FRAMES  5000
#define MAX_FRAME   2048
#define MAX_COLUMNS 32

/* The file: a header "# FIELDS/BASIS ...", then lines "HASH ... FRAME_HEX", a hash per column. */
struct column {
    enum e2_ovs_fields fields;
    uint16_t basis;
};

struct frame {
    uint8_t *p;
    size_t len;
    uint32_t hash[MAX_COLUMNS];
};

static const char *vectors_path = E2_OVS_VECTORS;
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
        if (e2_ovs_fields_parse(tok, &col[n_col].fields) != 0)
            fail_msg("unknown field set %s", tok);
        col[n_col++].basis = (uint16_t)atoi(slash + 1);
    }
}

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void parse_frame(char *line, struct frame *f)
{
    char *tok = strtok(line, " \n");
    for (unsigned c = 0; c < n_col && tok; c++, tok = strtok(NULL, " \n"))
        f->hash[c] = (uint32_t)strtoul(tok, NULL, 16);
    if (!tok) fail_msg("%s: short line", vectors_path);
    f->len = strlen(tok) / 2;
    f->p = malloc(f->len);
    for (size_t i = 0; i < f->len; i++)
        f->p[i] = (uint8_t)(hexval(tok[2 * i]) << 4 | hexval(tok[2 * i + 1]));
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
        if (line[0] == '#')
            parse_header(line);
        else
            parse_frame(line, &fr[n_fr++]);
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

static void every_vector_hashes_as_ovs_did(void **state)
{
    (void)state;
    assert_true(n_fr >= 150);
    unsigned bad = 0, per_set[E2_OVS_FIELDS_N] = {0};
    for (size_t i = 0; i < n_fr; i++) {
        struct e2_ovs_flow f;
        e2_ovs_flow_extract(fr[i].p, fr[i].len, &f);
        for (unsigned c = 0; c < n_col; c++) {
            uint32_t h = e2_ovs_flow_hash(&f, col[c].fields, col[c].basis);
            per_set[col[c].fields]++;
            if (h == fr[i].hash[c]) continue;
            if (bad++ < 10)
                fprintf(stderr,
                        "frame %zu: %s basis %u: OVS %08x, e2 %08x (dl_type %04x proto %u)\n", i,
                        e2_ovs_fields_name(col[c].fields), col[c].basis, fr[i].hash[c], h,
                        f.dl_type, f.nw_proto);
        }
    }
    for (int s = 0; s < E2_OVS_FIELDS_N; s++) assert_true(per_set[s] > 0);
    assert_int_equal(bad, 0);
}

/* The hash of the example packet worked out by hand from OVS's trace (reg0/reg1 halves). */
static void murmur_steps_give_the_traced_symmetric_l3l4_udp_hash(void **state)
{
    (void)state;
    /* 10.0.0.1 -> 10.0.0.2 UDP 1234 -> 80: addresses XOR 0.0.0.3, ports XOR 0x0482 */
    uint8_t xa[4] = {0, 0, 0, 3}, xp[2] = {0x04, 0x82};
    uint32_t a;
    uint16_t p;
    memcpy(&a, xa, 4);
    memcpy(&p, xp, 2);
    uint32_t h = e2_ovs_hash_add(e2_ovs_hash_add(e2_ovs_hash_add(0, a), 17), p);
    assert_int_equal(e2_ovs_hash_finish(h, 0), 0xe306fedd);
}

/*
 * Swap the Ethernet and IP addresses and the ports of an IPv4 or IPv6 frame without VLAN tags
 * or IPv6 extension headers in place; false for other frames.
 */
static bool reverse(uint8_t *p, size_t len)
{
    bool v4 = p[12] == 0x08 && p[13] == 0x00, v6 = p[12] == 0x86 && p[13] == 0xdd;
    size_t off = v4 ? 26 : 22, n = v4 ? 4 : 16, l4 = v4 ? 14 + (p[14] & 0xf) * 4u : 54;
    uint8_t t[16], proto = v4 ? p[23] : p[20];
    if (!(v4 || v6) || off + 2 * n > len || (v6 && memchr("\x00\x2b\x2c\x33\x3c", proto, 5)))
        return false;
    memcpy(t, p, 6), memcpy(p, p + 6, 6), memcpy(p + 6, t, 6);
    memcpy(t, p + off, n), memcpy(p + off, p + off + n, n), memcpy(p + off + n, t, n);
    if (l4 + 4 <= len)
        memcpy(t, p + l4, 2), memcpy(p + l4, p + l4 + 2, 2), memcpy(p + l4 + 2, t, 2);
    return true;
}

static void symmetric_sets_hash_both_directions_alike(void **state)
{
    (void)state;
    static const enum e2_ovs_fields sym[] = {E2_OVS_SYMMETRIC_L4, E2_OVS_SYMMETRIC_L3L4,
                                             E2_OVS_SYMMETRIC_L3L4_UDP, E2_OVS_SYMMETRIC_L3};
    unsigned checked = 0;
    for (size_t i = 0; i < n_fr; i++) {
        uint8_t back[MAX_FRAME];
        memcpy(back, fr[i].p, fr[i].len);
        if (!reverse(back, fr[i].len)) continue;
        struct e2_ovs_flow f, r;
        e2_ovs_flow_extract(fr[i].p, fr[i].len, &f);
        e2_ovs_flow_extract(back, fr[i].len, &r);
        for (size_t s = 0; s < sizeof(sym) / sizeof(sym[0]); s++)
            assert_int_equal(e2_ovs_flow_hash(&f, sym[s], 7), e2_ovs_flow_hash(&r, sym[s], 7));
        checked++;
    }
    assert_true(checked > 80);
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
            e2_ovs_flow_hash(&f, E2_OVS_SYMMETRIC_L4, 0);
            free(p);
        }
    }
}

static void e2_field_sets_map_to_ovs_names_as_contract_a_says(void **state)
{
    (void)state;
    assert_string_equal(e2_ovs_hash_name(E2_OVS_F_5TUPLE, true), "symmetric_l3l4+udp");
    assert_string_equal(e2_ovs_hash_name(E2_OVS_F_SRC_IP, false), "nw_src");
    assert_string_equal(e2_ovs_hash_name(E2_OVS_F_DST_IP, false), "nw_dst");
    assert_string_equal(e2_ovs_hash_name(E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, true), "symmetric_l3");
    assert_null(e2_ovs_hash_name(E2_OVS_F_5TUPLE, false));
    assert_null(e2_ovs_hash_name(E2_OVS_F_SRC_IP | E2_OVS_F_DST_IP, false));
    assert_null(e2_ovs_hash_name(E2_OVS_F_SRC_IP, true));
    assert_null(e2_ovs_hash_name(E2_OVS_F_SRC_IP | E2_OVS_F_PROTO, true));
    assert_null(e2_ovs_hash_name(0, true));
    for (int s = 0; s < E2_OVS_FIELDS_N; s++) {
        enum e2_ovs_fields back;
        assert_int_equal(e2_ovs_fields_parse(e2_ovs_fields_name((enum e2_ovs_fields)s), &back), 0);
        assert_int_equal(back, s);
    }
    enum e2_ovs_fields x;
    assert_int_equal(e2_ovs_fields_parse("SYMMETRIC_L3L4+UDP", &x), 0); /* OVS: any case */
    assert_int_equal(x, E2_OVS_SYMMETRIC_L3L4_UDP);
    assert_int_equal(e2_ovs_fields_parse("l3l4", &x), -1);
    assert_int_equal(e2_ovs_modulo_n(0xe306fedd, 65536), 0xfedd);
}

int main(int argc, char **argv)
{
    if (argc > 1) vectors_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_vector_hashes_as_ovs_did),
        cmocka_unit_test(murmur_steps_give_the_traced_symmetric_l3l4_udp_hash),
        cmocka_unit_test(symmetric_sets_hash_both_directions_alike),
        cmocka_unit_test(every_prefix_of_every_frame_is_extracted_within_bounds),
        cmocka_unit_test(e2_field_sets_map_to_ovs_names_as_contract_a_says),
    };
    return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
