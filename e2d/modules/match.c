/*
 * Match tables: rules parsed and checked, tables built (scan steps and, for
 * many rules, an rte_acl trie) and swapped RCU-style, and the commands that
 * change them. See match.h.
 */
#include "match.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>

/* ---- values ---- */

bool match_common_key(const char *key)
{
    return strcmp(key, "gate") == 0 || strcmp(key, "name") == 0;
}

int match_uint(const json_t *v, uint32_t max, uint32_t *out, struct e2_err *err)
{
    if (!json_is_integer(v)) return e2_err_set(err, EINVAL, "must be a whole number");
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > (json_int_t)max)
        return e2_err_set(err, ERANGE, "%lld is out of range 0..%u", (long long)x, max);
    *out = (uint32_t)x;
    return 0;
}

static bool parse_number(const char *s, char **end, uint32_t max, uint32_t *out)
{
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long long x = strtoull(s, end, 0);
    if (errno || x > max) return false;
    *out = (uint32_t)x;
    return true;
}

/* "N" or "LO-HI", each in 0..max. */
static bool parse_range_string(const char *s, uint32_t max, uint32_t *lo, uint32_t *hi)
{
    char *end;
    if (!parse_number(s, &end, max, lo)) return false;
    *hi = *lo;
    if (*end == '-' && !parse_number(end + 1, &end, max, hi)) return false;
    return *end == '\0';
}

static int range_string_error(const char *s, uint32_t max, const struct match_name *names,
                              struct e2_err *err)
{
    char list[256] = "";
    size_t n = 0;
    for (const struct match_name *nm = names; nm && nm->name && n < sizeof(list); nm++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, ", %s", nm->name);
    return e2_err_set(err, EINVAL, "\"%s\" is not a value or range LO-HI in 0..%u%s%s", s, max,
                      n ? ", nor one of" : "", list + (n ? 1 : 0));
}

int match_range(const json_t *v, uint32_t max, const struct match_name *names, uint32_t *lo,
                uint32_t *hi, struct e2_err *err)
{
    if (json_is_integer(v)) {
        int rc = match_uint(v, max, lo, err);
        *hi = *lo;
        return rc;
    }
    if (!json_is_string(v))
        return e2_err_set(err, EINVAL, "must be a number or a string \"LO-HI\"");
    const char *s = json_string_value(v);
    for (const struct match_name *nm = names; nm && nm->name; nm++) {
        if (strcmp(nm->name, s) == 0) {
            *lo = *hi = nm->value;
            return 0;
        }
    }
    if (!parse_range_string(s, max, lo, hi)) return range_string_error(s, max, names, err);
    if (*lo > *hi)
        return e2_err_set(err, ERANGE, "\"%s\" is an empty range (%u > %u)", s, *lo, *hi);
    return 0;
}

int match_cond_add(const struct match_kind *kind, struct match_rule *r, struct match_cond c,
                   struct e2_err *err)
{
    if (r->fields >> c.field & 1)
        return e2_err_set(err, EEXIST, "this rule already has a condition on %s",
                          kind->field_names[c.field]);
    unsigned i = r->n++;
    for (; i > 0 && r->c[i - 1].field > c.field; i--) r->c[i] = r->c[i - 1];
    r->c[i] = c;
    r->fields |= 1u << c.field;
    return 0;
}

/* ---- rules ---- */

static const char *rule_name(const struct match_rule *r)
{
    return json_string_value(json_object_get(r->spec, "name"));
}

/* An output gate, or -1: E2_GATE_DROP. */
static int gate_value(const json_t *v, uint16_t *gate, struct e2_err *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) >= E2_GATES_MAX)
        return e2_err_set(err, EINVAL, "must be a gate 0..%d, or -1 to drop", E2_GATES_MAX - 1);
    *gate = json_integer_value(v) < 0 ? E2_GATE_DROP : (uint16_t)json_integer_value(v);
    return 0;
}

static int parse_gate(const json_t *v, uint16_t *gate, struct e2_err *err)
{
    if (!v) return e2_err_set(err, EINVAL, ".gate: missing (an output gate, or -1 to drop)");
    int rc = gate_value(v, gate, err);
    return rc ? e2_err_prefix(err, ".gate: ") : 0;
}

static int parse_name(const json_t *v, struct e2_err *err)
{
    if (v &&
        (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= E2_NAME_MAX))
        return e2_err_set(err, EINVAL, ".name: must be a string of 1..%d characters",
                          E2_NAME_MAX - 1);
    return 0;
}

/* One rule object into @r; errors read ".key: ..." or ": ..." (the caller says which rule). */
static int rule_parse(const struct match_kind *kind, const json_t *j, struct match_rule *r,
                      struct e2_err *err)
{
    memset(r, 0, sizeof(*r));
    if (!json_is_object(j))
        return e2_err_set(err, EINVAL, ": must be an object of conditions and a gate");
    int rc = parse_gate(json_object_get(j, "gate"), &r->gate, err);
    if (!rc) rc = parse_name(json_object_get(j, "name"), err);
    if (rc) return rc;
    rc = kind->parse(j, r, err);
    if (rc) return e2_err_prefix(err, ".");
    r->spec = json_deep_copy(j);
    return r->spec ? 0 : e2_err_set(err, ENOMEM, ": out of memory");
}

static void rules_free(struct match_rule *rules, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) json_decref(rules[i].spec);
    free(rules);
}

/*
 * The rules as the pairwise checks see them (there are n² pairs): compact,
 * conditions in field order, names looked up once.
 */
struct view {
    uint32_t fields;
    uint32_t n;
    const struct match_cond *c;
    const char *name;
};

/* Does @a match every packet @b matches? Both are boxes: compare field by field. */
static bool covers(const struct view *a, const struct view *b)
{
    if (a->fields & ~b->fields) return false;
    const struct match_cond *y = b->c;
    for (const struct match_cond *x = a->c; x < a->c + a->n; x++) {
        while (y->field != x->field) y++;
        if (x->present != y->present) return false;
        if (x->present && (y->lo < x->lo || y->hi > x->hi)) return false;
    }
    return true;
}

/* Rule @i before rule @k: refuse @k if @i shadows it, or if they share a name. */
static int check_pair(const struct view *v, uint32_t i, uint32_t k, struct e2_err *err)
{
    if (covers(&v[i], &v[k]))
        return e2_err_set(err, EEXIST,
                          "rules[%u] never matches: rules[%u] comes first and matches every "
                          "packet it would",
                          k, i);
    if (v[i].name && v[k].name && strcmp(v[i].name, v[k].name) == 0)
        return e2_err_set(err, EEXIST, "rules[%u].name: \"%s\" is also the name of rules[%u]", k,
                          v[k].name, i);
    return 0;
}

static int check_views(const struct view *v, uint32_t n, uint32_t from, uint32_t to,
                       struct e2_err *err)
{
    for (uint32_t k = from; k < to; k++) {
        for (uint32_t i = 0; i < k; i++) {
            int rc = check_pair(v, i, k, err);
            if (rc) return rc;
        }
        for (uint32_t j = to; j < n; j++) {
            int rc = check_pair(v, k, j, err);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Check every pair of rules with one member in [from, to). */
static int check_rules(const struct match_rule *rules, uint32_t n, uint32_t from, uint32_t to,
                       struct e2_err *err)
{
    uint32_t conds = 0;
    for (uint32_t i = 0; i < n; i++) conds += rules[i].n;
    struct view *v = malloc((n ? n : 1) * sizeof(*v));
    struct match_cond *flat = malloc((conds ? conds : 1) * sizeof(*flat));
    int rc = v && flat ? 0 : e2_err_set(err, ENOMEM, "out of memory");
    for (uint32_t i = 0, at = 0; !rc && i < n; at += rules[i++].n) {
        memcpy(&flat[at], rules[i].c, rules[i].n * sizeof(*flat));
        v[i] = (struct view){rules[i].fields, rules[i].n, &flat[at], rule_name(&rules[i])};
    }
    if (!rc) rc = check_views(v, n, from, to, err);
    free(v);
    free(flat);
    return rc;
}

static int rules_parse(const struct match_kind *kind, const json_t *j, struct match_rule **out,
                       uint32_t *n_out, struct e2_err *err)
{
    if (!json_is_array(j)) return e2_err_set(err, EINVAL, "rules: must be a list of rules");
    size_t n = json_array_size(j);
    if (n > MATCH_RULES_MAX)
        return e2_err_set(err, E2BIG, "rules: %zu rules, at most %d", n, MATCH_RULES_MAX);
    struct match_rule *rules = calloc(n ? n : 1, sizeof(*rules));
    if (!rules) return e2_err_set(err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        int rc = rule_parse(kind, json_array_get(j, i), &rules[i], err);
        if (rc) {
            rules_free(rules, i);
            return e2_err_prefix(err, "rules[%u]", i);
        }
    }
    int rc = check_rules(rules, (uint32_t)n, 0, (uint32_t)n, err);
    if (rc) {
        rules_free(rules, (uint32_t)n);
        return rc;
    }
    *out = rules;
    *n_out = (uint32_t)n;
    return 0;
}

/* ---- tables ---- */

static struct match_test test_of(const struct match_cond *c)
{
    return (struct match_test){
        .lo = c->lo, .span = c->hi - c->lo, .field = c->field, .want = c->present};
}

/* The scan: the rules in order; a rule without conditions ends it. */
static void compile_steps(struct match_table *t)
{
    uint32_t k = 0, rest = 0;
    for (; k < t->n_rules && t->rules[k].n; k++) {
        const struct match_rule *r = &t->rules[k];
        t->steps[k] = (struct match_step){
            .first = test_of(&r->c[0]), .gate = r->gate, .more = r->n - 1, .rest = rest};
        for (unsigned c = 1; c < r->n; c++) t->rest[rest++] = test_of(&r->c[c]);
    }
    if (k < t->n_rules) t->miss_gate = t->rules[k].gate;
    t->n_steps = k;
}

static void table_free(struct match_table *t)
{
    if (!t) return;
    rte_acl_free(t->acl);
    rules_free(t->rules, t->n_rules);
    free(t);
}

/* A table over @rules (which it takes, even on failure). */
static int table_new(const struct match_state *s, struct match_rule *rules, uint32_t n,
                     uint16_t default_gate, struct match_table **out, struct e2_err *err)
{
    uint32_t conds = 0, used = 0;
    for (uint32_t i = 0; i < n; i++) {
        conds += rules[i].n;
        used |= rules[i].fields;
    }
    struct match_table *t =
        calloc(1, sizeof(*t) + n * sizeof(t->steps[0]) + conds * sizeof(t->rest[0]));
    if (!t) {
        rules_free(rules, n);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    *t = (struct match_table){.n_rules = n,
                              .default_gate = default_gate,
                              .miss_gate = default_gate,
                              .used = used,
                              .rules = rules,
                              .rest = (struct match_test *)&t->steps[n]};
    compile_steps(t);
    int rc = s->acl_min_rules && n >= s->acl_min_rules ? match_acl_build(t, err) : 0;
    if (rc) {
        table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Make @rules (taken, even on failure) the module's table; free the old one once unused. */
static int install(struct match_state *s, struct match_rule *rules, uint32_t n,
                   uint16_t default_gate, struct e2_err *err)
{
    struct match_table *t = NULL;
    int rc = table_new(s, rules, n, default_gate, &t, err);
    if (!rc) table_free(e2_rcu_swap(&s->table, t));
    return rc;
}

/* @v, or @current when @v is left out. */
static int parse_default_gate(const json_t *v, uint16_t current, uint16_t *out, struct e2_err *err)
{
    *out = current;
    int rc = v ? gate_value(v, out, err) : 0;
    return rc ? e2_err_prefix(err, "default_gate: ") : 0;
}

int match_init(struct e2_module *m, const struct match_kind *kind, const struct match_args *a,
               struct e2_err *err)
{
    struct match_state *s = m->priv;
    s->kind = kind;
    s->acl_min_rules = a->acl_min_rules;
    struct match_rule *rules = NULL;
    uint32_t n = 0;
    int rc = rules_parse(kind, a->rules, &rules, &n, err);
    uint16_t dg = a->default_gate < 0 ? E2_GATE_DROP : (uint16_t)a->default_gate;
    return rc ? rc : table_new(s, rules, n, dg, &s->table, err); /* no worker sees it yet */
}

void match_deinit(struct e2_module *m)
{
    struct match_state *s = m->priv;
    table_free(s->table);
}

/* ---- commands ---- */

struct set_args {
    json_t *rules;
    json_t *default_gate;
};

static const struct e2_arg set_spec[] = {
    E2_ARG_JSON(struct set_args, rules, NULL, "the new list of rules (as the module's 'rules')"),
    E2_ARG_JSON(struct set_args, default_gate, "null",
                "gate for packets no rule matches, -1 to drop; omitted: unchanged"),
    E2_ARG_END,
};

static int cmd_set_rules(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct set_args *a = args;
    struct match_state *s = m->priv;
    uint16_t dg;
    struct match_rule *rules = NULL;
    uint32_t n = 0;
    int rc = parse_default_gate(a->default_gate, s->table->default_gate, &dg, err);
    if (!rc) rc = rules_parse(s->kind, a->rules, &rules, &n, err);
    return rc ? rc : install(s, rules, n, dg, err);
}

struct add_args {
    json_t *rule;
    int64_t index;
};

static const struct e2_arg add_spec[] = {
    E2_ARG_JSON(struct add_args, rule, NULL, "the rule (as an element of the module's 'rules')"),
    E2_ARG_I64(struct add_args, index, "-1", -1, MATCH_RULES_MAX,
               "its place: before the rule now at this index (-1: after the last)"),
    E2_ARG_END,
};

/* @old's rules with @extra (may be NULL) at @at and without the rule at @skip (-1: none). */
static struct match_rule *rules_edit(const struct match_table *old, const struct match_rule *extra,
                                     uint32_t at, int64_t skip, uint32_t *n_out)
{
    uint32_t n = 0;
    struct match_rule *rules = calloc(old->n_rules + 1, sizeof(*rules));
    if (!rules) return NULL;
    for (uint32_t i = 0; i <= old->n_rules; i++) {
        if (extra && i == at) rules[n++] = *extra;
        if (i == old->n_rules || (int64_t)i == skip) continue;
        rules[n] = old->rules[i];
        json_incref(rules[n++].spec);
    }
    *n_out = n;
    return rules;
}

static int cmd_add_rule(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)result;
    const struct add_args *a = args;
    struct match_state *s = m->priv;
    const struct match_table *old = s->table;
    uint32_t at = a->index < 0 ? old->n_rules : (uint32_t)a->index;
    if (at > old->n_rules)
        return e2_err_set(err, ERANGE, "index %u is past the end (there are %u rules)", at,
                          old->n_rules);
    if (old->n_rules == MATCH_RULES_MAX)
        return e2_err_set(err, E2BIG, "the table is full (%d rules)", MATCH_RULES_MAX);
    struct match_rule r;
    int rc = rule_parse(s->kind, a->rule, &r, err);
    if (rc) return e2_err_prefix(err, "rule");
    uint32_t n;
    struct match_rule *rules = rules_edit(old, &r, at, -1, &n);
    if (!rules) {
        json_decref(r.spec);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    rc = check_rules(rules, n, at, at + 1, err);
    if (rc) {
        rules_free(rules, n);
        return e2_err_prefix(err, "the new rule would be rules[%u]: ", at);
    }
    return install(s, rules, n, old->default_gate, err);
}

struct del_args {
    int64_t index;
    char name[E2_NAME_MAX];
};

static const struct e2_arg del_spec[] = {
    E2_ARG_I64(struct del_args, index, "-1", -1, MATCH_RULES_MAX - 1,
               "the place of the rule to remove"),
    E2_ARG_STR(struct del_args, name, "\"\"", "or the name of the rule to remove"),
    E2_ARG_END,
};

static int64_t find_rule(const struct match_table *t, const struct del_args *a, struct e2_err *err)
{
    if ((a->index < 0) == (a->name[0] == '\0'))
        return e2_err_set(err, EINVAL, "give the rule's index or its name (one of them)");
    if (a->index >= (int64_t)t->n_rules)
        return e2_err_set(err, ENOENT, "no rule at index %lld (there are %u rules)",
                          (long long)a->index, t->n_rules);
    if (a->index >= 0) return a->index;
    for (uint32_t i = 0; i < t->n_rules; i++) {
        const char *name = rule_name(&t->rules[i]);
        if (name && strcmp(name, a->name) == 0) return i;
    }
    return e2_err_set(err, ENOENT, "no rule named \"%s\"", a->name);
}

static int cmd_delete_rule(struct e2_module *m, const void *args, json_t **result,
                           struct e2_err *err)
{
    (void)result;
    struct match_state *s = m->priv;
    const struct match_table *old = s->table;
    int64_t k = find_rule(old, args, err);
    if (k < 0) return (int)k;
    uint32_t n;
    struct match_rule *rules = rules_edit(old, NULL, 0, k, &n);
    if (!rules) return e2_err_set(err, ENOMEM, "out of memory");
    return install(s, rules, n, old->default_gate, err);
}

static int cmd_get_rules(struct e2_module *m, const void *args, json_t **result, struct e2_err *err)
{
    (void)args;
    (void)err;
    const struct match_state *s = m->priv;
    const struct match_table *t = s->table;
    json_t *rules = json_array();
    for (uint32_t i = 0; i < t->n_rules; i++)
        json_array_append_new(rules, json_deep_copy(t->rules[i].spec));
    *result = json_pack("{s:o, s:i, s:s, s:i}", "rules", rules, "default_gate",
                        t->default_gate == E2_GATE_DROP ? -1 : t->default_gate, "engine",
                        t->acl ? "acl" : "scan", "acl_min_rules", s->acl_min_rules);
    return 0;
}

const struct e2_cmd match_cmds[] = {
    {"set_rules", "replace every rule (and the default gate) in one swap", set_spec,
     sizeof(struct set_args), cmd_set_rules, true},
    {"add_rule", "insert one rule at a place in the order", add_spec, sizeof(struct add_args),
     cmd_add_rule, true},
    {"delete_rule", "remove one rule, by index or by name", del_spec, sizeof(struct del_args),
     cmd_delete_rule, true},
    {"get_rules", "the rules in order, the default gate and the engine (scan or acl)", NULL, 0,
     cmd_get_rules, true},
    {.name = NULL},
};
