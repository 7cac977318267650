/* SPDX-License-Identifier: MIT */
/* AMD SVM (cpu/svm.c): VMRUN and #VMEXIT, VMLOAD/VMSAVE, STGI/CLGI,
 * VMMCALL, INVLPGA, and the intercept hooks the rest of the CPU calls;
 * nested paging (cpu/svm_npt.c); the ASIDs' TLB banks (cpu/svm_tlb.c).
 *
 * Every hook is an inline test of cpu->svm_guest (false unless a guest
 * runs), so a CPU that never executes VMRUN pays one untaken branch in the
 * handlers that have one (CPUID, HLT, IN/OUT, RDMSR/WRMSR, MOV CR, INVLPG,
 * PUSHF/POPF, INT n, IRET...) and none in the hot paths. */
#ifndef KAIRO_SVM_H
#define KAIRO_SVM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"

/* CPUID 8000_000A EDX: what is implemented. Bit 0: nested paging, bit 3:
 * next-RIP save, bit 5: VMCB clean bits (VMRUN reloads every field, which
 * is what ignoring them means), bit 6: TLB_CONTROL flushes by ASID. */
#define SVM_CPUID_FEATURES ((1u << 0) | (1u << 3) | (1u << 5) | (1u << 6))

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
    /* probe mode (the debugger's translations): a failing nested walk sets
     * probe_failed instead of leaving the guest */
    bool probing, probe_failed;
    /* the guests' TLB banks (cpu/svm_tlb.c) */
    struct SvmTlbBank *banks;
    bool host_stale;            /* the host's bank needs a flush before use */
    uint64_t tlb_clock;         /* for least-recently-used bank reuse */
    struct SvmTlbBank *cur_bank; /* the guest bank VMRUN chose */
    uint32_t host_code_epoch;   /* PhysMem.code_epoch when the host's bank left */
} SvmState;

/* --- the ASID-tagged TLB (cpu/svm_tlb.c) --- */
#define SVM_TLB_BANKS 4
typedef struct SvmTlbBank SvmTlbBank;
/* VMRUN: the guest's bank (after TLB_CONTROL), its registers loaded. */
void svm_tlb_enter_guest(Cpu *cpu, uint32_t asid, uint32_t tlb_control);
/* #VMEXIT: the host's bank, its registers loaded. */
void svm_tlb_enter_host(Cpu *cpu);
/* Every bank but the current one is flushed before its next use. */
void svm_tlb_mark_stale(Cpu *cpu);
void svm_tlb_invlpga(Cpu *cpu, uint32_t lin, uint32_t asid);
/* The ASID whose bank is in use (0: the host's). */
uint32_t svm_tlb_current_asid(const Cpu *cpu);
void svm_tlb_free(SvmState *s);
/* A snapshot loaded: the host's bank in use, every bank flushed; guest:
 * the loaded world is a guest's, which runs in the host's bank until its
 * #VMEXIT flushes it. */
void svm_tlb_reset(Cpu *cpu, bool guest);

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
/* MOV CR0 / LMSW: the CR0 write intercept, then the selective one. */
void svm_intercept_cr0_sel(Cpu *cpu, uint32_t val, uint32_t next_eip);
/* A fault about to be delivered in the guest: true if it left the guest. */
bool svm_intercept_exception(Cpu *cpu, int vector, uint32_t err);
/* A #PF about to be raised in the guest: #VMEXIT(0x4E) if intercepted,
 * before CR2 changes. */
void svm_intercept_page_fault(Cpu *cpu, uint32_t lin, uint32_t err);
/* INT3 and INTO: their exception intercepts (#BP, #OF) before delivery. */
void svm_intercept_soft_exception(Cpu *cpu, int vector, uint32_t next_eip);
/* Interrupts at an instruction boundary while in a guest or with GIF
 * clear: 1 an INTR/NMI exit was taken, 0 they are held (GIF clear), -1
 * the usual delivery applies. */
int svm_take_interrupt(Cpu *cpu);
/* INIT under SVM (APM "INIT Support"): held while GIF is clear, an exit
 * (#VMEXIT code 0x63, the INIT still held) in a guest that intercepts it.
 * svm_init_defer: must an INIT arriving now wait? svm_init_release: the
 * held INIT may now reset the CPU (else it stays held, after the exit if
 * the guest intercepts it). */
bool svm_init_defer(const Cpu *cpu);
bool svm_init_release(Cpu *cpu);
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

/* The monitor's lines about the SVM state (info svm, info cpu). */
void svm_info(const Cpu *cpu, FILE *out);

/* The SVM state, allocated at the first use. */
SvmState *svm_state(Cpu *cpu);
void svm_free(Cpu *cpu);

#endif
