/* The machine: wiring and the main loop. */
#include "machine/machine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bios/firmware.h"

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* -d ITEMS / -D FILE */
static bool machine_setup_log(Machine *m)
{
    const char *items = m->opt.log_items;
    if (m->opt.log_file) {
        m->log = fopen(m->opt.log_file, "w");
        if (!m->log) {
            fprintf(stderr, "kairo: cannot open log file '%s'\n", m->opt.log_file);
            return false;
        }
        m->cpu->log_file = m->log;
    }
    if (!items)
        return true;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", items);
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (!strcmp(it, "int"))
            m->cpu->log_mask |= CPU_LOG_INT;
        else if (!strcmp(it, "cpu_reset"))
            m->cpu->log_mask |= CPU_LOG_RESET;
        else if (!strcmp(it, "unimp") || !strcmp(it, "guest_errors"))
            m->cpu->log_mask |= CPU_LOG_UNIMP;
        else {
            fprintf(stderr, "kairo: unknown log item '%s' (int, cpu_reset, unimp, guest_errors)\n", it);
            return false;
        }
    }
    return true;
}

bool machine_init(Machine *m, const Options *opt)
{
    char err[256];
    memset(m, 0, sizeof *m);
    m->opt = *opt;
    m->mem = phys_new(opt->ram_mb << 20, err, sizeof err);
    if (!m->mem) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    portbus_init(&m->io);
    if (!bios_load(m->mem, opt->bios, err, sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    m->cpu = cpu_new(m->mem, &m->io);
    if (!m->cpu) {
        fprintf(stderr, "kairo: out of memory creating the CPU\n");
        return false;
    }
    clock_init(&m->clock, opt->ips, &m->cpu->icount);
    if (!machine_setup_log(m))
        return false;
    if (opt->debugcon) {
        if (!chardev_open(&m->debugcon_out, opt->debugcon, err, sizeof err)) {
            fprintf(stderr, "kairo: -debugcon: %s\n", err);
            return false;
        }
        debugcon_init(&m->debugcon, &m->io, 0xE9, &m->debugcon_out);
    }
    if (opt->debug_exit &&
        !debugexit_init(&m->debugexit, &m->io, opt->debug_exit_port, opt->debug_exit_size)) {
        fprintf(stderr, "kairo: isa-debug-exit: port 0x%X is taken\n", opt->debug_exit_port);
        return false;
    }
    return true;
}

/* How many instructions to run before looking at the world again: the
 * next timer, the instruction limit, and a slice for signals/timeouts. */
static uint64_t next_slice(Machine *m)
{
    uint64_t n = 1000000;
    uint64_t t = clock_insns_to_next(&m->clock);
    if (t < n)
        n = t ? t : 1;
    if (m->opt.max_insns) {
        uint64_t left = m->opt.max_insns - m->cpu->icount;
        if (left < n)
            n = left;
    }
    return n;
}

int machine_run(Machine *m, volatile sig_atomic_t *stop_signal)
{
    Cpu *cpu = m->cpu;
    double t0 = host_seconds();
    int status = EXIT_OK;
    for (;;) {
        if (m->opt.max_insns && cpu->icount >= m->opt.max_insns) {
            fprintf(stderr, "kairo: instruction limit (%llu) reached\n",
                    (unsigned long long)m->opt.max_insns);
            status = EXIT_LIMIT;
            break;
        }
        cpu_run(cpu, next_slice(m));
        clock_run_timers(&m->clock);
        if (m->debugexit.requested) {
            status = m->debugexit.status;
            break;
        }
        if (cpu->triple_fault) {
            if (m->opt.no_reboot) {
                fprintf(stderr, "kairo: triple fault at %04X:%08X, stopping (-no-reboot)\n",
                        cpu->seg[SEG_CS].sel, cpu->eip);
                status = EXIT_TRIPLE_FAULT;
                break;
            }
            if (cpu->log_mask & CPU_LOG_RESET)
                fprintf(stderr, "kairo: triple fault at %04X:%08X: resetting the machine\n",
                        cpu->seg[SEG_CS].sel, cpu->eip);
            phys_set_a20(m->mem, true);
            cpu_reset(cpu);
        }
        if (cpu->halted && !(cpu->eflags & FLAG_IF) && !cpu->nmi_pending && !m->clock.head) {
            fprintf(stderr, "kairo: guest halted with interrupts disabled at %04X:%08X\n",
                    cpu->seg[SEG_CS].sel, cpu->eip);
            status = EXIT_HALTED;
            break;
        }
        if (*stop_signal) {
            fprintf(stderr, "kairo: stopped by signal %d\n", (int)*stop_signal);
            status = EXIT_SIGNAL;
            break;
        }
        if (m->opt.timeout_s > 0 && host_seconds() - t0 >= m->opt.timeout_s) {
            fprintf(stderr, "kairo: timeout (%.1f s) reached\n", m->opt.timeout_s);
            status = EXIT_LIMIT;
            break;
        }
    }
    double secs = host_seconds() - t0;
    if (m->opt.stats) {
        uint64_t executed = cpu->icount - cpu->idle_insns;
        double mips = secs > 0 ? (double)executed / secs / 1e6 : 0;
        fprintf(stderr, "kairo: %llu instructions in %.3f s (%.1f MIPS)\n",
                (unsigned long long)executed, secs, mips);
    }
    return status;
}

void machine_destroy(Machine *m)
{
    if (m->log)
        fclose(m->log);
    chardev_flush(&m->debugcon_out);
    chardev_close(&m->debugcon_out);
    cpu_free(m->cpu);
    phys_free(m->mem);
}
