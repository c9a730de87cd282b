/*
 * Modules, gates and tasks — the contract every e2d module type implements.
 *
 * A module type is a page of code: a manual (what it does, its gates, an
 * example; the synopsis is derived from the argument table), a declarative
 * argument table, optional commands, and up to three entry points:
 *
 *   init(m, args)        set up the instance from its parsed arguments
 *   process(m, igate, b) handle a batch arriving on input gate `igate`;
 *                        the module owns the packets and must emit or drop
 *                        each one (e2_emit, e2_split, e2_drop)
 *   run_task(m, task)    for schedulable modules (port input, queues,
 *                        sources): called by the worker's scheduler; fetches
 *                        a batch and pushes it downstream to completion
 *
 * Registration is one line at the end of the module's file:
 *
 *     E2_MODULE_REGISTER(bypass_type);
 *
 * Output gates count packets, and bytes when the module's track_bytes is on
 * (off by default: summing lengths touches every packet, which a pure
 * forwarding path otherwise never does — BESS makes the same choice). A task
 * reports bits only when its scheduler class needs them (report_bits). A
 * packet emitted to an unconnected gate (or to E2_GATE_DROP) is freed and
 * counted as dropped by the module.
 *
 * Threading: graph changes (create, connect, attach...) happen on the control
 * thread while workers are paused; process() and run_task() run on workers
 * without locks. A module reached from two workers must be declared
 * thread-safe (E2_MT_SAFE); the graph refuses connections that break this.
 */
#ifndef E2_MODULE_H
#define E2_MODULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "e2_args.h"
#include "e2_err.h"

#define E2_NAME_MAX     48
#define E2_GATE_DROP    0xffff
#define E2_GATES_MAX    1024
#define E2_MODULE_TASKS 16
#define E2_CMD_ARGS_MAX 512

struct e2_module;
struct e2_tc;

/** What one task run did: drives cycle accounting and idle detection. */
struct e2_task_result {
    uint32_t packets;
    uint64_t bits;
};

struct e2_task {
    struct e2_module *m;
    void *arg;          /**< the module's own (e.g. a queue index) */
    struct e2_tc *leaf; /**< the task's leaf in its worker's scheduler tree */
    int worker;         /**< -1 while not attached */
    bool report_bits;   /**< a class above it shares or limits bits: count them */
};

/** A module command: name, declarative args, handler. */
struct e2_cmd {
    const char *name;
    const char *help;
    const struct e2_arg *args; /**< parsed into a buffer of args_size bytes */
    size_t args_size;
    /** Run the command; may set *result to a new JSON value. */
    int (*fn)(struct e2_module *m, const void *args, json_t **result, struct e2_err *err);
    /** true: safe while workers run (e.g. RCU table swap); false: workers are paused. */
    bool mt_safe;
};

enum e2_module_flags {
    E2_MT_SAFE = 1 << 0, /**< process() may run on several workers at once */
};

struct e2_module_type {
    const char *name;    /**< "Bypass" */
    const char *summary; /**< one line */
    const char *manual;  /**< the rest of the page: gates, behaviour, statistics */
    const char *example; /**< a config snippet using it */
    uint16_t max_igates; /**< 0 for pure sources */
    uint16_t max_ogates; /**< 0 for sinks */
    uint32_t flags;
    size_t priv_size;
    const struct e2_arg *args;
    size_t args_size;
    int (*init)(struct e2_module *m, const void *args, struct e2_err *err);
    /** Undo init; also called after a failed init, on a partly set-up priv. */
    void (*deinit)(struct e2_module *m);
    void (*process)(struct e2_module *m, uint16_t igate, struct e2_batch *b);
    struct e2_task_result (*run_task)(struct e2_module *m, struct e2_task *task);
    /**
     * Back-pressure (may be NULL: unlimited): how many packets input gate
     * @igate takes now without dropping any. Producers that must not lose
     * (a reliable VPort) take no more than this from their source.
     */
    uint32_t (*room)(const struct e2_module *m, uint16_t igate);
    /** Type-specific statistics, readable while workers run (may be NULL). */
    json_t *(*stats)(struct e2_module *m);
    const struct e2_cmd *cmds; /**< terminated by {.name = NULL}; may be NULL */
    struct e2_module_type *next_registered;
};

struct e2_ogate {
    struct e2_module *next; /**< NULL when unconnected */
    uint16_t next_igate;
    uint64_t pkts, bytes; /**< written by one worker, read anywhere */
};

struct e2_module {
    const struct e2_module_type *type;
    char name[E2_NAME_MAX];
    uint16_t n_ogates; /**< size of ogates[] (highest connected gate + 1) */
    struct e2_ogate *ogates;
    uint64_t dropped; /**< packets this module freed: unconnected gate or decision */
    uint32_t n_tasks;
    struct e2_task tasks[E2_MODULE_TASKS];
    uint32_t flags;      /**< E2_MT_SAFE...: the type's, adjusted by init() */
    bool track_bytes;    /**< output gates also count bytes */
    uint64_t in_workers; /**< which workers call process() (graph check) */
    bool retired;        /**< destroyed inside an open transaction */
    void *priv;
};

/* ---- registry ---- */

void e2_module_type_register(struct e2_module_type *t);
const struct e2_module_type *e2_module_type_find(const char *name);
/** Registered types in name order, NULL-terminated; static storage. */
const struct e2_module_type *const *e2_module_types(void);

#define E2_MODULE_REGISTER(t)                                                                      \
    static void __attribute__((constructor)) e2_register_##t(void)                                 \
    {                                                                                              \
        e2_module_type_register(&(t));                                                             \
    }

/* ---- used by module code ---- */

/** A command handler that answers with the module's statistics (type->stats). */
int e2_cmd_stats(struct e2_module *m, const void *args, json_t **result, struct e2_err *err);

/** Register a task for this module during init(); returns its index or <0. */
int e2_module_add_task(struct e2_module *m, void *arg, struct e2_err *err);

/** Count and free one packet. */
static inline void e2_drop(struct e2_module *m, struct rte_mbuf *pkt)
{
    __atomic_store_n(&m->dropped, m->dropped + 1, __ATOMIC_RELAXED);
    rte_pktmbuf_free(pkt);
}

/** Count and free a whole batch. */
static inline void e2_drop_batch(struct e2_module *m, struct e2_batch *b)
{
    if (b->cnt == 0) return;
    __atomic_store_n(&m->dropped, m->dropped + b->cnt, __ATOMIC_RELAXED);
    rte_pktmbuf_free_bulk(b->pkts, b->cnt);
    b->cnt = 0;
}

static inline void e2_stat_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t e2_stat_read(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/**
 * Send a batch of @bytes bytes out of @ogate: count it and run the next
 * module. For callers that summed the bytes anyway (ports, sources).
 */
static inline void e2_emit_bytes(struct e2_module *m, uint16_t ogate, struct e2_batch *b,
                                 uint64_t bytes)
{
    if (unlikely(b->cnt == 0)) return;
    if (unlikely(ogate >= m->n_ogates || !m->ogates[ogate].next)) {
        e2_drop_batch(m, b);
        return;
    }
    struct e2_ogate *g = &m->ogates[ogate];
    e2_stat_add(&g->pkts, b->cnt);
    e2_stat_add(&g->bytes, bytes);
    g->next->type->process(g->next, g->next_igate, b);
}

/** Send a batch out of @ogate: count it and run the next module. */
static inline void e2_emit(struct e2_module *m, uint16_t ogate, struct e2_batch *b)
{
    e2_emit_bytes(m, ogate, b, m->track_bytes ? e2_batch_bytes(b) : 0);
}

/** Bytes of @b when @m tracks bytes or @t reports bits, else 0 (nothing touched). */
static inline uint64_t e2_task_bytes(const struct e2_module *m, const struct e2_task *t,
                                     const struct e2_batch *b)
{
    return m->track_bytes || t->report_bits ? e2_batch_bytes(b) : 0;
}

/**
 * How many packets output gate @ogate of @m can send now without the module
 * behind it dropping any (its room() callback): UINT32_MAX when it does not
 * say, 0 when the gate is not connected.
 */
static inline uint32_t e2_gate_room(const struct e2_module *m, uint16_t ogate)
{
    if (ogate >= m->n_ogates || !m->ogates[ogate].next) return 0;
    const struct e2_module *next = m->ogates[ogate].next;
    return next->type->room ? next->type->room(next, m->ogates[ogate].next_igate) : UINT32_MAX;
}

/**
 * Send each packet of @b out of the gate chosen for it in @gates[i]
 * (E2_GATE_DROP drops). Packets keep their relative order per gate.
 */
void e2_split(struct e2_module *m, const uint16_t *gates, struct e2_batch *b);

#endif
