/* Fuzz the monitor's configuration reader: any text is read or refused, never crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mon_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct mon_conf c;
    struct e2_err err;
    if (mon_conf_load(&c, text, NULL, &err) == 0) {
        if (c.urls) (void)mon_url_lookup(c.urls, "example.com/login");
        mon_conf_free(&c);
    }
    free(text);
    return 0;
}
