/*
 * e2ctl nf — one request to a sample NF's control socket (the NF runs with
 * --ctl PATH; include/e2/nfapp.h): "stats", "reload", "ops" and the NF's own
 * operations. The result prints as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verbs.h"

static const char nf_usage[] =
    "usage: e2ctl nf -s SOCKET OP [ARGS...]\n"
    "\n"
    "  stats                 packets per port and the NF's own counters\n"
    "  reload                read the NF's configuration file again (all or nothing)\n"
    "  ops                   every operation this NF answers, with its help\n"
    "  OP [ARGS]             one of those; ARGS as in e2d configs: flow=\"10.0.0.1\", limit=10\n"
    "\n"
    "SOCKET is the path the NF was started with (--ctl PATH).\n";

int e2ctl_nf(int argc, char **argv)
{
    const char *sock = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            sock = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(nf_usage, stdout);
            return 0;
        } else {
            fputs(nf_usage, stderr);
            return 2;
        }
    }
    if (!sock || i >= argc) {
        fputs(nf_usage, stderr);
        return 2;
    }
    struct e2_err err = {0};
    json_t *req = e2ctl_kwargs(argc, argv, i + 1, &err);
    if (!req) {
        fprintf(stderr, "e2ctl nf: %s\n", err.msg);
        return 2;
    }
    json_object_set_new(req, "op", json_string(argv[i]));
    json_t *result = NULL;
    int rc = e2ctl_call("nf", sock, req, &result);
    json_decref(req);
    if (rc) return rc;
    char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (text) printf("%s\n", text);
    free(text);
    json_decref(result);
    return 0;
}
