/* SPDX-License-Identifier: MIT */
/* Exception and interrupt delivery (cpu/interrupt.c). */
#ifndef KAIRO_EXCEPTION_H
#define KAIRO_EXCEPTION_H

#include "cpu/cpu.h"

/* Called by the execution loop after cpu_fault() unwound to it: delivers
 * cpu->fault_vec / cpu->fault_err, applying the double-fault rules when a
 * fault happens while another is being delivered (cpu->exc_depth), and
 * setting cpu->triple_fault on a fault during #DF delivery. */
void cpu_handle_fault(Cpu *cpu);

/* DR0-DR3 instruction breakpoints: if one matches CS.base+EIP (and RF is
 * clear), deliver #DB and return true. */
bool cpu_check_code_breakpoint(Cpu *cpu);

/* Recompute cpu->debug_check / cpu->single_step from DR7 and EFLAGS.TF
 * (call after writing DR7 or TF). */
void cpu_update_debug_state(Cpu *cpu);

#endif
