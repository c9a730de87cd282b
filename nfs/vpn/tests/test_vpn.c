/*
 * The VPN NF's logic: AES-GCM and ESP against the published test vectors,
 * padding, the anti-replay window, the configuration file, and tunnel mode
 * between two gateways (one encrypts, its mirror decrypts) with everything
 * that must be dropped and counted.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kit/tests/frames.h"
#include "vpn.h"

/*
 * ESP packets of draft-mcgrew-gcm-test-01 ("Test Cases for the use of GCM
 * in IPsec ESP"): key || salt, SPI, sequence number (64 bits: ESN), IV,
 * plaintext (payload, padding, trailer) and ciphertext || ICV. Where the
 * plaintext is an IPv4 datagram followed by RFC 4303 default padding and a
 * trailer, datagram_len says how long the datagram is, and the ESP layer
 * must build the same packet from it.
 */
struct vector {
    const char *name;
    uint8_t keymat[36], keymat_len;
    uint32_t spi;
    uint64_t seq;
    bool esn;
    uint8_t iv[8];
    uint8_t pt[80];
    uint32_t pt_len;
    uint8_t ct[96];
    uint32_t datagram_len;
};

static const struct vector vectors[] = {
    {
        .name = "SPI 0x00004321, AES-128, ESN",
        .keymat = {0x4c, 0x80, 0xcd, 0xef, 0xbb, 0x5d, 0x10, 0xda, 0x90, 0x6a,
                   0xc7, 0x3c, 0x36, 0x13, 0xa6, 0x34, 0x2e, 0x44, 0x3b, 0x68},
        .keymat_len = 20,
        .spi = 0x00004321,
        .seq = 0x8765432100000000ull,
        .esn = true,
        .iv = {0x49, 0x56, 0xed, 0x7e, 0x3b, 0x24, 0x4c, 0xfe},
        .pt = {0x45, 0x00, 0x00, 0x48, 0x69, 0x9a, 0x00, 0x00, 0x80, 0x11, 0x4d, 0xb7,
               0xc0, 0xa8, 0x01, 0x02, 0xc0, 0xa8, 0x01, 0x01, 0x0a, 0x9b, 0xf1, 0x56,
               0x38, 0xd3, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x04, 0x5f, 0x73, 0x69, 0x70, 0x04, 0x5f, 0x75, 0x64, 0x70, 0x03, 0x73,
               0x69, 0x70, 0x09, 0x63, 0x79, 0x62, 0x65, 0x72, 0x63, 0x69, 0x74, 0x79,
               0x02, 0x64, 0x6b, 0x00, 0x00, 0x21, 0x00, 0x01, 0x01, 0x02, 0x02, 0x01},
        .pt_len = 72,
        .ct = {0xfe, 0xcf, 0x53, 0x7e, 0x72, 0x9d, 0x5b, 0x07, 0xdc, 0x30, 0xdf, 0x52, 0x8d,
               0xd2, 0x2b, 0x76, 0x8d, 0x1b, 0x98, 0x73, 0x66, 0x96, 0xa6, 0xfd, 0x34, 0x85,
               0x09, 0xfa, 0x13, 0xce, 0xac, 0x34, 0xcf, 0xa2, 0x43, 0x6f, 0x14, 0xa3, 0xf3,
               0xcf, 0x65, 0x92, 0x5b, 0xf1, 0xf4, 0xa1, 0x3c, 0x5d, 0x15, 0xb2, 0x1e, 0x18,
               0x84, 0xf5, 0xff, 0x62, 0x47, 0xae, 0xab, 0xb7, 0x86, 0xb9, 0x3b, 0xce, 0x61,
               0xbc, 0x17, 0xd7, 0x68, 0xfd, 0x97, 0x32, 0x45, 0x90, 0x18, 0x14, 0x8f, 0x6c,
               0xbe, 0x72, 0x2f, 0xd0, 0x47, 0x96, 0x56, 0x2d, 0xfd, 0xb4},
        .datagram_len = 0,
    },
    {
        .name = "SPI 0x0000a5f8, AES-128",
        .keymat = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a,
                   0x8f, 0x94, 0x67, 0x30, 0x83, 0x08, 0xca, 0xfe, 0xba, 0xbe},
        .keymat_len = 20,
        .spi = 0x0000a5f8,
        .seq = 0x0000000aull,
        .esn = false,
        .iv = {0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88},
        .pt = {0x45, 0x00, 0x00, 0x3e, 0x69, 0x8f, 0x00, 0x00, 0x80, 0x11, 0x4d, 0xcc, 0xc0,
               0xa8, 0x01, 0x02, 0xc0, 0xa8, 0x01, 0x01, 0x0a, 0x98, 0x00, 0x35, 0x00, 0x2a,
               0x23, 0x43, 0xb2, 0xd0, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x03, 0x73, 0x69, 0x70, 0x09, 0x63, 0x79, 0x62, 0x65, 0x72, 0x63, 0x69,
               0x74, 0x79, 0x02, 0x64, 0x6b, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01},
        .pt_len = 64,
        .ct = {0xde, 0xb2, 0x2c, 0xd9, 0xb0, 0x7c, 0x72, 0xc1, 0x6e, 0x3a, 0x65, 0xbe, 0xeb, 0x8d,
               0xf3, 0x04, 0xa5, 0xa5, 0x89, 0x7d, 0x33, 0xae, 0x53, 0x0f, 0x1b, 0xa7, 0x6d, 0x5d,
               0x11, 0x4d, 0x2a, 0x5c, 0x3d, 0xe8, 0x18, 0x27, 0xc1, 0x0e, 0x9a, 0x4f, 0x51, 0x33,
               0x0d, 0x0e, 0xec, 0x41, 0x66, 0x42, 0xcf, 0xbb, 0x85, 0xa5, 0xb4, 0x7e, 0x48, 0xa4,
               0xec, 0x3b, 0x9b, 0xa9, 0x5d, 0x91, 0x8b, 0xd1, 0x83, 0xb7, 0x0d, 0x3a, 0xa8, 0xbc,
               0x6e, 0xe4, 0xc3, 0x09, 0xe9, 0xd8, 0x5a, 0x41, 0xad, 0x4a},
        .datagram_len = 62,
    },
    {
        .name = "SPI 0x4a2cbfe3, AES-256",
        .keymat = {0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67,
                   0x78, 0x89, 0x9a, 0xab, 0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23,
                   0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0x11, 0x22, 0x33, 0x44},
        .keymat_len = 36,
        .spi = 0x4a2cbfe3,
        .seq = 0x00000002ull,
        .esn = false,
        .iv = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
        .pt = {0x45, 0x00, 0x00, 0x30, 0x69, 0xa6, 0x40, 0x00, 0x80, 0x06, 0x26, 0x90, 0xc0,
               0xa8, 0x01, 0x02, 0x93, 0x89, 0x15, 0x5e, 0x0a, 0x9e, 0x00, 0x8b, 0x2d, 0xc5,
               0x7e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0x40, 0x00, 0x20, 0xbf, 0x00,
               0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x02, 0x02, 0x01},
        .pt_len = 52,
        .ct = {0xff, 0x42, 0x5c, 0x9b, 0x72, 0x45, 0x99, 0xdf, 0x7a, 0x3b, 0xcd, 0x51, 0x01, 0x94,
               0xe0, 0x0d, 0x6a, 0x78, 0x10, 0x7f, 0x1b, 0x0b, 0x1c, 0xbf, 0x06, 0xef, 0xae, 0x9d,
               0x65, 0xa5, 0xd7, 0x63, 0x74, 0x8a, 0x63, 0x79, 0x85, 0x77, 0x1d, 0x34, 0x7f, 0x05,
               0x45, 0x65, 0x9f, 0x14, 0xe9, 0x9d, 0xef, 0x84, 0x2d, 0x8e, 0xb3, 0x35, 0xf4, 0xee,
               0xcf, 0xdb, 0xf8, 0x31, 0x82, 0x4b, 0x4c, 0x49, 0x15, 0x95, 0x6c, 0x96},
        .datagram_len = 48,
    },
    {
        .name = "SPI 0x00000100, AES-128, ESN",
        .keymat = {0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23, 0x34, 0x45,
                   0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xde, 0xca, 0xf8, 0x88},
        .keymat_len = 20,
        .spi = 0x00000100,
        .seq = 0x0000000000000001ull,
        .esn = true,
        .iv = {0xca, 0xfe, 0xde, 0xba, 0xce, 0xfa, 0xce, 0x74},
        .pt = {0x45, 0x00, 0x00, 0x49, 0x33, 0xba, 0x00, 0x00, 0x7f, 0x11, 0x91, 0x06, 0xc3,
               0xfb, 0x1d, 0x10, 0xc2, 0xb1, 0xd3, 0x26, 0xc0, 0x28, 0x31, 0xce, 0x00, 0x35,
               0xdd, 0x7b, 0x80, 0x03, 0x02, 0xd5, 0x00, 0x00, 0x4e, 0x20, 0x00, 0x1e, 0x8c,
               0x18, 0xd7, 0x5b, 0x81, 0xdc, 0x91, 0xba, 0xa0, 0x47, 0x6b, 0x91, 0xb9, 0x24,
               0xb2, 0x80, 0x38, 0x9d, 0x92, 0xc9, 0x63, 0xba, 0xc0, 0x46, 0xec, 0x95, 0x9b,
               0x62, 0x66, 0xc0, 0x47, 0x22, 0xb1, 0x49, 0x23, 0x01, 0x01, 0x01},
        .pt_len = 76,
        .ct = {0x18, 0xa6, 0xfd, 0x42, 0xf7, 0x2c, 0xbf, 0x4a, 0xb2, 0xa2, 0xea, 0x90, 0x1f, 0x73,
               0xd8, 0x14, 0xe3, 0xe7, 0xf2, 0x43, 0xd9, 0x54, 0x12, 0xe1, 0xc3, 0x49, 0xc1, 0xd2,
               0xfb, 0xec, 0x16, 0x8f, 0x91, 0x90, 0xfe, 0xeb, 0xaf, 0x2c, 0xb0, 0x19, 0x84, 0xe6,
               0x58, 0x63, 0x96, 0x5d, 0x74, 0x72, 0xb7, 0x9d, 0xa3, 0x45, 0xe0, 0xe7, 0x80, 0x19,
               0x1f, 0x0d, 0x2f, 0x0e, 0x0f, 0x49, 0x6c, 0x22, 0x6f, 0x21, 0x27, 0xb2, 0x7d, 0xb3,
               0x57, 0x24, 0xe7, 0x84, 0x5d, 0x68, 0x65, 0x1f, 0x57, 0xe6, 0x5f, 0x35, 0x4f, 0x75,
               0xff, 0x17, 0x01, 0x57, 0x69, 0x62, 0x34, 0x36},
        .datagram_len = 73,
    },
    {
        .name = "SPI 0x0000a5f8, AES-192",
        .keymat = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a,
                   0x8f, 0x94, 0x67, 0x30, 0x83, 0x08, 0xfe, 0xff, 0xe9, 0x92,
                   0x86, 0x65, 0x73, 0x1c, 0xca, 0xfe, 0xba, 0xbe},
        .keymat_len = 28,
        .spi = 0x0000a5f8,
        .seq = 0x0000000aull,
        .esn = false,
        .iv = {0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88},
        .pt = {0x45, 0x00, 0x00, 0x28, 0xa4, 0xad, 0x40, 0x00, 0x40, 0x06, 0x78, 0x80, 0x0a, 0x01,
               0x03, 0x8f, 0x0a, 0x01, 0x06, 0x12, 0x80, 0x23, 0x06, 0xb8, 0xcb, 0x71, 0x26, 0x02,
               0xdd, 0x6b, 0xb0, 0x3e, 0x50, 0x10, 0x16, 0xd0, 0x75, 0x68, 0x00, 0x01},
        .pt_len = 40,
        .ct = {0xa5, 0xb1, 0xf8, 0x06, 0x60, 0x29, 0xae, 0xa4, 0x0e, 0x59, 0x8b, 0x81, 0x22, 0xde,
               0x02, 0x42, 0x09, 0x38, 0xb3, 0xab, 0x33, 0xf8, 0x28, 0xe6, 0x87, 0xb8, 0x85, 0x8b,
               0x5b, 0xfb, 0xdb, 0xd0, 0x31, 0x5b, 0x27, 0x45, 0x21, 0x44, 0xcc, 0x77, 0x95, 0x45,
               0x7b, 0x96, 0x52, 0x03, 0x7f, 0x53, 0x18, 0x02, 0x7b, 0x5b, 0x4c, 0xd7, 0xa6, 0x36},
        .datagram_len = 0,
    },
    {
        .name = "SPI 0x17405e67, AES-256, ESN",
        .keymat = {0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67,
                   0x78, 0x89, 0x9a, 0xab, 0xab, 0xbc, 0xcd, 0xde, 0xf0, 0x01, 0x12, 0x23,
                   0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0x73, 0x61, 0x6c, 0x74},
        .keymat_len = 36,
        .spi = 0x17405e67,
        .seq = 0x156f3126dd0db99bull,
        .esn = true,
        .iv = {0x61, 0x6e, 0x64, 0x01, 0x69, 0x76, 0x65, 0x63},
        .pt = {0x45, 0x08, 0x00, 0x28, 0x73, 0x2c, 0x00, 0x00, 0x40, 0x06, 0xe9, 0xf9, 0x0a, 0x01,
               0x06, 0x12, 0x0a, 0x01, 0x03, 0x8f, 0x06, 0xb8, 0x80, 0x23, 0xdd, 0x6b, 0xaf, 0xbe,
               0xcb, 0x71, 0x26, 0x02, 0x50, 0x10, 0x1f, 0x64, 0x6d, 0x54, 0x00, 0x01},
        .pt_len = 40,
        .ct = {0xf2, 0xd6, 0x9e, 0xcd, 0xbd, 0x5a, 0x0d, 0x5b, 0x8d, 0x5e, 0xf3, 0x8b, 0xad, 0x4d,
               0xa5, 0x8d, 0x1f, 0x27, 0x8f, 0xde, 0x98, 0xef, 0x67, 0x54, 0x9d, 0x52, 0x4a, 0x30,
               0x18, 0xd9, 0xa5, 0x7f, 0xf4, 0xd3, 0xa3, 0x1c, 0xe6, 0x73, 0x11, 0x9e, 0x45, 0x16,
               0x26, 0xc2, 0x41, 0x57, 0x71, 0xe3, 0xb7, 0xee, 0xbc, 0xa6, 0x14, 0xc8, 0x9b, 0x35},
        .datagram_len = 0,
    },
    {
        .name = "SPI 0x796b6963, AES-256, ESN",
        .keymat = {0x6c, 0x65, 0x67, 0x61, 0x6c, 0x69, 0x7a, 0x65, 0x6d, 0x61, 0x72, 0x69,
                   0x6a, 0x75, 0x61, 0x6e, 0x61, 0x61, 0x6e, 0x64, 0x64, 0x6f, 0x69, 0x74,
                   0x62, 0x65, 0x66, 0x6f, 0x72, 0x65, 0x69, 0x61, 0x74, 0x75, 0x72, 0x6e},
        .keymat_len = 36,
        .spi = 0x796b6963,
        .seq = 0xffffffffffffffffull,
        .esn = true,
        .iv = {0x33, 0x30, 0x21, 0x69, 0x67, 0x65, 0x74, 0x6d},
        .pt = {0x45, 0x00, 0x00, 0x30, 0xda, 0x3a, 0x00, 0x00, 0x80, 0x01, 0xdf, 0x3b, 0xc0,
               0xa8, 0x00, 0x05, 0xc0, 0xa8, 0x00, 0x01, 0x08, 0x00, 0xc6, 0xcd, 0x02, 0x00,
               0x07, 0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
               0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x01, 0x02, 0x02, 0x01},
        .pt_len = 52,
        .ct = {0xf9, 0x7a, 0xb2, 0xaa, 0x35, 0x6d, 0x8e, 0xdc, 0xe1, 0x76, 0x44, 0xac, 0x8c, 0x78,
               0xe2, 0x5d, 0xd2, 0x4d, 0xed, 0xbb, 0x29, 0xeb, 0xf1, 0xb6, 0x4a, 0x27, 0x4b, 0x39,
               0xb4, 0x9c, 0x3a, 0x86, 0x4c, 0xd3, 0xd7, 0x8c, 0xa4, 0xae, 0x68, 0xa3, 0x2b, 0x42,
               0x45, 0x8f, 0xb5, 0x7d, 0xbe, 0x82, 0x1d, 0xcc, 0x63, 0xb9, 0xd0, 0x93, 0x7b, 0xa2,
               0x94, 0x5f, 0x66, 0x93, 0x68, 0x66, 0x1a, 0x32, 0x9f, 0xb4, 0xc0, 0x53},
        .datagram_len = 48,
    },
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

static size_t aad_of(const struct vector *v, uint8_t aad[12])
{
    e2_put32(aad, v->spi);
    if (!v->esn) {
        e2_put32(aad + 4, (uint32_t)v->seq);
        return 8;
    }
    e2_put32(aad + 4, (uint32_t)(v->seq >> 32));
    e2_put32(aad + 8, (uint32_t)v->seq);
    return 12;
}

static void gcm_matches_published_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const struct vector *v = &vectors[i];
        struct vpn_gcm enc, dec;
        assert_int_equal(vpn_gcm_init(&enc, v->keymat, v->keymat_len, true, NULL), 0);
        assert_int_equal(vpn_gcm_init(&dec, v->keymat, v->keymat_len, false, NULL), 0);
        uint8_t aad[12], buf[96], icv[16];
        size_t aad_len = aad_of(v, aad);
        memcpy(buf, v->pt, v->pt_len);
        assert_int_equal(vpn_gcm_seal(&enc, v->iv, aad, aad_len, buf, v->pt_len, icv), 0);
        if (memcmp(buf, v->ct, v->pt_len) || memcmp(icv, v->ct + v->pt_len, 16))
            fail_msg("vector %s: ciphertext or ICV differs", v->name);
        assert_int_equal(vpn_gcm_open(&dec, v->iv, aad, aad_len, buf, v->pt_len, icv), 0);
        assert_memory_equal(buf, v->pt, v->pt_len);
        /* a flipped bit anywhere (ciphertext, ICV, AAD) fails */
        memcpy(buf, v->ct, v->pt_len);
        buf[3] ^= 0x10;
        assert_int_equal(vpn_gcm_open(&dec, v->iv, aad, aad_len, buf, v->pt_len, icv), -EBADMSG);
        memcpy(buf, v->ct, v->pt_len);
        icv[15] ^= 1;
        assert_int_equal(vpn_gcm_open(&dec, v->iv, aad, aad_len, buf, v->pt_len, icv), -EBADMSG);
        icv[15] ^= 1;
        aad[aad_len - 1] ^= 1;
        assert_int_equal(vpn_gcm_open(&dec, v->iv, aad, aad_len, buf, v->pt_len, icv), -EBADMSG);
        vpn_gcm_free(&enc);
        vpn_gcm_free(&dec);
    }
}

static void esp_builds_the_published_packets(void **state)
{
    (void)state;
    unsigned checked = 0;
    for (size_t i = 0; i < N_VECTORS; i++) {
        const struct vector *v = &vectors[i];
        if (!v->datagram_len) continue;
        struct vpn_gcm enc, dec;
        assert_int_equal(vpn_gcm_init(&enc, v->keymat, v->keymat_len, true, NULL), 0);
        assert_int_equal(vpn_gcm_init(&dec, v->keymat, v->keymat_len, false, NULL), 0);
        uint8_t esp[160];
        memcpy(esp + 16, v->pt, v->datagram_len);
        uint8_t nh = v->pt[v->pt_len - 1];
        int len = vpn_esp_seal(&enc, esp, v->datagram_len, nh, v->spi, v->seq, v->esn, v->iv);
        assert_int_equal(len, 16 + v->pt_len + 16);
        assert_int_equal(e2_get32(esp), v->spi);
        assert_int_equal(e2_get32(esp + 4), (uint32_t)v->seq);
        assert_memory_equal(esp + 8, v->iv, 8);
        if (memcmp(esp + 16, v->ct, v->pt_len + 16))
            fail_msg("vector %s: the ESP body differs from the published packet", v->name);
        uint32_t plen;
        uint8_t got_nh;
        assert_int_equal(vpn_esp_open(&dec, esp, (uint32_t)len, v->seq, v->esn, &plen, &got_nh),
                         VPN_ESP_OK);
        assert_int_equal(plen, v->datagram_len);
        assert_int_equal(got_nh, nh);
        assert_memory_equal(esp + 16, v->pt, v->datagram_len);
        vpn_gcm_free(&enc);
        vpn_gcm_free(&dec);
        checked++;
    }
    assert_int_equal(checked, 4);
}

static const uint8_t test_key[36] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                     13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                     25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36};

static void padding_is_rfc4303_default_and_checked(void **state)
{
    (void)state;
    static const unsigned want[] = {2, 1, 0, 3, 2, 1, 0, 3};
    for (unsigned n = 0; n < 8; n++) assert_int_equal(vpn_esp_pad(n), want[n]);
    struct vpn_gcm enc, dec;
    assert_int_equal(vpn_gcm_init(&enc, test_key, 36, true, NULL), 0);
    assert_int_equal(vpn_gcm_init(&dec, test_key, 36, false, NULL), 0);
    uint8_t iv[8] = {0}, esp[128], plain[128];
    for (uint32_t n = 0; n <= 40; n++) {
        for (uint32_t k = 0; k < n; k++) esp[16 + k] = (uint8_t)(k + 100);
        int len = vpn_esp_seal(&enc, esp, n, 4, 0x1234, n + 1, false, iv);
        assert_int_equal(len, (int)vpn_esp_len(n));
        uint32_t text = (uint32_t)len - 32;
        assert_int_equal(text % 4, 0);
        /* look at the padding itself: decrypt without the ESP layer */
        uint8_t aad[8];
        e2_put32(aad, 0x1234);
        e2_put32(aad + 4, n + 1);
        memcpy(plain, esp + 16, text);
        assert_int_equal(vpn_gcm_open(&dec, iv, aad, 8, plain, text, esp + 16 + text), 0);
        unsigned pad = vpn_esp_pad(n);
        for (unsigned k = 0; k < pad; k++) assert_int_equal(plain[n + k], k + 1);
        assert_int_equal(plain[text - 2], pad);
        assert_int_equal(plain[text - 1], 4);
        uint32_t plen;
        uint8_t nh;
        assert_int_equal(vpn_esp_open(&dec, esp, (uint32_t)len, n + 1, false, &plen, &nh),
                         VPN_ESP_OK);
        assert_int_equal(plen, n);
    }
    /* authentic packets whose padding is wrong: bytes not 1, 2, ...; length beyond the data */
    static const uint8_t bad[][4] = {{1, 3, 2, 4}, {9, 9, 2, 4}, {0, 0, 9, 4}};
    for (unsigned b = 0; b < 3; b++) {
        uint8_t *text = esp + 16;
        memcpy(text, bad[b], 4);
        uint8_t aad[8];
        e2_put32(esp, 0x1234);
        e2_put32(esp + 4, 7);
        memcpy(aad, esp, 8);
        memset(esp + 8, 0, 8);
        assert_int_equal(vpn_gcm_seal(&enc, iv, aad, 8, text, 4, text + 4), 0);
        uint32_t plen;
        uint8_t nh;
        assert_int_equal(vpn_esp_open(&dec, esp, 36, 7, false, &plen, &nh), VPN_ESP_BAD_PAD);
    }
    uint32_t plen;
    uint8_t nh;
    assert_int_equal(vpn_esp_open(&dec, esp, 33, 7, false, &plen, &nh), VPN_ESP_SHORT);
    vpn_gcm_free(&enc);
    vpn_gcm_free(&dec);
}

static void accept(struct vpn_replay *r, uint64_t seq)
{
    assert_true(vpn_replay_check(r, seq));
    vpn_replay_update(r, seq);
}

static void replay_window_edges(void **state)
{
    (void)state;
    struct vpn_replay r = {.size = 64};
    assert_false(vpn_replay_check(&r, 0)); /* never sent */
    accept(&r, 1);
    assert_false(vpn_replay_check(&r, 1));
    accept(&r, 3);
    accept(&r, 2); /* late but inside the window */
    assert_false(vpn_replay_check(&r, 2));
    accept(&r, 100);
    assert_true(vpn_replay_check(&r, 37));  /* 100 - 37 = 63: the window's last slot */
    assert_false(vpn_replay_check(&r, 36)); /* 64 behind: left of the window */
    accept(&r, 37);
    assert_false(vpn_replay_check(&r, 37));
    /* sliding forgets: slot of 37 reused by 37 + 4096 */
    accept(&r, 37 + VPN_REPLAY_MAX);
    assert_false(vpn_replay_check(&r, 37));
    assert_true(vpn_replay_check(&r, 37 + VPN_REPLAY_MAX - 1));
    /* a jump beyond the bitmap clears it all */
    accept(&r, 1000000);
    assert_true(vpn_replay_check(&r, 1000000 - 63));
    assert_false(vpn_replay_check(&r, 1000000));

    /* the largest window: 4096 back, and the bits of a slid-over region are clear */
    struct vpn_replay big = {.size = VPN_REPLAY_MAX};
    for (uint64_t s = 1; s <= 5000; s += 2) accept(&big, s);
    assert_true(vpn_replay_check(&big, 4999 - VPN_REPLAY_MAX + 1));  /* last slot, even: new */
    assert_false(vpn_replay_check(&big, 4999 - VPN_REPLAY_MAX + 2)); /* odd: seen */
    assert_false(vpn_replay_check(&big, 4999 - VPN_REPLAY_MAX));     /* left of it */
    assert_true(vpn_replay_check(&big, 4998));

    /* window 0: no replay protection at all */
    struct vpn_replay off = {.size = 0};
    accept(&off, 5);
    accept(&off, 5);
    accept(&off, 0);
}

static void esn_inference_follows_rfc4303_a2(void **state)
{
    (void)state;
    struct vpn_replay r = {.size = 64};
    /* no packet yet: the first numbers are in sub-space 0 */
    assert_int_equal(vpn_replay_esn(&r, 1), 1);
    assert_int_equal(vpn_replay_esn(&r, 0xfffffff0u), 0xfffffff0u);
    /* case A: window inside one sub-space (Tl >= W - 1) */
    r.top = 0x100001000ull;
    assert_int_equal(vpn_replay_esn(&r, 0x1005), 0x100001005ull); /* ahead */
    assert_int_equal(vpn_replay_esn(&r, 0xfc1), 0x100000fc1ull);  /* window bottom */
    assert_int_equal(vpn_replay_esn(&r, 0xfc0), 0x200000fc0ull);  /* below it: next sub-space */
    /* case B: window spans the sub-space boundary (Tl < W - 1) */
    r.top = 0x100000010ull;
    assert_int_equal(vpn_replay_esn(&r, 0x20), 0x100000020ull);
    assert_int_equal(vpn_replay_esn(&r, 0xfffffff0u), 0x0fffffff0ull); /* previous sub-space */
}

/* ---- configuration ---- */

#define KEY_A "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324"
#define KEY_B "0xa1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4"

/* Gateway A (192.0.2.1, LAN 10.1.0.0/16) and its mirror B (192.0.2.2, LAN 10.2.0.0/24). */
static const char *conf_a = "# gateway A\n"
                            "sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key " KEY_A
                            " match 10.2.0.0/24 local 10.1.0.0/16\n"
                            "sa in spi 0x2001 src 192.0.2.2 dst 192.0.2.1 key " KEY_B
                            " match 10.2.0.0/24 local 10.1.0.0/16 window 128\n";
static const char *conf_b =
    "sa in spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key " KEY_A " match 10.1.0.0/16\n"
    "sa out spi 0x2001 src 192.0.2.2 dst 192.0.2.1 key " KEY_B " match 10.1.0.0/16\n";

static void config_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"sa sideways spi 0x1001", "vpn.conf:1: sa wants a direction, out or in"},
        {"\nsa out spi 0x10 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any",
         "vpn.conf:2: SPI '0x10' is not a number from 256 to 0xffffffff (0-255 are reserved)"},
        {"sa out spi 0x1001 src 1.2.3 dst 1.2.3.5 key " KEY_A " match any",
         "vpn.conf:1: '1.2.3' is not an IPv4 address"},
        {"sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key 0x0102 match any",
         "vpn.conf:1: key has 4 hex digits; AES-GCM wants 40, 56 or 72 (16, 24 or 32 key bytes "
         "and a 4-byte salt)"},
        {"sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key 0102030405060708090a0b0c0d0e0f10111213141"
         "5161718191a1b1c1d1e1f2021222324 match any",
         "vpn.conf:1: key must be written 0x followed by hex digits"},
        {"sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key "
         "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223zz match any",
         "vpn.conf:1: key has a character that is not a hex digit"},
        {"sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A, "vpn.conf:1: sa needs 'match'"},
        {"sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match 10.1.2.3/8",
         "vpn.conf:1: '10.1.2.3/8' has host bits set (did you mean 10.0.0.0/8?)"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any window 16",
         "vpn.conf:1: window 16 is below 32 (RFC 4303); 0 turns it off"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any window 5000",
         "vpn.conf:1: window '5000' is not a number from 0 to 4096"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any spi 0x1002",
         "vpn.conf:1: 'spi' is given twice"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any bogus 1",
         "vpn.conf:1: unknown word 'bogus' (spi, src, dst, key, match, local, window, esn)"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match",
         "vpn.conf:1: 'match' wants a value"},
        {"sa in spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key " KEY_A " match any\n"
         "# same SPI, same direction\n"
         "sa in spi 4097 src 1.2.3.4 dst 1.2.3.5 key " KEY_B " match any",
         "vpn.conf:3: SPI 0x1001 is already used by the inbound SA of line 1"},
        {"mtu 50", "vpn.conf:1: mtu '50' is not a number from 125 to 65535"},
        {"tunnel 1", "vpn.conf:1: unknown statement 'tunnel' (sa, mtu)"},
    };
    struct vpn v = {0};
    assert_int_equal(vpn_load_text(&v, conf_a, "vpn.conf", NULL), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct e2_err err = {0};
        if (vpn_load_text(&v, bad[i].text, "vpn.conf", &err) == 0)
            fail_msg("accepted: %s", bad[i].text);
        assert_string_equal(err.msg, bad[i].msg);
        assert_null(strstr(err.msg, "0102030405")); /* keys are never quoted back */
        assert_int_equal(v.db->n, 2);               /* the running configuration stays */
    }
    /* same SPI in the two directions is fine; so are AES-128 and AES-192 keys */
    assert_int_equal(
        vpn_load_text(&v,
                      "sa out spi 0x1001 src 1.2.3.4 dst 1.2.3.5 key "
                      "0x0102030405060708090a0b0c0d0e0f1011121314 match any\n"
                      "sa in spi 0x1001 src 1.2.3.5 dst 1.2.3.4 key "
                      "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c match any esn\n"
                      "mtu 9000\n",
                      "vpn.conf", NULL),
        0);
    assert_int_equal(v.db->mtu, 9000);
    assert_true(v.db->sa[1]->esn);
    assert_int_equal(v.db->sa[1]->replay.size, VPN_DEFAULT_WINDOW);
    struct e2_err err = {0};
    assert_int_equal(vpn_load_file(&v, "/nonexistent/vpn.conf", &err), -ENOENT);
    vpn_free(&v);
}

/* ---- tunnel mode ---- */

#define HEAD 128
#define ROOM 2048

struct buf {
    uint8_t mem[HEAD + ROOM];
    struct vpn_frame f;
};

static void buf_frame(struct buf *b, const struct frame_spec *s)
{
    uint32_t len = frame_build(b->mem + HEAD, s);
    b->f = (struct vpn_frame){b->mem + HEAD, len, HEAD, ROOM - len};
}

static void buf_copy(struct buf *to, const struct buf *from)
{
    memcpy(to->mem, from->mem, sizeof(to->mem));
    to->f = from->f;
    to->f.data = to->mem + (from->f.data - from->mem);
}

struct pair {
    struct vpn a, b;
};

static int pair_setup(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));
    assert_int_equal(vpn_load_text(&p->a, conf_a, "a.conf", NULL), 0);
    assert_int_equal(vpn_load_text(&p->b, conf_b, "b.conf", NULL), 0);
    *state = p;
    return 0;
}

static int pair_teardown(void **state)
{
    struct pair *p = *state;
    vpn_free(&p->a);
    vpn_free(&p->b);
    free(p);
    return 0;
}

static const struct frame_spec a_to_b = {.proto = 17,
                                         .src = 0x0a010002,
                                         .dst = 0x0a020001,
                                         .sport = 1000,
                                         .dport = 2000,
                                         .payload = 100};

static void tunnel_round_trip_both_ways(void **state)
{
    struct pair *p = *state;
    struct buf plain, b1;
    buf_frame(&plain, &a_to_b);
    plain.f.data[14 + 1] = 0xb8 | 2; /* DSCP 46, ECT(0) */
    plain.f.data[14 + 6] = 0x40;     /* DF */
    e2_put16(plain.f.data + 14 + 10, 0);
    e2_put16(plain.f.data + 14 + 10, e2_ipv4_csum(plain.f.data + 14, 20));
    buf_copy(&b1, &plain);
    assert_int_equal(vpn_process(&p->a, &b1.f), VPN_TO_WAN);
    /* the outer packet: Ethernet kept, IPv4 192.0.2.1 -> 192.0.2.2 ESP, SPI, seq 1 */
    uint32_t dlen = plain.f.len - 14;
    assert_int_equal(b1.f.len, 14 + 20 + vpn_esp_len(dlen));
    assert_int_equal(b1.f.headroom, HEAD - 36);
    assert_memory_equal(b1.f.data, plain.f.data, 14);
    struct e2_pkt o;
    assert_int_equal(e2_pkt_parse(b1.f.data, b1.f.len, &o), E2_PKT_OK);
    assert_int_equal(o.proto, 50);
    assert_int_equal(o.src_ip, 0xc0000201);
    assert_int_equal(o.dst_ip, 0xc0000202);
    assert_int_equal(o.tos, 0xb8 | 2);
    assert_true(o.df);
    assert_int_equal(e2_get16(b1.f.data + 14 + 10), e2_ipv4_csum(b1.f.data + 14, 20));
    assert_int_equal(e2_get32(b1.f.data + 34), 0x1001);
    assert_int_equal(e2_get32(b1.f.data + 38), 1);
    /* the plaintext is nowhere to be seen */
    assert_null(memmem(b1.f.data + 34, b1.f.len - 34, plain.f.data + 14 + 28, 32));
    /* B opens it: the very same frame again */
    assert_int_equal(vpn_process(&p->b, &b1.f), VPN_TO_LAN);
    assert_int_equal(b1.f.len, plain.f.len);
    assert_memory_equal(b1.f.data, plain.f.data, plain.f.len);
    assert_int_equal(b1.f.headroom + b1.f.len + b1.f.tailroom, HEAD + ROOM);

    /* and back: B encrypts with SPI 0x2001, A decrypts */
    struct frame_spec back = a_to_b;
    back.src = a_to_b.dst;
    back.dst = a_to_b.src;
    for (uint16_t size = 0; size < 40; size++) {
        back.payload = size;
        buf_frame(&plain, &back);
        buf_copy(&b1, &plain);
        assert_int_equal(vpn_process(&p->b, &b1.f), VPN_TO_WAN);
        assert_int_equal(e2_get32(b1.f.data + 34), 0x2001);
        assert_int_equal(vpn_process(&p->a, &b1.f), VPN_TO_LAN);
        assert_int_equal(b1.f.len, plain.f.len);
        assert_memory_equal(b1.f.data, plain.f.data, plain.f.len);
    }
    const struct vpn_sa *out = p->a.db->sa[0], *in = p->a.db->sa[1];
    assert_int_equal(out->st.packets, 1);
    assert_int_equal(out->st.bytes, dlen);
    assert_int_equal(in->st.packets, 40);
    assert_int_equal(in->replay.top, 40);
}

static void replays_and_forgeries_are_dropped(void **state)
{
    struct pair *p = *state;
    struct buf plain, c1, c2, x;
    buf_frame(&plain, &a_to_b);
    buf_copy(&c1, &plain);
    buf_copy(&c2, &plain);
    assert_int_equal(vpn_process(&p->a, &c1.f), VPN_TO_WAN); /* seq 1 */
    assert_int_equal(vpn_process(&p->a, &c2.f), VPN_TO_WAN); /* seq 2 */
    struct vpn_sa *in = vpn_sa_in(p->b.db, 0x1001);
    /* a forged ICV: dropped, and the window does not move */
    buf_copy(&x, &c2);
    x.f.data[x.f.len - 1] ^= 1;
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_DROP);
    assert_int_equal(in->st.auth_failed, 1);
    assert_int_equal(in->replay.top, 0);
    /* a flipped ciphertext byte or header field: dropped too */
    buf_copy(&x, &c2);
    x.f.data[14 + 20 + 20] ^= 0x80;
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_DROP);
    buf_copy(&x, &c2);
    x.f.data[14 + 20 + 7] ^= 0x04; /* sequence number 2 -> 6 */
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_DROP);
    assert_int_equal(in->st.auth_failed, 3);
    /* out of order, then replayed */
    buf_copy(&x, &c2);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_LAN);
    buf_copy(&x, &c1);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_LAN);
    buf_copy(&x, &c1);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_DROP);
    buf_copy(&x, &c2);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_DROP);
    assert_int_equal(in->st.replay, 2);
    assert_int_equal(in->st.packets, 2);
    /* 200 packets later seq 1 and 2 are left of the 64-packet window */
    for (int i = 0; i < 200; i++) {
        buf_copy(&x, &plain);
        assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
        assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_LAN);
    }
    assert_int_equal(in->replay.top, 202);
}

static void policy_and_selectors(void **state)
{
    struct pair *p = *state;
    struct buf x;
    /* no outbound SA for this destination: discarded */
    struct frame_spec s = a_to_b;
    s.dst = 0x0a090001;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.no_policy, 1);
    /* outside the SA's local side (10.1.0.0/16): no SA either */
    s = a_to_b;
    s.src = 0x0b000001;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.no_policy, 2);
    /* plaintext from the protected remote network: must have come encrypted */
    s.src = 0x0a020005;
    s.dst = 0x0a010002;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.unprotected, 1);
    /* B's SA 0x2001 carries anything to 10.1/16, A's says only from 10.2.0.0/24: */
    s.src = 0x0a030001;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_WAN);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(vpn_sa_in(p->a.db, 0x2001)->st.selector, 1);
    /* ESP for another host passes through as plaintext, ESP for us with an unknown SPI not */
    s = a_to_b;
    s.proto = 50;
    s.src = 0xc0000202;
    s.dst = 0xc0000201;
    buf_frame(&x, &s); /* SPI = the "ports" 1000, 2000: 0x03e807d0 */
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.no_sa, 1);
    /* the right SPI from the wrong source is not the SA's either */
    e2_put32(x.f.data + 34, 0x2001);
    e2_put32(x.f.data + 14 + 12, 0xc0000209);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.no_sa, 2);
}

/* Encrypt by hand with B's outbound SA: an authentic ESP body with any plaintext. */
static void forge_from_b(struct pair *p, struct buf *x, const uint8_t *text, uint32_t len)
{
    struct vpn_sa *out = p->b.db->sa[1];
    struct frame_spec s = {.proto = 50, .src = 0xc0000202, .dst = 0xc0000201, .payload = 0};
    buf_frame(x, &s);
    uint8_t *ip = x->f.data + 14, *esp = ip + 20;
    e2_put32(esp, out->spi);
    e2_put32(esp + 4, (uint32_t)++out->seq);
    memset(esp + 8, 0, 8);
    memcpy(esp + 16, text, len);
    uint8_t aad[8];
    memcpy(aad, esp, 8);
    assert_int_equal(vpn_gcm_seal(&out->gcm, esp + 8, aad, 8, esp + 16, len, esp + 16 + len), 0);
    e2_put16(ip + 2, (uint16_t)(20 + 32 + len));
    e2_put16(ip + 10, 0);
    e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
    x->f.len = 14 + 20 + 32 + len;
}

static void malformed_esp_is_counted(void **state)
{
    struct pair *p = *state;
    struct vpn_sa *in = vpn_sa_in(p->a.db, 0x2001);
    struct buf x;
    /* truncated frames: the parser's status */
    struct frame_spec s = {.proto = 50, .src = 0xc0000202, .dst = 0xc0000201, .payload = 60};
    buf_frame(&x, &s);
    x.f.len = 30;
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.malformed[E2_PKT_SHORT_IP], 1);
    /* ESP shorter than header + IV + trailer + ICV */
    s.payload = 8 + 8 + 16 + 1 - 8; /* frames.h adds an 8-byte "L4 header" */
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.esp_short, 1);
    /* ESP fragments are not reassembled */
    s.payload = 100;
    s.frag = 0x2000;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.esp_fragment, 1);
    /* authentic, but: wrong padding; dummy packet; next header not IPv4; garbage inside */
    static const uint8_t bad_pad[] = {0x45, 1, 1, 2, 4}, dummy[] = {0xde, 0xad, 0, 59},
                         v6[] = {0x60, 0, 0, 41}, junk[] = {0x45, 0, 0, 0, 1, 2, 2, 4};
    forge_from_b(p, &x, bad_pad, sizeof(bad_pad));
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(in->st.bad_pad, 1);
    forge_from_b(p, &x, dummy, sizeof(dummy));
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(in->st.dummy, 1);
    forge_from_b(p, &x, v6, sizeof(v6));
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(in->st.bad_next_header, 1);
    forge_from_b(p, &x, junk, sizeof(junk));
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(in->st.inner_malformed, 1);
    assert_int_equal(p->a.st.inner_malformed[E2_PKT_SHORT_IP], 1);
    assert_int_equal(in->st.auth_failed, 0);
    assert_int_equal(in->replay.top, 4); /* all four were authentic */
    /* and none of this hurt: a good packet still goes through */
    struct frame_spec back = a_to_b;
    back.src = a_to_b.dst;
    back.dst = a_to_b.src;
    buf_frame(&x, &back);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_WAN);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_LAN);
}

static void sequence_numbers_never_wrap(void **state)
{
    struct pair *p = *state;
    struct vpn_sa *out = p->a.db->sa[0];
    out->seq = UINT32_MAX - 1;
    struct buf x;
    buf_frame(&x, &a_to_b);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_int_equal(e2_get32(x.f.data + 38), UINT32_MAX);
    buf_frame(&x, &a_to_b);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(out->st.seq_exhausted, 1);
    assert_int_equal(out->seq, UINT32_MAX);

    /* with extended sequence numbers the count goes on past 2^32, and the peer follows */
    static const char *esn_a =
        "sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key " KEY_A " match 10.2.0.0/24 esn\n";
    static const char *esn_b =
        "sa in spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key " KEY_A " match 10.1.0.0/16 esn\n";
    struct vpn a = {0}, b = {0};
    assert_int_equal(vpn_load_text(&a, esn_a, "a", NULL), 0);
    assert_int_equal(vpn_load_text(&b, esn_b, "b", NULL), 0);
    a.db->sa[0]->seq = UINT32_MAX - 2;
    b.db->sa[0]->replay.top = UINT32_MAX - 3;
    for (int i = 0; i < 5; i++) {
        buf_frame(&x, &a_to_b);
        assert_int_equal(vpn_process(&a, &x.f), VPN_TO_WAN);
        assert_int_equal(vpn_process(&b, &x.f), VPN_TO_LAN);
    }
    assert_int_equal(b.db->sa[0]->replay.top, (uint64_t)UINT32_MAX + 3);
    a.db->sa[0]->seq = UINT64_MAX;
    buf_frame(&x, &a_to_b);
    assert_int_equal(vpn_process(&a, &x.f), VPN_DROP);
    assert_int_equal(a.db->sa[0]->st.seq_exhausted, 1);
    vpn_free(&a);
    vpn_free(&b);
}

static void room_and_mtu(void **state)
{
    struct pair *p = *state;
    struct buf x;
    buf_frame(&x, &a_to_b);
    x.f.headroom = 35;
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    buf_frame(&x, &a_to_b);
    x.f.tailroom = 10;
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.st.no_room, 2);
    /* 1500-byte outer packets at most: a 1446-byte datagram fits (no padding), 1447 not */
    struct frame_spec s = a_to_b;
    s.payload = 1446 - 28;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_int_equal(x.f.len, 14 + 1500);
    s.payload++;
    buf_frame(&x, &s);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_DROP);
    assert_int_equal(p->a.db->sa[0]->st.too_big, 1);
    /* Ethernet padding after a short datagram is not encrypted along */
    s.payload = 0;
    buf_frame(&x, &s);
    x.f.len = 60;
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_int_equal(x.f.len, 14 + 20 + vpn_esp_len(28));
}

static void ecn_follows_rfc6040(void **state)
{
    struct pair *p = *state;
    /* inner ECN, outer ECN -> inner after decapsulation (-1: dropped) */
    static const int table[4][4] = {{0, 0, 0, -1}, {1, 1, 1, 3}, {2, 1, 2, 3}, {3, 3, 3, 3}};
    struct frame_spec back = a_to_b;
    back.src = a_to_b.dst;
    back.dst = a_to_b.src;
    for (int in = 0; in < 4; in++)
        for (int out = 0; out < 4; out++) {
            struct buf x;
            buf_frame(&x, &back);
            uint8_t *ip = x.f.data + 14;
            ip[1] = (uint8_t)in;
            e2_put16(ip + 10, 0);
            e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
            assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_WAN);
            assert_int_equal(ip[-36 + 1] & 3, in); /* the outer header copies it */
            ip -= 36;
            ip[1] = (uint8_t)((ip[1] & ~3) | out); /* as a router on the way would */
            e2_put16(ip + 10, 0);
            e2_put16(ip + 10, e2_ipv4_csum(ip, 20));
            enum vpn_action act = vpn_process(&p->a, &x.f);
            if (table[in][out] < 0) {
                assert_int_equal(act, VPN_DROP);
                continue;
            }
            assert_int_equal(act, VPN_TO_LAN);
            uint8_t *inner = x.f.data + 14;
            assert_int_equal(inner[1] & 3, table[in][out]);
            assert_int_equal(e2_get16(inner + 10), e2_ipv4_csum(inner, 20));
        }
    assert_int_equal(p->a.st.ecn_drop, 1);
}

static void reload_keeps_running_state(void **state)
{
    struct pair *p = *state;
    struct buf x;
    for (int i = 0; i < 3; i++) {
        buf_frame(&x, &a_to_b);
        assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    }
    uint64_t mask = p->a.db->sa[0]->iv_mask;
    /* the same SAs again (and a failed reload in between): the count goes on */
    assert_int_equal(vpn_load_text(&p->a, "bogus", "x", NULL), -EINVAL);
    assert_int_equal(vpn_load_text(&p->a, conf_a, "a.conf", NULL), 0);
    buf_frame(&x, &a_to_b);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_int_equal(e2_get32(x.f.data + 38), 4);
    assert_int_equal(p->a.db->sa[0]->st.packets, 4);
    assert_true(p->a.db->sa[0]->iv_mask == mask);
    /* a new key is a new SA: it starts over with a fresh IV mask */
    static const char *rekeyed =
        "sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key " KEY_B " match 10.2.0.0/24\n";
    assert_int_equal(vpn_load_text(&p->a, rekeyed, "a.conf", NULL), 0);
    buf_frame(&x, &a_to_b);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_int_equal(e2_get32(x.f.data + 38), 1);
    assert_int_equal(p->a.db->sa[0]->st.packets, 1);
    assert_true(p->a.db->sa[0]->iv_mask != mask);
}

static void vlan_tagged_frames_keep_their_tags(void **state)
{
    struct pair *p = *state;
    struct frame_spec s = a_to_b;
    s.vlans = 2;
    struct buf plain, x;
    buf_frame(&plain, &s);
    buf_copy(&x, &plain);
    assert_int_equal(vpn_process(&p->a, &x.f), VPN_TO_WAN);
    assert_memory_equal(x.f.data, plain.f.data, 22);
    assert_int_equal(vpn_process(&p->b, &x.f), VPN_TO_LAN);
    assert_int_equal(x.f.len, plain.f.len);
    assert_memory_equal(x.f.data, plain.f.data, plain.f.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcm_matches_published_vectors),
        cmocka_unit_test(esp_builds_the_published_packets),
        cmocka_unit_test(padding_is_rfc4303_default_and_checked),
        cmocka_unit_test(replay_window_edges),
        cmocka_unit_test(esn_inference_follows_rfc4303_a2),
        cmocka_unit_test(config_errors_name_file_and_line),
        cmocka_unit_test_setup_teardown(tunnel_round_trip_both_ways, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(replays_and_forgeries_are_dropped, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(policy_and_selectors, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(malformed_esp_is_counted, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(sequence_numbers_never_wrap, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(room_and_mtu, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(ecn_follows_rfc6040, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(reload_keeps_running_state, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(vlan_tagged_frames_keep_their_tags, pair_setup,
                                        pair_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
