#define _GNU_SOURCE
#include "ctl_server.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "e2_log.h"

#define CLIENTS_MAX 64
#define REQUEST_MAX (16u << 20)

struct client {
    int id;
    int fd;
    char *buf;
    size_t len, cap;
};

struct e2_ctl_server {
    struct e2_ctl_handler h;
    int listen_fd;
    char path[108];
    struct client clients[CLIENTS_MAX];
    int n_clients;
    int next_id;
};

static int listen_on(const char *path, struct e2_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return e2_err_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(probe);
        return e2_err_set(err, EADDRINUSE, "another process is already listening on %s", path);
    }
    if (probe >= 0) close(probe);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return e2_err_set(err, errno, "socket: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        return e2_err_set(err, e, "cannot listen on %s: %s", path, strerror(e));
    }
    chmod(path, 0660);
    return fd;
}

int e2_ctl_server_open(const char *path, const struct e2_ctl_handler *h, struct e2_ctl_server **out,
                       struct e2_err *err)
{
    *out = NULL;
    struct e2_ctl_server *s = calloc(1, sizeof(*s));
    if (!s) return e2_err_set(err, ENOMEM, "out of memory");
    int fd = listen_on(path, err);
    if (fd < 0) {
        free(s);
        return fd;
    }
    s->h = *h;
    s->listen_fd = fd;
    s->next_id = 1;
    snprintf(s->path, sizeof(s->path), "%s", path);
    *out = s;
    return 0;
}

static void drop_client(struct e2_ctl_server *s, int i)
{
    struct client *c = &s->clients[i];
    if (s->h.closed) s->h.closed(s->h.ctx, c->id);
    close(c->fd);
    free(c->buf);
    *c = s->clients[--s->n_clients];
}

static void accept_clients(struct e2_ctl_server *s)
{
    int fd;
    while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        if (s->n_clients == CLIENTS_MAX) {
            E2_WARN("control socket %s: too many clients, refusing one", s->path);
            close(fd);
            continue;
        }
        /* A client that stops reading cannot hold the server for long. */
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        s->clients[s->n_clients++] = (struct client){.id = s->next_id++, .fd = fd};
    }
}

static json_t *refusal(const char *what, const char *detail)
{
    return json_pack("{s:b, s:s+}", "ok", 0, "error", what, detail);
}

static bool serve_line(struct e2_ctl_server *s, struct client *c, const char *line, size_t len)
{
    json_error_t jerr;
    struct e2_ctl_fds fds = {.n = 0};
    json_t *req = json_loadb(line, len, 0, &jerr);
    json_t *reply;
    if (!req)
        reply = refusal("request is not valid JSON: ", jerr.text);
    else if (!json_is_object(req))
        reply = refusal("a request is a JSON object", "");
    else
        reply = s->h.handle(s->h.ctx, c->id, req, &fds);
    json_decref(req);
    bool ok = reply && e2_ctl_send(c->fd, reply, fds.fds, fds.n) == 0;
    json_decref(reply);
    return ok;
}

/* Read what is there; serve each complete line. False: drop the client. */
static bool serve_client(struct e2_ctl_server *s, struct client *c)
{
    if (c->cap - c->len < 65536) {
        size_t cap = c->cap ? c->cap * 2 : 131072;
        if (cap > REQUEST_MAX + 65536) {
            json_t *e = refusal("request longer than 16 MiB", "");
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
        if (nl > start && !serve_line(s, c, start, (size_t)(nl - start))) return false;
        start = nl + 1;
    }
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
    return true;
}

int e2_ctl_server_step(struct e2_ctl_server *s, int timeout_ms, const sigset_t *sigmask,
                       int extra_fd)
{
    struct pollfd pfd[CLIENTS_MAX + 2];
    int n = 0;
    pfd[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN}; /* fd -1 is ignored */
    pfd[n++] = (struct pollfd){.fd = s ? s->listen_fd : -1, .events = POLLIN};
    for (int i = 0; s && i < s->n_clients; i++)
        pfd[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout_ms / 1000,
                          .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
    int ready = ppoll(pfd, (nfds_t)n, timeout_ms < 0 ? NULL : &ts, sigmask);
    if (ready <= 0) return 0;
    if (!s) return (pfd[0].revents & POLLIN) ? 1 : 0;
    const int base = 2;
    /* Serve clients from the last, so dropping one does not skip another. */
    for (int i = s->n_clients - 1; i >= 0; i--) {
        if (pfd[base + i].revents & (POLLIN | POLLHUP | POLLERR))
            if (!serve_client(s, &s->clients[i])) drop_client(s, i);
    }
    if (pfd[1].revents & POLLIN) accept_clients(s);
    return (pfd[0].revents & POLLIN) ? 1 : 0;
}

void e2_ctl_server_close(struct e2_ctl_server *s)
{
    if (!s) return;
    while (s->n_clients) drop_client(s, s->n_clients - 1);
    close(s->listen_fd);
    unlink(s->path);
    free(s);
}
