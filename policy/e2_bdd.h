/*
 * e2_bdd — a small reduced ordered BDD package for the policy checker.
 *
 * Each manager is independent (no global state, so the library is reentrant:
 * one manager per check). Variables are numbered in creation order, which is
 * also their order in every BDD. Nodes are never freed before the manager:
 * checking one policy is a bounded job, and the node limit turns a blow-up
 * into a clean "too complex to decide" error instead of exhausting memory.
 *
 * Operations on a manager that has hit its node limit return E2_BDD_FALSE and
 * leave e2_bdd_failed() true; callers test it once after a batch of work.
 */
#ifndef E2_BDD_H
#define E2_BDD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t e2_bdd;
#define E2_BDD_FALSE ((e2_bdd)0)
#define E2_BDD_TRUE  ((e2_bdd)1)

struct e2_bdd_mgr;

/** A manager holding at most @max_nodes nodes (12 bytes each plus tables). NULL on ENOMEM. */
struct e2_bdd_mgr *e2_bdd_new(uint32_t max_nodes);

void e2_bdd_free(struct e2_bdd_mgr *m);

/**
 * Bound the work: after @steps recursive steps in total the manager fails
 * as it does at its node limit (a time budget; the default is unbounded).
 */
void e2_bdd_set_step_limit(struct e2_bdd_mgr *m, uint64_t steps);

/** Count @steps of work done outside the manager against its budget; false once over. */
bool e2_bdd_charge(struct e2_bdd_mgr *m, uint64_t steps);

/** Recursive steps taken so far. */
uint64_t e2_bdd_steps(const struct e2_bdd_mgr *m);

/** Add @n variables; returns the index of the first. */
uint32_t e2_bdd_add_vars(struct e2_bdd_mgr *m, uint32_t n);

uint32_t e2_bdd_nvars(const struct e2_bdd_mgr *m);

/** The function "variable @v is 1". */
e2_bdd e2_bdd_var(struct e2_bdd_mgr *m, uint32_t v);

e2_bdd e2_bdd_ite(struct e2_bdd_mgr *m, e2_bdd f, e2_bdd g, e2_bdd h);
e2_bdd e2_bdd_and(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b);
e2_bdd e2_bdd_or(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b);
e2_bdd e2_bdd_not(struct e2_bdd_mgr *m, e2_bdd a);
/** a AND NOT b */
e2_bdd e2_bdd_diff(struct e2_bdd_mgr *m, e2_bdd a, e2_bdd b);

/** @f with variable @v fixed to @val (the cofactor). */
e2_bdd e2_bdd_restrict(struct e2_bdd_mgr *m, e2_bdd f, uint32_t v, bool val);

/**
 * The variables @f tests, ascending, into @vars (at most @max of them).
 * @return how many there are (may exceed @max: then only @max were stored).
 */
size_t e2_bdd_support(const struct e2_bdd_mgr *m, e2_bdd f, uint32_t *vars, size_t max);

/** True once the node limit was hit: results since then are not to be trusted. */
bool e2_bdd_failed(const struct e2_bdd_mgr *m);

/** Nodes in use (including the two terminals). */
size_t e2_bdd_nodes(const struct e2_bdd_mgr *m);

/** Value of @f under @bits (one byte per variable, 0 or 1). */
bool e2_bdd_eval(const struct e2_bdd_mgr *m, e2_bdd f, const uint8_t *bits);

/**
 * One satisfying assignment of @f, as close as a greedy walk gets to the
 * preferred one: on entry @bits holds the preferred value of every variable,
 * on return a satisfying assignment that differs from it only where @f
 * forces it (variables @f does not test keep their preferred value).
 * @return 0, or -ENOENT when @f is unsatisfiable.
 */
int e2_bdd_sat_prefer(const struct e2_bdd_mgr *m, e2_bdd f, uint8_t *bits);

/** The variable a node tests (UINT32_MAX for terminals) and its children. */
uint32_t e2_bdd_node_var(const struct e2_bdd_mgr *m, e2_bdd f);
e2_bdd e2_bdd_low(const struct e2_bdd_mgr *m, e2_bdd f);
e2_bdd e2_bdd_high(const struct e2_bdd_mgr *m, e2_bdd f);

#endif
