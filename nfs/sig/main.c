/*
 * e2nf-sig — signature matching over TCP streams (sig.h) as a stream NF:
 * in library mode it reassembles the packets of port "in" itself and
 * forwards them to "out"; in bytestream mode it reads the messages of a TCP
 * NF on port "bs" and passes them on to "bs_out" (if the instance has it).
 * The pattern file is required; SIGHUP or "reload" reads it again.
 *
 *   e2nf-sig -n INSTANCE -c PATTERNS [--mode library|bytestream] [--engine ac|hyperscan]
 *            [--conns N] [--idle S] [--max-flow-bytes N] [-s SOCKET] [--ctl PATH] [--poll]
 *
 * See nfs/sig/README.md.
 */
#include <errno.h>

#include "sig.h"
#include "stream_app.h"

struct sig_app {
    struct sig s; /* first: the stream callbacks of sig.h get this state as theirs */
    enum sig_engine engine;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    (void)name; /* the only option: --engine */
    return sig_engine_parse(value, &((struct sig_app *)ctx)->engine, err);
}

static int load(void *ctx, const char *path, struct e2_err *err)
{
    struct sig_app *a = ctx;
    struct sig_rules *r;
    if (sig_rules_load(path, a->engine, &r, err)) return err->code;
    if (sig_install(&a->s, r, err)) {
        sig_rules_free(r);
        return err->code;
    }
    return 0;
}

static json_t *stats(void *ctx)
{
    return sig_stats_json(&((struct sig_app *)ctx)->s);
}

static void fini(void *ctx)
{
    sig_fini(&((struct sig_app *)ctx)->s);
}

static json_t *op_top(void *ctx, const json_t *req, struct e2_err *err)
{
    const json_t *limit = json_object_get(req, "limit");
    if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 0))
        return e2_err_set(err, EINVAL, "limit is a count"), NULL;
    unsigned n = limit ? (unsigned)json_integer_value(limit) : 10;
    return sig_top_json(&((struct sig_app *)ctx)->s, n);
}

int main(int argc, char **argv)
{
    static const struct e2nf_app_option options[] = {
        {"engine", "ENGINE", "ac (Aho-Corasick, default) or hyperscan"}, {NULL, NULL, NULL}};
    static const struct e2nf_app_op ops[] = {
        {"top", "the patterns with most matches, most first; limit=N (10)", op_top},
        {NULL, NULL, NULL}};
    static const struct stream_nf def = {
        .prog = "e2nf-sig",
        .summary = "Signature matching over TCP streams (Aho-Corasick or Hyperscan), from packets "
                   "or bytestream messages.",
        .ctx_size = sizeof(struct sig_app),
        .user_size = sizeof(struct sig_conn),
        .options = options,
        .ops = ops,
        .config_required = true,
        .option = option,
        .load = load,
        .data = sig_on_data,
        .event = sig_on_event,
        .release = sig_on_release,
        .stats = stats,
        .fini = fini,
    };
    return stream_app_main(&def, argc, argv);
}
