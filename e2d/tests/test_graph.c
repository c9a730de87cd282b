/*
 * The graph and the control operations: names, gates, the thread-safety
 * check across workers, and all-or-nothing changes (a failed request or
 * config leaves the running pipeline exactly as it was).
 */
#include <string.h>

#include "harness.h"
#include "ops.h"
#include "tags.h"
#include "tc.h"
#include "worker.h"

/* Run a request; return the reply's result (ok) or fail with its error. */
static json_t *ok(const char *req_json)
{
    json_error_t jerr;
    json_t *req = json_loads(req_json, 0, &jerr);
    if (!req) fail_msg("bad test JSON %s: %s", req_json, jerr.text);
    json_t *reply = e2_ops_execute(req);
    json_decref(req);
    if (!json_is_true(json_object_get(reply, "ok")))
        fail_msg("%s failed: %s", req_json, json_string_value(json_object_get(reply, "error")));
    json_t *r = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return r;
}

/* Run a request that must fail with exactly @msg. */
static void refused(const char *req_json, const char *msg)
{
    json_error_t jerr;
    json_t *req = json_loads(req_json, 0, &jerr);
    if (!req) fail_msg("bad test JSON %s: %s", req_json, jerr.text);
    json_t *reply = e2_ops_execute(req);
    json_decref(req);
    assert_false(json_is_true(json_object_get(reply, "ok")));
    assert_string_equal(json_string_value(json_object_get(reply, "error")), msg);
    json_decref(reply);
}

/* A class tree as "name(child, child)" (no usage counters: only structure). */
static size_t tree(const struct e2_tc *tc, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s/%lld(", tc->name, (long long)tc->key);
    for (uint32_t i = 0; i < tc->n_children; i++) n += tree(tc->children[i], buf + n, len - n);
    return n + (size_t)snprintf(buf + n, len - n, ") ");
}

/* A compact picture of the graph: "name(type) a[0]->b[0] ...; tasks" for comparing states. */
static char *picture(void)
{
    char *buf = calloc(1, 1 << 16);
    size_t n = 0;
    for (struct e2_module *m = e2_graph_module_next(NULL); m; m = e2_graph_module_next(m)) {
        n += (size_t)snprintf(buf + n, (1 << 16) - n, "%s(%s)", m->name, m->type->name);
        for (uint16_t g = 0; g < m->n_ogates; g++)
            if (m->ogates[g].next)
                n += (size_t)snprintf(buf + n, (1 << 16) - n, " [%u]->%s[%u]", g,
                                      m->ogates[g].next->name, m->ogates[g].next_igate);
        for (unsigned t = 0; t < m->n_tasks; t++)
            n += (size_t)snprintf(buf + n, (1 << 16) - n, " task%u@%s", t,
                                  m->tasks[t].leaf->parent ? m->tasks[t].leaf->parent->name : "-");
        n += (size_t)snprintf(buf + n, (1 << 16) - n, "; ");
    }
    for (unsigned w = 0; w < e2_worker_count(); w++)
        n += tree(e2_worker_root(w), buf + n, (1 << 16) - n);
    return buf;
}

static void names_are_checked_and_automatic_names_are_unique(void **state)
{
    (void)state;
    json_decref(ok("{\"op\": \"module_create\", \"type\": \"Bypass\"}"));
    json_t *r = ok("{\"op\": \"module_create\", \"type\": \"Bypass\"}");
    assert_string_equal(json_string_value(json_object_get(r, "name")), "bypass1");
    json_decref(r);
    refused("{\"op\": \"module_create\", \"name\": \"bypass0\", \"type\": \"Sink\"}",
            "a module named 'bypass0' already exists");
    refused("{\"op\": \"module_create\", \"name\": \"9lives\", \"type\": \"Sink\"}",
            "name '9lives' must start with a letter or '_'");
    refused("{\"op\": \"module_create\", \"name\": \"a-b\", \"type\": \"Sink\"}",
            "name 'a-b' may hold only letters, digits and '_'");
    refused("{\"op\": \"module_create\", \"name\": \"worker0\", \"type\": \"Sink\"}",
            "a traffic class named 'worker0' already exists");
    refused("{\"op\": \"module_create\", \"type\": \"Nope\"}",
            "unknown module type 'Nope' ('e2d --list-modules' lists them)");
    refused("{\"op\": \"explode\"}", "unknown operation 'explode' (the 'ops' request lists them)");
    refused("{\"nop\": 1}", "a request is an object with a string \"op\"");
    refused("{\"op\": \"connect\", \"from\": \"bypass0\", \"to\": \"bypass1\", \"igate\": \"x\"}",
            "'igate' must be a number");
}

static void gates_are_checked(void **state)
{
    (void)state;
    json_decref(ok("{\"op\": \"module_create\", \"name\": \"src\", \"type\": \"Source\"}"));
    json_decref(ok("{\"op\": \"module_create\", \"name\": \"snk\", \"type\": \"Sink\"}"));
    refused("{\"op\": \"connect\", \"from\": \"snk\", \"to\": \"src\"}",
            "'snk' (Sink) has 0 output gate(s); gate 0 does not exist");
    refused("{\"op\": \"connect\", \"from\": \"src\", \"to\": \"snk\", \"igate\": 64}",
            "'snk' (Sink) has 64 input gate(s); gate 64 does not exist");
    json_decref(ok("{\"op\": \"connect\", \"from\": \"src\", \"to\": \"snk\"}"));
    refused("{\"op\": \"connect\", \"from\": \"src\", \"to\": \"snk\", \"igate\": 1}",
            "output gate 0 of 'src' is already connected to 'snk'");
    json_decref(ok("{\"op\": \"disconnect\", \"from\": \"src\"}"));
    refused("{\"op\": \"disconnect\", \"from\": \"src\"}",
            "output gate 0 of 'src' is not connected");
}

static void a_module_reached_from_two_workers_must_be_thread_safe(void **state)
{
    (void)state;
    load("a :: Source(); b :: Source(); s :: Sink(); q :: Queue(multi_producer=true);\n"
         "tc w1(policy=round_robin, parent=worker1);\n"
         "attach b(parent=w1);\n"
         "a -> s;");
    /* b runs on worker 1: connecting it to s (a Sink run by worker 0) is refused */
    refused("{\"op\": \"connect\", \"from\": \"b\", \"to\": \"s\"}",
            "cannot connect 'b'[0] -> [0]'s': module 's' (Sink) would run on workers 0 and 1 but "
            "is not thread-safe; "
            "put a Queue with multi_producer=true in front of it");
    assert_null(e2_graph_module_find("b")->ogates[0].next);
    /* through a multi-producer queue it is fine */
    json_decref(ok("{\"op\": \"disconnect\", \"from\": \"a\"}"));
    json_decref(
        ok("{\"op\": \"batch\", \"ops\": [{\"op\": \"connect\", \"from\": \"a\", \"to\": \"q\"},"
           "{\"op\": \"connect\", \"from\": \"b\", \"to\": \"q\"}, {\"op\": \"connect\", \"from\": "
           "\"q\", \"to\": \"s\"}]}"));
    /* moving a task can break it too: s2 is fed by d (worker 0) and by q2's task */
    load("d :: Source() -> s2 :: Sink(); q2 :: Queue(); q2 -> [1]s2;");
    refused("{\"op\": \"attach\", \"module\": \"q2\", \"parent\": \"w1\"}",
            "module 's2' (Sink) would run on workers 0 and 1 but is not thread-safe; "
            "put a Queue with multi_producer=true in front of it");
    assert_int_equal(e2_graph_module_find("q2")->tasks[0].worker, 0);
}

static void failed_config_leaves_the_running_pipeline_untouched(void **state)
{
    (void)state;
    load("src :: Source(rate=1k) -> c :: Counter() -> s :: Sink();\n"
         "tc slow(policy=rate_limit, resource=packets, limit=1000);\n"
         "attach src(parent=slow);");
    char *before = picture();
    /* src's gate 0 is taken: the config fails at line 2 and x must not stay behind */
    load_fails("x :: Bypass();\n"
               "src -> x;\n",
               "t.conf:2:5: output gate 0 of 'src' is already connected to 'c'");
    char *after = picture();
    assert_string_equal(after, before);
    free(after);
    assert_null(e2_graph_module_find("x"));

    json_t *req =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, "
                  "s:s}, {s:s, s:s, s:s}]}",
                  "op", "batch", "ops", "op", "disconnect", "from", "src", "op", "module_create",
                  "name", "x", "type", "Bypass", "op", "module_destroy", "name", "c", "op",
                  "attach", "module", "src", "parent", "worker0", "priority", "x", "op",
                  "tc_destroy", "name", "slow", "op", "connect", "from", "src", "to", "nowhere");
    json_t *reply = e2_ops_execute(req);
    json_decref(req);
    assert_false(json_is_true(json_object_get(reply, "ok")));
    assert_string_equal(json_string_value(json_object_get(reply, "error")),
                        "ops[3]: 'priority' must be a number");
    json_decref(reply);
    after = picture();
    assert_string_equal(after, before);
    free(after);

    /* the same without the bad priority gets further and fails at the last request */
    req = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:s}, {s:s, "
                    "s:s}, {s:s, s:s, s:s}]}",
                    "op", "batch", "ops", "op", "disconnect", "from", "src", "op", "module_create",
                    "name", "x", "type", "Bypass", "op", "module_destroy", "name", "c", "op",
                    "attach", "module", "src", "parent", "worker0", "op", "tc_destroy", "name",
                    "slow", "op", "connect", "from", "src", "to", "nowhere");
    reply = e2_ops_execute(req);
    json_decref(req);
    assert_string_equal(json_string_value(json_object_get(reply, "error")),
                        "ops[5]: no module named 'nowhere'");
    json_decref(reply);
    after = picture();
    assert_string_equal(after, before);
    free(after);
    /* and what was retired is whole again: c still counts */
    assert_non_null(e2_graph_module_find("c"));
    assert_non_null(e2_graph_tc_find("slow"));
    assert_ptr_equal(e2_graph_module_find("src")->tasks[0].leaf->parent, e2_graph_tc_find("slow"));
    free(before);
}

static void destroy_inside_a_batch_then_reuse_the_name(void **state)
{
    (void)state;
    load("a :: Bypass() -> s :: Sink();");
    /* replace s by a Counter of the same name in one transaction */
    json_decref(ok("{\"op\": \"batch\", \"ops\": [{\"op\": \"module_destroy\", \"name\": \"s\"},"
                   "{\"op\": \"module_create\", \"name\": \"s\", \"type\": \"Counter\"},"
                   "{\"op\": \"connect\", \"from\": \"a\", \"to\": \"s\"}]}"));
    struct e2_module *s = e2_graph_module_find("s");
    assert_string_equal(s->type->name, "Counter");
    assert_ptr_equal(e2_graph_module_find("a")->ogates[0].next, s);
}

static void scheduler_classes_are_built_and_described(void **state)
{
    (void)state;
    load("q0 :: Queue(); q1 :: Queue();\n"
         "tc top(policy=priority, parent=worker1);\n"
         "tc fair(policy=weighted_fair, parent=top, priority=1, resource=cycles);\n"
         "tc lim(policy=rate_limit, parent=top, priority=2, resource=bits, limit=1G);\n"
         "attach q0(parent=fair, share=5); attach q1(parent=fair, share=3);");
    assert_int_equal(e2_graph_tc_worker(e2_graph_tc_find("q0")), 1);
    /* only tasks under a class that shares or limits bits count them */
    assert_false(e2_graph_module_find("q0")->tasks[0].report_bits);
    json_decref(ok("{\"op\": \"attach\", \"module\": \"q1\", \"parent\": \"lim\"}"));
    assert_true(e2_graph_module_find("q1")->tasks[0].report_bits);
    json_decref(ok("{\"op\": \"attach\", \"module\": \"q1\", \"parent\": \"fair\", \"share\": 3}"));
    assert_false(e2_graph_module_find("q1")->tasks[0].report_bits);
    assert_int_equal(e2_graph_module_find("q1")->tasks[0].worker, 1);
    json_t *t = ok("{\"op\": \"tcs\"}");
    json_t *w1 = json_array_get(t, 1);
    json_t *top = json_array_get(json_object_get(w1, "children"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "policy")), "priority");
    json_t *first = json_array_get(json_object_get(top, "children"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "lim");
    assert_int_equal(json_integer_value(json_object_get(first, "limit")), 1000000000);
    json_decref(t);
    refused("{\"op\": \"tc_create\", \"name\": \"dup\", \"policy\": \"round_robin\", \"parent\": "
            "\"top\", \"priority\": 2}",
            "priority 2 under 'top' is already taken by 'lim'");
    refused("{\"op\": \"tc_destroy\", \"name\": \"fair\"}",
            "class 'fair' still has 2 child(ren), e.g. 'q0'");
    refused("{\"op\": \"tc_destroy\", \"name\": \"worker0\"}",
            "'worker0' is a worker root or a task leaf, not an operator's class");
    refused("{\"op\": \"tc_set_limit\", \"name\": \"fair\", \"limit\": 5}",
            "'fair' is not a rate_limit class");
    json_decref(ok("{\"op\": \"tc_set_limit\", \"name\": \"lim\", \"limit\": 5}"));
    refused("{\"op\": \"attach\", \"module\": \"q0\", \"parent\": \"nope\"}",
            "no traffic class named 'nope'");
    refused("{\"op\": \"tc_create\", \"name\": \"x\", \"policy\": \"fifo\"}",
            "'policy' = \"fifo\" is not one of priority|weighted_fair|round_robin|rate_limit");
}

static void tag_names_get_slots_and_roll_back(void **state)
{
    (void)state;
    json_t *r = ok("{\"op\": \"tag_define\", \"name\": \"FW.safe\"}");
    assert_int_equal(json_integer_value(json_object_get(r, "slot")), 0);
    json_decref(r);
    json_decref(ok("{\"op\": \"tag_define\", \"name\": \"prio\", \"slot\": 3}"));
    r = ok("{\"op\": \"tag_define\", \"name\": \"FW.safe\"}"); /* again: same slot */
    assert_int_equal(json_integer_value(json_object_get(r, "slot")), 0);
    json_decref(r);
    refused("{\"op\": \"tag_define\", \"name\": \"FW.safe\", \"slot\": 1}",
            "tag 'FW.safe' already has slot 0");
    refused("{\"op\": \"tag_define\", \"name\": \"x\", \"slot\": 3}",
            "tag slot 3 is taken by 'prio'");
    json_decref(ok("{\"op\": \"tag_define\", \"name\": \"a\"}"));
    json_decref(ok("{\"op\": \"tag_define\", \"name\": \"b\"}"));
    refused("{\"op\": \"tag_define\", \"name\": \"c\"}",
            "no free tag slot for 'c': all 4 are taken (FW.safe, a, b, prio)");
    /* a failing batch undoes its tag changes */
    load_fails("tag(name=\"tmp\"); x :: Nope();",
               "t.conf:1:1: no free tag slot for 'tmp': all 4 are taken (FW.safe, a, b, prio)");
    load_fails("tag(name=\"a\"); x :: Nope();",
               "t.conf:1:16: unknown module type 'Nope' ('e2d --list-modules' lists them)");
    json_t *req = json_pack("{s:s, s:[{s:s, s:s}, {s:s}]}", "op", "batch", "ops", "op",
                            "tag_undefine", "name", "b", "op", "nope");
    json_decref(e2_ops_execute(req));
    json_decref(req);
    assert_int_equal(e2_tag_slot("b", NULL), 2);
    assert_int_equal(e2_tag_slot("a", NULL), 1);
    json_t *tags = ok("{\"op\": \"tags\"}");
    assert_int_equal(json_array_size(tags), 4);
    json_decref(tags);
}

static void reads_describe_everything(void **state)
{
    (void)state;
    json_decref(ok("{\"op\": \"load\", \"text\": \"src :: Source(limit=10) -> s :: Sink();\"}"));
    json_t *mods = ok("{\"op\": \"modules\"}");
    assert_int_equal(json_array_size(mods), 2);
    json_decref(mods);
    json_t *m = ok("{\"op\": \"module\", \"name\": \"s\"}");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(m, "igates"), 0), "from")),
        "src");
    json_decref(m);
    json_t *types = ok("{\"op\": \"types\"}");
    assert_true(json_array_size(types) >= 14);
    json_decref(types);
    json_t *ops = ok("{\"op\": \"ops\"}");
    assert_true(json_array_size(ops) >= 20);
    json_decref(ops);
    json_t *st = ok("{\"op\": \"status\"}");
    assert_int_equal(json_array_size(json_object_get(st, "workers")), 2);
    json_decref(st);
    refused("{\"op\": \"resume\"}", "the workers are not paused");
    refused("{\"op\": \"batch\", \"ops\": [{\"op\": \"pause\"}]}",
            "ops[0]: 'pause' cannot be part of a batch");
}

int main(void)
{
    harness_start(2, false);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(names_are_checked_and_automatic_names_are_unique),
        T(gates_are_checked),
        T(a_module_reached_from_two_workers_must_be_thread_safe),
        T(failed_config_leaves_the_running_pipeline_untouched),
        T(destroy_inside_a_batch_then_reuse_the_name),
        T(scheduler_classes_are_built_and_described),
        T(tag_names_get_slots_and_roll_back),
        T(reads_describe_everything),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
