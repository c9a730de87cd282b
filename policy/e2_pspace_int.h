/* Inside e2_pspace: the variable layout shared by its source files. */
#ifndef E2_PSPACE_INT_H
#define E2_PSPACE_INT_H

#include "e2_filter_int.h"
#include "e2_pspace.h"

enum { PV_BYTE, PV_LEN, PV_ATTR, PV_CLASS };

/* What a BDD variable stands for: bit @bit (0 = most significant) of @what. */
struct e2_pspace_var {
    uint8_t kind;
    uint32_t what; /* PV_BYTE: frame offset; PV_ATTR: slot */
    uint32_t bit;  /* PV_ATTR: 0 is the present bit, then the code MSB first */
};

struct e2_pspace_slot {
    int32_t var;      /* present bit; the code follows; -1 until used */
    uint32_t width;   /* code bits */
    uint64_t n_codes; /* valid codes are 0 .. n_codes-1 */
};

struct e2_pspace {
    struct e2_bdd_mgr *m;
    const struct e2_attr_table *attrs;
    int32_t *byte_var; /* per frame offset: first of 8 variables, or -1 */
    uint32_t n_bytes;
    int32_t len_var; /* 32 variables, MSB first, or -1 */
    struct e2_pspace_slot *slots;
    int32_t class_var; /* MSB first, or -1 */
    uint32_t class_width, n_classes;
    struct e2_pspace_var *var_kind;
    struct e2_err *err;
    int fixed_ihl; /* while translating a relation: the IHL assumed, or -1 */
    bool oom;
};

int32_t e2_pspace_byte(struct e2_pspace *ps, uint32_t off);
int32_t e2_pspace_new_vars(struct e2_pspace *ps, uint32_t n, uint8_t kind, uint32_t what);
int e2_pspace_ir(struct e2_pspace *ps, const struct e2_filter *f, int32_t i, e2_bdd *out);
int e2_pspace_attr_term(struct e2_pspace *ps, const struct e2_ir *n, e2_bdd *out);

/* Unsigned comparison of the @width variables from @first (MSB first) with @c. */
e2_bdd e2_pspace_vars_cmp(struct e2_pspace *ps, uint32_t first, uint32_t width, uint64_t c,
                          int op /* -1 <=, 0 ==, 1 >= */);

#endif
