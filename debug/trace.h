/* SPDX-License-Identifier: MIT */
/* Tracing: -d exec,cpu,int,io,mmu as text, --trace FILE as a compressed
 * binary trace, --trace-filter, and the flight recorder's hooks.
 *
 * A Cpu with cpu->tracer set reports interrupts (cpu/interrupt.c) and MMU
 * events (cpu/paging.c) here, each hook one branch on a NULL pointer when
 * tracing is off; port I/O comes as an observer of the port bus
 * (portbus_add_observer), registered only while io is traced. Per-instruction
 * records come from the traced loop (cpu/trace_loop.c), which cpu_run hands
 * over to once per call when cpu->trace_loop is set: the normal loop pays
 * nothing. */
#ifndef KAIRO_TRACE_H
#define KAIRO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "debug/trace_format.h"

/* Trace items (-d ITEMS, --trace-items ITEMS) */
#define TRACE_EXEC 0x01u   /* every instruction: CS:EIP, bytes, disassembly */
#define TRACE_CPU 0x02u    /* registers before each instruction */
#define TRACE_INT 0x04u    /* interrupts and exceptions */
#define TRACE_IO 0x08u     /* port I/O */
#define TRACE_MMU 0x10u    /* page walks, page faults, TLB flushes */
#define TRACE_ALL_ITEMS 0x1Fu

/* The bit of a trace item name, 0 if it is none. */
unsigned trace_item_bit(const char *name);
/* "exec,int" -> bits; false (message in err) on an unknown item. */
bool trace_items_parse(const char *list, unsigned *bits, char *err, size_t errlen);

typedef struct TraceConfig {
    unsigned text_items;        /* -d items printed as text */
    FILE *log;                  /* -D file, or NULL for stderr */
    const char *file;           /* --trace FILE, or NULL */
    const char *file_items;     /* --trace-items, NULL: exec,int,io,mmu */
    const char *filter;         /* --trace-filter, or NULL */
    unsigned flight_insns;      /* --flight-recorder N, 0: off */
    const char *flight_dump_on; /* --flight-dump-on VEC[,VEC] */
} TraceConfig;

struct PortBus;
/* Attach a tracer to cpu (and the port bus) when the config asks for
 * anything; false with a one-line message in err. */
bool trace_setup(Cpu *cpu, struct PortBus *io, const TraceConfig *cfg, char *err, size_t errlen);
/* Finish the binary trace and free everything; false if it could not be written. */
bool trace_teardown(Cpu *cpu, struct PortBus *io);

/* -smp: CPU cpu (number index > 0) shares bsp's tracer, if it has one;
 * from then on every record names its CPU. */
void trace_add_cpu(Cpu *bsp, Cpu *cpu, int index);
/* The machine runs cpu next: its records follow (called only when
 * cpu->tracer is set). */
void trace_cpu_switch(Cpu *cpu);

/* Change the items printed as text while the machine runs (the monitor's
 * `trace` command): attaches a tracer if there is none, detaches it when
 * nothing is left to trace. The -D file or stderr (log NULL) takes the
 * text. False, with a message in err, if a tracer cannot be made. */
bool trace_set_text(Cpu *cpu, struct PortBus *io, unsigned items, FILE *log, char *err,
                    size_t errlen);
/* The items printed as text now. */
unsigned trace_text_items(const Cpu *cpu);

/* --- hooks (called only when cpu->tracer is set) --- */
/* Every event delivered (cpu/interrupt.c deliver()): an exception unless
 * soft (INT n) or announced by trace_external. */
void trace_interrupt(Cpu *cpu, int vector, uint32_t err, bool soft);
/* The loop is about to deliver an external interrupt or an NMI. */
void trace_external(Cpu *cpu, bool nmi);
/* kind: TRACE_MMU_*; access: TRACE_ACC_*; value: physical address or #PF error code. */
void trace_mmu(Cpu *cpu, unsigned kind, unsigned access, uint32_t lin, uint64_t value);
/* The port bus observer for tracing (opaque = the Tracer). */
void trace_io(void *opaque, uint16_t port, unsigned size, uint32_t value, bool write);

#endif
