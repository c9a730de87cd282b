/*
 * Fuzz the normalizer on arbitrary frames (every rule on, a TTL floor, a
 * small fragment table): no read or write outside the frame, and what
 * passes still parses with a right IPv4 header checksum when it had one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_csum.h"
#include "norm.h"

static struct norm *n;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 9000) return 0;
    if (!n) {
        struct norm_conf c;
        norm_conf_load(&c, "ttl-min 64\nfragments 16\nfrag-timeout 1ms\n", NULL, NULL);
        n = norm_create(&c, NULL);
    }
    uint8_t *f = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    memcpy(f, data, size);
    struct e2_pkt p;
    bool csum_ok = e2_pkt_parse(f, (uint32_t)size, &p) == E2_PKT_OK &&
                   e2_get16(f + p.l3_off + 10) == e2_ipv4_csum(f + p.l3_off, p.ihl);
    uint32_t len = (uint32_t)size, adv;
    static uint64_t now;
    if (norm_packet(n, f, &len, &adv, now += 100000) && csum_ok) {
        if (adv + len != size || e2_pkt_parse(f + adv, len, &p) != E2_PKT_OK) abort();
        if (e2_get16(f + adv + p.l3_off + 10) != e2_ipv4_csum(f + adv + p.l3_off, p.ihl)) abort();
    }
    norm_sweep(n, now);
    free(f);
    return 0;
}
