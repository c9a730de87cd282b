/*
 * The NAT's configuration file (e2_conf format: one statement per line,
 * FILE:LINE errors). Timeouts below what the RFCs allow are refused rather
 * than silently raised: RFC 4787 REQ-5 (UDP >= 2 min), RFC 5382 REQ-5 (TCP
 * established >= 2 h 4 min, transitory >= 4 min), RFC 5508 (ICMP
 * query >= 60 s).
 */
#include <errno.h>
#include <string.h>

#include "e2_conf.h"
#include "e2_units.h"
#include "nat.h"

#define NS_PER_S 1000000000ull

void nat_conf_defaults(struct nat_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_ns[NAT_TO_UDP] = 300 * NS_PER_S;
    c->timeout_ns[NAT_TO_TCP_EST] = 7440 * NS_PER_S;
    c->timeout_ns[NAT_TO_TCP_TRANS] = 240 * NS_PER_S;
    c->timeout_ns[NAT_TO_ICMP] = 60 * NS_PER_S;
    c->filtering = NAT_FILTER_ADDRESS;
    c->hairpin = true;
    c->sessions = 65536;
}

static bool prefixes_overlap(const struct nat_prefix *a, const struct nat_prefix *b)
{
    return nat_prefix_has(a, b->ip) || nat_prefix_has(b, a->ip);
}

static int on_inside(struct nat_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc != 2)
        return e2_err_set(err, EINVAL, "'inside' takes one prefix: inside 10.0.0.0/8");
    if (c->n_inside == NAT_PREFIX_MAX)
        return e2_err_set(err, E2BIG, "more than %d inside prefixes", NAT_PREFIX_MAX);
    struct nat_prefix *p = &c->inside[c->n_inside];
    if (e2_conf_prefix(l->argv[1], &p->ip, &p->len, err)) return err->code;
    c->n_inside++;
    return 0;
}

static unsigned public_addresses(const struct nat_conf *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->n_pub; i++) n += 1u << (32 - c->pub[i].net.len);
    return n;
}

static int on_public(struct nat_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc != 2 && !(l->argc == 4 && !strcmp(l->argv[2], "ports")))
        return e2_err_set(err, EINVAL, "wants: public ADDRESS[/LEN] [ports LO-HI]");
    if (c->n_pub == NAT_PREFIX_MAX)
        return e2_err_set(err, E2BIG, "more than %d public lines", NAT_PREFIX_MAX);
    struct nat_public_range *r = &c->pub[c->n_pub];
    r->lo = 1024;
    r->hi = 65535;
    if (e2_conf_prefix(l->argv[1], &r->net.ip, &r->net.len, err)) return err->code;
    if (r->net.len < 22 || !r->net.ip)
        return e2_err_set(err, EINVAL, "public '%s': a /22 (1024 addresses) at most, not 0.0.0.0",
                          l->argv[1]);
    if (l->argc == 4 && e2_conf_port_range(l->argv[3], &r->lo, &r->hi, err)) return err->code;
    if (r->lo == 0 && r->hi == 0) return e2_err_set(err, EINVAL, "port 0 cannot be lent");
    if (r->lo == 0) r->lo = 1; /* port 0 is never a source port */
    for (unsigned i = 0; i < c->n_pub; i++)
        if (prefixes_overlap(&c->pub[i].net, &r->net))
            return e2_err_set(err, EEXIST, "public '%s' overlaps an earlier public line",
                              l->argv[1]);
    c->n_pub++;
    if (public_addresses(c) > NAT_PUBLIC_MAX)
        return e2_err_set(err, E2BIG, "more than %d public addresses in all", NAT_PUBLIC_MAX);
    return 0;
}

static int on_filtering(struct nat_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    static const char *const names[] = {"endpoint-independent", "address-dependent",
                                        "address-and-port-dependent"};
    for (unsigned i = 0; l->argc == 2 && i < 3; i++) {
        if (strcmp(l->argv[1], names[i])) continue;
        c->filtering = (enum nat_filtering)i;
        return 0;
    }
    return e2_err_set(err, EINVAL,
                      "filtering is endpoint-independent, address-dependent or "
                      "address-and-port-dependent");
}

static int on_timeout(struct nat_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    static const struct {
        const char *name, *why;
        uint64_t min_s;
    } kinds[NAT_TO_COUNT] = {
        [NAT_TO_UDP] = {"udp", "RFC 4787 REQ-5", 120},
        [NAT_TO_TCP_EST] = {"tcp-established", "RFC 5382 REQ-5", 7440},
        [NAT_TO_TCP_TRANS] = {"tcp-transitory", "RFC 5382 REQ-5", 240},
        [NAT_TO_ICMP] = {"icmp", "RFC 5508", 60},
    };
    if (l->argc != 3)
        return e2_err_set(err, EINVAL,
                          "wants: timeout udp|tcp-established|tcp-transitory|icmp DURATION");
    for (unsigned i = 0; i < NAT_TO_COUNT; i++) {
        if (strcmp(l->argv[1], kinds[i].name)) continue;
        uint64_t us;
        if (e2_duration_parse_us(l->argv[2], &us))
            return e2_err_set(err, EINVAL, "'%s' is not a duration (300s, 5m, 2h)", l->argv[2]);
        if (us < kinds[i].min_s * 1000000 || us > 86400ull * 1000000 * 365)
            return e2_err_set(err, ERANGE, "timeout %s %s: %s wants %llus to a year", kinds[i].name,
                              l->argv[2], kinds[i].why, (unsigned long long)kinds[i].min_s);
        c->timeout_ns[i] = us * 1000;
        return 0;
    }
    return e2_err_set(err, EINVAL,
                      "unknown timeout '%s' (udp, tcp-established, tcp-transitory, icmp)",
                      l->argv[1]);
}

static int on_choice(bool *flag, const char *yes, const char *no, const struct e2_conf_line *l,
                     struct e2_err *err)
{
    if (l->argc == 2 && !strcmp(l->argv[1], yes)) return *flag = true, 0;
    if (l->argc == 2 && !strcmp(l->argv[1], no)) return *flag = false, 0;
    return e2_err_set(err, EINVAL, "wants: %s %s|%s", l->argv[0], yes, no);
}

static int on_sessions(struct nat_conf *c, const struct e2_conf_line *l, struct e2_err *err)
{
    uint64_t v;
    if (l->argc != 2) return e2_err_set(err, EINVAL, "wants: sessions N");
    if (e2_conf_uint(l->argv[1], "sessions", 16, 1u << 24, &v, err)) return err->code;
    c->sessions = (uint32_t)v;
    return 0;
}

static int on_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct nat_conf *c = ctx;
    const char *w = l->argv[0];
    if (!strcmp(w, "inside")) return on_inside(c, l, err);
    if (!strcmp(w, "public")) return on_public(c, l, err);
    if (!strcmp(w, "filtering")) return on_filtering(c, l, err);
    if (!strcmp(w, "timeout")) return on_timeout(c, l, err);
    if (!strcmp(w, "other")) return on_choice(&c->pass_other, "pass", "drop", l, err);
    if (!strcmp(w, "hairpin")) return on_choice(&c->hairpin, "on", "off", l, err);
    if (!strcmp(w, "sessions")) return on_sessions(c, l, err);
    return e2_err_set(err, EINVAL,
                      "unknown statement '%s' (inside, public, filtering, timeout, other, "
                      "hairpin, sessions)",
                      w);
}

/* What one line cannot see: the whole must name both sides, kept apart. */
static int check_whole(const struct nat_conf *c, const char *name, struct e2_err *err)
{
    if (!c->n_inside) return e2_err_set(err, EINVAL, "%s: no 'inside' prefix", name);
    if (!c->n_pub) return e2_err_set(err, EINVAL, "%s: no 'public' address", name);
    for (unsigned i = 0; i < c->n_inside; i++)
        for (unsigned j = 0; j < c->n_pub; j++)
            if (prefixes_overlap(&c->inside[i], &c->pub[j].net))
                return e2_err_set(err, EINVAL, "%s: a public address lies inside", name);
    return 0;
}

int nat_conf_parse(const char *text, const char *name, struct nat_conf *c, struct e2_err *err)
{
    nat_conf_defaults(c);
    int rc = e2_conf_read_text(text, name, on_line, c, err);
    return rc ? rc : check_whole(c, name, err);
}

int nat_conf_load(const char *path, struct nat_conf *c, struct e2_err *err)
{
    nat_conf_defaults(c);
    int rc = e2_conf_read_file(path, on_line, c, err);
    return rc ? rc : check_whole(c, path, err);
}
