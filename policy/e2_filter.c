/* e2_filter: parse = lex + parse + lower; the attribute table of a policy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2_filter_int.h"

int e2_filter_parse(const char *text, size_t len, const struct e2_filter_src *src,
                    const struct e2_filter_scope *scope, struct e2_filter **out, struct e2_err *err)
{
    struct e2_toks toks;
    int rc = e2_filter_lex(text, len, src, &toks, err);
    if (rc) return rc;
    struct e2_filter *f = calloc(1, sizeof(*f));
    if (!f) {
        e2_toks_free(&toks);
        return e2_err_set(err, ENOMEM, "%s: error: out of memory", src->file);
    }
    rc = e2_filter_parse_toks(&toks, src, scope, &f->ast, err);
    e2_toks_free(&toks);
    if (!rc) rc = e2_filter_lower(f, src, err);
    if (!rc && e2_filter_link(f))
        rc = e2_err_set(err, ENOMEM, "%s: error: out of memory", src->file);
    if (rc) {
        e2_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void e2_filter_free(struct e2_filter *f)
{
    if (!f) return;
    e2_ast_free(f->ast);
    free(f->ir);
    free(f->ar);
    free(f->prog);
    free(f);
}

bool e2_filter_is_empty(const struct e2_filter *f)
{
    return !f->ast;
}

bool e2_filter_has_attrs(const struct e2_filter *f)
{
    return f->has_attrs;
}

bool e2_filter_eval(const struct e2_filter *f, const uint8_t *frame, uint32_t caplen,
                    uint32_t wirelen, const struct e2_filter_env *env)
{
    return e2_filter_run(f, frame, caplen, wirelen, env) == 1;
}

int e2_attr_table_slot(struct e2_attr_table *t, const char *nf_type, const struct e2_nf_attr *attr)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->slots[i].attr == attr && !strcmp(t->slots[i].nf_type, nf_type)) return (int)i;
    struct e2_attr_slot *v = realloc(t->slots, (t->n + 1) * sizeof(*v));
    if (!v) return -ENOMEM;
    t->slots = v;
    v[t->n] = (struct e2_attr_slot){.nf_type = strdup(nf_type), .attr = attr};
    if (!v[t->n].nf_type) return -ENOMEM;
    return (int)t->n++;
}

int e2_attr_table_intern(struct e2_attr_table *t, unsigned slot, const char *s)
{
    struct e2_attr_slot *sl = &t->slots[slot];
    for (size_t i = 0; i < sl->n_strings; i++)
        if (!strcmp(sl->strings[i], s)) return (int)i;
    char **v = realloc(sl->strings, (sl->n_strings + 1) * sizeof(*v));
    if (!v) return -ENOMEM;
    sl->strings = v;
    if (!(v[sl->n_strings] = strdup(s))) return -ENOMEM;
    return (int)sl->n_strings++;
}

void e2_attr_table_free(struct e2_attr_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->slots[i].n_strings; j++) free(t->slots[i].strings[j]);
        free(t->slots[i].strings);
        free(t->slots[i].nf_type);
    }
    free(t->slots);
    t->slots = NULL;
    t->n = 0;
}
