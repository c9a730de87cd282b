/*
 * tagfwd — the minimal native NF: forward packets from port "in" to port
 * "out", setting a metadata tag on each. It is the pattern every sample NF
 * follows: its state, a process function and a definition table; the app
 * (include/e2/nfapp.h) does attaching, the loop, sleeping when idle, the
 * control socket and the exit statistics.
 *
 *   e2nf-tagfwd -n INSTANCE [-s SOCKET] [--tag NAME=VALUE] [--ctl PATH] [--poll] [--cpu N]
 *
 * See docs/nf-api.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2/nfapp.h"

struct tagfwd {
    char tag[64]; /* "" for none */
    uint32_t value;
    int slot, out;
    uint64_t tagged;
};

static int option(void *ctx, const char *name, const char *value, struct e2_err *err)
{
    struct tagfwd *t = ctx;
    (void)name; /* the only option: --tag */
    if (sscanf(value, "%63[^=]=%u", t->tag, &t->value) != 2)
        return e2_err_set(err, EINVAL, "wants NAME=VALUE, not '%s'", value);
    return 0;
}

static int bind(void *ctx, struct e2nf *nf, struct e2_err *err)
{
    struct tagfwd *t = ctx;
    t->out = e2nf_port(nf, "out");
    t->slot = t->tag[0] ? e2nf_tag(nf, t->tag) : -1;
    if (t->out < 0) return e2_err_set(err, ENOENT, "NF '%s' has no port 'out'", e2nf_name(nf));
    if (t->tag[0] && t->slot < 0)
        return e2_err_set(err, ENOENT,
                          "e2d defines no tag '%s' (tag(name=\"%s\", ...) in its config)", t->tag,
                          t->tag);
    return 0;
}

static void process(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out)
{
    struct tagfwd *t = ctx;
    (void)in;
    for (uint16_t i = 0; i < n; i++) {
        if (t->slot >= 0) e2_meta_set_tag(pkts[i], (unsigned)t->slot, t->value);
        out[i] = t->out;
    }
    if (t->slot >= 0) t->tagged += n;
}

static json_t *stats(void *ctx)
{
    return json_pack("{s:I}", "tagged", (json_int_t)((struct tagfwd *)ctx)->tagged);
}

int main(int argc, char **argv)
{
    static const char *const inputs[] = {"in", NULL};
    static const struct e2nf_app_option options[] = {
        {"tag", "NAME=VALUE", "set metadata tag NAME to VALUE on every packet"},
        {NULL, NULL, NULL}};
    static const struct e2nf_app_def def = {
        .prog = "e2nf-tagfwd",
        .summary =
            "Forward packets from port 'in' to port 'out', optionally setting a metadata tag.",
        .ctx_size = sizeof(struct tagfwd),
        .inputs = inputs,
        .options = options,
        .option = option,
        .bind = bind,
        .process = process,
        .stats = stats,
    };
    return e2nf_app_main(&def, argc, argv);
}
