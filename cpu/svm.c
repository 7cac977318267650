/* SPDX-License-Identifier: MIT */
/* AMD Secure Virtual Machine (AMD APM vol. 2 ch. 15): VMRUN and #VMEXIT
 * with the VMCB control and state-save areas, VMLOAD, VMSAVE, VMMCALL,
 * STGI/CLGI and the global interrupt flag, INVLPGA, the instruction, I/O
 * (IOPM), MSR (MSRPM), CR/DR, selective CR0, descriptor-table, exception,
 * INTR/NMI/VINTR and shutdown intercepts, event injection, virtual
 * interrupts (V_IRQ, V_TPR, V_INTR_MASKING), the TSC offset and next-RIP.
 *
 * The host's state goes to the page VM_HSAVE_PA names, in the layout of a
 * VMCB's state-save area, so that it lives in guest-visible memory as on
 * the hardware and travels with snapshots of RAM. Each world has a TLB
 * bank of its own (cpu/svm_tlb.c), so a world switch flushes nothing.
 * Nested paging is cpu/svm_npt.c. */
#include "cpu/svm.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/amd.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm_vmcb.h"
#include "cpu/pickers.h"

/* --- VMCB access (physical) --- */

static uint64_t vmcb_read(Cpu *cpu, uint64_t vmcb, unsigned off, unsigned size)
{
    return phys_read(cpu->mem, vmcb + off, size);
}

static void vmcb_write(Cpu *cpu, uint64_t vmcb, unsigned off, unsigned size, uint64_t v)
{
    phys_write(cpu->mem, vmcb + off, size, v);
}

/* VMCB attributes are descriptor bits 40-47 in 0-7 and 52-55 in 8-11;
 * SegCache.flags holds the same bits at 0-7 and 12-15. */
static uint16_t attr_from_flags(uint16_t f) { return (uint16_t)((f & 0xFFu) | ((f >> 4) & 0xF00u)); }
static uint16_t flags_from_attr(uint16_t a) { return (uint16_t)((a & 0xFFu) | ((a & 0xF00u) << 4)); }

static void vmcb_seg_save(Cpu *cpu, uint64_t vmcb, unsigned off, const SegCache *s)
{
    vmcb_write(cpu, vmcb, off, 2, s->sel);
    vmcb_write(cpu, vmcb, off + 2, 2, attr_from_flags(s->flags));
    vmcb_write(cpu, vmcb, off + 4, 4, s->limit);
    vmcb_write(cpu, vmcb, off + 8, 8, s->base);
}

static void vmcb_seg_load(Cpu *cpu, uint64_t vmcb, unsigned off, SegCache *s, bool real)
{
    uint16_t sel = (uint16_t)vmcb_read(cpu, vmcb, off, 2);
    uint16_t attr = (uint16_t)vmcb_read(cpu, vmcb, off + 2, 2);
    uint32_t limit = (uint32_t)vmcb_read(cpu, vmcb, off + 4, 4);
    uint32_t base = (uint32_t)vmcb_read(cpu, vmcb, off + 8, 8);
    seg_set_cache(s, sel, base, limit, flags_from_attr(attr));
    if (real)
        seg_set_access(s, SEG_ACC_READ | SEG_ACC_WRITE);   /* real and V86 mode: no type checks */
}

static void table_save(Cpu *cpu, uint64_t vmcb, unsigned off, const DescTable *t)
{
    vmcb_write(cpu, vmcb, off + 4, 4, t->limit);
    vmcb_write(cpu, vmcb, off + 8, 8, t->base);
}

static void table_load(Cpu *cpu, uint64_t vmcb, unsigned off, DescTable *t)
{
    t->limit = (uint32_t)vmcb_read(cpu, vmcb, off + 4, 4) & 0xFFFFu;
    t->base = (uint32_t)vmcb_read(cpu, vmcb, off + 8, 8);
}

/* The four segments and registers VMRUN and #VMEXIT switch. */
static const struct { unsigned seg, off; } switched_segs[] = {
    { SEG_ES, VMCB_ES }, { SEG_CS, VMCB_CS }, { SEG_SS, VMCB_SS }, { SEG_DS, VMCB_DS },
};

/* Save what a world switch saves: the guest's state at #VMEXIT, the host's
 * at VMRUN (rip: where it resumes). */
static void state_save(Cpu *cpu, uint64_t b, uint32_t rip)
{
    for (unsigned i = 0; i < 4; i++)
        vmcb_seg_save(cpu, b, switched_segs[i].off, &cpu->seg[switched_segs[i].seg]);
    table_save(cpu, b, VMCB_GDTR, &cpu->gdtr);
    table_save(cpu, b, VMCB_IDTR, &cpu->idtr);
    vmcb_write(cpu, b, VMCB_CPL, 1, cpu->cpl);
    vmcb_write(cpu, b, VMCB_EFER, 8, cpu->amd_msr.efer);
    vmcb_write(cpu, b, VMCB_CR0, 8, cpu->cr0);
    vmcb_write(cpu, b, VMCB_CR2, 8, cpu->cr2);
    vmcb_write(cpu, b, VMCB_CR3, 8, cpu->cr3);
    vmcb_write(cpu, b, VMCB_CR4, 8, cpu->cr4);
    vmcb_write(cpu, b, VMCB_DR6, 8, cpu->dr[6]);
    vmcb_write(cpu, b, VMCB_DR7, 8, cpu->dr[7]);
    vmcb_write(cpu, b, VMCB_RFLAGS, 8, flags_read(cpu));
    vmcb_write(cpu, b, VMCB_RIP, 8, rip);
    vmcb_write(cpu, b, VMCB_RSP, 8, cpu->gpr[R_ESP]);
    vmcb_write(cpu, b, VMCB_RAX, 8, cpu->gpr[R_EAX]);
}

/* The control registers and EFER, then the PDPTEs that follow from them;
 * the caller picks the world's TLB bank. */
static void load_control_regs(Cpu *cpu, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint64_t efer)
{
    cpu->cr0 = cr0 | CR0_ET;
    cpu->cr3 = cr3;
    cpu->cr4 = cr4;
    cpu->amd_msr.efer = efer;
    cpu_paging_loaded(cpu);
}

static void load_eflags(Cpu *cpu, uint32_t v)
{
    cpu->lf.kind = LF_NONE;
    cpu->eflags = (v & FLAGS_WRITABLE) | 2u;
    cpu_update_debug_state(cpu);
}

/* Load a state-save area (the guest's at VMRUN, the host's at #VMEXIT). */
static void state_load(Cpu *cpu, uint64_t b, bool host)
{
    uint32_t cr0 = (uint32_t)vmcb_read(cpu, b, VMCB_CR0, 8);
    if (host)
        cr0 |= CR0_PE;
    load_control_regs(cpu, cr0, (uint32_t)vmcb_read(cpu, b, VMCB_CR3, 8),
                      (uint32_t)vmcb_read(cpu, b, VMCB_CR4, 8), vmcb_read(cpu, b, VMCB_EFER, 8));
    uint32_t rflags = (uint32_t)vmcb_read(cpu, b, VMCB_RFLAGS, 8);
    bool real = !(cr0 & CR0_PE) || (rflags & FLAG_VM);
    for (unsigned i = 0; i < 4; i++)
        vmcb_seg_load(cpu, b, switched_segs[i].off, &cpu->seg[switched_segs[i].seg], real);
    table_load(cpu, b, VMCB_GDTR, &cpu->gdtr);
    table_load(cpu, b, VMCB_IDTR, &cpu->idtr);
    load_eflags(cpu, rflags);
    cpu->eip = (uint32_t)vmcb_read(cpu, b, VMCB_RIP, 8);
    cpu->gpr[R_ESP] = (uint32_t)vmcb_read(cpu, b, VMCB_RSP, 8);
    cpu->gpr[R_EAX] = (uint32_t)vmcb_read(cpu, b, VMCB_RAX, 8);
    cpu->code32 = (cpu->seg[SEG_CS].flags & DESC_DB) != 0;
    cpu->stack32 = (cpu->seg[SEG_SS].flags & DESC_DB) != 0;
    if (host) {
        cpu->dr[7] = 0x400u;   /* #VMEXIT disables the host's breakpoints */
        cpu_set_cpl(cpu, 0);
    } else {
        cpu->cr2 = (uint32_t)vmcb_read(cpu, b, VMCB_CR2, 8);
        cpu->dr[6] = ((uint32_t)vmcb_read(cpu, b, VMCB_DR6, 8) & 0xE00Fu) | 0xFFFF0FF0u;
        cpu->dr[7] = ((uint32_t)vmcb_read(cpu, b, VMCB_DR7, 8) & 0xFFFF23FFu) | 0x400u;
        cpu_set_cpl(cpu, real ? ((rflags & FLAG_VM) ? 3 : 0)
                              : vmcb_read(cpu, b, VMCB_CPL, 1) & 3);
    }
    cpu_update_debug_state(cpu);
}

/* --- logging (-d svm) --- */

static void svm_log(Cpu *cpu, const char *fmt, unsigned long long a, unsigned long long b,
                    unsigned long long c)
{
    if (!(cpu->log_mask & CPU_LOG_SVM))
        return;
    FILE *out = cpu->log_file ? (FILE *)cpu->log_file : stderr;
    fprintf(out, fmt, a, b, c);
    fprintf(out, " at %04X:%08X\n", cpu->seg[SEG_CS].sel, cpu->eip);
}

/* The monitor's view (info svm, info cpu): the world, and for a guest its
 * VMCB, ASID, nested paging and virtual-interrupt state. */
void svm_info(const Cpu *cpu, FILE *out)
{
    fprintf(out, "svm: %s world, gif %u, efer %08llx, vm_hsave_pa %#llx\n",
            cpu->svm_guest ? "guest" : "host", cpu->gif, (unsigned long long)cpu->amd_msr.efer,
            (unsigned long long)cpu->amd_msr.vm_hsave_pa);
    const SvmState *s = cpu->svm;
    if (!cpu->svm_guest || !s)
        return;
    fprintf(out, "svm: vmcb %#llx asid %u (TLB bank in use: asid %u), npt %s",
            (unsigned long long)s->vmcb, (unsigned)phys_read(cpu->mem, s->vmcb + VMCB_ASID, 4),
            svm_tlb_current_asid(cpu), cpu->svm_npt ? "on" : "off");
    if (cpu->svm_npt)
        fprintf(out, " n_cr3 %#llx (%s)", (unsigned long long)s->n_cr3,
                s->host_pae ? "PAE" : "32-bit");
    fprintf(out, "\nsvm: v_irq %u vector %#x prio %u v_tpr %u%s%s (host IF %u)\n",
            (s->vintr & VINTR_IRQ) != 0, (unsigned)(s->vintr >> VINTR_VECTOR_SHIFT) & 0xFF,
            (unsigned)(s->vintr >> VINTR_PRIO_SHIFT) & 0xF, (unsigned)(s->vintr & VINTR_TPR_MASK),
            (s->vintr & VINTR_IGN_TPR) ? " ign_tpr" : "",
            (s->vintr & VINTR_MASKING) ? " v_intr_masking" : "", s->host_if);
    fprintf(out, "svm: intercepts cr %08x dr %08x exc %08x misc1 %08x misc2 %08x\n",
            s->icpt_cr, s->icpt_dr, s->icpt_exc, s->icpt_misc1, s->icpt_misc2);
}

/* --- #VMEXIT --- */

SvmState *svm_state(Cpu *cpu)
{
    if (!cpu->svm) {
        cpu->svm = calloc(1, sizeof *cpu->svm);
        if (!cpu->svm) {
            fputs("kairo: out of memory for the SVM state\n", stderr);
            exit(1);
        }
    }
    return cpu->svm;
}

void svm_free(Cpu *cpu)
{
    if (cpu->svm)
        svm_tlb_free(cpu->svm);
    free(cpu->svm);
    cpu->svm = NULL;
}

/* The world switch back to the host; the guest resumes at its RIP. */
static void world_exit(Cpu *cpu, uint64_t code, uint64_t info1, uint64_t info2,
                       uint32_t next_rip)
{
    SvmState *s = cpu->svm;
    uint64_t b = s->vmcb;
    svm_log(cpu, "svm: #VMEXIT code %#llx info1 %#llx info2 %#llx", code, info1, info2);
    state_save(cpu, b, cpu->eip);
    /* bit 1 GUEST_INTERRUPT_MASK: the guest's IF, for a host that runs it
     * with V_INTR_MASKING */
    vmcb_write(cpu, b, VMCB_INT_SHADOW, 8, (cpu->inhibit_irq ? 1 : 0) |
                                           ((cpu->eflags & FLAG_IF) ? 2 : 0));
    /* V_IRQ (cleared when the virtual interrupt was taken) and V_TPR go back */
    uint64_t vintr = vmcb_read(cpu, b, VMCB_VINTR, 8);
    uint64_t mine = VINTR_IRQ | 0xFFu;
    vmcb_write(cpu, b, VMCB_VINTR, 8, (vintr & ~mine) | (s->vintr & mine));
    vmcb_write(cpu, b, VMCB_EXITCODE, 8, code);
    vmcb_write(cpu, b, VMCB_EXITINFO1, 8, info1);
    vmcb_write(cpu, b, VMCB_EXITINFO2, 8, info2);
    vmcb_write(cpu, b, VMCB_EXITINTINFO, 8, cpu->exc_depth > 0 ? s->event : 0);
    vmcb_write(cpu, b, VMCB_NEXT_RIP, 8, next_rip);
    uint64_t inj = vmcb_read(cpu, b, VMCB_EVENTINJ, 8);
    vmcb_write(cpu, b, VMCB_EVENTINJ, 8, inj & ~(uint64_t)EVENT_VALID);
    cpu->msr.tsc_offset -= s->tsc_offset;
    cpu->svm_guest = false;
    cpu->svm_npt = false;
    cpu->svm_vintr = false;
    cpu->gif = false;
    cpu->inhibit_irq = false;
    cpu->halted = false;
    cpu->exc_depth = 0;
    cpu->exc_first = -1;
    state_load(cpu, cpu->amd_msr.vm_hsave_pa, true);
    svm_tlb_enter_host(cpu);
    svm_log(cpu, "svm: host resumes (vmcb %#llx)%.0llu%.0llu", b, 0, 0);
}

_Noreturn void svm_exit(Cpu *cpu, uint64_t code, uint64_t info1, uint64_t info2)
{
    world_exit(cpu, code, info1, info2, 0);
    cpu->fault_vec = CPU_FAULT_VMEXIT;
    longjmp(cpu->fault_jmp, 1);
}

/* An intercepted instruction: the guest's RIP stays on it, next RIP after. */
static _Noreturn void exit_insn(Cpu *cpu, uint64_t code, uint64_t info1, uint64_t info2,
                                uint32_t next_rip)
{
    world_exit(cpu, code, info1, info2, next_rip);
    cpu->fault_vec = CPU_FAULT_VMEXIT;
    longjmp(cpu->fault_jmp, 1);
}

/* EXITINTINFO's type: software interrupts (INT n, INT3, INTO), exceptions
 * (those raised by a fault), NMI, else an external interrupt. */
void svm_note_event(Cpu *cpu, int vector, uint32_t err, bool soft, bool exception)
{
    unsigned type = soft ? EVENT_TYPE_SOFT : exception ? EVENT_TYPE_EXC
                  : vector == EXC_NMI ? EVENT_TYPE_NMI : EVENT_TYPE_INTR;
    uint64_t ev = EVENT_VALID | (uint32_t)vector | (type << EVENT_TYPE_SHIFT);
    if (err != NO_ERRCODE && type == EVENT_TYPE_EXC)
        ev |= EVENT_ERR_VALID | ((uint64_t)err << 32);
    cpu->svm->event = ev;
}

/* --- intercept checks --- */

/* Exit codes 0x60-0x7F are the bits of ICPT_MISC1 in order, 0x80-0x9F
 * those of ICPT_MISC2. */
void svm_intercept_insn(Cpu *cpu, uint64_t code, uint32_t next_eip)
{
    const SvmState *s = cpu->svm;
    uint32_t word = code < 0x80 ? s->icpt_misc1 : s->icpt_misc2;
    if ((word >> ((code - 0x60) & 31)) & 1)
        exit_insn(cpu, code, 0, 0, next_eip);
}

static bool map_bit(Cpu *cpu, uint64_t base, uint32_t bit)
{
    return (phys_read(cpu->mem, base + bit / 8, 1) >> (bit % 8)) & 1;
}

void svm_intercept_io(Cpu *cpu, uint16_t port, unsigned size, uint32_t info, uint32_t next_eip)
{
    const SvmState *s = cpu->svm;
    if (!(s->icpt_misc1 & ICPT1_IOIO))
        return;
    bool hit = false;
    for (unsigned i = 0; i < size; i++)   /* the IOPM has 65536 + 24 bits: no wrap */
        hit |= map_bit(cpu, s->iopm, (uint32_t)port + i);
    if (hit)
        exit_insn(cpu, SVM_EXIT_IOIO, info | ((uint32_t)port << IOIO_PORT_SHIFT) |
                  (IOIO_SZ8 * size), next_eip, next_eip);
}

/* The MSRPM's three 2 KiB ranges, two bits (read, write) per MSR. */
static const struct { uint32_t first; uint32_t byte; } msrpm_ranges[] = {
    { 0x00000000u, 0x0000 }, { 0xC0000000u, 0x0800 }, { 0xC0010000u, 0x1000 },
};

void svm_intercept_msr(Cpu *cpu, bool write, uint32_t next_eip)
{
    const SvmState *s = cpu->svm;
    if (!(s->icpt_misc1 & ICPT1_MSR))
        return;
    uint32_t index = cpu->gpr[R_ECX];
    bool hit = true;   /* MSRs outside the ranges are always intercepted */
    for (unsigned i = 0; i < 3; i++)
        if (index - msrpm_ranges[i].first < 0x2000u) {
            uint32_t bit = (index - msrpm_ranges[i].first) * 2 + (write ? 1 : 0);
            hit = map_bit(cpu, s->msrpm + msrpm_ranges[i].byte, bit);
        }
    if (hit)
        exit_insn(cpu, SVM_EXIT_MSR, write ? 1 : 0, 0, next_eip);
}

void svm_intercept_cr(Cpu *cpu, unsigned cr, bool write, uint32_t next_eip)
{
    if ((cpu->svm->icpt_cr >> (cr + (write ? 16 : 0))) & 1)
        exit_insn(cpu, (write ? SVM_EXIT_WRITE_CR0 : SVM_EXIT_READ_CR0) + cr, 0, 0, next_eip);
}

/* The selective CR0 write intercept: a MOV CR0 or LMSW that changes a bit
 * other than TS and MP (CLTS never does). The general CR0 write intercept,
 * checked first by the caller, has priority. */
void svm_intercept_cr0_sel(Cpu *cpu, uint32_t val, uint32_t next_eip)
{
    if ((cpu->svm->icpt_cr >> 16) & 1)
        exit_insn(cpu, SVM_EXIT_WRITE_CR0, 0, 0, next_eip);
    uint32_t changed = (cpu->cr0 ^ (val | CR0_ET)) & ~(CR0_TS | CR0_MP);
    if ((cpu->svm->icpt_misc1 & ICPT1_CR0_SEL) && changed)
        exit_insn(cpu, SVM_EXIT_CR0_SEL_WRITE, 0, 0, next_eip);
}

void svm_intercept_dr(Cpu *cpu, unsigned dr, bool write, uint32_t next_eip)
{
    if ((cpu->svm->icpt_dr >> (dr + (write ? 16 : 0))) & 1)
        exit_insn(cpu, (write ? SVM_EXIT_WRITE_DR0 : SVM_EXIT_READ_DR0) + dr, 0, 0, next_eip);
}

bool svm_intercept_exception(Cpu *cpu, int vector, uint32_t err)
{
    if (vector >= 32 || !((cpu->svm->icpt_exc >> vector) & 1))
        return false;
    uint64_t info2 = vector == EXC_PF ? cpu->cr2 : 0;
    world_exit(cpu, SVM_EXIT_EXCP0 + (unsigned)vector, err == NO_ERRCODE ? 0 : err, info2, 0);
    return true;
}

void svm_intercept_page_fault(Cpu *cpu, uint32_t lin, uint32_t err)
{
    if ((cpu->svm->icpt_exc >> EXC_PF) & 1)
        svm_exit(cpu, SVM_EXIT_EXCP0 + EXC_PF, err, lin);
}

/* INT3 and INTO raise #BP and #OF as traps of their own, not through
 * cpu_fault: the guest's RIP stays on the instruction, next RIP after. */
void svm_intercept_soft_exception(Cpu *cpu, int vector, uint32_t next_eip)
{
    if ((cpu->svm->icpt_exc >> vector) & 1)
        exit_insn(cpu, SVM_EXIT_EXCP0 + (unsigned)vector, 0, 0, next_eip);
}

/* EXITINFO1: the new TSS selector; EXITINFO2: bit 36 IRET, bit 38 JMP,
 * bit 44 an error code to push, which is in bits 0-31. */
void svm_intercept_task_switch(Cpu *cpu, uint16_t sel, bool iret, bool jmp, bool has_err,
                               uint32_t err)
{
    if (!(cpu->svm->icpt_misc1 & ICPT1_TASK_SWITCH))
        return;
    uint64_t info2 = (iret ? 1ull << 36 : 0) | (jmp ? 1ull << 38 : 0) |
                     (has_err ? (1ull << 44) | err : 0);
    svm_exit(cpu, SVM_EXIT_TASK_SWITCH, sel, info2);
}

bool svm_intercept_shutdown(Cpu *cpu)
{
    if (!(cpu->svm->icpt_misc1 & ICPT1_SHUTDOWN))
        return false;
    world_exit(cpu, SVM_EXIT_SHUTDOWN, 0, 0, 0);
    return true;
}

/* A virtual interrupt can be taken: V_IRQ pending, the guest's IF set
 * (it masks virtual interrupts whatever V_INTR_MASKING says), and its
 * priority above V_TPR unless V_IGN_TPR. The interrupt shadow was tested
 * by the caller. */
static bool vintr_ready(const Cpu *cpu, const SvmState *s)
{
    if (!cpu->svm_vintr || !(cpu->eflags & FLAG_IF))
        return false;
    unsigned prio = (unsigned)(s->vintr >> VINTR_PRIO_SHIFT) & 0xF;
    return (s->vintr & VINTR_IGN_TPR) || prio > (unsigned)(s->vintr & VINTR_TPR_MASK);
}

/* Deliver V_INTR_VECTOR through the guest's IDT, as an external interrupt
 * (no gate DPL check, EXITINTINFO type INTR); V_IRQ clears. */
static void vintr_deliver(Cpu *cpu, SvmState *s)
{
    svm_log(cpu, "svm: virtual interrupt vector %#llx (prio %llu, v_tpr %llu)",
            (s->vintr >> VINTR_VECTOR_SHIFT) & 0xFF, (s->vintr >> VINTR_PRIO_SHIFT) & 0xF,
            s->vintr & VINTR_TPR_MASK);
    s->vintr &= ~VINTR_IRQ;
    cpu->svm_vintr = false;
    cpu->halted = false;
    cpu_deliver_interrupt(cpu, (int)((s->vintr >> VINTR_VECTOR_SHIFT) & 0xFF), NO_ERRCODE,
                          false, cpu->eip);
}

/* Interrupts while a guest runs (APM "Interrupt and LINT Virtualization"):
 * a physical INTR is open by the host's IF (saved at VMRUN) under
 * V_INTR_MASKING, else by the guest's; intercepted, it is an INTR exit.
 * Physical interrupts come before virtual ones, which the VINTR intercept
 * turns into an exit at the moment the guest could take one. */
int svm_take_interrupt(Cpu *cpu)
{
    if (!cpu->gif)
        return 0;   /* held until STGI */
    SvmState *s = cpu->svm;
    bool nmi = cpu->nmi_pending && !cpu->nmi_blocked;
    if (nmi && (s->icpt_misc1 & ICPT1_NMI)) {
        world_exit(cpu, SVM_EXIT_NMI, 0, 0, 0);
        return 1;
    }
    bool masking = (s->vintr & VINTR_MASKING) != 0;
    bool open = masking ? s->host_if : (cpu->eflags & FLAG_IF) != 0;
    if (cpu->intr && open) {
        if (s->icpt_misc1 & ICPT1_INTR) {
            world_exit(cpu, SVM_EXIT_INTR, 0, 0, 0);
            return 1;
        }
        if (!masking)
            return -1;   /* the guest takes it through its own IDT */
        cpu_log_once(cpu, "svm: physical INTR under V_INTR_MASKING without the INTR "
                     "intercept is held", 0);
    }
    if (vintr_ready(cpu, s)) {
        if (s->icpt_misc1 & ICPT1_VINTR) {
            world_exit(cpu, SVM_EXIT_VINTR, 0, 0, 0);
            return 1;
        }
        vintr_deliver(cpu, s);
        return 1;
    }
    /* An NMI the host lets through goes to the guest; under V_INTR_MASKING
     * the guest's IF must not let a physical INTR in. */
    if (masking && cpu->intr && !nmi)
        return 0;
    return -1;
}

bool svm_init_defer(const Cpu *cpu)
{
    return !cpu->gif || (cpu->svm_guest && (cpu->svm->icpt_misc1 & ICPT1_INIT));
}

bool svm_init_release(Cpu *cpu)
{
    if (!cpu->gif)
        return false;
    if (cpu->svm_guest && (cpu->svm->icpt_misc1 & ICPT1_INIT)) {
        world_exit(cpu, SVM_EXIT_INIT, 0, 0, 0);   /* GIF is clear now: still held */
        return false;
    }
    return true;
}

/* GIF set (STGI, VMRUN) with an INIT held: the CPU stops at the next block
 * boundary so that the machine looks at it again (iodev/apic.c). */
static void init_recheck(Cpu *cpu)
{
    if (cpu->init_held)
        cpu->stop_request = true;
}

/* --- the SVM instructions --- */

/* EFER.SVME off: #UD; outside protected mode or at CPL > 0: #GP(0). */
static void svm_require(Cpu *cpu)
{
    if (!(cpu->amd_msr.efer & EFER_SVME) || !cpu_pe(cpu) || cpu_v86(cpu))
        cpu_fault(cpu, EXC_UD, NO_ERRCODE);
    if (cpu->cpl != 0)
        cpu_fault(cpu, EXC_GP, 0);
}

/* rAX names a page-aligned physical address (VMRUN, VMLOAD, VMSAVE). */
static uint64_t svm_rax_page(Cpu *cpu)
{
    uint32_t a = cpu->gpr[R_EAX];
    if (a & 0xFFFu)
        cpu_fault(cpu, EXC_GP, 0);
    return a;
}

static void intercept_if_guest(Cpu *cpu, const Insn *in, uint64_t code)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, code, cpu->eip + in->len));
}

/* An EVENTINJ the guest cannot take (APM "Event Injection"): a reserved
 * type (1, 5-7), or an exception with vector 2 or above 31. */
static bool eventinj_impossible(uint64_t ev)
{
    if (!(ev & EVENT_VALID))
        return false;
    unsigned vec = ev & 0xFF, type = (ev >> EVENT_TYPE_SHIFT) & 7;
    return type == 1 || type > EVENT_TYPE_SOFT ||
           (type == EVENT_TYPE_EXC && (vec == EXC_NMI || vec > 31));
}

/* The consistency checks VMRUN makes on the guest state before loading
 * it (APM "Canonicalization and Consistency Checks"), those that apply in
 * legacy mode, and an impossible EVENTINJ. */
static bool vmcb_valid(Cpu *cpu, uint64_t b)
{
    uint64_t efer = vmcb_read(cpu, b, VMCB_EFER, 8);
    uint64_t cr0 = vmcb_read(cpu, b, VMCB_CR0, 8);
    uint64_t cr3 = vmcb_read(cpu, b, VMCB_CR3, 8), cr4 = vmcb_read(cpu, b, VMCB_CR4, 8);
    uint32_t misc2 = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_MISC2, 4);
    uint32_t asid = (uint32_t)vmcb_read(cpu, b, VMCB_ASID, 4);
    uint64_t efer_ok = EFER_SCE | EFER_NXE | EFER_SVME;
    /* PG without PE is legal ("paged real mode"): only long mode forbids it */
    return (efer & EFER_SVME) && !(efer & ~efer_ok) && !(cr0 >> 32) &&
           !(!(cr0 & CR0_CD) && (cr0 & CR0_NW)) &&
           !(cr3 >> 32) && !(cr4 >> 32) && (misc2 & ICPT2_VMRUN) && asid != 0 &&
           !eventinj_impossible(vmcb_read(cpu, b, VMCB_EVENTINJ, 8));
}

static void load_controls(Cpu *cpu, SvmState *s, uint64_t b)
{
    s->vmcb = b;
    s->icpt_cr = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_CR, 4);
    s->icpt_dr = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_DR, 4);
    s->icpt_exc = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_EXC, 4);
    s->icpt_misc1 = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_MISC1, 4);
    s->icpt_misc2 = (uint32_t)vmcb_read(cpu, b, VMCB_ICPT_MISC2, 4);
    s->iopm = vmcb_read(cpu, b, VMCB_IOPM_BASE, 8) & 0xFFFFFF000ull;
    s->msrpm = vmcb_read(cpu, b, VMCB_MSRPM_BASE, 8) & 0xFFFFFF000ull;
    s->tsc_offset = vmcb_read(cpu, b, VMCB_TSC_OFFSET, 8);
    s->vintr = vmcb_read(cpu, b, VMCB_VINTR, 8);
    s->host_if = (cpu->eflags & FLAG_IF) != 0;
    s->n_cr3 = vmcb_read(cpu, b, VMCB_N_CR3, 8);
    s->host_pae = (cpu->cr4 & CR4_PAE) != 0;
    s->host_pse = (cpu->cr4 & CR4_PSE) != 0;
    s->host_nx = (cpu->amd_msr.efer & EFER_NXE) != 0;
    /* Events Kairo never produces (no SMM, no FERR freeze): their
     * intercepts cannot fire. */
    if (s->icpt_misc1 & (ICPT1_SMI | ICPT1_FERR_FREEZE))
        cpu_log_once(cpu, "svm: SMI and FERR_FREEZE intercepts never fire", s->icpt_misc1);
}

/* EVENTINJ: deliver the event in the guest as if it happened at its RIP. */
static void inject_event(Cpu *cpu, uint64_t b)
{
    uint64_t ev = vmcb_read(cpu, b, VMCB_EVENTINJ, 8);
    if (!(ev & EVENT_VALID))
        return;
    unsigned vec = ev & 0xFF, type = (ev >> EVENT_TYPE_SHIFT) & 7;
    uint32_t err = (ev & EVENT_ERR_VALID) ? (uint32_t)(ev >> 32) : NO_ERRCODE;
    svm_log(cpu, "svm: inject vector %#llx type %llu error %#llx", vec, type, ev >> 32);
    vmcb_write(cpu, b, VMCB_EVENTINJ, 8, ev & ~(uint64_t)EVENT_VALID);
    if (type == EVENT_TYPE_EXC && err == NO_ERRCODE && vec == EXC_DF)
        err = 0;
    /* With next-RIP save the return address of a software interrupt or a
     * soft exception (#BP, #OF) is NEXT_RIP, while RIP stays on the
     * instruction in case the delivery exits (KVM relies on both). */
    uint32_t ret = cpu->eip;
    if (type == EVENT_TYPE_SOFT || (type == EVENT_TYPE_EXC && (vec == EXC_BP || vec == EXC_OF)))
        ret = (uint32_t)vmcb_read(cpu, b, VMCB_NEXT_RIP, 8);
    /* An injected NMI blocks further NMIs until the guest's IRET, as a
     * real one does (KVM watches that IRET through its intercept). */
    if (type == EVENT_TYPE_NMI)
        cpu->nmi_blocked = true;
    cpu_deliver_interrupt(cpu, (int)vec, type == EVENT_TYPE_SOFT ? NO_ERRCODE : err,
                          type == EVENT_TYPE_SOFT, ret);
}

/* VMRUN (0F 01 D8): save the host, load the guest, inject, run. */
static const Insn *op_vmrun(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_VMRUN);
    uint64_t b = svm_rax_page(cpu);
    uint32_t next = cpu->eip + in->len;
    if (!vmcb_valid(cpu, b)) {
        vmcb_write(cpu, b, VMCB_EXITCODE, 8, SVM_EXIT_INVALID);
        svm_log(cpu, "svm: VMRUN of vmcb %#llx: invalid guest state%.0llu%.0llu", b, 0, 0);
        cpu->eip = next;
        return NULL;
    }
    SvmState *s = svm_state(cpu);
    state_save(cpu, cpu->amd_msr.vm_hsave_pa, next);
    load_controls(cpu, s, b);
    svm_log(cpu, "svm: VMRUN vmcb %#llx asid %llu%.0llu", b,
            vmcb_read(cpu, b, VMCB_ASID, 4), 0);
    /* The guest's PDPTEs (loaded with its CR3) are guest-physical already. */
    cpu->svm_npt = vmcb_read(cpu, b, VMCB_NP_ENABLE, 8) & 1;
    state_load(cpu, b, false);
    cpu->inhibit_irq = vmcb_read(cpu, b, VMCB_INT_SHADOW, 8) & 1;
    svm_tlb_enter_guest(cpu, (uint32_t)vmcb_read(cpu, b, VMCB_ASID, 4),
                        (uint32_t)vmcb_read(cpu, b, VMCB_TLB_CONTROL, 4));
    cpu->msr.tsc_offset += s->tsc_offset;
    cpu->svm_guest = true;
    cpu->svm_vintr = (s->vintr & VINTR_IRQ) != 0;
    cpu->gif = true;
    init_recheck(cpu);
    inject_event(cpu, b);
    return NULL;
}

/* VMMCALL (0F 01 D9): for the hypervisor when intercepted, else #UD. */
static const Insn *op_vmmcall(Cpu *cpu, const Insn *in)
{
    intercept_if_guest(cpu, in, SVM_EXIT_VMMCALL);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* The state VMLOAD and VMSAVE move: FS, GS, TR, LDTR and the SYSCALL and
 * SYSENTER MSRs (the long-mode ones read and write as zero here). */
static void vm_save_extra(Cpu *cpu, uint64_t b)
{
    vmcb_seg_save(cpu, b, VMCB_FS, &cpu->seg[SEG_FS]);
    vmcb_seg_save(cpu, b, VMCB_GS, &cpu->seg[SEG_GS]);
    vmcb_seg_save(cpu, b, VMCB_TR, &cpu->seg[SEG_TR]);
    vmcb_seg_save(cpu, b, VMCB_LDTR, &cpu->seg[SEG_LDTR]);
    vmcb_write(cpu, b, VMCB_STAR, 8, cpu->amd_msr.star);
    vmcb_write(cpu, b, VMCB_SYSENTER_CS, 8, cpu->msr.sysenter_cs);
    vmcb_write(cpu, b, VMCB_SYSENTER_ESP, 8, cpu->msr.sysenter_esp);
    vmcb_write(cpu, b, VMCB_SYSENTER_EIP, 8, cpu->msr.sysenter_eip);
}

static void vm_load_extra(Cpu *cpu, uint64_t b)
{
    bool real = !cpu_pe(cpu) || cpu_v86(cpu);
    vmcb_seg_load(cpu, b, VMCB_FS, &cpu->seg[SEG_FS], real);
    vmcb_seg_load(cpu, b, VMCB_GS, &cpu->seg[SEG_GS], real);
    vmcb_seg_load(cpu, b, VMCB_TR, &cpu->seg[SEG_TR], false);
    vmcb_seg_load(cpu, b, VMCB_LDTR, &cpu->seg[SEG_LDTR], false);
    cpu->amd_msr.star = vmcb_read(cpu, b, VMCB_STAR, 8);
    cpu->msr.sysenter_cs = (uint32_t)vmcb_read(cpu, b, VMCB_SYSENTER_CS, 8);
    cpu->msr.sysenter_esp = (uint32_t)vmcb_read(cpu, b, VMCB_SYSENTER_ESP, 8);
    cpu->msr.sysenter_eip = (uint32_t)vmcb_read(cpu, b, VMCB_SYSENTER_EIP, 8);
}

static const Insn *op_vmload(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_VMLOAD);
    vm_load_extra(cpu, svm_rax_page(cpu));
    cpu->eip += in->len;
    return NULL;
}

static const Insn *op_vmsave(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_VMSAVE);
    vm_save_extra(cpu, svm_rax_page(cpu));
    cpu->eip += in->len;
    return NULL;
}

/* STGI / CLGI: the global interrupt flag. The block ends so that a held
 * interrupt is looked at right after STGI. */
static const Insn *op_stgi(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_STGI);
    cpu->gif = true;
    init_recheck(cpu);
    cpu->eip += in->len;
    return NULL;
}

static const Insn *op_clgi(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_CLGI);
    cpu->gif = false;
    cpu->eip += in->len;
    return NULL;
}

/* SKINIT: the model does not report it (CPUID 8000_0001 ECX bit 12). */
static const Insn *op_skinit(Cpu *cpu, const Insn *in)
{
    (void)in;
    cpu_log_once(cpu, "SKINIT is not implemented (#UD, as CPUID reports no SKINIT)", 0);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

/* INVLPGA (0F 01 DF): rAX the linear address, ECX the ASID whose
 * translation goes (0: the host's). */
static const Insn *op_invlpga(Cpu *cpu, const Insn *in)
{
    svm_require(cpu);
    intercept_if_guest(cpu, in, SVM_EXIT_INVLPGA);
    svm_state(cpu);
    svm_tlb_invlpga(cpu, cpu->gpr[R_EAX], cpu->gpr[R_ECX]);
    cpu->eip += in->len;
    return NULL;
}

static const InsnFn svm_ops[8] = {
    op_vmrun, op_vmmcall, op_vmload, op_vmsave, op_stgi, op_clgi, op_skinit, op_invlpga,
};

/* PAUSE (F3 90): a NOP that a guest's PAUSE intercept catches (no pause
 * filter: CPUID does not report one). Only SVM models decode F3 90 to it,
 * so a plain NOP costs nothing. */
static const Insn *op_pause(Cpu *cpu, const Insn *in)
{
    SVM_HOOK(cpu, svm_intercept_insn(cpu, SVM_EXIT_PAUSE, cpu->eip + in->len));
    return insn_pause(cpu, in);
}

/* F3 90: its row in the opcode table needs ISA_SVM; other models keep
 * the NOP of 90. */
InsnFn pick_pause(const DecodeCtx *d)
{
    (void)d;
    return op_pause;
}

/* 0F 01 D8-DF is group 7 /3 with a register operand (cpu/ops_system.c
 * hands it here). */
InsnFn svm_pick_group7_reg3(const DecodeCtx *d)
{
    if (d->reg == 3 && !d->mem)   /* ISA_SVM: opcode_members */
        return svm_ops[d->rm & 7];
    return NULL;
}
