/* SPDX-License-Identifier: MIT */
/* Shared between the generator/checker (cpudiff.c, runs Kairo) and the
 * native executor (native.c, built -m32, runs the same code on the host).
 * Each case is one instruction with random operands, framed by code that
 * loads and stores every register and EFLAGS. */
#ifndef KAIRO_CPUDIFF_H
#define KAIRO_CPUDIFF_H

#include <stdint.h>

#define CD_DATA_ADDR 0x00200000u   /* 512 bytes of operand memory */
#define CD_DATA_SIZE 512u
#define CD_SAVE_ADDR 0x00201000u   /* eax ecx edx ebx (esp) ebp esi edi eflags */
#define CD_CODE_ADDR 0x00300000u
#define CD_CODE_MAX 192u

typedef struct CdCase {
    uint8_t code[CD_CODE_MAX];      /* complete routine; ends in RET (native) */
    uint32_t code_len;
    uint32_t hlt_at;                /* offset of the RET, replaced by HLT for Kairo */
    uint8_t data[CD_DATA_SIZE];
    uint32_t form;                  /* index into the form table */
} CdCase;

typedef struct CdResult {
    uint32_t regs[8];               /* esp slot unused */
    uint32_t eflags;
    uint8_t data[CD_DATA_SIZE];
    uint32_t faulted;               /* signal number, 0 = ran */
} CdResult;

#endif
