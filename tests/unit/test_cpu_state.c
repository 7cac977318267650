/* SPDX-License-Identifier: MIT */
/* The CPU, x87 and RAM descriptors (cpu/cpu_state.c, fpu/fpu_state.c,
 * memory/phys_state.c): every field round-trips into a fresh instance, a
 * loaded CPU drops its cached translations, hostile values are refused,
 * every truncation fails cleanly, zero RAM pages are not stored. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_state.h"
#include "fpu/fpu.h"
#include "iodev/portbus.h"
#include "memory/phys_state.h"

typedef struct Rig {
    PhysMem *mem;
    PortBus io;
    Cpu *cpu;
} Rig;

static void rig_init(Rig *r)
{
    char err[128];
    r->mem = phys_new(2u << 20, err, sizeof err);
    cr_assert(r->mem, "%s", err);
    portbus_init(&r->io);
    r->cpu = cpu_new(r->mem, &r->io);
    cr_assert(r->cpu);
}

static void rig_free(Rig *r)
{
    cpu_free(r->cpu);
    phys_free(r->mem);
}

/* A CPU in a state far from reset: protected mode, lazy flags pending, an
 * odd segment cache, MSRs, halted with an interrupt shadow. */
static void busy_cpu(Cpu *c)
{
    for (int i = 0; i < 8; i++)
        c->gpr[i] = 0x11111111u * (uint32_t)(i + 1);
    c->eip = 0xC0101234u;
    c->lf = (LazyFlags){ LF_SUB | LF_W16, 5, 7, 0xFFFE, 0 };
    c->eflags = 0x00000202u | FLAG_DF;
    c->seg[SEG_SS] = (SegCache){ 0x68, 0xC093, 0x1000, 0xFFF, 0x1000, 0xFFFFFFFFu, 3, 0, { 0 } };
    c->seg[SEG_CS].sel = 0x63;
    c->cr0 = CR0_PE | CR0_PG | CR0_ET;
    c->cr3 = 0x1000;
    c->cr4 = CR4_PSE;
    c->dr[7] = 0x400;
    c->gdtr = (DescTable){ 0xC0001000u, 0xFF };
    c->msr.sysenter_eip = 0xC0100000u;
    c->msr.mtrr_var[3] = 0x123456789ull;
    c->msr.tsc_offset = 42;
    c->icount = 1000000;
    c->idle_insns = 1000;
    c->cpl = 3;
    c->code32 = c->stack32 = true;
    c->halted = c->inhibit_irq = c->nmi_blocked = true;
    c->fpu->regs[5] = (F80){ 0x8000000000000001ull, 0x4001 };
    c->fpu->cw = 0x037F;
    c->fpu->sw = 0x3800;
    c->fpu->tw = 0x0FFF;
    c->fpu->fop = 0x5D9;
    c->fpu->ferr = true;
}

static size_t save_pair(Rig *r, uint8_t **out)
{
    DeviceInstance cpu = { &cpu_desc, r->cpu, "cpu" };
    DeviceInstance fpu = { &fpu_desc, r->cpu->fpu, "fpu" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&fpu, &w);
    device_save(&cpu, &w);
    cr_assert(!w.failed);
    *out = w.buf;
    return w.len;
}

static bool load_pair(Rig *r, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    DeviceInstance cpu = { &cpu_desc, r->cpu, "cpu" };
    DeviceInstance fpu = { &fpu_desc, r->cpu->fpu, "fpu" };
    StateReader rd;
    state_reader_init(&rd, buf, len);
    return device_load(&fpu, &rd, err, errlen) && device_load(&cpu, &rd, err, errlen);
}

Test(cpu_state, round_trip_every_register)
{
    Rig a, b;
    rig_init(&a);
    rig_init(&b);
    busy_cpu(a.cpu);
    uint8_t *buf;
    size_t len = save_pair(&a, &buf);
    /* b has a TLB entry that a load must drop. */
    b.cpu->tlb_read[5].tag = 0x5000;
    char err[200];
    cr_assert(load_pair(&b, buf, len, err, sizeof err), "%s", err);
    cr_assert(!memcmp(a.cpu->gpr, b.cpu->gpr, sizeof a.cpu->gpr));
    cr_assert(!memcmp(&a.cpu->lf, &b.cpu->lf, sizeof a.cpu->lf), "lazy flags kept exactly");
    cr_assert(!memcmp(a.cpu->seg, b.cpu->seg, sizeof a.cpu->seg));
    cr_assert(!memcmp(&a.cpu->msr, &b.cpu->msr, sizeof a.cpu->msr));
    cr_assert_eq(b.cpu->eip, a.cpu->eip);
    cr_assert_eq(b.cpu->eflags, a.cpu->eflags);
    cr_assert_eq(b.cpu->cr0, a.cpu->cr0);
    cr_assert_eq(b.cpu->gdtr.base, a.cpu->gdtr.base);
    cr_assert_eq(b.cpu->icount, a.cpu->icount);
    cr_assert_eq(b.cpu->idle_insns, a.cpu->idle_insns);
    cr_assert(b.cpu->halted && b.cpu->inhibit_irq && b.cpu->nmi_blocked);
    cr_assert_eq(b.cpu->cpl, 3);
    cr_assert_eq(b.cpu->tlb_read, b.cpu->tlb[TLB_USER_READ], "TLB pair follows the CPL");
    cr_assert_eq(b.cpu->tlb_read[5].tag, TLB_EMPTY, "TLB flushed");
    cr_assert(!memcmp(b.cpu->fpu, a.cpu->fpu, sizeof *a.cpu->fpu));
    free(buf);
    rig_free(&a);
    rig_free(&b);
}

Test(cpu_state, every_truncation_fails_cleanly)
{
    Rig a, b;
    rig_init(&a);
    rig_init(&b);
    busy_cpu(a.cpu);
    uint8_t *buf;
    size_t len = save_pair(&a, &buf);
    char err[200];
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, buf, n);
        cr_assert(!load_pair(&b, cut, n, err, sizeof err), "loaded from %zu of %zu bytes", n,
                  len);
        cr_assert(err[0]);
        free(cut);
    }
    free(buf);
    rig_free(&a);
    rig_free(&b);
}

/* Patch the u32 at a field's place in a saved CPU section and load it. */
static bool load_patched_cpu(Rig *r, uint32_t (*patch)(Cpu *c), char *err, size_t errlen)
{
    Rig src;
    rig_init(&src);
    busy_cpu(src.cpu);
    patch(src.cpu);
    uint8_t *buf;
    size_t len = save_pair(&src, &buf);
    bool ok = load_pair(r, buf, len, err, errlen);
    free(buf);
    rig_free(&src);
    return ok;
}

static uint32_t bad_lazy_kind(Cpu *c) { return c->lf.kind = LF_W32 | 0x7F; }
static uint32_t bad_cpl(Cpu *c) { return c->cpl = 4; }
static uint32_t bad_idle(Cpu *c) { return (uint32_t)(c->idle_insns = c->icount + 1); }

Test(cpu_state, hostile_values_refused)
{
    Rig r;
    rig_init(&r);
    char err[200];
    cr_assert(!load_patched_cpu(&r, bad_lazy_kind, err, sizeof err));
    cr_assert(strstr(err, "lazy flags") || strstr(err, "lf.kind"), "%s", err);
    cr_assert(!load_patched_cpu(&r, bad_cpl, err, sizeof err));
    cr_assert(strstr(err, "cpl"), "%s", err);
    cr_assert(!load_patched_cpu(&r, bad_idle, err, sizeof err));
    cr_assert(strstr(err, "idle"), "%s", err);
    rig_free(&r);
}

Test(ram_state, zero_pages_elided_and_size_checked)
{
    Rig a, b;
    rig_init(&a);
    rig_init(&b);
    a.mem->ram[0x1234] = 0xAB;
    a.mem->ram[0x1FFFFF] = 0xCD;
    memset(b.mem->ram + 0x80000, 0x55, 4096);   /* must be zero after the load */
    DeviceInstance ra = { &ram_desc, a.mem, "ram" }, rb = { &ram_desc, b.mem, "ram" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&ra, &w);
    cr_assert_lt(w.len, 3 * 4096 + 64, "two non-zero pages, %zu bytes", w.len);
    StateReader rd;
    state_reader_init(&rd, w.buf, w.len);
    char err[200];
    cr_assert(device_load(&rb, &rd, err, sizeof err), "%s", err);
    cr_assert(!memcmp(a.mem->ram, b.mem->ram, a.mem->ram_size));

    PhysMem *small = phys_new(1u << 20, err, sizeof err);
    DeviceInstance rs = { &ram_desc, small, "ram" };
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(!device_load(&rs, &rd, err, sizeof err));
    cr_assert(strstr(err, "RAM size 2 MiB, this machine 1 MiB"), "%s", err);
    phys_free(small);
    state_writer_free(&w);
    rig_free(&a);
    rig_free(&b);
}
