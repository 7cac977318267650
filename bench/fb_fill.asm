; SPDX-License-Identifier: MIT
; Frame-buffer write bench (bench/remote_mmio.sh), a boot floppy: mode 13h,
; then FRAMES whole frames (64,000 bytes each) stored into the 0xA0000
; window, by REP STOSD (-DSTORE=rep) or one MOV a byte (-DSTORE=byte), and
; the end through isa-debug-exit (status 33).
        bits 16
        org 0x7C00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        mov ax, 0x0013
        int 0x10
        mov ax, 0xA000
        mov es, ax
        cld
        mov bp, FRAMES
        xor ebx, ebx
.frame:
        xor di, di
        mov eax, ebx
%ifidn STORE, rep
        mov cx, 16000
        rep stosd
%else
        mov cx, 64000
.byte:  mov [es:di], al
        inc di
        loop .byte
%endif
        add ebx, 0x01010101
        dec bp
        jnz .frame
        mov dx, 0x501
        mov al, 0x10
        out dx, al
        hlt
        times 510 - ($ - $$) db 0
        dw 0xAA55
        times 1474560 - ($ - $$) db 0
