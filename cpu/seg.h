/* SPDX-License-Identifier: MIT */
/* Segmentation and far control transfers (cpu/seg.c, cpu/farxfer.c,
 * cpu/task.c, cpu/interrupt.c). All of these check privileges and limits
 * as the SDM describes for the current mode and raise faults via
 * cpu_fault(); on return the new state is committed. */
#ifndef KAIRO_SEG_H
#define KAIRO_SEG_H

#include "cpu/cpu.h"

/* Fill a segment cache from its parts, computing the fast-path fields
 * (lim_lo/lim_hi/access). flags are DESC_* attribute bits; limit is
 * byte-granular. A null selector in protected mode: pass flags 0. */
void seg_set_cache(SegCache *s, uint16_t sel, uint32_t base, uint32_t limit,
                   uint16_t flags);

/* Real mode: selector and base change, limit and attributes stay (so
 * "unreal mode" works). V86: base = sel<<4, limit 0xFFFF, DPL 3 data. */
void seg_load_real(Cpu *cpu, unsigned seg, uint16_t sel);

/* MOV Sreg / POP Sreg / LDS.. semantics in any mode: SS, DS, ES, FS, GS.
 * Loading SS also updates cpu->stack32. Use seg_load_cs-like routines
 * (far transfers) for CS. */
void seg_load(Cpu *cpu, unsigned seg, uint16_t sel);

/* Read the 8-byte descriptor for sel from GDT or LDT. Returns false if
 * the selector is beyond the table limit (caller raises the right fault). */
bool desc_fetch(Cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi);
/* Set the accessed bit of a descriptor in memory if not set yet. */
void desc_set_accessed(Cpu *cpu, uint16_t sel, uint32_t hi);
/* Decode a descriptor's base, byte-granular limit and attribute flags. */
uint32_t desc_base(uint32_t lo, uint32_t hi);
uint32_t desc_limit(uint32_t lo, uint32_t hi);
uint16_t desc_flags(uint32_t hi);

/* Load CS with everything that follows from it (code32, CPL). Used by far
 * transfers, interrupts and mode changes once they have checked the target. */
void seg_load_cs_checked(Cpu *cpu, uint16_t sel, uint32_t base, uint32_t limit,
                         uint16_t flags, unsigned cpl);

/* Far transfers (cpu/farxfer.c). op32 is the operand size; next_eip is the
 * return address to push for CALL. */
void cpu_far_jump(Cpu *cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t next_eip);
void cpu_far_call(Cpu *cpu, uint16_t sel, uint32_t offset, bool op32, uint32_t next_eip);
void cpu_far_return(Cpu *cpu, bool op32, uint16_t pop_bytes);
void cpu_iret(Cpu *cpu, bool op32);

/* Hardware task switch (cpu/task.c). reason: how it was entered; the
 * NT flag, busy bits and back link follow from it. */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
void cpu_task_switch(Cpu *cpu, uint16_t tss_sel, uint32_t tss_lo, uint32_t tss_hi,
                     int reason, bool has_err, uint32_t err, uint32_t next_eip);

/* I/O permission: returns normally if CPL<=IOPL (not V86) or the TSS
 * bitmap allows port..port+size-1, else raises #GP(0). */
void cpu_check_io(Cpu *cpu, uint16_t port, unsigned size);
/* The check IN/OUT/INS/OUTS make first: the bitmap is only consulted in
 * protected mode when CPL > IOPL, and always in V86 mode; ports the
 * machine opened to everyone (cpu->io_open_*) pass. */
static inline void cpu_io_permit(Cpu *cpu, uint16_t port, unsigned size)
{
    if (cpu_pe(cpu) && (cpu->cpl > cpu_iopl(cpu) || cpu_v86(cpu)) &&
        (uint16_t)(port - cpu->io_open_first) >= cpu->io_open_count)
        cpu_check_io(cpu, port, size);
}

/* --- Helpers shared by seg.c, farxfer.c, task.c and interrupt.c --- */

/* Descriptor attribute tests on DESC_* flags. */
static inline unsigned desc_dpl(uint16_t f) { return (f & DESC_DPL) >> DESC_DPL_SHIFT; }
static inline bool desc_is_code(uint16_t f)
{
    return (f & (DESC_S | DESC_CODE)) == (DESC_S | DESC_CODE);
}
static inline bool desc_is_data(uint16_t f)
{
    return (f & (DESC_S | DESC_CODE)) == DESC_S;
}
static inline bool desc_is_conforming(uint16_t f)
{
    return desc_is_code(f) && (f & DESC_CONFORMING_OR_EXPDOWN);
}
/* System descriptor type (S = 0), or -1 for a code/data descriptor. */
static inline int desc_sys_type(uint16_t f)
{
    return (f & DESC_S) ? -1 : (int)(f & DESC_TYPE_MASK);
}
enum {
    DT_TSS16 = 1, DT_LDT = 2, DT_TSS16_BUSY = 3, DT_CALLGATE16 = 4, DT_TASKGATE = 5,
    DT_INTGATE16 = 6, DT_TRAPGATE16 = 7, DT_TSS32 = 9, DT_TSS32_BUSY = 11,
    DT_CALLGATE32 = 12, DT_INTGATE32 = 14, DT_TRAPGATE32 = 15
};

/* A stack pointer being moved by a multi-part push or pop. Nothing is
 * committed until stk_commit(), so a fault part-way leaves ESP as it was. */
typedef struct StackCursor {
    SegCache seg;       /* a copy: the new stack may not be loaded yet */
    uint32_t esp;
    bool big;           /* SS.B: ESP, else SP with the upper half kept */
    bool system;        /* supervisor accesses (the inner stack of a gate) */
    uint32_t err;       /* #SS error code on a limit violation */
} StackCursor;
/* The current SS:ESP (limit violations raise #SS(0)). */
void stk_current(Cpu *cpu, StackCursor *st);
/* A stack given by a checked descriptor (limit violations #SS(err)). */
void stk_new(StackCursor *st, uint16_t sel, uint32_t lo, uint32_t hi, uint32_t esp,
             uint32_t err);
void stk_push(Cpu *cpu, StackCursor *st, uint32_t v, unsigned size);
/* The value size bytes wide at ESP+skip. */
uint32_t stk_read(Cpu *cpu, const StackCursor *st, uint32_t skip, unsigned size);
/* ESP+n, wrapping SP on a 16-bit stack. */
uint32_t stk_add(const StackCursor *st, uint32_t n);
static inline void stk_commit(Cpu *cpu, const StackCursor *st) { cpu->gpr[R_ESP] = st->esp; }

/* SS:ESP for privilege level dpl from the current TSS (16- or 32-bit);
 * #TS(TR | ext) when beyond the TSS limit. */
void tss_inner_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext);
/* Check the stack segment a gate switches to for privilege level dpl:
 * #TS(ss | ext) for a bad selector or descriptor, #SS(ss | ext) if not present. */
void seg_check_inner_ss(Cpu *cpu, uint16_t ss, unsigned dpl, uint32_t ext, uint32_t *lo,
                        uint32_t *hi);
/* Load CS / SS from a checked descriptor, setting its accessed bit. CS gets
 * RPL = cpl and everything seg_load_cs_checked() does. */
void seg_load_cs_desc(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, unsigned cpl);
void seg_load_ss_desc(Cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi);
/* Set a descriptor's accessed bit before anything is committed (the write
 * may fault); returns hi with the bit set. */
static inline uint32_t desc_touch(Cpu *cpu, uint16_t sel, uint32_t hi)
{
    desc_set_accessed(cpu, sel, hi);
    return hi | ((uint32_t)DESC_ACCESSED << 8);
}
/* A null selector in a data segment register (protected mode). */
void seg_load_null(Cpu *cpu, unsigned seg, uint16_t sel);

#endif
