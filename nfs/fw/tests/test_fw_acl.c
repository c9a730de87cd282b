/*
 * The rte_acl classifier (fw_acl.c) against the reference scan: random rule
 * sets over small domains (so keys hit rules often, overlapping, in every
 * state) must give the same first match for random keys, and the firewall
 * compiles with rte_acl from acl_min_rules on. Starts the EAL without
 * hugepages.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "fw.h"
#include "fw_acl.h"

static unsigned rnd(unsigned n)
{
    return (unsigned)random() % n;
}

/* One random rule line over 10.0-3.x.y, ports 0-15, three protocols, state sets. */
static int random_rule(char *buf, size_t n)
{
    static const char *const protos[] = {"tcp", "udp", "icmp"};
    static const char *const states[] = {"NEW", "ESTABLISHED", "RELATED,INVALID",
                                         "NEW,ESTABLISHED,INVALID"};
    int len = snprintf(buf, n, "-A FORWARD");
    unsigned p = rnd(4);
    if (p < 3) len += snprintf(buf + len, n - (size_t)len, " -p %s", protos[p]);
    if (rnd(2)) {
        unsigned bits = 14 + rnd(19);
        uint32_t ip = (10u << 24 | rnd(4) << 16 | rnd(4) << 8 | rnd(4)) & (~0u << (32 - bits));
        len += snprintf(buf + len, n - (size_t)len, " -s %u.%u.%u.%u/%u", ip >> 24, ip >> 16 & 255,
                        ip >> 8 & 255, ip & 255, bits);
    }
    if (rnd(2)) len += snprintf(buf + len, n - (size_t)len, " -d 10.0.%u.0/24", rnd(4));
    if (p < 2 && rnd(2)) {
        unsigned lo = rnd(16);
        len += snprintf(buf + len, n - (size_t)len, " --dport %u:%u", lo, lo + rnd(16 - lo));
    }
    if (p < 2 && rnd(3) == 0) len += snprintf(buf + len, n - (size_t)len, " --sport %u", rnd(16));
    if (rnd(2)) len += snprintf(buf + len, n - (size_t)len, " -m state --state %s", states[rnd(4)]);
    return len + snprintf(buf + len, n - (size_t)len, " -j %s\n", rnd(2) ? "ACCEPT" : "DROP");
}

static struct fw_key random_key(void)
{
    static const uint8_t protos[] = {6, 17, 1, 47};
    uint8_t proto = protos[rnd(4)];
    return (struct fw_key){.src_ip = 10u << 24 | rnd(4) << 16 | rnd(4) << 8 | rnd(4),
                           .dst_ip = 10u << 24 | rnd(4) << 8 | rnd(4),
                           .src_port = (uint16_t)rnd(16),
                           .dst_port = (uint16_t)rnd(16),
                           .proto = proto,
                           .state = (uint8_t)rnd(FW_CT_COUNT),
                           .ports = (proto == 6 || proto == 17) && rnd(8)};
}

static void acl_agrees_with_scan(void **state)
{
    (void)state;
    srandom(42);
    unsigned hits = 0;
    for (int round = 0; round < 40; round++) {
        static char text[64 * 1024];
        size_t len = 0;
        unsigned n = 1 + rnd(round < 20 ? 20 : 300);
        for (unsigned i = 0; i < n; i++) len += (size_t)random_rule(text + len, sizeof(text) - len);
        struct fw_ruleset *rs;
        struct e2_err err = {0};
        if (fw_ruleset_parse_text(text, "random.rules", &rs, &err)) fail_msg("%s", err.msg);
        struct fw_classifier *scan, *acl;
        assert_int_equal(fw_scan_build(rs, &scan, &err), 0);
        if (fw_acl_build(rs, &acl, &err)) fail_msg("%s", err.msg);
        assert_string_equal(acl->name, "acl");
        struct fw_key keys[500];
        int32_t a[500], b[500];
        for (int i = 0; i < 500; i++) keys[i] = random_key();
        scan->classify(scan, keys, 500, a);
        acl->classify(acl, keys, 500, b);
        for (int i = 0; i < 500; i++) {
            if (a[i] != b[i])
                fail_msg("round %d key %d: scan says %d, acl %d\n%s", round, i, a[i], b[i], text);
            hits += a[i] >= 0;
        }
        scan->destroy(scan);
        acl->destroy(acl);
        fw_ruleset_free(rs);
    }
    assert_true(hits > 40 * 500 / 4); /* the keys do meet the rules */
}

static void firewall_compiles_from_acl_min_rules_on(void **state)
{
    (void)state;
    struct fw_opts o = {.conn_max = 64, .block_max = 16, .acl_min_rules = 3};
    struct e2_err err = {0};
    struct fw *fw = fw_create(&o, &err);
    assert_non_null(fw);
    assert_int_equal(fw_load_text(fw, "-A FORWARD -p udp -j DROP\n", "a", &err), 0);
    assert_int_equal(fw_set_builder(fw, fw_acl_build, &err), 0);
    assert_string_equal(fw_rules(fw)->cls->name, "scan");
    assert_int_equal(fw_load_text(fw,
                                  "-P FORWARD DROP\n-A FORWARD -p tcp --dport 22 -j DROP\n"
                                  "-A FORWARD -p udp -d 10.0.0.0/8 -j ACCEPT\n"
                                  "-A FORWARD -p tcp -j ACCEPT\n",
                                  "b", &err),
                     0);
    assert_string_equal(fw_rules(fw)->cls->name, "acl");
    struct fw_key k = {.dst_ip = 10u << 24, .proto = 17, .ports = true};
    int32_t r;
    fw_rules(fw)->cls->classify(fw_rules(fw)->cls, &k, 1, &r);
    assert_int_equal(r, 1);
    fw_free(fw);
}

int main(void)
{
    char lcores[32], prefix[64];
    cpu_set_t set;
    int cpu = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set)) cpu++;
    snprintf(lcores, sizeof(lcores), "--lcores=0@%d", cpu);
    snprintf(prefix, sizeof(prefix), "--file-prefix=test_fw_acl%d", (int)getpid());
    char *argv[] = {
        "test_fw_acl", lcores,           prefix, "--no-huge", "--no-shconf",
        "--no-pci",    "--no-telemetry", "-m",   "64",        "--log-level=lib.eal:error",
        NULL};
    if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
        fprintf(stderr, "test_fw_acl: cannot start the EAL\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acl_agrees_with_scan),
        cmocka_unit_test(firewall_compiles_from_acl_min_rules_on),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rte_eal_cleanup();
    return rc;
}
