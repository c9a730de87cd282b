/*
 * SIG: the pattern file (Snort-like hex, FILE:LINE errors), and matching
 * over streams with both engines: a signature split across two TCP
 * segments, across segments that come out of order (library mode), across
 * two bytestream messages; nocase; gaps; every occurrence counted exactly
 * as a naive search counts it, for random texts cut at random; reloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "sig.h"

static const enum sig_engine engines[] = {SIG_AC, SIG_HYPERSCAN};

static void content_decodes_like_snort(void **state)
{
    (void)state;
    uint8_t out[SIG_CONTENT_MAX];
    size_t n;
    assert_int_equal(sig_content_decode("|0d 0a|GET |2f|x", out, &n, NULL), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "\r\nGET /x", 8);
    assert_int_equal(sig_content_decode("|00|", out, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(sig_content_decode("a|4A4b|", out, &n, NULL), 0);
    assert_memory_equal(out, "aJK", 3);
    struct e2_err err = {0};
    assert_true(sig_content_decode("|0d 0|", out, &n, &err) < 0);
    assert_non_null(strstr(err.msg, "two digits"));
    assert_true(sig_content_decode("|zz|", out, &n, &err) < 0);
    assert_non_null(strstr(err.msg, "'z' is not a hex digit"));
    assert_true(sig_content_decode("ab|0d", out, &n, &err) < 0);
    assert_non_null(strstr(err.msg, "not closed"));
    assert_true(sig_content_decode("||", out, &n, &err) < 0);
    assert_non_null(strstr(err.msg, "empty"));
    char big[SIG_CONTENT_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_true(sig_content_decode(big, out, &n, &err) < 0);
}

static void refused(const char *text, const char *want)
{
    struct sig_rules *r = NULL;
    struct e2_err err = {0};
    assert_true(sig_rules_parse(text, "p.sig", SIG_AC, &r, &err) < 0);
    assert_null(r);
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void bad_files_name_the_line(void **state)
{
    (void)state;
    refused("a x\nb\n", "p.sig:2: a pattern is NAME CONTENT [nocase]");
    refused("a x\nb y nocase z\n", "p.sig:2: a pattern is");
    refused("# c\nb/1 x\n", "p.sig:2: 'b/1' is not a name");
    refused("b x NOCASE\n", "p.sig:1: 'NOCASE' is not an option");
    refused("b \"|0d\"\n", "p.sig:1: a |hex| part is not closed");
    refused("a x\nb y\na z\n", "p.sig:3: pattern 'a' is named already (line 1)");
    refused("# nothing\n\n", "p.sig: no patterns");
    refused("a \"x\n", "p.sig:1: a quote is not closed");
}

/* ---- streams ---- */

struct rig {
    struct sig s;
    struct e2_streams *t;
};

static void rig_up(struct rig *g, enum sig_engine e, const char *patterns)
{
    memset(g, 0, sizeof(*g));
    struct sig_rules *r;
    struct e2_err err = {0};
    if (sig_rules_parse(patterns, "t.sig", e, &r, &err)) fail_msg("%s", err.msg);
    assert_int_equal(sig_install(&g->s, r, &err), 0);
    struct e2_streams_opts o = {.capacity = 256, .user_size = sizeof(struct sig_conn)};
    struct e2_streams_cb cb = {sig_on_data, sig_on_event, sig_on_release, &g->s};
    g->t = e2_streams_create(&o, &cb, NULL);
    assert_non_null(g->t);
}

static void rig_down(struct rig *g)
{
    e2_streams_free(g->t);
    sig_fini(&g->s);
}

static uint8_t frame[1600];

static void seg(struct rig *g, int from_server, uint32_t seq, uint8_t flags, const char *data)
{
    struct e2_pkt p;
    assert_int_equal(frame_tcp_segment(frame, &p, 1, 4000, 2, 80, from_server, seq, flags, data),
                     E2_PKT_OK);
    e2_streams_packet(g->t, &p, 1);
}

static void msg(struct rig *g, int kind, int dir, uint64_t arg, const char *data)
{
    struct e2_stream_msg m = {.kind = kind,
                              .dir = dir,
                              .conn = 9,
                              .arg = arg,
                              .data = (const uint8_t *)data,
                              .len = data ? (uint32_t)strlen(data) : 0,
                              .client_ip = 1,
                              .server_ip = 2,
                              .client_port = 4000,
                              .server_port = 80};
    e2_streams_message(g->t, &m, 1);
}

static const char pats[] = "evil  \"/bin/sh\"\n"
                           "shout SHELLCODE nocase\n"
                           "crlf  \"|0d 0a 0d 0a|\"\n";

static void split_across_segments(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], pats);
        seg(&g, 0, 100, E2_TCP_SYN, NULL);
        seg(&g, 0, 101, E2_TCP_ACK, "GET /cgi?x=/bi");
        seg(&g, 0, 115, E2_TCP_ACK, "n/sh HTTP/1.0\r\n\r");
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 1);
        assert_int_equal(sig_pattern_matches(&g.s, "crlf"), 0);
        seg(&g, 0, 131, E2_TCP_ACK, "\n");
        assert_int_equal(sig_pattern_matches(&g.s, "crlf"), 1);
        /* the other direction has its own state: no match across directions */
        seg(&g, 1, 500, E2_TCP_SYN | E2_TCP_ACK, NULL);
        seg(&g, 1, 501, E2_TCP_ACK, "sheLLcode and /bin");
        seg(&g, 0, 132, E2_TCP_ACK, "/sh");
        assert_int_equal(sig_pattern_matches(&g.s, "shout"), 1);
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 1);
        assert_int_equal(g.s.matches, 3);
        assert_int_equal(g.s.conns_matched, 1);
        rig_down(&g);
    }
}

static void split_across_out_of_order_segments(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], pats);
        seg(&g, 0, 100, E2_TCP_SYN, NULL);
        seg(&g, 0, 111, E2_TCP_ACK, "n/sh tail"); /* the second half first */
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 0);
        seg(&g, 0, 101, E2_TCP_ACK, "xxxxxxx/bi");
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 1);
        rig_down(&g);
    }
}

static void split_across_messages(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], pats);
        msg(&g, E2_TCP_OPEN, 0, 0, NULL);
        msg(&g, E2_STREAM_DATA, 1, 0, "200 OK shell");
        msg(&g, E2_STREAM_DATA, 1, 12, "Code");
        assert_int_equal(sig_pattern_matches(&g.s, "shout"), 1);
        /* a gap: nothing matches across the hole */
        msg(&g, E2_STREAM_DATA, 0, 0, "/bin");
        msg(&g, E2_TCP_GAP, 0, 100, NULL);
        msg(&g, E2_STREAM_DATA, 0, 104, "/sh");
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 0);
        msg(&g, E2_STREAM_DATA, 0, 107, "/bin/sh/bin/sh");
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), 2);
        msg(&g, E2_TCP_RESET, 1, 0, NULL);
        rig_down(&g);
    }
}

/* Occurrences of @p (case folded or not) in @t: what both engines must count. */
static uint64_t naive(const uint8_t *t, size_t n, const char *p, bool nocase)
{
    size_t m = strlen(p);
    uint64_t c = 0;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && (nocase ? (t[i + k] | 0x20) == (p[k] | 0x20) : t[i + k] == (uint8_t)p[k]))
            k++;
        c += k == m;
    }
    return c;
}

static void engines_count_every_occurrence(void **state)
{
    (void)state;
    static const char *words[] = {"ab", "aba", "bab", "abab", "ba", "bb"};
    char text[512];
    size_t used = 0;
    for (unsigned i = 0; i < 6; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "p%u %s%s\n", i, words[i],
                                 i == 5 ? " nocase" : "");
    enum { LEN = 20000 };
    static uint8_t t[LEN];
    srand(7);
    for (unsigned i = 0; i < LEN; i++) t[i] = "abAB"[rand() % 4];
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], text);
        msg(&g, E2_TCP_OPEN, 0, 0, NULL);
        for (size_t off = 0; off < LEN;) {
            size_t n = 1 + (size_t)(rand() % 300);
            if (n > LEN - off) n = LEN - off;
            struct e2_stream_msg m = {.kind = E2_STREAM_DATA,
                                      .conn = 9,
                                      .arg = off,
                                      .data = t + off,
                                      .len = (uint32_t)n,
                                      .client_ip = 1,
                                      .server_ip = 2,
                                      .client_port = 4000,
                                      .server_port = 80};
            e2_streams_message(g.t, &m, 1);
            off += n;
        }
        for (unsigned i = 0; i < 6; i++) {
            char name[8];
            snprintf(name, sizeof(name), "p%u", i);
            assert_int_equal(sig_pattern_matches(&g.s, name), naive(t, LEN, words[i], i == 5));
        }
        json_t *top = sig_top_json(&g.s, 2);
        assert_int_equal(json_array_size(top), 2);
        uint64_t first =
            (uint64_t)json_integer_value(json_object_get(json_array_get(top, 0), "matches"));
        uint64_t second =
            (uint64_t)json_integer_value(json_object_get(json_array_get(top, 1), "matches"));
        assert_true(first >= second && second > 0);
        json_decref(top);
        rig_down(&g);
    }
}

static void a_reload_moves_connections_to_the_new_set(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g;
        rig_up(&g, engines[e], pats);
        msg(&g, E2_TCP_OPEN, 0, 0, NULL);
        msg(&g, E2_STREAM_DATA, 0, 0, "/bin/sh");
        struct sig_rules *r;
        assert_int_equal(sig_rules_parse("other \"/bin/sh\"\n", "n.sig", engines[e], &r, NULL), 0);
        assert_int_equal(sig_install(&g.s, r, NULL), 0);
        assert_int_equal(g.s.reloads, 1);
        assert_int_equal(sig_pattern_matches(&g.s, "evil"), -1); /* counters restart */
        msg(&g, E2_STREAM_DATA, 0, 7, "../bin/sh");
        assert_int_equal(sig_pattern_matches(&g.s, "other"), 1);
        rig_down(&g); /* the old set was freed with its last connection (ASan checks) */
    }
}

struct hits {
    char log[256];
    size_t used;
};

static void on_hit(void *ctx, const struct sig_rules *r, unsigned pattern, uint64_t end)
{
    struct hits *h = ctx;
    h->used += (size_t)snprintf(h->log + h->used, sizeof(h->log) - h->used, "%s:%u@%llu ",
                                (const char *)sig_rules_aux(r), pattern, (unsigned long long)end);
}

static int aux_freed;

static void free_aux(void *aux)
{
    aux_freed++;
    free(aux);
}

/* The hook the IDS uses: pattern indexes of a hand-built set and stream offsets (Hyperscan's
 * counted from where its stream opened: mid-stream, after a gap), datagrams alone. */
static void matches_report_stream_offsets(void **state)
{
    (void)state;
    for (unsigned e = 0; e < 2; e++) {
        struct rig g = {0};
        struct e2_err err = {0};
        struct sig_rules *r = sig_rules_new(engines[e], strdup("set"), free_aux);
        assert_int_equal(sig_rules_add(r, "a", (const uint8_t *)"abc", 3, false, 1, &err), 0);
        assert_int_equal(sig_rules_add(r, "b", (const uint8_t *)"XY", 2, true, 2, &err), 0);
        assert_int_equal(sig_rules_add(r, "a", (const uint8_t *)"zz", 2, false, 3, &err), 0);
        assert_true(sig_rules_compile(r, "t.rules", &err) < 0);
        assert_string_equal(err.msg, "t.rules:3: pattern 'a' is named already (line 1)");
        sig_rules_free(r);
        assert_int_equal(aux_freed, 1 + 2 * e);
        r = sig_rules_new(engines[e], strdup("set"), free_aux);
        assert_int_equal(sig_rules_add(r, "a", (const uint8_t *)"abc", 3, false, 1, &err), 0);
        assert_int_equal(sig_rules_add(r, "b", (const uint8_t *)"XY", 2, true, 2, &err), 0);
        assert_int_equal(sig_rules_compile(r, "t.rules", &err), 0);
        assert_int_equal(sig_install(&g.s, r, &err), 0);
        struct hits h = {0};
        g.s.on_match = on_hit;
        g.s.match_ctx = &h;
        struct e2_streams_opts o = {.capacity = 16, .user_size = sizeof(struct sig_conn)};
        struct e2_streams_cb cb = {sig_on_data, sig_on_event, sig_on_release, &g.s};
        g.t = e2_streams_create(&o, &cb, NULL);
        msg(&g, E2_STREAM_DATA, 0, 1000, "..ab"); /* picked up mid-stream at 1000 */
        msg(&g, E2_STREAM_DATA, 0, 1004, "c xy");
        msg(&g, E2_TCP_GAP, 0, 10, NULL);
        msg(&g, E2_STREAM_DATA, 0, 1018, "abcab");
        msg(&g, E2_STREAM_DATA, 0, 1023, "c");
        sig_scan_datagram(&g.s, (const uint8_t *)"--xY-abc", 8);
        sig_scan_datagram(&g.s, (const uint8_t *)"bc", 2); /* nothing carried over */
        assert_string_equal(h.log, "set:0@1005 set:1@1008 set:0@1021 set:0@1024 set:1@4 set:0@8 ");
        assert_int_equal(g.s.matches, 6);
        rig_down(&g);
        assert_int_equal(aux_freed, 2 + 2 * e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_decodes_like_snort),
        cmocka_unit_test(bad_files_name_the_line),
        cmocka_unit_test(split_across_segments),
        cmocka_unit_test(split_across_out_of_order_segments),
        cmocka_unit_test(split_across_messages),
        cmocka_unit_test(engines_count_every_occurrence),
        cmocka_unit_test(a_reload_moves_connections_to_the_new_set),
        cmocka_unit_test(matches_report_stream_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
