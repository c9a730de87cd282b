#include "ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "e2_args.h"
#include "graph.h"
#include "e2/meta.h"
#include "nfreg.h"
#include "port.h"
#include "tags.h"
#include "worker.h"

enum op_kind {
    OP_READ,       /* reads only */
    OP_CHANGE,     /* a change: runs paused, inside a transaction, may be batched */
    OP_STANDALONE, /* a request of its own: never inside a batch */
    OP_COMMAND,    /* a module command: alone, it pauses the workers only if the command needs it */
};

struct op {
    const char *name;
    const char *help;
    enum op_kind kind;
    const struct e2_arg *args;
    size_t args_size;
    int (*fn)(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err);
};

static bool quit_requested;
static struct e2_ops_ctx *cur_ctx; /* the connection of the request being executed */

bool e2_ops_quit_requested(void)
{
    return quit_requested;
}

/* ---- helpers ---- */

static int need_module(const char *name, struct e2_module **m, struct e2_err *err)
{
    *m = e2_graph_module_find(name);
    return *m ? 0 : e2_err_set(err, ENOENT, "no module named '%s'", name);
}

static int need_tc(const char *name, struct e2_tc **tc, struct e2_err *err)
{
    *tc = e2_graph_tc_find(name);
    return *tc ? 0 : e2_err_set(err, ENOENT, "no traffic class named '%s'", name);
}

/* The key a child gets under @parent: its priority or its share. */
static int64_t child_key(const struct e2_tc *parent, int64_t priority, uint32_t share)
{
    return parent->policy == E2_TC_PRIORITY        ? priority
           : parent->policy == E2_TC_WEIGHTED_FAIR ? share
                                                   : 0;
}

/* ---- ports ---- */

struct a_name {
    char name[E2_NAME_MAX];
};

static const struct e2_arg name_spec[] = {
    E2_ARG_STR(struct a_name, name, NULL, "name"),
    E2_ARG_END,
};

static int op_port_create(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    return e2_graph_port_create(args, txn, err);
}

static int op_port_destroy(const void *args, struct e2_txn *txn, json_t **result,
                           struct e2_err *err)
{
    (void)txn;
    (void)result;
    const struct a_name *a = args;
    struct e2_port *p = e2_port_find(a->name);
    if (!p) return e2_err_set(err, ENOENT, "no port named '%s'", a->name);
    return e2_port_destroy(p, err);
}

static int op_ports(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    json_t *arr = json_array();
    for (struct e2_port *p = e2_port_first(); p; p = p->next)
        json_array_append_new(arr, e2_port_describe(p));
    *result = arr;
    return 0;
}

/* ---- modules ---- */

struct a_module_create {
    char name[E2_NAME_MAX];
    char type[E2_NAME_MAX];
    json_t *args;
};

static const struct e2_arg module_create_spec[] = {
    E2_ARG_STR(struct a_module_create, name, "\"\"", "instance name; empty for an automatic one"),
    E2_ARG_STR(struct a_module_create, type, NULL, "module type, e.g. \"Queue\""),
    E2_ARG_JSON(struct a_module_create, args, "{}", "the type's arguments"),
    E2_ARG_END,
};

static int op_module_create(const void *args, struct e2_txn *txn, json_t **result,
                            struct e2_err *err)
{
    const struct a_module_create *a = args;
    struct e2_module *m;
    int rc = e2_graph_module_create(a->name[0] ? a->name : NULL, a->type, a->args, txn, &m, err);
    if (!rc) *result = json_pack("{s:s}", "name", m->name);
    return rc;
}

static int op_module_destroy(const void *args, struct e2_txn *txn, json_t **result,
                             struct e2_err *err)
{
    (void)result;
    const struct a_name *a = args;
    struct e2_module *m;
    int rc = need_module(a->name, &m, err);
    return rc ? rc : e2_graph_module_destroy(m, txn, err);
}

static int op_modules(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    json_t *arr = json_array();
    for (struct e2_module *m = e2_graph_module_next(NULL); m; m = e2_graph_module_next(m))
        json_array_append_new(arr, e2_graph_module_describe(m));
    *result = arr;
    return 0;
}

static int op_module(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    const struct a_name *a = args;
    struct e2_module *m;
    int rc = need_module(a->name, &m, err);
    if (!rc) *result = e2_graph_module_describe(m);
    return rc;
}

struct a_connect {
    char from[E2_NAME_MAX], to[E2_NAME_MAX];
    uint16_t ogate, igate;
};

static const struct e2_arg connect_spec[] = {
    E2_ARG_STR(struct a_connect, from, NULL, "upstream module"),
    E2_ARG_U16(struct a_connect, ogate, "0", 0, E2_GATES_MAX - 1, "its output gate"),
    E2_ARG_STR(struct a_connect, to, NULL, "downstream module"),
    E2_ARG_U16(struct a_connect, igate, "0", 0, E2_GATES_MAX - 1, "its input gate"),
    E2_ARG_END,
};

static const struct e2_arg disconnect_spec[] = {
    E2_ARG_STR(struct a_connect, from, NULL, "upstream module"),
    E2_ARG_U16(struct a_connect, ogate, "0", 0, E2_GATES_MAX - 1, "its output gate"),
    E2_ARG_END,
};

static int op_connect(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_connect *a = args;
    struct e2_module *from, *to;
    int rc = need_module(a->from, &from, err);
    if (!rc) rc = need_module(a->to, &to, err);
    return rc ? rc : e2_graph_connect(from, a->ogate, to, a->igate, txn, err);
}

static int op_disconnect(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_connect *a = args;
    struct e2_module *from;
    int rc = need_module(a->from, &from, err);
    return rc ? rc : e2_graph_disconnect(from, a->ogate, txn, err);
}

struct a_module_cmd {
    char module[E2_NAME_MAX], cmd[E2_NAME_MAX];
    json_t *arg;
};

static const struct e2_arg module_cmd_spec[] = {
    E2_ARG_STR(struct a_module_cmd, module, NULL, "module name"),
    E2_ARG_STR(struct a_module_cmd, cmd, NULL, "command name"),
    E2_ARG_JSON(struct a_module_cmd, arg, "{}", "the command's arguments"),
    E2_ARG_END,
};

static int op_module_cmd(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    const struct a_module_cmd *a = args;
    struct e2_module *m;
    int rc = need_module(a->module, &m, err);
    if (rc) return rc;
    const struct e2_cmd *c = e2_graph_cmd_find(m, a->cmd, err);
    return c ? e2_graph_module_cmd(m, c, a->arg, result, err) : -ENOENT;
}

struct a_track {
    char name[E2_NAME_MAX];
    bool bytes;
};

static const struct e2_arg track_spec[] = {
    E2_ARG_STR(struct a_track, name, NULL, "module name"),
    E2_ARG_BOOL(struct a_track, bytes, "true",
                "count bytes as well as packets on its output gates"),
    E2_ARG_END,
};

static int op_track(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_track *a = args;
    struct e2_module *m;
    int rc = need_module(a->name, &m, err);
    return rc ? rc : e2_graph_track_bytes(m, a->bytes, txn, err);
}

struct a_tag {
    char name[E2_TAG_NAME_MAX];
    int64_t slot;
};

static const struct e2_arg tag_define_spec[] = {
    E2_ARG_STR(struct a_tag, name, NULL,
               "tag name, e.g. \"FW.safe\" (an NF attribute carried as metadata)"),
    E2_ARG_I64(struct a_tag, slot, "-1", -1, E2_META_TAGS - 1,
               "slot in the packet metadata, -1 for the first free"),
    E2_ARG_END,
};

static const struct e2_arg tag_name_spec[] = {
    E2_ARG_STR(struct a_tag, name, NULL, "tag name"),
    E2_ARG_END,
};

static int op_tag_define(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    const struct a_tag *a = args;
    int slot = e2_graph_tag_define(a->name, (int)a->slot, txn, err);
    if (slot < 0) return slot;
    *result = json_pack("{s:s, s:i}", "name", a->name, "slot", slot);
    return 0;
}

static int op_tag_undefine(const void *args, struct e2_txn *txn, json_t **result,
                           struct e2_err *err)
{
    (void)result;
    const struct a_tag *a = args;
    return e2_graph_tag_undefine(a->name, txn, err);
}

static int op_tags(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    *result = e2_tags_describe();
    return 0;
}

static int op_types(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    static const struct e2_arg no_args[] = {E2_ARG_END};
    json_t *arr = json_array();
    for (const struct e2_module_type *const *t = e2_module_types(); *t; t++) {
        json_t *cmds = json_array();
        for (const struct e2_cmd *c = (*t)->cmds; c && c->name; c++)
            json_array_append_new(cmds, json_pack("{s:s, s:s, s:b, s:o}", "name", c->name, "help",
                                                  c->help, "mt_safe", c->mt_safe, "args",
                                                  e2_args_describe(c->args ? c->args : no_args)));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:o, s:o}", "name", (*t)->name,
                           "summary", (*t)->summary, "manual", (*t)->manual ? (*t)->manual : "",
                           "igates", (*t)->max_igates, "ogates", (*t)->max_ogates, "tasks",
                           (*t)->run_task != NULL, "args",
                           e2_args_describe((*t)->args ? (*t)->args : no_args), "commands", cmds));
    }
    *result = arr;
    return 0;
}

/* ---- traffic classes ---- */

static const char *const policy_names[] = {"priority", "weighted_fair", "round_robin", "rate_limit",
                                           NULL};
static const char *const resource_names[] = {"count", "cycles", "packets", "bits", NULL};

struct a_tc_create {
    char name[E2_TC_NAME_MAX], parent[E2_TC_NAME_MAX];
    int policy, resource;
    int64_t priority;
    uint32_t share;
    uint64_t limit, burst;
};

static const struct e2_arg tc_create_spec[] = {
    E2_ARG_STR(struct a_tc_create, name, NULL, "class name"),
    E2_ARG_ENUM(struct a_tc_create, policy, NULL, policy_names, "scheduling policy"),
    E2_ARG_STR(struct a_tc_create, parent, "\"worker0\"",
               "parent class (a worker's root is \"worker<N>\")"),
    E2_ARG_I64(struct a_tc_create, priority, "0", 0, 0,
               "priority under a priority parent (higher runs first)"),
    E2_ARG_U32(struct a_tc_create, share, "1", 1, E2_TC_SHARE_MAX,
               "share under a weighted_fair parent"),
    E2_ARG_ENUM(struct a_tc_create, resource, "\"cycles\"", resource_names,
                "what weighted_fair shares or rate_limit limits"),
    E2_ARG_U64(struct a_tc_create, limit, "0", 0, 0, "rate_limit: units per second"),
    E2_ARG_U64(struct a_tc_create, burst, "0", 0, 0,
               "rate_limit: bucket size in units (0: minimal)"),
    E2_ARG_END,
};

static int op_tc_create(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_tc_create *a = args;
    struct e2_tc *parent;
    int rc = need_tc(a->parent, &parent, err);
    if (rc) return rc;
    struct e2_tc_params p = {.resource = (enum e2_resource)a->resource,
                             .limit = a->limit,
                             .burst = a->burst,
                             .hz = e2_tsc_hz(),
                             .now = rte_rdtsc()};
    return e2_graph_tc_create(a->name, (enum e2_tc_policy)a->policy, &p, parent,
                              child_key(parent, a->priority, a->share), txn, err);
}

static int op_tc_destroy(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_name *a = args;
    struct e2_tc *tc;
    int rc = need_tc(a->name, &tc, err);
    return rc ? rc : e2_graph_tc_destroy(tc, txn, err);
}

static const struct e2_arg tc_limit_spec[] = {
    E2_ARG_STR(struct a_tc_create, name, NULL, "rate_limit class"),
    E2_ARG_U64(struct a_tc_create, limit, NULL, 1, 0, "units per second"),
    E2_ARG_U64(struct a_tc_create, burst, "0", 0, 0, "bucket size in units"),
    E2_ARG_END,
};

static int op_tc_set_limit(const void *args, struct e2_txn *txn, json_t **result,
                           struct e2_err *err)
{
    (void)result;
    const struct a_tc_create *a = args;
    struct e2_tc *tc;
    int rc = need_tc(a->name, &tc, err);
    return rc ? rc : e2_graph_tc_set_limit(tc, a->limit, a->burst, txn, err);
}

struct a_attach {
    char module[E2_NAME_MAX], parent[E2_TC_NAME_MAX];
    uint32_t task, share;
    int64_t priority;
};

static const struct e2_arg attach_spec[] = {
    E2_ARG_STR(struct a_attach, module, NULL, "module whose task moves"),
    E2_ARG_U32(struct a_attach, task, "0", 0, E2_MODULE_TASKS - 1, "which of its tasks"),
    E2_ARG_STR(struct a_attach, parent, NULL, "new parent class"),
    E2_ARG_I64(struct a_attach, priority, "0", 0, 0, "priority under a priority parent"),
    E2_ARG_U32(struct a_attach, share, "1", 1, E2_TC_SHARE_MAX,
               "share under a weighted_fair parent"),
    E2_ARG_END,
};

static int op_attach(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_attach *a = args;
    struct e2_module *m;
    struct e2_tc *parent;
    int rc = need_module(a->module, &m, err);
    if (!rc) rc = need_tc(a->parent, &parent, err);
    return rc ? rc
              : e2_graph_task_attach(m, a->task, parent, child_key(parent, a->priority, a->share),
                                     txn, err);
}

static int op_tcs(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    *result = e2_graph_tc_describe_all();
    return 0;
}

/* ---- native NFs ---- */

struct a_nf {
    char name[E2NF_NAME_MAX];
    json_t *ports;
    uint32_t queues, ring_size;
};

static const struct e2_arg nf_create_spec[] = {
    E2_ARG_STR(struct a_nf, name, NULL, "NF instance name (what the NF attaches as)"),
    E2_ARG_JSON(struct a_nf, ports, NULL,
                "its port names, as in its NF description: [in, safe, unsafe]"),
    E2_ARG_U32(struct a_nf, queues, "1", 1, E2NF_QUEUES_MAX,
               "ring pairs per port (one per NF thread)"),
    E2_ARG_U32(struct a_nf, ring_size, "4096", 64, 65536,
               "packets each ring holds (a power of two)"),
    E2_ARG_END,
};

static int op_nf_create(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct a_nf *a = args;
    const char *ports[E2NF_PORTS_MAX];
    size_t n = json_array_size(a->ports);
    if (!json_is_array(a->ports) || n == 0 || n > E2NF_PORTS_MAX)
        return e2_err_set(err, EINVAL, "'ports' must list 1..%d port names", E2NF_PORTS_MAX);
    for (size_t i = 0; i < n; i++) {
        ports[i] = json_string_value(json_array_get(a->ports, i));
        if (!ports[i]) return e2_err_set(err, EINVAL, "ports[%zu] must be a name", i);
    }
    struct e2_nf_spec spec = {a->name, ports, (unsigned)n, a->queues, a->ring_size};
    return e2_graph_nf_create(&spec, txn, err);
}

static int need_nf(const char *name, struct e2_nf **nf, struct e2_err *err)
{
    *nf = e2_nf_find(name);
    return *nf ? 0 : e2_err_set(err, ENOENT, "no NF named '%s'", name);
}

static int op_nf_destroy(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    (void)result;
    const struct a_name *a = args;
    struct e2_nf *nf;
    int rc = need_nf(a->name, &nf, err);
    return rc ? rc : e2_nf_destroy(nf, err);
}

static int op_nfs(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    *result = e2_nf_describe_all();
    return 0;
}

struct a_nf_attach {
    char name[E2NF_NAME_MAX];
    uint32_t abi;
    int64_t pid;
};

static const struct e2_arg nf_attach_spec[] = {
    E2_ARG_STR(struct a_nf_attach, name, NULL, "NF instance to attach as"),
    E2_ARG_U32(struct a_nf_attach, abi, NULL, 0, 0,
               "the libe2nf ABI version the NF was built with"),
    E2_ARG_I64(struct a_nf_attach, pid, NULL, 1, 0, "the NF's process id"),
    E2_ARG_END,
};

static int op_nf_attach(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    const struct a_nf_attach *a = args;
    if (!cur_ctx)
        return e2_err_set(err, EINVAL,
                          "nf_attach is for NF processes on the control socket (libe2nf)");
    struct e2_nf *nf;
    int rc = need_nf(a->name, &nf, err);
    if (!rc)
        rc = e2_nf_attach(nf, a->abi, (pid_t)a->pid, cur_ctx->client, result, cur_ctx->fds, err);
    if (!rc) cur_ctx->n_fds = 2;
    return rc;
}

static int op_nf_detach(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)result;
    if (!cur_ctx)
        return e2_err_set(err, EINVAL,
                          "nf_detach is for NF processes on the control socket (libe2nf)");
    return e2_nf_detach_client(cur_ctx->client, err);
}

struct a_since {
    uint64_t since;
};

static const struct e2_arg since_spec[] = {
    E2_ARG_U64(struct a_since, since, "0", 0, 0, "only events after this sequence number"),
    E2_ARG_END,
};

static int op_nf_events(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    (void)err;
    const struct a_since *a = args;
    *result = e2_nf_events(a->since);
    return 0;
}

struct a_signal {
    char to[E2NF_NAME_MAX];
    uint32_t type;
    char data[E2NF_SIGNAL_DATA];
};

static const struct e2_arg signal_spec[] = {
    E2_ARG_STR(struct a_signal, to, NULL, "NF to signal"),
    E2_ARG_U32(struct a_signal, type, NULL, 0, 0, "signal type (the NFs' own convention)"),
    E2_ARG_STR(struct a_signal, data, "\"\"", "payload text"),
    E2_ARG_END,
};

static int op_nf_signal(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    (void)result;
    const struct a_signal *a = args;
    return e2_nf_send_signal(a->to, a->type, a->data, strlen(a->data), err);
}

/* ---- whole-dataplane ---- */

static int op_status(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    json_t *ws = json_array();
    for (unsigned w = 0; w < e2_worker_count(); w++) {
        struct e2_worker_stats s;
        e2_worker_stats(w, &s);
        json_array_append_new(
            ws, json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "id", w, "lcore",
                          e2_worker_lcore(w), "runs", (json_int_t)s.runs, "packets",
                          (json_int_t)s.packets, "busy_cycles", (json_int_t)s.busy_cycles,
                          "idle_cycles", (json_int_t)s.idle_cycles, "sleeps", (json_int_t)s.sleeps,
                          "sleep_ns", (json_int_t)s.sleep_ns));
    }
    unsigned n = 0;
    for (struct e2_module *m = e2_graph_module_next(NULL); m; m = e2_graph_module_next(m)) n++;
    *result = json_pack("{s:o, s:i, s:i, s:I}", "workers", ws, "modules", n, "paused",
                        e2_workers_pause_depth(), "tsc_hz", (json_int_t)e2_tsc_hz());
    return 0;
}

static int op_pause(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)result;
    (void)err;
    e2_workers_pause();
    return 0;
}

static int op_resume(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)result;
    if (e2_workers_pause_depth() == 0) return e2_err_set(err, EINVAL, "the workers are not paused");
    e2_workers_resume();
    return 0;
}

static int op_quit(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)result;
    (void)err;
    quit_requested = true;
    return 0;
}

static int op_ops(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)txn;
    (void)err;
    *result = e2_ops_describe();
    return 0;
}

struct a_batch {
    json_t *ops;
};

static const struct e2_arg batch_spec[] = {
    E2_ARG_JSON(struct a_batch, ops, NULL, "list of change requests applied all-or-nothing"),
    E2_ARG_END,
};

struct a_load {
    json_t *text;
    char file[256];
};

static const struct e2_arg load_spec[] = {
    E2_ARG_JSON(struct a_load, text, NULL, "config text (see docs/e2d-config.md)"),
    E2_ARG_STR(struct a_load, file, "\"<config>\"", "file name used in error locations"),
    E2_ARG_END,
};

static int run_changes(const json_t *list, bool where, json_t **result, struct e2_err *err);

static int op_batch(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    const struct a_batch *a = args;
    if (!json_is_array(a->ops)) return e2_err_set(err, EINVAL, "'ops' must be a list of requests");
    return run_changes(a->ops, true, result, err);
}

/* Compile @text and apply it as one transaction. */
static int load_text(const char *text, const char *file, json_t **result, struct e2_err *err)
{
    json_t *ops;
    int rc = e2_conf_compile(text, file, &ops, err);
    if (rc) return rc;
    rc = run_changes(ops, true, result, err);
    json_decref(ops);
    return rc;
}

static int op_load(const void *args, struct e2_txn *txn, json_t **result, struct e2_err *err)
{
    (void)txn;
    const struct a_load *a = args;
    if (!json_is_string(a->text)) return e2_err_set(err, EINVAL, "'text' must be a string");
    return load_text(json_string_value(a->text), a->file, result, err);
}

/* ---- the table ---- */

static const struct op ops[] = {
    {"port_create", "create a port from a DPDK vdev", OP_CHANGE, e2_port_arg_spec,
     sizeof(struct e2_port_args), op_port_create},
    {"port_destroy", "destroy a port no module uses", OP_STANDALONE, name_spec,
     sizeof(struct a_name), op_port_destroy},
    {"ports", "ports with device statistics", OP_READ, NULL, 0, op_ports},
    {"module_create", "create a module", OP_CHANGE, module_create_spec,
     sizeof(struct a_module_create), op_module_create},
    {"module_destroy", "destroy a module", OP_CHANGE, name_spec, sizeof(struct a_name),
     op_module_destroy},
    {"modules", "every module with gates, tasks and statistics", OP_READ, NULL, 0, op_modules},
    {"module", "one module", OP_READ, name_spec, sizeof(struct a_name), op_module},
    {"connect", "connect an output gate to an input gate", OP_CHANGE, connect_spec,
     sizeof(struct a_connect), op_connect},
    {"disconnect", "disconnect an output gate", OP_CHANGE, disconnect_spec,
     sizeof(struct a_connect), op_disconnect},
    {"track", "count bytes on a module's output gates, or stop (packets are always counted)",
     OP_CHANGE, track_spec, sizeof(struct a_track), op_track},
    {"module_cmd", "run a module command (thread-safe commands run without pausing the workers)",
     OP_COMMAND, module_cmd_spec, sizeof(struct a_module_cmd), op_module_cmd},
    {"tag_define", "name a metadata tag slot", OP_CHANGE, tag_define_spec, sizeof(struct a_tag),
     op_tag_define},
    {"tag_undefine", "forget a metadata tag name", OP_CHANGE, tag_name_spec, sizeof(struct a_tag),
     op_tag_undefine},
    {"tags", "metadata tag names and their slots", OP_READ, NULL, 0, op_tags},
    {"types", "module types with arguments and commands", OP_READ, NULL, 0, op_types},
    {"tc_create", "create a traffic class", OP_CHANGE, tc_create_spec, sizeof(struct a_tc_create),
     op_tc_create},
    {"tc_destroy", "destroy a traffic class without children", OP_CHANGE, name_spec,
     sizeof(struct a_name), op_tc_destroy},
    {"tc_set_limit", "change a rate_limit class", OP_CHANGE, tc_limit_spec,
     sizeof(struct a_tc_create), op_tc_set_limit},
    {"attach", "move a module's task under a traffic class", OP_CHANGE, attach_spec,
     sizeof(struct a_attach), op_attach},
    {"tcs", "the scheduler trees with usage per class", OP_READ, NULL, 0, op_tcs},
    {"nf_create", "declare a native NF instance and its ports", OP_CHANGE, nf_create_spec,
     sizeof(struct a_nf), op_nf_create},
    {"nf_destroy", "forget an NF instance no process and no VPort uses", OP_STANDALONE, name_spec,
     sizeof(struct a_name), op_nf_destroy},
    {"nfs", "native NF instances: state, process, ports, rings, load", OP_READ, NULL, 0, op_nfs},
    {"nf_attach", "(libe2nf) attach the calling NF process; the connection stays bound to it",
     OP_STANDALONE, nf_attach_spec, sizeof(struct a_nf_attach), op_nf_attach},
    {"nf_detach", "(libe2nf) detach the NF attached on this connection", OP_STANDALONE, NULL, 0,
     op_nf_detach},
    {"nf_events", "NF attach, detach, failure, hang and signal events", OP_READ, since_spec,
     sizeof(struct a_since), op_nf_events},
    {"nf_signal", "send a signal from E2 to an NF", OP_STANDALONE, signal_spec,
     sizeof(struct a_signal), op_nf_signal},
    {"status", "workers and counts", OP_READ, NULL, 0, op_status},
    {"pause", "pause the workers (nests) for a series of consistent changes", OP_STANDALONE, NULL,
     0, op_pause},
    {"resume", "undo one pause", OP_STANDALONE, NULL, 0, op_resume},
    {"batch", "apply several changes all-or-nothing", OP_STANDALONE, batch_spec,
     sizeof(struct a_batch), op_batch},
    {"load", "apply a config text all-or-nothing", OP_STANDALONE, load_spec, sizeof(struct a_load),
     op_load},
    {"ops", "this list", OP_READ, NULL, 0, op_ops},
    {"quit", "stop e2d", OP_STANDALONE, NULL, 0, op_quit},
};

static const struct op *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].name, name) == 0) return &ops[i];
    return NULL;
}

/* The request without "op" and "at": the operation's own arguments. */
static json_t *op_args(const json_t *req)
{
    json_t *a = json_copy((json_t *)req);
    json_object_del(a, "op");
    json_object_del(a, "at");
    return a;
}

/* Parse a request's arguments and run it inside @txn (NULL: no transaction). */
static int call(const struct op *op, const json_t *req, struct e2_txn *txn, json_t **result,
                struct e2_err *err)
{
    static const struct e2_arg no_args[] = {E2_ARG_END};
    json_t *args = op_args(req);
    _Alignas(max_align_t) unsigned char buf[1024];
    memset(buf, 0, sizeof(buf));
    int rc = e2_args_parse(op->args ? op->args : no_args, args, buf, err);
    json_decref(args);
    if (rc) return rc;
    rc = op->fn(buf, txn, result, err);
    e2_args_release(op->args ? op->args : no_args, buf);
    return rc;
}

static int locate(const json_t *req, unsigned i, struct e2_err *err)
{
    const char *at = json_string_value(json_object_get(req, "at"));
    return at ? e2_err_prefix(err, "%s: ", at) : e2_err_prefix(err, "ops[%u]: ", i);
}

/* Apply @list as one transaction; @where: prefix errors with each request's place. */
static int run_changes(const json_t *list, bool where, json_t **result, struct e2_err *err)
{
    e2_workers_pause();
    struct e2_txn *txn = e2_txn_begin();
    json_t *results = json_array();
    int rc = txn ? 0 : e2_err_set(err, ENOMEM, "out of memory");
    size_t i;
    json_t *req;
    json_array_foreach(list, i, req)
    {
        if (rc) break;
        const char *name = json_string_value(json_object_get(req, "op"));
        const struct op *op = name ? find_op(name) : NULL;
        json_t *r = NULL;
        if (!op)
            rc = e2_err_set(err, EINVAL, "unknown operation '%s'", name ? name : "(none)");
        else if (op->kind == OP_STANDALONE)
            rc = e2_err_set(err, EINVAL, "'%s' cannot be part of a batch", name);
        else
            rc = call(op, req, txn, &r, err);
        if (rc && where) locate(req, (unsigned)i, err);
        json_array_append_new(results, r ? r : json_null());
    }
    if (rc) {
        e2_txn_rollback(txn);
        json_decref(results);
    } else {
        e2_txn_commit(txn);
        *result =
            json_pack("{s:i, s:o}", "applied", (int)json_array_size(list), "results", results);
    }
    e2_workers_resume();
    return rc;
}

json_t *e2_ops_execute(const json_t *req)
{
    return e2_ops_execute_for(req, NULL);
}

json_t *e2_ops_execute_for(const json_t *req, struct e2_ops_ctx *ctx)
{
    cur_ctx = ctx;
    struct e2_err err = {0};
    json_t *result = NULL;
    const char *name = json_is_object(req) ? json_string_value(json_object_get(req, "op")) : NULL;
    const struct op *op = name ? find_op(name) : NULL;
    int rc;
    if (!json_is_object(req) || !name)
        rc = e2_err_set(&err, EINVAL, "a request is an object with a string \"op\"");
    else if (!op)
        rc =
            e2_err_set(&err, EINVAL, "unknown operation '%s' (the 'ops' request lists them)", name);
    else if (op->kind != OP_CHANGE)
        rc = call(op, req, NULL, &result, &err); /* module_cmd pauses by itself when it must */
    else {
        json_t *one = json_pack("[O]", req);
        json_t *batch = NULL;
        rc = run_changes(one, false, &batch, &err);
        if (!rc) result = json_incref(json_array_get(json_object_get(batch, "results"), 0));
        json_decref(batch);
        json_decref(one);
    }
    if (rc) return json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
    return json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_null());
}

json_t *e2_ops_describe(void)
{
    static const char *kinds[] = {"read", "change", "standalone", "command"};
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        json_t *args = ops[i].args ? e2_args_describe(ops[i].args) : json_array();
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s, s:o}", "op", ops[i].name, "help",
                                        ops[i].help, "kind", kinds[ops[i].kind], "args", args));
    }
    return arr;
}

void e2_ops_doc(FILE *out)
{
    static const char *kinds[] = {"read", "change", "standalone", "command"};
    static const struct e2_arg no_args[] = {E2_ARG_END};
    fprintf(
        out,
        "# e2d control operations\n\nGenerated by `e2d --list-ops`; a test keeps this file "
        "equal to the "
        "code. Send one JSON object per line to the control socket, e.g. "
        "`{\"op\": \"connect\", \"from\": \"src\", \"to\": \"sink\"}`; each reply is one line, "
        "`{\"ok\": true, \"result\": ...}` or `{\"ok\": false, \"error\": \"...\"}`. "
        "`e2ctl dp` sends them for you.\n\n"
        "Kinds: *read* requests change nothing; *change* requests run with the workers paused "
        "and are "
        "all-or-nothing; *standalone* requests cannot be part of a `batch`; a *command* runs a "
        "module "
        "command, pausing the workers only when that command is not thread-safe (inside a batch it "
        "runs paused like any change).\n\n");
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        fprintf(out, "## `%s` (%s)\n\n%s.\n\n", ops[i].name, kinds[ops[i].kind], ops[i].help);
        e2_args_doc(ops[i].args ? ops[i].args : no_args, out);
        fprintf(out, "\n");
    }
}

int e2_ops_load(const char *text, const char *file, struct e2_err *err)
{
    json_t *result = NULL;
    int rc = load_text(text, file, &result, err);
    json_decref(result);
    return rc;
}
