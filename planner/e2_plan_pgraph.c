/*
 * pGraph JSON -> struct e2_plan_pgraph, validated field by field so that a
 * hand-written or corrupted file fails with the path of what is wrong.
 */
#include "e2_plan_pgraph.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    const char *origin;
    struct e2_err *err;
};

__attribute__((format(printf, 3, 4))) static int bad(const struct rd *r, const char *path,
                                                     const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(r->err, EINVAL, "%s: %s: %s", r->origin, path, msg);
}

static int oom(const struct rd *r)
{
    return e2_err_set(r->err, ENOMEM, "%s: out of memory", r->origin);
}

static int get_string(const struct rd *r, const json_t *o, const char *key, const char *path,
                      char **out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return bad(r, path, "\"%s\" must be a string", key);
    *out = strdup(json_string_value(v));
    return *out ? 0 : oom(r);
}

static int get_uints(const struct rd *r, const json_t *a, const char *path, unsigned max,
                     unsigned **out, size_t *n)
{
    if (!json_is_array(a)) return bad(r, path, "expected an array of integers");
    *n = json_array_size(a);
    *out = calloc(*n ? *n : 1, sizeof(**out));
    if (!*out) return oom(r);
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
            return bad(r, path, "item %zu is not an integer in 0..%u", i, max);
        (*out)[i] = (unsigned)json_integer_value(v);
    }
    return 0;
}

static int get_strings(const struct rd *r, const json_t *a, const char *path, char ***out,
                       size_t *n)
{
    if (!json_is_array(a)) return bad(r, path, "expected an array of strings");
    *n = json_array_size(a);
    *out = calloc(*n + 1, sizeof(**out));
    if (!*out) return oom(r);
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v)) return bad(r, path, "item %zu is not a string", i);
        if (!((*out)[i] = strdup(json_string_value(v)))) return oom(r);
    }
    return 0;
}

static bool in_list(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s)) return true;
    return false;
}

/* ---- nodes ---- */

static int node_kind(const struct rd *r, const json_t *o, const char *path,
                     enum e2_pnode_kind *kind)
{
    static const char *const kinds[] = {"nf", "port", "drop", "tee"};
    const char *k = json_string_value(json_object_get(o, "kind"));
    for (int i = 0; k && i < 4; i++)
        if (!strcmp(k, kinds[i])) return *kind = (enum e2_pnode_kind)i, 0;
    return bad(r, path, "\"kind\" must be one of nf, port, drop, tee");
}

static int load_nf(const struct rd *r, const json_t *o, const char *path, struct e2_plan_node *n)
{
    int rc = get_string(r, o, "nf_type", path, &n->nf_type);
    if (rc) return rc;
    const json_t *nf = json_object_get(o, "nf");
    if (!nf || json_is_null(nf)) return 0;
    char where[256];
    snprintf(where, sizeof(where), "%s: %s.nf", r->origin, path);
    if ((rc = e2_nf_desc_from_json(nf, where, &n->nf, r->err))) return rc;
    if (strcmp(n->nf->nf_type, n->nf_type))
        return bad(r, path, "nf_type \"%s\" differs from its description's \"%s\"", n->nf_type,
                   n->nf->nf_type);
    return 0;
}

static int load_node(const struct rd *r, const json_t *o, size_t i, struct e2_plan_node *n)
{
    char path[64];
    snprintf(path, sizeof(path), "nodes[%zu]", i);
    if (!json_is_object(o)) return bad(r, path, "expected an object");
    int rc = get_string(r, o, "name", path, &n->name);
    if (!rc && !n->name[0]) rc = bad(r, path, "\"name\" is empty");
    if (!rc) rc = node_kind(r, o, path, &n->kind);
    if (rc) return rc;
    if (n->kind == E2_PNODE_NF) return load_nf(r, o, path, n);
    if (n->kind != E2_PNODE_PORT) return 0;
    strncat(path, ".switch_ports", sizeof(path) - strlen(path) - 1);
    rc = get_uints(r, json_object_get(o, "switch_ports"), path, 65535, &n->switch_ports,
                   &n->n_switch_ports);
    if (!rc && !n->n_switch_ports) rc = bad(r, path, "a port node needs at least one port");
    return rc;
}

static int load_nodes(const struct rd *r, const json_t *a, struct e2_plan_pgraph *pg)
{
    if (!json_is_array(a)) return bad(r, "nodes", "expected an array");
    pg->n_nodes = json_array_size(a);
    pg->nodes = calloc(pg->n_nodes ? pg->n_nodes : 1, sizeof(*pg->nodes));
    if (!pg->nodes) return oom(r);
    for (size_t i = 0; i < pg->n_nodes; i++) {
        int rc = load_node(r, json_array_get(a, i), i, &pg->nodes[i]);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(pg->nodes[j].name, pg->nodes[i].name))
                return bad(r, "nodes", "\"%s\" is declared twice (items %zu and %zu)",
                           pg->nodes[i].name, j, i);
    }
    return 0;
}

/* ---- edges ---- */

static int endpoint(const struct rd *r, const struct e2_plan_pgraph *pg, const json_t *o,
                    const char *key, const char *path, unsigned *out)
{
    const char *name = json_string_value(json_object_get(o, key));
    if (!name) return bad(r, path, "\"%s\" must be a node name", key);
    int i = e2_plan_pgraph_find(pg, name);
    if (i < 0) return bad(r, path, "%s: no node named \"%s\"", key, name);
    *out = (unsigned)i;
    return 0;
}

static int load_bw(const struct rd *r, const json_t *o, const char *path, struct e2_plan_edge *e)
{
    const json_t *bw = json_object_get(o, "bw_bps");
    if (!bw || json_is_null(bw)) return 0;
    if (!json_is_integer(bw) || json_integer_value(bw) < 0)
        return bad(r, path, "\"bw_bps\" must be null or a rate in bits/s >= 0");
    e->has_bw = true;
    e->bw_bps = (uint64_t)json_integer_value(bw);
    return 0;
}

static int load_ports(const struct rd *r, const struct e2_plan_pgraph *pg, const json_t *o,
                      const char *path, struct e2_plan_edge *e)
{
    const json_t *sp = json_object_get(o, "src_ports");
    int rc = sp ? get_strings(r, sp, path, &e->src_ports, &e->n_src_ports) : 0;
    if (rc) return rc;
    const struct e2_nf_desc *src = pg->nodes[e->src].nf, *dst = pg->nodes[e->dst].nf;
    for (size_t i = 0; src && i < e->n_src_ports; i++)
        if (!in_list(src->outputs, src->n_outputs, e->src_ports[i]))
            return bad(r, path, "src_ports: \"%s\" is not an output of %s", e->src_ports[i],
                       src->nf_type);
    const json_t *in = json_object_get(o, "dst_input");
    if (!in || json_is_null(in)) return 0;
    if (!json_is_object(in) || !json_is_string(json_object_get(in, "port")))
        return bad(r, path, "\"dst_input\" must be null or {\"port\": NAME, ...}");
    if (!(e->dst_input = strdup(json_string_value(json_object_get(in, "port"))))) return oom(r);
    const json_t *ph = json_object_get(in, "placeholder");
    if (ph && !json_is_string(ph)) return bad(r, path, "dst_input.placeholder must be a string");
    if (ph && !(e->dst_placeholder = strdup(json_string_value(ph)))) return oom(r);
    if (dst && !in_list(dst->inputs, dst->n_inputs, e->dst_input))
        return bad(r, path, "dst_input: \"%s\" is not an input of %s", e->dst_input, dst->nf_type);
    return 0;
}

static int load_edge(const struct rd *r, const struct e2_plan_pgraph *pg, const json_t *o, size_t i,
                     struct e2_plan_edge *e)
{
    char path[64];
    snprintf(path, sizeof(path), "edges[%zu]", i);
    if (!json_is_object(o)) return bad(r, path, "expected an object");
    const json_t *id = json_object_get(o, "id");
    if (!json_is_integer(id) || json_integer_value(id) != (json_int_t)i)
        return bad(r, path, "\"id\" must equal the edge's index %zu", i);
    int rc;
    if ((rc = endpoint(r, pg, o, "src", path, &e->src)) ||
        (rc = endpoint(r, pg, o, "dst", path, &e->dst)) ||
        (rc = get_string(r, o, "filter", path, &e->filter)) || (rc = load_bw(r, o, path, e)) ||
        (rc = load_ports(r, pg, o, path, e)))
        return rc;
    if (pg->nodes[e->src].kind == E2_PNODE_DROP) return bad(r, path, "an edge cannot leave Drop");
    if (e->src == e->dst)
        return bad(r, path, "an edge from \"%s\" to itself", pg->nodes[e->src].name);
    const json_t *root = json_object_get(o, "root");
    if (!json_is_boolean(root)) return bad(r, path, "\"root\" must be true or false");
    e->root = json_is_true(root);
    if (e->root != (pg->nodes[e->src].kind == E2_PNODE_PORT))
        return bad(r, path, "\"root\" is %s but the edge %s a port node",
                   e->root ? "true" : "false", e->root ? "does not leave" : "leaves");
    const json_t *cls = json_object_get(o, "class");
    if (!cls || json_is_null(cls)) return 0;
    strncat(path, ".class", sizeof(path) - strlen(path) - 1);
    return get_uints(r, cls, path, 1u << 30, &e->classes, &e->n_classes);
}

static int check_classes(const struct rd *r, const struct e2_plan_pgraph *pg)
{
    for (size_t i = 0; i < pg->n_edges; i++)
        for (size_t c = 0; c < pg->edges[i].n_classes; c++) {
            unsigned cls = pg->edges[i].classes[c];
            if (cls >= pg->n_edges || !pg->edges[cls].root) {
                char path[64];
                snprintf(path, sizeof(path), "edges[%zu].class", i);
                return bad(r, path, "%u is not the id of a root edge", cls);
            }
        }
    return 0;
}

/* Union of the roots of @e's pipelets ("pipelets" in the edge, "roots" per pipelet). */
static int pipelet_classes(const struct rd *r, const json_t *pipelets, const json_t *edge,
                           const char *path, struct e2_plan_edge *e)
{
    const json_t *ids = json_object_get(edge, "pipelets");
    if (!ids || !json_is_array(pipelets)) return 0; /* older pGraphs: unknown */
    size_t cap = 0;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const json_t *pl =
            json_array_get(pipelets, (size_t)json_integer_value(json_array_get(ids, i)));
        cap += json_array_size(json_object_get(pl, "roots"));
    }
    e->pipelet_classes = calloc(cap ? cap : 1, sizeof(*e->pipelet_classes));
    if (!e->pipelet_classes) return oom(r);
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const json_t *id = json_array_get(ids, i);
        const json_t *pl = json_array_get(pipelets, (size_t)json_integer_value(id));
        const json_t *roots = json_object_get(pl, "roots");
        if (!json_is_integer(id) || !json_is_array(roots))
            return bad(r, path, "pipelets: item %zu is not the index of a pipelet with roots", i);
        for (size_t k = 0; k < json_array_size(roots); k++) {
            json_int_t root = json_integer_value(json_array_get(roots, k));
            bool seen = false;
            for (size_t m = 0; m < e->n_pipelet_classes; m++) seen |= e->pipelet_classes[m] == root;
            if (!seen) e->pipelet_classes[e->n_pipelet_classes++] = (unsigned)root;
        }
    }
    return 0;
}

static int load_edges(const struct rd *r, const json_t *a, struct e2_plan_pgraph *pg)
{
    if (!json_is_array(a)) return bad(r, "edges", "expected an array");
    pg->n_edges = json_array_size(a);
    pg->edges = calloc(pg->n_edges ? pg->n_edges : 1, sizeof(*pg->edges));
    if (!pg->edges) return oom(r);
    for (size_t i = 0; i < pg->n_edges; i++) {
        int rc = load_edge(r, pg, json_array_get(a, i), i, &pg->edges[i]);
        if (rc) return rc;
    }
    return check_classes(r, pg);
}

int e2_plan_pgraph_from_json(const json_t *root, const char *origin, struct e2_plan_pgraph **out,
                             struct e2_err *err)
{
    struct rd r = {origin ? origin : "pgraph", err};
    *out = NULL;
    if (!json_is_object(root)) return bad(&r, "(top)", "expected a JSON object");
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, E2_PLAN_PGRAPH_FORMAT))
        return bad(&r, "format", "expected \"%s\", got %s%s%s", E2_PLAN_PGRAPH_FORMAT,
                   fmt ? "\"" : "", fmt ? fmt : "none", fmt ? "\"" : "");
    struct e2_plan_pgraph *pg = calloc(1, sizeof(*pg));
    if (!pg) return oom(&r);
    const char *policy = json_string_value(json_object_get(root, "policy"));
    int rc = (pg->policy = strdup(policy ? policy : "")) ? 0 : oom(&r);
    if (!rc) rc = load_nodes(&r, json_object_get(root, "nodes"), pg);
    if (!rc) rc = load_edges(&r, json_object_get(root, "edges"), pg);
    for (size_t i = 0; !rc && i < pg->n_edges; i++) {
        char path[64];
        snprintf(path, sizeof(path), "edges[%zu]", i);
        rc =
            pipelet_classes(&r, json_object_get(root, "pipelets"),
                            json_array_get(json_object_get(root, "edges"), i), path, &pg->edges[i]);
    }
    if (rc) {
        e2_plan_pgraph_free(pg);
        return rc;
    }
    *out = pg;
    return 0;
}

int e2_plan_pgraph_load(const char *path, struct e2_plan_pgraph **out, struct e2_err *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return e2_err_set(err, jerr.line < 0 ? ENOENT : EINVAL, "%s:%d:%d: %s", path, jerr.line,
                          jerr.column, jerr.text);
    int rc = e2_plan_pgraph_from_json(root, path, out, err);
    json_decref(root);
    return rc;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void e2_plan_pgraph_free(struct e2_plan_pgraph *pg)
{
    if (!pg) return;
    for (size_t i = 0; pg->nodes && i < pg->n_nodes; i++) {
        free(pg->nodes[i].name);
        free(pg->nodes[i].switch_ports);
        free(pg->nodes[i].nf_type);
        e2_nf_desc_free(pg->nodes[i].nf);
    }
    for (size_t i = 0; pg->edges && i < pg->n_edges; i++) {
        strv_free(pg->edges[i].src_ports, pg->edges[i].n_src_ports);
        free(pg->edges[i].dst_input);
        free(pg->edges[i].filter);
        free(pg->edges[i].classes);
        free(pg->edges[i].pipelet_classes);
        free(pg->edges[i].dst_placeholder);
    }
    free(pg->nodes);
    free(pg->edges);
    free(pg->policy);
    free(pg);
}

int e2_plan_pgraph_find(const struct e2_plan_pgraph *pg, const char *name)
{
    for (size_t i = 0; pg->nodes && i < pg->n_nodes; i++)
        if (pg->nodes[i].name && !strcmp(pg->nodes[i].name, name)) return (int)i;
    return -1;
}

bool e2_pedge_admits_class(const struct e2_plan_edge *e, unsigned cls)
{
    if (!e->classes) return true;
    for (size_t i = 0; i < e->n_classes; i++)
        if (e->classes[i] == cls) return true;
    return false;
}
