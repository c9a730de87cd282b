/*
 * The graph: every named module, its connections, its tasks and the traffic
 * classes they hang from. This is the only place that changes the dataplane;
 * the control operations (ctl/ops.c), the config loader and the tests all go
 * through it.
 *
 * Every function here runs on the control thread and expects the workers to
 * be quiet (paused or not yet launched) unless it says otherwise. Each either
 * succeeds completely or changes nothing and says why in @err.
 *
 * Transactions make a series of changes all-or-nothing: pass the same
 * struct e2_txn to each call, then e2_txn_commit() or e2_txn_rollback().
 * Every change records how to undo itself; destroying a module or class
 * inside a transaction only retires it (disconnected, detached, its name
 * free) and the commit frees it, so a rollback can bring it back intact.
 * Module commands are not undone by a rollback. Pass NULL for a change that
 * takes effect at once.
 */
#ifndef E2_GRAPH_H
#define E2_GRAPH_H

#include <jansson.h>

#include "e2_err.h"
#include "module.h"
#include "tc.h"

struct e2_txn;
struct e2_port;
struct e2_port_args;

struct e2_txn *e2_txn_begin(void);
void e2_txn_commit(struct e2_txn *txn);
void e2_txn_rollback(struct e2_txn *txn);

/* ---- ports ---- */

int e2_graph_port_create(const struct e2_port_args *args, struct e2_txn *txn, struct e2_err *err);

/* Ports are destroyed with e2_port_destroy(), outside any transaction. */

/* ---- modules ---- */

/**
 * Create a module of @type named @name (NULL: "<type in lowercase><N>") from
 * JSON @args. The instance's tasks are attached to worker 0's root class.
 * A failed init leaves nothing behind.
 */
int e2_graph_module_create(const char *name, const char *type, const json_t *args,
                           struct e2_txn *txn, struct e2_module **out, struct e2_err *err);

/** Disconnect, detach and free a module (retire it, inside a transaction). */
int e2_graph_module_destroy(struct e2_module *m, struct e2_txn *txn, struct e2_err *err);

struct e2_module *e2_graph_module_find(const char *name);

/** Modules in creation order: call with NULL to start. */
struct e2_module *e2_graph_module_next(struct e2_module *prev);

/**
 * Connect output gate @ogate of @from to input gate @igate of @to. Fails if
 * the gate is taken, out of range for either type, or if the connection
 * would make a module that is not thread-safe run on two workers.
 */
int e2_graph_connect(struct e2_module *from, uint16_t ogate, struct e2_module *to, uint16_t igate,
                     struct e2_txn *txn, struct e2_err *err);

/** Count bytes, not only packets, on @m's output gates (or stop). */
int e2_graph_track_bytes(struct e2_module *m, bool on, struct e2_txn *txn, struct e2_err *err);

/** Disconnect output gate @ogate of @from. */
int e2_graph_disconnect(struct e2_module *from, uint16_t ogate, struct e2_txn *txn,
                        struct e2_err *err);

/** Find a module command; NULL with @err filled when it does not exist. */
const struct e2_cmd *e2_graph_cmd_find(struct e2_module *m, const char *cmd, struct e2_err *err);

/**
 * Run command @cmd on @m with JSON @arg. Pauses the workers around it unless
 * the command is thread-safe.
 */
int e2_graph_module_cmd(struct e2_module *m, const struct e2_cmd *cmd, const json_t *arg,
                        json_t **result, struct e2_err *err);

/** Everything about a module: type, gates with counters, tasks, type stats. */
json_t *e2_graph_module_describe(struct e2_module *m);

/* ---- metadata tag names (tags.h), undone by a rollback ---- */

int e2_graph_tag_define(const char *name, int slot, struct e2_txn *txn, struct e2_err *err);
int e2_graph_tag_undefine(const char *name, struct e2_txn *txn, struct e2_err *err);

/* ---- native NF instances (nfreg.h), undone by a rollback ---- */

struct e2_nf_spec;
int e2_graph_nf_create(const struct e2_nf_spec *spec, struct e2_txn *txn, struct e2_err *err);

/* ---- traffic classes ---- */

struct e2_tc *e2_graph_tc_find(const char *name);

/** The worker whose tree holds @tc, or -1 when it is detached. */
int e2_graph_tc_worker(const struct e2_tc *tc);

/** Create an inner class under @parent (key = priority or share). */
int e2_graph_tc_create(const char *name, enum e2_tc_policy policy,
                       const struct e2_tc_params *params, struct e2_tc *parent, int64_t key,
                       struct e2_txn *txn, struct e2_err *err);

/** Destroy an inner class that has no children. */
int e2_graph_tc_destroy(struct e2_tc *tc, struct e2_txn *txn, struct e2_err *err);

/** Change a rate limiter's limit and burst. */
int e2_graph_tc_set_limit(struct e2_tc *tc, uint64_t limit, uint64_t burst, struct e2_txn *txn,
                          struct e2_err *err);

/** Move task @task of @m under @parent (possibly on another worker). */
int e2_graph_task_attach(struct e2_module *m, unsigned task, struct e2_tc *parent, int64_t key,
                         struct e2_txn *txn, struct e2_err *err);

/** The scheduler trees of all workers with per-class usage. */
json_t *e2_graph_tc_describe_all(void);

/** Tear everything down (shutdown, tests), pausing the workers meanwhile. */
void e2_graph_destroy_all(void);

#endif
