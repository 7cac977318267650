; SPDX-License-Identifier: MIT
; Kairo monitor test ROM: programs the PICs (vectors 0x20/0x28), builds an
; IDT whose gates all lead to one IRET at ROMBASE + 0x1100, turns on paging
; (4 MiB identity pages for low memory and the ROM, a page table mapping
; linear 0x400000 to physical 0x200000), then loops: count in ECX, store
; it to `counter`, show it on port 0x80, for ever. tests/monitor/montest.py
; breaks, steps and watches in the loop at the fixed addresses below.
;   nasm -f bin -I tests/asm/include/ -o montest.bin montest.asm

bits 16
org 0

%include "rom.inc"

PD        equ 0x10000           ; page directory
PT_VARS   equ 0x11000           ; page table for linear 4..8 MiB
IDT       equ 0x12000
VARS_LIN  equ 0x400000
VARS_PHYS equ 0x200000
counter   equ VARS_LIN
LOOP_OFF  equ 0x1000            ; loop_top = ROMBASE + 0x1000
ISR_OFF   equ 0x1100            ; isr = ROMBASE + 0x1100
LOOPS     equ 1000

start16:
    cli
    mov al, 0x11                ; ICW1: edge, cascade, ICW4
    out 0x20, al
    out 0xA0, al
    mov al, 0x20                ; ICW2: vector bases
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4                   ; ICW3: slave on IRQ 2
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1                   ; ICW4: 8086 mode
    out 0x21, al
    out 0xA1, al
    mov al, 0xFB                ; masks: only the cascade open
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 gdt_desc, pm32

bits 32
pm32:
    FLAT_SEGS 0x9000
    ; 256 interrupt gates, 0008:isr, DPL 0.
    mov edi, IDT
    mov ecx, 256
.gate:
    mov dword [edi], 0x00080000 | ((ROMBASE + ISR_OFF) & 0xFFFF)
    mov dword [edi + 4], ((ROMBASE + ISR_OFF) & 0xFFFF0000) | 0x8E00
    add edi, 8
    loop .gate
    lidt [ROMBASE + idt_desc]
    PAGING_4M_VARS PD, PT_VARS, VARS_PHYS
    mov dword [counter], 0
    xor ecx, ecx
    jmp loop_top

    times LOOP_OFF - ($ - $$) db 0x90
loop_top:                       ; ROMBASE + 0x1000: the breakpoint
    inc ecx
store:                          ; + 0x1: the step lands here
    mov [counter], ecx
after_store:                    ; + 0x7: the write watchpoint stops here
    mov al, cl
    out 0x80, al
after_out:                      ; + 0xB: the port watchpoint stops here
    cmp ecx, LOOPS
    jb loop_top
    xor ecx, ecx                ; forever: the monitor's quit ends the run
    jmp loop_top

; The test names these addresses: fail the build if they move.
    AT_OFFSET store, loop_top, 1
    AT_OFFSET after_store, loop_top, 7
    AT_OFFSET after_out, loop_top, 0xB

    times ISR_OFF - ($ - $$) db 0x90
isr:
    iretd

FLAT_GDT
idt_desc:
    dw 256 * 8 - 1
    dd IDT

RESET_VECTOR start16
