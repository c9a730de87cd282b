#include "runtime.h"

#include <glob.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "graph.h"
#include "e2/meta.h"
#include "pktpool.h"
#include "nfreg.h"
#include "port.h"

static char huge_prefix[128];

/*
 * DPDK leaves a primary's hugepage files behind so that secondaries could
 * still map them; once e2d is gone nobody can, and the pages would stay
 * taken. Remove this instance's files from every hugetlbfs mount.
 */
static void release_hugepage_files(void)
{
    FILE *mounts = setmntent("/proc/mounts", "r");
    if (!mounts) return;
    struct mntent *me;
    while ((me = getmntent(mounts)) != NULL) {
        if (strcmp(me->mnt_type, "hugetlbfs") != 0) continue;
        char pattern[512];
        snprintf(pattern, sizeof(pattern), "%s/%smap_*", me->mnt_dir, huge_prefix);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    endmntent(mounts);
}

int e2_runtime_start(const struct e2_runtime_opts *o, struct e2_err *err)
{
    snprintf(huge_prefix, sizeof(huge_prefix), "%s", o->eal.no_huge ? "" : o->eal.name);
    int rc = e2_eal_init(&o->eal, err);
    if (rc) return rc;
    rc = e2_meta_register(err);
    if (!rc) rc = e2_pktpool_create(o->mbufs, err);
    if (!rc) rc = e2_workers_init(o->eal.workers, &o->worker, err);
    if (!rc) rc = e2_nfreg_init(!o->eal.no_huge, o->eal.name, err);
    if (rc) {
        rte_eal_cleanup();
        if (huge_prefix[0]) release_hugepage_files();
    }
    return rc;
}

void e2_runtime_stop(void)
{
    e2_workers_stop();
    e2_nf_destroy_all();
    e2_graph_destroy_all();
    e2_ports_destroy_all();
    e2_nfreg_fini();
    e2_pktpool_destroy();
    rte_eal_cleanup();
    if (huge_prefix[0]) release_hugepage_files();
}
