#include "e2_compile.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int note(struct e2_diags *d, const char *msg)
{
    char **m = realloc(d->msgs, (d->n + 1) * sizeof(*m));
    if (!m) return -ENOMEM;
    d->msgs = m;
    d->msgs[d->n] = strdup(msg);
    if (!d->msgs[d->n]) return -ENOMEM;
    d->n++;
    return -EINVAL;
}

/* The catalog from @nf_dir, else from the policy's folder/nf when it exists, else none. */
static int load_catalog(const char *policy, const char *nf_dir, struct e2_compiled *c,
                        struct e2_diags *diags)
{
    char dir[4096];
    if (nf_dir) {
        snprintf(dir, sizeof(dir), "%s", nf_dir);
    } else {
        char copy[4096];
        struct stat st;
        snprintf(copy, sizeof(copy), "%s", policy);
        snprintf(dir, sizeof(dir), "%s/nf", dirname(copy));
        if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return 0;
    }
    struct e2_err err = {0};
    if (e2_nf_catalog_load_dir(dir, &c->cat, &err)) return note(diags, err.msg);
    c->have_cat = true;
    return 0;
}

int e2_policy_compile(const char *policy, const char *nf_dir, struct e2_compiled *out,
                      struct e2_diags *diags)
{
    memset(out, 0, sizeof(*out));
    int rc = load_catalog(policy, nf_dir, out, diags);
    if (rc) return rc;
    struct e2_err err = {0};
    struct e2_policy *pol = NULL;
    if (e2_policy_load(policy, &pol, &err) ||
        e2_pgraph_build(pol, out->have_cat ? &out->cat : NULL, &out->g, &err)) {
        e2_policy_free(pol);
        e2_compiled_free(out);
        return note(diags, err.msg);
    }
    e2_policy_free(pol);
    rc = e2_pgraph_check(out->g, diags);
    if (rc == -ENOMEM) note(diags, "error: out of memory");
    if (rc) e2_compiled_free(out);
    return rc;
}

void e2_compiled_free(struct e2_compiled *c)
{
    e2_pgraph_free(c->g);
    c->g = NULL;
    if (c->have_cat) e2_nf_catalog_free(&c->cat);
    c->have_cat = false;
}
