/* SPDX-License-Identifier: MIT */
/* A whole PC: memory, port bus, CPU, clock and the PC/AT devices. */
#ifndef KAIRO_MACHINE_H
#define KAIRO_MACHINE_H

#include <signal.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "iodev/acpi_pm.h"
#include "iodev/apic.h"
#include "iodev/chardev.h"
#include "iodev/cmos.h"
#include "iodev/debugcon.h"
#include "iodev/debugexit.h"
#include "iodev/vmport.h"
#include "iodev/device.h"
#include "iodev/dma.h"
#include "iodev/expect.h"
#include "iodev/fdc.h"
#include "iodev/fwcfg.h"
#include "iodev/i440fx.h"
#include "iodev/i8042.h"
#include "iodev/ne2k/nic_setup.h"
#include "iodev/ide.h"
#include "iodev/ioapic.h"
#include "iodev/irqroute.h"
#include "iodev/pci.h"
#include "iodev/pic.h"
#include "iodev/pit.h"
#include "iodev/port92.h"
#include "iodev/portbus.h"
#include "iodev/uart.h"
#include "iodev/vga.h"
#include "iodev/vga_pci.h"
#include "machine/clock.h"
#include "machine/options.h"
#include "machine/snapshot.h"
#include "machine/pace.h"
#include "machine/replay.h"

typedef struct Machine {
    Options opt;
    PhysMem *mem;
    PortBus io;
    Cpu *cpu;               /* the bootstrap processor, = cpus[0] */
    Cpu *cpus[APIC_MAX_CPUS];   /* -smp: every CPU (machine/cpus.c) */
    int n_cpus;
    uint64_t tsc_floor;     /* -smp > 1: the highest TSC read (cpu_tsc_across_cpus) */
    int slice_next;         /* a debugger stopped the slice: CPUs from this one ... */
    uint64_t slice_end;     /* ... still run to this count first (machine/cpus.c) */
    Lapic lapic[APIC_MAX_CPUS]; /* each CPU's local APIC */
    ApicBus apic_bus;
    IoApic ioapic;
    IrqRouter irq;          /* ISA/PCI lines to the 8259s and the I/O APIC */
    Clock clock;
    CharDev debugcon_out, fwlog_out, serial_out[4];
    DebugCon debugcon, fwlog;
    DebugExit debugexit;
    Vmport vmport;              /* -device vmport (machine/hostcall.c) */
    PicPair pic;
    Pit pit;
    Cmos cmos;
    Dma dma;
    I8042 kbc;
    Port92 port92;
    Uart uart[4];
    Fdc fdc;
    IdeChannel ide[2];
    PciBus pci;
    I440fx northbridge;
    AcpiPm acpi;
    Vga vga;
    VgaPci vga_pci;
    bool has_vga;
    FwCfg fwcfg;
    bool reset_requested;
    bool poweroff_requested;
    bool shut_down;            /* -no-shutdown: powered off, waiting for a reset */
    FILE *log;              /* -D file */
    NicSet nics;            /* network cards and their backends */
    ExpectScript expect;    /* --expect/--send on COM1 */
    bool has_expect;
    double screen_checked;  /* host seconds: the last look for an --expect-screen */
    struct GdbStub *gdb;    /* -s / -gdb: the gdb stub, or NULL */
    struct Display *display;    /* -display sdl: the window, or NULL */
    struct Monitor *monitor;    /* -monitor: the debugger monitor, or NULL */
    DeviceList devices;     /* every component: reset, teardown, info, snapshots */
    SnapshotHistory snapshots;  /* saved and loaded in this run (info snapshots) */
    int next_save;          /* the first --save-at point still ahead */
    struct Qmp *qmp;        /* -qmp: the QMP server, or NULL */
    bool suspend_requested; /* the guest asked for S3 (ACPI SLP_TYP 1) */
    bool suspended;         /* in S3: no CPU, the clock and its timers run on */
    bool wake_requested;    /* QMP system_wakeup or a key while suspended */
    bool reset_by_host;     /* the reset came from QMP (the RESET event says so) */
    Pacer pace;             /* guest time follows host time (unless --deterministic) */
    bool console_monitor;   /* the monitor is COM1's mon:stdio one (C-a c) */
    bool halt_reported;     /* "halted" printed while something attached waits */
    Replay replay;          /* -record / -replay (machine/replay.h) */
    struct TimeTravel *tt;  /* --reverse: history (machine/timetravel.h), or NULL */
} Machine;

/* Exit statuses of a run that did not end through the guest's exit port. */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,          /* bad options, missing image... */
    EXIT_TRIPLE_FAULT = 2,   /* with -no-reboot */
    EXIT_LIMIT = 3,          /* --max-insns or --timeout reached */
    EXIT_HALTED = 0,         /* halted with interrupts off and nothing to wake it */
    EXIT_EXPECT = 4,         /* an --expect step timed out */
    EXIT_SIGNAL = 5,         /* SIGINT / SIGTERM */
};

/* Build the machine from options; prints a one-line error and returns
 * false on failure. */
bool machine_init(Machine *m, const Options *opt);
/* Run until the guest or a limit ends the run; returns the exit status. */
int machine_run(Machine *m, volatile sig_atomic_t *stop_signal);
/* Write the screen (-screendump, the monitor) as PNG for a .png name, PPM
 * otherwise (QEMU's format); false, with a message printed, on failure. */
bool machine_screendump(Machine *m, const char *path);
/* The same in a given format (ScreendumpFormat of gui/screendump.h). */
bool machine_screendump_as(Machine *m, const char *path, int format);
/* Print the slot table (--list-slots). */
void machine_list_slots(const Machine *m, FILE *out);
/* Every component back to its power-on state (a reset line); RAM and
 * the disks stay. */
void machine_reset(Machine *m);
/* Flush disks and close everything (safe after a failed init). */
void machine_destroy(Machine *m);

#endif
