/* SPDX-License-Identifier: MIT */
/* CPU lifecycle: creation, reset, wiring to the memory bus. */
#include <stdlib.h>
#include <string.h>

#include "cpu/amd.h"
#include "cpu/cpu_model.h"
#include "cpu/decode.h"
#include "cpu/exception.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "fpu/fpu.h"

/* Several CPUs on one PhysMem form a ring (next_sibling): the memory's
 * hooks reach every CPU's TLBs and block cache, so a mapping change or a
 * write into code any CPU has decoded is seen by all of them. */
static void cpu_on_map_changed(void *opaque)
{
    Cpu *first = opaque, *cpu = first;
    do {
        tlb_flush_all(cpu);
        cpu = cpu->next_sibling;
    } while (cpu != first);
}

static void cpu_on_code_write(void *opaque, uint32_t paddr, unsigned len)
{
    Cpu *first = opaque;
    /* Split at page boundaries: blocks are per page. */
    while (len) {
        uint32_t in_page = PHYS_PAGE_SIZE - (paddr & (PHYS_PAGE_SIZE - 1));
        uint32_t n = len < in_page ? len : in_page;
        Cpu *cpu = first;
        do {
            icache_invalidate_range(cpu->icache, paddr, n);
            cpu = cpu->next_sibling;
        } while (cpu != first);
        paddr += n;
        len -= n;
    }
}

/* Join the ring of CPUs already on this memory, or start one. */
static void cpu_join_memory(Cpu *cpu, PhysMem *mem)
{
    Cpu *first = mem->code_write == cpu_on_code_write ? mem->code_write_opaque : NULL;
    if (!first) {
        cpu->next_sibling = cpu;
        mem->map_changed = cpu_on_map_changed;
        mem->map_changed_opaque = cpu;
        mem->code_write = cpu_on_code_write;
        mem->code_write_opaque = cpu;
        return;
    }
    cpu->next_sibling = first->next_sibling;
    first->next_sibling = cpu;
    icache_join(cpu->icache, first->icache);
}

Cpu *cpu_new(PhysMem *mem, struct PortBus *io)
{
    decode_init();
    Cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu)
        return NULL;
    cpu->tlb = cpu->tlb_host;
    cpu->mem = mem;
    cpu->io = io;
    cpu->icache = icache_new(mem);
    cpu->jmp_cache = calloc(JMP_CACHE_SIZE, sizeof(JmpCacheEntry));
    cpu->fpu = fpu_new();
    if (!cpu->icache || !cpu->jmp_cache || !cpu->fpu) {
        icache_free(cpu->icache);
        free(cpu->jmp_cache);
        free(cpu->fpu);
        free(cpu);
        return NULL;
    }
    icache_attach_jmp_cache(cpu->icache, cpu->jmp_cache);
    icache_attach_epoch(cpu->icache, &cpu->chain_epoch);
    cpu_join_memory(cpu, mem);
    cpu->model = cpu_model_default();
    cpu->isa = cpu->model->isa;
    cpu_reset(cpu);
    return cpu;
}

/* A model's instruction set is decided at decode time, so the decoded
 * blocks of the old model go; the RESET signature in EDX follows. */
void cpu_set_model(Cpu *cpu, const struct CpuModel *model)
{
    cpu->model = model;
    cpu->isa = model->isa;
    icache_flush(cpu->icache);
    cpu_reset(cpu);
}

/* Leave the ring; the memory's hooks move to another CPU, or go. */
static void cpu_leave_memory(Cpu *cpu)
{
    PhysMem *mem = cpu->mem;
    if (!cpu->next_sibling)
        return;
    Cpu *p = cpu;
    while (p->next_sibling != cpu)
        p = p->next_sibling;
    p->next_sibling = cpu->next_sibling;
    icache_leave(cpu->icache);
    Cpu *heir = p == cpu ? NULL : p;
    if (mem->code_write_opaque == cpu) {
        mem->map_changed = heir ? cpu_on_map_changed : NULL;
        mem->map_changed_opaque = heir;
        mem->code_write = heir ? cpu_on_code_write : NULL;
        mem->code_write_opaque = heir;
    }
}

void cpu_free(Cpu *cpu)
{
    if (!cpu)
        return;
    cpu_leave_memory(cpu);
    icache_free(cpu->icache);
    free(cpu->jmp_cache);
    free(cpu->fpu);
    svm_free(cpu);
    free(cpu);
}

/* Real-mode segment with the attributes RESET gives it. */
static void reset_segment(Cpu *cpu, unsigned seg, uint16_t sel, uint32_t base, uint16_t flags)
{
    seg_set_cache(&cpu->seg[seg], sel, base, 0xFFFF, flags);
    if (seg < SEG_LDTR)
        seg_set_access(&cpu->seg[seg], SEG_ACC_READ | SEG_ACC_WRITE);   /* real mode: no type checks */
}

void cpu_reset(Cpu *cpu)
{
    memset(cpu->gpr, 0, sizeof cpu->gpr);
    cpu->gpr[R_EDX] = cpu->model->signature;
    cpu->eip = 0xFFF0;
    cpu->lf.kind = LF_NONE;
    cpu->eflags = 2;
    reset_segment(cpu, SEG_CS, 0xF000, 0xFFFF0000u, DESC_P | DESC_S | 0xB);
    for (unsigned s = 0; s < SEG_COUNT; s++)
        if (s != SEG_CS && s < SEG_LDTR)
            reset_segment(cpu, s, 0, 0, DESC_P | DESC_S | 0x3);
    reset_segment(cpu, SEG_LDTR, 0, 0, DESC_P | 0x2);
    reset_segment(cpu, SEG_TR, 0, 0, DESC_P | 0x3);
    cpu->gdtr = (DescTable){ 0, 0xFFFF };
    cpu->idtr = (DescTable){ 0, 0xFFFF };
    cpu->cr0 = CR0_CD | CR0_NW | CR0_ET;
    cpu->cr2 = cpu->cr3 = cpu->cr4 = 0;
    memset(cpu->dr, 0, sizeof cpu->dr);
    cpu->dr[6] = 0xFFFF0FF0u;
    cpu->dr[7] = 0x00000400u;
    memset(&cpu->msr, 0, sizeof cpu->msr);
    memset(&cpu->amd_msr, 0, sizeof cpu->amd_msr);
    amd_reset_msrs(cpu);
    /* Enabled at the base Intel resets to; BSP flag on the bootstrap CPU. */
    cpu->msr.apic_base = cpu->is_ap ? 0xFEE00800u : 0xFEE00900u;
    memset(cpu->pdpte, 0, sizeof cpu->pdpte);
    cpu->code32 = cpu->stack32 = false;
    cpu->halted = cpu->inhibit_irq = cpu->nmi_pending = cpu->nmi_blocked = false;
    cpu->exc_depth = 0;
    cpu->triple_fault = false;
    cpu->svm_guest = cpu->svm_npt = cpu->svm_vintr = false;
    cpu->gif = true;
    cpu->init_held = false;
    cpu->tlb = cpu->tlb_host;
    cpu->pending_db = false;
    cpu->suppress_tf_trap = false;
    cpu_set_cpl(cpu, 0);
    cpu_update_debug_state(cpu);
    tlb_flush_all(cpu);
    icache_flush(cpu->icache);
    fpu_reset(cpu->fpu);
}
