/* Fuzz the rate limiter's configuration reader: any text is read or refused, never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct rl_conf c;
    struct e2_err err;
    (void)rl_conf_load(&c, text, NULL, &err);
    free(text);
    return 0;
}
