/*
 * The compiled form of a match table: DPDK's rte_acl (a multi-bit trie over
 * the key, classified a batch at a time). See match.h.
 *
 * rte_acl sees a key as: the zero byte (its first field must be one byte),
 * the presence mask (a bitmask field: the fields a rule has conditions on
 * must be present, or absent for present=false), then each field some rule
 * uses (a range; rules without a condition on it take the whole range). The
 * rule at index i has priority MAX - i (first match wins) and userdata i + 1.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_errno.h>

#include "match.h"

/* rte_acl's view of a key: the zero byte, the presence mask, then each field in @used. */
static unsigned acl_fields(uint32_t used, struct rte_acl_config *cfg, uint8_t *col)
{
    cfg->defs[0] = (struct rte_acl_field_def){
        .type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .offset = offsetof(struct match_key, zero)};
    cfg->defs[1] = (struct rte_acl_field_def){.type = RTE_ACL_FIELD_TYPE_BITMASK,
                                              .size = 4,
                                              .field_index = 1,
                                              .input_index = 1,
                                              .offset = offsetof(struct match_key, present)};
    unsigned n = 2;
    for (unsigned f = 0; f < MATCH_FIELDS_MAX; f++) {
        if (!(used >> f & 1)) continue;
        col[f] = (uint8_t)n;
        cfg->defs[n] = (struct rte_acl_field_def){
            .type = RTE_ACL_FIELD_TYPE_RANGE,
            .size = 4,
            .field_index = (uint8_t)n,
            .input_index = (uint8_t)n,
            .offset = (uint32_t)(offsetof(struct match_key, v) + f * sizeof(uint32_t))};
        n++;
    }
    return n;
}

/* Rule @i as rte_acl sees it: earlier rules have higher priority; userdata is i + 1. */
static void acl_rule(const struct match_rule *r, uint32_t i, unsigned nf, const uint8_t *col,
                     struct rte_acl_rule *ar)
{
    ar->data = (struct rte_acl_rule_data){
        .category_mask = 1, .priority = RTE_ACL_MAX_PRIORITY - (int32_t)i, .userdata = i + 1};
    memset(ar->field, 0, nf * sizeof(ar->field[0]));
    for (unsigned f = 2; f < nf; f++) ar->field[f].mask_range.u32 = UINT32_MAX;
    ar->field[1].mask_range.u32 = r->fields;
    for (unsigned c = 0; c < r->n; c++) {
        if (!r->c[c].present) continue;
        ar->field[1].value.u32 |= 1u << r->c[c].field;
        ar->field[col[r->c[c].field]].value.u32 = r->c[c].lo;
        ar->field[col[r->c[c].field]].mask_range.u32 = r->c[c].hi;
    }
}

int match_acl_build(struct match_table *t, struct e2_err *err)
{
    static unsigned serial; /* rte_acl contexts need unique names */
    char name[RTE_ACL_NAMESIZE];
    snprintf(name, sizeof(name), "e2match%u", serial++);
    struct rte_acl_config cfg = {.num_categories = 1};
    uint8_t col[MATCH_FIELDS_MAX];
    unsigned nf = acl_fields(t->used, &cfg, col);
    cfg.num_fields = nf;
    size_t sz = RTE_ACL_RULE_SZ(nf);
    struct rte_acl_param p = {.name = name,
                              .socket_id = SOCKET_ID_ANY,
                              .rule_size = (uint32_t)sz,
                              .max_rule_num = t->n_rules};
    t->acl = rte_acl_create(&p);
    uint8_t *buf = calloc(t->n_rules, sz);
    if (!t->acl || !buf) {
        free(buf);
        return e2_err_set(err, ENOMEM, "rules: cannot create the rte_acl table (%s)",
                          rte_strerror(rte_errno));
    }
    for (uint32_t i = 0; i < t->n_rules; i++)
        acl_rule(&t->rules[i], i, nf, col, (struct rte_acl_rule *)(buf + i * sz));
    int rc = rte_acl_add_rules(t->acl, (const struct rte_acl_rule *)buf, t->n_rules);
    if (!rc) rc = rte_acl_build(t->acl, &cfg);
    free(buf);
    if (rc) return e2_err_set(err, rc, "rules: cannot build the rte_acl table (%s)", strerror(-rc));
    return 0;
}

static void key_to_network_order(struct match_key *k, uint32_t used)
{
    k->zero = 0;
    k->present = rte_cpu_to_be_32(k->present);
    for (; used; used &= used - 1) {
        unsigned f = (unsigned)__builtin_ctz(used);
        k->v[f] = rte_cpu_to_be_32(k->v[f]);
    }
}

void match_acl_classify(const struct match_table *t, const struct match_kind *kind,
                        const struct e2_batch *b, uint16_t *gates)
{
    struct match_key keys[E2_BATCH_MAX];
    const uint8_t *data[E2_BATCH_MAX];
    uint32_t res[E2_BATCH_MAX];
    for (uint32_t i = 0; i < b->cnt; i++) {
        kind->fill(b->pkts[i], t->used, &keys[i]);
        key_to_network_order(&keys[i], t->used);
        data[i] = (const uint8_t *)&keys[i];
    }
    rte_acl_classify(t->acl, data, res, b->cnt, 1);
    for (uint32_t i = 0; i < b->cnt; i++)
        gates[i] = res[i] ? t->rules[res[i] - 1].gate : t->default_gate;
}
