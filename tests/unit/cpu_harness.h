/* SPDX-License-Identifier: MIT */
/* A CPU with RAM for unit tests.
 *
 * Memory layout the harness builds (physical = linear, paging off):
 *   0x00000  real-mode IVT (vector v -> 0300:v*16)
 *   0x01000  GDT (selectors below)      0x02000  IDT (256 interrupt gates)
 *   0x03000  one HLT stub per vector, 16 bytes apart (0x3000 + v*16)
 *   0x04000  32-bit TSS (ring-0 stack at 0x9F000)
 *   0x10000  suggested code address     ESP 0x90000 (protected) / SS:SP 0000:8000 (real)
 * An exception the test did not handle lands on its stub's HLT:
 * h_last_exception() names the vector, h_last_errcode() its error code. */
#ifndef KAIRO_CPU_HARNESS_H
#define KAIRO_CPU_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "iodev/portbus.h"

/* GDT selectors */
#define H_SEL_CODE32 0x08
#define H_SEL_DATA32 0x10
#define H_SEL_CODE16 0x18
#define H_SEL_DATA16 0x20
#define H_SEL_UCODE32 0x2B   /* DPL 3, RPL 3 */
#define H_SEL_UDATA32 0x33   /* DPL 3, RPL 3 */
#define H_SEL_TSS 0x38
#define H_GDT_BASE 0x1000u
#define H_IDT_BASE 0x2000u
#define H_STUB_BASE 0x3000u
#define H_TSS_BASE 0x4000u
#define H_CODE 0x10000u

Cpu *h_cpu_new(unsigned ram_mb, bool protected32);
void h_cpu_free(Cpu *cpu);
void h_load(Cpu *cpu, uint32_t phys, const void *code, size_t len);
/* Run from eip (current CS) until HLT, max_insns, or a triple fault.
 * Returns the instructions executed. */
uint64_t h_run(Cpu *cpu, uint32_t eip, uint64_t max_insns);
/* Vector whose stub halted the CPU, or -1. */
int h_last_exception(Cpu *cpu);
/* The dword (protected) or word (real) on top of the stack at that point:
 * the error code for vectors that push one. */
uint32_t h_last_errcode(Cpu *cpu);
/* Physical memory helpers */
uint32_t h_read32(Cpu *cpu, uint32_t phys);
void h_write32(Cpu *cpu, uint32_t phys, uint32_t v);
uint8_t h_read8(Cpu *cpu, uint32_t phys);
/* Write a GDT entry (index = selector >> 3). */
void h_set_gdt(Cpu *cpu, unsigned index, uint32_t base, uint32_t limit, uint16_t flags);
/* EFLAGS with lazy flags materialised. */
uint32_t h_eflags(Cpu *cpu);
/* The port bus the CPU uses, to register fake devices. */
PortBus *h_portbus(Cpu *cpu);

#endif
