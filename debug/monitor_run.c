/* SPDX-License-Identifier: MIT */
/* Monitor commands: run control (c, s, stop, quit), breakpoints and
 * watchpoints (b, pb, watch, info break, delete), and keys (sendkey). */
#include <string.h>

#include "debug/breakpoints.h"
#include "debug/monitor_int.h"
#include "machine/machine.h"
#include "machine/replay_host.h"
#include "machine/media.h"

/* ======== run control ======== */

static bool cmd_continue(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!mon->stopped)
        return mon_error(mon, "the guest is running already");
    mon->stopped = false;
    dbg_resume(mon->dbg, DBG_OWNER_MONITOR, false);
    return true;
}

/* The step completes in the next CPU slice; the service loop prints the
 * instruction it stopped before, then the prompt. */
static bool cmd_step(Monitor *mon, int argc, char **argv)
{
    uint64_t n = 1;
    if (argc == 1 && (!mon_parse_u64(argv[0], &n) || n == 0))
        return mon_error(mon, "step: bad count '%s'", argv[0]);
    if (!mon->stopped)
        return mon_error(mon, "the guest is running: stop it first");
    if (!mon->has_conn)
        return mon_error(mon, "step needs the machine loop (a connected monitor)");
    mon->steps_left = n;
    dbg_set_focus(mon->dbg, mon_cpu(mon));   /* -smp: that CPU steps, the others wait */
    dbg_resume(mon->dbg, DBG_OWNER_MONITOR, true);
    return true;
}

static bool cmd_stop(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (mon->stopped)
        return mon_error(mon, "the guest is stopped already");
    mon->stopped = true;
    mon->steps_left = 0;
    fputs("stopped\n", mon->out);
    mon_print_current_insn(mon);
    return true;
}

static bool cmd_quit(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mon->quit = true;
    return true;
}

/* ======== breakpoints and watchpoints ======== */

static bool report_added(Monitor *mon, int id, const char *what)
{
    if (id == -1)
        return mon_error(mon, "too many %s", what);
    if (id < 0)
        return mon_error(mon, "bad range");
    fprintf(mon->out, "%s %d\n", what, id);
    return true;
}

static bool add_break(Monitor *mon, const char *arg, int type)
{
    uint64_t addr;
    if (!mon_parse_u64(arg, &addr) || addr > (type == BP_PHYS ? 0xFFFFFFFFFull : 0xFFFFFFFFull))
        return mon_error(mon, "bad address '%s'", arg);
    return report_added(mon, dbg_add_break(mon->dbg, DBG_OWNER_MONITOR, type, addr),
                        "breakpoint");
}

static bool cmd_break(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    return add_break(mon, argv[0], BP_HARD);
}

static bool cmd_pbreak(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    return add_break(mon, argv[0], BP_PHYS);
}

/* "PORT" or "FIRST-LAST" */
static bool parse_port_range(const char *s, uint16_t *first, uint16_t *last)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = 0;
    uint32_t a, b;
    if (!mon_parse_u32(buf, &a) || a > 0xFFFF)
        return false;
    b = a;
    if (dash && (!mon_parse_u32(dash + 1, &b) || b > 0xFFFF || b < a))
        return false;
    *first = (uint16_t)a;
    *last = (uint16_t)b;
    return true;
}

static bool watch_port(Monitor *mon, int argc, char **argv)
{
    uint16_t first, last;
    if (argc != 2 || !parse_port_range(argv[1], &first, &last))
        return mon_error(mon, "usage: watch port PORT[-PORT]");
    return report_added(mon, dbg_add_port_watch(mon->dbg, DBG_OWNER_MONITOR, first, last),
                        "watchpoint");
}

/* watch [r|w|rw] ADDR LEN | watch port PORT[-PORT] */
static bool cmd_watch(Monitor *mon, int argc, char **argv)
{
    if (!strcmp(argv[0], "port"))
        return watch_port(mon, argc, argv);
    int type = WATCH_WRITE;
    if (argc == 3) {
        static const struct { const char *name; int type; } kinds[] = {
            { "r", WATCH_READ }, { "w", WATCH_WRITE }, { "rw", WATCH_ACCESS },
        };
        type = -1;
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (!strcmp(argv[0], kinds[i].name))
                type = kinds[i].type;
        if (type < 0)
            return mon_error(mon, "watch: kind '%s' is not r, w or rw", argv[0]);
        argv++;
        argc--;
    }
    uint32_t addr, len;
    if (argc != 2 || !mon_parse_u32(argv[0], &addr) || !mon_parse_u32(argv[1], &len))
        return mon_error(mon, "usage: watch [r|w|rw] ADDR LEN");
    if (len == 0 || len > DBG_MAX_WATCH_LEN)
        return mon_error(mon, "watch: length must be 1..%d", DBG_MAX_WATCH_LEN);
    return report_added(mon, dbg_add_watch(mon->dbg, DBG_OWNER_MONITOR, type, addr, len),
                        "watchpoint");
}

static const char *point_kind(const DbgPoint *p)
{
    if (p->kind == DBG_PORT)
        return "port";
    if (p->kind == DBG_BREAK)
        return p->type == BP_PHYS ? "pbreak" : "break";
    return p->type == WATCH_READ ? "watch r" : p->type == WATCH_WRITE ? "watch w" : "watch rw";
}

static bool cmd_info_break(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    DbgPoint pts[DBG_MAX_BREAK + DBG_MAX_WATCH + DBG_MAX_PORT_WATCH];
    int n = dbg_list(mon->dbg, DBG_OWNER_MONITOR, pts, (int)(sizeof pts / sizeof pts[0]));
    if (!n) {
        fputs("no breakpoints or watchpoints\n", mon->out);
        return true;
    }
    fprintf(mon->out, "%-4s %-9s %-22s %s\n", "id", "kind", "where", "hits");
    for (int i = 0; i < n; i++) {
        const DbgPoint *p = &pts[i];
        char where[40];
        if (p->kind == DBG_PORT)
            snprintf(where, sizeof where, "0x%04llx-0x%04llx", (unsigned long long)p->addr,
                     (unsigned long long)(p->addr + p->len - 1));
        else if (p->kind == DBG_WATCH)
            snprintf(where, sizeof where, "0x%08llx len %u", (unsigned long long)p->addr, p->len);
        else
            snprintf(where, sizeof where, "0x%08llx", (unsigned long long)p->addr);
        fprintf(mon->out, "%-4d %-9s %-22s %llu\n", p->id, point_kind(p), where,
                (unsigned long long)p->hits);
    }
    return true;
}

static bool cmd_delete(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    uint32_t id;
    if (!mon_parse_u32(argv[0], &id))
        return mon_error(mon, "delete: bad id '%s'", argv[0]);
    if (!dbg_remove_id(mon->dbg, DBG_OWNER_MONITOR, (int)id))
        return mon_error(mon, "delete: no breakpoint or watchpoint %u", id);
    return true;
}

/* ======== sendkey ======== */

/* QEMU's key names for sendkey, with their PS/2 set 2 make codes. */
static const struct KeyName {
    const char *name;
    uint16_t key;
} key_names[] = {
    { "ctrl", 0x14 }, { "ctrl_r", PS2_KEY_E0 | 0x14 }, { "alt", 0x11 },
    { "alt_r", PS2_KEY_E0 | 0x11 }, { "altgr", PS2_KEY_E0 | 0x11 }, { "shift", 0x12 },
    { "shift_r", 0x59 }, { "meta_l", PS2_KEY_E0 | 0x1F }, { "meta_r", PS2_KEY_E0 | 0x27 },
    { "delete", PS2_KEY_E0 | 0x71 }, { "insert", PS2_KEY_E0 | 0x70 },
    { "home", PS2_KEY_E0 | 0x6C }, { "end", PS2_KEY_E0 | 0x69 },
    { "pgup", PS2_KEY_E0 | 0x7D }, { "pgdn", PS2_KEY_E0 | 0x7A },
    { "up", PS2_KEY_E0 | 0x75 }, { "down", PS2_KEY_E0 | 0x72 },
    { "left", PS2_KEY_E0 | 0x6B }, { "right", PS2_KEY_E0 | 0x74 },
    { "esc", 0x76 }, { "tab", 0x0D }, { "ret", 0x5A }, { "spc", 0x29 },
    { "backspace", 0x66 }, { "caps_lock", 0x58 }, { "num_lock", 0x77 },
    { "scroll_lock", 0x7E }, { "print", PS2_KEY_PRTSC }, { "sysrq", PS2_KEY_PRTSC },
    { "pause", PS2_KEY_PAUSE }, { "menu", PS2_KEY_E0 | 0x2F },
    { "f1", 0x05 }, { "f2", 0x06 }, { "f3", 0x04 }, { "f4", 0x0C }, { "f5", 0x03 },
    { "f6", 0x0B }, { "f7", 0x83 }, { "f8", 0x0A }, { "f9", 0x01 }, { "f10", 0x09 },
    { "f11", 0x78 }, { "f12", 0x07 },
    { "1", 0x16 }, { "2", 0x1E }, { "3", 0x26 }, { "4", 0x25 }, { "5", 0x2E },
    { "6", 0x36 }, { "7", 0x3D }, { "8", 0x3E }, { "9", 0x46 }, { "0", 0x45 },
    { "minus", 0x4E }, { "equal", 0x55 },
    { "a", 0x1C }, { "b", 0x32 }, { "c", 0x21 }, { "d", 0x23 }, { "e", 0x24 },
    { "f", 0x2B }, { "g", 0x34 }, { "h", 0x33 }, { "i", 0x43 }, { "j", 0x3B },
    { "k", 0x42 }, { "l", 0x4B }, { "m", 0x3A }, { "n", 0x31 }, { "o", 0x44 },
    { "p", 0x4D }, { "q", 0x15 }, { "r", 0x2D }, { "s", 0x1B }, { "t", 0x2C },
    { "u", 0x3C }, { "v", 0x2A }, { "w", 0x1D }, { "x", 0x22 }, { "y", 0x35 },
    { "z", 0x1A }, { "bracket_left", 0x54 }, { "bracket_right", 0x5B },
    { "semicolon", 0x4C }, { "apostrophe", 0x52 }, { "grave_accent", 0x0E },
    { "backslash", 0x5D }, { "comma", 0x41 }, { "dot", 0x49 }, { "slash", 0x4A },
    { "kp_enter", PS2_KEY_E0 | 0x5A }, { "kp_divide", PS2_KEY_E0 | 0x4A },
    { "kp_multiply", 0x7C }, { "kp_subtract", 0x7B }, { "kp_add", 0x79 },
    { "kp_decimal", 0x71 }, { "kp_0", 0x70 }, { "kp_1", 0x69 }, { "kp_2", 0x72 },
    { "kp_3", 0x7A }, { "kp_4", 0x6B }, { "kp_5", 0x73 }, { "kp_6", 0x74 },
    { "kp_7", 0x6C }, { "kp_8", 0x75 }, { "kp_9", 0x7D },
};

static bool key_lookup(const char *name, size_t len, uint16_t *key)
{
    for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
        if (strlen(key_names[i].name) == len && !strncmp(key_names[i].name, name, len)) {
            *key = key_names[i].key;
            return true;
        }
    return false;
}

enum { MAX_COMBO_KEYS = 8 };

/* "ctrl-alt-delete": every key of the combination goes down in order,
 * then they come up in reverse, as QEMU's sendkey does. A lone "-" key is
 * "minus". */
bool mon_parse_keys(const char *combo, uint16_t *keys, int *n)
{
    *n = 0;
    const char *p = combo;
    while (*p) {
        size_t len = strcspn(p, "-");
        if (!len || *n == MAX_COMBO_KEYS || !key_lookup(p, len, &keys[*n]))
            return false;
        (*n)++;
        p += len;
        if (*p == '-' && !*++p)
            return false;
    }
    return *n > 0;
}

static bool cmd_sendkey(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    uint16_t keys[MAX_COMBO_KEYS];
    int n;
    if (!mon_parse_keys(argv[0], keys, &n))
        return mon_error(mon, "sendkey: unknown key in '%s' (QEMU names: ctrl-alt-delete, "
                              "shift-a, ret, f1...)", argv[0]);
    char err[200];
    if (!replay_host_allowed(mon->m, "sendkey", err, sizeof err))
        return mon_error(mon, "%s", err);
    for (int i = 0; i < n; i++)
        i8042_key_event(&mon->m->kbc, keys[i], true);
    for (int i = n - 1; i >= 0; i--)
        i8042_key_event(&mon->m->kbc, keys[i], false);
    return true;
}

/* ======== media and reset (QEMU's eject, change, system_reset) ======== */

static bool cmd_eject(Monitor *mon, int argc, char **argv)
{
    const char *dev = argv[argc - 1];   /* "eject -f DEVICE": -f changes nothing here */
    if (argc == 2 && strcmp(argv[0], "-f"))
        return mon_error(mon, "eject: usage: eject [-f] DEVICE");
    char err[300];
    if (machine_change_medium(mon->m, dev, NULL, err, sizeof err) != MEDIA_OK)
        return mon_error(mon, "eject: %s", err);
    return true;
}

static bool cmd_change(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    char err[300];
    if (machine_change_medium(mon->m, argv[0], argv[1], err, sizeof err) != MEDIA_OK)
        return mon_error(mon, "change: %s", err);
    return true;
}

static bool cmd_system_reset(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    char err[200];
    if (!host_system_reset(mon->m, true, err, sizeof err))
        return mon_error(mon, "%s", err);
    return true;
}

const MonCommand mon_run_commands[] = {
    { "continue", "c", 0, 0, cmd_continue, "c|continue", "let the stopped guest run" },
    { "step", "s", 0, 1, cmd_step, "s|step [N]",
      "execute N instructions (1), then show the next one" },
    { "stop", NULL, 0, 0, cmd_stop, "stop", "stop the guest (Ctrl-C on a stdio monitor)" },
    { "break", "b", 1, 1, cmd_break, "b|break ADDR", "breakpoint at a linear address" },
    { "pb", "pbreak", 1, 1, cmd_pbreak, "pb ADDR", "breakpoint at a physical address" },
    { "watch", NULL, 2, 3, cmd_watch, "watch [r|w|rw] ADDR LEN",
      "stop after an access to linear [ADDR, ADDR+LEN) (w: writes, the default)" },
    { "watch port", NULL, 0, 0, NULL, "watch port PORT[-PORT]",
      "stop after an IN/OUT touching those ports" },
    { "info break", NULL, 0, 0, cmd_info_break, "info break",
      "list breakpoints and watchpoints with their hit counts" },
    { "delete", "d", 1, 1, cmd_delete, "delete N", "remove breakpoint or watchpoint N" },
    { "sendkey", NULL, 1, 1, cmd_sendkey, "sendkey KEYS",
      "press and release a key combination (ctrl-alt-delete)" },
    { "eject", NULL, 1, 2, cmd_eject, "eject [-f] DEVICE",
      "take the medium out of floppy0/floppy1/ide1-cd0 (query-block's names)" },
    { "change", NULL, 2, 2, cmd_change, "change DEVICE FILE", "insert FILE into a removable drive" },
    { "system_reset", NULL, 0, 0, cmd_system_reset, "system_reset",
      "reset the machine (as the reset button; on the next slice)" },
    { "quit", "q", 0, 0, cmd_quit, "q|quit", "end the run (disks are flushed; status 0)" },
};
const size_t mon_run_count = sizeof mon_run_commands / sizeof mon_run_commands[0];
