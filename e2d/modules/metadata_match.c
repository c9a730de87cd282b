/*
 * MetadataMatch — steer packets by the values of their metadata tags. The
 * operator's manual is metadata_match_type.manual at the end of this file
 * (also e2d --list-modules and docs/e2d-modules.md); the rule table and its
 * commands are shared with HeaderMatch (match.h).
 */
#include <errno.h>
#include <string.h>

#include "match.h"
#include "e2/meta.h"
#include "tags.h"

static const char *const slot_names[E2_META_TAGS] = {"slot 0", "slot 1", "slot 2", "slot 3"};

enum { K_TAG, K_SLOT, K_VALUE, K_LO, K_HI, K_PRESENT, K_COUNT };
static const char *const cond_keys[K_COUNT] = {"tag", "slot", "value", "lo", "hi", "present"};

/* Which of the condition keys @o has (in a rule: besides gate, name and all). */
static int cond_keys_of(const json_t *o, bool in_rule, const json_t **got, struct e2_err *err)
{
    memset(got, 0, K_COUNT * sizeof(got[0]));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        if (in_rule && (match_common_key(key) || strcmp(key, "all") == 0)) continue;
        int k = 0;
        while (k < K_COUNT && strcmp(cond_keys[k], key) != 0) k++;
        if (k == K_COUNT)
            return e2_err_set(err, EINVAL,
                              "%s: unknown key (a condition has tag or slot, then value, lo/hi "
                              "or present%s)",
                              key, in_rule ? "; a rule also gate, name, all" : "");
        got[k] = v;
    }
    return 0;
}

static int cond_slot(const json_t *tag, const json_t *slot, uint32_t *out, struct e2_err *err)
{
    if (tag && slot) return e2_err_set(err, EINVAL, "slot: give tag or slot, not both");
    if (slot) {
        int rc = match_uint(slot, E2_META_TAGS - 1, out, err);
        return rc ? e2_err_prefix(err, "slot: ") : 0;
    }
    if (!tag) return e2_err_set(err, EINVAL, "tag: missing (name the tag, or give its slot)");
    if (!json_is_string(tag)) return e2_err_set(err, EINVAL, "tag: must be a tag name");
    int s = e2_tag_slot(json_string_value(tag), err);
    if (s < 0) return e2_err_prefix(err, "tag: ");
    *out = (uint32_t)s;
    return 0;
}

static int bound(const json_t *v, const char *key, uint32_t *out, struct e2_err *err)
{
    int rc = v ? match_uint(v, UINT32_MAX, out, err) : 0;
    return rc ? e2_err_prefix(err, "%s: ", key) : 0;
}

/* value, or lo/hi (either may be left out), or present=false. */
static int cond_values(const json_t **got, struct match_cond *c, struct e2_err *err)
{
    const json_t *present = got[K_PRESENT];
    if (present && !json_is_boolean(present))
        return e2_err_set(err, EINVAL, "present: must be true or false");
    c->present = !present || json_is_true(present);
    bool bounded = got[K_VALUE] || got[K_LO] || got[K_HI];
    if (!c->present && bounded)
        return e2_err_set(err, EINVAL, "present: false takes no value, lo or hi");
    if (got[K_VALUE] && (got[K_LO] || got[K_HI]))
        return e2_err_set(err, EINVAL, "value: give value, or lo and/or hi, not both");
    c->lo = 0;
    c->hi = UINT32_MAX;
    int rc = bound(got[K_LO], "lo", &c->lo, err);
    if (!rc) rc = bound(got[K_HI], "hi", &c->hi, err);
    if (!rc && got[K_VALUE]) rc = bound(got[K_VALUE], "value", &c->lo, err);
    if (rc) return rc;
    if (got[K_VALUE]) c->hi = c->lo;
    if (c->lo > c->hi) return e2_err_set(err, ERANGE, "lo: %u is above hi (%u)", c->lo, c->hi);
    return 0;
}

static const struct match_kind tag_kind;

static int cond_parse(const json_t *o, bool in_rule, struct match_rule *r, struct e2_err *err)
{
    const json_t *got[K_COUNT];
    int rc = cond_keys_of(o, in_rule, got, err);
    if (rc) return rc;
    bool any = false;
    for (int k = 0; k < K_COUNT; k++) any = any || got[k];
    if (in_rule && !any) return 0; /* a rule without conditions */
    uint32_t slot;
    struct match_cond c;
    rc = cond_slot(got[K_TAG], got[K_SLOT], &slot, err);
    if (!rc) rc = cond_values(got, &c, err);
    if (rc) return rc;
    c.field = (uint8_t)slot;
    rc = match_cond_add(&tag_kind, r, c, err);
    return rc ? e2_err_prefix(err, "%s: ", got[K_TAG] ? "tag" : "slot") : 0;
}

/* A rule holds one condition inline, or a list of them in 'all'. */
static int tag_rule_parse(const json_t *rule, struct match_rule *r, struct e2_err *err)
{
    int rc = cond_parse(rule, true, r, err);
    const json_t *all = json_object_get(rule, "all");
    if (rc || !all) return rc;
    if (r->n) return e2_err_set(err, EINVAL, "all: give the conditions inline or in all, not both");
    if (!json_is_array(all)) return e2_err_set(err, EINVAL, "all: must be a list of conditions");
    for (size_t i = 0; i < json_array_size(all); i++) {
        const json_t *c = json_array_get(all, i);
        rc = json_is_object(c) ? cond_parse(c, false, r, err)
                               : e2_err_set(err, EINVAL, "must be an object {tag, value...}");
        if (rc) return e2_err_prefix(err, "all[%zu]%s", i, json_is_object(c) ? "." : ": ");
    }
    return 0;
}

/* The key for the compiled table: the valid bits and the four tag values. */
static void tag_key(struct rte_mbuf *pkt, uint32_t used, struct match_key *k)
{
    (void)used;
    k->present = e2_meta_valid(pkt) >> 1;
    if (k->present)
        memcpy(k->v, e2_meta(pkt)->tag, sizeof(e2_meta(pkt)->tag));
    else
        memset(k->v, 0, sizeof(e2_meta(pkt)->tag));
}

static const struct match_kind tag_kind = {
    .field_names = slot_names,
    .parse = tag_rule_parse,
    .fill = tag_key,
};

static const struct e2_arg metadata_match_spec[] = {
    MATCH_ARG_SPEC("list of rules {tag (or slot), value (or lo and/or hi, or present=false), gate, "
                   "name}; several conditions ANDed: {all=[{tag, ...}, ...], gate}"),
};

static int metadata_match_init(struct e2_module *m, const void *args, struct e2_err *err)
{
    return match_init(m, &tag_kind, args, err);
}

static void metadata_match_process(struct e2_module *m, uint16_t igate, struct e2_batch *b)
{
    (void)igate;
    const struct match_table *t = match_table(m);
    uint16_t gates[E2_BATCH_MAX];
    if (t->acl) {
        match_acl_classify(t, &tag_kind, b, gates);
    } else {
        for (uint32_t i = 0; i < b->cnt; i++)
            gates[i] =
                match_scan(t, e2_meta(b->pkts[i])->tag, (uint32_t)e2_meta_valid(b->pkts[i]) >> 1);
    }
    e2_split(m, gates, b);
}

static struct e2_module_type metadata_match_type = {
    .name = "MetadataMatch",
    .summary = "steers packets by metadata tag values (exact, range, absent), first rule wins",
    .manual =
        "Gates: up to 64 inputs; outputs as named by the rules (up to 1024).\n"
        "\n"
        "Each rule is a list of conditions on the packet's metadata tags (the NF attributes "
        "E2 carries with each packet, meta.h), all of which must hold, and a gate; rules are "
        "tried in order and the first that matches sends the packet out of its gate (-1: drop). "
        "Packets no rule matches leave by default_gate (-1: dropped).\n"
        "\n"
        "A condition names its tag by `tag` (a name given a slot with the `tag(...)` statement "
        "or the tag_define request, resolved once when the rule is set: an undefined name is "
        "an error) or by `slot` (0..3), and asks for `value=V` (exactly V), `lo=L, hi=H` (L <= "
        "tag <= H, both ends included; either may be left out: 0 and 2^32-1), nothing (the tag "
        "is present, any value) or `present=false` (the packet does not carry the tag). A rule "
        "holds one condition inline ({tag=\"FW.safe\", value=1, gate=1}) or several in `all` "
        "({all=[{tag=\"FW.safe\", value=1}, {tag=\"class\", lo=3, hi=7}], gate=2}); a rule with "
        "no condition matches every packet. Rules may have a `name` (for delete_rule).\n"
        "\n"
        "Refused, naming the rule and the key: unknown keys, values out of range, an empty "
        "range, two conditions on one tag, two rules with one name, and a rule that can never "
        "match because an earlier rule matches all it would.\n"
        "\n"
        "Rules change without pausing traffic: each command builds a new table and swaps it in "
        "RCU-style (set_rules replaces everything in one swap). A few rules are scanned in "
        "order (a few cycles per condition); from acl_min_rules rules on the table is compiled "
        "with DPDK's rte_acl (cost nearly flat in the number of rules; the build, milliseconds "
        "for a thousand rules, runs in the command, before the swap). get_rules says which.",
    .example = "tag(name=\"IDS.verdict\");\n"
               "ids_out -> mm :: MetadataMatch(rules=[{tag=\"IDS.verdict\", value=0, gate=0},\n"
               "    {tag=\"IDS.verdict\", lo=1, hi=9, gate=1}], default_gate=2);\n"
               "mm[0] -> web; mm[1] -> scrubber; mm[2] -> Sink();",
    .max_igates = 64,
    .max_ogates = E2_GATES_MAX,
    .flags = E2_MT_SAFE,
    .priv_size = sizeof(struct match_state),
    .args = metadata_match_spec,
    .args_size = sizeof(struct match_args),
    .init = metadata_match_init,
    .deinit = match_deinit,
    .process = metadata_match_process,
    .cmds = match_cmds,
};

E2_MODULE_REGISTER(metadata_match_type);
