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

#endif
