/*
 * NF instances and VPorts without an NF process (no hugepages here): what
 * e2d refuses, and that packets for an NF that is not attached are dropped
 * and counted, never queued.
 */
#include "harness.h"
#include "nfreg.h"
#include "ops.h"

static int teardown(void **state)
{
    harness_reset(); /* the VPorts first: they hold the NFs' ports */
    e2_nf_destroy_all();
    return harness_teardown(state);
}

static void packets_for_an_absent_nf_are_dropped_and_counted(void **state)
{
    (void)state;
    load("nf fw(ports=[in, out]);\n"
         "src :: Source(limit=64) -> v :: VPort(nf=fw, port=in);\n"
         "VPort(nf=fw, port=out) -> Sink();");
    struct e2_module *src = e2_graph_module_find("src"), *v = e2_graph_module_find("v");
    while (run_task(src, 0)) {
    }
    struct e2_nf *nf = e2_nf_find("fw");
    assert_int_equal(nf->ports[0].down_drops, 64);
    assert_int_equal(nf->ports[0].delivered, 0);
    assert_int_equal(v->dropped, 64);
    assert_int_equal(nf->state, E2_NF_WAITING);
    assert_int_equal(run_task(v, 0), 0);
    json_t *d = e2_nf_describe(nf);
    assert_string_equal(json_string_value(json_object_get(d, "state")), "waiting");
    json_decref(d);
}

static void nf_declarations_and_vports_are_checked(void **state)
{
    (void)state;
    load("nf fw(ports=[in, out]);");
    load_fails("nf fw(ports=[a]);", "t.conf:1:1: an NF named 'fw' already exists");
    load_fails("nf x(ports=[a, a]);", "t.conf:1:1: NF 'x': port 'a' twice");
    load_fails("nf x(ports=[]);", "t.conf:1:1: 'ports' must list 1..16 port names");
    load_fails("nf x(ports=[a], queues=9);", "t.conf:1:1: 'queues' = 9 is out of range 1..8");
    load_fails("nf x(ports=[a], ring_size=100);",
               "t.conf:1:1: NF 'x': ring_size 100 must be a power of two in 64..65536");
    load_fails("VPort(nf=nope, port=in);", "t.conf:1:1: module 'vport_1_1' (VPort): no NF named "
                                           "'nope' (declare it first: nf nope(ports=[...]))");
    load_fails(
        "VPort(nf=fw, port=safe);",
        "t.conf:1:1: module 'vport_1_1' (VPort): NF 'fw' has no port 'safe' (it has: in, out)");
    load("a :: VPort(nf=fw, port=in);");
    load_fails("b :: VPort(nf=fw, port=in);",
               "t.conf:1:1: module 'b' (VPort): port 'in' of NF 'fw' already has a VPort ('a')");
    json_t *req = json_pack("{s:s, s:s}", "op", "nf_destroy", "name", "fw");
    json_t *reply = e2_ops_execute(req);
    assert_string_equal(json_string_value(json_object_get(reply, "error")),
                        "NF 'fw': port 'in' is used by module 'a'");
    json_decref(reply);
    json_decref(req);
    /* attaching needs a connection and hugepages */
    req = json_pack("{s:s, s:s, s:i, s:i}", "op", "nf_attach", "name", "fw", "abi",
                    E2NF_ABI_VERSION, "pid", 1);
    reply = e2_ops_execute(req);
    assert_string_equal(json_string_value(json_object_get(reply, "error")),
                        "nf_attach is for NF processes on the control socket (libe2nf)");
    json_decref(reply);
    struct e2_ops_ctx ctx = {.client = 5};
    reply = e2_ops_execute_for(req, &ctx);
    assert_string_equal(json_string_value(json_object_get(reply, "error")),
                        "e2d runs without hugepages (--no-huge): native NFs cannot attach");
    json_decref(reply);
    json_decref(req);
}

static void a_failed_batch_forgets_its_nf(void **state)
{
    (void)state;
    load_fails("nf tmp(ports=[in]); x :: Nope();",
               "t.conf:1:21: unknown module type 'Nope' ('e2d --list-modules' lists them)");
    assert_null(e2_nf_find("tmp"));
}

/*
 * The rings an attached NF would have, made here: @from_a is what NF "a"
 * sent on its port "out", @to_b the ring into NF "b"'s port "in".
 */
struct fake_pair {
    struct rte_ring *from_a, *to_b;
    struct e2nf_shared shared_b;
};

static void fake_attach(struct fake_pair *f, unsigned sent_by_a)
{
    f->from_a = rte_ring_create("t_from_a", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    f->to_b = rte_ring_create("t_to_b", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    assert_non_null(f->from_a);
    assert_non_null(f->to_b);
    for (unsigned i = 0; i < sent_by_a; i++)
        assert_int_equal(rte_ring_enqueue(f->from_a, udp_packet(1, 2, 3, 4, 64)), 0);
    memset(&f->shared_b, 0, sizeof(f->shared_b));
    e2_nf_find("a")->ports[0].from_nf[0] = f->from_a;
    e2_nf_find("b")->ports[0].to_nf[0] = f->to_b;
    e2_nf_find("b")->shared = &f->shared_b;
}

static unsigned drain_ring(struct rte_ring *r, unsigned max)
{
    void *m;
    unsigned n = 0;
    while (n < max && rte_ring_dequeue(r, &m) == 0) {
        rte_pktmbuf_free(m);
        n++;
    }
    return n;
}

static void fake_detach(struct fake_pair *f)
{
    e2_nf_find("a")->ports[0].from_nf[0] = NULL;
    e2_nf_find("b")->ports[0].to_nf[0] = NULL;
    e2_nf_find("b")->shared = NULL;
    drain_ring(f->from_a, ~0u);
    drain_ring(f->to_b, ~0u);
    rte_ring_free(f->from_a);
    rte_ring_free(f->to_b);
}

static void run_until_idle(struct e2_module *m)
{
    while (run_task(m, 0)) {
    }
}

static void reliable_vport_takes_only_what_the_consumer_has_room_for(void **state)
{
    (void)state;
    load("nf a(ports=[out]); nf b(ports=[in]);\n"
         "va :: VPort(nf=a, port=out, reliable=true) -> VPort(nf=b, port=in);");
    struct e2_module *va = e2_graph_module_find("va");
    struct e2_nf *b = e2_nf_find("b");
    struct fake_pair f;
    fake_attach(&f, 200);
    run_until_idle(va);
    assert_int_equal(rte_ring_count(f.to_b), 63); /* full, and nothing dropped */
    assert_int_equal(rte_ring_count(f.from_a), 200 - 63);
    assert_int_equal(b->ports[0].full_drops, 0);
    assert_int_equal(drain_ring(f.to_b, 30), 30); /* the consumer takes 30 */
    run_until_idle(va);
    assert_int_equal(rte_ring_count(f.to_b), 63);
    assert_int_equal(rte_ring_count(f.from_a), 200 - 93);
    /* the consumer goes away: everything waits in the producer's ring */
    b->ports[0].to_nf[0] = NULL;
    run_until_idle(va);
    assert_int_equal(rte_ring_count(f.from_a), 200 - 93);
    assert_int_equal(b->ports[0].down_drops + b->ports[0].full_drops, 0);
    b->ports[0].to_nf[0] = f.to_b;
    fake_detach(&f);
}

static void plain_vport_drops_and_counts_what_does_not_fit(void **state)
{
    (void)state;
    load("nf a(ports=[out]); nf b(ports=[in]);\n"
         "va :: VPort(nf=a, port=out) -> VPort(nf=b, port=in);");
    struct fake_pair f;
    fake_attach(&f, 200);
    run_until_idle(e2_graph_module_find("va"));
    assert_int_equal(rte_ring_count(f.to_b), 63);
    assert_int_equal(rte_ring_count(f.from_a), 0);
    assert_int_equal(e2_nf_find("b")->ports[0].full_drops, 200 - 63);
    fake_detach(&f);
}

int main(void)
{
    harness_start(1, false);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, teardown)
    const struct CMUnitTest tests[] = {
        T(packets_for_an_absent_nf_are_dropped_and_counted),
        T(nf_declarations_and_vports_are_checked),
        T(a_failed_batch_forgets_its_nf),
        T(reliable_vport_takes_only_what_the_consumer_has_room_for),
        T(plain_vport_drops_and_counts_what_does_not_fit),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
