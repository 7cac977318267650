; SPDX-License-Identifier: MIT
; A boot sector for the harness tests (tests/term/harness.sh): it writes a
; line to COM1 and another to the screen, then stops with cli; hlt.
        org 0x7C00
        bits 16
start:  cli
        xor ax, ax
        mov ds, ax
        mov si, serial_msg
.next:  lodsb
        test al, al
        jz .screen
        mov ah, al
        mov dx, 0x3FD
.wait:  in al, dx                 ; THR empty?
        test al, 0x20
        jz .wait
        mov al, ah
        mov dx, 0x3F8
        out dx, al
        jmp .next
.screen:
        mov si, screen_msg
.tty:   lodsb
        test al, al
        jz .halt
        mov ah, 0x0E              ; teletype output
        mov bx, 0x0007
        int 0x10
        jmp .tty
.halt:  cli
        hlt
        jmp .halt

serial_msg  db "KAIRO-BOOT-HELLO", 13, 10, "second line BOOM here", 13, 10, 0
screen_msg  db "SCREEN-MARK-7", 0
        times 510 - ($ - $$) db 0
        dw 0xAA55
