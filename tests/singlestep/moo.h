/* SPDX-License-Identifier: MIT */
/* A reader for the MOO test-vector format of the SingleStepTests suites
 * (80286 and 80386 hardware captures). See ../shared/data/singlestep-286/
 * README.md and ../shared/data/singlestep-386/README.md for the layout.
 * Every length is checked against the buffer: a truncated or corrupt file
 * gives an error message, never a crash or a read out of bounds. */
#ifndef KAIRO_MOO_H
#define KAIRO_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register slots of a state (the union of the 16-bit and 32-bit layouts). */
enum {
    MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS, MOO_ES, MOO_SP, MOO_BP, MOO_SI,
    MOO_DI, MOO_IP, MOO_FLAGS, MOO_FS, MOO_GS, MOO_CR0, MOO_CR3, MOO_DR6, MOO_DR7, MOO_NREGS
};

typedef struct MooRam {
    uint32_t addr;
    uint8_t value;
} MooRam;

typedef struct MooState {
    uint32_t regs[MOO_NREGS];
    uint32_t present;           /* bit per MOO_* register */
    MooRam *ram;                /* owned; reused from test to test */
    size_t n_ram, cap_ram;
} MooState;

typedef struct MooTest {
    uint32_t index;
    char name[64];              /* disassembly, NUL-terminated */
    uint8_t bytes[16];          /* instruction bytes, then the trailing HLT */
    unsigned n_bytes;
    MooState init, final;
    bool has_exception;
    uint8_t exc_vector;
    uint32_t exc_flags_addr;    /* as recorded: the word-aligned bus address */
    bool has_hash;
    uint8_t hash[20];
} MooTest;

typedef struct MooFile {
    uint8_t *data;              /* the whole decompressed file */
    size_t len;
    size_t pos;                 /* next top-level chunk */
    char cpu[5];                /* "C286", "386E" */
    uint32_t n_tests;           /* as the header says */
    bool regs32;                /* RG32 register chunks (386) */
} MooFile;

/* Load a file (gzip-compressed or plain) and check its header. */
bool moo_open(MooFile *f, const char *path, char *err, size_t errlen);
/* The same from a buffer in memory (copied). */
bool moo_open_mem(MooFile *f, const void *data, size_t len, char *err, size_t errlen);
/* The next test: true with *t filled, false at the end of the file or on a
 * format error (then err is non-empty). t must start zeroed; its RAM arrays
 * are reused by later calls and released by moo_test_free(). */
bool moo_next(MooFile *f, MooTest *t, char *err, size_t errlen);
void moo_test_free(MooTest *t);
void moo_close(MooFile *f);
/* The test's SHA-1 as 40 lowercase hex digits (the revocation-list form). */
void moo_hash_hex(const MooTest *t, char out[41]);

#endif
