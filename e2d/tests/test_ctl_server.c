/*
 * The JSON-lines control server with the client library: requests and
 * replies, refusals of bad lines, descriptors passed with a reply, hang-ups
 * reported, and a second server on a live socket refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "ctl_server.h"

struct fixture {
    char path[64];
    struct e2_ctl_server *s;
    pthread_t thread;
    volatile int stop;
    int closed_client; /* last client id reported closed */
    int pipe_fds[2];
};

static json_t *handle(void *ctx, int client, const json_t *req, struct e2_ctl_fds *fds)
{
    struct fixture *f = ctx;
    const char *op = json_string_value(json_object_get(req, "op"));
    if (op && !strcmp(op, "echo"))
        return json_pack("{s:b, s:{s:O, s:i}}", "ok", 1, "result", "req", req, "client", client);
    if (op && !strcmp(op, "pipe")) {
        fds->fds[0] = f->pipe_fds[1];
        fds->n = 1;
        return json_pack("{s:b}", "ok", 1);
    }
    return json_pack("{s:b, s:s}", "ok", 0, "error", "unknown op");
}

static void closed(void *ctx, int client)
{
    ((struct fixture *)ctx)->closed_client = client;
}

static void *serve(void *arg)
{
    struct fixture *f = arg;
    while (!f->stop) e2_ctl_server_step(f->s, 10, NULL, -1);
    return NULL;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    snprintf(f.path, sizeof(f.path), "/tmp/e2-ctl-test-%d.sock", (int)getpid());
    struct e2_ctl_handler h = {.handle = handle, .closed = closed, .ctx = &f};
    struct e2_err err = {0};
    if (e2_ctl_server_open(f.path, &h, &f.s, &err)) fail_msg("%s", err.msg);
    if (pipe(f.pipe_fds)) fail_msg("pipe");
    pthread_create(&f.thread, NULL, serve, &f);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    f->stop = 1;
    pthread_join(f->thread, NULL);
    e2_ctl_server_close(f->s);
    close(f->pipe_fds[0]);
    close(f->pipe_fds[1]);
    assert_int_equal(access(f->path, F_OK), -1); /* the socket file is gone */
    return 0;
}

static struct e2_client *connect_ok(struct fixture *f)
{
    struct e2_err err = {0};
    struct e2_client *c = e2_client_open(f->path, &err);
    if (!c) fail_msg("%s", err.msg);
    return c;
}

static void request_gets_its_reply_and_refusals_carry_the_error(void **state)
{
    struct fixture *f = *state;
    struct e2_client *c = connect_ok(f);
    struct e2_err err = {0};
    json_t *req = json_pack("{s:s, s:i}", "op", "echo", "n", 7), *res = NULL;
    assert_int_equal(e2_client_call(c, req, &res, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "req"), "n")), 7);
    json_decref(res);
    json_decref(req);
    req = json_pack("{s:s}", "op", "nope");
    assert_int_equal(e2_client_call(c, req, &res, &err), -EREMOTEIO);
    assert_string_equal(err.msg, "unknown op");
    json_decref(req);
    e2_client_close(c);
}

/* Raw lines: what a hand-written client (socat, nc) might send. */
static void bad_lines_are_refused_and_the_connection_stays(void **state)
{
    struct fixture *f = *state;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    const char *lines = "{not json\n[1,2]\n\n{\"op\":\"echo\"}\n";
    assert_int_equal(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
    char buf[4096];
    size_t got = 0;
    int newlines = 0;
    while (newlines < 3 && got < sizeof(buf) - 1) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        assert_true(r > 0);
        for (ssize_t i = 0; i < r; i++) newlines += buf[got + (size_t)i] == '\n';
        got += (size_t)r;
    }
    buf[got] = '\0';
    char *second = strchr(buf, '\n') + 1, *third = strchr(second, '\n') + 1;
    assert_non_null(strstr(buf, "request is not valid JSON"));
    assert_non_null(strstr(second, "a request is a JSON object"));
    assert_non_null(strstr(third, "\"ok\":true"));
    close(fd);
}

static void descriptors_travel_with_the_reply(void **state)
{
    struct fixture *f = *state;
    struct e2_client *c = connect_ok(f);
    struct e2_err err = {0};
    json_t *req = json_pack("{s:s}", "op", "pipe"), *res = NULL;
    int fds[2], n = 0;
    assert_int_equal(e2_client_call_fds(c, req, &res, fds, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(write(fds[0], "x", 1), 1); /* our copy of the pipe's write end */
    char ch = 0;
    assert_int_equal(read(f->pipe_fds[0], &ch, 1), 1);
    assert_int_equal(ch, 'x');
    close(fds[0]);
    json_decref(res);
    json_decref(req);
    e2_client_close(c);
}

static void hang_up_is_reported_with_the_client_id(void **state)
{
    struct fixture *f = *state;
    struct e2_client *c = connect_ok(f);
    struct e2_err err = {0};
    json_t *req = json_pack("{s:s}", "op", "echo"), *res = NULL;
    assert_int_equal(e2_client_call(c, req, &res, &err), 0);
    int id = (int)json_integer_value(json_object_get(res, "client"));
    json_decref(res);
    json_decref(req);
    e2_client_close(c);
    for (int i = 0; i < 200 && f->closed_client != id; i++) usleep(5000);
    assert_int_equal(f->closed_client, id);
}

static void a_second_server_on_a_live_socket_is_refused(void **state)
{
    struct fixture *f = *state;
    struct e2_ctl_handler h = {.handle = handle};
    struct e2_ctl_server *other = NULL;
    struct e2_err err = {0};
    assert_int_equal(e2_ctl_server_open(f->path, &h, &other, &err), -EADDRINUSE);
    assert_null(other);
    assert_non_null(strstr(err.msg, "already listening"));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(request_gets_its_reply_and_refusals_carry_the_error),
        T(bad_lines_are_refused_and_the_connection_stays),
        T(descriptors_travel_with_the_reply),
        T(hang_up_is_reported_with_the_client_id),
        T(a_second_server_on_a_live_socket_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
