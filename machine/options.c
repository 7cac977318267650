/* Command-line parsing. Every error is one clear line and a non-zero exit. */
#include "machine/options.h"

#include "iodev/expect.h"

#include "debug/flightrec.h"
#include "debug/trace.h"
#include "debug/trace_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KAIRO_VERSION "0.1.0"
#define DEFAULT_IPS 100000000ull   /* 100 MIPS of guest time per second */

void options_usage(FILE *out)
{
    fputs("usage: kairo [options]\n"
          "  -bios FILE            system firmware (default: SeaBIOS, /usr/share/seabios/bios-256k.bin)\n"
          "  -hda/-hdb/-hdc/-hdd FILE  IDE disk images (raw)\n"
          "  -cdrom FILE           ISO image in the CD-ROM drive (secondary master)\n"
          "  -fda/-fdb FILE        floppy images (160K-2.88M raw)\n"
          "  -drive file=F[,if=ide|floppy][,index=N][,media=disk|cdrom][,format=raw][,readonly=on]\n"
          "  -boot ORDER           boot order letters: a floppy, c disk, d CD-ROM (order=.. accepted)\n"
          "  -vga std|none         VGA card (std: QEMU's std-vga with SeaVGABIOS)\n"
          "  -vga-bios FILE        the VGA card's option ROM (default: Debian's vgabios-stdvga.bin)\n"
          "  --firmware-log SPEC   SeaBIOS debug output (port 0x402): stdio, file:PATH\n"
          "  --deterministic       fixed RTC start time: the same input gives the same run\n"
          "  --list-slots          print the device slots (name, ports, IRQs) and exit\n"
          "  --dump-text           print the VGA text screen at exit\n"
          "  -snapshot             disk writes go to a throw-away overlay in memory\n"
          "  -screendump FILE.png  write the screen as a PNG at exit\n"
          "  -kernel bzImage       boot a Linux kernel directly (boot protocol 2.02+)\n"
          "  -initrd FILE          initial ramdisk for -kernel\n"
          "  -append CMDLINE       kernel command line for -kernel\n"
          "  --expect TEXT         wait for TEXT on COM1 (in order with --send; C escapes)\n"
          "  --send TEXT           type TEXT into COM1 once the expects before it matched\n"
          "  --expect-script FILE  the same from a file: lines 'expect T', 'send T', 'timeout S'\n"
          "  --expect-timeout S    seconds each expect may wait (default 60); a miss exits 4\n"
          "  --expect-re REGEX     wait for a POSIX extended regular expression on COM1\n"
          "  --expect-screen TEXT  wait for TEXT on the VGA text screen\n"
          "  --expect-fail TEXT    TEXT anywhere on COM1 fails the run at once (status 4)\n"
          "  --expect-exit         end the run (status 0) once the last step matched\n"
          "  -m MB                 RAM size in MiB (default 128, at most 3584)\n"
          "  -nographic            no display window; serial to stdio\n"
          "  -display none         no display window\n"
          "  -display sdl[,scale=nearest|smooth|integer][,full-screen=on]\n"
          "                        SDL2 window (the default when $DISPLAY or $WAYLAND_DISPLAY\n"
          "                        is set); Ctrl+Alt+G grab, F full screen, S scaling,\n"
          "                        U 1:1 size, End sends Ctrl+Alt+Delete (docs/DISPLAY.md)\n"
          "  -full-screen          start the window in full screen\n"
          "  -serial SPEC          COM1 backend (again: COM2..): stdio, file:PATH, none\n"
          "  -debugcon SPEC        port 0xE9 console: stdio, file:PATH, none\n"
          "  -netdev user,id=ID[,hostfwd=tcp::HOSTPORT-:GUESTPORT][,net=..][,dns=..][,restrict=on]\n"
          "  -netdev tap,id=ID,ifname=TAP | raw,id=ID,ifname=IF (AF_PACKET)\n"
          "  -netdev socket,id=ID,udp=HOST:PORT,localaddr=HOST:PORT | listen=[HOST]:PORT | connect=HOST:PORT\n"
          "  -device ne2k_pci[,netdev=ID][,mac=MAC][,addr=SLOT]   NE2000 PCI (RTL8029)\n"
          "  -device ne2k_isa[,netdev=ID][,mac=MAC][,iobase=0x300][,irq=9]\n"
          "  -nic TYPE[,model=ne2k_pci|ne2k_isa][,mac=MAC][,backend options]   card and backend\n"
          "  -object filter-dump,id=F,netdev=ID,file=PATH[,maxlen=N]   pcap of a netdev's frames\n"
          "  -device isa-debug-exit[,iobase=N][,iosize=N]\n"
          "                        writing v to the port exits with status (v<<1)|1\n"
          "  -no-reboot            a triple fault ends the run (status 2) instead of resetting\n"
          "  -d ITEMS              log items: exec (every instruction), cpu (registers), int,\n"
          "                        io (port I/O), mmu (page walks/faults), cpu_reset, unimp, guest_errors\n"
          "  -D FILE               write the log to FILE\n"
          "  --trace FILE          compressed binary trace (read it with kairo-trace; docs/TRACING.md)\n"
          "  --trace-items ITEMS   what --trace records: exec,cpu,int,io,mmu (default exec,int,io,mmu)\n"
          "  --trace-filter SPEC   range=LO-HI|LO+LEN, cpl=N[-M], after=N, branches, ints, io, mmu\n"
          "  --flight-recorder N   keep the last N instructions with registers; dumped on a triple\n"
          "                        fault, SIGUSR1, a crash of kairo, or --flight-dump-on\n"
          "  --flight-dump-on VECS dump the flight recorder on these exception vectors (e.g. 6,13,14)\n"
          "  --max-insns N         stop after N instructions (status 3)\n"
          "  --timeout SECONDS     stop after SECONDS of host time (status 3)\n"
          "  --ips N               instructions per guest second (default 100000000)\n"
          "  -icount shift=N|auto[,sleep=off]  2^N ns per instruction; sleep=off: as fast as possible\n"
          "  -qmp unix:PATH,server[,wait=off] | tcp:[HOST]:PORT,server[,wait=off]\n"
          "                        QEMU's JSON machine protocol (docs/QMP.md)\n"
          "  -no-shutdown          with -qmp: a guest power-off stops the guest instead of ending\n"
          "  -echr N               escape key of mon:stdio / -nographic (default 1: Ctrl-A)\n"
          "  --stats               print instructions, seconds and MIPS at exit\n"
          "  -remote SLOT=eth:IFACE,peer=MAC[,key=FILE] | SLOT=udp:HOST:PORT[,key=FILE]\n"
          "                        serve a slot (com2, ide1...) from kairo-portd\n"
          "  --remote-stats        per-slot round trips, latency, retransmissions at exit\n"
          "  -s                    gdb stub on tcp::1234 (same as -gdb tcp::1234)\n"
          "  -gdb tcp:[HOST]:PORT  gdb stub on PORT (0: a free port, printed)\n"
          "  -S                    start stopped: the guest waits for gdb (or the monitor) to continue it\n"
          "  -monitor SPEC         debugger monitor (docs/MONITOR.md): stdio, tcp:[HOST]:PORT[,server], unix:PATH,\n"
          "                        vc (the window's console, Ctrl+Alt+2; the default with a window)\n"
          "  -h, --help            this text\n"
          "  --version             print the version\n",
          out);
}

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

static int fail(const char *fmt, const char *arg)
{
    fputs("kairo: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return -1;
}

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

/* -drive file=PATH[,if=ide|floppy][,index=N][,media=disk|cdrom][,format=raw][,readonly=on] */
static int parse_drive(Options *o, const char *spec)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    const char *file = NULL, *iface = "ide", *media = "disk";
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
            if (strcmp(v, "raw"))
                return fail("unsupported image format '%s' (raw only)", v);
        } else if (!strcmp(kv, "readonly"))
            readonly = !strcmp(v, "on") || !strcmp(v, "true");
        else if (strcmp(kv, "id") && strcmp(kv, "cache") && strcmp(kv, "aio"))
            return fail("unknown -drive property '%s'", kv);
    }
    if (!file)
        return fail("-drive needs file=PATH: '%s'", spec);
    bool cdrom = !strcmp(media, "cdrom");
    if (!strcmp(iface, "floppy")) {
        int n = index < 0 ? (o->fd[0] ? 1 : 0) : (int)index;
        if (n < 0 || n > 1 || o->fd[n])
            return fail("no free floppy drive for '%s'", spec);
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
        return fail("no free IDE unit for '%s'", spec);
    o->hd[n] = keep_string(file);
    o->hd_cdrom[n] = cdrom;
    o->hd_readonly[n] = readonly || cdrom;
    return 0;
}

/* -boot c / -boot order=dc,menu=on */
static int parse_boot(Options *o, const char *spec)
{
    const char *order = spec;
    const char *p = strstr(spec, "order=");
    if (p)
        order = p + 6;
    else if (strchr(spec, '='))
        return 0;   /* menu=on and friends: nothing to do */
    size_t n = 0;
    for (; *order && *order != ',' && n < sizeof o->boot_order - 1; order++) {
        if (*order != 'a' && *order != 'c' && *order != 'd')
            return fail("bad boot device in '%s' (a, c, d)", spec);
        o->boot_order[n++] = *order;
    }
    o->boot_order[n] = 0;
    return 0;
}

/* --expect, --send, --expect-re, --expect-screen, --expect-fail (one dash
 * already taken off) to an ExpectKind; -1 for other options. */
static int expect_kind(const char *opt)
{
    static const char *const names[] = { "-expect", "-send", "-expect-re", "-expect-screen",
                                         "-expect-fail" };
    static const int kinds[] = { EXPECT_WAIT, EXPECT_SEND, EXPECT_REGEX, EXPECT_SCREEN,
                                 EXPECT_FAIL };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(opt, names[i]))
            return kinds[i];
    return -1;
}

/* -icount [shift=]N|auto[,sleep=on|off][,align=off]: one instruction is
 * 2^N ns of guest time (auto: the default rate); sleep=off runs as fast as
 * the host can, today's deterministic behaviour (docs/TIME.md). */
static int parse_icount(Options *o, const char *spec)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        const char *shift = !strncmp(kv, "shift=", 6) ? kv + 6 : strchr(kv, '=') ? NULL : kv;
        uint64_t n;
        if (shift && !strcmp(shift, "auto"))
            continue;
        if (shift && parse_u64(shift, &n) && n <= 19) {
            o->ips = 1000000000ull >> n;
            o->ips_fixed = true;
        }
        else if (!strcmp(kv, "sleep=off") || !strcmp(kv, "sleep=on"))
            o->icount_nosleep = !strcmp(kv, "sleep=off");
        else if (strcmp(kv, "align=off") && strcmp(kv, "align=on"))
            return fail("bad -icount '%s' (shift=0..19|auto[,sleep=on|off])", spec);
    }
    return 0;
}

/* -device isa-debug-exit[,iobase=N][,iosize=N] */
static int parse_device(Options *o, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    char *name = strtok_r(buf, ",", &save);
    if (name && (!strncmp(name, "ne2k_", 5) || !strcmp(name, "rtl8029")))
        return netopt_device(&o->net, spec);
    if (!name || strcmp(name, "isa-debug-exit") != 0)
        return fail("unknown device '%s' (supported: isa-debug-exit, ne2k_pci, ne2k_isa)", spec);
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

int options_parse(Options *o, int argc, char **argv)
{
    *o = (Options){ .ram_mb = 128, .debug_exit_port = 0x501, .debug_exit_size = 1,
                    .ips = DEFAULT_IPS, .escape_char = 0x01 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* QEMU accepts --opt as -opt; so do we. */
        if (a[0] == '-' && a[1] == '-' && a[2])
            a++;
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG() do { if (!val) return fail("option '%s' needs an argument", argv[i]); i++; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            options_usage(stdout);
            return 1;
        } else if (!strcmp(a, "-version")) {
            printf("kairo %s\n", KAIRO_VERSION);
            return 1;
        } else if (!strcmp(a, "-bios")) {
            NEED_ARG();
            o->bios = val;
        } else if (!strcmp(a, "-m")) {
            NEED_ARG();
            uint64_t mb;
            const char *v = val;
            char tmp[32];
            size_t n = strlen(v);
            if (n && n < sizeof tmp && (v[n - 1] == 'M' || v[n - 1] == 'm')) {
                memcpy(tmp, v, n - 1);
                tmp[n - 1] = 0;
                v = tmp;
            }
            if (!parse_u64(v, &mb) || mb < 1 || mb > 3584)
                return fail("bad memory size '%s' (MiB, 1..3584)", val);
            o->ram_mb = (uint32_t)mb;
        } else if (!strcmp(a, "-nographic")) {
            o->nographic = true;
        } else if (!strcmp(a, "-display")) {
            NEED_ARG();
            char err[300];
            if (!display_parse(val, &o->display_cfg, err, sizeof err))
                return fail("%s", err);
            o->display = val;
        } else if (!strcmp(a, "-full-screen")) {
            o->display_cfg.full_screen = true;
        } else if (!strcmp(a, "-serial")) {
            NEED_ARG();
            if (!o->serial) {
                o->serial = val;
            } else {
                int n = 0;
                while (n < 3 && o->serial_extra[n])
                    n++;
                if (n == 3)
                    return fail("%s", "at most four -serial ports");
                o->serial_extra[n] = val;
            }
        } else if (!strcmp(a, "-hda") || !strcmp(a, "-hdb") || !strcmp(a, "-hdc") ||
                   !strcmp(a, "-hdd")) {
            NEED_ARG();
            o->hd[a[3] - 'a'] = val;
        } else if (!strcmp(a, "-cdrom")) {
            NEED_ARG();
            o->hd[2] = val;
            o->hd_cdrom[2] = true;
            o->hd_readonly[2] = true;
        } else if (!strcmp(a, "-fda") || !strcmp(a, "-fdb")) {
            NEED_ARG();
            o->fd[a[3] - 'a'] = val;
        } else if (!strcmp(a, "-drive")) {
            NEED_ARG();
            if (parse_drive(o, val) < 0)
                return -1;
        } else if (!strcmp(a, "-boot")) {
            NEED_ARG();
            if (parse_boot(o, val) < 0)
                return -1;
        } else if (!strcmp(a, "-vga")) {
            NEED_ARG();
            if (!strcmp(val, "none"))
                o->vga_none = true;
            else if (strcmp(val, "std"))
                return fail("unsupported VGA '%s' (std, none)", val);
        } else if (!strcmp(a, "-M") || !strcmp(a, "-machine")) {
            NEED_ARG();
            if (strncmp(val, "pc", 2))
                return fail("unsupported machine '%s' (pc)", val);
        } else if (!strcmp(a, "-firmware-log")) {
            NEED_ARG();
            o->firmware_log = val;
        } else if (!strcmp(a, "-deterministic")) {
            o->deterministic = true;
        } else if (!strcmp(a, "-list-slots")) {
            o->list_slots = true;
        } else if (!strcmp(a, "-dump-text")) {
            o->dump_text = true;
        } else if (!strcmp(a, "-debugcon")) {
            NEED_ARG();
            o->debugcon = val;
        } else if (!strcmp(a, "-device")) {
            NEED_ARG();
            if (parse_device(o, val) < 0)
                return -1;
        } else if (!strcmp(a, "-netdev") || !strcmp(a, "-nic") || !strcmp(a, "-object")) {
            NEED_ARG();
            int r = !strcmp(a, "-netdev") ? netopt_netdev(&o->net, val)
                    : !strcmp(a, "-nic")  ? netopt_nic(&o->net, val)
                                          : netopt_object(&o->net, val);
            if (r < 0)
                return -1;
        } else if (!strcmp(a, "-no-shutdown")) {
            o->no_shutdown = true;
        } else if (!strcmp(a, "-no-reboot")) {
            o->no_reboot = true;
        } else if (!strcmp(a, "-d")) {
            NEED_ARG();
            o->log_items = val;
        } else if (!strcmp(a, "-D")) {
            NEED_ARG();
            o->log_file = val;
        } else if (!strcmp(a, "-max-insns")) {
            NEED_ARG();
            if (!parse_u64(val, &o->max_insns) || !o->max_insns)
                return fail("bad instruction count '%s'", val);
        } else if (!strcmp(a, "-timeout")) {
            NEED_ARG();
            char *end;
            o->timeout_s = strtod(val, &end);
            if (*end || !(o->timeout_s > 0))
                return fail("bad timeout '%s' (seconds > 0)", val);
        } else if (!strcmp(a, "-ips")) {
            NEED_ARG();
            if (!parse_u64(val, &o->ips) || o->ips < 1000)
                return fail("bad instruction rate '%s' (at least 1000)", val);
            o->ips_fixed = true;
        } else if (!strcmp(a, "-echr")) {
            NEED_ARG();
            uint64_t v;
            if (!parse_u64(val, &v) || v > 255)
                return fail("bad -echr '%s' (a character code, e.g. 20 for Ctrl-T)", val);
            o->escape_char = (uint8_t)v;
        } else if (!strcmp(a, "-icount")) {
            NEED_ARG();
            if (parse_icount(o, val) < 0)
                return -1;
        } else if (!strcmp(a, "-stats")) {
            o->stats = true;
        } else if (!strcmp(a, "-remote")) {
            NEED_ARG();
            if (o->n_remote == 8)
                return fail("%s", "at most eight -remote slots");
            o->remote[o->n_remote++] = val;
        } else if (!strcmp(a, "-remote-stats")) {
            o->remote_stats = true;
        } else if (expect_kind(a) >= 0) {
            NEED_ARG();
            if (o->n_expect_steps == (int)(sizeof o->expect_steps / sizeof o->expect_steps[0]))
                return fail("too many --expect/--send steps at '%s' (at most 64)", val);
            o->expect_steps[o->n_expect_steps].kind = expect_kind(a);
            o->expect_steps[o->n_expect_steps++].text = val;
        } else if (!strcmp(a, "-expect-exit")) {
            o->expect_exit = true;
        } else if (!strcmp(a, "-expect-script")) {
            NEED_ARG();
            o->expect_script = val;
        } else if (!strcmp(a, "-expect-timeout")) {
            NEED_ARG();
            char *end;
            o->expect_timeout_s = strtod(val, &end);
            if (*end || !(o->expect_timeout_s > 0))
                return fail("bad expect timeout '%s' (seconds > 0)", val);
        } else if (!strcmp(a, "-screendump")) {
            NEED_ARG();
            o->screendump = val;
        } else if (!strcmp(a, "-vga-bios")) {
            NEED_ARG();
            o->vga_bios = val;
        } else if (!strcmp(a, "-s")) {
            o->gdb = "tcp::1234";
        } else if (!strcmp(a, "-gdb")) {
            NEED_ARG();
            o->gdb = val;
        } else if (!strcmp(a, "-S")) {
            o->start_stopped = true;
        } else if (!strcmp(a, "-monitor")) {
            NEED_ARG();
            o->monitor = val;
        } else if (!strcmp(a, "-qmp")) {
            NEED_ARG();
            o->qmp = val;
        } else if (!strcmp(a, "-trace")) {
            NEED_ARG();
            o->trace_file = val;
        } else if (!strcmp(a, "-trace-items")) {
            NEED_ARG();
            unsigned bits;
            char err[160];
            if (!trace_items_parse(val, &bits, err, sizeof err))
                return fail("--trace-items: %s", err);
            o->trace_items = val;
        } else if (!strcmp(a, "-trace-filter")) {
            NEED_ARG();
            TraceFilter f;
            char err[160];
            if (!trace_filter_parse(&f, val, err, sizeof err))
                return fail("--trace-filter: %s", err);
            o->trace_filter = val;
        } else if (!strcmp(a, "-flight-recorder")) {
            NEED_ARG();
            uint64_t n;
            if (!parse_u64(val, &n) || n < 1 || n > FLIGHTREC_MAX_INSNS)
                return fail("bad flight recorder size '%s' (1..16777216 instructions)", val);
            o->flight_insns = (uint32_t)n;
        } else if (!strcmp(a, "-flight-dump-on")) {
            NEED_ARG();
            o->flight_dump_on = val;
        } else if (!strcmp(a, "-snapshot")) {
            o->snapshot = true;
        } else if (!strcmp(a, "-kernel")) {
            NEED_ARG();
            o->kernel = val;
        } else if (!strcmp(a, "-initrd")) {
            NEED_ARG();
            o->initrd = val;
        } else if (!strcmp(a, "-append")) {
            NEED_ARG();
            o->append = val;
        } else {
            return fail("unknown option '%s' (try --help)", argv[i]);
        }
#undef NEED_ARG
    }
    if (o->expect_script && o->n_expect_steps)
        return fail("%s", "use --expect/--send or --expect-script, not both");
    if (!o->expect_timeout_s)
        o->expect_timeout_s = 60;
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
    if (netopt_check(&o->net) < 0)
        return -1;
    if (!o->bios)
        o->bios = "/usr/share/seabios/bios-256k.bin";
    return 0;
}
