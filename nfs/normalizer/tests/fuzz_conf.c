/* Fuzz the normalizer's configuration reader: any text is read or refused, never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct norm_conf c;
    struct e2_err err;
    (void)norm_conf_load(&c, text, NULL, &err);
    free(text);
    return 0;
}
