#include "pktpool.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

static struct rte_mempool *pool;

int e2_pktpool_create(unsigned n_mbufs, struct e2_err *err)
{
    pool = rte_pktmbuf_pool_create(E2_PKTPOOL_NAME, n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   (int)rte_socket_id());
    if (!pool)
        return e2_err_set(err, rte_errno, "cannot create a pool of %u packet buffers: %s", n_mbufs,
                          rte_strerror(rte_errno));
    return 0;
}

struct rte_mempool *e2_pktpool(void)
{
    return pool;
}

void e2_pktpool_destroy(void)
{
    rte_mempool_free(pool);
    pool = NULL;
}
