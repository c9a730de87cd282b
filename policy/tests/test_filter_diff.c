/*
 * The libpcap differential test: every expression of data/filters.txt, and
 * generated combinations of them, compiled by pcap_compile() and by
 * e2_filter_parse(); both must give the same verdict on every packet of every
 * trace in data/ (generated and captured, truncated captures included).
 *
 * libpcap is compared twice. Its unoptimized program must agree with us on
 * every packet. Its optimized program (what the dataplane runs) agrees with
 * the unoptimized one on every complete packet, but on frames too short for
 * the headers a filter reads, the optimizer's reordering changes which load
 * fails first, and BPF rejects a packet on a failed load: there libpcap
 * disagrees with itself. We follow the unoptimized program, which is the
 * expression as written, and count those packets.
 *
 * Expressions of data/filters_bad.txt must be refused by both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter.h"
#include "traces.h"

static size_t read_lines(const char *path, void (*each)(const char *))
{
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        each(line);
        n++;
    }
    fclose(f);
    return n;
}

static void every_expression_agrees_with_libpcap_on_every_packet(void **state)
{
    (void)state;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    size_t bad_exprs = 0, checks = 0, optimizer_disagrees = 0;
    assert_true(exprs.n >= 200);
    assert_true(traces.n >= 1000);
    for (size_t i = 0; i < exprs.n; i++) {
        struct bpf_program prog, unopt;
        /* libpcap refuses a filter its optimizer proves empty; then compare with "none". */
        bool empty = pcap_compile(dead, &prog, exprs.v[i], 1, PCAP_NETMASK_UNKNOWN) != 0;
        if (empty && !strstr(pcap_geterr(dead), "rejects all packets"))
            fail_msg("libpcap refuses listed expression \"%s\": %s", exprs.v[i], pcap_geterr(dead));
        if (pcap_compile(dead, &unopt, exprs.v[i], 0, PCAP_NETMASK_UNKNOWN))
            fail_msg("libpcap refuses \"%s\" unoptimized: %s", exprs.v[i], pcap_geterr(dead));
        struct e2_filter *f = NULL;
        struct e2_err err = {0};
        struct e2_filter_src src = {"expr", 1, 1};
        if (e2_filter_parse(exprs.v[i], strlen(exprs.v[i]), &src, NULL, &f, &err))
            fail_msg("E2 refuses \"%s\": %s", exprs.v[i], err.msg);
        size_t mismatches = 0;
        for (size_t k = 0; k < traces.n; k++) {
            const struct trace_packet *pk = &traces.p[k];
            bool want = bpf_filter(unopt.bf_insns, pk->data, pk->h.len, pk->h.caplen) != 0;
            bool opt = !empty && bpf_filter(prog.bf_insns, pk->data, pk->h.len, pk->h.caplen);
            bool got = e2_filter_eval(f, pk->data, pk->h.caplen, pk->h.len, NULL);
            checks++;
            optimizer_disagrees += opt != want;
            if (want == got) continue;
            if (mismatches++ < 3)
                print_message("MISMATCH \"%s\" packet %zu (caplen %u len %u): libpcap %d, E2 %d\n",
                              exprs.v[i], k + 1, pk->h.caplen, pk->h.len, want, got);
        }
        bad_exprs += mismatches != 0;
        if (!empty) pcap_freecode(&prog);
        pcap_freecode(&unopt);
        e2_filter_free(f);
    }
    pcap_close(dead);
    printf("differential test: %zu verdicts compared; on %zu of them (short frames) libpcap's "
           "optimized program disagrees with its unoptimized one\n",
           checks, optimizer_disagrees);
    assert_int_equal(bad_exprs, 0);
}

static pcap_t *bad_dead;
static size_t bad_count;

static void check_refused(const char *e)
{
    struct bpf_program prog;
    if (!pcap_compile(bad_dead, &prog, e, 1, PCAP_NETMASK_UNKNOWN)) {
        pcap_freecode(&prog);
        fail_msg("libpcap accepts \"%s\" from filters_bad.txt", e);
    }
    struct e2_filter *f = NULL;
    struct e2_err err = {0};
    struct e2_filter_src src = {"expr", 1, 1};
    if (!e2_filter_parse(e, strlen(e), &src, NULL, &f, &err)) {
        e2_filter_free(f);
        fail_msg("E2 accepts \"%s\", which libpcap refuses: %s", e, pcap_geterr(bad_dead));
    }
    bad_count++;
}

static void expressions_libpcap_refuses_are_refused(void **state)
{
    (void)state;
    bad_dead = pcap_open_dead(DLT_EN10MB, 65535);
    read_lines(E2_TESTDATA "/filters_bad.txt", check_refused);
    pcap_close(bad_dead);
    assert_true(bad_count >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_expression_agrees_with_libpcap_on_every_packet),
        cmocka_unit_test(expressions_libpcap_refuses_are_refused),
    };
    return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
