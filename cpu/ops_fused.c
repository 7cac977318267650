/* SPDX-License-Identifier: MIT */
/* Superinstructions: a register-only CMP, TEST, DEC or INC followed by a
 * Jcc in the same block runs as one handler, decided when the block is
 * decoded (insn_fuse, called by cpu/icache.c).
 *
 * The fused handler computes the first instruction's flags as usual (lazy,
 * so anything after the branch reads them unchanged), then decides the
 * branch from the operands it has in hand instead of decoding the lazy
 * flags again, and saves one dispatch. Between the two nothing can fault
 * (the first has no memory operand), so the pair is exact: EIP is on the
 * Jcc when its target fails the CS limit check, and a taken branch leaves
 * the block through the Jcc's own link slot.
 *
 * Every instruction stays traceable: the first instruction is marked
 * INSN_FUSED, and the traced loop (which runs each instruction alone, from
 * a copy) runs it through insn_unfused(), a handler of the first
 * instruction alone. Single-steps, breakpoints and the instruction-count
 * stop run single-instruction blocks, which are never fused. */
#include "cpu/ops_fused.h"

/* The first instructions that fuse. */
enum {
    FUSE_CMP_RM_R,    /* 39 /r, mod 3: CMP r/m32, r32 */
    FUSE_CMP_R_RM,    /* 3B /r, mod 3: CMP r32, r/m32 */
    FUSE_CMP_RM_IMM,  /* 81 /7, 83 /7, mod 3: CMP r/m32, imm */
    FUSE_CMP_EAX_IMM, /* 3D: CMP EAX, imm32 */
    FUSE_TEST_RM_R,   /* 85 /r, mod 3: TEST r/m32, r32 */
    FUSE_DEC,         /* 48+r: DEC r32 */
    FUSE_INC,         /* 40+r: INC r32 */
    FUSE_FORMS
};

/* The first instructions' work: flags set, the branch decided by cc. */
static inline bool do_sub(Cpu *cpu, uint32_t a, uint32_t b, unsigned cc)
{
    uint32_t r = a - b;
    flags_lazy(cpu, LF_SUB | LF_W32, a, b, r);
    return cc_holds(cc, a < b, r == 0, r >> 31, ((a ^ b) & (a ^ r)) >> 31, r);
}

static inline bool do_test(Cpu *cpu, uint32_t a, uint32_t b, unsigned cc)
{
    uint32_t r = a & b;
    flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, r);
    return cc_holds(cc, false, r == 0, r >> 31, false, r);
}

static inline bool do_incdec(Cpu *cpu, const Insn *in, bool dec, unsigned cc)
{
    bool cf = flags_get_cf_inline(cpu);
    uint32_t a = cpu->gpr[in->reg], r = dec ? a - 1 : a + 1;
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, (dec ? LF_DEC : LF_INC) | LF_W32, a, 1, r, cf);
    bool of = dec ? a == 0x80000000u : a == 0x7FFFFFFFu;
    return cc_holds(cc, cf, r == 0, r >> 31, of, r);
}

static inline __attribute__((always_inline)) bool fused_cond(Cpu *cpu, const Insn *in, unsigned form,
                                                          unsigned cc)
{
    const uint32_t *g = cpu->gpr;
    switch (form) {
    case FUSE_CMP_RM_R: return do_sub(cpu, g[in->rm], g[in->reg], cc);
    case FUSE_CMP_R_RM: return do_sub(cpu, g[in->reg], g[in->rm], cc);
    case FUSE_CMP_RM_IMM: return do_sub(cpu, g[in->rm], in->imm, cc);
    case FUSE_CMP_EAX_IMM: return do_sub(cpu, g[R_EAX], in->imm, cc);
    case FUSE_TEST_RM_R: return do_test(cpu, g[in->rm], g[in->reg], cc);
    case FUSE_DEC: return do_incdec(cpu, in, true, cc);
    default: return do_incdec(cpu, in, false, cc);
    }
}

/* One handler per form and condition, so both are constants inside. */
#define FUSED(form, cc)                                                   \
    static const Insn *fused_##form##_##cc(Cpu *cpu, const Insn *in)      \
    {                                                                     \
        return fused_branch(cpu, in, fused_cond(cpu, in, form, cc));      \
    }
#define FUSED_ALL(form)                                                                   \
    FUSED(form, 0) FUSED(form, 1) FUSED(form, 2) FUSED(form, 3) FUSED(form, 4)            \
    FUSED(form, 5) FUSED(form, 6) FUSED(form, 7) FUSED(form, 8) FUSED(form, 9)            \
    FUSED(form, 10) FUSED(form, 11) FUSED(form, 12) FUSED(form, 13) FUSED(form, 14)       \
    FUSED(form, 15)                                                                       \
    static const Insn *single_##form(Cpu *cpu, const Insn *in)                            \
    {                                                                                     \
        (void)fused_cond(cpu, in, form, 0);                                               \
        return insn_next(cpu, in);                                                        \
    }
#define FUSED_ROW(form)                                                                   \
    [form] = { fused_##form##_0, fused_##form##_1, fused_##form##_2, fused_##form##_3,    \
               fused_##form##_4, fused_##form##_5, fused_##form##_6, fused_##form##_7,    \
               fused_##form##_8, fused_##form##_9, fused_##form##_10, fused_##form##_11,  \
               fused_##form##_12, fused_##form##_13, fused_##form##_14, fused_##form##_15 }

FUSED_ALL(FUSE_CMP_RM_R)
FUSED_ALL(FUSE_CMP_R_RM)
FUSED_ALL(FUSE_CMP_RM_IMM)
FUSED_ALL(FUSE_CMP_EAX_IMM)
FUSED_ALL(FUSE_TEST_RM_R)
FUSED_ALL(FUSE_DEC)
FUSED_ALL(FUSE_INC)

static const InsnFn fused_handlers[FUSE_FORMS][16] = {
    FUSED_ROW(FUSE_CMP_RM_R), FUSED_ROW(FUSE_CMP_R_RM), FUSED_ROW(FUSE_CMP_RM_IMM),
    FUSED_ROW(FUSE_CMP_EAX_IMM), FUSED_ROW(FUSE_TEST_RM_R), FUSED_ROW(FUSE_DEC),
    FUSED_ROW(FUSE_INC),
};

/* The first instruction alone, for the traced loop. */
static const InsnFn single_handlers[FUSE_FORMS] = {
    single_FUSE_CMP_RM_R, single_FUSE_CMP_R_RM, single_FUSE_CMP_RM_IMM,
    single_FUSE_CMP_EAX_IMM, single_FUSE_TEST_RM_R, single_FUSE_DEC, single_FUSE_INC,
};

/* The form of a first instruction that fuses, or -1: 32-bit operand size,
 * no memory operand, no LOCK (which makes these #UD). */
static int fuse_form(const Insn *in)
{
    if ((in->flags & (INSN_OP32 | INSN_MEM | INSN_LOCK)) != INSN_OP32)
        return -1;
    unsigned op = in->opcode;
    if (op == 0x39)
        return FUSE_CMP_RM_R;
    if (op == 0x3B)
        return FUSE_CMP_R_RM;
    if ((op == 0x81 || op == 0x83) && in->reg == 7)
        return FUSE_CMP_RM_IMM;
    if (op == 0x3D)
        return FUSE_CMP_EAX_IMM;
    if (op == 0x85)
        return FUSE_TEST_RM_R;
    if (op >= 0x48 && op <= 0x4F)
        return FUSE_DEC;
    if (op >= 0x40 && op <= 0x47)
        return FUSE_INC;
    return -1;
}

void insn_fuse(Insn *in)
{
    int form = fuse_form(&in[0]), cc = jcc_condition(&in[1]);
    InsnFn fn = form >= 0 && cc >= 0 ? fused_handlers[form][cc] : pairs_fuse(in);
    if (!fn)
        return;
    in->fn = fn;
    in->flags |= INSN_FUSED;
}

InsnFn insn_unfused(const Insn *in)
{
    int form = fuse_form(in);
    return form >= 0 ? single_handlers[form] : pairs_unfused(in);
}
