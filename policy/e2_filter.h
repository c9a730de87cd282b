/*
 * e2_filter — E2's traffic filters: libpcap's pcap-filter language plus E2's
 * additions (address names, `tos N`, NF attributes such as `FW.safe` or
 * `IDS.verdict == 2`).
 *
 * One parse gives three consumers the same meaning:
 *   - e2_filter_eval(): a fast, allocation-free evaluator over a raw Ethernet
 *     frame and the packet's attribute values (the dataplane's classifier);
 *   - e2_filter_bdd(): an exact BDD over header bits and attribute values
 *     (the policy checker), in e2_filter_bdd.h;
 *   - e2_filter_print() / e2_filter_print_pcap(): canonical text, and the
 *     header-only residue that pcap_compile() accepts.
 * Header primitives are lowered to byte loads exactly as libpcap 1.10 lowers
 * them for DLT_EN10MB (offsets, VLAN shifts, IPv4 header length, fragment
 * checks, and BPF's rule that a load past the captured bytes rejects the
 * packet); a differential test holds us to libpcap's verdicts.
 *
 * Filters are immutable after parsing and may be evaluated from many threads.
 */
#ifndef E2_FILTER_H
#define E2_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_desc.h"
#include "e2_err.h"

struct e2_filter;

/** An address prefix from an `Address name 10.0.0.0/8;` declaration. */
struct e2_addr {
    int family;        /**< AF_INET or AF_INET6 */
    uint8_t bytes[16]; /**< network byte order */
    unsigned prefix;   /**< prefix length */
};

/**
 * The attributes filters of one policy refer to, one slot per
 * (NF type, attribute). Open string domains collect the constants filters
 * compare them with, so the checker can reason exactly ("each constant, or
 * anything else").
 */
struct e2_attr_slot {
    char *nf_type;
    const struct e2_nf_attr *attr; /**< owned by the NF catalog */
    char **strings;                /**< open string domain: constants seen */
    size_t n_strings;
};

struct e2_attr_table {
    struct e2_attr_slot *slots;
    size_t n;
};

/** Find or add the slot of @nf_type.@attr; returns its index or -ENOMEM. */
int e2_attr_table_slot(struct e2_attr_table *t, const char *nf_type, const struct e2_nf_attr *attr);

/** Index of @s among the slot's open-domain constants, adding it (or -ENOMEM). */
int e2_attr_table_intern(struct e2_attr_table *t, unsigned slot, const char *s);

void e2_attr_table_free(struct e2_attr_table *t);

/** What names in a filter mean. Any member may be NULL (the name is then unknown). */
struct e2_filter_scope {
    void *ctx;
    /** Address name -> prefix. Return 0, or -ENOENT when not declared. */
    int (*address)(void *ctx, const char *name, struct e2_addr *out);
    /**
     * NF type -> its description. Return 0 with *out set; *out may be NULL for a
     * type that exists but has no description; -ENOENT when no such type;
     * -EISDIR when @type is an instance name rather than a type.
     */
    int (*nf_type)(void *ctx, const char *type, const struct e2_nf_desc **out);
    struct e2_attr_table *attrs; /**< where attribute terms get their slots */
};

/** Where the filter text starts, for FILE:LINE:COL errors. */
struct e2_filter_src {
    const char *file;
    int line, col;
};

/**
 * Parse @text (@len bytes). Errors read "FILE:LINE:COL: error: ...".
 * An empty (or all-comment) text is the filter that takes every packet.
 * @return 0, -EINVAL (bad filter), -ENOTSUP (a libpcap primitive E2 does not
 * support, said so by name), -ENOMEM.
 */
int e2_filter_parse(const char *text, size_t len, const struct e2_filter_src *src,
                    const struct e2_filter_scope *scope, struct e2_filter **out,
                    struct e2_err *err);

void e2_filter_free(struct e2_filter *f);

/** True for the empty filter (takes every packet). */
bool e2_filter_is_empty(const struct e2_filter *f);

/** True when the filter has attribute terms. */
bool e2_filter_has_attrs(const struct e2_filter *f);

/**
 * Canonical text into @buf (always NUL-terminated when @len > 0).
 * @return the length of the full text, like snprintf.
 */
size_t e2_filter_print(const struct e2_filter *f, char *buf, size_t len);

/** An attribute value as the dataplane knows it. */
struct e2_attr_val {
    int64_t num;     /**< bool (0/1) and int attributes */
    const char *str; /**< string attributes (NUL-terminated) */
};

/** The packet's context: its attribute values. */
struct e2_filter_env {
    void *ctx;
    /** Value of attribute slot @slot: 0 and *out filled, or -ENOENT when not set. */
    int (*attr)(void *ctx, unsigned slot, struct e2_attr_val *out);
};

/**
 * Does the frame match? @frame holds @caplen captured bytes of a @wirelen-byte
 * Ethernet frame. As in BPF, a header load beyond @caplen rejects the packet.
 * @env may be NULL: every attribute is then unset (its terms are false).
 * Allocation-free; safe to call concurrently.
 */
bool e2_filter_eval(const struct e2_filter *f, const uint8_t *frame, uint32_t caplen,
                    uint32_t wirelen, const struct e2_filter_env *env);

/**
 * The header-only residue of @f for the attribute values @known gives (e.g.
 * the value an output vport carries), as text pcap_compile() accepts.
 * Attribute terms become true/false and the expression is simplified. The
 * callback of @known returns 0 with a value, -ENOENT for "not set" (terms on
 * it are false), anything else (e.g. -ENODATA) for "not known here".
 * An always-false residue prints as "1 = 0", an always-true one as "".
 * Note: pcap_compile() with optimization refuses any filter it proves to
 * match nothing ("1 = 0", "tcp and udp") with "expression rejects all
 * packets"; treat that error as a filter that takes no packet.
 * @return length of the text, or -ENOTSUP when an attribute is not known or
 * a `vlan` primitive would vanish (its offset shift matters), with @err
 * saying which; -ENOSPC when @buf is too small.
 */
int e2_filter_print_pcap(const struct e2_filter *f, const struct e2_filter_env *known, char *buf,
                         size_t len, struct e2_err *err);

#endif
