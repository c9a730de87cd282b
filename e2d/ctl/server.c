#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "e2_log.h"
#include "nfreg.h"
#include "ops.h"

#define CLIENTS_MAX 64
#define REQUEST_MAX (16u << 20)

struct client {
    int id; /* unique for the life of e2d: an NF attached on it is bound to it */
    int fd;
    char *buf;
    size_t len, cap;
};

static int listen_fd = -1;
static char sock_path[108];
static struct client clients[CLIENTS_MAX];
static int n_clients;
static int next_id = 1;

int e2_server_open(const char *path, struct e2_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return e2_err_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(probe);
        return e2_err_set(err, EADDRINUSE, "another e2d is already listening on %s", path);
    }
    if (probe >= 0) close(probe);
    unlink(path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd < 0) return e2_err_set(err, errno, "socket: %s", strerror(errno));
    if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(listen_fd, 16) != 0) {
        int e = errno;
        close(listen_fd);
        listen_fd = -1;
        return e2_err_set(err, e, "cannot listen on %s: %s", path, strerror(e));
    }
    chmod(path, 0660);
    snprintf(sock_path, sizeof(sock_path), "%s", path);
    return 0;
}

static void drop_client(int i)
{
    e2_nf_client_closed(clients[i].id);
    close(clients[i].fd);
    free(clients[i].buf);
    clients[i] = clients[--n_clients];
}

static void accept_clients(void)
{
    int fd;
    while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        if (n_clients == CLIENTS_MAX) {
            E2_WARN("control socket: too many clients, refusing one");
            close(fd);
            continue;
        }
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        clients[n_clients++] = (struct client){.id = next_id++, .fd = fd};
    }
}

static bool serve_line(struct client *c, const char *line, size_t len)
{
    json_error_t jerr;
    struct e2_ops_ctx ctx = {.client = c->id};
    json_t *req = json_loadb(line, len, 0, &jerr);
    json_t *reply;
    if (!req) {
        reply =
            json_pack("{s:b, s:s+}", "ok", 0, "error", "request is not valid JSON: ", jerr.text);
    } else {
        reply = e2_ops_execute_for(req, &ctx);
        json_decref(req);
    }
    bool ok = e2_ctl_send(c->fd, reply, ctx.fds, ctx.n_fds) == 0;
    json_decref(reply);
    return ok;
}

/* Read what is there; serve each complete line. False: drop the client. */
static bool serve_client(struct client *c)
{
    if (c->cap - c->len < 65536) {
        size_t cap = c->cap ? c->cap * 2 : 131072;
        if (cap > REQUEST_MAX + 65536) {
            json_t *e = json_pack("{s:b, s:s}", "ok", 0, "error", "request longer than 16 MiB");
            e2_ctl_send(c->fd, e, NULL, 0);
            json_decref(e);
            return false;
        }
        char *b = realloc(c->buf, cap);
        if (!b) return false;
        c->buf = b;
        c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return false;
    if (r < 0) return true;
    c->len += (size_t)r;
    char *start = c->buf, *nl;
    while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
        if (nl > start && !serve_line(c, start, (size_t)(nl - start))) return false;
        start = nl + 1;
    }
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
    return true;
}

void e2_server_step(int timeout_ms, const sigset_t *sigmask)
{
    struct pollfd pfd[CLIENTS_MAX + 2];
    int n = 0;
    /* pfd[0]: NF signals for e2d (or nothing: fd -1 is ignored); pfd[1]: new connections */
    pfd[n++] = (struct pollfd){.fd = e2_nf_signal_fd(), .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
    for (int i = 0; i < n_clients; i++)
        pfd[n++] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout_ms / 1000,
                          .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
    int ready = ppoll(pfd, (nfds_t)n, timeout_ms < 0 ? NULL : &ts, sigmask);
    e2_nf_tick();
    if (ready <= 0) return;
    const int base = 2;
    /* Serve clients from the last, so dropping one does not skip another. */
    int seen = n_clients;
    for (int i = seen - 1; i >= 0; i--) {
        if (pfd[base + i].revents & (POLLIN | POLLHUP | POLLERR))
            if (!serve_client(&clients[i])) drop_client(i);
    }
    if (pfd[1].revents & POLLIN) accept_clients();
}

void e2_server_close(void)
{
    while (n_clients) drop_client(n_clients - 1);
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(sock_path);
    }
    listen_fd = -1;
}
