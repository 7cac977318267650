/* SPDX-License-Identifier: MIT */
/* SingleStepTests runner: shared declarations.
 *
 *   sst_meta.c  what the data directory and our own files say about an
 *               opcode: metadata.json, revocation_list.txt,
 *               p6-differences.txt, the baseline files
 *   sst_exec.c  one test on a real-mode Kairo CPU: load, run, compare,
 *               classify, and the -v dump
 *   sst_run.c   main: options, the per-opcode table, the baseline check */
#ifndef KAIRO_SST_H
#define KAIRO_SST_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tests/singlestep/moo.h"

/* --- sst_meta.c --- */

typedef struct OpMeta {
    char key[16];               /* file name stem: "00", "F7.6" */
    bool has_mask;
    uint16_t flags_mask;        /* metadata "flags-mask": AND-mask of defined flags */
    char status[16];            /* metadata "status": normal, alias, undocumented, fpu... */
    const char *difference;     /* p6-differences.txt: whole opcode set apart, or NULL */
} OpMeta;

/* The entry for key ("F7.6"; "8F" also finds metadata keyed "8F.0"), or
 * NULL. */
const OpMeta *meta_find(const char *key);
/* Reads metadata.json; false (with err) only if the file exists but is
 * not valid JSON. */
bool meta_load_json(const char *path, char *err, size_t errlen);
/* Reads the revocation list: one 40-digit SHA-1 per line, # comments. */
bool meta_load_revoked(const char *path, char *err, size_t errlen);
bool meta_is_revoked(const char *hash_hex);

/* p6-differences.txt: "rule NAME reason" enables a per-test rule that
 * sst_exec.c implements; "OPCODE reason" sets a whole opcode apart. */
bool meta_load_differences(const char *path, char *err, size_t errlen);
/* The reason the file gives for rule name, or NULL if it is not enabled. */
const char *meta_rule_reason(const char *name);

typedef struct BaselineEntry {
    char key[16];
    unsigned passed, total;
} BaselineEntry;

/* Returns the number of entries (<= max), -1 if the file cannot be read. */
int baseline_read(const char *path, BaselineEntry *out, int max, char *err, size_t errlen);

/* --- sst_exec.c --- */

/* Why a failing test is set apart instead of counted. */
enum { APART_REVOKED, APART_LOCK, APART_RULE, APART_OPCODE, APART_COUNT };

typedef struct Verdict {
    bool pass;
    int apart;                  /* APART_* when set apart, else -1 */
    const char *rule;           /* the P6-difference rule that matched */
    char field[16];             /* first differing field: "ax".."flags", "ram", "#UD", "hang" */
    char detail[96];            /* "want 1234 got 5678" */
} Verdict;

typedef struct SstMachine SstMachine;

SstMachine *sst_machine_new(void);
void sst_machine_free(SstMachine *m);
/* Runs test t of opcode file key (is386: the 386EX layout) and judges it.
 * verbose prints the initial, expected and final state. */
void sst_run_test(SstMachine *m, const MooTest *t, const char *key, bool is386, bool verbose,
                  Verdict *v);
/* The i-th per-test rule sst_exec.c implements, NULL past the last: what
 * p6-differences.txt may enable. */
const char *sst_rule_name(unsigned i);

#endif
