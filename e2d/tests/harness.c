#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_mempool.h>

#include "e2/frame.h"
#include "e2/meta.h"
#include "ops.h"
#include "pktpool.h"

static void capture_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    struct capture *c = *(struct capture **)m->priv;
    for (uint32_t i = 0; i < b->cnt; i++) {
        if (c->n < CAPTURE_MAX) {
            c->igate[c->n] = igate;
            c->pkts[c->n++] = b->pkts[i];
        } else {
            rte_pktmbuf_free(b->pkts[i]);
        }
    }
}

static int capture_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    (void)args;
    struct capture *c = calloc(1, sizeof(*c));
    if (!c) return e2_err_set(err, ENOMEM, "out of memory");
    *(struct capture **)m->priv = c;
    return 0;
}

static void capture_deinit(struct e2_module *m)
{
    struct capture *c = *(struct capture **)m->priv;
    if (!c) return;
    capture_clear(c);
    free(c);
}

static struct e2_module_type capture_type = {
    .name = "TestCapture",
    .summary = "test fixture: keeps every packet it receives",
    .max_igates = 64,
    .priv_size = sizeof(struct capture *),
    .init = capture_init,
    .deinit = capture_deinit,
    .process = capture_process,
};

E2_MODULE_REGISTER(capture_type);

void harness_start(unsigned workers, bool live)
{
    static char name[32];
    snprintf(name, sizeof(name), "e2test%d", (int)getpid());
    struct e2_runtime_opts o = {
        .eal = {.name = name, .no_huge = true, .mem_mb = 256, .workers = workers},
        .mbufs = 8191,
        .worker = {.idle_spin_us = 100, .idle_sleep_max_us = 200},
    };
    struct e2_err err = {0};
    if (e2_runtime_start(&o, &err)) fail_msg("runtime: %s", err.msg);
    if (live && e2_workers_launch(&err)) fail_msg("launch: %s", err.msg);
}

void harness_reset(void)
{
    e2_graph_destroy_all();
}

static unsigned free_at_start;

int harness_setup(void **state)
{
    (void)state;
    free_at_start = pool_free();
    return 0;
}

/* Every test must give back every buffer it took. */
int harness_teardown(void **state)
{
    (void)state;
    harness_reset();
    assert_int_equal(pool_free(), free_at_start);
    return 0;
}

void load(const char *text)
{
    struct e2_err err = {0};
    if (e2_ops_load(text, "t.conf", &err)) fail_msg("load: %s", err.msg);
}

void load_fails(const char *text, const char *msg)
{
    struct e2_err err = {0};
    assert_int_not_equal(e2_ops_load(text, "t.conf", &err), 0);
    assert_string_equal(err.msg, msg);
}

struct e2_module *make(const char *name, const char *type, const char *args_json)
{
    json_error_t jerr;
    json_t *args = args_json ? json_loads(args_json, 0, &jerr) : NULL;
    if (args_json && !args) fail_msg("bad test JSON: %s", jerr.text);
    struct e2_module *m = NULL;
    struct e2_err err = {0};
    int rc = e2_graph_module_create(name, type, args, NULL, &m, &err);
    json_decref(args);
    if (rc) fail_msg("create %s: %s", type, err.msg);
    return m;
}

void link_gates(struct e2_module *from, uint16_t og, struct e2_module *to, uint16_t ig)
{
    struct e2_err err = {0};
    if (e2_graph_connect(from, og, to, ig, NULL, &err)) fail_msg("connect: %s", err.msg);
}

struct e2_module *make_capture(const char *name, struct capture **cap)
{
    struct e2_module *m = make(name, "TestCapture", NULL);
    *cap = *(struct capture **)m->priv;
    return m;
}

void capture_clear(struct capture *c)
{
    for (unsigned i = 0; i < c->n; i++) rte_pktmbuf_free(c->pkts[i]);
    c->n = 0;
}

struct rte_mbuf *udp_packet(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                            uint16_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(e2_pktpool());
    assert_non_null(m);
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
    assert_non_null(p);
    memset(p, 0, len);
    e2_frame_udp4(p, len, sip, dip, sport, dport);
    return m;
}

void push(struct e2_module *m, uint16_t igate, struct rte_mbuf **pkts, unsigned n)
{
    struct e2_batch b = {.cnt = n};
    memcpy(b.pkts, pkts, n * sizeof(pkts[0]));
    m->type->process(m, igate, &b);
}

uint32_t run_task(struct e2_module *m, unsigned t)
{
    return m->type->run_task(m, &m->tasks[t]).packets;
}

int command(struct e2_module *m, const char *cmd, const char *arg_json, json_t **result, char *msg,
            size_t len)
{
    json_error_t jerr;
    json_t *arg = arg_json ? json_loads(arg_json, 0, &jerr) : NULL;
    struct e2_err err = {0};
    const struct e2_cmd *c = e2_graph_cmd_find(m, cmd, &err);
    json_t *r = NULL;
    int rc = c ? e2_graph_module_cmd(m, c, arg, &r, &err) : err.code;
    json_decref(arg);
    if (msg) snprintf(msg, len, "%s", err.msg);
    if (result)
        *result = r;
    else
        json_decref(r);
    return rc;
}

unsigned pool_free(void)
{
    return rte_mempool_avail_count(e2_pktpool());
}
