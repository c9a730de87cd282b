/*
 * e2ctl switch — read and change the rack switch's rules through a switch
 * driver (include/e2/switch.h): Open vSwitch over OpenFlow, or the model
 * switch (which lives only as long as the command: apply to a model is a dry
 * run that checks the rules, their entries against the table size and the
 * simulated install time).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/switch.h"
#include "verbs.h"

static const char switch_help[] =
    "usage: e2ctl switch -u URI COMMAND [ARGS...]\n"
    "\n"
    "  rules [--json]                   the installed rules, one a line (--json: rule JSON)\n"
    "  counters [--json]                the same with packets and bytes per rule\n"
    "  apply FILE [--delete COOKIE]...  add the rules in FILE, after deleting the rules of\n"
    "                                   each COOKIE, as one atomic change\n"
    "  delete COOKIE...                 delete the rules of these cookies, atomically\n"
    "\n"
    "URI is the switch (default: $E2_SWITCH):\n"
    "  ovs:unix:DIR/BRIDGE.mgmt         Open vSwitch over OpenFlow 1.5 (ovs-ofctl)\n"
    "  ovs:tcp:HOST:PORT\n"
    "  model:rules=N,latency_us=L       the model switch: N entries, L us per entry written\n"
    "FILE holds a JSON array of rules, {\"rules\": [...]} or an e2-deploy/1 document\n"
    "(its switch.rules). The rule JSON is described in docs/switch.md.\n"
    "\n"
    "Exit status: 0 done; 1 the switch refused or failed (nothing changed); 2 usage.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return e2ctl_usage("switch", switch_help, fmt, arg);
}

static int failed(const struct e2_err *err)
{
    fprintf(stderr, "e2ctl switch: %s\n", err->msg);
    return 1;
}

/* The rules array of a file: an array, {"rules": [...]} or {"switch": {"rules": [...]}}. */
static json_t *load_rules(const char *path, struct e2_err *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr), *rules = doc;
    if (!doc) {
        e2_err_set(err, EINVAL, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (json_is_object(doc) && json_object_get(doc, "switch"))
        rules = json_object_get(json_object_get(doc, "switch"), "rules");
    else if (json_is_object(doc))
        rules = json_object_get(doc, "rules");
    if (!json_is_array(rules)) {
        e2_err_set(err, EINVAL,
                   "%s: expected an array of rules, {\"rules\": [...]} or an e2-deploy/1 document",
                   path);
        json_decref(doc);
        return NULL;
    }
    json_incref(rules);
    json_decref(doc);
    return rules;
}

static json_t *parse_cookies(char **words, int n, struct e2_err *err)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char *end;
        unsigned long long c = strtoull(words[i], &end, 0);
        if (end == words[i] || *end || c > UINT32_MAX || words[i][0] == '-') {
            e2_err_set(err, EINVAL, "'%s' is not a cookie (0..4294967295)", words[i]);
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_integer((json_int_t)c));
    }
    return a;
}

static void print_stats(struct e2_sw *sw, size_t n_add, size_t n_del)
{
    struct e2_sw_stats st;
    struct e2_err err = {0};
    if (e2_sw_stats(sw, &st, &err)) return;
    printf("applied: %zu rules added, %zu cookies deleted in %.3f ms%s\n", n_add, n_del,
           st.last_apply_us / 1000, st.simulated ? " (simulated)" : "");
    printf("%s switch: %zu rules, %zu entries", st.driver, st.rules, st.entries);
    if (st.capacity) printf(" of %zu", st.capacity);
    printf("\n");
}

static int cmd_apply(struct e2_sw *sw, int argc, char **argv)
{
    struct e2_err err = {0};
    const char *file = NULL;
    json_t *del = json_array();
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--delete") && i + 1 < argc) {
            json_t *c = parse_cookies(&argv[++i], 1, &err);
            rc = c ? json_array_extend(del, c) : usage_error("%s", err.msg);
            json_decref(c);
        } else if (!file && argv[i][0] != '-') {
            file = argv[i];
        } else {
            rc = usage_error("apply: unexpected '%s' (FILE [--delete COOKIE]...)", argv[i]);
        }
    }
    if (!rc && !file) rc = usage_error("%s", "apply needs a FILE of rules");
    json_t *rules = rc ? NULL : load_rules(file, &err);
    if (!rc && !rules) rc = failed(&err);
    if (!rc && e2_sw_apply(sw, rules, del, &err)) rc = failed(&err);
    if (!rc) print_stats(sw, json_array_size(rules), json_array_size(del));
    json_decref(rules);
    json_decref(del);
    return rc;
}

static int cmd_delete(struct e2_sw *sw, int argc, char **argv)
{
    struct e2_err err = {0};
    if (argc < 2) return usage_error("%s", "delete needs at least one COOKIE");
    json_t *del = parse_cookies(argv + 1, argc - 1, &err);
    if (!del) return usage_error("%s", err.msg);
    int rc = e2_sw_apply(sw, NULL, del, &err) ? failed(&err) : 0;
    if (!rc) print_stats(sw, 0, json_array_size(del));
    json_decref(del);
    return rc;
}

/* One rule a line: table, priority, cookie, entries, [packets, bytes,] match -> actions. */
static void print_table(const json_t *rules, bool counters)
{
    printf("%-5s %-8s %-10s %-7s ", "table", "priority", "cookie", "entries");
    if (counters) printf("%-10s %-12s ", "packets", "bytes");
    printf("match -> actions\n");
    size_t i;
    json_t *j;
    json_array_foreach(rules, i, j)
    {
        json_t *plain = json_deep_copy(j), *c = json_object_get(j, "counters");
        struct e2_sw_rule r;
        struct e2_err err = {0};
        char line[1024];
        json_object_del(plain, "counters");
        if (!e2_sw_rule_parse(plain, "rule", &r, &err)) {
            e2_sw_rule_format(&r, line, sizeof(line));
            printf("%-5u %-8u %-10u %-7zu ", r.table, r.priority, r.cookie, e2_sw_rule_entries(&r));
            if (counters)
                printf("%-10lld %-12lld ",
                       (long long)json_integer_value(json_object_get(c, "packets")),
                       (long long)json_integer_value(json_object_get(c, "bytes")));
            printf("%s\n", line);
        }
        json_decref(plain);
    }
}

static int cmd_show(struct e2_sw *sw, int argc, char **argv)
{
    bool counters = !strcmp(argv[0], "counters"), as_json = argc == 2 && !strcmp(argv[1], "--json");
    if (argc > 2 || (argc == 2 && !as_json)) return usage_error("%s takes only --json", argv[0]);
    struct e2_err err = {0};
    json_t *rules = NULL;
    int rc = counters ? e2_sw_counters(sw, &rules, &err) : e2_sw_rules(sw, &rules, &err);
    if (rc) return failed(&err);
    if (as_json) {
        char *s = json_dumps(rules, JSON_INDENT(2));
        printf("%s\n", s ? s : "[]");
        free(s);
    } else {
        print_table(rules, counters);
    }
    json_decref(rules);
    return 0;
}

int e2ctl_switch(int argc, char **argv)
{
    const char *uri = getenv("E2_SWITCH");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return fputs(switch_help, stdout), 0;
        if (strcmp(argv[i], "-u") || i + 1 >= argc)
            return usage_error("unknown option '%s'", argv[i]);
        uri = argv[++i];
    }
    if (!uri) return usage_error("%s", "which switch? give -u URI or set E2_SWITCH");
    if (i >= argc) return usage_error("%s", "which command? (rules, counters, apply, delete)");
    static const struct {
        const char *name;
        int (*run)(struct e2_sw *, int, char **);
    } cmds[] = {
        {"rules", cmd_show}, {"counters", cmd_show}, {"apply", cmd_apply}, {"delete", cmd_delete}};
    for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
        if (strcmp(argv[i], cmds[k].name)) continue;
        struct e2_err err = {0};
        struct e2_sw *sw = e2_sw_open(uri, &err);
        if (!sw) return failed(&err);
        int rc = cmds[k].run(sw, argc - i, argv + i);
        e2_sw_close(sw);
        return rc;
    }
    return usage_error("unknown command '%s'", argv[i]);
}
