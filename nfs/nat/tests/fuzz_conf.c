/*
 * Fuzz the NAT's configuration parser: any text is refused with a message
 * or gives a configuration a NAT can be made from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct nat_conf c;
    struct e2_err err = {0};
    if (!nat_conf_parse(text, "fuzz.conf", &c, &err)) {
        c.sessions = 16; /* keep each run small */
        struct nat *n = nat_create(&c, &err);
        if (!n) abort();
        nat_free(n);
    } else if (!err.msg[0]) {
        abort(); /* every refusal says why */
    }
    free(text);
    return 0;
}
