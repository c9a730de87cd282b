/*
 * The plan ("e2-plan/1") and the rack as the interconnection reads them:
 * servers with their MACs, port nodes with their switch ports, instances with
 * their descriptions, iGraph edges and the pGraph edges they realise (root
 * edges to Drop or to another port appear only in the plan's switch rules).
 * Every error names the JSON path of what is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2/ovs_hash.h"
#include "ic_int.h"

int ic_fail(struct ic *ic, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = e2_err_vset(ic->err, code, fmt, ap);
    va_end(ap);
    return rc;
}

void ic_spi(struct ic *ic, unsigned spi, const char *fmt, ...)
{
    char key[16], what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(key, sizeof(key), "%u", spi);
    json_object_set_new(ic->spis, key, json_string(what));
}

const char *ic_ovs_hash(uint32_t fields, bool symmetric)
{
    int set = e2_ovs_hash_fields_for(fields, symmetric);
    return set < 0 ? NULL : e2_ovs_hash_fields_name((enum e2_ovs_hash_fields)set);
}

int ic_hash_kind(struct ic *ic, const struct ic_steer *s)
{
    if (ic_ovs_hash(s->fields, s->symmetric)) return 1;
    if (!s->symmetric) return 0;
    return ic_fail(ic, ENOTSUP,
                   "a symmetric hash of these fields has no FlowHash (only the symmetric "
                   "5-tuple and {src_ip, dst_ip}, which Open vSwitch computes too)");
}

/* ---- JSON helpers ---- */

static const char *str_at(struct ic *ic, const json_t *o, const char *key, const char *path)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s) ic_fail(ic, EINVAL, "%s.%s: expected a string", path, key);
    return s;
}

static int uint_at(struct ic *ic, const json_t *o, const char *key, const char *path,
                   unsigned long max, unsigned long *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long)json_integer_value(v) > max)
        return ic_fail(ic, EINVAL, "%s.%s: expected an integer 0..%lu", path, key, max);
    *out = (unsigned long)json_integer_value(v);
    return 0;
}

static int range_at(struct ic *ic, const json_t *o, const char *path, uint64_t *lo, uint64_t *hi)
{
    const json_t *r = json_object_get(o, "flow_range");
    uint64_t space = 1ull << ic->bits;
    if (json_array_size(r) != 2 || !json_is_integer(json_array_get(r, 0)) ||
        !json_is_integer(json_array_get(r, 1)))
        return ic_fail(ic, EINVAL, "%s.flow_range: expected [lo, hi]", path);
    *lo = (uint64_t)json_integer_value(json_array_get(r, 0));
    *hi = (uint64_t)json_integer_value(json_array_get(r, 1));
    if (*lo >= *hi || *hi > space)
        return ic_fail(ic, EINVAL, "%s.flow_range: [%llu, %llu) is not a range of [0, %llu)", path,
                       (unsigned long long)*lo, (unsigned long long)*hi, (unsigned long long)space);
    return 0;
}

static bool valid_mac(const char *s)
{
    unsigned b[6];
    char end;
    return s && strlen(s) == 17 &&
           sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) ==
               6;
}

static int mac_at(struct ic *ic, const json_t *o, const char *key, const char *path, char *out)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!valid_mac(s)) return ic_fail(ic, EINVAL, "%s.%s: expected a MAC address", path, key);
    snprintf(out, 18, "%s", s);
    return 0;
}

/* ---- port nodes (from the plan's switch rules) ---- */

long ic_find_port(const struct ic *ic, const char *name)
{
    for (size_t i = 0; i < ic->n_ports; i++)
        if (!strcmp(ic->ports[i].name, name)) return (long)i;
    return -1;
}

static long port_node(struct ic *ic, const char *name)
{
    long p = ic_find_port(ic, name);
    if (p >= 0) return p;
    struct ic_port *v = realloc(ic->ports, (ic->n_ports + 1) * sizeof(*v));
    if (!v) return ic_fail(ic, ENOMEM, "out of memory");
    ic->ports = v;
    v[ic->n_ports] = (struct ic_port){.name = name, .out_port = -1};
    return (long)ic->n_ports++;
}

static unsigned lowest_port(const struct ic_port *p)
{
    unsigned lo = p->out_port >= 0 ? (unsigned)p->out_port : ~0u;
    for (size_t i = 0; i < p->n_in; i++)
        if (p->in_ports[i] < lo) lo = p->in_ports[i];
    return lo;
}

static int load_port_rule(struct ic *ic, const json_t *r, const char *path)
{
    const char *kind = json_string_value(json_object_get(r, "kind"));
    bool group = kind && !strcmp(kind, "port_group"), egress = kind && !strcmp(kind, "egress");
    if (!group && !egress) return 0;
    const char *name = str_at(ic, r, group ? "port_group" : "port_node", path);
    long p = name ? port_node(ic, name) : -1;
    if (p < 0) return ic->err->code;
    unsigned long port;
    if (uint_at(ic, r, group ? "in_port" : "out_port", path, 0xffff, &port)) return ic->err->code;
    struct ic_port *pn = &ic->ports[p];
    if (egress) {
        pn->out_port = (long)port;
        return 0;
    }
    unsigned *v = realloc(pn->in_ports, (pn->n_in + 1) * sizeof(*v));
    if (!v) return ic_fail(ic, ENOMEM, "out of memory");
    pn->in_ports = v;
    v[pn->n_in++] = (unsigned)port;
    return 0;
}

static int cmp_port(const void *a, const void *b)
{
    unsigned x = lowest_port(a), y = lowest_port(b);
    return (x > y) - (x < y);
}

static int load_ports(struct ic *ic, const json_t *rules)
{
    for (size_t i = 0; i < json_array_size(rules); i++) {
        char path[64];
        snprintf(path, sizeof(path), "switch.rules[%zu]", i);
        int rc = load_port_rule(ic, json_array_get(rules, i), path);
        if (rc) return rc;
    }
    if (ic->n_ports > 1) qsort(ic->ports, ic->n_ports, sizeof(*ic->ports), cmp_port);
    const json_t *egress = json_object_get(ic->rack, "egress");
    for (size_t i = 0; i < ic->n_ports; i++) {
        ic->ports[i].index = (unsigned)i;
        ic->ports[i].egress = json_object_get(egress, ic->ports[i].name);
    }
    return 0;
}

/* ---- servers and instances ---- */

static int load_server(struct ic *ic, const json_t *sv, size_t s)
{
    char path[64];
    snprintf(path, sizeof(path), "servers[%zu]", s);
    struct ic_server *S = &ic->servers[s];
    unsigned long port, dp;
    if (!(S->name = str_at(ic, sv, "name", path)) ||
        uint_at(ic, sv, "switch_port", path, 0xffff, &port) ||
        uint_at(ic, sv, "dataplane_cores", path, 64, &dp))
        return ic->err->code;
    S->switch_port = (unsigned)port;
    S->workers = dp ? (unsigned)dp : 1;
    const json_t *r = json_object_get(json_object_get(ic->rack, "servers"), S->name);
    char rpath[96];
    snprintf(rpath, sizeof(rpath), "rack.servers.%s", S->name);
    if (!json_is_object(r)) return ic_fail(ic, EINVAL, "%s: missing (its MAC)", rpath);
    return mac_at(ic, r, "mac", rpath, S->mac);
}

/* The e2d name of an instance: its node and number, "f_0". */
static int inst_name(struct ic *ic, struct ic_inst *in, const char *path)
{
    const char *hash = strchr(in->id, '#');
    size_t n = hash ? (size_t)(hash - in->id) : strlen(in->id);
    bool legacy = in->desc && in->desc->api == E2_NF_LEGACY;
    const char *pfx = legacy ? ic->legacy_prefix : "";
    int len = snprintf(in->name, sizeof(in->name), "%s%.*s%s%s", pfx, (int)n, in->id,
                       hash ? "_" : "", hash ? hash + 1 : "");
    for (char *c = in->name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_') *c = '_';
    if (legacy && len > 8)
        return ic_fail(ic, ENOTSUP,
                       "%s: legacy NF instance name \"%s\" is longer than 8 characters "
                       "(Linux interface names NAME-i/NAME-o; shorten the node name or the "
                       "rack's legacy_prefix)",
                       path, in->name);
    return (size_t)len < sizeof(in->name) ? 0 : ic_fail(ic, EINVAL, "%s: id too long", path);
}

static int load_inst(struct ic *ic, const json_t *o, size_t s, const char *path)
{
    struct ic_inst *in = &ic->insts[ic->n_insts];
    *in = (struct ic_inst){.server = s, .core = -1};
    const char *kind = str_at(ic, o, "kind", path);
    if (!(in->id = str_at(ic, o, "id", path)) || !(in->node = str_at(ic, o, "node", path)) ||
        !kind || range_at(ic, o, path, &in->lo, &in->hi))
        return ic->err->code;
    in->tee = !strcmp(kind, "tee");
    if (!in->tee) {
        const char *type = str_at(ic, o, "nf_type", path);
        unsigned long core;
        if (!type || uint_at(ic, o, "core", path, 4095, &core)) return ic->err->code;
        in->core = (long)core;
        if (!(in->desc = e2_nf_catalog_find(ic->cat, type)))
            return ic_fail(ic, EINVAL, "%s.nf_type: no description of NF type \"%s\"", path, type);
    }
    int rc = inst_name(ic, in, path);
    size_t k = ic->n_insts;
    snprintf(in->mac, sizeof(in->mac), "02:e2:fe:%02zx:%02zx:%02zx", s & 0xff, k >> 8 & 0xff,
             k & 0xff);
    if (!rc) ic->n_insts++;
    return rc;
}

static int load_insts(struct ic *ic, const json_t *servers)
{
    size_t total = 0;
    for (size_t s = 0; s < json_array_size(servers); s++)
        total += json_array_size(json_object_get(json_array_get(servers, s), "instances"));
    ic->insts = calloc(total ? total : 1, sizeof(*ic->insts));
    if (!ic->insts) return ic_fail(ic, ENOMEM, "out of memory");
    for (size_t s = 0; s < json_array_size(servers); s++) {
        const json_t *a = json_object_get(json_array_get(servers, s), "instances");
        unsigned n_on = 0;
        for (size_t i = 0; i < json_array_size(a); i++) {
            char path[96];
            snprintf(path, sizeof(path), "servers[%zu].instances[%zu]", s, i);
            int rc = load_inst(ic, json_array_get(a, i), s, path);
            if (rc) return rc;
            ic->insts[ic->n_insts - 1].worker = n_on++ % ic->servers[s].workers;
        }
    }
    return 0;
}

static long find_inst(const struct ic *ic, const char *id)
{
    for (size_t i = 0; i < ic->n_insts; i++)
        if (!strcmp(ic->insts[i].id, id)) return (long)i;
    return -1;
}

/* ---- edges ---- */

static int resolve(struct ic *ic, const char *name, const char *path, struct ic_end *end)
{
    long i = find_inst(ic, name);
    if (i >= 0) {
        *end = (struct ic_end){ic->insts[i].tee ? IC_TEE : IC_INST, (size_t)i};
        return 0;
    }
    if ((i = ic_find_port(ic, name)) >= 0) {
        *end = (struct ic_end){IC_PORT, (size_t)i};
        return 0;
    }
    if (!strcmp(name, "Drop")) {
        *end = (struct ic_end){IC_DROP, 0};
        return 0;
    }
    return ic_fail(ic, EINVAL, "%s: \"%s\" is neither an instance, a port node nor Drop", path,
                   name);
}

const char *ic_end_name(const struct ic *ic, const struct ic_end *e)
{
    switch (e->kind) {
    case IC_INST:
    case IC_TEE: return ic->insts[e->i].id;
    case IC_PORT: return ic->ports[e->i].name;
    default: return "Drop";
    }
}

static int uints(struct ic *ic, const json_t *a, const char *path, unsigned **out, size_t *n)
{
    *n = json_array_size(a);
    *out = calloc(*n ? *n : 1, sizeof(**out));
    if (!*out) return ic_fail(ic, ENOMEM, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return ic_fail(ic, EINVAL, "%s[%zu]: expected an edge id", path, i);
        (*out)[i] = (unsigned)json_integer_value(v);
    }
    return 0;
}

static long find_pedge(const struct ic *ic, unsigned id)
{
    for (size_t i = 0; i < ic->n_pedges; i++)
        if (ic->pedges[i].id == id) return (long)i;
    return -1;
}

static long new_pedge(struct ic *ic, unsigned id)
{
    struct ic_pedge *v = realloc(ic->pedges, (ic->n_pedges + 1) * sizeof(*v));
    if (!v) return ic_fail(ic, ENOMEM, "out of memory");
    ic->pedges = v;
    v[ic->n_pedges] = (struct ic_pedge){.id = id, .group = -1, .out_port = -1};
    return (long)ic->n_pedges++;
}

/* The pGraph edge of iGraph edge @o, recorded the first time it is seen. */
static long pedge_of(struct ic *ic, const json_t *o, const struct ic_edge *e, const char *path)
{
    unsigned long id;
    if (uint_at(ic, o, "pgraph_edge", path, E2_SPI_EDGE_MAX, &id)) return ic->err->code;
    long p = find_pedge(ic, (unsigned)id);
    if (p >= 0) return p;
    if ((p = new_pedge(ic, (unsigned)id)) < 0) return p;
    struct ic_pedge *pe = &ic->pedges[p];
    pe->src = e->src.kind == IC_INST || e->src.kind == IC_TEE ? ic->insts[e->src.i].node
                                                              : ic_end_name(ic, &e->src);
    pe->dst = e->dst.kind == IC_INST || e->dst.kind == IC_TEE ? ic->insts[e->dst.i].node
                                                              : ic_end_name(ic, &e->dst);
    pe->root = e->src.kind == IC_PORT;
    pe->group = pe->root ? (long)e->src.i : -1;
    pe->src_ports = json_object_get(o, "src_ports");
    pe->dst_input = json_string_value(json_object_get(o, "dst_input"));
    pe->placeholder = json_string_value(json_object_get(o, "dst_placeholder"));
    char sub[128];
    snprintf(sub, sizeof(sub), "%s.class", path);
    const json_t *cls = json_object_get(o, "class");
    pe->has_cls = json_is_array(cls);
    if (!(pe->filter = str_at(ic, o, "filter", path)) ||
        uints(ic, cls, sub, &pe->cls, &pe->n_cls) ||
        uints(ic, json_object_get(o, "pipelet_classes"), sub, &pe->pcls, &pe->n_pcls))
        return ic->err->code;
    return p;
}

static int load_steer(struct ic *ic, const json_t *h, const char *path, struct ic_steer *s)
{
    const json_t *f = json_object_get(h, "fields");
    s->symmetric = json_is_true(json_object_get(h, "symmetric"));
    s->fields = 0;
    for (size_t i = 0; i < json_array_size(f); i++) {
        const char *name = json_string_value(json_array_get(f, i));
        uint32_t bit = 0;
        for (uint32_t b = 1; b <= E2_FIELD_DST_PORT && name; b <<= 1)
            if (!strcmp(e2_field_name(b), name)) bit = b;
        if (!bit) return ic_fail(ic, EINVAL, "%s.hash.fields[%zu]: not a 5-tuple field", path, i);
        s->fields |= bit;
    }
    return s->fields ? 0 : ic_fail(ic, EINVAL, "%s.hash.fields: empty", path);
}

static bool seen_edge(const struct ic *ic, unsigned id)
{
    for (size_t i = 0; i < ic->n_edges; i++)
        if (ic->edges[i].id == id) return true;
    return false;
}

static int load_edge(struct ic *ic, const json_t *o, const char *path)
{
    unsigned long id;
    if (uint_at(ic, o, "id", path, E2_SPI_EDGE_MAX - 1, &id)) return ic->err->code;
    if (seen_edge(ic, (unsigned)id)) return 0; /* listed by both servers it joins */
    struct ic_edge *e = &ic->edges[ic->n_edges];
    *e = (struct ic_edge){.id = (unsigned)id};
    const char *src = str_at(ic, o, "src", path), *dst = str_at(ic, o, "dst", path);
    if (!src || !dst || resolve(ic, src, path, &e->src) || resolve(ic, dst, path, &e->dst) ||
        range_at(ic, o, path, &e->lo, &e->hi) || !(e->dist = str_at(ic, o, "distribution", path)))
        return ic->err->code;
    const json_t *h = json_object_get(o, "hash");
    e->hashed = json_is_object(h);
    if (e->hashed && load_steer(ic, h, path, &e->steer)) return ic->err->code;
    e->rate = json_number_value(json_object_get(o, "rate_bps"));
    long p = pedge_of(ic, o, e, path);
    if (p < 0) return (int)p;
    e->pe = (size_t)p;
    ic->n_edges++;
    return 0;
}

static int load_edges(struct ic *ic, const json_t *servers)
{
    size_t total = 0;
    for (size_t s = 0; s < json_array_size(servers); s++)
        total += json_array_size(json_object_get(json_array_get(servers, s), "edges"));
    ic->edges = calloc(total ? total : 1, sizeof(*ic->edges));
    if (!ic->edges) return ic_fail(ic, ENOMEM, "out of memory");
    for (size_t s = 0; s < json_array_size(servers); s++) {
        const json_t *a = json_object_get(json_array_get(servers, s), "edges");
        for (size_t i = 0; i < json_array_size(a); i++) {
            char path[96];
            snprintf(path, sizeof(path), "servers[%zu].edges[%zu]", s, i);
            int rc = load_edge(ic, json_array_get(a, i), path);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Root edges that reach no server: to Drop, or straight to another port node. */
static int load_switch_only_edge(struct ic *ic, const json_t *r, const char *path)
{
    const char *kind = json_string_value(json_object_get(r, "kind"));
    const char *action = json_string_value(json_object_get(r, "action"));
    if (!kind || strcmp(kind, "ingress") || !action || !strcmp(action, "server")) return 0;
    unsigned long id, out = 0;
    const char *group = str_at(ic, r, "port_group", path), *filter = str_at(ic, r, "filter", path);
    if (!group || !filter || uint_at(ic, r, "pgraph_edge", path, E2_SPI_EDGE_MAX, &id))
        return ic->err->code;
    bool drop = !strcmp(action, "drop");
    const char *to = drop ? "Drop" : str_at(ic, r, "port_node", path);
    if (!to || (!drop && uint_at(ic, r, "out_port", path, 0xffff, &out))) return ic->err->code;
    if (find_pedge(ic, (unsigned)id) >= 0) return 0;
    long p = new_pedge(ic, (unsigned)id), g = ic_find_port(ic, group);
    if (p < 0) return (int)p;
    if (g < 0) return ic_fail(ic, EINVAL, "%s.port_group: no port node \"%s\"", path, group);
    struct ic_pedge *pe = &ic->pedges[p];
    pe->root = true;
    pe->group = g;
    pe->src = ic->ports[g].name;
    pe->filter = filter;
    pe->to_drop = drop;
    pe->out_port = drop ? -1 : (long)out;
    pe->dst = to;
    return 0;
}

/* ---- the whole ---- */

static int load_rack(struct ic *ic)
{
    const json_t *r = ic->rack;
    if (!json_is_object(r) || !json_is_object(json_object_get(r, "servers")))
        return ic_fail(ic, EINVAL, "rack.servers: expected an object of servers");
    const json_t *b = json_object_get(r, "flow_id_bits");
    if (b && (!json_is_integer(b) || json_integer_value(b) != (json_int_t)ic->bits))
        return ic_fail(ic, EINVAL, "rack.flow_id_bits: the plan uses %u", ic->bits);
    snprintf(ic->switch_mac, sizeof(ic->switch_mac), "02:e2:ff:00:00:00");
    if (json_object_get(r, "switch_mac") && mac_at(ic, r, "switch_mac", "rack", ic->switch_mac))
        return ic->err->code;
    const json_t *lp = json_object_get(r, "legacy_prefix");
    if (lp && !json_is_string(lp)) return ic_fail(ic, EINVAL, "rack.legacy_prefix: a string");
    ic->legacy_prefix = lp ? json_string_value(lp) : "";
    const json_t *eg = json_object_get(r, "egress");
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)eg, name, v)
    {
        char path[96];
        char mac[18];
        snprintf(path, sizeof(path), "rack.egress.%s", name);
        if ((json_object_get(v, "dst_mac") && mac_at(ic, v, "dst_mac", path, mac)) ||
            (json_object_get(v, "src_mac") && mac_at(ic, v, "src_mac", path, mac)))
            return ic->err->code;
    }
    return 0;
}

int ic_load(struct ic *ic)
{
    const json_t *p = ic->plan;
    const char *fmt = json_string_value(json_object_get(p, "format"));
    if (!fmt || strcmp(fmt, "e2-plan/1"))
        return ic_fail(ic, EINVAL, "format: expected \"e2-plan/1\"");
    unsigned long bits;
    if (uint_at(ic, p, "flow_id_bits", "plan", 24, &bits) || !bits) return ic->err->code;
    ic->bits = (unsigned)bits;
    int rc = load_rack(ic);
    if (rc) return rc;
    const json_t *servers = json_object_get(p, "servers");
    const json_t *rules = json_object_get(json_object_get(p, "switch"), "rules");
    if (!json_is_array(servers) || !json_is_array(rules))
        return ic_fail(ic, EINVAL, "servers, switch.rules: expected arrays");
    ic->n_servers = json_array_size(servers);
    ic->servers = calloc(ic->n_servers ? ic->n_servers : 1, sizeof(*ic->servers));
    if (!ic->servers) return ic_fail(ic, ENOMEM, "out of memory");
    for (size_t s = 0; s < ic->n_servers && !rc; s++)
        rc = load_server(ic, json_array_get(servers, s), s);
    if (!rc) rc = load_ports(ic, rules);
    if (!rc) rc = load_insts(ic, servers);
    if (!rc) rc = load_edges(ic, servers);
    for (size_t i = 0; i < json_array_size(rules) && !rc; i++) {
        char path[64];
        snprintf(path, sizeof(path), "switch.rules[%zu]", i);
        rc = load_switch_only_edge(ic, json_array_get(rules, i), path);
    }
    return rc;
}

void ic_free(struct ic *ic)
{
    for (size_t i = 0; i < ic->n_ports; i++) free(ic->ports[i].in_ports);
    for (size_t i = 0; i < ic->n_pedges; i++) {
        free(ic->pedges[i].cls);
        free(ic->pedges[i].pcls);
        e2_cubes_free(&ic->pedges[i].cubes);
        e2_filter_free(ic->pedges[i].f);
    }
    for (size_t i = 0; i < IC_TAGS; i++) free(ic->tags.name[i]);
    free(ic->ports);
    free(ic->servers);
    free(ic->insts);
    free(ic->edges);
    free(ic->pedges);
    free(ic->slot_dim);
    e2_attr_table_free(&ic->attrs);
}
