#define _GNU_SOURCE
#include "eal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#define ARGS_MAX 64

/* "0,2-3" -> list of CPUs */
static int parse_cpus(const char *s, int *cpus, int max, struct e2_err *err)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0) return e2_err_set(err, EINVAL, "--cpus: bad list \"%s\"", s);
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || b < a) return e2_err_set(err, EINVAL, "--cpus: bad range in \"%s\"", s);
        }
        for (long c = a; c <= b && n < max; c++) cpus[n++] = (int)c;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return e2_err_set(err, EINVAL, "--cpus: bad list \"%s\"", s);
    }
    return n ? n : e2_err_set(err, EINVAL, "--cpus: empty list");
}

static int allowed_cpus(int *cpus, int max)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set)) cpus[n++] = c;
    return n;
}

int e2_eal_init(const struct e2_eal_opts *o, struct e2_err *err)
{
    int cpus[256];
    int n_cpus = o->cpus ? parse_cpus(o->cpus, cpus, 256, err) : allowed_cpus(cpus, 256);
    if (n_cpus < 0) return n_cpus;
    if (n_cpus == 0) return e2_err_set(err, EINVAL, "no CPU available");

    static char lcores[1024], prefix[128], mem[32];
    size_t len = 0;
    for (unsigned l = 0; l <= o->workers && len < sizeof(lcores); l++)
        len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, "%s%u@%d", l ? "," : "", l,
                                cpus[l % (unsigned)n_cpus]);
    snprintf(prefix, sizeof(prefix), "--file-prefix=%s", o->name);
    snprintf(mem, sizeof(mem), "%u", o->mem_mb);

    char *argv[ARGS_MAX];
    int argc = 0;
    argv[argc++] = "e2d";
    argv[argc++] = "--lcores";
    argv[argc++] = lcores;
    argv[argc++] = prefix;
    argv[argc++] = "--no-pci";
    argv[argc++] = "--no-telemetry";
    argv[argc++] = "-m";
    argv[argc++] = mem;
    argv[argc++] = "--log-level=lib.eal:warning";
    if (o->no_huge) {
        argv[argc++] = "--no-huge";
        argv[argc++] = "--no-shconf";
    } else {
        argv[argc++] = "--proc-type=primary";
    }
    if (argc + o->extra_argc >= ARGS_MAX) return e2_err_set(err, E2BIG, "too many EAL arguments");
    for (int i = 0; i < o->extra_argc; i++) argv[argc++] = o->extra_argv[i];
    argv[argc] = NULL;
    if (rte_eal_init(argc, argv) < 0)
        return e2_err_set(
            err, rte_errno, "DPDK EAL initialisation failed: %s%s", rte_strerror(rte_errno),
            o->no_huge ? "" : " (no hugepages reserved? run scripts/deps.sh, or use --no-huge)");
    return 0;
}
