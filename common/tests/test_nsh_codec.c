/*
 * The NSH codec: the exact bytes E2 writes (RFC 8300 field by field), round trips for every
 * combination of tags and flow ID, each malformation refused for its own reason, what is
 * ignored (unassigned bits, other classes, unknown E2 types), and no read past the frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "e2_nsh.h"

/* A frame: outer Ethernet, the NSH header for @md, a 60-byte inner frame; returns its length. */
static size_t frame(uint8_t *f, uint32_t spi, uint8_t si, const struct e2_nsh_md *md)
{
    memset(f, 0, 256);
    memset(f, 0x02, 12);
    f[12] = 0x89, f[13] = 0x4f;
    size_t n = e2_nsh_write(f + 14, spi, si, E2_NSH_TTL, md);
    for (int i = 0; i < 60; i++) f[14 + n + i] = (uint8_t)i;
    return 14 + n + 60;
}

static void header_bytes_are_rfc8300_md_type_2(void **state)
{
    (void)state;
    struct e2_nsh_md md = {.valid = E2_NSH_MD_TAG(2) | E2_NSH_MD_FLOW_ID,
                           .flow_id = 0x1234,
                           .tag = {[2] = 0xdeadbeef}};
    uint8_t p[E2_NSH_HDR_MAX];
    assert_int_equal(e2_nsh_hdr_len(&md), 24);
    assert_int_equal(e2_nsh_write(p, 0x123456, 255, 63, &md), 24);
    static const uint8_t want[24] = {
        0x0f, 0xc6, 0x02, 0x03, /* Ver 0, O 0, TTL 63, Length 6 words, MD type 2, NP Ethernet */
        0x12, 0x34, 0x56, 0xff, /* SPI 0x123456, SI 255 */
        0xff, 0xf6, 0x02, 0x04, /* class 0xFFF6, type 2 (tag slot 2), length 4 */
        0xde, 0xad, 0xbe, 0xef, /* the tag */
        0xff, 0xf6, 0x10, 0x04, /* class 0xFFF6, type 0x10 (flow ID), length 4 */
        0x00, 0x00, 0x12, 0x34, /* the flow ID */
    };
    assert_memory_equal(p, want, sizeof(want));
    struct e2_nsh_md none = {0};
    assert_int_equal(e2_nsh_write(p, 1, 7, 63, &none), 8);
    static const uint8_t bare[8] = {0x0f, 0xc2, 0x02, 0x03, 0x00, 0x00, 0x01, 0x07};
    assert_memory_equal(p, bare, sizeof(bare));
}

static void every_combination_of_tags_and_flow_id_round_trips(void **state)
{
    (void)state;
    for (unsigned valid = 0; valid < 32; valid++) {
        struct e2_nsh_md md = {.valid = (uint8_t)valid, .flow_id = 0xabcdef01u ^ valid};
        for (unsigned i = 0; i < E2_NSH_TAGS; i++)
            md.tag[i] = (md.valid & E2_NSH_MD_TAG(i)) ? 0x11111111u * (i + 1) : 0;
        if (!(md.valid & E2_NSH_MD_FLOW_ID)) md.flow_id = 0;
        uint8_t f[256];
        size_t n = frame(f, E2_NSH_SPI_MAX - valid, (uint8_t)(200 + valid), &md);
        struct e2_nsh h;
        assert_int_equal(e2_nsh_parse_frame(f, n, &h), E2_NSH_OK);
        assert_int_equal(h.spi, E2_NSH_SPI_MAX - valid);
        assert_int_equal(h.si, 200 + valid);
        assert_int_equal(h.ttl, E2_NSH_TTL);
        assert_int_equal(h.len, e2_nsh_hdr_len(&md));
        assert_int_equal(h.skipped, 0);
        assert_memory_equal(&h.md, &md, sizeof(md));
        assert_int_equal(f[14 + h.len + 59], 59); /* the inner frame is where it says */
    }
}

/* Why the frame @f is refused (E2_NSH_OK: it is not). */
static enum e2_nsh_bad parse_edited(const uint8_t *f, size_t n)
{
    struct e2_nsh h;
    return e2_nsh_parse_frame(f, n, &h);
}

static void each_malformation_is_refused_for_its_own_reason(void **state)
{
    (void)state;
    struct e2_nsh_md md = {.valid = E2_NSH_MD_TAG(0) | E2_NSH_MD_FLOW_ID, .flow_id = 9};
    uint8_t good[256], f[256];
    size_t n = frame(good, 5, 255, &md), hl = e2_nsh_hdr_len(&md); /* 24 */
#define CASE(why, len, ...)                                                                        \
    do {                                                                                           \
        memcpy(f, good, sizeof(f));                                                                \
        __VA_ARGS__;                                                                               \
        assert_int_equal(parse_edited(f, len), why);                                               \
    } while (0)
    CASE(E2_NSH_OK, n, (void)0);
    CASE(E2_NSH_BAD_NOT_NSH, 13, (void)0);
    CASE(E2_NSH_BAD_NOT_NSH, n, f[13] = 0x4e);
    CASE(E2_NSH_BAD_NOT_NSH, n, f[12] = 0x08, f[13] = 0x00);
    CASE(E2_NSH_BAD_SHORT, 21, (void)0);
    CASE(E2_NSH_BAD_VERSION, n, f[14] |= 0x40);
    CASE(E2_NSH_BAD_VERSION, n, f[14] |= 0x80);
    CASE(E2_NSH_BAD_OAM, n, f[14] |= 0x20);
    CASE(E2_NSH_BAD_MD_TYPE, n, f[16] = 0x01);
    CASE(E2_NSH_BAD_MD_TYPE, n, f[16] = 0x0f);
    CASE(E2_NSH_BAD_MD_TYPE, n, f[16] = 0x00);
    CASE(E2_NSH_BAD_NEXT_PROTO, n, f[17] = 0x01);
    CASE(E2_NSH_BAD_NEXT_PROTO, n, f[17] = 0x04);
    CASE(E2_NSH_BAD_LENGTH, n, f[15] = (uint8_t)((f[15] & 0xc0) | 1));
    CASE(E2_NSH_BAD_LENGTH, n, f[15] = (uint8_t)((f[15] & 0xc0) | 0));
    CASE(E2_NSH_BAD_LENGTH, 14 + hl - 1, (void)0);
    CASE(E2_NSH_BAD_LENGTH, n, f[15] = (uint8_t)(f[15] | 0x3f)); /* 252 bytes > the frame */
    /* Length 7 words: the inner frame's first 4 bytes read as a TLV header, its value cut */
    CASE(E2_NSH_BAD_TLV_LENGTH, n, f[15] = (uint8_t)((f[15] & 0xc0) | 7));
    /* Length 5 words: the second TLV's value is cut */
    CASE(E2_NSH_BAD_TLV_LENGTH, n, f[15] = (uint8_t)((f[15] & 0xc0) | 5));
    CASE(E2_NSH_BAD_TLV_LENGTH, n, f[22 + 3] = 13); /* first TLV claims 13 bytes (16 padded) */
    CASE(E2_NSH_BAD_TLV_LENGTH, n, f[30 + 3] = 5);  /* last TLV claims 5 bytes (8 padded) */
    CASE(E2_NSH_BAD_E2_TLV, n, f[22 + 3] = 3);      /* an E2 tag of 3 bytes */
    CASE(E2_NSH_BAD_E2_TLV, n, f[22 + 3] = 0);      /* ... of none */
    CASE(E2_NSH_BAD_E2_TLV, n, f[30 + 2] = 0);      /* tag slot 0 twice */
    CASE(E2_NSH_BAD_INNER, 14 + hl + 13, (void)0);  /* inner frame of 13 bytes */
    CASE(E2_NSH_OK, 14 + hl + 14, (void)0);         /* ... of 14 */
#undef CASE
}

static void unassigned_bits_other_classes_and_unknown_types_are_ignored(void **state)
{
    (void)state;
    struct e2_nsh_md md = {.valid = E2_NSH_MD_TAG(1) | E2_NSH_MD_TAG(3), .tag = {0, 7, 0, 8}};
    uint8_t f[256];
    size_t n = frame(f, 77, 254, &md);
    f[14] |= 0x10;              /* U bit after O */
    f[16] |= 0xf0;              /* the four U bits before MD type */
    f[22 + 3] |= 0x80;          /* a TLV's U bit */
    f[30] = 0x00, f[31] = 0x00; /* second TLV: IETF class 0: skipped */
    struct e2_nsh h;
    assert_int_equal(e2_nsh_parse_frame(f, n, &h), E2_NSH_OK);
    assert_int_equal(h.md.valid, E2_NSH_MD_TAG(1));
    assert_int_equal(h.md.tag[1], 7);
    assert_int_equal(h.skipped, 1);
    f[30] = 0xff, f[31] = 0xf6, f[32] = 0x42; /* E2 class, a type E2 does not know: skipped */
    assert_int_equal(e2_nsh_parse_frame(f, n, &h), E2_NSH_OK);
    assert_int_equal(h.skipped, 1);
    f[33] = 0; /* ... with no value: its old value reads as a TLV of 8 bytes, cut by Length */
    assert_int_equal(e2_nsh_parse_frame(f, n, &h), E2_NSH_BAD_TLV_LENGTH);
}

/* Under ASan each prefix lives in a buffer of exactly its size: any over-read is reported. */
static void no_prefix_of_a_frame_is_read_past(void **state)
{
    (void)state;
    struct e2_nsh_md md = {.valid = 0x1f, .flow_id = 1, .tag = {1, 2, 3, 4}};
    uint8_t f[256];
    size_t n = frame(f, 3, 255, &md);
    unsigned ok = 0;
    for (size_t len = 0; len <= n; len++) {
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, f, len);
        struct e2_nsh h;
        ok += e2_nsh_parse_frame(p, len, &h) == E2_NSH_OK;
        free(p);
    }
    assert_int_equal(ok, n - (14 + e2_nsh_hdr_len(&md) + 14) + 1);
    assert_string_equal(e2_nsh_bad_name(E2_NSH_BAD_TLV_LENGTH), "tlv_length");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_bytes_are_rfc8300_md_type_2),
        cmocka_unit_test(every_combination_of_tags_and_flow_id_round_trips),
        cmocka_unit_test(each_malformation_is_refused_for_its_own_reason),
        cmocka_unit_test(unassigned_bits_other_classes_and_unknown_types_are_ignored),
        cmocka_unit_test(no_prefix_of_a_frame_is_read_past),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
