/*
 * Inside e2_ic: the plan as the interconnection reads it (ic_model.c), the
 * filters as cubes (ic_filters.c), the switch rules (ic_switch.c), e2d's
 * module graph for one server (ic_graph.c), the stages that fill it
 * (ic_server.c, ic_classify.c) and the NF process lists (ic_nfs.c).
 * Not a public interface.
 */
#ifndef E2_IC_INT_H
#define E2_IC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "e2_err.h"
#include "e2_filter.h"
#include "e2_filter_cubes.h"
#include "e2_ic.h"
#include "e2_strbuf.h"

#define IC_TAGS 4 /* tag slots a packet carries (E2_META_TAGS) */

enum ic_node_kind { IC_INST, IC_TEE, IC_PORT, IC_DROP };

struct ic_server {
    const char *name;
    char mac[18];
    unsigned switch_port, workers;
};

/* A port node: where traffic enters (in_ports) and leaves (out_port). */
struct ic_port {
    const char *name;
    unsigned *in_ports;
    size_t n_in;
    long out_port; /* -1: nothing leaves by it */
    unsigned index;
    const json_t *egress; /* rack's rewrite for what leaves: {"dst_mac", "src_mac"} or NULL */
    bool e2d;             /* the switch cannot tell its root edges apart: e2d classifies */
    size_t e2d_server;    /* ... on this server */
    unsigned e2d_spi;
};

struct ic_inst {
    const char *id;   /* "f#0", or the Tee's node name */
    const char *node; /* pGraph node */
    bool tee;
    size_t server;
    long core;
    uint64_t lo, hi;
    const struct e2_nf_desc *desc; /* NULL for a Tee */
    char name[64];                 /* in e2d: "f_0" (native), legacy NAME, Tee module name */
    char mac[18];                  /* legacy: the MAC of its "in" interface */
    unsigned worker;
};

/* One end of an edge. */
struct ic_end {
    enum ic_node_kind kind;
    size_t i; /* instance or port index */
};

struct ic_steer {
    uint32_t fields;
    bool symmetric;
};

/* A pGraph edge, with what the plan says of it. */
struct ic_pedge {
    unsigned id;
    const char *src, *dst; /* pGraph nodes */
    const char *filter;
    const json_t *src_ports; /* array of output names */
    const char *dst_input, *placeholder;
    unsigned *cls, *pcls;
    size_t n_cls, n_pcls;
    bool has_cls, root;
    struct e2_filter *f;   /* the parsed filter */
    struct e2_cubes cubes; /* the filter ∧ class, before specialising by output */
    bool cubes_done;
    long group;        /* root edges: their port node */
    long out_port;     /* root edges to a port: the switch port */
    bool to_drop;      /* root edges to Drop */
    bool e2d;          /* root edges: the switch cannot split it; e2d does */
    size_t e2d_server; /* where the switch sends it then */
};

/* An iGraph edge. */
struct ic_edge {
    unsigned id;
    size_t pe; /* index into ic.pedges */
    struct ic_end src, dst;
    const char *dist;
    bool hashed;
    struct ic_steer steer;
    uint64_t lo, hi;
    double rate;
};

struct ic_tags {
    char *name[IC_TAGS];
    size_t n;
};

struct ic {
    const json_t *plan, *rack;
    const struct e2_nf_catalog *cat;
    struct e2_err *err;
    unsigned bits;
    char switch_mac[18];
    const char *legacy_prefix;
    struct ic_server *servers;
    size_t n_servers;
    struct ic_port *ports;
    size_t n_ports;
    struct ic_inst *insts;
    size_t n_insts;
    struct ic_pedge *pedges;
    size_t n_pedges;
    struct ic_edge *edges;
    size_t n_edges;
    struct ic_tags tags;
    /* filters */
    struct e2_attr_table attrs;
    int *slot_dim; /* attribute slot -> cube metadata dimension */
    size_t n_slot_dim;
    json_t *spis; /* "<spi>": "what it carries" */
    json_t *switch_rules;
    json_t *e2d_dist; /* what the switch sends to one server for e2d to classify or split */
};

/* ---- ic_model.c ---- */
int ic_load(struct ic *ic);
void ic_free(struct ic *ic);
const char *ic_end_name(const struct ic *ic, const struct ic_end *e);
long ic_find_port(const struct ic *ic, const char *name);
/* The steering's FlowHash: 1 ovs, 0 crc32c, -ENOTSUP (err set) when neither is right. */
int ic_hash_kind(struct ic *ic, const struct ic_steer *s);

/**
 * The Open vSwitch multipath field set whose hash equals e2d's FlowHash(hash="ovs") for a
 * steering: "symmetric_l3l4+udp", "nw_src", "nw_dst", "symmetric_l3", or NULL when OVS
 * computes none for these fields (E2_FIELD_* bits, e2/ovs_hash.h).
 */
const char *ic_ovs_hash(uint32_t fields, bool symmetric);
void ic_spi(struct ic *ic, unsigned spi, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ic_fail(struct ic *ic, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- ic_filters.c ---- */
/* Parse every edge's filter, give the tags that travel their slots (rack-wide). */
int ic_tags_plan(struct ic *ic);
int ic_tag_slot(const struct ic *ic, const char *name);
/* The cubes of pGraph edge @pe (filter ∧ class restriction), computed once. */
int ic_edge_cubes(struct ic *ic, struct ic_pedge *pe, const struct e2_cubes **out);
/*
 * Specialise @in for packets leaving output @port of an NF of type @desc (NULL:
 * a port node or a Tee): port-method attributes become the port's value;
 * attributes the packets cannot carry (@no_tags: none at all, as at ingress
 * and after a legacy NF) become "not set".
 */
int ic_specialise(struct ic *ic, const struct ic_pedge *pe, const struct e2_nf_desc *desc,
                  const char *port, bool no_tags, const struct e2_cubes *in, struct e2_cubes *out);
/* The cubes of @pe for packets leaving @src (an instance's output @port, a Tee, a port). */
int ic_edge_cubes_at(struct ic *ic, struct ic_pedge *pe, const struct ic_end *src, const char *port,
                     struct e2_cubes *out);
/* Tag value that encodes attribute value @v of @a (bool 0/1, int, string index). */
int ic_attr_tag_value(struct ic *ic, const struct e2_nf_attr *a, size_t v, uint64_t *out);

/* ---- ic_switch.c ---- */
int ic_switch(struct ic *ic);

/* ---- ic_graph.c: one server's e2d module graph ---- */
struct ic_mod {
    char name[96]; /* in the configuration */
    char key[96];  /* as asked for (the name, unless that was taken or too long) */
    char type[24];
    char *args;       /* inside the parentheses, e2d config syntax */
    bool mt_safe;     /* process() may run on several workers */
    bool preserving;  /* input gate i leaves by output i (one input only, here) */
    bool task;        /* runs a task of its own (PortInc, VPort, Queue) */
    bool external;    /* declared by the agent (nic_in, nic_out) */
    long home;        /* task modules: their worker; -1: follows its producers */
    unsigned max_in;  /* input gates */
    uint64_t workers; /* computed: workers whose tasks reach it */
    unsigned next_in;
};

struct ic_link {
    size_t from, to;
    unsigned ogate, igate;
};

struct ic_graph {
    struct ic_mod *mods;
    size_t n_mods, cap_mods;
    struct ic_link *links;
    size_t n_links, cap_links;
    unsigned workers;
    bool oom;
    struct e2_strbuf head; /* statements before the modules: tags, nf, ports */
};

long ic_mod(struct ic_graph *g, const char *type, bool mt_safe, bool preserving, bool task,
            unsigned max_in, const char *name_fmt, ...) __attribute__((format(printf, 7, 8)));
void ic_mod_args(struct ic_graph *g, long m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ic_link(struct ic_graph *g, long from, unsigned ogate, long to);
/* The module named @name (of @type, unless NULL), or -1. A new module never takes a used name. */
long ic_mod_find(const struct ic_graph *g, const char *type, const char *name);
/* Fan-ins, queues where workers meet, gates; then the config text (malloc'd). */
char *ic_graph_text(struct ic_graph *g, struct e2_err *err);
void ic_graph_free(struct ic_graph *g);

/* ---- ic_classify.c ---- */
/* One labelled region of a classifier: label @label (a gate index) takes @cubes. */
struct ic_region {
    const struct e2_cubes *cubes;
    int label;
};

/*
 * Classify what leaves (@from, @ogate) into @n labelled regions (first wins
 * where they overlap); packets in none are dropped. Each label's packets
 * come out of the modules listed in @exits[label] (filled; may be several).
 * Returns 0, or -ENOTSUP/-E2BIG with the reason.
 */
struct ic_exits {
    long mod[64];
    unsigned gate[64];
    size_t n;
};
int ic_classify(struct ic *ic, struct ic_graph *g, const char *prefix, long from, unsigned ogate,
                const struct ic_region *regions, size_t n, struct ic_exits *exits);
/* The HeaderMatch rule text of a cube (no gate). */
void ic_header_rule(const struct e2_cube *c, struct e2_strbuf *b);

/* ---- ic_server.c ---- */
int ic_server_config(struct ic *ic, size_t s, char **text);

/* ---- ic_nfs.c ---- */
int ic_server_nfs(struct ic *ic, size_t s, json_t **nfs);

#endif
