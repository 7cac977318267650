/* SPDX-License-Identifier: MIT */
/* Decode-time specialisation of the hottest memory-operand handlers.
 *
 * The family pickers (cpu/ops_*.c) choose a handler from an opcode's
 * shape; they do not see the addressing form. Once the decoder knows it,
 * insn_specialise() may swap in a faster handler of the same meaning:
 *  - by addressing form: a 32-bit address without an index register
 *    ([base+disp], [disp]) skips the index load, the shift and the 16-bit
 *    wrap of the general effective address;
 *  - by cold path: the slow path (segment fault, TLB miss, MMIO, code
 *    page) is a separate tail-called handler, so the fast path needs no
 *    stack frame and no saved registers.
 * The fast paths make exactly the checks cpu_fast_ptr() makes (segment
 * rights and limits from the segment cache as it is when the instruction
 * runs, then the TLB), so a segment register loaded after the block was
 * decoded is honoured; anything they do not accept goes the general way,
 * which faults exactly like the unspecialised handler. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"

/* Effective address of a 32-bit address without index register. */
static inline uint32_t ea_base_disp(const Cpu *cpu, const Insn *in)
{
    return in->disp + cpu->gpr[in->base];
}

/* Effective address of a 32-bit address with an index register: no
 * 16-bit wrap to test for. */
static inline uint32_t ea_sib(const Cpu *cpu, const Insn *in)
{
    return in->disp + cpu->gpr[in->base] + (cpu->gpr[in->index] << in->scale);
}

/* Little-endian load of a constant size 1, 2 or 4 from a host pointer. */
static inline uint32_t load_sized(const uint8_t *p, unsigned size)
{
    return size == 1 ? *p : size == 2 ? load_le16(p) : load_le32(p);
}
static inline void store_sized(uint8_t *p, unsigned size, uint32_t v)
{
    if (size == 1)
        *p = (uint8_t)v;
    else if (size == 2)
        store_le16(p, v);
    else
        store_le32(p, v);
}
static inline uint32_t trunc_sized(uint32_t v, unsigned size)
{
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* The addressing forms of a handler NAME##_at(cpu, in, offset, segment).
 * DS and SS (the segments of nearly every access) get forms of their own:
 * with the segment a constant, its flat bit is one load off cpu instead
 * of a chain through the Insn. */
#define SEG_FORMS(name, form, ea)                                                      \
    static const Insn *name##_##form(Cpu *cpu, const Insn *in)                         \
    {                                                                                  \
        return name##_at(cpu, in, ea(cpu, in), in->seg);                               \
    }                                                                                  \
    static const Insn *name##_##form##_ds(Cpu *cpu, const Insn *in)                    \
    {                                                                                  \
        return name##_at(cpu, in, ea(cpu, in), SEG_DS);                                \
    }                                                                                  \
    static const Insn *name##_##form##_ss(Cpu *cpu, const Insn *in)                    \
    {                                                                                  \
        return name##_at(cpu, in, ea(cpu, in), SEG_SS);                                \
    }
#define ADDRESS_FORMS(name)                                                            \
    SEG_FORMS(name, bd, ea_base_disp)                                                  \
    SEG_FORMS(name, sib, ea_sib)                                                       \
    static const Insn *name##_any(Cpu *cpu, const Insn *in)                            \
    {                                                                                  \
        return name##_at(cpu, in, insn_ea(cpu, in), in->seg);                          \
    }

/* A handler that reads SIZE bytes of its memory operand into v and then
 * runs the body after them (which must not fault): the fast path, its cold slow path and
 * the two addressing forms. */
#define FAST_LOAD(name, size, ...)                                                     \
    static __attribute__((noinline)) const Insn *name##_slow(Cpu *cpu, const Insn *in) \
    {                                                                                  \
        uint32_t v = trunc_sized(cpu_read_slow(cpu, in->seg, insn_ea(cpu, in), size), \
                                 size);                                                \
        __VA_ARGS__;                                                                   \
        return insn_next(cpu, in);                                                     \
    }                                                                                  \
    static inline const Insn *name##_at(Cpu *cpu, const Insn *in, uint32_t off,        \
                                        unsigned seg)                                  \
    {                                                                                  \
        uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_read, off, size,            \
                                  SEG_ACC_READ);                                       \
        if (unlikely(!p))                                                              \
            return name##_slow(cpu, in);                                               \
        uint32_t v = load_sized(p, size);                                              \
        __VA_ARGS__;                                                                   \
        return insn_next(cpu, in);                                                     \
    }                                                                                  \
    ADDRESS_FORMS(name)

/* A store of SIZE bytes of VALUE (an expression of cpu and in). */
#define FAST_STORE(name, size, value)                                                  \
    static __attribute__((noinline)) const Insn *name##_slow(Cpu *cpu, const Insn *in) \
    {                                                                                  \
        cpu_write_slow(cpu, in->seg, insn_ea(cpu, in), size, (value));                 \
        return insn_next(cpu, in);                                                     \
    }                                                                                  \
    static inline const Insn *name##_at(Cpu *cpu, const Insn *in, uint32_t off,        \
                                        unsigned seg)                                  \
    {                                                                                  \
        uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_write, off, size,           \
                                  SEG_ACC_WRITE);                                      \
        if (unlikely(!p))                                                              \
            return name##_slow(cpu, in);                                               \
        store_sized(p, size, (value));                                                 \
        return insn_next(cpu, in);                                                     \
    }                                                                                  \
    ADDRESS_FORMS(name)

/* r32 OP= m32 with lazy flags, as the ALU family does it (CMP keeps r32). */
#define ALU_R32_M32(name, kind, expr, writes)                                          \
    FAST_LOAD(name, 4, {                                                               \
        uint32_t a = cpu->gpr[in->reg], r = (expr);                                    \
        if (writes)                                                                    \
            cpu->gpr[in->reg] = r;                                                     \
        flags_lazy(cpu, (kind) | LF_W32, a, v, r);                                     \
    })

/* ======== the loads ======== */
FAST_LOAD(mov_r32_m32, 4, cpu->gpr[in->reg] = v)                 /* 8B */
FAST_LOAD(mov_r8_m8, 1, reg8_set(cpu, in->reg, (uint8_t)v))      /* 8A */
FAST_LOAD(movzx_r32_m8, 1, cpu->gpr[in->reg] = v)                /* 0F B6 */
FAST_LOAD(movzx_r32_m16, 2, cpu->gpr[in->reg] = v)               /* 0F B7 */
ALU_R32_M32(add_r32_m32, LF_ADD, a + v, true)                    /* 03 */
ALU_R32_M32(or_r32_m32, LF_LOGIC, a | v, true)                   /* 0B */
ALU_R32_M32(and_r32_m32, LF_LOGIC, a & v, true)                  /* 23 */
ALU_R32_M32(sub_r32_m32, LF_SUB, a - v, true)                    /* 2B */
ALU_R32_M32(xor_r32_m32, LF_LOGIC, a ^ v, true)                  /* 33 */
ALU_R32_M32(cmp_r32_m32, LF_SUB, a - v, false)                   /* 3B */
/* 39: CMP m32, r32 — the memory operand is the minuend. */
FAST_LOAD(cmp_m32_r32, 4, {
    uint32_t b = cpu->gpr[in->reg];
    flags_lazy(cpu, LF_SUB | LF_W32, v, b, v - b);
})

/* 81 /7, 83 /7: CMP m32, imm (the decoder sign-extended an imm8). */
FAST_LOAD(cmp_m32_imm, 4, flags_lazy(cpu, LF_SUB | LF_W32, v, in->imm, v - in->imm))
/* 85: TEST m32, r32 (only the result matters to logic flags). */
FAST_LOAD(test_m32_r32, 4, flags_lazy(cpu, LF_LOGIC | LF_W32, 0, 0, v & cpu->gpr[in->reg]))

/* 8D: LEA r32 computes the address only; no segment, no access. */
static const Insn *lea_r32_bd(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = ea_base_disp(cpu, in);
    return insn_next(cpu, in);
}

/* LEA has no segment: its DS and SS forms are the same handlers. */
#define lea_r32_bd_ds lea_r32_bd
#define lea_r32_bd_ss lea_r32_bd
#define lea_r32_sib_ds lea_r32_sib
#define lea_r32_sib_ss lea_r32_sib

static const Insn *lea_r32_sib(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = ea_sib(cpu, in);
    return insn_next(cpu, in);
}

static const Insn *lea_r32_any(Cpu *cpu, const Insn *in)
{
    cpu->gpr[in->reg] = insn_ea(cpu, in);
    return insn_next(cpu, in);
}

/* ======== byte compares, tests and XOR (the string and match loops) ======== */
FAST_LOAD(cmp_m8_r8, 1, {                                        /* 38 */
    uint32_t b = reg8_get(cpu, in->reg);
    flags_lazy(cpu, LF_SUB | LF_W8, v, b, (uint8_t)(v - b));
})
FAST_LOAD(cmp_r8_m8, 1, {                                        /* 3A */
    uint32_t a = reg8_get(cpu, in->reg);
    flags_lazy(cpu, LF_SUB | LF_W8, a, v, (uint8_t)(a - v));
})
FAST_LOAD(cmp_m8_imm, 1, {                                       /* 80 /7 */
    uint32_t b = in->imm & 0xFF;
    flags_lazy(cpu, LF_SUB | LF_W8, v, b, (uint8_t)(v - b));
})
FAST_LOAD(xor_r8_m8, 1, {                                        /* 32 */
    uint32_t a = reg8_get(cpu, in->reg), r = (uint8_t)(a ^ v);
    reg8_set(cpu, in->reg, (uint8_t)r);
    flags_lazy(cpu, LF_LOGIC | LF_W8, a, v, r);
})
FAST_LOAD(test_m8_r8, 1,                                         /* 84 */
          flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, v & reg8_get(cpu, in->reg)))
FAST_LOAD(test_m8_imm, 1,                                        /* F6 /0 */
          flags_lazy(cpu, LF_LOGIC | LF_W8, 0, 0, v & in->imm & 0xFF))

/* ======== 16-bit operand size ======== */
FAST_LOAD(mov_r16_m16, 2, reg16_set(cpu, in->reg, (uint16_t)v))  /* 66 8B */
FAST_STORE(mov_m16_r16, 2, reg16_get(cpu, in->reg))              /* 66 89 */

/* ======== INC/DEC m32 (FF /0 /1): read, modify, write ========
 * One write-TLB lookup serves both accesses: a page the write table maps
 * is readable at the same privilege, and a writable data segment is
 * readable. CF is kept, read inline from the usual producers. */

static __attribute__((noinline)) const Insn *inc_dec_m32_slow(Cpu *cpu, const Insn *in,
                                                              uint32_t kind, uint32_t delta)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t a = cpu_read32(cpu, in->seg, ea), r = a + delta;
    cpu_write32(cpu, in->seg, ea, r);
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, flags_get_cf(cpu));
    return insn_next(cpu, in);
}

static inline const Insn *inc_dec_m32(Cpu *cpu, const Insn *in, uint32_t off, unsigned seg,
                                      uint32_t kind, uint32_t delta)
{
    uint8_t *p = cpu_fast_ptr(&cpu->seg[seg], cpu->tlb_write, off, 4, SEG_ACC_WRITE);
    if (unlikely(!p))
        return inc_dec_m32_slow(cpu, in, kind, delta);
    uint32_t a = load_le32(p), r = a + delta;
    store_le32(p, r);
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, flags_get_cf_inline(cpu));
    return insn_next(cpu, in);
}

static inline const Insn *inc_m32_at(Cpu *cpu, const Insn *in, uint32_t off, unsigned seg)
{
    return inc_dec_m32(cpu, in, off, seg, LF_INC, 1);
}
static inline const Insn *dec_m32_at(Cpu *cpu, const Insn *in, uint32_t off, unsigned seg)
{
    return inc_dec_m32(cpu, in, off, seg, LF_DEC, 0xFFFFFFFFu);
}
ADDRESS_FORMS(inc_m32)
ADDRESS_FORMS(dec_m32)

/* ======== the stores ======== */
FAST_STORE(mov_m32_r32, 4, cpu->gpr[in->reg])                    /* 89 */
FAST_STORE(mov_m8_r8, 1, reg8_get(cpu, in->reg))                 /* 88 */
FAST_STORE(mov_m32_imm, 4, in->imm)                              /* C7 /0 */

/* ======== PUSH r32 (50-57), POP r32 (58-5F) with a 32-bit stack ======== */

static __attribute__((noinline)) const Insn *push_r32_slow(Cpu *cpu, const Insn *in)
{
    cpu_push32(cpu, cpu->gpr[in->reg]);
    return insn_next(cpu, in);
}

static const Insn *op_push_r32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP] - 4;
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_write, sp, 4, SEG_ACC_WRITE);
    if (unlikely(!p || !cpu->stack32))
        return push_r32_slow(cpu, in);
    store_le32(p, cpu->gpr[in->reg]);   /* PUSH ESP pushes the old value */
    cpu->gpr[R_ESP] = sp;
    return insn_next(cpu, in);
}

static __attribute__((noinline)) const Insn *pop_r32_slow(Cpu *cpu, const Insn *in)
{
    uint32_t v = cpu_stack_peek(cpu, 0, true);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 4);
    cpu->gpr[in->reg] = v;
    return insn_next(cpu, in);
}

static const Insn *op_pop_r32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP];
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_read, sp, 4, SEG_ACC_READ);
    if (unlikely(!p || !cpu->stack32))
        return pop_r32_slow(cpu, in);
    uint32_t v = load_le32(p);
    cpu->gpr[R_ESP] = sp + 4;
    cpu->gpr[in->reg] = v;   /* POP ESP: the popped value wins */
    return insn_next(cpu, in);
}

/* ======== INC/DEC r32 (40-4F) ========
 * They keep CF: read it inline from the producers a loop counter usually
 * follows (another INC/DEC, a logic op, ADD, SUB/CMP); any other goes the
 * general way. */

static __attribute__((noinline)) const Insn *inc_dec_r32_slow(Cpu *cpu, const Insn *in,
                                                              uint32_t kind, uint32_t delta)
{
    uint32_t a = cpu->gpr[in->reg], r = a + delta;
    uint32_t cf = flags_get_cf(cpu);
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

static inline const Insn *inc_dec_r32(Cpu *cpu, const Insn *in, uint32_t kind, uint32_t delta)
{
    const LazyFlags *lf = &cpu->lf;
    uint32_t cf;
    switch (lf->kind & LF_KIND_MASK) {
    case LF_INC: case LF_DEC: cf = lf->aux; break;
    case LF_LOGIC: cf = 0; break;
    case LF_ADD: cf = lf->res < lf->dst; break;
    case LF_SUB: cf = lf->dst < lf->src; break;
    default: return inc_dec_r32_slow(cpu, in, kind, delta);
    }
    uint32_t a = cpu->gpr[in->reg], r = a + delta;
    cpu->gpr[in->reg] = r;
    flags_lazy_aux(cpu, kind | LF_W32, a, 1, r, cf);
    return insn_next(cpu, in);
}

static const Insn *op_inc_r32_fast(Cpu *cpu, const Insn *in)
{
    return inc_dec_r32(cpu, in, LF_INC, 1);
}

static const Insn *op_dec_r32_fast(Cpu *cpu, const Insn *in)
{
    return inc_dec_r32(cpu, in, LF_DEC, 0xFFFFFFFFu);
}

/* ======== CALL rel32 (E8), RET (C3) with a 32-bit stack ========
 * The slow paths are the general semantics: the target is checked against
 * the CS limit before anything is pushed or popped. */

static bool beyond_cs_limit(const Cpu *cpu, uint32_t target)
{
    return target > cpu->seg[SEG_CS].lim_hi;
}

static __attribute__((noinline)) const Insn *call_rel32_slow(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_push32(cpu, ret);
    cpu->eip = target;
    return insn_call_end_block(cpu, in, ret);
}

static const Insn *op_call_rel32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t ret = insn_next_eip(cpu, in), target = ret + in->disp;
    uint32_t sp = cpu->gpr[R_ESP] - 4;
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_write, sp, 4, SEG_ACC_WRITE);
    if (unlikely(!p || !cpu->stack32 || beyond_cs_limit(cpu, target)))
        return call_rel32_slow(cpu, in);
    store_le32(p, ret);
    cpu->gpr[R_ESP] = sp;
    cpu->eip = target;
    return insn_call_end_block(cpu, in, ret);
}

static __attribute__((noinline)) const Insn *ret32_slow(Cpu *cpu, const Insn *in)
{
    uint32_t target = cpu_stack_peek(cpu, 0, true);
    if (beyond_cs_limit(cpu, target))
        cpu_fault(cpu, EXC_GP, 0);
    cpu_set_sp(cpu, cpu->gpr[R_ESP] + 4);
    cpu->eip = target;
    return insn_ret_end_block(cpu, in);
}

static const Insn *op_ret32_fast(Cpu *cpu, const Insn *in)
{
    uint32_t sp = cpu->gpr[R_ESP];
    uint8_t *p = cpu_fast_ptr(&cpu->seg[SEG_SS], cpu->tlb_read, sp, 4, SEG_ACC_READ);
    if (unlikely(!p || !cpu->stack32))
        return ret32_slow(cpu, in);
    uint32_t target = load_le32(p);
    if (unlikely(beyond_cs_limit(cpu, target)))
        return ret32_slow(cpu, in);
    cpu->gpr[R_ESP] = sp + 4;
    cpu->eip = target;
    return insn_ret_end_block(cpu, in);
}

/* ======== SHL/SHR/SAR r32 by 1 (D1) and by CL (D3) ========
 * The general group-2 handler reads CF through flags_get_cf and calls the
 * operation through a table for every width; these are the 32-bit
 * register forms alone, with the flags the general handler leaves (OF as
 * it computes it for every count; a count of 0 changes nothing). */

enum { SH_SHL, SH_SHR, SH_SAR };

static inline const Insn *shift_r32(Cpu *cpu, const Insn *in, unsigned op, unsigned c)
{
    if (!c)
        return insn_next(cpu, in);
    uint32_t a = cpu->gpr[in->rm], r, cf, of;
    if (op == SH_SHL) {
        r = a << c;
        cf = (a >> (32 - c)) & 1;
        of = cf ^ (r >> 31);
    } else if (op == SH_SHR) {
        r = a >> c;
        cf = (a >> (c - 1)) & 1;
        of = (((r << 1) ^ r) >> 31) & 1;
    } else {
        r = (uint32_t)((int32_t)a >> c);
        cf = (uint32_t)((int32_t)a >> (c - 1)) & 1;
        of = 0;
    }
    cpu->gpr[in->rm] = r;
    flags_explicit(cpu, LF_W32, r, (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0));
    return insn_next(cpu, in);
}

static const Insn *shl_r32_1(Cpu *cpu, const Insn *in) { return shift_r32(cpu, in, SH_SHL, 1); }
static const Insn *shr_r32_1(Cpu *cpu, const Insn *in) { return shift_r32(cpu, in, SH_SHR, 1); }
static const Insn *sar_r32_1(Cpu *cpu, const Insn *in) { return shift_r32(cpu, in, SH_SAR, 1); }
static const Insn *shl_r32_cl(Cpu *cpu, const Insn *in)
{
    return shift_r32(cpu, in, SH_SHL, cpu->gpr[R_ECX] & 0x1F);
}
static const Insn *shr_r32_cl(Cpu *cpu, const Insn *in)
{
    return shift_r32(cpu, in, SH_SHR, cpu->gpr[R_ECX] & 0x1F);
}
static const Insn *sar_r32_cl(Cpu *cpu, const Insn *in)
{
    return shift_r32(cpu, in, SH_SAR, cpu->gpr[R_ECX] & 0x1F);
}

/* [by CL][ModRM.reg]: /4 SHL, /5 SHR, /6 SAL (= SHL), /7 SAR. */
static const InsnFn fast_shift_forms[2][8] = {
    { [4] = shl_r32_1, [5] = shr_r32_1, [6] = shl_r32_1, [7] = sar_r32_1 },
    { [4] = shl_r32_cl, [5] = shr_r32_cl, [6] = shl_r32_cl, [7] = sar_r32_cl },
};

/* ======== the tables ======== */

/* One specialisable opcode: its two forms. Only the 32-bit operand size
 * with a memory operand is specialised; everything else keeps its
 * picker's handler. */
typedef struct FastForm {
    InsnFn base_disp[3];   /* 32-bit address, no index register: any segment, DS, SS */
    InsnFn sib[3];         /* 32-bit address with an index register */
    InsnFn any;         /* 16-bit addresses */
    uint8_t group_reg;  /* for group opcodes: ModRM.reg + 1 of the member, else 0 */
} FastForm;

#define FORMS_OF(name, group_reg)                                                          \
    { { name##_bd, name##_bd_ds, name##_bd_ss }, { name##_sib, name##_sib_ds, name##_sib_ss }, \
      name##_any, (group_reg) }
#define FORMS(name) FORMS_OF(name, 0)
#define GROUP_FORMS(name, reg) FORMS_OF(name, (reg) + 1)
/* Byte operations do not depend on the operand size: both tables hold them. */
#define BYTE_FORMS                                                                         \
    [0x38] = FORMS(cmp_m8_r8), [0x3A] = FORMS(cmp_r8_m8), [0x84] = FORMS(test_m8_r8),      \
    [0x32] = FORMS(xor_r8_m8),                                                             \
    [0x80] = GROUP_FORMS(cmp_m8_imm, 7), [0xF6] = GROUP_FORMS(test_m8_imm, 0),             \
    [0x88] = FORMS(mov_m8_r8), [0x8A] = FORMS(mov_r8_m8)
/* One-byte opcodes, then 0F xx at 0x100. */
static const FastForm fast_forms[0x200] = {
    [0x03] = FORMS(add_r32_m32), [0x0B] = FORMS(or_r32_m32), [0x23] = FORMS(and_r32_m32),
    [0x2B] = FORMS(sub_r32_m32), [0x33] = FORMS(xor_r32_m32), [0x3B] = FORMS(cmp_r32_m32),
    [0x39] = FORMS(cmp_m32_r32), [0x85] = FORMS(test_m32_r32),
    [0x81] = GROUP_FORMS(cmp_m32_imm, 7), [0x83] = GROUP_FORMS(cmp_m32_imm, 7),
    [0xC7] = GROUP_FORMS(mov_m32_imm, 0), BYTE_FORMS,
    [0x89] = FORMS(mov_m32_r32), [0x8B] = FORMS(mov_r32_m32), [0x8D] = FORMS(lea_r32),
    [0x1B6] = FORMS(movzx_r32_m8), [0x1B7] = FORMS(movzx_r32_m16),
};

/* FF /0 /1 share an opcode: the member is chosen by ModRM.reg. */
static const FastForm fast_inc_dec_m32[2] = { FORMS(inc_m32), FORMS(dec_m32) };

/* One-byte opcodes with a memory operand, 16-bit operand size. */
static const FastForm fast_forms16[0x100] = {
    BYTE_FORMS, [0x89] = FORMS(mov_m16_r16), [0x8B] = FORMS(mov_r16_m16),
};

/* Opcodes without a memory operand, 32-bit operand size. */
static const InsnFn fast_reg_forms[0x100] = {
    [0x40] = op_inc_r32_fast, [0x41] = op_inc_r32_fast, [0x42] = op_inc_r32_fast,
    [0x43] = op_inc_r32_fast, [0x44] = op_inc_r32_fast, [0x45] = op_inc_r32_fast,
    [0x46] = op_inc_r32_fast, [0x47] = op_inc_r32_fast,
    [0x48] = op_dec_r32_fast, [0x49] = op_dec_r32_fast, [0x4A] = op_dec_r32_fast,
    [0x4B] = op_dec_r32_fast, [0x4C] = op_dec_r32_fast, [0x4D] = op_dec_r32_fast,
    [0x4E] = op_dec_r32_fast, [0x4F] = op_dec_r32_fast,
    [0x50] = op_push_r32_fast, [0x51] = op_push_r32_fast, [0x52] = op_push_r32_fast,
    [0x53] = op_push_r32_fast, [0x54] = op_push_r32_fast, [0x55] = op_push_r32_fast,
    [0x56] = op_push_r32_fast, [0x57] = op_push_r32_fast,
    [0x58] = op_pop_r32_fast, [0x59] = op_pop_r32_fast, [0x5A] = op_pop_r32_fast,
    [0x5B] = op_pop_r32_fast, [0x5C] = op_pop_r32_fast, [0x5D] = op_pop_r32_fast,
    [0x5E] = op_pop_r32_fast, [0x5F] = op_pop_r32_fast,
    [0xC3] = op_ret32_fast, [0xE8] = op_call_rel32_fast,
};

InsnFn insn_specialise(InsnFn fn, const Insn *in)
{
    const unsigned need = INSN_MEM | INSN_OP32;
    if (in->opcode >= 0x200 || (in->flags & INSN_LOCK))
        return fn;
    if ((in->flags & need) == INSN_OP32) {
        bool by_cl = in->opcode == 0xD3;
        if ((by_cl || in->opcode == 0xD1) && fast_shift_forms[by_cl][in->reg & 7])
            return fast_shift_forms[by_cl][in->reg & 7];
        return in->opcode < 0x100 && fast_reg_forms[in->opcode] ? fast_reg_forms[in->opcode]
                                                                : fn;
    }
    const FastForm *f;
    if ((in->flags & need) == need)
        f = in->opcode == 0xFF && in->reg <= 1 ? &fast_inc_dec_m32[in->reg]
                                               : &fast_forms[in->opcode];
    else if ((in->flags & need) == INSN_MEM && in->opcode < 0x100)
        f = &fast_forms16[in->opcode];
    else
        return fn;
    if (!f->any || (f->group_reg && in->reg != f->group_reg - 1))
        return fn;
    if (!(in->flags & INSN_ADDR32))
        return f->any;
    unsigned s = in->seg == SEG_DS ? 1 : in->seg == SEG_SS ? 2 : 0;
    return in->index == REG_NONE ? f->base_disp[s] : f->sib[s];
}
