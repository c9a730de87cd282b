/*
 * e2d's control socket: the JSON-lines server of ctl_server.h answering
 * with the operations of ops.h. Any number of clients; requests run one at a
 * time on the control thread, between NF health checks and NF signals.
 */
#ifndef E2_SERVER_H
#define E2_SERVER_H

#include <signal.h>

#include "e2_err.h"

/** Listen on @path (replacing a stale socket, refusing a live one). */
int e2_server_open(const char *path, struct e2_err *err);

/**
 * Wait up to @timeout_ms for clients and serve what arrived, then run the
 * NF health checks and deliver NF signals (e2_nf_tick). @sigmask is
 * installed while waiting so that signals interrupt the wait.
 */
void e2_server_step(int timeout_ms, const sigset_t *sigmask);

/** Close every connection and remove the socket file. */
void e2_server_close(void);

#endif
