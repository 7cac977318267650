; Kairo gdb stub test ROM: protected mode with paging (4 MiB pages for the
; low memory and the ROM, a page table that maps the variables at linear
; 0x400000 to physical 0x200000), then a loop that stores its counter to a
; variable. tests/gdb/gdbtest.gdb breaks in the loop, steps, writes `input`
; and EBX and watches `counter`; the exit status proves gdb's writes reached
; the guest: isa-debug-exit gets input + counter + ebx = 0x20 + 10 + 3,
; status (0x2D << 1) | 1 = 91 (21 when nobody wrote anything).
;   nasm -f bin -o gdbtest.bin gdbtest.asm ; kairo -bios gdbtest.bin -device isa-debug-exit -S -s

bits 16
org 0

ROMBASE   equ 0xFFFF0000
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
    mov ax, 0xF000
    mov ds, ax
    o32 lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(ROMBASE + pm32)

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x9000
    ; The page directory and the variables' page table (PT_VARS = PD + 4 KiB).
    mov edi, PD
    xor eax, eax
    mov ecx, 2048
    cld
    rep stosd
    mov dword [PD], 0x00000083              ; 0-4 MiB: 4 MiB page, identity
    mov dword [PD + 4], PT_VARS | 3         ; 4-8 MiB: page table
    mov dword [PD + 1023 * 4], 0xFFC00083   ; the top 4 MiB (this ROM), identity
    mov edi, PT_VARS
    mov eax, VARS_PHYS | 3
    mov ecx, 16
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov eax, cr4
    or eax, 0x10                            ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
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
    times (store - loop_top) - 1 db 0
    times 1 - (store - loop_top) db 0
    times (after_store - loop_top) - 7 db 0
    times 7 - (after_store - loop_top) db 0

align 8
gdt:
    dq 0
    dq 0x00CF9B000000FFFF       ; 0x08 flat code
    dq 0x00CF93000000FFFF       ; 0x10 flat data
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd ROMBASE + gdt

times 0xFFF0 - ($ - $$) db 0
bits 16
reset_vector:
    jmp 0xF000:start16
times 0x10000 - ($ - $$) db 0
