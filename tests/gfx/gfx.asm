; SPDX-License-Identifier: MIT
; Graphics-mode test pattern, booted from a floppy by SeaBIOS. Assembled
; once per mode (-DMODE=0x12, 0x13 or 0x118 for VBE 1024x768x32); draws a
; pattern gfx_check.c can compute for every pixel, then ends the run through
; the isa-debug-exit port (status 33), and kairo's -screendump writes the PNG.
;   mode 13h:  DAC[i] = (i & 63, (i >> 2) & 63, 63 - (i & 63)); pixel = (x ^ y) & 255
;   mode 12h:  attribute palette identity, DAC[c] = (c*4, 63 - c*4, c*2 + 16);
;              pixel = ((x >> 3) + y) & 15
;   VBE 32bpp: pixel = (x & 255) << 16 | (y & 255) << 8 | ((x ^ y) & 255)
        bits 16
        org 0x7C00

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
%if MODE == 0x13
        mov ax, 0x0013
        int 0x10
        ; DAC
        mov dx, 0x3C8
        xor al, al
        out dx, al
        inc dx
        xor cx, cx
.dac:   mov al, cl
        and al, 63
        out dx, al
        mov al, cl
        shr al, 2
        and al, 63
        out dx, al
        mov al, cl
        and al, 63
        neg al
        add al, 63
        out dx, al
        inc cx
        cmp cx, 256
        jb .dac
        ; pixels
        push word 0xA000
        pop es
        xor di, di
        xor bx, bx              ; y
.row:   xor cx, cx              ; x
.col:   mov al, cl
        xor al, bl
        stosb
        inc cx
        cmp cx, 320
        jb .col
        inc bx
        cmp bx, 200
        jb .row
%elif MODE == 0x12
        mov ax, 0x0012
        int 0x10
        ; attribute controller palette: identity (int 10h AX=1002h, ES:DX table)
        mov ax, 0x1002
        mov dx, ac_table
        int 0x10
        mov dx, 0x3C8
        xor al, al
        out dx, al
        inc dx
        xor cx, cx
.dac:   mov al, cl
        shl al, 2
        out dx, al
        mov al, 63
        sub al, cl
        sub al, cl
        sub al, cl
        sub al, cl
        out dx, al
        mov al, cl
        shl al, 1
        add al, 16
        out dx, al
        inc cx
        cmp cx, 16
        jb .dac
        push word 0xA000
        pop es
        mov ah, 1               ; plane bit
.plane: mov dx, 0x3C4
        mov al, 2               ; map mask
        out dx, al
        inc dx
        mov al, ah
        out dx, al
        xor di, di
        xor bx, bx              ; y
.row:   xor cx, cx              ; byte column
.col:   mov al, cl
        add al, bl
        and al, 15
        test al, ah
        mov al, 0
        jz .put
        mov al, 0xFF
.put:   stosb
        inc cx
        cmp cx, 80
        jb .col
        inc bx
        cmp bx, 480
        jb .row
        shl ah, 1
        cmp ah, 16
        jb .plane
%else
        ; Bochs VBE: 1024x768x32 with the linear framebuffer
        mov ax, 1
        mov bx, 1024
        call vbe_set
        mov ax, 2
        mov bx, 768
        call vbe_set
        mov ax, 3
        mov bx, 32
        call vbe_set
        mov ax, 4
        mov bx, 0x41            ; enabled, LFB
        call vbe_set
        ; the LFB address: BAR 0 of the std-vga (PCI 00:02.0)
        mov eax, 0x80001010
        mov dx, 0xCF8
        out dx, eax
        mov dx, 0xCFC
        in eax, dx
        and eax, 0xFFFFFFF0
        mov esi, eax
        ; unreal mode: FS with a 4 GiB limit
        cli
        lgdt [gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp .pm
.pm:    mov bx, 8
        mov fs, bx
        and al, 0xFE
        mov cr0, eax
        jmp .rm
.rm:    xor ax, ax
        mov fs, ax
        mov fs, ax
        sti
        ; FS still has the flat limit; base 0 (real-mode reload keeps the limit)
        mov edi, esi
        xor ebx, ebx            ; y
.row:   xor ecx, ecx            ; x
.col:   mov eax, ecx
        and eax, 255
        shl eax, 8
        mov edx, ebx
        and edx, 255
        or eax, edx
        shl eax, 8
        mov edx, ecx
        xor edx, ebx
        and edx, 255
        or eax, edx
        mov [fs:edi], eax
        add edi, 4
        inc ecx
        cmp ecx, 1024
        jb .col
        inc ebx
        cmp ebx, 768
        jb .row
%endif
        mov dx, 0x501           ; isa-debug-exit: status (0x10 << 1) | 1 = 33
        mov al, 0x10
        out dx, al
.hang:  hlt
        jmp .hang

%if MODE != 0x12 && MODE != 0x13
vbe_set:                        ; AX = index, BX = value
        mov dx, 0x1CE
        out dx, ax
        mov dx, 0x1CF
        mov ax, bx
        out dx, ax
        ret

gdt:    dq 0
        dq 0x008F92000000FFFF   ; data, base 0, limit 4 GiB (G=1), 16-bit
gdt_desc:
        dw 15
        dd gdt
%endif
%if MODE == 0x12
ac_table:
        db 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0
%endif

        times 510 - ($ - $$) db 0
        dw 0xAA55
        times 1474560 - ($ - $$) db 0
