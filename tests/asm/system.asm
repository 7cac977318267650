; SPDX-License-Identifier: MIT
; Kairo system test ROM: protected mode, exceptions and their error codes,
; paging (#PF error codes, CR2, accessed/dirty bits, CR0.WP, 4 MiB pages),
; a hardware task switch with NT and the back link, and virtual-8086 mode.
; Progress goes to port 0xE9; the verdict to the isa-debug-exit port 0x501:
; 0x10 for pass (exit status 0x21), the number of the failed check otherwise.
;   nasm -f bin -I tests/asm/include/ -o system.bin system.asm ; kairo -bios system.bin -device isa-debug-exit

bits 16
org 0

%include "rom.inc"

; EXPECT check, vector, error code (-1: none), instruction
; Runs the instruction, which must raise the exception; the handler resumes
; after it.
%macro EXPECT 4
    mov dword [last_vec], -1
    mov dword [skip], %%end - %%insn
%%insn:
    %4
%%end:
    cmp dword [last_vec], %2
    jne %%bad
    cmp dword [last_err], %3
    je %%ok
%%bad:
    mov al, %1
    jmp fail_al
%%ok:
%endmacro

IDT       equ 0x1000            ; 256 gates
GDT       equ 0x2000
TSS_MAIN  equ 0x3000
TSS_TASK  equ 0x3100
PD        equ 0x10000           ; page directory
PT        equ 0x11000           ; page table for 0-4 MiB
STACK     equ 0x9000
VARS      equ 0x500             ; last_vec, last_err, last_eip, skip, count
last_vec  equ VARS
last_err  equ VARS + 4
last_eip  equ VARS + 8
skip      equ VARS + 12
task_ran  equ VARS + 16
v86_done  equ VARS + 20

start16:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 rom_gdt_desc, pm32

bits 32
pm32:
    FLAT_SEGS STACK
    ; Copy the GDT to RAM (descriptors get their accessed bits set) and build the IDT.
    mov esi, ROMBASE + gdt_image
    mov edi, GDT
    mov ecx, (gdt_image_end - gdt_image) / 4
    rep movsd
    lgdt [ROMBASE + ram_gdt_desc]
    mov edi, IDT
    mov esi, ROMBASE + stubs
    xor ecx, ecx
.idt:
    mov eax, esi
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00      ; 32-bit interrupt gate, DPL 0
    shr eax, 16
    mov [edi + 6], ax
    add esi, stub_size
    add edi, 8
    inc ecx
    cmp ecx, 32
    jb .idt
    lidt [ROMBASE + idt_desc]
    mov esi, ROMBASE + m_start
    call print

    ; --- 1. #UD from UD2, no error code
    EXPECT 1, 6, -1, {ud2}
    ; --- 2. #DE from DIV by zero
    xor ecx, ecx
    EXPECT 2, 0, -1, {div ecx}
    ; --- 3. #GP(sel) loading a selector beyond the GDT limit into DS
    mov ax, 0x1F8
    EXPECT 3, 13, 0x1F8, {mov ds, ax}
    ; --- 4. #NP(sel) loading a not-present data segment
    mov ax, 0x28
    EXPECT 4, 11, 0x28, {mov es, ax}
    ; --- 5. #GP(0) writing through a read-only data segment
    mov ax, 0x30
    mov fs, ax
    EXPECT 5, 13, 0, {mov dword [fs:0x100], 1}
    ; --- 6. #BR from BOUND
    mov dword [0x600], 10
    mov dword [0x604], 20
    mov eax, 30
    EXPECT 6, 5, -1, {bound eax, [0x600]}
    ; --- 7. #SS(0) from a stack-segment limit violation (SS limit 0xFFF)
    mov ax, 0x38
    mov ss, ax
    mov esp, 0xFF0
    EXPECT 7, 12, 0, {mov eax, [ss:0x2000]}
    mov ax, 0x10
    mov ss, ax
    mov esp, STACK
    mov esi, ROMBASE + m_exc
    call print

    ; --- paging: identity map the first 4 MiB with 4 KiB pages
    mov edi, PD
    xor eax, eax
    mov ecx, 2048
    rep stosd
    mov dword [PD], PT | 7
    mov edi, PT
    mov eax, 7
    mov ecx, 1024
.pt:
    stosd
    add eax, 0x1000
    loop .pt
    mov dword [PT + 0x200 * 4], 0           ; 0x200000 not present
    mov dword [PT + 0x201 * 4], 0x201000 | 5   ; user, read-only
    mov dword [PD + 4], 0x400000 | 0x87     ; 4-8 MiB: 4 MiB page (PSE)
    mov dword [PD + 1023 * 4], 0xFFC00000 | 0x83   ; the ROM, where this code runs
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    ; --- 8. #PF not present, write: error 2, CR2
    EXPECT 8, 14, 2, {mov dword [0x200010], 1}
    mov eax, cr2
    cmp eax, 0x200010
    jne fail
    ; --- 9. supervisor write to a read-only page is allowed with WP clear
    mov dword [0x201000], 0x1234
    ; --- 10. and faults with WP set: error 3 (present, write)
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    EXPECT 10, 14, 3, {mov dword [0x201004], 1}
    ; --- 11. accessed and dirty bits of the 4 MiB page and of a 4 KiB PTE
    mov dword [0x400100], 5
    test dword [PD + 4], 0x60
    jz fail11
    mov eax, [PT + 0x100 * 4]
    and eax, 0x60
    mov [0x700], eax
    mov dword [0x100000], 1
    mov eax, [PT + 0x100 * 4]
    and eax, 0x60
    cmp eax, 0x60
    jne fail11
    mov eax, cr0
    and eax, 0x7FFEFFFF                     ; paging and WP off
    mov cr0, eax
    mov esi, ROMBASE + m_paging
    call print

    ; --- 12. task switch: CALL a TSS, the task sets a flag and IRETs back
    mov dword [task_ran], 0
    mov edi, TSS_TASK
    xor eax, eax
    mov ecx, 26
    rep stosd
    mov dword [TSS_TASK + 0x1C], PD
    mov dword [TSS_TASK + 0x20], ROMBASE + task_entry
    mov dword [TSS_TASK + 0x24], 2
    mov dword [TSS_TASK + 0x38], 0x8000
    mov dword [TSS_TASK + 0x48], 0x10
    mov dword [TSS_TASK + 0x4C], 0x08
    mov dword [TSS_TASK + 0x50], 0x10
    mov dword [TSS_TASK + 0x54], 0x10
    mov word [TSS_TASK + 0x66], 0x68
    mov ax, 0x40
    ltr ax
    call 0x48:0
    cmp dword [task_ran], 0x7A5C
    jne fail12
    ; back link and busy bits: the task's TSS is free again, ours busy
    test byte [GDT + 0x48 + 5], 2
    jnz fail12
    test byte [GDT + 0x40 + 5], 2
    jz fail12
    mov esi, ROMBASE + m_task
    call print

    ; --- 13. virtual-8086 mode: IRET into V86 code at 0x0000:0x0800 that
    ; executes INT 0x30 with IOPL 0: #GP(0) brings us back to ring 0.
    mov esi, ROMBASE + v86_code
    mov edi, 0x800
    mov ecx, v86_code_end - v86_code
    rep movsb
    mov dword [v86_done], 0
    mov dword [TSS_MAIN + 4], STACK         ; ESP0 for the inner stack
    mov dword [TSS_MAIN + 8], 0x10
    mov dword [skip], 0
    mov [saved_esp], esp
    push dword 0                            ; GS
    push dword 0                            ; FS
    push dword 0                            ; DS
    push dword 0                            ; ES
    push dword 0                            ; SS
    push dword 0x7F0                        ; ESP
    push dword 0x00020002                   ; EFLAGS: VM
    push dword 0                            ; CS
    push dword 0x800                        ; EIP
    iret
v86_back:
    cmp dword [v86_done], 0x5A
    jne fail13
    mov esi, ROMBASE + m_v86
    call print

    mov esi, ROMBASE + m_pass
    call print
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

fail11: mov al, 11
        jmp fail_al
fail12: mov al, 12
        jmp fail_al
fail13: mov al, 13
        jmp fail_al
fail:   mov al, 99
fail_al:
    mov [0x710], al
    mov esi, ROMBASE + m_fail
    call print
    mov al, [0x710]
    mov dx, 0x501
    out dx, al
    hlt

; --- the exception handlers: record vector, error code and EIP; resume
; at EIP + [skip]. In V86 the #GP ends the V86 test.
exc_common:
    ; stack: vector, [error], eip, cs, eflags. From V86 mode the data
    ; segment registers arrive null: reload them first.
    push eax
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    pop eax
    pop dword [last_vec]
    mov dword [last_err], -1
    mov eax, [last_vec]
    cmp eax, 8
    je .err
    cmp eax, 10
    jb .noerr
    cmp eax, 14
    ja .noerr
.err:
    pop dword [last_err]
.noerr:
    test dword [esp + 8], 0x20000          ; from V86 mode?
    jnz .from_v86
    mov eax, [esp]
    mov [last_eip], eax
    mov eax, [skip]
    add [esp], eax
    iret
.from_v86:
    mov dword [v86_done], 0x5A
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esp, [saved_esp]
    jmp v86_back

print:
    mov dx, 0xE9
.l: lodsb
    test al, al
    jz .d
    out dx, al
    jmp .l
.d: ret

; The task: sets the flag, returns with IRET (NT is set by the CALL).
task_entry:
    mov dword [task_ran], 0x7A5C
    iret
    jmp task_entry                         ; a second CALL would resume here

v86_code:
    int 0x30                               ; IOPL 0: #GP to the monitor
    hlt
v86_code_end:

saved_esp equ 0x720

; One stub per vector 0-31: push the vector, go to the common handler.
stubs:
%assign v 0
%rep 32
    push dword v
    jmp dword 0x08:(ROMBASE + exc_common)
%assign v v + 1
%endrep
stub_size equ (($ - stubs) / 32)

m_start:  db "system: protected mode", 10, 0
m_exc:    db "system: exceptions ok", 10, 0
m_paging: db "system: paging ok", 10, 0
m_task:   db "system: task switch ok", 10, 0
m_v86:    db "system: v86 ok", 10, 0
m_pass:   db "system: PASS", 10, 0
m_fail:   db "system: FAIL", 10, 0

align 8
gdt_image:
    dq 0
    dq 0x00CF9B000000FFFF       ; 0x08 flat code
    dq 0x00CF93000000FFFF       ; 0x10 flat data
    dq 0                        ; 0x18
    dq 0                        ; 0x20
    dq 0x00CF13000000FFFF       ; 0x28 data, not present
    dq 0x00CF91000000FFFF       ; 0x30 read-only data
    dq 0x0040930000000FFF       ; 0x38 data, limit 0xFFF (a small stack)
    dq 0x0000890030000067       ; 0x40 32-bit TSS at 0x3000 (this task)
    dq 0x0000890031000067       ; 0x48 32-bit TSS at 0x3100 (the called task)
gdt_image_end:

ram_gdt_desc:
    dw 0x4F
    dd GDT
idt_desc:
    dw 32 * 8 - 1
    dd IDT
rom_gdt_desc:
    dw gdt_image_end - gdt_image - 1
    dd ROMBASE + gdt_image

RESET_VECTOR start16
