/* SPDX-License-Identifier: MIT */
/* One SingleStepTests vector on a real-mode Kairo CPU: load the initial
 * state, run to the HLT, compare with the capture, and classify a failure
 * by its first differing field (see sst.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/seg.h"
#include "fpu/fpu.h"
#include "tests/singlestep/sst.h"
#include "tests/unit/cpu_harness.h"

/* Exception vectors the test does not point elsewhere lead to a HLT of our
 * own at STUB_BASE + 16*v (the harness's layout), so that an exception the
 * capture did not raise is recognisable by where the CPU stopped. */
#define STUB_VECTORS 32
#define STUB_BASE H_STUB_BASE
/* 64 slices of 64 instructions: every vector ends within a few. */
#define RUN_SLICES 64
#define RUN_SLICE 64

struct SstMachine {
    Cpu *cpu;
    uint32_t *touched;          /* RAM bytes the last test wrote or checked */
    size_t n_touched, cap_touched;
};

static const char *const reg_names[MOO_NREGS] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
    "fs", "gs", "cr0", "cr3", "dr6", "dr7"
};
static const char *const exc_names[STUB_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#20", "#21", "#22", "#23",
    "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31"
};
/* INT n with n >= 32 appears only in captures: name it "INTnn". */
static const char *exc_name(unsigned v)
{
    static char buf[4][12];
    static unsigned k;
    if (v < STUB_VECTORS)
        return exc_names[v];
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "INT%02X", v & 0xFF);
    return buf[k];
}

/* MOO register slot -> Kairo register */
static const int gpr_of[MOO_NREGS] = { [MOO_AX] = R_EAX, [MOO_BX] = R_EBX, [MOO_CX] = R_ECX,
                                       [MOO_DX] = R_EDX, [MOO_SP] = R_ESP, [MOO_BP] = R_EBP,
                                       [MOO_SI] = R_ESI, [MOO_DI] = R_EDI };
static const int seg_of[MOO_NREGS] = { [MOO_CS] = SEG_CS, [MOO_SS] = SEG_SS, [MOO_DS] = SEG_DS,
                                       [MOO_ES] = SEG_ES, [MOO_FS] = SEG_FS, [MOO_GS] = SEG_GS };
static const int gpr_slots[] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_SP, MOO_BP, MOO_SI, MOO_DI };
static const int seg_slots[] = { MOO_CS, MOO_SS, MOO_DS, MOO_ES, MOO_FS, MOO_GS };
/* What is compared, in the order "first differing field" uses. */
static const int compared[] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS, MOO_ES,
                                MOO_FS, MOO_GS, MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP,
                                MOO_FLAGS };

SstMachine *sst_machine_new(void)
{
    SstMachine *m = calloc(1, sizeof *m);
    /* 2 MiB: real mode reaches up to 10FFEFh (a 286 has no A20 wrap). */
    m->cpu = h_cpu_new(2, false);
    /* The vectors use the whole first megabyte, the BIOS areas included. */
    phys_map_ram(m->cpu->mem, 0xA0000, 0xA0000, 0x60000, true);
    return m;
}

void sst_machine_free(SstMachine *m)
{
    h_cpu_free(m->cpu);
    free(m->touched);
    free(m);
}

static void touch(SstMachine *m, uint32_t addr)
{
    if (m->n_touched == m->cap_touched) {
        size_t cap = m->cap_touched ? 2 * m->cap_touched : 4096;
        uint32_t *nt = realloc(m->touched, cap * sizeof *nt);
        if (!nt) {
            fprintf(stderr, "sst_run: out of memory\n");
            exit(2);
        }
        m->touched = nt;
        m->cap_touched = cap;
    }
    m->touched[m->n_touched++] = addr;
}

static uint32_t word_mask(bool is386) { return is386 ? 0xFFFFFFFFu : 0xFFFFu; }

/* Real-mode state as after a far jump from reset: base = selector << 4,
 * limit 0FFFFh, 16-bit code and stack. */
static void load_state(SstMachine *m, const MooTest *t, bool is386)
{
    Cpu *cpu = m->cpu;
    for (size_t i = 0; i < m->n_touched; i++)
        phys_write(cpu->mem, m->touched[i], 1, 0);
    m->n_touched = 0;
    for (unsigned v = 0; v < STUB_VECTORS; v++) {
        phys_write(cpu->mem, v * 4, 4, (STUB_BASE >> 4) << 16 | v * 16);
        phys_write(cpu->mem, STUB_BASE + v * 16, 1, 0xF4);
    }
    for (size_t i = 0; i < t->init.n_ram; i++) {
        phys_write(cpu->mem, t->init.ram[i].addr, 1, t->init.ram[i].value);
        touch(m, t->init.ram[i].addr);
    }
    for (size_t i = 0; i < t->final.n_ram; i++)
        touch(m, t->final.ram[i].addr);

    const uint32_t *r = t->init.regs;
    for (unsigned i = 0; i < 8; i++)
        cpu->gpr[gpr_of[gpr_slots[i]]] = r[gpr_slots[i]] & word_mask(is386);
    cpu->cr0 &= ~CR0_PE;
    cpu_set_cpl(cpu, 0);
    for (unsigned i = 0; i < 6; i++) {
        uint16_t sel = (uint16_t)r[seg_slots[i]];
        SegCache *s = &cpu->seg[seg_of[seg_slots[i]]];
        if (seg_slots[i] == MOO_CS)
            seg_load_cs_checked(cpu, sel, (uint32_t)sel << 4, 0xFFFF, DESC_P | DESC_S | 0xB, 0);
        else
            seg_set_cache(s, sel, (uint32_t)sel << 4, 0xFFFF, DESC_P | DESC_S | 0x3);
        s->access = SEG_ACC_READ | SEG_ACC_WRITE;   /* real mode: no type checks */
    }
    cpu->code32 = cpu->stack32 = false;
    /* A 286 in real mode has no IOPL or NT: its bits 12-15 read as 0. The
     * 386EX captures carry junk in bits 18-31 (see its README). */
    uint32_t fl = is386 ? r[MOO_FLAGS] & 0x3FFFF & ~(FLAG_VM | FLAG_RF) : r[MOO_FLAGS] & 0x0FFF;
    cpu->lf.kind = LF_NONE;
    cpu->eflags = 2;
    flags_write(cpu, fl | 2, 0x3FFFF & ~(FLAG_VM | FLAG_RF));
    cpu->eip = r[MOO_IP] & word_mask(is386);
    cpu->idtr = (DescTable){ 0, 0x3FF };
    cpu->halted = cpu->inhibit_irq = false;
    cpu->exc_depth = 0;
    cpu->triple_fault = false;
    cpu->pending_db = false;
    cpu->fault_vec = -1;
    cpu_update_debug_state(cpu);
    if (cpu->fpu) {
        fpu_reset(cpu->fpu);
        fpu_init(cpu->fpu);
    }
}

static uint32_t kairo_reg(const Cpu *cpu, int slot)
{
    switch (slot) {
    case MOO_IP: return cpu->eip;
    case MOO_FLAGS: return flags_read(cpu);
    case MOO_CS: case MOO_SS: case MOO_DS: case MOO_ES: case MOO_FS: case MOO_GS:
        return cpu->seg[seg_of[slot]].sel;
    case MOO_AX: case MOO_BX: case MOO_CX: case MOO_DX:
    case MOO_SP: case MOO_BP: case MOO_SI: case MOO_DI:
        return cpu->gpr[gpr_of[slot]];
    default: return 0;
    }
}

static uint32_t want_reg(const MooTest *t, int slot)
{
    return (t->final.present & (1u << slot)) ? t->final.regs[slot] : t->init.regs[slot];
}

/* The vector whose stub halted the CPU, or -1. */
static int kairo_exception(const Cpu *cpu)
{
    uint32_t at = cpu->seg[SEG_CS].base + cpu->eip - 1;
    if (!cpu->halted || at < STUB_BASE || at >= STUB_BASE + 16 * STUB_VECTORS ||
        (at - STUB_BASE) % 16)
        return -1;
    return (int)(at - STUB_BASE) / 16;
}

/* --- what is compared --- */

/* Index of the opcode byte after the prefixes. */
static unsigned opcode_at(const MooTest *t)
{
    static const uint8_t prefixes[] = { 0x26, 0x2E, 0x36, 0x3E, 0xF0, 0xF2, 0xF3 };
    unsigned i = 0;
    while (i + 1 < t->n_bytes && memchr(prefixes, t->bytes[i], sizeof prefixes))
        i++;
    return i;
}

static bool has_prefix(const MooTest *t, uint8_t prefix)
{
    return memchr(t->bytes, prefix, opcode_at(t)) != NULL;
}

/* Flags the SDM leaves undefined on a P6 where the 286 metadata compares
 * them: OF after a shift or rotate by more than one (the count the CPU
 * uses, masked to 5 bits). A count of 0 changes no flag: all compared. */
static uint32_t p6_undefined_flags(const MooTest *t)
{
    unsigned at = opcode_at(t);
    uint8_t op = t->bytes[at];
    unsigned count;
    if (op == 0xC0 || op == 0xC1)
        count = t->n_bytes >= 2 ? t->bytes[t->n_bytes - 2] : 0;  /* imm8 precedes the HLT */
    else if (op == 0xD2 || op == 0xD3)
        count = t->init.regs[MOO_CX] & 0xFF;
    else
        return 0;
    count &= 0x1F;
    return count > 1 ? FLAG_OF : 0;
}

static uint32_t flags_compared(const MooTest *t, const char *key, bool is386)
{
    const OpMeta *meta = meta_find(key);
    uint32_t mask = meta && meta->has_mask ? meta->flags_mask : 0xFFFF;
    /* 286: bits 12-15 (IOPL, NT, reserved) do not exist in real mode.
     * 386EX: EFLAGS bits 0-17. */
    mask &= is386 ? 0x3FFFF : 0x0FFF;
    return mask & ~p6_undefined_flags(t);
}

/* The FLAGS image an interrupt or exception pushed: at SS:SP+4 after the
 * three pushes. (EXCP records the word-aligned bus address, one below the
 * real one when SP is odd.) */
static uint32_t pushed_flags_addr(const MooTest *t, unsigned byte)
{
    uint32_t ss = want_reg(t, MOO_SS) & 0xFFFF, sp = want_reg(t, MOO_SP);
    return (ss << 4) + ((sp + 4 + byte) & 0xFFFF);
}

static uint8_t ram_mask(const MooTest *t, uint32_t addr, uint32_t fmask)
{
    if (!t->has_exception)
        return 0xFF;
    if (addr == pushed_flags_addr(t, 0))
        return (uint8_t)fmask;
    if (addr == pushed_flags_addr(t, 1))
        return (uint8_t)(fmask >> 8);
    return 0xFF;
}

static uint8_t ram_init(const MooTest *t, uint32_t addr, bool *found)
{
    for (size_t i = 0; i < t->init.n_ram; i++)
        if (t->init.ram[i].addr == addr) {
            *found = true;
            return t->init.ram[i].value;
        }
    *found = false;
    return 0;
}

static void set_field(Verdict *v, const char *field, bool is386, uint32_t want, uint32_t got)
{
    if (v->field[0])
        return;
    snprintf(v->field, sizeof v->field, "%s", field);
    if (is386)
        snprintf(v->detail, sizeof v->detail, "want %08X got %08X", want, got);
    else
        snprintf(v->detail, sizeof v->detail, "want %04X got %04X", want, got);
}

/* Compares the CPU with the expected final state; fills v->field with the
 * first difference. */
static void judge(SstMachine *m, const MooTest *t, const char *key, bool is386, bool verbose,
                  Verdict *v)
{
    Cpu *cpu = m->cpu;
    uint32_t fmask = flags_compared(t, key, is386);
    const char *hexfmt = is386 ? "%08X" : "%04X";
    if (verbose)
        printf("  %-6s %-9s %-9s %-9s\n", "", "initial", "expected", "kairo");
    for (unsigned i = 0; i < sizeof compared / sizeof compared[0]; i++) {
        int slot = compared[i];
        if ((slot == MOO_FS || slot == MOO_GS) && !is386)
            continue;
        uint32_t mask = slot == MOO_FLAGS ? fmask : word_mask(is386);
        if (slot >= MOO_CS && slot <= MOO_ES)
            mask = 0xFFFF;
        uint32_t want = want_reg(t, slot) & mask, got = kairo_reg(cpu, slot) & mask;
        if (want != got)
            set_field(v, reg_names[slot], is386, want, got);
        if (verbose) {
            char line[96];
            int n = snprintf(line, sizeof line, "  %-6s ", reg_names[slot]);
            n += snprintf(line + n, sizeof line - (size_t)n, hexfmt, t->init.regs[slot]);
            n += snprintf(line + n, sizeof line - (size_t)n, "%*s", is386 ? 2 : 6, "");
            n += snprintf(line + n, sizeof line - (size_t)n, hexfmt, want_reg(t, slot));
            n += snprintf(line + n, sizeof line - (size_t)n, "%*s", is386 ? 2 : 6, "");
            n += snprintf(line + n, sizeof line - (size_t)n, hexfmt, kairo_reg(cpu, slot));
            printf("%s%s", line, want != got ? "  *" : "");
            if (slot == MOO_FLAGS)
                printf("   (compared bits %05X)", fmask);
            printf("\n");
        }
    }
    if (verbose && t->final.n_ram)
        printf("  %-6s %-9s %-9s %-9s %-9s\n", "ram", "address", "initial", "expected", "kairo");
    for (size_t i = 0; i < t->final.n_ram; i++) {
        uint32_t a = t->final.ram[i].addr;
        uint8_t mask = ram_mask(t, a, fmask);
        bool pushed_flags = t->has_exception &&
                            (a == pushed_flags_addr(t, 0) || a == pushed_flags_addr(t, 1));
        uint8_t want = t->final.ram[i].value, got = (uint8_t)phys_read(cpu->mem, a, 1);
        bool bad = (want & mask) != (got & mask);
        if (bad && !v->field[0]) {
            snprintf(v->field, sizeof v->field, "ram");
            snprintf(v->detail, sizeof v->detail, "[%05X] want %02X got %02X", a, want & mask,
                     got & mask);
        }
        if (verbose) {
            bool known;
            uint8_t init = ram_init(t, a, &known);
            char ibuf[8] = "--";
            if (known)
                snprintf(ibuf, sizeof ibuf, "%02X", init);
            printf("  %-6s %06X    %-9s %02X        %02X%s%s\n", "", a, ibuf, want, got,
                   pushed_flags ? "  (pushed FLAGS)" : "", bad ? "  *" : "");
        }
    }
    /* FINA lists only the bytes that changed: every other INIT byte (the
     * code, the operands read) must still hold its value. */
    for (size_t i = 0; i < t->init.n_ram; i++) {
        uint32_t a = t->init.ram[i].addr;
        bool changed = false;
        for (size_t j = 0; j < t->final.n_ram && !changed; j++)
            changed = t->final.ram[j].addr == a;
        if (changed)
            continue;
        uint8_t want = t->init.ram[i].value, got = (uint8_t)phys_read(cpu->mem, a, 1);
        if (want != got && !v->field[0]) {
            snprintf(v->field, sizeof v->field, "ram");
            snprintf(v->detail, sizeof v->detail, "[%05X] unchanged %02X, got %02X", a, want,
                     got);
        }
        if (verbose)
            printf("  %-6s %06X    %02X        (same)    %02X%s\n", "", a, want, got,
                   want != got ? "  *" : "");
    }
}

/* --- P6 differences, per test --- */

/* Each rule says whether a FAILING test fails because a 286 and a P6
 * differ by design. p6-differences.txt enables them and gives the reason.
 * Each checks the symptom too (which exception, which register), so that a
 * Kairo bug in the same instruction still shows as a failure. */
typedef struct RuleCtx {
    const MooTest *t;
    uint8_t op;                 /* opcode byte */
    uint8_t modrm;              /* the byte after it */
    int kairo_exc;              /* vector Kairo raised into our stubs, -1 */
    const char *first;          /* first differing register or "ram" */
} RuleCtx;

static bool capture_raised(const RuleCtx *c, int vector)
{
    return c->t->has_exception && c->t->exc_vector == vector;
}

static bool first_is(const RuleCtx *c, const char *const *fields)
{
    for (; *fields; fields++)
        if (!strcmp(c->first, *fields))
            return true;
    return false;
}

static bool rule_lock(const RuleCtx *c)
{
    return has_prefix(c->t, 0xF0) && c->kairo_exc == EXC_UD && !capture_raised(c, EXC_UD);
}

static bool rule_long_insn(const RuleCtx *c)
{
    /* BYTS ends with the HLT. */
    return capture_raised(c, EXC_GP) && c->t->n_bytes - 1 > 10 && c->kairo_exc < 0;
}

static bool rule_ss_vs_gp(const RuleCtx *c)
{
    return capture_raised(c, EXC_GP) && c->kairo_exc == EXC_SS;
}

static bool rule_string_wrap(const RuleCtx *c)
{
    static const char *const stepped[] = { "si", "di", "cx", NULL };
    bool string = (c->op >= 0xA4 && c->op <= 0xAF && c->op != 0xA8 && c->op != 0xA9) ||
                  (c->op >= 0x6C && c->op <= 0x6F);
    return string && capture_raised(c, EXC_GP) && c->kairo_exc < 0 && first_is(c, stepped);
}

static bool rule_pop_mem_fault(const RuleCtx *c)
{
    static const char *const sp[] = { "sp", NULL };
    return c->op == 0x8F && capture_raised(c, EXC_GP) && c->kairo_exc < 0 && first_is(c, sp);
}

static bool rule_aam_zero(const RuleCtx *c)
{
    static const char *const flags[] = { "flags", "ram", NULL };
    return c->op == 0xD4 && capture_raised(c, EXC_DE) && c->kairo_exc < 0 && first_is(c, flags);
}

static bool rule_sreg_fs_gs(const RuleCtx *c)
{
    unsigned sreg = (c->modrm >> 3) & 7;
    return (c->op == 0x8C || c->op == 0x8E) && (sreg == 4 || sreg == 5) &&
           capture_raised(c, EXC_UD) && c->kairo_exc < 0;
}

/* IDIV whose quotient does not fit: a P6 raises #DE; the 286 sometimes
 * returns a quotient and remainder instead. The rule checks that the 286's
 * answer is impossible: no divisor of the operand size gives it. */
static bool rule_idiv_overflow(const RuleCtx *c)
{
    const MooTest *t = c->t;
    if ((c->op != 0xF6 && c->op != 0xF7) || ((c->modrm >> 3) & 7) != 7 ||
        t->has_exception || c->kairo_exc != EXC_DE)
        return false;
    bool word = c->op == 0xF7;
    uint32_t ax = t->init.regs[MOO_AX], dx = t->init.regs[MOO_DX];
    uint32_t fax = want_reg(t, MOO_AX), fdx = want_reg(t, MOO_DX);
    int64_t dividend = word ? (int32_t)(dx << 16 | (ax & 0xFFFF)) : (int16_t)ax;
    int64_t q = word ? (int16_t)fax : (int8_t)fax;
    int64_t r = word ? (int16_t)fdx : (int8_t)(fax >> 8);
    int64_t lo = word ? -32768 : -128, hi = word ? 32767 : 127;
    if (q == 0)
        return dividend != r;
    if ((dividend - r) % q)
        return true;
    int64_t d = (dividend - r) / q;
    return d < lo || d > hi || d == 0;
}

typedef struct RuleDef {
    const char *name;
    bool (*matches)(const RuleCtx *c);
} RuleDef;

static const RuleDef rule_defs[] = {
    { "lock", rule_lock },
    { "long-insn", rule_long_insn },
    { "ss-vs-gp", rule_ss_vs_gp },
    { "string-wrap", rule_string_wrap },
    { "pop-mem-fault", rule_pop_mem_fault },
    { "aam-zero", rule_aam_zero },
    { "sreg-fs-gs", rule_sreg_fs_gs },
    { "idiv-overflow", rule_idiv_overflow },
};

const char *sst_rule_name(unsigned i)
{
    return i < sizeof rule_defs / sizeof rule_defs[0] ? rule_defs[i].name : NULL;
}

static const char *matching_rule(const MooTest *t, int kairo_exc, const char *first)
{
    unsigned at = opcode_at(t);
    RuleCtx c = { .t = t, .op = t->bytes[at], .kairo_exc = kairo_exc, .first = first,
                  .modrm = at + 1 < t->n_bytes ? t->bytes[at + 1] : 0 };
    for (unsigned i = 0; i < sizeof rule_defs / sizeof rule_defs[0]; i++)
        if (meta_rule_reason(rule_defs[i].name) && rule_defs[i].matches(&c))
            return rule_defs[i].name;
    return NULL;
}

/* --- one test --- */

static void dump_header(const MooTest *t)
{
    char hash[41];
    moo_hash_hex(t, hash);
    printf("test %u: %s\n  bytes ", t->index, t->name);
    for (unsigned i = 0; i < t->n_bytes; i++)
        printf("%02X%s", t->bytes[i], i + 2 == t->n_bytes ? " | " : " ");
    printf("(the last is the HLT)\n  hash %s\n", t->has_hash ? hash : "-");
    if (t->has_exception)
        printf("  capture raised %s (vector %u); pushed FLAGS at %05X (EXCP says %05X)\n",
               exc_name(t->exc_vector),
               t->exc_vector, pushed_flags_addr(t, 0), t->exc_flags_addr);
}

void sst_run_test(SstMachine *m, const MooTest *t, const char *key, bool is386, bool verbose,
                  Verdict *v)
{
    memset(v, 0, sizeof *v);
    v->apart = -1;
    if (verbose)
        dump_header(t);
    Cpu *cpu = m->cpu;
    load_state(m, t, is386);
    for (int s = 0; s < RUN_SLICES && !cpu->halted && !cpu->triple_fault; s++)
        cpu_run(cpu, RUN_SLICE);
    int exc = kairo_exception(cpu);
    if (verbose && exc >= 0)
        printf("  kairo raised %s into the runner's stub\n", exc_name((unsigned)exc));
    judge(m, t, key, is386, verbose, v);
    v->pass = !v->field[0];
    if (!v->pass) {
        /* Name the failure by its cause when it is an exception or a hang;
         * the register that differs first is in the detail. */
        char first[128], first_field[16];
        snprintf(first, sizeof first, "%s %s", v->field, v->detail);
        snprintf(first_field, sizeof first_field, "%s", v->field);
        if (!cpu->halted) {
            snprintf(v->field, sizeof v->field, cpu->triple_fault ? "triple" : "hang");
            snprintf(v->detail, sizeof v->detail, "no HLT reached, stopped at %04X:%04X",
                     cpu->seg[SEG_CS].sel, cpu->eip);
        } else if (exc >= 0 && !(t->has_exception && t->exc_vector == exc)) {
            snprintf(v->field, sizeof v->field, "%s", exc_name((unsigned)exc));
            snprintf(v->detail, sizeof v->detail, "%s%s; %.60s",
                     t->has_exception ? "capture raised " : "capture raised none",
                     t->has_exception ? exc_name(t->exc_vector) : "", first);
        } else if (t->has_exception && exc < 0 &&
                   (kairo_reg(cpu, MOO_CS) & 0xFFFF) != (want_reg(t, MOO_CS) & 0xFFFF)) {
            snprintf(v->field, sizeof v->field, "no-%s",
                     exc_name(t->exc_vector));
            snprintf(v->detail, sizeof v->detail, "capture raised it, kairo did not; %.60s",
                     first);
        }
        v->rule = matching_rule(t, exc, first_field);
        if (v->rule)
            v->apart = strcmp(v->rule, "lock") ? APART_RULE : APART_LOCK;
    }
    if (verbose) {
        if (v->pass)
            printf("  PASS\n");
        else
            printf("  FAIL: %s: %s%s%s\n", v->field, v->detail, v->rule ? "\n  set apart: " : "",
                   v->rule ? meta_rule_reason(v->rule) : "");
    }
}
