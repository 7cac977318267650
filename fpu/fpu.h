/* SPDX-License-Identifier: MIT */
/* The x87 FPU state and its interface to the CPU (fpu/fpu.c). */
#ifndef KAIRO_FPU_H
#define KAIRO_FPU_H

#include "cpu/cpu.h"
#include "fpu/sf80.h"

/* Status word bits */
#define FSW_IE 0x0001
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_C3 0x4000
#define FSW_B  0x8000
#define FSW_TOP_SHIFT 11

/* Tag values (2 bits per physical register) */
enum { TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY };

/* An SSE register: 128 bits, viewed by lane width (little-endian host). */
typedef union Xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
} Xmm;

typedef struct FpuState {
    F80 regs[8];            /* physical registers R0-R7 */
    uint16_t cw, sw, tw;
    uint16_t fop;           /* last opcode (11 bits) */
    uint32_t fip, fdp;      /* last instruction and operand offsets */
    uint16_t fcs, fds;
    bool ferr;              /* FERR# asserted (CR0.NE = 0 error reporting) */
    /* SSE state (FXSAVE's XMM area and MXCSR): on every model, but only
     * the SSE models' instructions reach it. */
    Xmm xmm[8];
    uint32_t mxcsr;
} FpuState;

FpuState *fpu_new(void);
/* Power-on state: CW 0x0040, all registers +0 and valid (the P6 RESET
 * state); FNINIT gives CW 0x037F and all empty. */
void fpu_reset(FpuState *f);
void fpu_init(FpuState *f);   /* FNINIT */
/* The MXCSR bits LDMXCSR and FXRSTOR accept on this CPU (cpu/ops_sse.c). */
uint32_t sse_mxcsr_mask(const Cpu *cpu);

#endif
