/* A reader for the MOO test-vector format of the SingleStepTests suites
 * (80286 and 80386 hardware captures). See ../shared/data/singlestep-286/
 * README.md for the layout. The reader checks every length against the
 * buffer: a truncated or corrupt file gives an error, never a crash. */
#ifndef KAIRO_MOO_H
#define KAIRO_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register order of the state */
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
    MooRam *ram;
    size_t n_ram;
} MooState;

typedef struct MooTest {
    uint32_t index;
    char name[64];
    uint8_t bytes[16];
    unsigned n_bytes;
    MooState init, final;
    bool has_exception;
    uint8_t exc_vector;
    uint32_t exc_flags_addr;
    uint8_t hash[20];
} MooTest;

typedef struct MooFile {
    uint8_t *data;              /* decompressed file */
    size_t len;
    size_t pos;                 /* next TEST chunk */
    char cpu[5];
    uint32_t n_tests;
    bool regs32;                /* RG32 register chunks (386) */
} MooFile;

/* Load (gunzip if needed) and check the header. */
bool moo_open(MooFile *f, const char *path, char *err, size_t errlen);
/* The next test, or false at the end (err set on a format error). The
 * test's RAM arrays stay valid until the next call. */
bool moo_next(MooFile *f, MooTest *t, char *err, size_t errlen);
void moo_close(MooFile *f);

#endif
