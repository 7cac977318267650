; SPDX-License-Identifier: MIT
; Kairo SVM test ROM (-cpu phenom): INIT under SVM (APM vol. 2, "INIT
; Support" and the INIT intercept).
;  1. A guest that intercepts INIT sends INIT to its own APIC (physical
;     destination 0): #VMEXIT code 0x63 with EXITINFO1 0, the guest's RIP
;     after the ICR write; the host then runs with GIF clear and the INIT
;     held — nothing is reset, the host goes on.
;  2. STGI: the held INIT is taken, the CPU restarts at its reset vector;
;     the ROM finds the marker it left in RAM and reports the verdict.
; Verdict on the isa-debug-exit port 0x501: 0x10 pass (exit status 33),
; else the number of the failed check (status 2n+1).

bits 16
org 0

%include "rom.inc"
%include "svm.inc"

STACK   equ 0x9000
HSAVE   equ 0x10000
VMCB    equ 0x11000
G_STACK equ 0x28000
MARK    equ 0x500           ; survives INIT: RAM is not touched
MAGIC   equ 0x1A17

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
    cmp dword [MARK], MAGIC
    je after_init               ; the second start: the INIT was taken
    ; EFER.SVME, VM_HSAVE_PA, a cleared VMCB
    SVM_ENABLE HSAVE
    mov edi, HSAVE
    xor eax, eax
    mov ecx, 0x2000 / 4
    rep stosd
    ; the APIC software-enabled (SVR bit 8), so that it takes IPIs
    mov dword [0xFEE000F0], 0x1FF

    mov ebx, VMCB
    mov dword [ebx + ICPT_MISC1], 1 << 3        ; INIT
    mov dword [ebx + ICPT_MISC2], 1 << 0        ; VMRUN (required)
    mov dword [ebx + ASID], 1
    mov dword [ebx + S_EFER], 0x1000
    mov dword [ebx + S_DR7], 0x400
    mov dword [ebx + S_DR6], 0xFFFF0FF0
    SEG ebx + S_CS, 0x08, 0x0C9B, 0xFFFFFFFF, 0
    SEG ebx + S_SS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_DS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_ES, 0x10, 0x0C93, 0xFFFFFFFF, 0
    mov dword [ebx + S_GDTR + 4], gdt_end - gdt - 1
    mov dword [ebx + S_GDTR + 8], ROMBASE + gdt
    mov dword [ebx + S_CR0], 0x11
    mov dword [ebx + S_RSP], G_STACK
    mov dword [ebx + S_RIP], ROMBASE + g_init
    mov dword [ebx + S_RFLAGS], 2
    mov eax, ebx
    vmrun
    ; --- 1. the INIT exit
    cmp dword [ebx + EXITCODE], 0x63
    FAILIF 1, jne
    cmp dword [ebx + EXITCODE + 4], 0
    FAILIF 2, jne
    cmp dword [ebx + EXITINFO1], 0
    FAILIF 3, jne
    cmp dword [ebx + S_RIP], ROMBASE + g_after
    FAILIF 4, jne
    ; GIF is clear: the held INIT does nothing while the host works on
    mov ecx, 10000
.spin:
    loop .spin
    mov esi, ROMBASE + m_exit
    call print
    ; --- 2. STGI takes it: the CPU restarts at the reset vector
    mov dword [MARK], MAGIC
    stgi
    nop
    nop
    mov al, 5                   ; still here: the INIT was lost
    jmp fail_al

after_init:
    mov dword [MARK], 0
    ; INIT leaves EFER at its reset value: SVME clear again
    mov ecx, 0xC0000080
    rdmsr
    test eax, 0x1000
    FAILIF 6, jnz
    mov esi, ROMBASE + m_reset
    call print
    mov esi, ROMBASE + m_pass
    call print
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

; The guest: INIT (level assert, physical) to APIC ID 0, its own.
g_init:
    mov dword [0xFEE00310], 0
    mov dword [0xFEE00300], 0xC500
g_after:
    jmp g_after

VERDICT_ROUTINES

m_exit:  db "svm_init: INIT intercepted (exit 0x63), held while GIF is clear", 10, 0
m_reset: db "svm_init: STGI took the held INIT (reset vector again)", 10, 0
m_pass:  db "svm_init: PASS", 10, 0
m_fail:  db "svm_init: FAIL", 10, 0

FLAT_GDT

RESET_VECTOR start16
