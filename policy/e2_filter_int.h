/*
 * Inside e2_filter: tokens, the syntax tree the parser builds (kept for
 * canonical printing), and the lowered program (IR) that the evaluator and
 * the BDD builder both run, so they cannot disagree about what a primitive
 * means. Not a public interface.
 */
#ifndef E2_FILTER_INT_H
#define E2_FILTER_INT_H

#include "e2_filter.h"

/* ---- tokens ---- */

enum e2_tok_kind {
    T_EOF,
    T_NUM,
    T_HID,
    T_HID6,
    T_EID,
    T_ID,
    T_STR,
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COLON,
    T_AND,
    T_OR,
    T_NOT,
    T_GT,
    T_GE,
    T_EQ,
    T_LT,
    T_LE,
    T_NE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_MOD,
    T_AMP,
    T_PIPE,
    T_CARET,
    T_LSH,
    T_RSH,
    /* keywords */
    K_SRC,
    K_DST,
    K_HOST,
    K_NET,
    K_MASK,
    K_PORT,
    K_PORTRANGE,
    K_PROTO,
    K_LESS,
    K_GREATER,
    K_LEN,
    K_BROADCAST,
    K_MULTICAST,
    K_VLAN,
    K_TOS,
    /* protocol names (pname), in enum e2_pq order */
    K_LINK,
    K_IP,
    K_IP6,
    K_ARP,
    K_RARP,
    K_TCP,
    K_UDP,
    K_SCTP,
    K_ICMP,
    K_ICMP6,
    K_IGMP,
    K_UNSUPPORTED, /* a libpcap keyword E2 does not implement */
};

struct e2_tok {
    enum e2_tok_kind kind;
    int line, col;
    uint32_t num;     /* T_NUM */
    const char *s;    /* start in the source text */
    size_t len;       /* length in the source text */
    char *text;       /* T_ID, T_HID, T_HID6, T_EID, T_STR: the value (owned) */
    uint8_t addr[16]; /* T_HID6: address; T_EID: MAC in addr[0..5] */
};

struct e2_toks {
    struct e2_tok *v;
    size_t n;
};

/** Split @text into tokens ending with T_EOF. Errors carry FILE:LINE:COL. */
int e2_filter_lex(const char *text, size_t len, const struct e2_filter_src *src,
                  struct e2_toks *out, struct e2_err *err);
void e2_toks_free(struct e2_toks *t);

/* ---- syntax tree ---- */

/* Protocol qualifier: DEFAULT, then the pnames in keyword order. */
enum e2_pq {
    PQ_DEFAULT,
    PQ_LINK,
    PQ_IP,
    PQ_IP6,
    PQ_ARP,
    PQ_RARP,
    PQ_TCP,
    PQ_UDP,
    PQ_SCTP,
    PQ_ICMP,
    PQ_ICMP6,
    PQ_IGMP,
    PQ_COUNT
};
enum e2_dq { DQ_DEFAULT, DQ_SRC, DQ_DST, DQ_OR, DQ_AND };
enum e2_aq { AQ_DEFAULT, AQ_HOST, AQ_NET, AQ_PORT, AQ_PORTRANGE, AQ_PROTO };

/* Keyword of each protocol qualifier ("" for PQ_DEFAULT). */
extern const char *const e2_pq_names[PQ_COUNT];

struct e2_qual {
    uint8_t pq, dq, aq;
    bool valid;   /* false after a term that sets no qualifiers (pcap's qerr) */
    bool e2_addr; /* E2's `dst ip VALUE`: host or net follows from the value */
};

enum e2_relop { REL_EQ, REL_NE, REL_GT, REL_GE, REL_LT, REL_LE };

enum e2_ast_kind {
    A_AND,
    A_OR,
    A_NOT,
    A_HOST4,  /* pq dq, addr/mask (host or net) */
    A_HOST6,  /* pq dq, addr6/prefix */
    A_EHOST,  /* dq, mac */
    A_PORT,   /* pq dq, lo..hi (a port is lo == hi unless is_range) */
    A_PROTO,  /* pq, num */
    A_ABBREV, /* pq alone: tcp, ip6 ... */
    A_VLAN,   /* has_num, num */
    A_BCAST,  /* pq */
    A_MCAST,  /* pq */
    A_LESS,
    A_GREATER, /* num */
    A_REL,     /* relop, arith a, b */
    A_ATTR,    /* slot, relop, value */
};

enum e2_arith_kind { AR_NUM, AR_LEN, AR_LOAD, AR_BIN, AR_NEG };

struct e2_arith {
    enum e2_arith_kind kind;
    char op;                /* AR_BIN: + - * / % & | ^ < (shift left) > (shift right) */
    uint8_t pq;             /* AR_LOAD: protocol */
    uint8_t size;           /* AR_LOAD: 1, 2, 4 */
    uint32_t num;           /* AR_NUM */
    struct e2_arith *a, *b; /* AR_LOAD: a = index; AR_BIN: operands; AR_NEG: a */
};

struct e2_ast {
    enum e2_ast_kind kind;
    struct e2_qual q;
    bool is_range, has_num, is_bool;
    uint8_t relop;
    uint32_t num, lo, hi;    /* A_PROTO/A_VLAN/A_LESS/A_GREATER num; A_PORT lo, hi */
    uint32_t addr4, mask4;   /* A_HOST4 */
    uint8_t addr6[16];       /* A_HOST6 */
    unsigned prefix6;        /* A_HOST6 */
    uint8_t mac[6];          /* A_EHOST */
    struct e2_ast *l, *r;    /* A_AND/A_OR: both; A_NOT: l */
    struct e2_arith *a, *b;  /* A_REL */
    unsigned slot;           /* A_ATTR */
    char *ref;               /* A_ATTR: "FW.safe" as printed */
    int64_t val;             /* A_ATTR: bool/int value */
    char *str;               /* A_ATTR: string value */
    enum e2_attr_type atype; /* A_ATTR */
};

void e2_ast_free(struct e2_ast *a);
void e2_arith_free(struct e2_arith *a);

/** Parse tokens into a tree (NULL for an empty filter). */
int e2_filter_parse_toks(const struct e2_toks *t, const struct e2_filter_src *src,
                         const struct e2_filter_scope *scope, struct e2_ast **out,
                         struct e2_err *err);

/* ---- lowered program ---- */

enum e2_ir_kind { IR_TRUE, IR_FALSE, IR_AND, IR_OR, IR_NOT, IR_CMP, IR_REL, IR_ATTR };

/* Comparison of a loaded value x with k (IR_CMP) or of two arith values (IR_REL). */
enum e2_cmp_op { CMP_EQ, CMP_GT, CMP_GE, CMP_SET /* (x & k) != 0 */ };

enum e2_base {
    BASE_ABS, /* frame offset off */
    BASE_L4,  /* off + 4 * (frame[nh] & 0xf): the IPv4 transport header */
    BASE_LEN, /* not a load: the wire length */
};

struct e2_ir {
    uint8_t kind, op, size, base; /* CMP: size in bytes 1/2/4 */
    uint16_t nh;                  /* BASE_L4: offset of the IPv4 header */
    uint32_t off, mask, k;        /* CMP: ((load & mask) op k) */
    int32_t a, b;                 /* AND/OR: children; NOT: a; REL: arith roots */
    uint32_t slot;                /* ATTR */
    uint8_t relop, atype;         /* ATTR */
    int64_t v;                    /* ATTR value (bool/int) */
    const char *str;              /* ATTR string value (points into the AST) */
};

struct e2_ir_arith {
    uint8_t kind, op, size, base; /* AR_*; AR_LOAD: size, base (ABS or L4) */
    uint16_t nh;
    uint32_t k;   /* AR_NUM value; AR_LOAD constant offset */
    int32_t a, b; /* AR_LOAD: a = index; AR_BIN: a, b; AR_NEG: a */
};

/*
 * The program the evaluator runs: the IR's tests (CMP, REL, ATTR) laid out
 * with BPF-style jumps, so and/or/not cost no recursion. Targets >= 0 are
 * instructions; PROG_MATCH and PROG_NO_MATCH end the run.
 */
#define PROG_MATCH    (-1)
#define PROG_NO_MATCH (-2)

struct e2_insn {
    int32_t ir;     /* the test: an IR_CMP, IR_REL or IR_ATTR node */
    int32_t jt, jf; /* next instruction when the test holds / fails */
};

struct e2_filter {
    struct e2_ast *ast; /* NULL: empty filter */
    struct e2_ir *ir;
    size_t n_ir;
    struct e2_ir_arith *ar;
    size_t n_ar;
    int32_t root;
    struct e2_insn *prog;
    size_t n_prog;
    int32_t entry; /* first instruction, or PROG_MATCH / PROG_NO_MATCH */
    bool has_attrs;
};

/** Lower the tree into f->ir / f->ar (libpcap 1.10 DLT_EN10MB semantics). */
int e2_filter_lower(struct e2_filter *f, const struct e2_filter_src *src, struct e2_err *err);

/** Lay the IR out as f->prog (after lowering). 0 or -ENOMEM. */
int e2_filter_link(struct e2_filter *f);

/** Run the program: 1 match, 0 no match, -1 abort (a load beyond caplen, a division by 0). */
int e2_filter_run(const struct e2_filter *f, const uint8_t *p, uint32_t caplen, uint32_t wirelen,
                  const struct e2_filter_env *env);

/** One test (IR_CMP, IR_REL or IR_ATTR node @i): 1, 0 or -1 as above. */
int e2_ir_test(const struct e2_filter *f, int32_t i, const uint8_t *p, uint32_t caplen,
               uint32_t wirelen, const struct e2_filter_env *env);

#endif
