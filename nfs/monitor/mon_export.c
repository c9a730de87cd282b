/* The monitor's exporters: JSON lines and IPFIX over UDP (mon_export.h). */
#include "mon_export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint32_t unix_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_sec;
}

int mon_export_open(struct mon_export *x, const struct mon_conf *c, struct e2_err *err)
{
    *x = (struct mon_export){.fd = -1, .domain = c->domain, .template_ns = c->template_ns};
    if (!strcmp(c->json, "-")) {
        x->json = stdout;
    } else if (c->json[0] && !(x->json = fopen(c->json, "a"))) {
        return e2_err_set(err, errno, "cannot open %s: %s", c->json, strerror(errno));
    }
    if (!c->ipfix) return 0;
    x->to = c->ipfix_to;
    x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (x->fd < 0) {
        int e = errno;
        if (x->json && x->json != stdout) fclose(x->json);
        return e2_err_set(err, e, "cannot open a UDP socket: %s", strerror(e));
    }
    return 0;
}

static void send_msg(struct mon_export *x)
{
    size_t len = ipfix_end(&x->msg);
    if (sendto(x->fd, x->msg.buf, len, 0, (const struct sockaddr *)&x->to, sizeof(x->to)) ==
        (ssize_t)len) {
        x->st.ipfix_messages++;
        x->st.ipfix_records += x->msg.records;
    } else {
        x->st.send_errors++;
    }
    x->seq += x->msg.records; /* records of a lost datagram still count (RFC 7011 §3.1) */
    x->open = false;
}

/* Begin a message; the template goes in the first and then every template_ns. */
static void begin(struct mon_export *x)
{
    bool tmpl = x->now >= x->template_due;
    ipfix_begin(&x->msg, unix_seconds(), x->seq, x->domain, tmpl);
    if (tmpl) {
        x->template_due = x->now + x->template_ns;
        x->st.ipfix_templates++;
    }
    x->open = true;
}

json_t *mon_record_json(const struct mon_record *r)
{
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
    struct in_addr a = {htonl(r->key.src_ip)}, b = {htonl(r->key.dst_ip)};
    inet_ntop(AF_INET, &a, src, sizeof(src));
    inet_ntop(AF_INET, &b, dst, sizeof(dst));
    json_t *j = json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:s, s:I}", "src_ip",
        src, "dst_ip", dst, "src_port", r->key.src_port, "dst_port", r->key.dst_port, "proto",
        r->key.proto, "packets", (json_int_t)r->packets, "bytes", (json_int_t)r->bytes,
        "packets_total", (json_int_t)r->packets_total, "bytes_total", (json_int_t)r->bytes_total,
        "start_ms", (json_int_t)r->first_ms, "end_ms", (json_int_t)r->last_ms, "duration_ms",
        (json_int_t)(r->last_ms - r->first_ms), "tcp_flags", r->tcp_flags, "app",
        mon_app_name(r->app), "url", (json_int_t)r->url);
    if (r->end) json_object_set_new(j, "reason", json_string(mon_end_name(r->end)));
    return j;
}

void mon_export_record(void *ctx, const struct mon_record *r)
{
    struct mon_export *x = ctx;
    if (x->json) {
        json_t *j = mon_record_json(r);
        json_dumpf(j, x->json, JSON_COMPACT);
        fputc('\n', x->json);
        json_decref(j);
        x->st.json_records++;
        x->json_dirty = true;
    }
    if (x->fd < 0) return;
    if (!x->open) begin(x);
    if (ipfix_add(&x->msg, r)) return;
    send_msg(x);
    begin(x);
    ipfix_add(&x->msg, r);
}

void mon_export_flush(struct mon_export *x, uint64_t now)
{
    x->now = now;
    if (x->json_dirty) fflush(x->json);
    x->json_dirty = false;
    if (x->open && x->msg.records) send_msg(x);
}

void mon_export_close(struct mon_export *x, uint64_t now)
{
    mon_export_flush(x, now);
    if (x->json && x->json != stdout) fclose(x->json);
    if (x->fd >= 0) close(x->fd);
    x->json = NULL;
    x->fd = -1;
}
