/*
 * Aho-Corasick: every occurrence of every pattern, checked against a naive
 * search on random texts; case folding per pattern; matches split across
 * buffers; stopping early.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_ac.h"

#define HITS_MAX 200000

struct hits {
    uint64_t n;
    uint64_t key[HITS_MAX]; /* end offset << 20 | id */
    unsigned stop_after;
};

static int record(void *ctx, uint32_t id, uint64_t end)
{
    struct hits *h = ctx;
    assert_true(h->n < HITS_MAX);
    h->key[h->n++] = end << 20 | id;
    return h->stop_after && h->n >= h->stop_after;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool eq(uint8_t a, uint8_t b, bool nocase)
{
    return nocase ? tolower(a) == tolower(b) : a == b;
}

/* Every (end, id) a naive search finds. */
static void naive(uint8_t **pats, const size_t *lens, const bool *nocase, unsigned n,
                  const uint8_t *t, size_t len, struct hits *h)
{
    for (unsigned p = 0; p < n; p++)
        for (size_t i = 0; i + lens[p] <= len; i++) {
            size_t k = 0;
            while (k < lens[p] && eq(t[i + k], pats[p][k], nocase[p])) k++;
            if (k == lens[p]) h->key[h->n++] = (uint64_t)(i + lens[p]) << 20 | p;
        }
}

static struct hits got, want;

static void finds_what_a_naive_search_finds(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 60; seed++) {
        srand(seed);
        unsigned n = 1 + (unsigned)rand() % 40, alpha = 2 + (unsigned)rand() % 6;
        uint8_t *pats[40];
        size_t lens[40];
        bool nocase[40];
        struct e2_ac_builder *b = e2_ac_builder_new();
        for (unsigned p = 0; p < n; p++) {
            lens[p] = 1 + (size_t)rand() % 6;
            nocase[p] = rand() % 2;
            pats[p] = malloc(lens[p]);
            for (size_t k = 0; k < lens[p]; k++)
                pats[p][k] = (uint8_t)((rand() % 2 ? 'a' : 'A') + rand() % (int)alpha);
            assert_int_equal(e2_ac_add(b, pats[p], lens[p], nocase[p], p, NULL), 0);
        }
        struct e2_ac *ac = e2_ac_compile(b, NULL);
        assert_non_null(ac);
        uint8_t text[3000];
        for (size_t i = 0; i < sizeof(text); i++)
            text[i] = (uint8_t)((rand() % 2 ? 'a' : 'A') + rand() % (int)alpha);
        got.n = want.n = 0;
        got.stop_after = 0;
        /* in pieces of random sizes: the stream state carries across */
        struct e2_ac_state st = {0, 0};
        for (size_t off = 0; off < sizeof(text);) {
            size_t piece = 1 + (size_t)rand() % 200;
            if (off + piece > sizeof(text)) piece = sizeof(text) - off;
            assert_int_equal(e2_ac_scan(ac, &st, text + off, piece, off, record, &got), 0);
            off += piece;
        }
        naive(pats, lens, nocase, n, text, sizeof(text), &want);
        qsort(got.key, got.n, sizeof(uint64_t), cmp_u64);
        qsort(want.key, want.n, sizeof(uint64_t), cmp_u64);
        assert_int_equal(got.n, want.n);
        assert_memory_equal(got.key, want.key, got.n * sizeof(uint64_t));
        for (unsigned p = 0; p < n; p++) free(pats[p]);
        e2_ac_free(ac);
        e2_ac_builder_free(b);
    }
}

static void case_folding_is_per_pattern(void **state)
{
    (void)state;
    struct e2_ac_builder *b = e2_ac_builder_new();
    assert_int_equal(e2_ac_add(b, (const uint8_t *)"GET", 3, false, 1, NULL), 0);
    assert_int_equal(e2_ac_add(b, (const uint8_t *)"host:", 5, true, 2, NULL), 0);
    struct e2_ac *ac = e2_ac_compile(b, NULL);
    const char *t = "get / HTTP/1.1\r\nHOST: x\r\nGET";
    struct e2_ac_state st = {0, 0};
    got.n = 0;
    e2_ac_scan(ac, &st, (const uint8_t *)t, strlen(t), 1000, record, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.key[0], (uint64_t)(1000 + 21) << 20 | 2); /* HOST: ends at 21 */
    assert_int_equal(got.key[1], (uint64_t)(1000 + 28) << 20 | 1); /* only the upper-case GET */
    e2_ac_free(ac);
    e2_ac_builder_free(b);
}

static void every_byte_value_and_early_stop(void **state)
{
    (void)state;
    struct e2_ac_builder *b = e2_ac_builder_new();
    uint8_t all[256];
    for (int c = 0; c < 256; c++) all[c] = (uint8_t)c;
    assert_int_equal(e2_ac_add(b, all, 256, false, 7, NULL), 0);
    assert_int_equal(e2_ac_add(b, all + 254, 2, false, 8, NULL), 0);
    assert_int_equal(e2_ac_add(b, all, 0, false, 9, NULL), -EINVAL);
    struct e2_ac *ac = e2_ac_compile(b, NULL);
    assert_non_null(ac);
    assert_true(e2_ac_memory(ac) > 256 * 256 * 4);
    struct e2_ac_state st = {0, 0};
    got.n = 0;
    got.stop_after = 1;
    assert_int_equal(e2_ac_scan(ac, &st, all, 256, 0, record, &got), 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.key[0], (uint64_t)256 << 20 | 7); /* at one end, the longer first */
    e2_ac_free(ac);
    e2_ac_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_what_a_naive_search_finds),
        cmocka_unit_test(case_folding_is_per_pattern),
        cmocka_unit_test(every_byte_value_and_early_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
