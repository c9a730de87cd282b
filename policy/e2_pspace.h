/*
 * e2_pspace — the packet space the policy checker reasons in, as BDD
 * variables: every frame byte a filter reads (8 variables each, created on
 * first use), the wire length (32), each attribute slot (a "present" bit and
 * a value code) and the traffic-class tag. A filter becomes the exact set of
 * packets it accepts (e2_pspace_filter), assuming frames long enough for the
 * bytes filters read: a load past the captured bytes is the evaluator's
 * concern, not the policy's.
 *
 * Attribute value codes: bool 0/1; an enumerated domain is the index of the
 * value; an int range is value - min; an open string domain is 0 for "any
 * other text" and 1 + i for the i-th constant the policy mentions.
 *
 * Expressions the BDD cannot capture exactly (a load or division whose
 * offset or divisor depends on more than 16 packet bits, an offset beyond
 * 9216 bytes) are refused with -ENOTSUP and a message saying so, never guessed.
 */
#ifndef E2_PSPACE_H
#define E2_PSPACE_H

#include "e2_bdd.h"
#include "e2_err.h"
#include "e2_filter.h"

struct e2_pspace;

/** Default work budget of a space, in BDD steps (about 3 s here); see e2_bdd_set_step_limit(). */
#define E2_PSPACE_STEPS 100000000ull

/** A space over @attrs (not copied; it must outlive the space). NULL on ENOMEM. */
struct e2_pspace *e2_pspace_new(const struct e2_attr_table *attrs, uint32_t max_nodes);

void e2_pspace_free(struct e2_pspace *ps);

struct e2_bdd_mgr *e2_pspace_mgr(struct e2_pspace *ps);

/**
 * The set of packets @f accepts.
 * @return 0, -ENOTSUP (not decidable exactly; @err says why), -E2BIG (the BDD
 * outgrew the node limit), with "FILE:LINE:COL: error:" prefixes left to the caller.
 */
int e2_pspace_filter(struct e2_pspace *ps, const struct e2_filter *f, e2_bdd *out,
                     struct e2_err *err);

/** Valid attribute encodings (absent attributes have code 0). Conjoin into universes. */
e2_bdd e2_pspace_domain(struct e2_pspace *ps);

/** Every attribute of NF type @nf_type is present (the NF sets them on what it emits). */
e2_bdd e2_pspace_attrs_of(struct e2_pspace *ps, const char *nf_type);

/** No attribute is present (traffic entering the rack). */
e2_bdd e2_pspace_no_attrs(struct e2_pspace *ps);

/** Slot @slot is present with a value output port @port carries (port method). */
e2_bdd e2_pspace_attr_on_port(struct e2_pspace *ps, unsigned slot, int port);

/** Create the class tag, with values 0 .. @n-1 (call once, before using it). */
void e2_pspace_class_init(struct e2_pspace *ps, unsigned n);

/** The class tag is one of @ids. */
e2_bdd e2_pspace_class_in(struct e2_pspace *ps, const unsigned *ids, size_t n);

/** A concrete packet: frame bytes, wire length, attribute values, class. */
struct e2_example {
    uint8_t frame[1600];
    uint32_t caplen, wirelen;
    int cls; /* -1 when the class tag does not matter */
    struct {
        bool present;
        uint64_t code;
        bool shown; /* the set tested this attribute */
    } attr[32];
    size_t n_attr;
};

/**
 * A packet in @set, as ordinary as possible (IPv4/TCP if the set allows it,
 * then UDP, IPv6, ICMP, ARP...). Its description will list the attributes
 * @tested depends on (e.g. the filters that decided), and the class when
 * @set or @tested depends on it. @return 0, or -ENOENT for the empty set.
 */
int e2_pspace_example(struct e2_pspace *ps, e2_bdd set, e2_bdd tested, struct e2_example *ex);

/**
 * One line describing @ex: "IPv4 10.0.0.1:1024 > 10.0.0.2:80 TCP [S], FW.safe=true".
 * Attributes the set tested are listed; the class through @class_name.
 */
void e2_pspace_describe(const struct e2_pspace *ps, const struct e2_example *ex,
                        const char *(*class_name)(void *ctx, unsigned cls), void *ctx, char *buf,
                        size_t len);

#endif
