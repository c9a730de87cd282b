/*
 * Test helper: packets walked through a deployment, and through the policy.
 *
 * The walk follows a frame through what the deployment says, read back the
 * way the real parts would read it: the switch rules as contract B defines
 * them (table 0, then goto; highest priority wins; flow ranges on the
 * flow-hash register) and each server's e2d configuration compiled by e2d's
 * own config compiler (e2_conf_compile) into requests, whose modules are then
 * run by a model of their documented behaviour (HeaderMatch, MetadataMatch,
 * FlowHash, SetTag, NSHDecap/NSHEncap, VPort, Tee, Rewrite, Queue, Merge,
 * PortOut, Drop). NFs are modelled: each emits on an output port chosen by its
 * attributes, sets its metadata tags, and a mangling NF rewrites what its
 * description says it rewrites.
 *
 * The oracle follows the same frame through the pGraph itself: filters by
 * e2_filter_eval (libpcap's semantics, not the cubes), classes, the NF's
 * choices (the same ones), and instances by the plan's flow ranges of each
 * NF's steering hash. Both give the list of paths (a Tee copies): the
 * instances visited, in order, and the port the packet leaves by or "drop".
 */
#ifndef E2_TEST_WALK_H
#define E2_TEST_WALK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_desc.h"
#include "e2_filter_cubes.h"

struct walk;

/** Values the NF model rewrites fields to (per cube dimension, as cube values). */
struct walk_values {
    uint64_t *v[E2_CD_META];
    size_t n[E2_CD_META];
};

/**
 * Read @deploy (e2-deploy/1) and the plan and pGraph it came from. Fails the
 * test (cmocka) when a server's configuration does not compile or names
 * modules, types or gates that do not exist.
 */
struct walk *walk_new(const json_t *pgraph, const json_t *plan, const json_t *deploy,
                      const struct e2_nf_catalog *cat, const struct walk_values *values);
void walk_free(struct walk *w);

/** Paths of a frame entering the rack at switch port @in_port: "a#0:in b#1:in exit:8". */
struct walk_paths {
    char **v;
    size_t n;
};
void walk_paths_free(struct walk_paths *p);

/** Through the deployment. @seed picks the NFs' choices. */
void walk_deploy(struct walk *w, const uint8_t *frame, uint32_t len, unsigned in_port,
                 uint64_t seed, struct walk_paths *out);

/** Through the policy. */
void walk_oracle(struct walk *w, const uint8_t *frame, uint32_t len, unsigned in_port,
                 uint64_t seed, struct walk_paths *out);

/** The model flow hash (shared by the switch and e2d models, as contract A promises). */
uint32_t walk_hash(const uint8_t *frame, uint32_t len, uint32_t fields, bool symmetric);

/** Per iGraph edge SPI, how many packets took it (switch and NSH), for coverage. */
size_t walk_spis_used(const struct walk *w);

#endif
