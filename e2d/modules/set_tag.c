/*
 * SetTag — set one metadata tag on every packet. The operator's manual is set_tag_type.manual at
 * the end of this file (also e2d --list-modules and docs/e2d-modules.md).
 */
#include <errno.h>

#include "e2/meta.h"
#include "module.h"
#include "tags.h"

struct set_tag_args {
    char tag[E2_TAG_NAME_MAX];
    int64_t slot;
    uint32_t value;
};

static const struct e2_arg set_tag_spec[] = {
    E2_ARG_STR(struct set_tag_args, tag, "\"\"", "tag name (defined with tag(...)), or use slot"),
    E2_ARG_I64(struct set_tag_args, slot, "-1", -1, E2_META_TAGS - 1,
               "tag slot 0..3 (-1: by name)"),
    E2_ARG_U32(struct set_tag_args, value, "0", 0, UINT32_MAX, "the value to set"),
    E2_ARG_END,
};

struct set_tag_priv {
    unsigned slot;
    uint32_t value;
};

static int set_tag_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    const struct set_tag_args *a = args;
    struct set_tag_priv *p = m->priv;
    if (a->tag[0] && a->slot >= 0) return e2_err_set(err, EINVAL, "give 'tag' or 'slot', not both");
    if (!a->tag[0] && a->slot < 0) return e2_err_set(err, EINVAL, "'tag' or 'slot' is required");
    int slot = a->tag[0] ? e2_tag_slot(a->tag, err) : (int)a->slot;
    if (slot < 0) return e2_err_prefix(err, "tag: ");
    p->slot = (unsigned)slot;
    p->value = a->value;
    return 0;
}

static void set_tag_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    const struct set_tag_priv *p = m->priv;
    for (uint32_t i = 0; i < b->cnt; i++) e2_meta_set_tag(b->pkts[i], p->slot, p->value);
    e2_emit(m, 0, b);
}

static struct e2_module_type set_tag_type = {
    .name = "SetTag",
    .summary = "sets one metadata tag (by name or slot) on every packet",
    .manual = "Gates: up to 64 inputs; output 0.\n"
              "\n"
              "Where E2 knows a packet's attribute without an NF saying it: the traffic-class tag "
              "of a packet that entered by a root edge, after a legacy NF (which cannot carry "
              "tags), or a filter_in placeholder's tag in front of a native NF's vport. The tag "
              "name is resolved once, when the module is created: define it first.",
    .example = "tag(name=\"e2.class\", slot=0);\n    dec[3] -> SetTag(tag=\"e2.class\", value=6) "
               "-> VPort(nf=f_0, port=in);",
    .max_igates = 64,
    .max_ogates = 1,
    .flags = E2_MT_SAFE,
    .priv_size = sizeof(struct set_tag_priv),
    .args = set_tag_spec,
    .args_size = sizeof(struct set_tag_args),
    .init = set_tag_init,
    .process = set_tag_process,
};

E2_MODULE_REGISTER(set_tag_type);
