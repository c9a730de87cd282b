/*
 * bench_sig — SIG's two engines over the same payload: Hyperscan (streaming
 * mode) against our Aho-Corasick (nfs/kit/e2_ac.h), at 100, 1,000 and 5,000
 * patterns, in Gbit/s of matching throughput.
 *
 * Both engines run as SIG runs them: a pattern set compiled by
 * sig_rules_parse, the payload fed through e2_streams as the DATA messages of
 * 64 connections (each direction its own stream state) in 1448-byte pieces,
 * every match counted per pattern; both engines' counts must agree. The
 * payload (32 MiB; --quick: 4 MiB) is web text: HTML-like words with page
 * pieces repeated, the patterns words and phrases of 4-16 bytes drawn from a
 * similar vocabulary (one in ten nocase), a few of them planted in the text.
 * Each figure is the best of 3 passes (1 with --quick), wall time on one
 * core (pin it: taskset -c 1).
 *
 * Output: RESULT sig_<engine>_<n>_gbps lines, RESULT sig_<engine>_<n>_memory,
 * and RATIO sig_hyperscan_vs_ac_<n> lines.
 *
 * Usage: bench_sig [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sig.h"

#define PIECE 1448
#define CONNS 64

static const char *const vocab[] = {"the",    "of",     "and",     "to",       "in",      "is",
                                    "for",    "on",     "that",    "with",     "as",      "by",
                                    "this",   "be",     "are",     "from",     "at",      "or",
                                    "page",   "home",   "news",    "about",    "contact", "search",
                                    "login",  "user",   "account", "price",    "product", "cart",
                                    "item",   "review", "order",   "shipping", "help",    "policy",
                                    "video",  "image",  "<div>",   "</div>",   "<p>",     "</p>",
                                    "class=", "href=",  "src=",    "script",   "style",   "width",
                                    "height", "data",   "value",   "name",     "type",    "form"};

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A pattern: letters, 5 to 16 of them, after a common word one time in four (rarely in a text
 * made of words, as an IDS's signatures are). */
static void pattern(char *out, size_t cap)
{
    size_t at = rnd() % 4 ? 0 : (size_t)snprintf(out, cap, "%s", vocab[rnd() % 54]);
    size_t n = 5 + rnd() % 12;
    for (size_t i = 0; i < n && at < cap - 1; i++) out[at++] = (char)('a' + rnd() % 26);
    out[at] = '\0';
}

static char *pattern_file(unsigned n, char (*planted)[24])
{
    size_t cap = (size_t)n * 64 + 64, used = 0;
    char *text = malloc(cap);
    for (unsigned i = 0; i < n; i++) {
        char p[24];
        pattern(p, sizeof(p));
        if (i < 8) memcpy(planted[i], p, sizeof(p));
        used += (size_t)snprintf(text + used, cap - used, "p%u \"%s\"%s\n", i, p,
                                 rnd() % 10 == 0 ? " nocase" : "");
    }
    return text;
}

static uint8_t *payload(size_t size, char (*planted)[24])
{
    uint8_t *p = malloc(size);
    uint8_t *pieces[32];
    for (unsigned k = 0; k < 32; k++) { /* page pieces, repeated across the payload */
        pieces[k] = malloc(2048);
        for (size_t at = 0; at < 2048;) {
            const char *w = vocab[rnd() % 54];
            for (; *w && at < 2048; w++) pieces[k][at++] = (uint8_t)*w;
            if (at < 2048) pieces[k][at++] = ' ';
        }
    }
    for (size_t at = 0; at < size;) {
        if (rnd() % 400 == 0) {
            size_t n = size - at < 2048 ? size - at : 2048;
            memcpy(p + at, pieces[rnd() % 32], n);
            at += n;
            continue;
        }
        const char *w = rnd() % 2000 == 0 ? planted[rnd() % 8] : vocab[rnd() % 54];
        for (; *w && at < size; w++) p[at++] = (uint8_t)*w;
        if (at < size) p[at++] = rnd() % 20 ? ' ' : '\n';
    }
    for (unsigned k = 0; k < 32; k++) free(pieces[k]);
    return p;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One pass of @size bytes of @p through SIG @s, fresh connections: seconds; *matches found. */
static double pass(struct sig *s, const uint8_t *p, size_t size, uint64_t *matches)
{
    struct e2_err err = {0};
    struct e2_streams_opts o = {.capacity = 4 * CONNS, .user_size = sizeof(struct sig_conn)};
    struct e2_streams_cb cb = {sig_on_data, sig_on_event, sig_on_release, s};
    struct e2_streams *t = e2_streams_create(&o, &cb, &err);
    uint64_t off[CONNS][2] = {{0}}, before = s->matches;
    double t0 = now();
    for (size_t at = 0, k = 0; at < size; at += PIECE, k++) {
        unsigned c = (unsigned)(k % CONNS), dir = (unsigned)(k / CONNS % 2);
        uint32_t n = (uint32_t)(size - at < PIECE ? size - at : PIECE);
        struct e2_stream_msg m = {.kind = E2_STREAM_DATA,
                                  .dir = (int)dir,
                                  .conn = c + 1,
                                  .arg = off[c][dir],
                                  .data = p + at,
                                  .len = n,
                                  .client_ip = 0x0a000001 + c,
                                  .server_ip = 0x0a010001,
                                  .client_port = (uint16_t)(10000 + c),
                                  .server_port = 80};
        e2_streams_message(t, &m, 1);
        off[c][dir] += n;
    }
    double secs = now() - t0;
    *matches = s->matches - before;
    e2_streams_free(t);
    return secs;
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    size_t size = quick ? (4u << 20) : (32u << 20);
    int passes = quick ? 1 : 3;
    static const unsigned counts[] = {100, 1000, 5000};
    printf("payload %zu MiB in %d-byte pieces over %d connections, best of %d\n", size >> 20, PIECE,
           CONNS, passes);
    for (unsigned c = 0; c < 3; c++) {
        char planted[8][24];
        char *text = pattern_file(counts[c], planted);
        uint8_t *p = payload(size, planted);
        double gbps[2];
        uint64_t found[2];
        for (int e = SIG_HYPERSCAN; e >= SIG_AC; e--) {
            struct sig_rules *r;
            struct e2_err err = {0};
            if (sig_rules_parse(text, "bench", (enum sig_engine)e, &r, &err)) {
                fprintf(stderr, "bench_sig: %s\n", err.msg);
                return 1;
            }
            struct sig sg = {0};
            if (sig_install(&sg, r, &err)) {
                fprintf(stderr, "bench_sig: %s\n", err.msg);
                return 1;
            }
            double best = 1e9;
            for (int k = 0; k < passes; k++) {
                double s = pass(&sg, p, size, &found[e]);
                if (s < best) best = s;
            }
            gbps[e] = (double)size * 8 / best / 1e9;
            json_t *st = sig_stats_json(&sg);
            printf("RESULT sig_%s_%u_gbps %.2f Gbit/s\n", sig_engine_name((enum sig_engine)e),
                   counts[c], gbps[e]);
            printf("RESULT sig_%s_%u_memory %lld bytes\n", sig_engine_name((enum sig_engine)e),
                   counts[c], (long long)json_integer_value(json_object_get(st, "engine_memory")));
            json_decref(st);
            sig_fini(&sg); /* frees the set */
        }
        if (found[SIG_AC] != found[SIG_HYPERSCAN]) {
            fprintf(stderr, "bench_sig: %u patterns: ac found %llu, hyperscan %llu\n", counts[c],
                    (unsigned long long)found[SIG_AC], (unsigned long long)found[SIG_HYPERSCAN]);
            return 1;
        }
        printf("  %u patterns: %llu matches by both\n", counts[c], (unsigned long long)found[0]);
        printf("RATIO sig_hyperscan_vs_ac_%u %.2f (%.2f vs %.2f Gbit/s)\n", counts[c],
               gbps[SIG_HYPERSCAN] / gbps[SIG_AC], gbps[SIG_HYPERSCAN], gbps[SIG_AC]);
        free(text);
        free(p);
    }
    return 0;
}
