; SPDX-License-Identifier: MIT
; Kairo SVM test ROM (-cpu phenom): a minimal hypervisor. It enables
; EFER.SVME, names the host save area, and VMRUNs a protected-mode guest
; that runs into each intercept in turn (CPUID, OUT through the IOPM, REP
; OUTSB, RDMSR through the MSRPM, #DE, VMMCALL, HLT, MOV CR3, VMRUN, PAUSE, MOV from DR7),
; checking EXITCODE, EXITINFO1 and the next RIP against the APM's values at
; each #VMEXIT and resuming the guest after the instruction. After the
; VMMCALL it injects an interrupt (EVENTINJ) the guest's handler answers.
; Then a real-mode guest (OUT imm8, HLT), a guest under nested paging
; (its writes land in host memory through N_CR3; NPF exits for a read-only
; and an absent nested page, resumed after the host fixes the tables), a
; VMRUN with ASID 0 (invalid state: EXITCODE -1), a triple fault as the
; SHUTDOWN exit, the PIT's interrupt as an INTR exit, the TSC offset, a
; task switch,
; VMSAVE, VMLOAD and STGI/CLGI.
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
VMCB_RM equ 0x17000         ; the real-mode guest's VMCB
SAVEPG  equ 0x18000         ; VMSAVE target
VMCB_NP equ 0x19000         ; the nested-paging guest's VMCB
NPT_PD  equ 0x40000         ; nested page directory (32-bit, PSE)
NPT_PT  equ 0x41000         ; nested page table for guest-physical 4-8 MiB
G_IDT   equ 0x30000
G_STACK equ 0x28000

; intercepts: INTR, CPUID, PAUSE, HLT, IOIO, MSR, shutdown; VMRUN, VMMCALL; #DE; CR3 writes
MISC1 equ (1 << 0) | (1 << 18) | (1 << 23) | (1 << 24) | (1 << 27) | (1 << 28) | (1 << 31)
MISC2 equ 3

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
    mov esi, ROMBASE + m_start
    call print
    ; --- 1. CPUID says SVM
    mov eax, 0x80000001
    cpuid
    test ecx, 4
    FAILIF 1, jz
    ; --- EFER.SVME, VM_HSAVE_PA
    SVM_ENABLE HSAVE
    ; --- clear the VMCBs and the permission maps
    mov edi, HSAVE
    xor eax, eax
    mov ecx, (VMCB_NP + 0x1000 - HSAVE) / 4
    rep stosd
    mov edi, NPT_PD
    mov ecx, 0x2000 / 4
    rep stosd
    ; IOPM: port 0x80 only; MSRPM: reads of MSR 0x10 (TSC) only
    mov byte [IOPM + 0x80 / 8], 1
    mov byte [MSRPM + 0x10 * 2 / 8], 1
    ; guest IDT: vector 0x20 -> g_isr
    mov edi, G_IDT + 0x20 * 8
    mov eax, ROMBASE + g_isr
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax

    ; --- the protected-mode guest's VMCB
    mov ebx, VMCB
    call vmcb_controls
    mov dword [ebx + ICPT_EXC], 1           ; #DE
    mov dword [ebx + ICPT_CR], 1 << (16 + 3) ; CR3 writes
    mov dword [ebx + 4], 1 << 7             ; DR7 reads
    SEG ebx + S_CS, 0x08, 0x0C9B, 0xFFFFFFFF, 0
    SEG ebx + S_SS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_DS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_ES, 0x10, 0x0C93, 0xFFFFFFFF, 0
    mov dword [ebx + S_GDTR + 4], gdt_end - gdt - 1
    mov dword [ebx + S_GDTR + 8], ROMBASE + gdt
    mov dword [ebx + S_IDTR + 4], 0x107
    mov dword [ebx + S_IDTR + 8], G_IDT
    mov dword [ebx + S_CR0], 0x11           ; PE, ET
    mov dword [ebx + S_RIP], ROMBASE + g_start
    mov dword [ebx + S_RSP], G_STACK

    ; --- 2. with ASID 0 the state is invalid: EXITCODE -1, no guest ran
    mov dword [ebx + ASID], 0
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], -1
    FAILIF 2, jne
    cmp dword [ebx + EXITCODE + 4], -1
    FAILIF 2, jne
    mov dword [ebx + ASID], 1

    ; --- 3.. each expected exit of the guest in turn
    mov edi, ROMBASE + exits
    mov byte [0x700], 10                    ; check number of the first exit
.next:
    mov eax, ebx
    vmrun
    cmp eax, VMCB
    FAILIF 4, jne                           ; the host's RAX came back
    cmp esp, STACK
    FAILIF 3, jne
    mov al, [0x700]
    mov edx, [ebx + EXITCODE]
    cmp edx, [edi]
    jne fail_al
    cmp dword [ebx + EXITCODE + 4], 0
    jne fail_al
    mov edx, [ebx + EXITINFO1]
    cmp edx, [edi + 4]
    jne fail_al
    mov edx, [ebx + S_RIP]
    add edx, [edi + 8]
    test dword [edi + 12], 1                ; an instruction intercept: next RIP
    jz .no_nrip
    cmp edx, [ebx + NEXT_RIP]
    jne fail_al
.no_nrip:
    mov [ebx + S_RIP], edx                  ; resume after the instruction
    test dword [edi + 12], 2                ; inject INTR 0x20
    jz .no_inject
    mov dword [ebx + EVENTINJ], 0x80000020
.no_inject:
    test dword [edi + 12], 4                ; the handler of the injected interrupt ran
    jz .no_isr
    cmp dword [ebx + S_RAX], 0xBEEF
    jne fail_al
    test dword [ebx + EVENTINJ], 0x80000000
    jnz fail_al
.no_isr:
    test dword [edi + 12], 8                ; IOIO: EXITINFO2 is the next RIP
    jz .no_io
    cmp edx, [ebx + EXITINFO2]
    jne fail_al
.no_io:
    inc byte [0x700]
    add edi, 16
    cmp dword [edi], 0xFFFF
    jne .next
    mov esi, ROMBASE + m_pm
    call print

    ; --- 30. the real-mode guest: OUT imm8 (16-bit addressing), then HLT
    mov ebx, VMCB_RM
    call vmcb_controls
    mov dword [ebx + ASID], 2
    SEG ebx + S_CS, 0xF000, 0x009B, 0xFFFF, 0xF0000
    SEG ebx + S_SS, 0, 0x0093, 0xFFFF, 0
    SEG ebx + S_DS, 0, 0x0093, 0xFFFF, 0
    SEG ebx + S_ES, 0, 0x0093, 0xFFFF, 0
    mov dword [ebx + S_IDTR + 4], 0x3FF
    mov dword [ebx + S_CR0], 0x10           ; ET: real mode
    mov dword [ebx + S_RIP], rg_start
    mov dword [ebx + S_RSP], 0x7000
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x7B
    FAILIF 30, jne
    cmp dword [ebx + EXITINFO1], 0x00800090 ; port 0x80, 8-bit, 16-bit addresses, OUT
    FAILIF 31, jne
    cmp dword [ebx + S_RIP], rg_out
    FAILIF 32, jne
    mov dword [ebx + S_RIP], rg_out + 2
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x78
    FAILIF 33, jne
    cmp word [ebx + S_RAX], 0x1234
    FAILIF 34, jne
    cmp word [ebx + S_CS], 0xF000
    FAILIF 35, jne
    cmp byte [ebx + 0x4CB], 0               ; CPL
    FAILIF 36, jne
    mov esi, ROMBASE + m_rm
    call print

    ; --- 50. nested paging: guest-physical 0-4 MiB is host 4-8 MiB, 4 MiB
    ; (one 4 KiB page, read-only) is host 5 MiB, 8 MiB is absent at first,
    ; the top 4 MiB (this ROM) is itself
    mov eax, cr4
    or eax, 0x10                            ; PSE: the nested tables' format
    mov cr4, eax
    mov dword [NPT_PD], 0x00400000 | 0x87   ; 4 MiB page, user, writable
    mov dword [NPT_PD + 4], NPT_PT | 7
    mov dword [NPT_PD + 1023 * 4], 0xFFC00000 | 0x87
    mov dword [NPT_PT], 0x00500000 | 5      ; user, read-only
    mov dword [0x800000], 0x5A5A5A5A
    mov ebx, VMCB_NP
    call vmcb_controls
    mov dword [ebx + ASID], 3
    mov dword [ebx + NP_ENABLE], 1
    mov dword [ebx + N_CR3], NPT_PD
    SEG ebx + S_CS, 0x08, 0x0C9B, 0xFFFFFFFF, 0
    SEG ebx + S_SS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_DS, 0x10, 0x0C93, 0xFFFFFFFF, 0
    SEG ebx + S_ES, 0x10, 0x0C93, 0xFFFFFFFF, 0
    mov dword [ebx + S_GDTR + 4], gdt_end - gdt - 1
    mov dword [ebx + S_GDTR + 8], ROMBASE + gdt
    mov dword [ebx + S_CR0], 0x11
    mov dword [ebx + S_RIP], ROMBASE + n_start
    mov eax, ebx
    vmrun
    ; the write to read-only guest-physical 4 MiB: NPF, present, write,
    ; user, in the final translation
    cmp dword [ebx + EXITCODE], 0x400
    FAILIF 50, jne
    cmp dword [ebx + EXITINFO1], 7
    FAILIF 51, jne
    cmp dword [ebx + EXITINFO1 + 4], 1
    FAILIF 52, jne
    cmp dword [ebx + EXITINFO2], 0x400000
    FAILIF 53, jne
    cmp dword [ebx + S_RIP], ROMBASE + n_write
    FAILIF 54, jne
    cmp dword [0x401000], 0xCAFE            ; guest-physical 0x1000 is host 0x401000
    FAILIF 55, jne
    mov dword [NPT_PT], 0x00500000 | 7      ; make it writable, run the write again
    mov eax, ebx
    vmrun
    ; the read of absent guest-physical 8 MiB: NPF, not present, read
    cmp dword [ebx + EXITCODE], 0x400
    FAILIF 56, jne
    cmp dword [ebx + EXITINFO1], 4
    FAILIF 57, jne
    cmp dword [ebx + EXITINFO2], 0x800000
    FAILIF 58, jne
    cmp dword [0x500000], 0x1234            ; the write went through
    FAILIF 59, jne
    mov dword [NPT_PD + 8], 0x00800000 | 0x87   ; map it, run the read again
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x78
    FAILIF 60, jne
    cmp dword [ebx + S_RAX], 0x5A5A5A5A
    FAILIF 61, jne
    ; --- 62. the same guest with paging of its own (PSE): its page table
    ; for linear 4 MiB is at guest-physical 12 MiB, absent in the nested
    ; tables: NPF during the guest's walk (bit 33), the entry's address
    mov dword [0x400000 + 0x2000], 0x00000087           ; guest PD at guest-physical 0x2000
    mov dword [0x400000 + 0x2000 + 4], 0x00C00000 | 7
    mov dword [0x400000 + 0x2000 + 1023 * 4], 0xFFC00087
    mov dword [ebx + S_CR3], 0x2000
    mov dword [ebx + S_CR4], 0x10
    mov dword [ebx + S_CR0], 0x80000011
    mov dword [ebx + S_RIP], ROMBASE + n2_start
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x400
    FAILIF 62, jne
    cmp dword [ebx + EXITINFO1], 4
    FAILIF 63, jne
    cmp dword [ebx + EXITINFO1 + 4], 2
    FAILIF 64, jne
    cmp dword [ebx + EXITINFO2], 0xC00000
    FAILIF 65, jne
    ; --- 66. an injected INTR whose IDT lies in absent nested memory: NPF
    ; on the final translation, the event in EXITINTINFO
    mov dword [ebx + S_CR0], 0x11
    mov dword [ebx + S_IDTR + 4], 0x107
    mov dword [ebx + S_IDTR + 8], 0xC00000
    mov dword [ebx + EVENTINJ], 0x80000020
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x400
    FAILIF 66, jne
    cmp dword [ebx + EXITINFO1 + 4], 1
    FAILIF 67, jne
    cmp dword [ebx + EXITINFO2], 0xC00000 + 0x20 * 8
    FAILIF 68, jne
    cmp dword [ebx + 0x088], 0x80000020     ; EXITINTINFO: valid, INTR, vector 0x20
    FAILIF 69, jne
    ; --- 80. PAE nested tables (the host's CR4.PAE and EFER.NXE at VMRUN):
    ; guest-physical 0-2 MiB is host 4 MiB, 2-4 MiB is host 6 MiB with XD;
    ; the guest's jump there is NPF with I/D
    mov edi, 0x42000
    xor eax, eax
    mov ecx, 0x3000 / 4
    rep stosd
    mov dword [0x42000], 0x43000 | 1        ; PDPTE 0
    mov dword [0x42000 + 3 * 8], 0x44000 | 1 ; PDPTE 3
    mov dword [0x43000], 0x00400000 | 0x87
    mov dword [0x43000 + 8], 0x00600000 | 0x87
    mov dword [0x43000 + 12], 0x80000000    ; XD
    mov dword [0x44000 + 511 * 8], 0xFFE00000 | 0x87
    mov eax, cr4
    or eax, 0x20
    mov cr4, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x800                           ; NXE
    wrmsr
    mov dword [ebx + N_CR3], 0x42000
    mov dword [ebx + S_CR0], 0x11
    mov dword [ebx + S_CR4], 0
    mov dword [ebx + S_RIP], ROMBASE + n3_start
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x400
    FAILIF 80, jne
    cmp dword [ebx + EXITINFO1], 0x15       ; present, user, instruction fetch
    FAILIF 81, jne
    cmp dword [ebx + EXITINFO1 + 4], 1
    FAILIF 82, jne
    cmp dword [ebx + EXITINFO2], 0x200000
    FAILIF 83, jne
    cmp dword [0x401008], 0x77
    FAILIF 84, jne
    mov ecx, 0xC0000080
    rdmsr
    and eax, ~0x800
    wrmsr
    mov eax, cr4
    and eax, ~0x20
    mov cr4, eax
    mov esi, ROMBASE + m_np
    call print

    ; --- 70. shutdown: a guest #UD with an empty IDT becomes #GP, #DF, a
    ; triple fault: the SHUTDOWN intercept takes it
    mov ebx, VMCB
    mov dword [ebx + S_IDTR + 4], 0
    mov dword [ebx + S_RIP], ROMBASE + g_shut
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x7F
    FAILIF 70, jne
    ; --- 71. a physical interrupt (PIT IRQ 0 through the PIC) while the
    ; guest spins: INTR exit. The host runs the guest with GIF clear and IF
    ; set (V_INTR_MASKING: the host's IF decides), the KVM way.
    PIC_PIT_IRQ0
    mov dword [ebx + VINTR], 1 << 24        ; V_INTR_MASKING
    mov dword [ebx + S_RIP], ROMBASE + g_spin
    mov dword [ebx + S_RFLAGS], 2           ; the guest's IF clear: it does not matter
    clgi
    sti
    mov eax, ebx
    vmrun
    cli
    stgi
    cmp dword [ebx + EXITCODE], 0x60
    FAILIF 71, jne
    cmp dword [ebx + S_RIP], ROMBASE + g_spin
    FAILIF 72, jne
    mov al, 0xFF                            ; quiet again
    out 0x21, al
    ; --- 73. TSC_OFFSET: the guest's RDTSC is the host's plus 2^32; the
    ; host's own is back without it
    mov dword [ebx + 0x054], 1              ; TSC_OFFSET high dword
    mov dword [ebx + S_RIP], ROMBASE + g_tsc
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x78
    FAILIF 73, jne
    cmp dword [ebx + S_RAX], 1              ; the guest's EDX
    FAILIF 74, jne
    rdtsc
    test edx, edx
    FAILIF 75, jnz
    ; --- 76. a JMP to a TSS in the guest's own GDT: task-switch exit
    mov dword [0x31000], 0
    mov dword [0x31004], 0
    mov dword [0x31008], 0x0000FFFF
    mov dword [0x3100C], 0x00CF9B00
    mov dword [0x31010], 0x0000FFFF
    mov dword [0x31014], 0x00CF9300
    mov dword [0x31018], 0x20000067        ; 32-bit TSS at 0x32000, limit 0x67
    mov dword [0x3101C], 0x00008903
    mov dword [ebx + S_GDTR + 4], 0x1F
    mov dword [ebx + S_GDTR + 8], 0x31000
    or dword [ebx + ICPT_MISC1], 1 << 29
    mov dword [ebx + S_RIP], ROMBASE + g_task
    mov eax, ebx
    vmrun
    cmp dword [ebx + EXITCODE], 0x7D
    FAILIF 76, jne
    cmp dword [ebx + EXITINFO1], 0x18
    FAILIF 77, jne
    cmp dword [ebx + EXITINFO2 + 4], 1 << (38 - 32)   ; a JMP
    FAILIF 78, jne

    ; --- 40. VMSAVE stores FS and STAR; STGI/CLGI run
    mov ecx, 0xC0000081
    mov eax, 0x9ABCDEF0
    mov edx, 0x12345678
    wrmsr
    mov ax, 0x10
    mov fs, ax
    mov eax, SAVEPG
    vmsave
    cmp dword [SAVEPG + S_STAR], 0x9ABCDEF0
    FAILIF 40, jne
    cmp dword [SAVEPG + S_STAR + 4], 0x12345678
    FAILIF 41, jne
    cmp word [SAVEPG + S_FS], 0x10
    FAILIF 42, jne
    cmp word [SAVEPG + S_FS + 2], 0x0C93
    FAILIF 43, jne
    clgi
    stgi
    ; --- 44. VMLOAD: FS comes from the page (selector 0 there now)
    mov word [SAVEPG + S_FS], 0
    mov word [SAVEPG + S_FS + 2], 0
    mov eax, SAVEPG
    vmload
    mov ax, fs
    test ax, ax
    FAILIF 44, jnz

    mov esi, ROMBASE + m_pass
    call print
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

; vmcb_controls: the intercepts, maps and host-independent guest state of
; the VMCB at EBX
vmcb_controls:
    mov dword [ebx + ICPT_MISC1], MISC1
    mov dword [ebx + ICPT_MISC2], MISC2
    mov dword [ebx + IOPM_BASE], IOPM
    mov dword [ebx + MSRPM_BASE], MSRPM
    mov dword [ebx + ASID], 1
    mov dword [ebx + S_EFER], 0x1000        ; SVME
    mov dword [ebx + S_RFLAGS], 2
    mov dword [ebx + S_DR7], 0x400
    mov dword [ebx + S_DR6], 0xFFFF0FF0
    ret

VERDICT_ROUTINES

; --- the protected-mode guest
g_start:
    cpuid                                   ; exit 0x72
    mov dx, 0x80
g_out:
    out dx, al                              ; exit 0x7B
    in al, 0x81                             ; port 0x81 is not in the IOPM
    mov esi, ROMBASE + g_start              ; (VMRUN switches no GPR but EAX
    mov ecx, 1                              ; and ESP: the host's are here)
    mov dx, 0x80
    rep outsb                               ; exit 0x7B, string form
    mov ecx, 0x10
    rdmsr                                   ; exit 0x7C (read bit set)
    wrmsr                                   ; the write bit is clear: runs
    xor ecx, ecx
    div ecx                                 ; exit 0x40 (#DE)
    vmmcall                                 ; exit 0x81; the host injects INTR 0x20
    hlt                                     ; exit 0x78, after the handler ran
    mov eax, 0x1000
    mov cr3, eax                            ; exit 0x13
    vmrun                                   ; exit 0x80: always intercepted
    pause                                   ; exit 0x77
    mov eax, dr7                            ; exit 0x27
    hlt

g_isr:
    mov eax, 0xBEEF
    iret

g_shut:
    ud2
g_spin:
    jmp g_spin
g_tsc:
    rdtsc
    mov eax, edx
    hlt
g_task:
    jmp 0x18:0

; --- the nested-paging guest (no paging of its own)
n_start:
    mov dword [0x1000], 0xCAFE
    mov eax, [0x400000]
n_write:
    mov dword [0x400000], 0x1234            ; NPF: read-only in the nested tables
    mov eax, [0x800000]                     ; NPF: not present
    hlt
n2_start:
    mov eax, [0x400000]                     ; NPF in the guest's table walk
    hlt
n3_start:
    mov dword [0x1008], 0x77
    mov eax, 0x200000
    jmp eax                                 ; NPF: XD in the nested tables

; --- the real-mode guest
bits 16
rg_start:
    mov ax, 0x1234
rg_out:
    out 0x80, al
    hlt
bits 32

; the exits of the protected-mode guest: code, EXITINFO1, length to skip,
; flags (1: check next RIP, 2: inject INTR 0x20, 4: the handler ran, 8:
; EXITINFO2 = next RIP)
align 4
exits:
    dd 0x72, 0, 2, 1                                    ; CPUID
    dd 0x7B, 0x00800000 | 0x100 | 0x10, 1, 1 | 8        ; OUT DX, AL
    dd 0x7B, 0x00800000 | 0xC00 | 0x100 | 0x10 | 8 | 4, 2, 1 | 8   ; REP OUTSB (DS)
    dd 0x7C, 0, 2, 1                                    ; RDMSR
    dd 0x40, 0, 2, 0                                    ; #DE
    dd 0x81, 0, 3, 1 | 2                                ; VMMCALL
    dd 0x78, 0, 1, 1 | 4                                ; HLT
    dd 0x13, 0, 3, 1                                    ; MOV CR3
    dd 0x80, 0, 3, 1                                    ; VMRUN
    dd 0x77, 0, 2, 1                                    ; PAUSE
    dd 0x27, 0, 3, 1                                    ; MOV EAX, DR7
    dd 0xFFFF

m_start: db "svm: host in protected mode", 10, 0
m_pm:    db "svm: protected-mode guest ok", 10, 0
m_rm:    db "svm: real-mode guest ok", 10, 0
m_np:    db "svm: nested paging ok", 10, 0
m_pass:  db "svm: PASS", 10, 0
m_fail:  db "svm: FAIL", 10, 0

FLAT_GDT

RESET_VECTOR start16
