/*
 * A JSON-lines control server on a Unix stream socket: each line a client
 * sends is one JSON request, each reply one JSON line (sent with
 * e2_ctl_send(), descriptors attached when the handler gives some). Any
 * number of clients, served one request at a time on the caller's thread.
 *
 * e2d's control socket (server.h) and every sample NF's control channel
 * (include/e2/nfapp.h) are this server with their own handler. It is pure C
 * (no DPDK), so it can be tested on its own.
 */
#ifndef E2_CTL_SERVER_H
#define E2_CTL_SERVER_H

#include <jansson.h>
#include <signal.h>

#include "e2_err.h"

#define E2_CTL_FDS_MAX 4

/** What a handler may attach to its reply. */
struct e2_ctl_fds {
    int fds[E2_CTL_FDS_MAX];
    int n;
};

struct e2_ctl_handler {
    /**
     * Answer @req from client @client (an id unique for the server's life):
     * return a new reference to the reply object. Descriptors put in @fds go
     * with it; the server does not close them.
     */
    json_t *(*handle)(void *ctx, int client, const json_t *req, struct e2_ctl_fds *fds);
    /** Client @client hung up (optional). */
    void (*closed)(void *ctx, int client);
    void *ctx;
};

struct e2_ctl_server;

/**
 * Listen on @path: a stale socket file is replaced, a live one (another
 * process answering on it) refused. The file is made mode 0660.
 */
int e2_ctl_server_open(const char *path, const struct e2_ctl_handler *h, struct e2_ctl_server **out,
                       struct e2_err *err);

/**
 * Wait up to @timeout_ms (0: just look, <0: forever) for requests, new
 * clients or @extra_fd (-1: none) becoming readable, and serve what came.
 * @sigmask (may be NULL) is installed while waiting, as ppoll() does.
 * Returns 1 when @extra_fd is readable (the caller drains it), else 0.
 * With a NULL @s it only waits for @extra_fd.
 */
int e2_ctl_server_step(struct e2_ctl_server *s, int timeout_ms, const sigset_t *sigmask,
                       int extra_fd);

/** Close every connection, remove the socket file, free @s (NULL is fine). */
void e2_ctl_server_close(struct e2_ctl_server *s);

#endif
