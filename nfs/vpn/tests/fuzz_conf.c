/* Fuzz the SA file reader: any text is refused with a message or loaded; never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct vpn v = {0};
    struct e2_err err = {0};
    vpn_load_text(&v, text, "fuzz.conf", &err);
    vpn_load_text(&v, text, "fuzz.conf", &err); /* a reload over itself keeps state */
    vpn_free(&v);
    free(text);
    return 0;
}
