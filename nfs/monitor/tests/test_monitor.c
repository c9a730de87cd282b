/*
 * The network monitor: flow accounting on crafted frames and an explicit
 * clock, application class and URL, IPFIX messages decoded here by an
 * independent reader of RFC 7011's layout, the exporters over a real UDP
 * socket and file, and the configuration file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frames.h"
#include "mon_export.h"

#define MS 1000000ull
#define S  1000000000ull

/* ---- records collected from the monitor ---- */

static struct mon_record got[4096];
static unsigned n_got;

static void collect(void *ctx, const struct mon_record *r)
{
    (void)ctx;
    if (n_got < 4096) got[n_got++] = *r;
}

static struct mon *monitor(size_t flows)
{
    n_got = 0;
    struct e2_err err = {0};
    struct mon *m = mon_create(flows, collect, NULL, 0, &err);
    if (!m) fail_msg("%s", err.msg);
    struct mon_timeouts to = {.idle = 10 * S, .active = 60 * S, .linger = 1 * S};
    mon_configure(m, &to, NULL);
    return m;
}

static uint8_t frame[1600];

static uint32_t udp(uint32_t src, uint16_t sport, uint16_t payload)
{
    return frame_build(frame, &(struct frame_spec){.proto = 17,
                                                   .src = src,
                                                   .dst = 0x0a010001,
                                                   .sport = sport,
                                                   .dport = 5000,
                                                   .payload = payload});
}

static uint32_t tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
                    const char *payload)
{
    uint16_t n = payload ? (uint16_t)strlen(payload) : 0;
    uint32_t len = frame_build(frame, &(struct frame_spec){.proto = 6,
                                                           .src = src,
                                                           .dst = dst,
                                                           .sport = sport,
                                                           .dport = dport,
                                                           .tcp_flags = flags,
                                                           .payload = n});
    if (n) memcpy(frame + 14 + 40, payload, n);
    return len;
}

static void feed(struct mon *m, uint32_t len, uint64_t now)
{
    const struct mon_flow *f;
    assert_int_equal(mon_packet(m, frame, len, now, &f), E2_PKT_OK);
    assert_non_null(f);
}

static void sweep_all(struct mon *m, uint64_t now)
{
    for (int i = 0; i < 200; i++) mon_sweep(m, now);
}

static const struct mon_record *find(uint32_t src, uint16_t sport, uint8_t end)
{
    for (unsigned i = 0; i < n_got; i++)
        if (got[i].key.src_ip == src && got[i].key.src_port == sport && got[i].end == end)
            return &got[i];
    return NULL;
}

/* ---- flow accounting ---- */

static void flows_count_packets_and_ip_bytes_per_direction(void **state)
{
    (void)state;
    struct mon *m = monitor(1024);
    for (int i = 0; i < 5; i++) feed(m, udp(0x0a000001, 1000, 100), 1 * S + i * MS);
    for (int i = 0; i < 3; i++) feed(m, udp(0x0a000002, 1000, 10), 2 * S + i * MS);
    assert_int_equal(n_got, 0);
    sweep_all(m, 11500 * MS); /* flow 1 idle since 1.004 s: gone; flow 2 not yet */
    assert_int_equal(n_got, 1);
    const struct mon_record *r = find(0x0a000001, 1000, MON_END_IDLE);
    assert_non_null(r);
    assert_int_equal(r->packets, 5);
    assert_int_equal(r->bytes, 5 * (20 + 8 + 100)); /* IP total length, not the frame */
    assert_int_equal(r->packets_total, 5);
    assert_int_equal(r->first_ms, 1000);
    assert_int_equal(r->last_ms, 1004);
    assert_int_equal(r->key.dst_ip, 0x0a010001);
    assert_int_equal(r->key.dst_port, 5000);
    assert_int_equal(r->key.proto, 17);
    assert_int_equal(r->app, MON_APP_OTHER);
    sweep_all(m, 13 * S);
    r = find(0x0a000002, 1000, MON_END_IDLE);
    assert_non_null(r);
    assert_int_equal(r->packets, 3);
    assert_int_equal(r->bytes, 3 * 38);
    struct mon_stats st;
    struct e2_flowtab_stats ts;
    mon_stats(m, &st, &ts);
    assert_int_equal(st.flows_created, 2);
    assert_int_equal(st.records[MON_END_IDLE], 2);
    assert_int_equal(ts.entries, 0);
    mon_free(m);
}

static void fin_and_rst_end_flows_after_a_linger(void **state)
{
    (void)state;
    struct mon *m = monitor(1024);
    uint32_t a = 0x0a000001, b = 0x0a000002;
    feed(m, tcp(a, b, 40000, 22, E2_TCP_SYN, NULL), 0);
    feed(m, tcp(a, b, 40000, 22, E2_TCP_ACK | E2_TCP_PSH, "hello"), 1 * MS);
    feed(m, tcp(a, b, 40000, 22, E2_TCP_FIN | E2_TCP_ACK, NULL), 2 * MS);
    feed(m, tcp(a, b, 40000, 22, E2_TCP_ACK, NULL), 500 * MS); /* within the linger: counted */
    feed(m, tcp(b, a, 22, 40000, E2_TCP_RST, NULL), 3 * MS);
    sweep_all(m, 900 * MS);
    assert_int_equal(n_got, 0);
    sweep_all(m, 1003 * MS); /* 1 s after the RST; the FIN's linger is not extended */
    assert_int_equal(n_got, 2);
    const struct mon_record *r = find(a, 40000, MON_END_EOF);
    assert_non_null(r);
    assert_int_equal(r->packets, 4);
    assert_int_equal(r->bytes, 4 * 40 + 5);
    assert_int_equal(r->tcp_flags, E2_TCP_SYN | E2_TCP_ACK | E2_TCP_PSH | E2_TCP_FIN);
    assert_int_equal(r->last_ms, 500);
    r = find(b, 22, MON_END_EOF);
    assert_non_null(r);
    assert_int_equal(r->tcp_flags, E2_TCP_RST);
    mon_free(m);
}

static void long_flows_are_reported_every_active_timeout(void **state)
{
    (void)state;
    struct mon *m = monitor(1024);
    struct mon_timeouts to = {.idle = 10 * S, .active = 2 * S, .linger = 0};
    mon_configure(m, &to, NULL);
    for (uint64_t t = 0; t < 5 * S; t += 100 * MS) feed(m, udp(0x0a000009, 7, 0), t); /* 50 */
    sweep_all(m, 20 * S);
    assert_int_equal(n_got, 3);
    uint64_t sum = 0;
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(got[i].end, MON_END_ACTIVE);
        assert_int_equal(got[i].packets, 20); /* 2 s at 10 packets per second */
        assert_int_equal(got[i].packets_total, 20 * (i + 1));
        sum += got[i].packets;
    }
    assert_int_equal(got[2].end, MON_END_IDLE);
    assert_int_equal(got[2].packets, 10);
    assert_int_equal(got[2].packets_total, 50);
    assert_int_equal(sum + got[2].packets, 50);
    assert_int_equal(got[2].bytes, 10 * 28);
    assert_int_equal(got[2].first_ms, 0);
    mon_free(m);
}

static void a_full_table_evicts_and_reports(void **state)
{
    (void)state;
    struct mon *m = monitor(16);
    for (uint32_t i = 0; i < 200; i++) feed(m, udp(0x0b000000 + i, 1, 0), i * MS);
    struct mon_stats st;
    struct e2_flowtab_stats ts;
    mon_stats(m, &st, &ts);
    assert_int_equal(st.records[MON_END_EVICTED], 200 - ts.entries);
    assert_int_equal(n_got, 200 - ts.entries);
    mon_end_all(m, MON_END_FORCED);
    assert_int_equal(n_got, 200);
    mon_stats(m, &st, &ts);
    assert_int_equal(st.records[MON_END_FORCED], 200 - st.records[MON_END_EVICTED]);
    assert_int_equal(ts.entries, 0);
    mon_free(m);
}

static void malformed_packets_are_counted_not_flows(void **state)
{
    (void)state;
    struct mon *m = monitor(64);
    uint32_t len = udp(0x0a000001, 1, 0);
    const struct mon_flow *f;
    assert_int_equal(mon_packet(m, frame, 30, 0, &f), E2_PKT_SHORT_IP);
    assert_null(f);
    frame[14] = 0x65; /* version 6 under ethertype IPv4 */
    assert_int_equal(mon_packet(m, frame, len, 0, &f), E2_PKT_BAD_VERSION);
    e2_put16(frame + 12, 0x0806);
    assert_int_equal(mon_packet(m, frame, len, 0, &f), E2_PKT_NOT_IPV4);
    struct mon_stats st;
    struct e2_flowtab_stats ts;
    mon_stats(m, &st, &ts);
    assert_int_equal(st.packets, 3);
    assert_int_equal(st.bad[E2_PKT_SHORT_IP], 1);
    assert_int_equal(st.bad[E2_PKT_BAD_VERSION], 1);
    assert_int_equal(st.bad[E2_PKT_NOT_IPV4], 1);
    assert_int_equal(ts.entries, 0);
    mon_free(m);
}

static void top_lists_flows_by_bytes(void **state)
{
    (void)state;
    struct mon *m = monitor(1024);
    static const uint16_t sizes[] = {300, 10, 500, 40, 200};
    for (uint32_t i = 0; i < 5; i++) feed(m, udp(0x0a000001 + i, 1, sizes[i]), 0);
    feed(m, udp(0x0a000002, 1, 10), 0); /* flow 2: 2 x 38 = 76 bytes */
    struct mon_record r[3];
    assert_int_equal(mon_top(m, 3, r), 3);
    assert_int_equal(r[0].key.src_ip, 0x0a000003);
    assert_int_equal(r[1].key.src_ip, 0x0a000001);
    assert_int_equal(r[2].key.src_ip, 0x0a000005);
    assert_int_equal(r[2].bytes_total, 228);
    struct mon_record all[10];
    assert_int_equal(mon_top(m, 10, all), 5);
    assert_int_equal(all[3].key.src_ip, 0x0a000002); /* 76 bytes in two packets */
    assert_int_equal(all[4].key.src_ip, 0x0a000004); /* 68 bytes */
    mon_free(m);
}

/* ---- application class and URL ---- */

static void http_urls_are_host_and_path(void **state)
{
    (void)state;
    char url[256];
    const char *req = "GET /login?next=%2F HTTP/1.1\r\nUser-Agent: t\r\nHost: Example.COM:8080 "
                      "\r\n\r\n";
    assert_int_equal(mon_http_url((const uint8_t *)req, strlen(req), url, sizeof(url)), 17);
    assert_string_equal(url, "example.com/login");
    req = "POST http://a.b/x/y#f HTTP/1.0\r\n\r\n";
    assert_true(mon_http_url((const uint8_t *)req, strlen(req), url, sizeof(url)) > 0);
    assert_string_equal(url, "a.b/x/y");
    req = "GET http://a.b HTTP/1.0\r\n";
    assert_true(mon_http_url((const uint8_t *)req, strlen(req), url, sizeof(url)) > 0);
    assert_string_equal(url, "a.b/");
    static const char *const none[] = {
        "GET /x HTTP/1.1\r\n\r\n",          /* no Host */
        "GET /x HTTP/1.1",                  /* no line end */
        "GET /x\r\nHost: a\r\n",            /* HTTP/0.9 */
        "FETCH /x HTTP/1.1\r\nHost: a\r\n", /* not a method */
        "GET x HTTP/1.1\r\nHost: a\r\n",    /* not a path */
        "GET ",
        "",
        "GET /a\x01b HTTP/1.1\r\nHost: h\r\n",  /* a control character in the path */
        "GET /ab HTTP/1.1\r\nHost: h\x7fx\r\n", /* ... in the host */
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        assert_int_equal(mon_http_url((const uint8_t *)none[i], strlen(none[i]), url, 256), 0);
    static const char nul[] = "GET /login\0x HTTP/1.1\r\nHost: h\r\n"; /* NUL: not a prefix match */
    assert_int_equal(mon_http_url((const uint8_t *)nul, sizeof(nul) - 1, url, 256), 0);
    const char *req5 = "GET /abcdef HTTP/1.1\r\nHost: h\r\n";
    assert_int_equal(mon_http_url((const uint8_t *)req5, strlen(req5), url, 5), 4);
    assert_string_equal(url, "h/ab");
}

static void classes_come_from_payload_then_ports(void **state)
{
    (void)state;
    static const uint8_t hello[] = {22, 3, 1, 0, 200, 1};
    assert_int_equal(mon_app_of_payload(hello, sizeof(hello), MON_APP_OTHER), MON_APP_TLS);
    assert_int_equal(mon_app_of_payload((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, MON_APP_TLS),
                     MON_APP_HTTP);
    assert_int_equal(mon_app_of_payload((const uint8_t *)"SSH-2.0-x\r\n", 11, MON_APP_HTTP),
                     MON_APP_OTHER);
    static const uint8_t dns[12] = {0x12, 0x34, 1, 0, 0, 1};
    assert_int_equal(mon_app_of_payload(dns, 12, MON_APP_DNS), MON_APP_DNS);
    assert_int_equal(mon_app_of_payload(dns, 11, MON_APP_DNS), MON_APP_OTHER);
    assert_int_equal(mon_app_of_ports(17, 5353, 53), MON_APP_DNS);
    assert_int_equal(mon_app_of_ports(6, 443, 5555), MON_APP_TLS);
    assert_int_equal(mon_app_of_ports(6, 5555, 8080), MON_APP_HTTP);
    assert_int_equal(mon_app_of_ports(17, 5555, 80), MON_APP_OTHER);
}

static void a_connection_gets_its_class_and_url_both_ways(void **state)
{
    (void)state;
    struct mon *m = monitor(1024);
    struct mon_url *u = mon_url_create();
    struct e2_err err = {0};
    assert_int_equal(mon_url_add(u, "example.com/login", 7, &err), 0);
    assert_int_equal(mon_url_add(u, "example.com/static/*", 9, &err), 0);
    assert_int_not_equal(mon_url_add(u, "x", 0, &err), 0);
    assert_int_equal(mon_url_lookup(u, "example.com/static/a.png"), 9);
    assert_int_equal(mon_url_lookup(u, "example.com/login/x"), 0);
    struct mon_timeouts to = {.idle = 10 * S, .active = 60 * S, .linger = 0};
    mon_configure(m, &to, u);
    uint32_t c = 0x0a000001, s = 0x0a000002;
    const struct mon_flow *f;
    tcp(c, s, 40000, 80, E2_TCP_SYN, NULL);
    mon_packet(m, frame, 54, 0, &f);
    assert_int_equal(f->app, MON_APP_HTTP); /* by port, for now */
    assert_int_equal(f->url, 0);
    uint32_t len = tcp(s, c, 80, 40000, E2_TCP_SYN | E2_TCP_ACK, NULL);
    mon_packet(m, frame, len, 1, &f);
    len = tcp(c, s, 40000, 80, E2_TCP_ACK, "GET /login HTTP/1.1\r\nHost: example.com\r\n\r\n");
    mon_packet(m, frame, len, 2, &f);
    assert_int_equal(f->app, MON_APP_HTTP);
    assert_int_equal(f->url, 7);
    len = tcp(s, c, 80, 40000, E2_TCP_ACK, "HTTP/1.1 200 OK\r\n\r\n");
    mon_packet(m, frame, len, 3, &f);
    assert_int_equal(f->url, 7); /* the reply direction inherited it */
    len = tcp(c, 0x0a000003, 40001, 80, E2_TCP_ACK, "\x16\x03\x01\x01\x05hello");
    mon_packet(m, frame, len, 4, &f);
    assert_int_equal(f->app, MON_APP_TLS); /* the payload overrules the port */
    mon_end_all(m, MON_END_FORCED);
    assert_int_equal(find(s, 80, MON_END_FORCED)->url, 7);
    assert_int_equal(find(s, 80, MON_END_FORCED)->app, MON_APP_HTTP);
    mon_free(m);
    mon_url_free(u);
}

/* ---- IPFIX, read back by an independent decoder of RFC 7011 ---- */

static uint64_t be(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < len; i++) v = v << 8 | p[i];
    return v;
}

/* The template this test expects: IANA element ids and lengths. */
static const uint16_t want_fields[][2] = {{8, 4}, {12, 4}, {7, 2},   {11, 2},  {4, 1},  {6, 2},
                                          {2, 8}, {1, 8},  {152, 8}, {153, 8}, {136, 1}};
#define WANT_N (sizeof(want_fields) / sizeof(want_fields[0]))

struct decoded {
    uint32_t export_time, seq, domain;
    bool had_template;
    unsigned records;
    uint64_t v[64][WANT_N]; /* field values per record */
};

/* Decode @len bytes as one IPFIX message; fail the test on any structural error. */
static void decode(const uint8_t *m, size_t len, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    assert_true(len >= 16);
    assert_int_equal(be(m, 2), 10);      /* version */
    assert_int_equal(be(m + 2, 2), len); /* message length */
    d->export_time = (uint32_t)be(m + 4, 4);
    d->seq = (uint32_t)be(m + 8, 4);
    d->domain = (uint32_t)be(m + 12, 4);
    size_t off = 16;
    while (off < len) {
        assert_true(off + 4 <= len);
        unsigned id = (unsigned)be(m + off, 2), slen = (unsigned)be(m + off + 2, 2);
        assert_true(slen >= 4 && off + slen <= len);
        if (id == 2) { /* template set: one template record */
            assert_int_equal(slen, 4 + 4 + 4 * WANT_N);
            assert_int_equal(be(m + off + 4, 2), 256);
            assert_int_equal(be(m + off + 6, 2), WANT_N);
            for (unsigned i = 0; i < WANT_N; i++) {
                assert_int_equal(be(m + off + 8 + 4 * i, 2), want_fields[i][0]); /* E bit 0 */
                assert_int_equal(be(m + off + 10 + 4 * i, 2), want_fields[i][1]);
            }
            d->had_template = true;
        } else {
            assert_int_equal(id, 256);
            unsigned rec = 0;
            for (unsigned i = 0; i < WANT_N; i++) rec += want_fields[i][1];
            assert_int_equal((slen - 4) % rec, 0);
            for (size_t p = off + 4; p < off + slen; p += rec, d->records++) {
                size_t q = p;
                for (unsigned i = 0; i < WANT_N; q += want_fields[i][1], i++)
                    d->v[d->records][i] = be(m + q, want_fields[i][1]);
            }
        }
        off += slen;
    }
    assert_int_equal(off, len);
}

static const struct mon_record sample = {
    .key = {.src_ip = 0x0a000001,
            .dst_ip = 0xc0a80102,
            .src_port = 40000,
            .dst_port = 443,
            .proto = 6},
    .packets = 12,
    .bytes = 3400,
    .packets_total = 20,
    .bytes_total = 5000,
    .first_ms = 1700000000123ull,
    .last_ms = 1700000004567ull,
    .tcp_flags = 0x1b,
    .end = MON_END_EOF,
};

static void assert_sample(const uint64_t *v, uint64_t packets)
{
    static const uint64_t want[WANT_N] = {
        0x0a000001,       0xc0a80102,       40000, 443, 6, 0x1b, 0, 3400,
        1700000000123ull, 1700000004567ull, 3};
    for (unsigned i = 0; i < WANT_N; i++)
        if (i != 6) assert_int_equal(v[i], want[i]);
    assert_int_equal(v[6], packets); /* packetDeltaCount: this report's, not the total */
}

static void ipfix_messages_follow_rfc7011(void **state)
{
    (void)state;
    assert_int_equal(ipfix_record_len(), 48);
    struct ipfix_msg m;
    ipfix_begin(&m, 1700000005, 77, 42, true);
    assert_true(ipfix_add(&m, &sample));
    struct mon_record r2 = sample;
    r2.packets = 99;
    assert_true(ipfix_add(&m, &r2));
    size_t len = ipfix_end(&m);
    assert_int_equal(len, 16 + (4 + 4 + 44) + 4 + 2 * 48);
    struct decoded d;
    decode(m.buf, len, &d);
    assert_true(d.had_template);
    assert_int_equal(d.export_time, 1700000005);
    assert_int_equal(d.seq, 77);
    assert_int_equal(d.domain, 42);
    assert_int_equal(d.records, 2);
    assert_sample(d.v[0], 12);
    assert_sample(d.v[1], 99);

    ipfix_begin(&m, 1, 0, 0, false); /* data only, filled to the datagram limit */
    unsigned n = 0;
    while (ipfix_add(&m, &sample)) n++;
    assert_int_equal(n, (1400 - 16 - 4) / 48);
    len = ipfix_end(&m);
    assert_true(len <= 1400);
    decode(m.buf, len, &d);
    assert_false(d.had_template);
    assert_int_equal(d.records, n);
    ipfix_begin(&m, 1, 0, 0, true); /* an empty message: the header and the template */
    assert_int_equal(ipfix_end(&m), 16 + 52);
}

/* ---- the exporters over a real socket and file ---- */

static int udp_listener(struct sockaddr_in *at)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    *at = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    assert_int_equal(bind(fd, (struct sockaddr *)at, sizeof(*at)), 0);
    socklen_t sl = sizeof(*at);
    getsockname(fd, (struct sockaddr *)at, &sl);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void exporters_send_ipfix_and_write_json_lines(void **state)
{
    (void)state;
    struct sockaddr_in at;
    int fd = udp_listener(&at);
    char path[] = "/tmp/mon_json_XXXXXX";
    close(mkstemp(path));
    struct mon_conf c = {.ipfix = true, .ipfix_to = at, .domain = 5, .template_ns = 10 * S};
    strcpy(c.json, path);
    struct mon_export x;
    struct e2_err err = {0};
    assert_int_equal(mon_export_open(&x, &c, &err), 0);
    for (int i = 0; i < 30; i++) mon_export_record(&x, &sample); /* 27 fit with the template */
    mon_export_flush(&x, 1 * S);
    mon_export_record(&x, &sample);
    mon_export_flush(&x, 2 * S); /* template not due again yet */
    mon_export_record(&x, &sample);
    mon_export_flush(&x, 12 * S);
    mon_export_record(&x, &sample);
    mon_export_close(&x, 13 * S);
    uint8_t buf[2000];
    struct decoded d;
    static const struct {
        unsigned records, seq;
        bool tmpl;
    } want[] = {{27, 0, true}, {3, 27, false}, {1, 30, false}, {1, 31, false}, {1, 32, true}};
    /* the last message began after the flush at 12 s: the template was due (10 s) */
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        assert_true(n > 0);
        decode(buf, (size_t)n, &d);
        assert_int_equal(d.records, want[i].records);
        assert_int_equal(d.seq, want[i].seq);
        assert_int_equal(d.domain, 5);
        assert_int_equal(d.had_template, want[i].tmpl);
        assert_sample(d.v[0], 12);
    }
    assert_int_equal(x.st.ipfix_records, 33);
    assert_int_equal(x.st.ipfix_messages, 5);
    close(fd);
    FILE *f = fopen(path, "r");
    char line[1024];
    unsigned lines = 0;
    while (fgets(line, sizeof(line), f)) lines++;
    fclose(f);
    assert_int_equal(lines, 33);
    assert_non_null(strstr(line, "\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"192.168.1.2\""));
    assert_non_null(strstr(line, "\"packets\":12,\"bytes\":3400,\"packets_total\":20"));
    assert_non_null(strstr(line, "\"duration_ms\":4444"));
    assert_non_null(strstr(line, "\"reason\":\"eof\""));
    unlink(path);
}

/* ---- configuration ---- */

static void conf_reads_statements(void **state)
{
    (void)state;
    struct mon_conf c;
    struct e2_err err = {0};
    assert_int_equal(mon_conf_load(&c,
                                   "idle-timeout 5s\nactive-timeout 1m\nfin-linger 0\nflows 1000\n"
                                   "json -\nipfix 127.0.0.1:4739 domain 7 template-refresh 10s\n"
                                   "url example.com/login 3\nurl \"a.b/c d*\" 4\n",
                                   NULL, &err),
                     0);
    assert_int_equal(c.to.idle, 5 * S);
    assert_int_equal(c.to.active, 60 * S);
    assert_int_equal(c.to.linger, 0);
    assert_int_equal(c.flows, 1000);
    assert_string_equal(c.json, "-");
    assert_true(c.ipfix);
    assert_int_equal(ntohs(c.ipfix_to.sin_port), 4739);
    assert_int_equal(c.domain, 7);
    assert_int_equal(c.template_ns, 10 * S);
    assert_int_equal(mon_url_lookup(c.urls, "a.b/c dx"), 4);
    mon_conf_free(&c);
    assert_int_equal(mon_conf_load(&c, NULL, NULL, &err), 0);
    assert_int_equal(c.to.idle, 30 * S); /* defaults */
    assert_int_equal(c.flows, 65536);
    assert_false(c.ipfix);
    assert_string_equal(c.json, "");
    mon_conf_free(&c);
}

static void conf_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"idle-timeout 5x\n",
         "(options):1: idle-timeout '5x' is not a duration (e.g. 30s, 500ms, 2m)"},
        {"\nflows 5\n", "(options):2: flows '5' is not a number from 16 to 16777216"},
        {"json a\njson b\n", "(options):2: json is given twice"},
        {"ipfix 127.0.0.1\n", "(options):1: '127.0.0.1' is not ADDR:PORT"},
        {"ipfix host:99\n", "(options):1: 'host' is not an IPv4 address"},
        {"ipfix 1.2.3.4:0\n", "(options):1: port '0' is not a number from 1 to 65535"},
        {"ipfix 1.2.3.4:9 domian 3\n",
         "(options):1: unknown word 'domian' (domain, template-refresh)"},
        {"ipfix 1.2.3.4:9 domain\n", "(options):1: 'domain' wants a value"},
        {"url x.com/a\n", "(options):1: url wants PATTERN VALUE"},
        {"url x.com/a 0\n", "(options):1: tag value '0' is not a number from 1 to 4294967295"},
        {"idle-timeout\n", "(options):1: idle-timeout wants one value"},
        {"sample 1/100\n", "(options):1: unknown statement 'sample' (idle-timeout, active-timeout, "
                           "fin-linger, flows, json, ipfix, url)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mon_conf c;
        struct e2_err err = {0};
        assert_int_not_equal(mon_conf_load(&c, cases[i].text, NULL, &err), 0);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flows_count_packets_and_ip_bytes_per_direction),
        cmocka_unit_test(fin_and_rst_end_flows_after_a_linger),
        cmocka_unit_test(long_flows_are_reported_every_active_timeout),
        cmocka_unit_test(a_full_table_evicts_and_reports),
        cmocka_unit_test(malformed_packets_are_counted_not_flows),
        cmocka_unit_test(top_lists_flows_by_bytes),
        cmocka_unit_test(http_urls_are_host_and_path),
        cmocka_unit_test(classes_come_from_payload_then_ports),
        cmocka_unit_test(a_connection_gets_its_class_and_url_both_ways),
        cmocka_unit_test(ipfix_messages_follow_rfc7011),
        cmocka_unit_test(exporters_send_ipfix_and_write_json_lines),
        cmocka_unit_test(conf_reads_statements),
        cmocka_unit_test(conf_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
