; SPDX-License-Identifier: MIT
; Kairo SMP test ROM (run with -smp 4): the BSP enables its local APIC and
; starts the APs with INIT, SIPI, SIPI (vector 0x08: a real-mode trampoline
; copied to 0x8000), as a BIOS does. Every CPU enters protected mode, counts
; in shared memory with LOCK-prefixed instructions (and through an XCHG
; spinlock around a plain read-modify-write), checks that CPUID's initial
; APIC ID matches its APIC ID register, and IPIs are exchanged: each AP sends
; vector 0x40 to the BSP, the BSP answers all of them at once with vector
; 0x41 to all-excluding-self. The BSP checks every total.
; Progress goes to port 0xE9; the verdict to the isa-debug-exit port 0x501:
; 0x10 for pass (exit status 0x21), the number of the failed check otherwise.
;   nasm -f bin -I tests/asm/include/ -o smp.bin smp.asm
;   kairo -bios smp.bin -smp 4 -device isa-debug-exit -debugcon stdio

bits 16
org 0

%include "rom.inc"

%ifndef NCPU
%define NCPU 4                  ; smp2.bin: -DNCPU=2 -DLOOPS=500 (the debugger tests)
%endif
%ifndef LOOPS
%define LOOPS 20000             ; increments per CPU
%endif
APIC      equ 0xFEE00000
IDT       equ 0x1000
TRAMP     equ 0x8000            ; SIPI vector 0x08
VARS      equ 0x500
started   equ VARS              ; APs that reached protected mode
counter   equ VARS + 4          ; LOCK INC by everyone
lock_word equ VARS + 8          ; the XCHG spinlock
plain     equ VARS + 12         ; incremented under the spinlock
bsp_ipis  equ VARS + 16         ; vector 0x40 taken by the BSP
done      equ VARS + 20         ; APs finished
id_bad    equ VARS + 24         ; CPUID/APIC ID mismatches
ipi_lock  equ VARS + 28         ; one AP at a time sends vector 0x40
ap_ipis   equ VARS + 32         ; [NCPU] vector 0x41 taken, by APIC ID

start16:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 gdt_desc, bsp32

bits 32
bsp32:
    FLAT_SEGS 0x7000
    mov edi, VARS
    xor eax, eax
    mov ecx, 32
    rep stosd
    call build_idt
    ; The trampoline, copied below 1 MiB where a SIPI can start it.
    mov esi, ROMBASE + tramp
    mov edi, TRAMP
    mov ecx, tramp_end - tramp
    rep movsb
    call apic_on
    mov esi, ROMBASE + m_start
    call print
    ; INIT, SIPI, SIPI to all excluding self
    mov dword [APIC + 0x300], 0x000C4500
    mov dword [APIC + 0x300], 0x000C4608
    mov dword [APIC + 0x300], 0x000C4608
    mov ecx, 20000000
.wait_up:
    cmp dword [started], NCPU - 1
    je .up
    pause
    loop .wait_up
    mov al, 1                   ; the APs did not all start
    jmp fail_al
.up:
    mov esi, ROMBASE + m_up
    call print
    sti
    call count_work
    ; Wait for the APs' IPIs and their work.
    mov ecx, 20000000
.wait_ipis:
    cmp dword [bsp_ipis], NCPU - 1
    je .ipis
    pause
    loop .wait_ipis
    mov al, 2                   ; the BSP did not get every AP's IPI
    jmp fail_al
.ipis:
    mov dword [APIC + 0x310], 0
    mov dword [APIC + 0x300], 0x000C0041   ; fixed 0x41, all excluding self
    mov ecx, 20000000
.wait_done:
    cmp dword [done], NCPU - 1
    je .finished
    pause
    loop .wait_done
    mov al, 3                   ; the APs did not finish
    jmp fail_al
.finished:
    cmp dword [counter], NCPU * LOOPS
    mov al, 4
    jne fail_al
    cmp dword [plain], NCPU * LOOPS
    mov al, 5
    jne fail_al
    cmp dword [id_bad], 0
    mov al, 6
    jne fail_al
    mov ebx, 1
.per_ap:
    cmp dword [ap_ipis + ebx * 4], 1
    mov al, 7
    jne fail_al
    inc ebx
    cmp ebx, NCPU
    jb .per_ap
    cmp dword [ap_ipis], 0
    mov al, 8                   ; the BSP must not see its own broadcast
    jne fail_al
    mov esi, ROMBASE + m_pass
    call print
    mov al, 0x10
    mov dx, 0x501
    out dx, al
    cli
    hlt

; The APs, in protected mode: a stack of their own, the shared IDT.
ap32:
    FLAT_SEGS 0x7000
    mov eax, [APIC + 0x20]
    shr eax, 24
    mov esp, eax
    shl esp, 12
    add esp, 0x20000            ; 0x20000 + id * 4 KiB
    mov ebx, eax
    lidt [ROMBASE + idt_desc]
    call apic_on
    mov eax, 1
    cpuid
    shr ebx, 24
    mov eax, [APIC + 0x20]
    shr eax, 24
    cmp eax, ebx
    je .id_ok
    lock inc dword [id_bad]
.id_ok:
    lock inc dword [started]
    sti
    call count_work
    ; Two fixed IPIs of one vector pending at once are one interrupt (one
    ; IRR bit): each AP sends under a lock and waits until the BSP took it.
.ipi_lock:
    mov eax, 1
    xchg eax, [ipi_lock]
    test eax, eax
    jz .send
    pause
    jmp .ipi_lock
.send:
    mov edx, [bsp_ipis]
    mov dword [APIC + 0x310], 0            ; physical destination 0: the BSP
    mov dword [APIC + 0x300], 0x00004040   ; fixed, vector 0x40
.taken:
    cmp [bsp_ipis], edx
    jne .sent
    pause
    jmp .taken
.sent:
    mov dword [ipi_lock], 0
    mov eax, [APIC + 0x20]
    shr eax, 24
.wait_answer:
    cmp dword [ap_ipis + eax * 4], 0
    jne .answered
    pause
    jmp .wait_answer
.answered:
    lock inc dword [done]
    cli
    hlt
    jmp .answered

; LOOPS times: a LOCK INC, and a plain INC under an XCHG spinlock.
count_work:
    mov ecx, LOOPS
.l:
    lock inc dword [counter]
    mov eax, 1
.spin:
    xchg eax, [lock_word]
    test eax, eax
    jz .locked
    pause
    jmp .spin
.locked:
    mov edx, [plain]
    inc edx
    mov [plain], edx
    mov dword [lock_word], 0
    loop .l
    ret

; Software-enable the local APIC (spurious vector 0xFF).
apic_on:
    mov dword [APIC + 0xF0], 0x1FF
    ret

build_idt:
    mov eax, ROMBASE + isr_40
    mov edi, IDT + 0x40 * 8
    call set_gate
    mov eax, ROMBASE + isr_41
    mov edi, IDT + 0x41 * 8
    call set_gate
    lidt [ROMBASE + idt_desc]
    ret
set_gate:
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax
    ret

isr_40:
    lock inc dword [bsp_ipis]
    mov dword [APIC + 0xB0], 0
    iret
isr_41:
    push eax
    mov eax, [APIC + 0x20]
    shr eax, 24
    lock inc dword [ap_ipis + eax * 4]
    mov dword [APIC + 0xB0], 0
    pop eax
    iret

fail_al:
    mov bl, al
    mov esi, ROMBASE + m_fail
    call print
    mov al, bl
    mov dx, 0x501
    out dx, al
    cli
    hlt

print:
    mov dx, 0xE9
.l: lodsb
    test al, al
    jz .d
    out dx, al
    jmp .l
.d: ret

; The real-mode trampoline (position-independent: copied to TRAMP and run
; with CS = 0x0800, IP = 0).
bits 16
tramp:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ax, TRAMP >> 4
    mov ds, ax
    o32 lgdt [tramp_gdt - tramp]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(ROMBASE + ap32)
tramp_gdt:
    dw gdt_end - gdt - 1
    dd ROMBASE + gdt
tramp_end:

m_start: db "smp: starting the APs", 10, 0
m_up:    db "smp: all APs up", 10, 0
m_pass:  db "smp: PASS", 10, 0
m_fail:  db "smp: FAIL", 10, 0

idt_desc:
    dw 0x42 * 8 - 1
    dd IDT

FLAT_GDT

RESET_VECTOR start16
