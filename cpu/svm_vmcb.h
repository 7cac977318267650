/* SPDX-License-Identifier: MIT */
/* The VMCB layout (AMD APM vol. 2, appendix B): byte offsets of the
 * control area (0x000-0x3FF) and the state-save area (0x400-0xFFF), the
 * intercept bits and the #VMEXIT codes. */
#ifndef KAIRO_SVM_VMCB_H
#define KAIRO_SVM_VMCB_H

/* --- control area --- */
#define VMCB_ICPT_CR      0x000   /* CR reads bits 0-15, writes 16-31 */
#define VMCB_ICPT_DR      0x004   /* DR reads bits 0-15, writes 16-31 */
#define VMCB_ICPT_EXC     0x008   /* one bit per exception vector */
#define VMCB_ICPT_MISC1   0x00C   /* ICPT1_* */
#define VMCB_ICPT_MISC2   0x010   /* ICPT2_* */
#define VMCB_IOPM_BASE    0x040
#define VMCB_MSRPM_BASE   0x048
#define VMCB_TSC_OFFSET   0x050
#define VMCB_ASID         0x058
#define VMCB_TLB_CONTROL  0x05C
#define VMCB_VINTR        0x060   /* V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING, vector */
#define VMCB_INT_SHADOW   0x068   /* bit 0 the interrupt shadow, bit 1 the guest's IF */
#define VMCB_EXITCODE     0x070
#define VMCB_EXITINFO1    0x078
#define VMCB_EXITINFO2    0x080
#define VMCB_EXITINTINFO  0x088
#define VMCB_NP_ENABLE    0x090
#define VMCB_EVENTINJ     0x0A8
#define VMCB_N_CR3        0x0B0
#define VMCB_NEXT_RIP     0x0C8

/* --- state-save area: segments are 16 bytes: selector, attributes,
 * limit (dword), base (qword) --- */
#define VMCB_ES    0x400
#define VMCB_CS    0x410
#define VMCB_SS    0x420
#define VMCB_DS    0x430
#define VMCB_FS    0x440
#define VMCB_GS    0x450
#define VMCB_GDTR  0x460
#define VMCB_LDTR  0x470
#define VMCB_IDTR  0x480
#define VMCB_TR    0x490
#define VMCB_CPL   0x4CB
#define VMCB_EFER  0x4D0
#define VMCB_CR4   0x548
#define VMCB_CR3   0x550
#define VMCB_CR0   0x558
#define VMCB_DR7   0x560
#define VMCB_DR6   0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP   0x578
#define VMCB_RSP   0x5D8
#define VMCB_RAX   0x5F8
#define VMCB_STAR  0x600
#define VMCB_SYSENTER_CS  0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2   0x640

/* VMCB_ICPT_MISC1 bits */
#define ICPT1_INTR     (1u << 0)
#define ICPT1_NMI      (1u << 1)
#define ICPT1_SMI      (1u << 2)
#define ICPT1_INIT     (1u << 3)
#define ICPT1_VINTR    (1u << 4)
#define ICPT1_CR0_SEL  (1u << 5)   /* CR0 writes changing bits other than TS, MP */
#define ICPT1_RDTSC    (1u << 14)
#define ICPT1_CPUID    (1u << 18)
#define ICPT1_INTN     (1u << 21)
#define ICPT1_PAUSE    (1u << 23)
#define ICPT1_HLT      (1u << 24)
#define ICPT1_INVLPG   (1u << 25)
#define ICPT1_INVLPGA  (1u << 26)
#define ICPT1_IOIO     (1u << 27)
#define ICPT1_MSR      (1u << 28)
#define ICPT1_TASK_SWITCH (1u << 29)
#define ICPT1_FERR_FREEZE (1u << 30)
#define ICPT1_SHUTDOWN (1u << 31)
/* VMCB_ICPT_MISC2 bits */
#define ICPT2_VMRUN    (1u << 0)
#define ICPT2_VMMCALL  (1u << 1)
#define ICPT2_VMLOAD   (1u << 2)
#define ICPT2_VMSAVE   (1u << 3)
#define ICPT2_STGI     (1u << 4)
#define ICPT2_CLGI     (1u << 5)
#define ICPT2_SKINIT   (1u << 6)

/* #VMEXIT codes */
#define SVM_EXIT_READ_CR0  0x000u   /* + CR number */
#define SVM_EXIT_WRITE_CR0 0x010u
#define SVM_EXIT_READ_DR0  0x020u
#define SVM_EXIT_WRITE_DR0 0x030u
#define SVM_EXIT_EXCP0     0x040u   /* + vector */
#define SVM_EXIT_INTR      0x060u
#define SVM_EXIT_NMI       0x061u
#define SVM_EXIT_INIT      0x063u
#define SVM_EXIT_VINTR     0x064u
#define SVM_EXIT_CR0_SEL_WRITE 0x065u
#define SVM_EXIT_IDTR_READ 0x066u   /* SIDT */
#define SVM_EXIT_GDTR_READ 0x067u   /* SGDT */
#define SVM_EXIT_LDTR_READ 0x068u   /* SLDT */
#define SVM_EXIT_TR_READ   0x069u   /* STR */
#define SVM_EXIT_IDTR_WRITE 0x06Au  /* LIDT */
#define SVM_EXIT_GDTR_WRITE 0x06Bu  /* LGDT */
#define SVM_EXIT_LDTR_WRITE 0x06Cu  /* LLDT */
#define SVM_EXIT_TR_WRITE  0x06Du   /* LTR */
#define SVM_EXIT_RDTSC     0x06Eu
#define SVM_EXIT_RDPMC     0x06Fu
#define SVM_EXIT_PUSHF     0x070u
#define SVM_EXIT_POPF      0x071u
#define SVM_EXIT_CPUID     0x072u
#define SVM_EXIT_RSM       0x073u
#define SVM_EXIT_IRET      0x074u
#define SVM_EXIT_SWINT     0x075u
#define SVM_EXIT_INVD      0x076u
#define SVM_EXIT_PAUSE     0x077u
#define SVM_EXIT_HLT       0x078u
#define SVM_EXIT_INVLPG    0x079u
#define SVM_EXIT_INVLPGA   0x07Au
#define SVM_EXIT_IOIO      0x07Bu
#define SVM_EXIT_MSR       0x07Cu
#define SVM_EXIT_TASK_SWITCH 0x07Du
#define SVM_EXIT_SHUTDOWN  0x07Fu
#define SVM_EXIT_VMRUN     0x080u
#define SVM_EXIT_VMMCALL   0x081u
#define SVM_EXIT_VMLOAD    0x082u
#define SVM_EXIT_VMSAVE    0x083u
#define SVM_EXIT_STGI      0x084u
#define SVM_EXIT_CLGI      0x085u
#define SVM_EXIT_SKINIT    0x086u
#define SVM_EXIT_ICEBP     0x088u
#define SVM_EXIT_WBINVD    0x089u
#define SVM_EXIT_MONITOR   0x08Au
#define SVM_EXIT_MWAIT     0x08Bu
#define SVM_EXIT_NPF       0x400u
#define SVM_EXIT_INVALID   0xFFFFFFFFFFFFFFFFull

/* VMCB_VINTR fields */
#define VINTR_TPR_MASK   0x0Full               /* V_TPR (bits 3:0 count in legacy mode) */
#define VINTR_IRQ        (1ull << 8)           /* V_IRQ: a virtual interrupt is pending */
#define VINTR_PRIO_SHIFT 16                    /* V_INTR_PRIO, bits 19:16 */
#define VINTR_IGN_TPR    (1ull << 20)
#define VINTR_MASKING    (1ull << 24)          /* the host's IF masks physical interrupts */
#define VINTR_VECTOR_SHIFT 32                  /* V_INTR_VECTOR, bits 39:32 */

/* TLB_CONTROL values */
enum {
    TLB_CONTROL_NONE = 0, TLB_CONTROL_ALL = 1, TLB_CONTROL_ASID = 3, TLB_CONTROL_ASID_NONGLOBAL = 7
};

/* EXITINFO1 of an IOIO exit */
#define IOIO_IN     (1u << 0)
#define IOIO_STR    (1u << 2)
#define IOIO_REP    (1u << 3)
#define IOIO_SZ8    (1u << 4)
#define IOIO_A16    (1u << 7)
#define IOIO_A32    (1u << 8)
#define IOIO_SEG_SHIFT 10
#define IOIO_PORT_SHIFT 16

/* EVENTINJ / EXITINTINFO */
#define EVENT_VALID    (1u << 31)
#define EVENT_ERR_VALID (1u << 11)
#define EVENT_TYPE_SHIFT 8
enum { EVENT_TYPE_INTR = 0, EVENT_TYPE_NMI = 2, EVENT_TYPE_EXC = 3, EVENT_TYPE_SOFT = 4 };

#endif
