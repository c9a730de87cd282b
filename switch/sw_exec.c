/*
 * Run a program with text on its stdin and collect its stdout and stderr
 * (the OVS driver's way to speak OpenFlow: ovs-ofctl). One poll loop moves
 * all three, so neither side can block the other. stdin is a socket, so a
 * program that exits early gives EPIPE (MSG_NOSIGNAL), never SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2_strbuf.h"
#include "sw_exec.h"

extern char **environ;

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0) close(p[i]);
}

static int spawn(char *const argv[], int in[2], int out[2], int errp[2], pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    int rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

/* Read what @fd has into @b; 0 at end of file. */
static ssize_t drain(int fd, struct e2_strbuf *b)
{
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) e2_strbuf_addf(b, "%.*s", (int)n, buf);
    return n < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : n;
}

static void pump(int in, const char *input, int out, int err, struct e2_strbuf *o,
                 struct e2_strbuf *e)
{
    size_t left = input ? strlen(input) : 0;
    if (!left) close(in), in = -1;
    while (out >= 0 || err >= 0) {
        struct pollfd p[3] = {{in, POLLOUT, 0}, {out, POLLIN, 0}, {err, POLLIN, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR) break;
        if (in >= 0 && p[0].revents) {
            ssize_t n = send(in, input, left, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) input += n, left -= (size_t)n;
            if (n < 0 && errno != EINTR && errno != EAGAIN) left = 0;
            if (!left) close(in), in = -1;
        }
        if (out >= 0 && p[1].revents && drain(out, o) <= 0) close(out), out = -1;
        if (err >= 0 && p[2].revents && drain(err, e) <= 0) close(err), err = -1;
    }
    if (in >= 0) close(in);
}

int e2_sw_exec(char *const argv[], const char *input, char **out, char **errtext)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
    pid_t pid;
    *out = *errtext = NULL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) || pipe2(o, O_CLOEXEC) ||
        pipe2(e, O_CLOEXEC)) {
        int rc = -errno;
        close_pair(in), close_pair(o), close_pair(e);
        return rc;
    }
    int rc = spawn(argv, in, o, e, &pid);
    close(in[0]), close(o[1]), close(e[1]);
    if (rc) {
        close(in[1]), close(o[0]), close(e[0]);
        return rc;
    }
    struct e2_strbuf ob = {0}, eb = {0};
    pump(in[1], input, o[0], e[0], &ob, &eb);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *out = e2_strbuf_take(&ob);
    *errtext = e2_strbuf_take(&eb);
    if (!*out || !*errtext) return -ENOMEM;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
