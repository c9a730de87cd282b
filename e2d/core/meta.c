#include "e2/meta.h"

#include <errno.h>

#include <rte_errno.h>

int e2_meta_offset = -1;
uint64_t e2_meta_flag;
int e2_ts_offset = -1;
uint64_t e2_ts_flag;

int e2_meta_register(struct e2_err *err)
{
    static const struct rte_mbuf_dynfield field = {
        .name = "e2_meta",
        .size = sizeof(struct e2_meta),
        .align = __alignof__(struct e2_meta),
    };
    static const struct rte_mbuf_dynflag flag = {.name = "e2_meta_valid"};
    int off = rte_mbuf_dynfield_register(&field);
    if (off < 0)
        return e2_err_set(err, rte_errno, "cannot register the e2_meta mbuf field (%zu bytes): %s",
                          sizeof(struct e2_meta), rte_strerror(rte_errno));
    int bit = rte_mbuf_dynflag_register(&flag);
    if (bit < 0)
        return e2_err_set(err, rte_errno, "cannot register the e2_meta_valid mbuf flag: %s",
                          rte_strerror(rte_errno));
    int ts_off;
    uint64_t ts_flag;
    if (rte_mbuf_dyn_rx_timestamp_register(&ts_off, &ts_flag) < 0)
        return e2_err_set(err, rte_errno, "cannot register the mbuf timestamp field: %s",
                          rte_strerror(rte_errno));
    e2_meta_offset = off;
    e2_meta_flag = 1ull << bit;
    e2_ts_offset = ts_off;
    e2_ts_flag = ts_flag;
    return 0;
}
