; SPDX-License-Identifier: MIT
; Kairo SVM test ROM, second part (-cpu phenom): a minimal hypervisor that
; checks what asm.svm does not.
;  - the instruction intercepts SIDT, SGDT, SLDT, STR, LIDT, LGDT, LLDT,
;    LTR, PUSHF, POPF, INTn, IRET, RSM, INVD,
;    WBINVD, RDPMC, MONITOR, MWAIT, ICEBP, INT3 (#BP), the selective CR0
;    write (a TS-only write passes), VMLOAD, VMSAVE, STGI, CLGI, INVLPGA:
;    EXITCODE, EXITINFO1 0 and the next RIP of each (APM vol. 2 15.9-15.13)
;  - virtual interrupts: V_IRQ with the VINTR intercept exits after the
;    guest's STI and its shadow (V_IRQ stays set, GUEST_INTERRUPT_MASK 1);
;    without the intercept V_INTR_VECTOR is delivered through the guest's
;    IDT and V_IRQ clears; V_INTR_PRIO not above V_TPR holds it, V_IGN_TPR or a
;    lower V_TPR lets it in
;  - EVENTINJ of INT n (type 4) and #BP (type 3): NEXT_RIP is the return
;    address
;  - VMRUN with an impossible EVENTINJ (reserved type, exception 2) fails
;  - a single-step trap with the #DB intercept: RIP after the instruction
;  - V_INTR_MASKING with the PIT's IRQ 0 pending: with the host's IF clear
;    the guest's IF set does not let it in; without masking the guest takes
;    it through its IDT
;  - the ASID-tagged TLB: a guest's translation under ASID 5 survives the
;    world switches (a changed page-table entry is not seen), ASID 6 sees
;    the new one, TLB_CONTROL 3 flushes ASID 5, INVLPGA flushes one page
;  - a page that became code while a guest was out: the guest's cached
;    write entry for it goes, its write reaches the host's decoded code
;  - an intercepted #PF: EXITINFO1/2, and the guest's CR2 unchanged
;  - CPUID 8000_000A: 16 ASIDs, NP, NRIPS, VMCB clean, FlushByASID
; Verdict on the isa-debug-exit port 0x501: 0x10 pass (exit status 33),
; else the number of the failed check (status 2n+1).

bits 16
org 0

%include "rom.inc"
%include "svm.inc"

STACK   equ 0x9000
HSAVE   equ 0x10000
VMCB    equ 0x11000
IOPM    equ 0x12000         ; 12 KiB
MSRPM   equ 0x15000         ; 8 KiB
SAVEPG  equ 0x18000
G_IDT   equ 0x30000
G_STACK equ 0x28000
G_PD    equ 0x50000         ; the ASID guest's page directory
G_PT    equ 0x51000         ; its page table for linear 8 MiB
PAGE_A  equ 0x60000
PAGE_B  equ 0x61000

; intercepts of the first part: SIDT, SGDT, SLDT, STR, LIDT, LGDT, LLDT,
; LTR, RDPMC, PUSHF, POPF, RSM, IRET, INTn, INVD,
; HLT, INVLPGA, CR0 selective write; VMRUN, VMLOAD, VMSAVE, STGI, CLGI,
; ICEBP, WBINVD, MONITOR, MWAIT
MISC1 equ (0xFF << 6) | (1 << 5) | (1 << 15) | (1 << 16) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 24) | (1 << 26)
MISC2 equ (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11)
HLT_ONLY equ 1 << 24
VINTR_ICPT equ 1 << 4

; IDT_GATE vector, handler: a 32-bit interrupt gate in the guest's IDT
%macro IDT_GATE 2
    mov edi, G_IDT + %1 * 8
    mov eax, ROMBASE + %2
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax
%endmacro

; RUN rip, eflags: run the guest at rip with the given EFLAGS
%macro RUN 2
    mov dword [ebx + S_RIP], ROMBASE + %1
    mov dword [ebx + S_RFLAGS], %2
    mov eax, ebx
    vmrun
%endmacro

; EXPECT code, n: fail with check n unless the exit code is code
%macro EXPECT 2
    cmp dword [ebx + EXITCODE], %1
    FAILIF %2, jne
%endmacro

start16:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 gdt_desc, pm32

bits 32
pm32:
    FLAT_SEGS STACK
    ; --- 1. CPUID 8000_000A: revision 1, 16 ASIDs, NP | NRIPS | clean | FlushByASID
    mov eax, 0x8000000A
    cpuid
    cmp ebx, 16
    FAILIF 1, jne
    cmp edx, 0x69
    FAILIF 2, jne
    ; --- EFER.SVME, VM_HSAVE_PA, clear the VMCB and the maps
    SVM_ENABLE HSAVE
    mov edi, HSAVE
    xor eax, eax
    mov ecx, (SAVEPG + 0x1000 - HSAVE) / 4
    rep stosd
    mov edi, G_IDT
    mov ecx, 0x800 / 4
    rep stosd
    IDT_GATE 0x41, g_visr
    IDT_GATE 0x08, g_irq0
    IDT_GATE 0x42, g_ret_addr
    IDT_GATE 0x03, g_ret_addr

    mov ebx, VMCB
    mov dword [ebx + ICPT_MISC1], MISC1
    mov dword [ebx + ICPT_MISC2], MISC2
    mov dword [ebx + ICPT_EXC], 1 << 3      ; #BP
    mov dword [ebx + IOPM_BASE], IOPM
    mov dword [ebx + MSRPM_BASE], MSRPM
    mov dword [ebx + ASID], 1
    mov dword [ebx + S_EFER], 0x1000        ; SVME
    mov dword [ebx + S_DR7], 0x400
    mov dword [ebx + S_DR6], 0xFFFF0FF0
    SEG ebx + S_CS, 0x08, 0x0C9B, 0xFFFFFFFF, 0
    SEG ebx + S_SS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_DS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_ES, 0x10, 0x0C93, 0xFFFFFFFF, 0
    mov dword [ebx + S_GDTR + 4], gdt_end - gdt - 1
    mov dword [ebx + S_GDTR + 8], ROMBASE + gdt
    mov dword [ebx + S_IDTR + 4], 0x7FF
    mov dword [ebx + S_IDTR + 8], G_IDT
    mov dword [ebx + S_CR0], 0x11           ; PE, ET
    mov dword [ebx + S_RSP], G_STACK
    mov dword [ebx + S_RIP], ROMBASE + g_start
    mov dword [ebx + S_RFLAGS], 2

    ; --- 10.. each expected exit of the guest in turn: code, EXITINFO1 0,
    ; next RIP = RIP + length; the host resumes after the instruction
    mov edi, ROMBASE + exits
    mov byte [0x700], 10
.next:
    mov eax, ebx
    vmrun
    mov al, [0x700]
    mov edx, [ebx + EXITCODE]
    cmp edx, [edi]
    jne fail_al
    cmp dword [ebx + EXITCODE + 4], 0
    jne fail_al
    cmp dword [ebx + EXITINFO1], 0
    jne fail_al
    mov edx, [ebx + S_RIP]
    cmp edx, [edi + 8]                      ; the guest's RIP is on the instruction
    jne fail_al
    add edx, [edi + 4]
    cmp edx, [ebx + NEXT_RIP]
    jne fail_al
    mov [ebx + S_RIP], edx
    inc byte [0x700]
    add edi, 12
    cmp dword [edi], 0xFFFF
    jne .next
    test dword [ebx + S_CR0], 8             ; the TS-only write went through
    FAILIF 40, jz
    mov esi, ROMBASE + m_icpt
    call print

    ; --- 50. V_IRQ with the VINTR intercept: the guest's STI, the shadow
    ; (one more instruction), then the exit; V_IRQ stays set
    mov dword [ebx + ICPT_MISC1], HLT_ONLY | VINTR_ICPT
    mov dword [ebx + ICPT_MISC2], 1
    mov dword [ebx + ICPT_EXC], 0
    mov dword [ebx + VINTR], (1 << 8) | (1 << 20)   ; V_IRQ, V_IGN_TPR
    mov dword [ebx + VINTR + 4], 0x41       ; V_INTR_VECTOR
    RUN g_vi, 2
    EXPECT 0x64, 50
    cmp dword [ebx + S_RIP], ROMBASE + g_vi_spin
    FAILIF 51, jne
    cmp dword [ebx + S_RAX], 2
    FAILIF 52, jne
    test dword [ebx + VINTR], 1 << 8
    FAILIF 53, jz
    cmp dword [ebx + INT_SHADOW], 2         ; no shadow, GUEST_INTERRUPT_MASK (IF) 1
    FAILIF 54, jne
    ; --- 55. no VINTR intercept: vector 0x41 goes through the guest's IDT
    ; at once (IF is set), its handler's HLT exits, V_IRQ is clear
    mov dword [ebx + ICPT_MISC1], HLT_ONLY
    mov eax, ebx
    vmrun
    EXPECT 0x78, 55
    cmp dword [ebx + S_RAX], 0x4141
    FAILIF 56, jne
    test dword [ebx + VINTR], 1 << 8
    FAILIF 57, jnz
    ; --- 58. V_INTR_PRIO 3 is not above V_TPR 3: held, the guest reaches HLT
    mov dword [ebx + ICPT_MISC1], HLT_ONLY | VINTR_ICPT
    mov dword [ebx + VINTR], (1 << 8) | (3 << 16) | 3
    RUN g_vprio, 2
    EXPECT 0x78, 58
    ; --- 59. V_TPR 2: now it can be taken: VINTR exit
    mov dword [ebx + VINTR], (1 << 8) | (3 << 16) | 2
    RUN g_vprio, 2
    EXPECT 0x64, 59
    ; --- 60. V_TPR 3 but V_IGN_TPR: VINTR exit
    mov dword [ebx + VINTR], (1 << 8) | (2 << 16) | (1 << 20) | 3
    RUN g_vprio, 2
    EXPECT 0x64, 60
    ; --- 61. V_IRQ with the guest's IF clear: held, HLT
    RUN g_vnoif, 2
    EXPECT 0x78, 61
    mov dword [ebx + VINTR], 0
    ; --- 62. EVENTINJ of a software interrupt (type 4, vector 0x42) and of
    ; #BP (type 3): the return address pushed is NEXT_RIP, not RIP
    mov dword [ebx + EVENTINJ], 0x80000442
    mov dword [ebx + NEXT_RIP], ROMBASE + g_soft + 1
    RUN g_soft, 2
    EXPECT 0x78, 62
    cmp dword [ebx + S_RAX], ROMBASE + g_soft + 1
    FAILIF 63, jne
    mov dword [ebx + EVENTINJ], 0x80000303
    mov dword [ebx + NEXT_RIP], ROMBASE + g_soft + 2
    RUN g_soft, 2
    EXPECT 0x78, 64
    cmp dword [ebx + S_RAX], ROMBASE + g_soft + 2
    FAILIF 65, jne
    ; --- 44. impossible events fail the VMRUN (EXITCODE -1): a reserved
    ; type 1, an exception with vector 2
    mov dword [ebx + EVENTINJ], 0x80000105
    RUN g_soft, 2
    EXPECT -1, 44
    mov dword [ebx + EVENTINJ], 0x80000302
    RUN g_soft, 2
    EXPECT -1, 45
    mov dword [ebx + EVENTINJ], 0
    ; --- 66. the guest single-steps (TF) with #DB intercepted: the trap after
    ; the first NOP is the exit, RIP after it, DR6.BS in the VMCB
    mov dword [ebx + ICPT_EXC], 1 << 1
    RUN g_soft, 0x102
    EXPECT 0x41, 66
    cmp dword [ebx + S_RIP], ROMBASE + g_soft + 1
    FAILIF 67, jne
    test dword [ebx + S_DR6], 0x4000
    FAILIF 68, jz
    mov dword [ebx + ICPT_EXC], 0
    mov esi, ROMBASE + m_vintr
    call print

    ; --- 70. V_INTR_MASKING and a physical interrupt: the PIT's IRQ 0
    ; pending at the PIC. The host runs the guest with IF clear and no INTR
    ; intercept: the guest's IF set does not let it in (the guest polls the
    ; PIC's IRR, then halts)
    PIC_PIT_IRQ0
    mov dword [0x720], 0
    mov dword [ebx + VINTR], 1 << 24        ; V_INTR_MASKING
    RUN g_poll, 0x202
    EXPECT 0x78, 70
    cmp dword [0x720], 0
    FAILIF 71, jne                          ; IRQ 0 did not reach the guest
    ; --- 72. without V_INTR_MASKING the guest's IF decides: it takes IRQ 0
    mov dword [ebx + VINTR], 0
    RUN g_poll, 0x202
    EXPECT 0x78, 72
    cmp dword [0x720], 1
    FAILIF 73, jne
    mov al, 0xFF                            ; quiet again
    out 0x21, al
    mov esi, ROMBASE + m_mask
    call print

    ; --- 80. ASIDs: a guest with paging of its own; linear 8 MiB is PAGE_A
    mov edi, G_PD
    xor eax, eax
    mov ecx, 0x2000 / 4
    rep stosd
    mov dword [G_PD], 0x00000083            ; 0-4 MiB identity (4 MiB page)
    mov dword [G_PD + 2 * 4], G_PT | 3      ; 8-12 MiB: the page table
    mov dword [G_PD + 1023 * 4], 0xFFC00083 ; this ROM
    mov dword [G_PT], PAGE_A | 3
    mov dword [PAGE_A], 0x1111
    mov dword [PAGE_B], 0x2222
    mov dword [ebx + S_CR3], G_PD
    mov dword [ebx + S_CR4], 0x10           ; PSE
    mov dword [ebx + S_CR0], 0x80000011
    mov dword [ebx + ASID], 5
    RUN g_read, 2
    EXPECT 0x78, 80
    cmp dword [ebx + S_RAX], 0x1111
    FAILIF 81, jne
    ; --- 82. the entry now names PAGE_B; ASID 5's TLB still has PAGE_A
    mov dword [G_PT], PAGE_B | 3
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x1111
    FAILIF 82, jne
    ; --- 83. ASID 6 walks afresh
    mov dword [ebx + ASID], 6
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 83, jne
    ; --- 84. ASID 5 again: still stale; with TLB_CONTROL 3 it walks
    mov dword [ebx + ASID], 5
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x1111
    FAILIF 84, jne
    mov dword [ebx + TLB_CTL], 3
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 85, jne
    mov dword [ebx + TLB_CTL], 0
    ; --- 86. back to PAGE_A: stale again until INVLPGA of the page, ASID 5
    mov dword [G_PT], PAGE_A | 3
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 86, jne
    mov eax, 0x800000
    mov ecx, 5
    invlpga
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x1111
    FAILIF 87, jne
    ; --- 88. INVLPGA of ASID 5 leaves ASID 6's stale PAGE_B entry alone;
    ; INVLPGA of ASID 6 drops it
    mov eax, 0x800000
    mov ecx, 5
    invlpga
    mov dword [ebx + ASID], 6
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 88, jne
    mov eax, 0x800000
    mov ecx, 6
    invlpga
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x1111
    FAILIF 89, jne
    ; --- 90. TLB_CONTROL 1 under ASID 6 flushes ASID 5 too
    mov dword [G_PT], PAGE_B | 3
    mov dword [ebx + TLB_CTL], 1
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 90, jne
    mov dword [ebx + TLB_CTL], 0
    mov dword [ebx + ASID], 5
    RUN g_read, 2
    cmp dword [ebx + S_RAX], 0x2222
    FAILIF 91, jne
    ; --- 92. an intercepted #PF: EXITINFO1 the error code, EXITINFO2 the
    ; address, the guest's CR2 untouched, RIP on the access
    mov dword [ebx + ICPT_EXC], 1 << 14
    mov dword [ebx + S_CR2], 0x1234
    RUN g_pf, 2
    EXPECT 0x4E, 92
    cmp dword [ebx + EXITINFO1], 2          ; write, supervisor, not present
    FAILIF 93, jne
    cmp dword [ebx + EXITINFO2], 0x1000000
    FAILIF 94, jne
    cmp dword [ebx + S_CR2], 0x1234
    FAILIF 99, jne
    cmp dword [ebx + S_RIP], ROMBASE + g_pf
    FAILIF 100, jne
    mov dword [ebx + ICPT_EXC], 0
    mov esi, ROMBASE + m_asid
    call print

    ; --- 95. a guest bank's fast write entry to a page that became code
    ; while the guest was out must not survive: the guest writes a data word
    ; on page 0x70000 (its bank caches the page for writes), the host then
    ; runs code there (mov eax, 1; ret), the guest patches the immediate, the
    ; host must see the new code
    mov dword [0x70000], 0x000001B8         ; mov eax, 1
    mov dword [0x70004], 0x0000C300         ; ...; ret
    mov dword [ebx + ASID], 7
    RUN g_poke, 2
    EXPECT 0x78, 95
    mov eax, 0x70000
    call eax
    cmp eax, 1
    FAILIF 96, jne
    RUN g_patch, 2
    EXPECT 0x78, 97
    mov eax, 0x70000
    call eax
    cmp eax, 2
    FAILIF 98, jne
    mov esi, ROMBASE + m_code
    call print

    mov esi, ROMBASE + m_pass
    call print
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

VERDICT_ROUTINES

; --- the guest of the intercept part; each instruction exits
g_start:
i_sidt:  sidt [0x740]
i_sgdt:  sgdt [0x740]
i_sldt:  sldt eax
i_str:   str eax
i_lidt:  lidt [0x740]
i_lgdt:  lgdt [0x740]
i_lldt:  lldt ax
i_ltr:   ltr ax
i_pushf: pushf
i_popf:  popf
i_int:   int 0x30
i_iret:  iret
i_rsm:   rsm
i_invd:  invd
i_wbinvd: wbinvd
i_rdpmc: rdpmc
i_mon:   monitor
i_mwait: mwait
i_icebp: db 0xF1
i_int3:  int3
         mov eax, cr0
         or eax, 8                          ; TS only: no selective exit
         mov cr0, eax
         or eax, 0x40000000                 ; CD: selective CR0 write exit
i_cr0:   mov cr0, eax
i_vmload: vmload
i_vmsave: vmsave
i_stgi:  stgi
i_clgi:  clgi
i_invlpga: invlpga
i_hlt:   hlt

; --- virtual interrupts
g_vi:
    mov eax, 1
    sti
    mov eax, 2                              ; the STI shadow
g_vi_spin:
    jmp g_vi_spin
g_visr:
    mov eax, 0x4141
    hlt
g_vprio:
    sti
    nop
    nop
    hlt
g_soft:
    nop
    nop
    hlt
g_ret_addr:
    mov eax, [esp]                          ; the return address pushed
    hlt
g_vnoif:
    nop
    nop
    hlt

; --- physical interrupts: wait for IRQ 0 in the PIC's IRR, then halt
g_poll:
    mov al, 0x0A                            ; OCW3: read IRR
    out 0x20, al
.w: in al, 0x20
    test al, 1
    jz .w
    nop
    nop
    hlt
g_irq0:
    mov dword [0x720], 1
    mov al, 0x20                            ; EOI
    out 0x20, al
    hlt

; --- the ASID guest
g_read:
    mov eax, [0x800000]
    hlt

g_pf:
    mov dword [0x1000000], 1                ; linear 16 MiB: not mapped
    hlt

; --- the code-page guest
g_poke:
    mov dword [0x70800], 0
    hlt
g_patch:
    mov byte [0x70001], 2
    hlt

; code, instruction length, RIP
align 4
exits:
    dd 0x66, i_sgdt - i_sidt, ROMBASE + i_sidt
    dd 0x67, i_sldt - i_sgdt, ROMBASE + i_sgdt
    dd 0x68, i_str - i_sldt, ROMBASE + i_sldt
    dd 0x69, i_lidt - i_str, ROMBASE + i_str
    dd 0x6A, i_lgdt - i_lidt, ROMBASE + i_lidt
    dd 0x6B, i_lldt - i_lgdt, ROMBASE + i_lgdt
    dd 0x6C, i_ltr - i_lldt, ROMBASE + i_lldt
    dd 0x6D, i_pushf - i_ltr, ROMBASE + i_ltr
    dd 0x70, 1, ROMBASE + i_pushf
    dd 0x71, 1, ROMBASE + i_popf
    dd 0x75, 2, ROMBASE + i_int
    dd 0x74, 1, ROMBASE + i_iret
    dd 0x73, 2, ROMBASE + i_rsm
    dd 0x76, 2, ROMBASE + i_invd
    dd 0x89, 2, ROMBASE + i_wbinvd
    dd 0x6F, 2, ROMBASE + i_rdpmc
    dd 0x8A, 3, ROMBASE + i_mon
    dd 0x8B, 3, ROMBASE + i_mwait
    dd 0x88, 1, ROMBASE + i_icebp
    dd 0x43, 1, ROMBASE + i_int3
    dd 0x65, 3, ROMBASE + i_cr0
    dd 0x82, 3, ROMBASE + i_vmload
    dd 0x83, 3, ROMBASE + i_vmsave
    dd 0x84, 3, ROMBASE + i_stgi
    dd 0x85, 3, ROMBASE + i_clgi
    dd 0x7A, 3, ROMBASE + i_invlpga
    dd 0x78, 1, ROMBASE + i_hlt
    dd 0xFFFF

m_icpt:  db "svm_vintr: instruction intercepts ok", 10, 0
m_vintr: db "svm_vintr: virtual interrupts ok", 10, 0
m_mask:  db "svm_vintr: V_INTR_MASKING ok", 10, 0
m_asid:  db "svm_vintr: ASID-tagged TLB ok", 10, 0
m_code:  db "svm_vintr: code written through a guest's TLB bank ok", 10, 0
m_pass:  db "svm_vintr: PASS", 10, 0
m_fail:  db "svm_vintr: FAIL", 10, 0

FLAT_GDT

RESET_VECTOR start16
