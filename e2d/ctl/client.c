#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct e2_client {
    int fd;
    char *buf;
    size_t len, cap;
    int fds[4]; /* descriptors received with the reply being read */
    int n_fds;
};

struct e2_client *e2_client_open(const char *path, struct e2_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        e2_err_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        e2_err_set(err, errno, "cannot reach a control socket at %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    struct e2_client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        e2_err_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    c->fd = fd;
    return c;
}

void e2_client_close(struct e2_client *c)
{
    if (!c) return;
    close(c->fd);
    free(c->buf);
    free(c);
}

int e2_ctl_send(int fd, const json_t *msg, const int *fds, int n_fds)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text) return -ENOMEM;
    struct iovec iov[2] = {{text, strlen(text)}, {"\n", 1}};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    if (n_fds > 0 && n_fds <= 4) {
        m.msg_control = ctrl.buf;
        m.msg_controllen = CMSG_SPACE((size_t)n_fds * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN((size_t)n_fds * sizeof(int));
        memcpy(CMSG_DATA(h), fds, (size_t)n_fds * sizeof(int));
    }
    int rc = 0;
    while (m.msg_iovlen > 0) {
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            rc = w < 0 ? -errno : -EPIPE;
            break;
        }
        m.msg_control = NULL; /* the descriptors went with the first byte */
        m.msg_controllen = 0;
        for (size_t left = (size_t)w; left > 0 && m.msg_iovlen > 0;) {
            size_t take = left < m.msg_iov->iov_len ? left : m.msg_iov->iov_len;
            m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + take;
            m.msg_iov->iov_len -= take;
            left -= take;
            if (m.msg_iov->iov_len == 0) {
                m.msg_iov++;
                m.msg_iovlen--;
            }
        }
    }
    free(text);
    return rc;
}

/* recv() that also collects file descriptors passed with the data. */
static ssize_t recv_some(struct e2_client *c)
{
    char ctrl[CMSG_SPACE(sizeof(c->fds))];
    struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = c->cap - c->len};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof(ctrl)};
    ssize_t r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); r > 0 && h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
            if (c->n_fds < (int)(sizeof(c->fds) / sizeof(c->fds[0])))
                c->fds[c->n_fds++] = fd;
            else
                close(fd);
        }
    }
    return r;
}

/* Read until a full line is buffered; returns its length (without '\n'). */
static ssize_t read_line(struct e2_client *c)
{
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) return nl - c->buf;
        if (c->cap - c->len < 4096) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            char *b = realloc(c->buf, cap);
            if (!b) return -ENOMEM;
            c->buf = b;
            c->cap = cap;
        }
        ssize_t r = recv_some(c);
        if (r == 0) return -ECONNRESET;
        if (r < 0 && errno != EINTR) return -errno;
        if (r > 0) c->len += (size_t)r;
    }
}

int e2_client_call(struct e2_client *c, const json_t *req, json_t **result, struct e2_err *err)
{
    int n_fds;
    return e2_client_call_fds(c, req, result, NULL, 0, &n_fds, err);
}

int e2_client_call_fds(struct e2_client *c, const json_t *req, json_t **result, int *fds, int max,
                       int *n_fds, struct e2_err *err)
{
    *n_fds = 0;
    c->n_fds = 0;
    int rc = e2_ctl_send(c->fd, req, NULL, 0);
    if (rc) return e2_err_set(err, rc, "sending on the control socket failed: %s", strerror(-rc));
    ssize_t n = read_line(c);
    if (n < 0)
        return e2_err_set(err, (int)n, "no answer on the control socket: %s", strerror((int)-n));
    json_error_t jerr;
    json_t *reply = json_loadb(c->buf, (size_t)n, 0, &jerr);
    c->len -= (size_t)n + 1;
    memmove(c->buf, c->buf + n + 1, c->len);
    if (!reply)
        return e2_err_set(err, EPROTO, "the control socket answered something that is not JSON: %s",
                          jerr.text);
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *msg = json_string_value(json_object_get(reply, "error"));
        e2_err_set(err, EREMOTEIO, "%s", msg ? msg : "request refused");
        json_decref(reply);
        return -EREMOTEIO;
    }
    *result = json_incref(json_object_get(reply, "result"));
    if (!*result) *result = json_null();
    json_decref(reply);
    for (int i = 0; i < c->n_fds; i++) {
        if (i < max)
            fds[(*n_fds)++] = c->fds[i];
        else
            close(c->fds[i]);
    }
    c->n_fds = 0;
    return 0;
}

json_int_t e2_gates_packets(const json_t *gates)
{
    json_int_t sum = 0;
    size_t i;
    json_t *g;
    json_array_foreach(gates, i, g) sum += json_integer_value(json_object_get(g, "pkts"));
    return sum;
}
