/* SPDX-License-Identifier: MIT */
/* -device vmport in the machine (machine/hostcall.h). */
#include "machine/hostcall.h"

#include <stdio.h>
#include <string.h>

#include "machine/machine.h"

/* GETTIME: the guest's RTC epoch plus guest time, so the backdoor's clock
 * agrees with the CMOS and is the same in a replayed run. */
static uint64_t hostcall_now_ns(void *opaque)
{
    const Machine *m = opaque;
    int64_t base = m->cmos.base_time + m->cmos.set_offset;
    return (uint64_t)(base > 0 ? base : 0) * 1000000000u + clock_ns(&m->clock);
}

bool hostcall_setup(Machine *m)
{
    Vmport *vm = &m->vmport;
    const Options *o = &m->opt;
    vm->mhz = o->vmport_mhz ? o->vmport_mhz : (uint32_t)(o->ips / 1000000u);
    vm->hwversion = o->vmport_hwversion;
    vm->mem_mb = o->ram_mb;
    vm->now_ns = hostcall_now_ns;
    vm->now_opaque = m;
    vm->replay = &m->replay;
    hgfs_init(&vm->hgfs);
    exec_init(&vm->exec);
    for (int i = 0; i < o->n_vmport_args; i++) {
        const char *a = o->vmport_args[i];
        char err[400];
        if (!strncmp(a, "guestinfo.", 10) && !vmport_set_guestinfo(vm, a)) {
            fprintf(stderr, "kairo: -vmport %s: too many variables, or one too long\n", a);
            return false;
        }
        if (!strncmp(a, "exec=", 5) && !exec_allow(&vm->exec, a + 5, err, sizeof err)) {
            fprintf(stderr, "kairo: -vmport %s\n", err);
            return false;
        }
        if (!strncmp(a, "share=", 6) && !hgfs_add_share(&vm->hgfs, a + 6, err, sizeof err)) {
            fprintf(stderr, "kairo: -vmport %s\n", err);
            return false;
        }
    }
    if (!vmport_init(vm, &m->io)) {
        fprintf(stderr, "kairo: vmport: ports 0x5658-0x5659 are taken\n");
        return false;
    }
    vmport_attach_regs(vm, m->cpu->gpr);
    m->cpu->io_open_first = VMPORT_PORT;
    m->cpu->io_open_count = 2;
    return true;
}
