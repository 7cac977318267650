; SPDX-License-Identifier: MIT
; A guest for devserver_partmux.sh, booted from a floppy by SeaBIOS with a
; remote secondary IDE channel (one partition of a shared image, served by
; kairo-portd as this VM's whole disk) and a remote muxed COM1. Assembled
; once per guest with -DNAME=its letter's ASCII code and -DPARTSIZE=the
; partition's sectors. On COM1, one line each:
;   x:UP                   started
;   x:IN:<8 bytes>         its LBA 5, read (inside its partition)
;   x:W:<status>           its LBA 7 written with "WROTE-x" (inside)
;   x:OUT:<status>:<error> its LBA PARTSIZE+5 read (outside: the server
;                          must refuse it, ERR with IDNF = 10)
;   x:WOUT:<status>:<error> its LBA PARTSIZE+6 written (outside, refused)
;   x:S:<byte>             every byte later received on COM1, echoed
        bits 16
        org 0x7C00

%define ATA 0x170               ; the secondary channel's command block
%define BUF 0x8000

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        mov si, s_up
        call line
        ; inside: read LBA 5, show its first 8 bytes
        mov eax, 5
        mov bl, 0x20                ; READ SECTORS
        call ata_command
        jc .in_err
        call read_sector
        mov si, s_in
        call text
        mov si, BUF
        mov cx, 8
.copy:  lodsb
        call com1
        loop .copy
        call crlf
        jmp .write_in
.in_err:
        mov si, s_in
        call report_error
.write_in:
        mov eax, 7
        mov bl, 0x30                ; WRITE SECTORS
        call ata_command
        jc .w_err
        call write_sector
        mov si, s_w
        call text
        call wait_ready
        call hex_com1
        call crlf
        jmp .out
.w_err: mov si, s_w
        call report_error
.out:   ; outside: the next partition's LBA 5 if the server let us through
        mov eax, PARTSIZE + 5
        mov bl, 0x20
        call ata_command
        jc .out_err
        call read_sector            ; not refused: show what was read
        mov si, s_out
        call text
        mov si, BUF
        mov cx, 8
.leak:  lodsb
        call com1
        loop .leak
        call crlf
        jmp .wout
.out_err:
        mov si, s_out
        call report_error
.wout:  mov eax, PARTSIZE + 6
        mov bl, 0x30
        call ata_command
        jc .wout_err
        call write_sector           ; not refused: it overwrote a neighbour's sector
        mov si, s_wout
        call text
        call wait_ready
        call hex_com1
        call crlf
        jmp .echo
.wout_err:
        mov si, s_wout
        call report_error
.echo:  ; every byte received on COM1 back as "x:S:<byte>"
        hlt                         ; the timer (18.2 Hz) wakes us
        mov dx, 0x3FD
        in al, dx
        test al, 1
        jz .echo
        mov dx, 0x3F8
        in al, dx
        push ax
        mov si, s_s
        call text
        pop ax
        call com1
        call crlf
        jmp .echo

; eax = LBA (28 bits), bl = command: issued to drive 0 of the channel,
; waits for BSY to clear. CF set on ERR (status in al, error in ah).
ata_command:
        push eax
        call wait_ready
        pop eax
        mov dx, ATA + 2
        push ax
        mov al, 1
        out dx, al                  ; one sector
        pop ax
        inc dx
        out dx, al                  ; LBA 0-7
        shr eax, 8
        inc dx
        out dx, al                  ; LBA 8-15
        shr eax, 8
        inc dx
        out dx, al                  ; LBA 16-23
        shr eax, 8
        and al, 0x0F
        or al, 0xE0                 ; LBA mode, drive 0
        inc dx
        out dx, al
        mov al, bl
        inc dx
        out dx, al
        call wait_ready
        test al, 1
        jz .ok
        mov dx, ATA + 1
        mov bl, al
        in al, dx
        mov ah, al
        mov al, bl
        stc
        ret
.ok:    clc
        ret

wait_ready:                         ; al = status once BSY is clear
        mov dx, ATA + 7
.w:     in al, dx
        test al, 0x80
        jnz .w
        ret

read_sector:
        mov dx, ATA
        mov di, BUF
        mov cx, 256
        rep insw
        ret

write_sector:                       ; "WROTE-x" and blanks
        mov di, BUF
        mov cx, 256
        mov ax, 0x2020
        rep stosw
        mov si, s_wrote
        mov di, BUF
        mov cx, 8
        rep movsb
        mov dx, ATA
        mov si, BUF
        mov cx, 256
        rep outsw
        ret

; si = the line's tag; al = status, ah = error: "x:TAG:ss:ee"
report_error:
        push ax
        call text
        pop ax
        push ax
        call hex_com1
        mov al, ':'
        call com1
        pop ax
        mov al, ah
        call hex_com1
        jmp crlf

line:   call text                   ; "x:" + the string at si + CRLF
        jmp crlf

text:   mov al, NAME                ; "x:" + the string at si
        call com1
        mov al, ':'
        call com1
.c:     lodsb
        test al, al
        jz .done
        call com1
        jmp .c
.done:  ret

crlf:   mov al, 13
        call com1
        mov al, 10
        jmp com1

hex_com1:                           ; al as two hex digits
        push ax
        shr al, 4
        call .digit
        pop ax
.digit: and al, 15
        add al, '0'
        cmp al, '9'
        jbe com1
        add al, 7
        ; falls through to com1

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

s_up:   db 'UP', 0
s_in:   db 'IN:', 0
s_w:    db 'W:', 0
s_out:  db 'OUT:', 0
s_wout: db 'WOUT:', 0
s_s:    db 'S:', 0
s_wrote: db 'WROTE-', NAME, ' '

        times 510 - ($ - $$) db 0
        dw 0xAA55
        times 1474560 - ($ - $$) db 0       ; a whole 1.44 MB floppy
