/* SPDX-License-Identifier: MIT */
/* The IA-32 CPU state and its public interface.
 *
 * One Cpu is one processor. It reaches the rest of the machine only through
 * the physical memory bus (PhysMem), the port bus (PortBus) and its INTR line
 * (intr_ack callback), so a second CPU or a second machine needs no globals. */
#ifndef KAIRO_CPU_H
#define KAIRO_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "memory/phys.h"

struct PortBus;
struct CpuModel;


/* General register numbers, in the order ModRM and opcodes encode them.
 * gpr[REG_NONE] is always zero, so effective-address code can add
 * "no base" or "no index" without a branch. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI, REG_NONE };

/* Segment registers in sreg encoding order, plus the system segments. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* EFLAGS bits */
#define FLAG_CF   0x00000001u
#define FLAG_PF   0x00000004u
#define FLAG_AF   0x00000010u
#define FLAG_ZF   0x00000040u
#define FLAG_SF   0x00000080u
#define FLAG_TF   0x00000100u
#define FLAG_IF   0x00000200u
#define FLAG_DF   0x00000400u
#define FLAG_OF   0x00000800u
#define FLAG_IOPL 0x00003000u
#define FLAG_NT   0x00004000u
#define FLAG_RF   0x00010000u
#define FLAG_VM   0x00020000u
#define FLAG_AC   0x00040000u
#define FLAG_VIF  0x00080000u
#define FLAG_VIP  0x00100000u
#define FLAG_ID   0x00200000u
#define FLAGS_ARITH (FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF)
/* Bits a P6 lets software change (bit 1 always reads as 1). */
#define FLAGS_WRITABLE 0x003F7FD5u

/* CR0 / CR4 bits */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE  0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_MCE 0x0040u
#define CR4_PGE 0x0080u
#define CR4_PCE 0x0100u
#define CR4_OSFXSR 0x0200u   /* SSE enabled; FXSAVE/FXRSTOR include the SSE state */
#define CR4_OSXMMEXCPT 0x0400u   /* unmasked SSE exceptions raise #XM, else #UD */

/* Instruction-set extensions a CPU model has (CpuModel.isa, cpu/cpu_model.c):
 * the decoder makes the opcodes of the missing ones #UD. */
#define ISA_CPUID 0x0001u   /* CPUID */
#define ISA_TSC   0x0002u   /* RDTSC, RDMSR/WRMSR */
#define ISA_CX8   0x0004u   /* CMPXCHG8B */
#define ISA_MMX   0x0008u
#define ISA_CMOV  0x0010u   /* CMOVcc, FCMOVcc, FCOMI/FUCOMI(P) */
#define ISA_P6    0x0020u   /* SYSENTER/SYSEXIT, RDPMC, UD2 stays everywhere */
#define ISA_FXSR  0x0040u   /* FXSAVE/FXRSTOR */
#define ISA_SSE   0x0080u
#define ISA_SSE2  0x0100u
#define ISA_SSE3  0x0200u
#define ISA_CLFLUSH 0x0400u
#define ISA_SYSCALL 0x0800u   /* AMD: EFER, STAR, SYSCALL/SYSRET (cpu/amd.c) */
#define ISA_NX      0x1000u   /* EFER.NXE: execute-disable in PAE tables */
#define ISA_SVM     0x2000u   /* AMD SVM: VMRUN and friends (cpu/svm.c) */

/* Exception vectors */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19
};
/* cpu_fault() error-code argument for exceptions that push none. */
#define NO_ERRCODE 0xFFFFFFFFu

/* Segment descriptor attribute bits as kept in SegCache.flags: bits 8..23
 * of a descriptor's high dword, shifted down by 8 (type in bits 0..3). */
#define DESC_TYPE_MASK 0x000Fu
#define DESC_S    0x0010u   /* code/data (1) or system (0) */
#define DESC_DPL_SHIFT 5
#define DESC_DPL  0x0060u
#define DESC_P    0x0080u
#define DESC_AVL  0x1000u
#define DESC_DB   0x4000u   /* default size / big */
#define DESC_G    0x8000u
#define DESC_CODE 0x0008u   /* within type, for S=1 */
#define DESC_CONFORMING_OR_EXPDOWN 0x0004u
#define DESC_RW   0x0002u   /* readable code / writable data */
#define DESC_ACCESSED 0x0001u

/* SegCache.access: what a fast-path access may do without further checks. */
#define SEG_ACC_READ  1u
#define SEG_ACC_WRITE 2u

typedef struct SegCache {
    uint16_t sel;
    uint16_t flags;     /* descriptor attributes, see DESC_* */
    uint32_t base;
    uint32_t limit;     /* byte-granular limit as the descriptor gives it */
    /* Valid offsets are lim_lo..lim_hi inclusive (expand-down aware). */
    uint32_t lim_lo, lim_hi;
    uint32_t access;    /* SEG_ACC_* allowed; 0 for a null selector */
    /* The SEG_ACC_* kinds that need neither the limit check nor the base:
     * base 0 and every offset valid (a flat segment). Derived from the
     * fields above by seg_cache_sync, which every writer calls. */
    uint8_t flat;
    uint8_t pad[7];     /* 32 bytes: cpu->seg[n] is a shift from cpu, not a multiply */
} SegCache;

static inline void seg_cache_sync(SegCache *s)
{
    bool flat = s->base == 0 && s->lim_lo == 0 && s->lim_hi == 0xFFFFFFFFu;
    s->flat = flat ? (uint8_t)(s->access & (SEG_ACC_READ | SEG_ACC_WRITE)) : 0;
}

/* A writer of SegCache.access alone (real mode drops the type checks). */
static inline void seg_set_access(SegCache *s, uint32_t access)
{
    s->access = access;
    seg_cache_sync(s);
}

typedef struct DescTable {
    uint32_t base;
    uint32_t limit;
} DescTable;

/* Lazy arithmetic flags. An instruction that sets the six arithmetic flags
 * records what it did; the flags are computed only when somebody reads them.
 * kind == LF_NONE means cpu->eflags holds them already. */
enum {
    LF_NONE = 0,
    LF_ADD, LF_ADC, LF_SUB, LF_SBB,
    LF_LOGIC,     /* AND/OR/XOR/TEST: CF=OF=0, AF=0 (P6) */
    LF_INC, LF_DEC, /* like ADD/SUB with src 1, CF preserved in aux */
    LF_NEG,
    LF_EXPLICIT,  /* res gives SF/ZF/PF; CF, OF, AF are in aux as FLAG_ bits */
};
#define LF_W8  0x100u
#define LF_W16 0x200u
#define LF_W32 0x400u
#define LF_KIND_MASK 0xFFu

typedef struct LazyFlags {
    uint32_t kind;  /* LF_xxx | LF_Wnn */
    uint32_t dst;   /* first operand */
    uint32_t src;   /* second operand */
    uint32_t res;   /* result, truncated to width */
    uint32_t aux;   /* carry-in (ADC/SBB), old CF (INC/DEC), or flag bits (EXPLICIT) */
} LazyFlags;

/* One TLB entry: linear page -> host memory (or none) and physical page.
 * 16 bytes, so an index is a shift and a read or write TLB takes 16 KiB of
 * L1 beside the guest's data: the flags the fill and flush paths need ride
 * in the low 12 bits of the page-aligned physical address. The host side
 * is an addend to the linear address (host page - linear page), so a hit
 * needs no page-offset mask. */
typedef struct TlbEntry {
    uint32_t tag;        /* linear page address (lin & ~0xFFF); 1 = empty */
    uint32_t phys_flags; /* physical page (after A20) | TLB_GLOBAL | TLB_NX_FETCH | TLB_HOST */
    uintptr_t addend;    /* host address of byte lin = addend + lin (with TLB_HOST) */
} TlbEntry;
_Static_assert(sizeof(TlbEntry) == 16, "a TLB index is a shift by 4");

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_EMPTY 1u
/* Tag bit: a valid translation that must take the slow path (MMIO, ROM
 * writes, code pages for writes, data breakpoints). */
#define TLB_SLOW 2u
/* TlbEntry.phys_flags: the bit an ACC_FETCH lookup (mem_access.h) finds
 * set, so that a fetch from an NX page misses and walks (and faults). */
#define TLB_NX_FETCH 2u
/* TlbEntry.phys_flags: a PGE global mapping, which survives a CR3 reload. */
#define TLB_GLOBAL 0x100u
/* TlbEntry.phys_flags: the page has host memory (addend is valid); a page
 * without (MMIO, none) is always tagged TLB_SLOW too. */
#define TLB_HOST 0x200u
#define TLB_PHYS_FLAGS 0xFFFu
/* The physical page an entry maps. */
static inline uint32_t tlb_entry_phys(const TlbEntry *e) { return e->phys_flags & ~TLB_PHYS_FLAGS; }
static inline bool tlb_entry_global(const TlbEntry *e) { return (e->phys_flags & TLB_GLOBAL) != 0; }
enum { TLB_SUP_READ, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_KINDS };

/* Model-specific registers the P6 model keeps. */
typedef struct CpuMsrs {
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base;
    uint64_t tsc_offset;   /* TSC = icount + tsc_offset */
    /* P6 MTRRs and performance-counter MSRs (cpu/cpuid.c): stored and read
     * back for the guest; they change nothing in the emulation. */
    uint64_t mtrr_var[16];     /* MSR 0x200-0x20F: PHYSBASE0, PHYSMASK0, ... */
    uint64_t mtrr_fixed[11];   /* MSR 0x250, 0x258, 0x259, 0x268-0x26F */
    uint64_t mtrr_def_type;    /* MSR 0x2FF */
    uint64_t perfevtsel[2];    /* MSR 0x186, 0x187 */
    uint64_t perfctr[2];       /* MSR 0xC1, 0xC2 (40 bits; they never count) */
} CpuMsrs;

/* The AMD models' MSRs (cpu/amd.c), kept apart from CpuMsrs at the end of
 * Cpu so that the hot fields keep their places. */
typedef struct CpuAmdMsrs {
    uint64_t efer;             /* MSR C000_0080: SCE, NXE, SVME (no long mode) */
    uint64_t star;             /* MSR C000_0081: SYSRET CS, SYSCALL CS, SYSCALL EIP */
    uint64_t vm_cr;            /* MSR C001_0114 */
    uint64_t vm_hsave_pa;      /* MSR C001_0117: where VMRUN keeps the host state */
    /* registers that hold what is written (cpu/amd.c's amd_plain_msrs):
     * performance counters, SYSCFG, HWCR, NB_CFG, INT_PENDING_MSG, PAT,
     * DEBUGCTL */
    uint64_t plain[14];
} CpuAmdMsrs;

/* -d log items */
#define CPU_LOG_INT   0x1u   /* every interrupt and exception delivered */
#define CPU_LOG_RESET 0x2u   /* CPU resets and triple faults */
#define CPU_LOG_SVM   0x4u   /* SVM world switches: VMRUN, #VMEXIT (cpu/svm.c) */

struct Block;
struct IcacheState;
struct JmpCacheEntry;
struct FpuState;
struct Cpu;

/* An external debugger watching the CPU (the gdb stub, debug/gdbstub.c).
 * Its hooks run only while Cpu.debugger_active is set; that also sets
 * debug_check (cpu_update_debug_state), so a CPU without one pays nothing. */
typedef struct CpuDebugger {
    /* At every instruction boundary (not while halted), before interrupts
     * are taken: true leaves cpu_run before the instruction at CS:EIP. */
    bool (*stop_before)(void *opaque, struct Cpu *cpu);
    /* A data access to a watched page (linear address): the hook may set
     * cpu->stop_request, which ends cpu_run after this instruction. */
    void (*data_access)(void *opaque, struct Cpu *cpu, uint32_t lin, unsigned size,
                        bool write);
    /* Does the 4 KiB page at lin hold a watched range? Such pages stay off
     * the TLB fast path, so every access to them reaches data_access. */
    bool (*page_watched)(void *opaque, uint32_t lin);
    /* May the block at [lin, lin + len) run whole (no breakpoint inside it,
     * no step, no watchpoint)? Otherwise the CPU runs one instruction at a
     * time, calling stop_before at each. */
    bool (*block_clear)(void *opaque, uint32_t lin, uint32_t len);
    void *opaque;
} CpuDebugger;

typedef struct Cpu {
    /* --- hot state, touched by nearly every instruction --- */
    uint32_t gpr[9];        /* gpr[REG_NONE] stays 0 */
    uint32_t eip;           /* start of the current instruction while it runs */
    LazyFlags lf;
    uint32_t eflags;        /* all bits except the lazy arithmetic ones */
    SegCache seg[SEG_COUNT];
    TlbEntry *tlb_read;     /* = tlb[TLB_SUP_READ] or tlb[TLB_USER_READ] by CPL */
    TlbEntry *tlb_write;
    uint64_t icount;        /* instructions retired */
    uint64_t icount_stop;   /* the loop leaves at or soon after this count */
    uint64_t idle_insns;    /* part of icount spent halted (guest time, not work) */
    /* Bumped by everything that may change what a linear EIP decodes to
     * (TLB flushes, CS or CPL changes, block-cache flushes): a block's
     * cached link to its successor is valid only within one epoch. */
    uint32_t chain_epoch;
    uintptr_t chain_sp_floor;   /* a chain of block links stops below this host SP (icache.h) */
    struct BlockLink *link_from;   /* the exit a block left by, for the loop to link */
    /* The return stack (icache.h): a CALL that ends its block pushes the
     * return EIP and its block's return link; the RET chains through it. */
    struct { uint32_t eip, epoch; struct BlockLink *link; } ras[16];
    uint32_t ras_top;

    /* --- mode --- */
    uint8_t cpl;
    bool code32;            /* CS.D */
    bool stack32;           /* SS.B */
    /* Everything the loop must look at between blocks, in one word so that
     * the common case (none of it) costs a single test. */
    union {
        struct {
            bool halted;
            bool inhibit_irq;   /* one-instruction shadow after STI, MOV SS, POP SS */
            bool single_step;   /* execute one instruction per block (TF, debug) */
            bool debug_check;   /* DR7 has enabled breakpoints: check each instruction */
            bool intr;          /* INTR line level from the interrupt controller */
            bool nmi_pending;
            bool stop_request;  /* leave cpu_run at the next block boundary */
            bool svm_vintr;     /* an SVM guest's V_IRQ is pending (cpu/svm.c) */
        };
        uint64_t attention;
    };
    bool block_exit;        /* a handler asks the loop to re-look-up (mode changes) */
    bool suppress_tf_trap;  /* the instruction just run must not raise the TF trap */
    uint32_t block_eip;     /* EIP at which the current block was entered */
    bool pending_db;        /* a data breakpoint hit: #DB trap after this instruction */

    /* --- system registers --- */
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    DescTable gdtr, idtr;
    CpuMsrs msr;
    uint64_t pdpte[4];      /* PAE page-directory-pointer entries, loaded with CR3 */

    /* --- interrupts (intr and nmi_pending are in the attention word) --- */
    bool nmi_blocked;       /* from NMI delivery to the next IRET */
    int (*intr_ack)(void *opaque);   /* returns the vector, acknowledges */
    /* FERR# (x87 error with CR0.NE clear): the machine routes it to IRQ 13. */
    void (*ferr)(void *opaque, bool level);
    void *ferr_opaque;
    void *intr_opaque;
    int exc_depth;          /* nesting of exception delivery, for #DF / triple fault */
    /* The event whose delivery is in progress while exc_depth > 0 (cpu/interrupt.c):
     * its vector if it is an exception (for the double-fault classes), -1 for an
     * interrupt (INT n, IRQ, NMI: benign); exc_ext: it is external to the program,
     * so faults during its delivery set EXT (bit 0) in their error codes. */
    int exc_first;
    bool exc_ext;
    bool triple_fault;      /* set when a triple fault happened; machine decides */

    /* --- ports open to every privilege level --- */
    /* [io_open_first, +io_open_count) pass the I/O permission check, as
     * VMware's backdoor does (-device vmport sets 0x5658, 2); 0: none. */
    uint16_t io_open_first, io_open_count;

    /* --- fault unwinding --- */
    jmp_buf fault_jmp;
    int fault_vec;
    uint32_t fault_err;

    /* --- logging (-d) --- */
    uint32_t log_mask;      /* CPU_LOG_* */
    void *log_file;         /* FILE*, stderr when NULL */

    /* --- the world outside --- */
    PhysMem *mem;
    struct PortBus *io;
    struct IcacheState *icache;
    struct Block *cur_block;
    struct JmpCacheEntry *jmp_cache;   /* [JMP_CACHE_SIZE], see icache.h */
    struct FpuState *fpu;
    const struct CpuModel *model;   /* -cpu NAME (cpu/cpu_model.h); never NULL */
    uint32_t isa;                   /* model->isa: ISA_* the decoder allows */

    /* --- TLB storage (code fetches use the read TLB) --- */
    /* The TLB of the running world: tlb_host, or an SVM guest's bank
     * (cpu/svm_tlb.c) */
    TlbEntry (*tlb)[TLB_SIZE];
    TlbEntry tlb_host[TLB_KINDS][TLB_SIZE];

    /* --- an attached debugger (see CpuDebugger); last, so that it moves
     * none of the hot fields above --- */
    const CpuDebugger *debugger;
    bool debugger_active;   /* it has breakpoints, watchpoints or a step: call its hooks */

    /* --- tracing and the flight recorder (debug/trace.h); last, like the
     * debugger. tracer NULL: every trace hook is one untaken branch. --- */
    struct Tracer *tracer;
    bool trace_loop;        /* cpu_run hands over to the traced loop (cpu/trace_loop.c) */

    /* --- the local APIC (iodev/apic.h), NULL on a CPU without one. The
     * APIC drives intr and nmi_pending and answers intr_ack; the CPU tells
     * it when IA32_APIC_BASE changes and reports it in CPUID. --- */
    void *apic;
    void (*apic_base_changed)(void *apic);
    uint8_t apic_id;        /* CPUID leaf 1 EBX[31:24] */
    bool is_ap;             /* not the bootstrap processor: IA32_APIC_BASE.BSP clear */
    struct Cpu *next_sibling;   /* a ring of the CPUs sharing this PhysMem */
    /* With several CPUs: the highest TSC any of them has read (shared). */
    uint64_t *tsc_floor;
    /* A spin-wait yields (cpu_pause_spin): after pause_yield_after PAUSEs
     * in one run (0: never, the uniprocessor case) the CPU sets yielded
     * and stop_request, and the machine idles the rest of its slice. */
    uint16_t pause_yield_after;
    uint16_t spin_pauses;
    bool yielded;
    /* --- AMD SVM (cpu/svm.c); last too. svm_guest false: every intercept
     * hook is one untaken branch. --- */
    bool svm_guest;         /* running a guest between VMRUN and #VMEXIT */
    bool gif;               /* global interrupt flag (STGI/CLGI); true outside SVM */
    bool init_held;         /* an INIT held by GIF=0 or a guest's INIT intercept (cpu/svm.c) */
    bool svm_npt;           /* the guest runs with nested paging (cpu/svm_npt.c) */
    struct SvmState *svm;   /* allocated at the first VMRUN */
    CpuAmdMsrs amd_msr;
} Cpu;

/* --- lifecycle (cpu/cpu.c) --- */
Cpu *cpu_new(PhysMem *mem, struct PortBus *io);
void cpu_free(Cpu *cpu);
void cpu_reset(Cpu *cpu);    /* power-on/RESET state: CS:IP = F000:FFF0, base FFFF0000 */
/* Choose the CPU model (cpu/cpu_model.h; the default is CPU_MODEL_DEFAULT),
 * then RESET. */
void cpu_set_model(Cpu *cpu, const struct CpuModel *model);

/* Run until icount reaches icount_stop, the CPU halts with IF=0 and no NMI,
 * or a triple fault. Returns the number of instructions executed. */
uint64_t cpu_run(Cpu *cpu, uint64_t max_insns);

/* Start-up IPI: real mode at vector:0000 (cpu/cpu_apic.c). */
void cpu_start_at(Cpu *cpu, uint16_t cs_sel);
/* RDTSC on a multiprocessor: never below what another CPU has read. */
uint64_t cpu_tsc_across_cpus(Cpu *cpu, uint64_t tsc);
/* CPUID leaf 1 with the APIC: the feature bit and the initial APIC ID. */
void cpu_cpuid_apic(const Cpu *cpu, uint32_t leaf, uint32_t out[4]);

/* Interrupt lines, called by the machine/PIC. */
void cpu_set_intr(Cpu *cpu, bool level);
void cpu_raise_nmi(Cpu *cpu);

/* --- faults (cpu/exception.c) ---
 * Raise an exception from inside an instruction handler: unwinds to the
 * execution loop, which delivers it. EIP is still at the instruction start,
 * so the instruction restarts after the handler returns. */
_Noreturn void cpu_fault(Cpu *cpu, int vector, uint32_t errcode);
/* Deliver an exception/interrupt now (called by the loop, INT n, etc.).
 * is_soft: INT n / INT3 / INTO (privilege checks against gate DPL, and for
 * INT n in V86 the VME redirection). next_eip: EIP to push for traps/soft. */
void cpu_deliver_interrupt(Cpu *cpu, int vector, uint32_t errcode,
                           bool is_soft, uint32_t next_eip);

/* Log something unimplemented, once per call site key. */
void cpu_log_once(Cpu *cpu, const char *what, uint32_t detail);
/* The same for the guest's mistakes (-d guest_errors). */
void cpu_log_guest_error(Cpu *cpu, const char *what, uint32_t detail);

/* Change CPL: selects the user or supervisor TLB pair. Every CPL change
 * (segment loads, gates, IRET, SYSENTER...) goes through here. */
static inline void cpu_set_cpl(Cpu *c, unsigned cpl)
{
    c->cpl = (uint8_t)cpl;
    c->chain_epoch++;
    c->tlb_read = c->tlb[cpl == 3 ? TLB_USER_READ : TLB_SUP_READ];
    c->tlb_write = c->tlb[cpl == 3 ? TLB_USER_WRITE : TLB_SUP_WRITE];
}

/* Mode helpers */
static inline bool cpu_pe(const Cpu *c) { return c->cr0 & CR0_PE; }
static inline bool cpu_v86(const Cpu *c) { return c->eflags & FLAG_VM; }
static inline bool cpu_realmode(const Cpu *c) { return !(c->cr0 & CR0_PE); }
static inline unsigned cpu_iopl(const Cpu *c) { return (c->eflags >> 12) & 3; }

/* 8-bit register access: 0..3 = AL CL DL BL, 4..7 = AH CH DH BH. */
static inline uint8_t reg8_get(const Cpu *c, unsigned r)
{
    return (uint8_t)(c->gpr[r & 3] >> ((r & 4) << 1));
}
static inline void reg8_set(Cpu *c, unsigned r, uint8_t v)
{
    unsigned sh = (r & 4) << 1;
    c->gpr[r & 3] = (c->gpr[r & 3] & ~(0xFFu << sh)) | ((uint32_t)v << sh);
}
static inline uint16_t reg16_get(const Cpu *c, unsigned r) { return (uint16_t)c->gpr[r]; }
static inline void reg16_set(Cpu *c, unsigned r, uint16_t v)
{
    c->gpr[r] = (c->gpr[r] & 0xFFFF0000u) | v;
}

#endif
