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

FW_CTL          equ 0x510
FW_DATA         equ 0x511
FW_DMA_HI       equ 0x514
FW_DMA_LO       equ 0x518
DMA_READ        equ 0x02
DMA_SELECT      equ 0x08
DMA_ERROR       equ 0x01

KEY_KERNEL_ADDR equ 0x07
KEY_KERNEL_SIZE equ 0x08
KEY_INITRD_ADDR equ 0x0A
KEY_INITRD_SIZE equ 0x0B
KEY_KERNEL_DATA equ 0x11
KEY_INITRD_DATA equ 0x12
KEY_CMDLINE_ADDR equ 0x13
KEY_CMDLINE_SIZE equ 0x14
KEY_CMDLINE_DATA equ 0x15
KEY_SETUP_ADDR  equ 0x16
KEY_SETUP_SIZE  equ 0x17
KEY_SETUP_DATA  equ 0x18

DESC_SEG        equ 0x0600          ; the DMA descriptor lives at 0x6000 (free low RAM)

rom_header:
        db 0x55, 0xAA
        db ROM_BLOCKS                ; size in 512-byte blocks
        jmp short rom_init           ; offset 3: init entry
        times 0x18 - ($ - $$) db 0
        dw 0                         ; 0x18: PCI data structure (none)
        dw pnp_header                ; 0x1A: PnP expansion header

        align 16
pnp_header:
        db '$PnP'
        db 1                         ; structure revision
        db 2                         ; length in 16-byte units
        dw 0                         ; next header
        db 0                         ; reserved
        db 0                         ; checksum (fixed below)
        dd 0                         ; device id
        dw manufacturer
        dw product
        db 2, 0, 0                   ; device type: mass storage (other)
        db 0x14                      ; indicators: IPL device, boot only
        dw 0                         ; BCV
        dw 0                         ; disconnect vector
        dw boot_entry                ; BEV
        dw 0
        dw 0                         ; static resource information vector
pnp_end:

manufacturer:   db 'Kairo', 0
product:        db 'Linux loader', 0

; Init entry: nothing to set up; the BEV does the work.
rom_init:
        retf

; read_u32: AX = key -> EAX = the item's first 4 bytes (little-endian)
read_u32:
        mov dx, FW_CTL
        out dx, ax
        mov dx, FW_DATA
        in eax, dx
        ret

; dma_copy: AX = data key, EDI = physical destination, ECX = length
dma_copy:
        push es
        push bx
        mov bx, DESC_SEG
        mov es, bx
        movzx ebx, ax
        shl ebx, 16
        or ebx, DMA_SELECT | DMA_READ
        bswap ebx
        mov [es:0], ebx              ; control (big-endian)
        bswap ecx
        mov [es:4], ecx              ; length
        bswap ecx
        mov dword [es:8], 0          ; address high
        bswap edi
        mov [es:12], edi             ; address low
        bswap edi
        xor eax, eax
        mov dx, FW_DMA_HI
        out dx, eax                  ; high half of the descriptor address: 0
        mov eax, DESC_SEG * 16
        bswap eax
        mov dx, FW_DMA_LO
        out dx, eax                  ; low half: starts the transfer
.wait:  mov eax, [es:0]              ; control reads back 0 when done
        bswap eax
        test eax, ~DMA_ERROR
        jnz .wait
        pop bx
        pop es
        ret

; copy_item: AX = address key -> EDI, then size key (AX+1 for most), data key
%macro copy_item 3                   ; addr key, size key, data key
        mov ax, %1
        call read_u32
        mov edi, eax
        mov ax, %2
        call read_u32
        mov ecx, eax
        jecxz %%skip
        mov ax, %3
        call dma_copy
%%skip:
%endmacro

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

        align 512, db 0
ROM_BLOCKS equ ($ - $$) / 512
