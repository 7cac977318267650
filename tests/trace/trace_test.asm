; SPDX-License-Identifier: MIT
; Trace test ROM: a short, fully deterministic run through the events the
; tracer records. Real mode: a software interrupt (INT 30h) and a loop of
; port writes; then protected mode: #UD (UD2, skipped by its handler),
; paging on (CR3 load, CR0.PG), a #PF on an unmapped page that the handler
; maps, the access retried, and the isa-debug-exit port (status 0x21).
; With --flight-dump-on=6 the recorder is dumped at the #UD.

bits 16
org 0x0000

%include "rom.inc"

start16:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x2000
    mov word [0x30 * 4], int30
    mov word [0x30 * 4 + 2], 0xF000
    int 0x30
    mov dx, 0xE9
    mov cx, 3
.loop:
    mov al, 'L'
    out dx, al
    loop .loop
    TO_PM32 gdt_desc, start32

int30:
    mov al, 'I'
    out 0xE9, al
    iret

bits 32
start32:
    FLAT_SEGS 0x3000
    mov eax, 0xFFFF0000 + ud_handler
    mov edi, 0x1000 + 6 * 8
    call set_gate
    mov eax, 0xFFFF0000 + pf_handler
    mov edi, 0x1000 + 14 * 8
    call set_gate
    lidt [0xFFFF0000 + idt_desc]
    ud2
    ; Page tables: PD 0x10000; PT1 0x11000 maps pages 0-2 and the tables;
    ; PT2 0x12000 maps the ROM at 0xFFFF0000. 0x200000 stays unmapped.
    mov dword [0x10000], 0x11003
    mov dword [0x10000 + 1023 * 4], 0x12003
    mov dword [0x11000 + 0 * 4], 0x00003
    mov dword [0x11000 + 1 * 4], 0x01003
    mov dword [0x11000 + 2 * 4], 0x02003
    mov dword [0x11000 + 0x10 * 4], 0x10003
    mov dword [0x11000 + 0x11 * 4], 0x11003
    mov dword [0x11000 + 0x12 * 4], 0x12003
    mov edi, 0x12000 + 1008 * 4
    mov eax, 0xFFFF0003
    mov ecx, 16
.pt2:
    stosd
    add eax, 0x1000
    loop .pt2
    mov eax, 0x10000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov eax, [0x200000]
    mov dx, 0xE9
    mov al, 'P'
    out dx, al
    mov dx, 0x501
    mov al, 0x10
    out dx, al
    hlt

; EAX: handler, EDI: its IDT entry (a 32-bit interrupt gate to 0x08)
set_gate:
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax
    ret

ud_handler:
    add dword [esp], 2
    iret

pf_handler:
    mov dword [0x11000 + 0x200 * 4], 0x200003
    add esp, 4
    iret

idt_desc:
    dw 0x100 - 1
    dd 0x1000

FLAT_GDT

RESET_VECTOR start16
