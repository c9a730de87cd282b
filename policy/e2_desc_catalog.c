/* Lookups in a description and the catalog of NF descriptions of a directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2_desc.h"

const struct e2_nf_attr *e2_nf_desc_attr(const struct e2_nf_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n_attrs; i++)
        if (d->attrs[i].name && !strcmp(d->attrs[i].name, name)) return &d->attrs[i];
    return NULL;
}

const struct e2_nf_placeholder *e2_nf_desc_placeholder(const struct e2_nf_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n_placeholders; i++)
        if (d->placeholders[i].name && !strcmp(d->placeholders[i].name, name))
            return &d->placeholders[i];
    return NULL;
}

const struct e2_nf_desc *e2_nf_catalog_find(const struct e2_nf_catalog *cat, const char *nf_type)
{
    for (size_t i = 0; cat && i < cat->n; i++)
        if (!strcmp(cat->descs[i]->nf_type, nf_type)) return cat->descs[i];
    return NULL;
}

int e2_nf_catalog_add(struct e2_nf_catalog *cat, struct e2_nf_desc *d, struct e2_err *err)
{
    const struct e2_nf_desc *old = e2_nf_catalog_find(cat, d->nf_type);
    if (old)
        return e2_err_set(err, EEXIST, "%s: error: nf_type \"%s\" is already described in %s",
                          d->file, d->nf_type, old->file);
    struct e2_nf_desc **v = realloc(cat->descs, (cat->n + 1) * sizeof(*v));
    if (!v) return e2_err_set(err, ENOMEM, "out of memory");
    cat->descs = v;
    v[cat->n++] = d;
    return 0;
}

void e2_nf_catalog_free(struct e2_nf_catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++) e2_nf_desc_free(cat->descs[i]);
    free(cat->descs);
    cat->descs = NULL;
    cat->n = 0;
}

static int yaml_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && ((n > 5 && !strcmp(e->d_name + n - 5, ".yaml")) ||
                                   (n > 4 && !strcmp(e->d_name + n - 4, ".yml")));
}

int e2_nf_catalog_load_dir(const char *dir, struct e2_nf_catalog *out, struct e2_err *err)
{
    struct dirent **names;
    int n = scandir(dir, &names, yaml_name, alphasort);
    if (n < 0)
        return e2_err_set(err, errno, "%s: error: cannot read directory: %s", dir, strerror(errno));
    struct e2_nf_catalog cat = {0};
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct e2_nf_desc *d = NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (!rc && !(rc = e2_nf_desc_load(path, &d, err)) && (rc = e2_nf_catalog_add(&cat, d, err)))
            e2_nf_desc_free(d);
        free(names[i]);
    }
    free(names);
    if (rc) {
        e2_nf_catalog_free(&cat);
        return rc;
    }
    *out = cat;
    return 0;
}
