/* TEMPORARY during bring-up: weak placeholders so the core links while the
 * instruction families land one by one. Each strong definition in its own
 * file replaces the one here. This file is deleted once every family exists. */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/exception.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"

#define WEAK __attribute__((weak))

WEAK void ops_alu_register(void) {}
WEAK void ops_shift_register(void) {}
WEAK void ops_muldiv_register(void) {}
WEAK void ops_bcd_register(void) {}
WEAK void ops_bit_register(void) {}
WEAK void ops_mov_register(void) {}
WEAK void ops_stack_register(void) {}
WEAK void ops_branch_register(void) {}
WEAK void ops_string_register(void) {}
WEAK void ops_flagctl_register(void) {}
WEAK void ops_system_register(void) {}
WEAK void ops_fpu_register(void) {}
WEAK InsnFn ops_branch_pick_ff(const DecodeCtx *d) { (void)d; return NULL; }
WEAK InsnFn ops_muldiv_pick_grp3(const DecodeCtx *d) { (void)d; return NULL; }

static _Noreturn void missing(const char *what)
{
    fprintf(stderr, "kairo: %s not linked yet (bring-up build)\n", what);
    abort();
}
WEAK void cpu_handle_fault(Cpu *cpu) { (void)cpu; missing("cpu_handle_fault"); }
WEAK bool cpu_check_code_breakpoint(Cpu *cpu) { (void)cpu; return false; }
WEAK void cpu_update_debug_state(Cpu *cpu) { cpu->single_step = (cpu->eflags & FLAG_TF) != 0; }
WEAK void cpu_deliver_interrupt(Cpu *cpu, int v, uint32_t e, bool s, uint32_t n)
{ (void)cpu; (void)v; (void)e; (void)s; (void)n; missing("cpu_deliver_interrupt"); }
WEAK void seg_set_cache(SegCache *s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t flags)
{
    s->sel = sel; s->base = base; s->limit = limit; s->flags = flags;
    s->lim_lo = 0; s->lim_hi = limit; s->access = SEG_ACC_READ | SEG_ACC_WRITE;
}
WEAK void tlb_flush_all(Cpu *cpu)
{
    for (int k = 0; k < TLB_KINDS; k++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            cpu->tlb[k][i].tag = TLB_EMPTY;
}
WEAK const uint8_t *cpu_fetch_page(Cpu *cpu, uint32_t lin, uint64_t *phys)
{ (void)cpu; (void)lin; (void)phys; missing("cpu_fetch_page"); }
WEAK uint8_t cpu_fetch_byte(Cpu *cpu, uint32_t lin) { (void)cpu; (void)lin; missing("cpu_fetch_byte"); }
