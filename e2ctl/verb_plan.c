/*
 * e2ctl plan — the deployment plan for a policy on a rack, as a table or JSON.
 *
 *   e2ctl plan PGRAPH.json --hw HW.yaml [--json] [options]
 *   e2ctl plan POLICY.e2 [--nf-dir DIR] --hw HW.yaml [--json] [options]
 *
 * The planner's input is the pGraph JSON (docs/pgraph-json.md). A policy
 * file goes through the policy compiler first (compile_policy), and
 * plan_pgraph() takes the loaded JSON either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_compile.h"
#include "e2_plan.h"
#include "e2_units.h"
#include "verbs.h"

struct plan_args {
    const char *input, *hw, *nf_dir;
    bool json;
    struct e2_plan_opts opts;
};

static const char plan_help[] =
    "usage: e2ctl plan PGRAPH.json --hw HW.yaml [--json] [options]\n"
    "       e2ctl plan POLICY.e2 [--nf-dir DIR] --hw HW.yaml [--json] [options]\n"
    "\n"
    "Size every NF, expand the policy graph into NF instances, place them on the\n"
    "rack's servers so the least traffic crosses the switch, and print the\n"
    "deployment plan: a table (server, instances, NF cores, NIC traffic to and from\n"
    "the switch), or with --json the full plan (format e2-plan/1, docs/planner.md).\n"
    "The input is a policy file (compiled and checked first, as 'e2ctl check' does)\n"
    "or the pGraph JSON 'e2ctl compile POLICY --nf-dir DIR --format json' prints.\n"
    "\n"
    "  --hw FILE               hardware description (required)\n"
    "  --nf-dir DIR            NF descriptions for a policy file (default: its folder/nf)\n"
    "  --json                  print the plan as JSON\n"
    "  --rate RATE             rate of root edges without a (bw) annotation\n"
    "                          (default 1 Gbit/s)\n"
    "  --switch-capacity RATE  switch bandwidth (default: non-blocking)\n"
    "  --flow-bits N           flow-ID width, 1..24 (default 16)\n"
    "\n"
    "Exit status: 0 planned; 1 the input is wrong or the rack cannot hold the\n"
    "policy (the message names the resource and the shortfall); 2 usage.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return e2ctl_usage("plan", plan_help, fmt, arg);
}

static int parse_rate(const char *flag, const char *text, double *out)
{
    uint64_t bps;
    if (!text || e2_rate_parse(text, &bps))
        return usage_error("%s needs a rate (e.g. 10 Gbit/s)", flag);
    *out = (double)bps;
    return 0;
}

static int parse_bits(const char *text, unsigned *out)
{
    char *end;
    unsigned long n = text ? strtoul(text, &end, 10) : 0;
    if (!text || *end || n < 1 || n > 24)
        return usage_error("--flow-bits needs 1..24, not '%s'", text ? text : "");
    *out = (unsigned)n;
    return 0;
}

static int parse_args(int argc, char **argv, struct plan_args *a)
{
    e2_plan_opts_default(&a->opts);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(argv[i], "--json"))
            a->json = true;
        else if (!strcmp(argv[i], "--hw") && v)
            a->hw = argv[++i];
        else if (!strcmp(argv[i], "--nf-dir") && v)
            a->nf_dir = argv[++i];
        else if (!strcmp(argv[i], "--rate"))
            rc = parse_rate("--rate", v, &a->opts.default_root_bps), i++;
        else if (!strcmp(argv[i], "--switch-capacity"))
            rc = parse_rate("--switch-capacity", v, &a->opts.switch_bps), i++;
        else if (!strcmp(argv[i], "--flow-bits"))
            rc = parse_bits(v, &a->opts.flow_bits), i++;
        else if (argv[i][0] != '-' && !a->input)
            a->input = argv[i];
        else
            return usage_error("unexpected argument '%s'", argv[i]);
        if (rc) return rc;
    }
    if (!a->input) return usage_error("%s", "which pGraph or policy?");
    if (!a->hw) return usage_error("%s", "--hw HW.yaml is required");
    return 0;
}

/* A pGraph JSON file: named *.json, or text that starts with '{'. */
static bool is_pgraph_json(const char *path)
{
    size_t n = strlen(path);
    if (n > 5 && !strcmp(path + n - 5, ".json")) return true;
    FILE *f = fopen(path, "r");
    int c = ' ';
    while (f && (c = fgetc(f)) != EOF && (c == ' ' || c == '\n' || c == '\t' || c == '\r')) {
    }
    if (f) fclose(f);
    return c == '{';
}

/*
 * Compile and check POLICY with the NF descriptions of @nf_dir (default: the
 * policy's folder/nf) into pGraph JSON; warnings go to stderr.
 */
static int compile_policy(const char *policy, const char *nf_dir, json_t **pgraph,
                          struct e2_err *err)
{
    struct e2_compiled c;
    struct e2_diags diags = {0};
    int rc = e2_policy_compile(policy, nf_dir, &c, &diags);
    for (size_t i = 0; i + 1 < diags.n; i++) fprintf(stderr, "%s\n", diags.msgs[i]);
    if (rc)
        e2_err_set(err, rc, "%s", diags.n ? diags.msgs[diags.n - 1] : "cannot compile the policy");
    e2_diags_free(&diags);
    if (rc) return rc;
    *pgraph = e2_pgraph_to_json(c.g);
    e2_compiled_free(&c);
    return *pgraph ? 0 : e2_err_set(err, ENOMEM, "out of memory");
}

int e2ctl_load_pgraph(const char *input, const char *nf_dir, json_t **pgraph, struct e2_err *err)
{
    if (!is_pgraph_json(input)) return compile_policy(input, nf_dir, pgraph, err);
    json_error_t jerr;
    *pgraph = json_load_file(input, 0, &jerr);
    if (!*pgraph)
        return e2_err_set(err, EINVAL, "%s:%d:%d: %s", input, jerr.line, jerr.column, jerr.text);
    return 0;
}

/* Three significant digits: "8.79 Gbit/s". */
static const char *rate(double bps, char *buf)
{
    static const char *const units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
    int u = 0;
    while (bps >= 999.5 && u < 4) bps /= 1000, u++;
    snprintf(buf, 32, "%.3g %s", bps, units[u]);
    return buf;
}

static void print_server(const struct e2_plan *p, size_t s)
{
    char names[512] = "", *q = names, in[32], out[32];
    for (size_t v = 0; v < p->ig->n_nodes && q - names < 440; v++) {
        if (p->pl->server[v] != s || !e2_inode_placeable(&p->ig->nodes[v])) continue;
        char name[96];
        q += snprintf(q, sizeof(names) - (size_t)(q - names), "%s%s", q == names ? "" : " ",
                      e2_inode_name(p->ig, (unsigned)v, name, sizeof(name)));
    }
    char cores[24];
    snprintf(cores, sizeof(cores), "%u/%u", p->usage.cores[s], e2_server_nf_cores(p->hw, s));
    printf("%-10s %-9s %-14s %-14s %s\n", p->hw->servers[s].name, cores,
           rate(p->usage.nic_in[s], in), rate(p->usage.nic_out[s], out), names[0] ? names : "-");
}

static void print_table(const struct e2_plan *p, const char *hw_path)
{
    char a[32], b[32], c[32];
    printf("plan for %s on %zu servers (%s)\n\n", p->pg->policy[0] ? p->pg->policy : "the pGraph",
           p->hw->n_servers, hw_path);
    printf("%-10s %-9s %-14s %-14s %s\n", "server", "NF cores", "from switch", "to switch",
           "instances");
    for (size_t s = 0; s < p->hw->n_servers; s++) print_server(p, s);
    printf("\nswitch %s: %s through it (%s between servers), %zu of %u rules\n", p->hw->sw.name,
           rate(p->usage.switch_bps, a), rate(p->usage.cross_bps, b), p->n_rules,
           p->hw->sw.flow_table_size);
    if (p->usage.headroom < 1e300)
        printf("max input rate %s (%.2fx the offered %s), limited by %s\n",
               rate(p->usage.headroom * p->usage.offered_bps, a), p->usage.headroom,
               rate(p->usage.offered_bps, c), p->usage.bottleneck);
    for (size_t i = 0; i < p->n_offload; i++) {
        const struct e2_plan_node *pn = &p->pg->nodes[p->offload[i].pnode];
        printf("offload candidate: %s (%s), %u rules, frees %u cores\n", pn->name, pn->nf_type,
               p->offload[i].rules_needed, p->offload[i].frees_cores);
    }
}

/* Plan a loaded pGraph JSON object (from a file or from the policy compiler). */
static int plan_pgraph(const json_t *pgraph, const char *origin, const struct e2_hw *hw,
                       const struct plan_args *a, struct e2_err *err)
{
    struct e2_plan_pgraph *pg = NULL;
    struct e2_plan *p = NULL;
    int rc = e2_plan_pgraph_from_json(pgraph, origin, &pg, err);
    if (!rc) rc = e2_plan_build(pg, hw, &a->opts, &p, err);
    if (!rc && a->json) {
        json_t *j = e2_plan_to_json(p);
        rc = j && !json_dumpf(j, stdout, JSON_INDENT(2)) ? 0
                                                         : e2_err_set(err, ENOMEM, "out of memory");
        printf("\n");
        json_decref(j);
    } else if (!rc) {
        print_table(p, a->hw);
    }
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    return rc;
}

int e2ctl_plan(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return fputs(plan_help, stdout), 0;
    struct plan_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    struct e2_err err = {0};
    struct e2_hw *hw = NULL;
    json_t *pgraph = NULL;
    rc = e2_hw_load(a.hw, &hw, &err);
    if (!rc) rc = e2ctl_load_pgraph(a.input, a.nf_dir, &pgraph, &err);
    if (!rc) rc = plan_pgraph(pgraph, a.input, hw, &a, &err);
    if (rc) fprintf(stderr, "e2ctl plan: %s\n", err.msg);
    json_decref(pgraph);
    e2_hw_free(hw);
    return rc ? 1 : 0;
}
