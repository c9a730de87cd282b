/*
 * The public switch calls: URIs to drivers, JSON in and out, the stats every
 * driver keeps the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sw_int.h"

struct e2_sw *e2_sw_open(const char *uri, struct e2_err *err)
{
    if (!strncmp(uri, "model:", 6)) return e2_sw_model_open(uri + 6, err);
    if (!strncmp(uri, "ovs:", 4)) return e2_sw_ovs_open(uri + 4, err);
    e2_err_set(err, EINVAL,
               "switch '%s': expected model:rules=N,latency_us=L, ovs:unix:PATH or "
               "ovs:tcp:HOST:PORT",
               uri);
    return NULL;
}

static int parse_cookies(const json_t *j, uint32_t **out, size_t *n, struct e2_err *err)
{
    *out = NULL;
    *n = 0;
    if (!j) return 0;
    if (!json_is_array(j)) return e2_err_set(err, EINVAL, "delete: must be an array of cookies");
    *out = calloc(json_array_size(j) + 1, sizeof(**out));
    if (!*out) return e2_err_set(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *c = json_array_get(j, i);
        json_int_t v = json_is_integer(c) ? json_integer_value(c) : -1;
        if (v < 0 || v > UINT32_MAX)
            return e2_err_set(err, EINVAL, "delete[%zu]: a cookie is a whole number 0..%u", i,
                              UINT32_MAX);
        (*out)[(*n)++] = (uint32_t)v;
    }
    return 0;
}

int e2_sw_apply(struct e2_sw *sw, const json_t *rules_add, const json_t *cookies_del,
                struct e2_err *err)
{
    struct e2_sw_rule *add = NULL;
    uint32_t *del = NULL;
    size_t n_add = 0, n_del = 0;
    double us = 0;
    int rc = rules_add ? e2_sw_rules_parse(rules_add, &add, &n_add, err) : 0;
    if (!rc) rc = parse_cookies(cookies_del, &del, &n_del, err);
    if (!rc) rc = sw->ops->apply(sw, add, n_add, del, n_del, &us, err);
    if (!rc) {
        sw->stats.applies++;
        for (size_t i = 0; i < n_add; i++) sw->stats.entries_added += e2_sw_rule_entries(&add[i]);
        sw->stats.last_apply_us = us;
        sw->stats.total_apply_us += us;
    }
    free(add);
    free(del);
    return rc;
}

static int entry_cmp(const void *x, const void *y)
{
    const struct e2_sw_entry *a = x, *b = y;
    return e2_sw_rule_cmp(&a->rule, &b->rule);
}

static int rules_json(struct e2_sw *sw, bool counters, json_t **out, struct e2_err *err)
{
    struct e2_sw_entry *e = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = sw->ops->dump(sw, &e, &n, err);
    if (rc) return rc;
    qsort(e, n, sizeof(*e), entry_cmp);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *r = e2_sw_rule_to_json(&e[i].rule);
        if (counters)
            json_object_set_new(r, "counters",
                                json_pack("{sIsI}", "packets", (json_int_t)e[i].packets, "bytes",
                                          (json_int_t)e[i].bytes));
        json_array_append_new(a, r);
    }
    free(e);
    *out = a;
    return a ? 0 : e2_err_set(err, ENOMEM, "out of memory");
}

int e2_sw_rules(struct e2_sw *sw, json_t **rules_out, struct e2_err *err)
{
    return rules_json(sw, false, rules_out, err);
}

int e2_sw_counters(struct e2_sw *sw, json_t **rules_out, struct e2_err *err)
{
    return rules_json(sw, true, rules_out, err);
}

int e2_sw_stats(struct e2_sw *sw, struct e2_sw_stats *out, struct e2_err *err)
{
    struct e2_sw_entry *e = NULL;
    size_t n = 0;
    int rc = sw->ops->dump(sw, &e, &n, err);
    if (rc) return rc;
    *out = sw->stats;
    out->driver = sw->ops->name;
    out->rules = n;
    out->entries = 0;
    for (size_t i = 0; i < n; i++) out->entries += e[i].entries;
    out->capacity = sw->ops->capacity(sw);
    free(e);
    return 0;
}

void e2_sw_close(struct e2_sw *sw)
{
    if (sw) sw->ops->close(sw);
}
