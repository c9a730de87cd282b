/* The rate limiter's configuration statements (rl.h): link and class lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2_conf.h"
#include "rl.h"

const char *const rl_class_names[RL_CLASSES] = {"prio0", "prio1"};
const char *const rl_class_ports[RL_CLASSES] = {"vp0", "vp1"};

#define BURST_MIN 64u

/* Claim @lim for the statement at @l; a second statement for it is an error. */
static int claim(struct rl_limit *lim, const struct e2_conf_line *l, const char *what,
                 struct e2_err *err)
{
    if (lim->where[0])
        return e2_err_set(err, EEXIST, "%s is configured twice (first at %s)", what, lim->where);
    snprintf(lim->where, sizeof(lim->where), "%s:%u", l->file, l->line);
    return 0;
}

/* "rate R burst B queue Q" pairs from word @from on; queue only for classes. */
static int parse_params(const struct e2_conf_line *l, int from, struct rl_limit *lim, bool is_class,
                        struct e2_err *err)
{
    unsigned seen = 0;
    for (int i = from; i < l->argc; i += 2) {
        const char *key = l->argv[i], *val = i + 1 < l->argc ? l->argv[i + 1] : NULL;
        static const char *const keys[] = {"rate", "burst", "queue"};
        unsigned k = 0;
        while (k < (is_class ? 3u : 2u) && strcmp(key, keys[k])) k++;
        if (k == (is_class ? 3u : 2u))
            return e2_err_set(err, EINVAL, "unknown word '%s' (%s)", key,
                              is_class ? "rate, burst, queue" : "rate, burst");
        if (!val) return e2_err_set(err, EINVAL, "'%s' wants a value", key);
        if (seen & 1u << k) return e2_err_set(err, EINVAL, "'%s' is given twice", key);
        seen |= 1u << k;
        uint64_t q = 0;
        int rc = k == 0   ? e2_conf_rate(val, "rate", RL_RATE_MIN, RL_RATE_MAX, &lim->rate, err)
                 : k == 1 ? e2_conf_size(val, "burst", BURST_MIN, RL_BURST_MAX, &lim->burst, err)
                          : e2_conf_uint(val, "queue", 1, RL_QUEUE_MAX, &q, err);
        if (rc) return rc;
        if (k == 2) lim->queue = (uint32_t)q;
    }
    if (lim->burst && !lim->rate) return e2_err_set(err, EINVAL, "a burst needs a rate");
    if (!is_class && !lim->rate) return e2_err_set(err, EINVAL, "link needs a rate");
    return 0;
}

static int class_index(const char *name, struct e2_err *err)
{
    for (unsigned c = 0; c < RL_CLASSES; c++)
        if (!strcmp(name, rl_class_names[c])) return (int)c;
    return e2_err_set(err, EINVAL, "class '%s' is not one of prio0, prio1", name);
}

static int line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct rl_conf *c = ctx;
    const char *verb = l->argv[0];
    if (!strcmp(verb, "link")) {
        int rc = claim(&c->link, l, "link", err);
        return rc ? rc : parse_params(l, 1, &c->link, false, err);
    }
    if (strcmp(verb, "class"))
        return e2_err_set(err, EINVAL, "unknown statement '%s' (link, class)", verb);
    if (l->argc < 2) return e2_err_set(err, EINVAL, "class wants a name (prio0, prio1)");
    int k = class_index(l->argv[1], err);
    if (k < 0) return k;
    char what[32];
    snprintf(what, sizeof(what), "class %s", rl_class_names[k]);
    int rc = claim(&c->cls[k], l, what, err);
    return rc ? rc : parse_params(l, 2, &c->cls[k], true, err);
}

/* A burst left unset: 2 ms at the rate, at least 4 KiB. */
static void defaults(struct rl_limit *lim)
{
    if (lim->rate && !lim->burst) {
        uint64_t b = lim->rate / 4000;
        lim->burst = b < 4096 ? 4096 : b > RL_BURST_MAX ? RL_BURST_MAX : b;
    }
    if (!lim->queue) lim->queue = RL_QUEUE_DEFAULT;
}

int rl_conf_load(struct rl_conf *c, const char *opts, const char *path, struct e2_err *err)
{
    memset(c, 0, sizeof(*c));
    int rc = e2_conf_read_all(opts, path, line, c, err);
    if (rc) return rc;
    defaults(&c->link);
    for (unsigned k = 0; k < RL_CLASSES; k++) defaults(&c->cls[k]);
    return 0;
}
