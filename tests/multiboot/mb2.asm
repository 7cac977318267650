; SPDX-License-Identifier: MIT
; A Multiboot 2 test kernel: walks the boot information's tags and prints
; each on COM1 (command line, loader name, modules with their contents,
; basic memory, the memory map, the load base), checks the tag list's
; total size against where its end tag was found, then exits through
; isa-debug-exit. Built as an ELF, and with -DFLAT as a flat image with
; the address and entry address tags.
        bits 32
%ifdef FLAT
        org 0x100000
%else
        section .text
%endif
%include "macros.inc"
        global _start
header:
        dd 0xE85250D6                ; magic
        dd 0                         ; architecture: i386
        dd header_end - header
        dd -(0xE85250D6 + 0 + (header_end - header))
        align 8
        dw 1, 0                      ; information request (required)
        dd 20
        dd 1, 3, 6                   ; command line, modules, memory map
        align 8
        dw 6, 0                      ; modules page-aligned
        dd 8
%ifdef FLAT
        align 8
        dw 2, 0                      ; address tag
        dd 24
        dd header                    ; header_addr
        dd header                    ; load_addr: the file starts here
        dd load_end                  ; load_end_addr
        dd bss_end                   ; bss_end_addr
        align 8
        dw 3, 0                      ; entry address tag
        dd 12
        dd _start
%endif
        align 8
        dw 0, 0                      ; end
        dd 8
header_end:

_start:
        mov esp, stack_top
        mov [magic], eax
        mov [mbi], ebx
        call serial_init
        putkv s_magic, [magic]
        mov ebx, [mbi]
        mov eax, ebx
        and eax, 7
        putkv s_align, eax
        newline
        lea edi, [ebx + 8]           ; the first tag
.tag:   mov eax, [edi]
        test eax, eax
        jz .end
        cmp eax, 1
        je .cmdline
        cmp eax, 2
        je .loader
        cmp eax, 3
        je .module
        cmp eax, 4
        je .meminfo
        cmp eax, 6
        je .mmap
        cmp eax, 21
        je .base
        putkv s_other, eax
        newline
.next:  mov eax, [edi + 4]
        add eax, 7
        and eax, ~7
        add edi, eax
        jmp .tag

.cmdline:
        mov esi, s_cmdline
        call puts
        lea esi, [edi + 8]
        call puts
        mov al, ']'
        call putc
        newline
        jmp .next
.loader:
        mov esi, s_loader
        call puts
        lea esi, [edi + 8]
        call puts
        mov al, ']'
        call putc
        newline
        jmp .next
.module:
        mov eax, [edi + 12]
        sub eax, [edi + 8]
        putkv s_modlen, eax
        mov eax, [edi + 8]
        and eax, 0xFFF
        putkv s_modalign, eax
        mov esi, s_modcmd
        call puts
        lea esi, [edi + 16]
        call puts
        mov esi, s_moddata
        call puts
        mov esi, [edi + 8]
        mov ecx, [edi + 12]
        sub ecx, esi
        cmp ecx, 48
        jbe .short
        mov ecx, 48
.short: call putmem
        mov al, ']'
        call putc
        newline
        jmp .next
.meminfo:
        putkv s_lower, [edi + 8]
        putkv s_upper, [edi + 12]
        newline
        jmp .next
.base:  putkv s_base_addr, [edi + 8]
        newline
        jmp .next
.mmap:  putkv s_esize, [edi + 8]
        putkv s_ever, [edi + 12]
        newline
        lea esi, [edi + 16]
        mov edx, edi
        add edx, [edi + 4]
.entry: cmp esi, edx
        jae .next
        push esi
        mov ecx, esi
        putkv s_base, [ecx]
        putkv s_len, [ecx + 8]
        putkv s_type, [ecx + 16]
        newline
        pop esi
        add esi, [edi + 8]
        jmp .entry

.end:   lea eax, [edi + 8]           ; just past the end tag
        sub eax, [mbi]
        putkv s_endat, eax
        mov ebx, [mbi]
        putkv s_total, [ebx]
        newline
        mov esi, s_end
        call puts
        debug_exit 0x10

%include "print.inc"

s_magic:     db "MB2 magic=", 0
s_align:     db "mbi_align=", 0
s_other:     db "tag type=", 0
s_cmdline:   db "cmdline=[", 0
s_loader:    db "loader=[", 0
s_modlen:    db "mod len=", 0
s_modalign:  db "page_offset=", 0
s_modcmd:    db "cmd=[", 0
s_moddata:   db "] data=[", 0
s_lower:     db "mem_lower=", 0
s_upper:     db "mem_upper=", 0
s_base_addr: db "load_base=", 0
s_esize:     db "mmap entry_size=", 0
s_ever:      db "entry_version=", 0
s_base:      db "mmap base=", 0
s_len:       db "len=", 0
s_type:      db "type=", 0
s_endat:     db "end_tag_ends_at=", 0
s_total:     db "total_size=", 0
s_end:       db "MB-END", 10, 0

%ifdef FLAT
load_end:
        alignb 4
%else
        section .bss
%endif
magic:  resd 1
mbi:    resd 1
        resb 4096
stack_top:
%ifdef FLAT
bss_end:
%endif
