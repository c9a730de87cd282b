/*
 * Workers running for real: the scheduler's policies on live tasks, idle
 * workers sleeping, pauses that stop traffic, and range tables swapped while
 * packets flow.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ops.h"
#include "tc.h"
#include "worker.h"

static struct e2_usage usage(const char *tc)
{
    struct e2_usage u;
    e2_tc_stats(e2_graph_tc_find(tc), &u);
    return u;
}

static uint64_t counted(const char *module)
{
    struct e2_module *m = e2_graph_module_find(module);
    json_t *s = m->type->stats(m);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(s, "packets"));
    json_decref(s);
    return n;
}

static void weighted_fair_gives_3_to_1_cycles_on_a_live_worker(void **state)
{
    (void)state;
    load("a :: Source() -> Sink(); b :: Source() -> Sink();\n"
         "tc fair(policy=weighted_fair, resource=cycles);\n"
         "attach a(parent=fair, share=3); attach b(parent=fair, share=1);");
    usleep(1000000);
    struct e2_usage ua = usage("a"), ub = usage("b");
    double r = (double)ua.v[E2_RES_CYCLES] / (double)ub.v[E2_RES_CYCLES];
    /*
     * test_sched pins the policy to 2% on a simulated clock. Here the clock is
     * real: when the OS preempts the worker, the run that was going on is
     * charged the lost time and the scheduler pays it back over the next runs,
     * so a one-second window on a busy machine may be a few percent off.
     */
    if (fabs(r / 3.0 - 1.0) >= 0.05) fail_msg("cycles a:b = %.3f, want 3 within 5%%", r);
}

static void priority_starves_the_lower_class_on_a_live_worker(void **state)
{
    (void)state;
    load("hi :: Source() -> Sink(); lo :: Source() -> Sink();\n"
         "tc prio(policy=priority);\n"
         "attach hi(parent=prio, priority=2); attach lo(parent=prio, priority=1);");
    usleep(200000);
    assert_true(usage("hi").v[E2_RES_PACKETS] > 10000);
    assert_int_equal(usage("lo").v[E2_RES_COUNT], 0);
}

static void rate_limit_never_exceeds_its_rate_on_a_live_worker(void **state)
{
    (void)state;
    uint64_t t0 = rte_rdtsc();
    load("src :: Source() -> s :: Sink();\n"
         "tc lim(policy=rate_limit, resource=packets, limit=200k, burst=64);\n"
         "attach src(parent=lim);");
    usleep(500000);
    e2_workers_pause();
    double secs = (double)(rte_rdtsc() - t0) / (double)e2_tsc_hz();
    uint64_t n = counted("s");
    e2_workers_resume();
    /* at most rate * time + one burst and one batch; at least half (the machine may be busy) */
    assert_true(n <= (uint64_t)(200000 * secs) + 96);
    assert_true(n >= (uint64_t)(200000 * 0.5 * 0.5));
}

static void idle_worker_sleeps_and_wakes_on_traffic(void **state)
{
    (void)state;
    load("q :: Queue() -> s :: Sink();");
    struct e2_worker_stats before, after;
    usleep(50000);
    e2_worker_stats(0, &before);
    usleep(300000);
    e2_worker_stats(0, &after);
    assert_true(after.sleeps - before.sleeps > 100);
    assert_true(after.sleep_ns - before.sleep_ns > 150000000ull); /* asleep most of 0.3 s */
    /* traffic arrives: it is served */
    load("src :: Source(limit=1000) -> q;");
    usleep(100000);
    assert_int_equal(counted("s"), 1000);
}

static void request(const char *op)
{
    json_t *req = json_pack("{s:s}", "op", op);
    json_t *reply = e2_ops_execute(req);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    json_decref(req);
}

static void pause_stops_traffic_until_resume(void **state)
{
    (void)state;
    load("src :: Source() -> s :: Sink();");
    usleep(50000);
    request("pause");
    uint64_t n = counted("s");
    usleep(100000);
    assert_int_equal(counted("s"), n);
    request("resume");
    usleep(100000);
    assert_true(counted("s") > n);
}

static void ranges_change_under_traffic_without_losing_packets(void **state)
{
    (void)state;
    load("src :: Source(limit=2000000, templates=[{src_ip=\"10.0.0.0/16\"}]) -> fh :: "
         "FlowHash(bits=8, "
         "ranges=[{lo=0, hi=256, gate=0}]);\n"
         "fh[0] -> a :: Sink(); fh[1] -> b :: Sink();");
    struct e2_module *fh = e2_graph_module_find("fh");
    char msg[200];
    for (int i = 0; i < 200; i++) {
        /* alternate whole and split tables, ending with the split one (i = 199) */
        const char *tab = i % 2 == 0
                              ? "{\"ranges\": [{\"lo\": 0, \"hi\": 256, \"gate\": 0}]}"
                              : "{\"ranges\": [{\"lo\": 0, \"hi\": 100, \"gate\": 0}, {\"lo\": "
                                "100, \"hi\": 256, \"gate\": 1}]}";
        if (command(fh, "set_ranges", tab, NULL, msg, sizeof(msg))) fail_msg("%s", msg);
    }
    for (int i = 0; i < 100 && counted("a") + counted("b") < 2000000; i++) usleep(50000);
    assert_int_equal(counted("a") + counted("b"), 2000000);
    assert_int_equal(fh->dropped, 0);
    assert_true(counted("b") > 0);
}

int main(void)
{
    harness_start(1, true);
#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(weighted_fair_gives_3_to_1_cycles_on_a_live_worker),
        T(priority_starves_the_lower_class_on_a_live_worker),
        T(rate_limit_never_exceeds_its_rate_on_a_live_worker),
        T(idle_worker_sleeps_and_wakes_on_traffic),
        T(pause_stops_traffic_until_resume),
        T(ranges_change_under_traffic_without_losing_packets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2_runtime_stop();
    return rc;
}
