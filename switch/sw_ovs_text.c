/*
 * E2 rules <-> ovs-ofctl flow text (see sw_ovs.h for the cookie layout).
 *
 * Writing: fixed fields and actions are printed once, then one line per
 * combination of the ranges' masked covers. Reading: each flow line becomes
 * a one-entry rule; flows with the same cookie are one E2 rule, whose ranges
 * are the unions of their flows' masked values, which must be contiguous.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_ovs.h"

#define F(x) (1u << (x))

static const char *const ranged_key[E2_SW_N_FIELDS] = {
    [E2_SW_SRC_IP] = "nw_src",   [E2_SW_DST_IP] = "nw_dst",   [E2_SW_SRC_PORT] = "tp_src",
    [E2_SW_DST_PORT] = "tp_dst", [E2_SW_FLOW_RANGE] = "reg0",
};

/* ---- writing ---- */

static void fixed_text(const struct e2_sw_match *m, struct e2_strbuf *b)
{
    char mac[18];
    if (m->fields & F(E2_SW_IN_PORT)) e2_strbuf_addf(b, ",in_port=%u", m->in_port);
    if (m->fields & F(E2_SW_ETH_TYPE)) e2_strbuf_addf(b, ",dl_type=0x%04x", m->eth_type);
    if (m->fields & F(E2_SW_ETH_DST))
        e2_sw_mac_text(m->eth_dst, mac), e2_strbuf_addf(b, ",dl_dst=%s", mac);
    if (m->fields & F(E2_SW_IP_PROTO)) e2_strbuf_addf(b, ",nw_proto=%u", m->ip_proto);
    if (m->fields & F(E2_SW_NSH_SPI)) e2_strbuf_addf(b, ",nsh_spi=0x%x", m->nsh_spi);
    if (m->fields & F(E2_SW_NSH_SI)) e2_strbuf_addf(b, ",nsh_si=%u", m->nsh_si);
}

static void action_text(const struct e2_sw_action *a, struct e2_strbuf *b)
{
    char mac[18];
    switch (a->kind) {
    case E2_SW_FLOW_HASH:
        e2_strbuf_addf(b, "multipath(%s,0,modulo_n,%u,0,reg0[0..%u])",
                       e2_ovs_hash_fields_name(a->hash_fields), 1u << a->hash_bits,
                       a->hash_bits - 1u);
        break;
    case E2_SW_GOTO_TABLE: e2_strbuf_addf(b, "goto_table:%u", a->table); break;
    case E2_SW_PUSH_NSH:
        e2_strbuf_addf(b,
                       "encap(nsh(md_type=2)),set_field:0x%x->nsh_spi,set_field:%u->nsh_si,"
                       "encap(ethernet)",
                       a->spi, a->si);
        break;
    case E2_SW_POP_NSH: e2_strbuf_addf(b, "decap(),decap()"); break;
    case E2_SW_SET_ETH_DST:
        e2_sw_mac_text(a->mac, mac);
        e2_strbuf_addf(b, "set_field:%s->eth_dst", mac);
        break;
    case E2_SW_OUTPUT: e2_strbuf_addf(b, "output:%u", a->port); break;
    case E2_SW_DROP: e2_strbuf_addf(b, "drop"); break;
    }
}

static void ranged_text(int f, uint64_t value, uint64_t mask, struct e2_strbuf *b)
{
    char ip[INET_ADDRSTRLEN];
    if (f == E2_SW_SRC_IP || f == E2_SW_DST_IP) {
        e2_sw_ip_text(value, ip);
        e2_strbuf_addf(b, ",%s=%s/%d", ranged_key[f], ip, __builtin_popcountll(mask));
    } else {
        e2_strbuf_addf(b, ",%s=0x%llx/0x%llx", ranged_key[f], (unsigned long long)value,
                       (unsigned long long)mask);
    }
}

struct cover {
    size_t n;
    uint64_t value[64], mask[64];
};

void e2_sw_ovs_add_lines(const struct e2_sw_rule *r, uint64_t ovs_cookie, struct e2_strbuf *b)
{
    struct cover cov[E2_SW_N_FIELDS] = {{0}};
    size_t idx[E2_SW_N_FIELDS] = {0};
    struct e2_strbuf head = {0}, acts = {0};
    e2_strbuf_addf(&head, "add table=%u,priority=%u,cookie=0x%llx", r->table, r->priority,
                   (unsigned long long)ovs_cookie);
    fixed_text(&r->match, &head);
    for (unsigned i = 0; i < r->n_actions; i++) {
        if (i) e2_strbuf_addf(&acts, ",");
        action_text(&r->actions[i], &acts);
    }
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        const struct e2_sw_span *s = e2_sw_match_span(&r->match, f);
        if (s && (r->match.fields & F(f)))
            cov[f].n = e2_sw_span_cover(*s, e2_sw_field_bits(f), cov[f].value, cov[f].mask);
    }
    char *h = e2_strbuf_take(&head), *a = e2_strbuf_take(&acts);
    for (bool more = h && a; more;) {
        e2_strbuf_addf(b, "%s", h);
        for (int f = 0; f < E2_SW_N_FIELDS; f++)
            if (cov[f].n) ranged_text(f, cov[f].value[idx[f]], cov[f].mask[idx[f]], b);
        e2_strbuf_addf(b, " actions=%s\n", a);
        /* The next combination, odometer style. */
        more = false;
        for (int f = 0; f < E2_SW_N_FIELDS && !more; f++) {
            if (!cov[f].n) continue;
            more = ++idx[f] < cov[f].n;
            if (!more) idx[f] = 0;
        }
    }
    if (!h || !a) b->oom = true;
    free(h);
    free(a);
}

void e2_sw_ovs_delete_line(uint32_t cookie, struct e2_strbuf *b)
{
    e2_strbuf_addf(b, "delete cookie=0x%llx/0xffffffff%08x\n",
                   (unsigned long long)e2_sw_ovs_cookie(cookie, 0), E2_SW_OVS_MARK);
}

/* ---- reading ---- */

struct flow {
    struct e2_sw_entry e;
    uint64_t cookie;
};

static int flow_cmp(const void *x, const void *y)
{
    const struct flow *a = x, *b = y;
    return a->cookie < b->cookie ? -1 : a->cookie > b->cookie;
}

/* ovs-ofctl's protocol shorthands: EtherType and IP protocol (0: none). */
static const struct {
    const char *name;
    uint16_t eth_type;
    uint8_t proto;
} shorthands[] = {
    {"ip", 0x0800, 0},   {"tcp", 0x0800, 6},   {"udp", 0x0800, 17},    {"sctp", 0x0800, 132},
    {"icmp", 0x0800, 1}, {"arp", 0x0806, 0},   {"rarp", 0x8035, 0},    {"ipv6", 0x86dd, 0},
    {"tcp6", 0x86dd, 6}, {"udp6", 0x86dd, 17}, {"sctp6", 0x86dd, 132}, {"icmp6", 0x86dd, 58},
    {"mpls", 0x8847, 0}, {"mplsm", 0x8848, 0},
};

/* Keys of a dump line that are not the match. */
static const char *const meta_keys[] = {
    "duration",       "idle_age",      "hard_age",      "idle_timeout", "hard_timeout",
    "importance",     "send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
    "no_byte_counts", "out_port",      "out_group",     NULL,
};

static bool is_meta(const char *key)
{
    for (size_t i = 0; meta_keys[i]; i++)
        if (!strcmp(key, meta_keys[i])) return true;
    return false;
}

static int shorthand(const char *tok, struct e2_sw_match *m)
{
    for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++) {
        if (strcmp(tok, shorthands[i].name)) continue;
        m->eth_type = shorthands[i].eth_type;
        m->fields |= F(E2_SW_ETH_TYPE);
        if (shorthands[i].proto) m->ip_proto = shorthands[i].proto, m->fields |= F(E2_SW_IP_PROTO);
        return 0;
    }
    return -EINVAL;
}

static bool number(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    *out = v;
    return !errno && end != s && !*end && v <= max;
}

/* "V" or "V/M" over @bits: the aligned block it matches, as a span. */
static bool masked_span(const char *s, unsigned bits, struct e2_sw_span *out)
{
    char buf[64];
    uint64_t space = 1ull << bits, v, m = space - 1;
    snprintf(buf, sizeof(buf), "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) *slash = 0;
    if (!number(buf, space - 1, &v) || (slash && !number(slash + 1, space - 1, &m))) return false;
    uint64_t size = (~m & (space - 1)) + 1;
    *out = (struct e2_sw_span){v, v + size};
    return !(size & (size - 1)) && !(v & (size - 1));
}

/* "a.b.c.d" or "a.b.c.d/len" (OVS prints prefix masks as lengths). */
static bool ip_span(const char *s, struct e2_sw_span *out)
{
    char addr[INET_ADDRSTRLEN];
    unsigned len = 32;
    struct in_addr a;
    char tail;
    int n = sscanf(s, "%15[0-9.]/%u%c", addr, &len, &tail);
    if (n < 1 || (n == 1 && strchr(s, '/')) || n > 2 || len > 32 ||
        inet_pton(AF_INET, addr, &a) != 1)
        return false;
    uint64_t lo = ntohl(a.s_addr), size = 1ull << (32 - len);
    *out = (struct e2_sw_span){lo, lo + size};
    return !(lo & (size - 1));
}

static bool fixed_field(const char *key, const char *val, struct e2_sw_match *m)
{
    static const struct {
        const char *key;
        enum e2_sw_field f;
        uint64_t max;
    } keys[] = {{"in_port", E2_SW_IN_PORT, E2_SW_PORT_MAX},
                {"dl_type", E2_SW_ETH_TYPE, 0xffff},
                {"nw_proto", E2_SW_IP_PROTO, 255},
                {"nsh_spi", E2_SW_NSH_SPI, 0xffffff},
                {"nsh_si", E2_SW_NSH_SI, 255}};
    uint64_t v;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i].key)) continue;
        if (!number(val, keys[i].max, &v)) return false;
        switch (keys[i].f) {
        case E2_SW_IN_PORT: m->in_port = (uint32_t)v; break;
        case E2_SW_ETH_TYPE: m->eth_type = (uint16_t)v; break;
        case E2_SW_IP_PROTO: m->ip_proto = (uint8_t)v; break;
        case E2_SW_NSH_SPI: m->nsh_spi = (uint32_t)v; break;
        default: m->nsh_si = (uint8_t)v; break;
        }
        m->fields |= F(keys[i].f);
        return true;
    }
    struct ether_addr ea;
    if (strcmp(key, "dl_dst") || !ether_aton_r(val, &ea)) return false;
    memcpy(m->eth_dst, ea.ether_addr_octet, 6);
    m->fields |= F(E2_SW_ETH_DST);
    return true;
}

static bool ranged_field(const char *key, const char *val, struct e2_sw_match *m)
{
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        if (!ranged_key[f] || strcmp(key, ranged_key[f])) continue;
        struct e2_sw_span *s = e2_sw_match_span(m, f);
        m->fields |= F(f);
        return f == E2_SW_SRC_IP || f == E2_SW_DST_IP ? ip_span(val, s)
                                                      : masked_span(val, e2_sw_field_bits(f), s);
    }
    return false;
}

/* One "key=value" (or bare) token of a flow's head. */
static int head_token(char *tok, struct flow *fl, struct e2_err *err)
{
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : "";
    uint64_t v;
    if (eq) *eq = 0;
    struct e2_sw_rule *r = &fl->e.rule;
    bool ok = true;
    if (!eq)
        ok = !shorthand(tok, &r->match);
    else if (!strcmp(tok, "table"))
        ok = number(val, E2_SW_TABLES - 1, &v), r->table = (uint8_t)v;
    else if (!strcmp(tok, "priority"))
        ok = number(val, 65535, &v), r->priority = (uint16_t)v;
    else if (!strcmp(tok, "n_packets"))
        ok = number(val, UINT64_MAX, &fl->e.packets);
    else if (!strcmp(tok, "n_bytes"))
        ok = number(val, UINT64_MAX, &fl->e.bytes);
    else if (!strcmp(tok, "cookie") || is_meta(tok))
        ok = true;
    else
        ok = fixed_field(tok, val, &r->match) || ranged_field(tok, val, &r->match);
    if (ok) return 0;
    return e2_err_set(err, EPROTO, "flow cookie 0x%llx: '%s%s%s' is not something E2 writes",
                      (unsigned long long)fl->cookie, tok, eq ? "=" : "", val);
}

/* Split @s at top-level commas (not inside parentheses) into @tok (at most @max). */
static size_t split_actions(char *s, char **tok, size_t max)
{
    size_t n = 0;
    int depth = 0;
    if (*s) tok[n++] = s;
    for (char *p = s; *p && n < max; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (*p == ',' && depth == 0) *p = 0, tok[n++] = p + 1;
    }
    return n;
}

/* multipath(FIELDS,0,modulo_n,2^bits,0,NXM_NX_REG0[0..bits-1]) ("[0]" for one bit). */
static bool parse_multipath(const char *t, struct e2_sw_action *a)
{
    char fields[32], sub[16];
    unsigned links, last = 0, bits = 0;
    char tail;
    if (sscanf(t, "multipath(%31[^,],0,modulo_n,%u,0,NXM_NX_REG0[%15[0-9.]])%c", fields, &links,
               sub, &tail) != 3 ||
        (strcmp(sub, "0") && sscanf(sub, "0..%u%c", &last, &tail) != 1))
        return false;
    int fs = e2_ovs_hash_fields_parse(fields);
    while (bits < E2_OVS_FLOW_BITS_MAX && 1u << bits < links) bits++;
    a->kind = E2_SW_FLOW_HASH;
    a->hash_fields = fs;
    a->hash_bits = (uint8_t)bits;
    return fs >= 0 && bits >= 1 && links == 1u << bits && last == bits - 1;
}

/* push_nsh as written: encap(nsh), the SPI, the SI, encap(ethernet). */
static bool parse_push(char **t, size_t left, struct e2_sw_action *a)
{
    unsigned spi, si;
    char tail;
    a->kind = E2_SW_PUSH_NSH;
    if (left < 4 || strcmp(t[0], "encap(nsh(md_type=2))") || strcmp(t[3], "encap(ethernet)"))
        return false;
    if (sscanf(t[1], "set_field:%x->nsh_spi%c", &spi, &tail) != 1 ||
        sscanf(t[2], "set_field:%u->nsh_si%c", &si, &tail) != 1 || spi > 0xffffff || si > 255)
        return false;
    a->spi = spi;
    a->si = (uint8_t)si;
    return true;
}

/* One E2 action from the tokens at @t; returns how many tokens it took (0: none). */
static size_t parse_action(char **t, size_t left, struct e2_sw_action *a)
{
    char mac[18], tail;
    unsigned v;
    struct ether_addr ea;
    memset(a, 0, sizeof(*a));
    if (!strncmp(t[0], "multipath(", 10)) return parse_multipath(t[0], a);
    if (!strncmp(t[0], "encap(", 6)) return parse_push(t, left, a) ? 4 : 0;
    if (!strcmp(t[0], "decap()"))
        return a->kind = E2_SW_POP_NSH, left >= 2 && !strcmp(t[1], "decap()") ? 2 : 0;
    if (!strcmp(t[0], "drop")) return a->kind = E2_SW_DROP, 1;
    if (sscanf(t[0], "goto_table:%u%c", &v, &tail) == 1 && v < E2_SW_TABLES)
        return a->kind = E2_SW_GOTO_TABLE, a->table = (uint8_t)v, 1;
    if (sscanf(t[0], "output:%u%c", &v, &tail) == 1) return a->kind = E2_SW_OUTPUT, a->port = v, 1;
    if (sscanf(t[0], "set_field:%17[0-9a-fA-F:]->eth_dst%c", mac, &tail) == 1 &&
        ether_aton_r(mac, &ea))
        return a->kind = E2_SW_SET_ETH_DST, memcpy(a->mac, ea.ether_addr_octet, 6), 1;
    return 0;
}

static int parse_actions(char *s, struct flow *fl, struct e2_err *err)
{
    char *tok[4 * E2_SW_ACTIONS_MAX + 1];
    size_t n = split_actions(s, tok, sizeof(tok) / sizeof(tok[0]));
    struct e2_sw_rule *r = &fl->e.rule;
    for (size_t i = 0; i < n;) {
        size_t took = r->n_actions < E2_SW_ACTIONS_MAX
                          ? parse_action(tok + i, n - i, &r->actions[r->n_actions])
                          : 0;
        if (!took)
            return e2_err_set(err, EPROTO, "flow cookie 0x%llx: action '%s' is not one E2 writes",
                              (unsigned long long)fl->cookie, tok[i]);
        r->n_actions++;
        i += took;
    }
    return 0;
}

/* One dump line; *mine is false for flows without E2's mark (skipped). */
static int parse_line(char *line, struct flow *fl, bool *mine, struct e2_err *err)
{
    memset(fl, 0, sizeof(*fl));
    fl->e.rule.priority = E2_SW_PRIORITY_DEF;
    fl->e.entries = 1;
    char *acts = strstr(line, " actions="), *cookie = strstr(line, "cookie="), *end = NULL;
    if (cookie) fl->cookie = strtoull(cookie + strlen("cookie="), &end, 0);
    if (!acts || !cookie || end == cookie + strlen("cookie="))
        return e2_err_set(err, EPROTO, "not a flow: '%.80s'", line);
    *mine = (fl->cookie & E2_SW_OVS_MARK) != 0;
    if (!*mine) return 0;
    *acts = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int rc = head_token(t, fl, err);
        if (rc) return rc;
    }
    fl->e.rule.cookie = (uint32_t)(fl->cookie >> 32);
    return parse_actions(acts + strlen(" actions="), fl, err);
}

static int span_cmp(const void *x, const void *y)
{
    const struct e2_sw_span *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/*
 * The union of field @f's spans over the @n flows of one rule, which must be
 * one contiguous span; *distinct counts the different blocks.
 */
static bool merge_field(const struct flow *fl, size_t n, int f, struct e2_sw_span *out,
                        size_t *distinct)
{
    struct e2_sw_span *s = malloc(n * sizeof(*s));
    if (!s) return false;
    for (size_t i = 0; i < n; i++) s[i] = *e2_sw_match_span(&fl[i].e.rule.match, f);
    qsort(s, n, sizeof(*s), span_cmp);
    *out = s[0];
    *distinct = 1;
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++) {
        if (s[i].lo == s[i - 1].lo && s[i].hi == s[i - 1].hi) continue;
        ok = s[i].lo == out->hi;
        out->hi = s[i].hi;
        (*distinct)++;
    }
    free(s);
    return ok;
}

/* The flows @fl[0..n) share one cookie: the E2 rule they are. */
static int regroup(const struct flow *fl, size_t n, struct e2_sw_entry *out, struct e2_err *err)
{
    *out = fl[0].e;
    out->entries = n;
    size_t product = 1;
    for (int f = 0; f < E2_SW_N_FIELDS; f++) {
        struct e2_sw_span *s = e2_sw_match_span(&out->rule.match, f);
        size_t distinct = 1;
        if (s && (out->rule.match.fields & F(f)) && !merge_field(fl, n, f, s, &distinct))
            return e2_err_set(err, EPROTO, "flows of cookie 0x%llx: their %s blocks have gaps",
                              (unsigned long long)fl[0].cookie, ranged_key[f]);
        product *= distinct;
    }
    for (size_t i = 1; i < n; i++) {
        struct e2_sw_rule r = fl[i].e.rule;
        r.match.src_ip = out->rule.match.src_ip, r.match.dst_ip = out->rule.match.dst_ip;
        r.match.src_port = out->rule.match.src_port, r.match.dst_port = out->rule.match.dst_port;
        r.match.flow = out->rule.match.flow;
        if (e2_sw_rule_cmp(&r, &out->rule))
            return e2_err_set(err, EPROTO, "flows of cookie 0x%llx differ in more than ranges",
                              (unsigned long long)fl[0].cookie);
        out->packets += fl[i].e.packets;
        out->bytes += fl[i].e.bytes;
    }
    if (product != n || e2_sw_rule_entries(&out->rule) != n)
        return e2_err_set(err, EPROTO,
                          "flows of cookie 0x%llx: %zu flows, but their ranges make %zu",
                          (unsigned long long)fl[0].cookie, n, e2_sw_rule_entries(&out->rule));
    char path[40];
    snprintf(path, sizeof(path), "cookie 0x%llx", (unsigned long long)fl[0].cookie);
    return e2_sw_rule_check(&out->rule, path, err);
}

static int read_flows(char *text, struct flow **out, size_t *n, uint32_t *max_serial,
                      struct e2_err *err)
{
    size_t cap = 0;
    char *save = NULL;
    *out = NULL;
    *n = 0;
    *max_serial = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "cookie=")) continue; /* the reply header */
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            struct flow *p = realloc(*out, cap * sizeof(*p));
            if (!p) return e2_err_set(err, ENOMEM, "out of memory for %zu flows", cap);
            *out = p;
        }
        bool mine;
        int rc = parse_line(line, &(*out)[*n], &mine, err);
        if (rc) return rc;
        if (!mine) continue;
        uint32_t serial = (uint32_t)(*out)[*n].cookie & E2_SW_OVS_SERIAL;
        if (serial > *max_serial) *max_serial = serial;
        (*n)++;
    }
    return 0;
}

int e2_sw_ovs_parse_dump(const char *text, struct e2_sw_entry **out, size_t *n,
                         uint32_t *max_serial, struct e2_err *err)
{
    struct flow *fl = NULL;
    size_t nf = 0;
    char *copy = strdup(text);
    int rc = copy ? read_flows(copy, &fl, &nf, max_serial, err) : -ENOMEM;
    free(copy);
    *out = rc ? NULL : calloc(nf ? nf : 1, sizeof(**out));
    *n = 0;
    if (!rc && !*out) rc = e2_err_set(err, ENOMEM, "out of memory for %zu rules", nf);
    if (!rc && nf) qsort(fl, nf, sizeof(*fl), flow_cmp);
    for (size_t i = 0, j; !rc && i < nf; i = j) {
        for (j = i + 1; j < nf && fl[j].cookie == fl[i].cookie;) j++;
        rc = regroup(fl + i, j - i, &(*out)[(*n)++], err);
    }
    free(fl);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
