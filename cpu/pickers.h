/* SPDX-License-Identifier: MIT */
/* The pickers of every instruction family, by family file: the functions
 * the opcode table (cpu/opcode_table.c) names. A picker looks at the
 * decoded shape (insn.h DecodeCtx) and returns the handler, or NULL for
 * an encoding that is #UD. Each family file includes this header, so a
 * picker's definition and the table agree on its type. */
#ifndef KAIRO_PICKERS_H
#define KAIRO_PICKERS_H

#include "cpu/insn.h"

/* cpu/ops_alu.c */
InsnFn pick_alu(const DecodeCtx *d);
InsnFn pick_inc_dec_reg(const DecodeCtx *d);
InsnFn pick_group1(const DecodeCtx *d);
InsnFn pick_test_rm_r(const DecodeCtx *d);
InsnFn pick_test_acc_imm(const DecodeCtx *d);
InsnFn pick_group3(const DecodeCtx *d);
InsnFn pick_group4(const DecodeCtx *d);
InsnFn pick_group5(const DecodeCtx *d);

/* cpu/ops_shift.c */
InsnFn pick_group2(const DecodeCtx *d);
InsnFn pick_shxd(const DecodeCtx *d);

/* cpu/ops_muldiv.c */
InsnFn pick_imul_imm(const DecodeCtx *d);
InsnFn pick_imul_r_rm(const DecodeCtx *d);

/* cpu/ops_bcd.c */
InsnFn pick_bcd(const DecodeCtx *d);

/* cpu/ops_bit.c */
InsnFn pick_bt_rm_r(const DecodeCtx *d);
InsnFn pick_group8(const DecodeCtx *d);
InsnFn pick_bsf_bsr(const DecodeCtx *d);

/* cpu/ops_mov.c */
InsnFn pick_xchg_rm(const DecodeCtx *d);
InsnFn pick_mov(const DecodeCtx *d);
InsnFn pick_mov_rm_sreg(const DecodeCtx *d);
InsnFn pick_lea(const DecodeCtx *d);
InsnFn pick_mov_sreg_rm(const DecodeCtx *d);
InsnFn pick_xchg_eax(const DecodeCtx *d);
InsnFn pick_misc(const DecodeCtx *d);
InsnFn pick_mov_moffs(const DecodeCtx *d);
InsnFn pick_mov_r_imm(const DecodeCtx *d);
InsnFn pick_load_far_pointer(const DecodeCtx *d);
InsnFn pick_mov_rm_imm(const DecodeCtx *d);
InsnFn pick_hint_nop(const DecodeCtx *d);
InsnFn pick_cmov(const DecodeCtx *d);
InsnFn pick_setcc(const DecodeCtx *d);
InsnFn pick_cmpxchg(const DecodeCtx *d);
InsnFn pick_movx(const DecodeCtx *d);
InsnFn pick_xadd(const DecodeCtx *d);
InsnFn pick_group9(const DecodeCtx *d);
InsnFn pick_bswap(const DecodeCtx *d);

/* cpu/ops_stack.c */
InsnFn pick_push_sreg(const DecodeCtx *d);
InsnFn pick_pop_sreg(const DecodeCtx *d);
InsnFn pick_push_reg(const DecodeCtx *d);
InsnFn pick_pop_reg(const DecodeCtx *d);
InsnFn pick_pusha(const DecodeCtx *d);
InsnFn pick_push_imm(const DecodeCtx *d);
InsnFn pick_pop_rm(const DecodeCtx *d);
InsnFn pick_pushf(const DecodeCtx *d);
InsnFn pick_enter(const DecodeCtx *d);
InsnFn pick_leave(const DecodeCtx *d);

/* cpu/ops_branch.c */
InsnFn pick_jcc(const DecodeCtx *d);
InsnFn pick_branch(const DecodeCtx *d);

/* cpu/ops_string.c */
InsnFn pick_string(const DecodeCtx *d);

/* cpu/ops_flagctl.c */
InsnFn pick_flagctl(const DecodeCtx *d);

/* cpu/ops_system.c */
InsnFn pick_bound(const DecodeCtx *d);
InsnFn pick_arpl(const DecodeCtx *d);
InsnFn pick_int3(const DecodeCtx *d);
InsnFn pick_int_imm(const DecodeCtx *d);
InsnFn pick_into(const DecodeCtx *d);
InsnFn pick_iret(const DecodeCtx *d);
InsnFn pick_in_al_imm(const DecodeCtx *d);
InsnFn pick_in_eax_imm(const DecodeCtx *d);
InsnFn pick_out_imm_al(const DecodeCtx *d);
InsnFn pick_out_imm_eax(const DecodeCtx *d);
InsnFn pick_in_al_dx(const DecodeCtx *d);
InsnFn pick_in_eax_dx(const DecodeCtx *d);
InsnFn pick_out_dx_al(const DecodeCtx *d);
InsnFn pick_out_dx_eax(const DecodeCtx *d);
InsnFn pick_icebp(const DecodeCtx *d);
InsnFn pick_hlt(const DecodeCtx *d);
InsnFn pick_group6(const DecodeCtx *d);
InsnFn pick_group7(const DecodeCtx *d);
InsnFn pick_lar(const DecodeCtx *d);
InsnFn pick_lsl(const DecodeCtx *d);
InsnFn pick_clts(const DecodeCtx *d);
InsnFn pick_invd(const DecodeCtx *d);
InsnFn pick_ud2(const DecodeCtx *d);
InsnFn pick_mov_r32_cr(const DecodeCtx *d);
InsnFn pick_mov_r32_dr(const DecodeCtx *d);
InsnFn pick_mov_cr_r32(const DecodeCtx *d);
InsnFn pick_mov_dr_r32(const DecodeCtx *d);
InsnFn pick_wrmsr(const DecodeCtx *d);
InsnFn pick_rdtsc(const DecodeCtx *d);
InsnFn pick_rdmsr(const DecodeCtx *d);
InsnFn pick_rdpmc(const DecodeCtx *d);
InsnFn pick_sysenter(const DecodeCtx *d);
InsnFn pick_sysexit(const DecodeCtx *d);
InsnFn pick_cpuid(const DecodeCtx *d);
InsnFn pick_rsm(const DecodeCtx *d);

/* fpu/fpu.c */
InsnFn pick_fwait(const DecodeCtx *d);
InsnFn pick_fpu(const DecodeCtx *d);
InsnFn pick_0fae(const DecodeCtx *d);

/* fpu/mmx.c */
InsnFn pick_mmx_binary(const DecodeCtx *d);
InsnFn pick_movd_load(const DecodeCtx *d);
InsnFn pick_movq_load(const DecodeCtx *d);
InsnFn pick_mmx_shift_imm(const DecodeCtx *d);
InsnFn pick_emms(const DecodeCtx *d);
InsnFn pick_movd_store(const DecodeCtx *d);
InsnFn pick_movq_store(const DecodeCtx *d);

/* cpu/ops_sse_fp.c */
InsnFn pick_sse_cvtpi2p(const DecodeCtx *d);
InsnFn pick_sse_cvtsi2s(const DecodeCtx *d);
InsnFn pick_sse_cvtp2pi(const DecodeCtx *d);
InsnFn pick_sse_cvts2si(const DecodeCtx *d);
InsnFn pick_sse_comis(const DecodeCtx *d);
InsnFn pick_sse_arith(const DecodeCtx *d);
InsnFn pick_sse_packed_single(const DecodeCtx *d);
InsnFn pick_sse_logic(const DecodeCtx *d);
InsnFn pick_sse_cvt(const DecodeCtx *d);
InsnFn pick_sse_horizontal(const DecodeCtx *d);
InsnFn pick_sse_cmp(const DecodeCtx *d);

/* cpu/ops_sse_move.c */
InsnFn pick_sse_any_load(const DecodeCtx *d);
InsnFn pick_sse_movs_load(const DecodeCtx *d);
InsnFn pick_sse_any_store(const DecodeCtx *d);
InsnFn pick_sse_movs_store(const DecodeCtx *d);
InsnFn pick_sse_movhl_load(const DecodeCtx *d);
InsnFn pick_sse_movhl_load_mem(const DecodeCtx *d);
InsnFn pick_sse_movdup(const DecodeCtx *d);
InsnFn pick_sse_movhl_store(const DecodeCtx *d);
InsnFn pick_sse_unpck(const DecodeCtx *d);
InsnFn pick_sse_mem_store(const DecodeCtx *d);
InsnFn pick_sse_movmskp(const DecodeCtx *d);
InsnFn pick_sse_movd_load(const DecodeCtx *d);
InsnFn pick_sse_pshufw(const DecodeCtx *d);
InsnFn pick_sse_pshuf_xmm(const DecodeCtx *d);
InsnFn pick_sse_movd_store(const DecodeCtx *d);
InsnFn pick_sse_movq_load(const DecodeCtx *d);
InsnFn pick_sse_movnti(const DecodeCtx *d);
InsnFn pick_sse_pinsrw_mm(const DecodeCtx *d);
InsnFn pick_sse_pinsrw_xmm(const DecodeCtx *d);
InsnFn pick_sse_pextrw_mm(const DecodeCtx *d);
InsnFn pick_sse_pextrw_xmm(const DecodeCtx *d);
InsnFn pick_sse_shufp(const DecodeCtx *d);
InsnFn pick_sse_movq_store(const DecodeCtx *d);
InsnFn pick_sse_movq2dq(const DecodeCtx *d);
InsnFn pick_sse_movdq2q(const DecodeCtx *d);
InsnFn pick_sse_pmovmskb_mm(const DecodeCtx *d);
InsnFn pick_sse_pmovmskb_xmm(const DecodeCtx *d);
InsnFn pick_sse_movntq(const DecodeCtx *d);
InsnFn pick_sse_mem_load(const DecodeCtx *d);
InsnFn pick_sse_maskmovq(const DecodeCtx *d);
InsnFn pick_sse_maskmovdqu(const DecodeCtx *d);

/* cpu/ops_sse_int.c */
InsnFn pick_pint_binary(const DecodeCtx *d);
InsnFn pick_punpckqdq(const DecodeCtx *d);
InsnFn pick_pshift_imm(const DecodeCtx *d);

/* cpu/ops_sse.c */
InsnFn pick_grp15(const DecodeCtx *d);

/* cpu/amd.c */
InsnFn pick_syscall(const DecodeCtx *d);
InsnFn pick_sysret(const DecodeCtx *d);

/* cpu/svm.c */
InsnFn pick_pause(const DecodeCtx *d);

/* Group 7 (0F 01) belongs to the system family, which hands its register
 * forms /1 (0F 01 C8/C9: MONITOR, MWAIT) and /3 (0F 01 D8-DF: VMRUN ..
 * INVLPGA) to these (the extensions they need: opcode_members). */
InsnFn sse_pick_monitor_mwait(const DecodeCtx *d);   /* cpu/ops_sse.c */
InsnFn svm_pick_group7_reg3(const DecodeCtx *d);     /* cpu/svm.c */

#endif
