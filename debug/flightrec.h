/* SPDX-License-Identifier: MIT */
/* The flight recorder (--flight-recorder N): the last N instructions, each
 * with CS:EIP, its bytes, the general registers and EFLAGS, kept in a ring
 * in memory and printed with disassembly on a triple fault, on chosen
 * exception vectors (--flight-dump-on), on SIGUSR1, on a fatal signal of
 * kairo itself (best effort) and on request (flightrec_dump, the monitor). */
#ifndef KAIRO_FLIGHTREC_H
#define KAIRO_FLIGHTREC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct Cpu;
typedef struct FlightRec FlightRec;

#define FLIGHTREC_MAX_INSNS (16u << 20)

/* A recorder of n instructions that dumps on the exception vectors listed
 * in dump_on ("6,13,14", NULL for none); NULL with a message in err. */
FlightRec *flightrec_new(unsigned n, const char *dump_on, char *err, size_t errlen);
void flightrec_free(FlightRec *f);

/* Record the instruction about to run at CS:EIP (icount retired before it).
 * len may carry FLIGHTREC_COPY16: 16 bytes can be read at bytes. */
#define FLIGHTREC_COPY16 0x100u
void flightrec_record(FlightRec *f, const struct Cpu *cpu, uint64_t icount,
                      const uint8_t *bytes, unsigned len, bool code32);

/* The CPU whose instructions are recorded next: its tag (0 untagged, or
 * index + 1) goes into each entry. */
void flightrec_set_cpu(FlightRec *f, uint8_t cpu_tag);

/* Should delivery of this exception vector dump the ring? */
bool flightrec_dumps_on(const FlightRec *f, int vector);

/* Print the ring, oldest first, to out (stderr when NULL). Safe to call
 * at any time; says so when the recorder is off. */
void flightrec_dump(struct Cpu *cpu, FILE *out);
/* The same with the reason in the header line. */
void flightrec_dump_why(struct Cpu *cpu, FILE *out, const char *why);

/* SIGUSR1 asks for a dump (the traced loop prints it at the next block);
 * SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT of kairo itself print it
 * from the handler, then die as they would have. */
void flightrec_install_signals(struct Cpu *cpu, FILE *out);
void flightrec_remove_signals(void);
extern volatile sig_atomic_t flightrec_dump_requested;

#endif
