/*
 * e2ctl check | compile | filter — the policy verbs.
 *
 *   e2ctl check POLICY [--nf-dir DIR]
 *       exit 0 with a one-line summary when the policy is valid; exit 1 with
 *       "FILE:LINE:COL: error: ..." (syntax, names) or "FILE: error: ..."
 *       (ambiguity, missing destinations, with an example packet).
 *   e2ctl compile POLICY [--nf-dir DIR] --format json|dot
 *       the merged, checked pGraph on stdout.
 *   e2ctl filter 'EXPR' TRACE.pcap
 *       1-based numbers of the packets EXPR matches, one per line.
 *
 * Without --nf-dir, NF descriptions come from the folder "nf" next to the
 * policy when there is one.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_compile.h"
#include "verbs.h"

struct policy_args {
    const char *policy, *nf_dir, *format;
};

static int policy_usage(FILE *out, const char *verb, bool compile)
{
    fprintf(out, "usage: e2ctl %s POLICY [--nf-dir DIR]%s\n", verb,
            compile ? " --format json|dot" : "");
    if (out == stdout)
        fprintf(out,
                "%s\nNF descriptions come from --nf-dir, else from the folder nf next to "
                "POLICY when there is one.\n",
                compile ? "Prints the merged, checked pGraph (docs/pgraph-json.md) on stdout."
                        : "Exit 0 and one line when every packet has exactly one destination; "
                          "exit 1 with FILE:LINE:COL errors\n(syntax, names) or FILE: errors "
                          "with an example packet (ambiguity, no destination).");
    return out == stdout ? 0 : 2;
}

static int parse_args(int argc, char **argv, bool compile, struct policy_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return policy_usage(stdout, argv[0], compile), 1;
        if (!strcmp(argv[i], "--nf-dir") && i + 1 < argc) {
            a->nf_dir = argv[++i];
        } else if (compile && !strcmp(argv[i], "--format") && i + 1 < argc) {
            a->format = argv[++i];
        } else if (argv[i][0] != '-' && !a->policy) {
            a->policy = argv[i];
        } else {
            fprintf(stderr, "e2ctl %s: unexpected argument '%s'\n", argv[0], argv[i]);
            return -1;
        }
    }
    if (!a->policy) return -1;
    if (compile && (!a->format || (strcmp(a->format, "json") && strcmp(a->format, "dot")))) {
        fprintf(stderr, "e2ctl compile: --format json or --format dot is required\n");
        return -1;
    }
    return 0;
}

/* Compile and check; print every problem. */
static int compiled(const struct policy_args *a, struct e2_compiled *c)
{
    struct e2_diags diags = {0};
    int rc = e2_policy_compile(a->policy, a->nf_dir, c, &diags);
    for (size_t i = 0; i < diags.n; i++) fprintf(stderr, "%s\n", diags.msgs[i]);
    e2_diags_free(&diags);
    return rc;
}

static int run_policy_verb(int argc, char **argv, bool compile)
{
    struct policy_args a;
    int rc = parse_args(argc, argv, compile, &a);
    if (rc) return rc > 0 ? 0 : policy_usage(stderr, argv[0], compile);
    struct e2_compiled c;
    rc = compiled(&a, &c) ? 1 : 0;
    struct e2_pgraph *g = c.g;
    if (g && !compile) {
        printf("%s: ok: %zu pipelets, %zu nodes, %zu edges (%zu restricted to their pipelets' "
               "traffic class)\n",
               a.policy, g->n_pipelets, g->n_nodes, g->n_edges, e2_pgraph_restricted(g));
    } else if (g && !strcmp(a.format, "json")) {
        json_t *j = e2_pgraph_to_json(g);
        rc = !j || json_dumpf(j, stdout, JSON_INDENT(2)) ? 1 : 0;
        putchar('\n');
        json_decref(j);
    } else if (g) {
        char *dot = e2_pgraph_to_dot(g);
        rc = dot ? 0 : 1;
        if (dot) fputs(dot, stdout);
        free(dot);
    }
    e2_compiled_free(&c);
    return rc;
}

int e2ctl_check(int argc, char **argv)
{
    return run_policy_verb(argc, argv, false);
}

int e2ctl_compile(int argc, char **argv)
{
    return run_policy_verb(argc, argv, true);
}

int e2ctl_filter(int argc, char **argv)
{
    if (argc != 3 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: e2ctl filter 'EXPR' TRACE.pcap\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    struct e2_filter *f;
    struct e2_err err = {0};
    struct e2_filter_src src = {"filter", 1, 1};
    if (e2_filter_parse(argv[1], strlen(argv[1]), &src, NULL, &f, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[2], errbuf);
    if (!p || pcap_datalink(p) != DLT_EN10MB) {
        fprintf(stderr, "%s: error: %s\n", argv[2], p ? "not an Ethernet trace" : errbuf);
        if (p) pcap_close(p);
        e2_filter_free(f);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long n = 0;
    int r;
    while ((r = pcap_next_ex(p, &h, &data)) == 1)
        if (++n, e2_filter_eval(f, data, h->caplen, h->len, NULL)) printf("%lu\n", n);
    if (r == PCAP_ERROR) fprintf(stderr, "%s: error: %s\n", argv[2], pcap_geterr(p));
    pcap_close(p);
    e2_filter_free(f);
    return r == PCAP_ERROR ? 1 : 0;
}
