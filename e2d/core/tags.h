/*
 * Metadata tag names. A packet carries E2_META_TAGS tag slots (meta.h); the
 * control plane gives each NF attribute that travels as metadata ("FW.safe",
 * "IDS.verdict", "prio") a slot by name, and everything that reads or writes
 * tags — MetadataMatch rules, native NFs through libe2nf — resolves the name
 * once. Control thread only.
 */
#ifndef E2_TAGS_H
#define E2_TAGS_H

#include <jansson.h>

#include "e2_err.h"

#define E2_TAG_NAME_MAX 64

/**
 * Give tag @name a slot: @slot, or the first free one when @slot is -1.
 * Defining a name again with the same slot (or -1) is fine and returns it.
 * Returns the slot or a negative errno (no free slot, slot taken, bad name).
 */
int e2_tag_define(const char *name, int slot, struct e2_err *err);

/** Forget tag @name. */
int e2_tag_undefine(const char *name, struct e2_err *err);

/** The slot of tag @name, or -1 with @err filled. */
int e2_tag_slot(const char *name, struct e2_err *err);

/** [{name, slot}, ...] */
json_t *e2_tags_describe(void);

/** Forget every tag (shutdown, tests). */
void e2_tags_clear(void);

#endif
