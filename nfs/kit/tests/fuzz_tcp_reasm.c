/*
 * Fuzz the reassembler: the input is a run of frames, each a 2-byte length
 * and the bytes, fed in order as one connection; the delivered stream must
 * stay contiguous and the memory bound must hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2_pkt.h"
#include "e2_tcp_reasm.h"

static uint64_t next_off[2];

static void on_data(void *ctx, void *flow, int dir, uint64_t off, const uint8_t *b, uint32_t n)
{
    (void)ctx, (void)flow, (void)b;
    if (off != next_off[dir]) abort();
    next_off[dir] += n;
}

static void on_event(void *ctx, void *flow, int dir, enum e2_tcp_event ev, uint64_t arg)
{
    (void)ctx, (void)flow;
    if (ev == E2_TCP_GAP) next_off[dir] += arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct e2_tcp_reasm_cb cb = {on_data, on_event, NULL};
    struct e2_tcp_reasm_opts o = {.max_flow_bytes = 3000, .max_window = 1 << 16};
    struct e2_tcp_reasm *r = e2_tcp_reasm_create(&cb, &o);
    struct e2_tcp_conn c = {0};
    next_off[0] = next_off[1] = 0;
    while (size >= 2) {
        size_t n = (size_t)(data[0] << 8 | data[1]);
        data += 2;
        size -= 2;
        if (n > size) n = size;
        uint8_t *f = malloc(n ? n : 1);
        memcpy(f, data, n);
        struct e2_pkt p;
        if (e2_pkt_parse(f, (uint32_t)n, &p) == E2_PKT_OK && p.proto == 6 && !p.is_frag)
            e2_tcp_reasm_segment(r, &c, NULL, &p);
        struct e2_tcp_reasm_stats st;
        e2_tcp_reasm_stats(r, &st);
        if (st.waiting_bytes > 2 * 3000) abort();
        free(f);
        data += n;
        size -= n;
    }
    e2_tcp_conn_release(r, &c);
    e2_tcp_reasm_free(r);
    return 0;
}
