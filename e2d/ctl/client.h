/*
 * A client of a JSON-lines control socket (e2d's, or a sample NF's; the
 * server side is ctl_server.h), for e2ctl, the server agent and tests: send
 * a JSON request, get the JSON reply.
 */
#ifndef E2_CLIENT_H
#define E2_CLIENT_H

#include <jansson.h>

#include "e2_err.h"

struct e2_client;

/** Connect to the server (e2d, an NF) listening on @path. */
struct e2_client *e2_client_open(const char *path, struct e2_err *err);

void e2_client_close(struct e2_client *c);

/**
 * Send @req and wait for the reply. Returns 0 with *result set (a new
 * reference, possibly JSON null) when the server answered ok; when it refused, the
 * error it gave is in @err and -EREMOTEIO returned; other negative values are
 * transport failures.
 */
int e2_client_call(struct e2_client *c, const json_t *req, json_t **result, struct e2_err *err);

/**
 * e2_client_call() for replies that carry file descriptors (an NF's attach):
 * up to @max of them are stored in @fds and their number returned in *n_fds.
 */
int e2_client_call_fds(struct e2_client *c, const json_t *req, json_t **result, int *fds, int max,
                       int *n_fds, struct e2_err *err);

/**
 * Send @msg as one line of the protocol (compact JSON and '\n') on the
 * stream socket @fd, in as few sendmsg() calls as the socket takes, with
 * @n_fds (at most 4) file descriptors attached to its first byte. Both ends
 * use it, so a request or a reply arrives whole and wakes the reader once.
 * Returns 0 or -errno.
 */
int e2_ctl_send(int fd, const json_t *msg, const int *fds, int n_fds);

/** Packets summed over a gate list of a module description ("igates" or "ogates"). */
json_int_t e2_gates_packets(const json_t *gates);

#endif
