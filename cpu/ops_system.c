/* SPDX-License-Identifier: MIT */
/* System instructions.
 *
 * Descriptor-table registers (groups 6 and 7), LAR, LSL, VERR/VERW, ARPL,
 * BOUND, HLT, IN/OUT, INT n / INT3 / INTO / ICEBP, IRET, UD2, RSM, INVD,
 * WBINVD; then the system registers: MOV to/from control and debug
 * registers, CLTS, RDMSR, WRMSR, RDTSC, RDPMC, CPUID, SYSENTER, SYSEXIT.
 *
 * Segment loading, gates, task switches and interrupt delivery belong to
 * cpu/seg.c and friends, paging to cpu/paging.c: this file calls them.
 * Whatever changes CR0/CR3/CR4/DR7, an MSR or the privilege level ends the
 * decoded block (returns NULL); plain reads do not. */
#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"
#include "iodev/portbus.h"

/* Privileged instructions: allowed in real mode and at CPL 0; #GP(0) at
 * CPL > 0 and in virtual-8086 mode. */
static inline void sys_require_cpl0(Cpu *cpu)
{
    if (cpu_pe(cpu) && (cpu->cpl != 0 || cpu_v86(cpu)))
        cpu_fault(cpu, EXC_GP, 0);
}

static void sys_write_cr0(Cpu *cpu, uint32_t val);

/* Descriptor attribute helpers (SegCache.flags layout, see desc_flags()). */
static inline unsigned flags_dpl(uint16_t f) { return (f & DESC_DPL) >> DESC_DPL_SHIFT; }
static inline unsigned flags_type(uint16_t f) { return f & DESC_TYPE_MASK; }
static inline bool flags_is_code(uint16_t f) { return (f & DESC_S) && (f & DESC_CODE); }
static inline bool flags_is_conforming_code(uint16_t f)
{
    return flags_is_code(f) && (f & DESC_CONFORMING_OR_EXPDOWN);
}

/* System descriptor types */
enum {
    SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4,
    SYS_TASKGATE = 5, SYS_TSS32_AVAIL = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12,
};
#define TSS_BUSY_BIT 0x2u   /* in the type field */

/* An offset n bytes further into a memory operand, wrapping as the address
 * size does. */
static inline uint32_t ea_plus(const Insn *in, uint32_t ea, uint32_t n)
{
    return (in->flags & INSN_ADDR32) ? ea + n : (ea + n) & 0xFFFFu;
}

/* The 16-bit r/m operand of a selector instruction. */
static uint16_t read_rm16(Cpu *cpu, const Insn *in)
{
    if (in->flags & INSN_MEM)
        return cpu_read16(cpu, in->seg, insn_ea(cpu, in));
    return reg16_get(cpu, in->rm);
}

/* ZF alone, the only flag these instructions change. */
static void set_zf(Cpu *cpu, bool zf)
{
    flags_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FLAG_ZF) | (zf ? FLAG_ZF : 0);
}

/* Group 6, LAR, LSL and ARPL exist only in protected mode proper. */
static void require_protected(Cpu *cpu)
{
    if (!cpu_pe(cpu) || cpu_v86(cpu))
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* --- group 6 (0F 00): SLDT, STR, LLDT, LTR, VERR, VERW --- */

/* SLDT/STR to memory: always a word. */
static const Insn *op_sldt_mem(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_LDTR_READ, cpu->eip + in->len));
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), cpu->seg[SEG_LDTR].sel);
    return insn_next(cpu, in);
}

static const Insn *op_str_mem(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_TR_READ, cpu->eip + in->len));
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), cpu->seg[SEG_TR].sel);
    return insn_next(cpu, in);
}

/* To a register: a 32-bit destination is zero-extended (P6 behaviour; the
 * high half was undefined on the 386/486/Pentium). */
static const Insn *op_sldt_reg(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_LDTR_READ, cpu->eip + in->len));
    if (in->flags & INSN_OP32)
        cpu->gpr[in->rm] = cpu->seg[SEG_LDTR].sel;
    else
        reg16_set(cpu, in->rm, cpu->seg[SEG_LDTR].sel);
    return insn_next(cpu, in);
}

static const Insn *op_str_reg(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_TR_READ, cpu->eip + in->len));
    if (in->flags & INSN_OP32)
        cpu->gpr[in->rm] = cpu->seg[SEG_TR].sel;
    else
        reg16_set(cpu, in->rm, cpu->seg[SEG_TR].sel);
    return insn_next(cpu, in);
}

/* Fetch the GDT descriptor named by a selector that LLDT/LTR load: the
 * selector must point into the GDT (#GP(sel) otherwise). */
static void fetch_gdt_system_desc(Cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 4) || !desc_fetch(cpu, sel, lo, hi))
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
}

/* LLDT r/m16 */
static const Insn *op_lldt(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_LDTR_WRITE, cpu->eip + in->len));
    uint16_t sel = read_rm16(cpu, in);
    if ((sel & 0xFFFC) == 0) {
        /* A null selector leaves LDTR unusable: later LDT references fault. */
        seg_set_cache(&cpu->seg[SEG_LDTR], sel, 0, 0, 0);
        return insn_next(cpu, in);
    }
    uint32_t lo, hi;
    fetch_gdt_system_desc(cpu, sel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    if ((f & DESC_S) || flags_type(f) != SYS_LDT)
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, sel & 0xFFFCu);
    seg_set_cache(&cpu->seg[SEG_LDTR], sel, desc_base(lo, hi), desc_limit(lo, hi), f);
    return insn_next(cpu, in);
}

/* LTR r/m16: loads an available TSS and marks its descriptor busy. */
static const Insn *op_ltr(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_TR_WRITE, cpu->eip + in->len));
    uint16_t sel = read_rm16(cpu, in);
    if ((sel & 0xFFFC) == 0)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t lo, hi;
    fetch_gdt_system_desc(cpu, sel, &lo, &hi);
    uint16_t f = desc_flags(hi);
    unsigned type = flags_type(f);
    if ((f & DESC_S) || (type != SYS_TSS16_AVAIL && type != SYS_TSS32_AVAIL))
        cpu_fault(cpu, EXC_GP, sel & 0xFFFCu);
    if (!(f & DESC_P))
        cpu_fault(cpu, EXC_NP, sel & 0xFFFCu);
    hi |= TSS_BUSY_BIT << 8;
    cpu_lin_write(cpu, cpu->gdtr.base + (sel & 0xFFF8u) + 4, 4, hi, true);
    seg_set_cache(&cpu->seg[SEG_TR], sel, desc_base(lo, hi), desc_limit(lo, hi),
                  desc_flags(hi));
    return insn_next(cpu, in);
}

/* The descriptor of a selector that LAR/LSL/VERR/VERW examine: false for a
 * null selector or one beyond its table's limit (those set ZF=0, no fault). */
static bool probe_desc(Cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & 0xFFFC) == 0)
        return false;
    return desc_fetch(cpu, sel, lo, hi);
}

/* The privilege test LAR/LSL/VERR/VERW apply: DPL >= CPL and DPL >= RPL,
 * except for conforming code segments. */
static bool desc_visible(const Cpu *cpu, uint16_t sel, uint16_t f)
{
    if (flags_is_conforming_code(f))
        return true;
    unsigned dpl = flags_dpl(f);
    return dpl >= cpu->cpl && dpl >= (sel & 3u);
}

/* VERR / VERW r/m16 */
static const Insn *op_verr(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    uint16_t sel = read_rm16(cpu, in);
    uint32_t lo, hi;
    bool ok = false;
    if (probe_desc(cpu, sel, &lo, &hi)) {
        uint16_t f = desc_flags(hi);
        /* Data segments are readable; code only with the R bit. */
        bool readable = (f & DESC_S) && (!(f & DESC_CODE) || (f & DESC_RW));
        ok = readable && desc_visible(cpu, sel, f);
    }
    set_zf(cpu, ok);
    return insn_next(cpu, in);
}

static const Insn *op_verw(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    uint16_t sel = read_rm16(cpu, in);
    uint32_t lo, hi;
    bool ok = false;
    if (probe_desc(cpu, sel, &lo, &hi)) {
        uint16_t f = desc_flags(hi);
        bool writable = (f & DESC_S) && !(f & DESC_CODE) && (f & DESC_RW);
        ok = writable && desc_visible(cpu, sel, f);
    }
    set_zf(cpu, ok);
    return insn_next(cpu, in);
}

static InsnFn pick_group6(const DecodeCtx *d)
{
    switch (d->reg) {
    case 0: return d->mem ? op_sldt_mem : op_sldt_reg;
    case 1: return d->mem ? op_str_mem : op_str_reg;
    case 2: return op_lldt;
    case 3: return op_ltr;
    case 4: return op_verr;
    case 5: return op_verw;
    default: return NULL;
    }
}

/* --- group 7 (0F 01): SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG --- */

/* SGDT/SIDT: limit, then base. With a 16-bit operand size the P6 stores
 * only 24 bits of base and a zero high byte (the Pentium Pro/II manuals;
 * the 286 wrote 0xFF there). */
static void store_table_reg(Cpu *cpu, const Insn *in, const DescTable *t)
{
    uint32_t ea = insn_ea(cpu, in);
    uint32_t base = (in->flags & INSN_OP32) ? t->base : t->base & 0x00FFFFFFu;
    cpu_write16(cpu, in->seg, ea, (uint16_t)t->limit);
    cpu_write32(cpu, in->seg, ea_plus(in, ea, 2), base);
}

/* LGDT/LIDT: with a 16-bit operand size only 24 bits of base are loaded. */
static void load_table_reg(Cpu *cpu, const Insn *in, DescTable *t)
{
    sys_require_cpl0(cpu);
    uint32_t ea = insn_ea(cpu, in);
    uint16_t limit = cpu_read16(cpu, in->seg, ea);
    uint32_t base = cpu_read32(cpu, in->seg, ea_plus(in, ea, 2));
    if (!(in->flags & INSN_OP32))
        base &= 0x00FFFFFFu;
    t->base = base;
    t->limit = limit;
}

static const Insn *op_sgdt(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_GDTR_READ, cpu->eip + in->len));
    store_table_reg(cpu, in, &cpu->gdtr);
    return insn_next(cpu, in);
}

static const Insn *op_sidt(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_IDTR_READ, cpu->eip + in->len));
    store_table_reg(cpu, in, &cpu->idtr);
    return insn_next(cpu, in);
}

static const Insn *op_lgdt(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_GDTR_WRITE, cpu->eip + in->len));
    load_table_reg(cpu, in, &cpu->gdtr);
    return insn_next(cpu, in);
}

static const Insn *op_lidt(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_IDTR_WRITE, cpu->eip + in->len));
    load_table_reg(cpu, in, &cpu->idtr);
    return insn_next(cpu, in);
}

/* SMSW: the low word of CR0. Not privileged. */
static const Insn *op_smsw_mem(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_cr(cpu, 0, false, cpu->eip + in->len));
    cpu_write16(cpu, in->seg, insn_ea(cpu, in), (uint16_t)cpu->cr0);
    return insn_next(cpu, in);
}

/* A 32-bit register destination receives all of CR0 on the P6 (the SDM
 * calls the high half undefined; Bochs and the hardware store CR0). */
static const Insn *op_smsw_r32(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_cr(cpu, 0, false, cpu->eip + in->len));
    cpu->gpr[in->rm] = cpu->cr0;
    return insn_next(cpu, in);
}

static const Insn *op_smsw_r16(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_cr(cpu, 0, false, cpu->eip + in->len));
    reg16_set(cpu, in->rm, (uint16_t)cpu->cr0);
    return insn_next(cpu, in);
}

/* LMSW r/m16: loads PE, MP, EM and TS; it can set PE but never clear it. */
static const Insn *op_lmsw(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_cr(cpu, 0, true, cpu->eip + in->len));
    uint32_t msw = read_rm16(cpu, in) & (CR0_PE | CR0_MP | CR0_EM | CR0_TS);
    uint32_t cr0 = (cpu->cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | msw;
    SVM_HOOK(cpu, svm_intercept_cr0_sel(cpu, cr0, cpu->eip + in->len));
    sys_write_cr0(cpu, cr0);
    cpu->eip += in->len;
    return NULL;
}

/* INVLPG m: drop the TLB entry of the operand's linear address. No access
 * is made, so no limit check. */
static const Insn *op_invlpg(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_INVLPG, cpu->eip + in->len));
    tlb_flush_page(cpu, cpu->seg[in->seg].base + insn_ea(cpu, in));
    cpu->eip += in->len;
    return NULL;
}

static InsnFn pick_group7(const DecodeCtx *d)
{
    switch (d->reg) {
    case 0: return d->mem ? op_sgdt : NULL;
    case 1: return d->mem ? op_sidt : NULL;
    case 2: return d->mem ? op_lgdt : NULL;
    case 3: return d->mem ? op_lidt : NULL;
    case 4: return d->mem ? op_smsw_mem : d->op32 ? op_smsw_r32 : op_smsw_r16;
    case 6: return op_lmsw;
    case 7: return d->mem ? op_invlpg : NULL;
    default: return NULL;
    }
}

/* --- LAR, LSL, ARPL --- */

/* System descriptor types LAR accepts (gates included, interrupt and trap
 * gates excluded) and LSL accepts (only those with a limit). */
static bool lar_type_ok(unsigned type)
{
    switch (type) {
    case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_CALLGATE16:
    case SYS_TASKGATE: case SYS_TSS32_AVAIL: case SYS_TSS32_BUSY: case SYS_CALLGATE32:
        return true;
    default:
        return false;
    }
}

static bool lsl_type_ok(unsigned type)
{
    switch (type) {
    case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY:
    case SYS_TSS32_AVAIL: case SYS_TSS32_BUSY:
        return true;
    default:
        return false;
    }
}

/* The descriptor LAR/LSL report on, or false (ZF=0, destination kept). */
static bool lar_lsl_probe(Cpu *cpu, uint16_t sel, bool (*sys_type_ok)(unsigned),
                          uint32_t *lo, uint32_t *hi)
{
    if (!probe_desc(cpu, sel, lo, hi))
        return false;
    uint16_t f = desc_flags(*hi);
    if (!(f & DESC_S) && !sys_type_ok(flags_type(f)))
        return false;
    return desc_visible(cpu, sel, f);
}

/* LAR r, r/m16: the access-rights bytes of the descriptor's high dword
 * (bits 8-23 for a 32-bit destination, 8-15 for a 16-bit one). */
static const Insn *op_lar(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    uint16_t sel = read_rm16(cpu, in);
    uint32_t lo, hi;
    bool ok = lar_lsl_probe(cpu, sel, lar_type_ok, &lo, &hi);
    if (ok) {
        if (in->flags & INSN_OP32)
            cpu->gpr[in->reg] = hi & 0x00FFFF00u;
        else
            reg16_set(cpu, in->reg, (uint16_t)(hi & 0xFF00u));
    }
    set_zf(cpu, ok);
    return insn_next(cpu, in);
}

/* LSL r, r/m16: the byte-granular segment limit. */
static const Insn *op_lsl(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    uint16_t sel = read_rm16(cpu, in);
    uint32_t lo, hi;
    bool ok = lar_lsl_probe(cpu, sel, lsl_type_ok, &lo, &hi);
    if (ok) {
        uint32_t limit = desc_limit(lo, hi);
        if (in->flags & INSN_OP32)
            cpu->gpr[in->reg] = limit;
        else
            reg16_set(cpu, in->reg, (uint16_t)limit);
    }
    set_zf(cpu, ok);
    return insn_next(cpu, in);
}

static InsnFn pick_lar(const DecodeCtx *d) { (void)d; return op_lar; }
static InsnFn pick_lsl(const DecodeCtx *d) { (void)d; return op_lsl; }

/* ARPL r/m16, r16: raise the destination selector's RPL to the source's. */
static uint16_t arpl_adjust(uint16_t dst, uint16_t src, bool *changed)
{
    *changed = (dst & 3u) < (src & 3u);
    return *changed ? (uint16_t)((dst & ~3u) | (src & 3u)) : dst;
}

static const Insn *op_arpl_reg(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    bool changed;
    uint16_t v = arpl_adjust(reg16_get(cpu, in->rm), reg16_get(cpu, in->reg), &changed);
    reg16_set(cpu, in->rm, v);
    set_zf(cpu, changed);
    return insn_next(cpu, in);
}

static const Insn *op_arpl_mem(Cpu *cpu, const Insn *in)
{
    require_protected(cpu);
    uint32_t ea = insn_ea(cpu, in);
    bool changed;
    uint16_t v = arpl_adjust(cpu_read16(cpu, in->seg, ea), reg16_get(cpu, in->reg), &changed);
    if (changed)
        cpu_write16(cpu, in->seg, ea, v);
    set_zf(cpu, changed);
    return insn_next(cpu, in);
}

static InsnFn pick_arpl(const DecodeCtx *d) { return d->mem ? op_arpl_mem : op_arpl_reg; }

/* --- BOUND r, m16&16 / m32&32: #BR (a fault) when the signed index is
 * outside [lower, upper]. --- */

static const Insn *op_bound16(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    int16_t lower = (int16_t)cpu_read16(cpu, in->seg, ea);
    int16_t upper = (int16_t)cpu_read16(cpu, in->seg, ea_plus(in, ea, 2));
    int16_t index = (int16_t)reg16_get(cpu, in->reg);
    if (index < lower || index > upper)
        cpu_fault(cpu, EXC_BR, NO_ERRCODE);
    return insn_next(cpu, in);
}

static const Insn *op_bound32(Cpu *cpu, const Insn *in)
{
    uint32_t ea = insn_ea(cpu, in);
    int32_t lower = (int32_t)cpu_read32(cpu, in->seg, ea);
    int32_t upper = (int32_t)cpu_read32(cpu, in->seg, ea_plus(in, ea, 4));
    int32_t index = (int32_t)cpu->gpr[in->reg];
    if (index < lower || index > upper)
        cpu_fault(cpu, EXC_BR, NO_ERRCODE);
    return insn_next(cpu, in);
}

static InsnFn pick_bound(const DecodeCtx *d)
{
    if (!d->mem)
        return NULL;
    return d->op32 ? op_bound32 : op_bound16;
}

/* --- HLT --- */

static const Insn *op_hlt(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_HLT, cpu->eip + in->len));
    cpu->halted = true;
    cpu->eip += in->len;
    return NULL;
}

static InsnFn pick_hlt(const DecodeCtx *d) { (void)d; return op_hlt; }

/* --- IN / OUT --- */

/* EXITINFO1 of an intercepted IN/OUT: direction and address size. */
static inline uint32_t svm_io_info(const Insn *in, bool is_in)
{
    return (is_in ? IOIO_IN : 0) | ((in->flags & INSN_ADDR32) ? IOIO_A32 : IOIO_A16);
}

static inline uint32_t io_in(Cpu *cpu, const Insn *in, uint16_t port, unsigned size)
{
    cpu_io_permit(cpu, port, size);
    SVM_HOOK(cpu, svm_intercept_io(cpu, port, size, svm_io_info(in, true), cpu->eip + in->len));
    return portbus_read(cpu->io, port, size);
}

static inline void io_out(Cpu *cpu, const Insn *in, uint16_t port, unsigned size, uint32_t val)
{
    cpu_io_permit(cpu, port, size);
    SVM_HOOK(cpu, svm_intercept_io(cpu, port, size, svm_io_info(in, false), cpu->eip + in->len));
    portbus_write(cpu->io, port, size, val);
}

static inline uint16_t port_imm(const Insn *in) { return (uint16_t)(in->imm & 0xFFu); }
static inline uint16_t port_dx(const Cpu *cpu) { return (uint16_t)cpu->gpr[R_EDX]; }

static const Insn *op_in_al_imm(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, R_EAX, (uint8_t)io_in(cpu, in, port_imm(in), 1));
    return insn_next(cpu, in);
}

static const Insn *op_in_ax_imm(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, R_EAX, (uint16_t)io_in(cpu, in, port_imm(in), 2));
    return insn_next(cpu, in);
}

static const Insn *op_in_eax_imm(Cpu *cpu, const Insn *in)
{
    cpu->gpr[R_EAX] = io_in(cpu, in, port_imm(in), 4);
    return insn_next(cpu, in);
}

static const Insn *op_in_al_dx(Cpu *cpu, const Insn *in)
{
    reg8_set(cpu, R_EAX, (uint8_t)io_in(cpu, in, port_dx(cpu), 1));
    return insn_next(cpu, in);
}

static const Insn *op_in_ax_dx(Cpu *cpu, const Insn *in)
{
    reg16_set(cpu, R_EAX, (uint16_t)io_in(cpu, in, port_dx(cpu), 2));
    return insn_next(cpu, in);
}

static const Insn *op_in_eax_dx(Cpu *cpu, const Insn *in)
{
    cpu->gpr[R_EAX] = io_in(cpu, in, port_dx(cpu), 4);
    return insn_next(cpu, in);
}

static const Insn *op_out_imm_al(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_imm(in), 1, cpu->gpr[R_EAX] & 0xFFu);
    return insn_next(cpu, in);
}

static const Insn *op_out_imm_ax(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_imm(in), 2, cpu->gpr[R_EAX] & 0xFFFFu);
    return insn_next(cpu, in);
}

static const Insn *op_out_imm_eax(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_imm(in), 4, cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

static const Insn *op_out_dx_al(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_dx(cpu), 1, cpu->gpr[R_EAX] & 0xFFu);
    return insn_next(cpu, in);
}

static const Insn *op_out_dx_ax(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_dx(cpu), 2, cpu->gpr[R_EAX] & 0xFFFFu);
    return insn_next(cpu, in);
}

static const Insn *op_out_dx_eax(Cpu *cpu, const Insn *in)
{
    io_out(cpu, in, port_dx(cpu), 4, cpu->gpr[R_EAX]);
    return insn_next(cpu, in);
}

static InsnFn pick_in_al_imm(const DecodeCtx *d) { (void)d; return op_in_al_imm; }
static InsnFn pick_in_al_dx(const DecodeCtx *d) { (void)d; return op_in_al_dx; }
static InsnFn pick_out_imm_al(const DecodeCtx *d) { (void)d; return op_out_imm_al; }
static InsnFn pick_out_dx_al(const DecodeCtx *d) { (void)d; return op_out_dx_al; }
static InsnFn pick_in_eax_imm(const DecodeCtx *d) { return d->op32 ? op_in_eax_imm : op_in_ax_imm; }
static InsnFn pick_in_eax_dx(const DecodeCtx *d) { return d->op32 ? op_in_eax_dx : op_in_ax_dx; }
static InsnFn pick_out_imm_eax(const DecodeCtx *d)
{
    return d->op32 ? op_out_imm_eax : op_out_imm_ax;
}
static InsnFn pick_out_dx_eax(const DecodeCtx *d) { return d->op32 ? op_out_dx_eax : op_out_dx_ax; }

/* --- software interrupts and IRET --- */

/* INT3 (CC): the one-byte breakpoint; soft (gate DPL checked), and not
 * IOPL-sensitive in V86 mode. */
static const Insn *op_int3(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_soft_exception(cpu, EXC_BP, insn_next_eip(cpu, in)));
    cpu_deliver_interrupt(cpu, EXC_BP, NO_ERRCODE, true, insn_next_eip(cpu, in));
    return NULL;
}

/* INT n (CD ib). In V86 mode cpu_deliver_interrupt applies the IOPL rule
 * and the VME redirection bitmap (it tells CD from CC/CE itself). */
static const Insn *op_int_imm(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_SWINT, cpu->eip + in->len));
    cpu_deliver_interrupt(cpu, (int)(in->imm & 0xFFu), NO_ERRCODE, true,
                          insn_next_eip(cpu, in));
    return NULL;
}

/* INTO (CE): INT 4 when OF is set. */
static const Insn *op_into(Cpu *cpu, const Insn *in)
{
    if (!flags_get_of(cpu))
        return insn_next(cpu, in);
    SVM_HOOK(cpu, svm_intercept_soft_exception(cpu, EXC_OF, insn_next_eip(cpu, in)));
    cpu_deliver_interrupt(cpu, EXC_OF, NO_ERRCODE, true, insn_next_eip(cpu, in));
    return NULL;
}

/* INT1 / ICEBP (F1): a #DB trap delivered like a hardware exception (no
 * gate DPL check), returning after the instruction. */
static const Insn *op_icebp(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_ICEBP, cpu->eip + in->len));
    cpu_deliver_interrupt(cpu, EXC_DB, NO_ERRCODE, false, insn_next_eip(cpu, in));
    return NULL;
}

static const Insn *op_iret(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_IRET, cpu->eip + in->len));
    cpu_iret(cpu, (in->flags & INSN_OP32) != 0);
    return NULL;
}

static InsnFn pick_int3(const DecodeCtx *d) { (void)d; return op_int3; }
static InsnFn pick_int_imm(const DecodeCtx *d) { (void)d; return op_int_imm; }
static InsnFn pick_into(const DecodeCtx *d) { (void)d; return op_into; }
static InsnFn pick_icebp(const DecodeCtx *d) { (void)d; return op_icebp; }
static InsnFn pick_iret(const DecodeCtx *d) { (void)d; return op_iret; }

/* --- UD2, RSM, INVD, WBINVD --- */

/* UD2 (0F 0B): the intentional #UD, not logged as unknown. */
static const Insn *op_ud2(Cpu *cpu, const Insn *in)
{
    (void)in;
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* RSM (0F AA): there is no system-management mode, so never inside it.
 * A guest's RSM intercept applies even outside SMM (APM 15.9). */
static const Insn *op_rsm(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_RSM, cpu->eip + in->len));
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* INVD / WBINVD (0F 08, 0F 09): caches are not modelled. */
static const Insn *op_invd(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, in->opcode == 0x109 ? SVM_EXIT_WBINVD : SVM_EXIT_INVD,
                                     cpu->eip + in->len));
    return insn_next(cpu, in);
}

static InsnFn pick_ud2(const DecodeCtx *d) { (void)d; return op_ud2; }
static InsnFn pick_rsm(const DecodeCtx *d) { (void)d; return op_rsm; }
static InsnFn pick_invd(const DecodeCtx *d) { (void)d; return op_invd; }

/* ======== system registers: CRs, DRs, MSRs, counters, CPUID, SYSENTER ======== */

/* CR0 bits a P6 implements; the others are reserved (ignored on write and
 * read as 0: IA-32 raises no fault for them). ET is hardwired to 1. */
#define CR0_IMPLEMENTED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | \
                         CR0_NW | CR0_CD | CR0_PG)
/* CR0 bits whose change alters address translation. */
#define CR0_PAGING_BITS (CR0_PE | CR0_PG | CR0_WP)

/* CR4 bits of a P6. MCE is accepted although CPUID does not report the
 * machine-check architecture: every P6 has the bit, and no machine check is
 * ever raised. OSFXSR exists with FXSR (Pentium II) and changes nothing
 * without SSE. OSXMMEXCPT exists on the models with SSE; the rest are
 * reserved: #GP(0). */
#define CR4_IMPLEMENTED (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | \
                         CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR)
#define CR4_PAGING_BITS (CR4_PSE | CR4_PAE | CR4_PGE)

/* Debug register bits */
#define DR6_BD 0x00002000u          /* debug-register access detected */
#define DR6_WRITABLE 0x0000E00Fu    /* B0-B3, BD, BS, BT */
#define DR6_FIXED_ONES 0xFFFF0FF0u
#define DR7_GD 0x00002000u
#define DR7_WRITABLE 0xFFFF23FFu    /* L0-G3, LE, GE, GD, R/W and LEN fields */
#define DR7_FIXED_ONES 0x00000400u

/* --- control registers --- */

/* Write CR0 as MOV CR0 does: validity checks, ET forced, paging and TLB
 * side effects. LMSW uses it too. Faults before changing anything. */
static void sys_write_cr0(Cpu *cpu, uint32_t val)
{
    val = (val & CR0_IMPLEMENTED) | CR0_ET;
    if ((val & CR0_PG) && !(val & CR0_PE))
        cpu_fault(cpu, EXC_GP, 0);
    if ((val & CR0_NW) && !(val & CR0_CD))
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t changed = cpu->cr0 ^ val;
    cpu->cr0 = val;
    if (changed & CR0_PAGING_BITS)
        cpu_paging_changed(cpu);   /* flushes the running world's TLB */
}

static void write_cr4(Cpu *cpu, uint32_t val)
{
    uint32_t allowed = CR4_IMPLEMENTED | ((cpu->isa & ISA_SSE) ? CR4_OSXMMEXCPT : 0);
    if (val & ~allowed)
        cpu_fault(cpu, EXC_GP, 0);
    uint32_t changed = cpu->cr4 ^ val;
    cpu->cr4 = val;
    if (changed & CR4_PAGING_BITS)
        cpu_paging_changed(cpu);   /* global pages too, as a PGE change must */
}

/* MOV r32, CRn (0F 20). The decoder treats mod as 3 whatever it is. */
static const Insn *op_mov_r32_cr(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_cr(cpu, in->reg, false, cpu->eip + in->len));
    uint32_t v;
    switch (in->reg) {
    case 0: v = cpu->cr0; break;
    case 2: v = cpu->cr2; break;
    case 3: v = cpu->cr3; break;
    default: v = cpu->cr4; break;
    }
    cpu->gpr[in->rm] = v;
    return insn_next(cpu, in);
}

/* MOV CRn, r32 (0F 22) */
static const Insn *op_mov_cr_r32(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_cr(cpu, in->reg, true, cpu->eip + in->len));
    uint32_t v = cpu->gpr[in->rm];
    switch (in->reg) {
    case 0:
        SVM_HOOK(cpu, svm_intercept_cr0_sel(cpu, v, cpu->eip + in->len));
        sys_write_cr0(cpu, v);
        break;
    case 2: cpu->cr2 = v; break;
    case 3: cpu_load_cr3(cpu, v); break;
    default: write_cr4(cpu, v); break;
    }
    cpu->eip += in->len;
    return NULL;
}

/* CR1 and CR5-CR7 do not exist: #UD, before the privilege check. */
static InsnFn pick_mov_r32_cr(const DecodeCtx *d)
{
    return (d->reg == 0 || (d->reg >= 2 && d->reg <= 4)) ? op_mov_r32_cr : NULL;
}

static InsnFn pick_mov_cr_r32(const DecodeCtx *d)
{
    return (d->reg == 0 || (d->reg >= 2 && d->reg <= 4)) ? op_mov_cr_r32 : NULL;
}

/* CLTS (0F 06) */
static const Insn *op_clts(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    /* A CR0 write (its intercept applies), never a selective one: TS only. */
    SVM_HOOK(cpu, svm_intercept_cr(cpu, 0, true, cpu->eip + in->len));
    cpu->cr0 &= ~CR0_TS;
    cpu->eip += in->len;
    return NULL;
}

/* --- debug registers --- */

/* Checks common to MOV from/to DRn, in the order a P6 applies them:
 * privilege, general detect (a fault, with DR6.BD), then DR4/DR5 under
 * CR4.DE. Returns the register actually accessed (DR4/5 alias DR6/7). */
static unsigned dr_access(Cpu *cpu, unsigned n)
{
    sys_require_cpl0(cpu);
    if (cpu->dr[7] & DR7_GD) {
        /* Delivering the #DB clears GD, so the handler can use the DRs. */
        cpu->dr[6] |= DR6_BD;
        cpu_fault(cpu, EXC_DB, NO_ERRCODE);
    }
    if (n == 4 || n == 5) {
        if (cpu->cr4 & CR4_DE)
            cpu_fault(cpu, EXC_UD, NO_ERRCODE);
        n += 2;
    }
    return n;
}

/* MOV r32, DRn (0F 21) */
static const Insn *op_mov_r32_dr(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_dr(cpu, in->reg, false, cpu->eip + in->len));
    unsigned n = dr_access(cpu, in->reg);
    cpu->gpr[in->rm] = cpu->dr[n];
    return insn_next(cpu, in);
}

/* MOV DRn, r32 (0F 23) */
static const Insn *op_mov_dr_r32(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_dr(cpu, in->reg, true, cpu->eip + in->len));
    unsigned n = dr_access(cpu, in->reg);
    uint32_t v = cpu->gpr[in->rm];
    if (n == 6)
        v = (v & DR6_WRITABLE) | DR6_FIXED_ONES;
    else if (n == 7)
        v = (v & DR7_WRITABLE) | DR7_FIXED_ONES;
    cpu->dr[n] = v;
    cpu_update_debug_state(cpu);
    cpu->eip += in->len;
    return NULL;
}

static InsnFn pick_mov_r32_dr(const DecodeCtx *d) { (void)d; return op_mov_r32_dr; }
static InsnFn pick_mov_dr_r32(const DecodeCtx *d) { (void)d; return op_mov_dr_r32; }

/* --- MSRs, counters, CPUID --- */

/* RDMSR (0F 32) */
static const Insn *op_rdmsr(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_msr(cpu, false, cpu->eip + in->len));
    uint64_t v;
    if (!cpu_msr_read(cpu, cpu->gpr[R_ECX], &v))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->gpr[R_EAX] = (uint32_t)v;
    cpu->gpr[R_EDX] = (uint32_t)(v >> 32);
    return insn_next(cpu, in);
}

/* WRMSR (0F 30) */
static const Insn *op_wrmsr(Cpu *cpu, const Insn *in)
{
    sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_msr(cpu, true, cpu->eip + in->len));
    uint64_t v = ((uint64_t)cpu->gpr[R_EDX] << 32) | cpu->gpr[R_EAX];
    if (!cpu_msr_write(cpu, cpu->gpr[R_ECX], v))
        cpu_fault(cpu, EXC_GP, 0);
    cpu->eip += in->len;
    return NULL;
}

/* RDTSC (0F 31): CR4.TSD restricts it to CPL 0 (never in real mode). */
static const Insn *op_rdtsc(Cpu *cpu, const Insn *in)
{
    if (cpu->cr4 & CR4_TSD)
        sys_require_cpl0(cpu);
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_RDTSC, cpu->eip + in->len));
    uint64_t t = cpu_tsc(cpu);
    if (cpu->tsc_floor)
        t = cpu_tsc_across_cpus(cpu, t);
    cpu->gpr[R_EAX] = (uint32_t)t;
    cpu->gpr[R_EDX] = (uint32_t)(t >> 32);
    return insn_next(cpu, in);
}

/* RDPMC (0F 33): counters 0 and 1 (40 bits); CR4.PCE opens them to every
 * privilege level. The counters hold what WRMSR put there: they never count. */
static const Insn *op_rdpmc(Cpu *cpu, const Insn *in)
{
    if (!(cpu->cr4 & CR4_PCE))
        sys_require_cpl0(cpu);
    /* An intercept comes before the operand's own #GP (APM 15.9). */
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_RDPMC, cpu->eip + in->len));
    uint32_t n = cpu->gpr[R_ECX];
    if (n > 1)
        cpu_fault(cpu, EXC_GP, 0);
    uint64_t v = cpu->msr.perfctr[n] & 0xFFFFFFFFFFull;
    cpu->gpr[R_EAX] = (uint32_t)v;
    cpu->gpr[R_EDX] = (uint32_t)(v >> 32);
    return insn_next(cpu, in);
}

/* CPUID (0F A2) */
static const Insn *op_cpuid(Cpu *cpu, const Insn *in)
{
    uint32_t r[4];
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_CPUID, cpu->eip + in->len));
    cpu_cpuid(cpu, cpu->gpr[R_EAX], r);
    cpu_cpuid_apic(cpu, cpu->gpr[R_EAX], r);
    cpu->gpr[R_EAX] = r[0];
    cpu->gpr[R_EBX] = r[1];
    cpu->gpr[R_ECX] = r[2];
    cpu->gpr[R_EDX] = r[3];
    return insn_next(cpu, in);
}

/* --- SYSENTER / SYSEXIT --- */

/* The flat 4 GiB segments both instructions load, without reading any
 * descriptor (SDM pseudocode). */
#define FLAT_CODE (DESC_G | DESC_DB | DESC_P | DESC_S | 0xBu)   /* execute/read, accessed */
#define FLAT_DATA (DESC_G | DESC_DB | DESC_P | DESC_S | 0x3u)   /* read/write, accessed */
#define DPL3 (3u << DESC_DPL_SHIFT)

static void load_flat_ss(Cpu *cpu, uint16_t sel, uint16_t dpl_flags)
{
    seg_set_cache(&cpu->seg[SEG_SS], sel, 0, 0xFFFFFFFFu, FLAT_DATA | dpl_flags);
    cpu->stack32 = true;
}

/* SYSENTER (0F 34): to CPL 0 at SYSENTER_CS:SYSENTER_EIP. */
static const Insn *op_sysenter(Cpu *cpu, const Insn *in)
{
    (void)in;
    uint16_t cs = (uint16_t)cpu->msr.sysenter_cs & 0xFFFC;
    if (!cpu_pe(cpu) || cs == 0)
        cpu_fault(cpu, EXC_GP, 0);
    flags_write(cpu, 0, FLAG_VM | FLAG_IF | FLAG_RF);
    seg_load_cs_checked(cpu, cs, 0, 0xFFFFFFFFu, FLAT_CODE, 0);
    cpu_set_cpl(cpu, 0);
    load_flat_ss(cpu, (uint16_t)(cs + 8), 0);
    cpu->gpr[R_ESP] = cpu->msr.sysenter_esp;
    cpu->eip = cpu->msr.sysenter_eip;
    return NULL;
}

/* SYSEXIT (0F 35): from CPL 0 to CPL 3 at (SYSENTER_CS+16):EDX, stack ECX. */
static const Insn *op_sysexit(Cpu *cpu, const Insn *in)
{
    (void)in;
    uint16_t msr_cs = (uint16_t)cpu->msr.sysenter_cs;
    if (!cpu_pe(cpu) || cpu_v86(cpu) || cpu->cpl != 0 || (msr_cs & 0xFFFC) == 0)
        cpu_fault(cpu, EXC_GP, 0);
    uint16_t cs = (uint16_t)((msr_cs + 16) | 3);
    seg_load_cs_checked(cpu, cs, 0, 0xFFFFFFFFu, FLAT_CODE | DPL3, 3);
    cpu_set_cpl(cpu, 3);
    load_flat_ss(cpu, (uint16_t)(cs + 8), DPL3);
    cpu->gpr[R_ESP] = cpu->gpr[R_ECX];
    cpu->eip = cpu->gpr[R_EDX];
    return NULL;
}

/* Pickers for the operand-less opcodes above. */
static InsnFn pick_clts(const DecodeCtx *d) { (void)d; return op_clts; }
static InsnFn pick_rdmsr(const DecodeCtx *d) { (void)d; return op_rdmsr; }
static InsnFn pick_wrmsr(const DecodeCtx *d) { (void)d; return op_wrmsr; }
static InsnFn pick_rdtsc(const DecodeCtx *d) { (void)d; return op_rdtsc; }
static InsnFn pick_rdpmc(const DecodeCtx *d) { (void)d; return op_rdpmc; }
static InsnFn pick_cpuid(const DecodeCtx *d) { (void)d; return op_cpuid; }
static InsnFn pick_sysenter(const DecodeCtx *d) { (void)d; return op_sysenter; }
static InsnFn pick_sysexit(const DecodeCtx *d) { (void)d; return op_sysexit; }

void ops_system_register(void)
{
    insn_pickers[0x062] = pick_bound;
    insn_pickers[0x063] = pick_arpl;
    insn_pickers[0x0CC] = pick_int3;
    insn_pickers[0x0CD] = pick_int_imm;
    insn_pickers[0x0CE] = pick_into;
    insn_pickers[0x0CF] = pick_iret;
    insn_pickers[0x0E4] = pick_in_al_imm;
    insn_pickers[0x0E5] = pick_in_eax_imm;
    insn_pickers[0x0E6] = pick_out_imm_al;
    insn_pickers[0x0E7] = pick_out_imm_eax;
    insn_pickers[0x0EC] = pick_in_al_dx;
    insn_pickers[0x0ED] = pick_in_eax_dx;
    insn_pickers[0x0EE] = pick_out_dx_al;
    insn_pickers[0x0EF] = pick_out_dx_eax;
    insn_pickers[0x0F1] = pick_icebp;
    insn_pickers[0x0F4] = pick_hlt;
    insn_pickers[0x100] = pick_group6;
    insn_pickers[0x101] = pick_group7;
    insn_pickers[0x102] = pick_lar;
    insn_pickers[0x103] = pick_lsl;
    insn_pickers[0x108] = pick_invd;
    insn_pickers[0x109] = pick_invd;
    insn_pickers[0x10B] = pick_ud2;
    insn_pickers[0x1AA] = pick_rsm;
    insn_pickers[0x106] = pick_clts;
    insn_pickers[0x120] = pick_mov_r32_cr;
    insn_pickers[0x121] = pick_mov_r32_dr;
    insn_pickers[0x122] = pick_mov_cr_r32;
    insn_pickers[0x123] = pick_mov_dr_r32;
    insn_pickers[0x130] = pick_wrmsr;
    insn_pickers[0x131] = pick_rdtsc;
    insn_pickers[0x132] = pick_rdmsr;
    insn_pickers[0x133] = pick_rdpmc;
    insn_pickers[0x134] = pick_sysenter;
    insn_pickers[0x135] = pick_sysexit;
    insn_pickers[0x1A2] = pick_cpuid;
}
