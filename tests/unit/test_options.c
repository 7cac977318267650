/* SPDX-License-Identifier: MIT */
/* The command line (machine/options.c): one table for the parser and
 * --help; QEMU's spellings; one-line errors with a hint. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "machine/options.h"
#include "iodev/expect.h"

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
    cr_assert(opt.expect_steps[0].kind == EXPECT_WAIT && opt.expect_steps[1].kind == EXPECT_SEND &&
              opt.expect_steps[2].kind == EXPECT_WAIT);
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

/* ---- QEMU's spellings (machine/options_qemu.c) ---- */

Test(options_qemu, memory_sizes_take_suffixes)
{
    cr_assert_eq(PARSE("-m", "1G", "-nic", "none"), 0);
    cr_assert_eq(opt.ram_mb, 1024);
    cr_assert_eq(PARSE("-m", "size=256M"), 0);
    cr_assert_eq(opt.ram_mb, 256);
    cr_assert_eq(PARSE("-m", "524288k"), 0);
    cr_assert_eq(opt.ram_mb, 512);
    cr_assert_eq(PARSE("-m", "1.5G"), 0);
    cr_assert_eq(opt.ram_mb, 1536);
    cr_assert_eq(PARSE("-m", "4G"), -1, "above 3584 MiB");
    cr_assert_eq(PARSE("-m", "1000k"), -1, "not whole MiB");
    cr_assert_eq(PARSE("-m", "512X"), -1);
}

Test(options_qemu, a_word_without_a_dash_is_the_first_disk)
{
    cr_assert_eq(PARSE("disk.img", "-m", "64"), 0);
    cr_assert_str_eq(opt.hd[0], "disk.img");
    cr_assert_eq(PARSE("a.img", "b.img"), -1);
}

Test(options_qemu, default_nic_is_ne2k_pci_on_user)
{
    cr_assert_eq(PARSE("-hda", "d.img"), 0);
    cr_assert_eq(opt.net.n_nics, 1);
    cr_assert_eq(opt.net.nic[0].model, NIC_NE2K_PCI);
    cr_assert_eq(opt.net.n_netdevs, 1);
    cr_assert_eq(opt.net.netdev[0].kind, NETDEV_USER);
    cr_assert(opt.net.netdev[0].ipv6, "IPv6 on, as libslirp offers it");
    cr_assert_str_eq(opt.net.netdev[0].hostname, "", "no invented DHCP host name");
    cr_assert_str_eq(opt.net.nic[0].netdev, opt.net.netdev[0].id);
}

Test(options_qemu, no_default_nic_when_asked_or_given)
{
    static const char *const none[][2] = { { "-nic", "none" }, { "-net", "none" },
                                           { "-nodefaults", NULL } };
    for (size_t i = 0; i < 3; i++) {
        int r = none[i][1] ? PARSE(none[i][0], none[i][1]) : PARSE(none[i][0]);
        cr_assert_eq(r, 0);
        cr_assert_eq(opt.net.n_nics + opt.net.n_netdevs, 0, "%s", none[i][0]);
    }
    cr_assert(opt.vga_none && opt.monitor_none, "-nodefaults: no VGA, no monitor");
    cr_assert_eq(PARSE("-device", "ne2k_isa"), 0);
    cr_assert_eq(opt.net.n_nics, 1, "a card given: no second one");
    cr_assert_eq(opt.net.n_netdevs, 0);
}

Test(options_qemu, legacy_net_pairs_the_card_and_the_backend)
{
    cr_assert_eq(PARSE("-net", "nic,model=ne2k_isa,macaddr=52:54:00:00:00:07", "-net",
                       "user,hostfwd=tcp::2222-:22", "-name", "box"), 0);
    cr_assert_eq(opt.net.n_nics, 1);
    cr_assert_eq(opt.net.nic[0].model, NIC_NE2K_ISA);
    cr_assert_eq(opt.net.nic[0].mac[5], 7);
    cr_assert_eq(opt.net.n_netdevs, 1);
    cr_assert_str_eq(opt.net.nic[0].netdev, opt.net.netdev[0].id);
    cr_assert_eq(opt.net.netdev[0].n_hostfwd, 1);
    cr_assert_str_eq(opt.net.netdev[0].hostname, "box", "-name is the DHCP host name");
    cr_assert_eq(PARSE("-net", "user"), -1, "a backend without a card");
    cr_assert_eq(PARSE("-net", ""), -1, "an empty spec is an error, not a crash");
    cr_assert_eq(PARSE("-net", ","), -1);
    cr_assert_eq(PARSE("-net", "nic,model=e1000", "-net", "user"), -1);
}

Test(options_qemu, qemu_names_that_mean_the_same)
{
    cr_assert_eq(PARSE("-accel", "tcg", "-machine", "pc,accel=kvm:tcg", "-cpu", "pentium2",
                       "-smp", "cpus=1", "-name", "guest=vm1,debug-threads=on"), 0);
    cr_assert_str_eq(opt.name, "vm1");
    cr_assert_eq(PARSE("-icount", "shift=2"), 0);
    cr_assert_eq(opt.ips, 250000000);
    cr_assert_eq(PARSE("-rtc", "base=2006-06-17T16:01:21,clock=vm"), 0);
    cr_assert_eq(opt.rtc_base, RTC_BASE_DATE);
    cr_assert_eq(opt.rtc_date, 1150560081);
    cr_assert_eq(PARSE("-rtc", "base=localtime"), 0);
    cr_assert_eq(opt.rtc_base, RTC_BASE_LOCALTIME);
    cr_assert_eq(PARSE("-d", "in_asm,nochain,int,unimp"), 0);
    cr_assert_str_eq(opt.log_items, "exec,int,unimp");
}

Test(options_qemu, chardev_ids_resolve_to_backends)
{
    cr_assert_eq(PARSE("-chardev", "socket,id=s0,host=127.0.0.1,port=4555,server=on,wait=off",
                       "-serial", "chardev:s0", "-chardev", "file,id=f,path=out.txt",
                       "-debugcon", "chardev:f", "-monitor", "none"), 0);
    cr_assert_str_eq(opt.serial, "tcp:127.0.0.1:4555,server");
    cr_assert_str_eq(opt.debugcon, "file:out.txt");
    cr_assert(opt.monitor == NULL && opt.monitor_none);
    cr_assert_eq(PARSE("-serial", "chardev:nope"), -1);
}

Test(options_qemu, refusals_name_the_option, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("-smp", "17"), -1);
    cr_assert_eq(PARSE("-machine", "q35"), -1);
    cr_assert_eq(PARSE("-cpu", "core2duo"), -1);
    cr_assert_eq(PARSE("-enable-kvm"), -1);
    cr_assert_eq(PARSE("-trace", "events=x"), -1);
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    static const char *const names[] = { "-smp 17:", "-machine q35:", "-cpu core2duo:",
                                         "-enable-kvm:", "-trace events=x:" };
    for (size_t i = 0; i < 5; i++)
        cr_assert(strstr(text, names[i]), "no line names %s:\n%s", names[i], text);
}
