/*
 * e2_ic — service interconnection (paper §5.2): from a deployment plan to
 * what every server's e2d runs, which NF processes each server starts, and
 * the rack switch's rules.
 *
 * Per server, e2d's pipeline reads the NIC (module `nic_in`, declared by the
 * agent) and writes it (`nic_out`); in between:
 *   nic_in -> NSHDecap: one gate per SPI this server receives
 *     -> ingress (SPI = iGraph edge + 1): SetTag(traffic class) -> the instance
 *     -> server to server (same SPI): the instance (tags and flow ID come back
 *        from the NSH context headers)
 *     -> e2d distribution (0x800000 + pGraph edge): the edge's classifier and
 *        distribute stage, for traffic the switch could not split
 *   an instance's output vport -> classifier (MetadataMatch on tags and the
 *   traffic class, HeaderMatch on headers, from the cubes of the edges'
 *   filters) -> per pGraph edge a distribute stage (FlowHash over the iGraph
 *   edges' flow ranges, unless one destination takes everything) -> a local
 *   instance's vport, NSHEncap(SPI of the iGraph edge, the destination
 *   server's MAC) -> nic_out, NSHEncap(0xFFFF00 + port index) -> nic_out to
 *   leave the rack, or Drop.
 * docs/cluster.md describes the stages, the SPI space, names and the legacy
 * NF conventions, and what the switch cannot do (then e2d does it).
 */
#ifndef E2_IC_H
#define E2_IC_H

#include <jansson.h>

#include "e2_desc.h"
#include "e2_err.h"

#define E2_IC_FORMAT "e2-deploy/1"

#ifndef E2_SPI_EGRESS_BASE
#define E2_SPI_EGRESS_BASE 0xFFFF00u /**< + port index: leave the rack by that port group */
#endif
#define E2_SPI_DISTRIB_BASE 0x800000u /**< + pGraph edge: e2d classifies and splits it */
#define E2_SPI_EDGE_MAX     0x7FFFFFu /**< iGraph edge SPIs: edge id + 1 */

#define E2_IC_CLASS_TAG "e2.class" /**< the metadata tag of the traffic class */

/**
 * Build the deployment ("e2-deploy/1", docs/cluster.md) of @plan ("e2-plan/1")
 * for the NF types of @nfs on the rack @rack:
 *   {"servers": {"s1": {"mac": "02:e2:00:00:00:10"}, ...}, "flow_id_bits": 16,
 *    "switch_mac": "02:e2:ff:00:00:00", "legacy_prefix": "", "egress": {
 *    "int": {"dst_mac": "...", "src_mac": "..."}}}   (all but servers optional)
 * @return 0 with *deploy a new object; -EINVAL (bad input: the path of the
 * field), -ENOTSUP (something the rack cannot do exactly, and why), -ENOMEM.
 */
int e2_ic_build(const json_t *plan, const struct e2_nf_catalog *nfs, const json_t *rack,
                json_t **deploy, struct e2_err *err);

#endif
