/*
 * Switch rules: the JSON of contract B parsed and checked into struct
 * e2_sw_rule (errors name the JSON path), printed back canonically, ordered,
 * formatted for people, and costed in masked entries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ether.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_flowrange.h"
#include "sw_int.h"

#define PATH_MAX_LEN 160

static const char *const field_names[E2_SW_N_FIELDS] = {
    "in_port",  "eth_type", "eth_dst", "ip_proto", "src_ip",     "dst_ip",
    "src_port", "dst_port", "nsh_spi", "nsh_si",   "flow_range",
};

#define F(x)        (1u << (x))
#define IP_FIELDS   (F(E2_SW_IP_PROTO) | F(E2_SW_SRC_IP) | F(E2_SW_DST_IP) | PORT_FIELDS)
#define PORT_FIELDS (F(E2_SW_SRC_PORT) | F(E2_SW_DST_PORT))
#define NSH_FIELDS  (F(E2_SW_NSH_SPI) | F(E2_SW_NSH_SI))

/* "PATH: message", -EINVAL. */
static int bad(struct e2_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct e2_err *err, const char *path, const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(err, EINVAL, "%s: %s", path, msg);
}

/* A path cut at PATH_MAX_LEN ends in "...". */
static const char *cut(char *buf, int n)
{
    if (n >= PATH_MAX_LEN) strcpy(buf + PATH_MAX_LEN - 4, "...");
    return buf;
}

static const char *join(char *buf, const char *path, const char *key)
{
    return cut(buf, snprintf(buf, PATH_MAX_LEN, "%s.%s", path, key));
}

static const char *nth(char *buf, const char *path, size_t i)
{
    return cut(buf, snprintf(buf, PATH_MAX_LEN, "%s[%zu]", path, i));
}

static int get_uint(const json_t *v, const char *path, uint64_t min, uint64_t max, uint64_t *out,
                    struct e2_err *err)
{
    if (!json_is_integer(v)) return bad(err, path, "must be a whole number");
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
        return bad(err, path, "%lld is out of range %llu..%llu", (long long)i,
                   (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)i;
    return 0;
}

/* ---- ranged fields ---- */

unsigned e2_sw_field_bits(enum e2_sw_field f)
{
    switch (f) {
    case E2_SW_SRC_IP:
    case E2_SW_DST_IP: return 32;
    case E2_SW_FLOW_RANGE: return E2_OVS_FLOW_BITS_MAX;
    default: return 16;
    }
}

struct e2_sw_span *e2_sw_match_span(const struct e2_sw_match *cm, enum e2_sw_field f)
{
    struct e2_sw_match *m = (struct e2_sw_match *)cm;
    switch (f) {
    case E2_SW_SRC_IP: return &m->src_ip;
    case E2_SW_DST_IP: return &m->dst_ip;
    case E2_SW_SRC_PORT: return &m->src_port;
    case E2_SW_DST_PORT: return &m->dst_port;
    case E2_SW_FLOW_RANGE: return &m->flow;
    default: return NULL;
    }
}

size_t e2_sw_span_cover(struct e2_sw_span s, unsigned bits, uint64_t *value, uint64_t *mask)
{
    struct e2_prefix pre[2 * E2_FLOW_BITS_MAX];
    size_t n = e2_range_prefix_cover(s.lo, s.hi, bits, pre);
    for (size_t i = 0; i < n; i++) value[i] = pre[i].value, mask[i] = pre[i].mask;
    return n;
}

static size_t cover_count(struct e2_sw_span s, unsigned bits)
{
    return e2_range_prefix_cover(s.lo, s.hi, bits, NULL);
}

/* "a.b.c.d", "a.b.c.d/n" (host bits zero) or "a.b.c.d-e.f.g.h" (inclusive). */
static int parse_ip(const json_t *v, const char *path, struct e2_sw_span *s, struct e2_err *err)
{
    const char *text = json_string_value(v);
    char a[40] = "", b[40] = "", tail;
    unsigned len = 32;
    struct in_addr x, y;
    if (!text) return bad(err, path, "must be a string: an address, prefix or range");
    int n = sscanf(text, "%39[0-9.]%c", a, &tail);
    bool pfx = n == 2 && tail == '/' && sscanf(text, "%39[0-9.]/%u%c", a, &len, &tail) == 2;
    bool rng = n == 2 && tail == '-' && sscanf(text, "%39[0-9.]-%39[0-9.]%c", a, b, &tail) == 2;
    if ((n != 1 && !pfx && !rng) || inet_pton(AF_INET, a, &x) != 1 ||
        (rng && inet_pton(AF_INET, b, &y) != 1) || len > 32)
        return bad(err, path, "'%s' is not an IPv4 address, prefix (a.b.c.d/n) or range (a-b)",
                   text);
    s->lo = ntohl(x.s_addr);
    s->hi = rng ? (uint64_t)ntohl(y.s_addr) + 1 : s->lo + (1ull << (32 - len));
    if (pfx && s->lo & ((1ull << (32 - len)) - 1))
        return bad(err, path, "'%s' has bits set past the prefix length", text);
    if (s->hi <= s->lo) return bad(err, path, "'%s' is an empty range", text);
    return 0;
}

/* A port number, or "N" / "A-B" (inclusive). */
static int parse_port(const json_t *v, const char *path, struct e2_sw_span *s, struct e2_err *err)
{
    uint64_t p;
    if (json_is_integer(v)) {
        int rc = get_uint(v, path, 0, 65535, &p, err);
        *s = (struct e2_sw_span){p, p + 1};
        return rc;
    }
    const char *text = json_string_value(v);
    unsigned a, b;
    char tail;
    int n = text ? sscanf(text, "%u-%u%c", &a, &b, &tail) : 0;
    if (n == 1) b = a;
    if ((n != 1 && n != 2) || (n == 1 && strchr(text, '-')) ||
        strspn(text, "0123456789-") != strlen(text) || b > 65535 || a > b)
        return bad(err, path, "must be a port 0..65535 or a range \"A-B\" with A <= B");
    *s = (struct e2_sw_span){a, (uint64_t)b + 1};
    return 0;
}

/* [lo, hi]: flow IDs lo .. hi-1. */
static int parse_flow_range(const json_t *v, const char *path, struct e2_sw_span *s,
                            struct e2_err *err)
{
    uint64_t space = 1ull << E2_OVS_FLOW_BITS_MAX;
    char p[PATH_MAX_LEN];
    if (!json_is_array(v) || json_array_size(v) != 2)
        return bad(err, path, "must be [lo, hi] (flow IDs lo .. hi-1)");
    int rc = get_uint(json_array_get(v, 0), nth(p, path, 0), 0, space - 1, &s->lo, err);
    if (!rc) rc = get_uint(json_array_get(v, 1), nth(p, path, 1), 1, space, &s->hi, err);
    if (!rc && s->hi <= s->lo)
        return bad(err, path, "[%llu, %llu] is empty: hi must be above lo",
                   (unsigned long long)s->lo, (unsigned long long)s->hi);
    return rc;
}

static int parse_mac(const json_t *v, const char *path, uint8_t mac[6], struct e2_err *err)
{
    struct ether_addr ea;
    const char *text = json_string_value(v);
    if (!text || strlen(text) != 17 || !ether_aton_r(text, &ea))
        return bad(err, path, "must be a MAC address \"xx:xx:xx:xx:xx:xx\"");
    memcpy(mac, ea.ether_addr_octet, 6);
    return 0;
}

static int field_index(const char *key)
{
    for (int i = 0; i < E2_SW_N_FIELDS; i++)
        if (!strcmp(key, field_names[i])) return i;
    return -1;
}

static int parse_field(struct e2_sw_match *m, int f, const json_t *v, const char *path,
                       struct e2_err *err)
{
    uint64_t x = 0;
    int rc = 0;
    switch (f) {
    case E2_SW_IN_PORT: rc = get_uint(v, path, 1, E2_SW_PORT_MAX, &x, err), m->in_port = x; break;
    case E2_SW_ETH_TYPE: rc = get_uint(v, path, 0x600, 0xffff, &x, err), m->eth_type = x; break;
    case E2_SW_ETH_DST: rc = parse_mac(v, path, m->eth_dst, err); break;
    case E2_SW_IP_PROTO: rc = get_uint(v, path, 0, 255, &x, err), m->ip_proto = x; break;
    case E2_SW_NSH_SPI: rc = get_uint(v, path, 0, 0xffffff, &x, err), m->nsh_spi = x; break;
    case E2_SW_NSH_SI: rc = get_uint(v, path, 0, 255, &x, err), m->nsh_si = x; break;
    case E2_SW_SRC_IP:
    case E2_SW_DST_IP: rc = parse_ip(v, path, e2_sw_match_span(m, f), err); break;
    case E2_SW_SRC_PORT:
    case E2_SW_DST_PORT: rc = parse_port(v, path, e2_sw_match_span(m, f), err); break;
    default: rc = parse_flow_range(v, path, &m->flow, err); break;
    }
    m->fields |= F(f);
    return rc;
}

static int parse_match(const json_t *j, const char *path, struct e2_sw_match *m, struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    const char *key;
    json_t *v;
    if (!json_is_object(j)) return bad(err, path, "must be an object of fields");
    json_object_foreach((json_t *)j, key, v)
    {
        int f = field_index(key);
        if (f < 0)
            return bad(err, join(p, path, key),
                       "unknown field (in_port, eth_type, eth_dst, ip_proto, src_ip, dst_ip, "
                       "src_port, dst_port, nsh_spi, nsh_si, flow_range)");
        int rc = parse_field(m, f, v, join(p, path, key), err);
        if (rc) return rc;
    }
    return 0;
}

/*
 * Prerequisites as OpenFlow has them: IP fields imply eth_type 0x0800, NSH
 * fields 0x894f; ports need TCP, UDP or SCTP. Full ranges match everything
 * and are dropped. The expansion must stay under E2_SW_ENTRIES_MAX.
 */
static int check_match(struct e2_sw_match *m, const char *path, struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    bool ip = m->fields & IP_FIELDS, nsh = m->fields & NSH_FIELDS;
    if (ip && nsh) return bad(err, path, "IP and NSH fields cannot be matched together");
    uint16_t want = ip ? E2_OVS_ETH_IP : nsh ? E2_OVS_ETH_NSH : 0;
    if (want && (m->fields & F(E2_SW_ETH_TYPE)) && m->eth_type != want)
        return bad(err, join(p, path, "eth_type"), "is %u, but the %s fields need %u", m->eth_type,
                   ip ? "IP" : "NSH", want);
    if (want) m->eth_type = want, m->fields |= F(E2_SW_ETH_TYPE);
    bool l4 = m->ip_proto == 6 || m->ip_proto == 17 || m->ip_proto == 132;
    if ((m->fields & PORT_FIELDS) && (!(m->fields & F(E2_SW_IP_PROTO)) || !l4))
        return bad(err, join(p, path, m->fields & F(E2_SW_SRC_PORT) ? "src_port" : "dst_port"),
                   "needs ip_proto 6, 17 or 132");
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        struct e2_sw_span *s = e2_sw_match_span(m, f);
        if (s && (m->fields & F(f)) && s->lo == 0 && s->hi == 1ull << e2_sw_field_bits(f)) {
            m->fields &= ~F(f);
            *s = (struct e2_sw_span){0, 0};
        }
    }
    struct e2_sw_rule probe = {.match = *m};
    size_t n = e2_sw_rule_entries(&probe);
    if (n > E2_SW_ENTRIES_MAX)
        return bad(err, path, "its ranges expand into %zu masked entries, more than %d", n,
                   E2_SW_ENTRIES_MAX);
    return 0;
}

/* ---- actions ---- */

static const char *const action_names[] = {
    [E2_SW_FLOW_HASH] = "flow_hash",
    [E2_SW_GOTO_TABLE] = "goto_table",
    [E2_SW_PUSH_NSH] = "push_nsh",
    [E2_SW_POP_NSH] = "pop_nsh",
    [E2_SW_SET_ETH_DST] = "set_eth_dst",
    [E2_SW_OUTPUT] = "output",
    [E2_SW_DROP] = "drop",
};
#define N_ACTION_KINDS ((int)(sizeof(action_names) / sizeof(action_names[0])))

/* Only the keys in @allowed (NULL-terminated) may appear in object @j. */
static int only_keys(const json_t *j, const char *path, const char *const *allowed,
                     struct e2_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(j)) return bad(err, path, "must be an object");
    json_object_foreach((json_t *)j, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++) ok |= !strcmp(key, allowed[i]);
        if (!ok) return bad(err, path, "unknown key '%s'", key);
    }
    return 0;
}

static int parse_flow_hash(const json_t *v, const char *path, struct e2_sw_action *a,
                           struct e2_err *err)
{
    static const char *const keys[] = {"hash", "bits", NULL};
    char p[PATH_MAX_LEN];
    uint64_t bits = E2_OVS_FLOW_BITS_MAX;
    int rc = only_keys(v, path, keys, err);
    if (rc) return rc;
    const char *name = json_string_value(json_object_get(v, "hash"));
    int fields = name ? e2_ovs_hash_fields_parse(name) : -EINVAL;
    if (fields < 0)
        return bad(err, join(p, path, "hash"),
                   "must be one of OVS's multipath field sets: symmetric_l3l4+udp, "
                   "symmetric_l3l4, symmetric_l3, symmetric_l4, nw_src, nw_dst, eth_src");
    json_t *b = json_object_get(v, "bits");
    if (b) rc = get_uint(b, join(p, path, "bits"), 1, E2_OVS_FLOW_BITS_MAX, &bits, err);
    a->hash_fields = fields;
    a->hash_bits = (uint8_t)bits;
    return rc;
}

static int parse_push_nsh(const json_t *v, const char *path, struct e2_sw_action *a,
                          struct e2_err *err)
{
    static const char *const keys[] = {"spi", "si", NULL};
    char p[PATH_MAX_LEN];
    uint64_t spi = 0, si = 255;
    int rc = only_keys(v, path, keys, err);
    json_t *s = json_object_get(v, "spi"), *i = json_object_get(v, "si");
    if (!rc && !s) return bad(err, path, "needs an \"spi\"");
    if (!rc) rc = get_uint(s, join(p, path, "spi"), 0, 0xffffff, &spi, err);
    if (!rc && i) rc = get_uint(i, join(p, path, "si"), 0, 255, &si, err);
    a->spi = (uint32_t)spi;
    a->si = (uint8_t)si;
    return rc;
}

static int parse_action_value(int kind, const json_t *v, const char *path, struct e2_sw_action *a,
                              struct e2_err *err)
{
    uint64_t x = 0;
    int rc;
    switch (kind) {
    case E2_SW_FLOW_HASH: return parse_flow_hash(v, path, a, err);
    case E2_SW_PUSH_NSH: return parse_push_nsh(v, path, a, err);
    case E2_SW_SET_ETH_DST: return parse_mac(v, path, a->mac, err);
    case E2_SW_GOTO_TABLE:
        rc = get_uint(v, path, 1, E2_SW_TABLES - 1, &x, err);
        a->table = (uint8_t)x;
        return rc;
    case E2_SW_OUTPUT:
        rc = get_uint(v, path, 1, E2_SW_PORT_MAX, &x, err);
        a->port = (uint32_t)x;
        return rc;
    default: return json_is_true(v) ? 0 : bad(err, path, "must be true");
    }
}

static int parse_action(const json_t *j, const char *path, struct e2_sw_action *a,
                        struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    if (!json_is_object(j) || json_object_size(j) != 1)
        return bad(err, path, "must be an object with one action");
    const char *key = json_object_iter_key(json_object_iter((json_t *)j));
    for (int k = 0; k < N_ACTION_KINDS; k++) {
        if (strcmp(key, action_names[k])) continue;
        a->kind = k;
        return parse_action_value(k, json_object_get(j, key), join(p, path, key), a, err);
    }
    return bad(err, join(p, path, key),
               "unknown action (flow_hash, goto_table, push_nsh, pop_nsh, set_eth_dst, output, "
               "drop)");
}

/* goto_table last and forward, drop alone, pop_nsh only on an NSH frame. */
static int check_actions(struct e2_sw_rule *r, const char *path, struct e2_err *err)
{
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    bool nsh = r->match.eth_type == E2_OVS_ETH_NSH && (r->match.fields & F(E2_SW_ETH_TYPE));
    if (r->n_actions == 0) r->actions[r->n_actions++] = (struct e2_sw_action){.kind = E2_SW_DROP};
    for (unsigned i = 0; i < r->n_actions; i++) {
        const struct e2_sw_action *a = &r->actions[i];
        const char *ap = join(p, nth(q, path, i), action_names[a->kind]);
        if (a->kind == E2_SW_DROP && r->n_actions > 1)
            return bad(err, ap, "must be the only action");
        if (a->kind == E2_SW_GOTO_TABLE && i + 1 < r->n_actions)
            return bad(err, ap, "must be the last action");
        if (a->kind == E2_SW_GOTO_TABLE && a->table <= r->table)
            return bad(err, ap, "goes to table %u, not after this rule's table %u", a->table,
                       r->table);
        if (a->kind == E2_SW_POP_NSH && !nsh)
            return bad(err, ap,
                       "the frame is not NSH here: match eth_type 35151 (or an nsh_ field), "
                       "or push_nsh first");
        if (a->kind == E2_SW_PUSH_NSH || a->kind == E2_SW_POP_NSH) nsh = a->kind == E2_SW_PUSH_NSH;
    }
    return 0;
}

/* ---- the rule ---- */

int e2_sw_rule_check(struct e2_sw_rule *r, const char *path, struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    int rc = check_match(&r->match, join(p, path, "match"), err);
    return rc ? rc : check_actions(r, join(p, path, "actions"), err);
}

static int parse_actions(const json_t *j, const char *path, struct e2_sw_rule *r,
                         struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    if (!json_is_array(j)) return bad(err, path, "must be an array of actions");
    if (json_array_size(j) > E2_SW_ACTIONS_MAX)
        return bad(err, path, "has %zu actions, more than %d", json_array_size(j),
                   E2_SW_ACTIONS_MAX);
    for (size_t i = 0; i < json_array_size(j); i++) {
        int rc = parse_action(json_array_get(j, i), nth(p, path, i), &r->actions[i], err);
        if (rc) return rc;
        r->n_actions++;
    }
    return 0;
}

static int parse_head(const json_t *j, const char *path, struct e2_sw_rule *r, struct e2_err *err)
{
    static const char *const keys[] = {"table", "priority", "cookie", "match", "actions", NULL};
    char p[PATH_MAX_LEN];
    uint64_t table = 0, prio = E2_SW_PRIORITY_DEF, cookie = 0;
    int rc = only_keys(j, path, keys, err);
    json_t *t = json_object_get(j, "table"), *pr = json_object_get(j, "priority"),
           *c = json_object_get(j, "cookie");
    if (!rc && t) rc = get_uint(t, join(p, path, "table"), 0, E2_SW_TABLES - 1, &table, err);
    if (!rc && pr) rc = get_uint(pr, join(p, path, "priority"), 0, 65535, &prio, err);
    if (!rc && c) rc = get_uint(c, join(p, path, "cookie"), 0, UINT32_MAX, &cookie, err);
    if (!rc && !json_object_get(j, "actions")) rc = bad(err, path, "needs \"actions\"");
    r->table = (uint8_t)table;
    r->priority = (uint16_t)prio;
    r->cookie = (uint32_t)cookie;
    return rc;
}

int e2_sw_rule_parse(const json_t *j, const char *path, struct e2_sw_rule *r, struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    memset(r, 0, sizeof(*r));
    int rc = parse_head(j, path, r, err);
    json_t *m = json_object_get(j, "match");
    if (!rc && m) rc = parse_match(m, join(p, path, "match"), &r->match, err);
    if (!rc) rc = parse_actions(json_object_get(j, "actions"), join(p, path, "actions"), r, err);
    return rc ? rc : e2_sw_rule_check(r, path, err);
}

int e2_sw_rules_parse(const json_t *array, struct e2_sw_rule **out, size_t *n, struct e2_err *err)
{
    char p[PATH_MAX_LEN];
    *out = NULL;
    *n = 0;
    if (!json_is_array(array)) return e2_err_set(err, EINVAL, "rules: must be an array of rules");
    size_t count = json_array_size(array);
    struct e2_sw_rule *r = calloc(count ? count : 1, sizeof(*r));
    if (!r) return e2_err_set(err, ENOMEM, "out of memory for %zu rules", count);
    for (size_t i = 0; i < count; i++) {
        int rc = e2_sw_rule_parse(json_array_get(array, i), nth(p, "rules", i), &r[i], err);
        if (rc) {
            free(r);
            return rc;
        }
    }
    *out = r;
    *n = count;
    return 0;
}

/* ---- printing ---- */

void e2_sw_ip_text(uint64_t ip, char *buf)
{
    struct in_addr a = {htonl((uint32_t)ip)};
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* A span in its shortest text: "10.0.0.1", "10.0.0.0/8", "10.0.0.1-10.0.0.9", "80", "1-9". */
static void span_text(enum e2_sw_field f, struct e2_sw_span s, char *buf, size_t len)
{
    if (f == E2_SW_FLOW_RANGE) {
        snprintf(buf, len, "[%llu,%llu)", (unsigned long long)s.lo, (unsigned long long)s.hi);
        return;
    }
    if (f == E2_SW_SRC_PORT || f == E2_SW_DST_PORT) {
        if (s.hi - s.lo == 1)
            snprintf(buf, len, "%llu", (unsigned long long)s.lo);
        else
            snprintf(buf, len, "%llu-%llu", (unsigned long long)s.lo, (unsigned long long)s.hi - 1);
        return;
    }
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
    uint64_t size = s.hi - s.lo;
    e2_sw_ip_text(s.lo, a);
    e2_sw_ip_text(s.hi - 1, b);
    if (size == 1)
        snprintf(buf, len, "%s", a);
    else if (!(size & (size - 1)) && !(s.lo & (size - 1)))
        snprintf(buf, len, "%s/%d", a, 32 - __builtin_ctzll(size));
    else
        snprintf(buf, len, "%s-%s", a, b);
}

json_t *e2_sw_span_to_json(enum e2_sw_field f, struct e2_sw_span s)
{
    char buf[64];
    if (f == E2_SW_FLOW_RANGE) return json_pack("[II]", (json_int_t)s.lo, (json_int_t)s.hi);
    if ((f == E2_SW_SRC_PORT || f == E2_SW_DST_PORT) && s.hi - s.lo == 1)
        return json_integer((json_int_t)s.lo);
    span_text(f, s, buf, sizeof(buf));
    return json_string(buf);
}

void e2_sw_mac_text(const uint8_t m[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static json_t *field_json(const struct e2_sw_match *m, int f)
{
    char mac[18];
    switch (f) {
    case E2_SW_IN_PORT: return json_integer(m->in_port);
    case E2_SW_ETH_TYPE: return json_integer(m->eth_type);
    case E2_SW_ETH_DST: return e2_sw_mac_text(m->eth_dst, mac), json_string(mac);
    case E2_SW_IP_PROTO: return json_integer(m->ip_proto);
    case E2_SW_NSH_SPI: return json_integer(m->nsh_spi);
    case E2_SW_NSH_SI: return json_integer(m->nsh_si);
    default: return e2_sw_span_to_json(f, *e2_sw_match_span(m, f));
    }
}

static json_t *action_json(const struct e2_sw_action *a)
{
    char mac[18];
    json_t *v;
    switch (a->kind) {
    case E2_SW_FLOW_HASH:
        v = json_pack("{sssi}", "hash", e2_ovs_hash_fields_name(a->hash_fields), "bits",
                      a->hash_bits);
        break;
    case E2_SW_GOTO_TABLE: v = json_integer(a->table); break;
    case E2_SW_PUSH_NSH: v = json_pack("{sIsi}", "spi", (json_int_t)a->spi, "si", a->si); break;
    case E2_SW_SET_ETH_DST: e2_sw_mac_text(a->mac, mac), v = json_string(mac); break;
    case E2_SW_OUTPUT: v = json_integer(a->port); break;
    default: v = json_true(); break;
    }
    return json_pack("{so}", action_names[a->kind], v);
}

json_t *e2_sw_rule_to_json(const struct e2_sw_rule *r)
{
    json_t *match = json_object(), *actions = json_array();
    for (int f = 0; f < E2_SW_N_FIELDS; f++)
        if (r->match.fields & F(f))
            json_object_set_new(match, field_names[f], field_json(&r->match, f));
    for (unsigned i = 0; i < r->n_actions; i++)
        json_array_append_new(actions, action_json(&r->actions[i]));
    return json_pack("{sisisIsoso}", "table", r->table, "priority", r->priority, "cookie",
                     (json_int_t)r->cookie, "match", match, "actions", actions);
}

static void field_text(const struct e2_sw_match *m, int f, char *buf, size_t len)
{
    switch (f) {
    case E2_SW_IN_PORT: snprintf(buf, len, "%u", m->in_port); break;
    case E2_SW_ETH_TYPE: snprintf(buf, len, "0x%04x", m->eth_type); break;
    case E2_SW_ETH_DST: e2_sw_mac_text(m->eth_dst, buf); break;
    case E2_SW_IP_PROTO: snprintf(buf, len, "%u", m->ip_proto); break;
    case E2_SW_NSH_SPI: snprintf(buf, len, "0x%x", m->nsh_spi); break;
    case E2_SW_NSH_SI: snprintf(buf, len, "%u", m->nsh_si); break;
    default: span_text(f, *e2_sw_match_span(m, f), buf, len); break;
    }
}

static void action_text(const struct e2_sw_action *a, char *buf, size_t len)
{
    const char *name = action_names[a->kind];
    switch (a->kind) {
    case E2_SW_FLOW_HASH:
        snprintf(buf, len, "%s(%s,%u)", name, e2_ovs_hash_fields_name(a->hash_fields),
                 a->hash_bits);
        break;
    case E2_SW_GOTO_TABLE: snprintf(buf, len, "%s:%u", name, a->table); break;
    case E2_SW_PUSH_NSH: snprintf(buf, len, "%s(spi=0x%x,si=%u)", name, a->spi, a->si); break;
    case E2_SW_SET_ETH_DST:
        snprintf(buf, len, "%s:", name), e2_sw_mac_text(a->mac, buf + strlen(buf));
        break;
    case E2_SW_OUTPUT: snprintf(buf, len, "%s:%u", name, a->port); break;
    default: snprintf(buf, len, "%s", name); break;
    }
}

void e2_sw_rule_format(const struct e2_sw_rule *r, char *buf, size_t len)
{
    char item[64];
    size_t n = 0;
    buf[0] = 0;
    for (int f = 0; f < E2_SW_N_FIELDS && n < len; f++) {
        if (!(r->match.fields & F(f))) continue;
        field_text(&r->match, f, item, sizeof(item));
        n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? "," : "", field_names[f], item);
    }
    if (n < len) n += (size_t)snprintf(buf + n, len - n, "%s ->", n ? "" : "*");
    for (unsigned i = 0; i < r->n_actions && n < len; i++) {
        action_text(&r->actions[i], item, sizeof(item));
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : " ", item);
    }
}

/* ---- order and cost ---- */

#define CMP(a, b)                                                                                  \
    do {                                                                                           \
        if ((a) != (b)) return (a) < (b) ? -1 : 1;                                                 \
    } while (0)

static int span_cmp(struct e2_sw_span a, struct e2_sw_span b)
{
    CMP(a.lo, b.lo);
    CMP(a.hi, b.hi);
    return 0;
}

static int match_cmp(const struct e2_sw_match *a, const struct e2_sw_match *b)
{
    CMP(a->fields, b->fields);
    CMP(a->in_port, b->in_port);
    CMP(a->eth_type, b->eth_type);
    int c = memcmp(a->eth_dst, b->eth_dst, 6);
    if (c) return c;
    CMP(a->ip_proto, b->ip_proto);
    CMP(a->nsh_spi, b->nsh_spi);
    CMP(a->nsh_si, b->nsh_si);
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        const struct e2_sw_span *sa = e2_sw_match_span(a, f), *sb = e2_sw_match_span(b, f);
        if (sa && (c = span_cmp(*sa, *sb))) return c;
    }
    return 0;
}

static int action_cmp(const struct e2_sw_action *a, const struct e2_sw_action *b)
{
    CMP(a->kind, b->kind);
    switch (a->kind) {
    case E2_SW_FLOW_HASH:
        CMP(a->hash_fields, b->hash_fields);
        CMP(a->hash_bits, b->hash_bits);
        break;
    case E2_SW_GOTO_TABLE: CMP(a->table, b->table); break;
    case E2_SW_PUSH_NSH:
        CMP(a->spi, b->spi);
        CMP(a->si, b->si);
        break;
    case E2_SW_SET_ETH_DST: return memcmp(a->mac, b->mac, 6);
    case E2_SW_OUTPUT: CMP(a->port, b->port); break;
    default: break;
    }
    return 0;
}

bool e2_sw_rule_same_slot(const struct e2_sw_rule *r, const struct e2_sw_rule *s)
{
    return r->table == s->table && r->priority == s->priority && !match_cmp(&r->match, &s->match);
}

int e2_sw_rule_cmp(const struct e2_sw_rule *a, const struct e2_sw_rule *b)
{
    CMP(a->table, b->table);
    CMP(b->priority, a->priority);
    int c = match_cmp(&a->match, &b->match);
    if (c) return c;
    CMP(a->n_actions, b->n_actions);
    for (unsigned i = 0; i < a->n_actions; i++)
        if ((c = action_cmp(&a->actions[i], &b->actions[i]))) return c;
    CMP(a->cookie, b->cookie);
    return 0;
}

size_t e2_sw_rule_entries(const struct e2_sw_rule *r)
{
    size_t n = 1;
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        const struct e2_sw_span *s = e2_sw_match_span(&r->match, f);
        if (s && (r->match.fields & F(f))) n *= cover_count(*s, e2_sw_field_bits(f));
    }
    return n;
}
