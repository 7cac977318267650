/* SPDX-License-Identifier: MIT */
/* Decoded instructions and how handlers are chosen.
 *
 * The decoder (cpu/decode.c) turns guest bytes into Insn records once; the
 * execution loop then calls in->fn for each. The decoder knows the *shape*
 * of every opcode (ModRM, immediates, prefixes); the instruction families
 * (cpu/ops_*.c) know the *meaning*: for each opcode the opcode table
 * (cpu/opcode_table.c) names a picker of theirs that, given the decoded
 * shape, returns the handler to store in the Insn.
 *
 * Handler contract:
 *  - On entry cpu->eip is the address of this instruction.
 *  - A straight-line handler does its work, then `cpu->eip += in->len;
 *    return in + 1;` (use insn_next()).
 *  - A handler that transfers control sets cpu->eip and returns NULL, which
 *    makes the loop look up the next block. So does any handler that
 *    changes state the decoder or the block cache depends on (CS size, CR0,
 *    paging, TF, IF when interrupts may be pending...).
 *  - Faults: call cpu_fault() before committing anything that a restart
 *    would redo differently. Memory may be written before the fault as long as
 *    restarting the instruction writes it again.
 */
#ifndef KAIRO_INSN_H
#define KAIRO_INSN_H

#include <stdint.h>

#include "cpu/cpu.h"

typedef struct Insn Insn;
typedef const Insn *(*InsnFn)(Cpu *cpu, const Insn *in);

/* Insn.flags */
#define INSN_OP32   0x01u   /* operand size 32 */
#define INSN_ADDR32 0x02u   /* address size 32 */
#define INSN_MEM    0x04u   /* ModRM names memory (mod != 3) */
#define INSN_REP    0x08u   /* F3 prefix (REP / REPE) */
#define INSN_REPNE  0x10u   /* F2 prefix */
#define INSN_LOCK   0x20u
#define INSN_SEGOVR 0x40u   /* a segment override prefix was present */
#define INSN_FUSED  0x80u   /* fn runs this instruction and the Jcc after it (cpu/ops_fused.c) */

struct Insn {
    InsnFn fn;
    uint32_t disp;      /* ModRM displacement, moffs offset, or branch rel (sign-extended) */
    uint32_t imm;       /* immediate, sign- or zero-extended as the opcode defines;
                           far pointer offset for JMP/CALL ptr16:v */
    uint16_t imm2;      /* ENTER nesting level (ib), far pointer selector */
    uint16_t eip_off;   /* offset of this instruction from the block's start EIP */
    uint16_t opcode;    /* OP_* map: one-byte, 0F, 0F 38, 0F 3A (see below) */
    uint8_t len;        /* instruction length in bytes, prefixes included */
    uint8_t flags;      /* INSN_* */
    uint8_t reg;        /* ModRM.reg, or the register encoded in the opcode */
    uint8_t rm;         /* ModRM.rm (register operand when !INSN_MEM) */
    uint8_t base;       /* EA base register or REG_NONE */
    uint8_t index;      /* EA index register or REG_NONE */
    uint8_t scale;      /* EA index shift 0..3 */
    uint8_t seg;        /* segment for the memory operand (SEG_*), after overrides */
    uint8_t mprefix;    /* PFX_*: the mandatory prefix SSE opcodes select by */
    uint8_t link;       /* the block's link slot it leaves through, and the count
                           after it (icache.h, insn_link_slot) */
};

/* The opcode space: one-byte opcodes 0x000-0x0FF, 0F xx at 0x100-0x1FF,
 * 0F 38 xx at 0x200-0x2FF and 0F 3A xx at 0x300-0x3FF (SSSE3 and SSE4 go
 * there; the 3A map always has an imm8). */
#define OP_0F 0x100u
#define OP_0F38 0x200u
#define OP_0F3A 0x300u
#define OPCODE_SPACE 0x400u

/* The mandatory prefix of an SSE opcode: F2 or F3 (the last of the two)
 * wins over 66; 66 alone is PFX_66. */
enum { PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

/* What a picker sees: the decoded shape, before a handler is chosen. */
typedef struct DecodeCtx {
    uint16_t opcode;    /* 0x000-0x3FF */
    uint8_t mprefix;    /* PFX_* */
    uint32_t isa;       /* the CPU model's ISA_* */
    uint8_t reg, rm;
    bool mem;
    bool op32, addr32;
    bool rep, repne, lock;
} DecodeCtx;

/* Returns the handler, or NULL for "invalid": the decoder then stores a
 * handler that raises #UD. */
typedef InsnFn (*InsnPicker)(const DecodeCtx *d);

/* The picker of each opcode, filled from the opcode table
 * (cpu/opcode_table.c) by decode_init. */
extern InsnPicker insn_pickers[OPCODE_SPACE];

/* Group 5 (FF) is shared: ops_alu.c picks INC/DEC (/0 /1) and hands
 * /2../6 (CALL, CALL far, JMP, JMP far, PUSH) to the branch family. */
InsnFn ops_branch_pick_ff(const DecodeCtx *d);
/* Group 3 (F6/F7): ops_alu.c picks TEST/NOT/NEG and hands /4../7 here. */
InsnFn ops_muldiv_pick_grp3(const DecodeCtx *d);

/* FF /6 PUSH r/m lives with the stack family (cpu/ops_stack.c): its picker
 * chooses the register or memory form of the operand size. */
InsnFn ops_stack_pick_push_rm(const DecodeCtx *d);

/* The decoder's last word on a picked handler (cpu/ops_fast.c): a faster
 * one of the same meaning for the decoded addressing form, or fn itself. */
InsnFn insn_specialise(InsnFn fn, const Insn *in);

/* Superinstructions (cpu/ops_fused.c): make in[0] and the Jcc in[1] of a
 * decoded block one handler when they fuse (in[0] then has INSN_FUSED);
 * insn_unfused gives the handler of in[0] alone, for running it alone. */
void insn_fuse(Insn *in);
InsnFn insn_unfused(const Insn *in);

/* Effective address of the memory operand (offset within in->seg). */
static inline uint32_t insn_ea(const Cpu *cpu, const Insn *in)
{
    uint32_t a = in->disp + cpu->gpr[in->base] + (cpu->gpr[in->index] << in->scale);
    return (in->flags & INSN_ADDR32) ? a : (a & 0xFFFFu);
}

/* The straight-line epilogue: step EIP and go straight on to the next
 * handler of the block. Compiled as a tail call, every handler ends in its
 * own indirect jump, which the host predicts far better than the single
 * dispatch site of a loop; a block has at most 65 entries, so even without
 * tail calls (debug builds) the stack stays shallow. */
static inline const Insn *insn_next(Cpu *cpu, const Insn *in)
{
    cpu->eip += in->len;
    return in[1].fn(cpu, in + 1);
}

/* EIP of the following instruction (for CALL, relative jumps, traps). */
static inline uint32_t insn_next_eip(const Cpu *cpu, const Insn *in)
{
    return cpu->eip + in->len;
}

/* A handler that raises #UD: the decoder stores it for invalid encodings. */
const Insn *insn_undefined(Cpu *cpu, const Insn *in);
/* PAUSE (F3 90): a NOP that may end a spinning CPU's slice (cpu/cpu_apic.c). */
const Insn *insn_pause(Cpu *cpu, const Insn *in);

#endif
