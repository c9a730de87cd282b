/*
 * NF descriptions: YAML/JSON -> struct e2_nf_desc, validated field by field
 * (see e2_desc.h and docs/descriptors.md), and the catalog of a directory.
 */
#include "e2_desc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_doc.h"
#include "e2_units.h"

const char *const e2_field_names[] = {"src_ip",   "dst_ip",  "proto",   "src_port",
                                      "dst_port", "src_mac", "dst_mac", "vlan",
                                      "tos",      "ttl",     "payload", NULL};
const char *const e2_switch_action_names[] = {"forward",   "drop",     "hash_select", "set_field",
                                              "push_vlan", "pop_vlan", "push_nsh",    "pop_nsh",
                                              "meter",     "mirror",   NULL};

static const char *bit_name(const char *const *names, uint32_t bit)
{
    for (unsigned i = 0; names[i]; i++)
        if (bit == 1u << i) return names[i];
    return NULL;
}

const char *e2_field_name(uint32_t field_bit)
{
    return bit_name(e2_field_names, field_bit);
}

const char *e2_switch_action_name(uint32_t action_bit)
{
    return bit_name(e2_switch_action_names, action_bit);
}

static bool is_ident(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static int ident(const struct e2_doc_at *at, const struct e2_doc_node *n, char **out)
{
    int rc = e2_doc_str(at, n, out);
    if (rc) return rc;
    if (is_ident(*out)) return 0;
    rc = e2_doc_fail(
        at, n, "\"%s\" is not a name (letters, digits, '_'; not starting with a digit)", *out);
    free(*out);
    *out = NULL;
    return rc;
}

static int optional_str(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                        char **out)
{
    const struct e2_doc_node *n = e2_doc_get(m, key);
    if (!n) return 0;
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, key);
    return e2_doc_str(&a, n, out);
}

static int find_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return (int)i;
    return -1;
}

static int port_list(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                     char ***out, size_t *count)
{
    const struct e2_doc_node *n = e2_doc_get(m, key);
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, key);
    int rc = n ? e2_doc_strv(&a, n, out, count) : 0;
    if (rc) return rc;
    if (!n) {
        *out = calloc(2, sizeof(char *));
        if (!*out || !((*out)[0] = strdup(key[0] == 'i' ? "in" : "out")))
            return e2_err_set(at->err, ENOMEM, "out of memory");
        *count = 1;
        return 0;
    }
    if (*count == 0) return e2_doc_fail(&a, n, "an NF needs at least one port");
    for (size_t i = 0; i < *count; i++) {
        struct e2_doc_at ai;
        e2_doc_at_index(&ai, &a, i);
        if (!is_ident((*out)[i]))
            return e2_doc_fail(&ai, n->items[i], "\"%s\" is not a port name", (*out)[i]);
        if (find_name(*out, i, (*out)[i]) >= 0)
            return e2_doc_fail(&ai, n->items[i], "port \"%s\" is listed twice", (*out)[i]);
    }
    return 0;
}

static int load_ports(const struct e2_doc_at *at, const struct e2_doc_node *root,
                      struct e2_nf_desc *d)
{
    static const char *const keys[] = {"inputs", "outputs", NULL};
    const struct e2_doc_node *m = e2_doc_get(root, "ports");
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, "ports");
    int rc = m ? e2_doc_expect_map(&a, m, keys) : 0;
    if (!rc) rc = port_list(&a, m, "inputs", &d->inputs, &d->n_inputs);
    if (!rc) rc = port_list(&a, m, "outputs", &d->outputs, &d->n_outputs);
    return rc;
}

/* Parse one attribute value written as @n for an attribute of type @t. */
static int attr_value(const struct e2_doc_at *at, const struct e2_doc_node *n,
                      const struct e2_nf_attr *attr, struct e2_attr_value *v)
{
    int rc = e2_doc_str(at, n, &v->text);
    if (rc) return rc;
    v->port = -1;
    switch (attr->type) {
    case E2_ATTR_BOOL: {
        bool b;
        if ((rc = e2_doc_bool(at, n, &b))) return rc;
        v->num = b;
        break;
    }
    case E2_ATTR_INT: rc = e2_doc_int(at, n, INT64_MIN, INT64_MAX, &v->num); break;
    case E2_ATTR_STRING: v->num = (int64_t)(v - attr->values); break;
    }
    if (rc) return rc;
    for (struct e2_attr_value *p = attr->values; p < v; p++)
        if (p->num == v->num && (attr->type != E2_ATTR_STRING || !strcmp(p->text, v->text)))
            return e2_doc_fail(at, n, "value \"%s\" is listed twice", v->text);
    return 0;
}

static int attr_values(const struct e2_doc_at *at, const struct e2_doc_node *n,
                       struct e2_nf_attr *attr, bool keyed, char **ports, size_t n_ports)
{
    attr->values = calloc(n->n ? n->n : 1, sizeof(*attr->values));
    if (!attr->values) return e2_err_set(at->err, ENOMEM, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        struct e2_attr_value *v = &attr->values[i];
        const struct e2_doc_node *vn = keyed ? n->items[2 * i] : n->items[i];
        struct e2_doc_at ai;
        if (keyed)
            e2_doc_at_key(&ai, at, vn->text);
        else
            e2_doc_at_index(&ai, at, i);
        attr->n_values = i + 1;
        int rc = attr_value(&ai, vn, attr, v);
        if (rc) return rc;
        if (!keyed) continue;
        char *port;
        if ((rc = e2_doc_str(&ai, n->items[2 * i + 1], &port))) return rc;
        v->port = find_name(ports, n_ports, port);
        if (v->port < 0)
            rc = e2_doc_fail(&ai, n->items[2 * i + 1], "\"%s\" is not one of the outputs", port);
        free(port);
        if (rc) return rc;
    }
    return 0;
}

static int attr_domain(const struct e2_doc_at *at, const struct e2_doc_node *m,
                       struct e2_nf_attr *attr, const struct e2_nf_desc *d)
{
    const struct e2_doc_node *ports = e2_doc_get(m, "ports"), *values = e2_doc_get(m, "values"),
                             *range = e2_doc_get(m, "range");
    struct e2_doc_at a;
    int rc;
    if (attr->method == E2_ATTR_PORT) {
        e2_doc_at_key(&a, at, "ports");
        if (values || range)
            return e2_doc_fail(at, values ? values : range,
                               "a port-method attribute takes its values from \"ports\"");
        if (!ports) return e2_doc_fail(at, m, "method port needs \"ports\": value -> output port");
        if ((rc = e2_doc_expect_map(&a, ports, NULL))) return rc;
        if ((rc = attr_values(&a, ports, attr, true, d->outputs, d->n_outputs))) return rc;
        if (attr->type == E2_ATTR_BOOL && attr->n_values != 2)
            return e2_doc_fail(&a, ports, "a bool attribute needs a port for true and for false");
        return 0;
    }
    if (ports) return e2_doc_fail(at, ports, "\"ports\" is only for method port");
    if (attr->type == E2_ATTR_BOOL && (values || range))
        return e2_doc_fail(at, values ? values : range, "a bool attribute is always false/true");
    if (range && attr->type != E2_ATTR_INT)
        return e2_doc_fail(at, range, "\"range\" is only for int attributes");
    if (values && range) return e2_doc_fail(at, range, "give either \"values\" or \"range\"");
    if (values) {
        e2_doc_at_key(&a, at, "values");
        if ((rc = e2_doc_expect_seq(&a, values))) return rc;
        if (!values->n) return e2_doc_fail(&a, values, "the list of values is empty");
        return attr_values(&a, values, attr, false, NULL, 0);
    }
    if (attr->type != E2_ATTR_INT) return 0;
    e2_doc_at_key(&a, at, "range");
    if (!range) return e2_doc_fail(at, m, "an int attribute needs \"values\" or \"range\"");
    if (range->kind != E2_DOC_SEQ || range->n != 2)
        return e2_doc_fail(&a, range, "expected [min, max]");
    struct e2_doc_at lo, hi;
    e2_doc_at_index(&lo, &a, 0);
    e2_doc_at_index(&hi, &a, 1);
    if ((rc = e2_doc_int(&lo, range->items[0], INT64_MIN, INT64_MAX, &attr->min)) ||
        (rc = e2_doc_int(&hi, range->items[1], attr->min, INT64_MAX, &attr->max)))
        return rc;
    attr->has_range = true;
    return 0;
}

static int load_attr(const struct e2_doc_at *at, const struct e2_doc_node *key,
                     const struct e2_doc_node *m, struct e2_nf_attr *attr, struct e2_nf_desc *d)
{
    static const char *const keys[] = {"type", "method", "values", "range", "ports", NULL};
    static const char *const types[] = {"bool", "int", "string", NULL};
    static const char *const methods[] = {"port", "metadata", NULL};
    struct e2_doc_at a, ta, ma;
    e2_doc_at_key(&a, at, key->text);
    int rc = ident(&a, key, &attr->name);
    if (!rc) rc = e2_doc_expect_map(&a, m, keys);
    if (rc) return rc;
    e2_doc_at_key(&ta, &a, "type");
    e2_doc_at_key(&ma, &a, "method");
    int type, method;
    if ((rc = e2_doc_enum(&ta, e2_doc_get(m, "type"), types, &type)) ||
        (rc = e2_doc_enum(&ma, e2_doc_get(m, "method"), methods, &method)))
        return rc;
    attr->type = (enum e2_attr_type)type;
    attr->method = (enum e2_attr_method)method;
    if (attr->method == E2_ATTR_METADATA && d->api == E2_NF_LEGACY)
        return e2_doc_fail(&ma, e2_doc_get(m, "method"),
                           "metadata needs the native API; a legacy NF uses method port");
    return attr_domain(&a, m, attr, d);
}

/* Every output must carry some value of the (single) port-method attribute. */
static int check_output_coverage(const struct e2_doc_at *at, const struct e2_doc_node *m,
                                 const struct e2_nf_desc *d)
{
    const struct e2_nf_attr *port_attr = NULL;
    for (size_t i = 0; i < d->n_attrs; i++) {
        if (d->attrs[i].method != E2_ATTR_PORT) continue;
        if (port_attr)
            return e2_doc_fail(at, m, "\"%s\" and \"%s\" both use method port; at most one can",
                               port_attr->name, d->attrs[i].name);
        port_attr = &d->attrs[i];
    }
    if (!port_attr && d->n_outputs > 1)
        return e2_doc_fail(at, m,
                           "%zu outputs need an attribute with method port saying what each "
                           "carries",
                           d->n_outputs);
    for (size_t o = 0; port_attr && o < d->n_outputs; o++) {
        bool used = false;
        for (size_t v = 0; v < port_attr->n_values; v++)
            used |= port_attr->values[v].port == (int)o;
        if (!used)
            return e2_doc_fail(at, m, "output \"%s\" carries no value of \"%s\"", d->outputs[o],
                               port_attr->name);
    }
    return 0;
}

static int load_attrs(const struct e2_doc_at *at, const struct e2_doc_node *root,
                      struct e2_nf_desc *d)
{
    const struct e2_doc_node *m = e2_doc_get(root, "attributes");
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, "attributes");
    if (!m) return check_output_coverage(&a, root, d);
    int rc = e2_doc_expect_map(&a, m, NULL);
    if (rc) return rc;
    d->attrs = calloc(m->n ? m->n : 1, sizeof(*d->attrs));
    if (!d->attrs) return e2_err_set(at->err, ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        d->n_attrs = i + 1;
        if ((rc = load_attr(&a, m->items[2 * i], m->items[2 * i + 1], &d->attrs[i], d))) return rc;
    }
    return check_output_coverage(&a, m, d);
}

static int load_placeholder(const struct e2_doc_at *at, const struct e2_doc_node *key,
                            const struct e2_doc_node *m, struct e2_nf_placeholder *p,
                            const struct e2_nf_desc *d)
{
    static const char *const keys[] = {"port", "metadata", "value", NULL};
    struct e2_doc_at a, fa;
    e2_doc_at_key(&a, at, key->text);
    int rc = ident(&a, key, &p->name);
    if (!rc) rc = e2_doc_expect_map(&a, m, keys);
    if (rc) return rc;
    if (e2_nf_desc_attr(d, p->name))
        return e2_doc_fail(&a, key, "\"%s\" is already an attribute name", p->name);
    const struct e2_doc_node *port = e2_doc_get(m, "port"), *tag = e2_doc_get(m, "metadata"),
                             *value = e2_doc_get(m, "value");
    if (!port == !tag)
        return e2_doc_fail(&a, m, "give either \"port\" or \"metadata\" (with \"value\")");
    if (port) {
        char *name;
        e2_doc_at_key(&fa, &a, "port");
        if (value) return e2_doc_fail(&a, value, "\"value\" goes with \"metadata\"");
        if ((rc = e2_doc_str(&fa, port, &name))) return rc;
        p->method = E2_ATTR_PORT;
        p->port = find_name(d->inputs, d->n_inputs, name);
        if (p->port < 0) rc = e2_doc_fail(&fa, port, "\"%s\" is not one of the inputs", name);
        free(name);
        return rc;
    }
    e2_doc_at_key(&fa, &a, "metadata");
    if (d->api == E2_NF_LEGACY)
        return e2_doc_fail(&fa, tag, "metadata needs the native API; a legacy NF uses port");
    p->method = E2_ATTR_METADATA;
    if ((rc = ident(&fa, tag, &p->tag))) return rc;
    e2_doc_at_key(&fa, &a, "value");
    return e2_doc_int(&fa, value, INT64_MIN, INT64_MAX, &p->value);
}

static int load_placeholders(const struct e2_doc_at *at, const struct e2_doc_node *root,
                             struct e2_nf_desc *d)
{
    const struct e2_doc_node *m = e2_doc_get(root, "placeholders");
    if (!m) return 0;
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, "placeholders");
    int rc = e2_doc_expect_map(&a, m, NULL);
    if (rc) return rc;
    d->placeholders = calloc(m->n ? m->n : 1, sizeof(*d->placeholders));
    if (!d->placeholders) return e2_err_set(at->err, ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        d->n_placeholders = i + 1;
        rc = load_placeholder(&a, m->items[2 * i], m->items[2 * i + 1], &d->placeholders[i], d);
        if (rc) return rc;
    }
    return 0;
}

static int opt_bool(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                    bool *out)
{
    const struct e2_doc_node *n = e2_doc_get(m, key);
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, key);
    return n ? e2_doc_bool(&a, n, out) : 0;
}

static int opt_uint(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                    int64_t lo, int64_t hi, unsigned *out)
{
    const struct e2_doc_node *n = e2_doc_get(m, key);
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, key);
    int64_t v;
    int rc = n ? e2_doc_int(&a, n, lo, hi, &v) : 0;
    if (n && !rc) *out = (unsigned)v;
    return rc;
}

static int load_scaling(const struct e2_doc_at *at, const struct e2_doc_node *root,
                        struct e2_nf_desc *d)
{
    static const char *const keys[] = {"across_cores", "across_servers", "min_number_of_instances",
                                       "max_number_of_instances", NULL};
    const struct e2_doc_node *m = e2_doc_get(root, "scaling");
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, "scaling");
    d->min_instances = d->max_instances = 1;
    if (!m) return 0;
    int rc = e2_doc_expect_map(&a, m, keys);
    if (!rc) rc = opt_bool(&a, m, "across_cores", &d->across_cores);
    if (!rc) rc = opt_bool(&a, m, "across_servers", &d->across_servers);
    if (rc) return rc;
    if (d->across_cores || d->across_servers) d->max_instances = 65535;
    if ((rc = opt_uint(&a, m, "min_number_of_instances", 1, 65535, &d->min_instances)) ||
        (rc = opt_uint(&a, m, "max_number_of_instances", 1, 65535, &d->max_instances)))
        return rc;
    struct e2_doc_at ma;
    e2_doc_at_key(&ma, &a, "max_number_of_instances");
    const struct e2_doc_node *max = e2_doc_get(m, "max_number_of_instances");
    if (d->max_instances < d->min_instances)
        return e2_doc_fail(&ma, max, "%u is below min_number_of_instances %u", d->max_instances,
                           d->min_instances);
    if (d->max_instances > 1 && !d->across_cores && !d->across_servers)
        return e2_doc_fail(&ma, max ? max : m,
                           "%u instances need across_cores or across_servers: true",
                           d->max_instances);
    return 0;
}

static int load_affinity(const struct e2_doc_at *at, const struct e2_doc_node *root,
                         struct e2_nf_desc *d)
{
    static const char *const keys[] = {"fields", "symmetric", NULL};
    const struct e2_doc_node *m = e2_doc_get(root, "affinity");
    if (!m) return 0;
    struct e2_doc_at a, fa;
    e2_doc_at_key(&a, at, "affinity");
    e2_doc_at_key(&fa, &a, "fields");
    int rc = e2_doc_expect_map(&a, m, keys);
    const struct e2_doc_node *fields = e2_doc_get(m, "fields");
    if (!rc) rc = fields ? e2_doc_flags(&fa, fields, e2_field_names, &d->affinity) : 0;
    if (!rc) rc = opt_bool(&a, m, "symmetric", &d->affinity_symmetric);
    if (rc) return rc;
    if (d->affinity & ~(uint32_t)E2_FIELDS_5TUPLE)
        return e2_doc_fail(&fa, fields,
                           "affinity uses 5-tuple fields only (src_ip, dst_ip, proto, "
                           "src_port, dst_port)");
    bool ips = !(d->affinity & E2_FIELD_SRC_IP) == !(d->affinity & E2_FIELD_DST_IP);
    bool ports = !(d->affinity & E2_FIELD_SRC_PORT) == !(d->affinity & E2_FIELD_DST_PORT);
    if (d->affinity_symmetric && !(ips && ports))
        return e2_doc_fail(&a, e2_doc_get(m, "symmetric"),
                           "symmetric affinity needs src and dst fields in pairs");
    return 0;
}

static int load_instantiate(const struct e2_doc_at *at, const struct e2_doc_node *root,
                            struct e2_nf_instantiate *in)
{
    static const char *const keys[] = {"command", "args", "env", NULL};
    const struct e2_doc_node *m = e2_doc_get(root, "instantiate");
    if (!m) return 0;
    struct e2_doc_at a, sa;
    e2_doc_at_key(&a, at, "instantiate");
    int rc = e2_doc_expect_map(&a, m, keys);
    if (!rc) rc = optional_str(&a, m, "command", &in->command);
    if (rc) return rc;
    if (!in->command) return e2_doc_fail(&a, m, "\"command\" is required");
    e2_doc_at_key(&sa, &a, "args");
    const struct e2_doc_node *args = e2_doc_get(m, "args"), *env = e2_doc_get(m, "env");
    if (args && (rc = e2_doc_strv(&sa, args, &in->args, &in->n_args))) return rc;
    if (!env) return 0;
    e2_doc_at_key(&sa, &a, "env");
    if ((rc = e2_doc_expect_map(&sa, env, NULL))) return rc;
    in->env = calloc(env->n + 1, sizeof(char *));
    if (!in->env) return e2_err_set(at->err, ENOMEM, "out of memory");
    for (size_t i = 0; i < env->n; i++) {
        struct e2_doc_at ea;
        e2_doc_at_key(&ea, &sa, env->items[2 * i]->text);
        char *v;
        if ((rc = e2_doc_str(&ea, env->items[2 * i + 1], &v))) return rc;
        if (asprintf(&in->env[i], "%s=%s", env->items[2 * i]->text, v) < 0) in->env[i] = NULL;
        free(v);
        if (!in->env[i]) return e2_err_set(at->err, ENOMEM, "out of memory");
        in->n_env = i + 1;
    }
    return 0;
}

static int load_misc(const struct e2_doc_at *at, const struct e2_doc_node *root,
                     struct e2_nf_desc *d)
{
    const struct e2_doc_node *n;
    struct e2_doc_at a;
    int rc = 0;
    if ((n = e2_doc_get(root, "performance"))) {
        static const char *const keys[] = {"throughput_per_core_per_ghz", NULL};
        e2_doc_at_key(&a, at, "performance");
        if ((rc = e2_doc_expect_map(&a, n, keys))) return rc;
        const struct e2_doc_node *t = e2_doc_get(n, "throughput_per_core_per_ghz");
        e2_doc_at_key(&a, &a, "throughput_per_core_per_ghz");
        if (t &&
            (t->kind != E2_DOC_SCALAR || e2_rate_parse(t->text, &d->throughput_bps_per_core_ghz)))
            return e2_doc_fail(&a, t, "\"%s\" is not a rate (e.g. 2.5 Gbit/s)",
                               t->kind == E2_DOC_SCALAR ? t->text : "");
    }
    if ((n = e2_doc_get(root, "rewrites"))) {
        e2_doc_at_key(&a, at, "rewrites");
        if ((rc = e2_doc_flags(&a, n, e2_field_names, &d->rewrites))) return rc;
    }
    if ((n = e2_doc_get(root, "flow_idle_timeout"))) {
        uint64_t us;
        e2_doc_at_key(&a, at, "flow_idle_timeout");
        if (n->kind != E2_DOC_SCALAR || e2_duration_parse_us(n->text, &us))
            return e2_doc_fail(&a, n, "\"%s\" is not a duration (e.g. 60s)",
                               n->kind == E2_DOC_SCALAR ? n->text : "");
        d->flow_idle_timeout_ms = (us + 999) / 1000;
    }
    if ((n = e2_doc_get(root, "offload_actions"))) {
        e2_doc_at_key(&a, at, "offload_actions");
        if ((rc = e2_doc_flags(&a, n, e2_switch_action_names, &d->offload_actions))) return rc;
    }
    return 0;
}

static int load_nf(const char *origin, const struct e2_doc_node *root, struct e2_nf_desc *d,
                   struct e2_err *err)
{
    static const char *const keys[] = {"nf_type",
                                       "descriptor_id",
                                       "provider",
                                       "product_name",
                                       "software_version",
                                       "api",
                                       "ports",
                                       "attributes",
                                       "placeholders",
                                       "scaling",
                                       "affinity",
                                       "performance",
                                       "rewrites",
                                       "flow_idle_timeout",
                                       "offload_actions",
                                       "instantiate",
                                       NULL};
    static const char *const apis[] = {"native", "legacy", NULL};
    struct e2_doc_at at, a;
    e2_doc_at_begin(&at, origin, err);
    int rc = e2_doc_expect_map(&at, root, keys);
    if (rc) return rc;
    e2_doc_at_key(&a, &at, "nf_type");
    const struct e2_doc_node *t = e2_doc_get(root, "nf_type");
    if (!t) return e2_doc_fail(&at, root, "\"nf_type\" is required (the type name policies use)");
    if ((rc = ident(&a, t, &d->nf_type))) return rc;
    if ((rc = optional_str(&at, root, "descriptor_id", &d->descriptor_id)) ||
        (rc = optional_str(&at, root, "provider", &d->provider)) ||
        (rc = optional_str(&at, root, "product_name", &d->product_name)) ||
        (rc = optional_str(&at, root, "software_version", &d->software_version)))
        return rc;
    int api;
    e2_doc_at_key(&a, &at, "api");
    if (!e2_doc_get(root, "api"))
        return e2_doc_fail(&at, root, "\"api\" is required (native or legacy)");
    if ((rc = e2_doc_enum(&a, e2_doc_get(root, "api"), apis, &api))) return rc;
    d->api = (enum e2_nf_api)api;
    if ((rc = load_ports(&at, root, d)) || (rc = load_attrs(&at, root, d)) ||
        (rc = load_placeholders(&at, root, d)) || (rc = load_scaling(&at, root, d)) ||
        (rc = load_affinity(&at, root, d)) || (rc = load_misc(&at, root, d)))
        return rc;
    return load_instantiate(&at, root, &d->instantiate);
}

static int nf_from_tree(const struct e2_doc_node *root, const char *origin, struct e2_nf_desc **out,
                        struct e2_err *err)
{
    struct e2_nf_desc *d = calloc(1, sizeof(*d));
    if (!d || !(d->file = strdup(origin))) {
        free(d);
        return e2_err_set(err, ENOMEM, "%s: error: out of memory", origin);
    }
    int rc = load_nf(origin, root, d, err);
    if (rc) {
        e2_nf_desc_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int e2_nf_desc_parse(const char *text, size_t len, const char *origin, struct e2_nf_desc **out,
                     struct e2_err *err)
{
    struct e2_doc_node *root;
    int rc = e2_doc_parse_yaml(text, len, origin, &root, err);
    if (rc) return rc;
    rc = nf_from_tree(root, origin, out, err);
    e2_doc_free(root);
    return rc;
}

int e2_nf_desc_load(const char *path, struct e2_nf_desc **out, struct e2_err *err)
{
    char *text;
    size_t len;
    int rc = e2_doc_read_file(path, &text, &len, err);
    if (rc) return rc;
    rc = e2_nf_desc_parse(text, len, path, out, err);
    free(text);
    return rc;
}

int e2_nf_desc_from_json(const json_t *obj, const char *origin, struct e2_nf_desc **out,
                         struct e2_err *err)
{
    struct e2_doc_node *root;
    int rc = e2_doc_from_json(obj, &root, err);
    if (rc) return rc;
    rc = nf_from_tree(root, origin, out, err);
    e2_doc_free(root);
    return rc;
}

void e2_nf_desc_free(struct e2_nf_desc *d)
{
    if (!d) return;
    free(d->file);
    free(d->nf_type);
    free(d->descriptor_id);
    free(d->provider);
    free(d->product_name);
    free(d->software_version);
    e2_strv_free(d->inputs);
    e2_strv_free(d->outputs);
    for (size_t i = 0; i < d->n_attrs; i++) {
        for (size_t v = 0; v < d->attrs[i].n_values; v++) free(d->attrs[i].values[v].text);
        free(d->attrs[i].values);
        free(d->attrs[i].name);
    }
    free(d->attrs);
    for (size_t i = 0; i < d->n_placeholders; i++) {
        free(d->placeholders[i].name);
        free(d->placeholders[i].tag);
    }
    free(d->placeholders);
    free(d->instantiate.command);
    e2_strv_free(d->instantiate.args);
    e2_strv_free(d->instantiate.env);
    free(d);
}
