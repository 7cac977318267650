/* SPDX-License-Identifier: MIT */
/* The x87/MMX unit as a machine component (iodev/device.h). The MMX
 * registers are the x87 mantissas, so the physical registers cover both. */
#include <stdio.h>

#include "cpu/cpu_state.h"
#include "fpu/fpu.h"

static const StateField fpu_fields[] = {
    SF_EACH(FpuState, regs, mant, SF_U64, 8),
    SF_EACH(FpuState, regs, se, SF_U16, 8),
    SF_FIELD(FpuState, cw, SF_U16),
    SF_FIELD(FpuState, sw, SF_U16),
    SF_FIELD(FpuState, tw, SF_U16),
    SF_FIELD_MAX(FpuState, fop, SF_U16, 0x7FF),
    SF_FIELD(FpuState, fip, SF_U32),
    SF_FIELD(FpuState, fdp, SF_U32),
    SF_FIELD(FpuState, fcs, SF_U16),
    SF_FIELD(FpuState, fds, SF_U16),
    SF_FIELD(FpuState, ferr, SF_BOOL),
};

static void fpu_info(void *dev, FILE *out)
{
    const FpuState *f = dev;
    fprintf(out, "cw %04x sw %04x (top %u) tw %04x fop %03x fip %04x:%08x fdp %04x:%08x%s\n",
            f->cw, f->sw, (f->sw >> FSW_TOP_SHIFT) & 7, f->tw, f->fop, f->fcs, f->fip, f->fds,
            f->fdp, f->ferr ? " FERR#" : "");
    for (int i = 0; i < 8; i++)
        fprintf(out, "R%d %04x %016llx%s", i, f->regs[i].se, (unsigned long long)f->regs[i].mant,
                i % 2 ? "\n" : "   ");
}

/* No reset hook: cpu_reset resets the x87 with the rest of the CPU (the
 * "cpu" component). Every field value is a possible register content, so
 * nothing needs checking after a load; the FERR# line itself is the PIC's
 * IRQ 13 level, which the PIC's state carries. */
const DeviceDesc fpu_desc = {
    .kind = "x87",
    .version = 1,
    .fields = fpu_fields,
    .n_fields = sizeof fpu_fields / sizeof fpu_fields[0],
    .info = fpu_info,
};
