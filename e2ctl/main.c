/*
 * e2ctl — the one operator CLI of E2.
 *
 * Verbs come from the parts of E2 (see verbs.h): policy checking and
 * compiling, planning, the dataplane's control socket, and later the manager.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "e2_log.h"
#include "verbs.h"

static int usage(int code);

int e2ctl_usage(const char *verb, const char *help, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "e2ctl %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", help);
    return 2;
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return usage(0);
}

static const struct e2ctl_verb verbs[] = {
    {"dp", "[-s SOCKET] COMMAND ...", "drive one e2d dataplane over its control socket", e2ctl_dp},
    {"check", "POLICY [--nf-dir DIR]", "check a policy: exactly one destination per packet",
     e2ctl_check},
    {"compile", "POLICY [--nf-dir DIR] --format json|dot", "print the checked pGraph",
     e2ctl_compile},
    {"deploy", "POLICY --hw HW.yaml [--rack RACK.json]",
     "what each server's e2d runs, its NF processes, the switch rules", e2ctl_deploy},
    {"filter", "'EXPR' TRACE.pcap", "numbers of the packets a filter matches", e2ctl_filter},
    {"help", "", "this text", cmd_help},
    {"nf", "-s SOCKET OP [ARGS...]", "ask a sample NF (stats, reload, its own operations)",
     e2ctl_nf},
    {"plan", "POLICY|PGRAPH.json --hw HW.yaml", "size, place and print the deployment plan",
     e2ctl_plan},
    {"switch", "-u URI rules|counters|apply FILE|delete COOKIE...",
     "read and change the rack switch's rules (OVS or the model)", e2ctl_switch},
};

static int usage(int code)
{
    FILE *out = code ? stderr : stdout;
    const size_t n = sizeof(verbs) / sizeof(verbs[0]);
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(verbs[i].usage) > width) width = (int)strlen(verbs[i].usage);
    fprintf(out, "usage: e2ctl VERB [ARGS...]\n\nverbs:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-8s %-*s  %s\n", verbs[i].name, width, verbs[i].usage, verbs[i].summary);
    fprintf(out, "\n'e2ctl VERB --help' describes one verb.\n");
    return code;
}

int main(int argc, char **argv)
{
    e2_log_init("e2ctl");
    if (argc < 2) return usage(2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return usage(0);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0) return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "e2ctl: unknown verb '%s'\n", argv[1]);
    return usage(2);
}
