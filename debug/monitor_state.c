/* SPDX-License-Identifier: MIT */
/* Monitor commands over the machine's components and their state:
 * `info devices`, `info NAME` for any registered component (the
 * descriptor's info printer), and the snapshot commands. */
#include <string.h>

#include "debug/monitor_int.h"
#include "machine/components.h"
#include "machine/machine.h"
#include "machine/replay_host.h"
#include "machine/timetravel.h"

static bool cmd_info_devices(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    machine_list_components(mon->m, mon->out);
    return true;
}

bool mon_info_component(Monitor *mon, const char *name)
{
    const DeviceInstance *d = devlist_find(&mon->m->devices, name);
    if (!d)
        return mon_error(mon, "info what? '%s' is neither a topic nor a component (help info, "
                              "info devices)", name);
    if (!d->desc->info) {
        fprintf(mon->out, "%s: a %s, version %u (no info printer)\n", d->name, d->desc->kind,
                d->desc->version);
        return true;
    }
    d->desc->info(d->dev, mon->out);
    return true;
}

static bool cmd_savevm(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    char err[400];
    if (!snapshot_save(mon->m, argv[0], err, sizeof err))
        return mon_error(mon, "%s", err);
    fprintf(mon->out, "saved %s at icount %llu\n", argv[0],
            (unsigned long long)mon->m->cpu->icount);
    return true;
}

/* loadvm [-f] FILE: -f accepts disk images that changed since the save. */
static bool cmd_loadvm(Monitor *mon, int argc, char **argv)
{
    bool force = argc == 2 && !strcmp(argv[0], "-f");
    if (argc == 2 && !force)
        return mon_error(mon, "usage: loadvm [-f] FILE");
    const char *path = argv[argc - 1];
    char err[400];
    if (!replay_host_state_write_allowed(mon->m, "loadvm", err, sizeof err))
        return mon_error(mon, "%s", err);
    if (!snapshot_load(mon->m, path, force, err, sizeof err))
        return mon_error(mon, "%s", err);
    const Cpu *cpu = mon->m->cpu;
    fprintf(mon->out, "loaded %s: icount %llu at %04x:%08x\n", path,
            (unsigned long long)cpu->icount, cpu->seg[SEG_CS].sel, cpu->eip);
    return true;
}

static bool cmd_info_snapshots(Monitor *mon, int argc, char **argv)
{
    if (argc == 0) {
        snapshot_history_print(&mon->m->snapshots, mon->out);
        return true;
    }
    char err[400];
    if (!snapshot_describe(argv[0], mon->out, err, sizeof err))
        return mon_error(mon, "%s", err);
    return true;
}

/* ======== reverse execution (--reverse, docs/REVERSE.md) ======== */

/* Where a reverse command left the guest. */
static bool report_travel(Monitor *mon, bool ok, const TtStop *st)
{
    if (!ok)
        return mon_error(mon, "%s", st->error);
    if (st->hit && st->stop.kind == DSTOP_BREAK)
        fprintf(mon->out, "breakpoint %d hit (in the past)\n", st->stop.id);
    else if (st->hit)
        fprintf(mon->out, "watchpoint %d hit (in the past): %s at 0x%08x\n", st->stop.id,
                st->stop.write ? "write" : "read", st->stop.addr);
    if (st->begin)
        fprintf(mon->out, "at the start of history\n");
    fprintf(mon->out, "icount %llu\n", (unsigned long long)mon->m->cpu->icount);
    mon_print_current_insn(mon);
    return true;
}

static bool need_stopped(Monitor *mon)
{
    return mon->stopped || !mon->has_conn ? true
                                          : mon_error(mon, "the guest is running: stop it first");
}

/* rstep [N]: back N instructions. */
static bool cmd_rstep(Monitor *mon, int argc, char **argv)
{
    uint64_t n = 1;
    if (argc == 1 && (!mon_parse_u64(argv[0], &n) || n == 0))
        return mon_error(mon, "rstep: bad count '%s'", argv[0]);
    if (!need_stopped(mon))
        return false;
    TtStop st;
    return report_travel(mon, tt_reverse_step(mon->m, DBG_OWNER_MONITOR, n, &st), &st);
}

/* rcont: back to the last hit of a breakpoint or watchpoint. */
static bool cmd_rcont(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!need_stopped(mon))
        return false;
    TtStop st;
    return report_travel(mon, tt_reverse_continue(mon->m, DBG_OWNER_MONITOR, &st), &st);
}

/* goto ICOUNT: that instruction count, back or forward in history. */
static bool cmd_goto(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    uint64_t icount;
    if (!mon_parse_u64(argv[0], &icount))
        return mon_error(mon, "goto: bad instruction count '%s'", argv[0]);
    if (!need_stopped(mon))
        return false;
    TtStop st;
    return report_travel(mon, tt_goto_icount(mon->m, icount, &st), &st);
}

static bool cmd_info_history(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tt_info(mon->m, mon->out);
    return true;
}

/* -device vmport: the guest tools' reports and requests to them. */
static bool cmd_info_guest(Monitor *mon, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!mon->m->opt.vmport)
        return mon_error(mon, "no -device vmport");
    vmport_print_guest(&mon->m->vmport, mon->out);
    return true;
}

static bool cmd_guest(Monitor *mon, int argc, char **argv)
{
    (void)argc;
    const char *err = NULL;
    if (!mon->m->opt.vmport)
        return mon_error(mon, "no -device vmport");
    if (!vmport_guest_request(&mon->m->vmport, argv[0], &err))
        return mon_error(mon, "guest %s: %s", argv[0], err);
    fprintf(mon->out, "queued for the guest's tools\n");
    return true;
}

const MonCommand mon_state_commands[] = {
    { "rstep", "rs", 0, 1, cmd_rstep, "rstep [N]", "go back N instructions (--reverse)" },
    { "rcont", "rc", 0, 0, cmd_rcont, "rcont",
      "go back to the last breakpoint or watchpoint hit (--reverse)" },
    { "goto", NULL, 1, 1, cmd_goto, "goto ICOUNT", "go to an instruction count in history" },
    { "info history", NULL, 0, 0, cmd_info_history, "info history",
      "reverse debugging: checkpoints, memory, where the guest is" },
    { "info guest", NULL, 0, 0, cmd_info_guest, "info guest",
      "what the guest's tools reported through -device vmport (OS, IP, guestinfo)" },
    { "guest", NULL, 1, 1, cmd_guest, "guest poweroff|reboot|timesync|ip|ping",
      "ask the guest's tools (vmtoolsd, -device vmport) for a soft power-off, reboot..." },
    { "savevm", NULL, 1, 1, cmd_savevm, "savevm FILE", "save the whole machine state to FILE" },
    { "loadvm", NULL, 1, 2, cmd_loadvm, "loadvm [-f] FILE",
      "load a snapshot (-f: even if a disk image changed since)" },
    { "info snapshots", NULL, 0, 1, cmd_info_snapshots, "info snapshots [FILE]",
      "snapshots saved/loaded in this run, or FILE's header" },
    { "info devices", NULL, 0, 0, cmd_info_devices, "info devices",
      "the registered components (info NAME prints one)" },
};
const size_t mon_state_count = sizeof mon_state_commands / sizeof mon_state_commands[0];
