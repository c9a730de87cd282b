/*
 * e2_policy — the policy language of the paper's Appendix, parsed.
 *
 *   NAT n;                       // an NF instance of a type (an NF description)
 *   Tee t;                       // a predefined copying node
 *   Port<0-7> int;               // switch ports 0..7 as one node (Port<3> p; one port)
 *   Address my_net 10.12.30.0/24;
 *   pipelet outbound {           // the name is optional
 *       int [dst port 80] -> p;  // src [filter_out] -> (bw) [filter_in] dst;
 *       f [!FW.safe] -> Drop;    // Drop is predefined
 *       int [tos 0] -> (1Gbps) [prio0] r;
 *   }
 *
 * with // and C comments. This module only parses: it keeps filters and
 * rates as source text with their positions; e2_pgraph resolves names,
 * parses filters and checks the whole. Errors: "FILE:LINE:COL: error: ...".
 */
#ifndef E2_POLICY_H
#define E2_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2_err.h"
#include "e2_filter.h"

struct e2_pos {
    int line, col;
};

enum e2_decl_kind { E2_DECL_NF, E2_DECL_PORT, E2_DECL_ADDRESS };

struct e2_decl {
    enum e2_decl_kind kind;
    char *type; /* NF: the type ("NAT", "Tee") */
    char *name;
    struct e2_pos pos, type_pos;
    unsigned port_lo, port_hi; /* PORT */
    struct e2_addr addr;       /* ADDRESS */
};

/** A piece of source text: a filter or a rate, without its brackets. */
struct e2_text {
    char *text; /* NULL when absent */
    struct e2_pos pos;
};

struct e2_edge_src {
    char *src, *dst;
    struct e2_pos pos, src_pos, dst_pos;
    struct e2_text filter_out, bw, filter_in;
    uint64_t bw_bps; /* when bw.text */
};

struct e2_pipelet {
    char *name; /* NULL when unnamed */
    struct e2_pos pos;
    struct e2_edge_src *edges;
    size_t n_edges;
};

struct e2_policy {
    char *file;
    struct e2_decl *decls;
    size_t n_decls;
    struct e2_pipelet *pipelets;
    size_t n_pipelets;
};

/** Parse policy text; @file names it in errors. */
int e2_policy_parse(const char *text, size_t len, const char *file, struct e2_policy **out,
                    struct e2_err *err);

/** Read and parse a policy file. */
int e2_policy_load(const char *path, struct e2_policy **out, struct e2_err *err);

void e2_policy_free(struct e2_policy *p);

/** Parse an address or prefix ("10.0.0.0/8", "2001:db8::1"); -EINVAL if malformed. */
int e2_addr_parse(const char *text, struct e2_addr *out);

#endif
