/*
 * e2ctl verbs. Each part of E2 contributes its verbs in its own file
 * (verb_<part>.c) and one line in the table in main.c. A verb gets the
 * arguments after its name (argv[0] is the verb) and returns the process exit
 * code: 0 success, 1 the request failed (the message says why), 2 usage error.
 */
#ifndef E2CTL_VERBS_H
#define E2CTL_VERBS_H

#include <jansson.h>

#include "e2_err.h"

struct e2ctl_verb {
    const char *name;
    const char *usage;   /* arguments, one line */
    const char *summary; /* what it does, one line */
    int (*run)(int argc, char **argv);
};

/* Dataplane verbs (verb_dp.c): talk to one e2d over its control socket. */
int e2ctl_dp(int argc, char **argv);

/* verb_nf.c: talk to a sample NF's control socket. */
int e2ctl_nf(int argc, char **argv);

/* A usage error of VERB: "e2ctl VERB: <message>", then its @help; returns 2. */
int e2ctl_usage(const char *verb, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Shared by the socket verbs: ARGS written as in e2d configs
 * ("size=4k, rule=\"...\"", one per word from @from) as a JSON object; and
 * one request on @sock whose failure is printed as "e2ctl VERB: ..." (1).
 */
json_t *e2ctl_kwargs(int argc, char **argv, int from, struct e2_err *err);
int e2ctl_call(const char *verb, const char *sock, const json_t *req, json_t **result);

/* verb_policy.c */
int e2ctl_check(int argc, char **argv);
int e2ctl_compile(int argc, char **argv);
int e2ctl_filter(int argc, char **argv);

/* verb_plan.c: the deployment plan (planner/). */
int e2ctl_plan(int argc, char **argv);

/* verb_switch.c: the rack switch's rules (switch/, include/e2/switch.h). */
int e2ctl_switch(int argc, char **argv);
/*
 * The pGraph JSON of @input: a policy file compiled and checked with the NF
 * descriptions of @nf_dir (NULL: its folder/nf), or a pGraph JSON file.
 */
int e2ctl_load_pgraph(const char *input, const char *nf_dir, json_t **pgraph, struct e2_err *err);

/* verb_deploy.c: the interconnection of a plan (cluster/), as an operator's dry run. */
int e2ctl_deploy(int argc, char **argv);

#endif
