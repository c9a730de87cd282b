/*
 * Example packets: a concrete member of a packet set, chosen to look like
 * ordinary traffic (a typical IPv4/TCP packet changed only where the set
 * demands), and a one-line description a person can act on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pspace_int.h"
#include "e2_strbuf.h"

struct template
{
    const char *name;
    uint8_t bytes[80];
    uint32_t len;
};

/* Ethernet 02:..:01 -> 02:..:02; IPv4 10.0.0.1 -> 10.0.0.2 / IPv6 2001:db8::1 -> ::2. */
#define ETH(t1, t2) 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, t1, t2
#define IP4(p)      0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, p, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2
#define IP6(nh)                                                                                    \
    0x60, 0, 0, 0, 0, 20, nh, 64, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x20,   \
        1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2
#define TCP 4, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0
#define UDP 4, 0, 0, 53, 0, 20, 0, 0

static const struct template templates[] = {
    {"ipv4/tcp", {ETH(8, 0), IP4(6), TCP}, 54},
    {"ipv4/udp", {ETH(8, 0), IP4(17), UDP}, 42},
    {"ipv4/icmp", {ETH(8, 0), IP4(1), 8, 0, 0, 0, 0, 1, 0, 1}, 42},
    {"ipv6/tcp", {ETH(0x86, 0xdd), IP6(6), TCP}, 74},
    {"ipv6/udp", {ETH(0x86, 0xdd), IP6(17), UDP}, 62},
    {"ipv6/icmp6", {ETH(0x86, 0xdd), IP6(58), 128, 0, 0, 0, 0, 1, 0, 1}, 62},
    {"arp",
     {ETH(8, 6), 0, 1, 8, 0, 6, 4, 0, 1, 2, 0,  0, 0, 0, 1,
      10,        0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2},
     42},
    {"vlan/ipv4/tcp", {ETH(0x81, 0), 0, 100, 8, 0, IP4(6), TCP}, 58},
};

/* Byte @off equals @val under @mask, where a variable exists for it. */
static e2_bdd byte_is(struct e2_pspace *ps, uint32_t off, uint8_t val, uint8_t mask)
{
    if (off >= ps->n_bytes || ps->byte_var[off] < 0) return E2_BDD_TRUE;
    e2_bdd r = E2_BDD_TRUE;
    for (unsigned b = 0; b < 8; b++) {
        if (!((mask >> b) & 1)) continue;
        e2_bdd x = e2_bdd_var(ps->m, (uint32_t)ps->byte_var[off] + 7 - b);
        r = e2_bdd_and(ps->m, r, (val >> b) & 1 ? x : e2_bdd_not(ps->m, x));
    }
    return r;
}

/* The protocol skeleton of a template: link type, IP version/IHL, protocol, no fragment. */
static e2_bdd skeleton(struct e2_pspace *ps, const struct template *t)
{
    const uint8_t *b = t->bytes;
    uint32_t l3 = b[12] == 0x81 ? 18 : 14;
    e2_bdd r = e2_bdd_and(ps->m, byte_is(ps, 12, b[12], 0xff), byte_is(ps, 13, b[13], 0xff));
    if (l3 == 18)
        r = e2_bdd_and(
            ps->m, r,
            e2_bdd_and(ps->m, byte_is(ps, 16, b[16], 0xff), byte_is(ps, 17, b[17], 0xff)));
    if (b[l3 - 2] == 8 && b[l3 - 1] == 0) {
        r = e2_bdd_and(ps->m, r, byte_is(ps, l3, 0x45, 0xff));
        r = e2_bdd_and(ps->m, r, byte_is(ps, l3 + 9, b[l3 + 9], 0xff));
        r = e2_bdd_and(ps->m, r, byte_is(ps, l3 + 6, 0, 0x1f));
        r = e2_bdd_and(ps->m, r, byte_is(ps, l3 + 7, 0, 0xff));
    } else if (b[l3 - 2] == 0x86) {
        r = e2_bdd_and(ps->m, r, byte_is(ps, l3 + 6, b[l3 + 6], 0xff));
    }
    return r;
}

/* Preferred value of every variable: the template's bytes and length, no attributes. */
static void prefer(const struct e2_pspace *ps, const struct template *t, uint8_t *bits)
{
    uint32_t n = e2_bdd_nvars(ps->m);
    for (uint32_t v = 0; v < n; v++) {
        const struct e2_pspace_var *k = &ps->var_kind[v];
        uint8_t byte = k->kind == PV_BYTE && k->what < t->len ? t->bytes[k->what] : 0;
        switch (k->kind) {
        case PV_BYTE: bits[v] = (byte >> (7 - k->bit)) & 1; break;
        case PV_LEN: bits[v] = (t->len >> (31 - k->bit)) & 1; break;
        default: bits[v] = 0; break;
        }
    }
}

static uint64_t group_value(const uint8_t *bits, uint32_t first, uint32_t width)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < width; i++) v = (v << 1) | bits[first + i];
    return v;
}

static void fill_example(const struct e2_pspace *ps, const struct template *t, const uint8_t *bits,
                         struct e2_example *ex)
{
    memset(ex, 0, sizeof(*ex));
    memcpy(ex->frame, t->bytes, t->len);
    ex->caplen = t->len;
    for (uint32_t off = 0; off < ps->n_bytes && off < sizeof(ex->frame); off++) {
        if (ps->byte_var[off] < 0) continue;
        ex->frame[off] = (uint8_t)group_value(bits, (uint32_t)ps->byte_var[off], 8);
        if (off + 1 > ex->caplen) ex->caplen = off + 1;
    }
    ex->wirelen =
        ps->len_var >= 0 ? (uint32_t)group_value(bits, (uint32_t)ps->len_var, 32) : ex->caplen;
    ex->cls =
        ps->class_var >= 0 ? (int)group_value(bits, (uint32_t)ps->class_var, ps->class_width) : -1;
    ex->n_attr = ps->attrs->n < 32 ? ps->attrs->n : 32;
    for (size_t i = 0; i < ex->n_attr; i++) {
        const struct e2_pspace_slot *s = &ps->slots[i];
        if (s->var < 0) continue;
        ex->attr[i].present = bits[s->var];
        ex->attr[i].code = group_value(bits, (uint32_t)s->var + 1, s->width);
    }
}

/* Mark what @f depends on: attributes (when @attrs) and the class. */
static bool mark_tested(const struct e2_pspace *ps, e2_bdd f, bool attrs, struct e2_example *ex)
{
    uint32_t n = e2_bdd_nvars(ps->m);
    uint32_t *vars = malloc((n ? n : 1) * sizeof(*vars));
    bool cls = false;
    if (!vars) return false;
    size_t got = e2_bdd_support(ps->m, f, vars, n);
    for (size_t i = 0; i < got && i < n; i++) {
        const struct e2_pspace_var *k = &ps->var_kind[vars[i]];
        if (attrs && k->kind == PV_ATTR && k->what < ex->n_attr) ex->attr[k->what].shown = true;
        cls |= k->kind == PV_CLASS;
    }
    free(vars);
    return cls;
}

int e2_pspace_example(struct e2_pspace *ps, e2_bdd set, e2_bdd tested, struct e2_example *ex)
{
    if (set == E2_BDD_FALSE) return -ENOENT;
    uint32_t n = e2_bdd_nvars(ps->m);
    uint8_t *bits = malloc(n ? n : 1);
    if (!bits) return -ENOMEM;
    const struct template *t = &templates[0];
    e2_bdd chosen = set;
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        e2_bdd s = e2_bdd_and(ps->m, set, skeleton(ps, &templates[i]));
        if (s == E2_BDD_FALSE) continue;
        t = &templates[i];
        chosen = s;
        break;
    }
    prefer(ps, t, bits);
    e2_bdd_sat_prefer(ps->m, chosen, bits);
    fill_example(ps, t, bits, ex);
    bool cls = mark_tested(ps, tested, true, ex);
    if (!(mark_tested(ps, set, false, ex) || cls)) ex->cls = -1;
    free(bits);
    return 0;
}

static uint32_t be16(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static void put_transport(struct e2_strbuf *o, const uint8_t *f, uint32_t l4, uint32_t proto,
                          const char *src, const char *dst, char sep)
{
    static const char flag_names[] = "FSRPAUEC";
    switch (proto) {
    case 6:
    case 17:
    case 132:
        e2_strbuf_addf(o, "%s%c%u > %s%c%u %s", src, sep, be16(f + l4), dst, sep, be16(f + l4 + 2),
                       proto == 6    ? "tcp"
                       : proto == 17 ? "udp"
                                     : "sctp");
        if (proto == 6) {
            e2_strbuf_addf(o, " [");
            for (int b = 0; b < 8; b++)
                if (f[l4 + 13] & (1 << b)) e2_strbuf_addf(o, "%c", flag_names[b]);
            e2_strbuf_addf(o, "]");
        }
        return;
    case 1:
    case 58:
        e2_strbuf_addf(o, "%s > %s icmp%s type %u code %u", src, dst, proto == 58 ? "6" : "", f[l4],
                       f[l4 + 1]);
        return;
    default: e2_strbuf_addf(o, "%s > %s proto %u", src, dst, proto);
    }
}

static void describe_frame(const struct e2_example *ex, struct e2_strbuf *o)
{
    const uint8_t *f = ex->frame;
    static const uint8_t usual[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    if (memcmp(f, usual, 12))
        e2_strbuf_addf(o, "ether %02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x, ",
                       f[6], f[7], f[8], f[9], f[10], f[11], f[0], f[1], f[2], f[3], f[4], f[5]);
    uint32_t off = 12, type = be16(f + 12);
    while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && off + 8 <= sizeof(ex->frame)) {
        e2_strbuf_addf(o, "vlan %u, ", be16(f + off + 2) & 0xfff);
        off += 4;
        type = be16(f + off);
    }
    uint32_t l3 = off + 2;
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    if (type == 0x0800 && l3 + 20 <= sizeof(ex->frame)) {
        inet_ntop(AF_INET, f + l3 + 12, src, sizeof(src));
        inet_ntop(AF_INET, f + l3 + 16, dst, sizeof(dst));
        uint32_t l4 = l3 + 4 * (f[l3] & 0xfu), frag = be16(f + l3 + 6) & 0x1fff;
        e2_strbuf_addf(o, "IPv4 ");
        if (frag || l4 + 16 > sizeof(ex->frame))
            e2_strbuf_addf(o, "%s > %s proto %u fragment offset %u", src, dst, f[l3 + 9], frag);
        else
            put_transport(o, f, l4, f[l3 + 9], src, dst, ':');
        if (f[l3 + 1]) e2_strbuf_addf(o, " tos %u", f[l3 + 1]);
    } else if (type == 0x86dd && l3 + 60 <= sizeof(ex->frame)) {
        inet_ntop(AF_INET6, f + l3 + 8, src, sizeof(src));
        inet_ntop(AF_INET6, f + l3 + 24, dst, sizeof(dst));
        uint32_t nh = f[l3 + 6], l4 = l3 + 40;
        if (nh == 44) nh = f[l4], l4 += 8;
        e2_strbuf_addf(o, "IPv6 ");
        put_transport(o, f, l4, nh, src, dst, '.');
    } else if ((type == 0x0806 || type == 0x8035) && l3 + 28 <= sizeof(ex->frame)) {
        inet_ntop(AF_INET, f + l3 + 14, src, sizeof(src));
        inet_ntop(AF_INET, f + l3 + 24, dst, sizeof(dst));
        e2_strbuf_addf(o, "%s op %u %s > %s", type == 0x0806 ? "ARP" : "RARP", be16(f + l3 + 6),
                       src, dst);
    } else {
        e2_strbuf_addf(o, "ethertype 0x%04x", type);
    }
    if (ex->wirelen != ex->caplen) e2_strbuf_addf(o, ", length %u", ex->wirelen);
}

static void describe_attr(const struct e2_pspace *ps, const struct e2_example *ex, size_t i,
                          struct e2_strbuf *o)
{
    const struct e2_attr_slot *s = &ps->attrs->slots[i];
    const struct e2_nf_attr *a = s->attr;
    uint64_t c = ex->attr[i].code;
    e2_strbuf_addf(o, ", %s.%s", s->nf_type, a->name);
    if (!ex->attr[i].present) {
        e2_strbuf_addf(o, " unset");
    } else if (a->type == E2_ATTR_BOOL) {
        e2_strbuf_addf(o, "=%s", c ? "true" : "false");
    } else if (a->n_values) {
        e2_strbuf_addf(o, a->type == E2_ATTR_STRING ? "=\"%s\"" : "=%s",
                       c < a->n_values ? a->values[c].text : "?");
    } else if (a->has_range) {
        e2_strbuf_addf(o, "=%lld", (long long)((uint64_t)a->min + c));
    } else if (c && c <= s->n_strings) {
        e2_strbuf_addf(o, "=\"%s\"", s->strings[c - 1]);
    } else {
        e2_strbuf_addf(o, " set to a value the policy does not name");
    }
}

void e2_pspace_describe(const struct e2_pspace *ps, const struct e2_example *ex,
                        const char *(*class_name)(void *ctx, unsigned cls), void *ctx, char *buf,
                        size_t len)
{
    struct e2_strbuf o = E2_STRBUF_FIXED(buf, len);
    if (len) buf[0] = '\0';
    describe_frame(ex, &o);
    for (size_t i = 0; i < ex->n_attr; i++)
        if (ex->attr[i].shown) describe_attr(ps, ex, i, &o);
    if (ex->cls >= 0 && class_name) e2_strbuf_addf(&o, ", %s", class_name(ctx, (unsigned)ex->cls));
}
