#include "ids.h"

#include <string.h>

#include "e2_conf.h"

static const char *const verdict_names[IDS_VERDICTS] = {"clean", "suspicious", "malicious",
                                                        "unknown"};

const char *ids_verdict_name(enum ids_verdict v)
{
    return v < IDS_VERDICTS ? verdict_names[v] : "?";
}

/* A verdict only rises: clean < suspicious < unknown < malicious. */
static void raise_verdict(struct ids_conn *c, enum ids_verdict v)
{
    static const uint8_t rank[IDS_VERDICTS] = {0, 1, 3, 2};
    if (rank[v] > rank[c->verdict]) c->verdict = (uint8_t)v;
}

/* ---- rules against a match ---- */

static bool addr_in(const struct ids_addr *a, uint32_t ip)
{
    uint32_t mask = a->len ? ~0u << (32 - a->len) : 0;
    return ((ip & mask) == a->ip) != a->negated;
}

static bool port_in(const struct ids_ports *p, uint16_t port)
{
    return (port >= p->lo && port <= p->hi) != p->negated;
}

static bool one_way(const struct ids_rule *r, uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp)
{
    return addr_in(&r->src, sip) && port_in(&r->sport, sp) && addr_in(&r->dst, dip) &&
           port_in(&r->dport, dp);
}

/* The rule applies to @a's protocol and direction, and its content lies within offset/depth. */
static bool applies(const struct ids_rule *r, const struct ids_alert *a)
{
    if (r->proto != a->proto) return false;
    if (!one_way(r, a->src_ip, a->src_port, a->dst_ip, a->dst_port) &&
        !(r->bidir && one_way(r, a->dst_ip, a->dst_port, a->src_ip, a->src_port)))
        return false;
    uint64_t start = a->end - r->content_len;
    return start >= r->offset && (!r->depth || a->end <= (uint64_t)r->offset + r->depth);
}

/* Where the bytes being matched went: a connection's direction or a datagram. */
static void endpoints(const struct ids *ids, struct ids_alert *a)
{
    if (ids->cur.dgram) {
        const struct e2_pkt *p = ids->cur.dgram;
        *a = (struct ids_alert){.proto = 17,
                                .src_ip = p->src_ip,
                                .dst_ip = p->dst_ip,
                                .src_port = p->src_port,
                                .dst_port = p->dst_port};
        e2_flow_key_of(p, &a->flow);
        return;
    }
    const struct e2_stream *s = ids->cur.st;
    bool up = ids->cur.dir == 0;
    *a = (struct ids_alert){.proto = 6,
                            .src_ip = up ? s->client_ip : s->server_ip,
                            .dst_ip = up ? s->server_ip : s->client_ip,
                            .src_port = up ? s->client_port : s->server_port,
                            .dst_port = up ? s->server_port : s->client_port,
                            .flow = {.src_ip = s->client_ip,
                                     .dst_ip = s->server_ip,
                                     .src_port = s->client_port,
                                     .dst_port = s->server_port,
                                     .proto = 6}};
}

/* The first alert of a flow asks for a block: a connection's first, a UDP flow's newest. */
static bool first_of_flow(struct ids *ids, const struct ids_alert *a)
{
    if (ids->cur.conn) return ids->cur.conn->alerts == 0;
    if (!memcmp(&ids->last_udp_block, &a->flow, sizeof(a->flow))) return false;
    ids->last_udp_block = a->flow;
    return true;
}

static void on_match(void *ctx, const struct sig_rules *set, unsigned pattern, uint64_t end)
{
    struct ids *ids = ctx;
    unsigned n;
    struct ids_rule *r = &ids_rules_of(set, &n)[pattern];
    struct ids_alert a;
    endpoints(ids, &a);
    a.end = end;
    if (!applies(r, &a)) return;
    a.sid = r->sid;
    a.rev = r->rev;
    a.priority = r->priority;
    memcpy(a.msg, r->msg, sizeof(a.msg));
    a.first = first_of_flow(ids, &a);
    r->alerts++;
    ids->alerts++;
    ids->cur.hit = true;
    if (ids->cur.conn) {
        ids->conns_alerted += ids->cur.conn->alerts++ == 0;
        raise_verdict(ids->cur.conn, IDS_MALICIOUS);
    }
    ids->recent[ids->recent_next++ % IDS_RECENT] = a;
    if (ids->alert) ids->alert(ids->alert_ctx, &a);
}

/* ---- life ---- */

void ids_init(struct ids *ids)
{
    ids->sig.on_match = on_match;
    ids->sig.match_ctx = ids;
}

int ids_install(struct ids *ids, struct sig_rules *r, struct e2_err *err)
{
    return sig_install(&ids->sig, r, err);
}

void ids_fini(struct ids *ids)
{
    sig_fini(&ids->sig);
}

/* ---- streams ---- */

void ids_on_data(void *ctx, struct e2_stream *st, void *user, int dir, uint64_t off,
                 const uint8_t *bytes, uint32_t len)
{
    struct ids *ids = ctx;
    ids->cur.st = st;
    ids->cur.conn = user;
    ids->cur.dir = dir;
    ids->cur.dgram = NULL;
    sig_on_data(&ids->sig, st, user, dir, off, bytes, len);
}

void ids_on_event(void *ctx, struct e2_stream *st, void *user, int dir, enum e2_tcp_event ev,
                  uint64_t arg)
{
    struct ids *ids = ctx;
    struct ids_conn *c = user;
    sig_on_event(&ids->sig, st, user, dir, ev, arg);
    if (ev == E2_TCP_GAP || (ev == E2_TCP_ANOMALY && arg == E2_TCP_ANOMALY_NO_MEMORY))
        raise_verdict(c, IDS_UNKNOWN);
    else if (ev == E2_TCP_ANOMALY)
        raise_verdict(c, IDS_SUSPICIOUS);
}

void ids_on_release(void *ctx, struct e2_stream *st, void *user)
{
    struct ids *ids = ctx;
    sig_on_release(&ids->sig, st, user);
}

/* ---- packets ---- */

static enum ids_verdict datagram(struct ids *ids, const struct e2_pkt *p)
{
    uint32_t end = (uint32_t)p->l4_off + p->l4_len;
    ids->datagrams++;
    ids->cur.dgram = p;
    ids->cur.conn = NULL;
    ids->cur.hit = false;
    sig_scan_datagram(&ids->sig, p->frame + p->payload_off, end - p->payload_off);
    ids->cur.dgram = NULL;
    ids->datagram_alerts += ids->cur.hit;
    return ids->cur.hit ? IDS_MALICIOUS : IDS_CLEAN;
}

enum ids_verdict ids_packet(struct ids *ids, const struct e2_pkt *p, void *conn)
{
    enum ids_verdict v = IDS_CLEAN;
    if (!p)
        v = IDS_UNKNOWN;
    else if (conn)
        v = ((struct ids_conn *)conn)->verdict;
    else if (p->proto == 17 && !p->is_frag)
        v = datagram(ids, p);
    ids->packets[v]++;
    return v;
}

/* ---- reports ---- */

json_t *ids_stats_json(const struct ids *ids)
{
    json_t *o = sig_stats_json(&ids->sig);
    json_t *packets = json_object();
    for (unsigned v = 0; v < IDS_VERDICTS; v++)
        json_object_set_new(packets, verdict_names[v], json_integer((json_int_t)ids->packets[v]));
    json_object_set_new(o, "rules", json_integer(sig_rules_count(ids->sig.rules)));
    json_object_set_new(o, "alerts", json_integer((json_int_t)ids->alerts));
    json_object_set_new(o, "conns_alerted", json_integer((json_int_t)ids->conns_alerted));
    json_object_set_new(o, "datagrams", json_integer((json_int_t)ids->datagrams));
    json_object_set_new(o, "datagram_alerts", json_integer((json_int_t)ids->datagram_alerts));
    json_object_set_new(o, "verdicts", packets);
    return o;
}

json_t *ids_rules_json(const struct ids *ids)
{
    unsigned n;
    const struct ids_rule *r = ids_rules_of(ids->sig.rules, &n);
    json_t *a = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:I, s:I, s:s, s:s, s:I, s:I}", "sid",
                                        (json_int_t)r[i].sid, "rev", (json_int_t)r[i].rev, "msg",
                                        r[i].msg, "proto", r[i].proto == 6 ? "tcp" : "udp", "line",
                                        (json_int_t)r[i].line, "alerts", (json_int_t)r[i].alerts));
    return a;
}

static json_t *addr_json(uint32_t ip)
{
    char s[16];
    return json_string(e2_conf_ipv4_text(ip, s));
}

json_t *ids_alerts_json(const struct ids *ids, unsigned limit)
{
    json_t *a = json_array();
    unsigned have = ids->recent_next < IDS_RECENT ? ids->recent_next : IDS_RECENT;
    for (unsigned i = 0; i < have && i < limit; i++) {
        const struct ids_alert *x = &ids->recent[(ids->recent_next - 1 - i) % IDS_RECENT];
        json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:s, s:o, s:I, s:o, s:I, s:I}", "sid",
                                           (json_int_t)x->sid, "rev", (json_int_t)x->rev, "msg",
                                           x->msg, "proto", x->proto == 6 ? "tcp" : "udp", "src",
                                           addr_json(x->src_ip), "sport", (json_int_t)x->src_port,
                                           "dst", addr_json(x->dst_ip), "dport",
                                           (json_int_t)x->dst_port, "end", (json_int_t)x->end));
    }
    return a;
}
