/* SPDX-License-Identifier: MIT */
/* Tracing: filter parsing, the branch table, the binary format helpers,
 * the shared text lines, and the traced loop against the normal one (same
 * registers, same instruction count, whatever the tracer does). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "debug/flightrec.h"
#include "debug/trace.h"
#include "debug/trace_filter.h"
#include "debug/trace_format.h"
#include "debug/trace_text.h"
#include "tests/unit/cpu_harness.h"

/* ======== filters ======== */

Test(trace_filter, empty_spec_fails)
{
    TraceFilter f;
    char err[128];
    cr_assert(!trace_filter_parse(&f, "", err, sizeof err));
}

Test(trace_filter, defaults_pass_everything)
{
    TraceFilter f;
    trace_filter_init(&f);
    cr_assert(trace_filter_where(&f, 0x12345678, 3, 0));
    cr_assert(trace_filter_class(&f, TRACE_CLASS_IO));
}

Test(trace_filter, ranges_are_inclusive_and_or_ed)
{
    TraceFilter f;
    char err[128];
    cr_assert(trace_filter_parse(&f, "range=0x1000-0x1fff,range=0x8000+0x10", err, sizeof err),
              "%s", err);
    cr_assert_eq(f.n_ranges, 2);
    cr_assert(trace_filter_where(&f, 0x1000, 0, 0));
    cr_assert(trace_filter_where(&f, 0x1FFF, 0, 0));
    cr_assert(!trace_filter_where(&f, 0x2000, 0, 0));
    cr_assert(trace_filter_where(&f, 0x800F, 0, 0));
    cr_assert(!trace_filter_where(&f, 0x8010, 0, 0));
}

Test(trace_filter, cpl_and_after)
{
    TraceFilter f;
    char err[128];
    cr_assert(trace_filter_parse(&f, "cpl=3,after=100", err, sizeof err), "%s", err);
    cr_assert(!trace_filter_where(&f, 0, 0, 200));
    cr_assert(!trace_filter_where(&f, 0, 3, 99));
    cr_assert(trace_filter_where(&f, 0, 3, 100));
    cr_assert(trace_filter_parse(&f, "cpl=1-2", err, sizeof err), "%s", err);
    cr_assert_eq(f.cpl_mask, 0x6);
}

Test(trace_filter, classes)
{
    TraceFilter f;
    char err[128];
    cr_assert(trace_filter_parse(&f, "branches,io", err, sizeof err), "%s", err);
    cr_assert(trace_filter_class(&f, TRACE_CLASS_IO));
    cr_assert(trace_filter_class(&f, TRACE_CLASS_BRANCHES));
    cr_assert(!trace_filter_class(&f, TRACE_CLASS_INTS));
}

Test(trace_filter, bad_terms_say_why)
{
    static const char *bad[] = { "range=5", "range=9-1", "range=0+0", "cpl=4", "cpl=x",
                                 "after=-1", "after=", "bogus", "range=0x1-0x100000000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TraceFilter f;
        char err[128] = "";
        cr_assert(!trace_filter_parse(&f, bad[i], err, sizeof err), "%s accepted", bad[i]);
        cr_assert(err[0], "no message for %s", bad[i]);
    }
}

Test(trace_filter, branch_opcodes)
{
    cr_assert(trace_is_branch(0x74, 0));    /* JZ rel8 */
    cr_assert(trace_is_branch(0x185, 0));   /* JNZ rel32 */
    cr_assert(trace_is_branch(0xE8, 0));    /* CALL */
    cr_assert(trace_is_branch(0xC3, 0));    /* RET */
    cr_assert(trace_is_branch(0xCD, 0));    /* INT n */
    cr_assert(trace_is_branch(0xFF, 4));    /* JMP r/m */
    cr_assert(!trace_is_branch(0xFF, 6));   /* PUSH r/m */
    cr_assert(!trace_is_branch(0x89, 0));   /* MOV */
    cr_assert(!trace_is_branch(0x1FF, 0));
}

/* ======== format helpers and text ======== */

Test(trace_format, varint_and_zigzag_round_trip)
{
    static const int64_t values[] = { 0, 1, -1, 63, -64, 300, -300, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        cr_assert_eq(trace_unzigzag(trace_zigzag(values[i])), values[i]);
    uint8_t buf[10];
    cr_assert_eq(trace_put_varint(buf, 0), 1);
    cr_assert_eq(trace_put_varint(buf, 127), 1);
    cr_assert_eq(trace_put_varint(buf, 128), 2);
    cr_assert_eq(trace_put_varint(buf, UINT64_MAX), 10);
}

Test(trace_format, code_slots_in_range)
{
    for (uint32_t lin = 0; lin < 0x100000; lin += 0x1234)
        cr_assert_lt(trace_code_slot(lin, lin & 1), TRACE_CODE_SLOTS);
}

Test(trace_text, insn_and_event_lines)
{
    char line[256];
    TraceWhere at = { 42, 0x0008, 0x1000, 0 };
    const uint8_t bytes[] = { 0x66, 0xB8, 0x34, 0x12 };
    trace_fmt_insn(line, sizeof line, &at, bytes, sizeof bytes, true);
    cr_assert_str_eq(line, "        42 0008:00001000  66 b8 34 12              mov ax, 0x1234");
    TraceEvent io = { .type = REC_IO, .kind = 1 | (1 << 1), .port = 0xE9, .value = 0x41, .at = at };
    trace_fmt_event(line, sizeof line, &io);
    cr_assert_str_eq(line, "        42 0008:00001000 >> out 0x00E9 b 0x41");
    TraceEvent ex = { .type = REC_INT, .kind = TRACE_INT_EXCEPTION, .vector = 14, .err = 2,
                      .at = at };
    trace_fmt_event(line, sizeof line, &ex);
    cr_assert_str_eq(line, "        42 0008:00001000 >> exception 0x0E err 0x2 CPL 0");
    ex.at.cpu_tag = 3;   /* -smp: CPU 2 */
    trace_fmt_event(line, sizeof line, &ex);
    cr_assert_str_eq(line, "cpu2         42 0008:00001000 >> exception 0x0E err 0x2 CPL 0");
}

/* ======== the traced loop against the normal one ======== */

/* 32-bit code: a loop with a conditional branch in the middle of its
 * block, a REP MOVSB long enough to leave its block in chunks, a write to
 * its own code (the block goes stale under the loop), then UD2. */
static const uint8_t program[] = {
    0xB9, 0x20, 0x00, 0x00, 0x00,        /* mov ecx, 32 */
    0x31, 0xC0,                          /* xor eax, eax */
    0x01, 0xC8,                          /* L: add eax, ecx */
    0xA8, 0x01,                          /* test al, 1 */
    0x74, 0x01,                          /* jz +1 */
    0x43,                                /* inc ebx */
    0xE2, 0xF7,                          /* loop L */
    0xBE, 0x00, 0x00, 0x20, 0x00,        /* mov esi, 0x200000 */
    0xBF, 0x00, 0x00, 0x30, 0x00,        /* mov edi, 0x300000 */
    0xB9, 0x00, 0x00, 0x01, 0x00,        /* mov ecx, 0x10000 */
    0xF3, 0xA4,                          /* rep movsb */
    0xC6, 0x05, 0x28, 0x00, 0x01, 0x00, 0x90, /* mov byte [0x10028], 0x90 (the INT3 below) */
    0xCC,                                /* int3: now a NOP */
    0x0F, 0x0B,                          /* ud2 */
};

static void run_program(Cpu *cpu)
{
    h_load(cpu, H_CODE, program, sizeof program);
    h_run(cpu, H_CODE, 1000000);
}

Test(trace_loop, same_result_as_the_normal_loop)
{
    Cpu *plain = h_cpu_new(8, true);
    run_program(plain);

    Cpu *traced = h_cpu_new(8, true);
    FILE *log = tmpfile();
    cr_assert(log);
    char path[] = "/tmp/kairo_test_trace_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    TraceConfig tc = { .text_items = TRACE_EXEC | TRACE_INT, .log = log, .file = path,
                       .flight_insns = 8, .flight_dump_on = "6" };
    char err[200];
    cr_assert(trace_setup(traced, h_portbus(traced), &tc, err, sizeof err), "%s", err);
    cr_assert(traced->trace_loop);
    run_program(traced);
    cr_assert(trace_teardown(traced, h_portbus(traced)));

    cr_assert_eq(h_last_exception(plain), 6);
    cr_assert_eq(h_last_exception(traced), 6);
    cr_assert_eq(traced->icount, plain->icount, "icount %llu vs %llu",
                 (unsigned long long)traced->icount, (unsigned long long)plain->icount);
    for (int r = 0; r < 8; r++)
        cr_assert_eq(traced->gpr[r], plain->gpr[r], "register %d", r);
    cr_assert_eq(traced->eip, plain->eip);
    cr_assert_eq(h_eflags(traced), h_eflags(plain));

    /* The text log: every instruction once, the #UD, and the flight dump. */
    fflush(log);
    rewind(log);
    char line[400];
    int ud2 = 0, int3_became_nop = 0, dumps = 0, lines = 0;
    while (fgets(line, sizeof line, log)) {
        lines++;
        ud2 += strstr(line, "  0f 0b ") != NULL;
        if (strstr(line, " 0008:00010028 "))
            int3_became_nop += strstr(line, "  90 ") && strstr(line, "nop") ? 1 : 100;
        dumps += strstr(line, "flight recorder: exception 0x06") != NULL;
    }
    fclose(log);
    cr_assert_eq(ud2, 2, "ud2 in the log and in the dump");
    /* The patched INT3 runs as a NOP: once in the log, once in the dump. */
    cr_assert_eq(int3_became_nop, 2, "0x10028 lines: %d", int3_became_nop);
    cr_assert_eq(dumps, 1);
    cr_assert_gt(lines, 32 * 5);
    unlink(path);
    h_cpu_free(plain);
    h_cpu_free(traced);
}

Test(flightrec, dump_without_recorder_says_so)
{
    Cpu *cpu = h_cpu_new(1, true);
    FILE *out = tmpfile();
    flightrec_dump(cpu, out);
    rewind(out);
    char line[200] = "";
    cr_assert(fgets(line, sizeof line, out));
    cr_assert(strstr(line, "off"));
    fclose(out);
    h_cpu_free(cpu);
}

Test(flightrec, bad_vectors_refused)
{
    char err[200];
    cr_assert_null(flightrec_new(8, "6,x", err, sizeof err));
    cr_assert_null(flightrec_new(8, "256", err, sizeof err));
    cr_assert_null(flightrec_new(0, NULL, err, sizeof err));
    FlightRec *f = flightrec_new(8, "6,13,0x0E", err, sizeof err);
    cr_assert_not_null(f);
    cr_assert(flightrec_dumps_on(f, 14));
    cr_assert(!flightrec_dumps_on(f, 8));
    flightrec_free(f);
}
