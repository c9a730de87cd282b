/*
 * e2_desc — NF descriptions and the hardware description (paper §3.2).
 *
 * Operators and NF developers write these as YAML; E2 loads them into the
 * plain structs below, validated: every error names the file, the line and
 * column, the field path ("attributes.safe.ports") and the offending value.
 * Field names follow ETSI NFV-SOL001 VNFDs where one fits (descriptor_id,
 * provider, product_name, software_version, min/max_number_of_instances,
 * instantiate); docs/descriptors.md is the reference with examples.
 *
 * The same schema is accepted as JSON (e2_nf_desc_from_json), so the NF
 * object embedded in the pGraph JSON (docs/pgraph-json.md) reads back into
 * these structs unchanged. Structs are owned by their loader: free them with
 * e2_nf_desc_free(), e2_nf_catalog_free() and e2_hw_free(). Nothing here is
 * thread-safe for writing; loaded descriptions are read-only and may be shared.
 */
#ifndef E2_DESC_H
#define E2_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "e2_err.h"

/** How the NF talks to E2D. */
enum e2_nf_api {
    E2_NF_NATIVE, /**< uses libe2nf: zero-copy vports, metadata tags */
    E2_NF_LEGACY, /**< unmodified, on a raw socket / Linux interface */
};

/** How an attribute's value travels with a packet (paper §3.2 (2)). */
enum e2_attr_method {
    E2_ATTR_PORT,     /**< one vport per value (or group of values) */
    E2_ATTR_METADATA, /**< a per-packet metadata tag (native NFs only) */
};

/** Value type of an attribute. */
enum e2_attr_type {
    E2_ATTR_BOOL,   /**< false/true, written bare in filters: FW.safe */
    E2_ATTR_INT,    /**< signed 64-bit: IDS.verdict == 2 */
    E2_ATTR_STRING, /**< text: Proxy.url == "example.com/x" */
};

/**
 * Header fields, as bits of a set. Affinity uses the 5-tuple bits only;
 * rewrites (mangling NFs) may use any.
 */
enum e2_field {
    E2_FIELD_SRC_IP = 1u << 0,
    E2_FIELD_DST_IP = 1u << 1,
    E2_FIELD_PROTO = 1u << 2,
    E2_FIELD_SRC_PORT = 1u << 3,
    E2_FIELD_DST_PORT = 1u << 4,
    E2_FIELD_SRC_MAC = 1u << 5,
    E2_FIELD_DST_MAC = 1u << 6,
    E2_FIELD_VLAN = 1u << 7,
    E2_FIELD_TOS = 1u << 8,
    E2_FIELD_TTL = 1u << 9,
    E2_FIELD_PAYLOAD = 1u << 10,
};
#define E2_FIELDS_5TUPLE                                                                           \
    (E2_FIELD_SRC_IP | E2_FIELD_DST_IP | E2_FIELD_PROTO | E2_FIELD_SRC_PORT | E2_FIELD_DST_PORT)
#define E2_FIELDS_ALL ((E2_FIELD_PAYLOAD << 1) - 1)

/** Switch actions a hardware switch supports (and an NF may be offloaded to). */
enum e2_switch_action {
    E2_SW_FORWARD = 1u << 0,     /**< output to a port */
    E2_SW_DROP = 1u << 1,        /**< discard */
    E2_SW_HASH_SELECT = 1u << 2, /**< split by a hash of header fields (flow-ID ranges) */
    E2_SW_SET_FIELD = 1u << 3,   /**< rewrite header fields */
    E2_SW_PUSH_VLAN = 1u << 4,
    E2_SW_POP_VLAN = 1u << 5,
    E2_SW_PUSH_NSH = 1u << 6,
    E2_SW_POP_NSH = 1u << 7,
    E2_SW_METER = 1u << 8, /**< rate limiting */
    E2_SW_MIRROR = 1u << 9,
};

/** One value of an attribute. */
struct e2_attr_value {
    char *text;  /**< as written: "true", "2", "http" */
    int64_t num; /**< bool 0/1, int value; strings: index in the values array */
    int port;    /**< E2_ATTR_PORT: index into e2_nf_desc.outputs; else -1 */
};

/**
 * A derived attribute the NF sets on the packets it emits, e.g. FW.safe.
 * Domain: bool is {false,true}; int is the listed values, or the inclusive
 * range [min,max]; string is the listed values, or open (any text) when none
 * are listed. Port-method attributes always list their values, each mapped to
 * an output port.
 */
struct e2_nf_attr {
    char *name;
    enum e2_attr_type type;
    enum e2_attr_method method;
    struct e2_attr_value *values; /**< enumerated domain; NULL when open/range */
    size_t n_values;
    bool has_range;   /**< int only: the domain is [min,max] */
    int64_t min, max; /**< valid when has_range */
};

/**
 * A filter_in placeholder (paper Fig. 16: `[prio0] r`): a name the policy
 * uses on edges into this NF, resolved here to an input vport or a metadata
 * tag that E2D sets before the packet enters the NF.
 */
struct e2_nf_placeholder {
    char *name;
    enum e2_attr_method method;
    int port;      /**< E2_ATTR_PORT: index into inputs (METADATA: the input, 0) */
    char *tag;     /**< E2_ATTR_METADATA: tag name */
    int64_t value; /**< E2_ATTR_METADATA: tag value */
};

/** How the agent starts an instance (SOL001: Vnflcm instantiate). */
struct e2_nf_instantiate {
    char *command; /**< executable path or name; NULL when not given */
    char **args;   /**< NULL-terminated */
    size_t n_args;
    char **env; /**< NULL-terminated "NAME=value" strings */
    size_t n_env;
};

/** An NF description (one YAML file per NF type). */
struct e2_nf_desc {
    char *file;    /**< where it was loaded from */
    char *nf_type; /**< the type name policies use: `FW f;` */
    /* SOL001 identification, optional (NULL when absent). */
    char *descriptor_id, *provider, *product_name, *software_version;

    enum e2_nf_api api;
    char **inputs; /**< input port names, >= 1 ("in" when not given) */
    size_t n_inputs;
    char **outputs; /**< output port names, >= 1 ("out" when not given) */
    size_t n_outputs;

    struct e2_nf_attr *attrs;
    size_t n_attrs;
    struct e2_nf_placeholder *placeholders;
    size_t n_placeholders;

    /* Scaling constraints (paper §3.2 (3)); SOL001 vdu_profile names. */
    bool across_cores;                     /**< may run as several instances on one server */
    bool across_servers;                   /**< may run as instances on several servers */
    unsigned min_instances, max_instances; /**< 1 <= min <= max */

    /* Affinity (paper §3.2 (4)): instances split traffic by these fields. */
    uint32_t affinity;       /**< E2_FIELD_* bits within E2_FIELDS_5TUPLE; 0 = none */
    bool affinity_symmetric; /**< both directions of a flow hash alike */

    uint64_t throughput_bps_per_core_ghz; /**< per core, per GHz; 0 = unknown */
    uint32_t rewrites;                    /**< E2_FIELD_* bits it rewrites (mangling) */
    uint64_t flow_idle_timeout_ms;        /**< 0 = none/unknown */
    uint32_t offload_actions;             /**< E2_SW_* that implement it in a switch; 0 = none */
    struct e2_nf_instantiate instantiate;
};

/** A set of NF descriptions, indexed by nf_type. */
struct e2_nf_catalog {
    struct e2_nf_desc **descs;
    size_t n;
};

/** A server of the rack. */
struct e2_server {
    char *name;
    unsigned cores;           /**< physical cores available to E2 */
    double ghz;               /**< clock, GHz */
    uint64_t nic_bps;         /**< NIC bandwidth, bits/s (each direction) */
    unsigned dataplane_cores; /**< cores reserved for E2D, < cores */
    unsigned switch_port;     /**< switch port the NIC is cabled to */
};

/** The rack switch. Ports are numbered 0 .. n_ports-1. */
struct e2_switch {
    char *name;
    unsigned n_ports;
    unsigned *external_ports; /**< ports to the outside world, ascending */
    size_t n_external;
    unsigned flow_table_size;        /**< flow-table entries */
    uint64_t rule_update_latency_us; /**< time to install one rule */
    uint32_t actions;                /**< E2_SW_* bits */
};

/** The hardware description (paper §3.2). */
struct e2_hw {
    char *file;
    struct e2_server *servers;
    size_t n_servers;
    struct e2_switch sw;
};

/**
 * Load and validate one NF description from a YAML file.
 *
 * @param path  file to read
 * @param out   on success, a new description (free with e2_nf_desc_free)
 * @param err   on failure: "FILE:LINE:COL: error: FIELD.PATH: problem \"value\""
 * @return 0, -ENOENT/-EIO when the file cannot be read, -EINVAL when invalid.
 */
int e2_nf_desc_load(const char *path, struct e2_nf_desc **out, struct e2_err *err);

/** Same as e2_nf_desc_load() for YAML text in memory; @origin names it in errors. */
int e2_nf_desc_parse(const char *text, size_t len, const char *origin, struct e2_nf_desc **out,
                     struct e2_err *err);

/** Same schema from a JSON object (e.g. a pGraph node's "nf"); errors have no line. */
int e2_nf_desc_from_json(const json_t *obj, const char *origin, struct e2_nf_desc **out,
                         struct e2_err *err);

/** The description as a JSON object in the YAML schema (new reference, NULL on ENOMEM). */
json_t *e2_nf_desc_to_json(const struct e2_nf_desc *d);

void e2_nf_desc_free(struct e2_nf_desc *d);

/** Find an attribute by name; NULL when absent. */
const struct e2_nf_attr *e2_nf_desc_attr(const struct e2_nf_desc *d, const char *name);

/** Find a placeholder by name; NULL when absent. */
const struct e2_nf_placeholder *e2_nf_desc_placeholder(const struct e2_nf_desc *d,
                                                       const char *name);

/**
 * Load every *.yaml / *.yml file of a directory (sorted by name) into a
 * catalog. Two files declaring the same nf_type is an error naming both.
 * @return 0 or a negative errno with @err filled.
 */
int e2_nf_catalog_load_dir(const char *dir, struct e2_nf_catalog *out, struct e2_err *err);

/** Take ownership of @d; fails with -EEXIST if its nf_type is already present. */
int e2_nf_catalog_add(struct e2_nf_catalog *cat, struct e2_nf_desc *d, struct e2_err *err);

/** The description of @nf_type, or NULL. */
const struct e2_nf_desc *e2_nf_catalog_find(const struct e2_nf_catalog *cat, const char *nf_type);

void e2_nf_catalog_free(struct e2_nf_catalog *cat);

/** Load and validate a hardware description (YAML). Errors as e2_nf_desc_load(). */
int e2_hw_load(const char *path, struct e2_hw **out, struct e2_err *err);

/** Same as e2_hw_load() for YAML text in memory. */
int e2_hw_parse(const char *text, size_t len, const char *origin, struct e2_hw **out,
                struct e2_err *err);

/** The hardware description as JSON in the YAML schema (new reference). */
json_t *e2_hw_to_json(const struct e2_hw *hw);

void e2_hw_free(struct e2_hw *hw);

/** True when switch port @port is listed as external. */
bool e2_hw_port_is_external(const struct e2_hw *hw, unsigned port);

/** Name of one E2_FIELD_* bit ("src_ip"), or NULL. */
const char *e2_field_name(uint32_t field_bit);

/** Name of one E2_SW_* bit ("hash_select"), or NULL. */
const char *e2_switch_action_name(uint32_t action_bit);

#endif
