/*
 * e2nf-http — the HTTP/1.x parser over TCP streams (http.h) as a stream NF:
 * in library mode it reassembles the packets of port "in" itself and
 * forwards them to "out"; in bytestream mode it reads the messages of a TCP
 * NF on port "bs" and passes them on to "bs_out" (if the instance has it).
 * With --log, every request becomes a JSON line in that file (appended,
 * flushed every 100 ms).
 *
 *   e2nf-http -n INSTANCE [--mode library|bytestream] [--log FILE] [--conns N] [--idle S]
 *             [--max-flow-bytes N] [-s SOCKET] [--ctl PATH] [--poll]
 *
 * See nfs/http/README.md.
 */
#include <errno.h>
#include <string.h>

#include "http.h"
#include "stream_app.h"

#define FLUSH_NS 100000000ull

struct http_app {
    struct http h; /* first: the stream callbacks of http.h get this state as theirs */
    char log_path[4096];
    uint64_t next_flush;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct http_app *a = ctx;
    (void)name; /* the only option: --log */
    if (a->h.log) fclose(a->h.log);
    a->h.log = fopen(value, "a");
    if (!a->h.log) return e2_err_set(err, errno, "cannot open %s: %s", value, strerror(errno));
    snprintf(a->log_path, sizeof(a->log_path), "%s", value);
    return 0;
}

static void tick(void *ctx, uint64_t now_ns)
{
    struct http_app *a = ctx;
    if (!a->h.log || now_ns < a->next_flush) return;
    fflush(a->h.log);
    a->next_flush = now_ns + FLUSH_NS;
}

static json_t *stats(void *ctx)
{
    struct http_app *a = ctx;
    json_t *o = http_stats_json(&a->h);
    json_object_set_new(o, "log", a->h.log ? json_string(a->log_path) : json_null());
    return o;
}

static void fini(void *ctx)
{
    struct http_app *a = ctx;
    if (a->h.log) fclose(a->h.log);
    a->h.log = NULL;
}

int main(int argc, char **argv)
{
    static const struct e2nf_app_option options[] = {
        {"log", "FILE", "append a JSON line per request to FILE"}, {NULL, NULL, NULL}};
    static const struct stream_nf def = {
        .prog = "e2nf-http",
        .summary = "HTTP/1.x request and response parser over TCP streams, from packets or "
                   "bytestream messages.",
        .ctx_size = sizeof(struct http_app),
        .user_size = sizeof(struct http_conn_ref),
        .options = options,
        .option = option,
        .data = http_on_data,
        .event = http_on_event,
        .release = http_on_release,
        .tick = tick,
        .stats = stats,
        .fini = fini,
    };
    return stream_app_main(&def, argc, argv);
}
