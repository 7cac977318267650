; SPDX-License-Identifier: MIT
; Kairo gdb stub test ROM: protected mode with paging (4 MiB pages for the
; low memory and the ROM, a page table that maps the variables at linear
; 0x400000 to physical 0x200000), then a loop that stores its counter to a
; variable. tests/gdb/gdbtest.gdb breaks in the loop, steps, writes `input`
; and EBX and watches `counter`; the exit status proves gdb's writes reached
; the guest: isa-debug-exit gets input + counter + ebx = 0x20 + 10 + 3,
; status (0x2D << 1) | 1 = 91 (21 when nobody wrote anything).
;   nasm -f bin -I tests/asm/include/ -o gdbtest.bin gdbtest.asm ; kairo -bios gdbtest.bin -device isa-debug-exit -S -s

bits 16
org 0

%include "rom.inc"

PD        equ 0x10000           ; page directory
PT_VARS   equ 0x11000           ; page table for linear 4..8 MiB
VARS_LIN  equ 0x400000
VARS_PHYS equ 0x200000
counter   equ VARS_LIN          ; the loop's store target (watched)
input     equ VARS_LIN + 4      ; written by gdb at the breakpoint
LOOP_OFF  equ 0x1000            ; loop_top is ROMBASE + 0x1000 (the gdb script's address)
LOOPS     equ 10

start16:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 gdt_desc, pm32

bits 32
pm32:
    FLAT_SEGS 0x9000
    PAGING_4M_VARS PD, PT_VARS, VARS_PHYS   ; PT_VARS = PD + 4 KiB
    mov dword [counter], 0
    mov dword [input], 0
    xor ecx, ecx
    xor ebx, ebx
    jmp loop_top

    times LOOP_OFF - ($ - $$) db 0x90
loop_top:                       ; ROMBASE + 0x1000: the breakpoint
    inc ecx
store:                          ; ROMBASE + 0x1001: where stepi lands
    mov [counter], ecx
after_store:                    ; ROMBASE + 0x1007: where the watchpoint stops
    cmp ecx, LOOPS
    jb loop_top
    mov eax, [input]
    add eax, [counter]
    add eax, ebx
    mov dx, 0x501
    out dx, al
    hlt

; The gdb script names these addresses: fail the build if they move.
    AT_OFFSET store, loop_top, 1
    AT_OFFSET after_store, loop_top, 7

FLAT_GDT

RESET_VECTOR start16
