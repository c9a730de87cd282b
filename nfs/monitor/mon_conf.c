/* The monitor's configuration statements (mon_export.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_conf.h"
#include "mon_export.h"

#define DAY_US 86400000000ull

struct conf_read {
    struct mon_conf *c;
    unsigned seen; /* statements allowed once, as bits */
};

static int duration_ns(const char *text, const char *what, uint64_t min_us, uint64_t *ns,
                       struct e2_err *err)
{
    uint64_t us;
    int rc = e2_conf_duration_us(text, what, min_us, DAY_US, &us, err);
    if (!rc) *ns = us * 1000;
    return rc;
}

static int ipfix_line(struct mon_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc < 2) return e2_err_set(err, EINVAL, "ipfix wants ADDR:PORT");
    char addr[64];
    const char *colon = strrchr(l->argv[1], ':');
    size_t n = colon ? (size_t)(colon - l->argv[1]) : 0;
    if (!colon || n >= sizeof(addr))
        return e2_err_set(err, EINVAL, "'%s' is not ADDR:PORT", l->argv[1]);
    memcpy(addr, l->argv[1], n);
    addr[n] = '\0';
    uint32_t ip;
    uint64_t port, v;
    int rc = e2_conf_ipv4(addr, &ip, err);
    if (!rc) rc = e2_conf_uint(colon + 1, "port", 1, 65535, &port, err);
    if (rc) return rc;
    c->ipfix = true;
    c->ipfix_to = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(ip)};
    for (int i = 2; i < l->argc; i += 2) {
        const char *key = l->argv[i], *val = i + 1 < l->argc ? l->argv[i + 1] : NULL;
        if (!val) return e2_err_set(err, EINVAL, "'%s' wants a value", key);
        if (!strcmp(key, "domain")) {
            rc = e2_conf_uint(val, "domain", 0, UINT32_MAX, &v, err);
            if (!rc) c->domain = (uint32_t)v;
        } else if (!strcmp(key, "template-refresh")) {
            rc = duration_ns(val, "template-refresh", 1000000, &c->template_ns, err);
        } else {
            return e2_err_set(err, EINVAL, "unknown word '%s' (domain, template-refresh)", key);
        }
        if (rc) return rc;
    }
    return 0;
}

static int url_line(struct mon_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc != 3) return e2_err_set(err, EINVAL, "url wants PATTERN VALUE");
    uint64_t v;
    int rc = e2_conf_uint(l->argv[2], "tag value", 1, UINT32_MAX, &v, err);
    if (rc) return rc;
    if (!c->urls && !(c->urls = mon_url_create())) return e2_err_set(err, ENOMEM, "out of memory");
    return mon_url_add(c->urls, l->argv[1], (uint32_t)v, err);
}

/* Statements with one value, each allowed once. */
static int single(struct mon_conf *c, unsigned k, const char *val, struct e2_err *err)
{
    uint64_t v;
    int rc;
    switch (k) {
    case 0: return duration_ns(val, "idle-timeout", 1000, &c->to.idle, err);
    case 1: return duration_ns(val, "active-timeout", 1000, &c->to.active, err);
    case 2: return duration_ns(val, "fin-linger", 0, &c->to.linger, err);
    case 3:
        rc = e2_conf_uint(val, "flows", 16, 1u << 24, &v, err);
        if (!rc) c->flows = v;
        return rc;
    default:
        if (strlen(val) >= sizeof(c->json))
            return e2_err_set(err, ENAMETOOLONG, "json path '%s' is too long", val);
        strcpy(c->json, val);
        return 0;
    }
}

static int line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct conf_read *r = ctx;
    static const char *const once[] = {"idle-timeout", "active-timeout", "fin-linger",
                                       "flows",        "json",           "ipfix"};
    const char *verb = l->argv[0];
    if (!strcmp(verb, "url")) return url_line(r->c, l, err);
    unsigned k = 0;
    while (k < 6 && strcmp(verb, once[k])) k++;
    if (k == 6)
        return e2_err_set(err, EINVAL,
                          "unknown statement '%s' (idle-timeout, active-timeout, fin-linger, "
                          "flows, json, ipfix, url)",
                          verb);
    if (r->seen & 1u << k) return e2_err_set(err, EEXIST, "%s is given twice", verb);
    r->seen |= 1u << k;
    if (k == 5) return ipfix_line(r->c, l, err);
    if (l->argc != 2) return e2_err_set(err, EINVAL, "%s wants one value", verb);
    return single(r->c, k, l->argv[1], err);
}

int mon_conf_load(struct mon_conf *c, const char *opts, const char *path, struct e2_err *err)
{
    *c = (struct mon_conf){
        .to = {30000000000ull, 60000000000ull, 1000000000ull},
        .flows = 65536,
        .template_ns = 30000000000ull,
    };
    struct conf_read r = {c, 0};
    int rc = e2_conf_read_all(opts, path, line, &r, err);
    if (rc) mon_conf_free(c);
    return rc;
}

void mon_conf_free(struct mon_conf *c)
{
    mon_url_free(c->urls);
    c->urls = NULL;
}

bool mon_conf_same_targets(const struct mon_conf *a, const struct mon_conf *b)
{
    return !strcmp(a->json, b->json) && a->ipfix == b->ipfix && a->domain == b->domain &&
           a->ipfix_to.sin_addr.s_addr == b->ipfix_to.sin_addr.s_addr &&
           a->ipfix_to.sin_port == b->ipfix_to.sin_port;
}
