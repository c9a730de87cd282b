/*
 * The hardware description: servers and the rack switch, YAML -> struct
 * e2_hw, validated (unique names and ports, cabling within the switch).
 */
#include "e2_desc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_doc.h"
#include "e2_units.h"

extern const char *const e2_switch_action_names[];

static int get_uint(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                    int64_t lo, int64_t hi, unsigned *out)
{
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, key);
    const struct e2_doc_node *n = e2_doc_get(m, key);
    if (!n) return e2_doc_fail(at, m, "\"%s\" is required", key);
    int64_t v;
    int rc = e2_doc_int(&a, n, lo, hi, &v);
    if (!rc) *out = (unsigned)v;
    return rc;
}

static int get_scalar(const struct e2_doc_at *at, const struct e2_doc_node *m, const char *key,
                      const struct e2_doc_node **out, struct e2_doc_at *a)
{
    e2_doc_at_key(a, at, key);
    *out = e2_doc_get(m, key);
    if (!*out) return e2_doc_fail(at, m, "\"%s\" is required", key);
    if ((*out)->kind != E2_DOC_SCALAR) return e2_doc_fail(a, *out, "expected a scalar");
    return 0;
}

static int load_server(const struct e2_doc_at *at, const struct e2_doc_node *m, struct e2_server *s)
{
    static const char *const keys[] = {"name",        "cores", "ghz", "nic", "dataplane_cores",
                                       "switch_port", NULL};
    struct e2_doc_at a;
    const struct e2_doc_node *n;
    int rc = e2_doc_expect_map(at, m, keys);
    if (rc) return rc;
    e2_doc_at_key(&a, at, "name");
    if (!e2_doc_get(m, "name")) return e2_doc_fail(at, m, "\"name\" is required");
    if ((rc = e2_doc_str(&a, e2_doc_get(m, "name"), &s->name)) ||
        (rc = get_uint(at, m, "cores", 1, 4096, &s->cores)) ||
        (rc = get_uint(at, m, "dataplane_cores", 0, 4096, &s->dataplane_cores)) ||
        (rc = get_uint(at, m, "switch_port", 0, 65535, &s->switch_port)))
        return rc;
    if (s->dataplane_cores >= s->cores) {
        e2_doc_at_key(&a, at, "dataplane_cores");
        return e2_doc_fail(&a, e2_doc_get(m, "dataplane_cores"),
                           "%u of %u cores leaves none for NFs", s->dataplane_cores, s->cores);
    }
    if ((rc = get_scalar(at, m, "ghz", &n, &a)) || (rc = e2_doc_double(&a, n, 0.1, 100, &s->ghz)))
        return rc;
    if ((rc = get_scalar(at, m, "nic", &n, &a))) return rc;
    if (e2_rate_parse(n->text, &s->nic_bps) || !s->nic_bps)
        return e2_doc_fail(&a, n, "\"%s\" is not a rate (e.g. 10 Gbit/s)", n->text);
    return 0;
}

static int load_servers(const struct e2_doc_at *at, const struct e2_doc_node *root,
                        struct e2_hw *hw)
{
    struct e2_doc_at a;
    e2_doc_at_key(&a, at, "servers");
    const struct e2_doc_node *seq = e2_doc_get(root, "servers");
    if (!seq) return e2_doc_fail(at, root, "\"servers\" is required");
    int rc = e2_doc_expect_seq(&a, seq);
    if (rc) return rc;
    if (!seq->n) return e2_doc_fail(&a, seq, "a rack needs at least one server");
    hw->servers = calloc(seq->n, sizeof(*hw->servers));
    if (!hw->servers) return e2_err_set(at->err, ENOMEM, "out of memory");
    for (size_t i = 0; i < seq->n; i++) {
        struct e2_doc_at ai;
        e2_doc_at_index(&ai, &a, i);
        hw->n_servers = i + 1;
        if ((rc = load_server(&ai, seq->items[i], &hw->servers[i]))) return rc;
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(hw->servers[j].name, hw->servers[i].name))
                return e2_doc_fail(&ai, seq->items[i], "server name \"%s\" is used twice",
                                   hw->servers[i].name);
            if (hw->servers[j].switch_port == hw->servers[i].switch_port)
                return e2_doc_fail(&ai, seq->items[i], "switch_port %u is also cabled to %s",
                                   hw->servers[i].switch_port, hw->servers[j].name);
        }
    }
    return 0;
}

/* An item of external_ports: N or "A-B". Appends to sw->external_ports. */
static int external_item(const struct e2_doc_at *at, const struct e2_doc_node *n,
                         struct e2_switch *sw)
{
    unsigned lo = 0, hi = 0;
    char tail;
    const char *t = n->kind == E2_DOC_SCALAR ? n->text : "";
    int k = t[0] >= '0' && t[0] <= '9' ? sscanf(t, "%u-%u%c", &lo, &hi, &tail) : 0;
    if (k == 1 && sscanf(t, "%u%c", &lo, &tail) == 1)
        hi = lo;
    else if (k != 2)
        return e2_doc_fail(at, n, "\"%s\" is not a port or a range A-B", t);
    if (lo > hi || hi >= sw->n_ports)
        return e2_doc_fail(at, n, "\"%s\" is outside ports 0-%u", n->text, sw->n_ports - 1);
    unsigned *v = realloc(sw->external_ports, (sw->n_external + hi - lo + 1) * sizeof(*v));
    if (!v) return e2_err_set(at->err, ENOMEM, "out of memory");
    sw->external_ports = v;
    for (unsigned p = lo; p <= hi; p++) {
        for (size_t j = 0; j < sw->n_external; j++)
            if (v[j] == p) return e2_doc_fail(at, n, "port %u is listed twice", p);
        v[sw->n_external++] = p;
    }
    return 0;
}

static int cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

static int load_switch(const struct e2_doc_at *at, const struct e2_doc_node *root, struct e2_hw *hw)
{
    static const char *const keys[] = {
        "name",    "ports", "external_ports", "flow_table_size", "rule_update_latency",
        "actions", NULL};
    struct e2_switch *sw = &hw->sw;
    struct e2_doc_at a, f;
    e2_doc_at_key(&a, at, "switch");
    const struct e2_doc_node *m = e2_doc_get(root, "switch"), *n;
    if (!m) return e2_doc_fail(at, root, "\"switch\" is required");
    int rc = e2_doc_expect_map(&a, m, keys);
    if (rc) return rc;
    e2_doc_at_key(&f, &a, "name");
    n = e2_doc_get(m, "name");
    if (n && (rc = e2_doc_str(&f, n, &sw->name))) return rc;
    if (!n && !(sw->name = strdup("switch"))) return e2_err_set(at->err, ENOMEM, "out of memory");
    if ((rc = get_uint(&a, m, "ports", 1, 65536, &sw->n_ports)) ||
        (rc = get_uint(&a, m, "flow_table_size", 0, INT32_MAX, &sw->flow_table_size)))
        return rc;
    if ((rc = get_scalar(&a, m, "rule_update_latency", &n, &f))) return rc;
    if (e2_duration_parse_us(n->text, &sw->rule_update_latency_us))
        return e2_doc_fail(&f, n, "\"%s\" is not a duration (e.g. 3ms)", n->text);
    e2_doc_at_key(&f, &a, "actions");
    if (!(n = e2_doc_get(m, "actions"))) return e2_doc_fail(&a, m, "\"actions\" is required");
    if ((rc = e2_doc_flags(&f, n, e2_switch_action_names, &sw->actions))) return rc;
    e2_doc_at_key(&f, &a, "external_ports");
    if (!(n = e2_doc_get(m, "external_ports")))
        return e2_doc_fail(&a, m, "\"external_ports\" is required");
    if ((rc = e2_doc_expect_seq(&f, n))) return rc;
    for (size_t i = 0; i < n->n; i++) {
        struct e2_doc_at fi;
        e2_doc_at_index(&fi, &f, i);
        if ((rc = external_item(&fi, n->items[i], sw))) return rc;
    }
    qsort(sw->external_ports, sw->n_external, sizeof(unsigned), cmp_uint);
    return 0;
}

static int check_cabling(const struct e2_doc_at *at, const struct e2_doc_node *root,
                         const struct e2_hw *hw)
{
    const struct e2_doc_node *seq = e2_doc_get(root, "servers");
    for (size_t i = 0; i < hw->n_servers; i++) {
        struct e2_doc_at a, ai;
        e2_doc_at_key(&a, at, "servers");
        e2_doc_at_index(&ai, &a, i);
        e2_doc_at_key(&a, &ai, "switch_port");
        const struct e2_doc_node *n = e2_doc_get(seq->items[i], "switch_port");
        unsigned p = hw->servers[i].switch_port;
        if (p >= hw->sw.n_ports)
            return e2_doc_fail(&a, n, "port %u does not exist (the switch has %u)", p,
                               hw->sw.n_ports);
        if (e2_hw_port_is_external(hw, p))
            return e2_doc_fail(&a, n, "port %u is an external port", p);
    }
    return 0;
}

static int hw_from_tree(const struct e2_doc_node *root, const char *origin, struct e2_hw **out,
                        struct e2_err *err)
{
    static const char *const keys[] = {"servers", "switch", NULL};
    struct e2_doc_at at;
    e2_doc_at_begin(&at, origin, err);
    struct e2_hw *hw = calloc(1, sizeof(*hw));
    if (!hw || !(hw->file = strdup(origin))) {
        free(hw);
        return e2_err_set(err, ENOMEM, "%s: error: out of memory", origin);
    }
    int rc = e2_doc_expect_map(&at, root, keys);
    if (!rc) rc = load_servers(&at, root, hw);
    if (!rc) rc = load_switch(&at, root, hw);
    if (!rc) rc = check_cabling(&at, root, hw);
    if (rc) {
        e2_hw_free(hw);
        return rc;
    }
    *out = hw;
    return 0;
}

int e2_hw_parse(const char *text, size_t len, const char *origin, struct e2_hw **out,
                struct e2_err *err)
{
    struct e2_doc_node *root;
    int rc = e2_doc_parse_yaml(text, len, origin, &root, err);
    if (rc) return rc;
    rc = hw_from_tree(root, origin, out, err);
    e2_doc_free(root);
    return rc;
}

int e2_hw_load(const char *path, struct e2_hw **out, struct e2_err *err)
{
    char *text;
    size_t len;
    int rc = e2_doc_read_file(path, &text, &len, err);
    if (rc) return rc;
    rc = e2_hw_parse(text, len, path, out, err);
    free(text);
    return rc;
}

void e2_hw_free(struct e2_hw *hw)
{
    if (!hw) return;
    for (size_t i = 0; i < hw->n_servers; i++) free(hw->servers[i].name);
    free(hw->servers);
    free(hw->sw.name);
    free(hw->sw.external_ports);
    free(hw->file);
    free(hw);
}

bool e2_hw_port_is_external(const struct e2_hw *hw, unsigned port)
{
    for (size_t i = 0; i < hw->sw.n_external; i++)
        if (hw->sw.external_ports[i] == port) return true;
    return false;
}
