/*
 * libFuzzer target: filters. Any bytes are parsed as a filter; a filter that
 * parses must (1) evaluate on a few frames without crashing, (2) print
 * canonical text that parses again to the same text and the same verdicts,
 * (3) translate to a BDD (or refuse with a reason) within a small budget,
 * (4) give a header-only residue without crashing, and (5) as cubes (or
 * refused with a reason), give its verdict on every frame of their domain.
 *
 * Longer run: build with clang (CC=clang cmake -DE2_SANITIZE=ON ...) and
 *   ./fuzz_filter -max_total_time=3600 CORPUS_DIR policy/fuzz/seeds/filter
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter.h"
#include "e2_filter_cubes.h"
#include "e2_pspace.h"

static const uint8_t frames[][74] = {
    /* IPv4 TCP 10.0.0.1:1024 > 10.0.0.2:80 SYN */
    {2,  0, 0, 0, 0,  2, 2, 0, 0, 0, 0, 1,  8, 0, 0x45, 0, 0, 40, 0, 1, 0x40, 0,    64,   6,   0, 0,
     10, 0, 0, 1, 10, 0, 0, 2, 4, 0, 0, 80, 0, 0, 0,    1, 0, 0,  0, 0, 0x50, 0x02, 0xff, 0xff},
    /* 802.1Q 100, IPv4 UDP :53 */
    {2, 0, 0,  0,  0, 2, 2,  0, 0, 0, 0,  1, 0x81, 0, 0, 100, 8, 0, 0x46, 0, 0, 40, 0, 1,
     0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0,    2, 0, 0,   0, 0, 4,    0, 0, 53, 0, 8},
    /* IPv6 ICMPv6 echo */
    {0x33, 0x33, 0,  0,    0, 1,   2,    0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0,  0, 0,
     8,    58,   64, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0,    0,    0,    0, 0,  0, 1,
     0xff, 2,    0,  0,    0, 0,   0,    0, 0, 0, 0, 0, 0,    0,    0,    1, 128},
};

static int attr_absent(void *ctx, unsigned slot, struct e2_attr_val *out)
{
    (void)ctx;
    (void)slot;
    (void)out;
    return -ENOENT;
}

/* The cubes agree with the filter on every frame (cut or not) in their domain. */
static void check_cubes(const struct e2_filter *f, const char *text)
{
    struct e2_cubes c = {0};
    struct e2_cube_opts o = {.max = 512};
    struct e2_err err;
    if (!e2_filter_cubes(f, &o, &c, &err))
        for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
            for (uint32_t len = 14; len <= sizeof(frames[i]); len += 5) {
                uint64_t pt[E2_CD_COUNT];
                if (e2_cube_point(frames[i], len, pt)) continue;
                if (e2_filter_eval(f, frames[i], len, len, NULL) != (e2_cubes_find(&c, pt) >= 0)) {
                    fprintf(stderr, "cubes disagree with the filter: %s\n", text);
                    abort();
                }
            }
    e2_cubes_free(&c);
}

static struct e2_filter *parse(const char *text, size_t len)
{
    struct e2_filter *f = NULL;
    struct e2_err err;
    struct e2_filter_src src = {"fuzz", 1, 1};
    e2_filter_parse(text, len, &src, NULL, &f, &err);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    struct e2_filter *f = parse((const char *)data, size);
    if (!f) return 0;
    size_t n = e2_filter_print(f, NULL, 0);
    char *text = malloc(n + 1), *again = NULL;
    e2_filter_print(f, text, n + 1);
    struct e2_filter *g = parse(text, n);
    if (!g) {
        fprintf(stderr, "canonical text does not parse: %s\n", text);
        abort();
    }
    again = malloc(n + 1);
    if (e2_filter_print(g, again, n + 1) != n || strcmp(text, again)) {
        fprintf(stderr, "printing is not stable: %s\n", text);
        abort();
    }
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
        for (uint32_t cap = 0; cap <= sizeof(frames[i]); cap += 37)
            if (e2_filter_eval(f, frames[i], cap, 74, NULL) !=
                e2_filter_eval(g, frames[i], cap, 74, NULL)) {
                fprintf(stderr, "canonical text means something else: %s\n", text);
                abort();
            }
    struct e2_attr_table none = {0};
    struct e2_pspace *ps = e2_pspace_new(&none, 1u << 18);
    e2_bdd_set_step_limit(e2_pspace_mgr(ps), 200000);
    e2_bdd set;
    struct e2_err err;
    e2_pspace_filter(ps, f, &set, &err);
    e2_pspace_free(ps);
    struct e2_filter_env env = {NULL, attr_absent};
    char residue[512];
    e2_filter_print_pcap(f, &env, residue, sizeof(residue), &err);
    check_cubes(f, text);
    free(text);
    free(again);
    e2_filter_free(f);
    e2_filter_free(g);
    return 0;
}
