; SPDX-License-Identifier: MIT
; PS/2 mouse reporter for gui.mouse_sdl, booted from a floppy by SeaBIOS
; (which leaves a VGA text screen, so the window has a picture). Sets the
; mouse up through the 8042's aux port, without interrupts from either
; port (nothing else reads port 0x60): aux port on (A8), reset (FF: FA AA
; 00), the IntelliMouse knock (sample rates 200, 100, 80), its ID (F2),
; reporting on (F4); then writes to the debug console, port 0xE9:
;   "ready id=03\n"                     set up (the ID the mouse gave)
;   "pkt 08 05 fb 00\n"                 each packet, 4 bytes (3 if id < 3)
;   "sync xx\n"                         an aux byte dropped: bit 3 clear where
;                                       a packet's first byte was due
;   "error cmd xx got yy\n"             a command not acknowledged (yy = --
;                                       for no reply), and the program stops
; Keyboard bytes (Ctrl and Alt of the window's hot keys) are read and
; dropped. The main loop sleeps in HLT and is woken by the timer, set to
; 1 kHz, and drains the 8042 each time.
;   nasm -f bin -o mouse_test.img mouse_test.asm
        bits 16
        org 0x7C00

ST_OBF  equ 0x01                ; port 0x64: output buffer full
ST_IBF  equ 0x02                ;            input buffer full
ST_AUX  equ 0x20                ;            the byte is from the mouse
ACK     equ 0xFA

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        cld
        ; PIT channel 0 at 1193182 / 1193 = 1 kHz: the loop's wake-up.
        mov al, 0x34
        out 0x43, al
        mov ax, 1193
        out 0x40, al
        mov al, ah
        out 0x40, al

        call flush
        ; Command byte: no IRQ 1 or 12 (bits 0, 1), aux clock on (bit 5).
        mov al, 0x20
        call kbc_cmd
        call read_byte
        jc fatal_cb
        and al, ~0x23
        mov bl, al
        mov al, 0x60
        call kbc_cmd
        mov al, bl
        call kbc_data
        mov al, 0xA8                    ; aux port on
        call kbc_cmd
        call flush

        mov al, 0xFF                    ; reset: FA, AA, ID 00
        call mouse_cmd
        call read_byte
        call read_byte
        mov si, setup_cmds
.setup: lodsb
        test al, al
        jz .id
        call mouse_cmd
        jmp .setup
.id:    mov al, 0xF2
        call mouse_cmd
        call read_byte
        mov [id], al
        cmp al, 3
        jb .plen
        mov byte [plen], 4
.plen:  mov al, 0xF4                    ; reporting on
        call mouse_cmd
        mov si, s_ready
        call puts
        mov al, [id]
        call puthex
        mov al, 10
        out 0xE9, al
        sti

; Drain the 8042 after each timer tick.
idle:   hlt
.next:  in al, 0x64
        test al, ST_OBF
        jz idle
        mov ah, al
        in al, 0x60
        test ah, ST_AUX
        jz .next                        ; a keyboard byte: dropped
        mov bl, [got]
        xor bh, bh
        test bx, bx
        jnz .store
        test al, 0x08                   ; a packet's first byte has bit 3 set
        jnz .store
        mov si, s_sync
        call puts
        call puthex
        mov al, 10
        out 0xE9, al
        jmp .next
.store: mov [pkt + bx], al
        inc bl
        mov [got], bl
        cmp bl, [plen]
        jb .next
        mov byte [got], 0
        mov si, s_pkt
        call puts
        xor bx, bx
.byte:  mov al, ' '
        out 0xE9, al
        mov al, [pkt + bx]
        call puthex
        inc bx
        cmp bl, [plen]
        jb .byte
        mov al, 10
        out 0xE9, al
        jmp .next

; AL to the mouse (D4); its ACK is awaited, anything else is fatal.
mouse_cmd:
        mov [last_cmd], al
        push ax
        mov al, 0xD4
        call kbc_cmd
        pop ax
        call kbc_data
        call read_byte
        jc fatal
        cmp al, ACK
        jne fatal
        ret
fatal_cb:
        mov byte [last_cmd], 0x20
fatal:  mov [reply], al
        mov bl, 0
        adc bl, 0                       ; BL = CF: no reply at all
        mov si, s_error
        call puts
        mov al, [last_cmd]
        call puthex
        mov si, s_got
        call puts
        mov si, s_none
        test bl, bl
        jnz .none
        mov al, [reply]
        call puthex
        jmp .nl
.none:  call puts
.nl:    mov al, 10
        out 0xE9, al
.stop:  cli
        hlt
        jmp .stop

; Controller command / data byte in AL, once the input buffer is free.
kbc_cmd:
        call wait_ibf
        out 0x64, al
        ret
kbc_data:
        call wait_ibf
        out 0x60, al
        ret
wait_ibf:
        push ax
.wait:  in al, 0x64
        test al, ST_IBF
        jnz .wait
        pop ax
        ret

; Next byte from port 0x60 in AL; CF set if none came.
read_byte:
        push cx
        push dx
        mov dx, 64
.outer: xor cx, cx
.poll:  in al, 0x64
        test al, ST_OBF
        jnz .got
        loop .poll
        dec dx
        jnz .outer
        stc
        jmp .done
.got:   in al, 0x60
        clc
.done:  pop dx
        pop cx
        ret

; Drop whatever the controller holds.
flush:  in al, 0x64
        test al, ST_OBF
        jz .done
        in al, 0x60
        jmp flush
.done:  ret

puts:   lodsb
        test al, al
        jz .done
        out 0xE9, al
        jmp puts
.done:  ret

; AL as two lower-case hex digits.
puthex: push ax
        shr al, 4
        call .digit
        pop ax
        push ax
        and al, 0x0F
        call .digit
        pop ax
        ret
.digit: add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'a' - '9' - 1
.out:   out 0xE9, al
        ret

setup_cmds:     db 0xF3, 200, 0xF3, 100, 0xF3, 80, 0   ; the wheel's knock
s_ready:        db "ready id=", 0
s_pkt:          db "pkt", 0
s_sync:         db "sync ", 0
s_error:        db "error cmd ", 0
s_got:          db " got ", 0
s_none:         db "--", 0
plen:           db 3
got:            db 0
id:             db 0
last_cmd:       db 0
reply:          db 0
pkt:            times 4 db 0

        times 510 - ($ - $$) db 0
        dw 0xAA55
        times 1474560 - ($ - $$) db 0
