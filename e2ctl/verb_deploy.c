/*
 * e2ctl deploy — an operator's dry run of the interconnection: plan the
 * policy (as e2ctl plan does), then print what each server's e2d would run,
 * the NF processes its agent would start, and the switch rules.
 *
 *   e2ctl deploy POLICY|PGRAPH.json --hw HW.yaml [--nf-dir DIR] [--rack RACK.json]
 *                [--server NAME] [--json]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_ic.h"
#include "e2_plan.h"
#include "verbs.h"

static const char deploy_help[] =
    "usage: e2ctl deploy POLICY|PGRAPH.json --hw HW.yaml [--nf-dir DIR] [--rack RACK.json]\n"
    "                    [--server NAME] [--json]\n"
    "\n"
    "Plan the policy on the rack (as 'e2ctl plan' does) and print the deployment\n"
    "(format e2-deploy/1, docs/cluster.md): per server the e2d configuration and\n"
    "the NF processes its agent starts, then the switch rules and what each NSH\n"
    "service path (SPI) carries. Nothing is started or changed.\n"
    "\n"
    "  --hw FILE       hardware description (required)\n"
    "  --nf-dir DIR    NF descriptions for a policy file (default: its folder/nf)\n"
    "  --rack FILE     the rack: server MACs and options, JSON (docs/cluster.md);\n"
    "                  default: server i has MAC 02:e2:00:00:00:xx, xx = 10 + i (hex)\n"
    "  --server NAME   only this server's part\n"
    "  --json          print JSON instead of text\n"
    "\n"
    "Exit status: 0 printed; 1 the input is wrong, the rack cannot hold the policy,\n"
    "or the interconnection cannot be exact (the message says why); 2 usage.\n";

struct deploy_args {
    const char *input, *hw, *nf_dir, *rack, *server;
    bool json;
};

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "e2ctl deploy: %s%s\n%s", what, arg, deploy_help);
    return 2;
}

static int parse_args(int argc, char **argv, struct deploy_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(argv[i], "--hw")       ? &a->hw
                            : !strcmp(argv[i], "--nf-dir") ? &a->nf_dir
                            : !strcmp(argv[i], "--rack")   ? &a->rack
                            : !strcmp(argv[i], "--server") ? &a->server
                                                           : NULL;
        if (slot && v)
            *slot = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            a->json = true;
        else if (argv[i][0] != '-' && !a->input)
            a->input = argv[i];
        else
            return usage_error("unexpected argument ", argv[i]);
    }
    if (!a->input) return usage_error("which policy or pGraph?", "");
    if (!a->hw) return usage_error("--hw HW.yaml is required", "");
    return 0;
}

/* The NF descriptions the pGraph embeds, as a catalogue. */
static int catalog_of(const json_t *pgraph, struct e2_nf_catalog *cat, struct e2_err *err)
{
    const json_t *nodes = json_object_get(pgraph, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *nf = json_object_get(json_array_get(nodes, i), "nf");
        const char *type = json_string_value(json_object_get(nf, "nf_type"));
        if (!json_is_object(nf) || (type && e2_nf_catalog_find(cat, type))) continue;
        struct e2_nf_desc *d = NULL;
        int rc = e2_nf_desc_from_json(nf, "pgraph", &d, err);
        if (!rc) rc = e2_nf_catalog_add(cat, d, err);
        if (rc) return rc;
    }
    return 0;
}

/* Server i: MAC 02:e2:00:00:00:(0x10 + i). */
static json_t *default_rack(const json_t *plan)
{
    json_t *servers = json_object();
    const json_t *sv = json_object_get(plan, "servers");
    for (size_t i = 0; i < json_array_size(sv); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(sv, i), "name"));
        if (name)
            json_object_set_new(
                servers, name,
                json_pack("{so}", "mac", json_sprintf("02:e2:00:00:00:%02zx", 0x10 + i)));
    }
    return json_pack("{so}", "servers", servers);
}

static int plan_json(const json_t *pgraph, const struct deploy_args *a, json_t **plan,
                     struct e2_err *err)
{
    struct e2_hw *hw = NULL;
    struct e2_plan_pgraph *pg = NULL;
    struct e2_plan *p = NULL;
    struct e2_plan_opts opts;
    e2_plan_opts_default(&opts);
    int rc = e2_hw_load(a->hw, &hw, err);
    if (!rc) rc = e2_plan_pgraph_from_json(pgraph, a->input, &pg, err);
    if (!rc) rc = e2_plan_build(pg, hw, &opts, &p, err);
    if (!rc && !(*plan = e2_plan_to_json(p))) rc = e2_err_set(err, ENOMEM, "out of memory");
    e2_plan_free(p);
    e2_plan_pgraph_free(pg);
    e2_hw_free(hw);
    return rc;
}

static void print_server(const char *name, const json_t *s)
{
    printf("== server %s: NIC %s, switch port %lld, %lld e2d worker(s)\n", name,
           json_string_value(json_object_get(s, "mac")),
           json_integer_value(json_object_get(s, "switch_port")),
           json_integer_value(json_object_get(s, "workers")));
    const json_t *nfs = json_object_get(s, "nfs");
    printf("NF processes (%zu):\n", json_array_size(nfs));
    for (size_t i = 0; i < json_array_size(nfs); i++) {
        const json_t *nf = json_array_get(nfs, i);
        printf("  %-8s core %-3lld %-7s", json_string_value(json_object_get(nf, "instance")),
               json_integer_value(json_object_get(nf, "core")),
               json_string_value(json_object_get(nf, "api")));
        const json_t *argv = json_object_get(nf, "argv");
        for (size_t k = 0; k < json_array_size(argv); k++)
            printf(" %s", json_string_value(json_array_get(argv, k)));
        printf("\n");
    }
    printf("e2d configuration:\n%s\n", json_string_value(json_object_get(s, "e2d_config")));
}

static void print_text(const json_t *d, const char *only)
{
    const char *name;
    json_t *s;
    json_object_foreach(json_object_get(d, "servers"), name, s)
    {
        if (!only || !strcmp(only, name)) print_server(name, s);
    }
    if (only) return;
    const json_t *rules = json_object_get(json_object_get(d, "switch"), "rules");
    printf("== switch rules (%zu)\n", json_array_size(rules));
    for (size_t i = 0; i < json_array_size(rules); i++) {
        char *r = json_dumps(json_array_get(rules, i), JSON_COMPACT);
        printf("%s\n", r ? r : "");
        free(r);
    }
    printf("== service paths (SPI)\n");
    const char *spi;
    json_t *what;
    json_object_foreach(json_object_get(d, "spis"), spi, what)
    {
        printf("  %-9s %s\n", spi, json_string_value(what));
    }
}

static int print(const json_t *d, const struct deploy_args *a, struct e2_err *err)
{
    const json_t *part = d;
    if (a->server && !(part = json_object_get(json_object_get(d, "servers"), a->server)))
        return e2_err_set(err, ENOENT, "--server: no server \"%s\" in the plan", a->server);
    if (!a->json) {
        print_text(d, a->server);
        return 0;
    }
    if (json_dumpf(part, stdout, JSON_INDENT(2))) return e2_err_set(err, EIO, "cannot write");
    printf("\n");
    return 0;
}

int e2ctl_deploy(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return fputs(deploy_help, stdout), 0;
    struct deploy_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    struct e2_err err = {0};
    struct e2_nf_catalog cat = {0};
    json_t *pgraph = NULL, *plan = NULL, *rack = NULL, *deploy = NULL;
    json_error_t jerr;
    rc = e2ctl_load_pgraph(a.input, a.nf_dir, &pgraph, &err);
    if (!rc) rc = catalog_of(pgraph, &cat, &err);
    if (!rc) rc = plan_json(pgraph, &a, &plan, &err);
    if (!rc && a.rack && !(rack = json_load_file(a.rack, 0, &jerr)))
        rc = e2_err_set(&err, EINVAL, "%s:%d:%d: %s", a.rack, jerr.line, jerr.column, jerr.text);
    if (!rc && !a.rack) rack = default_rack(plan);
    if (!rc) rc = e2_ic_build(plan, &cat, rack, &deploy, &err);
    if (!rc) rc = print(deploy, &a, &err);
    if (rc) fprintf(stderr, "e2ctl deploy: %s\n", err.msg);
    json_decref(deploy);
    json_decref(rack);
    json_decref(plan);
    json_decref(pgraph);
    e2_nf_catalog_free(&cat);
    return rc ? 1 : 0;
}
