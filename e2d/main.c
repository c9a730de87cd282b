/*
 * e2d — the E2 dataplane daemon for one server.
 *
 * Starts DPDK, loads an optional pipeline config, launches the workers and
 * serves the control socket until it is told to stop (SIGINT, SIGTERM, the
 * "quit" request, or --duration).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "e2_log.h"
#include "ops.h"
#include "report.h"
#include "runtime.h"
#include "server.h"

static const char usage_text[] =
    "usage: e2d [OPTIONS] [-- EAL-ARGS...]\n"
    "\n"
    "The E2 dataplane: a graph of packet modules on DPDK, driven over a control socket.\n"
    "\n"
    "  -c, --config FILE        load this pipeline at start (all-or-nothing; see "
    "docs/e2d-config.md)\n"
    "  -s, --socket PATH        control socket (default /run/e2d/NAME.sock; 'none' for no socket)\n"
    "  -n, --name NAME          instance name, also the DPDK file prefix (default e2d)\n"
    "  -w, --workers N          worker threads (default 1)\n"
    "      --cpus LIST          CPUs for the control thread and the workers, e.g. 0-1 (default: "
    "all allowed)\n"
    "      --no-huge            run without hugepages (single process: no NF can attach)\n"
    "  -m, --mem MB             memory for DPDK in MB (default 512)\n"
    "      --mbufs N            packet buffers in the pool (default 16383)\n"
    "      --idle-spin US       poll this long without packets before sleeping (default 100)\n"
    "      --idle-sleep-max US  longest sleep of an idle worker (default 500)\n"
    "      --stats-period SEC   print per-module rates every SEC seconds (default 0: never)\n"
    "      --duration SEC       stop after SEC seconds (default 0: until SIGINT/SIGTERM or "
    "'quit')\n"
    "      --list-modules       describe every module type and exit (--markdown: the docs/ "
    "reference)\n"
    "      --list-ops           print the control operations reference (Markdown) and exit\n"
    "  -h, --help               this text\n"
    "\n"
    "Drive a running e2d with 'e2ctl dp -s SOCKET ...'. Arguments after '--' go to DPDK's EAL.\n";

struct options {
    const char *config, *socket, *name;
    struct e2_runtime_opts rt;
    double stats_period, duration;
    bool list_modules, markdown, list_ops;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi) {
        fprintf(stderr, "e2d: %s must be a whole number in %u..%u, not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_seconds(const char *opt, const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    if (*s == '\0' || *end || *out < 0) {
        fprintf(stderr, "e2d: %s must be a number of seconds >= 0, not '%s'\n", opt, s);
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum {
        O_CPUS = 256,
        O_NOHUGE,
        O_MBUFS,
        O_SPIN,
        O_SLEEP,
        O_STATS,
        O_DURATION,
        O_LIST,
        O_MD,
        O_OPS
    };
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'n'},
        {"workers", required_argument, NULL, 'w'},
        {"cpus", required_argument, NULL, O_CPUS},
        {"no-huge", no_argument, NULL, O_NOHUGE},
        {"mem", required_argument, NULL, 'm'},
        {"mbufs", required_argument, NULL, O_MBUFS},
        {"idle-spin", required_argument, NULL, O_SPIN},
        {"idle-sleep-max", required_argument, NULL, O_SLEEP},
        {"stats-period", required_argument, NULL, O_STATS},
        {"duration", required_argument, NULL, O_DURATION},
        {"list-modules", no_argument, NULL, O_LIST},
        {"markdown", no_argument, NULL, O_MD},
        {"list-ops", no_argument, NULL, O_OPS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.name = "e2d"};
    o->rt.eal.workers = 1;
    o->rt.eal.mem_mb = 512;
    o->rt.mbufs = 16383;
    o->rt.worker.idle_spin_us = 100;
    o->rt.worker.idle_sleep_max_us = 500;
    int c, rc = 0;
    while (!rc && (c = getopt_long(argc, argv, "c:s:n:w:m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 's': o->socket = optarg; break;
        case 'n': o->name = optarg; break;
        case 'w':
            rc = parse_uint("--workers", optarg, 1, E2_WORKERS_MAX, &o->rt.eal.workers);
            break;
        case 'm': rc = parse_uint("--mem", optarg, 64, 1 << 20, &o->rt.eal.mem_mb); break;
        case O_CPUS: o->rt.eal.cpus = optarg; break;
        case O_NOHUGE: o->rt.eal.no_huge = true; break;
        case O_MBUFS: rc = parse_uint("--mbufs", optarg, 1023, 1 << 24, &o->rt.mbufs); break;
        case O_SPIN:
            rc = parse_uint("--idle-spin", optarg, 0, 10000000, &o->rt.worker.idle_spin_us);
            break;
        case O_SLEEP:
            rc =
                parse_uint("--idle-sleep-max", optarg, 1, 1000000, &o->rt.worker.idle_sleep_max_us);
            break;
        case O_STATS: rc = parse_seconds("--stats-period", optarg, &o->stats_period); break;
        case O_DURATION: rc = parse_seconds("--duration", optarg, &o->duration); break;
        case O_LIST: o->list_modules = true; break;
        case O_MD: o->markdown = true; break;
        case O_OPS: o->list_ops = true; break;
        case 'h': fputs(usage_text, stdout); exit(0);
        default: fputs(usage_text, stderr); return -1;
        }
    }
    o->rt.eal.name = o->name;
    o->rt.eal.extra_argc = argc - optind;
    o->rt.eal.extra_argv = argv + optind;
    return rc;
}

static char *read_file(const char *path, struct e2_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        e2_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        e2_err_set(err, ENOMEM, "out of memory reading %s", path);
    else
        buf[len] = '\0';
    return buf;
}

static int load_config(const char *path, struct e2_err *err)
{
    char *text = read_file(path, err);
    if (!text) return err->code;
    int rc = e2_ops_load(text, path, err);
    free(text);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Serve the control socket and print reports until told to stop. */
static void serve(const struct options *o, const sigset_t *waitmask)
{
    double start = now_s(), next_report = start + o->stats_period;
    if (o->stats_period > 0) e2_report_rates(stdout, o->name);
    while (!stop_signal && !e2_ops_quit_requested()) {
        double t = now_s();
        if (o->duration > 0 && t - start >= o->duration) break;
        if (o->stats_period > 0 && t >= next_report) {
            e2_report_rates(stdout, o->name);
            next_report += o->stats_period;
        }
        double wait = 0.2;
        if (o->stats_period > 0 && next_report - t < wait) wait = next_report - t;
        if (o->duration > 0 && start + o->duration - t < wait) wait = start + o->duration - t;
        e2_server_step(wait > 0 ? (int)(wait * 1000) + 1 : 0, waitmask);
    }
}

int main(int argc, char **argv)
{
    e2_log_init("e2d");
    struct options o;
    if (parse_options(argc, argv, &o)) return 2;
    if (o.list_modules) {
        e2_report_module_types(stdout, o.markdown);
        return 0;
    }
    if (o.list_ops) {
        e2_ops_doc(stdout);
        return 0;
    }
    /* Block the stop signals in every thread DPDK starts; only ppoll() in serve() lets them in. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct e2_err err = {0};
    if (e2_runtime_start(&o.rt, &err)) {
        E2_ERROR("%s", err.msg);
        return 1;
    }
    char path[108];
    const char *sock = o.socket;
    if (!sock) {
        mkdir("/run/e2d", 0755);
        snprintf(path, sizeof(path), "/run/e2d/%s.sock", o.name);
        sock = path;
    }
    int rc = strcmp(sock, "none") == 0 ? 0 : e2_server_open(sock, &err);
    if (!rc && o.config) rc = load_config(o.config, &err);
    if (!rc) rc = e2_workers_launch(&err);
    if (rc) {
        E2_ERROR("%s", err.msg);
        e2_server_close();
        e2_runtime_stop();
        return 1;
    }
    E2_INFO("%s running: %u worker(s), control socket %s", o.name, o.rt.eal.workers, sock);
    serve(&o, &waitmask);
    e2_workers_stop();
    if (o.stats_period > 0 || o.duration > 0) e2_report_totals(stdout, o.name);
    e2_runtime_stop(); /* detaches NFs cleanly ("e2d is stopping") before their connections close */
    e2_server_close();
    E2_INFO("%s stopped", o.name);
    return 0;
}
