; SPDX-License-Identifier: MIT
; Kairo benchmark ROM: a flat 32-bit integer loop of a known instruction
; count, for side-by-side speed runs under kairo, QEMU and Bochs.
;
; Per pair of iterations 27 instructions run (13 on even, 14 on odd
; ones): loads, stores, ALU, LEA, shifts, a data-independent conditional
; branch, CALL/RET and the loop branch. ITERATIONS sets the length:
;   nasm -f bin -DITERATIONS=74000000 -o bench.bin bench.asm   (~10^9 instructions)
; At the end it prints "bench: <checksum>" on port 0xE9, writes 0 to the
; isa-debug-exit port 0x501 (kairo, QEMU: exit status 1), and for Bochs
; sends "Shutdown" to port 0x8900 and finally triple-faults.

%ifndef ITERATIONS
%define ITERATIONS 74000000
%endif

bits 16
org 0x0000

start16:
    cli
    cld
    mov ax, 0xF000
    mov ds, ax
    o32 lgdt [gdt_desc]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword 0x08:(0xFFFF0000 + start32)

bits 32
start32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x80000
    mov esi, 0x10000
    mov edi, 0x10040
    mov dword [esi], 0x12345678
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    mov ebp, ITERATIONS
.loop:
    mov eax, [esi]
    add eax, ebx
    xor edx, eax
    mov [edi], edx
    lea ebx, [ebx + eax*2 + 1]
    shr edx, 3
    test ebp, 1
    jz .even
    inc ecx
.even:
    call mix
    dec ebp
    jnz .loop

    ; checksum = ebx ^ ecx ^ edx, printed in hex
    mov eax, ebx
    xor eax, ecx
    xor eax, edx
    mov ebx, eax
    mov esi, 0xFFFF0000 + msg
    call print
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
    ; kairo and QEMU: isa-debug-exit
    mov dx, 0x501
    xor al, al
    out dx, al
    ; Bochs: the shutdown port, then a triple fault
    mov esi, 0xFFFF0000 + shutdown
    mov dx, 0x8900
.sd: lodsb
    test al, al
    jz .tf
    out dx, al
    jmp .sd
.tf:
    lidt [0xFFFF0000 + null_idt]
    int3
    hlt

mix:
    and eax, 0xFF
    ret

print:
    mov dx, 0xE9
.l: lodsb
    test al, al
    jz .d
    out dx, al
    jmp .l
.d: ret

msg:      db "bench: ", 0
digits:   db "0123456789abcdef"
shutdown: db "Shutdown", 0
null_idt: dw 0
          dd 0

align 8
gdt:
    dq 0
    dq 0x00CF9B000000FFFF       ; 0x08: flat 32-bit code
    dq 0x00CF93000000FFFF       ; 0x10: flat 32-bit data
gdt_desc:
    dw gdt_desc - gdt - 1
    dd 0xFFFF0000 + gdt

times 0xFFF0 - ($ - $$) db 0
bits 16
reset_vector:
    jmp 0xF000:start16
times 0x10000 - ($ - $$) db 0
