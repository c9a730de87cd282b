/*
 * The monitor's application class and URL of a flow (mon.h): what the
 * Monitor.app and Monitor.url attributes of its description carry.
 *
 * The class starts as the well-known port says (IANA: 53 DNS, 80/8080
 * HTTP, 443 TLS) and the first payload of the connection decides it: an
 * HTTP/1.x request line or status line (RFC 9112 §3, §4), a TLS handshake
 * record header (RFC 8446 §5.1: type 22, legacy version 3.x), a DNS header
 * on port 53 (RFC 1035 §4.1.1: 12 bytes). The URL is the Host header's
 * host (port cut, lower case) and the request target's path (query cut),
 * "example.com/login", from the request's first segment; the URL table
 * maps it to the tag value the policy's constant got (0: any other).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mon.h"

#define URL_MAX 256

uint8_t mon_app_of_ports(uint8_t proto, uint16_t sport, uint16_t dport)
{
    if ((proto == 17 || proto == 6) && (sport == 53 || dport == 53)) return MON_APP_DNS;
    if (proto != 6) return MON_APP_OTHER;
    if (sport == 443 || dport == 443) return MON_APP_TLS;
    if (sport == 80 || dport == 80 || sport == 8080 || dport == 8080) return MON_APP_HTTP;
    return MON_APP_OTHER;
}

static const char *const http_methods[] = {"GET ",     "HEAD ",  "POST ",    "PUT ",   "DELETE ",
                                           "CONNECT ", "TRACE ", "OPTIONS ", "PATCH ", NULL};

static size_t http_method_len(const uint8_t *p, size_t len)
{
    for (const char *const *m = http_methods; *m; m++) {
        size_t n = strlen(*m);
        if (len >= n && !memcmp(p, *m, n)) return n;
    }
    return 0;
}

uint8_t mon_app_of_payload(const uint8_t *p, size_t len, uint8_t by_ports)
{
    if (http_method_len(p, len) || (len >= 7 && !memcmp(p, "HTTP/1.", 7))) return MON_APP_HTTP;
    if (len >= 5 && p[0] == 22 && p[1] == 3 && p[2] <= 4) return MON_APP_TLS;
    if (by_ports == MON_APP_DNS && len >= 12) return MON_APP_DNS;
    return MON_APP_OTHER;
}

/* The line starting at @p (up to CRLF or LF), its length without the line end; -1 without one. */
static long line_len(const uint8_t *p, size_t len)
{
    const uint8_t *nl = memchr(p, '\n', len);
    if (!nl) return -1;
    long n = nl - p;
    return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/* The Host header's value in the header lines from @p, or NULL; *n its length. */
static const uint8_t *host_header(const uint8_t *p, size_t len, size_t *n)
{
    long l;
    while ((l = line_len(p, len)) > 0) {
        if (l > 5 && !strncasecmp((const char *)p, "host:", 5)) {
            const uint8_t *v = p + 5, *end = p + l;
            while (v < end && (*v == ' ' || *v == '\t')) v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
            *n = (size_t)(end - v);
            return v;
        }
        const uint8_t *next = (const uint8_t *)memchr(p, '\n', len) + 1; /* line_len found it */
        len -= (size_t)(next - p);
        p = next;
    }
    return NULL;
}

/* Whether @n bytes are all visible ASCII (RFC 9112 allows no controls, NUL or blanks there). */
static bool visible(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f) return false;
    return true;
}

/* "host/path": host lower case, ":port" cut; path with query and fragment cut. 0 if invalid. */
static size_t url_join(const uint8_t *host, size_t hn, const uint8_t *path, size_t pn, char *out,
                       size_t cap)
{
    if (!visible(host, hn) || !visible(path, pn)) return 0;
    size_t o = 0;
    for (size_t i = 0; i < hn && host[i] != ':' && o + 1 < cap; i++)
        out[o++] = (char)tolower(host[i]);
    for (size_t i = 0; i < pn && path[i] != '?' && path[i] != '#' && o + 1 < cap; i++)
        out[o++] = (char)path[i];
    out[o] = '\0';
    return o;
}

size_t mon_http_url(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t m = http_method_len(p, len);
    long l = m ? line_len(p, len) : -1;
    if (l < (long)m || !m || !cap) return 0;
    const uint8_t *target = p + m, *sp = memchr(target, ' ', (size_t)l - m);
    if (!sp || (size_t)(p + l - sp) < 9 || memcmp(sp + 1, "HTTP/1.", 7)) return 0;
    size_t tn = (size_t)(sp - target);
    if (tn > 7 && !strncasecmp((const char *)target, "http://", 7)) { /* absolute form */
        const uint8_t *h = target + 7, *slash = memchr(h, '/', tn - 7);
        size_t hn = slash ? (size_t)(slash - h) : tn - 7;
        return url_join(h, hn, slash ? slash : (const uint8_t *)"/", slash ? tn - 7 - hn : 1, out,
                        cap);
    }
    if (!tn || target[0] != '/') return 0;
    const uint8_t *headers = (const uint8_t *)memchr(p, '\n', len) + 1;
    size_t hn;
    const uint8_t *host = host_header(headers, len - (size_t)(headers - p), &hn);
    return host && hn ? url_join(host, hn, target, tn, out, cap) : 0;
}

/* ---- URL table ---- */

struct mon_url_entry {
    char pattern[URL_MAX];
    size_t len;
    bool prefix;
    uint32_t value;
};

struct mon_url {
    struct mon_url_entry *e;
    size_t n, cap;
};

struct mon_url *mon_url_create(void)
{
    return calloc(1, sizeof(struct mon_url));
}

int mon_url_add(struct mon_url *u, const char *pattern, uint32_t value, struct e2_err *err)
{
    size_t len = strlen(pattern);
    if (!len || len >= URL_MAX)
        return e2_err_set(err, EINVAL, "URL '%s' is empty or longer than %d bytes", pattern,
                          URL_MAX - 1);
    if (!value) return e2_err_set(err, EINVAL, "tag value 0 means 'any other URL'");
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        struct mon_url_entry *e = realloc(u->e, cap * sizeof(*e));
        if (!e) return e2_err_set(err, ENOMEM, "out of memory");
        u->e = e;
        u->cap = cap;
    }
    struct mon_url_entry *e = &u->e[u->n++];
    e->prefix = pattern[len - 1] == '*';
    e->len = e->prefix ? len - 1 : len;
    memcpy(e->pattern, pattern, e->len);
    e->pattern[e->len] = '\0';
    e->value = value;
    return 0;
}

uint32_t mon_url_lookup(const struct mon_url *u, const char *url)
{
    size_t n = strlen(url);
    for (size_t i = 0; i < u->n; i++) {
        const struct mon_url_entry *e = &u->e[i];
        if (e->prefix ? n >= e->len && !memcmp(url, e->pattern, e->len) : !strcmp(url, e->pattern))
            return e->value;
    }
    return 0;
}

void mon_url_free(struct mon_url *u)
{
    if (!u) return;
    free(u->e);
    free(u);
}
