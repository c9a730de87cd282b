/*
 * Match tables — the half that HeaderMatch and MetadataMatch share: ordered
 * rules (first match wins), each a list of conditions ANDed and an output
 * gate; a default gate for packets no rule matches; the table's lifetime
 * (built off to the side, swapped in RCU-style, so changing rules never
 * pauses traffic); the commands (set_rules, add_rule, delete_rule,
 * get_rules); rule JSON parsing and checking.
 *
 * A module type ("kind") brings its fields and two functions: how to parse
 * the condition keys of one rule object, and how to fill a packet's key. A
 * field is a 32-bit value a packet may or may not carry (a tag slot, a port
 * number, one word of an IPv6 address); a condition asks for the field to be
 * present with a value in [lo, hi] (inclusive at both ends), or absent.
 *
 * Two engines, chosen per table by rule count: a scan of the rules in order
 * (a few cycles per rule passed; right for a handful of rules), or, from
 * acl_min_rules rules on, DPDK's rte_acl compiled from the same rules (a
 * multi-bit trie over the key: cost nearly flat in the number of rules, and
 * milliseconds to build, which happens on the control thread before the swap).
 */
#ifndef E2_MATCH_H
#define E2_MATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "e2_args.h"
#include "module.h"
#include "rcu.h"

#define MATCH_FIELDS_MAX 20   /**< fields of a kind (bits of the presence mask) */
#define MATCH_RULES_MAX  4096 /**< rules in one table */

/** Field @field is present with a value in [lo, hi]; or, when !present, absent. */
struct match_cond {
    uint32_t lo, hi;
    uint8_t field;
    bool present;
};

struct match_rule {
    json_t *spec;  /**< the rule as given (a copy): what get_rules answers */
    uint16_t gate; /**< E2_GATE_DROP for -1 */
    uint8_t n;
    uint32_t fields;                       /**< bit f: a condition on field f */
    struct match_cond c[MATCH_FIELDS_MAX]; /**< in field order */
};

/** A condition as the scan tests it. */
struct match_test {
    uint32_t lo, span; /**< value - lo <= span */
    uint8_t field;
    uint8_t want; /**< 1: present and in range; 0: absent */
};

/** A rule as the scan sees it: its first condition inline, any others in rest[]. */
struct match_step {
    struct match_test first;
    uint16_t gate;
    uint16_t more; /**< conditions after the first: rest[rest .. rest + more) */
    uint32_t rest;
};

struct match_table {
    uint32_t n_rules, n_steps;
    uint16_t default_gate;   /**< as configured (E2_GATE_DROP: drop) */
    uint16_t miss_gate;      /**< where the scan ends: a rule without conditions, else default */
    uint32_t used;           /**< bit f: some rule looks at field f */
    struct rte_acl_ctx *acl; /**< the compiled table, or NULL: scan the steps */
    struct match_rule *rules;
    struct match_test *rest;
    struct match_step steps[];
};

/**
 * A packet's key: field values and which fields it has. The layout is what
 * rte_acl reads (match_acl_classify turns it to network order): its first
 * field must be one byte, the others groups of four.
 */
struct match_key {
    uint8_t zero; /**< always 0: the one-byte field rte_acl starts with */
    uint8_t pad[3];
    uint32_t present; /**< bit f: the packet has field f */
    uint32_t v[MATCH_FIELDS_MAX];
};

struct match_kind {
    const char *const *field_names; /**< per field, for messages */
    /**
     * Parse the conditions of @rule (every key but "gate" and "name") into
     * @r with match_cond_add(). Errors start with the key: "dst_port: ...".
     */
    int (*parse)(const json_t *rule, struct match_rule *r, struct e2_err *err);
    /** Fill @k with (at least) the fields in @used of @pkt. */
    void (*fill)(struct rte_mbuf *pkt, uint32_t used, struct match_key *k);
};

/** A module's state: HeaderMatch and MetadataMatch privs are exactly this. */
struct match_state {
    struct match_table *table; /**< RCU: workers read it with e2_rcu_load */
    const struct match_kind *kind;
    uint32_t acl_min_rules;
};

struct match_args {
    json_t *rules;
    int64_t default_gate;
    uint32_t acl_min_rules;
};

/** Rules at which a table is compiled with rte_acl (bench/match measures the crossover). */
#define MATCH_ACL_MIN_RULES "64"

/** The argument table of a match module; @rules_help describes its rules. */
#define MATCH_ARG_SPEC(rules_help)                                                                 \
    E2_ARG_JSON(struct match_args, rules, "[]", rules_help),                                       \
        E2_ARG_I64(struct match_args, default_gate, "-1", -1, E2_GATES_MAX - 1,                    \
                   "gate for packets no rule matches, -1 to drop"),                                \
        E2_ARG_U32(struct match_args, acl_min_rules, MATCH_ACL_MIN_RULES, 0, MATCH_RULES_MAX,      \
                   "from this many rules on, compile the table with rte_acl instead of "           \
                   "scanning it (0: always scan)"),                                                \
        E2_ARG_END

/** set_rules, add_rule, delete_rule, get_rules. */
extern const struct e2_cmd match_cmds[];

int match_init(struct e2_module *m, const struct match_kind *kind, const struct match_args *a,
               struct e2_err *err);
void match_deinit(struct e2_module *m);

/* ---- for the kinds' parsers ---- */

/** True for the keys every rule has ("gate", "name"), which kinds skip. */
bool match_common_key(const char *key);

/** Add a condition to @r; refuses a second condition on one field. */
int match_cond_add(const struct match_kind *kind, struct match_rule *r, struct match_cond c,
                   struct e2_err *err);

/** A JSON integer in 0..@max. */
int match_uint(const json_t *v, uint32_t max, uint32_t *out, struct e2_err *err);

/** A symbolic value: "tcp" -> 6. NULL-terminated arrays of these. */
struct match_name {
    const char *name;
    uint32_t value;
};

/**
 * An integer, a name from @names (may be NULL), or a string "N" or "LO-HI"
 * (decimal or 0x hex), each in 0..@max: the inclusive range [*lo, *hi].
 */
int match_range(const json_t *v, uint32_t max, const struct match_name *names, uint32_t *lo,
                uint32_t *hi, struct e2_err *err);

/* ---- the packet path ---- */

static inline const struct match_table *match_table(const struct e2_module *m)
{
    const struct match_state *s = m->priv;
    return e2_rcu_load(&s->table);
}

static inline bool match_test(const struct match_test *c, const uint32_t *v, uint32_t present)
{
    uint32_t has = present >> c->field & 1;
    return has == c->want && (!has || v[c->field] - c->lo <= c->span);
}

/**
 * The scan: the gate of the first rule whose conditions all hold. Rules are
 * an array walked in order (no pointer chasing: the CPU runs ahead), and most
 * fail on their first condition, which sits in the rule itself.
 */
static inline uint16_t match_scan(const struct match_table *t, const uint32_t *v, uint32_t present)
{
    for (const struct match_step *s = t->steps, *end = t->steps + t->n_steps; s < end; s++) {
        if (!match_test(&s->first, v, present)) continue;
        const struct match_test *c = t->rest + s->rest, *e = c + s->more;
        while (c < e && match_test(c, v, present)) c++;
        if (c == e) return s->gate;
    }
    return t->miss_gate;
}

/** Compile @t (its rules, fields and order) into t->acl. Control thread. */
int match_acl_build(struct match_table *t, struct e2_err *err);

/** The compiled table: each packet's gate into @gates. */
void match_acl_classify(const struct match_table *t, const struct match_kind *kind,
                        const struct e2_batch *b, uint16_t *gates);

#endif
