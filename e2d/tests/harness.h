/*
 * Test fixtures for e2d engine tests: a no-hugepage runtime (no root), a
 * Capture module that keeps what it receives so tests can look at packets,
 * and helpers to build packets and push them into a module.
 */
#ifndef E2_TEST_HARNESS_H
#define E2_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include <rte_mbuf.h>

#include "graph.h"
#include "module.h"
#include "runtime.h"

#define CAPTURE_MAX 4096

/** What a Capture module (type "TestCapture") has received, in order. */
struct capture {
    struct rte_mbuf *pkts[CAPTURE_MAX];
    uint16_t igate[CAPTURE_MAX];
    unsigned n;
};

/**
 * Start the runtime once per test binary: @workers workers, no hugepages.
 * With @live the workers are launched and poll their tasks; otherwise tests
 * drive modules by hand.
 */
void harness_start(unsigned workers, bool live);

/** Destroy every module and class created by a test (workers stay). */
void harness_reset(void);

/** cmocka setup/teardown: the teardown resets and checks no buffer leaked. */
int harness_setup(void **state);
int harness_teardown(void **state);

/** Apply a config text, or fail the test with e2d's message. */
void load(const char *text);

/** Apply a config text (named "t.conf") that must fail with exactly @msg. */
void load_fails(const char *text, const char *msg);

/** Create a module or fail the test. */
struct e2_module *make(const char *name, const char *type, const char *args_json);

/** Connect or fail the test. */
void link_gates(struct e2_module *from, uint16_t og, struct e2_module *to, uint16_t ig);

/** A TestCapture module and its capture. */
struct e2_module *make_capture(const char *name, struct capture **cap);

/** Free every captured packet and forget them. */
void capture_clear(struct capture *c);

/** A UDP/IPv4 packet of @len bytes between the given endpoints (host order). */
struct rte_mbuf *udp_packet(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                            uint16_t len);

/** Send @n packets into @m's input gate @igate as one batch. */
void push(struct e2_module *m, uint16_t igate, struct rte_mbuf **pkts, unsigned n);

/** Run task @t of @m once; returns packets it moved. */
uint32_t run_task(struct e2_module *m, unsigned t);

/** Run a module command; returns 0 or the error code (message in *msg when given). */
int command(struct e2_module *m, const char *cmd, const char *arg_json, json_t **result, char *msg,
            size_t len);

/** Packets currently free in the pool (to prove nothing leaks). */
unsigned pool_free(void);

#endif
