; SPDX-License-Identifier: MIT
; Kairo SVM test ROM (-cpu phenom): an NMI injected through EVENTINJ blocks
; further NMIs until the guest's IRET (APM vol. 2, "Event Injection": an
; injected NMI is delivered as a real one would be, with the same
; blocking). The guest's NMI handler sends itself an NMI through its APIC
; and waits: the second NMI must stay pending while the handler runs, and
; arrive right after its IRET. Then the guest's VMMCALL exits to the host,
; which checks what the guest counted.
; Verdict on the isa-debug-exit port 0x501: 0x10 pass (exit status 33),
; else the number of the failed check (status 2n+1).

bits 16
org 0

%include "rom.inc"
%include "svm.inc"

STACK   equ 0x9000
HSAVE   equ 0x10000
VMCB    equ 0x11000
G_IDT   equ 0x20000
G_STACK equ 0x28000
NCOUNT  equ 0x600           ; NMI handler entries
NSEEN   equ 0x604           ; NCOUNT as the first handler saw it before its IRET

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
    mov dword [NCOUNT], 0
    mov dword [NSEEN], 0
    ; EFER.SVME, VM_HSAVE_PA, a cleared VMCB
    SVM_ENABLE HSAVE
    mov edi, HSAVE
    xor eax, eax
    mov ecx, 0x2000 / 4
    rep stosd
    ; the APIC software-enabled (SVR bit 8), so that it takes IPIs
    mov dword [0xFEE000F0], 0x1FF
    ; the guest's IDT: vector 2 (NMI), a 32-bit interrupt gate to g_nmi
    mov edi, G_IDT
    xor eax, eax
    mov ecx, 6
    rep stosd
    mov eax, ROMBASE + g_nmi
    mov word [G_IDT + 16], ax
    mov word [G_IDT + 18], 0x08
    mov word [G_IDT + 20], 0x8E00
    shr eax, 16
    mov word [G_IDT + 22], ax

    mov ebx, VMCB
    mov dword [ebx + ICPT_MISC2], 3             ; VMRUN (required), VMMCALL
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
    mov dword [ebx + S_IDTR + 4], 3 * 8 - 1
    mov dword [ebx + S_IDTR + 8], G_IDT
    mov dword [ebx + S_CR0], 0x11
    mov dword [ebx + S_RSP], G_STACK
    mov dword [ebx + S_RIP], ROMBASE + g_main
    mov dword [ebx + S_RFLAGS], 2
    ; EVENTINJ: valid, type 2 (NMI), vector 2
    mov dword [ebx + EVENTINJ], 0x80000202
    mov eax, ebx
    vmrun
    ; --- the guest's VMMCALL
    cmp dword [ebx + EXITCODE], 0x81
    FAILIF 1, jne
    ; the self-NMI did not interrupt the injected NMI's handler...
    cmp dword [NSEEN], 1
    FAILIF 2, jne
    ; ...and was taken after its IRET, before the VMMCALL
    cmp dword [NCOUNT], 2
    FAILIF 3, jne
    mov esi, ROMBASE + m_pass
    call print
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

; The guest starts in the NMI handler (the injected NMI returns to g_main).
g_nmi:
    inc dword [NCOUNT]
    cmp dword [NCOUNT], 1
    jne .out
    ; the first entry: an NMI to its own APIC (physical destination 0)
    mov dword [0xFEE00310], 0
    mov dword [0xFEE00300], 0x4400
    mov ecx, 1000
.spin:
    loop .spin
    mov eax, [NCOUNT]
    mov [NSEEN], eax
.out:
    iret
g_main:
    vmmcall
    jmp g_main

VERDICT_ROUTINES

m_pass:  db "svm_nmi: PASS (the injected NMI blocked the self-NMI until its IRET)", 10, 0
m_fail:  db "svm_nmi: FAIL", 10, 0

FLAT_GDT

RESET_VECTOR start16
