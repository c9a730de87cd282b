/*
 * Fuzz the NAT's packet path: the input is a sequence of frames (a 2-byte
 * length before each), given to one NAT in turn so that later frames meet
 * the mappings, sessions and ICMP-error lookups earlier ones made. Nothing
 * may be read or written outside a frame, and a translated frame whose IP
 * header checksum was right keeps it right.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_csum.h"
#include "nat.h"

static struct nat *nat_once(void)
{
    static struct nat *n;
    if (n) return n;
    struct nat_conf c;
    if (nat_conf_parse("inside 10.0.0.0/8\npublic 192.0.2.0/30 ports 1000-1100\n"
                       "filtering endpoint-independent\nsessions 64\n",
                       "fuzz", &c, NULL))
        abort();
    return n = nat_create(&c, NULL);
}

static bool ip_csum_ok(uint8_t *f, uint32_t len)
{
    struct e2_pkt p;
    return e2_pkt_parse(f, len, &p) == E2_PKT_OK &&
           e2_get16(f + p.l3_off + 10) == e2_ipv4_csum(f + p.l3_off, p.ihl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nat *n = nat_once();
    uint64_t now = 0;
    while (size >= 2) {
        uint32_t len = e2_get16(data) % 2048;
        data += 2;
        size -= 2;
        if (len > size) len = (uint32_t)size;
        uint8_t *f = malloc(len ? len : 1); /* exact size: ASan sees any overrun */
        memcpy(f, data, len);
        bool ok = ip_csum_ok(f, len);
        if (nat_process(n, f, len, now) == NAT_FORWARD && ok && !ip_csum_ok(f, len)) abort();
        free(f);
        data += len;
        size -= len;
        now += 7000000000ull; /* 7 s a frame: timeouts happen within an input */
        nat_tick(n, now);
    }
    return 0;
}
