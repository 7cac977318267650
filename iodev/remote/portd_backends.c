/* SPDX-License-Identifier: MIT */
/* kairo-portd's slot backends (see portd_backends.h). */
#include "iodev/remote/portd_backends.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/device.h"

#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>

static uint32_t host_in(uint16_t port, unsigned width)
{
    return width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
}

static void host_out(uint16_t port, unsigned width, uint32_t v)
{
    if (width == 1)
        outb((uint8_t)v, port);
    else if (width == 2)
        outw((uint16_t)v, port);
    else
        outl(v, port);
}

const PdPortSpace pd_host_ports = { ioperm, host_in, host_out };
#else
static int no_ioperm(unsigned long from, unsigned long num, int on)
{
    (void)from, (void)num, (void)on;
    errno = ENOSYS;
    return -1;
}
static uint32_t no_in(uint16_t port, unsigned width)
{
    (void)port, (void)width;
    return 0xFFFFFFFFu;
}
static void no_out(uint16_t port, unsigned width, uint32_t v)
{
    (void)port, (void)width, (void)v;
}
const PdPortSpace pd_host_ports = { no_ioperm, no_in, no_out };
#endif

/* --- the port calls of each kind --- */

static uint32_t uart_read(void *o, uint16_t port, unsigned w)
{
    return uart_port_read(&((PdDevice *)o)->uart, port, w);
}

static void uart_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    uart_port_write(&((PdDevice *)o)->uart, port, w, v);
}

/* The control block (0x3F6/0x376) is the one with address bit 9 set. */
static bool ide_is_ctl(uint16_t port)
{
    return port & 0x200;
}

static uint32_t ide_read(void *o, uint16_t port, unsigned w)
{
    PdDevice *d = o;
    return ide_is_ctl(port) ? ide_ctl_read(&d->ide, port, w) : ide_cmd_read(&d->ide, port, w);
}

/* A command the IDE model refused because it reaches past the disk's end:
 * for a partitioned slot that is the client reaching outside its range,
 * an arbitration decision logged with the time, slot and client (the
 * first 20 a slot; all are counted in IdeDevice.refused for --stats). */
static void log_partition_refusal(const PdDevice *d)
{
    const IdeDevice *disk = &d->ide.dev[0];
    if (!d->slot || disk->refused > 20)
        return;
    char who[64] = "?";
    if (d->slot->n_clients)
        rs_client_format(&d->slot->clients[0], who, sizeof who);
    fprintf(stderr, "kairo-portd: [%.6f] slot %s: client %s: LBA %llu is past its partition's "
                    "%llu sectors (%llu-%llu of the image): refused (IDNF), %llu so far\n",
            (double)rp_now_ns() / 1e9, d->slot->name, who, (unsigned long long)disk->cur_lba,
            (unsigned long long)disk->sectors, (unsigned long long)disk->base_lba,
            (unsigned long long)(disk->base_lba + disk->sectors - 1),
            (unsigned long long)disk->refused);
}

static void ide_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    PdDevice *d = o;
    uint64_t refused = d->ide.dev[0].refused;
    if (ide_is_ctl(port))
        ide_ctl_write(&d->ide, port, w, v);
    else
        ide_cmd_write(&d->ide, port, w, v);
    if (d->partitioned && d->ide.dev[0].refused != refused)
        log_partition_refusal(d);
}

static uint32_t real_read(void *o, uint16_t port, unsigned w)
{
    return ((PdDevice *)o)->ports->in(port, w);
}

static void real_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    ((PdDevice *)o)->ports->out(port, w, v);
}

static uint32_t mock_read(void *o, uint16_t port, unsigned w)
{
    PdDevice *d = o;
    uint32_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint32_t)d->mock[(uint16_t)(port + i)] << (8 * i);
    return v;
}

static void mock_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    PdDevice *d = o;
    for (unsigned i = 0; i < w; i++)
        d->mock[(uint16_t)(port + i)] = (uint8_t)(v >> (8 * i));
}

static uint32_t vga_port_read(void *o, uint16_t port, unsigned w)
{
    return vga_ioport_read(((PdDevice *)o)->vga, port, w);
}

static void vga_port_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    vga_ioport_write(((PdDevice *)o)->vga, port, w, v);
}

/* The VGA's memory in the device space of proto.h: the window through
 * the planes and latches, the LFB straight into the VRAM (past its end:
 * a floating bus). */
static uint32_t vga_mread(void *o, uint32_t addr, unsigned w)
{
    Vga *v = ((PdDevice *)o)->vga;
    uint32_t r = 0;
    for (unsigned i = 0; i < w; i++) {
        uint32_t a = addr + i;
        uint8_t b = a >= RP_VGA_LFB_BASE ? (a - RP_VGA_LFB_BASE < v->vram_size
                                                ? v->vram[a - RP_VGA_LFB_BASE] : 0xFF)
                                         : vga_mem_read(v, a);
        r |= (uint32_t)b << (8 * i);
    }
    return r;
}

static void vga_mwrite(void *o, uint32_t addr, unsigned w, uint32_t val)
{
    Vga *v = ((PdDevice *)o)->vga;
    for (unsigned i = 0; i < w; i++) {
        uint32_t a = addr + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (a < RP_VGA_LFB_BASE)
            vga_mem_write(v, a, b);
        else if (a - RP_VGA_LFB_BASE < v->vram_size)
            v->vram[a - RP_VGA_LFB_BASE] = b;
    }
}

static uint32_t kbd_port_read(void *o, uint16_t port, unsigned w)
{
    return i8042_port_read(((PdDevice *)o)->kbc, port, w);
}

static void kbd_port_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    i8042_port_write(((PdDevice *)o)->kbc, port, w, v);
}

static const struct {
    uint32_t (*read)(void *o, uint16_t port, unsigned w);
    void (*write)(void *o, uint16_t port, unsigned w, uint32_t v);
    uint32_t (*mread)(void *o, uint32_t addr, unsigned w);
    void (*mwrite)(void *o, uint32_t addr, unsigned w, uint32_t v);
} kinds[PD_BACKEND_COUNT] = {
    [PD_UART] = { uart_read, uart_write, NULL, NULL },
    [PD_IDE] = { ide_read, ide_write, NULL, NULL },
    [PD_IOPORTS] = { real_read, real_write, NULL, NULL },
    [PD_MOCK] = { mock_read, mock_write, NULL, NULL },
    [PD_VGA] = { vga_port_read, vga_port_write, vga_mread, vga_mwrite },
    [PD_KBD] = { kbd_port_read, kbd_port_write, NULL, NULL },
};

RsBackend pd_backend(PdDevice *d)
{
    return (RsBackend){ kinds[d->kind].read, kinds[d->kind].write, d, kinds[d->kind].mread,
                        kinds[d->kind].mwrite };
}

/* --- output and state --- */

static int output_fd(const PdDevice *d)
{
    return d->kind == PD_UART && d->chr.kind == CHARDEV_FILE && d->chr.file ? fileno(d->chr.file)
                                                                            : -1;
}

static uint64_t output_size(const PdDevice *d)
{
    struct stat sb;
    int fd = output_fd(d);
    return fd >= 0 && fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

void pd_device_commit_output(PdDevice *d, bool sync)
{
    if (d->kind == PD_UART) {
        chardev_flush(&d->chr);
        d->out_len = output_size(d);
        if (sync && output_fd(d) >= 0)
            fdatasync(output_fd(d));
    } else if (d->kind == PD_IDE && sync) {
        ide_flush(&d->ide);
    }
}

/* The device model behind the slot and its descriptor (no model: false). */
static bool instance_of(const PdDevice *d, DeviceInstance *in)
{
    memset(in, 0, sizeof *in);
    if (d->kind == PD_UART)
        *in = (DeviceInstance){ &uart_desc, (void *)&d->uart, "" };
    else if (d->kind == PD_IDE)
        *in = (DeviceInstance){ &ide_desc, (void *)&d->ide, "" };
    else if (d->kind == PD_VGA)
        *in = (DeviceInstance){ &vga_desc, d->vga, "" };
    else if (d->kind == PD_KBD)
        *in = (DeviceInstance){ &i8042_desc, d->kbc, "" };
    else
        return false;
    snprintf(in->name, sizeof in->name, "%s", d->slot ? d->slot->name : "slot");
    return true;
}

void pd_device_save(const PdDevice *d, StateWriter *w)
{
    state_begin(w, "portd-device", 1);
    state_put_u8(w, (uint8_t)d->kind);
    state_put_u64(w, d->out_len);
    if (d->kind == PD_MOCK)
        state_put_bytes(w, d->mock, sizeof d->mock);
    state_end(w);
    DeviceInstance in;
    if (instance_of(d, &in))
        device_save(&in, w);
}

/* Bytes past the acknowledged length came from a batch whose reply never
 * left: the client's retransmission writes them again. */
static bool roll_back_output(PdDevice *d, uint64_t len, char *err, size_t errlen)
{
    int fd = output_fd(d);
    uint64_t now = output_size(d);
    if (fd < 0 || now == len)
        return true;
    if (now < len) {
        snprintf(err, errlen, "slot %s: the output file is shorter (%llu bytes) than what was "
                              "acknowledged (%llu)", d->slot ? d->slot->name : "?",
                 (unsigned long long)now, (unsigned long long)len);
        return false;
    }
    if (ftruncate(fd, (off_t)len) != 0) {
        snprintf(err, errlen, "slot %s: cannot roll the output back: %s",
                 d->slot ? d->slot->name : "?", strerror(errno));
        return false;
    }
    d->out_len = len;
    return true;
}

bool pd_device_load(PdDevice *d, StateReader *r, char *err, size_t errlen)
{
    uint32_t version;
    if (!state_section(r, "portd-device", &version) || version != 1) {
        snprintf(err, errlen, "no device section for slot %s", d->slot ? d->slot->name : "?");
        return false;
    }
    uint8_t kind = state_get_u8(r);
    uint64_t out_len = state_get_u64(r);
    if (state_ok(r) && kind != d->kind) {
        snprintf(err, errlen, "slot %s was served by another backend",
                 d->slot ? d->slot->name : "?");
        return false;
    }
    if (d->kind == PD_MOCK)
        state_get_bytes(r, d->mock, sizeof d->mock);
    state_section_end(r);
    if (!state_ok(r)) {
        snprintf(err, errlen, "device section truncated");
        return false;
    }
    DeviceInstance in;
    if (instance_of(d, &in) && !device_load(&in, r, err, errlen))
        return false;
    return roll_back_output(d, out_len, err, errlen);
}

/* --- creating --- */

/* A device opened without a slot (tests) has its lines unconnected. */
static void line_changed(void *opaque, int line, bool level)
{
    if (opaque)
        rs_slot_set_irq(opaque, line, level);
}

static void ide_line(void *opaque, int line, bool level)
{
    (void)line;
    line_changed(opaque, 0, level != 0);
}

/* file:PATH behind a served UART appends (a restarted server never erases
 * what an earlier one wrote) and is fully buffered: the commit before each
 * reply flushes it. */
static bool open_append_file(CharDev *c, const char *path, char *why, size_t whylen)
{
    memset(c, 0, sizeof *c);
    c->fd_out = c->fd_in = c->listen_fd = -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    c->file = fd >= 0 ? fdopen(fd, "ab") : NULL;
    if (!c->file) {
        snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    c->kind = CHARDEV_FILE;
    return true;
}

/* --- muxed serial lines: several clients' UARTs into one file, each line
 * prefixed with its client's number ("[2] "), in the order the muxed
 * slots open (the console's client order when they follow the vga
 * slots'). The file is shared: every UART writes through a stream of its
 * own (fopencookie) that adds the prefix and holds a line until it is
 * complete, so that two guests writing at once never interleave within a
 * line (a line longer than MUX_LINE bytes is written in pieces, each
 * ending in a newline). --- */

#define MUX_LINE 256

typedef struct MuxOut {
    FILE *f;
    char path[512];
    int users, opened;
} MuxOut;

typedef struct MuxLine {
    MuxOut *out;
    char prefix[16];
    char line[MUX_LINE];
    size_t len;
} MuxLine;

static MuxOut muxes[4];

/* The held line, behind its prefix, in one write of the shared file. */
static void mux_emit(MuxLine *m, bool newline)
{
    if (!m->len && !newline)
        return;
    fprintf(m->out->f, "%s%.*s%s", m->prefix, (int)m->len, m->line, newline ? "\n" : "");
    fflush(m->out->f);
    m->len = 0;
}

static ssize_t mux_write(void *cookie, const char *buf, size_t len)
{
    MuxLine *m = cookie;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            mux_emit(m, true);
            continue;
        }
        m->line[m->len++] = buf[i];
        if (m->len == sizeof m->line)
            mux_emit(m, true);
    }
    return (ssize_t)len;
}

static int mux_close(void *cookie)
{
    MuxLine *m = cookie;
    mux_emit(m, false);         /* a last line without its newline */
    if (--m->out->users == 0) {
        fclose(m->out->f);
        m->out->f = NULL;
        m->out->opened = 0;
    }
    free(m);
    return 0;
}

static MuxOut *mux_output(const char *path, char *why, size_t whylen)
{
    MuxOut *free_one = NULL;
    for (int i = 0; i < 4; i++) {
        if (muxes[i].f && !strcmp(muxes[i].path, path))
            return &muxes[i];
        if (!muxes[i].f && !free_one)
            free_one = &muxes[i];
    }
    if (!free_one) {
        snprintf(why, whylen, "too many mux files (4)");
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    free_one->f = fd >= 0 ? fdopen(fd, "ab") : NULL;
    if (!free_one->f) {
        snprintf(why, whylen, "cannot open '%.200s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    snprintf(free_one->path, sizeof free_one->path, "%s", path);
    return free_one;
}

static bool open_mux(PdDevice *d, const PdSlotConfig *sc, Clock *clock, char *err, size_t errlen)
{
    char why[300];
    MuxOut *out = mux_output(sc->arg + 4, why, sizeof why);
    MuxLine *m = out ? calloc(1, sizeof *m) : NULL;
    if (!m) {
        snprintf(err, errlen, "slot %s: %s", sc->name, out ? "out of memory" : why);
        return false;
    }
    m->out = out;
    snprintf(m->prefix, sizeof m->prefix, "[%d] ", ++out->opened);
    out->users++;
    cookie_io_functions_t io = { .write = mux_write, .close = mux_close };
    memset(&d->chr, 0, sizeof d->chr);
    d->chr.fd_out = d->chr.fd_in = d->chr.listen_fd = -1;
    d->chr.file = fopencookie(m, "w", io);
    if (!d->chr.file) {
        mux_close(m);
        snprintf(err, errlen, "slot %s: cannot make the mux stream", sc->name);
        return false;
    }
    d->chr.kind = CHARDEV_FILE;
    d->muxed = true;
    IrqLine line = { line_changed, d->slot, 0 };
    uart_init(&d->uart, clock, &line, &d->chr);
    return true;
}

static bool open_uart(PdDevice *d, const PdSlotConfig *sc, Clock *clock, char *err, size_t errlen)
{
    if (!strncmp(sc->arg, "mux:", 4) && sc->arg[4])
        return open_mux(d, sc, clock, err, errlen);
    char why[300];
    bool ok = strncmp(sc->arg, "file:", 5) == 0 && sc->arg[5]
                  ? open_append_file(&d->chr, sc->arg + 5, why, sizeof why)
                  : chardev_open(&d->chr, sc->arg, why, sizeof why);
    if (!ok) {
        snprintf(err, errlen, "slot %s: %s", sc->name, why);
        return false;
    }
    IrqLine line = { line_changed, d->slot, 0 };
    uart_init(&d->uart, clock, &line, &d->chr);
    d->out_len = output_size(d);
    return true;
}

/* Partitioned slots' devices: the first to open an image owns it (and its
 * lock); the others serve their ranges of the same open image. */
static PdDevice *partitioned[RS_MAX_SLOTS];

static PdDevice *image_owner(const char *path)
{
    for (int i = 0; i < RS_MAX_SLOTS; i++)
        if (partitioned[i] && !partitioned[i]->shares_disk &&
            !strcmp(partitioned[i]->ide.dev[0].disk.path, path))
            return partitioned[i];
    return NULL;
}

static void remember_partitioned(PdDevice *d)
{
    for (int i = 0; i < RS_MAX_SLOTS; i++)
        if (!partitioned[i]) {
            partitioned[i] = d;
            return;
        }
}

static void forget_partitioned(PdDevice *d)
{
    for (int i = 0; i < RS_MAX_SLOTS; i++)
        if (partitioned[i] == d)
            partitioned[i] = NULL;
}

static bool open_partition(PdDevice *d, const PdSlotConfig *sc, char *err, size_t errlen)
{
    char why[300];
    IdeHooks hooks = { { ide_line, d->slot, 0 } };
    ide_init(&d->ide, NULL, &hooks, sc->name);
    PdDevice *owner = strchr(sc->arg, ',') ? NULL : image_owner(sc->arg);
    bool ok = owner ? ide_share_disk(&d->ide, 0, &owner->ide.dev[0].disk)
                    : ide_attach_disk(&d->ide, 0, sc->arg, false, why, sizeof why);
    if (!ok && owner)
        snprintf(why, sizeof why, "cannot share '%.200s' (raw images only)", sc->arg);
    d->shares_disk = owner != NULL;
    ok = ok && ide_set_partition(&d->ide, 0, sc->part_first, sc->part_count, why, sizeof why);
    if (!ok) {
        snprintf(err, errlen, "slot %s: %s", sc->name, why);
        return false;
    }
    remember_partitioned(d);
    d->partitioned = true;
    fprintf(stderr, "kairo-portd: slot %s: sectors %llu-%llu of %s as a whole disk\n", sc->name,
            (unsigned long long)sc->part_first,
            (unsigned long long)(sc->part_first + sc->part_count - 1), sc->arg);
    return true;
}

static bool open_ide(PdDevice *d, const PdSlotConfig *sc, char *err, size_t errlen)
{
    if (sc->partitioned)
        return open_partition(d, sc, err, errlen);
    char images[sizeof sc->arg], why[300];
    snprintf(images, sizeof images, "%s", sc->arg);
    IdeHooks hooks = { { ide_line, d->slot, 0 } };
    /* No guest memory here: the channel does PIO only (its bus-master DMA
     * registers stay on the client's chipset). */
    ide_init(&d->ide, NULL, &hooks, sc->name);
    char *save = NULL;
    int unit = 0;
    for (char *img = strtok_r(images, ",", &save); img && unit < 2;
         img = strtok_r(NULL, ",", &save), unit++) {
        if (!ide_attach_disk(&d->ide, unit, img, false, why, sizeof why)) {
            snprintf(err, errlen, "slot %s: %s", sc->name, why);
            return false;
        }
    }
    return true;
}

/* ioperm for every allowed range: the slot can never reach another port,
 * and the kernel enforces it too. */
static bool open_ioports(PdDevice *d, const PdSlotConfig *sc, char *err, size_t errlen)
{
    for (int i = 0; i < sc->n_ranges; i++) {
        const RsRange *r = &sc->ranges[i];
        unsigned long n = (unsigned long)r->last - r->first + 1;
        if (d->ports->ioperm(r->first, n, 1) != 0) {
            int e = errno;
            snprintf(err, errlen, "slot %s: ioperm(0x%X, %lu): %s%s", sc->name, r->first, n,
                     strerror(e),
                     e == ENOSYS ? " (this kernel has no I/O port access; serve the slot "
                                   "with a device model instead)"
                     : e == EPERM ? " (needs root or CAP_SYS_RAWIO)" : "");
            return false;
        }
    }
    return true;
}

static bool open_vga(PdDevice *d, const PdSlotConfig *sc, Clock *clock, char *err, size_t errlen)
{
    /* No address space here: the window and the LFB are reached through
     * the slot's memory ops, never mapped. */
    d->vga = malloc(sizeof *d->vga);
    if (!d->vga || !vga_init(d->vga, NULL, clock, 16)) {
        free(d->vga);
        d->vga = NULL;
        snprintf(err, errlen, "slot %s: out of memory for the VRAM", sc->name);
        return false;
    }
    return true;
}

static void kbd_line(void *opaque, int line, bool level)
{
    line_changed(opaque, line, level);
}

/* The 8042's A20 and reset outputs belong to the client's machine, which
 * keeps its own port 0x92 and reset paths: they are not forwarded. */
static void kbd_a20(void *opaque, bool enabled)
{
    static bool said;
    (void)opaque, (void)enabled;
    if (!said)
        fprintf(stderr, "kairo-portd: a served 8042 does not drive the client's A20 gate "
                        "(the client's port 0x92 does)\n");
    said = true;
}

static void kbd_reset(void *opaque)
{
    static bool said;
    (void)opaque;
    if (!said)
        fprintf(stderr, "kairo-portd: a served 8042's CPU reset pulse is not forwarded\n");
    said = true;
}

static bool open_kbd(PdDevice *d, const PdSlotConfig *sc, Clock *clock, char *err, size_t errlen)
{
    d->kbc = calloc(1, sizeof *d->kbc);
    if (!d->kbc) {
        snprintf(err, errlen, "slot %s: out of memory", sc->name);
        return false;
    }
    /* Line 0 is the keyboard's IRQ 1, line 1 the mouse's IRQ 12 (the
     * slot's irq lines, in that order). */
    IrqLine irq1 = { kbd_line, d->slot, 0 }, irq12 = { kbd_line, d->slot, 1 };
    KbcHooks hooks = { kbd_a20, kbd_reset, d };
    i8042_init(d->kbc, &irq1, &irq12, &hooks);
    i8042_set_clock(d->kbc, clock);
    return true;
}

bool pd_device_open(PdDevice *d, const PdSlotConfig *sc, RsSlot *slot, Clock *clock,
                    const PdPortSpace *ports, char *err, size_t errlen)
{
    d->kind = sc->backend;
    d->slot = slot;
    d->ports = ports ? ports : &pd_host_ports;
    d->chr.kind = CHARDEV_NONE;
    if (d->kind == PD_UART)
        return open_uart(d, sc, clock, err, errlen);
    if (d->kind == PD_IDE)
        return open_ide(d, sc, err, errlen);
    if (d->kind == PD_IOPORTS)
        return open_ioports(d, sc, err, errlen);
    if (d->kind == PD_VGA)
        return open_vga(d, sc, clock, err, errlen);
    if (d->kind == PD_KBD)
        return open_kbd(d, sc, clock, err, errlen);
    return true;
}

void pd_device_close(PdDevice *d)
{
    if (d->kind == PD_UART) {
        chardev_flush(&d->chr);
        chardev_close(&d->chr);
    } else if (d->kind == PD_IDE) {
        if (d->shares_disk)
            blockdev_init_empty(&d->ide.dev[0].disk);   /* the owner flushes and closes it */
        ide_flush(&d->ide);
        forget_partitioned(d);
        ide_close(&d->ide);
    } else if (d->kind == PD_VGA && d->vga) {
        vga_free(d->vga);
        free(d->vga);
        d->vga = NULL;
    } else if (d->kind == PD_KBD) {
        i8042_set_clock(d->kbc, NULL);
        free(d->kbc);
        d->kbc = NULL;
    }
}
