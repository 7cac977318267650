/* The command line (machine/options.c): one table for the parser and
 * --help; QEMU's spellings; one-line errors with a hint. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "machine/options.h"

static Options opt;

static int parse(int argc, const char **argv)
{
    return options_parse(&opt, argc, (char **)argv);
}
#define PARSE(...) parse(sizeof((const char *[]){ "kairo", __VA_ARGS__ }) / sizeof(char *), \
                         (const char *[]){ "kairo", __VA_ARGS__ })

Test(options, existing_options_fill_their_fields)
{
    cr_assert_eq(PARSE("-m", "64M", "-hdb", "b.img", "-cdrom", "cd.iso", "-fdb", "f.img",
                       "--max-insns", "1000", "-nographic", "-no-reboot", "--stats",
                       "-d", "int", "-D", "log.txt", "-s", "-S"), 0);
    cr_assert_eq(opt.ram_mb, 64);
    cr_assert_str_eq(opt.hd[1], "b.img");
    cr_assert_str_eq(opt.hd[2], "cd.iso");
    cr_assert(opt.hd_cdrom[2] && opt.hd_readonly[2]);
    cr_assert_str_eq(opt.fd[1], "f.img");
    cr_assert_eq(opt.max_insns, 1000);
    cr_assert(opt.nographic && opt.no_reboot && opt.stats && opt.start_stopped);
    cr_assert_str_eq(opt.log_items, "int");
    cr_assert_str_eq(opt.log_file, "log.txt");
    cr_assert_str_eq(opt.gdb, "tcp::1234");
    cr_assert_str_eq(opt.bios, "/usr/share/seabios/bios-256k.bin");
}

Test(options, one_or_two_dashes_are_the_same_option)
{
    cr_assert_eq(PARSE("-max-insns", "5", "--nographic", "-deterministic"), 0);
    cr_assert_eq(opt.max_insns, 5);
    cr_assert(opt.nographic && opt.deterministic);
}

Test(options, expect_and_send_keep_their_order)
{
    cr_assert_eq(PARSE("--expect", "login:", "--send", "root\\n", "--expect", "#"), 0);
    cr_assert_eq(opt.n_expect_steps, 3);
    cr_assert(!opt.expect_steps[0].send && opt.expect_steps[1].send && !opt.expect_steps[2].send);
    cr_assert_str_eq(opt.expect_steps[1].text, "root\\n");
    cr_assert_eq(opt.expect_timeout_s, 60);
}

Test(options, unknown_option_names_the_closest, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("-nographc"), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("kairo: unknown option '-nographc' (did you mean '-nographic'? "
                            "try --help)\n");
}

Test(options, far_off_names_get_no_hint, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("-xyzzy"), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("kairo: unknown option '-xyzzy' (try --help)\n");
}

Test(options, a_missing_argument_is_an_error, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("-hda"), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("kairo: option '-hda' needs an argument\n");
}

Test(options, bad_values_are_refused)
{
    cr_assert_eq(PARSE("-m", "0"), -1);
    cr_assert_eq(PARSE("-vga", "qxl"), -1);
    cr_assert_eq(PARSE("--max-insns", "x"), -1);
    cr_assert_eq(PARSE("-initrd", "i.img"), -1, "-initrd needs -kernel");
}

Test(options, help_lists_every_option, .init = cr_redirect_stdout)
{
    cr_assert_eq(PARSE("--help"), 1);
    fflush(stdout);
    FILE *f = cr_get_redirected_stdout();
    char text[32768];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    static const char *const some[] = { "-hda FILE", "-netdev", "--expect TEXT", "-remote",
                                        "--flight-recorder N", "-monitor SPEC", "--version" };
    for (size_t i = 0; i < sizeof some / sizeof some[0]; i++)
        cr_assert(strstr(text, some[i]), "--help lacks %s", some[i]);
}
