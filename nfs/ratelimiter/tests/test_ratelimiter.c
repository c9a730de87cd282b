/*
 * The rate limiter's token buckets and scheduler on an explicit clock, and
 * its configuration file. Packets are fake pointers that name their class,
 * so what comes out is counted independently of the scheduler's counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rl.h"

#define MS 1000000ull
#define S  1000000000ull

static uint64_t dropped[RL_CLASSES];

static void *pkt_of(unsigned cls)
{
    return (void *)(uintptr_t)(0x1000 + cls);
}

static unsigned cls_of(void *pkt)
{
    return (unsigned)((uintptr_t)pkt - 0x1000);
}

static void count_drop(void *ctx, void *pkt)
{
    (void)ctx;
    dropped[cls_of(pkt)]++;
}

static void sched_with(struct rl_sched *s, const char *conf)
{
    struct rl_conf c;
    struct e2_err err = {0};
    memset(dropped, 0, sizeof(dropped));
    if (rl_conf_load(&c, conf, NULL, &err)) fail_msg("%s", err.msg);
    rl_sched_init(s, count_drop, NULL);
    assert_int_equal(rl_sched_configure(s, &c, 0, &err), 0);
}

/* Offer @rate[c] bit/s of @len-byte packets per class from @t0 to @t1 in
 * @step ns steps, dequeuing after each; add the bytes released per class. */
struct offer {
    uint64_t rate[RL_CLASSES];
    uint32_t len[RL_CLASSES];  /* bytes per packet */
    uint64_t sent[RL_CLASSES]; /* bytes out */
};

static void run(struct rl_sched *s, struct offer *o, uint64_t t0, uint64_t t1, uint64_t step)
{
    uint64_t owed[RL_CLASSES] = {0}; /* offered bits x ns/s not yet sent as packets */
    for (uint64_t t = t0; t < t1; t += step) {
        for (unsigned c = 0; c < RL_CLASSES; c++) {
            uint64_t units = o->len[c] * RL_UNITS_PER_BYTE;
            for (owed[c] += o->rate[c] * step; owed[c] >= units; owed[c] -= units)
                rl_enqueue(s, c, pkt_of(c), o->len[c]);
        }
        void *out[64];
        unsigned n;
        while ((n = rl_dequeue(s, t, out, 64)))
            for (unsigned i = 0; i < n; i++) o->sent[cls_of(out[i])] += o->len[cls_of(out[i])];
    }
}

static void assert_near(double got, double want, double tolerance)
{
    if (got < want * (1 - tolerance) || got > want * (1 + tolerance))
        fail_msg("got %.0f, want %.0f within %.1f%%", got, want, tolerance * 100);
}

static void buckets_earn_exactly_rate_times_time(void **state)
{
    (void)state;
    struct rl_bucket b;
    rl_bucket_init(&b, 8000000, 1000, 0); /* 1 byte per microsecond */
    assert_int_equal(rl_bucket_bytes(&b), 1000);
    assert_true(rl_bucket_admits(&b, 1000));
    assert_false(rl_bucket_admits(&b, 1001));
    rl_bucket_take(&b, 1000);
    assert_int_equal(rl_bucket_bytes(&b), 0);
    rl_bucket_refill(&b, 999);
    assert_int_equal(b.credit, 999ull * 8000000); /* no rounding: bit-ns per s */
    assert_false(rl_bucket_admits(&b, 1));
    rl_bucket_refill(&b, 1000);
    assert_true(rl_bucket_admits(&b, 1));
    rl_bucket_refill(&b, 500 * 1000);
    assert_int_equal(rl_bucket_bytes(&b), 500);
    rl_bucket_refill(&b, 400 * 1000); /* a clock going back earns nothing */
    assert_int_equal(rl_bucket_bytes(&b), 500);
    rl_bucket_refill(&b, UINT64_MAX); /* rate x dt would overflow: full, not wrapped */
    assert_int_equal(rl_bucket_bytes(&b), 1000);
    assert_true(rl_bucket_oversize(&b, 1001));
    assert_false(rl_bucket_oversize(&b, 1000));
}

static void buckets_keep_credit_across_reconfiguration(void **state)
{
    (void)state;
    struct rl_bucket b;
    rl_bucket_init(&b, 8000000, 1000, 0);
    rl_bucket_take(&b, 900);
    rl_bucket_reset(&b, 16000000, 5000, 100000); /* earned 100 bytes at the old rate first */
    assert_int_equal(rl_bucket_bytes(&b), 200);
    rl_bucket_refill(&b, 200000); /* then 2 bytes per microsecond */
    assert_int_equal(rl_bucket_bytes(&b), 400);
    rl_bucket_reset(&b, 16000000, 300, 200000);
    assert_int_equal(rl_bucket_bytes(&b), 300); /* clamped to the new burst */
    rl_bucket_init(&b, 0, 0, 0);                /* unlimited */
    assert_true(rl_bucket_admits(&b, 65535));
    assert_false(rl_bucket_oversize(&b, 65535));
}

static void a_class_holds_its_rate_within_one_percent(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "class prio0 rate 10Mbit burst 4k queue 64\n");
    struct offer o = {.rate = {20000000, 0}, .len = {1000, 1000}};
    run(&s, &o, 0, S, 10000);
    /* one second at 10 Mbit/s, plus the burst the bucket started with */
    assert_near((double)o.sent[0], 10e6 / 8 + 4096, 0.01);
    assert_int_equal(s.st[0].sent_bytes, o.sent[0]);
    assert_true(dropped[0] > 0);
    assert_int_equal(s.st[0].overflow, dropped[0]);
    rl_sched_free(&s);
}

static void the_link_is_shared_in_priority_order(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "link rate 20Mbit burst 8k\n");
    struct offer o = {.rate = {15000000, 15000000}, .len = {500, 500}};
    run(&s, &o, 0, S, 10000);
    assert_near((double)(o.sent[0] + o.sent[1]), 20e6 / 8 + 8192, 0.01);
    assert_near((double)o.sent[0], 15e6 / 8, 0.01); /* prio0 gets all it asks for */
    assert_near((double)o.sent[1], 5e6 / 8 + 8192, 0.02);
    assert_int_equal(dropped[0], 0);
    assert_true(dropped[1] > 0);
    rl_sched_free(&s);
}

static void strict_priority_starves_the_low_class_under_overload(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "link rate 10Mbit burst 2k\nclass prio1 queue 16\n");
    /* small low-priority packets would fit where a big high-priority one waits: they may not */
    struct offer o = {.rate = {20000000, 5000000}, .len = {1500, 64}};
    run(&s, &o, 0, 100 * MS, 10000); /* prio0's queue never empties */
    uint64_t low = o.sent[1];
    run(&s, &o, 100 * MS, S, 10000);
    assert_int_equal(o.sent[1], low); /* not one more byte for prio1 */
    assert_near((double)o.sent[0], 10e6 / 8 + 2048, 0.01);
    assert_int_equal(s.q[1].count, 16);
    assert_int_equal(dropped[1], s.st[1].overflow);
    assert_true(dropped[1] >= 5000000 / 8 / 64 - 16 - low / 64 - 1);
    rl_sched_free(&s);
}

static void a_rate_limited_high_class_leaves_the_link_to_the_low_one(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "link rate 10Mbit burst 4k\nclass prio0 rate 4Mbit burst 4k\n");
    struct offer o = {.rate = {20000000, 20000000}, .len = {1000, 1000}};
    run(&s, &o, 0, S, 10000);
    assert_near((double)o.sent[0], 4e6 / 8 + 4096, 0.01);
    assert_near((double)o.sent[1], 6e6 / 8 + 4096, 0.015);
    rl_sched_free(&s);
}

static void bursts_pass_up_to_the_burst_size_and_no_further(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "class prio0 rate 8Mbit burst 10000\n"); /* 1 byte/us */
    void *out[64];
    for (int i = 0; i < 20; i++) rl_enqueue(&s, 0, pkt_of(0), 1000);
    assert_int_equal(rl_dequeue(&s, 5 * S, out, 64), 10); /* idle: the full burst at once */
    assert_int_equal(rl_dequeue(&s, 5 * S + 999000, out, 64), 0);
    assert_int_equal(rl_dequeue(&s, 5 * S + 1000000, out, 64), 1); /* then at the rate */
    assert_int_equal(rl_dequeue(&s, 5 * S + 3000000, out, 64), 2);
    assert_int_equal(rl_dequeue(&s, 5 * S + 3000000, out, 1), 0);
    assert_int_equal(rl_backlog(&s), 7);
    rl_sched_free(&s);
    assert_int_equal(dropped[0], 7); /* freeing gives back what was queued */
}

static void oversize_packets_are_dropped_not_stuck(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "link rate 1Mbit burst 1000\n");
    void *out[8];
    rl_enqueue(&s, 1, pkt_of(1), 1500);
    rl_enqueue(&s, 1, pkt_of(1), 100);
    assert_int_equal(rl_dequeue(&s, 0, out, 8), 1);
    assert_int_equal(s.st[1].oversize, 1);
    assert_int_equal(dropped[1], 1);
    rl_sched_free(&s);
}

static void reconfiguring_keeps_the_oldest_packets(void **state)
{
    (void)state;
    struct rl_sched s;
    sched_with(&s, "link rate 8Mbit burst 1000\nclass prio1 queue 8\n");
    void *out[8];
    for (int i = 0; i < 8; i++) rl_enqueue(&s, 1, pkt_of(1), 1000);
    assert_int_equal(rl_dequeue(&s, 0, out, 8), 1);
    rl_enqueue(&s, 1, pkt_of(1), 1000);
    rl_enqueue(&s, 1, pkt_of(1), 1000); /* full: dropped */
    assert_int_equal(dropped[1], 1);
    struct rl_conf c;
    struct e2_err err = {0};
    assert_int_equal(
        rl_conf_load(&c, "link rate 16Mbit burst 2000\nclass prio1 queue 3\n", NULL, &err), 0);
    assert_int_equal(rl_sched_configure(&s, &c, 500000, &err), 0);
    assert_int_equal(rl_backlog(&s), 3);
    assert_int_equal(dropped[1], 6);
    assert_int_equal(s.st[1].overflow, 6);
    assert_int_equal(rl_bucket_bytes(&s.link), 500); /* earned at the old rate, kept */
    assert_int_equal(rl_dequeue(&s, 500000 + 250000, out, 8), 1);
    rl_sched_free(&s);
}

static void conf_reads_statements_and_defaults(void **state)
{
    (void)state;
    struct rl_conf c;
    struct e2_err err = {0};
    assert_int_equal(rl_conf_load(&c,
                                  "link rate 1Gbit burst 64k  # the WAN\n"
                                  "class prio0 rate 2Gbit burst 64kb queue 4096\n"
                                  "class prio1 rate 500Mbit\n",
                                  NULL, &err),
                     0);
    assert_int_equal(c.link.rate, 1000000000ull);
    assert_int_equal(c.link.burst, 65536);
    assert_int_equal(c.cls[0].rate, 2000000000ull);
    assert_int_equal(c.cls[0].queue, 4096);
    assert_int_equal(c.cls[1].burst, 125000); /* 2 ms at 500 Mbit/s */
    assert_int_equal(c.cls[1].queue, RL_QUEUE_DEFAULT);
    assert_string_equal(c.cls[1].where, "(options):3");
    assert_int_equal(rl_conf_load(&c, "class prio1 rate 1Mbit\n", NULL, &err), 0);
    assert_int_equal(c.cls[1].burst, 4096); /* at least 4 KiB */
    assert_int_equal(c.link.rate, 0);       /* no link line: unlimited */
    assert_int_equal(c.cls[0].queue, RL_QUEUE_DEFAULT);
}

static void conf_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"class prio2 rate 1G\n", "(options):1: class 'prio2' is not one of prio0, prio1"},
        {"link burst 1k\n", "(options):1: a burst needs a rate"},
        {"link\n", "(options):1: link needs a rate"},
        {"\nlink rate 1G\nlink rate 2G\n", "(options):3: link is configured twice (first at "
                                           "(options):2)"},
        {"class prio0 rate 1G rate 2G\n", "(options):1: 'rate' is given twice"},
        {"class prio0 rate\n", "(options):1: 'rate' wants a value"},
        {"class prio0 speed 1G\n", "(options):1: unknown word 'speed' (rate, burst, queue)"},
        {"link rate 1G queue 5\n", "(options):1: unknown word 'queue' (rate, burst)"},
        {"class prio0 rate 2GB\n",
         "(options):1: rate '2GB' is not a rate (e.g. 2Gbit, 500Mbit/s, 64kbps)"},
        {"class prio0 rate 1G burst 10\n",
         "(options):1: burst '10' is not a size from 64 to 1073741824 bytes"},
        {"class prio0 queue 0\n", "(options):1: queue '0' is not a number from 1 to 1048576"},
        {"shape all\n", "(options):1: unknown statement 'shape' (link, class)"},
        {"class\n", "(options):1: class wants a name (prio0, prio1)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rl_conf c;
        struct e2_err err = {0};
        assert_int_not_equal(rl_conf_load(&c, cases[i].text, NULL, &err), 0);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

static void options_and_file_are_one_configuration(void **state)
{
    (void)state;
    char path[] = "/tmp/rl_conf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *file = "# limits\nclass prio0 rate 100M\n";
    assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
    close(fd);
    struct rl_conf c;
    struct e2_err err = {0};
    assert_int_equal(rl_conf_load(&c, "link rate 1G\n", path, &err), 0);
    assert_int_equal(c.link.rate, 1000000000ull);
    assert_int_equal(c.cls[0].rate, 100000000ull);
    assert_int_not_equal(rl_conf_load(&c, "class prio0 rate 1G\n", path, &err), 0);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: class prio0 is configured twice (first at (options):1)",
             path);
    assert_string_equal(err.msg, want);
    unlink(path);
    assert_int_not_equal(rl_conf_load(&c, NULL, path, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buckets_earn_exactly_rate_times_time),
        cmocka_unit_test(buckets_keep_credit_across_reconfiguration),
        cmocka_unit_test(a_class_holds_its_rate_within_one_percent),
        cmocka_unit_test(the_link_is_shared_in_priority_order),
        cmocka_unit_test(strict_priority_starves_the_low_class_under_overload),
        cmocka_unit_test(a_rate_limited_high_class_leaves_the_link_to_the_low_one),
        cmocka_unit_test(bursts_pass_up_to_the_burst_size_and_no_further),
        cmocka_unit_test(oversize_packets_are_dropped_not_stuck),
        cmocka_unit_test(reconfiguring_keeps_the_oldest_packets),
        cmocka_unit_test(conf_reads_statements_and_defaults),
        cmocka_unit_test(conf_errors_name_file_and_line),
        cmocka_unit_test(options_and_file_are_one_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
