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

/** Execute one request; returns a new reply object. */
json_t *e2_ops_execute(const json_t *req);

/** True once a "quit" request has been executed. */
bool e2_ops_quit_requested(void);

/** Describe every operation and its arguments (the 'ops' request). */
json_t *e2_ops_describe(void);

/** The Markdown reference of every operation (docs/e2d-control.md). */
void e2_ops_doc(FILE *out);

#endif
