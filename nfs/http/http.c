#include "http.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUEUE      8 /* pipelined requests remembered per connection */
#define METHOD_MAX 16
#define HOST_MAX   64
#define PATH_MAX_  128

/* A request: what its log line says. */
struct req {
    char method[METHOD_MAX], host[HOST_MAX], path[PATH_MAX_];
    uint8_t m; /* enum http_method */
};

enum state {
    ST_START,       /* before a request or status line */
    ST_HEADERS,     /* header fields */
    ST_BODY,        /* remaining body bytes */
    ST_CHUNK_SIZE,  /* a chunk-size line */
    ST_CHUNK_DATA,  /* remaining chunk bytes */
    ST_CHUNK_END,   /* the CRLF after chunk data */
    ST_TRAILERS,    /* trailer fields after the last chunk */
    ST_UNTIL_CLOSE, /* a response body that ends with the connection */
    ST_OFF,         /* not parsed: an error, a tunnel, mid-stream */
};

/* One direction's parser. */
struct half {
    uint8_t state;
    bool te, te_chunked, has_len, have_req;
    int status;
    uint32_t line_len;
    char *line; /* a line cut by the end of a buffer, HTTP_LINE_MAX bytes when used */
    uint64_t clen, remaining, body;
    struct req req; /* client: the request being read; server: the request answered */
};

struct http_conn {
    struct half h[2];
    void *user;          /* the e2_streams user state (struct http_conn_ref) that holds it */
    struct req q[QUEUE]; /* requests waiting for responses, oldest at q_head */
    unsigned q_head, q_n, q_extra; /* q_extra: more beyond QUEUE, not remembered */
};

static const char *const method_names[HTTP_METHODS] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other"};

const char *http_method_name(enum http_method m)
{
    return (unsigned)m < HTTP_METHODS ? method_names[m] : "?";
}

const char *http_error_name(enum http_error e)
{
    static const char *const names[HTTP_ERRORS] = {
        "request_line",   "status_line",       "header", "line_too_long",
        "content_length", "transfer_encoding", "chunk",  "gap"};
    return (unsigned)e < HTTP_ERRORS ? names[e] : "?";
}

void http_init(struct http *h, FILE *log)
{
    *h = (struct http){.log = log};
}

/* ---- small parsers over (pointer, length) ---- */

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Up to the next SP: the word's length, or -1 when there is no SP. */
static long word(const char *p, size_t n)
{
    const char *sp = memchr(p, ' ', n);
    return sp ? sp - p : -1;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* "HTTP/1.x" */
static bool version_ok(const char *p, size_t n)
{
    return n == 8 && !memcmp(p, "HTTP/1.", 7) && p[7] >= '0' && p[7] <= '9';
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t')) (*n)--;
}

/* A Content-Length value: digits, or a list of equal ones; -1 when it is not. */
static int64_t content_length(const char *p, size_t n)
{
    int64_t v = -1;
    while (n) {
        const char *comma = memchr(p, ',', n);
        size_t len = comma ? (size_t)(comma - p) : n;
        const char *e = p;
        size_t el = len;
        trim(&e, &el);
        if (!el || el > 18) return -1;
        int64_t x = 0;
        for (size_t i = 0; i < el; i++) {
            if (e[i] < '0' || e[i] > '9') return -1;
            x = x * 10 + (e[i] - '0');
        }
        if (v >= 0 && x != v) return -1;
        v = x;
        if (!comma) break;
        p += len + 1;
        n -= len + 1;
    }
    return v;
}

/* Is the final coding of a Transfer-Encoding value chunked? */
static bool final_chunked(const char *p, size_t n)
{
    const char *last = p;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',') last = p + i + 1;
    size_t ln = (size_t)(p + n - last);
    trim(&last, &ln);
    return ln == 7 && !strncasecmp(last, "chunked", 7);
}

static bool field_is(const char *name, size_t n, const char *want)
{
    return n == strlen(want) && !strncasecmp(name, want, n);
}

/* ---- the log ---- */

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_endpoint(FILE *f, const char *key, uint32_t ip, uint16_t port)
{
    fprintf(f, "\"%s\":\"%u.%u.%u.%u:%u\",", key, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
            ip & 255, port);
}

static void log_request(struct http *h, const struct e2_stream *s, const struct req *r, int status,
                        uint64_t bytes)
{
    if (!h->log) return;
    FILE *f = h->log;
    fputc('{', f);
    put_endpoint(f, "client", s->client_ip, s->client_port);
    put_endpoint(f, "server", s->server_ip, s->server_port);
    fputs("\"method\":", f);
    put_string(f, r->method);
    fputs(",\"host\":", f);
    put_string(f, r->host);
    fputs(",\"path\":", f);
    put_string(f, r->path);
    fprintf(f, ",\"status\":%d,\"bytes\":%llu}\n", status, (unsigned long long)bytes);
    h->st.logged++;
}

/* ---- requests waiting for responses ---- */

static void push(struct http *h, struct http_conn *c, const struct req *r)
{
    h->st.pipelined += c->q_n + c->q_extra > 0;
    if (c->q_extra || c->q_n == QUEUE) {
        c->q_extra++;
        return;
    }
    c->q[(c->q_head + c->q_n++) % QUEUE] = *r;
}

/* The oldest waiting request into @r: 1, or 0 when none waits. */
static int pop(struct http_conn *c, struct req *r)
{
    if (c->q_n) {
        *r = c->q[c->q_head];
        c->q_head = (c->q_head + 1) % QUEUE;
        c->q_n--;
        return 1;
    }
    if (!c->q_extra) return 0;
    c->q_extra--;
    *r = (struct req){.method = "-", .host = "", .path = "", .m = HTTP_OTHER};
    return 1;
}

/* ---- messages ---- */

static void stop(struct http *h, struct half *hf, enum http_error e)
{
    h->st.errors[e]++;
    hf->state = ST_OFF;
}

static void tunnel(struct http *h, struct http_conn *c)
{
    h->st.tunnels++;
    c->h[0].state = c->h[1].state = ST_OFF;
}

static void begin(struct half *hf)
{
    hf->state = ST_HEADERS;
    hf->te = hf->te_chunked = hf->has_len = false;
    hf->clen = hf->body = 0;
}

static void response_done(struct http *h, struct e2_stream *s, struct half *hf)
{
    if (hf->have_req) log_request(h, s, &hf->req, hf->status, hf->body);
    hf->have_req = false;
    hf->state = ST_START;
}

static int request_line(struct http *h, struct http_conn *c, const char *p, size_t n)
{
    struct half *hf = &c->h[0];
    long m = word(p, n);
    if (m <= 0 || m >= METHOD_MAX) return -1;
    for (long i = 0; i < m; i++)
        if (!is_tchar(p[i])) return -1;
    const char *t = p + m + 1;
    size_t tn = n - (size_t)m - 1;
    long tl = word(t, tn);
    if (tl <= 0 || !version_ok(t + tl + 1, tn - (size_t)tl - 1)) return -1;
    for (long i = 0; i < tl; i++)
        if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f) return -1;
    struct req *r = &hf->req;
    memset(r, 0, sizeof(*r));
    copy_field(r->method, sizeof(r->method), p, (size_t)m);
    copy_field(r->path, sizeof(r->path), t, (size_t)tl);
    r->m = HTTP_OTHER;
    for (unsigned k = 0; k < HTTP_OTHER; k++)
        if (!strcmp(r->method, method_names[k])) r->m = (uint8_t)k;
    h->st.requests++;
    h->st.methods[r->m]++;
    begin(hf);
    return 0;
}

static int status_line(struct http *h, struct http_conn *c, const char *p, size_t n)
{
    struct half *hf = &c->h[1];
    if (n < 12 || !version_ok(p, 8) || p[8] != ' ' || (n > 12 && p[12] != ' ')) return -1;
    int code = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        code = code * 10 + (p[i] - '0');
    }
    hf->status = code;
    h->st.status[code >= 100 && code < 600 ? code / 100 : 0]++;
    begin(hf);
    if (code >= 100 && code < 200 && code != 101) {
        h->st.interim++;
        return 0; /* interim: the request still waits for its final response */
    }
    h->st.responses++;
    hf->have_req = pop(c, &hf->req) == 1;
    h->st.unsolicited += !hf->have_req;
    return 0;
}

static void header(struct http *h, struct half *hf, bool request, const char *p, size_t n)
{
    if (p[0] == ' ' || p[0] == '\t') {
        h->st.obs_fold++; /* a continuation of the previous field: ignored */
        return;
    }
    const char *colon = memchr(p, ':', n);
    size_t nl = colon ? (size_t)(colon - p) : 0;
    for (size_t i = 0; i < nl; i++)
        if (!is_tchar(p[i])) nl = 0;
    if (!nl) {
        stop(h, hf, HTTP_ERR_HEADER);
        return;
    }
    const char *v = colon + 1;
    size_t vn = n - nl - 1;
    trim(&v, &vn);
    if (field_is(p, nl, "content-length")) {
        int64_t len = content_length(v, vn);
        if (len < 0 || (hf->has_len && (uint64_t)len != hf->clen)) {
            stop(h, hf, HTTP_ERR_CONTENT_LENGTH);
            return;
        }
        hf->has_len = true;
        hf->clen = (uint64_t)len;
    } else if (field_is(p, nl, "transfer-encoding")) {
        hf->te = true;
        hf->te_chunked = final_chunked(v, vn);
    } else if (request && field_is(p, nl, "host")) {
        copy_field(hf->req.host, sizeof(hf->req.host), v, vn);
    }
}

/* The body of a message whose headers just ended, or its end. */
static void body_or_done(struct http *h, struct half *hf, bool chunked)
{
    if (hf->te && hf->has_len) h->st.te_and_cl++;
    if (chunked) {
        h->st.chunked++;
        hf->state = ST_CHUNK_SIZE;
    } else if (hf->has_len && hf->clen) {
        hf->remaining = hf->clen;
        hf->state = ST_BODY;
    } else {
        hf->state = ST_START;
    }
}

static void request_headers_end(struct http *h, struct http_conn *c, struct e2_stream *s)
{
    struct half *hf = &c->h[0];
    push(h, c, &hf->req);
    if (h->on_request)
        h->on_request(h->request_ctx, s, c->user, hf->req.method, hf->req.host, hf->req.path);
    if (hf->te && !hf->te_chunked) {
        stop(h, hf, HTTP_ERR_TRANSFER_ENCODING); /* RFC 9112 6.3: the length is unknown */
        return;
    }
    body_or_done(h, hf, hf->te);
}

static void response_headers_end(struct http *h, struct http_conn *c, struct e2_stream *s)
{
    struct half *hf = &c->h[1];
    int code = hf->status;
    bool head = hf->have_req && hf->req.m == HTTP_HEAD;
    bool connect = hf->have_req && hf->req.m == HTTP_CONNECT;
    if (code == 101 || (connect && code >= 200 && code < 300)) {
        response_done(h, s, hf);
        tunnel(h, c);
        return;
    }
    if (code < 200) {
        hf->state = ST_START; /* interim */
        return;
    }
    if (head || code == 204 || code == 304) {
        response_done(h, s, hf);
        return;
    }
    if (hf->te && !hf->te_chunked) {
        hf->state = ST_UNTIL_CLOSE;
        return;
    }
    if (!hf->te && !hf->has_len) {
        hf->state = ST_UNTIL_CLOSE;
        return;
    }
    body_or_done(h, hf, hf->te);
    if (hf->state == ST_START) response_done(h, s, hf);
}

static void message_done(struct http *h, struct e2_stream *s, struct half *hf, int dir)
{
    if (dir == 1)
        response_done(h, s, hf);
    else
        hf->state = ST_START;
}

static void chunk_size(struct http *h, struct half *hf, const char *p, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n && i < 16; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'                     ? c - '0'
                : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                         : -1;
        if (d < 0) break;
        v = v << 4 | (uint64_t)d;
    }
    /* after the digits: nothing, whitespace or an extension (RFC 9112 7.1.1) */
    if (!i || (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')) {
        stop(h, hf, HTTP_ERR_CHUNK);
        return;
    }
    hf->remaining = v;
    hf->state = v ? ST_CHUNK_DATA : ST_TRAILERS;
}

static void line(struct http *h, struct http_conn *c, struct e2_stream *s, int dir, const char *p,
                 size_t n)
{
    struct half *hf = &c->h[dir];
    switch (hf->state) {
    case ST_START:
        if (!n) return; /* empty lines before a message */
        if ((dir == 0 ? request_line(h, c, p, n) : status_line(h, c, p, n)) < 0)
            stop(h, hf, dir == 0 ? HTTP_ERR_REQUEST_LINE : HTTP_ERR_STATUS_LINE);
        return;
    case ST_HEADERS:
        if (n) {
            header(h, hf, dir == 0, p, n);
            return;
        }
        if (dir == 0)
            request_headers_end(h, c, s);
        else
            response_headers_end(h, c, s);
        return;
    case ST_CHUNK_SIZE: chunk_size(h, hf, p, n); return;
    case ST_CHUNK_END:
        if (n)
            stop(h, hf, HTTP_ERR_CHUNK);
        else
            hf->state = ST_CHUNK_SIZE;
        return;
    case ST_TRAILERS:
        if (!n) message_done(h, s, hf, dir);
        return;
    default: return;
    }
}

/* Body bytes: the part of @n that belongs to the body or chunk now read. */
static uint32_t body(struct http *h, struct e2_stream *s, struct half *hf, int dir, uint32_t n)
{
    uint32_t take = hf->remaining < n ? (uint32_t)hf->remaining : n;
    hf->remaining -= take;
    hf->body += take;
    h->st.body_bytes[dir] += take;
    if (!hf->remaining) {
        if (hf->state == ST_CHUNK_DATA)
            hf->state = ST_CHUNK_END;
        else
            message_done(h, s, hf, dir);
    }
    return take;
}

/* Bytes up to and with the next LF complete a line; without one, they wait. */
static uint32_t lines(struct http *h, struct http_conn *c, struct e2_stream *s, int dir,
                      const uint8_t *b, uint32_t n)
{
    struct half *hf = &c->h[dir];
    const uint8_t *nl = memchr(b, '\n', n);
    uint32_t take = nl ? (uint32_t)(nl - b) + 1 : n;
    if (hf->line_len + take > HTTP_LINE_MAX) {
        stop(h, hf, HTTP_ERR_LINE_TOO_LONG);
        return n;
    }
    if (!nl || hf->line_len) {
        if (!hf->line && !(hf->line = malloc(HTTP_LINE_MAX))) {
            stop(h, hf, HTTP_ERR_LINE_TOO_LONG);
            return n;
        }
        memcpy(hf->line + hf->line_len, b, take);
        hf->line_len += take;
        if (!nl) return n;
    }
    const char *p = hf->line_len ? hf->line : (const char *)b;
    size_t len = (hf->line_len ? hf->line_len : take) - 1;
    if (len && p[len - 1] == '\r') len--;
    hf->line_len = 0;
    line(h, c, s, dir, p, len);
    return take;
}

void http_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                  const uint8_t *bytes, uint32_t len)
{
    struct http *h = ctx;
    struct http_conn *c = ((struct http_conn_ref *)user)->c;
    (void)off;
    h->st.bytes[dir] += len;
    if (!c) return;
    struct half *hf = &c->h[dir];
    while (len && hf->state != ST_OFF) {
        uint32_t used;
        if (hf->state == ST_UNTIL_CLOSE) {
            hf->body += len;
            h->st.body_bytes[dir] += len;
            return;
        }
        if (hf->state == ST_BODY || hf->state == ST_CHUNK_DATA)
            used = body(h, s, hf, dir, len);
        else
            used = lines(h, c, s, dir, bytes, len);
        bytes += used;
        len -= used;
    }
}

/* A gap inside a body of known length is skipped; anywhere else the direction stops. */
static void gap(struct http *h, struct e2_stream *s, struct half *hf, int dir, uint64_t n)
{
    bool counted = hf->state == ST_BODY || hf->state == ST_CHUNK_DATA;
    if (hf->state == ST_OFF || hf->state == ST_UNTIL_CLOSE) return;
    if (!counted || n > hf->remaining || hf->line_len) {
        stop(h, hf, HTTP_ERR_GAP);
        return;
    }
    hf->remaining -= n;
    hf->body += n;
    if (!hf->remaining) body(h, s, hf, dir, 0);
}

void http_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                   uint64_t arg)
{
    struct http *h = ctx;
    struct http_conn_ref *ref = user;
    if (ev == E2_TCP_OPEN) {
        ref->c = calloc(1, sizeof(*ref->c));
        if (ref->c) ref->c->user = ref;
        if (ref->c && arg) {
            h->st.midstream++; /* no telling where messages start */
            ref->c->h[0].state = ref->c->h[1].state = ST_OFF;
        }
        return;
    }
    struct http_conn *c = ref->c;
    if (!c) return;
    if (ev == E2_TCP_GAP) gap(h, s, &c->h[dir], dir, arg);
    if (ev == E2_TCP_CLOSE && dir == 1 && c->h[1].state == ST_UNTIL_CLOSE)
        response_done(h, s, &c->h[1]);
}

void http_on_release(void *ctx, struct e2_stream *s, void *user)
{
    struct http *h = ctx;
    struct http_conn_ref *ref = user;
    struct http_conn *c = ref->c;
    if (!c) return;
    struct half *srv = &c->h[1];
    if (srv->have_req) log_request(h, s, &srv->req, srv->status, srv->body); /* cut short */
    struct req r;
    while (pop(c, &r)) {
        h->st.unanswered++;
        log_request(h, s, &r, 0, 0);
    }
    free(c->h[0].line);
    free(c->h[1].line);
    free(c);
    ref->c = NULL;
}

json_t *http_stats_json(const struct http *h)
{
    const struct http_stats *st = &h->st;
    json_t *methods = json_object(), *status = json_object(), *errors = json_object();
    for (unsigned m = 0; m < HTTP_METHODS; m++)
        json_object_set_new(methods, method_names[m], json_integer((json_int_t)st->methods[m]));
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (unsigned k = 0; k < 6; k++)
        json_object_set_new(status, classes[k], json_integer((json_int_t)st->status[k]));
    for (unsigned e = 0; e < HTTP_ERRORS; e++)
        json_object_set_new(errors, http_error_name(e), json_integer((json_int_t)st->errors[e]));
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:I, s:I}",
                     "requests", (json_int_t)st->requests, "responses", (json_int_t)st->responses,
                     "interim", (json_int_t)st->interim, "methods", methods, "status", status,
                     "errors", errors, "pipelined", (json_int_t)st->pipelined, "unanswered",
                     (json_int_t)st->unanswered, "unsolicited", (json_int_t)st->unsolicited,
                     "chunked", (json_int_t)st->chunked, "te_and_cl", (json_int_t)st->te_and_cl,
                     "obs_fold", (json_int_t)st->obs_fold, "tunnels", (json_int_t)st->tunnels,
                     "midstream", (json_int_t)st->midstream, "logged", (json_int_t)st->logged,
                     "client_body_bytes", (json_int_t)st->body_bytes[0], "server_body_bytes",
                     (json_int_t)st->body_bytes[1], "client_bytes", (json_int_t)st->bytes[0],
                     "server_bytes", (json_int_t)st->bytes[1]);
}
