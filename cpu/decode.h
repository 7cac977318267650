/* SPDX-License-Identifier: MIT */
/* The instruction decoder: bytes -> Insn. */
#ifndef KAIRO_DECODE_H
#define KAIRO_DECODE_H

#include "cpu/insn.h"
#include "cpu/opcode_table.h"

/* Decoder results besides a positive length. */
#define DECODE_MORE (-1)     /* needs more bytes than were available */
#define DECODE_TOO_LONG (-2) /* more than 15 bytes: #GP(0) when executed */

/* Decode attribute bits (the shape of an opcode) */
#define DA_MODRM   0x0001u
#define DA_IMM8    0x0002u   /* ib */
#define DA_IMMV    0x0004u   /* iw/id by operand size */
#define DA_IMM16   0x0008u   /* iw */
#define DA_MOFFS   0x0010u   /* offset by address size, kept in disp */
#define DA_FARPTR  0x0020u   /* offset (iw/id) then selector (iw) */
#define DA_ENTER   0x0040u   /* iw then ib */
#define DA_REL8    0x0080u   /* rel8, kept sign-extended in disp */
#define DA_RELV    0x0100u   /* rel16/32 in disp */
#define DA_END     0x0200u   /* ends a decoded block */
#define DA_LOCK    0x0400u   /* LOCK allowed with a memory operand */
#define DA_GRP3    0x0800u   /* F6/F7: immediate only for reg 0/1 */
#define DA_PREFIX  0x1000u
#define DA_SIGNX8  0x2000u   /* ib sign-extended to operand size */

extern const uint16_t decode_attrs[OPCODE_SPACE];

/* Fill the dispatch arrays (insn_pickers) from the opcode table
 * (cpu/opcode_table.c) after checking it. Idempotent. */
void decode_init(void);

/* After decode_init: the extension an opcode's PFX_ANY row needs (ISA_*;
 * 0: every model), and the row of an opcode for a prefix (PFX_NONE..PFX_F2
 * or PFX_ANY), or NULL. */
uint32_t decode_op_isa(unsigned op);
const OpcodeRow *decode_row(unsigned op, unsigned prefix);

/* Decode one instruction from bytes[0..avail). code32 = CS.D; isa: the
 * model's ISA_* (opcodes of other extensions decode as #UD).
 * Returns its length, DECODE_MORE or DECODE_TOO_LONG; on success *out is
 * complete (fn chosen) and *ends_block tells whether the block must end
 * after it. */
int decode_insn(const uint8_t *bytes, unsigned avail, bool code32, uint32_t isa, Insn *out,
                bool *ends_block);

#endif
