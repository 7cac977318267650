/* SPDX-License-Identifier: MIT */
/* The CPU as a machine component (iodev/device.h): every architectural and
 * hidden register a snapshot must carry, and how a loaded CPU re-derives
 * what it caches (TLB pointers, decoded blocks, debug state).
 *
 * The lazy arithmetic flags are saved as they are (kind and operands), not
 * materialised: a snapshot must not change what the next instruction sees,
 * and materialising would differ from the uninterrupted run only in when
 * the flags are computed, never in their values, but keeping them exact is
 * cheaper to reason about. */
#include "cpu/cpu_state.h"

#include <stdio.h>

#include "cpu/amd.h"
#include "cpu/cpu_model.h"
#include "cpu/exception.h"
#include "cpu/icache.h"
#include "cpu/mem_access.h"
#include "cpu/svm.h"

#define CPU_FIELD(m, k) SF_FIELD(Cpu, m, k)

static const StateField cpu_fields[] = {
    SF_ARRAY(Cpu, gpr, SF_U32, 8),
    CPU_FIELD(eip, SF_U32),
    SF_FIELD_MAX(Cpu, lf.kind, SF_U32, LF_W32 | LF_KIND_MASK),
    CPU_FIELD(lf.dst, SF_U32),
    CPU_FIELD(lf.src, SF_U32),
    CPU_FIELD(lf.res, SF_U32),
    CPU_FIELD(lf.aux, SF_U32),
    CPU_FIELD(eflags, SF_U32),
    SF_EACH(Cpu, seg, sel, SF_U16, SEG_COUNT),
    SF_EACH(Cpu, seg, flags, SF_U16, SEG_COUNT),
    SF_EACH(Cpu, seg, base, SF_U32, SEG_COUNT),
    SF_EACH(Cpu, seg, limit, SF_U32, SEG_COUNT),
    SF_EACH(Cpu, seg, lim_lo, SF_U32, SEG_COUNT),
    SF_EACH(Cpu, seg, lim_hi, SF_U32, SEG_COUNT),
    SF_EACH_MAX(Cpu, seg, access, SF_U32, SEG_COUNT, SEG_ACC_READ | SEG_ACC_WRITE),
    CPU_FIELD(icount, SF_U64),
    CPU_FIELD(idle_insns, SF_U64),
    SF_FIELD_MAX(Cpu, cpl, SF_U8, 3),
    CPU_FIELD(code32, SF_BOOL),
    CPU_FIELD(stack32, SF_BOOL),
    CPU_FIELD(halted, SF_BOOL),
    CPU_FIELD(inhibit_irq, SF_BOOL),
    CPU_FIELD(intr, SF_BOOL),
    CPU_FIELD(nmi_pending, SF_BOOL),
    CPU_FIELD(nmi_blocked, SF_BOOL),
    CPU_FIELD(triple_fault, SF_BOOL),
    CPU_FIELD(cr0, SF_U32),
    CPU_FIELD(cr2, SF_U32),
    CPU_FIELD(cr3, SF_U32),
    CPU_FIELD(cr4, SF_U32),
    SF_ARRAY(Cpu, dr, SF_U32, 8),
    CPU_FIELD(gdtr.base, SF_U32),
    CPU_FIELD(gdtr.limit, SF_U32),
    CPU_FIELD(idtr.base, SF_U32),
    CPU_FIELD(idtr.limit, SF_U32),
    SF_ARRAY(Cpu, pdpte, SF_U64, 4),
    CPU_FIELD(msr.sysenter_cs, SF_U32),
    CPU_FIELD(msr.sysenter_esp, SF_U32),
    CPU_FIELD(msr.sysenter_eip, SF_U32),
    CPU_FIELD(msr.apic_base, SF_U64),
    CPU_FIELD(msr.tsc_offset, SF_U64),
    SF_ARRAY(Cpu, msr.mtrr_var, SF_U64, 16),
    SF_ARRAY(Cpu, msr.mtrr_fixed, SF_U64, 11),
    CPU_FIELD(msr.mtrr_def_type, SF_U64),
    SF_ARRAY(Cpu, msr.perfevtsel, SF_U64, 2),
    SF_ARRAY(Cpu, msr.perfctr, SF_U64, 2),
};

/* Loading into a CPU: the old state's cached translations and decoded
 * blocks must go before the fields change under them. */
static bool cpu_post_load(void *dev, char *err, size_t errlen)
{
    Cpu *cpu = dev;
    unsigned kind = cpu->lf.kind & LF_KIND_MASK;
    if (kind > LF_EXPLICIT) {
        snprintf(err, errlen, "device 'cpu': lazy flags kind %u is not valid", kind);
        return false;
    }
    if (cpu->idle_insns > cpu->icount) {
        snprintf(err, errlen, "device 'cpu': idle instructions exceed the instruction count");
        return false;
    }
    cpu->gpr[REG_NONE] = 0;
    cpu->eflags = (cpu->eflags & FLAGS_WRITABLE) | 2u;
    cpu->stop_request = false;
    cpu->block_exit = false;
    cpu->suppress_tf_trap = false;
    cpu->pending_db = false;
    cpu->exc_depth = 0;
    cpu->cur_block = NULL;
    for (unsigned s = 0; s < SEG_COUNT; s++)
        seg_cache_sync(&cpu->seg[s]);   /* not saved: derived */
    cpu_set_cpl(cpu, cpu->cpl);        /* the TLB pair for this CPL */
    cpu_update_debug_state(cpu);       /* single_step, debug_check from TF/DR7 */
    tlb_flush_all(cpu);
    icache_flush(cpu->icache);
    return true;
}

/* Version 2: the CPU model's instruction set, so that a snapshot is not
 * resumed on another model (a Pentium 4's SSE state on a Pentium II).
 * Version-1 snapshots come from before the models: a Pentium II. */
static void cpu_save_extra(void *dev, StateWriter *w)
{
    const Cpu *cpu = dev;
    state_put_u32(w, cpu->model->isa);
    if (cpu->model->amd)
        amd_save_state(cpu, w);   /* models newer than version 2: no version bump */
}

static bool cpu_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    Cpu *cpu = dev;
    uint32_t isa = version >= 2 ? state_get_u32(r) : cpu_model_find(CPU_MODEL_DEFAULT)->isa;
    if (state_ok(r) && isa != cpu->model->isa) {
        snprintf(err, errlen, "device 'cpu': the snapshot is of another CPU model "
                 "(instruction sets %#x, this -cpu %s has %#x)", isa, cpu->model->name,
                 cpu->model->isa);
        return false;
    }
    if (cpu->model->amd && version >= 2)
        return amd_load_state(cpu, r, err, errlen);
    return true;
}

static void cpu_state_reset(void *dev)
{
    cpu_reset(dev);
}

static void cpu_info(void *dev, FILE *out)
{
    const Cpu *cpu = dev;
    fprintf(out, "cs:eip %04x:%08x cpl %u %s%s%s icount %llu (idle %llu)\n",
            cpu->seg[SEG_CS].sel, cpu->eip, cpu->cpl, cpu->cr0 & CR0_PE ? "protected" : "real",
            cpu->cr0 & CR0_PG ? " paging" : "", cpu->halted ? " halted" : "",
            (unsigned long long)cpu->icount, (unsigned long long)cpu->idle_insns);
    fprintf(out, "cr0 %08x cr2 %08x cr3 %08x cr4 %08x eflags %08x\n", cpu->cr0, cpu->cr2,
            cpu->cr3, cpu->cr4, cpu->eflags);
    fprintf(out, "model %s (CPUID 1 EAX %08x)\n", cpu->model->name, cpu->model->signature);
    if (cpu->isa & ISA_SVM)
        svm_info(cpu, out);
}

const DeviceDesc cpu_desc = {
    .kind = "cpu",
    .version = 2,
    .fields = cpu_fields,
    .n_fields = sizeof cpu_fields / sizeof cpu_fields[0],
    .reset = cpu_state_reset,
    .save_extra = cpu_save_extra,
    .load_extra = cpu_load_extra,
    .post_load = cpu_post_load,
    .info = cpu_info,
};
