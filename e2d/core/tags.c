#include "tags.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "e2/meta.h"

static char names[E2_META_TAGS][E2_TAG_NAME_MAX];

static int find(const char *name)
{
    for (int s = 0; s < E2_META_TAGS; s++)
        if (names[s][0] && strcmp(names[s], name) == 0) return s;
    return -1;
}

int e2_tag_define(const char *name, int slot, struct e2_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len >= E2_TAG_NAME_MAX)
        return e2_err_set(err, EINVAL, "tag name must be 1..%d characters", E2_TAG_NAME_MAX - 1);
    if (slot < -1 || slot >= E2_META_TAGS)
        return e2_err_set(err, ERANGE, "tag slot %d is out of range 0..%d", slot, E2_META_TAGS - 1);
    int have = find(name);
    if (have >= 0) {
        if (slot == -1 || slot == have) return have;
        return e2_err_set(err, EEXIST, "tag '%s' already has slot %d", name, have);
    }
    if (slot == -1)
        for (int s = 0; s < E2_META_TAGS && slot == -1; s++)
            if (!names[s][0]) slot = s;
    if (slot == -1) {
        char taken[E2_META_TAGS * (E2_TAG_NAME_MAX + 2)] = "";
        for (int s = 0; s < E2_META_TAGS; s++) strcat(strcat(taken, s ? ", " : ""), names[s]);
        return e2_err_set(err, ENOSPC, "no free tag slot for '%s': all %d are taken (%s)", name,
                          E2_META_TAGS, taken);
    }
    if (names[slot][0])
        return e2_err_set(err, EEXIST, "tag slot %d is taken by '%s'", slot, names[slot]);
    memcpy(names[slot], name, len + 1);
    return slot;
}

int e2_tag_undefine(const char *name, struct e2_err *err)
{
    int s = find(name);
    if (s < 0) return e2_err_set(err, ENOENT, "no tag named '%s'", name);
    names[s][0] = '\0';
    return 0;
}

int e2_tag_slot(const char *name, struct e2_err *err)
{
    int s = find(name);
    if (s < 0)
        e2_err_set(err, ENOENT, "no tag named '%s' (define it with the tag_define request)", name);
    return s;
}

json_t *e2_tags_describe(void)
{
    json_t *arr = json_array();
    for (int s = 0; s < E2_META_TAGS; s++)
        if (names[s][0])
            json_array_append_new(arr, json_pack("{s:s, s:i}", "name", names[s], "slot", s));
    return arr;
}

void e2_tags_clear(void)
{
    memset(names, 0, sizeof(names));
}
