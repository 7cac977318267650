/* SPDX-License-Identifier: MIT */
/* The monitor without a connection: its parsers (numbers, x formats, key
 * combinations), commands run on a harness CPU through a stream monitor
 * (answers, one-line errors for malformed input), and the shared
 * breakpoint machinery stopping the CPU (breakpoints, physical
 * breakpoints, memory and port watchpoints). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "debug/breakpoints.h"
#include "debug/monitor.h"
#include "debug/monitor_int.h"
#include "machine/machine.h"
#include "tests/unit/cpu_harness.h"

/* ======== parsers ======== */

Test(monitor_parse, numbers)
{
    uint32_t v;
    cr_assert(mon_parse_u32("0x10", &v) && v == 16);
    cr_assert(mon_parse_u32("10", &v) && v == 10);
    cr_assert(mon_parse_u32("0100", &v) && v == 100, "no octal");
    cr_assert(mon_parse_u32("c0000000", &v) && v == 0xC0000000u, "hex letters: hex");
    cr_assert(mon_parse_u32("FFFF1000", &v) && v == 0xFFFF1000u);
    cr_assert(mon_parse_u32("0", &v) && v == 0);
    cr_assert_not(mon_parse_u32("", &v));
    cr_assert_not(mon_parse_u32("-1", &v));
    cr_assert_not(mon_parse_u32("0x", &v));
    cr_assert_not(mon_parse_u32("12z", &v));
    cr_assert_not(mon_parse_u32("4294967296", &v), "too big for 32 bits");
    uint64_t w;
    cr_assert(mon_parse_u64("0x100000000", &w) && w == 0x100000000ull);
}

Test(monitor_parse, x_formats)
{
    MonXFmt f;
    cr_assert(mon_parse_xfmt("/4x", &f));
    cr_assert(f.count == 4 && f.size == 4 && f.format == 'x');
    cr_assert(mon_parse_xfmt("/8xb", &f));
    cr_assert(f.count == 8 && f.size == 1 && f.format == 'x');
    cr_assert(mon_parse_xfmt("/2gd", &f));
    cr_assert(f.count == 2 && f.size == 8 && f.format == 'd');
    cr_assert(mon_parse_xfmt("/hu", &f));
    cr_assert(f.count == 1 && f.size == 2 && f.format == 'u');
    cr_assert(mon_parse_xfmt("/16c", &f));
    cr_assert(f.count == 16 && f.size == 1 && f.format == 'c', "c defaults to bytes");
    cr_assert(mon_parse_xfmt("/3i", &f) && f.format == 'i');
    cr_assert_not(mon_parse_xfmt("/0x", &f));
    cr_assert_not(mon_parse_xfmt("/4q", &f));
    cr_assert_not(mon_parse_xfmt("4x", &f));
    cr_assert_not(mon_parse_xfmt("/99999x", &f));
}

Test(monitor_parse, key_combinations)
{
    uint16_t keys[8];
    int n;
    cr_assert(mon_parse_keys("ctrl-alt-delete", keys, &n));
    cr_assert_eq(n, 3);
    cr_assert_eq(keys[0], 0x14);
    cr_assert_eq(keys[1], 0x11);
    cr_assert_eq(keys[2], PS2_KEY_E0 | 0x71);
    cr_assert(mon_parse_keys("shift-a", keys, &n) && n == 2 && keys[1] == 0x1C);
    cr_assert(mon_parse_keys("ret", keys, &n) && n == 1 && keys[0] == 0x5A);
    cr_assert(mon_parse_keys("f12", keys, &n) && keys[0] == 0x07);
    cr_assert_not(mon_parse_keys("ctrl-", keys, &n));
    cr_assert_not(mon_parse_keys("-a", keys, &n));
    cr_assert_not(mon_parse_keys("foo", keys, &n));
    cr_assert_not(mon_parse_keys("", keys, &n));
    cr_assert_not(mon_parse_keys("a-b-c-d-e-f-g-h-i", keys, &n), "at most 8 keys");
}

/* ======== the connection ======== */

Test(monitor_conn, bad_specs)
{
    static const char *const bad[] = { "bogus", "tcp:foo", "tcp::", "tcp::99999", "tcp::12x",
                                       "tcp::1234,bad", "unix:", "file:/tmp/x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        MonConn c;
        char err[256] = "";
        cr_assert_not(monconn_open(&c, bad[i], err, sizeof err), "'%s' accepted", bad[i]);
        cr_assert(strstr(err, "-monitor"), "'%s': %s", bad[i], err);
    }
}

Test(monitor_conn, lines_from_a_socket)
{
    MonConn c;
    char err[256];
    char path[64];
    snprintf(path, sizeof path, "/tmp/kairo-mon-test-%d.sock", (int)getpid());
    char spec[80];
    snprintf(spec, sizeof spec, "unix:%s", path);
    cr_assert(monconn_open(&c, spec, err, sizeof err), "%s", err);
    cr_assert_not(monconn_accept(&c, 0), "nobody connected yet");
    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert(monconn_accept(&c, 1000));

    cr_assert_eq(write(cl, "info pic\r\nx /4", 14), 14);
    cr_assert_eq(monconn_read_line(&c, 1000), 1);
    cr_assert_str_eq(c.line, "info pic", "CR LF ends a line");
    cr_assert_eq(monconn_read_line(&c, 10), 0, "half a line waits");
    cr_assert_eq(write(cl, "x 0\n\x03", 5), 5);
    cr_assert_eq(monconn_read_line(&c, 1000), 1);
    cr_assert_str_eq(c.line, "x /4x 0");
    cr_assert_eq(monconn_read_line(&c, 1000), 1);
    cr_assert_str_eq(c.line, "stop", "Ctrl-C is a stop");
    /* A line longer than the buffer: cut, flagged, and the next is whole. */
    static char big[6000];
    memset(big, 'a', sizeof big);
    big[sizeof big - 1] = '\n';
    cr_assert_eq(write(cl, big, sizeof big), (ssize_t)sizeof big);
    cr_assert_eq(write(cl, "regs\n", 5), 5);
    int r;
    while ((r = monconn_read_line(&c, 1000)) == 0)
        ;
    cr_assert_eq(r, 1);
    cr_assert(c.overlong);
    cr_assert_eq(monconn_read_line(&c, 1000), 1);
    cr_assert_not(c.overlong);
    cr_assert_str_eq(c.line, "regs");

    monconn_send(&c, "(kairo) ", 8);
    char buf[16] = "";
    cr_assert_eq(read(cl, buf, sizeof buf), 8);
    cr_assert_str_eq(buf, "(kairo) ");
    close(cl);
    cr_assert_eq(monconn_read_line(&c, 1000), -1, "the client went away");
    monconn_close(&c);
    cr_assert_neq(access(path, F_OK), 0, "the socket file is removed");
}

/* ======== commands on a harness CPU ======== */

static Machine *mach;
static Monitor *mon;
static FILE *out;
static char *out_buf;
static size_t out_len;

static void setup(void)
{
    mach = calloc(1, sizeof *mach);
    mach->cpu = h_cpu_new(16, true);
    mach->mem = mach->cpu->mem;
    out = open_memstream(&out_buf, &out_len);
    mon = monitor_new_stream(mach, out);
    cr_assert_not_null(mon);
}

static void teardown(void)
{
    monitor_free(mon);
    fclose(out);
    free(out_buf);
    h_cpu_free(mach->cpu);
    free(mach);
}

/* Run one line; its answer (reset for the next). */
static const char *run(const char *line, bool expect_ok)
{
    /* A fresh stream per command: the answer is exactly what it wrote. */
    fclose(out);
    free(out_buf);
    out = open_memstream(&out_buf, &out_len);
    mon->out = out;
    bool ok = monitor_execute(mon, line);
    fflush(out);
    cr_assert_eq(ok, expect_ok, "'%s' gave %s: %s", line, ok ? "success" : "failure", out_buf);
    return out_buf;
}

static void expect_in(const char *text, const char *needle)
{
    cr_assert(strstr(text, needle), "'%s' not in:\n%s", needle, text);
}

/* Malformed input is one line starting with "error: ". */
static void expect_error(const char *line, const char *needle)
{
    const char *a = run(line, false);
    cr_assert(!strncmp(a, "error: ", 7), "'%s': %s", line, a);
    cr_assert_eq(strchr(a, '\n'), a + strlen(a) - 1, "one line: %s", a);
    expect_in(a, needle);
}

TestSuite(monitor_cmd, .init = setup, .fini = teardown);

Test(monitor_cmd, malformed_lines)
{
    expect_error("frobnicate", "unknown command 'frobnicate'");
    expect_error("info", "info what?");
    expect_error("info frob", "info what?");
    expect_error("x", "usage: x [/Nfmt] ADDR");
    expect_error("x /4q 0", "bad format");
    expect_error("x /4x zz", "bad address 'zz'");
    expect_error("b", "usage");
    expect_error("b 1 2", "usage");
    expect_error("b nowhere", "bad address");
    expect_error("watch 0x1000", "usage");
    expect_error("watch q 0x1000 4", "kind 'q'");
    expect_error("watch w 0x1000 0", "length");
    expect_error("watch w 0x1000 5000", "length");
    expect_error("watch port 0x64-0x60", "usage: watch port");
    expect_error("watch port 0x10000", "usage: watch port");
    expect_error("delete x", "bad id");
    expect_error("delete 7", "no breakpoint or watchpoint 7");
    expect_error("sendkey ctrl-nope", "unknown key");
    expect_error("c", "running already");
    expect_error("s", "the guest is running");
    expect_error("u 0x1000 0", "bad count");
    expect_error("a b c d e f g h i j", "too many words");
    char line[MON_LINE_MAX + 10];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = 0;
    expect_error(line, "line too long");
    run("", true);
    run("   ", true);
}

Test(monitor_cmd, help_lists_everything)
{
    const char *a = run("help", true);
    static const char *const names[] = { "continue", "step", "stop", "break", "pb ADDR",
                                         "watch [r|w|rw]", "watch port", "info break",
                                         "delete", "regs", "x [/Nfmt]", "xp", "disasm",
                                         "info gdt", "info idt", "info ldt", "info tss",
                                         "info tab", "info tlb", "info pic", "info pit",
                                         "info cmos", "info slots", "info text", "screendump",
                                         "sendkey", "quit" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        expect_in(a, names[i]);
    a = run("help info", true);
    expect_in(a, "info tab");
    cr_assert_null(strstr(a, "screendump"));
}

Test(monitor_cmd, memory_and_registers)
{
    h_write32(mach->cpu, 0x8000, 0x12345678);
    h_write32(mach->cpu, 0x8004, 0xFFFFFFFE);
    const char *a = run("x /2x 0x8000", true);
    expect_in(a, "0x00008000: 0x12345678 0xfffffffe");
    a = run("x/4xb 0x8000", true);
    expect_in(a, "0x00008000: 0x78 0x56 0x34 0x12");
    a = run("xp /2d 0x8000", true);
    expect_in(a, "phys 0x00008000: 305419896 -2");
    a = run("x /1xg 0x8000", true);
    expect_in(a, "0xfffffffe12345678");
    a = run("x /2hu 0x8004", true);
    expect_in(a, "65534 65535");
    expect_error("xp /1x 0x2000000", "physical 0x2000000 is not RAM or ROM");
    expect_error("xp /1x 0xfee00000", "not RAM or ROM");
    a = run("regs", true);
    expect_in(a, "protected mode");
    expect_in(a, "cs   0x0008 base 0x00000000");
    expect_in(a, "cr0  0x60000011 [ CD NW ET PE ]");
    expect_in(a, "gdtr base 0x00001000");
}

Test(monitor_cmd, disassembly)
{
    static const uint8_t code[] = { 0x41, 0x89, 0x0d, 0x00, 0x00, 0x40, 0x00, 0xe6, 0x80 };
    h_load(mach->cpu, H_CODE, code, sizeof code);
    const char *a = run("u 0x10000 3", true);
    expect_in(a, "00010000: 41 ");
    expect_in(a, "inc ecx");
    expect_in(a, "00010001: 89 0d 00 00 40 00");
    expect_in(a, "mov dword ptr [0x400000], ecx");
    expect_in(a, "out 0x80, al");
    a = run("x /1i 0x10000", true);
    expect_in(a, "inc ecx");
    expect_error("xp /1i 0x10000", "xp cannot disassemble");
}

Test(monitor_cmd, descriptor_tables)
{
    const char *a = run("info gdt", true);
    expect_in(a, "sel 0x0008");
    expect_in(a, "code32 rx dpl0 p");
    expect_in(a, "sel 0x0010");
    a = run("info idt", true);
    expect_in(a, "IDT base 0x00002000");
    expect_in(a, "0x0e ");
    expect_in(a, "intgate32 dpl3 p");
    run("info ldt", true);
    run("info tss", true);
}

Test(monitor_cmd, page_tables)
{
    const char *a = run("info tab", true);
    expect_in(a, "paging is off");
    /* A page directory at 0x20000: 4 MiB identity page 0, and linear
     * 0xC0000000 -> physical 0 through a page table of two pages. */
    Cpu *cpu = mach->cpu;
    h_write32(cpu, 0x20000, 0x83);
    h_write32(cpu, 0x20000 + 768 * 4, 0x21000 | 3);
    h_write32(cpu, 0x21000, 0x0 | 3);
    h_write32(cpu, 0x21004, 0x1000 | 3);
    cpu->cr4 |= CR4_PSE;
    cpu->cr3 = 0x20000;
    cpu->cr0 |= CR0_PG;
    a = run("info tab", true);
    expect_in(a, "00000000-003fffff -> 00000000-003fffff 4M rw sup\n");
    expect_in(a, "c0000000-c0001fff -> 00000000-00001fff 4K rw sup\n");
    expect_in(a, "2 runs");
    a = run("x /1x 0xc0001000", true);
    expect_in(a, "0xc0001000: 0x");
    expect_error("x /1x 0xc0002000", "linear 0xc0002000 is not mapped");
    /* A read crossing into the unmapped page fails, and says where. */
    expect_error("x /4x 0xc0001ff8", "linear 0xc0002000 is not mapped");
    run("info tlb", true);
}

Test(monitor_cmd, breakpoint_list)
{
    expect_in(run("info break", true), "no breakpoints");
    expect_in(run("b 0x10000", true), "breakpoint 1");
    expect_in(run("b 0x10000", true), "breakpoint 1");   /* the same point */
    expect_in(run("pb 0x10005", true), "breakpoint 2");
    expect_in(run("watch 0x8000 4", true), "watchpoint 3");
    expect_in(run("watch rw 0x9000 16", true), "watchpoint 4");
    expect_in(run("watch port 0x60-0x64", true), "watchpoint 5");
    const char *a = run("info break", true);
    expect_in(a, "1    break     0x00010000");
    expect_in(a, "2    pbreak    0x00010005");
    expect_in(a, "3    watch w   0x00008000 len 4");
    expect_in(a, "4    watch rw  0x00009000 len 16");
    expect_in(a, "5    port      0x0060-0x0064");
    run("delete 3", true);
    expect_error("delete 3", "no breakpoint or watchpoint 3");
    cr_assert_null(strstr(run("info break", true), "watch w"));
}

/* ======== the shared breakpoints stopping the CPU ======== */

/* inc ecx; mov [0x8000], ecx; mov al, cl; out 0x80, al; jmp back */
static const uint8_t loop_code[] = { 0x41, 0x89, 0x0d, 0x00, 0x80, 0x00, 0x00,
                                     0x88, 0xc8, 0xe6, 0x80, 0xeb, 0xf3 };

static void run_until_stop(Cpu *cpu, DebugPoints *d, DbgStop *st)
{
    for (int i = 0; i < 100; i++) {
        cpu_run(cpu, 1000);
        if (dbg_take_stop(d, DBG_OWNER_MONITOR, st))
            return;
    }
    cr_assert_fail("the CPU never stopped");
}

Test(monitor_dbg, break_watch_port_step)
{
    Cpu *cpu = h_cpu_new(16, true);
    h_load(cpu, H_CODE, loop_code, sizeof loop_code);
    cpu->eip = H_CODE;
    DebugPoints *d = dbg_acquire(cpu);
    DebugPoints *again = dbg_acquire(cpu);
    cr_assert_eq(d, again, "one instance per CPU");
    dbg_release(again);
    DbgStop st;

    int id = dbg_add_break(d, DBG_OWNER_MONITOR, BP_HARD, H_CODE + 7);
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    run_until_stop(cpu, d, &st);
    cr_assert_eq(st.kind, DSTOP_BREAK);
    cr_assert_eq(st.id, id);
    cr_assert_eq(cpu->eip, H_CODE + 7);
    cr_assert_eq(h_read32(cpu, 0x8000), 1);
    dbg_remove_id(d, DBG_OWNER_MONITOR, id);

    /* Physical breakpoint (paging is off: linear = physical). */
    id = dbg_add_break(d, DBG_OWNER_MONITOR, BP_PHYS, H_CODE + 1);
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    run_until_stop(cpu, d, &st);
    cr_assert_eq(st.kind, DSTOP_BREAK);
    cr_assert_eq(cpu->eip, H_CODE + 1);
    dbg_remove_id(d, DBG_OWNER_MONITOR, id);

    /* A write watchpoint stops after the store. */
    id = dbg_add_watch(d, DBG_OWNER_MONITOR, WATCH_WRITE, 0x8002, 1);
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    run_until_stop(cpu, d, &st);
    cr_assert_eq(st.kind, DSTOP_WATCH);
    cr_assert(st.write);
    cr_assert_eq(st.addr, 0x8002);
    cr_assert_eq(cpu->eip, H_CODE + 7);
    dbg_remove_id(d, DBG_OWNER_MONITOR, id);

    /* A port watch stops after the OUT (port 0x80 has no device here). */
    id = dbg_add_port_watch(d, DBG_OWNER_MONITOR, 0x80, 0x80);
    cr_assert_eq(h_portbus(cpu)->n_observers, 1, "the bus hook is on");
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    run_until_stop(cpu, d, &st);
    cr_assert_eq(st.kind, DSTOP_PORT);
    cr_assert_eq(st.addr, 0x80);
    cr_assert_eq(cpu->eip, H_CODE + 11);
    dbg_remove_id(d, DBG_OWNER_MONITOR, id);
    cr_assert_eq(h_portbus(cpu)->n_observers, 0, "the bus hook is off again");

    /* A step: one instruction. */
    dbg_resume(d, DBG_OWNER_MONITOR, true);
    run_until_stop(cpu, d, &st);
    cr_assert_eq(st.kind, DSTOP_STEP);
    cr_assert_eq(cpu->eip, H_CODE + 13 - 13, "jmp back to the loop top");

    /* Nothing left: the hooks are off and the CPU runs free. */
    cr_assert_not(cpu->debugger_active);
    uint64_t before = cpu->icount;
    cpu_run(cpu, 10000);
    cr_assert_geq(cpu->icount - before, 10000);
    cr_assert_not(dbg_take_stop(d, DBG_OWNER_MONITOR, &st));
    dbg_release(d);
    cr_assert_null(cpu->debugger);
    h_cpu_free(cpu);
}

Test(monitor_dbg, owners_see_their_own_points)
{
    Cpu *cpu = h_cpu_new(16, true);
    h_load(cpu, H_CODE, loop_code, sizeof loop_code);
    cpu->eip = H_CODE;
    DebugPoints *d = dbg_acquire(cpu);
    dbg_add_break(d, DBG_OWNER_GDB, BP_SOFT, H_CODE + 7);
    dbg_add_break(d, DBG_OWNER_MONITOR, BP_HARD, H_CODE + 9);
    DbgPoint pts[4];
    cr_assert_eq(dbg_list(d, DBG_OWNER_MONITOR, pts, 4), 1);
    cr_assert_eq(pts[0].addr, H_CODE + 9);
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    cpu_run(cpu, 1000);
    DbgStop st;
    cr_assert_not(dbg_take_stop(d, DBG_OWNER_MONITOR, &st), "gdb's breakpoint is gdb's");
    cr_assert(dbg_take_stop(d, DBG_OWNER_GDB, &st));
    cr_assert_eq(cpu->eip, H_CODE + 7);
    dbg_clear_owner(d, DBG_OWNER_GDB);
    dbg_resume(d, DBG_OWNER_MONITOR, false);
    cpu_run(cpu, 1000);
    cr_assert(dbg_take_stop(d, DBG_OWNER_MONITOR, &st));
    cr_assert_eq(cpu->eip, H_CODE + 9);
    dbg_release(d);
    h_cpu_free(cpu);
}
