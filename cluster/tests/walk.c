/* Test helper: walking frames through a deployment and through the policy (walk.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "e2_filter.h"
#include "walk.h"

#define MAX_STEPS 48
#define MAX_ATTRS 16

/* ---- frames ---- */

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return be16(p) << 16 | be16(p + 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* What HeaderMatch, the switch and FlowHash read from a frame (each as documented). */
struct hdr {
    uint32_t outer, eth; /* EtherType at byte 12; after up to two 802.1Q/802.1ad tags */
    bool vlan;
    uint32_t vid;
    int ipv; /* 4, 6 or 0 */
    uint32_t src, dst, proto, tos;
    bool ports, later;
    uint32_t sport, dport;
    bool arp;
    uint32_t spa, tpa;
    unsigned l4; /* offset of the L4 header when ports */
};

static void parse(const uint8_t *f, uint32_t len, struct hdr *h)
{
    memset(h, 0, sizeof(*h));
    if (len < 14) return;
    unsigned off = 12;
    h->outer = h->eth = be16(f + 12);
    if ((h->outer == 0x8100 || h->outer == 0x88a8) && len >= 18)
        h->vlan = true, h->vid = be16(f + 14) & 0xfff;
    for (int v = 0; v < 2 && (h->eth == 0x8100 || h->eth == 0x88a8) && off + 6 <= len; v++) {
        off += 4;
        h->eth = be16(f + off);
    }
    off += 2;
    if (h->eth == 0x0800 && off + 20 <= len) {
        unsigned ihl = (f[off] & 15u) * 4;
        h->ipv = 4;
        h->tos = f[off + 1];
        h->proto = f[off + 9];
        h->src = be32(f + off + 12);
        h->dst = be32(f + off + 16);
        h->later = (be16(f + off + 6) & 0x1fff) != 0;
        h->l4 = off + ihl;
        h->ports = !h->later && ihl >= 20 && off + ihl + 4 <= len;
    } else if (h->eth == 0x86dd && off + 40 <= len) {
        h->ipv = 6;
        h->tos = be16(f + off) >> 4 & 0xff;
        h->proto = f[off + 6];
        h->src = be32(f + off + 8) ^ be32(f + off + 20);
        h->dst = be32(f + off + 24) ^ be32(f + off + 36);
        h->l4 = off + 40;
        h->ports = off + 44 <= len;
    } else if ((h->eth == 0x0806 || h->eth == 0x8035) && off + 28 <= len) {
        h->arp = true;
        h->spa = be32(f + off + 14);
        h->tpa = be32(f + off + 24);
    }
    h->ports = h->ports && (h->proto == 6 || h->proto == 17 || h->proto == 132);
    if (h->ports) h->sport = be16(f + h->l4), h->dport = be16(f + h->l4 + 2);
}

uint32_t walk_hash(const uint8_t *frame, uint32_t len, uint32_t fields, bool symmetric)
{
    struct hdr h;
    parse(frame, len, &h);
    uint32_t v[5] = {0};
    if (h.ipv) {
        v[0] = fields & E2_FIELD_SRC_IP ? h.src : 0;
        v[1] = fields & E2_FIELD_DST_IP ? h.dst : 0;
        v[2] = fields & E2_FIELD_PROTO ? h.proto : 0;
        v[3] = fields & E2_FIELD_SRC_PORT && h.ports ? h.sport : 0;
        v[4] = fields & E2_FIELD_DST_PORT && h.ports ? h.dport : 0;
    }
    if (symmetric && (v[0] > v[1] || (v[0] == v[1] && v[3] > v[4]))) {
        uint32_t t = v[0];
        v[0] = v[1], v[1] = t;
        t = v[3], v[3] = v[4], v[4] = t;
    }
    uint64_t x = 1469598103934665603ull;
    for (int i = 0; i < 5; i++) x = (x ^ v[i]) * 1099511628211ull, x ^= x >> 29;
    return (uint32_t)(x ^ x >> 32);
}

/* ---- the walked packet ---- */

struct wpkt {
    uint8_t f[256];
    uint32_t len;
    uint32_t tag[4];
    uint8_t tags; /* valid bits */
    bool has_flow;
    uint32_t flow;
    bool nsh;
    uint32_t spi;
    char outer_dst[18];
    /* the oracle's view: attribute values carried */
    char *attr_name[MAX_ATTRS];
    int64_t attr_num[MAX_ATTRS];
    const char *attr_str[MAX_ATTRS];
    size_t n_attrs;
    long cls;
};

struct path {
    char step[MAX_STEPS][48];
    size_t n;
};

static void add_path(struct walk_paths *out, const struct path *p, const char *end)
{
    char buf[MAX_STEPS * 48 + 32] = "";
    for (size_t i = 0; i < p->n; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s ", p->step[i]);
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s", end);
    out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
    out->v[out->n++] = strdup(buf);
}

void walk_paths_free(struct walk_paths *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* ---- the model of the deployment ---- */

struct wlink {
    long from, to;
    unsigned ogate, igate;
};

struct wserver {
    const char *name;
    unsigned port;
    const json_t *deploy; /* servers.NAME */
    json_t *ops;
    const char **mod_name, **mod_type;
    const json_t **mod_args;
    size_t n_mods;
    struct wlink *links;
    size_t n_links;
    char *tag_name[4];
};

struct winst {
    const char *id, *node, *nf_type;
    bool tee;
    uint64_t lo, hi;
    size_t server;
};

struct wpedge {
    unsigned id;
    const char *src, *dst, *dst_input;
    const json_t *src_ports, *cls;
    struct e2_filter *f;
};

struct walk {
    const json_t *plan, *pgraph, *deploy;
    const struct e2_nf_catalog *cat;
    const struct walk_values *values;
    unsigned bits;
    struct wserver *sv;
    size_t n_sv;
    const json_t *rules;
    struct winst *in;
    size_t n_in;
    struct wpedge *pe;
    size_t n_pe;
    struct e2_attr_table attrs;
    uint64_t spi_seen[1024];
};

static const char *const known_types[] = {
    "PortInc",     "PortOut",       "NSHDecap", "NSHEncap", "SetTag",
    "HeaderMatch", "MetadataMatch", "FlowHash", "VPort",    "Queue",
    "Merge",       "Rewrite",       "Tee",      "Drop",     NULL};

static long find_mod(const struct wserver *s, const char *name)
{
    for (size_t i = 0; i < s->n_mods; i++)
        if (!strcmp(s->mod_name[i], name)) return (long)i;
    return -1;
}

static void add_mod(struct wserver *s, const char *name, const char *type, const json_t *args)
{
    if (find_mod(s, name) >= 0) fail_msg("server %s: module %s declared twice", s->name, name);
    bool known = false;
    for (int i = 0; known_types[i]; i++) known |= !strcmp(known_types[i], type);
    if (!known) fail_msg("server %s: module %s has unknown type %s", s->name, name, type);
    s->mod_name = realloc(s->mod_name, (s->n_mods + 1) * sizeof(*s->mod_name));
    s->mod_type = realloc(s->mod_type, (s->n_mods + 1) * sizeof(*s->mod_type));
    s->mod_args = realloc(s->mod_args, (s->n_mods + 1) * sizeof(*s->mod_args));
    s->mod_name[s->n_mods] = name;
    s->mod_type[s->n_mods] = type;
    s->mod_args[s->n_mods++] = args;
}

/* The configuration as e2d's compiler reads it, with the agent's part in front. */
static void load_server(struct walk *w, struct wserver *s, const char *name, const json_t *d)
{
    s->name = name;
    s->deploy = d;
    s->port = (unsigned)json_integer_value(json_object_get(d, "switch_port"));
    const char *conf = json_string_value(json_object_get(d, "e2d_config"));
    assert_non_null(conf);
    char *text = NULL;
    assert_true(asprintf(&text,
                         "port nic(vdev=\"net_null0\");\nnic_in :: PortInc(port=nic);\n"
                         "nic_out :: PortOut(port=nic);\n%s",
                         conf) > 0);
    struct e2_err err = {0};
    if (e2_conf_compile(text, name, &s->ops, &err)) fail_msg("server %s: %s", name, err.msg);
    free(text);
    for (size_t i = 0; i < json_array_size(s->ops); i++) {
        const json_t *op = json_array_get(s->ops, i);
        const char *kind = json_string_value(json_object_get(op, "op"));
        if (!strcmp(kind, "module_create"))
            add_mod(s, json_string_value(json_object_get(op, "name")),
                    json_string_value(json_object_get(op, "type")), json_object_get(op, "args"));
        else if (!strcmp(kind, "tag_define")) {
            json_int_t slot = json_integer_value(json_object_get(op, "slot"));
            assert_true(slot >= 0 && slot < 4);
            s->tag_name[slot] = (char *)json_string_value(json_object_get(op, "name"));
        }
    }
    for (size_t i = 0; i < json_array_size(s->ops); i++) {
        const json_t *op = json_array_get(s->ops, i);
        if (strcmp(json_string_value(json_object_get(op, "op")), "connect")) continue;
        const char *from = json_string_value(json_object_get(op, "from"));
        const char *to = json_string_value(json_object_get(op, "to"));
        long a = find_mod(s, from), b = find_mod(s, to);
        if (a < 0 || b < 0) fail_msg("server %s: connect %s -> %s: no such module", name, from, to);
        struct wlink l = {a, b, (unsigned)json_number_value(json_object_get(op, "ogate")),
                          (unsigned)json_number_value(json_object_get(op, "igate"))};
        for (size_t k = 0; k < s->n_links; k++)
            if (s->links[k].from == a && s->links[k].ogate == l.ogate)
                fail_msg("server %s: %s[%u] connected twice", name, from, l.ogate);
            else if (s->links[k].to == b && s->links[k].igate == l.igate)
                fail_msg("server %s: [%u]%s connected twice", name, l.igate, to);
        s->links = realloc(s->links, (s->n_links + 1) * sizeof(*s->links));
        s->links[s->n_links++] = l;
    }
    (void)w;
}

static int scope_type(void *ctx, const char *type, const struct e2_nf_desc **out)
{
    const struct walk *w = ctx;
    *out = e2_nf_catalog_find(w->cat, type);
    return *out ? 0 : -ENOENT;
}

static void load_pgraph(struct walk *w)
{
    const json_t *edges = json_object_get(w->pgraph, "edges");
    w->n_pe = json_array_size(edges);
    w->pe = calloc(w->n_pe + 1, sizeof(*w->pe));
    struct e2_filter_scope scope = {.ctx = w, .nf_type = scope_type, .attrs = &w->attrs};
    for (size_t i = 0; i < w->n_pe; i++) {
        const json_t *e = json_array_get(edges, i);
        struct wpedge *p = &w->pe[i];
        p->id = (unsigned)json_integer_value(json_object_get(e, "id"));
        p->src = json_string_value(json_object_get(e, "src"));
        p->dst = json_string_value(json_object_get(e, "dst"));
        p->dst_input = json_string_value(json_object_get(json_object_get(e, "dst_input"), "port"));
        p->src_ports = json_object_get(e, "src_ports");
        p->cls = json_object_get(e, "class");
        const char *filter = json_string_value(json_object_get(e, "filter"));
        struct e2_err err = {0};
        struct e2_filter_src src = {"pgraph", 1, 1};
        if (e2_filter_parse(filter, strlen(filter), &src, &scope, &p->f, &err))
            fail_msg("pGraph edge %u: %s", p->id, err.msg);
    }
}

static void load_plan(struct walk *w)
{
    const json_t *servers = json_object_get(w->plan, "servers");
    w->bits = (unsigned)json_integer_value(json_object_get(w->plan, "flow_id_bits"));
    for (size_t s = 0; s < json_array_size(servers); s++) {
        const json_t *a = json_object_get(json_array_get(servers, s), "instances");
        const char *sname = json_string_value(json_object_get(json_array_get(servers, s), "name"));
        size_t k = 0;
        while (k < w->n_sv && strcmp(w->sv[k].name, sname)) k++;
        assert_true(k < w->n_sv);
        for (size_t i = 0; i < json_array_size(a); i++) {
            const json_t *o = json_array_get(a, i);
            w->in = realloc(w->in, (w->n_in + 1) * sizeof(*w->in));
            struct winst *in = &w->in[w->n_in++];
            in->id = json_string_value(json_object_get(o, "id"));
            in->node = json_string_value(json_object_get(o, "node"));
            in->nf_type = json_string_value(json_object_get(o, "nf_type"));
            in->tee = !strcmp(json_string_value(json_object_get(o, "kind")), "tee");
            const json_t *r = json_object_get(o, "flow_range");
            in->lo = (uint64_t)json_integer_value(json_array_get(r, 0));
            in->hi = (uint64_t)json_integer_value(json_array_get(r, 1));
            in->server = k;
        }
    }
}

struct walk *walk_new(const json_t *pgraph, const json_t *plan, const json_t *deploy,
                      const struct e2_nf_catalog *cat, const struct walk_values *values)
{
    struct walk *w = calloc(1, sizeof(*w));
    *w = (struct walk){
        .plan = plan, .pgraph = pgraph, .deploy = deploy, .cat = cat, .values = values};
    w->rules = json_object_get(json_object_get(deploy, "switch"), "rules");
    const json_t *servers = json_object_get(deploy, "servers");
    w->sv = calloc(json_object_size(servers) + 1, sizeof(*w->sv));
    const char *name;
    const json_t *d;
    json_object_foreach((json_t *)servers, name, d) load_server(w, &w->sv[w->n_sv++], name, d);
    load_plan(w);
    load_pgraph(w);
    return w;
}

void walk_free(struct walk *w)
{
    for (size_t s = 0; s < w->n_sv; s++) {
        json_decref(w->sv[s].ops);
        free(w->sv[s].mod_name);
        free(w->sv[s].mod_type);
        free(w->sv[s].mod_args);
        free(w->sv[s].links);
    }
    for (size_t i = 0; i < w->n_pe; i++) e2_filter_free(w->pe[i].f);
    e2_attr_table_free(&w->attrs);
    free(w->sv);
    free(w->in);
    free(w->pe);
    free(w);
}

size_t walk_spis_used(const struct walk *w)
{
    size_t n = 0;
    for (size_t i = 0; i < 1024; i++) n += w->spi_seen[i] != 0;
    return n;
}

/* ---- NFs (shared by both walks) ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t seed_of(uint64_t seed, const char *id, unsigned visit)
{
    uint64_t x = seed * 31 + visit;
    for (const char *c = id; *c; c++) x = mix(x + (unsigned char)*c);
    return x;
}

static unsigned visits(const struct path *p, const char *id)
{
    unsigned n = 0;
    size_t len = strlen(id);
    for (size_t i = 0; i < p->n; i++) n += !strncmp(p->step[i], id, len) && p->step[i][len] == ':';
    return n;
}

static void set_attr(struct wpkt *p, const char *name, int64_t num, const char *str)
{
    for (size_t i = 0; i < p->n_attrs; i++)
        if (!strcmp(p->attr_name[i], name)) {
            p->attr_num[i] = num;
            p->attr_str[i] = str;
            return;
        }
    if (p->n_attrs == MAX_ATTRS) fail_msg("too many attributes");
    p->attr_name[p->n_attrs] = strdup(name);
    p->attr_num[p->n_attrs] = num;
    p->attr_str[p->n_attrs++] = str;
}

static void clear_attrs(struct wpkt *p, bool port_only, const struct e2_nf_catalog *cat)
{
    size_t k = 0;
    for (size_t i = 0; i < p->n_attrs; i++) {
        char type[64];
        const char *dot = strchr(p->attr_name[i], '.');
        snprintf(type, sizeof(type), "%.*s", (int)(dot - p->attr_name[i]), p->attr_name[i]);
        const struct e2_nf_desc *d = e2_nf_catalog_find(cat, type);
        const struct e2_nf_attr *a = d ? e2_nf_desc_attr(d, dot + 1) : NULL;
        bool drop = !port_only || (a && a->method == E2_ATTR_PORT);
        if (drop) {
            free(p->attr_name[i]);
            continue;
        }
        p->attr_name[k] = p->attr_name[i];
        p->attr_num[k] = p->attr_num[i];
        p->attr_str[k++] = p->attr_str[i];
    }
    p->n_attrs = k;
}

static void copy_pkt(struct wpkt *dst, const struct wpkt *src)
{
    *dst = *src;
    for (size_t i = 0; i < src->n_attrs; i++) dst->attr_name[i] = strdup(src->attr_name[i]);
}

static void free_pkt(struct wpkt *p)
{
    for (size_t i = 0; i < p->n_attrs; i++) free(p->attr_name[i]);
    p->n_attrs = 0;
}

static void rewrite_field(struct wpkt *p, unsigned d, uint64_t v)
{
    struct hdr h;
    parse(p->f, p->len, &h);
    if (h.ipv != 4 || h.outer != 0x0800) return;
    if (d == E2_CD_SRC && v < E2_CUBE_NONE32) put32(p->f + 26, (uint32_t)v);
    if (d == E2_CD_DST && v < E2_CUBE_NONE32) put32(p->f + 30, (uint32_t)v);
    if (!h.ports || v == 0 || v > 65536) return;
    unsigned at = h.l4 + (d == E2_CD_DPORT ? 2 : 0);
    if (d == E2_CD_SPORT || d == E2_CD_DPORT)
        p->f[at] = (uint8_t)((v - 1) >> 8), p->f[at + 1] = (uint8_t)(v - 1);
}

/*
 * The NF's choices for one visit: the output (by its port attribute's value),
 * its attributes (into the oracle's view), and rewrites. Returns the output.
 */
static const char *nf_decide(const struct walk *w, const struct e2_nf_desc *d, uint64_t seed,
                             struct wpkt *p, int64_t *meta_val, bool *meta_set)
{
    uint64_t r = mix(seed);
    const char *out = d->outputs[0];
    for (size_t k = 0; k < d->n_attrs; k++) {
        const struct e2_nf_attr *a = &d->attrs[k];
        char name[128];
        snprintf(name, sizeof(name), "%s.%s", d->nf_type, a->name);
        r = mix(r + k);
        meta_set[k] = false;
        if (!a->n_values && !a->has_range) continue; /* open string domain: the NF's own */
        int64_t num;
        const char *str = NULL;
        if (a->n_values) {
            size_t v = r % a->n_values;
            num = a->values[v].num;
            str = a->type == E2_ATTR_STRING ? a->values[v].text : NULL;
            if (a->method == E2_ATTR_PORT) out = d->outputs[a->values[v].port];
        } else {
            num = a->min + (int64_t)(r % (uint64_t)(a->max - a->min + 1));
        }
        if (a->type == E2_ATTR_BOOL && !a->n_values) num = (int64_t)(r & 1);
        set_attr(p, name, num, str);
        meta_set[k] = a->method == E2_ATTR_METADATA;
        meta_val[k] = num;
    }
    static const unsigned dims[] = {E2_CD_SRC, E2_CD_DST, E2_CD_SPORT, E2_CD_DPORT};
    static const uint32_t bits[] = {E2_FIELD_SRC_IP, E2_FIELD_DST_IP, E2_FIELD_SRC_PORT,
                                    E2_FIELD_DST_PORT};
    for (int k = 0; k < 4; k++) {
        r = mix(r + 100 + (uint64_t)k);
        if (!(d->rewrites & bits[k]) || !(r & 1) || !w->values->n[dims[k]]) continue;
        rewrite_field(p, dims[k], w->values->v[dims[k]][(r >> 1) % w->values->n[dims[k]]]);
    }
    return out;
}

/* ---- the switch (contract B) ---- */

static bool ip_in(const json_t *v, uint32_t a)
{
    const char *s = json_string_value(v);
    unsigned b[8], len;
    if (sscanf(s, "%u.%u.%u.%u/%u", &b[0], &b[1], &b[2], &b[3], &len) == 5) {
        uint32_t p = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        uint32_t m = len ? ~0u << (32 - len) : 0;
        return (a & m) == p;
    }
    if (sscanf(s, "%u.%u.%u.%u-%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6],
               &b[7]) == 8)
        return a >= (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) &&
               a <= (b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]);
    fail_msg("switch rule: bad address \"%s\"", s);
    return false;
}

static bool num_in(const json_t *v, uint64_t x)
{
    if (json_is_integer(v)) return x == (uint64_t)json_integer_value(v);
    unsigned long long lo, hi;
    if (sscanf(json_string_value(v), "%llu-%llu", &lo, &hi) != 2)
        fail_msg("switch rule: bad range");
    return x >= lo && x <= hi;
}

static bool sw_match(const json_t *m, const struct wpkt *p, unsigned in_port, uint32_t reg,
                     bool has_reg)
{
    struct hdr h;
    parse(p->f, p->len, &h);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)m, key, v)
    {
        bool ok;
        if (!strcmp(key, "in_port"))
            ok = in_port == json_integer_value(v);
        else if (!strcmp(key, "eth_type"))
            ok = (p->nsh ? 0x894F : h.eth) == json_integer_value(v);
        else if (!strcmp(key, "eth_dst"))
            ok = p->nsh && !strcmp(p->outer_dst, json_string_value(v));
        else if (!strcmp(key, "nsh_spi"))
            ok = p->nsh && p->spi == json_integer_value(v);
        else if (!strcmp(key, "ip_proto"))
            ok = !p->nsh && h.ipv && h.proto == json_integer_value(v);
        else if (!strcmp(key, "src_ip") || !strcmp(key, "dst_ip")) {
            bool src = key[0] == 's';
            uint32_t a = h.arp ? (src ? h.spa : h.tpa) : (src ? h.src : h.dst);
            ok = !p->nsh && (h.ipv == 4 || h.arp) && ip_in(v, a);
        } else if (!strcmp(key, "src_port") || !strcmp(key, "dst_port")) {
            bool l4 = h.ipv && (h.proto == 6 || h.proto == 17 || h.proto == 132);
            uint32_t port = h.later         ? 0
                            : key[0] == 's' ? h.sport
                                            : h.dport; /* OVS: later frags 0 */
            ok = !p->nsh && l4 && num_in(v, port);
        } else if (!strcmp(key, "flow_range")) {
            ok = has_reg && reg >= json_integer_value(json_array_get(v, 0)) &&
                 reg < json_integer_value(json_array_get(v, 1));
        } else {
            fail_msg("switch rule: unknown match key %s", key);
            ok = false;
        }
        if (!ok) return false;
    }
    return true;
}

static void ovs_hash(const char *name, uint32_t *fields, bool *sym)
{
    *sym = !strncmp(name, "symmetric", 9);
    if (!strcmp(name, "symmetric_l3l4+udp"))
        *fields = E2_FIELDS_5TUPLE;
    else if (!strcmp(name, "symmetric_l3"))
        *fields = E2_FIELD_SRC_IP | E2_FIELD_DST_IP;
    else if (!strcmp(name, "nw_src"))
        *fields = E2_FIELD_SRC_IP;
    else if (!strcmp(name, "nw_dst"))
        *fields = E2_FIELD_DST_IP;
    else
        fail_msg("switch rule: unknown flow_hash %s", name);
}

struct run {
    struct walk *w;
    uint64_t seed;
    struct walk_paths *out;
    unsigned hops;
};

static void srv_emit(struct run *r, size_t s, long mod, unsigned ogate, struct wpkt *p,
                     struct path *path);

static const json_t *best_rule(const struct walk *w, unsigned table, const struct wpkt *p,
                               unsigned in_port, uint32_t reg, bool has_reg)
{
    const json_t *best = NULL;
    json_int_t best_prio = -1;
    for (size_t i = 0; i < json_array_size(w->rules); i++) {
        const json_t *rule = json_array_get(w->rules, i);
        if (json_integer_value(json_object_get(rule, "table")) != table) continue;
        json_int_t prio = json_integer_value(json_object_get(rule, "priority"));
        if (prio < best_prio || !sw_match(json_object_get(rule, "match"), p, in_port, reg, has_reg))
            continue;
        if (prio == best_prio) fail_msg("two switch rules of priority %lld match", (long long)prio);
        best = rule;
        best_prio = prio;
    }
    return best;
}

static void sw_output(struct run *r, struct wpkt *p, unsigned port, struct path *path)
{
    for (size_t s = 0; s < r->w->n_sv; s++)
        if (r->w->sv[s].port == port) {
            long nic = find_mod(&r->w->sv[s], "nic_in");
            srv_emit(r, s, nic, 0, p, path);
            return;
        }
    char end[32];
    snprintf(end, sizeof(end), p->nsh ? "exit-with-nsh:%u" : "exit:%u", port);
    add_path(r->out, path, end);
}

static void sw_in(struct run *r, struct wpkt *p, unsigned in_port, struct path *path)
{
    uint32_t reg = 0;
    bool has_reg = false;
    if (++r->hops > 200) fail_msg("a packet loops");
    for (unsigned table = 0;;) {
        const json_t *rule = best_rule(r->w, table, p, in_port, reg, has_reg);
        if (!rule) return add_path(r->out, path, "drop");
        const json_t *acts = json_object_get(rule, "actions");
        bool next = false;
        for (size_t i = 0; i < json_array_size(acts); i++) {
            const json_t *a = json_array_get(acts, i), *v;
            if ((v = json_object_get(a, "flow_hash"))) {
                uint32_t fields = 0;
                bool sym = false;
                ovs_hash(json_string_value(json_object_get(v, "hash")), &fields, &sym);
                reg = walk_hash(p->f, p->len, fields, sym) & ((1u << r->w->bits) - 1);
                has_reg = true;
            } else if ((v = json_object_get(a, "goto_table"))) {
                table = (unsigned)json_integer_value(v);
                next = true;
            } else if ((v = json_object_get(a, "push_nsh"))) {
                p->nsh = true;
                p->spi = (uint32_t)json_integer_value(json_object_get(v, "spi"));
                p->tags = 0; /* a pushed NSH header carries no context */
                p->has_flow = false;
                if (p->spi < 1024) r->w->spi_seen[p->spi]++;
            } else if ((v = json_object_get(a, "pop_nsh"))) {
                p->nsh = false;
            } else if ((v = json_object_get(a, "set_eth_dst"))) {
                snprintf(p->outer_dst, sizeof(p->outer_dst), "%s", json_string_value(v));
            } else if ((v = json_object_get(a, "output"))) {
                return sw_output(r, p, (unsigned)json_integer_value(v), path);
            } else if (json_object_get(a, "drop")) {
                return add_path(r->out, path, "drop");
            } else {
                fail_msg("switch rule: unknown action");
            }
        }
        if (!next) return add_path(r->out, path, "drop");
    }
}

/* ---- e2d modules ---- */

static int tag_slot(const struct wserver *s, const char *name)
{
    for (int i = 0; i < 4; i++)
        if (s->tag_name[i] && !strcmp(s->tag_name[i], name)) return i;
    fail_msg("server %s: tag %s is not defined", s->name, name);
    return -1;
}

static bool range_of(const json_t *v, uint32_t x)
{
    if (json_is_number(v)) return x == (uint32_t)json_number_value(v);
    const char *s = json_string_value(v);
    static const struct {
        const char *n;
        uint32_t v;
    } names[] = {{"ipv4", 0x800}, {"ipv6", 0x86dd}, {"arp", 0x806}, {"tcp", 6},
                 {"udp", 17},     {"sctp", 132},    {"icmp", 1}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i].n)) return x == names[i].v;
    char *end;
    unsigned long lo = strtoul(s, &end, 0), hi = lo;
    if (*end == '-') hi = strtoul(end + 1, &end, 0);
    if (*end) fail_msg("HeaderMatch: bad value \"%s\"", s);
    return x >= lo && x <= hi;
}

static bool prefix_of(const json_t *v, uint32_t a)
{
    unsigned b[4], len = 32;
    const char *s = json_string_value(v);
    int n = sscanf(s, "%u.%u.%u.%u/%u", &b[0], &b[1], &b[2], &b[3], &len);
    if (n < 4) fail_msg("HeaderMatch: bad prefix \"%s\"", s);
    uint32_t p = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3], m = len ? ~0u << (32 - len) : 0;
    return (a & m) == p;
}

/* HeaderMatch's conditions on a frame (docs/e2d-modules.md). */
static bool hm_rule(const json_t *rule, const struct wpkt *p)
{
    struct hdr h;
    parse(p->f, p->len, &h);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rule, key, v)
    {
        bool ok;
        if (!strcmp(key, "gate") || !strcmp(key, "name")) continue;
        if (!strcmp(key, "ether_type"))
            ok = range_of(v, h.eth);
        else if (!strcmp(key, "vlan"))
            ok = h.vlan && range_of(v, h.vid);
        else if (!strcmp(key, "proto"))
            ok = h.ipv && range_of(v, h.proto);
        else if (!strcmp(key, "tos"))
            ok = h.ipv && range_of(v, h.tos);
        else if (!strcmp(key, "src_ip"))
            ok = h.ipv == 4 && prefix_of(v, h.src);
        else if (!strcmp(key, "dst_ip"))
            ok = h.ipv == 4 && prefix_of(v, h.dst);
        else if (!strcmp(key, "src_port"))
            ok = h.ports && range_of(v, h.sport);
        else if (!strcmp(key, "dst_port"))
            ok = h.ports && range_of(v, h.dport);
        else if (!strcmp(key, "arp_spa"))
            ok = h.arp && prefix_of(v, h.spa);
        else if (!strcmp(key, "arp_tpa"))
            ok = h.arp && prefix_of(v, h.tpa);
        else {
            fail_msg("HeaderMatch: unknown key %s", key);
            ok = false;
        }
        if (!ok) return false;
    }
    return true;
}

static bool mm_cond(const struct wserver *s, const json_t *c, const struct wpkt *p)
{
    int slot = tag_slot(s, json_string_value(json_object_get(c, "tag")));
    bool has = p->tags >> slot & 1;
    const json_t *present = json_object_get(c, "present");
    if (present && json_is_false(present)) return !has;
    if (!has) return false;
    uint32_t t = p->tag[slot];
    const json_t *val = json_object_get(c, "value"), *lo = json_object_get(c, "lo"),
                 *hi = json_object_get(c, "hi");
    if (val) return t == (uint32_t)json_number_value(val);
    return (!lo || t >= (uint32_t)json_number_value(lo)) &&
           (!hi || t <= (uint32_t)json_number_value(hi));
}

static bool mm_rule(const struct wserver *s, const json_t *rule, const struct wpkt *p)
{
    const json_t *all = json_object_get(rule, "all");
    if (!all) return !json_object_get(rule, "tag") || mm_cond(s, rule, p);
    for (size_t i = 0; i < json_array_size(all); i++)
        if (!mm_cond(s, json_array_get(all, i), p)) return false;
    return true;
}

static long table_gate(const struct wserver *s, const json_t *args, const struct wpkt *p,
                       bool header)
{
    const json_t *rules = json_object_get(args, "rules");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *rule = json_array_get(rules, i);
        if (header ? hm_rule(rule, p) : mm_rule(s, rule, p))
            return (long)json_number_value(json_object_get(rule, "gate"));
    }
    const json_t *d = json_object_get(args, "default_gate");
    return d ? (long)json_number_value(d) : -1;
}

static long flowhash_gate(const struct walk *w, const json_t *args, struct wpkt *p)
{
    const json_t *fields = json_object_get(args, "fields");
    uint32_t f = 0;
    for (size_t i = 0; i < json_array_size(fields); i++)
        for (uint32_t b = 1; b <= E2_FIELD_DST_PORT; b <<= 1)
            if (!strcmp(e2_field_name(b), json_string_value(json_array_get(fields, i)))) f |= b;
    const char *hash = json_string_value(json_object_get(args, "hash"));
    bool ovs = hash && !strcmp(hash, "ovs");
    bool sym = ovs && (f == E2_FIELDS_5TUPLE || f == (E2_FIELD_SRC_IP | E2_FIELD_DST_IP));
    unsigned bits = (unsigned)json_number_value(json_object_get(args, "bits"));
    assert_int_equal(bits, w->bits);
    p->flow = walk_hash(p->f, p->len, f, sym) & ((1u << bits) - 1);
    p->has_flow = true;
    const json_t *ranges = json_object_get(args, "ranges");
    for (size_t i = 0; i < json_array_size(ranges); i++) {
        const json_t *r = json_array_get(ranges, i);
        if (p->flow >= json_number_value(json_object_get(r, "lo")) &&
            p->flow < json_number_value(json_object_get(r, "hi")))
            return (long)json_number_value(json_object_get(r, "gate"));
    }
    return (long)json_number_value(json_object_get(args, "miss_gate"));
}

static long find_by_arg(const struct wserver *s, const char *type, const char *k1, const char *v1,
                        const char *k2, const char *v2)
{
    for (size_t i = 0; i < s->n_mods; i++) {
        if (strcmp(s->mod_type[i], type)) continue;
        const char *a = json_string_value(json_object_get(s->mod_args[i], k1));
        const char *b = k2 ? json_string_value(json_object_get(s->mod_args[i], k2)) : NULL;
        if (a && !strcmp(a, v1) && (!k2 || (b && !strcmp(b, v2)))) return (long)i;
    }
    return -1;
}

static const json_t *nf_entry(const struct wserver *s, const char *nf)
{
    const json_t *nfs = json_object_get(s->deploy, "nfs");
    for (size_t i = 0; i < json_array_size(nfs); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(nfs, i), "nf")), nf))
            return json_array_get(nfs, i);
    fail_msg("server %s: no NF process %s", s->name, nf);
    return NULL;
}

/* A packet reaches NF @nf (on @s) by input @port: record it, let it choose, go on. */
static void nf_visit(struct run *r, size_t s, const char *nf, const char *port, struct wpkt *p,
                     struct path *path)
{
    const struct wserver *S = &r->w->sv[s];
    const json_t *e = nf_entry(S, nf);
    const char *id = json_string_value(json_object_get(e, "instance"));
    const struct e2_nf_desc *d =
        e2_nf_catalog_find(r->w->cat, json_string_value(json_object_get(e, "nf_type")));
    bool legacy = d->api == E2_NF_LEGACY;
    unsigned visit = visits(path, id);
    if (path->n == MAX_STEPS) fail_msg("path too long");
    snprintf(path->step[path->n++], 48, "%s:%s", id, port);
    int64_t val[64];
    bool set[64];
    const char *out = nf_decide(r->w, d, seed_of(r->seed, id, visit), p, val, set);
    if (legacy) p->tags = 0, p->has_flow = false; /* through the kernel: no E2 metadata */
    for (size_t k = 0; k < d->n_attrs && !legacy; k++) {
        char name[128];
        snprintf(name, sizeof(name), "%s.%s", d->nf_type, d->attrs[k].name);
        for (int t = 0; t < 4 && set[k]; t++)
            if (S->tag_name[t] && !strcmp(S->tag_name[t], name))
                p->tag[t] = (uint32_t)val[k], p->tags |= 1u << t;
    }
    char pname[64];
    snprintf(pname, sizeof(pname), "%s_out", nf);
    long m = legacy ? find_by_arg(S, "PortInc", "port", pname, NULL, NULL)
                    : find_by_arg(S, "VPort", "nf", nf, "port", out);
    if (m < 0) return add_path(r->out, path, "nowhere-after-nf");
    srv_emit(r, s, m, 0, p, path);
}

static void srv_push(struct run *r, size_t s, long mod, unsigned igate, struct wpkt *p,
                     struct path *path)
{
    const struct wserver *S = &r->w->sv[s];
    const char *type = S->mod_type[mod];
    const json_t *args = S->mod_args[mod];
    if (++r->hops > 400) fail_msg("a packet loops in server %s", S->name);
    if (!strcmp(type, "NSHDecap")) {
        const json_t *spis = json_object_get(args, "spis");
        if (!p->nsh) return add_path(r->out, path, "decap-without-nsh");
        p->nsh = false;
        for (size_t i = 0; i < json_array_size(spis); i++)
            if (json_number_value(json_object_get(json_array_get(spis, i), "spi")) == p->spi)
                return srv_emit(
                    r, s, mod,
                    (unsigned)json_number_value(json_object_get(json_array_get(spis, i), "gate")),
                    p, path);
        return add_path(r->out, path, "drop");
    }
    if (!strcmp(type, "SetTag")) {
        int slot = tag_slot(S, json_string_value(json_object_get(args, "tag")));
        p->tag[slot] = (uint32_t)json_number_value(json_object_get(args, "value"));
        p->tags |= 1u << slot;
        return srv_emit(r, s, mod, 0, p, path);
    }
    if (!strcmp(type, "HeaderMatch") || !strcmp(type, "MetadataMatch")) {
        long g = table_gate(S, args, p, type[0] == 'H');
        return g < 0 ? add_path(r->out, path, "drop") : srv_emit(r, s, mod, (unsigned)g, p, path);
    }
    if (!strcmp(type, "FlowHash")) {
        long g = flowhash_gate(r->w, args, p);
        return g < 0 ? add_path(r->out, path, "drop") : srv_emit(r, s, mod, (unsigned)g, p, path);
    }
    if (!strcmp(type, "Queue") || !strcmp(type, "Merge")) return srv_emit(r, s, mod, 0, p, path);
    if (!strcmp(type, "Rewrite")) return srv_emit(r, s, mod, igate, p, path);
    if (!strcmp(type, "Drop")) return add_path(r->out, path, "drop");
    if (!strcmp(type, "NSHEncap")) {
        p->nsh = true;
        p->spi = (uint32_t)json_number_value(json_object_get(args, "spi"));
        snprintf(p->outer_dst, sizeof(p->outer_dst), "%s",
                 json_string_value(json_object_get(args, "dst_mac")));
        if (p->spi < 1024) r->w->spi_seen[p->spi]++;
        return srv_emit(r, s, mod, 0, p, path);
    }
    if (!strcmp(type, "Tee")) {
        unsigned gates = (unsigned)json_number_value(json_object_get(args, "gates"));
        for (unsigned g = 0; g < gates; g++) {
            struct wpkt c;
            struct path cp = *path;
            copy_pkt(&c, p);
            srv_emit(r, s, mod, g, &c, &cp);
            free_pkt(&c);
        }
        return;
    }
    if (!strcmp(type, "VPort"))
        return nf_visit(r, s, json_string_value(json_object_get(args, "nf")),
                        json_string_value(json_object_get(args, "port")), p, path);
    if (!strcmp(type, "PortOut")) {
        const char *port = json_string_value(json_object_get(args, "port"));
        if (!strcmp(port, "nic")) return sw_in(r, p, S->port, path);
        char nf[64];
        size_t n = strlen(port);
        assert_true(n > 3 && !strcmp(port + n - 3, "_in"));
        snprintf(nf, sizeof(nf), "%.*s", (int)(n - 3), port);
        return nf_visit(r, s, nf, "in", p, path);
    }
    fail_msg("server %s: cannot walk through %s (%s)", S->name, S->mod_name[mod], type);
}

static void srv_emit(struct run *r, size_t s, long mod, unsigned ogate, struct wpkt *p,
                     struct path *path)
{
    const struct wserver *S = &r->w->sv[s];
    for (size_t l = 0; l < S->n_links; l++)
        if (S->links[l].from == mod && S->links[l].ogate == ogate)
            return srv_push(r, s, S->links[l].to, S->links[l].igate, p, path);
    add_path(r->out, path, "drop"); /* an unconnected gate: e2d drops */
}

void walk_deploy(struct walk *w, const uint8_t *frame, uint32_t len, unsigned in_port,
                 uint64_t seed, struct walk_paths *out)
{
    struct run r = {w, seed, out, 0};
    struct wpkt p = {.len = len};
    memcpy(p.f, frame, len);
    struct path path = {.n = 0};
    sw_in(&r, &p, in_port, &path);
    free_pkt(&p);
}

/* ---- the oracle ---- */

struct env_ctx {
    const struct walk *w;
    const struct wpkt *p;
};

static int env_attr(void *ctx, unsigned slot, struct e2_attr_val *out)
{
    const struct env_ctx *e = ctx;
    const struct e2_attr_slot *sl = &e->w->attrs.slots[slot];
    char name[128];
    snprintf(name, sizeof(name), "%s.%s", sl->nf_type, sl->attr->name);
    for (size_t i = 0; i < e->p->n_attrs; i++)
        if (!strcmp(e->p->attr_name[i], name)) {
            out->num = e->p->attr_num[i];
            out->str = e->p->attr_str[i];
            return 0;
        }
    return -ENOENT;
}

static bool takes(const struct walk *w, const struct wpedge *e, const struct wpkt *p)
{
    if (json_is_array(e->cls)) {
        bool in = false;
        for (size_t i = 0; i < json_array_size(e->cls); i++)
            in |= json_integer_value(json_array_get(e->cls, i)) == p->cls;
        if (!in) return false;
    }
    struct env_ctx c = {w, p};
    struct e2_filter_env env = {.ctx = &c, .attr = env_attr};
    return e2_filter_eval(e->f, p->f, p->len, p->len, &env);
}

static bool has_port(const json_t *ports, const char *port)
{
    for (size_t i = 0; i < json_array_size(ports); i++)
        if (!strcmp(json_string_value(json_array_get(ports, i)), port)) return true;
    return false;
}

/* A port node's traffic leaves by its first switch port. */
static long out_port_of(const struct walk *w, const char *node)
{
    const json_t *nodes = json_object_get(w->pgraph, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *n = json_array_get(nodes, i);
        const json_t *ports = json_object_get(n, "switch_ports");
        if (!strcmp(json_string_value(json_object_get(n, "name")), node) && json_array_size(ports))
            return (long)json_integer_value(json_array_get(ports, 0));
    }
    return -1;
}

static const json_t *steering_of(const struct walk *w, const char *node)
{
    const json_t *nfs = json_object_get(w->plan, "nfs");
    for (size_t i = 0; i < json_array_size(nfs); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(nfs, i), "name")), node))
            return json_object_get(json_array_get(nfs, i), "steering");
    return NULL;
}

/* The instance of @node whose range holds the packet's hash of @node's steering. */
static const struct winst *instance_for(const struct walk *w, const char *node,
                                        const struct wpkt *p)
{
    const json_t *st = steering_of(w, node);
    uint32_t f = 0;
    for (size_t i = 0; st && i < json_array_size(json_object_get(st, "fields")); i++)
        for (uint32_t b = 1; b <= E2_FIELD_DST_PORT; b <<= 1)
            if (!strcmp(e2_field_name(b),
                        json_string_value(json_array_get(json_object_get(st, "fields"), i))))
                f |= b;
    uint32_t id = st ? walk_hash(p->f, p->len, f, json_is_true(json_object_get(st, "symmetric"))) &
                           ((1u << w->bits) - 1)
                     : 0;
    for (size_t i = 0; i < w->n_in; i++)
        if (!strcmp(w->in[i].node, node) &&
            (w->in[i].tee || (id >= w->in[i].lo && id < w->in[i].hi)))
            return &w->in[i];
    fail_msg("no instance of %s for flow ID %u", node, id);
    return NULL;
}

static void oracle_node(struct run *r, const char *node, const char *input, struct wpkt *p,
                        struct path *path);

/* The edge leaving @node (by @port) that takes the packet; at a Tee, a copy per edge (dropped by
 * its filter or not). */
static void oracle_edges(struct run *r, const char *node, const char *port, bool tee,
                         struct wpkt *p, struct path *path)
{
    struct walk *w = r->w;
    for (size_t i = 0; i < w->n_pe; i++) {
        const struct wpedge *e = &w->pe[i];
        if (strcmp(e->src, node) || (port && !has_port(e->src_ports, port))) continue;
        if (!takes(w, e, p)) {
            if (tee) add_path(r->out, path, "drop");
            continue;
        }
        struct wpkt c;
        struct path cp = *path;
        copy_pkt(&c, p);
        clear_attrs(&c, true, w->cat); /* port attributes stay behind */
        oracle_node(r, e->dst, e->dst_input, &c, &cp);
        free_pkt(&c);
        if (!tee) return;
    }
    if (!tee) add_path(r->out, path, "drop");
}

static void oracle_node(struct run *r, const char *node, const char *input, struct wpkt *p,
                        struct path *path)
{
    struct walk *w = r->w;
    if (++r->hops > 400) fail_msg("the oracle loops");
    if (!strcmp(node, "Drop")) return add_path(r->out, path, "drop");
    long out = out_port_of(w, node);
    if (!steering_of(w, node) && out >= 0) {
        char end[32];
        snprintf(end, sizeof(end), "exit:%ld", out);
        return add_path(r->out, path, end);
    }
    const struct winst *in = instance_for(w, node, p);
    if (in->tee) return oracle_edges(r, node, NULL, true, p, path);
    const struct e2_nf_desc *d = e2_nf_catalog_find(w->cat, in->nf_type);
    const char *port = input ? input : d->inputs[0];
    unsigned visit = visits(path, in->id);
    snprintf(path->step[path->n++], 48, "%s:%s", in->id, port);
    int64_t val[64];
    bool set[64];
    if (d->api == E2_NF_LEGACY) clear_attrs(p, false, w->cat);
    const char *o = nf_decide(w, d, seed_of(r->seed, in->id, visit), p, val, set);
    oracle_edges(r, node, o, false, p, path);
}

void walk_oracle(struct walk *w, const uint8_t *frame, uint32_t len, unsigned in_port,
                 uint64_t seed, struct walk_paths *out)
{
    struct run r = {w, seed, out, 0};
    struct wpkt p = {.len = len, .cls = -1};
    memcpy(p.f, frame, len);
    struct path path = {.n = 0};
    const json_t *nodes = json_object_get(w->pgraph, "nodes");
    const char *group = NULL;
    for (size_t i = 0; i < json_array_size(nodes) && !group; i++) {
        const json_t *ports = json_object_get(json_array_get(nodes, i), "switch_ports");
        for (size_t k = 0; k < json_array_size(ports); k++)
            if (json_integer_value(json_array_get(ports, k)) == in_port)
                group = json_string_value(json_object_get(json_array_get(nodes, i), "name"));
    }
    assert_non_null(group);
    for (size_t i = 0; i < w->n_pe && !path.n; i++) {
        const struct wpedge *e = &w->pe[i];
        if (strcmp(e->src, group) || !takes(w, e, &p)) continue;
        p.cls = e->id;
        oracle_node(&r, e->dst, e->dst_input, &p, &path);
        free_pkt(&p);
        return;
    }
    add_path(out, &path, "drop");
    free_pkt(&p);
}
