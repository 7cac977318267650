; SPDX-License-Identifier: MIT
; HOSTCP.COM: copies a file from a kairo -vmport share into DOS, with no OS
; support but INT 21h file calls. Real mode, 386+ (32-bit registers).
;   HOSTCP share/path/file.txt C:\FILE.TXT     copy host -> DOS
;   HOSTCP /X                                  end the run (isa-debug-exit)
; It speaks VMware's backdoor (-device vmport, docs/VMPORT.md): port 0x5658
; for calls, 0x5659 with REP OUTSB/INSB for message payloads, an RPCI
; channel carrying HGFS packets ("f " + old header + V3 operation).
; Build: nasm -f bin -o hostcp.com hostcp.asm
        bits 16
        org 0x100

MAGIC   equ 0x564D5868
PORT    equ 0x5658
HBPORT  equ 0x5659
CHUNK   equ 4096

start:
        cld
        mov si, 0x81                    ; the command tail
        call skip_spaces
        cmp word [si], '/X'
        je exit_run
        mov [host_path], si
        call skip_word
        jc usage
        mov byte [si], 0
        inc si
        call skip_spaces
        mov [dos_name], si
        call skip_word                  ; end it with a NUL (CR or space)
        mov byte [si], 0
        cmp si, [dos_name]
        je usage

        call channel_open
        jc no_host

        ; HGFS open (op 24): mask = mode|flags valid, read-only, must exist.
        mov di, req + 10
        mov cx, 64 + 16
        xor al, al
        rep stosb
        mov byte [req + 10], 3
        mov dword [req + 10 + 64 + 12], 0xFFFFFFFF     ; no file handle
        mov si, [host_path]
        mov di, req + 10 + 80
        xor cx, cx
.name:  lodsb                           ; '/' separates components: NUL in HGFS
        cmp al, '/'
        jne .keep
        xor al, al
.keep:  stosb
        inc cx
        cmp byte [si - 1], 0
        jne .name
        dec cx
        mov [req + 10 + 64], cx         ; name length, without the last NUL
        mov dword [req + 6], 24
        add cx, 10 + 80 + 1
        call hgfs_call
        jc host_error
        mov eax, [reply + 10]
        mov [hfile], eax

        mov ah, 0x3C                    ; create the DOS file
        xor cx, cx
        mov dx, [dos_name]
        int 0x21
        jc dos_error
        mov [dfile], ax

.read:  mov dword [req + 6], 25         ; HGFS read (op 25): handle, offset, size
        mov eax, [hfile]
        mov [req + 10], eax
        mov eax, [offset]
        mov [req + 14], eax
        mov dword [req + 18], 0
        mov dword [req + 22], CHUNK
        mov dword [req + 26], 0
        mov dword [req + 30], 0
        mov cx, 10 + 24
        call hgfs_call
        jc host_error
        movzx ecx, word [reply + 10]      ; actual size (at most CHUNK)
        jcxz .done
        add [offset], ecx
        mov ah, 0x40
        mov bx, [dfile]
        mov dx, reply + 22
        int 0x21
        jc dos_error
        jmp .read

.done:  mov ah, 0x3E
        mov bx, [dfile]
        int 0x21
        mov dword [req + 6], 27         ; HGFS close (op 27)
        mov eax, [hfile]
        mov [req + 10], eax
        mov cx, 10 + 12
        call hgfs_call
        call channel_close
        mov dx, msg_done
        mov ah, 9
        int 0x21
        mov ax, 0x4C00
        int 0x21

exit_run:
        xor al, al                      ; isa-debug-exit at 0x501: status 1
        mov dx, 0x501
        out dx, al
        mov ax, 0x4C00
        int 0x21

usage:  mov dx, msg_usage
        jmp fail
no_host:
        mov dx, msg_nohost
        jmp fail
host_error:
        mov dx, msg_host
        jmp fail
dos_error:
        mov dx, msg_dos
fail:   mov ah, 9
        int 0x21
        mov ax, 0x4C01
        int 0x21

skip_spaces:
        cmp byte [si], ' '
        jne .ret
        inc si
        jmp skip_spaces
.ret:   ret

; Advance SI to the first space or CR; CF if the line ended there.
skip_word:
        cmp byte [si], ' '
        je .space
        cmp byte [si], 13
        je .end
        cmp byte [si], 0
        je .end
        inc si
        jmp skip_word
.space: clc
        ret
.end:   stc
        ret

; ---- the backdoor ----

; A message call: type in BX's caller-set AX (high half of ECX), argument
; EBX. Returns the status (ECX >> 16) in AX, EBX, EDX as the host set them.
msg_call:
        shl ecx, 16
        mov cx, 30                      ; MESSAGE
        mov eax, MAGIC
        mov edx, [chan]
        shl edx, 16
        mov dx, PORT
        mov esi, [cookie_hi]
        mov edi, [cookie_lo]
        in eax, dx
        shr ecx, 16
        mov ax, cx
        ret

channel_open:
        mov eax, MAGIC
        mov ebx, 0x49435052 | 0x80000000        ; RPCI, with cookies
        mov ecx, 30
        mov edx, PORT
        in eax, dx
        test ecx, 0x10000
        jz .fail
        shr edx, 16
        mov [chan], edx
        mov [cookie_hi], esi
        mov [cookie_lo], edi
        clc
        ret
.fail:  stc
        ret

channel_close:
        mov ecx, 6
        xor ebx, ebx
        jmp msg_call

; Send "f " + the request (CX bytes at req), receive the reply into reply;
; CF on a transport failure or a nonzero HGFS status.
hgfs_call:
        mov word [req], 'f '
        mov dword [req + 2], 1          ; request id
        movzx ebx, cx
        mov [req_len], cx
        mov ecx, 1                      ; SENDSIZE
        call msg_call
        test al, 1
        jz .fail
        mov eax, MAGIC                  ; REP OUTSB on the high-bandwidth port
        mov ebx, 0x10000
        mov edx, [chan]
        shl edx, 16
        mov dx, HBPORT
        mov si, req
        mov cx, [req_len]
        rep outsb
        test ebx, 0x10000
        jz .fail
        mov ecx, 3                      ; RECVSIZE
        call msg_call
        test al, 2
        jz .fail
        cmp ebx, CHUNK + 64
        ja .fail
        mov [rep_len], bx
        mov eax, MAGIC                  ; REP INSB
        mov ebx, 0x10000
        mov edx, [chan]
        shl edx, 16
        mov dx, HBPORT
        push ds
        pop es
        mov di, reply
        mov cx, [rep_len]
        rep insb
        test ebx, 0x10000
        jz .fail
        mov ecx, 5                      ; RECVSTATUS: received
        mov ebx, 1
        call msg_call
        cmp word [reply], '1 '
        jne .fail
        cmp dword [reply + 6], 0          ; HGFS status
        jne .fail
        clc
        ret
.fail:  stc
        ret

msg_usage:  db 'usage: HOSTCP share/path DOSFILE | HOSTCP /X', 13, 10, '$'
msg_nohost: db 'HOSTCP: no host calls here (kairo -device vmport)', 13, 10, '$'
msg_host:   db 'HOSTCP: the host refused (share or file?)', 13, 10, '$'
msg_dos:    db 'HOSTCP: DOS file error', 13, 10, '$'
msg_done:   db 'HOSTCP: copied', 13, 10, '$'

        align 4
chan:       dd 0
cookie_hi:  dd 0
cookie_lo:  dd 0
hfile:      dd 0
offset:     dd 0
dfile:      dw 0
req_len:    dw 0
rep_len:    dw 0
host_path:  dw 0
dos_name:   dw 0
req:        times 10 + 80 + 130 db 0
reply:      times CHUNK + 64 db 0
