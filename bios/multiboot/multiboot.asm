; SPDX-License-Identifier: MIT
; Kairo's multiboot loader option ROM (what a multiboot -kernel boots through).
;
; SeaBIOS runs it as a boot entry (BEV, "genroms/multiboot.bin" first in the
; bootorder file). kairo (bios/multiboot.c) has laid everything out:
;   fw_cfg kernel item: the kernel image, its modules and strings, at its
;                       load address;
;   fw_cfg initrd item: at 0x8000, a parameter block, then the multiboot
;                       information (MBI) with its memory map left empty.
; The ROM copies both with fw_cfg DMA, asks the BIOS for its memory map
; (INT 15h E820) into the MBI in the format of the kernel's multiboot
; version, enters 32-bit protected mode with flat segments, and jumps to
; the kernel's entry with EAX = the boot magic, EBX = the MBI.
;
; The parameter block at 0x8000:
;   +0 version (1 or 2)   +4 EAX magic   +8 MBI address   +12 entry
;   +16 version 1: where the map's entries go (mmap_addr);
;       version 2: the memory map tag (last tag, header filled in)
;   +20 the end of the room for the map
;   +24 where mem_lower and mem_upper go (KiB of RAM at 0 and at 1 MiB,
;       from the same map, as QEMU's loader and GRUB compute them)
;
; Assembled with nasm -f bin; kairo fixes the checksum bytes when it loads it.
        bits 16
        org 0

%include "optionrom.inc"

GDT_ADDR        equ 0x7000          ; the flat GDT and its pointer
PARAMS          equ 0x8000
P_VERSION       equ PARAMS + 0
P_MAGIC         equ PARAMS + 4
P_MBI           equ PARAMS + 8
P_ENTRY         equ PARAMS + 12
P_MMAP          equ PARAMS + 16
P_LIMIT         equ PARAMS + 20
P_MEMINFO       equ PARAMS + 24
SMAP            equ 0x534D4150
ENTRY_BYTES     equ 24              ; one map entry in either format

        option_rom_header 'Multiboot loader'

boot_entry:
        cli
        cld
        copy_item KEY_INITRD_ADDR, KEY_INITRD_SIZE, KEY_INITRD_DATA
        copy_item KEY_KERNEL_ADDR, KEY_KERNEL_SIZE, KEY_KERNEL_DATA
        xor ax, ax
        mov ds, ax
        mov es, ax

; The BIOS's memory map, one 24-byte entry at a time: version 1 puts the
; entry's size (20) first, version 2 a reserved word last.
        mov di, [P_MMAP]
        cmp byte [P_VERSION], 2
        jne .v1
        add di, 16                   ; past the tag's header
.v1:    xor ebx, ebx
        xor si, si                   ; entries so far
.next:  mov ax, di
        add ax, ENTRY_BYTES + 8      ; room for this entry and an end tag
        cmp ax, [P_LIMIT]
        ja .done
        push di
        cmp byte [P_VERSION], 2
        je .call
        mov dword [di], 20
        add di, 4
.call:  mov dword [di + 20], 0
        mov eax, 0xE820
        mov edx, SMAP
        mov ecx, 20
        int 0x15
        jc .fail
        cmp eax, SMAP
        jne .fail
        call note_meminfo
        pop di
        add di, ENTRY_BYTES
        inc si
        test ebx, ebx
        jnz .next
        jmp .done
.fail:  pop di
.done:  mov eax, ENTRY_BYTES
        movzx esi, si
        mul esi                      ; EAX = the map's length in bytes
        mov bx, [P_MBI]
        cmp byte [P_VERSION], 2
        je .v2
        mov [bx + 44], eax           ; mmap_length
        jmp enter_kernel
.v2:    mov si, [P_MMAP]
        add eax, 16
        mov [si + 4], eax            ; the memory map tag's size
        mov dword [di], 0            ; the end tag (DI: right after the map)
        mov dword [di + 4], 8
        add di, 8
        sub di, bx
        movzx edi, di
        mov [bx], edi                ; total_size
        jmp enter_kernel

; note_meminfo: DI = an E820 entry (base, length, type); RAM at 0 gives
; mem_lower, RAM at 1 MiB mem_upper (in KiB).
note_meminfo:
        cmp dword [di + 16], 1
        jne .ret
        cmp dword [di + 4], 0
        jne .ret
        push ebx
        mov eax, [di + 8]
        mov edx, [di + 12]
        shrd eax, edx, 10
        mov bx, [P_MEMINFO]
        cmp dword [di], 0
        jne .upper
        mov [bx], eax
        jmp .pop
.upper: cmp dword [di], 0x100000
        jne .pop
        mov [bx + 4], eax
.pop:   pop ebx
.ret:   ret

; Flat 32-bit segments, A20 on, protected mode, and the kernel's entry.
enter_kernel:
        in al, 0x92
        or al, 2
        and al, 0xFE
        out 0x92, al
        mov dword [GDT_ADDR + 0], 0
        mov dword [GDT_ADDR + 4], 0
        mov dword [GDT_ADDR + 8], 0x0000FFFF     ; 0x08: code, base 0, 4 GiB
        mov dword [GDT_ADDR + 12], 0x00CF9A00
        mov dword [GDT_ADDR + 16], 0x0000FFFF    ; 0x10: data, base 0, 4 GiB
        mov dword [GDT_ADDR + 20], 0x00CF9200
        mov word [GDT_ADDR + 24], 23
        mov dword [GDT_ADDR + 26], GDT_ADDR
        lgdt [GDT_ADDR + 24]
        xor ebx, ebx
        mov bx, cs
        shl ebx, 4
        add ebx, pm32                ; the linear address of pm32
        mov eax, cr0
        or al, 1
        mov cr0, eax
        push dword 0x08
        push ebx
        o32 retf

        bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, GDT_ADDR
        mov ebx, [P_MBI]
        mov ecx, [P_ENTRY]
        mov eax, [P_MAGIC]
        jmp ecx

        option_rom_end
