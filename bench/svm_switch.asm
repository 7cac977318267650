; SPDX-License-Identifier: MIT
; SVM world-switch round trips (-cpu phenom): VMRUN, the guest reads PAGES
; pages (4 KiB apart from 1 MiB) and VMMCALLs, #VMEXIT; N times, then the
; isa-debug-exit port. bench/svm_switch.sh times it; docs/SVM.md has numbers.
bits 16
org 0
%include "rom.inc"
%include "svm.inc"
VMCB equ 0x11000
HSAVE equ 0x10000
start16:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    TO_PM32 gdt_desc, pm32
bits 32
pm32:
    FLAT_SEGS 0x9000
    SVM_ENABLE HSAVE
    mov edi, HSAVE
    xor eax, eax
    mov ecx, 0x2000 / 4
    rep stosd
    mov ebx, VMCB
    mov dword [ebx + 0x010], 3          ; VMRUN, VMMCALL
    mov dword [ebx + 0x058], 1
    mov dword [ebx + 0x4D0], 0x1000
    mov dword [ebx + 0x560], 0x400
    mov dword [ebx + 0x570], 2
    mov word [ebx + 0x410], 0x08
    mov word [ebx + 0x412], 0x0C9B
    mov dword [ebx + 0x414], 0xFFFFFFFF
    mov word [ebx + 0x420], 0x10
    mov word [ebx + 0x422], 0x0C93
    mov dword [ebx + 0x424], 0xFFFFFFFF
    mov word [ebx + 0x430], 0x10
    mov word [ebx + 0x432], 0x0C93
    mov dword [ebx + 0x434], 0xFFFFFFFF
    mov dword [ebx + 0x558], 0x11
    mov dword [ebx + 0x5D8], 0x28000
    mov esi, N
.loop:
    mov dword [ebx + 0x578], ROMBASE + guest
    mov eax, ebx
    vmrun
    dec esi
    jnz .loop
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt
guest:
    mov ecx, PAGES
    mov edx, 0x100000
.t: mov eax, [edx]
    add edx, 0x1000
    dec ecx
    jnz .t
    vmmcall
FLAT_GDT
RESET_VECTOR start16
