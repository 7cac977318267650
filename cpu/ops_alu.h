/* SPDX-License-Identifier: MIT */
/* The two-operand ALU operations, shared by ops_alu.c (pickers, INC/DEC,
 * NOT/NEG/TEST) and the generated ops_alu_arith.c / ops_alu_logic.c. */
#ifndef KAIRO_OPS_ALU_H
#define KAIRO_OPS_ALU_H

#include <stddef.h>

#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"

/* Handlers by [operation (ModRM.reg or opcode bits 3-5)][width 8, 16, 32];
 * the arith tables hold ADD ADC SBB SUB CMP, the logic tables OR AND XOR. */
extern const InsnFn alu_arith_rm_r_reg[8][3], alu_arith_rm_r_mem[8][3];
extern const InsnFn alu_arith_r_rm_reg[8][3], alu_arith_r_rm_mem[8][3];
extern const InsnFn alu_arith_acc_imm[8][3];
extern const InsnFn alu_arith_rm_imm_reg[8][3], alu_arith_rm_imm_mem[8][3];
extern const InsnFn alu_logic_rm_r_reg[8][3], alu_logic_rm_r_mem[8][3];
extern const InsnFn alu_logic_r_rm_reg[8][3], alu_logic_r_rm_mem[8][3];
extern const InsnFn alu_logic_acc_imm[8][3];
extern const InsnFn alu_logic_rm_imm_reg[8][3], alu_logic_rm_imm_mem[8][3];

#endif
