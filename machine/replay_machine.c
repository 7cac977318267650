/* SPDX-License-Identifier: MIT */
/* Record/replay, the machine's side: the log's machine description, the
 * seams that need the machine (credits, window input, polled frames,
 * checkpoints, the end) and the stubs that keep host backends closed
 * during a replay (docs/REPLAY.md). */
#include "machine/replay_machine.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "iodev/devstate.h"
#include "iodev/remote/proxy.h"
#include "machine/machine.h"
#include "machine/replay_host.h"

static void add_line(char *cfg, size_t cap, const char *key, const char *value)
{
    size_t len = strlen(cfg);
    snprintf(cfg + len, cap - len, "%s=%s\n", key, value);
}

static void add_image(char *cfg, size_t cap, const char *role, const char *path)
{
    if (!path)
        return;
    char h[64];
    replay_hash_file(path, h, sizeof h);
    add_line(cfg, cap, role, h);
}

/* What must be equal between the recording and the replay: RAM, the
 * devices the command line adds, the images' contents, the start. */
static void machine_config(const Options *o, char *cfg, size_t cap)
{
    char v[128];
    cfg[0] = 0;
    snprintf(v, sizeof v, "%u", o->ram_mb);
    add_line(cfg, cap, "ram_mb", v);
    snprintf(v, sizeof v, "%" PRIu64, o->ips);
    add_line(cfg, cap, "ips", v);
    /* -nographic tells the firmware (fw_cfg) to use the serial console. */
    snprintf(v, sizeof v, "vga=%d debugexit=%d debugcon=%d fwlog=%d snapshot=%d nographic=%d",
             !o->vga_none, o->debug_exit, o->debugcon != NULL, o->firmware_log != NULL,
             o->snapshot, o->nographic);
    add_line(cfg, cap, "devices", v);
    for (int i = 0; i < o->net.n_nics; i++) {
        const NicConfig *n = &o->net.nic[i];
        snprintf(v, sizeof v, "model %d netdev '%s' io %x irq %u", n->model, n->netdev,
                 n->iobase, n->irq);
        add_line(cfg, cap, "nic", v);
    }
    snprintf(v, sizeof v, "%d", o->net.n_netdevs);
    add_line(cfg, cap, "netdevs", v);
    /* A remote slot replays from the log; without -remote the local
     * device would answer instead. Only the slot's name: the replay
     * needs no server, address or key. */
    for (int i = 0; i < o->n_remote; i++) {
        snprintf(v, sizeof v, "%.*s", (int)strcspn(o->remote[i], "="), o->remote[i]);
        add_line(cfg, cap, "remote", v);
    }
    static const char *const hd_role[4] = { "hda", "hdb", "hdc", "hdd" };
    for (int i = 0; i < 4; i++)
        add_image(cfg, cap, hd_role[i], o->hd[i]);
    add_image(cfg, cap, "fda", o->fd[0]);
    add_image(cfg, cap, "fdb", o->fd[1]);
    add_image(cfg, cap, "kernel", o->kernel);
    add_image(cfg, cap, "initrd", o->initrd);
    add_line(cfg, cap, "append", o->append ? o->append : "");
    add_line(cfg, cap, "boot", o->boot_order);
    if (o->loadvm)
        add_image(cfg, cap, "start-loadvm", o->loadvm);
    else
        add_line(cfg, cap, "start", "boot");
}

bool replay_machine_open(Machine *m)
{
    const Options *o = &m->opt;
    if (!o->record && !o->replay)
        return true;
    if (o->record && o->replay) {
        fprintf(stderr, "kairo: -record and -replay cannot be used together\n");
        return false;
    }
    char path[1024], err[400] = "", cfg[2048];
    uint64_t every;
    if (!replay_parse_arg(o->record ? o->record : o->replay, path, sizeof path, &every, err,
                          sizeof err)) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    machine_config(o, cfg, sizeof cfg);
    bool ok = o->record ? replay_open_record(&m->replay, path, cfg, every, &m->cpu->icount, err,
                                             sizeof err)
                        : replay_open_play(&m->replay, path, cfg, &m->cpu->icount, err,
                                           sizeof err);
    if (!ok) {
        fprintf(stderr, "kairo: %s\n", err);
        return false;
    }
    if (o->replay) {
        /* Replay opens no host backend: no window (display_setup), no
         * network, no remote slot's transport (remote_attach). */
        m->nics.replay_stub = true;
    }
    return true;
}

static void debug_event(void *opaque, const char *what, unsigned kind)
{
    Machine *m = opaque;
    fprintf(stderr, "rpe %" PRIu64 " %s %u %016" PRIx64, m->cpu->icount, what, kind,
            machine_state_hash(m));
    /* Every component's state too, by name, to see which one parted. */
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        /* RAM is large; a remote session's save sends posted writes,
         * which would change the very run being compared. */
        if (!strcmp(d->name, "ram") || !strncmp(d->name, "remote-", 7))
            continue;
        StateWriter w;
        state_writer_init(&w);
        device_save(d, &w);
        fprintf(stderr, " %s:%08lx", d->name, crc32(0, w.buf, (uInt)w.len));
        state_writer_free(&w);
    }
    fputc('\n', stderr);
}

/* After the devices exist: every seam gets the log. */
void replay_machine_attach(Machine *m)
{
    Replay *r = &m->replay;
    if (r->mode == REPLAY_OFF)
        return;
    const char *dbg = getenv("KAIRO_REPLAY_DEBUG");
    if (dbg && !strcmp(dbg, "2")) {
        r->debug = debug_event;
        r->debug_opaque = m;
    }
    for (int i = 0; i < 4; i++) {
        m->serial_out[i].replay = r;
        m->serial_out[i].replay_chan = (uint8_t)i;
    }
    for (int i = 0; i < m->nics.n_netdevs; i++) {
        m->nics.netdev[i].replay = r;
        m->nics.netdev[i].replay_idx = (uint8_t)i;
    }
    m->kbc.replay = r;
    if (replay_playing(r))
        r->icount_stop = &m->cpu->icount_stop;
}

uint64_t replay_machine_slice(Machine *m, uint64_t n)
{
    Replay *r = &m->replay;
    if (replay_recording(r) && r->next_checkpoint > *r->icount &&
        r->next_checkpoint - *r->icount < n)
        return r->next_checkpoint - *r->icount;
    if (!replay_playing(r) || !r->have_next)
        return n;
    /* Slices end where async events are due; sync events are taken inside
     * a slice, which then ends at the async event after them if it is
     * due sooner (replay_consume). */
    if (!(r->next.kind & REPLAY_ASYNC))
        return n;
    uint64_t t = replay_insns_to_next(r);
    return t && t < n ? t : n;
}

void replay_machine_credit(Machine *m, uint64_t insns)
{
    if (replay_recording(&m->replay) && insns) {
        uint8_t p[10];
        replay_log(&m->replay, RK_CREDIT, p, replay_put_varint(p, insns));
    }
}

static void put_hash(uint8_t *p, uint64_t h)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(h >> (8 * i));
}

/* RAM for a checkpoint: four independent multiply-rotate lanes over
 * 64-bit words, about ten times the speed of the CRC-32 + Adler-32 of
 * --state-hash, which made a checkpoint every 10^8 instructions cost 30 %
 * of a Linux boot at 128 MiB. */
static uint64_t ram_hash(const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h[4] = { 1, 2, 3, 4 };
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t v;
            memcpy(&v, p + i + 8 * (size_t)l, 8);
            h[l] ^= v;
            h[l] = ((h[l] << 29) | (h[l] >> 35)) * k;
        }
    uint64_t r = n;
    for (; i < n; i++)
        r = (r ^ p[i]) * k;
    for (int l = 0; l < 4; l++)
        r = ((r ^ h[l]) * k) ^ (r >> 31);
    return r;
}

/* The checkpoint hash: RAM (ram_hash), then the CPU's and the x87's
 * sections as --state-hash takes them. */
static uint64_t checkpoint_hash(Machine *m)
{
    StateWriter w;
    state_writer_init(&w);
    static const char *const names[2] = { "cpu", "fpu" };
    for (int i = 0; i < 2; i++) {
        const DeviceInstance *d = devlist_find(&m->devices, names[i]);
        if (d)
            device_save(d, &w);
    }
    uint64_t h = ram_hash(m->mem->ram, m->mem->ram_size);
    h ^= (uint64_t)crc32(0, w.buf, (uInt)w.len) << 32 | adler32(1, w.buf, (uInt)w.len);
    state_writer_free(&w);
    return h;
}

static void record_checkpoint(Machine *m)
{
    Replay *r = &m->replay;
    if (!r->checkpoint_every)
        return;   /* reverse debugging's memory log alone: no hash records */
    if (!r->next_checkpoint)
        r->next_checkpoint = *r->icount + r->checkpoint_every;
    if (*r->icount < r->next_checkpoint)
        return;
    uint8_t p[8];
    put_hash(p, checkpoint_hash(m));
    replay_log(r, RK_CHECKPOINT, p, 8);
    r->next_checkpoint = *r->icount + r->checkpoint_every;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void apply_checkpoint(Machine *m, const ReplayEvent *e)
{
    uint64_t h = checkpoint_hash(m);
    if (e->len != 8 || h != le(e->data, 8))
        replay_fail(&m->replay, "replay diverged at icount %" PRIu64 ": checkpoint hash differs",
                    e->icount);
}

static void apply_credit(Machine *m, const ReplayEvent *e)
{
    uint64_t n;
    if (replay_get_varint(e->data, e->len, &n) <= 0) {
        replay_fail(&m->replay, "log corrupt at icount %" PRIu64 " (bad credit)", e->icount);
        return;
    }
    m->cpu->icount += n;
    m->cpu->idle_insns += n;
}

static void apply_key(Machine *m, const ReplayEvent *e)
{
    m->kbc.replay = NULL;   /* the log's input, not a host's: not seen again */
    if (e->kind == (RK_KEY | REPLAY_ASYNC) && e->len == 3)
        i8042_key_event(&m->kbc, (uint16_t)le(e->data, 2), e->data[2]);
    else if (e->len == 13)
        i8042_mouse(&m->kbc, (int32_t)le(e->data, 4), (int32_t)le(e->data + 4, 4),
                    (int32_t)le(e->data + 8, 4), e->data[12]);
    m->kbc.replay = &m->replay;
}

static void apply_net(Machine *m, const ReplayEvent *e)
{
    if (e->len < 2 || e->data[0] >= m->nics.n_netdevs) {
        replay_fail(&m->replay, "replay diverged at icount %" PRIu64 ": frame for a missing netdev",
                    e->icount);
        return;
    }
    netdev_replay_frame(&m->nics.netdev[e->data[0]], e);
}

/* Line changes a remote slot made outside an access (a snapshot sent its
 * posted writes between slices). */
static void apply_remote(Machine *m, const ReplayEvent *e)
{
    if (!remote_replay_event(&m->io, e))
        replay_fail(&m->replay, "replay diverged at icount %" PRIu64 ": event for a missing "
                    "remote slot", e->icount);
}

/* KAIRO_REPLAY_DEBUG=1: a line per loop turn with the CPU's state, to
 * diff a recording against its replay and find where they part. */
static void debug_line(Machine *m)
{
    static int on = -1;
    if (on < 0)
        on = getenv("KAIRO_REPLAY_DEBUG") != NULL;
    if (on)
        fprintf(stderr, "rpl %" PRIu64 " %08x %08x %08x %08x\n", m->cpu->icount, m->cpu->eip,
                m->cpu->gpr[0], m->cpu->gpr[1], m->cpu->gpr[4]);
}

bool replay_machine_between_slices(Machine *m)
{
    Replay *r = &m->replay;
    if (r->mode == REPLAY_OFF)
        return true;
    r->in_slice = false;
    debug_line(m);
    if (replay_recording(r)) {
        record_checkpoint(m);
        return true;
    }
    const ReplayEvent *e;
    while ((e = replay_due_async(r)) != NULL) {
        switch (e->kind & ~REPLAY_ASYNC) {
        case RK_CHECKPOINT: apply_checkpoint(m, e); break;
        case RK_CREDIT: apply_credit(m, e); break;
        case RK_KEY:
        case RK_MOUSE: apply_key(m, e); break;
        case RK_NET: apply_net(m, e); break;
        case RK_REMOTE: apply_remote(m, e); break;
        case RK_HOST: replay_host_apply(m, e); break;
        case RK_END: return false;
        default:
            replay_fail(r, "replay diverged at icount %" PRIu64 ": unexpected %s", e->icount,
                        replay_kind_name(e->kind));
        }
        if (r->failed)
            return false;
        replay_consume(r);
    }
    return !r->failed;
}

int replay_machine_finish(Machine *m, int status)
{
    Replay *r = &m->replay;
    replay_mem_record(r);   /* a run that ends in the past of reverse debugging */
    if (replay_playing(r) && !r->failed && r->have_next) {
        const ReplayEvent *e = &r->next;
        if ((e->kind & ~REPLAY_ASYNC) != RK_END || e->icount != *r->icount)
            replay_fail(r, "replay ended at icount %" PRIu64 " before the log's %s at icount %" PRIu64,
                        *r->icount, replay_kind_name(e->kind), e->icount);
        else if (e->len == 8 && le(e->data, 8) != machine_state_hash(m))
            replay_fail(r, "replay diverged at icount %" PRIu64 ": final hash differs", e->icount);
    }
    if (r->failed) {
        fprintf(stderr, "kairo: %s\n", r->why);
        status = EXIT_ERROR;
    } else if (replay_playing(r)) {
        fprintf(stderr, "kairo: replay complete at icount %" PRIu64 "\n", *r->icount);
    } else if (replay_recording(r)) {
        uint8_t h[8];
        put_hash(h, machine_state_hash(m));
        r->in_slice = false;
        replay_log(r, RK_END, h, 8);   /* the final hash: a replay must end equal */
        r->ended = true;
        replay_close(r);
        if (m->opt.stats)
            fprintf(stderr, "kairo: recorded %" PRIu64 " events, %" PRIu64 " bytes raw, %" PRIu64
                            " bytes in the log\n", r->events, r->raw_bytes, r->file_bytes);
    }
    return status;
}

void replay_machine_close(Machine *m)
{
    replay_close(&m->replay);
}
