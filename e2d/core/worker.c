#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "module.h"

enum { W_RUNNING, W_PAUSED, W_STOPPED };

struct e2_worker {
    unsigned id, lcore;
    struct e2_tc *root;
    int efd;
    int pause_req, stop_req, state; /* accessed with __atomic */
    int n_leaves;
    struct e2_worker_stats stats;
} __rte_cache_aligned;

static struct e2_worker workers[E2_WORKERS_MAX];
static unsigned n_workers;
static bool launched;
static unsigned pause_count;
static struct rte_rcu_qsbr *rcu;
static struct e2_worker_opts opts;
static uint64_t hz;
static __thread int self_id = -1;

uint64_t e2_tsc_hz(void)
{
    return hz ? hz : (hz = rte_get_tsc_hz());
}

int e2_worker_self(void)
{
    return self_id;
}

unsigned e2_worker_count(void)
{
    return n_workers;
}

struct e2_tc *e2_worker_root(unsigned id)
{
    return id < n_workers ? workers[id].root : NULL;
}

unsigned e2_worker_lcore(unsigned id)
{
    return workers[id].lcore;
}

void e2_worker_stats(unsigned id, struct e2_worker_stats *out)
{
    const uint64_t *src = (const uint64_t *)&workers[id].stats;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++) dst[i] = e2_stat_read(&src[i]);
}

void e2_worker_tasks_changed(unsigned id, int delta)
{
    workers[id].n_leaves += delta;
}

int e2_workers_init(unsigned n, const struct e2_worker_opts *o, struct e2_err *err)
{
    if (n == 0 || n > E2_WORKERS_MAX)
        return e2_err_set(err, EINVAL, "workers must be 1..%d", E2_WORKERS_MAX);
    if (rte_lcore_count() < n + 1)
        return e2_err_set(err, EINVAL,
                          "%u workers need %u EAL lcores (one for control), EAL has %u", n, n + 1,
                          rte_lcore_count());
    opts = *o;
    e2_tsc_hz();
    size_t sz = rte_rcu_qsbr_get_memsize(n);
    rcu = rte_zmalloc("e2_rcu", sz, RTE_CACHE_LINE_SIZE);
    if (!rcu || rte_rcu_qsbr_init(rcu, n) != 0)
        return e2_err_set(err, ENOMEM, "cannot set up RCU for %u workers", n);
    unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    for (unsigned i = 0; i < n; i++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
        struct e2_worker *w = &workers[i];
        memset(w, 0, sizeof(*w));
        w->id = i;
        w->lcore = lcore;
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        char name[E2_TC_NAME_MAX];
        snprintf(name, sizeof(name), "worker%u", i);
        struct e2_tc_params p = {.resource = E2_RES_COUNT};
        w->root = e2_tc_create(name, E2_TC_ROUND_ROBIN, &p, err);
        if (w->efd < 0 || !w->root) return e2_err_set(err, ENOMEM, "cannot create worker %u", i);
    }
    n_workers = n;
    return 0;
}

static void wake(struct e2_worker *w)
{
    uint64_t one = 1;
    ssize_t rc = write(w->efd, &one, sizeof(one));
    (void)rc;
}

/* Sleep up to @ns, or until the control thread wakes us. */
static void sleep_ns(struct e2_worker *w, uint64_t ns)
{
    rte_rcu_qsbr_thread_offline(rcu, w->id);
    struct pollfd pfd = {.fd = w->efd, .events = POLLIN};
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    uint64_t t0 = rte_rdtsc();
    if (ppoll(&pfd, 1, &ts, NULL) > 0) {
        uint64_t v;
        ssize_t rc = read(w->efd, &v, sizeof(v));
        (void)rc;
    }
    e2_stat_add(&w->stats.sleeps, 1);
    e2_stat_add(&w->stats.sleep_ns, (rte_rdtsc() - t0) * 1000000000ull / hz);
    rte_rcu_qsbr_thread_online(rcu, w->id);
}

static void pause_here(struct e2_worker *w)
{
    rte_rcu_qsbr_thread_offline(rcu, w->id);
    __atomic_store_n(&w->state, W_PAUSED, __ATOMIC_RELEASE);
    while (__atomic_load_n(&w->pause_req, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&w->stop_req, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd = {.fd = w->efd, .events = POLLIN};
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
        if (ppoll(&pfd, 1, &ts, NULL) > 0) {
            uint64_t v;
            ssize_t rc = read(w->efd, &v, sizeof(v));
            (void)rc;
        }
    }
    __atomic_store_n(&w->state, W_RUNNING, __ATOMIC_RELEASE);
    rte_rcu_qsbr_thread_online(rcu, w->id);
}

/* Nothing to run until @until: spin if it is close, sleep otherwise. */
static void wait_until(struct e2_worker *w, uint64_t until, uint64_t now)
{
    uint64_t close = hz / 50000; /* 20 µs */
    if (until - now <= close) {
        while (rte_rdtsc() < until && !__atomic_load_n(&w->pause_req, __ATOMIC_RELAXED))
            rte_pause();
        return;
    }
    uint64_t ns = (until - now) * 1000000000ull / hz;
    sleep_ns(w, ns > 1000000000ull ? 1000000000ull : ns);
}

static int worker_main(void *arg)
{
    struct e2_worker *w = arg;
    self_id = (int)w->id;
    prctl(PR_SET_TIMERSLACK, 1000UL); /* wake within a microsecond or so */
    rte_rcu_qsbr_thread_register(rcu, w->id);
    rte_rcu_qsbr_thread_online(rcu, w->id);
    uint64_t spin = hz / 1000000 * opts.idle_spin_us;
    uint64_t last_busy = rte_rdtsc();
    uint64_t backoff_ns = 0;
    int runs_since_sleep = 0;
    while (!__atomic_load_n(&w->stop_req, __ATOMIC_ACQUIRE)) {
        if (__atomic_load_n(&w->pause_req, __ATOMIC_ACQUIRE)) {
            pause_here(w);
            last_busy = rte_rdtsc();
            continue;
        }
        uint64_t now = rte_rdtsc();
        struct e2_tc *leaf = e2_tc_pick(w->root, now);
        if (!leaf) {
            if (w->root->blocked_until == UINT64_MAX)
                sleep_ns(w, 1000ull * opts.idle_sleep_max_us);
            else
                wait_until(w, w->root->blocked_until, now);
            continue;
        }
        struct e2_task *t = leaf->task;
        struct e2_task_result r = t->m->type->run_task(t->m, t);
        uint64_t end = rte_rdtsc();
        struct e2_usage u = {{1, end - now, r.packets, r.bits}};
        e2_tc_account(leaf, &u, end);
        rte_rcu_qsbr_quiescent(rcu, w->id);
        e2_stat_add(&w->stats.runs, 1);
        runs_since_sleep++;
        if (r.packets) {
            e2_stat_add(&w->stats.packets, r.packets);
            e2_stat_add(&w->stats.busy_cycles, end - now);
            last_busy = end;
            backoff_ns = 0;
            continue;
        }
        e2_stat_add(&w->stats.idle_cycles, end - now);
        if (end - last_busy < spin || runs_since_sleep < w->n_leaves) continue;
        backoff_ns = backoff_ns ? backoff_ns * 2 : 1000;
        if (backoff_ns > 1000ull * opts.idle_sleep_max_us)
            backoff_ns = 1000ull * opts.idle_sleep_max_us;
        sleep_ns(w, backoff_ns);
        runs_since_sleep = 0;
    }
    rte_rcu_qsbr_thread_offline(rcu, w->id);
    rte_rcu_qsbr_thread_unregister(rcu, w->id);
    __atomic_store_n(&w->state, W_STOPPED, __ATOMIC_RELEASE);
    return 0;
}

int e2_workers_launch(struct e2_err *err)
{
    for (unsigned i = 0; i < n_workers; i++) {
        struct e2_worker *w = &workers[i];
        __atomic_store_n(&w->pause_req, pause_count > 0, __ATOMIC_RELEASE);
        if (rte_eal_remote_launch(worker_main, w, w->lcore) != 0)
            return e2_err_set(err, EBUSY, "cannot launch worker %u on lcore %u", i, w->lcore);
    }
    launched = true;
    return 0;
}

void e2_workers_stop(void)
{
    if (!launched) return;
    for (unsigned i = 0; i < n_workers; i++) {
        __atomic_store_n(&workers[i].stop_req, 1, __ATOMIC_RELEASE);
        wake(&workers[i]);
    }
    for (unsigned i = 0; i < n_workers; i++) rte_eal_wait_lcore(workers[i].lcore);
    launched = false;
}

/*
 * Wait for @done: spin briefly (a worker usually answers within a task run),
 * then yield, because the worker we wait for may need our CPU to get there.
 */
static void wait_for(bool (*done)(void *), void *arg)
{
    uint64_t spin_until = rte_rdtsc() + e2_tsc_hz() / 20000; /* 50 µs */
    while (!done(arg)) {
        if (rte_rdtsc() < spin_until)
            rte_pause();
        else
            sched_yield();
    }
}

static bool all_paused(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < n_workers; i++)
        if (__atomic_load_n(&workers[i].state, __ATOMIC_ACQUIRE) != W_PAUSED) return false;
    return true;
}

static bool rcu_passed(void *arg)
{
    return rte_rcu_qsbr_check(rcu, *(uint64_t *)arg, false) != 0;
}

void e2_workers_pause(void)
{
    if (pause_count++ > 0 || !launched) return;
    for (unsigned i = 0; i < n_workers; i++) {
        __atomic_store_n(&workers[i].pause_req, 1, __ATOMIC_RELEASE);
        wake(&workers[i]);
    }
    wait_for(all_paused, NULL);
}

void e2_workers_resume(void)
{
    if (pause_count == 0 || --pause_count > 0 || !launched) return;
    for (unsigned i = 0; i < n_workers; i++) {
        __atomic_store_n(&workers[i].pause_req, 0, __ATOMIC_RELEASE);
        wake(&workers[i]);
    }
}

bool e2_workers_quiet(void)
{
    return !launched || pause_count > 0;
}

unsigned e2_workers_pause_depth(void)
{
    return pause_count;
}

void e2_rcu_synchronize(void)
{
    if (!launched) return;
    uint64_t token = rte_rcu_qsbr_start(rcu);
    wait_for(rcu_passed, &token);
}
