; SPDX-License-Identifier: MIT
; Kairo bench ROMs of a few shapes, for bench/speed.py: one flat 32-bit
; loop per SHAPE, run ITERATIONS times, then "shape: <checksum>" on port
; 0xE9 and a write to the isa-debug-exit port 0x501 (kairo and QEMU).
;   nasm -f bin -I tests/asm/include/ -DSHAPE=1 -DITERATIONS=1000000 -o alu.bin shapes.asm
; SHAPE 1 alu: register ALU, shifts, IMUL, CMP+Jcc, DEC+JNZ
; SHAPE 2 mem: loads, stores, read-modify-write, byte and indexed forms
; SHAPE 3 call: CALL/RET, PUSH/POP, a two-level call tree
; SHAPE 4 string: REP MOVSD, REP STOSD, LODSB/SCASB loops
; The instruction count comes from kairo's --stats (exact).

%ifndef ITERATIONS
%define ITERATIONS 1000000
%endif
%ifndef SHAPE
%define SHAPE 1
%endif

%include "rom.inc"    ; tests/asm/include: the flat protected-mode entry and GDT

bits 16
org 0x0000

start16:
    cli
    cld
    TO_PM32 gdt_desc, start32

bits 32
start32:
    FLAT_SEGS 0x80000
    mov esi, 0x10000
    mov edi, 0x20000
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    mov ebp, ITERATIONS

%if SHAPE == 1
.loop:
    add eax, ebp
    xor ebx, eax
    lea ecx, [ecx + ebx*4 + 7]
    shl eax, 3
    sub edx, ecx
    imul ebx, ebx, 13
    and ecx, 0x7FFFFFFF
    or edx, 1
    shr ebx, 2
    cmp eax, ecx
    jb .skip
    add edx, eax
.skip:
    test ebp, 3
    jnz .no
    not eax
.no:
    dec ebp
    jnz .loop
%elif SHAPE == 2
    mov dword [esi], 0x12345678
.loop:
    mov eax, [esi]
    mov ebx, [esi + 4]
    add eax, ebx
    mov [esi + 8], eax
    mov ecx, ebp
    and ecx, 63
    mov [edi + ecx*4], eax
    add edx, [edi + ecx*4 + 4]
    add [esi + 4], edx
    movzx ebx, byte [esi + 1]
    mov [esi + 12], bl
    xor edx, ebx
    mov eax, [esi + 8]
    mov [esi], eax
    dec ebp
    jnz .loop
%elif SHAPE == 3
.loop:
    push ebp
    push eax
    call outer
    add esp, 8
    dec ebp
    jnz .loop
%elif SHAPE == 4
    ; fill the source once
    mov ecx, 256
    mov eax, 0x01020304
    rep stosd
    mov ebp, ITERATIONS / 16
.loop:
    mov esi, 0x20000
    mov edi, 0x30000
    mov ecx, 256
    rep movsd
    mov edi, 0x40000
    mov ecx, 128
    mov eax, ebp
    rep stosd
    mov esi, 0x30000
    mov ecx, 64
.sum:
    lodsb
    add edx, eax
    loop .sum
    mov edi, 0x30000
    mov ecx, 512
    mov al, 0xFF
    repne scasb
    add ebx, ecx
    dec ebp
    jnz .loop
%endif

    ; checksum = eax ^ ebx ^ ecx ^ edx, printed in hex
    xor eax, ebx
    xor eax, ecx
    xor eax, edx
    mov ebx, eax
    mov esi, 0xFFFF0000 + msg
.p: lodsb
    test al, al
    jz .pd
    mov dx, 0xE9
    out dx, al
    jmp .p
.pd:
    mov ecx, 8
.hex:
    rol ebx, 4
    mov eax, ebx
    and eax, 15
    mov al, [0xFFFF0000 + digits + eax]
    mov dx, 0xE9
    out dx, al
    loop .hex
    mov al, 10
    out dx, al
    mov dx, 0x501
    xor al, al
    out dx, al
    cli
    hlt

outer:
    mov eax, [esp + 8]
    push ebx
    call leaf
    add ebx, eax
    call leaf
    pop ebx
    xor ebx, eax
    ret
leaf:
    push ecx
    mov ecx, eax
    shr ecx, 1
    add eax, ecx
    pop ecx
    inc eax
    ret

msg:      db "shape: ", 0
digits:   db "0123456789abcdef"

FLAT_GDT

times 0xFFF0 - ($ - $$) db 0
bits 16
reset_vector:
    jmp 0xF000:start16
times 0x10000 - ($ - $$) db 0
