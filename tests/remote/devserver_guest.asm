; SPDX-License-Identifier: MIT
; A guest for the device-server test (devserver.sh), booted from a floppy
; by SeaBIOS with a remote VGA and a remote 8042. Assembled once per guest
; with -DCOLOUR=attribute (its whole text screen in that colour, so that a
; screendump tells the guests apart) and -DNAME=its letter's ASCII code.
;   row 0: "GUEST x"; row 1: a tick counter (8 hex digits), advanced on
;   every timer interrupt; row 3: every key typed, echoed.
; Each key also goes to COM1 as "x:KEY:COUNTER\r\n": the test reads which
; guest got which key, and that the counter went on while out of focus.
; At the start "x:R:G\r\n" carries a byte read back from the screen.
        bits 16
        org 0x7C00

start:
        cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        mov ax, 0x0003              ; 80x25 text
        int 0x10
        mov ah, 1                   ; no cursor: a blink would differ between dumps
        mov cx, 0x2000
        int 0x10
        mov ax, 0xB800
        mov es, ax
        xor di, di                  ; the whole screen: blanks in our colour
        mov ax, (COLOUR << 8) | ' '
        mov cx, 80 * 25
        rep stosw
        xor di, di
        mov si, banner
        mov ah, COLOUR
.name:  lodsb
        test al, al
        jz .readback
        stosw
        jmp .name
.readback:
        mov al, NAME                ; "x:R:G\r\n": the banner's first letter read back
        call com1                   ; from the (remote) VGA memory, a MMIO load
        mov al, ':'
        call com1
        mov al, 'R'
        call com1
        mov al, ':'
        call com1
        mov al, [es:0]
        call com1
        mov al, 13
        call com1
        mov al, 10
        call com1
.main:
        hlt                         ; wakes on the timer (18.2 Hz) or a key
        inc dword [ticks]
        mov di, 160                 ; row 1
        mov eax, [ticks]
        call hex_screen
        mov ah, 1                   ; a key waiting?
        int 0x16
        jz .main
        xor ah, ah
        int 0x16
        mov di, [echo_at]           ; row 3 onwards
        mov ah, COLOUR
        stosw
        mov [echo_at], di
        push ax
        mov al, NAME
        call com1
        mov al, ':'
        call com1
        pop ax
        cmp al, 13
        jne .key
        mov al, 'N'                 ; Enter, printably
.key:   call com1
        mov al, ':'
        call com1
        mov eax, [ticks]
        call hex_com1
        mov al, 13
        call com1
        mov al, 10
        call com1
        jmp .main

; eax as 8 hex digits at es:di in our colour
hex_screen:
        mov cx, 8
.d:     rol eax, 4
        push eax
        call digit
        mov ah, COLOUR
        stosw
        pop eax
        loop .d
        ret

hex_com1:
        mov cx, 8
.d:     rol eax, 4
        push eax
        call digit
        call com1
        pop eax
        loop .d
        ret

digit:                              ; al low nibble -> ASCII in al
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .ok
        add al, 7
.ok:    ret

com1:                               ; al to COM1 when the transmitter is empty
        push dx
        push ax
        mov dx, 0x3FD
.w:     in al, dx
        test al, 0x20
        jz .w
        pop ax
        mov dx, 0x3F8
        out dx, al
        pop dx
        ret

banner: db 'GUEST ', NAME, 0
ticks:  dd 0
echo_at: dw 480                     ; row 3

        times 510 - ($ - $$) db 0
        dw 0xAA55
        times 1474560 - ($ - $$) db 0       ; a whole 1.44 MB floppy
