/*
 * urltag — URL classes for the packets of HTTP sessions: the HTTP logger
 * that tags packets with their session's URL, and the standalone URL
 * classifier, of the E2 paper's Fig. 8 (§7.1).
 *
 * A URL table (urltag_table_parse) names classes and the URL prefixes that
 * belong to them. Each connection's HTTP requests are parsed by nfs/http
 * (RFC 9112: request line, Host, pipelining, bodies); when a request's
 * header block ends, its URL — the Host (lower case, without a port) and
 * the target's path ("www.example.com/static/a.css"; an absolute-form target
 * "http://host/path" gives its own host) — is looked up, longest prefix
 * first, and its class becomes the connection's: the class of its session
 * URL. Every packet of the connection, both ways, then carries that class
 * until the next request changes it; packets before a connection's first
 * request, and of anything that is not TCP, get class 0 ("other").
 *
 * Pure C over e2_streams and http.h; main.c is the NF glue (the class as a
 * metadata tag or as the output port).
 */
#ifndef URLTAG_H
#define URLTAG_H

#include <jansson.h>

#include "e2_err.h"
#include "http.h"

#define URLTAG_CLASSES    64 /* class numbers 1..63; 0 is "other" */
#define URLTAG_NAME_MAX   32
#define URLTAG_PREFIX_MAX 192
#define URLTAG_PREFIXES   4096

/** A URL table: class names and prefixes. */
struct urltag_table;

/**
 * Parse URL-table text @text (named @name in errors). One statement a line:
 *   CLASS PREFIX [PREFIX...]
 * CLASS: letters, digits, _ and - (not "other"), numbered 1, 2, ... in the
 * order they first appear; PREFIX: HOST[/PATH...] (the host matched without
 * case), unique in the table. '#' starts a comment. Errors name FILE:LINE.
 * @text NULL: read the file @name.
 */
int urltag_table_parse(const char *text, const char *name, struct urltag_table **out,
                       struct e2_err *err);
int urltag_table_load(const char *path, struct urltag_table **out, struct e2_err *err);
void urltag_table_free(struct urltag_table *t);

/** Classes in the table (without "other"); the name of class @c (0: "other"; NULL past). */
unsigned urltag_classes(const struct urltag_table *t);
const char *urltag_class_name(const struct urltag_table *t, unsigned c);

/** The class of @host (any case, a ":port" is ignored) and @target (origin or absolute form). */
unsigned urltag_classify(const struct urltag_table *t, const char *host, const char *target);

/** Per-connection state (e2_streams user state of this size). */
struct urltag_conn {
    struct http_conn_ref http; /* first: http.h's own */
    uint8_t cls;
};

/** The NF's state: the HTTP parser (with its log) and the table. */
struct urltag {
    struct http http; /* first: the stream callbacks get this as http.h's state */
    struct urltag_table *table;
    uint64_t requests[URLTAG_CLASSES], packets[URLTAG_CLASSES];
};

/** Start with @log (JSON lines of requests, or NULL); the table comes with urltag_set_table. */
void urltag_init(struct urltag *u, FILE *log);
/** Make @t current (the old one is freed); connections keep their classes. */
void urltag_set_table(struct urltag *u, struct urltag_table *t);
void urltag_fini(struct urltag *u);

/** The class of a packet whose connection's user state is @conn (NULL: not TCP); counted. */
unsigned urltag_packet(struct urltag *u, const struct urltag_conn *conn);

/** Counters: requests and packets per class, and http.h's. */
json_t *urltag_stats_json(const struct urltag *u);

#endif
