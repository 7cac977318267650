/* A whole PC: memory, port bus, CPU, clock and devices. */
#ifndef KAIRO_MACHINE_H
#define KAIRO_MACHINE_H

#include <signal.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "iodev/chardev.h"
#include "iodev/debugcon.h"
#include "iodev/debugexit.h"
#include "iodev/portbus.h"
#include "machine/clock.h"
#include "machine/options.h"

typedef struct Machine {
    Options opt;
    PhysMem *mem;
    PortBus io;
    Cpu *cpu;
    Clock clock;
    CharDev debugcon_out;
    DebugCon debugcon;
    DebugExit debugexit;
    FILE *log;              /* -D file */
} Machine;

/* Exit statuses of a run that did not end through the guest's exit port. */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,          /* bad options, missing image... */
    EXIT_TRIPLE_FAULT = 2,   /* with -no-reboot */
    EXIT_LIMIT = 3,          /* --max-insns or --timeout reached */
    EXIT_HALTED = 0,         /* halted with interrupts off and nothing to wake it */
    EXIT_SIGNAL = 5,         /* SIGINT / SIGTERM */
};

/* Build the machine from options; prints a one-line error and returns
 * false on failure. */
bool machine_init(Machine *m, const Options *opt);
/* Run until the guest or a limit ends the run; returns the exit status. */
int machine_run(Machine *m, volatile sig_atomic_t *stop_signal);
void machine_destroy(Machine *m);

#endif
