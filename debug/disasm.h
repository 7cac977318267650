/* SPDX-License-Identifier: MIT */
/* One-instruction disassembly for the monitor, the flight recorder and
 * kairo-trace, through Capstone (Debian's libcapstone): a well-kept x86
 * decoder rather than a second hand-written one next to the CPU's. */
#ifndef KAIRO_DISASM_H
#define KAIRO_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Disassemble the instruction at bytes[0..len) (len <= 15 is enough),
 * located at eip, in 16-bit (code32 false) or 32-bit code. Writes
 * "mnemonic operands" (Intel syntax, lower case) to out and returns the
 * instruction's length; on bytes that are no instruction, writes
 * "(bad)" and returns 0. */
unsigned disasm_one(const uint8_t *bytes, size_t len, uint32_t eip, bool code32, char *out,
                    size_t outlen);

#endif
