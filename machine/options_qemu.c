/* SPDX-License-Identifier: MIT */
/* qemu-system-i386's spellings for what kairo does: each option either
 * means the same here, or is refused with one line that names it and says
 * why. Nothing is accepted and then ignored without a word. */
#include "machine/options_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu_model.h"
#include "iodev/net/netopt.h"

/* A copy that outlives parsing (normalized -d items, -L paths...). */
static const char *keep(const char *s)
{
    static char pool[8][512];
    static int used;
    if (used == 8)
        return NULL;
    snprintf(pool[used], sizeof pool[used], "%s", s);
    return pool[used++];
}

/* The value of key=... in a comma list, into out; false when absent. */
static bool prop_value(const char *spec, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, ",");
            snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p + kl + 1);
            return true;
        }
    }
    return false;
}

/* Every key of a comma list (the first word too when it has a '=') must
 * be in allowed (a space-separated list); the first stray one is named. */
static int check_keys(const char *option, const char *spec, bool skip_first, const char *allowed)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    bool first = true;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save), first = false) {
        if (first && skip_first && !strchr(kv, '='))
            continue;
        kv[strcspn(kv, "=")] = 0;
        char pat[64];
        snprintf(pat, sizeof pat, " %s ", kv);
        char list[256];
        snprintf(list, sizeof list, " %s ", allowed);
        if (!strstr(list, pat)) {
            fprintf(stderr, "kairo: %s: property '%s' is not supported (%s)\n", option, kv,
                    allowed);
            return -1;
        }
    }
    return 0;
}

/* ---- accelerators, machine, CPU ---- */

static bool is_help(const char *arg)
{
    return !strcmp(arg, "help") || !strcmp(arg, "?");
}

/* kairo interprets every instruction: TCG is the one accelerator that
 * means the same thing. A list ("kvm:tcg") falls back as QEMU's does. */
static int accel_list(const char *option, const char *list)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *a = strtok_r(buf, ":", &save); a; a = strtok_r(NULL, ":", &save))
        if (!strcmp(a, "tcg"))
            return 0;
    fprintf(stderr, "kairo: %s %s: kairo is an interpreter and has no hardware "
                    "acceleration (use tcg, or leave the option out)\n", option, list);
    return -1;
}

int qopt_accel(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o;
    if (is_help(arg)) {
        puts("Accelerators supported: tcg (kairo interprets every instruction)");
        return 1;
    }
    if (!strcmp(spec->name, "-enable-kvm"))
        return accel_list("-enable-kvm", "kvm");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, ","), arg);
    if (accel_list("-accel", name) < 0)
        return -1;
    return check_keys("-accel tcg", arg, true, "thread tb-size one-insn-per-tb split-wx");
}

int qopt_machine(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec;
    if (is_help(arg)) {
        puts("Supported machines:\npc                   Standard PC (i440FX + PIIX, 1996)");
        return 1;
    }
    char type[64] = "";
    if (!prop_value(arg, "type", type, sizeof type))
        snprintf(type, sizeof type, "%.*s", (int)strcspn(arg, ","), strchr(arg, '=') &&
                 strcspn(arg, "=") < strcspn(arg, ",") ? "" : arg);
    /* pc, pc-i440fx-N.M, pc-1.0 ...: every i440FX version is this machine. */
    if (type[0] && strcmp(type, "pc") && strncmp(type, "pc-i440fx", 9) && strncmp(type, "pc-1.", 5))
        return options_fail("-machine %s: kairo emulates the i440FX PC only (-machine pc)",
                            type);
    char accel[64];
    if (prop_value(arg, "accel", accel, sizeof accel) && accel_list("-machine accel=", accel) < 0)
        return -1;
    char v[16];
    if (prop_value(arg, "usb", v, sizeof v) && strcmp(v, "off"))
        return options_fail("-machine usb=%s: there is no USB controller (usb=off)", v);
    return check_keys("-machine", arg, true,
                      "type accel usb vmport dump-guest-core mem-merge hpet");
}

/* -cpu NAME: a model of cpu/cpu_model.c (QEMU's names); feature lists
 * after a comma are refused, since CPUID reports what kairo implements. */
int qopt_cpu(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (is_help(arg)) {
        cpu_model_list(stdout);
        return 1;
    }
    size_t n = strcspn(arg, ",");
    if (arg[n])
        return options_fail("-cpu %s: CPU features are fixed (CPUID reports what kairo "
                            "implements); give the model alone", arg);
    const CpuModel *m = cpu_model_find(arg);
    if (!m)
        return options_fail("-cpu %s: no such CPU model (486, pentium, pentium2, pentium3, "
                            "pentium4, prescott, max; -cpu help)", arg);
    o->cpu_model = m;
    return 0;
}

/* -smp N, or QEMU's properties: cpus=N (else the product of the
 * topology's sockets, dies, clusters, cores and threads), maxcpus=M. */
int qopt_smp(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    long cpus = 0, maxcpus = 0, product = 1;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const char *v = eq ? eq + 1 : kv;
        if (eq)
            *eq = 0;
        static const char *const keys = " cpus maxcpus sockets dies clusters cores threads ";
        char pat[40];
        snprintf(pat, sizeof pat, " %s ", kv);
        if (eq && !strstr(keys, pat))
            return options_fail("-smp: unknown property '%s'", kv);
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 16)
            return options_fail("-smp %s: kairo emulates 1 to 16 CPUs", arg);
        if (!eq || !strcmp(kv, "cpus"))
            cpus = n;
        else if (!strcmp(kv, "maxcpus"))
            maxcpus = n;
        else
            product *= n;
    }
    if (!cpus)
        cpus = product;
    if (!maxcpus)
        maxcpus = cpus;
    if (cpus > 16 || maxcpus < cpus || maxcpus > 16)
        return options_fail("-smp %s: kairo emulates 1 to 16 CPUs (maxcpus at least cpus)", arg);
    o->smp_cpus = (int)cpus;
    o->smp_max_cpus = (int)maxcpus;
    return 0;
}

/* -m 512, 512M, 1G, 2048k, size=1G: MiB by default, whole MiB only. */
int qopt_memory(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char buf[64];
    if (!strncmp(arg, "size=", 5) || strchr(arg, ',')) {
        if (!prop_value(arg, "size", buf, sizeof buf) && strchr(arg, '='))
            return options_fail("-m %s: only size= is supported", arg);
        if (!strncmp(arg, "size=", 5) || prop_value(arg, "size", buf, sizeof buf))
            ;
        else
            snprintf(buf, sizeof buf, "%.*s", (int)strcspn(arg, ","), arg);
        if (check_keys("-m", arg, true, "size") < 0)
            return -1;
    } else {
        snprintf(buf, sizeof buf, "%s", arg);
    }
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    static const struct { char suffix; double mib; } units[] = {
        { 0, 1 }, { 'k', 1.0 / 1024 }, { 'K', 1.0 / 1024 }, { 'm', 1 }, { 'M', 1 },
        { 'g', 1024 }, { 'G', 1024 }, { 't', 1048576 }, { 'T', 1048576 },
    };
    double mib = -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (*end == units[i].suffix && (!*end || !end[1] || !strcmp(end + 1, "B") ||
                                        !strcmp(end + 1, "iB")))
            mib = v * units[i].mib;
    if (errno || end == buf || buf[0] == '-' || mib < 1 || mib > 3584 || mib != (double)(uint32_t)mib)
        return options_fail("-m %s: bad memory size (whole MiB from 1M to 3584M; suffixes "
                            "k, M, G)", arg);
    o->ram_mb = (uint32_t)mib;
    return 0;
}

/* -name NAME or -name guest=NAME[,process=..][,debug-threads=..] */
int qopt_name(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char name[128];
    if (!prop_value(arg, "guest", name, sizeof name))
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, ","), arg);
    if (strchr(arg, ',') && check_keys("-name", arg, true, "guest process debug-threads") < 0)
        return -1;
    o->name = keep(name);
    return 0;
}

/* ---- the network: QEMU's legacy -net ---- */

int qopt_net(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    return netopt_legacy(&o->net, arg);
}

/* ---- the RTC ---- */

/* "2006-06-17T16:01:21" or "2006-06-17", UTC. */
static bool parse_date(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char tail;
    int n = sscanf(s, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec, &tail);
    if (n != 6 && !(n == 3 && !strchr(s, 'T')))
        return false;
    if (tm.tm_year < 1970 || tm.tm_year > 2099 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* -rtc base=utc|localtime|DATE[,clock=host|rt|vm][,driftfix=none|slew] */
int qopt_rtc(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (check_keys("-rtc", arg, false, "base clock driftfix") < 0)
        return -1;
    char v[64];
    if (prop_value(arg, "base", v, sizeof v)) {
        if (!strcmp(v, "utc"))
            o->rtc_base = RTC_BASE_UTC;
        else if (!strcmp(v, "localtime"))
            o->rtc_base = RTC_BASE_LOCALTIME;
        else if (parse_date(v, &o->rtc_date))
            o->rtc_base = RTC_BASE_DATE;
        else
            return options_fail("-rtc base=%s: want utc, localtime or a date "
                                "(2006-06-17T16:01:21 or 2006-06-17)", v);
    }
    /* The RTC counts guest time, like clock=vm; host and rt differ only
     * while the guest is stopped (docs/DEVIATIONS.md). */
    if (prop_value(arg, "clock", v, sizeof v) && strcmp(v, "host") && strcmp(v, "rt") &&
        strcmp(v, "vm"))
        return options_fail("-rtc clock=%s: want host, rt or vm", v);
    /* Guest time never loses a tick in an interpreter: slew has nothing to fix. */
    if (prop_value(arg, "driftfix", v, sizeof v) && strcmp(v, "none") && strcmp(v, "slew"))
        return options_fail("-rtc driftfix=%s: want none or slew", v);
    return 0;
}

int qopt_localtime(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec, (void)arg;
    o->rtc_base = RTC_BASE_LOCALTIME;
    return 0;
}

/* ---- character devices ---- */

/* -chardev BACKEND,id=ID[,...] as one of kairo's backend specs. */
static int chardev_spec(const char *arg, char *out, size_t cap)
{
    char backend[32], v[256], host[128] = "", port[16] = "";
    snprintf(backend, sizeof backend, "%.*s", (int)strcspn(arg, ","), arg);
    bool server = false, wait = true;
    if (prop_value(arg, "server", v, sizeof v))
        server = strcmp(v, "off") && strcmp(v, "no");
    else
        server = strstr(arg, ",server") != NULL;
    if (prop_value(arg, "wait", v, sizeof v))
        wait = strcmp(v, "off") && strcmp(v, "no");
    else if (strstr(arg, ",nowait"))
        wait = false;
    if (prop_value(arg, "mux", v, sizeof v) && strcmp(v, "off"))
        return options_fail("-chardev %s: mux=on is not supported (give the monitor its own "
                            "-monitor backend)", arg);
    if (prop_value(arg, "logfile", v, sizeof v))
        return options_fail("-chardev %s: logfile= is not supported", arg);
    if (!strcmp(backend, "stdio") || !strcmp(backend, "pty") || !strcmp(backend, "null")) {
        snprintf(out, cap, "%s", !strcmp(backend, "null") ? "none" : backend);
        return check_keys("-chardev", arg, true, "id signal");
    }
    if (!strcmp(backend, "file")) {
        if (!prop_value(arg, "path", v, sizeof v))
            return options_fail("-chardev %s: file needs path=", arg);
        snprintf(out, cap, "file:%s", v);
        return check_keys("-chardev", arg, true, "id path append");
    }
    if (!strcmp(backend, "socket")) {
        if (prop_value(arg, "path", v, sizeof v)) {
            snprintf(out, cap, "unix:%s", v);
        } else {
            prop_value(arg, "host", host, sizeof host);
            if (!prop_value(arg, "port", port, sizeof port))
                return options_fail("-chardev %s: socket needs port= (or path=)", arg);
            snprintf(out, cap, "tcp:%s:%s%s", host, port, server ? ",server" : "");
        }
        (void)wait;   /* kairo never waits for a client before starting */
        return check_keys("-chardev", arg, true,
                          "id host port path server wait nowait telnet nodelay");
    }
    return options_fail("-chardev %s: backend not supported (stdio, file, pty, socket, null)",
                        backend);
}

int qopt_chardev(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char id[64];
    if (!prop_value(arg, "id", id, sizeof id) || !id[0] || strlen(id) >= sizeof o->chardev[0].id)
        return options_fail("-chardev %s: needs id=ID", arg);
    for (int i = 0; i < o->n_chardevs; i++)
        if (!strcmp(o->chardev[i].id, id))
            return options_fail("-chardev: duplicate id '%s'", id);
    if (o->n_chardevs == 8)
        return options_fail("%s", "-chardev: at most 8");
    if (chardev_spec(arg, o->chardev[o->n_chardevs].spec, sizeof o->chardev[0].spec) < 0)
        return -1;
    memcpy(o->chardev[o->n_chardevs++].id, id, strlen(id) + 1);   /* length checked above */
    return 0;
}

/* -mon chardev=ID[,mode=readline] */
int qopt_mon(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char id[64], mode[32];
    if (!prop_value(arg, "chardev", id, sizeof id))
        return options_fail("-mon %s: needs chardev=ID", arg);
    if (prop_value(arg, "mode", mode, sizeof mode) && strcmp(mode, "readline"))
        return options_fail("-mon mode=%s: there is no QMP; the monitor speaks HMP "
                            "(mode=readline)", mode);
    if (check_keys("-mon", arg, false, "chardev mode pretty") < 0)
        return -1;
    char ref[80];
    snprintf(ref, sizeof ref, "chardev:%s", id);
    o->monitor = keep(ref);
    return 0;
}

/* "chardev:ID" in -serial, -monitor, -debugcon: the spec -chardev gave. */
static int resolve_chardev(const Options *o, const char **spec, const char *option)
{
    if (!*spec || strncmp(*spec, "chardev:", 8))
        return 0;
    for (int i = 0; i < o->n_chardevs; i++)
        if (!strcmp(o->chardev[i].id, *spec + 8)) {
            *spec = o->chardev[i].spec;
            return 0;
        }
    fprintf(stderr, "kairo: %s %s: no -chardev with that id\n", option, *spec);
    return -1;
}

/* ---- logging ---- */

/* QEMU's -d item names: the ones kairo has, the ones that map onto them,
 * the TCG internals it has not. */
static const struct { const char *qemu, *kairo; } log_item_map[] = {
    { "exec", "exec" }, { "in_asm", "exec" }, { "cpu", "cpu" }, { "int", "int" },
    { "mmu", "mmu" }, { "io", "io" }, { "cpu_reset", "cpu_reset" }, { "unimp", "unimp" },
    { "guest_errors", "guest_errors" }, { "hostcall", "hostcall" }, { "svm", "svm" },
    /* Blocks are never chained into each other's logs here: nothing to undo. */
    { "nochain", "" },
};

static const char *const log_items_tcg[] = { "out_asm", "op", "op_opt", "op_ind", "op_plugin",
                                             "fpu", "pcall", "page", "strace", "tid", "plugin",
                                             "invalid_mem", "vpu" };

int qopt_log_items(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (is_help(arg)) {
        puts("Log items (comma separated):\n"
             "exec        every instruction with its disassembly (in_asm: the same)\n"
             "cpu         registers before each instruction\n"
             "int         interrupts and exceptions\n"
             "io          port I/O\n"
             "mmu         page walks and page faults\n"
             "cpu_reset   CPU resets and triple faults\n"
             "unimp       every use of an unimplemented feature (without it: once each)\n"
             "guest_errors every guest error a device notices (without it: once each)\n"
             "hostcall    every call through -device vmport's backdoor and its RPC requests\n"
             "svm         SVM world switches: VMRUN, #VMEXIT with its code, event injection\n"
             "nochain     accepted; kairo's logs never skip chained blocks");
        return 1;
    }
    char buf[256], out[256] = "";
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        const char *mapped = NULL;
        for (size_t i = 0; i < sizeof log_item_map / sizeof log_item_map[0]; i++)
            if (!strcmp(it, log_item_map[i].qemu))
                mapped = log_item_map[i].kairo;
        if (!mapped) {
            for (size_t i = 0; i < sizeof log_items_tcg / sizeof log_items_tcg[0]; i++)
                if (!strcmp(it, log_items_tcg[i]))
                    return options_fail("-d %s: not available in kairo (no TCG code; -d help "
                                        "lists the items)", it);
            if (!strncmp(it, "trace:", 6))
                return options_fail("-d %s: QEMU's trace events do not exist in kairo "
                                    "(--trace FILE records a binary trace)", it);
            return options_fail("-d %s: unknown log item (-d help lists them)", it);
        }
        if (*mapped && !strstr(out, mapped)) {
            size_t n = strlen(out);
            snprintf(out + n, sizeof out - n, "%s%s", n ? "," : "", mapped);
        }
    }
    o->log_items = out[0] ? keep(out) : NULL;
    return 0;
}

/* -trace (one dash) is QEMU's event tracer; kairo's own is --trace FILE. */
int qopt_qemu_trace(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec;
    return options_fail("-trace %s: QEMU's trace events do not exist in kairo; for a binary "
                        "trace of the guest use --trace FILE (two dashes; docs/TRACING.md)",
                        arg);
}

/* ---- display and the rest ---- */

int qopt_vga(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    if (is_help(arg)) {
        puts("std   QEMU's std-vga (Bochs VBE) with SeaVGABIOS\nnone  no VGA card");
        return 1;
    }
    o->vga_given = true;
    if (!strcmp(arg, "none"))
        o->vga_none = true;
    else if (!strcmp(arg, "std"))
        o->vga_none = false;
    else
        return options_fail("-vga %s: not emulated (std, none)", arg);
    return 0;
}

/* -k LANG: QEMU uses the keymap only where it gets key symbols (VNC);
 * kairo's window, like QEMU's SDL one, sends the physical key positions. */
int qopt_keyboard(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec;
    fprintf(stderr, "kairo: -k %s: the window sends physical key positions; set the layout "
                    "in the guest\n", arg);
    return 0;
}

/* -icount shift=N: one instruction is 2^N ns of guest time, as --ips. */
int qopt_icount(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec;
    char v[32] = "auto";   /* no shift given (-icount sleep=off): the default rate */
    if (!prop_value(arg, "shift", v, sizeof v)) {
        size_t n = strcspn(arg, ",");
        if (n && !memchr(arg, '=', n))   /* a bare first item is the shift */
            snprintf(v, sizeof v, "%.*s", (int)n, arg);
    }
    char *end;
    long shift = strtol(v, &end, 10);
    if (!strcmp(v, "auto")) {
        shift = -1;   /* the default rate */
    } else if (!v[0] || *end || shift < 0 || shift > 10)
        return options_fail("-icount %s: want shift=N with N from 0 to 10 (guest time is always "
                            "instruction-counted; --ips N sets the rate)", arg);
    /* sleep=off: guest time is not paced to the host's (as fast as
     * possible, deterministic; docs/TIME.md). */
    char sleep[16];
    if (prop_value(arg, "sleep", sleep, sizeof sleep)) {
        if (strcmp(sleep, "on") && strcmp(sleep, "off"))
            return options_fail("-icount sleep=%s: want on or off", sleep);
        o->icount_nosleep = !strcmp(sleep, "off");
    }
    if (check_keys("-icount", arg, true, "shift align sleep") < 0)
        return -1;
    if (shift >= 0) {
        o->ips = 1000000000ull >> shift;
        o->ips_fixed = true;   /* a fixed rate: no adaptive pacing */
    }
    return 0;
}

int qopt_parallel(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec;
    if (strcmp(arg, "none"))
        return options_fail("-parallel %s: there is no parallel port (-parallel none)", arg);
    return 0;
}

int qopt_sdl(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)spec, (void)arg;
    char err[300];
    if (!display_parse("sdl", &o->display_cfg, err, sizeof err))
        return options_fail("-sdl: %s", err);
    o->display = "sdl";
    return 0;
}

/* Options whose whole meaning is already the case here. */
int qopt_ignored(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)spec, (void)arg;
    return 0;
}

/* The refusals' reasons live in the table's help text. */
int qopt_refused(Options *o, const OptionSpec *spec, const char *arg)
{
    (void)o, (void)arg;
    fprintf(stderr, "kairo: %s: %s\n", spec->name, spec->help);
    return -1;
}

/* ---- after parsing ---- */

static const char *in_dir(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, R_OK) == 0 ? keep(path) : NULL;
}

/* -L DIR: the default firmware (and a relative -bios) are looked for there
 * first, as QEMU does. */
static void apply_firmware_dir(Options *o)
{
    if (!o->firmware_dir)
        return;
    const char *found = in_dir(o->firmware_dir, o->bios ? o->bios : "bios-256k.bin");
    if (found && (!o->bios || o->bios[0] != '/'))
        o->bios = found;
    if (!o->vga_bios)
        o->vga_bios = in_dir(o->firmware_dir, "vgabios-stdvga.bin");
}

static bool uses_stdio(const char *spec)
{
    return spec && !strcmp(spec, "stdio");
}

int qopt_finish(Options *o)
{
    if (resolve_chardev(o, &o->serial, "-serial") < 0 ||
        resolve_chardev(o, &o->monitor, "-monitor") < 0 ||
        resolve_chardev(o, &o->debugcon, "-debugcon") < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (resolve_chardev(o, &o->serial_extra[i], "-serial") < 0)
            return -1;
    if (o->monitor && !strcmp(o->monitor, "none"))
        o->monitor = NULL, o->monitor_none = true;
    else if (o->nodefaults && !o->monitor)
        o->monitor_none = true;   /* not even the window's */
    if (o->daemonize) {
        bool com1_stdio = o->serial ? uses_stdio(o->serial) : o->nographic;
        if (com1_stdio || uses_stdio(o->monitor) || uses_stdio(o->debugcon))
            return options_fail("%s", "-daemonize: stdio is closed in the background: give "
                                "-serial/-monitor/-debugcon another backend (-nographic puts "
                                "COM1 on stdio)");
        if (o->display_cfg.kind == DISPLAY_SDL)
            return options_fail("%s", "-daemonize: no window in the background (-display none)");
    }
    if (o->nodefaults && !o->vga_given)
        o->vga_none = true;   /* QEMU's -nodefaults has no VGA either */
    if (o->nodefaults && !o->serial)
        o->serial = "none";   /* nor a serial port on stdio under -nographic */
    apply_firmware_dir(o);
    netopt_set_hostname(&o->net, o->name);
    if (!o->nodefaults)
        return netopt_add_default_nic(&o->net);
    return 0;
}
