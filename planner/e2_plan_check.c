/*
 * Validation of a plan JSON document: the structure docs/planner.md
 * describes, and the promises a plan makes (limits kept, instances placed
 * once, ranges tiling the flow-ID space, rules counted and within the table).
 */
#include "e2_plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chk {
    struct e2_err *err;
    uint64_t space;
    json_t *where;   /* instance id -> [server index, lo, hi, owners] */
    unsigned n_inst; /* kind "instance" */
};

__attribute__((format(printf, 3, 4))) static int bad(struct chk *c, const char *path,
                                                     const char *fmt, ...)
{
    char msg[E2_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return e2_err_set(c->err, EINVAL, "plan: %s: %s", path, msg);
}

static int need(struct chk *c, const json_t *o, const char *key, const char *path, json_type type,
                const json_t **out)
{
    *out = json_object_get(o, key);
    if (*out &&
        (json_typeof(*out) == type || (type == JSON_REAL && json_typeof(*out) == JSON_INTEGER)))
        return 0;
    static const char *const names[] = {"an object", "an array", "a string", "an integer",
                                        "a number",  "true",     "false",    "null"};
    return bad(c, path, "\"%s\" must be %s", key, names[type]);
}

static double num(const json_t *v)
{
    return json_number_value(v);
}

static int range_ok(struct chk *c, const json_t *r, const char *path, uint64_t *lo, uint64_t *hi)
{
    if (!json_is_array(r) || json_array_size(r) != 2 || !json_is_integer(json_array_get(r, 0)) ||
        !json_is_integer(json_array_get(r, 1)))
        return bad(c, path, "flow_range must be [lo, hi]");
    json_int_t l = json_integer_value(json_array_get(r, 0)),
               h = json_integer_value(json_array_get(r, 1));
    if (l < 0 || h <= l || (uint64_t)h > c->space)
        return bad(c, path, "flow_range [%lld, %lld) is not inside [0, %llu)", (long long)l,
                   (long long)h, (unsigned long long)c->space);
    *lo = (uint64_t)l;
    *hi = (uint64_t)h;
    return 0;
}

/* One instance of server @s: unique id, core within the server's NF cores. */
static int check_instance(struct chk *c, const json_t *in, size_t s, const char *path, unsigned dp,
                          unsigned cores, unsigned char *core_used)
{
    const json_t *id, *kind, *core;
    uint64_t lo, hi;
    int rc;
    if ((rc = need(c, in, "id", path, JSON_STRING, &id)) ||
        (rc = need(c, in, "kind", path, JSON_STRING, &kind)) ||
        (rc = range_ok(c, json_object_get(in, "flow_range"), path, &lo, &hi)))
        return rc;
    if (json_object_get(c->where, json_string_value(id)))
        return bad(c, path, "instance \"%s\" is placed twice", json_string_value(id));
    json_object_set_new(c->where, json_string_value(id),
                        json_pack("[IIII]", (json_int_t)s, (json_int_t)lo, (json_int_t)hi, 0));
    if (!strcmp(json_string_value(kind), "tee")) return 0;
    if (strcmp(json_string_value(kind), "instance"))
        return bad(c, path, "kind must be instance or tee");
    c->n_inst++;
    if ((rc = need(c, in, "core", path, JSON_INTEGER, &core))) return rc;
    json_int_t k = json_integer_value(core);
    if (k < dp || k >= cores)
        return bad(c, path, "core %lld is not an NF core (%u..%u)", (long long)k, dp, cores - 1);
    if (core_used[k]++) return bad(c, path, "core %lld is given twice", (long long)k);
    return 0;
}

static int check_edge(struct chk *c, const json_t *e, const char *path)
{
    static const char *const dists[] = {"none", "switch", "hash", "range", "direct", NULL};
    const json_t *v;
    uint64_t lo, hi;
    int rc;
    if ((rc = need(c, e, "src", path, JSON_STRING, &v)) ||
        (rc = need(c, e, "dst", path, JSON_STRING, &v)) ||
        (rc = need(c, e, "rate_bps", path, JSON_REAL, &v)) ||
        (rc = range_ok(c, json_object_get(e, "flow_range"), path, &lo, &hi)))
        return rc;
    if (num(v) < 0) return bad(c, path, "rate_bps is negative");
    if ((rc = need(c, e, "distribution", path, JSON_STRING, &v))) return rc;
    for (int i = 0; dists[i]; i++)
        if (!strcmp(dists[i], json_string_value(v))) return 0;
    return bad(c, path, "unknown distribution \"%s\"", json_string_value(v));
}

static int check_links(struct chk *c, const json_t *sv, const char *path)
{
    const json_t *cap, *in, *out;
    int rc;
    if ((rc = need(c, sv, "nic_bps", path, JSON_INTEGER, &cap)) ||
        (rc = need(c, sv, "nic_in_bps", path, JSON_REAL, &in)) ||
        (rc = need(c, sv, "nic_out_bps", path, JSON_REAL, &out)))
        return rc;
    double lim = num(cap) * (1 + 1e-6);
    if (num(in) > lim || num(out) > lim)
        return bad(c, path, "NIC carries %.0f in, %.0f out, over its %.0f bit/s", num(in), num(out),
                   num(cap));
    return 0;
}

static int check_server(struct chk *c, const json_t *sv, size_t s)
{
    char path[64], sub[96];
    snprintf(path, sizeof(path), "servers[%zu]", s);
    const json_t *cores, *dp, *used, *inst, *edges;
    int rc;
    if ((rc = need(c, sv, "cores", path, JSON_INTEGER, &cores)) ||
        (rc = need(c, sv, "dataplane_cores", path, JSON_INTEGER, &dp)) ||
        (rc = need(c, sv, "cores_used", path, JSON_INTEGER, &used)) ||
        (rc = need(c, sv, "instances", path, JSON_ARRAY, &inst)) ||
        (rc = need(c, sv, "edges", path, JSON_ARRAY, &edges)) || (rc = check_links(c, sv, path)))
        return rc;
    json_int_t nc = json_integer_value(cores), nd = json_integer_value(dp);
    if (nc < 1 || nc > 4096 || nd < 0 || nd >= nc)
        return bad(c, path, "cores %lld with %lld dataplane cores", (long long)nc, (long long)nd);
    unsigned char *core_used = calloc((size_t)nc, 1);
    if (!core_used) return e2_err_set(c->err, ENOMEM, "plan: out of memory");
    unsigned before = c->n_inst;
    for (size_t i = 0; !rc && i < json_array_size(inst); i++) {
        snprintf(sub, sizeof(sub), "%s.instances[%zu]", path, i);
        rc = check_instance(c, json_array_get(inst, i), s, sub, (unsigned)nd, (unsigned)nc,
                            core_used);
    }
    free(core_used);
    if (!rc && json_integer_value(used) != (json_int_t)(c->n_inst - before))
        rc = bad(c, path, "cores_used is %lld but %u instances run there",
                 (long long)json_integer_value(used), c->n_inst - before);
    for (size_t i = 0; !rc && i < json_array_size(edges); i++) {
        snprintf(sub, sizeof(sub), "%s.edges[%zu]", path, i);
        rc = check_edge(c, json_array_get(edges, i), sub);
    }
    return rc;
}

static int by_lo(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* An NF's instances: each placed, owned by this NF alone, ranges tiling the space. */
static int check_nf(struct chk *c, const json_t *nf, size_t i)
{
    char path[64];
    snprintf(path, sizeof(path), "nfs[%zu]", i);
    const json_t *inst;
    int rc = need(c, nf, "instances", path, JSON_ARRAY, &inst);
    size_t n = json_array_size(inst);
    if (rc || !n) return rc ? rc : bad(c, path, "an NF needs at least one instance");
    uint64_t *r = calloc(2 * n, sizeof(uint64_t));
    if (!r) return e2_err_set(c->err, ENOMEM, "plan: out of memory");
    for (size_t k = 0; !rc && k < n; k++) {
        json_t *w = json_object_get(c->where, json_string_value(json_array_get(inst, k)));
        if (!w) {
            rc = bad(c, path, "instance %zu is on no server", k);
            break;
        }
        json_int_t owners = json_integer_value(json_array_get(w, 3));
        json_array_set_new(w, 3, json_integer(owners + 1));
        if (owners) rc = bad(c, path, "instance %zu belongs to another NF too", k);
        r[2 * k] = (uint64_t)json_integer_value(json_array_get(w, 1));
        r[2 * k + 1] = (uint64_t)json_integer_value(json_array_get(w, 2));
    }
    qsort(r, n, 2 * sizeof(uint64_t), by_lo);
    uint64_t at = 0;
    for (size_t k = 0; !rc && k < n; k++) {
        if (r[2 * k] != at)
            rc = bad(c, path, "instance ranges leave a gap or overlap at %llu",
                     (unsigned long long)at);
        at = r[2 * k + 1];
    }
    if (!rc && at != c->space)
        rc = bad(c, path, "instance ranges stop at %llu", (unsigned long long)at);
    free(r);
    return rc;
}

static int check_rule(struct chk *c, const json_t *r, size_t i)
{
    char path[64];
    snprintf(path, sizeof(path), "switch.rules[%zu]", i);
    const json_t *kind, *flow;
    int rc = need(c, r, "kind", path, JSON_STRING, &kind);
    if (rc || strcmp(json_string_value(kind), "ingress")) return rc;
    if ((rc = need(c, r, "flow", path, JSON_OBJECT, &flow))) return rc;
    json_int_t v = json_integer_value(json_object_get(flow, "value"));
    json_int_t m = json_integer_value(json_object_get(flow, "mask"));
    json_int_t len = json_integer_value(json_object_get(flow, "len"));
    if (m < 0 || (uint64_t)m >= c->space || (v & ~m) || __builtin_popcountll((uint64_t)m) != len)
        return bad(c, path, "flow match value %lld mask %lld len %lld is inconsistent",
                   (long long)v, (long long)m, (long long)len);
    return 0;
}

static int check_switch(struct chk *c, const json_t *sw, const json_t *summary)
{
    const json_t *table, *used, *rules, *sum_used;
    int rc;
    if ((rc = need(c, sw, "flow_table_size", "switch", JSON_INTEGER, &table)) ||
        (rc = need(c, sw, "rules_used", "switch", JSON_INTEGER, &used)) ||
        (rc = need(c, sw, "rules", "switch", JSON_ARRAY, &rules)) ||
        (rc = need(c, summary, "rules_used", "summary", JSON_INTEGER, &sum_used)))
        return rc;
    json_int_t n = json_integer_value(used);
    if (n != (json_int_t)json_array_size(rules) || n != json_integer_value(sum_used))
        return bad(c, "switch", "rules_used %lld, summary says %lld, %zu rules listed",
                   (long long)n, (long long)json_integer_value(sum_used), json_array_size(rules));
    if (n > json_integer_value(table))
        return bad(c, "switch", "%lld rules exceed the flow table of %lld", (long long)n,
                   (long long)json_integer_value(table));
    for (size_t i = 0; !rc && i < json_array_size(rules); i++)
        rc = check_rule(c, json_array_get(rules, i), i);
    return rc;
}

static int check_all(struct chk *c, const json_t *plan)
{
    const json_t *v, *servers, *nfs, *sw, *summary;
    int rc;
    if ((rc = need(c, plan, "format", "(top)", JSON_STRING, &v))) return rc;
    if (strcmp(json_string_value(v), E2_PLAN_FORMAT))
        return bad(c, "format", "expected \"%s\"", E2_PLAN_FORMAT);
    if ((rc = need(c, plan, "flow_id_bits", "(top)", JSON_INTEGER, &v))) return rc;
    if (json_integer_value(v) < 1 || json_integer_value(v) > 24)
        return bad(c, "flow_id_bits", "must be 1..24");
    c->space = 1ull << json_integer_value(v);
    if ((rc = need(c, plan, "servers", "(top)", JSON_ARRAY, &servers)) ||
        (rc = need(c, plan, "nfs", "(top)", JSON_ARRAY, &nfs)) ||
        (rc = need(c, plan, "switch", "(top)", JSON_OBJECT, &sw)) ||
        (rc = need(c, plan, "summary", "(top)", JSON_OBJECT, &summary)))
        return rc;
    for (size_t s = 0; !rc && s < json_array_size(servers); s++)
        rc = check_server(c, json_array_get(servers, s), s);
    for (size_t i = 0; !rc && i < json_array_size(nfs); i++)
        rc = check_nf(c, json_array_get(nfs, i), i);
    if (!rc && (rc = need(c, summary, "instances", "summary", JSON_INTEGER, &v))) return rc;
    if (!rc && json_integer_value(v) != c->n_inst)
        return bad(c, "summary.instances", "says %lld, the servers run %u",
                   (long long)json_integer_value(v), c->n_inst);
    return rc ? rc : check_switch(c, sw, summary);
}

int e2_plan_json_validate(const json_t *plan, struct e2_err *err)
{
    struct chk c = {err, 0, json_object(), 0};
    if (!c.where) return e2_err_set(err, ENOMEM, "plan: out of memory");
    int rc = json_is_object(plan) ? check_all(&c, plan) : bad(&c, "(top)", "expected an object");
    json_decref(c.where);
    return rc;
}
