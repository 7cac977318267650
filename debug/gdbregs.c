/* SPDX-License-Identifier: MIT */
/* The gdb stub's register table and target description (see gdbregs.h). */
#include "debug/gdbregs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "fpu/fpu.h"

static uint32_t load32(const uint8_t *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
           (uint32_t)in[3] << 24;
}

static void store32(uint8_t *out, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

/* --- accessors: arg selects the register within its kind --- */

static uint32_t get_gpr(const Cpu *cpu, unsigned r) { return cpu->gpr[r]; }
static bool set_gpr(Cpu *cpu, unsigned r, uint32_t v) { cpu->gpr[r] = v; return true; }

static uint32_t get_eip(const Cpu *cpu, unsigned r) { (void)r; return cpu->eip; }
static bool set_eip(Cpu *cpu, unsigned r, uint32_t v) { (void)r; cpu->eip = v; return true; }

static uint32_t get_eflags(const Cpu *cpu, unsigned r) { (void)r; return flags_read(cpu); }
static bool set_eflags(Cpu *cpu, unsigned r, uint32_t v)
{
    (void)r;
    flags_write(cpu, v, FLAGS_WRITABLE);
    cpu_update_debug_state(cpu);   /* TF and RF */
    return true;
}

static uint32_t get_sel(const Cpu *cpu, unsigned seg) { return cpu->seg[seg].sel; }
/* Real and V86 mode: the base follows the selector. Protected mode would
 * need a descriptor load with its checks and faults, so only the current
 * value is accepted there (a 'G' packet rewrites every register). */
static bool set_sel(Cpu *cpu, unsigned seg, uint32_t v)
{
    if (v > 0xFFFF)
        return false;
    if (v == cpu->seg[seg].sel)
        return true;
    if (cpu_pe(cpu) && !cpu_v86(cpu))
        return false;
    seg_load_real(cpu, seg, (uint16_t)v);
    return true;
}

/* x87 control registers, in GDB's order: fctrl fstat ftag fiseg fioff foseg fooff fop. */
static uint32_t get_fpu_ctl(const Cpu *cpu, unsigned r)
{
    const FpuState *f = cpu->fpu;
    const uint32_t v[8] = { f->cw, f->sw, f->tw, f->fcs, f->fip, f->fds, f->fdp, f->fop };
    return v[r];
}
static bool set_fpu_ctl(Cpu *cpu, unsigned r, uint32_t v)
{
    FpuState *f = cpu->fpu;
    uint16_t *const half[8] = { &f->cw, &f->sw, &f->tw, &f->fcs, NULL, &f->fds, NULL, &f->fop };
    if (r == 4)
        f->fip = v;
    else if (r == 6)
        f->fdp = v;
    else
        *half[r] = (uint16_t)(r == 7 ? v & 0x7FF : v);
    return true;
}

static uint32_t get_cr(const Cpu *cpu, unsigned r)
{
    const uint32_t v[5] = { cpu->cr0, 0, cpu->cr2, cpu->cr3, cpu->cr4 };
    return v[r];
}
/* CR2 is plain storage; the others change translation, so the TLB goes
 * (cpu_paging_changed logs a bad PAE PDPTE rather than faulting, which a
 * debugger write must never do). */
static bool set_cr(Cpu *cpu, unsigned r, uint32_t v)
{
    uint32_t *const reg[5] = { &cpu->cr0, NULL, &cpu->cr2, &cpu->cr3, &cpu->cr4 };
    if (!reg[r])
        return false;
    *reg[r] = v;
    if (r != 2)
        cpu_paging_changed(cpu);
    return true;
}

/* ST(i) is physical register (TOP + i) & 7: 64-bit significand, then sign
 * and exponent, as FSAVE stores it. */
static void get_st(const Cpu *cpu, unsigned i, uint8_t *out)
{
    const FpuState *f = cpu->fpu;
    F80 v = f->regs[(((unsigned)f->sw >> FSW_TOP_SHIFT) + i) & 7];
    for (int b = 0; b < 8; b++)
        out[b] = (uint8_t)(v.mant >> (8 * b));
    out[8] = (uint8_t)v.se;
    out[9] = (uint8_t)(v.se >> 8);
}
static bool set_st(Cpu *cpu, unsigned i, const uint8_t *in)
{
    FpuState *f = cpu->fpu;
    F80 *v = &f->regs[(((unsigned)f->sw >> FSW_TOP_SHIFT) + i) & 7];
    v->mant = 0;
    for (int b = 0; b < 8; b++)
        v->mant |= (uint64_t)in[b] << (8 * b);
    v->se = (uint16_t)(in[8] | in[9] << 8);
    return true;
}

/* XMM(i), little-endian as FXSAVE stores it. */
static void get_xmm(const Cpu *cpu, unsigned i, uint8_t *out)
{
    memcpy(out, cpu->fpu->xmm[i].b, 16);
}
static bool set_xmm(Cpu *cpu, unsigned i, const uint8_t *in)
{
    memcpy(cpu->fpu->xmm[i].b, in, 16);
    return true;
}

static uint32_t get_mxcsr(const Cpu *cpu, unsigned r)
{
    (void)r;
    return cpu->fpu->mxcsr;
}
/* Only the bits LDMXCSR would take. */
static bool set_mxcsr(Cpu *cpu, unsigned r, uint32_t v)
{
    (void)r;
    if (v & ~sse_mxcsr_mask(cpu))
        return false;
    cpu->fpu->mxcsr = v;
    return true;
}

typedef struct GdbReg {
    const char *name;
    const char *type;        /* XML type */
    const char *group;       /* XML group, or NULL */
    unsigned feature;        /* FEAT_*: which XML feature holds it */
    unsigned arg;
    uint32_t (*get32)(const Cpu *cpu, unsigned arg);   /* 32-bit registers */
    bool (*set32)(Cpu *cpu, unsigned arg, uint32_t v);
    /* wider registers as bytes: the x87 stack (10), XMM (16) */
    unsigned bytes;
    void (*get_bytes)(const Cpu *cpu, unsigned arg, uint8_t *out);
    bool (*set_bytes)(Cpu *cpu, unsigned arg, const uint8_t *in);
} GdbReg;

/* The XML features: GDB's i386 core, kairo's control registers, and
 * GDB's i386 SSE feature (after the others, so that the numbers of the
 * registers before it stay as they were). */
enum { FEAT_CORE, FEAT_CONTROL, FEAT_SSE };

#define GPR(n, t, r) { n, t, NULL, FEAT_CORE, r, get_gpr, set_gpr, 0, NULL, NULL }
#define SEL(n, s) { n, "int32", NULL, FEAT_CORE, s, get_sel, set_sel, 0, NULL, NULL }
#define ST(i) { "st" #i, "i387_ext", NULL, FEAT_CORE, i, NULL, NULL, 10, get_st, set_st }
#define FCTL(n, i) { n, "int", "float", FEAT_CORE, i, get_fpu_ctl, set_fpu_ctl, 0, NULL, NULL }
#define CR(n, i) { n, "uint32", NULL, FEAT_CONTROL, i, get_cr, set_cr, 0, NULL, NULL }
#define XMM(i) { "xmm" #i, "vec128", "vector", FEAT_SSE, i, NULL, NULL, 16, get_xmm, set_xmm }

static const GdbReg regs[] = {
    GPR("eax", "int32", R_EAX), GPR("ecx", "int32", R_ECX), GPR("edx", "int32", R_EDX),
    GPR("ebx", "int32", R_EBX), GPR("esp", "data_ptr", R_ESP), GPR("ebp", "data_ptr", R_EBP),
    GPR("esi", "int32", R_ESI), GPR("edi", "int32", R_EDI),
    { "eip", "code_ptr", NULL, FEAT_CORE, 0, get_eip, set_eip, 0, NULL, NULL },
    { "eflags", "i386_eflags", NULL, FEAT_CORE, 0, get_eflags, set_eflags, 0, NULL, NULL },
    SEL("cs", SEG_CS), SEL("ss", SEG_SS), SEL("ds", SEG_DS),
    SEL("es", SEG_ES), SEL("fs", SEG_FS), SEL("gs", SEG_GS),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FCTL("fctrl", 0), FCTL("fstat", 1), FCTL("ftag", 2), FCTL("fiseg", 3),
    FCTL("fioff", 4), FCTL("foseg", 5), FCTL("fooff", 6), FCTL("fop", 7),
    CR("cr0", 0), CR("cr2", 2), CR("cr3", 3), CR("cr4", 4),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    { "mxcsr", "i386_mxcsr", "vector", FEAT_SSE, 0, get_mxcsr, set_mxcsr, 0, NULL, NULL },
};
#define N_REGS (sizeof regs / sizeof regs[0])

unsigned gdb_reg_count(void)
{
    return N_REGS;
}

unsigned gdb_reg_size(unsigned n)
{
    if (n >= N_REGS)
        return 0;
    return regs[n].bytes ? regs[n].bytes : 4;
}

size_t gdb_regs_bytes(void)
{
    size_t total = 0;
    for (unsigned n = 0; n < N_REGS; n++)
        total += gdb_reg_size(n);
    return total;
}

void gdb_reg_get(const Cpu *cpu, unsigned n, uint8_t *out)
{
    const GdbReg *r = &regs[n];
    if (r->get_bytes)
        r->get_bytes(cpu, r->arg, out);
    else
        store32(out, r->get32(cpu, r->arg));
}

bool gdb_reg_set(Cpu *cpu, unsigned n, const uint8_t *in)
{
    const GdbReg *r = &regs[n];
    return r->set_bytes ? r->set_bytes(cpu, r->arg, in) : r->set32(cpu, r->arg, load32(in));
}

/* --- target description --- */

/* EFLAGS as GDB's i386 core feature names its bits. */
static const struct { const char *name; unsigned bit; } eflags_fields[] = {
    { "CF", 0 }, { "", 1 }, { "PF", 2 }, { "AF", 4 }, { "ZF", 6 }, { "SF", 7 },
    { "TF", 8 }, { "IF", 9 }, { "DF", 10 }, { "OF", 11 }, { "NT", 14 }, { "RF", 16 },
    { "VM", 17 }, { "AC", 18 }, { "VIF", 19 }, { "VIP", 20 }, { "ID", 21 },
};

/* A bounded text buffer the XML is printed into. */
typedef struct XmlOut {
    char *buf;
    size_t cap, len;
} XmlOut;

static void xml_printf(XmlOut *o, const char *fmt, ...)
{
    if (o->len >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void xml_regs(XmlOut *o, unsigned feature)
{
    for (unsigned n = 0; n < N_REGS; n++) {
        const GdbReg *r = &regs[n];
        if (r->feature != feature)
            continue;
        xml_printf(o, "  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s%s%s/>\n",
                   r->name, gdb_reg_size(n) * 8, r->type, n, r->group ? " group=\"" : "",
                   r->group ? r->group : "", r->group ? "\"" : "");
    }
}

/* The vec128 union and the MXCSR flags, as GDB's own i386 SSE feature
 * declares them. */
static void xml_sse_types(XmlOut *o)
{
    static const char *const vectors[][3] = {
        { "v4f", "ieee_single", "4" }, { "v2d", "ieee_double", "2" }, { "v16i8", "int8", "16" },
        { "v8i16", "int16", "8" }, { "v4i32", "int32", "4" }, { "v2i64", "int64", "2" },
    };
    static const char *const fields[] = { "v4_float", "v2_double", "v16_int8", "v8_int16",
                                          "v4_int32", "v2_int64" };
    for (unsigned i = 0; i < 6; i++)
        xml_printf(o, "  <vector id=\"%s\" type=\"%s\" count=\"%s\"/>\n", vectors[i][0],
                   vectors[i][1], vectors[i][2]);
    xml_printf(o, "  <union id=\"vec128\">\n");
    for (unsigned i = 0; i < 6; i++)
        xml_printf(o, "    <field name=\"%s\" type=\"%s\"/>\n", fields[i], vectors[i][0]);
    xml_printf(o, "    <field name=\"uint128\" type=\"uint128\"/>\n  </union>\n");
    static const char *const mxcsr[] = { "IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM",
                                         "DM", "ZM", "OM", "UM", "PM", "", "", "FZ" };
    xml_printf(o, "  <flags id=\"i386_mxcsr\" size=\"4\">\n");
    for (unsigned b = 0; b < 16; b++)
        if (mxcsr[b][0])
            xml_printf(o, "    <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n", mxcsr[b], b, b);
    xml_printf(o, "  </flags>\n");
}

static size_t build_xml(char *buf, size_t cap)
{
    XmlOut o = { buf, cap, 0 };
    xml_printf(&o, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                   "<target version=\"1.0\">\n<architecture>i386</architecture>\n"
                   "<feature name=\"org.gnu.gdb.i386.core\">\n"
                   "  <flags id=\"i386_eflags\" size=\"4\">\n");
    for (size_t i = 0; i < sizeof eflags_fields / sizeof eflags_fields[0]; i++)
        xml_printf(&o, "    <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
                   eflags_fields[i].name, eflags_fields[i].bit, eflags_fields[i].bit);
    xml_printf(&o, "  </flags>\n");
    xml_regs(&o, FEAT_CORE);
    xml_printf(&o, "</feature>\n<feature name=\"org.kairo.i386.control\">\n");
    xml_regs(&o, FEAT_CONTROL);
    xml_printf(&o, "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n");
    xml_sse_types(&o);
    xml_regs(&o, FEAT_SSE);
    xml_printf(&o, "</feature>\n</target>\n");
    return o.len < cap ? o.len : cap - 1;
}

const char *gdb_target_xml(size_t *len)
{
    static char xml[16384];
    static size_t xml_len;
    if (!xml_len)
        xml_len = build_xml(xml, sizeof xml);
    *len = xml_len;
    return xml;
}
