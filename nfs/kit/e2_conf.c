#include "e2_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "e2_units.h"

/* Split @buf (one line, modified in place) into words; -1 on an unclosed quote or too many words.
 */
static int split_words(char *buf, struct e2_conf_line *l, struct e2_err *err)
{
    l->argc = 0;
    char *r = buf, *w = buf;
    for (;;) {
        while (*r == ' ' || *r == '\t' || *r == '\r') r++;
        if (!*r || *r == '#') return 0;
        if (l->argc == E2_CONF_WORDS_MAX)
            return e2_err_set(err, E2BIG, "%s:%u: more than %d words", l->file, l->line,
                              E2_CONF_WORDS_MAX);
        l->argv[l->argc++] = w;
        bool quoted = false;
        for (; *r && (quoted || (*r != ' ' && *r != '\t' && *r != '\r' && *r != '#')); r++) {
            if (*r == '"')
                quoted = !quoted;
            else
                *w++ = *r;
        }
        if (quoted)
            return e2_err_set(err, EINVAL, "%s:%u: a quote is not closed", l->file, l->line);
        bool end = !*r || *r == '#';
        *w++ = '\0';
        if (end) return 0;
        r++;
    }
}

int e2_conf_read_text(const char *text, const char *name, e2_conf_line_fn fn, void *ctx,
                      struct e2_err *err)
{
    size_t size = strlen(text) + 1;
    char *copy = malloc(2 * size); /* the lines split into words, then as written */
    if (!copy) return e2_err_set(err, ENOMEM, "out of memory");
    memcpy(copy, text, size);
    for (char *c = memcpy(copy + size, text, size); (c = strchr(c, '\n'));) *c++ = '\0';
    struct e2_conf_line l = {.file = name};
    int rc = 0;
    for (char *line = copy; line && !rc;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        l.line++;
        l.text = line + size;
        rc = split_words(line, &l, err);
        if (!rc && l.argc > 0) {
            struct e2_err inner = {0};
            rc = fn(ctx, &l, &inner);
            if (rc) e2_err_set(err, rc, "%s:%u: %s", name, l.line, inner.msg);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    return rc;
}

int e2_conf_read_file(const char *path, e2_conf_line_fn fn, void *ctx, struct e2_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return e2_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    int rc = n < 0 ? e2_err_set(err, EIO, "cannot read %s", path)
                   : e2_conf_read_text(text, path, fn, ctx, err);
    free(text);
    return rc;
}

int e2_conf_append(char **text, const char *verb, const char *rest, struct e2_err *err)
{
    size_t have = *text ? strlen(*text) : 0, add = strlen(verb) + strlen(rest) + 2;
    char *t = realloc(*text, have + add + 1);
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    snprintf(t + have, add + 1, "%s %s\n", verb, rest);
    *text = t;
    return 0;
}

int e2_conf_read_all(const char *opts, const char *path, e2_conf_line_fn fn, void *ctx,
                     struct e2_err *err)
{
    int rc = opts ? e2_conf_read_text(opts, "(options)", fn, ctx, err) : 0;
    return !rc && path ? e2_conf_read_file(path, fn, ctx, err) : rc;
}

int e2_conf_ipv4(const char *text, uint32_t *ip, struct e2_err *err)
{
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1)
        return e2_err_set(err, EINVAL, "'%s' is not an IPv4 address", text);
    *ip = ntohl(a.s_addr);
    return 0;
}

const char *e2_conf_ipv4_text(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
    return out;
}

int e2_conf_prefix(const char *text, uint32_t *ip, uint8_t *len, struct e2_err *err)
{
    if (!strcasecmp(text, "any")) {
        *ip = 0;
        *len = 0;
        return 0;
    }
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof(addr)) return e2_err_set(err, EINVAL, "'%s' is not an IPv4 prefix", text);
    memcpy(addr, text, n);
    addr[n] = '\0';
    if (e2_conf_ipv4(addr, ip, err)) return -EINVAL;
    uint64_t l = 32;
    if (slash && e2_conf_uint(slash + 1, "prefix length", 0, 32, &l, err)) return -EINVAL;
    uint32_t mask = l ? ~0u << (32 - l) : 0;
    if (*ip & ~mask)
        return e2_err_set(err, EINVAL, "'%s' has host bits set (did you mean %u.%u.%u.%u/%u?)",
                          text, (*ip & mask) >> 24, (*ip & mask) >> 16 & 255,
                          (*ip & mask) >> 8 & 255, *ip & mask & 255, (unsigned)l);
    *len = (uint8_t)l;
    return 0;
}

int e2_conf_port_range(const char *text, uint16_t *lo, uint16_t *hi, struct e2_err *err)
{
    if (!strcasecmp(text, "any")) {
        *lo = 0;
        *hi = 65535;
        return 0;
    }
    char a[16];
    const char *dash = strchr(text, '-');
    if (!dash) dash = strchr(text, ':'); /* iptables and Snort write ranges as 1000:2000 */
    size_t n = dash ? (size_t)(dash - text) : strlen(text);
    if (n >= sizeof(a) || (dash && n == 0 && !dash[1]))
        return e2_err_set(err, EINVAL, "'%s' is not a port or port range", text);
    memcpy(a, text, n);
    a[n] = '\0';
    uint64_t l = 0, h;
    if (n && e2_conf_uint(a, "port", 0, 65535, &l, err)) return -EINVAL; /* ":1023": from 0 */
    h = dash ? 65535 : l;                                                /* "1024:": to 65535 */
    if (dash && dash[1] && e2_conf_uint(dash + 1, "port", 0, 65535, &h, err)) return -EINVAL;
    if (h < l) return e2_err_set(err, EINVAL, "port range '%s' ends before it starts", text);
    *lo = (uint16_t)l;
    *hi = (uint16_t)h;
    return 0;
}

int e2_conf_proto(const char *text, uint8_t *proto, struct e2_err *err)
{
    static const struct {
        const char *name;
        uint8_t num;
    } names[] = {{"any", 0}, {"all", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"esp", 50}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(text, names[i].name)) {
            *proto = names[i].num;
            return 0;
        }
    uint64_t v;
    if (e2_conf_uint(text, "protocol", 0, 255, &v, NULL))
        return e2_err_set(err, EINVAL, "'%s' is not a protocol (tcp, udp, icmp, esp, any or 0-255)",
                          text);
    *proto = (uint8_t)v;
    return 0;
}

int e2_conf_uint(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 struct e2_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || errno || *text == '-' || v < min || v > max)
        return e2_err_set(err, EINVAL, "%s '%s' is not a number from %llu to %llu", what, text,
                          (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

/* A quantity e2_units parses, in [min, max]; @kind names it with examples, @unit its unit. */
struct quantity {
    int (*parse)(const char *text, uint64_t *out);
    const char *kind, *unit;
};

static int quantity(const struct quantity *q, const char *text, const char *what, uint64_t min,
                    uint64_t max, uint64_t *out, struct e2_err *err)
{
    uint64_t v;
    if (q->parse(text, &v))
        return e2_err_set(err, EINVAL, "%s '%s' is not %s", what, text, q->kind);
    if (v < min || v > max)
        return e2_err_set(err, ERANGE, "%s '%s' is not from %llu to %llu %s", what, text,
                          (unsigned long long)min, (unsigned long long)max, q->unit);
    *out = v;
    return 0;
}

int e2_conf_rate(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *bps,
                 struct e2_err *err)
{
    static const struct quantity q = {e2_rate_parse, "a rate (e.g. 2Gbit, 500Mbit/s, 64kbps)",
                                      "bit/s"};
    return quantity(&q, text, what, min, max, bps, err);
}

int e2_conf_duration_us(const char *text, const char *what, uint64_t min, uint64_t max,
                        uint64_t *us, struct e2_err *err)
{
    static const struct quantity q = {e2_duration_parse_us, "a duration (e.g. 30s, 500ms, 2m)",
                                      "us"};
    return quantity(&q, text, what, min, max, us, err);
}

int e2_conf_size(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *bytes,
                 struct e2_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned shift = 0;
    switch (*end | 0x20) { /* lower case */
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    }
    if (shift) end++;
    if (shift && (*end | 0x20) == 'b') end++;
    if (end == text || *end || errno || *text == '-' || v > (max >> shift) || (v << shift) < min ||
        (v << shift) > max)
        return e2_err_set(err, EINVAL, "%s '%s' is not a size from %llu to %llu bytes", what, text,
                          (unsigned long long)min, (unsigned long long)max);
    *bytes = v << shift;
    return 0;
}
