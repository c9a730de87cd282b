/*
 * The e2d config language: a pipeline described in a file, compiled into the
 * same change requests the control socket takes (ops.h), applied as one
 * transaction. Click-style connections, BESS-style ports and classes:
 *
 *   # comments run from '#' or '//' to the end of the line; also / * ... * /
 *   port p0(vdev="net_null0,copy=0", rxq=1);          // a port
 *   src :: Source(templates=[{dst_port=53}], rate=1M); // a module
 *   src -> Bypass() -> q :: Queue(size=4096);         // a chain; Bypass() is unnamed
 *   q -> fh :: FlowHash(bits=8);
 *   fh[0] -> [0]out :: PortOut(port=p0);              // gates: a[ogate] -> [igate]b
 *   fh.add_range(lo=0, hi=256, gate=0);               // a module command
 *   tc fair(policy=weighted_fair, resource=cycles);    // a traffic class (parent worker0)
 *   attach q(parent=fair, share=3);                   // move a task under it
 *   track q(bytes=true);                              // count bytes on q's gates too
 *   tag(name="FW.safe", slot=0);                      // a metadata tag name and its slot
 *   nf fw0(ports=[in, safe, unsafe], queues=1);       // a native NF instance (VPort binds to it)
 *
 * Values: numbers (with k, M, G, T multipliers: 1M = 1000000), "strings",
 * bare words (strings), true/false/null, [lists] and {key=value, ...}.
 * Every request carries "at": "FILE:LINE:COL" so errors point at the text.
 */
#ifndef E2_CONF_H
#define E2_CONF_H

#include <jansson.h>

#include "e2_err.h"

/**
 * Compile config @text (named @file in messages) into a JSON array of
 * requests. Syntax errors fail with "FILE:LINE:COL: ..." in @err.
 */
int e2_conf_compile(const char *text, const char *file, json_t **ops, struct e2_err *err);

/**
 * Parse "key=value, key=value" (the inside of a call's parentheses) into a
 * new JSON object, for command lines such as 'e2ctl dp create q Queue size=4k'.
 */
int e2_conf_parse_args(const char *text, json_t **obj, struct e2_err *err);

#endif
