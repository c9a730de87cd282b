/*
 * The overload detector over a simulated instance: an input ring of 4,096
 * packets in front of an NF that serves up to MU packets/s, offered LAMBDA
 * packets/s, sampled every 100 ms the way the agent reads e2d's counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "e2_overload.h"

#define MU       1e6 /* the NF's service rate, packets/s */
#define CAPACITY 4096
#define HZ       2e9

struct sim {
    struct e2_load_sample s;
    double backlog;
};

/* One 100 ms interval offered @lambda packets/s; returns the detector's verdict. */
static enum e2_load_event step(struct e2_overload *d, struct sim *m, double lambda)
{
    double dt = 0.1, arrived = lambda * dt, served = m->backlog + arrived;
    if (served > MU * dt) served = MU * dt;
    double backlog = m->backlog + arrived - served, dropped = 0;
    if (backlog > CAPACITY) {
        dropped = backlog - CAPACITY;
        backlog = CAPACITY;
    }
    m->backlog = backlog;
    m->s.t += dt;
    m->s.delivered += (uint64_t)(arrived - dropped);
    m->s.full_drops += (uint64_t)dropped;
    m->s.depth = (uint32_t)backlog;
    m->s.busy_cycles += (uint64_t)(served / MU * HZ);
    return e2_overload_update(d, &m->s);
}

static void start(struct e2_overload *d, struct sim *m)
{
    struct e2_overload_cfg c;
    e2_overload_cfg_default(&c);
    e2_overload_init(d, &c);
    *m = (struct sim){.s = {.t = 100, .capacity = CAPACITY, .cpu_hz = HZ, .reported = -1}};
    assert_int_equal(step(d, m, 0.5 * MU), E2_LOAD_EV_NONE); /* the baseline */
}

static void
sustained_overload_enters_after_three_hot_intervals_and_recovers_after_five_cool(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    for (int i = 0; i < 10; i++) assert_int_equal(step(&d, &m, 0.5 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_OVERLOAD);
    assert_int_equal(d.state, E2_LOAD_OVERLOADED);
    assert_true(d.last.drops > 0 && d.last.util > 0.99);
    for (int i = 0; i < 20; i++) assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_NONE);
    /* the load falls (a split took half): the ring drains at once, five cool intervals */
    unsigned events = 0, recovered_at = 0;
    for (unsigned i = 1; i <= 10; i++)
        if (step(&d, &m, 0.4 * MU) == E2_LOAD_EV_RECOVERED) {
            events++;
            recovered_at = i;
        }
    assert_int_equal(events, 1);
    assert_int_equal(recovered_at, 5);
    assert_int_equal(d.state, E2_LOAD_NORMAL);
}

static void a_load_wandering_around_the_threshold_does_not_flap(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    /* hot one interval in two: never three in a row */
    for (int i = 0; i < 100; i++)
        assert_int_equal(step(&d, &m, i % 2 ? 0.95 * MU : 0.6 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(d.state, E2_LOAD_NORMAL);
    /* once overloaded, utilization between the marks (0.7..0.9) neither leaves nor re-enters */
    for (int i = 0; i < 3; i++) step(&d, &m, 1.1 * MU);
    assert_int_equal(d.state, E2_LOAD_OVERLOADED);
    for (int i = 0; i < 5; i++) step(&d, &m, 0.8 * MU); /* drain the ring, never cool */
    for (int i = 0; i < 100; i++)
        assert_int_equal(step(&d, &m, i % 2 ? 0.85 * MU : 0.75 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(d.state, E2_LOAD_OVERLOADED);
}

static void ring_full_drops_alone_make_an_interval_hot(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    /* counters only: no busy cycles (the first sample without them is a new baseline), no
     * depth, but drops */
    m.s.busy_cycles = 0;
    m.s.cpu_hz = 0;
    enum e2_load_event ev = E2_LOAD_EV_NONE;
    for (int i = 0; i < 4; i++) {
        m.s.t += 0.1;
        m.s.delivered += 1000;
        m.s.full_drops += 10;
        ev = e2_overload_update(&d, &m.s);
    }
    assert_int_equal(ev, E2_LOAD_EV_OVERLOAD);
    assert_true(d.last.util < 0); /* unknown without busy cycles or a report */
}

static void an_idle_instance_becomes_a_contraction_candidate(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    for (unsigned i = 1; i < 30; i++) assert_int_equal(step(&d, &m, 0.05 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 0.05 * MU), E2_LOAD_EV_UNDERLOAD);
    assert_int_equal(d.state, E2_LOAD_UNDERLOADED);
    assert_int_equal(step(&d, &m, 0.05 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 0.5 * MU), E2_LOAD_EV_BUSY);
    assert_int_equal(d.state, E2_LOAD_NORMAL);
}

static void the_nf_s_own_estimate_stands_in_for_busy_cycles(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    m.s.busy_cycles = 0;
    m.s.cpu_hz = 0;
    enum e2_load_event ev = E2_LOAD_EV_NONE;
    for (int i = 0; i < 4; i++) {
        m.s.t += 0.1;
        m.s.delivered += 1000;
        m.s.reported = 0.95;
        ev = e2_overload_update(&d, &m.s);
    }
    assert_int_equal(ev, E2_LOAD_EV_OVERLOAD);
    assert_true(d.last.util > 0.94 && d.last.util < 0.96);
}

static void counters_going_backwards_restart_the_baseline(void **state)
{
    (void)state;
    struct e2_overload d;
    struct sim m;
    start(&d, &m);
    step(&d, &m, 1.2 * MU);
    step(&d, &m, 1.2 * MU);
    /* the NF restarted: e2d's counters for its new rings start from zero */
    m.s.delivered = m.s.full_drops = m.s.busy_cycles = 0;
    m.backlog = 0;
    m.s.t += 0.1;
    m.s.depth = 0;
    assert_int_equal(e2_overload_update(&d, &m.s), E2_LOAD_EV_NONE);
    assert_int_equal(d.hot_streak, 0);
    /* three hot intervals are needed again */
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_NONE);
    assert_int_equal(step(&d, &m, 1.2 * MU), E2_LOAD_EV_OVERLOAD);
}

static void queueing_delay_is_depth_over_the_drain_rate(void **state)
{
    (void)state;
    struct e2_overload d;
    struct e2_overload_cfg c;
    e2_overload_cfg_default(&c);
    e2_overload_init(&d, &c);
    struct e2_load_sample a = {.t = 1, .capacity = 4096, .reported = -1};
    struct e2_load_sample b = a;
    b.t = 1.1;
    b.delivered = 100000 + 1000; /* 100,000 drained, 1,000 more waiting */
    b.depth = 1000;
    e2_overload_update(&d, &a);
    e2_overload_update(&d, &b);
    assert_true(d.last.delay > 0.99e-3 && d.last.delay < 1.01e-3);
    assert_true(d.last.rate > 1.00e6 && d.last.rate < 1.02e6);
    assert_string_equal(e2_load_state_name(d.state), "normal");
    assert_string_equal(e2_load_event_name(E2_LOAD_EV_UNDERLOAD), "underload");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            sustained_overload_enters_after_three_hot_intervals_and_recovers_after_five_cool),
        cmocka_unit_test(a_load_wandering_around_the_threshold_does_not_flap),
        cmocka_unit_test(ring_full_drops_alone_make_an_interval_hot),
        cmocka_unit_test(an_idle_instance_becomes_a_contraction_candidate),
        cmocka_unit_test(the_nf_s_own_estimate_stands_in_for_busy_cycles),
        cmocka_unit_test(counters_going_backwards_restart_the_baseline),
        cmocka_unit_test(queueing_delay_is_depth_over_the_drain_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
