/*
 * The NAT's counters and state as JSON, for its control socket ("stats",
 * "mappings") and its exit line.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "nat_impl.h"

#define SESSIONS_SHOWN 16

const char *nat_drop_name(enum nat_drop d)
{
    static const char *const names[NAT_DROP_COUNT] = {
        [NAT_DROP_MALFORMED] = "malformed",
        [NAT_DROP_FRAGMENT] = "fragment",
        [NAT_DROP_PROTO] = "unsupported_proto",
        [NAT_DROP_NO_SESSION] = "no_session",
        [NAT_DROP_NO_MAPPING] = "no_mapping",
        [NAT_DROP_FILTERED] = "filtered",
        [NAT_DROP_POOL] = "pool_exhausted",
        [NAT_DROP_ICMP_TYPE] = "icmp_type",
        [NAT_DROP_ICMP_QUOTE] = "icmp_quote",
        [NAT_DROP_ICMP_UNMATCHED] = "icmp_unmatched",
        [NAT_DROP_ICMP_CHECKSUM] = "icmp_checksum",
        [NAT_DROP_HAIRPIN] = "hairpin_off",
        [NAT_DROP_OTHER] = "other",
    };
    return (unsigned)d < NAT_DROP_COUNT ? names[d] : "unknown";
}

const char *nat_proto_name(enum nat_proto p)
{
    static const char *const names[NAT_NPROTO] = {"tcp", "udp", "icmp"};
    return (unsigned)p < NAT_NPROTO ? names[p] : "unknown";
}

static json_t *per_proto(const uint64_t v[NAT_NPROTO])
{
    json_t *o = json_object();
    for (int p = 0; p < NAT_NPROTO; p++)
        json_object_set_new(o, nat_proto_name((enum nat_proto)p), json_integer((json_int_t)v[p]));
    return o;
}

json_t *nat_stats_json(const struct nat *n)
{
    const struct nat_stats *s = &n->st;
    size_t mappings, sessions;
    nat_counts(n, &mappings, &sessions);
    json_t *drops = json_object(), *status = json_object();
    for (int d = 0; d < NAT_DROP_COUNT; d++)
        json_object_set_new(drops, nat_drop_name((enum nat_drop)d),
                            json_integer((json_int_t)s->drops[d]));
    for (int st = 0; st < E2_PKT_STATUS_COUNT; st++)
        json_object_set_new(status, e2_pkt_status_name((enum e2_pkt_status)st),
                            json_integer((json_int_t)s->status[st]));
    return json_pack(
        "{s:{s:o,s:o}, s:{s:I,s:o,s:o,s:I}, s:{s:I,s:o,s:o,s:I}, s:o, s:{s:I,s:I}, s:I,s:I,s:I, "
        "s:o, s:o}",
        "translated", "out", per_proto(s->translated_out), "in", per_proto(s->translated_in),
        "mappings", "active", (json_int_t)mappings, "created", per_proto(s->mappings_created),
        "expired", per_proto(s->mappings_expired), "port_preserved", (json_int_t)s->port_preserved,
        "sessions", "active", (json_int_t)sessions, "created", per_proto(s->sessions_created),
        "expired", per_proto(s->sessions_expired), "evicted", (json_int_t)s->sessions_evicted,
        "pool_exhausted", per_proto(s->pool_exhausted), "icmp_errors_translated", "in",
        (json_int_t)s->icmp_errors_in, "out", (json_int_t)s->icmp_errors_out, "hairpinned",
        (json_int_t)s->hairpinned, "passed", (json_int_t)s->passed, "flushes",
        (json_int_t)s->flushes, "drops", drops, "status", status);
}

static json_t *endpoint(uint32_t ip, uint16_t port)
{
    char buf[INET_ADDRSTRLEN + 8];
    struct in_addr a = {.s_addr = htonl(ip)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
    snprintf(buf + strlen(buf), 8, ":%u", port);
    return json_string(buf);
}

static json_t *session_json(const struct e2_flow_entry *so, uint64_t now)
{
    const struct nat_session *s = NAT_DATA(so, const struct nat_session);
    double left = so->expires > now ? (double)(so->expires - now) / 1e9 : 0;
    json_t *o = json_pack("{s:o,s:f,s:I,s:I}", "remote", endpoint(so->key.dst_ip, so->key.dst_port),
                          "expires_in_s", left, "pkts_out", (json_int_t)s->pkts_out, "pkts_in",
                          (json_int_t)s->pkts_in);
    if (so->key.proto == 6)
        json_object_set_new(o, "state", json_string(nat_tcp_state_name(s->tcp)));
    return o;
}

struct listing {
    const struct nat_filter *f;
    uint64_t now;
    json_t *list;
    size_t matched;
};

static bool matches(const struct nat_filter *f, const struct e2_flow_entry *me)
{
    const struct nat_mapping *m = NAT_DATA(me, const struct nat_mapping);
    if (f->proto >= 0 && me->key.proto != nat_proto_num[f->proto]) return false;
    if (f->inside_ip && me->key.src_ip != f->inside_ip) return false;
    if (f->public_ip && m->ext_ip != f->public_ip) return false;
    return f->port < 0 || me->key.src_port == f->port || m->ext_port == f->port;
}

static void list_one(void *ctx, struct e2_flow_entry *me)
{
    struct listing *l = ctx;
    if (!matches(l->f, me)) return;
    if (l->matched++ >= l->f->limit) return;
    const struct nat_mapping *m = NAT_DATA(me, const struct nat_mapping);
    json_t *sessions = json_array();
    unsigned shown = 0;
    for (const struct e2_flow_entry *e = m->sessions; e && shown < SESSIONS_SHOWN;
         e = NAT_DATA(e, const struct nat_session)->next, shown++)
        json_array_append_new(sessions, session_json(e, l->now));
    json_array_append_new(l->list,
                          json_pack("{s:s,s:o,s:o,s:I,s:o}", "proto",
                                    nat_proto_name((enum nat_proto)nat_proto_index(me->key.proto)),
                                    "inside", endpoint(me->key.src_ip, me->key.src_port), "public",
                                    endpoint(m->ext_ip, m->ext_port), "session_count",
                                    (json_int_t)m->n_sessions, "sessions", sessions));
}

json_t *nat_mappings_json(struct nat *n, const struct nat_filter *f, uint64_t now)
{
    struct listing l = {.f = f, .now = now, .list = json_array()};
    e2_flowtab_foreach(n->map, list_one, &l);
    return json_pack("{s:I,s:o}", "matched", (json_int_t)l.matched, "mappings", l.list);
}
