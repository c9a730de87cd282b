/*
 * Fuzz the rule-file reader: any text is parsed or refused with a message
 * naming FILE:LINE; what parses is compiled and classifies a key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct fw_ruleset *rs;
    struct e2_err err = {0};
    if (fw_ruleset_parse_text(text, "f.rules", &rs, &err) == 0) {
        struct fw_classifier *c;
        if (fw_scan_build(rs, &c, &err) == 0) {
            struct fw_key k = {.src_ip = 0x0a000001, .dst_port = 80, .proto = 6, .ports = true};
            int32_t r;
            c->classify(c, &k, 1, &r);
            if (r >= (int32_t)rs->n) abort();
            c->destroy(c);
        }
        fw_ruleset_free(rs);
    } else if (strncmp(err.msg, "f.rules:", 8) != 0) {
        abort();
    }
    free(text);
    return 0;
}
