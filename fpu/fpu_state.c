/* SPDX-License-Identifier: MIT */
/* The x87/MMX/SSE unit as a machine component (iodev/device.h). The MMX
 * registers are the x87 mantissas, so the physical registers cover both;
 * version 2 added the XMM registers and MXCSR. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu_state.h"
#include "fpu/fpu.h"
#include "fpu/sfp.h"

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
    /* version 2: the SSE state */
    { "xmm", SF_U64, offsetof(FpuState, xmm), 16, 0, 0, 2 },
    { "mxcsr", SF_U32, offsetof(FpuState, mxcsr), 1, 0, 0xFFFF, 2 },
};

/* Nothing beyond the table is saved; a version-1 section (from before
 * SSE) loads with the SSE state of RESET, whatever ran before the load. */
static void fpu_save_extra(void *dev, StateWriter *w)
{
    (void)dev;
    (void)w;
}

static bool fpu_load_extra(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    FpuState *f = dev;
    (void)r;
    (void)err;
    (void)errlen;
    if (version < 2) {
        memset(f->xmm, 0, sizeof f->xmm);
        f->mxcsr = MX_RESET;
    }
    return true;
}

static void fpu_info(void *dev, FILE *out)
{
    const FpuState *f = dev;
    fprintf(out, "cw %04x sw %04x (top %u) tw %04x fop %03x fip %04x:%08x fdp %04x:%08x%s\n",
            f->cw, f->sw, (f->sw >> FSW_TOP_SHIFT) & 7, f->tw, f->fop, f->fcs, f->fip, f->fds,
            f->fdp, f->ferr ? " FERR#" : "");
    fprintf(out, "mxcsr %08x\n", f->mxcsr);
    for (int i = 0; i < 8; i++)
        fprintf(out, "R%d %04x %016llx%s", i, f->regs[i].se, (unsigned long long)f->regs[i].mant,
                i % 2 ? "\n" : "   ");
    for (int i = 0; i < 8; i++)
        fprintf(out, "XMM%d %016llx%016llx%s", i, (unsigned long long)f->xmm[i].q[1],
                (unsigned long long)f->xmm[i].q[0], i % 2 ? "\n" : "   ");
}

/* No reset hook: cpu_reset resets the x87 with the rest of the CPU (the
 * "cpu" component). Every field value is a possible register content, so
 * nothing needs checking after a load; the FERR# line itself is the PIC's
 * IRQ 13 level, which the PIC's state carries. */
const DeviceDesc fpu_desc = {
    .kind = "x87",
    .version = 2,
    .fields = fpu_fields,
    .n_fields = sizeof fpu_fields / sizeof fpu_fields[0],
    .save_extra = fpu_save_extra,
    .load_extra = fpu_load_extra,
    .info = fpu_info,
};
