#include "stream_msg.h"

#include <string.h>

_Static_assert(E2BS_DATA == E2_STREAM_DATA + 1 && E2BS_OPEN == E2_TCP_OPEN + 1 &&
                   E2BS_CLOSE == E2_TCP_CLOSE + 1 && E2BS_RESET == E2_TCP_RESET + 1 &&
                   E2BS_GAP == E2_TCP_GAP + 1 && E2BS_ANOMALY == E2_TCP_ANOMALY + 1,
               "message kinds are stream kinds plus one");

void stream_msg_hdr(const struct e2_stream *s, int dir, int kind, uint64_t arg, uint32_t len,
                    struct e2bs_hdr *h)
{
    *h = (struct e2bs_hdr){.magic = E2BS_MAGIC,
                           .kind = (uint8_t)(kind + 1),
                           .dir = (uint8_t)dir,
                           .len = len,
                           .conn = s->id,
                           .offset = arg,
                           .client_ip = s->client_ip,
                           .server_ip = s->server_ip,
                           .client_port = s->client_port,
                           .server_port = s->server_port};
}

int stream_msg_decode(const struct e2bs_hdr *h, const uint8_t *data, struct e2_stream_msg *m)
{
    if (h->magic != E2BS_MAGIC || h->kind > E2BS_ANOMALY || h->dir > 1) return -1;
    *m = (struct e2_stream_msg){.kind = (int)h->kind - 1,
                                .dir = h->dir,
                                .conn = h->conn,
                                .arg = h->offset,
                                .data = data,
                                .len = h->kind == E2BS_DATA ? h->len : 0,
                                .client_ip = h->client_ip,
                                .server_ip = h->server_ip,
                                .client_port = h->client_port,
                                .server_port = h->server_port};
    return 0;
}
