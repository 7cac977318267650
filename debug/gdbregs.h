/* SPDX-License-Identifier: MIT */
/* The registers the gdb stub shows, in 'g' packet order: GDB's i386 core
 * feature (eight general registers, EIP, EFLAGS, six segment selectors,
 * the x87 stack and its control registers), then CR0, CR2, CR3 and CR4 in
 * a feature of our own. One table gives the packet layout and the target
 * description XML, so the two cannot disagree. */
#ifndef KAIRO_GDBREGS_H
#define KAIRO_GDBREGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define GDB_REG_MAX_BYTES 16   /* the XMM registers */

unsigned gdb_reg_count(void);
/* Size in bytes of register n (0 when there is none). */
unsigned gdb_reg_size(unsigned n);
/* Bytes of all registers together (the 'g' reply is twice this in hex). */
size_t gdb_regs_bytes(void);
/* Register n in target byte order (little-endian). */
void gdb_reg_get(const Cpu *cpu, unsigned n, uint8_t *out);
/* Write register n; false when the value cannot be applied (a different
 * protected-mode selector: that needs a descriptor load with checks). */
bool gdb_reg_set(Cpu *cpu, unsigned n, const uint8_t *in);
/* target.xml (qXfer:features:read) and its length. */
const char *gdb_target_xml(size_t *len);

#endif
