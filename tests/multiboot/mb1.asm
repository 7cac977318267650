; SPDX-License-Identifier: MIT
; A Multiboot 1 test kernel: prints on COM1 what its loader passed (magic,
; flags, memory, boot device, command line, each module's command line,
; length and contents, the memory map, the loader's name), then exits
; through isa-debug-exit. Built twice: as an ELF (nasm -f elf32, ld at
; 1 MiB) and, with -DAOUT, as a flat image with the a.out kludge.
        bits 32
%ifdef AOUT
        org 0x100000
MB_FLAGS equ 0x00010003              ; page-align modules, memory info, address fields
%else
        section .text
MB_FLAGS equ 0x00000003
%endif
%include "macros.inc"
        global _start
header:
        dd 0x1BADB002
        dd MB_FLAGS
        dd -(0x1BADB002 + MB_FLAGS)
%ifdef AOUT
        dd header                    ; header_addr
        dd header                    ; load_addr: the file starts with the header
        dd load_end                  ; load_end_addr
        dd bss_end                   ; bss_end_addr
        dd _start                    ; entry_addr
%endif

_start:
        mov esp, stack_top
        mov [magic], eax
        mov [mbi], ebx
        call serial_init
        putkv s_magic, [magic]
        mov ebx, [mbi]
        putkv s_flags, [ebx]
        newline
        putkv s_lower, [ebx + 4]
        putkv s_upper, [ebx + 8]
        putkv s_boot, [ebx + 12]
        newline
        mov esi, s_cmdline
        call puts
        mov esi, [ebx + 16]
        call puts
        mov al, ']'
        call putc
        newline
        putkv s_nmods, [ebx + 20]
        newline
        mov edi, [ebx + 24]          ; the module list
        mov ecx, [ebx + 20]
        test ecx, ecx
        jz .mmap
.mod:   push ecx
        mov eax, [edi + 4]
        sub eax, [edi]
        putkv s_modlen, eax
        mov eax, [edi]
        and eax, 0xFFF
        putkv s_modalign, eax
        mov esi, s_modcmd
        call puts
        mov esi, [edi + 8]
        call puts
        mov esi, s_moddata
        call puts
        mov esi, [edi]
        mov ecx, [edi + 4]
        sub ecx, esi
        cmp ecx, 48
        jbe .short
        mov ecx, 48
.short: call putmem
        mov al, ']'
        call putc
        newline
        add edi, 16
        pop ecx
        dec ecx
        jnz .mod
.mmap:  mov ebx, [mbi]
        mov edi, [ebx + 48]          ; mmap_addr: the first entry's size field
        mov edx, edi
        add edx, [ebx + 44]          ; its end
.entry: cmp edi, edx
        jae .name
        putkv s_base, [edi + 4]
        putkv s_len, [edi + 12]
        putkv s_type, [edi + 20]
        newline
        add edi, [edi]
        add edi, 4
        jmp .entry
.name:  mov esi, s_loader
        call puts
        mov ebx, [mbi]
        mov esi, [ebx + 64]
        call puts
        mov al, ']'
        call putc
        newline
        mov esi, s_end
        call puts
        debug_exit 0x10

%include "print.inc"

s_magic:    db "MB1 magic=", 0
s_flags:    db "flags=", 0
s_lower:    db "mem_lower=", 0
s_upper:    db "mem_upper=", 0
s_boot:     db "boot_device=", 0
s_cmdline:  db "cmdline=[", 0
s_nmods:    db "mods_count=", 0
s_modlen:   db "mod len=", 0
s_modalign: db "page_offset=", 0
s_modcmd:   db "cmd=[", 0
s_moddata:  db "] data=[", 0
s_base:     db "mmap base=", 0
s_len:      db "len=", 0
s_type:     db "type=", 0
s_loader:   db "loader=[", 0
s_end:      db "MB-END", 10, 0

%ifdef AOUT
load_end:
        alignb 4
%else
        section .bss
%endif
magic:  resd 1
mbi:    resd 1
        resb 4096
stack_top:
%ifdef AOUT
bss_end:
%endif
