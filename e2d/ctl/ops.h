/*
 * e2d's control operations: the one API through which the control socket,
 * the config loader and e2ctl change and read the dataplane.
 *
 * A request is a JSON object {"op": NAME, ...arguments}. The reply is
 * {"ok": true, "result": ...} or {"ok": false, "error": "what and where"}.
 * Every change is all-or-nothing: a failed request leaves the running
 * pipeline exactly as it was. "batch" applies a list of requests as one
 * transaction; "load" compiles a config text (conf.h) into a batch. The
 * operations and their arguments are listed in docs/e2d-control.md and by
 * the "ops" request.
 */
#ifndef E2_OPS_H
#define E2_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "e2_err.h"

/** Execute one request; returns a new reply object. */
json_t *e2_ops_execute(const json_t *req);

/**
 * Who sent a request, for the requests that bind to their connection (an NF
 * attaching): the connection's id, and file descriptors the reply must
 * carry (SCM_RIGHTS), filled by the request.
 */
struct e2_ops_ctx {
    int client;
    int fds[2];
    int n_fds;
};

/**
 * Apply config @text (named @file in error locations) as one transaction:
 * the "load" request for callers in the same process. 0 or the error in @err.
 */
int e2_ops_load(const char *text, const char *file, struct e2_err *err);

/** e2_ops_execute() on behalf of connection @ctx. */
json_t *e2_ops_execute_for(const json_t *req, struct e2_ops_ctx *ctx);

/** True once a "quit" request has been executed. */
bool e2_ops_quit_requested(void);

/** Describe every operation and its arguments (the 'ops' request). */
json_t *e2_ops_describe(void);

/** The Markdown reference of every operation (docs/e2d-control.md). */
void e2_ops_doc(FILE *out);

#endif
