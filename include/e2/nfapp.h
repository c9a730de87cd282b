/*
 * e2nf_app — the main loop of a native NF, so an NF is its packet logic and
 * a table, the way a Click element or a BESS module is.
 *
 * An NF fills a struct e2nf_app_def and calls e2nf_app_main(). The app:
 *   - parses the common options (-n INSTANCE, -s SOCKET, -c CONFIG, --ctl
 *     PATH, --poll, --cpu N, --help) and the NF's own (def->options);
 *   - loads the NF's configuration before attaching, so a bad rule file is
 *     refused with FILE:LINE and the NF never starts half-configured;
 *   - attaches to e2d (libe2nf), lets the NF bind its ports and tags;
 *   - loops: receive a burst on each input port, def->process() gives each
 *     packet an output port (or E2NF_APP_DROP), the app sends them grouped
 *     by port; about every millisecond it runs def->tick() (expiry sweeps,
 *     exports), serves its control socket, delivers inter-NF signals and
 *     reports load; when idle it sleeps in e2nf_wait() (unless --poll);
 *   - on SIGHUP or the "reload" control operation, loads the configuration
 *     again: the NF swaps it in whole or keeps the old one and says why;
 *   - on SIGINT/SIGTERM detaches and prints its final statistics as JSON.
 *
 * The control socket (--ctl PATH) speaks e2d's JSON lines (e2ctl nf -s
 * PATH OP ...): "stats", "reload", "ops" and the NF's own operations.
 */
#ifndef E2_NFAPP_H
#define E2_NFAPP_H

#include <jansson.h>

#include "e2/nf.h"

#define E2NF_APP_DROP      (-1)
#define E2NF_APP_PORTS_MAX 8

struct e2nf_app;

/** An NF-specific command-line option ("--rate 10Mbit"). */
struct e2nf_app_option {
    const char *name; /**< long option, without dashes */
    const char *arg;  /**< the argument's name in --help, NULL for a flag */
    const char *help;
};

/** An NF-specific control operation. */
struct e2nf_app_op {
    const char *name;
    const char *help;
    /** Answer with a new JSON value, or NULL with @err filled. */
    json_t *(*fn)(void *ctx, const json_t *req, struct e2_err *err);
};

struct e2nf_app_def {
    const char *prog;    /**< "e2nf-fw": program name in messages */
    const char *summary; /**< one line for --help */
    size_t ctx_size;     /**< the NF's state, zeroed, passed to every callback */
    /** Input ports to poll, NULL-terminated; each must be one of the instance's ports. */
    const char *const *inputs;
    const struct e2nf_app_option *options; /**< NULL-terminated by name, or NULL */
    const struct e2nf_app_op *ops;         /**< NULL-terminated by name, or NULL */
    bool config_required;                  /**< -c CONFIG must be given */

    /** An NF option was given (@value NULL for flags). */
    int (*option)(void *ctx, const char *name, const char *value, struct e2_err *err);
    /**
     * Load @path (NULL when -c was not given) and make it current; on error
     * keep what was current. Called before attaching and on every reload.
     */
    int (*load)(void *ctx, const char *path, struct e2_err *err);
    /** Attached: look up ports (e2nf_port) and tags (e2nf_tag) of @nf. */
    int (*bind)(void *ctx, struct e2nf *nf, struct e2_err *err);
    /**
     * Decide @n packets from input port @in: out[i] = an output port of the
     * instance, or E2NF_APP_DROP. The NF may rewrite packets in place.
     */
    void (*process)(void *ctx, unsigned in, struct rte_mbuf **pkts, uint16_t n, int *out);
    /**
     * Optional, instead of the default receive/process/send: move packets
     * yourself (e2nf_rx_burst/e2nf_tx_burst), e.g. to queue and pace them.
     * Returns how many packets it handled (0: idle, the app may sleep).
     * The ports' rx/tx/tx_full in "stats" are then libe2nf's own counts;
     * "dropped" is the NF's to count.
     */
    unsigned (*poll)(void *ctx, struct e2nf *nf);
    /** About every millisecond, with the time in ns (CLOCK_MONOTONIC). */
    void (*tick)(void *ctx, uint64_t now_ns);
    /** A signal from another NF or from E2. */
    void (*signal)(void *ctx, const struct e2nf_signal *s);
    /** The NF's own counters, a new JSON object (for "stats" and the exit line). */
    json_t *(*stats)(void *ctx);
    /**
     * Stopping: free what the NF holds. Called once, before detaching (DPDK
     * still runs: packets it holds go back with e2nf_drop(), rte_acl tables
     * can be freed); also after a failed start, with nothing attached.
     */
    void (*fini)(void *ctx);
};

/** Run the NF: returns the process exit status (0, 1 on errors, 2 on bad usage). */
int e2nf_app_main(const struct e2nf_app_def *def, int argc, char **argv);

/** Now in ns (CLOCK_MONOTONIC, from the TSC): what process() should use for timestamps. */
uint64_t e2nf_app_now_ns(void);

#endif
