/* Runs the SingleStepTests hardware-captured vectors (80286 and 80386EX,
 * real mode) against Kairo's CPU and compares registers, flags and memory.
 *
 *   sst_run --set 286 [--data DIR] [--shard I/N] [--baseline FILE] [--update-baseline]
 *   sst_run --set 286 --opcode 00 [--test N] [-v]
 *
 * Kairo is a P6, not a 286: opcodes where the two architectures differ
 * are listed with the reason in p6-differences.txt and reported apart.
 * With --baseline the run fails if any opcode passes fewer tests than the
 * committed baseline says (a regression), so the suite can run in CI while
 * known gaps are being closed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/seg.h"
#include "tests/singlestep/moo.h"
#include "tests/unit/cpu_harness.h"

#define MAX_OPS 512

typedef struct OpInfo {
    char key[16];          /* "00", "F7.6" */
    uint32_t flags_mask;
    char status[32];
    const char *difference;   /* reason from p6-differences.txt, or NULL */
} OpInfo;

static OpInfo ops[MAX_OPS];
static int n_ops;
static const char *names16[MOO_NREGS] = { "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp",
                                          "bp", "si", "di", "ip", "flags", "fs", "gs", "cr0",
                                          "cr3", "dr6", "dr7" };

static OpInfo *op_find(const char *key, bool create)
{
    for (int i = 0; i < n_ops; i++)
        if (!strcmp(ops[i].key, key))
            return &ops[i];
    if (!create || n_ops == MAX_OPS)
        return NULL;
    OpInfo *o = &ops[n_ops++];
    memset(o, 0, sizeof *o);
    snprintf(o->key, sizeof o->key, "%s", key);
    o->flags_mask = 0xFFFF;
    return o;
}

/* metadata.json: only "opcodes": { "KEY": { "status": "...", "flags-mask": N } }
 * matters; a small scanner is enough for its regular layout. */
static void load_metadata(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char line[512], cur[32] = "";
    while (fgets(line, sizeof line, fp)) {
        char key[32];
        unsigned mask;
        char status[32];
        if (sscanf(line, " \"%31[0-9A-Fa-f.]\": {", key) == 1 && strlen(key) <= 6)
            snprintf(cur, sizeof cur, "%s", key);
        else if (cur[0] && sscanf(line, " \"flags-mask\": %u", &mask) == 1)
            op_find(cur, true)->flags_mask = mask;
        else if (cur[0] && sscanf(line, " \"status\": \"%31[^\"]\"", status) == 1)
            snprintf(op_find(cur, true)->status, sizeof op_find(cur, true)->status, "%s", status);
    }
    fclose(fp);
}

static void load_differences(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char key[16];
        int off = 0;
        if (line[0] == '#' || sscanf(line, "%15s %n", key, &off) != 1)
            continue;
        line[strcspn(line, "\n")] = 0;
        op_find(key, true)->difference = strdup(line + off);
    }
    fclose(fp);
}

/* Flags the SDM leaves undefined for an opcode (the 286 metadata masks
 * only what is undefined on a 286). Keyed by opcode file name prefix. */
static uint32_t p6_undefined_flags(const char *key)
{
    unsigned op = (unsigned)strtoul(key, NULL, 16);
    unsigned reg = strchr(key, '.') ? (unsigned)atoi(strchr(key, '.') + 1) : 0;
    const uint32_t all6 = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
    switch (op) {
    case 0xC0: case 0xC1: case 0xD0: case 0xD1: case 0xD2: case 0xD3:
        /* AF for shifts; OF for counts other than 1 (we compare it anyway
         * for D0/D1, whose count is 1). */
        return reg >= 4 ? FLAG_AF | ((op == 0xD0 || op == 0xD1) ? 0 : FLAG_OF)
                        : ((op == 0xD0 || op == 0xD1) ? 0 : FLAG_OF);
    case 0xF6: case 0xF7:
        if (reg == 4 || reg == 5)
            return FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF;
        if (reg == 6 || reg == 7)
            return all6;
        return 0;
    case 0x69: case 0x6B: return FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF;
    case 0x27: case 0x2F: return FLAG_OF;
    case 0x37: case 0x3F: return FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_PF;
    case 0xD4: case 0xD5: return FLAG_OF | FLAG_AF | FLAG_CF;
    default: return 0;
    }
}

/* A LOCK prefix on an instruction that cannot be locked: the 286 ignores
 * it, a P6 raises #UD. Such tests are reported apart. */
static bool has_lock_prefix(const MooTest *t)
{
    for (unsigned i = 0; i < t->n_bytes; i++) {
        uint8_t b = t->bytes[i];
        if (b == 0xF0)
            return true;
        if (b != 0x26 && b != 0x2E && b != 0x36 && b != 0x3E && b != 0xF2 && b != 0xF3)
            return false;
    }
    return false;
}

/* Tests whose 286 result differs from a P6 by architecture: returns the
 * reason, or NULL. */
static const char *p6_test_difference(const MooTest *t, const char *key)
{
    unsigned op = (unsigned)strtoul(key, NULL, 16);
    bool string = (op >= 0xA4 && op <= 0xAF && op != 0xA8 && op != 0xA9) ||
                  (op >= 0x6C && op <= 0x6F);
    if (t->has_exception && string)
        return "string op faulting at a segment wrap: the 286 has already moved SI/DI";
    if (t->has_exception && op == 0x8F)
        return "POP m faulting: the 286 has already moved SP";
    if (t->has_exception && t->exc_vector == 13 && t->n_bytes > 11)
        return "instruction longer than 10 bytes: #GP on a 286, valid on a P6 (limit 15)";
    if (t->has_exception && op == 0xD4)
        return "AAM 0: the 286 updates the flags before #DE";
    if ((op == 0x8C || op == 0x8E) && t->n_bytes >= 2) {
        unsigned i = 0;
        while (i < t->n_bytes && t->bytes[i] != op)
            i++;
        if (i + 1 < t->n_bytes && ((t->bytes[i + 1] >> 3) & 7) >= 4)
            return "MOV to/from FS/GS/reserved sreg: none on a 286 (#UD), real on a P6";
    }
    return NULL;
}

typedef struct Runner {
    Cpu *cpu;
    bool is386;
    uint32_t touched[4096];
    unsigned n_touched;
} Runner;

static void touch(Runner *r, uint32_t addr)
{
    if (r->n_touched < sizeof r->touched / sizeof r->touched[0])
        r->touched[r->n_touched++] = addr;
}

static const unsigned seg_of_reg[] = { [MOO_CS] = SEG_CS, [MOO_SS] = SEG_SS, [MOO_DS] = SEG_DS,
                                       [MOO_ES] = SEG_ES, [MOO_FS] = SEG_FS, [MOO_GS] = SEG_GS };

static void load_state(Runner *r, const MooTest *t)
{
    Cpu *cpu = r->cpu;
    for (unsigned i = 0; i < r->n_touched; i++)
        phys_write(cpu->mem, r->touched[i], 1, 0);
    r->n_touched = 0;
    /* Exception vectors the test does not set lead to the harness's
     * per-vector HLT stubs, so an unexpected exception is recognisable. */
    for (unsigned v = 0; v < 32; v++) {
        phys_write(cpu->mem, v * 4, 4, (0x0300u << 16) | (v * 16));
        phys_write(cpu->mem, H_STUB_BASE + v * 16, 1, 0xF4);
    }
    for (size_t i = 0; i < t->init.n_ram; i++) {
        phys_write(cpu->mem, t->init.ram[i].addr, 1, t->init.ram[i].value);
        touch(r, t->init.ram[i].addr);
    }
    for (size_t i = 0; i < t->final.n_ram; i++)
        touch(r, t->final.ram[i].addr);
    const uint32_t *v = t->init.regs;
    static const int gpr_of[] = { [MOO_AX] = R_EAX, [MOO_BX] = R_EBX, [MOO_CX] = R_ECX,
                                  [MOO_DX] = R_EDX, [MOO_SP] = R_ESP, [MOO_BP] = R_EBP,
                                  [MOO_SI] = R_ESI, [MOO_DI] = R_EDI };
    static const int gprs[] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_SP, MOO_BP, MOO_SI, MOO_DI };
    for (unsigned i = 0; i < 8; i++)
        cpu->gpr[gpr_of[gprs[i]]] = v[gprs[i]];
    cpu->cr0 &= ~CR0_PE;
    cpu->eflags = 2;
    cpu->lf.kind = LF_NONE;
    static const int segs[] = { MOO_CS, MOO_SS, MOO_DS, MOO_ES, MOO_FS, MOO_GS };
    for (unsigned i = 0; i < 6; i++) {
        seg_set_cache(&cpu->seg[seg_of_reg[segs[i]]], (uint16_t)v[segs[i]],
                      (v[segs[i]] & 0xFFFF) << 4, 0xFFFF, DESC_P | DESC_S | 0x3);
        cpu->seg[seg_of_reg[segs[i]]].access = SEG_ACC_READ | SEG_ACC_WRITE;
    }
    seg_load_cs_checked(cpu, (uint16_t)v[MOO_CS], (v[MOO_CS] & 0xFFFF) << 4, 0xFFFF,
                        DESC_P | DESC_S | 0xB, 0);
    cpu->seg[SEG_CS].access = SEG_ACC_READ | SEG_ACC_WRITE;   /* real mode: no type checks */
    cpu->code32 = cpu->stack32 = false;
    /* A 286 in real mode has no IOPL/NT: bits 12-15 read as 0. */
    uint32_t fl = r->is386 ? v[MOO_FLAGS] & 0x3FFFF : v[MOO_FLAGS] & 0x0FFF;
    flags_write(cpu, fl | 2, 0x3FFFF & ~(FLAG_VM | FLAG_RF));
    cpu->eip = v[MOO_IP] & 0xFFFF;
    cpu->idtr = (DescTable){ 0, 0x3FF };
    cpu->halted = cpu->inhibit_irq = false;
    cpu->exc_depth = 0;
    cpu->triple_fault = false;
    cpu->pending_db = false;
    cpu_update_debug_state(cpu);
}

static uint32_t cpu_reg(const Cpu *cpu, int r)
{
    switch (r) {
    case MOO_AX: return cpu->gpr[R_EAX];
    case MOO_BX: return cpu->gpr[R_EBX];
    case MOO_CX: return cpu->gpr[R_ECX];
    case MOO_DX: return cpu->gpr[R_EDX];
    case MOO_SP: return cpu->gpr[R_ESP];
    case MOO_BP: return cpu->gpr[R_EBP];
    case MOO_SI: return cpu->gpr[R_ESI];
    case MOO_DI: return cpu->gpr[R_EDI];
    case MOO_IP: return cpu->eip;
    case MOO_FLAGS: return flags_read(cpu);
    case MOO_CS: case MOO_SS: case MOO_DS: case MOO_ES: case MOO_FS: case MOO_GS:
        return cpu->seg[seg_of_reg[r]].sel;
    default: return 0;
    }
}

/* Runs one test; returns NULL on a pass, else what differed first. */
static const char *run_test(Runner *r, const MooTest *t, const OpInfo *op, bool verbose)
{
    static char why[128];
    Cpu *cpu = r->cpu;
    load_state(r, t);
    cpu->fault_vec = -1;
    for (int slices = 0; slices < 64 && !cpu->halted && !cpu->triple_fault; slices++)
        cpu_run(cpu, 64);
    if (!cpu->halted) {
        snprintf(why, sizeof why, "no HLT reached (eip %04X)", cpu->eip);
        return why;
    }
    uint32_t wmask = r->is386 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t fmask = op->flags_mask & (r->is386 ? 0x3FFFFu & ~0x3000u : 0x0FFFu) &
                     ~p6_undefined_flags(op->key);
    static const int check[] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS,
                                 MOO_ES, MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS };
    const char *first = NULL;
    for (unsigned i = 0; i < sizeof check / sizeof check[0]; i++) {
        int reg = check[i];
        uint32_t want = (t->final.present & (1u << reg)) ? t->final.regs[reg] : t->init.regs[reg];
        uint32_t got = cpu_reg(cpu, reg);
        uint32_t m = reg == MOO_FLAGS ? fmask : (reg >= MOO_CS && reg <= MOO_ES) ? 0xFFFF : wmask;
        if (reg == MOO_IP)
            m = 0xFFFF;
        if ((want & m) != (got & m)) {
            if (!first) {
                snprintf(why, sizeof why, "%s: want %04X got %04X", names16[reg], want & m,
                         got & m);
                first = why;
            }
            if (verbose)
                printf("  %-5s want %08X got %08X\n", names16[reg], want & m, got & m);
        }
    }
    for (size_t i = 0; i < t->final.n_ram; i++) {
        uint32_t a = t->final.ram[i].addr;
        uint8_t m = 0xFF;
        if (t->has_exception && (a == t->exc_flags_addr || a == t->exc_flags_addr + 1)) {
            /* A 286's divide error pushes FLAGS as its division microcode
             * left them: not comparable with a P6. */
            unsigned opc = (unsigned)strtoul(op->key, NULL, 16);
            bool divide = (opc == 0xF6 || opc == 0xF7) && t->exc_vector == 0;
            m = divide ? 0 : (uint8_t)((a == t->exc_flags_addr ? fmask : fmask >> 8) & 0xFF);
        }
        uint8_t got = (uint8_t)phys_read(cpu->mem, a, 1);
        if ((got & m) != (t->final.ram[i].value & m)) {
            if (!first) {
                snprintf(why, sizeof why, "ram[%05X]: want %02X got %02X", a,
                         t->final.ram[i].value & m, got & m);
                first = why;
            }
            if (verbose)
                printf("  ram[%05X] want %02X got %02X\n", a, t->final.ram[i].value & m, got & m);
        }
    }
    return first;
}

typedef struct Result {
    char key[16];
    unsigned total, passed, lock_skipped, differ_total, differ_passed;
    char first_fail[320];
} Result;

static int run_file(Runner *r, const char *path, const char *key, int only_test, bool verbose,
                    Result *res)
{
    char err[256];
    MooFile f;
    if (!moo_open(&f, path, err, sizeof err)) {
        fprintf(stderr, "sst_run: %s\n", err);
        return -1;
    }
    r->is386 = f.regs32;
    OpInfo *op = op_find(key, true);
    MooTest t = { 0 };
    memset(res, 0, sizeof *res);
    snprintf(res->key, sizeof res->key, "%s", key);
    while (moo_next(&f, &t, err, sizeof err)) {
        if (only_test >= 0 && (int)t.index != only_test)
            continue;
        if (verbose) {
            printf("test %u: %s  bytes", t.index, t.name);
            for (unsigned i = 0; i < t.n_bytes; i++)
                printf(" %02X", t.bytes[i]);
            if (t.has_exception)
                printf("  (exception %u, flags at %05X)", t.exc_vector, t.exc_flags_addr);
            printf("  init flags %04X\n", t.init.regs[MOO_FLAGS]);
        }
        if (!r->is386 && has_lock_prefix(&t)) {
            res->lock_skipped++;
            continue;
        }
        const char *why = run_test(r, &t, op, verbose);
        const char *differ = p6_test_difference(&t, key);
        if (!differ && why && t.has_exception && t.exc_vector == 13 &&
            h_last_exception(r->cpu) == 12)
            differ = "stack-segment overrun: #SS on a P6, #GP on a 286";
        if (differ) {
            if (verbose)
                printf("  (P6 differs: %s)\n", differ);
            res->differ_total++;
            res->differ_passed += !why;
            continue;
        }
        res->total++;
        if (!why)
            res->passed++;
        else if (!res->first_fail[0])
            snprintf(res->first_fail, sizeof res->first_fail, "#%u %s: %s", t.index, t.name, why);
    }
    free(t.init.ram);
    free(t.final.ram);
    moo_close(&f);
    if (err[0]) {
        fprintf(stderr, "sst_run: %s: %s\n", path, err);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *data = getenv("KAIRO_DATA");
    const char *set = "286", *only_op = NULL, *baseline = NULL, *diffs = NULL;
    int only_test = -1, shard = 0, shards = 1;
    bool verbose = false, update = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--set") && i + 1 < argc) set = argv[++i];
        else if (!strcmp(argv[i], "--opcode") && i + 1 < argc) only_op = argv[++i];
        else if (!strcmp(argv[i], "--test") && i + 1 < argc) only_test = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shard") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d/%d", &shard, &shards) != 2 || shards < 1 || shard >= shards) {
                fprintf(stderr, "sst_run: --shard wants I/N\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--baseline") && i + 1 < argc) baseline = argv[++i];
        else if (!strcmp(argv[i], "--differences") && i + 1 < argc) diffs = argv[++i];
        else if (!strcmp(argv[i], "--update-baseline")) update = true;
        else if (!strcmp(argv[i], "-v")) verbose = true;
        else {
            fprintf(stderr, "usage: sst_run --set 286|386 [--data DIR] [--opcode OP [--test N] [-v]]\n"
                            "       [--shard I/N] [--baseline FILE [--update-baseline]] [--differences FILE]\n");
            return 2;
        }
    }
    if (!data) {
        fprintf(stderr, "sst_run: no data directory (--data or KAIRO_DATA)\n");
        return 2;
    }
    char dir[1024], path[1200];
    bool is286 = !strcmp(set, "286");
    snprintf(dir, sizeof dir, "%s/%s", data, is286 ? "singlestep-286/v1_real_mode" : "singlestep-386");
    if (is286) {
        snprintf(path, sizeof path, "%s/metadata.json", dir);
        load_metadata(path);
    }
    if (diffs)
        load_differences(diffs);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "sst_run: cannot open %s\n", dir);
        return 2;
    }
    char *files[1024];
    int n_files = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n_files < 1024)
        if (strstr(e->d_name, ".MOO"))
            files[n_files++] = strdup(e->d_name);
    closedir(d);
    qsort(files, (size_t)n_files, sizeof files[0], cmp_str);

    Runner r = { .cpu = h_cpu_new(2, false) };
    /* The vectors use every byte of the 1 MiB real-mode space. */
    phys_map_ram(r.cpu->mem, 0xA0000, 0xA0000, 0x60000, true);
    static Result results[1024];
    int n_results = 0;
    unsigned total = 0, passed = 0, diff_total = 0, diff_passed = 0, lock_skipped = 0;
    for (int i = 0; i < n_files; i++) {
        char key[16];
        snprintf(key, sizeof key, "%.*s", (int)(strstr(files[i], ".MOO") - files[i]), files[i]);
        if (only_op && strcmp(only_op, key))
            continue;
        if (!only_op && i % shards != shard)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        Result *res = &results[n_results];
        if (run_file(&r, path, key, only_test, verbose, res) != 0) {
            h_cpu_free(r.cpu);
            return 2;
        }
        n_results++;
        lock_skipped += res->lock_skipped;
        diff_total += res->differ_total;
        diff_passed += res->differ_passed;
        const OpInfo *op = op_find(key, false);
        if (op && op->difference) {
            diff_total += res->total;
            diff_passed += res->passed;
        } else {
            total += res->total;
            passed += res->passed;
        }
        if (res->passed != res->total)
            printf("%-6s %4u/%-4u %s%s%s\n", key, res->passed, res->total,
                   op && op->difference ? "[P6 differs] " : "", res->first_fail,
                   op && op->difference ? "" : "");
    }
    printf("sst %s: %u/%u passed (%.2f%%) in %d opcode files; P6-difference tests %u/%u; "
           "%u LOCK-prefixed tests set apart (a P6 raises #UD where a 286 ignores LOCK)\n", set,
           passed, total, total ? 100.0 * passed / total : 0.0, n_results, diff_passed, diff_total,
           lock_skipped);

    int status = 0;
    if (baseline && update) {
        FILE *fp = fopen(baseline, "w");
        if (!fp) {
            fprintf(stderr, "sst_run: cannot write %s\n", baseline);
            return 2;
        }
        fprintf(fp, "# opcode passed total  (sst_run --update-baseline)\n");
        for (int i = 0; i < n_results; i++)
            fprintf(fp, "%s %u %u\n", results[i].key, results[i].passed, results[i].total);
        fclose(fp);
    } else if (baseline) {
        FILE *fp = fopen(baseline, "r");
        if (!fp) {
            fprintf(stderr, "sst_run: cannot read baseline %s\n", baseline);
            return 2;
        }
        char line[256];
        while (fgets(line, sizeof line, fp)) {
            char key[16];
            unsigned want, tot;
            if (line[0] == '#' || sscanf(line, "%15s %u %u", key, &want, &tot) != 3)
                continue;
            for (int i = 0; i < n_results; i++) {
                if (strcmp(results[i].key, key))
                    continue;
                if (results[i].passed < want) {
                    printf("REGRESSION %s: %u passed, baseline %u\n", key, results[i].passed, want);
                    status = 1;
                }
            }
        }
        fclose(fp);
    }
    h_cpu_free(r.cpu);
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    for (int i = 0; i < n_ops; i++)
        free((char *)ops[i].difference);
    return status;
}
