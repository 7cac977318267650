/* SPDX-License-Identifier: MIT */
/* The opcode map in one place (cpu/opcode_table.c): for every opcode of the
 * one-byte, 0F, 0F 38 and 0F 3A maps and every mandatory prefix, the
 * family that gives it a meaning, its picker, its mnemonic and the
 * instruction-set extension a CPU model needs for it.
 *
 * The decoder fills its dispatch arrays from it (decode_init), the -cpu
 * models' #UD decision reads its isa column, and docs/OPCODES.md is
 * generated from it (cpu/gen/gen_opcodes.c). */
#ifndef KAIRO_OPCODE_TABLE_H
#define KAIRO_OPCODE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/insn.h"

/* OpcodeRow.prefix besides PFX_NONE..PFX_F2: the opcode's meaning whatever
 * prefixes precede it (66 and F2/F3 then change operand size or repeat,
 * or are ignored). An opcode may have rows for PFX_ANY and for some
 * mandatory prefixes (SSE forms of MMX opcodes, F3 90 PAUSE): a prefixed
 * row the model lacks falls back to the PFX_ANY row (the prefix ignored,
 * as a Pentium II ignores it), except the PFX_NONE row, which is #UD. */
#define PFX_ANY 4u

/* The instruction families: the file that holds each one's pickers and
 * handlers (cpu/pickers.h declares the pickers). */
typedef enum {
    FAM_ALU, FAM_SHIFT, FAM_MULDIV, FAM_BCD, FAM_BIT, FAM_MOV, FAM_STACK, FAM_BRANCH,
    FAM_STRING, FAM_FLAGCTL, FAM_SYSTEM, FAM_X87, FAM_MMX, FAM_SSE_FP, FAM_SSE_MOVE,
    FAM_SSE_INT, FAM_SSE_CTL, FAM_AMD, FAM_SVM, FAM_COUNT
} OpcodeFamily;

typedef struct {
    const char *name;
    const char *file;
} OpcodeFamilyInfo;

extern const OpcodeFamilyInfo opcode_families[FAM_COUNT];

typedef struct {
    uint16_t opcode;        /* 0x000-0x3FF: see OP_0F, OP_0F38, OP_0F3A (insn.h) */
    uint8_t prefix;         /* PFX_ANY or the mandatory prefix PFX_NONE..PFX_F2 */
    uint8_t family;         /* OpcodeFamily */
    uint32_t isa;           /* ISA_* the model needs (cpu.h); 0: every model */
    InsnPicker pick;        /* never NULL; it may still refuse a form (returns NULL: #UD) */
    const char *mnemonic;   /* SDM opcode-map operand notation where it helps */
} OpcodeRow;

/* Sorted by opcode, then prefix (PFX_ANY first). */
extern const OpcodeRow opcode_table[];
extern const size_t opcode_table_len;

/* Group members (a ModRM.reg range, register or memory form) that need an
 * extension beyond their opcode's row: FCMOVcc and FCOMI of the P6 in the
 * x87 escapes, the SSE members of group 15, MONITOR/MWAIT and the SVM
 * instructions in group 7. The decoder checks them with the row's isa,
 * whatever the prefix, so the pickers need not. */
enum { FORM_ANY, FORM_REG, FORM_MEM };

typedef struct {
    uint16_t opcode;
    uint8_t reg_first, reg_last;    /* ModRM.reg */
    uint8_t form;                   /* FORM_*: mod == 3, mod != 3 or either */
    uint32_t isa;
    const char *mnemonic;
} OpcodeMember;

extern const OpcodeMember opcode_members[];
extern const size_t opcode_members_len;

/* The opcodes without a row that are not prefixes or escapes: reserved,
 * #UD on every model. The 0F 38 and 0F 3A maps are all reserved and are
 * not listed. */
extern const uint16_t opcode_reserved[];
extern const size_t opcode_reserved_len;

/* The consistency checks decode_init and the unit tests run: every row's
 * opcode, prefix, family, picker and mnemonic valid; no (opcode, prefix)
 * with two rows; rows sorted; the opcodes without a row exactly the
 * prefixes, escapes and opcode_reserved. Returns the number of problems
 * and writes the first one as a sentence into msg. */
unsigned opcode_table_check(char *msg, size_t msg_len);
/* The same checks on any rows and reserved list (the unit tests feed it
 * broken ones). */
unsigned opcode_rows_check(const OpcodeRow *rows, size_t n, const uint16_t *reserved,
                           size_t n_reserved, char *msg, size_t msg_len);

/* 0x26, 0x2E, 0x36, 0x3E, 0x64-0x67, 0xF0, 0xF2, 0xF3; 0x0F, 0F 38, 0F 3A. */
bool opcode_is_prefix_or_escape(unsigned op);

#endif
