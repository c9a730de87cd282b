/*
 * Fuzz the HTTP parser: the input is cut into messages for both directions
 * of a few connections (each piece: one control byte, then data), with
 * gaps, closes and resets, so any bytes meet every parser state. No crash,
 * no leak, and no more log lines than requests.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http h;
    FILE *log = fopen("/dev/null", "w");
    http_init(&h, log);
    struct e2_streams_opts o = {.capacity = 16, .user_size = sizeof(struct http_conn_ref)};
    struct e2_streams_cb cb = {http_on_data, http_on_event, http_on_release, &h};
    struct e2_streams *t = e2_streams_create(&o, &cb, NULL);
    uint64_t off[4][2] = {{0}};
    while (t && size > 0) {
        uint8_t ctl = data[0];
        size_t n = 1 + (ctl >> 3 & 7) * 9;
        if (n > size - 1) n = size - 1;
        unsigned conn = ctl & 3;
        int dir = ctl >> 2 & 1;
        struct e2_stream_msg m = {.kind = E2_STREAM_DATA,
                                  .dir = dir,
                                  .conn = conn + 1,
                                  .arg = off[conn][dir],
                                  .data = data + 1,
                                  .len = (uint32_t)n,
                                  .client_ip = 1,
                                  .server_ip = 2,
                                  .client_port = (uint16_t)(1000 + conn),
                                  .server_port = 80};
        if (ctl >> 6 == 3 && n) { /* an event instead, its kind from the next byte */
            m.kind = data[1] % 5;
            m.arg = data[1] >> 3;
            m.len = 0;
        }
        e2_streams_message(t, &m, 1);
        off[conn][dir] += m.len;
        data += 1 + n;
        size -= 1 + n;
    }
    e2_streams_free(t);
    /* every log line is a request, answered or not */
    if (h.st.logged > h.st.requests || h.st.unanswered > h.st.requests) abort();
    if (log) fclose(log);
    return 0;
}
