/*
 * Fuzz NSHDecap's parser (and OVS's flow extraction, which reads the same untrusted frames):
 * any bytes must parse or be refused without a read past them, and whatever parses must come
 * back the same after E2 writes its header again.
 *
 *   CC=clang cmake -S . -B build-fuzz -DE2_FUZZ=ON && cmake --build build-fuzz --target fuzz
 *   mkdir -p /tmp/corpus && build-fuzz/common/fuzz_nsh -max_total_time=600 /tmp/corpus
 * common/tests/seeds_nsh
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_nsh.h"
#include "e2/ovs_hash.h"

static void hash_all(const uint8_t *frame, size_t len)
{
    struct e2_ovs_flow f;
    e2_ovs_flow_extract(frame, len, &f);
    for (int s = 0; s < E2_OVS_HASH_N; s++)
        (void)e2_ovs_flow_hash(&f, (enum e2_ovs_hash_fields)s, 0);
}

/* E2 writes what it parsed; parsing that must give the same header (other TLVs dropped). */
static void rewrite(const struct e2_nsh *h)
{
    uint8_t p[E2_NSH_HDR_MAX];
    size_t n = e2_nsh_write(p, h->spi, h->si, h->ttl, &h->md);
    struct e2_nsh back;
    if (e2_nsh_parse(p, n, &back) != E2_NSH_OK || back.spi != h->spi || back.si != h->si ||
        back.ttl != h->ttl || back.len != n || back.skipped ||
        memcmp(&back.md, &h->md, sizeof(back.md)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 9000) return 0;
    uint8_t *f = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    memcpy(f, data, size);
    struct e2_nsh h;
    enum e2_nsh_bad bad = e2_nsh_parse_frame(f, size, &h);
    if (bad == E2_NSH_OK) {
        size_t inner = E2_NSH_ETH_LEN + h.len;
        if (inner + E2_NSH_ETH_LEN > size) abort();
        rewrite(&h);
        hash_all(f + inner, size - inner);
    } else if (bad >= E2_NSH_BAD_N) {
        abort();
    }
    hash_all(f, size);
    free(f);
    return 0;
}
