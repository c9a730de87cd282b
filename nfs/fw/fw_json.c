#include "fw_json.h"

#include <errno.h>
#include <stdio.h>

#include "e2_conf.h"

static const char *target_name(uint8_t verdict)
{
    return verdict == FW_SAFE ? "ACCEPT" : "DROP";
}

static json_t *rule_json(const struct fw_ruleset *rs, uint32_t i)
{
    return json_pack("{s:i, s:s, s:s, s:I, s:I}", "line", (int)rs->rules[i].line, "rule",
                     rs->rules[i].text, "target", target_name(rs->rules[i].verdict), "packets",
                     (json_int_t)rs->packets[i], "bytes", (json_int_t)rs->bytes[i]);
}

json_t *fw_rules_json(const struct fw *fw)
{
    const struct fw_ruleset *rs = fw_rules(fw);
    json_t *rules = json_array();
    for (uint32_t i = 0; i < rs->n; i++) json_array_append_new(rules, rule_json(rs, i));
    return json_pack("{s:o, s:{s:s, s:I, s:I}, s:s}", "rules", rules, "policy", "target",
                     target_name(rs->policy), "packets", (json_int_t)rs->packets[rs->n], "bytes",
                     (json_int_t)rs->bytes[rs->n], "classifier", rs->cls->name);
}

static json_t *counts_json(const uint64_t *v, unsigned n, const char *(*name)(unsigned),
                           unsigned from)
{
    json_t *o = json_object();
    for (unsigned i = from; i < n; i++)
        json_object_set_new(o, name(i), json_integer((json_int_t)v[i]));
    return o;
}

static const char *state_name(unsigned s)
{
    return fw_ctstate_name((enum fw_ctstate)s);
}

static const char *status_name(unsigned s)
{
    return e2_pkt_status_name((enum e2_pkt_status)s);
}

json_t *fw_stats_json(struct fw *fw)
{
    const struct fw_stats *s = fw_stats(fw);
    struct e2_flowtab_stats ct;
    fw_conn_table_stats(fw, &ct);
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I}", "packets",
        (json_int_t)s->packets, "bytes", (json_int_t)s->bytes, "safe", (json_int_t)s->safe,
        "unsafe", (json_int_t)s->unsafe, "states",
        counts_json(s->state, FW_CT_COUNT, state_name, 0), "arp", (json_int_t)s->arp, "not_ipv4",
        (json_int_t)s->not_ipv4, "fragments", (json_int_t)s->fragments, "blocked",
        (json_int_t)s->blocked, "malformed",
        counts_json(s->malformed, E2_PKT_STATUS_COUNT, status_name, E2_PKT_SHORT_L2), "classified",
        (json_int_t)s->classified, "cache_hits", (json_int_t)s->cache_hits, "tcp_invalid",
        (json_int_t)s->tcp_invalid, "bad_signals", (json_int_t)s->bad_signals);
    json_object_set_new(o, "conns",
                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "active", (json_int_t)ct.entries,
                                  "capacity", (json_int_t)ct.capacity, "created",
                                  (json_int_t)s->conns_created, "expired", (json_int_t)ct.expired,
                                  "evicted", (json_int_t)ct.evicted));
    json_object_set_new(o, "blocks",
                        json_pack("{s:I, s:I}", "active", (json_int_t)fw_block_count(fw), "added",
                                  (json_int_t)s->blocks_added));
    json_object_update_new(o, fw_rules_json(fw));
    return o;
}

static void ip_text(uint32_t ip, char *buf, size_t n)
{
    snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

struct conns_walk {
    json_t *list;
    size_t limit;
    uint64_t now;
};

static void conn_json(void *ctx, const struct fw_conn_info *c)
{
    struct conns_walk *w = ctx;
    if (json_array_size(w->list) >= w->limit) return;
    char src[16], dst[16];
    ip_text(c->orig.src_ip, src, sizeof(src));
    ip_text(c->orig.dst_ip, dst, sizeof(dst));
    double left = c->expires > w->now ? (double)(c->expires - w->now) / 1e9 : 0;
    json_array_append_new(w->list,
                          json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:b, s:f}", "src", src, "dst",
                                    dst, "proto", c->orig.proto, "sport", c->orig.src_port, "dport",
                                    c->orig.dst_port, "tcp_state", c->proto_state, "replied",
                                    c->replied, "expires_in", left));
}

json_t *fw_conns_json(struct fw *fw, size_t limit, uint64_t now)
{
    struct conns_walk w = {.list = json_array(), .limit = limit, .now = now};
    fw_conn_foreach(fw, conn_json, &w);
    return json_pack("{s:I, s:o}", "active", (json_int_t)fw_conn_count(fw), "conns", w.list);
}

/* A number field of @req in [0, max] (absent: 0). */
static int uint_field(const json_t *req, const char *name, uint64_t max, uint64_t *v,
                      struct e2_err *err)
{
    const json_t *j = json_object_get(req, name);
    *v = 0;
    if (!j) return 0;
    if (json_is_string(j)) return e2_conf_uint(json_string_value(j), name, 0, max, v, err);
    if (!json_is_integer(j) || json_integer_value(j) < 0 || (uint64_t)json_integer_value(j) > max)
        return e2_err_set(err, EINVAL, "%s: a number from 0 to %llu", name,
                          (unsigned long long)max);
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

static int ip_field(const json_t *req, const char *name, uint32_t *ip, struct e2_err *err)
{
    const char *text = json_string_value(json_object_get(req, name));
    if (!text) return e2_err_set(err, EINVAL, "%s: an IPv4 address is required", name);
    return e2_conf_ipv4(text, ip, err);
}

int fw_block_from_json(const json_t *req, struct e2_flow_key *k, uint64_t *timeout_ns,
                       struct e2_err *err)
{
    *k = (struct e2_flow_key){0};
    uint64_t sport, dport, timeout, proto = 0;
    const json_t *pj = json_object_get(req, "proto");
    if (json_is_string(pj)) {
        uint8_t p;
        if (e2_conf_proto(json_string_value(pj), &p, err)) return -EINVAL;
        proto = p;
    } else if (uint_field(req, "proto", 255, &proto, err)) {
        return -EINVAL;
    }
    if (ip_field(req, "src", &k->src_ip, err) || ip_field(req, "dst", &k->dst_ip, err) ||
        uint_field(req, "sport", 65535, &sport, err) ||
        uint_field(req, "dport", 65535, &dport, err) ||
        uint_field(req, "timeout", 365 * 86400, &timeout, err))
        return -EINVAL;
    k->proto = (uint8_t)proto;
    k->src_port = (uint16_t)sport;
    k->dst_port = (uint16_t)dport;
    *timeout_ns = timeout * FW_NS;
    return 0;
}
