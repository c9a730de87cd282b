/*
 * The filter lexer: libpcap's scanner rules (numbers in decimal, 0x hex and
 * leading-0 octal; dotted IPv4 prefixes; IPv6 and MAC addresses; identifiers
 * that may contain '-', '.', '_'; named constants such as tcp-syn), plus E2's
 * quoted strings and C/C++ comments. Positions are absolute in the file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"

struct word {
    const char *name;
    enum e2_tok_kind kind;
    uint32_t num; /* T_NUM constants */
};

static const struct word words[] = {
    {"src", K_SRC, 0},
    {"dst", K_DST, 0},
    {"host", K_HOST, 0},
    {"net", K_NET, 0},
    {"mask", K_MASK, 0},
    {"port", K_PORT, 0},
    {"portrange", K_PORTRANGE, 0},
    {"proto", K_PROTO, 0},
    {"less", K_LESS, 0},
    {"greater", K_GREATER, 0},
    {"len", K_LEN, 0},
    {"length", K_LEN, 0},
    {"broadcast", K_BROADCAST, 0},
    {"multicast", K_MULTICAST, 0},
    {"vlan", K_VLAN, 0},
    {"tos", K_TOS, 0},
    {"and", T_AND, 0},
    {"or", T_OR, 0},
    {"not", T_NOT, 0},
    {"ether", K_LINK, 0},
    {"link", K_LINK, 0},
    {"ip", K_IP, 0},
    {"ip6", K_IP6, 0},
    {"arp", K_ARP, 0},
    {"rarp", K_RARP, 0},
    {"tcp", K_TCP, 0},
    {"udp", K_UDP, 0},
    {"sctp", K_SCTP, 0},
    {"icmp", K_ICMP, 0},
    {"icmp6", K_ICMP6, 0},
    {"igmp", K_IGMP, 0},
    /* named constants */
    {"icmptype", T_NUM, 0},
    {"icmpcode", T_NUM, 1},
    {"icmp-echoreply", T_NUM, 0},
    {"icmp-unreach", T_NUM, 3},
    {"icmp-sourcequench", T_NUM, 4},
    {"icmp-redirect", T_NUM, 5},
    {"icmp-echo", T_NUM, 8},
    {"icmp-routeradvert", T_NUM, 9},
    {"icmp-routersolicit", T_NUM, 10},
    {"icmp-timxceed", T_NUM, 11},
    {"icmp-paramprob", T_NUM, 12},
    {"icmp-tstamp", T_NUM, 13},
    {"icmp-tstampreply", T_NUM, 14},
    {"icmp-ireq", T_NUM, 15},
    {"icmp-ireqreply", T_NUM, 16},
    {"icmp-maskreq", T_NUM, 17},
    {"icmp-maskreply", T_NUM, 18},
    {"tcpflags", T_NUM, 13},
    {"tcp-fin", T_NUM, 0x01},
    {"tcp-syn", T_NUM, 0x02},
    {"tcp-rst", T_NUM, 0x04},
    {"tcp-push", T_NUM, 0x08},
    {"tcp-ack", T_NUM, 0x10},
    {"tcp-urg", T_NUM, 0x20},
    {"tcp-ece", T_NUM, 0x40},
    {"tcp-cwr", T_NUM, 0x80},
    {"icmp6type", T_NUM, 0},
    {"icmp6code", T_NUM, 1},
    {"icmp6-destinationunreach", T_NUM, 1},
    {"icmp6-packettoobig", T_NUM, 2},
    {"icmp6-timeexceeded", T_NUM, 3},
    {"icmp6-parameterproblem", T_NUM, 4},
    {"icmp6-echo", T_NUM, 128},
    {"icmp6-echoreply", T_NUM, 129},
    {"icmp6-multicastlistenerquery", T_NUM, 130},
    {"icmp6-multicastlistenerreportv1", T_NUM, 131},
    {"icmp6-multicastlistenerdone", T_NUM, 132},
    {"icmp6-routersolicit", T_NUM, 133},
    {"icmp6-routeradvert", T_NUM, 134},
    {"icmp6-neighborsolicit", T_NUM, 135},
    {"icmp6-neighboradvert", T_NUM, 136},
    {"icmp6-redirect", T_NUM, 137},
    {"icmp6-multicastlistenerreportv2", T_NUM, 143},
    /* libpcap primitives E2 does not implement: named in the error */
    {"gateway", K_UNSUPPORTED, 0},
    {"mpls", K_UNSUPPORTED, 0},
    {"pppoed", K_UNSUPPORTED, 0},
    {"pppoes", K_UNSUPPORTED, 0},
    {"geneve", K_UNSUPPORTED, 0},
    {"inbound", K_UNSUPPORTED, 0},
    {"outbound", K_UNSUPPORTED, 0},
    {"ifindex", K_UNSUPPORTED, 0},
    {"protochain", K_UNSUPPORTED, 0},
    {"atalk", K_UNSUPPORTED, 0},
    {"aarp", K_UNSUPPORTED, 0},
    {"decnet", K_UNSUPPORTED, 0},
    {"lat", K_UNSUPPORTED, 0},
    {"sca", K_UNSUPPORTED, 0},
    {"moprc", K_UNSUPPORTED, 0},
    {"mopdl", K_UNSUPPORTED, 0},
    {"iso", K_UNSUPPORTED, 0},
    {"esis", K_UNSUPPORTED, 0},
    {"isis", K_UNSUPPORTED, 0},
    {"clnp", K_UNSUPPORTED, 0},
    {"stp", K_UNSUPPORTED, 0},
    {"ipx", K_UNSUPPORTED, 0},
    {"netbeui", K_UNSUPPORTED, 0},
    {"llc", K_UNSUPPORTED, 0},
    {"wlan", K_UNSUPPORTED, 0},
    {"radio", K_UNSUPPORTED, 0},
    {"igrp", K_UNSUPPORTED, 0},
    {"pim", K_UNSUPPORTED, 0},
    {"vrrp", K_UNSUPPORTED, 0},
    {"carp", K_UNSUPPORTED, 0},
    {"ah", K_UNSUPPORTED, 0},
    {"esp", K_UNSUPPORTED, 0},
    {"fddi", K_UNSUPPORTED, 0},
    {"tr", K_UNSUPPORTED, 0},
    {"byte", K_UNSUPPORTED, 0},
    {"type", K_UNSUPPORTED, 0},
    {"subtype", K_UNSUPPORTED, 0},
    {"dir", K_UNSUPPORTED, 0},
};

struct lexer {
    const char *p, *end;
    int line, col;
    const struct e2_filter_src *src;
    struct e2_err *err;
};

static int lex_fail(const struct lexer *lx, int line, int col, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int lex_fail(const struct lexer *lx, int line, int col, int code, const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(lx->err, code, "%s:%d:%d: error: %s", lx->src->file, line, col, msg);
}

static void advance(struct lexer *lx, size_t n)
{
    for (; n && lx->p < lx->end; n--, lx->p++) {
        if (*lx->p == '\n') {
            lx->line++;
            lx->col = 1;
        } else {
            lx->col++;
        }
    }
}

/* Skip blanks and comments; -EINVAL on an unterminated comment. */
static int skip_space(struct lexer *lx)
{
    while (lx->p < lx->end) {
        if (isspace((unsigned char)*lx->p)) {
            advance(lx, 1);
        } else if (lx->end - lx->p >= 2 && lx->p[0] == '/' && lx->p[1] == '/') {
            while (lx->p < lx->end && *lx->p != '\n') advance(lx, 1);
        } else if (lx->end - lx->p >= 2 && lx->p[0] == '/' && lx->p[1] == '*') {
            int line = lx->line, col = lx->col;
            advance(lx, 2);
            while (lx->p < lx->end && !(lx->end - lx->p >= 2 && lx->p[0] == '*' && lx->p[1] == '/'))
                advance(lx, 1);
            if (lx->p >= lx->end) return lex_fail(lx, line, col, EINVAL, "unterminated comment");
            advance(lx, 2);
        } else {
            break;
        }
    }
    return 0;
}

/* libpcap's stoulen: decimal, 0x hex, leading-0 octal, 32 bits. */
static int parse_number(const struct lexer *lx, const struct e2_tok *t, uint32_t *out)
{
    const char *s = t->s, *e = t->s + t->len;
    unsigned base = 10;
    if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (e - s > 1 && s[0] == '0') {
        base = 8;
        s++;
    }
    uint64_t v = 0;
    for (; s < e; s++) {
        unsigned d = isdigit((unsigned char)*s) ? (unsigned)(*s - '0')
                                                : (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
        if (d >= base)
            return lex_fail(lx, t->line, t->col, EINVAL, "number %.*s contains non-%s digit",
                            (int)t->len, t->s, base == 8 ? "octal" : "decimal");
        v = v * base + d;
        if (v > UINT32_MAX)
            return lex_fail(lx, t->line, t->col, EINVAL, "number %.*s overflows 32 bits",
                            (int)t->len, t->s);
    }
    *out = (uint32_t)v;
    return 0;
}

static bool all_digits(const char *s, size_t n, bool hex_ok)
{
    if (hex_ok && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (size_t i = 2; i < n; i++)
            if (!isxdigit((unsigned char)s[i])) return false;
        return true;
    }
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return n > 0;
}

/* Dotted decimal with 2 to 4 parts: libpcap's HID. */
static bool is_hid(const char *s, size_t n)
{
    int parts = 1;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (!run) return false;
            parts++;
            run = 0;
        } else if (isdigit((unsigned char)s[i])) {
            run++;
        } else {
            return false;
        }
    }
    return run && parts >= 2 && parts <= 4;
}

/* A MAC "a:b:c:d:e:f" (1-2 hex digits per byte). */
static bool parse_mac(const char *s, size_t n, uint8_t *mac)
{
    int b = 0;
    size_t i = 0;
    while (b < 6) {
        unsigned v = 0, digits = 0;
        while (i < n && isxdigit((unsigned char)s[i]) && digits < 2) {
            v = v * 16 + (unsigned)(isdigit((unsigned char)s[i])
                                        ? s[i] - '0'
                                        : tolower((unsigned char)s[i]) - 'a' + 10);
            i++;
            digits++;
        }
        if (!digits) return false;
        mac[b++] = (uint8_t)v;
        if (b < 6 && (i >= n || s[i++] != ':')) return false;
    }
    return i == n;
}

/* Try an IPv6 or MAC address at the cursor; returns its length or 0. */
static size_t lex_colon_addr(const struct lexer *lx, struct e2_tok *t)
{
    const char *s = lx->p;
    size_t n = 0;
    bool colon = false;
    while (s + n < lx->end && (isxdigit((unsigned char)s[n]) || s[n] == ':' || s[n] == '.')) {
        colon |= s[n] == ':';
        n++;
    }
    if (!colon || n >= 64) return 0;
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (parse_mac(buf, n, t->addr)) {
        t->kind = T_EID;
        return n;
    }
    if (inet_pton(AF_INET6, buf, t->addr) == 1) {
        t->kind = T_HID6;
        return n;
    }
    return 0;
}

static bool id_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static int lex_word(struct lexer *lx, struct e2_tok *t)
{
    size_t n = 0;
    while (lx->p + n < lx->end && id_char(lx->p[n])) n++;
    while (n > 1 && (lx->p[n - 1] == '-' || lx->p[n - 1] == '_')) n--;
    t->len = n;
    if (all_digits(lx->p, n, true)) {
        t->kind = T_NUM;
        return parse_number(lx, t, &t->num);
    }
    if (is_hid(lx->p, n)) {
        t->kind = T_HID;
    } else {
        t->kind = T_ID;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strlen(words[i].name) == n && !memcmp(words[i].name, lx->p, n)) {
                t->kind = words[i].kind;
                t->num = words[i].num;
                break;
            }
        }
    }
    return 0;
}

static int lex_string(struct lexer *lx, struct e2_tok *t)
{
    size_t n = 1;
    while (lx->p + n < lx->end && lx->p[n] != '"' && lx->p[n] != '\n')
        n += lx->p[n] == '\\' ? 2 : 1;
    if (lx->p + n >= lx->end || lx->p[n] != '"')
        return lex_fail(lx, t->line, t->col, EINVAL, "unterminated string");
    t->kind = T_STR;
    t->len = n + 1;
    t->text = malloc(n);
    if (!t->text) return -ENOMEM;
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        if (lx->p[i] == '\\') i++;
        t->text[o++] = lx->p[i];
    }
    t->text[o] = '\0';
    return 0;
}

struct punct {
    const char *s;
    enum e2_tok_kind kind;
};

static const struct punct puncts[] = {
    {"&&", T_AND},  {"||", T_OR},  {"!=", T_NE},   {"==", T_EQ},   {">=", T_GE},
    {"<=", T_LE},   {"<<", T_LSH}, {">>", T_RSH},  {"(", T_LP},    {")", T_RP},
    {"[", T_LB},    {"]", T_RB},   {":", T_COLON}, {"!", T_NOT},   {">", T_GT},
    {"<", T_LT},    {"=", T_EQ},   {"+", T_PLUS},  {"-", T_MINUS}, {"*", T_STAR},
    {"/", T_SLASH}, {"%", T_MOD},  {"&", T_AMP},   {"|", T_PIPE},  {"^", T_CARET},
};

static int lex_one(struct lexer *lx, struct e2_tok *t)
{
    t->s = lx->p;
    t->line = lx->line;
    t->col = lx->col;
    if (lx->p >= lx->end) {
        t->kind = T_EOF;
        return 0;
    }
    char c = *lx->p;
    if (c == '"') return lex_string(lx, t);
    if ((isxdigit((unsigned char)c) || c == ':') && (t->len = lex_colon_addr(lx, t))) return 0;
    if (isalnum((unsigned char)c)) return lex_word(lx, t);
    if (c == '\\') { /* libpcap: \name is a name even when it is a keyword */
        size_t n = 0;
        while (lx->p + 1 + n < lx->end && id_char(lx->p[1 + n])) n++;
        t->kind = T_ID;
        t->len = 1 + n;
        return 0;
    }
    for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
        size_t n = strlen(puncts[i].s);
        if ((size_t)(lx->end - lx->p) >= n && !memcmp(lx->p, puncts[i].s, n)) {
            t->kind = puncts[i].kind;
            t->len = n;
            return 0;
        }
    }
    return lex_fail(lx, t->line, t->col, EINVAL, "unexpected character '%c'",
                    isprint((unsigned char)c) ? c : '?');
}

/* The value text of names and addresses (escaped names without the '\'). */
static int tok_text(struct e2_tok *t)
{
    if (t->text || (t->kind != T_ID && t->kind != T_HID && t->kind != T_HID6 && t->kind != T_EID))
        return 0;
    const char *s = t->s + (*t->s == '\\');
    size_t n = t->len - (size_t)(*t->s == '\\');
    t->text = strndup(s, n);
    return t->text ? 0 : -ENOMEM;
}

int e2_filter_lex(const char *text, size_t len, const struct e2_filter_src *src,
                  struct e2_toks *out, struct e2_err *err)
{
    struct lexer lx = {text, text + len, src->line, src->col, src, err};
    struct e2_toks t = {0};
    size_t cap = 0;
    int rc;
    for (;;) {
        if (t.n == cap) {
            cap = cap ? 2 * cap : 16;
            struct e2_tok *v = realloc(t.v, cap * sizeof(*v));
            if (!v) {
                rc = e2_err_set(err, ENOMEM, "out of memory");
                break;
            }
            t.v = v;
        }
        struct e2_tok *tok = &t.v[t.n];
        memset(tok, 0, sizeof(*tok));
        if ((rc = skip_space(&lx)) || (rc = lex_one(&lx, tok))) break;
        t.n++;
        if ((rc = tok_text(tok))) {
            e2_err_set(err, ENOMEM, "out of memory");
            break;
        }
        if (tok->kind == T_EOF) {
            *out = t;
            return 0;
        }
        advance(&lx, tok->len);
    }
    if (t.n < cap) free(t.v[t.n].text);
    e2_toks_free(&t);
    return rc;
}

void e2_toks_free(struct e2_toks *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->v[i].text);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}
