#include "fw_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_conf.h"

const char *fw_ctstate_name(enum fw_ctstate s)
{
    static const char *const names[] = {"NEW", "ESTABLISHED", "RELATED", "INVALID"};
    return (unsigned)s < FW_CT_COUNT ? names[s] : "?";
}

/* ---- statements ---- */

static int parse_chain(const char *chain, struct e2_err *err)
{
    if (!strcmp(chain, "FORWARD")) return 0;
    if (!strcmp(chain, "INPUT") || !strcmp(chain, "OUTPUT"))
        return e2_err_set(err, EINVAL,
                          "chain %s is not supported: the firewall sees forwarded traffic only "
                          "(FORWARD)",
                          chain);
    return e2_err_set(err, EINVAL, "chain '%s' is not supported (only FORWARD; no user chains)",
                      chain);
}

static int parse_target(const char *t, uint8_t *verdict, struct e2_err *err)
{
    if (!strcmp(t, "ACCEPT")) {
        *verdict = FW_SAFE;
        return 0;
    }
    if (!strcmp(t, "DROP")) {
        *verdict = FW_UNSAFE;
        return 0;
    }
    if (!strcmp(t, "REJECT"))
        return e2_err_set(err, EINVAL,
                          "target REJECT is not supported: the firewall has no path back to the "
                          "sender; use DROP");
    return e2_err_set(err, EINVAL, "target '%s' is not supported (ACCEPT or DROP)", t);
}

/* "-P FORWARD DROP" */
static int policy_stmt(struct fw_ruleset *rs, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc != 3) return e2_err_set(err, EINVAL, "%s wants CHAIN TARGET", l->argv[0]);
    if (parse_chain(l->argv[1], err)) return -EINVAL;
    return parse_target(l->argv[2], &rs->policy, err);
}

/* ":FORWARD DROP [0:0]" (iptables-save); INPUT/OUTPUT declarations do not concern us. */
static int chain_decl(struct fw_ruleset *rs, const struct e2_conf_line *l, struct e2_err *err)
{
    const char *chain = l->argv[0] + 1;
    if (l->argc < 2 || l->argc > 3)
        return e2_err_set(err, EINVAL, "%s wants POLICY [PACKETS:BYTES]", l->argv[0]);
    if (!strcmp(chain, "INPUT") || !strcmp(chain, "OUTPUT")) return 0;
    if (parse_chain(chain, err)) return -EINVAL;
    return parse_target(l->argv[1], &rs->policy, err);
}

/* ---- one rule ---- */

enum rule_opt {
    OPT_PROTO,
    OPT_SRC,
    OPT_DST,
    OPT_SPORT,
    OPT_DPORT,
    OPT_MATCH,
    OPT_STATE,
    OPT_CTSTATE,
    OPT_COMMENT,
    OPT_JUMP,
    OPT_COUNT,
};

static const struct {
    const char *names[3];
} rule_opts[OPT_COUNT] = {
    [OPT_PROTO] = {{"-p", "--protocol"}},
    [OPT_SRC] = {{"-s", "--source", "--src"}},
    [OPT_DST] = {{"-d", "--destination", "--dst"}},
    [OPT_SPORT] = {{"--sport", "--source-port"}},
    [OPT_DPORT] = {{"--dport", "--destination-port"}},
    [OPT_MATCH] = {{"-m", "--match"}},
    [OPT_STATE] = {{"--state"}},
    [OPT_CTSTATE] = {{"--ctstate"}},
    [OPT_COMMENT] = {{"--comment"}},
    [OPT_JUMP] = {{"-j", "--jump"}},
};

/* Match modules (-m NAME) and the option each one brings. */
enum rule_mod { MOD_STATE, MOD_CONNTRACK, MOD_COMMENT, MOD_TCP, MOD_UDP, MOD_COUNT };
static const char *const mod_names[MOD_COUNT] = {"state", "conntrack", "comment", "tcp", "udp"};

struct rule_build {
    struct fw_rule r;
    unsigned seen;    /* bit per enum rule_opt */
    unsigned modules; /* bit per enum rule_mod */
};

static int find_opt(const char *w)
{
    for (int o = 0; o < OPT_COUNT; o++)
        for (int i = 0; i < 3 && rule_opts[o].names[i]; i++)
            if (!strcmp(w, rule_opts[o].names[i])) return o;
    return -1;
}

static int parse_mask(const char *text, uint32_t *ip, uint32_t *mask, struct e2_err *err)
{
    uint8_t len;
    if (e2_conf_prefix(text, ip, &len, err)) return -EINVAL;
    *mask = len ? ~0u << (32 - len) : 0;
    return 0;
}

/* "NEW,ESTABLISHED" -> state bits. */
static int parse_states(const char *text, uint8_t *states, struct e2_err *err)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", text);
    *states = 0;
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < FW_CT_COUNT && strcmp(s, fw_ctstate_name((enum fw_ctstate)k))) k++;
        if (k == FW_CT_COUNT)
            return e2_err_set(err, EINVAL,
                              "'%s' is not a state (NEW, ESTABLISHED, RELATED, INVALID)", s);
        *states |= (uint8_t)(1u << k);
    }
    if (!*states) return e2_err_set(err, EINVAL, "'%s' names no state", text);
    return 0;
}

static int parse_module(struct rule_build *b, const char *name, struct e2_err *err)
{
    for (int m = 0; m < MOD_COUNT; m++) {
        if (strcmp(name, mod_names[m])) continue;
        if (b->modules >> m & 1) return e2_err_set(err, EINVAL, "-m %s given twice", name);
        b->modules |= 1u << m;
        return 0;
    }
    return e2_err_set(err, EINVAL,
                      "match module '%s' is not supported (state, conntrack, comment, tcp, udp)",
                      name);
}

/* The option @opt (@w as written) with its value @v. */
static int rule_option(struct rule_build *b, int opt, const char *w, const char *v,
                       struct e2_err *err)
{
    struct fw_rule *r = &b->r;
    switch (opt) {
    case OPT_PROTO: return e2_conf_proto(v, &r->proto, err);
    case OPT_SRC: return parse_mask(v, &r->src_ip, &r->src_mask, err);
    case OPT_DST: return parse_mask(v, &r->dst_ip, &r->dst_mask, err);
    case OPT_SPORT: return e2_conf_port_range(v, &r->sport_lo, &r->sport_hi, err);
    case OPT_DPORT: return e2_conf_port_range(v, &r->dport_lo, &r->dport_hi, err);
    case OPT_MATCH: return parse_module(b, v, err);
    case OPT_STATE:
    case OPT_CTSTATE: {
        int mod = opt == OPT_STATE ? MOD_STATE : MOD_CONNTRACK;
        if (!(b->modules >> mod & 1))
            return e2_err_set(err, EINVAL, "%s needs -m %s before it", w, mod_names[mod]);
        if (b->seen & (1u << OPT_STATE | 1u << OPT_CTSTATE))
            return e2_err_set(err, EINVAL, "a rule has one state match");
        return parse_states(v, &r->states, err);
    }
    case OPT_COMMENT:
        if (!(b->modules >> MOD_COMMENT & 1))
            return e2_err_set(err, EINVAL, "--comment needs -m comment before it");
        return 0;
    default: return parse_target(v, &r->verdict, err);
    }
}

/* What a finished rule must satisfy as a whole. */
static int rule_check(struct rule_build *b, struct e2_err *err)
{
    struct fw_rule *r = &b->r;
    bool l4 = r->proto == 6 || r->proto == 17;
    b->r.has_ports = b->seen & (1u << OPT_SPORT | 1u << OPT_DPORT);
    if (r->has_ports && !l4)
        return e2_err_set(err, EINVAL, "%s needs -p tcp or -p udp",
                          b->seen >> OPT_SPORT & 1 ? "--sport" : "--dport");
    if ((b->modules >> MOD_TCP & 1) && r->proto != 6)
        return e2_err_set(err, EINVAL, "-m tcp needs -p tcp");
    if ((b->modules >> MOD_UDP & 1) && r->proto != 17)
        return e2_err_set(err, EINVAL, "-m udp needs -p udp");
    if ((b->modules >> MOD_STATE & 1) && !(b->seen >> OPT_STATE & 1))
        return e2_err_set(err, EINVAL, "-m state needs --state");
    if ((b->modules >> MOD_CONNTRACK & 1) && !(b->seen >> OPT_CTSTATE & 1))
        return e2_err_set(err, EINVAL, "-m conntrack needs --ctstate");
    if (!(b->seen >> OPT_JUMP & 1))
        return e2_err_set(err, EINVAL, "a rule needs a target (-j ACCEPT or -j DROP)");
    return 0;
}

static int refuse_word(const char *w, struct e2_err *err)
{
    if (!strcmp(w, "!")) return e2_err_set(err, EINVAL, "negation ('!') is not supported");
    if (!strcmp(w, "-i") || !strcmp(w, "-o") || !strcmp(w, "--in-interface") ||
        !strcmp(w, "--out-interface"))
        return e2_err_set(
            err, EINVAL, "interface matches (%s) are not supported: the firewall has one input", w);
    return e2_err_set(err, EINVAL, "unknown option '%s'", w);
}

/* The statement's words joined, quoting words with blanks: for listings. */
static char *rule_text(const struct e2_conf_line *l)
{
    size_t n = 1;
    for (int i = 0; i < l->argc; i++) n += strlen(l->argv[i]) + 3;
    char *t = malloc(n), *p = t;
    if (!t) return NULL;
    for (int i = 0; i < l->argc; i++) {
        bool q = strpbrk(l->argv[i], " \t") != NULL;
        p += sprintf(p, "%s%s%s%s", i ? " " : "", q ? "\"" : "", l->argv[i], q ? "\"" : "");
    }
    return t;
}

static int add_rule(struct fw_ruleset *rs, const struct fw_rule *r, const struct e2_conf_line *l,
                    struct e2_err *err)
{
    if (rs->n == FW_RULES_MAX) return e2_err_set(err, E2BIG, "more than %d rules", FW_RULES_MAX);
    if (rs->n == rs->cap) {
        uint32_t cap = rs->cap ? rs->cap * 2 : 16;
        struct fw_rule *rules = realloc(rs->rules, cap * sizeof(*rules));
        if (!rules) return e2_err_set(err, ENOMEM, "out of memory");
        rs->rules = rules;
        rs->cap = cap;
    }
    struct fw_rule *dst = &rs->rules[rs->n];
    *dst = *r;
    dst->text = rule_text(l);
    if (!dst->text) return e2_err_set(err, ENOMEM, "out of memory");
    rs->n++;
    return 0;
}

/* "-A FORWARD [match ...] -j TARGET" */
static int rule_stmt(struct fw_ruleset *rs, const struct e2_conf_line *l, struct e2_err *err)
{
    if (l->argc < 2) return e2_err_set(err, EINVAL, "%s wants a chain", l->argv[0]);
    if (parse_chain(l->argv[1], err)) return -EINVAL;
    struct rule_build b = {.r = {.states = FW_CT_ALL, .sport_hi = 65535, .dport_hi = 65535}};
    b.r.line = l->line;
    for (int i = 2; i < l->argc; i += 2) {
        const char *w = l->argv[i];
        int opt = find_opt(w);
        if (opt < 0) return refuse_word(w, err);
        if (i + 1 >= l->argc) return e2_err_set(err, EINVAL, "%s needs a value", w);
        if (b.seen >> opt & 1 && opt != OPT_MATCH)
            return e2_err_set(err, EINVAL, "%s given twice", w);
        if (rule_option(&b, opt, w, l->argv[i + 1], err)) return -EINVAL;
        b.seen |= 1u << opt;
    }
    if (rule_check(&b, err)) return -EINVAL;
    return add_rule(rs, &b.r, l, err);
}

static int parse_line(void *ctx, const struct e2_conf_line *l, struct e2_err *err)
{
    struct fw_ruleset *rs = ctx;
    const char *w = l->argv[0];
    if (!strcmp(w, "*filter") || !strcmp(w, "COMMIT")) {
        if (l->argc == 1) return 0;
        return e2_err_set(err, EINVAL, "'%s' stands alone on its line", w);
    }
    if (w[0] == '*')
        return e2_err_set(err, EINVAL, "table '%s' is not supported (only *filter)", w + 1);
    if (w[0] == ':') return chain_decl(rs, l, err);
    if (!strcmp(w, "-P") || !strcmp(w, "--policy")) return policy_stmt(rs, l, err);
    if (!strcmp(w, "-A") || !strcmp(w, "--append")) return rule_stmt(rs, l, err);
    return e2_err_set(err, EINVAL, "unknown statement '%s' (-A FORWARD ... or -P FORWARD ...)", w);
}

/* ---- rule sets ---- */

static int parse_done(struct fw_ruleset *rs, int rc, struct fw_ruleset **out, struct e2_err *err)
{
    if (!rc) {
        rs->packets = calloc(rs->n + 1, sizeof(uint64_t));
        rs->bytes = calloc(rs->n + 1, sizeof(uint64_t));
        if (!rs->packets || !rs->bytes) rc = e2_err_set(err, ENOMEM, "out of memory");
    }
    if (rc) {
        fw_ruleset_free(rs);
        return rc;
    }
    *out = rs;
    return 0;
}

int fw_ruleset_parse_text(const char *text, const char *name, struct fw_ruleset **out,
                          struct e2_err *err)
{
    struct fw_ruleset *rs = calloc(1, sizeof(*rs));
    if (!rs) return e2_err_set(err, ENOMEM, "out of memory");
    return parse_done(rs, e2_conf_read_text(text, name, parse_line, rs, err), out, err);
}

int fw_ruleset_parse_file(const char *path, struct fw_ruleset **out, struct e2_err *err)
{
    struct fw_ruleset *rs = calloc(1, sizeof(*rs));
    if (!rs) return e2_err_set(err, ENOMEM, "out of memory");
    return parse_done(rs, e2_conf_read_file(path, parse_line, rs, err), out, err);
}

void fw_ruleset_free(struct fw_ruleset *rs)
{
    if (!rs) return;
    if (rs->cls) rs->cls->destroy(rs->cls);
    for (uint32_t i = 0; i < rs->n; i++) free(rs->rules[i].text);
    free(rs->rules);
    free(rs->packets);
    free(rs->bytes);
    free(rs);
}

/* ---- matching ---- */

bool fw_rule_match(const struct fw_rule *r, const struct fw_key *k)
{
    if (r->proto && r->proto != k->proto) return false;
    if ((k->src_ip & r->src_mask) != r->src_ip || (k->dst_ip & r->dst_mask) != r->dst_ip)
        return false;
    if (!(r->states >> k->state & 1)) return false;
    if (!r->has_ports) return true;
    return k->ports && k->src_port >= r->sport_lo && k->src_port <= r->sport_hi &&
           k->dst_port >= r->dport_lo && k->dst_port <= r->dport_hi;
}

struct fw_scan {
    struct fw_classifier c;
    const struct fw_rule *rules;
    uint32_t n;
};

static void scan_classify(const struct fw_classifier *c, const struct fw_key *keys, unsigned n,
                          int32_t *out)
{
    const struct fw_scan *s = (const struct fw_scan *)c;
    for (unsigned i = 0; i < n; i++) {
        out[i] = -1;
        for (uint32_t r = 0; r < s->n; r++)
            if (fw_rule_match(&s->rules[r], &keys[i])) {
                out[i] = (int32_t)r;
                break;
            }
    }
}

static void scan_destroy(struct fw_classifier *c)
{
    free(c);
}

int fw_scan_build(const struct fw_ruleset *rs, struct fw_classifier **out, struct e2_err *err)
{
    struct fw_scan *s = calloc(1, sizeof(*s));
    if (!s) return e2_err_set(err, ENOMEM, "out of memory");
    *s = (struct fw_scan){.c = {.name = "scan", .classify = scan_classify, .destroy = scan_destroy},
                          .rules = rs->rules,
                          .n = rs->n};
    *out = &s->c;
    return 0;
}
