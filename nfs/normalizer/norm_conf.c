/* The normalizer's configuration statements (norm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2_conf.h"
#include "norm.h"

#define DAY_US 86400000000ull

struct conf_read {
    struct norm_conf *c;
    unsigned seen; /* statements given, as bits: each at most once */
};

/* @text as one of @names (NULL-terminated); its index, or an error listing them. */
static int choose(const char *verb, const char *text, const char *const *names, uint8_t *out,
                  struct e2_err *err)
{
    for (uint8_t i = 0; names[i]; i++)
        if (!strcmp(text, names[i])) {
            *out = i;
            return 0;
        }
    char list[64] = "";
    for (unsigned i = 0; names[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", names[i]);
    return e2_err_set(err, EINVAL, "%s '%s' is not one of %s", verb, text, list);
}

static int value(struct norm_conf *c, unsigned k, const char *verb, const char *v,
                 struct e2_err *err)
{
    static const char *const fix_drop_allow[][4] = {{"strip", "drop", "allow", NULL},
                                                    {"clear", "drop", "allow", NULL}};
    static const char *const drop_allow[] = {"drop", "allow", NULL};
    static const char *const overlaps[] = {"differing", "any", "allow", NULL};
    uint64_t n;
    uint8_t b;
    int rc;
    switch (k) {
    case 0:
        rc = e2_conf_uint(v, "ttl-min", 0, 255, &n, err);
        if (!rc) c->ttl_min = (uint8_t)n;
        return rc;
    case 1: return choose(verb, v, fix_drop_allow[0], &c->ip_options, err);
    case 2: return choose(verb, v, fix_drop_allow[1], &c->reserved, err);
    case 3:
        rc = choose(verb, v, drop_allow, &b, err);
        if (!rc) c->tcp_flags = b == 0;
        return rc;
    case 4: return choose(verb, v, overlaps, &c->overlap, err);
    case 5:
        rc = e2_conf_uint(v, "fragments", 16, 1u << 20, &n, err);
        if (!rc) c->fragments = n;
        return rc;
    default:
        rc = e2_conf_duration_us(v, "frag-timeout", 1000, DAY_US, &n, err);
        if (!rc) c->frag_timeout = n * 1000;
        return rc;
    }
}

static int line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    static const char *const verbs[] = {"ttl-min",      "ip-options", "reserved-flag", "tcp-flags",
                                        "frag-overlap", "fragments",  "frag-timeout"};
    enum { N = sizeof(verbs) / sizeof(verbs[0]) };
    struct conf_read *r = ctx;
    unsigned k = 0;
    while (k < N && strcmp(l->argv[0], verbs[k])) k++;
    if (k == N)
        return e2_err_set(err, EINVAL,
                          "unknown statement '%s' (ttl-min, ip-options, reserved-flag, tcp-flags, "
                          "frag-overlap, fragments, frag-timeout)",
                          l->argv[0]);
    if (r->seen & 1u << k) return e2_err_set(err, EEXIST, "%s is given twice", verbs[k]);
    r->seen |= 1u << k;
    if (l->argc != 2) return e2_err_set(err, EINVAL, "%s wants one value", verbs[k]);
    return value(r->c, k, verbs[k], l->argv[1], err);
}

int norm_conf_load(struct norm_conf *c, const char *opts, const char *path, struct e2_err *err)
{
    *c = (struct norm_conf){
        .ip_options = NORM_FIX,
        .reserved = NORM_FIX,
        .overlap = NORM_OVERLAP_DIFFERING,
        .tcp_flags = true,
        .fragments = 1024,
        .frag_timeout = 30000000000ull,
    };
    struct conf_read r = {c, 0};
    int rc = e2_conf_read_all(opts, path, line, &r, err);
    return rc;
}
