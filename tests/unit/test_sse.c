/* SPDX-License-Identifier: MIT */
/* SSE: the decisions an SSE instruction makes before and after it computes
 * (#UD for CR0.EM, CR4.OSFXSR and a model without the extension, #NM for
 * CR0.TS, #GP(0) for a misaligned aligned form and for reserved MXCSR
 * bits, #XM or #UD for an unmasked SIMD exception by CR4.OSXMMEXCPT), the
 * FXSAVE image's SSE part, the CPU models (CPUID, CMOV and the others
 * refused on older models) and the snapshot of the SSE state. The values
 * the instructions compute are the differential test's (tests/ssediff). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"
#include "cpu/cpuid.h"
#include "cpu/icache.h"
#include "fpu/fpu.h"
#include "fpu/sfp.h"
#include "memory/phys.h"
#include "tests/unit/cpu_harness.h"

static Cpu *cpu;

static void set_model(const char *name)
{
    cpu->model = cpu_model_find(name);
    cr_assert(cpu->model, "model %s", name);
    cpu->isa = cpu->model->isa;
    icache_flush(cpu->icache);
}

static void setup(void)
{
    cpu = h_cpu_new(4, true);
    set_model("max");
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->cr0 = (cpu->cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
}

static void teardown(void) { h_cpu_free(cpu); }

TestSuite(sse, .init = setup, .fini = teardown);

#define DATA 0x6000u

/* Run code (a HLT is appended); the exception vector taken, or -1. */
static int run(const uint8_t *code, size_t len)
{
    uint8_t buf[64];
    memcpy(buf, code, len);
    buf[len] = 0xF4;
    h_load(cpu, H_CODE, buf, len + 1);
    cpu->gpr[R_ESP] = 0x90000;
    h_run(cpu, H_CODE, 20);
    return h_last_exception(cpu);
}

static const uint8_t addps[] = { 0x0F, 0x58, 0xCA };        /* addps xmm1, xmm2 */
static const uint8_t addpd[] = { 0x66, 0x0F, 0x58, 0xCA };  /* addpd xmm1, xmm2 */
static const uint8_t addsubps[] = { 0xF2, 0x0F, 0xD0, 0xCA };

Test(sse, runs_with_osfxsr_and_a_model_that_has_it)
{
    cpu->fpu->xmm[1] = (Xmm){ .d = { 0x3F800000u, 0, 0, 0 } };
    cpu->fpu->xmm[2] = (Xmm){ .d = { 0x3F800000u, 0, 0, 0 } };
    cr_assert_eq(run(addps, sizeof addps), -1);
    cr_assert_eq(cpu->fpu->xmm[1].d[0], 0x40000000u);
}

Test(sse, em_or_no_osfxsr_is_ud_and_ts_is_nm)
{
    cpu->cr4 &= ~CR4_OSFXSR;
    cr_assert_eq(run(addps, sizeof addps), EXC_UD);
    cpu->cr4 |= CR4_OSFXSR;
    cpu->cr0 |= CR0_EM | CR0_TS;
    cr_assert_eq(run(addps, sizeof addps), EXC_UD, "EM before TS");
    cpu->cr0 &= ~CR0_EM;
    cr_assert_eq(run(addps, sizeof addps), EXC_NM);
    cpu->cr0 &= ~CR0_TS;
    cr_assert_eq(run(addps, sizeof addps), -1);
}

Test(sse, models_without_the_extension_refuse_it)
{
    set_model("pentium2");
    cr_assert_eq(run(addps, sizeof addps), EXC_UD);
    set_model("pentium3");
    cr_assert_eq(run(addps, sizeof addps), -1);
    cr_assert_eq(run(addpd, sizeof addpd), EXC_UD, "SSE2 on a Pentium III");
    static const uint8_t cvtps2pd[] = { 0x0F, 0x5A, 0xCA };   /* SSE2 without a prefix */
    cr_assert_eq(run(cvtps2pd, sizeof cvtps2pd), EXC_UD);
    set_model("pentium4");
    cr_assert_eq(run(addpd, sizeof addpd), -1);
    cr_assert_eq(run(addsubps, sizeof addsubps), EXC_UD, "SSE3 on a Northwood");
    set_model("prescott");
    cr_assert_eq(run(addsubps, sizeof addsubps), -1);
}

Test(sse, aligned_forms_fault_on_misaligned_addresses)
{
    static const uint8_t movaps[] = { 0x0F, 0x28, 0x0E };   /* movaps xmm1, [esi] */
    static const uint8_t movups[] = { 0x0F, 0x10, 0x0E };   /* movups xmm1, [esi] */
    static const uint8_t addss[] = { 0xF3, 0x0F, 0x58, 0x0E };   /* scalar: no alignment */
    cpu->gpr[R_ESI] = DATA + 8;
    cr_assert_eq(run(movaps, sizeof movaps), EXC_GP);
    cr_assert_eq(h_last_errcode(cpu), 0);
    cr_assert_eq(run(movups, sizeof movups), -1);
    cr_assert_eq(run(addss, sizeof addss), -1);
    cpu->gpr[R_ESI] = DATA;
    cr_assert_eq(run(movaps, sizeof movaps), -1);
}

/* 1/0 with ZE unmasked: #XM (or #UD without OSXMMEXCPT), ZE set, the
 * destination unchanged; masked, the infinity. */
Test(sse, unmasked_exception_is_xm_or_ud)
{
    static const uint8_t divss[] = { 0xF3, 0x0F, 0x5E, 0xCA };
    cpu->fpu->xmm[1] = (Xmm){ .d = { 0x3F800000u, 1, 2, 3 } };
    cpu->fpu->xmm[2] = (Xmm){ .d = { 0, 0, 0, 0 } };
    cpu->fpu->mxcsr = MX_RESET & ~(MX_ZE << MX_MASK_SHIFT);
    cr_assert_eq(run(divss, sizeof divss), EXC_XM);
    cr_assert_eq(cpu->fpu->mxcsr & MX_FLAGS, MX_ZE);
    cr_assert_eq(cpu->fpu->xmm[1].d[0], 0x3F800000u);
    cpu->cr4 &= ~CR4_OSXMMEXCPT;
    cr_assert_eq(run(divss, sizeof divss), EXC_UD);
    cpu->fpu->mxcsr = MX_RESET;
    cr_assert_eq(run(divss, sizeof divss), -1);
    cr_assert_eq(cpu->fpu->xmm[1].d[0], 0x7F800000u);
    cr_assert_eq(cpu->fpu->mxcsr, MX_RESET | MX_ZE);
}

/* A pre-computation exception (IE) in one lane stops the post-computation
 * checks of all: the other lane's PE is not reported. */
Test(sse, precomputation_exception_stops_every_lane)
{
    static const uint8_t addps_[] = { 0x0F, 0x58, 0xCA };
    cpu->fpu->xmm[1] = (Xmm){ .d = { 0x7F800001u, 0x3F800000u, 0, 0 } };   /* SNaN, 1 */
    cpu->fpu->xmm[2] = (Xmm){ .d = { 0, 0x33800000u, 0, 0 } };               /* 0, 2^-24 */
    cpu->fpu->mxcsr = MX_RESET & ~((MX_IE | MX_PE) << MX_MASK_SHIFT);
    cr_assert_eq(run(addps_, sizeof addps_), EXC_XM);
    cr_assert_eq(cpu->fpu->mxcsr & MX_FLAGS, MX_IE);
    cpu->fpu->mxcsr = MX_RESET & ~(MX_PE << MX_MASK_SHIFT);
    cpu->fpu->xmm[1].d[0] = 0;
    cr_assert_eq(run(addps_, sizeof addps_), EXC_XM);
    cr_assert_eq(cpu->fpu->mxcsr & MX_FLAGS, MX_PE);
}

Test(sse, ldmxcsr_reserved_bits_and_daz_by_model)
{
    static const uint8_t ldmxcsr[] = { 0x0F, 0xAE, 0x16 };   /* ldmxcsr [esi] */
    static const uint8_t stmxcsr[] = { 0x0F, 0xAE, 0x1E };   /* stmxcsr [esi] */
    cpu->gpr[R_ESI] = DATA;
    h_write32(cpu, DATA, 0x10000);
    cr_assert_eq(run(ldmxcsr, sizeof ldmxcsr), EXC_GP);
    h_write32(cpu, DATA, 0x9FC0);   /* FTZ, DAZ, RC down, all masked */
    cr_assert_eq(run(ldmxcsr, sizeof ldmxcsr), -1);
    cr_assert_eq(cpu->fpu->mxcsr, 0x9FC0u);
    h_write32(cpu, DATA, 0);
    cr_assert_eq(run(stmxcsr, sizeof stmxcsr), -1);
    cr_assert_eq(h_read32(cpu, DATA), 0x9FC0u);
    set_model("pentium3");   /* no DAZ before the Pentium 4 */
    h_write32(cpu, DATA, 0x1FC0);
    cr_assert_eq(run(ldmxcsr, sizeof ldmxcsr), EXC_GP);
}

Test(sse, cr4_osxmmexcpt_exists_with_sse_only)
{
    static const uint8_t mov_cr4_eax[] = { 0x0F, 0x22, 0xE0 };
    cpu->gpr[R_EAX] = CR4_OSFXSR | CR4_OSXMMEXCPT;
    cr_assert_eq(run(mov_cr4_eax, sizeof mov_cr4_eax), -1);
    cr_assert_eq(cpu->cr4, CR4_OSFXSR | CR4_OSXMMEXCPT);
    set_model("pentium2");
    cr_assert_eq(run(mov_cr4_eax, sizeof mov_cr4_eax), EXC_GP);
}

Test(sse, fxsave_image_carries_mxcsr_and_xmm)
{
    static const uint8_t fxsave[] = { 0x0F, 0xAE, 0x06 };    /* fxsave [esi] */
    static const uint8_t fxrstor[] = { 0x0F, 0xAE, 0x0E };   /* fxrstor [esi] */
    cpu->gpr[R_ESI] = DATA;
    cpu->fpu->mxcsr = 0x1F80 | MX_PE | MX_DAZ;
    cpu->fpu->xmm[7] = (Xmm){ .d = { 0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u } };
    cr_assert_eq(run(fxsave, sizeof fxsave), -1);
    cr_assert_eq(h_read32(cpu, DATA + 24), 0x1FE0u);
    cr_assert_eq(h_read32(cpu, DATA + 28), 0xFFFFu, "MXCSR_MASK with DAZ");
    cr_assert_eq(h_read32(cpu, DATA + 160 + 7 * 16 + 12), 0x44444444u);
    memset(&cpu->fpu->xmm[7], 0, 16);
    cpu->fpu->mxcsr = MX_RESET;
    cr_assert_eq(run(fxrstor, sizeof fxrstor), -1);
    cr_assert_eq(cpu->fpu->mxcsr, 0x1FE0u);
    cr_assert_eq(cpu->fpu->xmm[7].d[1], 0x22222222u);
    h_write32(cpu, DATA + 24, 0x20000);   /* reserved MXCSR bit in the image */
    cr_assert_eq(run(fxrstor, sizeof fxrstor), EXC_GP);
    set_model("pentium2");   /* no SSE: the P6 image, MXCSR_MASK 0 */
    cr_assert_eq(run(fxsave, sizeof fxsave), -1);
    cr_assert_eq(h_read32(cpu, DATA + 24), 0x1F80u);
    cr_assert_eq(h_read32(cpu, DATA + 28), 0u);
}

/* --- CPU models --- */

static uint32_t leaf(uint32_t l, int reg)
{
    uint32_t r[4];
    cpu_cpuid(cpu, l, r);
    return r[reg];
}

Test(sse, cpuid_follows_the_model)
{
    set_model("pentium");
    cr_assert_eq(leaf(1, 0), 0x543u);
    cr_assert_eq(leaf(1, 3) & (1u << 15), 0, "no CMOV");
    set_model("pentium3");
    cr_assert(leaf(1, 3) & (1u << 25), "SSE");
    cr_assert_eq(leaf(1, 3) & (1u << 26), 0);
    set_model("pentium4");
    cr_assert_eq(leaf(1, 0), 0xF29u);
    cr_assert(leaf(1, 3) & (1u << 26), "SSE2");
    cr_assert_eq(leaf(1, 2) & 1, 0, "no SSE3");
    cr_assert_eq(leaf(0x80000000u, 0), 0x80000004u);
    char brand[49] = { 0 };
    for (uint32_t l = 0; l < 3; l++)
        for (int i = 0; i < 4; i++) {
            uint32_t v = leaf(0x80000002u + l, i);
            memcpy(brand + 16 * l + 4 * i, &v, 4);
        }
    cr_assert_str_eq(brand, "Intel(R) Pentium(R) 4 CPU 2.80GHz");
    set_model("prescott");
    cr_assert_eq(leaf(1, 2) & 9, 9, "SSE3 and MONITOR");
}

Test(sse, older_models_refuse_newer_instructions)
{
    static const uint8_t cmove[] = { 0x0F, 0x44, 0xC1 };     /* cmove eax, ecx */
    static const uint8_t rdtsc[] = { 0x0F, 0x31 };
    static const uint8_t cpuid[] = { 0x0F, 0xA2 };
    static const uint8_t fxsave[] = { 0x0F, 0xAE, 0x06 };
    static const uint8_t fcmovb[] = { 0xDA, 0xC1 };
    static const uint8_t paddb[] = { 0x0F, 0xFC, 0xC1 };
    static const uint8_t fisttp[] = { 0xDB, 0x0E };          /* fisttp dword [esi] */
    cpu->gpr[R_ESI] = DATA;
    set_model("pentium2");
    cr_assert_eq(run(cmove, sizeof cmove), -1);
    cr_assert_eq(run(fisttp, sizeof fisttp), EXC_UD, "FISTTP is SSE3");
    set_model("pentium");
    cr_assert_eq(run(cmove, sizeof cmove), EXC_UD);
    cr_assert_eq(run(fcmovb, sizeof fcmovb), EXC_UD);
    cr_assert_eq(run(fxsave, sizeof fxsave), EXC_UD);
    cr_assert_eq(run(rdtsc, sizeof rdtsc), -1);
    cr_assert_eq(run(paddb, sizeof paddb), -1, "the Pentium MMX has MMX");
    set_model("486");
    cr_assert_eq(run(rdtsc, sizeof rdtsc), EXC_UD);
    cr_assert_eq(run(paddb, sizeof paddb), EXC_UD);
    cr_assert_eq(run(cpuid, sizeof cpuid), -1);
    set_model("prescott");
    cr_assert_eq(run(fisttp, sizeof fisttp), -1);
}

/* FISTTP truncates whatever CW.RC says. */
Test(sse, fisttp_truncates)
{
    /* fld dword [esi]; fisttp dword [esi+8] */
    static const uint8_t code[] = { 0xD9, 0x06, 0xDB, 0x4E, 0x08 };
    cpu->gpr[R_ESI] = DATA;
    h_write32(cpu, DATA, 0xC0200000u);   /* -2.5 */
    cpu->fpu->cw = 0x037F;               /* round to nearest */
    cpu->fpu->tw = 0xFFFF;
    cr_assert_eq(run(code, sizeof code), -1);
    cr_assert_eq(h_read32(cpu, DATA + 8), (uint32_t)-2);
    cr_assert_eq(cpu->fpu->tw, 0xFFFF, "popped");
}

/* --- snapshots --- */

Test(sse, snapshot_keeps_sse_state_and_old_sections_load_reset_values)
{
    cpu->fpu->mxcsr = 0x9FC0;
    cpu->fpu->xmm[3].q[1] = 0x0123456789ABCDEFull;
    DeviceInstance cur = { &fpu_desc, cpu->fpu, "fpu" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&cur, &w);
    FpuState *copy = fpu_new();
    DeviceInstance into = { &fpu_desc, copy, "fpu" };
    StateReader rd;
    char err[200];
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&into, &rd, err, sizeof err), "%s", err);
    cr_assert_eq(copy->mxcsr, 0x9FC0u);
    cr_assert_eq(copy->xmm[3].q[1], 0x0123456789ABCDEFull);
    state_writer_free(&w);

    /* A version-1 section (written before SSE existed). */
    DeviceDesc v1 = fpu_desc;
    v1.version = 1;
    DeviceInstance old = { &v1, cpu->fpu, "fpu" };
    state_writer_init(&w);
    device_save(&old, &w);
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&into, &rd, err, sizeof err), "%s", err);
    cr_assert_eq(copy->mxcsr, MX_RESET);
    cr_assert_eq(copy->xmm[3].q[1], 0);
    state_writer_free(&w);
    free(copy);
}

/* The cpu section names the model's instruction set: a snapshot of one
 * model does not load into another (a version-1 section is a Pentium II). */
Test(sse, snapshot_refuses_another_cpu_model)
{
    DeviceInstance d = { &cpu_desc, cpu, "cpu" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&d, &w);
    StateReader rd;
    char err[200];
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&d, &rd, err, sizeof err), "%s", err);
    set_model("pentium4");
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(!device_load(&d, &rd, err, sizeof err));
    cr_assert(strstr(err, "another CPU model"), "%s", err);
    state_writer_free(&w);

    DeviceDesc v1 = cpu_desc;
    v1.version = 1;
    v1.save_extra = NULL;
    DeviceInstance old = { &v1, cpu, "cpu" };
    state_writer_init(&w);
    device_save(&old, &w);
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(!device_load(&d, &rd, err, sizeof err), "a v1 section on a Pentium 4");
    set_model("pentium2");
    state_reader_init(&rd, w.buf, w.len);
    cr_assert(device_load(&d, &rd, err, sizeof err), "%s", err);
    state_writer_free(&w);
}

/* SSE3's MONITOR/MWAIT: CPL 0 only, ECX extensions none (#GP(0)); MWAIT
 * returns at once. The fences and CLFLUSH need no SSE state; LOCK on an
 * SSE instruction is #UD. */
Test(sse, monitor_mwait_fences_and_lock)
{
    static const uint8_t monitor[] = { 0x0F, 0x01, 0xC8 };
    static const uint8_t mwait[] = { 0x0F, 0x01, 0xC9 };
    static const uint8_t fences[] = { 0x0F, 0xAE, 0xE8, 0x0F, 0xAE, 0xF0, 0x0F, 0xAE, 0xF8,
                                      0x0F, 0xAE, 0x3E };   /* lfence mfence sfence clflush */
    static const uint8_t lock_addps[] = { 0xF0, 0x0F, 0x58, 0x0E };
    cpu->gpr[R_EAX] = DATA;
    cpu->gpr[R_ECX] = 0;
    cpu->gpr[R_ESI] = DATA;
    cr_assert_eq(run(monitor, sizeof monitor), -1);
    cr_assert_eq(run(mwait, sizeof mwait), -1);
    cpu->gpr[R_ECX] = 1;
    cr_assert_eq(run(mwait, sizeof mwait), EXC_GP);
    cpu->cr4 &= ~CR4_OSFXSR;
    cpu->cr0 |= CR0_TS;
    cr_assert_eq(run(fences, sizeof fences), -1, "no SSE state involved");
    set_model("pentium4");
    cr_assert_eq(run(monitor, sizeof monitor), EXC_UD, "no MONITOR before Prescott");
    set_model("pentium3");
    cr_assert_eq(run(fences + 3, 3), EXC_UD, "MFENCE is SSE2");
    cr_assert_eq(run(fences + 6, 3), -1, "SFENCE is SSE");
    cpu->cr4 |= CR4_OSFXSR;
    cpu->cr0 &= ~CR0_TS;
    cr_assert_eq(run(lock_addps, sizeof lock_addps), EXC_UD);
}
