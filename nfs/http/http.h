/*
 * http — an HTTP/1.x parser over TCP streams: the HTTP NF of the E2 paper's
 * bytestream experiment (§7.1), what URL filters and web loggers build on.
 *
 * Each connection's client stream is read as requests and its server
 * stream as responses (RFC 9112), incrementally, whatever the bytes and
 * wherever the stream is cut:
 *   - request line (method SP target SP HTTP/1.x) and status line; empty
 *     lines before a message are skipped and a bare LF ends a line (§2.2);
 *   - header fields (name ":" OWS value OWS); Host, Content-Length (a list of
 *     equal values is one value, differing ones are an error, §6.3 and RFC
 *     9110 §8.6), Transfer-Encoding (chunked when it is the final coding);
 *     obs-fold lines are ignored and counted;
 *   - message bodies (§6.3): none for responses to HEAD, 1xx, 204 and 304;
 *     a 2xx to CONNECT and a 101 turn the connection into a tunnel (no more
 *     parsing); chunked (sizes, extensions, trailers) before Content-Length
 *     (both present is counted: a smuggling sign); a response with neither
 *     runs until the server closes; a request with Transfer-Encoding but not
 *     chunked last is an error;
 *   - pipelining: requests wait in order and each final response takes the
 *     oldest (1xx are interim and take none).
 * A direction that breaks the grammar (or a line over 8 KiB) stops being
 * parsed: there is no sure way to find the next message. A gap inside a
 * body of known length is skipped over; elsewhere it stops the direction
 * too. A connection picked up mid-stream is not parsed.
 *
 * Counters: requests per method, responses per status class, errors,
 * pipelined requests, unanswered ones. With a log file, each request
 * becomes one JSON line when its response ends (or, unanswered, when the
 * connection does): client, server, method, host, path, status (0 when
 * unanswered), bytes (the response's body bytes, without chunk framing).
 *
 * Pure C over e2_streams callbacks; main.c is the NF glue.
 */
#ifndef HTTP_H
#define HTTP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "e2_streams.h"

#define HTTP_LINE_MAX 8192

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_CONNECT,
    HTTP_OPTIONS,
    HTTP_TRACE,
    HTTP_PATCH,
    HTTP_OTHER,
    HTTP_METHODS,
};

enum http_error {
    HTTP_ERR_REQUEST_LINE,
    HTTP_ERR_STATUS_LINE,
    HTTP_ERR_HEADER,
    HTTP_ERR_LINE_TOO_LONG,
    HTTP_ERR_CONTENT_LENGTH,
    HTTP_ERR_TRANSFER_ENCODING,
    HTTP_ERR_CHUNK,
    HTTP_ERR_GAP,
    HTTP_ERRORS,
};

const char *http_method_name(enum http_method m);
const char *http_error_name(enum http_error e);

struct http_stats {
    uint64_t requests, responses, interim; /**< interim: 1xx */
    uint64_t methods[HTTP_METHODS];
    uint64_t status[6]; /**< [1..5]: 1xx..5xx; [0]: other codes */
    uint64_t errors[HTTP_ERRORS];
    uint64_t pipelined;   /**< requests that came while others waited for responses */
    uint64_t unanswered;  /**< requests without a response when the connection ended */
    uint64_t unsolicited; /**< responses without a request */
    uint64_t chunked, te_and_cl, obs_fold, tunnels, midstream, logged;
    uint64_t body_bytes[2]; /**< message body bytes per direction, framing excluded */
    uint64_t bytes[2];      /**< stream bytes seen per direction */
};

/**
 * A request's header block ended: its method, Host (as sent, "" when none)
 * and target, on connection @s whose e2_streams user state is @user (an NF
 * that keeps more per connection puts struct http_conn_ref first in it).
 */
typedef void (*http_request_fn)(void *ctx, struct e2_stream *s, void *user, const char *method,
                                const char *host, const char *target);

struct http {
    FILE *log;                  /**< JSON lines, or NULL */
    http_request_fn on_request; /**< optional, with request_ctx */
    void *request_ctx;
    struct http_stats st;
};

/** Per-connection state: e2_streams user state of this size (the parsers live behind it). */
struct http_conn_ref {
    struct http_conn *c;
};

void http_init(struct http *h, FILE *log);

/** The e2_streams callbacks (ctx: the struct http). */
void http_on_data(void *ctx, struct e2_stream *s, void *user, int dir, uint64_t off,
                  const uint8_t *bytes, uint32_t len);
void http_on_event(void *ctx, struct e2_stream *s, void *user, int dir, enum e2_tcp_event ev,
                   uint64_t arg);
void http_on_release(void *ctx, struct e2_stream *s, void *user);

json_t *http_stats_json(const struct http *h);

#endif
