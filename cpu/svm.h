/* SPDX-License-Identifier: MIT */
/* AMD SVM (cpu/svm.c): VMRUN and #VMEXIT, VMLOAD/VMSAVE, STGI/CLGI,
 * VMMCALL, INVLPGA, and the intercept hooks the rest of the CPU calls.
 *
 * Every hook is an inline test of cpu->svm_guest (false unless a guest
 * runs), so a CPU that never executes VMRUN pays one untaken branch in the
 * few handlers that have one (CPUID, HLT, IN/OUT, RDMSR/WRMSR, MOV CR,
 * INVLPG) and none in the hot paths. */
#ifndef KAIRO_SVM_H
#define KAIRO_SVM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* CPUID 8000_000A EDX: what is implemented. Bit 0: nested paging, bit 3:
 * next-RIP save. */
#define SVM_CPUID_FEATURES ((1u << 0) | (1u << 3))

/* Fault vector that means "a #VMEXIT happened, nothing to deliver": the
 * intercept unwound to the loop through cpu->fault_jmp. */
#define CPU_FAULT_VMEXIT 0x100

typedef struct SvmState {
    uint64_t vmcb;              /* physical address of the running guest's VMCB */
    uint32_t icpt_cr, icpt_dr, icpt_exc, icpt_misc1, icpt_misc2;
    uint64_t iopm, msrpm;       /* physical bases of the permission maps */
    uint64_t tsc_offset;        /* added to the TSC while the guest runs */
    uint64_t vintr;             /* VMCB_VINTR as loaded */
    bool host_if;               /* the host's EFLAGS.IF (V_INTR_MASKING) */
    /* nested paging (cpu/svm_npt.c): N_CR3 and the host's paging format */
    uint64_t n_cr3;
    bool host_pae, host_pse, host_nx;
    /* The event being delivered in the guest, in EXITINTINFO's format: an
     * intercept during its delivery reports it (cpu->exc_depth > 0). */
    uint64_t event;
    uint32_t pf_lin;            /* the address of an intercepted #PF */
    /* probe mode (the debugger's translations): a failing nested walk sets
     * probe_failed instead of leaving the guest */
    bool probing, probe_failed;
} SvmState;

/* Start (on) or end (off) a probe; ending returns false if a nested walk
 * failed during it. */
bool svm_npt_probe(Cpu *cpu, bool on);

/* An event's delivery starts in the guest. */
void svm_note_event(Cpu *cpu, int vector, uint32_t err, bool soft, bool exception);

/* Guest-physical to host-physical through the nested tables, or
 * #VMEXIT(NPF) (never returns then). table: the guest's own page-table
 * access. Called only while cpu->svm_npt. */
uint64_t svm_npt_translate(Cpu *cpu, uint64_t gpa, bool write, bool fetch, bool table);
static inline uint64_t svm_gpa(Cpu *cpu, uint64_t gpa, bool write, bool fetch, bool table)
{
    return __builtin_expect(cpu->svm_npt, 0) ? svm_npt_translate(cpu, gpa, write, fetch, table)
                                             : gpa;
}

/* Leave the guest now: #VMEXIT with the code and exit information, then
 * unwind out of the current instruction (never returns). */
_Noreturn void svm_exit(Cpu *cpu, uint64_t code, uint64_t info1, uint64_t info2);

/* Intercept checks, called only while cpu->svm_guest. */
void svm_intercept_insn(Cpu *cpu, uint64_t code, uint32_t next_eip);
void svm_intercept_io(Cpu *cpu, uint16_t port, unsigned size, uint32_t info,
                      uint32_t next_eip);
void svm_intercept_msr(Cpu *cpu, bool write, uint32_t next_eip);
void svm_intercept_cr(Cpu *cpu, unsigned cr, bool write, uint32_t next_eip);
void svm_intercept_dr(Cpu *cpu, unsigned dr, bool write, uint32_t next_eip);
/* A #PF at lin in the guest: true if its intercept is set (the address is
 * kept for EXITINFO2 and CR2 stays as it is). */
bool svm_pf_intercepted(Cpu *cpu, uint32_t lin);
/* A fault about to be delivered in the guest: true if it left the guest. */
bool svm_intercept_exception(Cpu *cpu, int vector, uint32_t err);
/* Interrupts at an instruction boundary while in a guest or with GIF
 * clear: 1 an INTR/NMI exit was taken, 0 they are held (GIF clear), -1
 * the usual delivery applies. */
int svm_take_interrupt(Cpu *cpu);
/* A task switch in the guest (before anything of it is done). */
void svm_intercept_task_switch(Cpu *cpu, uint16_t sel, bool iret, bool jmp, bool has_err,
                               uint32_t err);
/* A triple fault in the guest: #VMEXIT(SHUTDOWN) if intercepted. */
bool svm_intercept_shutdown(Cpu *cpu);

/* The hook form: one test of a flag that is false without a guest. */
#define SVM_HOOK(cpu, call)                 \
    do {                                    \
        if (__builtin_expect((cpu)->svm_guest, 0)) \
            call;                           \
    } while (0)

/* The SVM state, allocated at the first use. */
SvmState *svm_state(Cpu *cpu);
void svm_free(Cpu *cpu);

#endif
