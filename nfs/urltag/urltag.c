#include "urltag.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "e2_conf.h"

struct prefix {
    char text[URLTAG_PREFIX_MAX]; /* host in lower case, then the path */
    size_t len;
    uint8_t cls;
    unsigned line;
};

struct urltag_table {
    char names[URLTAG_CLASSES][URLTAG_NAME_MAX];
    unsigned n_classes;
    struct prefix *prefixes; /* longest first */
    unsigned n, cap;
};

/* ---- the table ---- */

static bool valid_class(const char *s)
{
    if (!*s || strlen(s) >= URLTAG_NAME_MAX || !strcmp(s, "other")) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return false;
    return true;
}

/* The class named @name, a new one if it is not there yet; 0 when there is no room. */
static unsigned class_of(struct urltag_table *t, const char *name)
{
    for (unsigned c = 1; c <= t->n_classes; c++)
        if (!strcmp(t->names[c], name)) return c;
    if (t->n_classes == URLTAG_CLASSES - 1) return 0;
    snprintf(t->names[++t->n_classes], URLTAG_NAME_MAX, "%s", name);
    return t->n_classes;
}

/* "Host:port/path" -> "host/path" (host lower case), into @out of @cap bytes; its length. */
static size_t normalize(const char *host, size_t host_len, const char *path, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < host_len && host[i] != ':' && n < cap - 1; i++)
        out[n++] = (char)tolower((unsigned char)host[i]);
    for (size_t i = 0; path[i] && n < cap - 1; i++) out[n++] = path[i];
    out[n] = '\0';
    return n;
}

static int add_prefix(struct urltag_table *t, const char *text, unsigned cls, unsigned line,
                      struct e2_err *err)
{
    if (t->n == URLTAG_PREFIXES)
        return e2_err_set(err, E2BIG, "more than %d prefixes", URLTAG_PREFIXES);
    if (strlen(text) >= URLTAG_PREFIX_MAX)
        return e2_err_set(err, E2BIG, "prefix '%.20s...' is longer than %d bytes", text,
                          URLTAG_PREFIX_MAX - 1);
    if (text[0] == '/' || strstr(text, "://"))
        return e2_err_set(err, EINVAL, "'%s' is not HOST[/PATH] (no scheme, a host first)", text);
    if (t->n == t->cap) {
        unsigned cap = t->cap ? t->cap * 2 : 32;
        struct prefix *p = realloc(t->prefixes, cap * sizeof(*p));
        if (!p) return e2_err_set(err, ENOMEM, "out of memory");
        t->prefixes = p;
        t->cap = cap;
    }
    struct prefix *p = &t->prefixes[t->n];
    const char *slash = strchr(text, '/');
    size_t host_len = slash ? (size_t)(slash - text) : strlen(text);
    p->len = normalize(text, host_len, slash ? slash : "", p->text, sizeof(p->text));
    p->cls = (uint8_t)cls;
    p->line = line;
    for (unsigned i = 0; i < t->n; i++)
        if (!strcmp(t->prefixes[i].text, p->text))
            return e2_err_set(err, EEXIST, "prefix '%s' is listed already (line %u)", p->text,
                              t->prefixes[i].line);
    t->n++;
    return 0;
}

static int add_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct urltag_table *t = ctx;
    if (l->argc < 2) return e2_err_set(err, EINVAL, "a line is CLASS PREFIX [PREFIX...]");
    if (!valid_class(l->argv[0]))
        return e2_err_set(err, EINVAL, "'%s' is not a class name (letters, digits, _ -; not other)",
                          l->argv[0]);
    unsigned cls = class_of(t, l->argv[0]);
    if (!cls) return e2_err_set(err, E2BIG, "more than %d classes", URLTAG_CLASSES - 1);
    for (int i = 1; i < l->argc; i++)
        if (add_prefix(t, l->argv[i], cls, l->line, err)) return err->code;
    return 0;
}

static int longest_first(const void *a, const void *b)
{
    const struct prefix *x = a, *y = b;
    return (x->len < y->len) - (x->len > y->len);
}

int urltag_table_parse(const char *text, const char *name, struct urltag_table **out,
                       struct e2_err *err)
{
    struct urltag_table *t = calloc(1, sizeof(*t));
    if (!t) return e2_err_set(err, ENOMEM, "out of memory");
    int rc = text ? e2_conf_read_text(text, name, add_line, t, err)
                  : e2_conf_read_file(name, add_line, t, err);
    if (!rc && !t->n) rc = e2_err_set(err, EINVAL, "%s: no prefixes", name);
    if (rc) {
        urltag_table_free(t);
        return rc;
    }
    qsort(t->prefixes, t->n, sizeof(*t->prefixes), longest_first);
    *out = t;
    return 0;
}

int urltag_table_load(const char *path, struct urltag_table **out, struct e2_err *err)
{
    return urltag_table_parse(NULL, path, out, err);
}

void urltag_table_free(struct urltag_table *t)
{
    if (t) free(t->prefixes);
    free(t);
}

unsigned urltag_classes(const struct urltag_table *t)
{
    return t->n_classes;
}

const char *urltag_class_name(const struct urltag_table *t, unsigned c)
{
    if (c == 0) return "other";
    return c <= t->n_classes ? t->names[c] : NULL;
}

unsigned urltag_classify(const struct urltag_table *t, const char *host, const char *target)
{
    char url[URLTAG_PREFIX_MAX + 256];
    size_t host_len = strlen(host);
    const char *scheme = strstr(target, "://");
    if (scheme && target[0] != '/') { /* absolute form: its own authority */
        host = scheme + 3;
        const char *slash = strchr(host, '/');
        host_len = slash ? (size_t)(slash - host) : strlen(host);
        target = slash ? slash : "";
    }
    size_t n = normalize(host, host_len, target, url, sizeof(url));
    for (unsigned i = 0; i < t->n; i++)
        if (t->prefixes[i].len <= n && !memcmp(url, t->prefixes[i].text, t->prefixes[i].len))
            return t->prefixes[i].cls;
    return 0;
}

/* ---- sessions ---- */

static void on_request(void *ctx, struct e2_stream *s, void *user, const char *method,
                       const char *host, const char *target)
{
    struct urltag *u = ctx;
    struct urltag_conn *c = user;
    (void)s;
    (void)method;
    c->cls = (uint8_t)urltag_classify(u->table, host, target);
    u->requests[c->cls]++;
}

void urltag_init(struct urltag *u, FILE *log)
{
    http_init(&u->http, log);
    u->http.on_request = on_request;
    u->http.request_ctx = u;
}

void urltag_set_table(struct urltag *u, struct urltag_table *t)
{
    urltag_table_free(u->table);
    u->table = t;
    memset(u->requests, 0, sizeof(u->requests));
    memset(u->packets, 0, sizeof(u->packets));
}

void urltag_fini(struct urltag *u)
{
    urltag_table_free(u->table);
    u->table = NULL;
}

unsigned urltag_packet(struct urltag *u, const struct urltag_conn *conn)
{
    unsigned c = conn ? conn->cls : 0;
    u->packets[c]++;
    return c;
}

json_t *urltag_stats_json(const struct urltag *u)
{
    json_t *o = http_stats_json(&u->http), *req = json_object(), *pkts = json_object();
    for (unsigned c = 0; c <= urltag_classes(u->table); c++) {
        const char *name = urltag_class_name(u->table, c);
        json_object_set_new(req, name, json_integer((json_int_t)u->requests[c]));
        json_object_set_new(pkts, name, json_integer((json_int_t)u->packets[c]));
    }
    json_object_set_new(o, "class_requests", req);
    json_object_set_new(o, "class_packets", pkts);
    return o;
}
