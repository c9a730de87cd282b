#include "runtime.h"

#include <rte_eal.h>

#include "graph.h"
#include "meta.h"
#include "pktpool.h"
#include "port.h"

int e2_runtime_start(const struct e2_runtime_opts *o, struct e2_err *err)
{
    int rc = e2_eal_init(&o->eal, err);
    if (rc) return rc;
    rc = e2_meta_register(err);
    if (!rc) rc = e2_pktpool_create(o->mbufs, err);
    if (!rc) rc = e2_workers_init(o->eal.workers, &o->worker, err);
    if (rc) rte_eal_cleanup();
    return rc;
}

void e2_runtime_stop(void)
{
    e2_workers_stop();
    e2_graph_destroy_all();
    e2_ports_destroy_all();
    e2_pktpool_destroy();
    rte_eal_cleanup();
}
