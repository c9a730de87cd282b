/*
 * Fuzz the packet path: any frame, as plaintext or as ESP to the gateway,
 * is encrypted, decrypted or dropped and counted, never read or written
 * outside its buffer (the frame sits at the end of its own allocation so
 * ASan sees an overrun; the headroom in front is the buffer's own).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn.h"

#define HEAD 64

static const char conf[] =
    "sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key "
    "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324 "
    "match 10.2.0.0/24\n"
    "sa in spi 0x2001 src 192.0.2.2 dst 192.0.2.1 key "
    "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324 "
    "match 10.2.0.0/24 window 32\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vpn v;
    if (!v.db && vpn_load_text(&v, conf, "fuzz", NULL)) abort();
    if (size > 4000) return 0;
    /* tailroom: what encapsulation may add; the frame then ends the allocation */
    size_t tail = VPN_TUNNEL_OVERHEAD;
    uint8_t *mem = malloc(HEAD + size + tail);
    memcpy(mem + HEAD, data, size);
    struct vpn_frame f = {mem + HEAD, (uint32_t)size, HEAD, (uint32_t)tail};
    enum vpn_action a = vpn_process(&v, &f);
    if (a != VPN_DROP && (f.data < mem || f.data + f.len + f.tailroom != mem + HEAD + size + tail))
        abort();
    free(mem);
    return 0;
}
