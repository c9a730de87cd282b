/*
 * e2nf-re — redundancy elimination over TCP streams, measured (re.h), as a
 * stream NF: in library mode it reassembles the packets of port "in" itself
 * and forwards them to "out"; in bytestream mode it reads the messages of a
 * TCP NF on port "bs" and passes them on to "bs_out" (if the instance has
 * it). It counts the bytes an RE encoder would save; packets go on as they
 * came.
 *
 *   e2nf-re -n INSTANCE [--mode library|bytestream] [--chunk AVG] [--cache N] [--conns N]
 *           [--idle S] [--max-flow-bytes N] [-s SOCKET] [--ctl PATH] [--poll]
 *
 * See nfs/re/README.md.
 */
#include <errno.h>
#include <string.h>

#include "e2_conf.h"
#include "re.h"
#include "stream_app.h"

struct re_app {
    struct re r; /* first: the stream callbacks of re.h get this state as theirs */
    struct re_opts o;
    bool ready;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct re_app *a = ctx;
    uint64_t v;
    if (e2_conf_uint(value, name, 1, 1u << 28, &v, err)) return err->code;
    if (!strcmp(name, "chunk"))
        a->o.chunk_avg = (uint32_t)v;
    else
        a->o.cache_entries = (uint32_t)v;
    return 0;
}

/* No configuration file: the first load sets the chunker and cache up, reloads keep them. */
static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct re_app *a = ctx;
    (void)path;
    if (a->ready) return 0;
    if (re_init(&a->r, &a->o, err)) return err->code;
    a->ready = true;
    return 0;
}

static json_t *stats(void *ctx)
{
    return re_stats_json(&((struct re_app *)ctx)->r);
}

static void fini(void *ctx)
{
    re_fini(&((struct re_app *)ctx)->r);
}

int main(int argc, char **argv)
{
    static const struct e2nf_app_option options[] = {
        {"chunk", "AVG", "average chunk bytes, a power of two 64-65536 (256)"},
        {"cache", "N", "chunks the fingerprint cache holds (1048576)"},
        {NULL, NULL, NULL}};
    static const struct stream_nf def = {
        .prog = "e2nf-re",
        .summary = "Redundancy elimination over TCP streams (Rabin fingerprints, a chunk cache), "
                   "measured, from packets or bytestream messages.",
        .ctx_size = sizeof(struct re_app),
        .user_size = sizeof(struct re_conn),
        .options = options,
        .option = option,
        .load = load,
        .data = re_on_data,
        .event = re_on_event,
        .stats = stats,
        .fini = fini,
    };
    return stream_app_main(&def, argc, argv);
}
