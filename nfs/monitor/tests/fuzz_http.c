/*
 * Fuzz what the monitor reads from packet payloads: the HTTP request's URL
 * and the application class. Exact-size buffers, so ASan sees any overread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    char url[64];
    size_t n = mon_http_url(p, size, url, sizeof(url));
    if (n >= sizeof(url) || (n && strlen(url) != n)) abort();
    (void)mon_app_of_payload(p, size, MON_APP_OTHER);
    (void)mon_app_of_payload(p, size, MON_APP_DNS);
    free(p);
    return 0;
}
