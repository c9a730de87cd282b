/*
 * Inside libe2switch: what the rule code and the drivers share.
 *
 * A driver implements struct e2_sw_ops over parsed rules; sw.c turns the
 * JSON of the public calls into those and back. Both drivers keep rules as
 * struct e2_sw_entry: the rule and its packet and byte counters.
 */
#ifndef E2_SW_INT_H
#define E2_SW_INT_H

#include "e2/switch.h"

struct e2_sw_entry {
    struct e2_sw_rule rule;
    uint64_t packets, bytes;
    size_t entries; /* masked entries it takes (e2_sw_rule_entries) */
};

struct e2_sw_ops {
    const char *name;
    /* Delete by cookie, then add; all or nothing. Sets *us to the time it took. */
    int (*apply)(struct e2_sw *sw, const struct e2_sw_rule *add, size_t n_add, const uint32_t *del,
                 size_t n_del, double *us, struct e2_err *err);
    /* The installed rules with counters, malloc'd. */
    int (*dump)(struct e2_sw *sw, struct e2_sw_entry **out, size_t *n, struct e2_err *err);
    /* Entries that fit in all (0: no known bound). */
    size_t (*capacity)(struct e2_sw *sw);
    void (*close)(struct e2_sw *sw);
};

/* Every driver's handle starts with this. */
struct e2_sw {
    const struct e2_sw_ops *ops;
    struct e2_sw_stats stats;
};

/* Drivers: "model:" and "ovs:" URIs without the scheme. */
struct e2_sw *e2_sw_model_open(const char *params, struct e2_err *err);
struct e2_sw *e2_sw_ovs_open(const char *target, struct e2_err *err);

/* Field widths of the ranged match fields (bits), and the spans they cover. */
unsigned e2_sw_field_bits(enum e2_sw_field f);
/* The span of a ranged field (src_ip, dst_ip, src_port, dst_port, flow_range), else NULL. */
struct e2_sw_span *e2_sw_match_span(const struct e2_sw_match *m, enum e2_sw_field f);

/* Whether @r has the same table, priority and match as @s (an OpenFlow add replaces it). */
bool e2_sw_rule_same_slot(const struct e2_sw_rule *r, const struct e2_sw_rule *s);

/* Check a rule built by a driver (read back from a switch) as the parser would. */
int e2_sw_rule_check(struct e2_sw_rule *r, const char *path, struct e2_err *err);

/* "02:e2:00:00:00:10" and "10.0.0.1" (host order) into buffers of 18 and 16 bytes. */
void e2_sw_mac_text(const uint8_t mac[6], char *buf);
void e2_sw_ip_text(uint64_t ip, char *buf);

/* The canonical JSON of a ranged field's span ("10.0.0.0/8", 80, "1000-2000", [lo, hi]). */
json_t *e2_sw_span_to_json(enum e2_sw_field f, struct e2_sw_span s);

#endif
