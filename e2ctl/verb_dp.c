/*
 * e2ctl dp — drive one e2d over its control socket.
 *
 * Each subcommand is one request (see docs/e2d-control.md); results print as
 * tables by default and as JSON with --json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "verbs.h"

static const char dp_usage[] =
    "usage: e2ctl dp [-s SOCKET] [--json] COMMAND [ARGS...]\n"
    "\n"
    "  status                      workers and how busy they are\n"
    "  modules                     every module with packets in/out and drops\n"
    "  module NAME                 one module in full (gates, tasks, statistics)\n"
    "  ports                       ports with device counters\n"
    "  tcs                         the scheduler trees with cycles per class\n"
    "  types                       module types (e2d --list-modules has the manual)\n"
    "  nfs                         native NF instances: state, process, per-port rings and drops\n"
    "  events [SEQ]                NF attach, detach, failure, hang and signal events after SEQ\n"
    "  tags                        metadata tag names and their slots\n"
    "  load FILE                   apply a config file all-or-nothing\n"
    "  create NAME TYPE [ARGS]     create a module; ARGS as in configs: size=4k, burst=16\n"
    "  destroy NAME                destroy a module\n"
    "  connect FROM[:OG] TO[:IG]   connect gates (default 0)\n"
    "  disconnect FROM[:OG]        disconnect an output gate\n"
    "  cmd MODULE COMMAND [ARGS]   run a module command\n"
    "  pause | resume | quit       pause or resume the workers; stop e2d\n"
    "  raw JSON                    send one request as it is\n"
    "\n"
    "SOCKET defaults to $E2D_SOCKET, else /run/e2d/e2d.sock.\n";

static int dp_help(int code)
{
    fputs(dp_usage, code ? stderr : stdout);
    return code;
}

json_t *e2ctl_kwargs(int argc, char **argv, int from, struct e2_err *err)
{
    size_t len = 1;
    for (int i = from; i < argc; i++) len += strlen(argv[i]) + 2;
    char *text = calloc(1, len);
    for (int i = from; i < argc; i++) {
        strcat(text, argv[i]);
        if (i + 1 < argc) strcat(text, ", ");
    }
    json_t *o = NULL;
    e2_conf_parse_args(text, &o, err);
    free(text);
    return o;
}

/* "name:3" -> name, 3 */
static json_t *gate_ref(const char *s, const char *name_key, const char *gate_key)
{
    const char *colon = strrchr(s, ':');
    if (!colon) return json_pack("{s:s, s:i}", name_key, s, gate_key, 0);
    return json_pack("{s:s%, s:i}", name_key, s, (size_t)(colon - s), gate_key, atoi(colon + 1));
}

static char *slurp(const char *path, struct e2_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        e2_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Build the request for a subcommand; NULL with a usage error (or err) otherwise. */
static json_t *build_request(int argc, char **argv, struct e2_err *err)
{
    const char *cmd = argv[0];
    static const char *simple[] = {"status", "modules", "ports", "tcs", "types", "pause",
                                   "resume", "quit",    "ops",   "nfs", "tags"};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (strcmp(cmd, simple[i]) == 0 && argc == 1) return json_pack("{s:s}", "op", cmd);
    if (strcmp(cmd, "events") == 0 && argc <= 2)
        return json_pack("{s:s, s:I}", "op", "nf_events", "since",
                         argc == 2 ? (json_int_t)atoll(argv[1]) : 0);
    if (strcmp(cmd, "module") == 0 && argc == 2)
        return json_pack("{s:s, s:s}", "op", "module", "name", argv[1]);
    if (strcmp(cmd, "destroy") == 0 && argc == 2)
        return json_pack("{s:s, s:s}", "op", "module_destroy", "name", argv[1]);
    if (strcmp(cmd, "load") == 0 && argc == 2) {
        char *text = slurp(argv[1], err);
        if (!text) return NULL;
        json_t *r = json_pack("{s:s, s:s, s:s}", "op", "load", "text", text, "file", argv[1]);
        free(text);
        return r;
    }
    if (strcmp(cmd, "create") == 0 && argc >= 3) {
        json_t *args = e2ctl_kwargs(argc, argv, 3, err);
        return args ? json_pack("{s:s, s:s, s:s, s:o}", "op", "module_create", "name", argv[1],
                                "type", argv[2], "args", args)
                    : NULL;
    }
    if (strcmp(cmd, "cmd") == 0 && argc >= 3) {
        json_t *args = e2ctl_kwargs(argc, argv, 3, err);
        return args ? json_pack("{s:s, s:s, s:s, s:o}", "op", "module_cmd", "module", argv[1],
                                "cmd", argv[2], "arg", args)
                    : NULL;
    }
    if (strcmp(cmd, "connect") == 0 && argc == 3) {
        json_t *r = gate_ref(argv[1], "from", "ogate");
        json_object_update(r, json_pack("{s:s}", "op", "connect"));
        json_t *to = gate_ref(argv[2], "to", "igate");
        json_object_update(r, to);
        json_decref(to);
        return r;
    }
    if (strcmp(cmd, "disconnect") == 0 && argc == 2) {
        json_t *r = gate_ref(argv[1], "from", "ogate");
        json_object_set_new(r, "op", json_string("disconnect"));
        return r;
    }
    if (strcmp(cmd, "raw") == 0 && argc == 2) {
        json_error_t jerr;
        json_t *r = json_loads(argv[1], 0, &jerr);
        if (!r) e2_err_set(err, EINVAL, "not JSON: %s", jerr.text);
        return r;
    }
    return NULL;
}

static void print_modules(const json_t *mods)
{
    printf("%-24s %-10s %14s %14s %12s  %s\n", "module", "type", "packets in", "packets out",
           "dropped", "tasks");
    size_t i;
    json_t *m;
    json_array_foreach(mods, i, m)
    {
        printf("%-24s %-10s %14lld %14lld %12lld  ", json_string_value(json_object_get(m, "name")),
               json_string_value(json_object_get(m, "type")),
               (long long)e2_gates_packets(json_object_get(m, "igates")),
               (long long)e2_gates_packets(json_object_get(m, "ogates")),
               (long long)json_integer_value(json_object_get(m, "dropped")));
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(m, "tasks"), k, t) printf(
            "%s%s@worker%lld", k ? ", " : "", json_string_value(json_object_get(t, "parent")),
            (long long)json_integer_value(json_object_get(t, "worker")));
        printf("\n");
    }
}

static void print_ports(const json_t *ports)
{
    printf("%-16s %-36s %14s %14s %10s\n", "port", "vdev", "rx packets", "tx packets", "rx missed");
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        json_t *st = json_object_get(p, "stats");
        printf("%-16s %-36s %14lld %14lld %10lld\n", json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "vdev")),
               (long long)json_integer_value(json_object_get(st, "rx_packets")),
               (long long)json_integer_value(json_object_get(st, "tx_packets")),
               (long long)json_integer_value(json_object_get(st, "rx_missed")));
    }
}

static void print_tc(const json_t *tc, int depth, double root_cycles)
{
    json_t *u = json_object_get(tc, "usage");
    double cyc = (double)json_integer_value(json_object_get(u, "cycles"));
    char key[32] = "";
    if (json_object_get(tc, "share"))
        snprintf(key, sizeof(key), " share=%lld",
                 (long long)json_integer_value(json_object_get(tc, "share")));
    if (json_object_get(tc, "priority"))
        snprintf(key, sizeof(key), " priority=%lld",
                 (long long)json_integer_value(json_object_get(tc, "priority")));
    printf("%*s%s (%s%s)  %5.1f%% of cycles, %lld packets\n", depth * 2, "",
           json_string_value(json_object_get(tc, "name")),
           json_string_value(json_object_get(tc, "policy")), key,
           root_cycles > 0 ? 100.0 * cyc / root_cycles : 0.0,
           (long long)json_integer_value(json_object_get(u, "packets")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(tc, "children"), i, c) print_tc(c, depth + 1, root_cycles);
}

static void print_status(const json_t *st)
{
    printf("modules: %lld, paused: %lld\n",
           (long long)json_integer_value(json_object_get(st, "modules")),
           (long long)json_integer_value(json_object_get(st, "paused")));
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(st, "workers"), i, w)
    {
        double busy = (double)json_integer_value(json_object_get(w, "busy_cycles"));
        double idle = (double)json_integer_value(json_object_get(w, "idle_cycles"));
        printf("worker%lld on lcore %lld: %lld packets, %.1f%% of running cycles moved packets, "
               "%lld sleeps\n",
               (long long)json_integer_value(json_object_get(w, "id")),
               (long long)json_integer_value(json_object_get(w, "lcore")),
               (long long)json_integer_value(json_object_get(w, "packets")),
               busy + idle > 0 ? 100.0 * busy / (busy + idle) : 0.0,
               (long long)json_integer_value(json_object_get(w, "sleeps")));
    }
}

static void print_nfs(const json_t *nfs)
{
    size_t i;
    json_t *nf;
    json_array_foreach(nfs, i, nf)
    {
        const char *reason = json_string_value(json_object_get(nf, "reason"));
        printf("%s: %s, pid %lld, %lld attach(es), %lld failure(s)%s%s\n",
               json_string_value(json_object_get(nf, "name")),
               json_string_value(json_object_get(nf, "state")),
               (long long)json_integer_value(json_object_get(nf, "pid")),
               (long long)json_integer_value(json_object_get(nf, "attaches")),
               (long long)json_integer_value(json_object_get(nf, "failures")), *reason ? ": " : "",
               reason);
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(nf, "ports"), k, p)
            printf("  port %-10s to NF %12lld  from NF %12lld  queued %5lld  dropped: full %lld, "
                   "down %lld, lost %lld\n",
                   json_string_value(json_object_get(p, "name")),
                   (long long)json_integer_value(json_object_get(p, "delivered")),
                   (long long)json_integer_value(json_object_get(p, "returned")),
                   (long long)json_integer_value(json_object_get(p, "queue_depth")),
                   (long long)json_integer_value(json_object_get(p, "full_drops")),
                   (long long)json_integer_value(json_object_get(p, "down_drops")),
                   (long long)json_integer_value(json_object_get(p, "lost")));
    }
}

static void print_events(const json_t *events)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) printf(
        "%6lld %-12s %-11s %s\n", (long long)json_integer_value(json_object_get(e, "seq")),
        json_string_value(json_object_get(e, "nf")), json_string_value(json_object_get(e, "kind")),
        json_string_value(json_object_get(e, "detail")));
}

static void print_result(const char *cmd, const json_t *r, int as_json)
{
    if (as_json) {
        char *s = json_dumps(r, JSON_INDENT(2) | JSON_ENCODE_ANY);
        printf("%s\n", s);
        free(s);
    } else if (strcmp(cmd, "modules") == 0) {
        print_modules(r);
    } else if (strcmp(cmd, "nfs") == 0) {
        print_nfs(r);
    } else if (strcmp(cmd, "events") == 0) {
        print_events(r);
    } else if (strcmp(cmd, "ports") == 0) {
        print_ports(r);
    } else if (strcmp(cmd, "status") == 0) {
        print_status(r);
    } else if (strcmp(cmd, "tcs") == 0) {
        size_t i;
        json_t *t;
        json_array_foreach(r, i, t) print_tc(
            t, 0,
            (double)json_integer_value(json_object_get(json_object_get(t, "usage"), "cycles")));
    } else if (strcmp(cmd, "types") == 0) {
        size_t i;
        json_t *t;
        json_array_foreach(r, i, t)
            printf("%-12s %s\n", json_string_value(json_object_get(t, "name")),
                   json_string_value(json_object_get(t, "summary")));
    } else if (json_is_null(r)) {
        printf("ok\n");
    } else {
        print_result(cmd, r, 1);
    }
}

int e2ctl_call(const char *verb, const char *sock, const json_t *req, json_t **result)
{
    struct e2_err err = {0};
    struct e2_client *c = e2_client_open(sock, &err);
    int rc = c ? e2_client_call(c, req, result, &err) : err.code;
    e2_client_close(c);
    if (!rc) return 0;
    fprintf(stderr, "e2ctl %s: %s\n", verb, err.msg);
    return 1;
}

int e2ctl_dp(int argc, char **argv)
{
    const char *sock = getenv("E2D_SOCKET");
    int as_json = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            sock = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return dp_help(0);
        else
            return dp_help(2);
    }
    if (i >= argc) return dp_help(2);
    struct e2_err err = {0};
    json_t *req = build_request(argc - i, argv + i, &err);
    if (!req) {
        if (err.code) {
            fprintf(stderr, "e2ctl dp: %s\n", err.msg);
            return 1;
        }
        fprintf(stderr, "e2ctl dp: bad use of '%s'\n", argv[i]);
        return dp_help(2);
    }
    json_t *result = NULL;
    int rc = e2ctl_call("dp", sock ? sock : "/run/e2d/e2d.sock", req, &result);
    json_decref(req);
    if (rc) return rc;
    print_result(argv[i], result, as_json);
    json_decref(result);
    return 0;
}
