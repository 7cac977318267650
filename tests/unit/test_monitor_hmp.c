/* SPDX-License-Identifier: MIT */
/* QEMU's HMP names in the monitor (debug/monitor_hmp.c), run on a harness
 * CPU through a stream monitor, and the screendump formats a file name
 * asks for (gui/screendump.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug/monitor.h"
#include "debug/monitor_int.h"
#include "gui/screendump.h"
#include "machine/machine.h"
#include "tests/unit/cpu_harness.h"

static Machine *mach;
static Monitor *mon;
static FILE *out;
static char *out_buf;
static size_t out_len;
static char dir[] = "/tmp/kairo_hmp_XXXXXX";

static void setup(void)
{
    mach = calloc(1, sizeof *mach);
    mach->cpu = h_cpu_new(16, true);
    mach->mem = mach->cpu->mem;
    out = open_memstream(&out_buf, &out_len);
    mon = monitor_new_stream(mach, out);
    cr_assert_not_null(mon);
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    monitor_free(mon);
    fclose(out);
    free(out_buf);
    h_cpu_free(mach->cpu);
    free(mach);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static const char *run(const char *line, bool expect_ok)
{
    fclose(out);
    free(out_buf);
    out = open_memstream(&out_buf, &out_len);
    mon->out = out;
    bool ok = monitor_execute(mon, line);
    fflush(out);
    cr_assert_eq(ok, expect_ok, "'%s' gave %s: %s", line, ok ? "success" : "failure", out_buf);
    return out_buf;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s missing", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

TestSuite(hmp, .init = setup, .fini = teardown);

Test(hmp, qemu_names_run_kairo_commands)
{
    const char *a = run("info registers", true);
    cr_assert(strstr(a, "protected mode") && strstr(a, "eax"), "%s", a);
    a = run("info status", true);
    cr_assert_str_eq(a, "VM status: running\n");
    run("stop", true);
    a = run("info status", true);
    cr_assert_str_eq(a, "VM status: paused\n");
    run("cont", true);
    a = run("info status", true);
    cr_assert_str_eq(a, "VM status: running\n");
    a = run("cont", false);
    cr_assert(strstr(a, "running already"), "cont is continue: %s", a);
    a = run("info cpus", true);
    cr_assert(!strncmp(a, "* CPU #0: pc=0x", 15), "%s", a);
    a = run("help", true);
    cr_assert(strstr(a, "system_powerdown") && strstr(a, "pmemsave") && strstr(a, "memsave"));
}

Test(hmp, power_button_and_reset)
{
    run("system_powerdown", true);
    cr_assert(mach->acpi.pm1_sts & 0x100, "PWRBTN_STS set");
    run("system_reset", true);
    cr_assert(mach->reset_requested && mach->cpu->stop_request);
}

Test(hmp, pmemsave_and_memsave_write_guest_memory)
{
    for (uint32_t i = 0; i < 8192; i += 4)
        h_write32(mach->cpu, 0x9000 + i, 0xA5000000u | i);
    char path[128], line[256];
    snprintf(path, sizeof path, "%s/phys.bin", dir);
    snprintf(line, sizeof line, "pmemsave 0x9000 8192 %s", path);
    run(line, true);
    static uint8_t buf[16384];
    cr_assert_eq(read_file(path, buf, sizeof buf), 8192);
    uint32_t w;
    memcpy(&w, buf + 4096, 4);
    cr_assert_eq(w, 0xA5001000u);
    snprintf(path, sizeof path, "%s/lin.bin", dir);
    snprintf(line, sizeof line, "memsave 0x9004 4 %s", path);
    run(line, true);
    cr_assert_eq(read_file(path, buf, sizeof buf), 4);
    memcpy(&w, buf, 4);
    cr_assert_eq(w, 0xA5000004u);
    snprintf(line, sizeof line, "pmemsave 0x2000000 16 %s/none.bin", dir);
    const char *a = run(line, false);
    cr_assert(strstr(a, "cannot read physical address 0x2000000"), "%s", a);
    snprintf(path, sizeof path, "%s/none.bin", dir);
    cr_assert_neq(access(path, F_OK), 0, "no partial file left");
    run("pmemsave 0x9000", false);
}

Test(screendump_format, the_name_decides)
{
    cr_assert_eq(screendump_format_of("x.png"), SCREENDUMP_PNG);
    cr_assert_eq(screendump_format_of("X.PNG"), SCREENDUMP_PNG);
    cr_assert_eq(screendump_format_of("x.ppm"), SCREENDUMP_PPM);
    cr_assert_eq(screendump_format_of("shot"), SCREENDUMP_PPM, "QEMU's default");
    static const uint32_t px[2] = { 0x00FF8001, 0x00010203 };
    char path[] = "/tmp/kairo_ppm_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    char err[200];
    cr_assert(screendump_write(path, SCREENDUMP_PPM, px, 2, 1, err, sizeof err), "%s", err);
    uint8_t buf[64];
    FILE *f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    static const uint8_t want[] = "P6\n2 1\n255\n\xFF\x80\x01\x01\x02\x03";
    cr_assert_eq(n, sizeof want - 1);
    cr_assert_arr_eq(buf, want, n);
}
