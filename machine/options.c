/* SPDX-License-Identifier: MIT */
/* Command-line parsing: one table that the parser, `kairo --help` and the
 * man page share. Every error is one clear line and a non-zero exit. */
#include "machine/options_int.h"

#include "debug/flightrec.h"
#include "iodev/expect.h"
#include "debug/trace.h"
#include "debug/trace_filter.h"
#include "iodev/blockdev.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define KAIRO_VERSION "0.1.0"
#define DEFAULT_IPS 100000000ull   /* 100 MIPS of guest time per second */

/* ---- small helpers ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end || s[0] == '-')
        return false;
    *v = x;
    return true;
}

int options_fail(const char *fmt, const char *arg)
{
    fputs("kairo: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return -1;
}

#define fail options_fail

static const char *keep_string(const char *s)
{
    /* -drive values are cut out of a copy; they must outlive parsing. */
    static char pool[6][1024];
    static int used;
    if (used == 6)
        return s;   /* not reached: at most 6 drives */
    snprintf(pool[used], sizeof pool[used], "%s", s);
    return pool[used++];
}

/* ---- handlers: each takes the option as written and its argument ---- */

/* Generic field setters: the table names the field by its offset, so a
 * plain flag or a plain string needs no handler of its own. */
static int set_flag(Options *o, const OptionSpec *spec, const char *arg);
static int set_string(Options *o, const OptionSpec *spec, const char *arg);

/* -drive file=PATH[,if=ide|floppy][,index=N][,media=disk|cdrom][,format=raw|qcow2][,readonly=on] */
static int opt_drive(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", arg);
    const char *file = NULL, *iface = "ide", *media = "disk", *format = NULL;
    long index = -1;
    bool readonly = false;
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad -drive property '%s'", kv);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(kv, "file"))
            file = v;
        else if (!strcmp(kv, "if"))
            iface = v;
        else if (!strcmp(kv, "media"))
            media = v;
        else if (!strcmp(kv, "index"))
            index = strtol(v, NULL, 10);
        else if (!strcmp(kv, "format")) {
            if (strcmp(v, "raw") && strcmp(v, "qcow2"))
                return fail("unsupported image format '%s' (raw, qcow2; qemu-img convert -O "
                            "qcow2 converts the others)", v);
            format = v;
        } else if (!strcmp(kv, "readonly"))
            readonly = !strcmp(v, "on") || !strcmp(v, "true");
        else if (strcmp(kv, "id") && strcmp(kv, "cache") && strcmp(kv, "aio"))
            return fail("unknown -drive property '%s'", kv);
    }
    if (!file)
        return fail("-drive needs file=PATH: '%s'", arg);
    if (format)
        blockdev_set_format(file, format);
    bool cdrom = !strcmp(media, "cdrom");
    if (!strcmp(iface, "floppy")) {
        int n = index < 0 ? (o->fd[0] ? 1 : 0) : (int)index;
        if (n < 0 || n > 1 || o->fd[n])
            return fail("no free floppy drive for '%s'", arg);
        o->fd[n] = keep_string(file);
        return 0;
    }
    if (strcmp(iface, "ide"))
        return fail("unsupported drive interface '%s' (ide, floppy)", iface);
    int n = (int)index;
    if (n < 0)
        for (n = 0; n < 4 && o->hd[n]; n++)
            ;
    if (n < 0 || n > 3 || o->hd[n])
        return fail("no free IDE unit for '%s'", arg);
    o->hd[n] = keep_string(file);
    o->hd_cdrom[n] = cdrom;
    o->hd_readonly[n] = readonly || cdrom;
    return 0;
}

/* -boot c / -boot order=dc,menu=on */
static int opt_boot(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    const char *order = arg;
    const char *p = strstr(arg, "order=");
    if (p)
        order = p + 6;
    else if (strchr(arg, '='))
        return 0;   /* menu=on and friends: nothing to do */
    size_t n = 0;
    for (; *order && *order != ',' && n < sizeof o->boot_order - 1; order++) {
        if (*order != 'a' && *order != 'c' && *order != 'd')
            return fail("bad boot device in '%s' (a, c, d)", arg);
        o->boot_order[n++] = *order;
    }
    o->boot_order[n] = 0;
    return 0;
}

/* -device vmport[,mhz=N][,hwversion=N]: the properties after the name. */
static int opt_device_vmport(Options *o, char *save)
{
    o->vmport = true;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        uint64_t v;
        if (!eq || !parse_u64(eq + 1, &v) || v == 0 || v > 0xFFFFFFFFu)
            return fail("bad vmport property '%s'", kv);
        *eq = 0;
        if (!strcmp(kv, "mhz"))
            o->vmport_mhz = (uint32_t)v;
        else if (!strcmp(kv, "hwversion"))
            o->vmport_hwversion = (uint32_t)v;
        else
            return fail("bad vmport property '%s' (mhz, hwversion)", kv);
    }
    return 0;
}

/* -vmport guestinfo.KEY=VALUE | share=NAME:DIR[:ro] | exec=NAME:CMD (repeatable). */
static int opt_vmport(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    const char *eq = strchr(arg, '=');
    bool ok = (!strncmp(arg, "guestinfo.", 10) && eq && eq > arg + 10) ||
              ((!strncmp(arg, "share=", 6) || !strncmp(arg, "exec=", 5)) && strchr(eq + 1, ':') &&
               strchr(eq + 1, ':') > eq + 1);
    if (!ok)
        return fail("bad -vmport '%s' (guestinfo.KEY=VALUE, share=NAME:DIR[:ro], exec=NAME:CMD)",
                    arg);
    if (o->n_vmport_args == (int)(sizeof o->vmport_args / sizeof o->vmport_args[0]))
        return fail("too many -vmport options at %s (at most 32)", arg);
    o->vmport_args[o->n_vmport_args++] = arg;
    return 0;
}

/* -device isa-debug-exit[,iobase=N][,iosize=N] | vmport.. | ne2k_pci.. | ne2k_isa.. */
static int opt_device(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    char *name = strtok_r(buf, ",", &save);
    if (name && (!strncmp(name, "ne2k_", 5) || !strcmp(name, "rtl8029")))
        return netopt_device(&o->net, arg);
    if (name && !strcmp(name, "vmport"))
        return opt_device_vmport(o, save);
    if (!name || strcmp(name, "isa-debug-exit") != 0)
        return fail("unknown device '%s' (supported: isa-debug-exit, vmport, ne2k_pci, ne2k_isa)",
                    arg);
    o->debug_exit = true;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        uint64_t v;
        if (!eq || !parse_u64(eq + 1, &v))
            return fail("bad device property '%s'", kv);
        *eq = 0;
        if (strcmp(kv, "iobase") == 0 && v <= 0xFFFF)
            o->debug_exit_port = (uint16_t)v;
        else if (strcmp(kv, "iosize") == 0 && v >= 1 && v <= 4)
            o->debug_exit_size = (uint16_t)v;
        else
            return fail("bad isa-debug-exit property '%s'", kv);
    }
    return 0;
}

static int opt_display(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char err[300];
    if (!display_parse(arg, &o->display_cfg, err, sizeof err))
        return fail("%s", err);
    o->display = arg;
    return 0;
}

static int opt_full_screen(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec, (void)arg;
    o->display_cfg.full_screen = true;
    return 0;
}

/* The first -serial is COM1, later ones COM2..COM4. */
static int opt_serial(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    /* mon:stdio multiplexes COM1 and the monitor on the terminal (C-a c). */
    if (!strncmp(arg, "mon:", 4) && (strcmp(arg, "mon:stdio") || o->serial))
        return fail("-serial %s: only COM1 can share its backend with the monitor, as "
                    "mon:stdio (else give the monitor its own: -monitor tcp::4444,server)", arg);
    if (!o->serial) {
        o->serial = arg;
        return 0;
    }
    int n = 0;
    while (n < 3 && o->serial_extra[n])
        n++;
    if (n == 3)
        return fail("%s", "at most four -serial ports");
    o->serial_extra[n] = arg;
    return 0;
}

/* -hda..-hdd: the unit is the name's last letter. */
static int opt_hd(Options *o, const OptionSpec *spec, const char *arg)
{
    o->hd[spec->name[3] - 'a'] = arg;
    return 0;
}

static int opt_cdrom(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    o->hd[2] = arg;
    o->hd_cdrom[2] = true;
    o->hd_readonly[2] = true;
    return 0;
}

static int opt_fd(Options *o, const OptionSpec *spec, const char *arg)
{
    o->fd[spec->name[3] - 'a'] = arg;
    return 0;
}

static int opt_netdev(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    return netopt_netdev(&o->net, arg);
}

static int opt_nic(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    return netopt_nic(&o->net, arg);
}

static int opt_object(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    return netopt_object(&o->net, arg);
}

static int opt_max_insns(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (!parse_u64(arg, &o->max_insns) || !o->max_insns)
        return fail("bad instruction count '%s'", arg);
    return 0;
}

static int parse_seconds(const char *arg, double *out)
{
    char *end;
    *out = strtod(arg, &end);
    return *end || !(*out > 0) ? -1 : 0;
}

static int opt_timeout(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (parse_seconds(arg, &o->timeout_s) < 0)
        return fail("bad timeout '%s' (seconds > 0)", arg);
    return 0;
}

static int opt_expect_timeout(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (parse_seconds(arg, &o->expect_timeout_s) < 0)
        return fail("bad expect timeout '%s' (seconds > 0)", arg);
    return 0;
}

static int opt_ips(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (!parse_u64(arg, &o->ips) || o->ips < 1000)
        return fail("bad instruction rate '%s' (at least 1000)", arg);
    o->ips_fixed = true;   /* a fixed rate: no adaptive pacing */
    return 0;
}

static int opt_remote(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (o->n_remote == 8)
        return fail("%s", "at most eight -remote slots");
    o->remote[o->n_remote++] = arg;
    return 0;
}

/* --expect, --send, --expect-re, --expect-screen, --expect-fail to an
 * ExpectKind. */
static int expect_kind(const char *opt)
{
    static const char *const names[] = { "--expect", "--send", "--expect-re", "--expect-screen",
                                         "--expect-fail" };
    static const int kinds[] = { EXPECT_WAIT, EXPECT_SEND, EXPECT_REGEX, EXPECT_SCREEN,
                                 EXPECT_FAIL };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(opt, names[i]))
            return kinds[i];
    return EXPECT_WAIT;
}

/* The expect/send steps keep their command-line order. */
static int opt_expect_step(Options *o, const OptionSpec *spec, const char *arg)
{
    if (o->n_expect_steps == (int)(sizeof o->expect_steps / sizeof o->expect_steps[0]))
        return fail("too many --expect/--send steps at '%s' (at most 64)", arg);
    o->expect_steps[o->n_expect_steps].kind = expect_kind(spec->name);
    o->expect_steps[o->n_expect_steps++].text = arg;
    return 0;
}

/* -echr N: the escape key of mon:stdio / -nographic (default Ctrl-A). */
static int opt_echr(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    uint64_t v;
    if (!parse_u64(arg, &v) || v > 255)
        return fail("bad -echr '%s' (a character code, e.g. 20 for Ctrl-T)", arg);
    o->escape_char = (uint8_t)v;
    return 0;
}

static int opt_gdb_default(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec, (void)arg;
    o->gdb = "tcp::1234";
    return 0;
}

static int opt_trace_items(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    unsigned bits;
    char err[160];
    if (!trace_items_parse(arg, &bits, err, sizeof err))
        return fail("--trace-items: %s", err);
    o->trace_items = arg;
    return 0;
}

static int opt_trace_filter(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    TraceFilter f;
    char err[160];
    if (!trace_filter_parse(&f, arg, err, sizeof err))
        return fail("--trace-filter: %s", err);
    o->trace_filter = arg;
    return 0;
}

static int opt_flight_recorder(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    uint64_t n;
    if (!parse_u64(arg, &n) || n < 1 || n > FLIGHTREC_MAX_INSNS)
        return fail("bad flight recorder size '%s' (1..16777216 instructions)", arg);
    o->flight_insns = (uint32_t)n;
    return 0;
}

/* -loadvm FILE[,force=on] */
static int opt_loadvm(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    static char path[1024];
    snprintf(path, sizeof path, "%s", arg);
    char *comma = strrchr(path, ',');
    if (comma && !strncmp(comma, ",force=", 7)) {
        if (strcmp(comma + 7, "on") && strcmp(comma + 7, "off"))
            return fail("bad -loadvm property '%s' (force=on|off)", comma + 1);
        o->loadvm_force = !strcmp(comma + 7, "on");
        *comma = 0;
    }
    if (!path[0])
        return fail("-loadvm needs a file name: '%s'", arg);
    o->loadvm = path;
    return 0;
}

/* --save-at N:FILE, repeatable; kept sorted so the run loop looks only at
 * the first one still ahead. */
static int opt_save_at(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    int cap = (int)(sizeof o->save_at / sizeof o->save_at[0]);
    if (o->n_save_at == cap)
        return fail("too many --save-at points at '%s' (at most 32)", arg);
    const char *colon = strchr(arg, ':');
    char num[32];
    uint64_t n;
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof num || !colon[1])
        return fail("bad --save-at '%s' (N:FILE)", arg);
    memcpy(num, arg, (size_t)(colon - arg));
    num[colon - arg] = 0;
    if (!parse_u64(num, &n) || !n)
        return fail("bad --save-at instruction count in '%s'", arg);
    int i = o->n_save_at++;
    for (; i > 0 && o->save_at[i - 1].icount > n; i--)
        o->save_at[i] = o->save_at[i - 1];
    o->save_at[i].icount = n;
    o->save_at[i].path = colon + 1;
    return 0;
}

/* --help and --version stop parsing with status 1 (exit 0). */
static int opt_help(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec, (void)arg;
    options_usage(stdout);
    return 1;
}

static int opt_version(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec, (void)arg;
    printf("kairo %s\n", KAIRO_VERSION);
    return 1;
}

/* ---- the table ---- */

enum {
    G_MACHINE, G_BOOT, G_DRIVES, G_DISPLAY, G_CONSOLES, G_NET, G_RUN, G_HARNESS,
    G_DEBUG, G_TRACE, G_REMOTE, G_REFUSED, G_HELP, G_COUNT
};

static const char *const group_title[G_COUNT] = {
    [G_MACHINE] = "Machine",
    [G_BOOT] = "Firmware and boot",
    [G_DRIVES] = "Drives",
    [G_DISPLAY] = "Display",
    [G_CONSOLES] = "Serial ports and consoles",
    [G_NET] = "Network",
    [G_RUN] = "Run control",
    [G_HARNESS] = "Test harness (COM1)",
    [G_DEBUG] = "Debugging",
    [G_TRACE] = "Logging and tracing",
    [G_REMOTE] = "Remote ports",
    [G_REFUSED] = "QEMU options that kairo refuses, and why",
    [G_HELP] = "Help",
};

#define FIELD(f) offsetof(Options, f)

static const OptionSpec option_table[] = {
    /* Machine */
    { "-m", NULL, "SIZE", G_MACHINE, qopt_memory, 0,
      "RAM size: MiB, or with a suffix k, M, G (size=SIZE too; default 128M, at most 3584M)" },
    { "-machine", "-M", "pc[,accel=tcg]", G_MACHINE, qopt_machine, 0,
      "machine type: pc (pc-i440fx-*) only; usb=off, vmport=off accepted; help lists them" },
    { "-cpu", NULL, "pentium2|...|max", G_MACHINE, qopt_cpu, 0,
      "the CPU model: 486, pentium, pentium2 (default), pentium3, pentium4, prescott, max; help lists them" },
    { "-smp", NULL, "N", G_MACHINE, qopt_smp, 0, "N CPUs, 1-16 (cpus=, maxcpus=, cores=... accepted)" },
    { "-accel", NULL, "tcg", G_MACHINE, qopt_accel, 0,
      "tcg only: kairo interprets every instruction (kvm, hvf...: refused)" },
    { "-name", NULL, "NAME", G_MACHINE, qopt_name, 0,
      "the guest's name: window title and DHCP host name (guest=NAME too)" },
    { "-rtc", NULL, "base=..", G_MACHINE, qopt_rtc, 0,
      "base=utc|localtime|DATE (2006-06-17T16:01:21)[,clock=host|rt|vm][,driftfix=none|slew];\n"
      "the RTC always counts guest time" },
    { "-localtime", NULL, NULL, G_MACHINE, qopt_localtime, 0, "the same as -rtc base=localtime" },
    { "-icount", NULL, "shift=N", G_MACHINE, qopt_icount, 0,
      "one instruction is 2^N ns of guest time (N 0..10; the same as --ips)" },
    { "-nodefaults", NULL, NULL, G_MACHINE, set_flag, FIELD(nodefaults),
      "no default NIC, VGA (unless -vga) or window monitor" },
    { "-device", NULL, "DEV[,PROPS]", G_MACHINE, opt_device, 0,
      "add a device: ne2k_pci, ne2k_isa (see Network), isa-debug-exit[,iobase=N][,iosize=N]\n"
      "(writing v to the debug-exit port exits with status (v<<1)|1), vmport[,mhz=N][,hwversion=N]\n"
      "(VMware's backdoor for guest tools, docs/VMPORT.md)" },
    { "-vmport", NULL, "guestinfo.K=V|share=..|exec=..", G_MACHINE, opt_vmport, 0,
      "with -device vmport: a guestinfo variable, a shared folder NAME:DIR[:ro] or an allowed\n"
      "host program NAME:CMD (repeatable; docs/VMPORT.md)" },
    { "-vga", NULL, "std|none", G_MACHINE, qopt_vga, 0,
      "VGA card (std: QEMU's std-vga with SeaVGABIOS)" },
    /* Firmware and boot */
    { "-bios", NULL, "FILE", G_BOOT, set_string, FIELD(bios),
      "system firmware (default: SeaBIOS, /usr/share/seabios/bios-256k.bin)" },
    { "-L", NULL, "DIR", G_BOOT, set_string, FIELD(firmware_dir),
      "look for the firmware (bios-256k.bin, vgabios-stdvga.bin, a relative -bios) in DIR first" },
    { "-no-fd-bootchk", NULL, NULL, G_BOOT, set_flag, FIELD(no_fd_bootchk),
      "boot floppies without the 0xAA55 boot signature" },
    { "-vga-bios", NULL, "FILE", G_BOOT, set_string, FIELD(vga_bios),
      "the VGA card's option ROM (default: Debian's vgabios-stdvga.bin)" },
    { "-boot", NULL, "ORDER", G_BOOT, opt_boot, 0,
      "boot order letters: a floppy, c disk, d CD-ROM (order=.. accepted)" },
    { "-kernel", NULL, "bzImage", G_BOOT, set_string, FIELD(kernel),
      "boot a Linux kernel directly (boot protocol 2.02+)" },
    { "-initrd", NULL, "FILE", G_BOOT, set_string, FIELD(initrd), "initial ramdisk for -kernel" },
    { "-append", NULL, "CMDLINE", G_BOOT, set_string, FIELD(append),
      "kernel command line for -kernel" },
    { "--firmware-log", NULL, "SPEC", G_BOOT, set_string, FIELD(firmware_log),
      "SeaBIOS debug output (port 0x402): stdio, file:PATH" },
    /* Drives */
    { "-hda", NULL, "FILE", G_DRIVES, opt_hd, 0, "IDE primary master disk image (raw)" },
    { "-hdb", NULL, "FILE", G_DRIVES, opt_hd, 0, "IDE primary slave disk image" },
    { "-hdc", NULL, "FILE", G_DRIVES, opt_hd, 0, "IDE secondary master disk image" },
    { "-hdd", NULL, "FILE", G_DRIVES, opt_hd, 0, "IDE secondary slave disk image" },
    { "-cdrom", NULL, "FILE", G_DRIVES, opt_cdrom, 0,
      "ISO image in the CD-ROM drive (secondary master)" },
    { "-fda", NULL, "FILE", G_DRIVES, opt_fd, 0, "floppy image A: (raw, up to 2.88M)" },
    { "-fdb", NULL, "FILE", G_DRIVES, opt_fd, 0, "floppy image B:" },
    { "-drive", NULL, "file=F[,..]", G_DRIVES, opt_drive, 0,
      "a drive, QEMU style: file=F[,if=ide|floppy][,index=N][,media=disk|cdrom]\n"
      "[,format=raw|qcow2][,readonly=on]" },
    { "-snapshot", NULL, NULL, G_DRIVES, set_flag, FIELD(snapshot),
      "disk writes go to a throw-away overlay in memory" },
    /* Display */
    { "-nographic", NULL, NULL, G_DISPLAY, set_flag, FIELD(nographic),
      "no display window; serial to stdio" },
    { "-display", NULL, "none|sdl[,..]", G_DISPLAY, opt_display, 0,
      "none: no window; sdl[,scale=nearest|smooth|integer][,full-screen=on]: SDL2 window\n"
      "(the default when $DISPLAY or $WAYLAND_DISPLAY is set); Ctrl+Alt+G grab, F full screen,\n"
      "S scaling, U 1:1 size, End sends Ctrl+Alt+Delete (docs/DISPLAY.md)" },
    { "-sdl", NULL, NULL, G_DISPLAY, qopt_sdl, 0, "the same as -display sdl" },
    { "-k", NULL, "LANG", G_DISPLAY, qopt_keyboard, 0,
      "accepted with a note: the window sends physical keys; the layout is the guest's" },
    { "-full-screen", NULL, NULL, G_DISPLAY, opt_full_screen, 0,
      "start the window in full screen" },
    { "-screendump", NULL, "FILE.png", G_DISPLAY, set_string, FIELD(screendump),
      "write the screen as a PNG at exit" },
    { "--dump-text", NULL, NULL, G_DISPLAY, set_flag, FIELD(dump_text),
      "print the VGA text screen at exit" },
    /* Serial ports and consoles */
    { "-serial", NULL, "SPEC", G_CONSOLES, opt_serial, 0,
      "COM1 backend (again: COM2..): stdio, file:PATH, pty, tcp:[HOST]:PORT[,server], none,\n"
      "chardev:ID" },
    { "-chardev", NULL, "TYPE,id=ID,..", G_CONSOLES, qopt_chardev, 0,
      "a backend for -serial/-monitor/-debugcon chardev:ID: stdio, null, pty, file,path=P,\n"
      "socket,host=H,port=P[,server=on][,wait=off], socket,path=P" },
    { "-mon", NULL, "chardev=ID", G_CONSOLES, qopt_mon, 0,
      "the monitor on a -chardev (mode=readline; there is no QMP)" },
    { "-parallel", NULL, "none", G_CONSOLES, qopt_parallel, 0, "there is no parallel port" },
    { "-debugcon", NULL, "SPEC", G_CONSOLES, set_string, FIELD(debugcon),
      "port 0xE9 console: stdio, file:PATH, none" },
    { "-monitor", NULL, "SPEC", G_CONSOLES, set_string, FIELD(monitor),
      "debugger monitor (docs/MONITOR.md): stdio, tcp:[HOST]:PORT[,server], unix:PATH,\n"
      "vc (the window's console, Ctrl+Alt+2; the default with a window), chardev:ID, none" },
    /* Network */
    { "-netdev", NULL, "TYPE,id=ID,..", G_NET, opt_netdev, 0,
      "a backend: user,id=ID[,hostfwd=tcp::HOSTPORT-:GUESTPORT][,net=..][,dns=..][,restrict=on];\n"
      "tap,id=ID,ifname=TAP; raw,id=ID,ifname=IF (AF_PACKET); socket,id=ID,udp=HOST:PORT,\n"
      "localaddr=HOST:PORT | listen=[HOST]:PORT | connect=HOST:PORT; user also takes ipv4=off,\n"
      "ipv6=off, ipv6-net=PREFIX/LEN (default fec0::/64), hostname=NAME" },
    { "-nic", NULL, "TYPE[,..]", G_NET, opt_nic, 0,
      "card and backend at once: TYPE[,model=ne2k_pci|ne2k_isa][,mac=MAC][,backend options]\n"
      "(none: no card);\n"
      "cards: -device ne2k_pci[,netdev=ID][,mac=MAC][,addr=SLOT] (NE2000 PCI, RTL8029),\n"
      "-device ne2k_isa[,netdev=ID][,mac=MAC][,iobase=0x300][,irq=9]" },
    { "-net", NULL, "nic|user|..", G_NET, qopt_net, 0,
      "QEMU's legacy pair: -net nic[,model=ne2k_pci|ne2k_isa][,macaddr=MAC] -net user[,..]\n"
      "(or tap, socket); -net none: no card. Without any network option: one ne2k_pci on user" },
    { "-object", NULL, "filter-dump,..", G_NET, opt_object, 0,
      "filter-dump,id=F,netdev=ID,file=PATH[,maxlen=N]: pcap of a netdev's frames" },
    /* Run control */
    { "-no-reboot", NULL, NULL, G_RUN, set_flag, FIELD(no_reboot),
      "a triple fault ends the run (status 2) instead of resetting" },
    { "-no-shutdown", NULL, NULL, G_RUN, set_flag, FIELD(no_shutdown),
      "a guest power-off stops the guest instead of ending the run (monitor: quit)" },
    { "-pidfile", NULL, "FILE", G_RUN, set_string, FIELD(pidfile),
      "write kairo's process id to FILE (locked; removed at exit)" },
    { "-daemonize", NULL, NULL, G_RUN, set_flag, FIELD(daemonize),
      "run in the background once the machine is built (no stdio consoles)" },
    { "--max-insns", NULL, "N", G_RUN, opt_max_insns, 0, "stop after N instructions (status 3)" },
    { "--timeout", NULL, "SECONDS", G_RUN, opt_timeout, 0,
      "stop after SECONDS of host time (status 3)" },
    { "--ips", NULL, "N", G_RUN, opt_ips, 0,
      "instructions per guest second (default 100000000)" },
    { "--deterministic", NULL, NULL, G_RUN, set_flag, FIELD(deterministic),
      "fixed RTC start time: the same input gives the same run" },
    { "--stats", NULL, NULL, G_RUN, set_flag, FIELD(stats),
      "print instructions, seconds and MIPS at exit" },
    { "--list-slots", NULL, NULL, G_RUN, set_flag, FIELD(list_slots),
      "print the device slots (name, ports, IRQs) and exit" },
    { "-loadvm", NULL, "FILE[,force=on]", G_RUN, opt_loadvm, 0,
      "start from a snapshot (force=on: even if a disk image changed)" },
    { "--save-at", NULL, "N:FILE", G_RUN, opt_save_at, 0,
      "save a snapshot when the instruction count is exactly N (repeatable)" },
    { "-record", NULL, "FILE[,checkpoint=N]", G_RUN, set_string, FIELD(record),
      "log every outside input with its instruction count, for -replay (docs/REPLAY.md)" },
    { "-replay", NULL, "FILE", G_RUN, set_string, FIELD(replay),
      "run again from a -record log: same inputs, no window or network; prints the hash" },
    { "--reverse", NULL, NULL, G_RUN, set_flag, FIELD(reverse),
      "keep the run's history in memory for reverse debugging (gdb, monitor; docs/REVERSE.md)" },
    { "--reverse-opts", NULL, "every=N,count=N,mem=MB", G_RUN, set_string, FIELD(reverse_opts),
      "history: a checkpoint every N instructions, at most count of them and MB of memory" },
    { "--state-hash", NULL, NULL, G_RUN, set_flag, FIELD(state_hash),
      "print one hash of RAM, CPU and x87 registers and the instruction count at exit" },
    /* Test harness */
    { "--expect", NULL, "TEXT", G_HARNESS, opt_expect_step, 0,
      "wait for TEXT on COM1 (in order with --send; C escapes)" },
    { "--send", NULL, "TEXT", G_HARNESS, opt_expect_step, 0,
      "type TEXT into COM1 once the expects before it matched" },
    { "--expect-re", NULL, "REGEX", G_HARNESS, opt_expect_step, 0,
      "wait for a POSIX extended regular expression on COM1" },
    { "--expect-screen", NULL, "TEXT", G_HARNESS, opt_expect_step, 0,
      "wait for TEXT on the VGA text screen" },
    { "--expect-fail", NULL, "TEXT", G_HARNESS, opt_expect_step, 0,
      "TEXT anywhere on COM1 fails the run at once (status 4)" },
    { "--expect-exit", NULL, NULL, G_HARNESS, set_flag, FIELD(expect_exit),
      "end the run (status 0) once the last step matched" },
    { "--expect-script", NULL, "FILE", G_HARNESS, set_string, FIELD(expect_script),
      "the same from a file: lines 'expect T', 'send T', 'timeout S'" },
    { "--expect-timeout", NULL, "S", G_HARNESS, opt_expect_timeout, 0,
      "seconds each expect may wait (default 60); a miss exits 4" },
    /* Debugging */
    { "-s", NULL, NULL, G_DEBUG, opt_gdb_default, 0, "gdb stub on tcp::1234 (same as -gdb tcp::1234)" },
    { "-gdb", NULL, "tcp:[HOST]:PORT", G_DEBUG, set_string, FIELD(gdb),
      "gdb stub on PORT (0: a free port, printed)" },
    { "-qmp", NULL, "SPEC", G_DEBUG, set_string, FIELD(qmp),
      "QMP, QEMU's JSON machine protocol: unix:PATH,server[,wait=off] or\n"
      "tcp:[HOST]:PORT,server[,wait=off] (docs/QMP.md)" },
    { "-echr", NULL, "N", G_DEBUG, opt_echr, 0,
      "escape key of mon:stdio / -nographic (default 1: Ctrl-A; C-a h lists the keys)" },
    { "-S", NULL, NULL, G_DEBUG, set_flag, FIELD(start_stopped),
      "start stopped: the guest waits for gdb (or the monitor) to continue it" },
    { "--flight-recorder", NULL, "N", G_DEBUG, opt_flight_recorder, 0,
      "keep the last N instructions with registers; dumped on a triple fault,\n"
      "SIGUSR1, a crash of kairo, or --flight-dump-on" },
    { "--flight-dump-on", NULL, "VECS", G_DEBUG, set_string, FIELD(flight_dump_on),
      "dump the flight recorder on these exception vectors (e.g. 6,13,14)" },
    /* Logging and tracing */
    { "-d", NULL, "ITEMS", G_TRACE, qopt_log_items, 0,
      "log items: exec or in_asm (every instruction), cpu (registers), int, io (port I/O),\n"
      "mmu (page walks/faults), cpu_reset, unimp, guest_errors, nochain; help lists them" },
    { "-D", NULL, "FILE", G_TRACE, set_string, FIELD(log_file), "write the log to FILE" },
    { "--trace", NULL, "FILE", G_TRACE, set_string, FIELD(trace_file),
      "compressed binary trace (read it with kairo-trace; docs/TRACING.md)" },
    { "-trace", NULL, "EVENTS", G_TRACE, qopt_qemu_trace, 0,
      "QEMU's event tracer (one dash): refused; kairo's trace is --trace FILE" },
    { "--trace-items", NULL, "ITEMS", G_TRACE, opt_trace_items, 0,
      "what --trace records: exec,cpu,int,io,mmu (default exec,int,io,mmu)" },
    { "--trace-filter", NULL, "SPEC", G_TRACE, opt_trace_filter, 0,
      "range=LO-HI|LO+LEN, cpl=N[-M], after=N, branches, ints, io, mmu" },
    /* Remote ports */
    { "-remote", NULL, "SLOT=SPEC", G_REMOTE, opt_remote, 0,
      "serve a slot (com2, ide1...) from kairo-portd: SLOT=eth:IFACE,peer=MAC[,key=FILE]\n"
      "or SLOT=udp:HOST:PORT[,key=FILE]" },
    { "--remote-stats", NULL, NULL, G_REMOTE, set_flag, FIELD(remote_stats),
      "per-slot round trips, latency, retransmissions at exit" },
    /* QEMU options with nothing behind them here: refused with the reason */
    { "-enable-kvm", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "kairo is an interpreter and has no KVM (-accel tcg, or nothing)" },
    { "-usb", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "there is no USB controller (keyboard and mouse are PS/2)" },
    { "-usbdevice", NULL, "DEV", G_REFUSED, qopt_refused, 0, "there is no USB controller" },
    { "-soundhw", NULL, "CARD", G_REFUSED, qopt_refused, 0, "there is no sound card" },
    { "-audiodev", NULL, "SPEC", G_REFUSED, qopt_refused, 0, "there is no sound card" },
    { "-vnc", NULL, "DISPLAY", G_REFUSED, qopt_refused, 0,
      "there is no VNC server (-display sdl or none)" },
    { "-spice", NULL, "SPEC", G_REFUSED, qopt_refused, 0,
      "there is no SPICE server (-display sdl or none)" },
    { "-curses", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "there is no curses display (-nographic, --dump-text)" },
    { "-no-acpi", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "the PIIX4 ACPI function is part of the machine" },
    { "-global", NULL, "PROP", G_REFUSED, qopt_refused, 0, "devices have no global properties" },
    { "-watchdog", NULL, "MODEL", G_REFUSED, qopt_refused, 0, "there is no watchdog device" },
    { "-balloon", NULL, "SPEC", G_REFUSED, qopt_refused, 0, "there is no memory balloon" },
    { "-mem-path", NULL, "DIR", G_REFUSED, qopt_refused, 0,
      "guest RAM is ordinary host memory" },
    { "-mem-prealloc", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "guest RAM is ordinary host memory" },
    { "-pflash", NULL, "FILE", G_REFUSED, qopt_refused, 0,
      "there is no flash chip: give the firmware with -bios" },
    { "-incoming", NULL, "URI", G_REFUSED, qopt_refused, 0, "there is no migration" },
    { "-readconfig", NULL, "FILE", G_REFUSED, qopt_refused, 0, "kairo reads no config files" },
    { "-alt-grab", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "the grab key is fixed: Ctrl+Alt+G (docs/DISPLAY.md)" },
    { "-ctrl-grab", NULL, NULL, G_REFUSED, qopt_refused, 0,
      "the grab key is fixed: Ctrl+Alt+G (docs/DISPLAY.md)" },
    /* Accepted because they ask for what is already the case */
    { "-no-hpet", NULL, NULL, G_MACHINE, qopt_ignored, 0, "accepted: there is no HPET" },
    { "-no-user-config", "-nodefconfig", NULL, G_MACHINE, qopt_ignored, 0,
      "accepted: kairo reads no configuration files" },
    /* Help */
    { "--help", "-h", NULL, G_HELP, opt_help, 0, "this text" },
    { "--version", NULL, NULL, G_HELP, opt_version, 0, "print the version" },
};

#define N_OPTIONS (sizeof option_table / sizeof option_table[0])

static int set_flag(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)arg;
    *(bool *)((char *)o + spec->field) = true;
    return 0;
}

static int set_string(Options *o, const OptionSpec *spec, const char *arg)
{
    *(const char **)((char *)o + spec->field) = arg;
    return 0;
}

/* ---- lookup ---- */

/* QEMU accepts --opt as -opt; so do we: compare without the extra dash. */
static const char *undash(const char *s)
{
    return s[0] == '-' && s[1] == '-' && s[2] ? s + 1 : s;
}

static bool name_matches(const char *name, const char *given)
{
    return name && !strcmp(undash(name), undash(given));
}

static const OptionSpec *find_option(const char *given)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!strcmp(option_table[i].name, given) ||
            (option_table[i].alias && !strcmp(option_table[i].alias, given)))
            return &option_table[i];   /* the exact spelling first */
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (name_matches(option_table[i].name, given) ||
            name_matches(option_table[i].alias, given))
            return &option_table[i];
    return NULL;
}

/* Levenshtein distance, for the "did you mean" hint. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *closest_option(const char *given)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    const char *g = undash(given);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        size_t d = edit_distance(undash(option_table[i].name), g);
        if (d < best_d) {
            best_d = d;
            best = option_table[i].name;
        }
    }
    /* A hint only when it is plausibly a typo, not any option at all. */
    return best_d <= (strlen(g) >= 6 ? 2u : 1u) ? best : NULL;
}

static int unknown_option(const char *given)
{
    const char *hint = closest_option(given);
    if (hint)
        fprintf(stderr, "kairo: unknown option '%s' (did you mean '%s'? try --help)\n", given,
                hint);
    else
        fprintf(stderr, "kairo: unknown option '%s' (try --help)\n", given);
    return -1;
}

/* ---- --help ---- */

static void print_option(FILE *out, const OptionSpec *s)
{
    char head[64];
    snprintf(head, sizeof head, "%s%s%s%s%s", s->name, s->alias ? ", " : "",
             s->alias ? s->alias : "", s->arg ? " " : "", s->arg ? s->arg : "");
    const char *line = s->help;
    bool first = true;
    if (strlen(head) > 24) {   /* a long head gets a line of its own */
        fprintf(out, "  %s\n", head);
        first = false;
    }
    while (*line) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(out, "  %-24s %.*s\n", first ? head : "", len, line);
        first = false;
        line += len + (nl != NULL);
    }
}

void options_usage(FILE *out)
{
    fputs("usage: kairo [options] [disk image]\n", out);
    for (int g = 0; g < G_COUNT; g++) {
        fprintf(out, "\n%s:\n", group_title[g]);
        for (size_t i = 0; i < N_OPTIONS; i++)
            if (option_table[i].group == g)
                print_option(out, &option_table[i]);
    }
}

/* ---- parsing ---- */

/* A word without a dash is a disk image, as QEMU reads it: the -hda. */
static int positional_image(Options *o, const char *path)
{
    if (o->hd[0])
        return fail("'%s': a second image without an option (use -hdb FILE, -cdrom FILE...)",
                    path);
    o->hd[0] = path;
    return 0;
}

static int check_combinations(Options *o)
{
    if (o->expect_script && o->n_expect_steps)
        return fail("%s", "use --expect/--send or --expect-script, not both");
    if (o->start_stopped && !o->gdb && !o->monitor && !o->qmp)
        return fail("%s", "-S needs a debugger to resume the guest: add -s, -gdb tcp::PORT "
                          "or -monitor");
    /* One terminal cannot be both the monitor and a console. */
    bool com1_stdio = o->serial ? !strcmp(o->serial, "stdio") || !strcmp(o->serial, "mon:stdio")
                                : o->nographic;
    if (o->monitor && !strcmp(o->monitor, "stdio") &&
        (com1_stdio || (o->debugcon && !strcmp(o->debugcon, "stdio"))))
        return fail("%s", "-monitor stdio: stdio is taken by a console (-nographic puts COM1 "
                          "there): give -serial/-debugcon another backend");
    if (o->nographic && o->display_cfg.kind == DISPLAY_SDL)
        return fail("%s", "-nographic and -display sdl exclude each other");
    if (o->flight_dump_on && !o->flight_insns)
        return fail("%s", "--flight-dump-on needs --flight-recorder N");
    if (o->trace_items && !o->trace_file)
        return fail("%s", "--trace-items needs --trace FILE");
    if (o->trace_filter && !o->trace_file && !o->log_items)
        return fail("%s", "--trace-filter needs --trace FILE or -d ITEMS to filter");
    if ((o->initrd || o->append) && !o->kernel)
        return fail("%s", "-initrd and -append need -kernel");
    if (o->n_vmport_args && !o->vmport)
        return fail("%s", "-vmport needs -device vmport");
    return netopt_check(&o->net);
}

int options_parse(Options *o, int argc, char **argv)
{
    *o = (Options){ .ram_mb = 128, .smp_cpus = 1, .smp_max_cpus = 1,
                    .debug_exit_port = 0x501, .debug_exit_size = 1, .ips = DEFAULT_IPS, .escape_char = 0x01 };
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' || !argv[i][1]) {
            if (positional_image(o, argv[i]) < 0)
                return -1;
            continue;
        }
        const OptionSpec *spec = find_option(argv[i]);
        if (!spec)
            return unknown_option(argv[i]);
        const char *arg = NULL;
        if (spec->arg) {
            if (i + 1 >= argc)
                return fail("option '%s' needs an argument", argv[i]);
            arg = argv[++i];
        }
        int r = spec->handle(o, spec, arg);
        if (r != 0)
            return r;
    }
    if (qopt_finish(o) < 0 || check_combinations(o) < 0)
        return -1;
    if (!o->expect_timeout_s)
        o->expect_timeout_s = 60;
    if (!o->bios)
        o->bios = "/usr/share/seabios/bios-256k.bin";
    return 0;
}
