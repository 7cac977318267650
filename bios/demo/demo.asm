; SPDX-License-Identifier: MIT
; Kairo demo ROM: the default guest until the PC/AT machine boots SeaBIOS.
; It leaves real mode for flat 32-bit protected mode, counts the primes below
; 50,000 with a sieve (a few million instructions), prints the result on the
; 0xE9 debug console and halts with interrupts off, which ends the run.
; Build: nasm -f bin -o demo.bin demo.asm   (a 64 KiB image ending at 4 GiB)

bits 16
org 0x0000                      ; offsets within the 64 KiB ROM (F000:0000)

SIEVE       equ 0x100000        ; sieve bytes at 1 MiB
LIMIT       equ 50000

start16:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    ; GDT descriptor lives in the ROM; real mode reaches it at F000:gdt_desc
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
    mov esp, 0x90000
    mov esi, 0xFFFF0000 + msg_hello
    call print

    ; Sieve of Eratosthenes over [0, LIMIT)
    mov edi, SIEVE
    mov ecx, LIMIT
    mov al, 1
    rep stosb
    mov byte [SIEVE], 0
    mov byte [SIEVE + 1], 0
    mov ebx, 2
.outer:
    mov eax, ebx
    imul eax, ebx
    cmp eax, LIMIT
    jae .count
    cmp byte [SIEVE + ebx], 0
    je .next
.strike:
    mov byte [SIEVE + eax], 0
    add eax, ebx
    cmp eax, LIMIT
    jb .strike
.next:
    inc ebx
    jmp .outer
.count:
    xor edx, edx
    xor ecx, ecx
.cnt:
    movzx eax, byte [SIEVE + ecx]
    add edx, eax
    inc ecx
    cmp ecx, LIMIT
    jb .cnt

    mov ebp, edx                ; print uses DX
    mov esi, 0xFFFF0000 + msg_result
    call print
    mov eax, ebp
    call print_dec
    mov esi, 0xFFFF0000 + msg_tail
    call print
    cli
    hlt

; print the NUL-terminated string at ESI to port 0xE9
print:
    mov dx, 0xE9
.l: lodsb
    test al, al
    jz .d
    out dx, al
    jmp .l
.d: ret

; print EAX in decimal
print_dec:
    mov ecx, 10
    xor ebx, ebx
.div:
    xor edx, edx
    div ecx
    push edx
    inc ebx
    test eax, eax
    jnz .div
    mov dx, 0xE9
.out:
    pop eax
    add al, '0'
    out dx, al
    dec ebx
    jnz .out
    ret

msg_hello:  db "Kairo demo: flat 32-bit protected mode reached", 10, 0
msg_result: db "Kairo demo: primes below 50000: ", 0
msg_tail:   db " (expected 5133)", 10, 0

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
reset_vector:                   ; F000:FFF0
    jmp 0xF000:start16
times 0x10000 - ($ - $$) db 0
