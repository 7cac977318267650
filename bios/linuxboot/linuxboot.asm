; SPDX-License-Identifier: MIT
; Kairo's Linux loader option ROM (what -kernel/-initrd/-append boot through).
;
; SeaBIOS runs it as a boot entry (BEV, named "genroms/linuxboot.bin" in the
; fw_cfg bootorder file). By then kairo has put the kernel's real-mode setup
; (with its header already filled in: command line pointer, initrd address
; and size, heap end), the protected-mode kernel, the initrd and the command
; line into fw_cfg items, each with its load address. The ROM copies each to
; its address with fw_cfg DMA (the device writes memory directly, so
; addresses above 1 MiB need no mode switch), then enters the kernel's
; real-mode setup as the boot protocol describes: DS=ES=FS=GS=SS = the setup
; segment, SP at the top of its heap, interrupts off, far jump to seg+0x20:0.
;
; Assembled with nasm -f bin; kairo fixes the checksum byte when it loads it.
        bits 16
        org 0

%include "optionrom.inc"

        option_rom_header 'Linux loader'

boot_entry:
        cli
        cld
        copy_item KEY_SETUP_ADDR, KEY_SETUP_SIZE, KEY_SETUP_DATA
        copy_item KEY_KERNEL_ADDR, KEY_KERNEL_SIZE, KEY_KERNEL_DATA
        copy_item KEY_INITRD_ADDR, KEY_INITRD_SIZE, KEY_INITRD_DATA
        copy_item KEY_CMDLINE_ADDR, KEY_CMDLINE_SIZE, KEY_CMDLINE_DATA

        mov ax, KEY_SETUP_ADDR
        call read_u32
        shr eax, 4                   ; the setup segment
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov sp, 0xFFF0               ; top of the setup heap/stack (64 KiB)
        add ax, 0x20
        push ax
        push word 0
        retf                         ; the kernel's real-mode entry

        option_rom_end
