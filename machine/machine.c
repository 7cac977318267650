/* SPDX-License-Identifier: MIT */
/* The machine: wiring the PC together, and the main loop. */
#include "machine/machine.h"
#include "debug/log.h"

#include "bios/kernel_boot.h"
#include "gui/screendump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

#include "bios/firmware.h"
#include "cpu/icache.h"
#include "debug/gdbstub.h"
#include "debug/trace.h"
#include "gui/display.h"
#include "debug/monitor.h"
#include "fpu/fpu.h"
#include "iodev/remote/proxy.h"
#include "machine/components.h"
#include "machine/hostcall.h"
#include "machine/cpus.h"
#include "machine/qmp.h"
#include "machine/replay_host.h"
#include "machine/replay_machine.h"
#include "machine/timetravel.h"

#define SEAVGABIOS "/usr/share/seabios/vgabios-stdvga.bin"
#define DETERMINISTIC_EPOCH 946684800   /* 2000-01-01 00:00:00 UTC */

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* -d trace items, --trace, --trace-filter, --flight-recorder (debug/trace.h) */
static bool machine_setup_trace(Machine *m, unsigned text_items)
{
    const Options *o = &m->opt;
    TraceConfig tc = { .text_items = text_items, .log = m->log, .file = o->trace_file,
                       .file_items = o->trace_items, .filter = o->trace_filter,
                       .flight_insns = o->flight_insns, .flight_dump_on = o->flight_dump_on };
    char err[300];
    if (trace_setup(m->cpu, &m->io, &tc, err, sizeof err))
        return true;
    fprintf(stderr, "kairo: %s\n", err);
    return false;
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
    log_configure(0, m->log);   /* the once-only messages follow -D too */
    if (!items)
        return machine_setup_trace(m, 0);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", items);
    char *save = NULL;
    unsigned trace_items = 0, bit, log_items = 0;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (!strcmp(it, "int")) {
            m->cpu->log_mask |= CPU_LOG_INT;
            trace_items |= TRACE_INT;
        } else if (!strcmp(it, "cpu_reset"))
            m->cpu->log_mask |= CPU_LOG_RESET;
        else if (!strcmp(it, "svm"))
            m->cpu->log_mask |= CPU_LOG_SVM;   /* cpu/svm.c: world switches */
        else if (!strcmp(it, "unimp"))
            log_items |= LOG_UNIMP;
        else if (!strcmp(it, "guest_errors"))
            log_items |= LOG_GUEST_ERROR;
        else if (!strcmp(it, "hostcall"))
            m->vmport.trace = m->log ? m->log : stderr;   /* machine/hostcall.c */
        else if ((bit = trace_item_bit(it)) != 0)
            trace_items |= bit;   /* exec, cpu, io, mmu: debug/trace.c */
        else {
            fprintf(stderr, "kairo: unknown log item '%s' (exec, cpu, int, io, mmu, cpu_reset, "
                            "unimp, guest_errors, hostcall, svm)\n", it);
            return false;
        }
    }
    log_configure(log_items, m->log);
    return machine_setup_trace(m, trace_items);
}

/* --- lines from the devices to the CPU and the machine --- */

static void set_a20(void *opaque, bool enabled)
{
    Machine *m = opaque;
    phys_set_a20(m->mem, enabled);
}

static bool get_a20(void *opaque)
{
    Machine *m = opaque;
    return phys_a20(m->mem);
}

static void request_reset(void *opaque)
{
    Machine *m = opaque;
    m->reset_requested = true;
    m->cpu->stop_request = true;
}

static void request_poweroff(void *opaque)
{
    Machine *m = opaque;
    m->poweroff_requested = true;
    m->cpu->stop_request = true;
}

static int fdc_dma(void *opaque, void *buf, int len, bool to_memory, bool *tc)
{
    Machine *m = opaque;
    return dma_transfer(&m->dma, 2, buf, len, to_memory, tc);
}

/* FERR# from the x87 (CR0.NE clear) is IRQ 13; a write to port 0xF0 (the
 * PC/AT's "clear math coprocessor busy") takes it down again. */
static void ferr_line(void *opaque, bool level)
{
    irq_set(irqroute_isa(&((Machine *)opaque)->irq, 13), level);
}

static uint32_t fpu_port_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xFF;
}

static void fpu_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Machine *m = opaque;
    (void)size;
    (void)value;
    if (port == 0xF0) {
        m->cpu->fpu->ferr = false;
        irq_lower(irqroute_isa(&m->irq, 13));
    }
}

/* --- firmware setup: CMOS fields and fw_cfg --- */

static unsigned boot_code(char c)
{
    return c == 'a' ? 1 : c == 'c' ? 2 : c == 'd' ? 3 : 0;
}

static void cmos_setup(Machine *m)
{
    Cmos *c = &m->cmos;
    uint32_t ram_kb = m->opt.ram_mb * 1024;
    cmos_set(c, 0x10, fdc_cmos_types(&m->fdc));
    unsigned floppies = (m->fdc.drive[0].cmos_type != 0) + (m->fdc.drive[1].cmos_type != 0);
    uint8_t equipment = 0;
    if (floppies)
        equipment |= (uint8_t)(0x01 | (floppies - 1) << 6);
    cmos_set(c, 0x14, equipment);
    cmos_set(c, 0x15, 0x80);   /* 640 KiB base memory */
    cmos_set(c, 0x16, 0x02);
    uint32_t ext = ram_kb > 1024 ? ram_kb - 1024 : 0;
    if (ext > 0xFFFF)
        ext = 0xFFFF;
    cmos_set(c, 0x17, (uint8_t)ext);
    cmos_set(c, 0x18, (uint8_t)(ext >> 8));
    cmos_set(c, 0x30, (uint8_t)ext);
    cmos_set(c, 0x31, (uint8_t)(ext >> 8));
    uint32_t above16 = m->opt.ram_mb > 16 ? (m->opt.ram_mb - 16) * 16 : 0;   /* 64 KiB units */
    if (above16 > 0xFFFF)
        above16 = 0xFFFF;
    cmos_set(c, 0x34, (uint8_t)above16);
    cmos_set(c, 0x35, (uint8_t)(above16 >> 8));
    /* IDE disks: type 47 (user) for units 0 and 1, as BIOSes expect. */
    uint8_t hd = 0;
    if (m->ide[0].dev[0].kind == IDE_DISK)
        hd |= 0xF0;
    if (m->ide[0].dev[1].kind == IDE_DISK)
        hd |= 0x0F;
    cmos_set(c, 0x12, hd);
    cmos_set(c, 0x19, (hd & 0xF0) ? 47 : 0);
    cmos_set(c, 0x1A, (hd & 0x0F) ? 47 : 0);
    /* Boot order as SeaBIOS reads it: 0x3D low/high nibble, 0x38 high nibble. */
    const char *order = m->opt.boot_order[0] ? m->opt.boot_order : "cad";
    unsigned b0 = boot_code(order[0]), b1 = order[0] ? boot_code(order[1]) : 0;
    unsigned b2 = order[0] && order[1] ? boot_code(order[2]) : 0;
    cmos_set(c, 0x3D, (uint8_t)(b0 | b1 << 4));
    cmos_set(c, 0x38, (uint8_t)(b2 << 4 | m->opt.no_fd_bootchk));   /* bit 0: no floppy
                                                                     * signature check */
    cmos_set(c, 0x5F, (uint8_t)(m->n_cpus - 1));   /* CPUs - 1 */
    cmos_fix_checksum(c);
}

static bool fwcfg_setup(Machine *m)
{
    FwCfg *fw = &m->fwcfg;
    fwcfg_init(fw, m->mem);
    uint64_t ram = (uint64_t)m->opt.ram_mb << 20;
    /* -smp: SeaBIOS starts the APs and waits for that many; the MADT and
     * MP table list max-cpus APICs; the timer is wired to I/O APIC pin 2
     * (QEMU's legacy IRQ0_OVERRIDE item, 0x8002). */
    bool ok = fwcfg_add_u64(fw, FW_CFG_RAM_SIZE, ram) &&
              fwcfg_add_u16(fw, FW_CFG_NB_CPUS, (uint16_t)m->n_cpus) &&
              fwcfg_add_u16(fw, FW_CFG_MAX_CPUS, (uint16_t)m->opt.smp_max_cpus) &&
              fwcfg_add_u32(fw, 0x8002, 1) &&
              fwcfg_add_u16(fw, FW_CFG_NOGRAPHIC, m->opt.nographic) &&
              fwcfg_add_u16(fw, FW_CFG_BOOT_MENU, 0);
    /* The memory map: all RAM below 4 GiB, one entry (SeaBIOS carves its
     * own reservations out of it). */
    uint8_t e820[20];
    memset(e820, 0, sizeof e820);
    memcpy(e820 + 8, &ram, 8);
    e820[16] = 1;   /* E820_RAM */
    ok = ok && fwcfg_add_file(fw, "etc/e820", e820, sizeof e820);
    /* The sleep states SeaBIOS's tables offer (QEMU's file): S3 with
     * SLP_TYP 1, S4 with 2, S5 with 0; bit 7 = present. */
    static const uint8_t sleep_states[6] = { 0x80, 0, 0, 0x81, 0x82, 0x80 };
    ok = ok && fwcfg_add_file(fw, "etc/system-states", sleep_states, sizeof sleep_states);
    if (ok && m->opt.kernel) {
        char err[300];
        if (!kernel_boot_setup(fw, ram, m->opt.kernel, m->opt.initrd, m->opt.append, err,
                               sizeof err)) {
            fprintf(stderr, "kairo: %s\n", err);
            return false;
        }
    }
    return ok && fwcfg_register(fw, &m->io);
}

/* --- building --- */

/* The RTC's time at power-on: -rtc base=, or fixed under --deterministic. */
static int64_t rtc_start_time(const Options *o)
{
    if (o->rtc_base == RTC_BASE_DATE)
        return o->rtc_date;
    if (o->deterministic)
        return DETERMINISTIC_EPOCH;
    time_t now = time(NULL);
    if (o->rtc_base != RTC_BASE_LOCALTIME)
        return (int64_t)now;
    struct tm local;
    localtime_r(&now, &local);
    return (int64_t)now + local.tm_gmtoff;   /* the CMOS shows local wall-clock time */
}

/* --expect/--send or --expect-script, attached to COM1's backend. */
static bool expect_setup(Machine *m)
{
    const Options *o = &m->opt;
    if (!o->expect_script && !o->n_expect_steps)
        return true;
    expect_init(&m->expect, o->expect_timeout_s);
    m->has_expect = true;
    char err[300];
    bool ok = true;
    if (o->expect_script)
        ok = expect_load(&m->expect, o->expect_script, err, sizeof err);
    for (int i = 0; ok && i < o->n_expect_steps; i++)
        ok = expect_add(&m->expect, (ExpectKind)o->expect_steps[i].kind, o->expect_steps[i].text,
                        err, sizeof err);
    if (!ok) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    m->serial_out[0].script = &m->expect;
    return true;
}

static bool attach_drives(Machine *m, char *err, size_t errlen)
{
    for (int i = 0; i < 2; i++)
        if (m->opt.fd[i] && !fdc_attach(&m->fdc, i, m->opt.fd[i], false, err, errlen))
            return false;
    for (int i = 0; i < 4; i++) {
        const char *path = m->opt.hd[i];
        if (!path)
            continue;
        IdeChannel *ch = &m->ide[i >> 1];
        bool ok = m->opt.hd_cdrom[i]
                      ? ide_attach_cdrom(ch, i & 1, path, err, errlen)
                      : ide_attach_disk(ch, i & 1, path, m->opt.hd_readonly[i], err, errlen);
        if (!ok)
            return false;
    }
    return true;
}

static bool open_chardev(CharDev *c, const char *spec, const char *what)
{
    char err[256];
    if (chardev_open(c, spec, err, sizeof err))
        return true;
    fprintf(stderr, "kairo: %s: %s\n", what, err);
    return false;
}

/* -remote: the named slots (now that they exist) switch to proxies that
 * forward their accesses to a port server; their IRQs still reach the
 * interrupt controllers through the board's router. */
static const IrqLine *remote_irq_line(void *opaque, int irq)
{
    return irqroute_isa(&((Machine *)opaque)->irq, irq);
}

/* A remote slot's session is machine state too ("remote-com2"): a
 * snapshot carries it, so a fresh process resumes the same session. */
static bool register_remote_session(Machine *m, const char *spec)
{
    char slot[16], name[24];
    size_t n = strcspn(spec, "=");
    snprintf(slot, sizeof slot, "%.*s", (int)(n < sizeof slot ? n : sizeof slot - 1), spec);
    snprintf(name, sizeof name, "remote-%s", slot);
    struct RemoteClient *rc = remote_client_of(&m->io, slot);
    if (rc && devlist_add(&m->devices, &remote_proxy_desc, rc, name))
        return true;
    fprintf(stderr, "kairo: cannot register the remote session of slot '%s'\n", slot);
    return false;
}

static bool attach_remote_slots(Machine *m)
{
    char err[400];
    for (int i = 0; i < m->opt.n_remote; i++) {
        if (!remote_attach(&m->io, &m->clock, m->opt.remote[i], remote_irq_line, m, &m->replay,
                           err, sizeof err)) {
            fprintf(stderr, "kairo: %s\n", err);
            return false;
        }
        if (!register_remote_session(m, m->opt.remote[i]))
            return false;
    }
    return true;
}

/* gdb's `monitor LINE`: one monitor command on a throw-away stream
 * monitor (savevm, loadvm, info ... reach gdb users this way). */
static size_t gdb_monitor_line(void *opaque, const char *line, char *out, size_t outlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return (size_t)snprintf(out, outlen, "out of memory\n");
    Monitor *mon = monitor_new_stream(opaque, f);
    if (mon)
        monitor_execute(mon, line);
    else
        fprintf(f, "out of memory\n");
    monitor_free(mon);
    fclose(f);
    size_t n = len < outlen ? len : outlen;
    memcpy(out, buf, n);
    free(buf);
    return n;
}

/* -s / -gdb / -S: the stub listens now; with -S the first slice waits
 * for gdb to resume the guest. */
static bool gdb_setup(Machine *m)
{
    if (!m->opt.gdb)
        return true;
    char err[300];
    m->gdb = gdb_stub_new(m->opt.gdb, m->cpu, m->opt.start_stopped, err, sizeof err);
    if (!m->gdb) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    gdb_stub_set_monitor(m->gdb, gdb_monitor_line, m);
    /* --reverse's memory log forks at gdb's writes; a log file could not follow. */
    gdb_stub_set_read_only(m->gdb, replay_file_active(&m->replay));
    if (m->tt)
        gdb_stub_set_reverse(m->gdb, tt_gdb_reverse, tt_gdb_fork, m);
    gdb_stub_set_cpus(m->gdb, m->cpus, m->n_cpus);
    return true;
}

/* -monitor: listening now; with -S (and no gdb to resume it) the guest
 * waits for the monitor's `c`. */
static bool monitor_setup(Machine *m)
{
    if (!m->opt.monitor || !strcmp(m->opt.monitor, "vc"))
        return true;   /* vc: the window's console has it (console_setup) */
    char err[300];
    bool wait = m->opt.start_stopped && !m->opt.gdb;
    m->monitor = monitor_new(m->opt.monitor, m, wait, err, sizeof err);
    if (!m->monitor)
        fprintf(stderr, "kairo: %s\n", err);
    return m->monitor != NULL;
}

/* What the window's title shows, read from the devices once a second. */
static void display_counters(void *opaque, DisplayCounters *c)
{
    Machine *m = opaque;
    c->insns = m->cpu->icount - m->cpu->idle_insns;
    c->floppy = m->fdc.activity;
    c->disk = m->ide[0].activity + m->ide[1].activity;
    c->net = 0;
    for (int i = 0; i < m->nics.n_cards; i++) {
        const NicCard *card = &m->nics.cards[i];
        const Dp8390Stats *st = card->model == NIC_NE2K_ISA ? &card->isa.chip.stats
                                                            : &card->pci.chip.stats;
        c->net += st->tx_frames + st->rx_frames;
    }
}

static void console_line(void *opaque, const char *line)
{
    monitor_channel_input(opaque, line);
}

/* While gdb holds the guest: the window, and the monitor answers too. */
static bool gdb_idle(void *opaque)
{
    Machine *m = opaque;
    return display_service_stopped(m->display) || monitor_poll(m->monitor);
}

/* The window's monitor console (Ctrl+Alt+2): without -monitor, or with
 * -monitor vc, it has the monitor (QEMU's default; -S -monitor vc waits
 * for its `c`). While the monitor or the gdb stub holds the guest
 * stopped, the window refreshes (their idle hooks). */
static bool console_setup(Machine *m)
{
    if (m->opt.monitor_none) {
        /* -monitor none / -nodefaults: the console tab stays empty */
    } else if (!m->monitor) {
        bool wait = m->opt.start_stopped && !m->opt.gdb;
        m->monitor = monitor_new_channel(m, wait, display_console_write, m->display);
        if (!m->monitor) {
            fprintf(stderr, "kairo: out of memory for the monitor console\n");
            return false;
        }
        display_console_attach(m->display, console_line, m->monitor);
    } else {
        char msg[300];
        snprintf(msg, sizeof msg, "The monitor is on -monitor %s, not here.\n", m->opt.monitor);
        display_console_write(m->display, msg, strlen(msg));
    }
    monitor_set_idle_hook(m->monitor, display_service_stopped, m->display);
    gdb_stub_set_idle_hook(m->gdb, gdb_idle, m);
    return true;
}

/* The window's Ctrl+Alt+W / Ctrl+Alt+R: save to / load from one quick
 * snapshot file in the current directory. */
#define QUICK_SNAPSHOT "kairo-quick.snap"
static void quick_snapshot(void *opaque, bool load)
{
    Machine *m = opaque;
    char err[400];
    bool ok = load ? replay_host_state_write_allowed(m, "quick load", err, sizeof err) &&
                         snapshot_load(m, QUICK_SNAPSHOT, false, err, sizeof err)
                   : snapshot_save(m, QUICK_SNAPSHOT, err, sizeof err);
    if (ok)
        fprintf(stderr, "kairo: quick %s %s at icount %llu\n", load ? "load from" : "save to",
                QUICK_SNAPSHOT, (unsigned long long)m->cpu->icount);
    else
        fprintf(stderr, "kairo: quick %s: %s\n", load ? "load" : "save", err);
}

/* -display: the window, if one is wanted and can be had (-nographic and
 * --list-slots never want one). */
static bool display_setup(Machine *m)
{
    if (m->opt.list_slots)
        return true;
    if (m->opt.nographic && m->opt.monitor && !strcmp(m->opt.monitor, "vc")) {
        fprintf(stderr, "kairo: -monitor vc needs the display window, not -nographic\n");
        return false;
    }
    if (m->opt.nographic || replay_playing(&m->replay))
        return true;
    const DisplaySources src = { m->has_vga ? &m->vga : NULL, &m->kbc, display_counters, m,
                                 m->opt.vga_bios ? m->opt.vga_bios : SEAVGABIOS,
                                 quick_snapshot };
    char err[300];
    m->opt.display_cfg.title = m->opt.name;   /* -name */
    m->display = display_open(&m->opt.display_cfg, &src, err, sizeof err);
    if (!m->display && err[0])
        fprintf(stderr, "kairo: %s\n", err);
    if (m->display)
        return console_setup(m);
    if (!err[0] && m->opt.monitor && !strcmp(m->opt.monitor, "vc")) {
        fprintf(stderr, "kairo: -monitor vc needs the display window (-display sdl)\n");
        return false;
    }
    return !err[0];
}

/* -loadvm FILE: the machine, fully built, takes the snapshot's state. */
static bool loadvm_setup(Machine *m)
{
    if (!m->opt.loadvm)
        return true;
    char err[400];
    if (!snapshot_load(m, m->opt.loadvm, m->opt.loadvm_force, err, sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
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
    if (opt->cpu_model)
        cpu_set_model(m->cpu, opt->cpu_model);
    clock_init(&m->clock, opt->ips, &m->cpu->icount);
    if (!replay_machine_open(m) || !tt_open(m))
        return false;
    if (!machine_setup_log(m))
        return false;

    /* Consoles */
    if (opt->debugcon) {
        if (!open_chardev(&m->debugcon_out, opt->debugcon, "-debugcon"))
            return false;
        debugcon_init(&m->debugcon, &m->io, "debugcon", 0xE9, &m->debugcon_out);
    }
    if (opt->firmware_log) {
        if (!open_chardev(&m->fwlog_out, opt->firmware_log, "--firmware-log"))
            return false;
        debugcon_init(&m->fwlog, &m->io, "fwlog", 0x402, &m->fwlog_out);
    }
    if (opt->debug_exit &&
        !debugexit_init(&m->debugexit, &m->io, opt->debug_exit_port, opt->debug_exit_size)) {
        fprintf(stderr, "kairo: isa-debug-exit: port 0x%X is taken\n", opt->debug_exit_port);
        return false;
    }
    if (opt->vmport && !hostcall_setup(m))
        return false;

    /* Interrupts, timers, the chipset's ISA devices */
    /* The 8259s' INTR goes to LINT0 of the local APICs (machine/cpus.c). */
    pic_init(&m->pic, apic_bus_pic_intr, &m->apic_bus);
    if (!cpus_init(m))
        return false;
    m->cpu->ferr = ferr_line;
    m->cpu->ferr_opaque = m;
    pit_init(&m->pit, &m->clock, irqroute_isa(&m->irq, 0));
    cmos_init(&m->cmos, &m->clock, irqroute_isa(&m->irq, 8),
              replay_value(&m->replay, RK_RTC, rtc_start_time(opt)));
    dma_init(&m->dma, m->mem);
    const KbcHooks kbc_hooks = { set_a20, request_reset, m };
    i8042_init(&m->kbc, irqroute_isa(&m->irq, 1), irqroute_isa(&m->irq, 12), &kbc_hooks);
    i8042_set_clock(&m->kbc, &m->clock);    /* typematic repeat */
    port92_init(&m->port92, &kbc_hooks, get_a20);

    /* Serial ports: COM1 follows -serial (stdio under -nographic). */
    static const uint16_t com_base[4] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
    static const int com_irq[4] = { 4, 3, 4, 3 };
    static const char *com_name[4] = { "com1", "com2", "com3", "com4" };
    for (int i = 0; i < 4; i++) {
        const char *spec = i == 0 ? (opt->serial ? opt->serial : opt->nographic ? "mon:stdio" : "none")
                                  : (opt->serial_extra[i - 1] ? opt->serial_extra[i - 1] : "none");
        if (!open_chardev(&m->serial_out[i], spec, "-serial"))
            return false;
        if (i == 0 && !expect_setup(m))
            return false;
        uart_init(&m->uart[i], &m->clock, irqroute_isa(&m->irq, com_irq[i]), &m->serial_out[i]);
    }

    const FdcHooks fdc_hooks = { *irqroute_isa(&m->irq, 6), fdc_dma, m };
    fdc_init(&m->fdc, &fdc_hooks);
    const IdeHooks ide0_hooks = { *irqroute_isa(&m->irq, 14) },
                   ide1_hooks = { *irqroute_isa(&m->irq, 15) };
    ide_init(&m->ide[0], m->mem, &ide0_hooks, "ide0");
    ide_init(&m->ide[1], m->mem, &ide1_hooks, "ide1");
    blockdev_set_snapshot(opt->snapshot);
    if (!attach_drives(m, err, sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }

    bool ok = pic_register(&m->pic, &m->io) && pit_register(&m->pit, &m->io) &&
              cmos_register(&m->cmos, &m->io) && dma_register(&m->dma, &m->io) &&
              i8042_register(&m->kbc, &m->io) && port92_register(&m->port92, &m->io) &&
              fdc_register(&m->fdc, &m->io);
    static const PortOps fpu_ops = { fpu_port_read, fpu_port_write, false };
    int fpu_slot = portbus_add_slot(&m->io, "fpu", &fpu_ops, m);
    ok = ok && fpu_slot >= 0 && portbus_map(&m->io, fpu_slot, 0xF0, 2);
    portbus_slot_irq(&m->io, fpu_slot, 13);
    for (int i = 0; i < 4 && ok; i++)
        ok = uart_register(&m->uart[i], &m->io, com_name[i], com_base[i], com_irq[i]);
    ok = ok && ide_register(&m->ide[0], &m->io, "ide0", 0x1F0, 0x3F6, 14) &&
         ide_register(&m->ide[1], &m->io, "ide1", 0x170, 0x376, 15);
    if (!ok) {
        fprintf(stderr, "kairo: device port ranges collide\n");
        return false;
    }

    /* PCI: i440FX, PIIX3 (ISA, IDE), PIIX4 PM, std-vga */
    pci_init(&m->pci, m->mem, &m->io, m->irq.isa);
    m->pci.reset_request = request_reset;
    m->pci.reset_opaque = m;
    if (!pci_register(&m->pci) ||
        !i440fx_init(&m->northbridge, &m->pci, m->mem, &m->ide[0], &m->ide[1]) ||
        !acpi_pm_init(&m->acpi, &m->pci, &m->clock, irqroute_isa(&m->irq, 9), request_poweroff,
                      m)) {
        fprintf(stderr, "kairo: cannot build the PCI chipset\n");
        return false;
    }
    if (!opt->vga_none) {
        if (!vga_init(&m->vga, m->mem, &m->clock, 16) || !vga_register(&m->vga, &m->io)) {
            fprintf(stderr, "kairo: cannot create the VGA\n");
            return false;
        }
        m->has_vga = true;
        /* -vga-bios FILE must exist; the default one is used if installed
         * (without it SeaBIOS has no VGA BIOS and the screen stays blank). */
        const char *path = opt->vga_bios ? opt->vga_bios : SEAVGABIOS;
        FILE *probe = fopen(path, "rb");
        if (!probe && opt->vga_bios) {
            fprintf(stderr, "kairo: -vga-bios %s: %s\n", path, strerror(errno));
            return false;
        }
        const char *rom = probe ? path : NULL;
        if (probe)
            fclose(probe);
        if (!vga_pci_init(&m->vga_pci, &m->pci, &m->vga, rom, err, sizeof err)) {
            fprintf(stderr, "kairo: %s\n", err);
            return false;
        }
    }
    /* Network cards: after the PCI bus and the VGA (slot 2), so the first
     * PCI card takes slot 3 as in QEMU. */
    if (!nic_setup(&m->nics, &opt->net, &m->io, &m->pci, m->irq.isa, err, sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    if (!machine_register_components(m))
        return false;
    replay_machine_attach(m);
    if (!fwcfg_setup(m)) {
        if (!m->opt.kernel)
            fprintf(stderr, "kairo: cannot set up fw_cfg\n");
        return false;
    }
    cmos_setup(m);
    return attach_remote_slots(m) && loadvm_setup(m) && gdb_setup(m) && monitor_setup(m) &&
           display_setup(m);
}

void machine_reset(Machine *m)
{
    devlist_reset_all(&m->devices);
}

void machine_list_slots(const Machine *m, FILE *out)
{
    fprintf(out, "%-10s %-28s %s\n", "slot", "ports", "irqs");
    for (int i = 0; i < m->io.n_slots; i++) {
        const PortSlot *s = &m->io.slots[i];
        char ports[128] = "";
        size_t n = 0;
        for (int r = 0; r < s->n_ranges && n < sizeof ports - 16; r++)
            n += (size_t)snprintf(ports + n, sizeof ports - n, "%s0x%X-0x%X", r ? "," : "",
                                  s->ranges[r].first,
                                  s->ranges[r].first + s->ranges[r].count - 1);
        char irqs[32] = "";
        size_t k = 0;
        for (int q = 0; q < s->n_irqs; q++)
            k += (size_t)snprintf(irqs + k, sizeof irqs - k, "%s%d", q ? "," : "", s->irqs[q]);
        fprintf(out, "%-10s %-28s %s\n", s->name, n ? ports : "-", k ? irqs : "-");
    }
}

/* How many instructions to run before looking at the world again: the
 * next timer, the instruction limit, and a slice for signals/timeouts. */
static uint64_t next_slice(Machine *m)
{
    /* With a window, shorter slices: its 60 Hz refresh is checked between
     * them. Record and replay take the window's length either way: a
     * replay has no window, and its slices must end where the recording's
     * did (blocks split there, and an access inside a block sees the count
     * at the block's end). */
    uint64_t n = m->display || m->replay.mode != REPLAY_OFF ? 250000 : 1000000;
    if (m->n_cpus > 1)
        n = SMP_SLICE_INSNS;
    uint64_t t = clock_insns_to_next(&m->clock);
    if (t < n)
        n = t ? t : 1;
    /* With a network backend, look at it every 100 us of guest time. */
    uint64_t net_slice = m->clock.ips / 10000 > 1000 ? m->clock.ips / 10000 : 1000;
    if (m->nics.n_netdevs && n > net_slice && nic_guest_started(&m->nics))
        n = net_slice;
    if (m->opt.max_insns) {
        uint64_t left = m->opt.max_insns - m->cpu->icount;
        if (left < n)
            n = left;
    }
    /* --save-at: the slice ends exactly at the next save point. */
    if (m->next_save < m->opt.n_save_at) {
        uint64_t left = m->opt.save_at[m->next_save].icount - m->cpu->icount;
        if (left < n)
            n = left;
    }
    return tt_slice(m, replay_machine_slice(m, n));
}

/* --save-at points reached by the slice just run; false (reported) when a
 * snapshot cannot be written. */
static bool save_points(Machine *m)
{
    while (m->next_save < m->opt.n_save_at &&
           m->opt.save_at[m->next_save].icount == m->cpu->icount) {
        const char *path = m->opt.save_at[m->next_save++].path;
        char err[400];
        if (!snapshot_save(m, path, err, sizeof err)) {
            fprintf(stderr, "kairo: %s\n", err);
            return false;
        }
        fprintf(stderr, "kairo: snapshot %s saved at icount %llu\n", path,
                (unsigned long long)m->cpu->icount);
    }
    return true;
}

/* A halted guest with interrupts on and nothing pending: it waits for a
 * timer or a device, and may do so in host time. */
static bool guest_waiting(const Machine *m)
{
    return cpus_all_waiting(m);
}

static uint64_t insns_to_ns(const Machine *m, uint64_t insns)
{
    return insns * 1000000000ull / m->clock.ips;
}

/* A waiting guest's clock advances by the host time it waited (at most
 * budget instructions); returns the instructions credited. */
static uint64_t credit_host_wait(Machine *m, uint64_t waited_ns, uint64_t budget)
{
    uint64_t insns = waited_ns * m->clock.ips / 1000000000ull;
    if (replay_playing(&m->replay))
        insns = 0;   /* history run again (--reverse): the log has the credits */
    if (insns > budget)
        insns = budget;
    replay_machine_credit(m, insns);   /* at the count before the credit */
    m->cpu->icount += insns;
    m->cpu->idle_insns += insns;
    return insns;
}

/* Networking between slices: poll the backends; while the guest idles
 * (halted, interrupts on, none pending) wait for them in host time up to the
 * next timer and let guest time advance by the wait, so an idle guest's
 * clock keeps pace with the network (runs with a netdev are not
 * deterministic anyway). */
static void net_service(Machine *m)
{
    Cpu *cpu = m->cpu;
    uint64_t budget_insns = guest_waiting(m) && nic_guest_started(&m->nics)
                                ? clock_insns_to_next(&m->clock) : 0;
    if (m->opt.max_insns && m->opt.max_insns - cpu->icount < budget_insns)
        budget_insns = m->opt.max_insns - cpu->icount;
    uint64_t budget_ns = budget_insns / m->clock.ips >= 1 ? 1000000000ull
                                                          : insns_to_ns(m, budget_insns);
    credit_host_wait(m, nic_service(&m->nics, budget_ns), budget_insns);
}

bool machine_screendump(Machine *m, const char *path)
{
    return machine_screendump_as(m, path, screendump_format_of(path));
}

bool machine_screendump_as(Machine *m, const char *path, int format)
{
    if (!m->has_vga) {
        fprintf(stderr, "kairo: screendump: the machine has no display (-vga none)\n");
        return false;
    }
    const VgaFrame *f = vga_render(&m->vga);
    char err[300];
    if (!screendump_write(path, (ScreendumpFormat)format, f->pixels, f->width, f->height, err,
                          sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    return true;
}

/* -no-shutdown: a guest power-off stops the guest, as QEMU's does; the
 * monitor (or gdb, or a signal) decides what comes next, and a reset
 * (system_reset) starts it again. */
static void guest_shut_down(Machine *m)
{
    m->poweroff_requested = false;
    m->shut_down = true;
    fprintf(stderr, "kairo: guest powered off; stopped (-no-shutdown): system_reset restarts "
                    "it, quit ends the run\n");
}

/* While shut down nothing runs: the loop only serves the monitor, gdb,
 * the window and signals, a few times a second. */
static void wait_shut_down(Machine *m)
{
    if (!m->display) {
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    if (m->reset_requested)
        m->shut_down = false;
}

/* A host signal ends the run: SIGALRM is --timeout (armed in machine_run,
 * so it fires even while a debugger holds the guest), the others
 * SIGINT/SIGTERM. Prints why and returns the exit status. */
static int signal_status(const Machine *m, int sig)
{
    const Cpu *cpu = m->cpu;
    if (sig == SIGALRM) {
        fprintf(stderr, "kairo: timeout (%.1f s) reached at %04X:%08X%s\n", m->opt.timeout_s,
                cpu->seg[SEG_CS].sel, cpu->eip, cpu->halted ? " (halted)" : "");
        return EXIT_LIMIT;
    }
    fprintf(stderr, "kairo: stopped by signal %d\n", sig);
    return EXIT_SIGNAL;
}

/* What a debugger (gdb stub or monitor) decided between slices: true to go
 * on; false, with *status set and the reason printed, when it ended the
 * run (quit, with status 0) or a host signal stopped it. */
static bool debugger_lets_run(const Machine *m, bool quit, const char *quit_why,
                              bool host_signal, volatile sig_atomic_t *stop_signal, int *status)
{
    if (quit) {
        fprintf(stderr, "kairo: %s\n", quit_why);
        *status = EXIT_OK;
        return false;
    }
    if (host_signal) {
        *status = signal_status(m, (int)*stop_signal);
        return false;
    }
    return true;
}

/* The gdb stub between slices: it may hold the guest stopped (and block)
 * until gdb resumes it. False, with *status set, when the run must end. */
static bool gdb_between_slices(Machine *m, volatile sig_atomic_t *stop_signal, int *status)
{
    GdbVerdict v = gdb_stub_service(m->gdb, stop_signal);
    return debugger_lets_run(m, v == GDB_KILL, "killed by gdb", v == GDB_HOST_SIGNAL, stop_signal,
                             status);
}

/* The monitor between slices: like the gdb stub, it may hold the guest
 * stopped. False, with *status set, when the run must end. */
static bool monitor_between_slices(Machine *m, volatile sig_atomic_t *stop_signal, int *status)
{
    MonVerdict v = monitor_service(m->monitor, stop_signal);
    return debugger_lets_run(m, v == MON_QUIT, "quit from the monitor", v == MON_HOST_SIGNAL,
                             stop_signal, status);
}

/* QMP between slices: answers, events, and `stop` holding the guest.
 * False, with *status set, when the run must end. */
static bool qmp_between_slices(Machine *m, volatile sig_atomic_t *stop_signal, int *status)
{
    QmpVerdict v = qmp_service(m->qmp, stop_signal);
    if (v == QMP_QUIT)
        qmp_event(m->qmp, "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
    return debugger_lets_run(m, v == QMP_QUIT, "quit from QMP", v == QMP_HOST_SIGNAL,
                             stop_signal, status);
}

/* -qmp: listening (and, without wait=off, waiting for the client) before
 * the first slice. */
static bool qmp_setup(Machine *m)
{
    if (!m->opt.qmp)
        return true;
    char err[300];
    m->qmp = qmp_new(m->opt.qmp, m, err, sizeof err);
    if (!m->qmp)
        fprintf(stderr, "kairo: %s\n", err);
    return m->qmp != NULL;
}

/* The window between slices: a refresh and input at 60 Hz of host time.
 * While the guest idles, its wait for the next timer happens in host time
 * (as with a network backend), so an idle guest's clock keeps pace with
 * the wall clock: the cursor blinks and keys repeat at their real rates.
 * The slice shrinks by what was waited. False when the window closed. */
static bool display_between_slices(Machine *m, uint64_t *slice)
{
    uint64_t idle_ns = guest_waiting(m) ? insns_to_ns(m, *slice) : 0;
    bool quit = false;
    uint64_t credit = credit_host_wait(m, display_service(m->display, idle_ns, &quit), *slice);
    /* A recording cuts the slice after a credit as the replay will, which
     * applies the credit between slices and then picks the slice (with a
     * slice ending elsewhere, the CPU's blocks split elsewhere and an
     * access inside one sees another count). */
    if (credit)
        *slice = replay_recording(&m->replay) ? next_slice(m) : *slice - credit;
    return !quit;
}

/* --- the multiplexed console (mon:stdio, -nographic): Ctrl-A escapes --- */

/* The monitor's answers reach the terminal only while it has it (C-a c). */
static void console_monitor_out(void *opaque, const char *text, size_t len)
{
    Machine *m = opaque;
    if (m->serial_out[0].to_monitor && write(STDOUT_FILENO, text, len) < 0)
        m->serial_out[0].to_monitor = false;   /* the terminal is gone */
}

static void console_monitor_line(void *opaque, const char *line)
{
    monitor_channel_input(((Machine *)opaque)->monitor, line);
}

/* While the monitor holds the guest stopped, the terminal still feeds it
 * (and C-a x still quits); the guest's share of the input is dropped. */
static bool console_monitor_idle(void *opaque)
{
    Machine *m = opaque;
    CharDev *c = &m->serial_out[0];
    uint8_t scratch[64];
    if (chardev_wait_input(c, 5))
        chardev_read(c, scratch, sizeof scratch);
    return c->quit_requested;
}

/* COM1 on mon:stdio with no other monitor: C-a c reaches one of its own. */
static void console_monitor_setup(Machine *m)
{
    CharDev *c = &m->serial_out[0];
    if (!c->mux || m->monitor || m->display)
        return;
    bool wait = m->opt.start_stopped && !m->opt.gdb;
    m->monitor = monitor_new_channel(m, wait, console_monitor_out, m);
    if (!m->monitor)
        return;   /* out of memory: C-a c says there is no monitor */
    m->console_monitor = true;
    c->monitor_line = console_monitor_line;
    c->monitor_opaque = m;
    c->to_monitor = wait;   /* -S: the terminal starts in the monitor */
    monitor_set_idle_hook(m->monitor, console_monitor_idle, m);
}

/* C-a s flushes the disks; C-a x ends the run (true). */
static bool console_wants_quit(Machine *m)
{
    CharDev *c = &m->serial_out[0];
    if (c->flush_requested) {
        c->flush_requested = false;
        fdc_flush(&m->fdc);
        ide_flush(&m->ide[0]);
        ide_flush(&m->ide[1]);
    }
    return c->quit_requested;
}

/* Something that can still act on a stopped guest: the window, gdb, a
 * monitor (the console's own one once the user has opened it). */
static bool anything_attached(const Machine *m)
{
    bool console_used = m->console_monitor && m->serial_out[0].to_monitor;
    return m->display || m->gdb || m->qmp ||
           (m->monitor && (!m->console_monitor || console_used));
}

/* With IF clear only an NMI could wake a halted CPU, and no device here
 * raises one: the guest has stopped. Alone, that ends the run; with a
 * window, monitor or debugger attached the machine says so once and waits
 * (a reset, gdb or the monitor may still act). True when the run ends. */
static bool halted_for_good(Machine *m)
{
    Cpu *cpu = m->cpu;
    if (!cpus_all_stopped(m)) {
        m->halt_reported = false;
        return false;
    }
    if (!anything_attached(m)) {
        fprintf(stderr, "kairo: guest halted with interrupts disabled at %04X:%08X\n",
                cpu->seg[SEG_CS].sel, cpu->eip);
        return true;
    }
    if (!m->halt_reported)
        fprintf(stderr, "kairo: halted (interrupts disabled) at %04X:%08X; waiting\n",
                cpu->seg[SEG_CS].sel, cpu->eip);
    m->halt_reported = true;
    return false;
}

/* --timeout as a host alarm: it also fires while a debugger holds the
 * guest stopped, where the loop below does not run (main catches SIGALRM). */
static void arm_timeout(double seconds)
{
    struct itimerval it = { 0 };   /* 0: disarmed */
    if (seconds <= 0) {
        setitimer(ITIMER_REAL, &it, NULL);
        return;
    }
    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    if (!it.it_value.tv_sec && !it.it_value.tv_usec)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

/* --- ACPI S3: suspend to RAM --- */

static void request_suspend(void *opaque)
{
    Machine *m = opaque;
    m->suspend_requested = true;
    m->cpu->stop_request = true;
}

/* The RTC alarm wakes the machine when the guest enabled it as a wake
 * event (PM1_EN.RTC_EN) and the alarm flag (register C, AF) is up. */
static bool rtc_alarm_wakes(const Machine *m)
{
    return (m->cmos.ram[0x0C] & 0x20) && (m->acpi.pm1_en & 0x0400);
}

/* Waking is a reset with RAM kept: the BIOS sees the S3 resume code in
 * the CMOS shutdown byte (0x0F = 0xFE) and jumps to the OS's waking vector;
 * the OS sees WAK_STS (and RTC_STS) in PM1. */
static void wake_from_s3(Machine *m, bool by_rtc)
{
    fprintf(stderr, "kairo: guest woken from S3 (%s)\n", by_rtc ? "RTC alarm" : "wake-up request");
    m->suspended = m->wake_requested = false;
    /* The shadowed BIOS survives the wake-up reset, as on QEMU: SeaBIOS
     * finds its resume path (and its data) only in the shadow RAM, so the
     * host bridge's PAM registers (0x59-0x5F) are written back after the
     * reset, through the configuration ports as the firmware would. */
    uint8_t pam[7];
    memcpy(pam, &m->northbridge.host.config[0x59], sizeof pam);
    machine_reset(m);
    for (unsigned i = 0; i < sizeof pam; i++) {
        unsigned reg = 0x59 + i;
        pci_port_write(&m->pci, 0xCF8, 4, 0x80000000u | (reg & ~3u));
        pci_port_write(&m->pci, (uint16_t)(0xCFC + (reg & 3)), 1, pam[i]);
    }
    cmos_set(&m->cmos, 0x0F, 0xFE);
    acpi_pm_resume(&m->acpi, by_rtc);
    qmp_event(m->qmp, "WAKEUP", NULL);
}

/* A suspended machine's slice: no CPU, guest time moves on to the next
 * timer (paced like a halted guest), and a wake-up source is looked at. */
static void suspended_slice(Machine *m, uint64_t slice)
{
    m->cpu->icount += slice;
    m->cpu->idle_insns += slice;
    clock_run_timers(&m->clock);
    pacer_wait(&m->pace, clock_ns(&m->clock), 20000000);
    bool rtc = rtc_alarm_wakes(m);
    if (rtc || m->wake_requested)
        wake_from_s3(m, rtc);
}

/* One slice of the CPU, or, for a guest halted for good while something
 * attached waits, a short host sleep instead (its clock stands still). */
static void run_slice(Machine *m, uint64_t slice)
{
    if (m->suspended) {
        suspended_slice(m, slice);
        return;
    }
    if (m->halt_reported) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
        return;
    }
    if (slice)
        cpus_run_slice(m, slice);
    clock_run_timers(&m->clock);
    /* Real-time pacing: a guest ahead of the wall clock waits for it
     * (at most 20 ms at a time, so signals and devices stay responsive). */
    pacer_wait(&m->pace, clock_ns(&m->clock), 20000000);
    pacer_adapt(&m->pace, &m->clock, m->cpu->icount - m->cpu->idle_insns);
}

/* What the devices asked for during the slice: true, with *status set,
 * when the run ends (debug exit, power-off, a reset or triple fault under
 * -no-reboot); resets the machine otherwise. */
static bool guest_requests_end(Machine *m, int *status)
{
    Cpu *cpu = m->cpu;
    if (m->debugexit.requested) {
        *status = m->debugexit.status;
        return true;
    }
    if (m->poweroff_requested) {
        qmp_event(m->qmp, "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}");
        if (m->opt.no_shutdown) {
            guest_shut_down(m);
            qmp_event(m->qmp, "STOP", NULL);   /* QEMU: SHUTDOWN, then STOP */
        } else {
            fprintf(stderr, "kairo: guest powered off\n");
            *status = EXIT_OK;
            return true;
        }
    }
    if (m->suspend_requested) {
        m->suspend_requested = false;
        m->suspended = true;
        fprintf(stderr, "kairo: guest suspended to RAM (S3)\n");
        qmp_event(m->qmp, "SUSPEND", NULL);
    }
    if (m->reset_requested) {
        qmp_event(m->qmp, "RESET", m->reset_by_host
                                       ? "{\"guest\": false, \"reason\": \"host-qmp-system-reset\"}"
                                       : "{\"guest\": true, \"reason\": \"guest-reset\"}");
        m->reset_by_host = false;
        if (cpu->log_mask & CPU_LOG_RESET)
            fprintf(stderr, "kairo: reset requested by the guest\n");
        if (m->opt.no_reboot) {
            fprintf(stderr, "kairo: guest reset, stopping (-no-reboot)\n");
            *status = EXIT_OK;
            return true;
        }
        machine_reset(m);
    }
    if (cpu->triple_fault) {
        if (m->opt.no_reboot) {
            fprintf(stderr, "kairo: triple fault at %04X:%08X, stopping (-no-reboot)\n",
                    cpu->seg[SEG_CS].sel, cpu->eip);
            *status = EXIT_TRIPLE_FAULT;
            return true;
        }
        if (cpu->log_mask & CPU_LOG_RESET)
            fprintf(stderr, "kairo: triple fault at %04X:%08X: resetting the machine\n",
                    cpu->seg[SEG_CS].sel, cpu->eip);
        machine_reset(m);
    }
    return false;
}

/* The harness between slices: the VGA text screen for a screen step (at
 * most every 50 ms of host time), the step's time limit, a fail pattern,
 * and --expect-exit. True, with *status set, when the run ends. */
static bool expect_ends_run(Machine *m, int *status)
{
    double now = host_seconds();
    if (expect_wants_screen(&m->expect) && m->has_vga && now - m->screen_checked >= 0.05) {
        static char text[16384];
        m->screen_checked = now;
        if (vga_text_dump(&m->vga, text, sizeof text))
            expect_screen(&m->expect, text, strlen(text));
    }
    if (!expect_check(&m->expect, now)) {
        *status = EXIT_EXPECT;
        return true;
    }
    if (m->opt.expect_exit && !expect_active(&m->expect)) {
        fprintf(stderr, "kairo: the last expect step matched (--expect-exit)\n");
        *status = EXIT_OK;
        return true;
    }
    return false;
}

int machine_run(Machine *m, volatile sig_atomic_t *stop_signal)
{
    Cpu *cpu = m->cpu;
    double t0 = host_seconds();
    int status = EXIT_OK;
    console_monitor_setup(m);
    acpi_pm_set_suspend_hook(&m->acpi, request_suspend);
    if (!qmp_setup(m))
        return EXIT_ERROR;
    if (m->opt.start_stopped && m->qmp && !m->opt.gdb && !m->opt.monitor)
        qmp_stop_at_start(m->qmp);
    pacer_start(&m->pace, !m->opt.deterministic && !m->opt.icount_nosleep &&
                              !replay_playing(&m->replay),
                /* A recorded run keeps one rate: a rate that followed the
                 * host's speed would move every timer in the replay. */
                !m->opt.ips_fixed && !replay_recording(&m->replay), clock_ns(&m->clock));
    arm_timeout(m->opt.timeout_s);
    for (;;) {
        if (m->opt.max_insns && cpu->icount >= m->opt.max_insns) {
            fprintf(stderr, "kairo: instruction limit (%llu) reached at %04X:%08X\n",
                    (unsigned long long)m->opt.max_insns, cpu->seg[SEG_CS].sel, cpu->eip);
            status = EXIT_LIMIT;
            break;
        }
        if (m->gdb && !gdb_between_slices(m, stop_signal, &status))
            break;
        if (m->monitor && !monitor_between_slices(m, stop_signal, &status))
            break;
        if (m->qmp && !qmp_between_slices(m, stop_signal, &status))
            break;
        if (console_wants_quit(m))
            break;   /* status 0, as QEMU's C-a x */
        if (!replay_machine_between_slices(m))
            break;   /* the log's end, or a divergence (replay_machine_finish) */
        tt_between_slices(m);   /* --reverse: a checkpoint, or the end of history */
        if (m->nics.n_netdevs && !replay_playing(&m->replay))
            net_service(m);
        uint64_t slice = m->shut_down ? 0 : next_slice(m);
        if (m->shut_down)
            wait_shut_down(m);
        if (m->display && !display_between_slices(m, &slice)) {
            fprintf(stderr, "kairo: display window closed\n");
            status = EXIT_OK;
            break;
        }
        m->replay.in_slice = true;
        run_slice(m, slice);
        m->replay.in_slice = false;   /* monitor, QMP input: between slices */
        if (m->next_save < m->opt.n_save_at && !save_points(m)) {
            status = EXIT_ERROR;
            break;
        }
        if (guest_requests_end(m, &status))
            break;
        if (halted_for_good(m)) {
            status = EXIT_HALTED;
            break;
        }
        if (*stop_signal && !(m->monitor && monitor_owns_signal(m->monitor, (int)*stop_signal))) {
            status = signal_status(m, (int)*stop_signal);
            break;
        }
        if (m->has_expect && !replay_playing(&m->replay) && expect_ends_run(m, &status))
            break;
        if (m->opt.timeout_s > 0 && host_seconds() - t0 >= m->opt.timeout_s) {
            status = signal_status(m, SIGALRM);
            break;
        }
    }
    arm_timeout(0);
    status = replay_machine_finish(m, status);
    double secs = host_seconds() - t0;
    /* The run ended with the script unfinished: that is a failure too. */
    if (m->has_expect && status != EXIT_EXPECT && !expect_check(&m->expect, host_seconds()))
        status = EXIT_EXPECT;   /* a fail pattern in the last output */
    if (m->has_expect && expect_active(&m->expect) && status != EXIT_EXPECT) {
        fprintf(stderr, "kairo: the run ended before expect/send step %d of %d\n",
                m->expect.cur + 1, m->expect.n_steps);
        status = EXIT_EXPECT;
    }
    if (m->opt.screendump && !machine_screendump(m, m->opt.screendump) && status == EXIT_OK)
        status = EXIT_ERROR;
    if (m->opt.dump_text && m->has_vga) {
        static char text[16384];
        if (vga_text_dump(&m->vga, text, sizeof text))
            fputs(text, stdout);
        else
            fprintf(stderr, "kairo: --dump-text: the VGA is in a graphics mode\n");
    }
    if (m->opt.stats) {
        uint64_t executed = cpu->icount - cpu->idle_insns;
        double mips = secs > 0 ? (double)executed / secs / 1e6 : 0;
        fprintf(stderr, "kairo: %llu instructions in %.3f s (%.1f MIPS)\n",
                (unsigned long long)executed, secs, mips);
        cpus_print_stats(m, stderr);
        if (m->pace.on)
            fprintf(stderr, "kairo: paced to the host clock: %.3f s asleep, guest %.3f s, "
                            "%.1f M guest instructions/s%s\n",
                    (double)m->pace.slept_ns * 1e-9, (double)clock_ns(&m->clock) * 1e-9,
                    (double)m->clock.ips * 1e-6, m->pace.adaptive ? " (adaptive)" : "");
        IcacheStats is = icache_stats(cpu->icache);
        fprintf(stderr, "kairo: block cache: %llu lookups, %llu decoded, %llu invalidated, "
                        "%llu flushes\n",
                (unsigned long long)is.lookups, (unsigned long long)is.misses,
                (unsigned long long)is.invalidations, (unsigned long long)is.flushes);
        nic_print_stats(&m->nics, stderr);
    }
    if (m->opt.remote_stats)
        remote_print_stats(&m->io, stderr);
    for (int i = m->next_save; i < m->opt.n_save_at; i++)
        fprintf(stderr, "kairo: --save-at %llu:%s: the run ended before that count\n",
                (unsigned long long)m->opt.save_at[i].icount, m->opt.save_at[i].path);
    if (m->opt.state_hash || (replay_playing(&m->replay) && status == EXIT_OK))
        fprintf(stderr, "kairo: state hash %016llx icount %llu\n",
                (unsigned long long)machine_state_hash(m), (unsigned long long)cpu->icount);
    if (m->gdb)
        gdb_stub_report_exit(m->gdb, status);   /* gdb sees the exit status */
    monitor_report_exit(m->monitor, status);
    qmp_free(m->qmp);
    m->qmp = NULL;
    return status;
}

void machine_destroy(Machine *m)
{
    remote_detach_all(&m->io);     /* posted writes reach the port server */
    replay_machine_close(m);
    tt_close(m);
    /* Every component in reverse order of registration: the disks flush
     * what the guest wrote to their image files. */
    devlist_teardown_all(&m->devices);
    if (m->cpu)
        trace_teardown(m->cpu, &m->io);   /* the --trace file is complete */
    log_configure(0, NULL);
    if (m->log)
        fclose(m->log);
    chardev_flush(&m->debugcon_out);
    chardev_close(&m->debugcon_out);
    chardev_close(&m->fwlog_out);
    for (int i = 0; i < 4; i++)
        chardev_close(&m->serial_out[i]);
    if (m->has_expect)
        expect_free(&m->expect);
    gdb_stub_free(m->gdb);
    display_close(m->display);
    monitor_free(m->monitor);
    for (int i = 1; i < m->n_cpus; i++)
        cpu_free(m->cpus[i]);
    cpu_free(m->cpu);
    phys_free(m->mem);
}
