/*
 * fw_acl — the firewall's rules compiled with DPDK's rte_acl (a multi-bit
 * trie over the key, cost nearly flat in the number of rules). Needs the
 * EAL (the NF is attached, or a test started it).
 *
 * rte_acl's view of a packet: the protocol (its first field must be one
 * byte), a 32-bit bitmask "meta" (bit per conntrack state, and bit 4: the
 * packet has ports), the addresses as prefixes, the ports as ranges. A rule
 * with a set of states becomes one rte_acl rule per state; all share the
 * priority MAX - index (first match wins) and userdata index + 1.
 */
#include "fw_acl.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>

#define META_PORTS (1u << 4)
#define BURST      64

struct acl_key {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t meta, src, dst; /* network order */
    uint16_t sport, dport;
};

enum { F_PROTO, F_META, F_SRC, F_DST, F_SPORT, F_DPORT, F_COUNT };

RTE_ACL_RULE_DEF(acl_rule, F_COUNT);

struct fw_acl {
    struct fw_classifier c;
    struct rte_acl_ctx *ctx;
};

static const struct rte_acl_field_def acl_fields[F_COUNT] = {
    {.type = RTE_ACL_FIELD_TYPE_BITMASK,
     .size = 1,
     .field_index = F_PROTO,
     .input_index = 0,
     .offset = offsetof(struct acl_key, proto)},
    {.type = RTE_ACL_FIELD_TYPE_BITMASK,
     .size = 4,
     .field_index = F_META,
     .input_index = 1,
     .offset = offsetof(struct acl_key, meta)},
    {.type = RTE_ACL_FIELD_TYPE_MASK,
     .size = 4,
     .field_index = F_SRC,
     .input_index = 2,
     .offset = offsetof(struct acl_key, src)},
    {.type = RTE_ACL_FIELD_TYPE_MASK,
     .size = 4,
     .field_index = F_DST,
     .input_index = 3,
     .offset = offsetof(struct acl_key, dst)},
    {.type = RTE_ACL_FIELD_TYPE_RANGE,
     .size = 2,
     .field_index = F_SPORT,
     .input_index = 4,
     .offset = offsetof(struct acl_key, sport)},
    {.type = RTE_ACL_FIELD_TYPE_RANGE,
     .size = 2,
     .field_index = F_DPORT,
     .input_index = 4,
     .offset = offsetof(struct acl_key, dport)},
};

/* Rule @i restricted to the state bits @meta_bits (0: any state). */
static void acl_rule_of(const struct fw_rule *r, uint32_t i, uint32_t meta_bits, struct acl_rule *a)
{
    memset(a, 0, sizeof(*a));
    a->data = (struct rte_acl_rule_data){
        .category_mask = 1, .priority = RTE_ACL_MAX_PRIORITY - (int32_t)i, .userdata = i + 1};
    uint32_t meta = meta_bits | (r->has_ports ? META_PORTS : 0);
    a->field[F_PROTO].value.u8 = r->proto;
    a->field[F_PROTO].mask_range.u8 = r->proto ? 0xff : 0;
    a->field[F_META].value.u32 = meta;
    a->field[F_META].mask_range.u32 = meta;
    a->field[F_SRC].value.u32 = r->src_ip;
    a->field[F_SRC].mask_range.u32 = (uint32_t)__builtin_popcount(r->src_mask);
    a->field[F_DST].value.u32 = r->dst_ip;
    a->field[F_DST].mask_range.u32 = (uint32_t)__builtin_popcount(r->dst_mask);
    a->field[F_SPORT].value.u16 = r->sport_lo;
    a->field[F_SPORT].mask_range.u16 = r->sport_hi;
    a->field[F_DPORT].value.u16 = r->dport_lo;
    a->field[F_DPORT].mask_range.u16 = r->dport_hi;
}

/* The rte_acl rules of @rs (one per state of each rule); their number. */
static uint32_t acl_rules_of(const struct fw_ruleset *rs, struct acl_rule *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < rs->n; i++) {
        uint8_t st = rs->rules[i].states;
        if (st == FW_CT_ALL) {
            acl_rule_of(&rs->rules[i], i, 0, &out[n++]);
            continue;
        }
        for (unsigned s = 0; s < FW_CT_COUNT; s++)
            if (st >> s & 1) acl_rule_of(&rs->rules[i], i, 1u << s, &out[n++]);
    }
    return n;
}

static void acl_classify(const struct fw_classifier *c, const struct fw_key *keys, unsigned n,
                         int32_t *out)
{
    const struct fw_acl *a = (const struct fw_acl *)c;
    struct acl_key k[BURST];
    const uint8_t *data[BURST];
    uint32_t res[BURST];
    for (unsigned done = 0; done < n; done += BURST) {
        unsigned m = n - done < BURST ? n - done : BURST;
        for (unsigned i = 0; i < m; i++) {
            const struct fw_key *in = &keys[done + i];
            k[i] = (struct acl_key){
                .proto = in->proto,
                .meta = rte_cpu_to_be_32((1u << in->state) | (in->ports ? META_PORTS : 0)),
                .src = rte_cpu_to_be_32(in->src_ip),
                .dst = rte_cpu_to_be_32(in->dst_ip),
                .sport = rte_cpu_to_be_16(in->src_port),
                .dport = rte_cpu_to_be_16(in->dst_port)};
            data[i] = (const uint8_t *)&k[i];
        }
        rte_acl_classify(a->ctx, data, res, m, 1);
        for (unsigned i = 0; i < m; i++) out[done + i] = (int32_t)res[i] - 1;
    }
}

static void acl_destroy(struct fw_classifier *c)
{
    struct fw_acl *a = (struct fw_acl *)c;
    rte_acl_free(a->ctx);
    free(a);
}

int fw_acl_build(const struct fw_ruleset *rs, struct fw_classifier **out, struct e2_err *err)
{
    static unsigned serial; /* rte_acl contexts are named, across every process of e2d */
    if (!rs->n) return fw_scan_build(rs, out, err);
    struct acl_rule *rules = calloc((size_t)rs->n * FW_CT_COUNT, sizeof(*rules));
    struct fw_acl *a = calloc(1, sizeof(*a));
    if (!rules || !a) {
        free(rules);
        free(a);
        return e2_err_set(err, ENOMEM, "out of memory");
    }
    uint32_t n = acl_rules_of(rs, rules);
    char name[RTE_ACL_NAMESIZE];
    snprintf(name, sizeof(name), "fw%d_%u", (int)getpid(), serial++);
    struct rte_acl_param p = {.name = name,
                              .socket_id = SOCKET_ID_ANY,
                              .rule_size = RTE_ACL_RULE_SZ(F_COUNT),
                              .max_rule_num = n};
    a->c = (struct fw_classifier){.name = "acl", .classify = acl_classify, .destroy = acl_destroy};
    a->ctx = rte_acl_create(&p);
    int rc = a->ctx ? rte_acl_add_rules(a->ctx, (const struct rte_acl_rule *)rules, n) : -ENOMEM;
    struct rte_acl_config cfg = {.num_categories = 1, .num_fields = F_COUNT};
    memcpy(cfg.defs, acl_fields, sizeof(acl_fields));
    if (!rc) rc = rte_acl_build(a->ctx, &cfg);
    free(rules);
    if (rc) {
        rte_acl_free(a->ctx);
        free(a);
        return e2_err_set(err, rc, "cannot compile %u rules with rte_acl (%s)", rs->n,
                          rte_strerror(rc < 0 ? -rc : rc));
    }
    *out = &a->c;
    return 0;
}
