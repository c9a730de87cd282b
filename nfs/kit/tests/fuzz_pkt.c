/*
 * Fuzz the frame parser and the rewrites on whatever it accepts: no read or
 * write outside the frame, and rewritten checksums stay consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_csum.h"
#include "e2_flowtab.h"
#include "e2_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 9000) return 0;
    uint8_t *f = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    memcpy(f, data, size);
    struct e2_pkt p, q;
    if (e2_pkt_parse(f, (uint32_t)size, &p) == E2_PKT_OK) {
        struct e2_flow_key k;
        e2_flow_key_of(&p, &k);
        (void)e2_flow_hash(&k);
        const uint8_t *ip = f + p.l3_off;
        bool ip_ok = e2_get16(ip + 10) == e2_ipv4_csum(ip, p.ihl);
        e2_pkt_set_endpoint(&p, true, 0x0a0b0c0d, 4242);
        e2_pkt_set_ttl(&p, 9);
        if (ip_ok && e2_get16(ip + 10) != e2_ipv4_csum(ip, p.ihl)) abort();
        if (p.proto == 1 && e2_pkt_parse_quoted(&p, &q) == E2_PKT_OK)
            e2_pkt_set_endpoint(&q, false, 0x01020304, 7);
    }
    free(f);
    return 0;
}
