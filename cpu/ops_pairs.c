/* SPDX-License-Identifier: MIT */
/* Pair superinstructions chosen by counting executed handler pairs (see
 * docs/PERFORMANCE.md, "Fourth step: pairs by count"): a compare or test
 * with a memory operand (or of 8-bit registers, or TEST with an immediate),
 * SUB r32, m32, register ADD/SUB/AND and DEC/INC m32, each followed by a
 * Jcc; and runs of PUSH r32 (also into a CALL rel32) or POP r32 (also into
 * a RET). Two simple straight-line instructions (MOV/LEA/MOVZX/ALU) were
 * tried too and did not measure faster: saving a dispatch alone does not
 * pay, saving the Jcc's reading of the lazy flags does.
 * Decided at decode time like the register pairs of cpu/ops_fused.c
 * (insn_fuse calls pairs_fuse), and traced the same way (pairs_unfused).
 *
 * A memory operand makes the pair exact only on its fast path: the fused
 * handler does the first instruction's access through cpu_fast_ptr (the
 * segment and TLB checks of the single handlers), and when that misses it
 * runs the first instruction alone, by the general path that faults with
 * EIP on it and nothing changed, and goes on to in[1]'s own handler. A
 * fast-path write cannot hit a page holding decoded code (such pages are
 * slow in the write TLB), so a block never runs on past its own
 * invalidation inside a fused handler. */
#include "cpu/mem_access.h"
#include "cpu/ops_fused.h"

/* The first instructions of a compare-and-branch pair. */
enum {
    /* with a memory operand */
    P_CMP_M_R8,    /* 38 /r: CMP m8, r8 */
    P_CMP_M_R32,   /* 39 /r: CMP m32, r32 */
    P_CMP_R_M8,    /* 3A /r: CMP r8, m8 */
    P_CMP_R_M32,   /* 3B /r: CMP r32, m32 */
    P_CMP_M_I8,    /* 80 /7: CMP m8, imm8 */
    P_CMP_M_I32,   /* 81 /7, 83 /7: CMP m32, imm */
    P_TEST_M_R8,   /* 84 /r: TEST m8, r8 */
    P_TEST_M_R32,  /* 85 /r: TEST m32, r32 */
    P_TEST_M_I8,   /* F6 /0: TEST m8, imm8 */
    P_TEST_M_I32,  /* F7 /0: TEST m32, imm32 */
    P_DEC_M32,     /* FF /1: DEC m32 */
    P_INC_M32,     /* FF /0: INC m32 */
    P_SUB_R_M32,   /* 2B /r: SUB r32, m32 */
    /* registers only (CMP/TEST r32, r/m32 and CMP r32, imm are cpu/ops_fused.c's) */
    P_CMP_RM_R8,   /* 38 /r, mod 3 */
    P_CMP_R_RM8,   /* 3A /r, mod 3 */
    P_CMP_RM_I8,   /* 80 /7, mod 3 */
    P_CMP_AL_I8,   /* 3C */
    P_TEST_RM_R8,  /* 84 /r, mod 3 */
    P_TEST_RM_I8,  /* F6 /0, mod 3 */
    P_TEST_AL_I8,  /* A8 */
    P_TEST_RM_I32, /* F7 /0, mod 3 */
    P_TEST_EAX_I32, /* A9 */
    P_CMP_RM_I16,  /* 81 /7, 83 /7, mod 3, 16-bit operand size */
    P_ADD_RM_R32,  /* 01 /r, mod 3 */
    P_SUB_RM_R32,  /* 29 /r, mod 3 */
    P_AND_RM_R32,  /* 21 /r, mod 3 */
    P_ADD_RM_I32,  /* 81 /0, 83 /0, mod 3 */
    P_SUB_RM_I32,  /* 81 /5, 83 /5, mod 3 */
    P_AND_RM_I32,  /* 81 /4, 83 /4, mod 3 */
    P_FORMS
};

/* The traits of a form (constants inside the handlers). */
static inline unsigned form_width(unsigned form)
{
    switch (form) {
    case P_CMP_M_R32: case P_CMP_R_M32: case P_CMP_M_I32: case P_TEST_M_R32:
    case P_TEST_M_I32: case P_DEC_M32: case P_INC_M32: case P_TEST_RM_I32:
    case P_TEST_EAX_I32: case P_SUB_R_M32: case P_ADD_RM_R32: case P_SUB_RM_R32:
    case P_AND_RM_R32: case P_ADD_RM_I32: case P_SUB_RM_I32: case P_AND_RM_I32:
        return 4;
    case P_CMP_RM_I16:
        return 2;
    default:
        return 1;
    }
}

static inline bool form_has_mem(unsigned form)
{
    return form <= P_SUB_R_M32;
}

static inline bool form_writes(unsigned form)
{
    return form == P_DEC_M32 || form == P_INC_M32;
}

/* ======== the first instruction's work ======== */

static inline uint32_t trunc_w(uint32_t v, unsigned w)
{
    return w == 4 ? v : w == 2 ? v & 0xFFFFu : v & 0xFFu;
}

static inline uint32_t load_w(const uint8_t *p, unsigned w)
{
    return w == 4 ? load_le32(p) : *p;
}

static inline uint32_t lf_width(unsigned w)
{
    return w == 4 ? LF_W32 : w == 2 ? LF_W16 : LF_W8;
}

/* a - b at width w: the lazy flags of CMP, and whether cc holds after it. */
static inline bool sub_w(Cpu *cpu, uint32_t a, uint32_t b, unsigned w, unsigned cc)
{
    unsigned top = 8 * w - 1;
    uint32_t r = trunc_w(a - b, w);
    flags_lazy(cpu, LF_SUB | lf_width(w), a, b, r);
    return cc_holds(cc, a < b, r == 0, (r >> top) & 1, (((a ^ b) & (a ^ r)) >> top) & 1, r);
}

static inline bool test_w(Cpu *cpu, uint32_t r, unsigned w, unsigned cc)
{
    flags_lazy(cpu, LF_LOGIC | lf_width(w), 0, 0, r);
    return cc_holds(cc, false, r == 0, (r >> (8 * w - 1)) & 1, false, r);
}

/* *dst = *dst op b (ADD, SUB or AND) with the ALU family's lazy flags. */
enum { ALU_ADD, ALU_SUB, ALU_AND };

static inline bool alu_w32(Cpu *cpu, uint32_t *dst, uint32_t b, unsigned op, unsigned cc)
{
    uint32_t a = *dst, r, kind;
    bool cf, of;
    if (op == ALU_ADD) {
        r = a + b;
        cf = r < a;
        of = (~(a ^ b) & (a ^ r)) >> 31;
        kind = LF_ADD;
    } else if (op == ALU_SUB) {
        r = a - b;
        cf = a < b;
        of = ((a ^ b) & (a ^ r)) >> 31;
        kind = LF_SUB;
    } else {
        r = a & b;
        cf = of = false;
        kind = LF_LOGIC;
    }
    *dst = r;
    flags_lazy(cpu, kind | LF_W32, a, b, r);
    return cc_holds(cc, cf, r == 0, r >> 31, of, r);
}

/* DEC/INC m32 once its new value r is stored: CF kept. */
static inline bool incdec_w(Cpu *cpu, uint32_t a, uint32_t r, bool dec, unsigned cc)
{
    bool cf = flags_get_cf_inline(cpu);
    flags_lazy_aux(cpu, (dec ? LF_DEC : LF_INC) | LF_W32, a, 1, r, cf);
    bool of = dec ? a == 0x80000000u : a == 0x7FFFFFFFu;
    return cc_holds(cc, cf, r == 0, r >> 31, of, r);
}

/* The new value a DEC/INC form stores. */
static inline uint32_t form_store_value(unsigned form, uint32_t m)
{
    return form == P_DEC_M32 ? m - 1 : m + 1;
}

/* The flags of form with memory operand m (0 for register forms); whether
 * cc holds after them. */
static inline __attribute__((always_inline)) bool form_flags(Cpu *cpu, const Insn *in,
                                                          unsigned form, uint32_t m, unsigned cc)
{
    unsigned w = form_width(form);
    uint32_t rg = w == 4 ? cpu->gpr[in->reg] : reg8_get(cpu, in->reg);
    uint32_t imm = trunc_w(in->imm, w);
    switch (form) {
    case P_CMP_M_R8: case P_CMP_M_R32: return sub_w(cpu, m, rg, w, cc);
    case P_CMP_R_M8: case P_CMP_R_M32: return sub_w(cpu, rg, m, w, cc);
    case P_CMP_M_I8: case P_CMP_M_I32: return sub_w(cpu, m, imm, w, cc);
    case P_TEST_M_R8: case P_TEST_M_R32: return test_w(cpu, m & rg, w, cc);
    case P_TEST_M_I8: case P_TEST_M_I32: return test_w(cpu, m & imm, w, cc);
    case P_DEC_M32: return incdec_w(cpu, m, m - 1, true, cc);
    case P_INC_M32: return incdec_w(cpu, m, m + 1, false, cc);
    case P_CMP_RM_R8: return sub_w(cpu, reg8_get(cpu, in->rm), rg, 1, cc);
    case P_CMP_R_RM8: return sub_w(cpu, rg, reg8_get(cpu, in->rm), 1, cc);
    case P_CMP_RM_I8: return sub_w(cpu, reg8_get(cpu, in->rm), imm, 1, cc);
    case P_CMP_AL_I8: return sub_w(cpu, reg8_get(cpu, R_EAX), imm, 1, cc);
    case P_TEST_RM_R8: return test_w(cpu, reg8_get(cpu, in->rm) & rg, 1, cc);
    case P_TEST_RM_I8: return test_w(cpu, reg8_get(cpu, in->rm) & imm, 1, cc);
    case P_TEST_AL_I8: return test_w(cpu, reg8_get(cpu, R_EAX) & imm, 1, cc);
    case P_TEST_RM_I32: return test_w(cpu, cpu->gpr[in->rm] & imm, 4, cc);
    case P_CMP_RM_I16: return sub_w(cpu, reg16_get(cpu, in->rm), imm, 2, cc);
    case P_SUB_R_M32: return alu_w32(cpu, &cpu->gpr[in->reg], m, ALU_SUB, cc);
    case P_ADD_RM_R32: return alu_w32(cpu, &cpu->gpr[in->rm], rg, ALU_ADD, cc);
    case P_SUB_RM_R32: return alu_w32(cpu, &cpu->gpr[in->rm], rg, ALU_SUB, cc);
    case P_AND_RM_R32: return alu_w32(cpu, &cpu->gpr[in->rm], rg, ALU_AND, cc);
    case P_ADD_RM_I32: return alu_w32(cpu, &cpu->gpr[in->rm], imm, ALU_ADD, cc);
    case P_SUB_RM_I32: return alu_w32(cpu, &cpu->gpr[in->rm], imm, ALU_SUB, cc);
    case P_AND_RM_I32: return alu_w32(cpu, &cpu->gpr[in->rm], imm, ALU_AND, cc);
    default: return test_w(cpu, cpu->gpr[R_EAX] & imm, 4, cc);
    }
}

/* ======== the first instruction alone ========
 * The general path: cpu_read/cpu_write fault with EIP on the instruction,
 * before anything is changed (DEC/INC store before their flags). */
static inline __attribute__((always_inline)) const Insn *form_alone(Cpu *cpu, const Insn *in,
                                                                 unsigned form)
{
    uint32_t m = 0;
    if (form_has_mem(form)) {
        uint32_t off = insn_ea(cpu, in);
        m = form_width(form) == 4 ? cpu_read32(cpu, in->seg, off) : cpu_read8(cpu, in->seg, off);
        if (form_writes(form))
            cpu_write32(cpu, in->seg, off, form_store_value(form, m));
    }
    (void)form_flags(cpu, in, form, m, 0);
    return insn_next(cpu, in);
}

#define ALONE(form) \
    static __attribute__((noinline)) const Insn *alone_##form(Cpu *cpu, const Insn *in) \
    {                                                                                   \
        return form_alone(cpu, in, form);                                               \
    }
/* Every form, for the tables below. */
#define FORM_LIST(X) \
    X(P_CMP_M_R8) X(P_CMP_M_R32) X(P_CMP_R_M8) X(P_CMP_R_M32) X(P_CMP_M_I8) X(P_CMP_M_I32) \
    X(P_TEST_M_R8) X(P_TEST_M_R32) X(P_TEST_M_I8) X(P_TEST_M_I32) X(P_DEC_M32) X(P_INC_M32) \
    X(P_SUB_R_M32) X(P_CMP_RM_R8) X(P_CMP_R_RM8) X(P_CMP_RM_I8) X(P_CMP_AL_I8) \
    X(P_TEST_RM_R8) X(P_TEST_RM_I8) X(P_TEST_AL_I8) X(P_TEST_RM_I32) X(P_TEST_EAX_I32) \
    X(P_CMP_RM_I16) X(P_ADD_RM_R32) X(P_SUB_RM_R32) X(P_AND_RM_R32) X(P_ADD_RM_I32) \
    X(P_SUB_RM_I32) X(P_AND_RM_I32)

FORM_LIST(ALONE)

#define ALONE_ENTRY(form) [form] = alone_##form,
static const InsnFn alone_handlers[P_FORMS] = { FORM_LIST(ALONE_ENTRY) };

/* ======== the pair ======== */

static inline __attribute__((always_inline)) const Insn *form_branch(Cpu *cpu, const Insn *in,
                                                                  unsigned form, unsigned cc)
{
    uint32_t m = 0;
    if (form_has_mem(form)) {
        unsigned w = form_width(form);
        const SegCache *s = &cpu->seg[in->seg];
        uint32_t off = insn_ea(cpu, in);
        uint8_t *p = cpu_fast_ptr(s, cpu->tlb_read, off, w, SEG_ACC_READ);
        /* A read-modify-write needs the write side too. */
        uint8_t *q = form_writes(form) ? cpu_fast_ptr(s, cpu->tlb_write, off, w, SEG_ACC_WRITE) : p;
        if (unlikely(!p || !q))
            return alone_handlers[form](cpu, in);
        m = load_w(p, w);
        if (form_writes(form))
            store_le32(q, form_store_value(form, m));
    }
    return fused_branch(cpu, in, form_flags(cpu, in, form, m, cc));
}

#define PAIR(form, cc)                                                  \
    static __attribute__((flatten)) const Insn *pair_##form##_##cc(Cpu *cpu, const Insn *in) \
    {                                                                   \
        return form_branch(cpu, in, form, cc);                          \
    }
#define PAIR_ALL(form)                                                                    \
    PAIR(form, 0) PAIR(form, 1) PAIR(form, 2) PAIR(form, 3) PAIR(form, 4) PAIR(form, 5)   \
    PAIR(form, 6) PAIR(form, 7) PAIR(form, 8) PAIR(form, 9) PAIR(form, 10)                \
    PAIR(form, 11) PAIR(form, 12) PAIR(form, 13) PAIR(form, 14) PAIR(form, 15)
#define PAIR_ROW(form)                                                                  \
    [form] = { pair_##form##_0, pair_##form##_1, pair_##form##_2, pair_##form##_3,      \
               pair_##form##_4, pair_##form##_5, pair_##form##_6, pair_##form##_7,      \
               pair_##form##_8, pair_##form##_9, pair_##form##_10, pair_##form##_11,    \
               pair_##form##_12, pair_##form##_13, pair_##form##_14, pair_##form##_15 }

FORM_LIST(PAIR_ALL)

#define PAIR_ENTRY(form) PAIR_ROW(form),
static const InsnFn pair_handlers[P_FORMS][16] = { FORM_LIST(PAIR_ENTRY) };

/* ======== which instructions pair ======== */

/* A first instruction: opcode, ModRM.reg for group opcodes (or -1),
 * whether it needs the 32-bit operand size, and its memory and register
 * forms (-1: none). */
typedef struct PairFirst {
    uint16_t opcode;
    int8_t group_reg;
    bool op32;
    int8_t mem_form, reg_form;
} PairFirst;

static const PairFirst pair_firsts[] = {
    { 0x38, -1, false, P_CMP_M_R8, P_CMP_RM_R8 },
    { 0x39, -1, true, P_CMP_M_R32, -1 },
    { 0x3A, -1, false, P_CMP_R_M8, P_CMP_R_RM8 },
    { 0x3B, -1, true, P_CMP_R_M32, -1 },
    { 0x3C, -1, false, -1, P_CMP_AL_I8 },
    { 0x80, 7, false, P_CMP_M_I8, P_CMP_RM_I8 },
    { 0x81, 7, true, P_CMP_M_I32, -1 },
    { 0x83, 7, true, P_CMP_M_I32, -1 },
    { 0x01, -1, true, -1, P_ADD_RM_R32 },
    { 0x29, -1, true, -1, P_SUB_RM_R32 },
    { 0x21, -1, true, -1, P_AND_RM_R32 },
    { 0x2B, -1, true, P_SUB_R_M32, -1 },
    { 0x81, 0, true, -1, P_ADD_RM_I32 },
    { 0x83, 0, true, -1, P_ADD_RM_I32 },
    { 0x81, 4, true, -1, P_AND_RM_I32 },
    { 0x83, 4, true, -1, P_AND_RM_I32 },
    { 0x81, 5, true, -1, P_SUB_RM_I32 },
    { 0x83, 5, true, -1, P_SUB_RM_I32 },
    { 0x81, 7, false, -1, P_CMP_RM_I16 },   /* reached with a 16-bit operand size */
    { 0x83, 7, false, -1, P_CMP_RM_I16 },
    { 0x84, -1, false, P_TEST_M_R8, P_TEST_RM_R8 },
    { 0x85, -1, true, P_TEST_M_R32, -1 },
    { 0xA8, -1, false, -1, P_TEST_AL_I8 },
    { 0xA9, -1, true, -1, P_TEST_EAX_I32 },
    { 0xF6, 0, false, P_TEST_M_I8, P_TEST_RM_I8 },
    { 0xF7, 0, true, P_TEST_M_I32, P_TEST_RM_I32 },
    { 0xFF, 1, true, P_DEC_M32, -1 },
    { 0xFF, 0, true, P_INC_M32, -1 },
};

/* The form of in as the first of a compare-and-branch pair, or -1. LOCK
 * makes the compares #UD and DEC/INC atomic: those stay apart. */
static int pair_form(const Insn *in)
{
    if (in->flags & INSN_LOCK)
        return -1;
    for (unsigned i = 0; i < sizeof pair_firsts / sizeof pair_firsts[0]; i++) {
        const PairFirst *f = &pair_firsts[i];
        if (f->opcode != in->opcode || (f->group_reg >= 0 && f->group_reg != in->reg) ||
            (f->op32 && !(in->flags & INSN_OP32)))
            continue;
        return (in->flags & INSN_MEM) ? f->mem_form : f->reg_form;
    }
    return -1;
}

/* ======== PUSH r32; PUSH r32 / CALL rel32 and POP r32; POP r32 / RET ========
 * On a 32-bit stack whose 8 bytes the fast path accepts at once (one
 * segment and TLB check for both); anything else runs the first alone and
 * goes on to the second's own handler, so a fault in either is the
 * unfused one. */

static __attribute__((noinline)) const Insn *push_alone(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static __attribute__((noinline)) const Insn *pop_alone(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_stack_peek(cpu, 0, true);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 4);
    cpu->gpr[in->reg] = v;   /* POP ESP: the popped value wins */
    return insn_next(cpu, in);
}

/* The 8 bytes below (write) or at (read) ESP, or NULL. */
static inline uint8_t *stack_pair_ptr(Cpu *cpu, uint32_t at, bool write)
{
    if (unlikely(!cpu->stack32))
        return NULL;
    return cpu_fast_ptr(&cpu->seg[SEG_SS], write ? cpu->tlb_write : cpu->tlb_read, at, 8,
                        write ? SEG_ACC_WRITE : SEG_ACC_READ);
}

static __attribute__((flatten)) const Insn *push_push(Cpu *cpu, const Insn *in)
{
    uint32_t esp = cpu->gpr[R_ESP], sp = esp - 8;
    uint8_t *p = stack_pair_ptr(cpu, sp, true);
    if (unlikely(!p))
        return push_alone(cpu, in);
    /* PUSH ESP pushes ESP as it was before that PUSH. */
    store_le32(p + 4, cpu->gpr[in->reg]);
    store_le32(p, in[1].reg == R_ESP ? esp - 4 : cpu->gpr[in[1].reg]);
    cpu->gpr[R_ESP] = sp;
    cpu->eip += in->len;
    return insn_next(cpu, in + 1);
}

static __attribute__((flatten)) const Insn *push_call(Cpu *cpu, const Insn *in)
{
    const Insn *c = in + 1;
    uint32_t esp = cpu->gpr[R_ESP], sp = esp - 8;
    uint32_t ret = cpu->eip + in->len + c->len, target = ret + c->disp;
    uint8_t *p = stack_pair_ptr(cpu, sp, true);
    /* A target beyond the CS limit faults on the CALL after the PUSH. */
    if (unlikely(!p || target > cpu->seg[SEG_CS].lim_hi))
        return push_alone(cpu, in);
    store_le32(p + 4, cpu->gpr[in->reg]);
    store_le32(p, ret);
    cpu->gpr[R_ESP] = sp;
    cpu->eip = target;
    return insn_call_end_block(cpu, c, ret);   /* the return stack sees this CALL */
}

/* POP r32; RET: the RET's target is checked against the CS limit before
 * anything is done; beyond it, the POP runs alone and the RET faults. */
static __attribute__((flatten)) const Insn *pop_ret(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP];
    uint8_t *p = stack_pair_ptr(cpu, sp, false);
    if (unlikely(!p))
        return pop_alone(cpu, in);
    uint32_t v = load_le32(p), target = load_le32(p + 4);
    if (unlikely(target > cpu->seg[SEG_CS].lim_hi))
        return pop_alone(cpu, in);
    cpu->gpr[R_ESP] = sp + 8;
    cpu->gpr[in->reg] = v;   /* never ESP: that one does not pair */
    cpu->eip = target;
    return insn_ret_end_block(cpu, in + 1);   /* and this RET */
}

static __attribute__((flatten)) const Insn *pop_pop(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP];
    uint8_t *p = stack_pair_ptr(cpu, sp, false);
    if (unlikely(!p))
        return pop_alone(cpu, in);
    uint32_t first = load_le32(p), second = load_le32(p + 4);
    cpu->gpr[R_ESP] = sp + 8;
    cpu->gpr[in->reg] = first;       /* never ESP: that one does not pair */
    cpu->gpr[in[1].reg] = second;    /* POP ESP second: the popped value wins */
    cpu->eip += in->len;
    return insn_next(cpu, in + 1);
}

static bool is_push_r32(const Insn *in)
{
    return in->opcode >= 0x50 && in->opcode <= 0x57 &&
           (in->flags & (INSN_OP32 | INSN_LOCK)) == INSN_OP32;
}

static bool is_pop_r32(const Insn *in)
{
    return in->opcode >= 0x58 && in->opcode <= 0x5F &&
           (in->flags & (INSN_OP32 | INSN_LOCK)) == INSN_OP32;
}

static bool is_call_rel32(const Insn *in)
{
    return in->opcode == 0xE8 && (in->flags & (INSN_OP32 | INSN_LOCK)) == INSN_OP32;
}

static bool is_ret32(const Insn *in)
{
    return in->opcode == 0xC3 && (in->flags & (INSN_OP32 | INSN_LOCK)) == INSN_OP32;
}

static InsnFn stack_pair(const Insn *in)
{
    if (is_push_r32(&in[0]) && is_push_r32(&in[1]))
        return push_push;
    if (is_push_r32(&in[0]) && is_call_rel32(&in[1]))
        return push_call;
    if (is_pop_r32(&in[0]) && in[0].reg != R_ESP && is_pop_r32(&in[1]))
        return pop_pop;
    if (is_pop_r32(&in[0]) && in[0].reg != R_ESP && is_ret32(&in[1]))
        return pop_ret;
    return NULL;
}

InsnFn pairs_fuse(const Insn *in)
{
    int form = pair_form(&in[0]), cc = jcc_condition(&in[1]);
    if (form >= 0 && cc >= 0)
        return pair_handlers[form][cc];
    return stack_pair(in);
}

InsnFn pairs_unfused(const Insn *in)
{
    if (is_push_r32(in))
        return push_alone;
    if (is_pop_r32(in))
        return pop_alone;
    return alone_handlers[pair_form(in)];
}
