#include "server.h"

#include <string.h>

#include "ctl_server.h"
#include "nfreg.h"
#include "ops.h"

static struct e2_ctl_server *server;

static json_t *handle(void *ctx, int client, const json_t *req, struct e2_ctl_fds *fds)
{
    (void)ctx;
    struct e2_ops_ctx op = {.client = client};
    json_t *reply = e2_ops_execute_for(req, &op);
    memcpy(fds->fds, op.fds, (size_t)op.n_fds * sizeof(int));
    fds->n = op.n_fds;
    return reply;
}

static void closed(void *ctx, int client)
{
    (void)ctx;
    e2_nf_client_closed(client);
}

int e2_server_open(const char *path, struct e2_err *err)
{
    const struct e2_ctl_handler h = {.handle = handle, .closed = closed};
    return e2_ctl_server_open(path, &h, &server, err);
}

void e2_server_step(int timeout_ms, const sigset_t *sigmask)
{
    e2_ctl_server_step(server, timeout_ms, sigmask, e2_nf_signal_fd());
    e2_nf_tick();
}

void e2_server_close(void)
{
    e2_ctl_server_close(server);
    server = NULL;
}
