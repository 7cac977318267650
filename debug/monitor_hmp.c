/* SPDX-License-Identifier: MIT */
/* QEMU's HMP names for what the monitor does, so a QEMU user's habits
 * work: info registers, cont, info status, system_powerdown,
 * system_reset, pmemsave, memsave, info cpus, info mem. Where kairo has
 * the command already, the HMP name runs it. */
#include <stdio.h>
#include <string.h>

#include "debug/breakpoints.h"
#include "debug/monitor.h"
#include "debug/monitor_int.h"
#include "iodev/acpi_pm.h"
#include "machine/machine.h"
#include "machine/replay_host.h"

static bool hmp_info_registers(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    return monitor_execute(mon, "regs");
}

static bool hmp_cont(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    return monitor_execute(mon, "continue");
}

static bool hmp_info_mem(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    return monitor_execute(mon, "info tab");
}

static bool hmp_info_status(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    const char *state = mon->m->shut_down ? "paused (shutdown)"
                        : monitor_stopped(mon) ? "paused" : "running";
    fprintf(mon->out, "VM status: %s\n", state);
    return true;
}

/* Every CPU (-smp), the one the other commands show (`cpu N`) marked. */
static bool hmp_info_cpus(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    const Machine *m = mon->m;
    int n = m->n_cpus > 0 ? m->n_cpus : 1;
    for (int i = 0; i < n; i++) {
        const Cpu *cpu = i ? m->cpus[i] : m->cpu;
        bool sipi = m->n_cpus > 0 && m->lapic[i].wait_sipi;
        fprintf(mon->out, "%c CPU #%d: pc=0x%08x apic_id=%u icount=%llu%s\n",
                cpu == mon_cpu(mon) ? '*' : ' ', i,
                cpu->seg[SEG_CS].base + cpu->eip, cpu->apic_id,
                (unsigned long long)cpu->icount,
                sipi ? " (waiting for SIPI)" : cpu->halted ? " (halted)" : "");
    }
    return true;
}

/* cpu N: the CPU that info registers, x, u, step and the other
 * per-CPU commands act on (QEMU's command). */
static bool hmp_cpu(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    uint32_t n;
    int count = mon->m->n_cpus > 0 ? mon->m->n_cpus : 1;
    if (!mon_parse_u32(argv[0], &n) || n >= (uint32_t)count)
        return mon_error(mon, "cpu: no CPU '%s' (0..%d)", argv[0], count - 1);
    mon->cpu_index = (int)n;
    dbg_set_focus(mon->dbg, mon_cpu(mon));
    return true;
}

/* The ACPI power button: a guest with an ACPI OS shuts itself down. */
static bool hmp_system_powerdown(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    char err[200];
    if (!host_system_powerdown(mon->m, err, sizeof err))
        return mon_error(mon, "%s", err);
    return true;
}

/* The reset line, as the keyboard controller's pulse; a -no-shutdown
 * guest that powered off starts again. */
static bool hmp_system_reset(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    char err[200];
    if (!host_system_reset(mon->m, false, err, sizeof err))
        return mon_error(mon, "%s", err);
    return true;
}

/* pmemsave ADDR SIZE FILE / memsave ADDR SIZE FILE: guest memory (physical
 * / linear through the guest's paging) into a file, in 4 KiB pieces. */
static bool save_memory(Monitor *mon, char **argv, bool physical)
{
    uint64_t addr, size;
    if (!mon_parse_u64(argv[0], &addr) || !mon_parse_u64(argv[1], &size))
        return mon_error(mon, "usage: %s ADDR SIZE FILE", physical ? "pmemsave" : "memsave");
    if (!physical && (addr > 0xFFFFFFFFull || size > 0x100000000ull - addr))
        return mon_error(mon, "memsave: the range passes 4 GiB");
    FILE *f = fopen(argv[2], "wb");
    if (!f)
        return mon_error(mon, "cannot write %s", argv[2]);
    static uint8_t buf[4096];
    for (uint64_t done = 0; done < size;) {
        uint32_t n = size - done < sizeof buf ? (uint32_t)(size - done) : sizeof buf;
        uint64_t bad = 0;
        uint32_t bad_lin = 0;
        bool ok = physical ? mon_read_phys(mon->m, addr + done, buf, n, &bad)
                           : mon_read_lin(mon, (uint32_t)(addr + done), buf, n, &bad_lin);
        if (!ok) {
            fclose(f);
            remove(argv[2]);
            return mon_error(mon, "cannot read %s address 0x%llx", physical ? "physical" : "linear",
                             physical ? (unsigned long long)bad : (unsigned long long)bad_lin);
        }
        if (fwrite(buf, 1, n, f) != n) {
            fclose(f);
            return mon_error(mon, "write to %s failed", argv[2]);
        }
        done += n;
    }
    if (fclose(f) != 0)
        return mon_error(mon, "write to %s failed", argv[2]);
    return true;
}

static bool hmp_pmemsave(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    return save_memory(mon, argv, true);
}

static bool hmp_memsave(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    return save_memory(mon, argv, false);
}

const MonCommand mon_hmp_commands[] = {
    { "info registers", NULL, 0, 0, hmp_info_registers, "info registers", "QEMU's name for regs" },
    { "cont", NULL, 0, 0, hmp_cont, "cont", "QEMU's name for continue" },
    { "info status", NULL, 0, 0, hmp_info_status, "info status",
      "running or paused (QEMU's wording)" },
    { "info cpus", NULL, 0, 0, hmp_info_cpus, "info cpus", "every CPU: program counter, APIC ID, state" },
    { "cpu", NULL, 1, 1, hmp_cpu, "cpu N", "the CPU the register, memory and step commands act on" },
    { "info mem", NULL, 0, 0, hmp_info_mem, "info mem", "QEMU's name for info tab" },
    { "system_powerdown", NULL, 0, 0, hmp_system_powerdown, "system_powerdown",
      "press the ACPI power button" },
    { "system_reset", NULL, 0, 0, hmp_system_reset, "system_reset", "reset the machine" },
    { "pmemsave", NULL, 3, 3, hmp_pmemsave, "pmemsave ADDR SIZE FILE",
      "physical memory into FILE" },
    { "memsave", NULL, 3, 3, hmp_memsave, "memsave ADDR SIZE FILE",
      "linear memory (through the guest's paging) into FILE" },
};
const size_t mon_hmp_count = sizeof mon_hmp_commands / sizeof mon_hmp_commands[0];
