/* SPDX-License-Identifier: MIT */
/* The CPU's and the x87's component descriptors (cpu/cpu_state.c,
 * fpu/fpu_state.c): the dev pointer is the Cpu, resp. its FpuState. */
#ifndef KAIRO_CPU_STATE_H
#define KAIRO_CPU_STATE_H

#include "cpu/cpu.h"
#include "iodev/device.h"

extern const DeviceDesc cpu_desc;
extern const DeviceDesc fpu_desc;

#endif
