/* SPDX-License-Identifier: MIT */
/* kairo-portd: the configuration file, the real-ports backend against a
 * mock port space (ENOSYS, EPERM, the allowlist), the device backends. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iodev/remote/portd_backends.h"
#include "iodev/remote/portd_config.h"
#include "iodev/remote/portd_console.h"

static PdConfig cfg;
static char err[400];

static const char good[] =
    "# a comment\n"
    "key /tmp/k   # trailing comment\n"
    "listen eth veth1\n"
    "listen udp 0.0.0.0:7000\n"
    "client 02:00:00:00:00:01\n"
    "slot com2 uart file:/tmp/com2.out\n"
    "ports 0x2F8-0x2FF\n"
    "irq 3\n"
    "slot ide1 ide /tmp/a.img,/tmp/b.img\n"
    "ports 0x170-0x177 widths 1,2,4\n"
    "ports 0x376\n"
    "irq 15\n"
    "client 10.0.0.2\n"
    "slot lpt ioports\n"
    "ports 0x378-0x37A\n";

Test(remote_portd, config_parses)
{
    cr_assert(pd_config_parse(&cfg, good, "t.conf", err, sizeof err), "%s", err);
    cr_assert_str_eq(cfg.key, "/tmp/k");
    cr_assert_eq(cfg.n_listen, 2);
    cr_assert(cfg.listen[0].eth);
    cr_assert_str_eq(cfg.listen[1].where, "0.0.0.0:7000");
    cr_assert_eq(cfg.n_clients, 1);
    cr_assert(cfg.clients[0].is_mac);
    cr_assert_eq(cfg.n_slots, 3);
    const PdSlotConfig *com2 = &cfg.slots[0], *ide1 = &cfg.slots[1];
    cr_assert_eq(com2->backend, PD_UART);
    cr_assert_str_eq(com2->arg, "file:/tmp/com2.out");
    cr_assert_eq(com2->ranges[0].first, 0x2F8);
    cr_assert_eq(com2->ranges[0].last, 0x2FF);
    cr_assert_eq(com2->ranges[0].widths, 1);
    cr_assert_eq(com2->irqs[0], 3);
    cr_assert_eq(ide1->n_ranges, 2);
    cr_assert_eq(ide1->ranges[0].widths, 7);
    cr_assert_eq(ide1->ranges[1].first, 0x376);
    cr_assert_eq(ide1->ranges[1].last, 0x376);
    cr_assert_eq(ide1->n_clients, 1);
    cr_assert_not(ide1->clients[0].is_mac);
    cr_assert_eq(cfg.slots[2].backend, PD_IOPORTS);
}

/* Each bad line is refused with its line number. */
Test(remote_portd, config_errors)
{
    static const struct { const char *text, *want; } cases[] = {
        { "listen eth x\nclient 02:00:00:00:00:01\nbogus 1\n", ":3: unknown directive" },
        { "listen tcp x\n", ":1: listen wants" },
        { "listen eth x\nports 1-2\n", "ports before any slot" },
        { "listen eth x\nclient nope\n", "client wants" },
        { "listen eth x\nslot a floppy\n", "unknown backend" },
        { "listen eth x\nslot a uart\n", "wants an argument" },
        { "listen eth x\nslot a mock extra\n", "takes no argument" },
        { "listen eth x\nslot a mock\nports 0x10-0x1\n", "bad port range" },
        { "listen eth x\nslot a mock\nports 0x10000\n", "bad port range" },
        { "listen eth x\nslot a mock\nports 1 widths 3\n", "bad widths" },
        { "listen eth x\nslot a mock\nirq 16\n", "irq wants" },
        { "listen eth x\nslot a mock\nslot a mock\n", "duplicate slot" },
        { "slot a mock\nports 1\nclient 1.2.3.4\n", "no listen line" },
        { "listen eth x\nslot a mock\nclient 1.2.3.4\n", "no ports line" },
        { "listen eth x\nslot a mock\nports 1\n", "no client allowed" },
        { "listen eth x\n", "no slot" },
        { "listen eth x\nmmio 0xA0000-0xBFFFF\n", "mmio before any slot" },
        { "listen eth x\nslot a uart none\nmmio 0xA0000-0xBFFFF\n", "has no memory" },
        { "listen eth x\nslot a vga\nmmio 0xB0000-0xA0000\n", "bad memory range" },
        { "listen eth x\nslot a vga\nmmio 0x100000000-0x100000001\n", "bad memory range" },
        { "listen eth x\nslot a vga\nmmio 0xA0000\n", "mmio wants" },
        { "listen eth x\nslot a mock\npolicy shared\n", "policy wants" },
        { "listen eth x\npolicy exclusive\n", "policy before any slot" },
        { "listen eth x\ncontrol\n", "control wants" },
        { "listen eth x\nclient 1.2.3.4\nslot a vga\nports 1\nclient 1.2.3.5\nslot a vga\n"
          "ports 1\n", "needs its own client lines" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_not(pd_config_parse(&cfg, cases[i].text, "t", err, sizeof err), "case %zu", i);
        cr_assert(strstr(err, cases[i].want), "case %zu: '%s'", i, err);
    }
}

/* Two instances of one slot name, memory ranges, a policy, a control socket. */
Test(remote_portd, config_instances_and_memory)
{
    static const char text[] =
        "listen udp 127.0.0.1:7000\ncontrol /tmp/ctl\n"
        "slot vga vga\nclient 127.0.0.2\nports 0x3B0-0x3DF widths 1,2\nmmio 0xA0000-0xBFFFF\n"
        "mmio 0xE0000000-0xE0FFFFFF\n"
        "slot vga vga\nclient 127.0.0.3\nports 0x3B0-0x3DF widths 1,2\nmmio 0xA0000-0xBFFFF\n"
        "slot com2 uart none\nclient 127.0.0.2\nclient 127.0.0.3\nports 0x2F8-0x2FF\n"
        "policy exclusive\n";
    cr_assert(pd_config_parse(&cfg, text, "t", err, sizeof err), "%s", err);
    cr_assert_eq(cfg.n_slots, 3);
    cr_assert_str_eq(cfg.control, "/tmp/ctl");
    cr_assert_eq(cfg.slots[0].n_mranges, 2);
    cr_assert_eq(cfg.slots[0].mranges[1].first, 0xE0000000u);
    cr_assert_eq(cfg.slots[0].mranges[1].last, 0xE0FFFFFFu);
    cr_assert_eq(cfg.slots[1].backend, PD_VGA);
    cr_assert(cfg.slots[2].exclusive);
    cr_assert_not(cfg.slots[0].exclusive);
}

/* The vga backend: ports and the window reach the VGA model, the LFB
 * its VRAM; past the VRAM reads float, writes go nowhere. */
Test(remote_portd, vga_backend_memory)
{
    static PdDevice d;
    static Clock clock;
    static uint64_t icount;
    clock_init(&clock, 1000000000ull, &icount);
    PdSlotConfig sc = { .name = "vga", .backend = PD_VGA };
    cr_assert(pd_device_open(&d, &sc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    RsBackend be = pd_backend(&d);
    cr_assert(be.mread && be.mwrite);
    be.write(be.opaque, 0x3C4, 1, 2);       /* sequencer map mask */
    cr_assert_eq(be.read(be.opaque, 0x3C4, 1), 2);
    be.mwrite(be.opaque, RP_VGA_LFB_BASE + 16, 4, 0x11223344);
    cr_assert_eq(d.vga->vram[16], 0x44);
    cr_assert_eq(be.mread(be.opaque, RP_VGA_LFB_BASE + 16, 2), 0x3344);
    cr_assert_eq(be.mread(be.opaque, RP_VGA_LFB_BASE + d.vga->vram_size, 1), 0xFF);
    be.mwrite(be.opaque, RP_VGA_LFB_BASE + d.vga->vram_size, 1, 0);    /* no effect, no crash */
    be.mwrite(be.opaque, 0xB8000, 2, 0x1F41);  /* text mode after reset: the window is planar */
    cr_assert_eq(be.mread(be.opaque, 0xB8000, 2), 0x1F41);
    pd_device_close(&d);
}

/* --- partitioned disks: two instances, one image --- */

static uint8_t ata_status(RsBackend *be)
{
    return (uint8_t)be->read(be->opaque, 0x1F7, 1);
}

/* One sector by PIO (LBA28): write (data != NULL) or read into buf.
 * Returns the status after the command. */
static uint8_t ata_sector(RsBackend *be, uint32_t lba, const uint8_t *data, uint8_t *buf)
{
    be->write(be->opaque, 0x1F6, 1, 0xE0 | (lba >> 24 & 0x0F));
    be->write(be->opaque, 0x1F2, 1, 1);
    be->write(be->opaque, 0x1F3, 1, lba & 0xFF);
    be->write(be->opaque, 0x1F4, 1, lba >> 8 & 0xFF);
    be->write(be->opaque, 0x1F5, 1, lba >> 16 & 0xFF);
    be->write(be->opaque, 0x1F7, 1, data ? 0x30 : 0x20);
    uint8_t st = ata_status(be);
    if (st & 0x01)
        return st;                                  /* ERR: refused */
    for (int i = 0; i < 256; i++) {
        if (data)
            be->write(be->opaque, 0x1F0, 2, (uint32_t)(data[2 * i] | data[2 * i + 1] << 8));
        else {
            uint32_t w = be->read(be->opaque, 0x1F0, 2);
            buf[2 * i] = (uint8_t)w, buf[2 * i + 1] = (uint8_t)(w >> 8);
        }
    }
    return ata_status(be);
}

Test(remote_portd, partitioned_disk_confines_each_client)
{
    char img[] = "/tmp/kairo-part-XXXXXX";
    int fd = mkstemp(img);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, 2048 * 512), 0);
    static PdDevice a, b;
    PdSlotConfig sa = { .name = "ide0", .backend = PD_IDE, .partitioned = true,
                        .part_first = 0, .part_count = 1024 };
    PdSlotConfig sb = sa;
    sb.part_first = 1024;
    snprintf(sa.arg, sizeof sa.arg, "%s", img);
    snprintf(sb.arg, sizeof sb.arg, "%s", img);
    cr_assert(pd_device_open(&a, &sa, NULL, NULL, NULL, err, sizeof err), "%s", err);
    cr_assert(pd_device_open(&b, &sb, NULL, NULL, NULL, err, sizeof err), "%s", err);
    cr_assert(b.shares_disk && !a.shares_disk);
    RsBackend ba = pd_backend(&a), bb = pd_backend(&b);
    uint8_t sec[512], got[512];
    memset(sec, 0xA1, sizeof sec);
    cr_assert_eq(ata_sector(&ba, 5, sec, NULL) & 0x01, 0);
    memset(sec, 0xB2, sizeof sec);
    cr_assert_eq(ata_sector(&bb, 5, sec, NULL) & 0x01, 0);
    /* Each wrote its own LBA 5: sectors 5 and 1029 of the image. */
    cr_assert_eq(pread(fd, got, 512, 5 * 512), 512);
    cr_assert_eq(got[0], 0xA1);
    cr_assert_eq(pread(fd, got, 512, 1029 * 512), 512);
    cr_assert_eq(got[511], 0xB2);
    /* Past A's range (B's first sector): refused, counted, B's data intact. */
    memset(sec, 0xEE, sizeof sec);
    cr_assert(ata_sector(&ba, 1024, sec, NULL) & 0x01, "a write past the partition ran");
    cr_assert_eq(a.ide.dev[0].refused, 1);
    cr_assert_eq(ata_sector(&bb, 0, NULL, got) & 0x01, 0);
    cr_assert_eq(got[0], 0, "B's sector 0 was written by A");
    cr_assert_eq(ata_sector(&bb, 5, NULL, got) & 0x01, 0);
    cr_assert_eq(got[100], 0xB2);
    /* A partition outside the image is a one-line error. */
    static PdDevice c;
    PdSlotConfig sc2 = sb;
    sc2.part_first = 2000;
    cr_assert_not(pd_device_open(&c, &sc2, NULL, NULL, NULL, err, sizeof err));
    cr_assert(strstr(err, "not inside the image"), "%s", err);
    pd_device_close(&b);
    pd_device_close(&a);
    close(fd);
    unlink(img);
}

/* Muxed serial: two clients' UARTs into one file, a prefix per client;
 * console input goes to the focused client's UART only. */
Test(remote_portd, muxed_serial)
{
    static PdDevice a, b;
    static Clock clock;
    static uint64_t icount;
    clock_init(&clock, 1000000000ull, &icount);
    char path[] = "/tmp/kairo-mux-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    PdSlotConfig sc = { .name = "com1", .backend = PD_UART };
    snprintf(sc.arg, sizeof sc.arg, "mux:%s", path);
    cr_assert(pd_device_open(&a, &sc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    cr_assert(pd_device_open(&b, &sc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    RsBackend ba = pd_backend(&a), bb = pd_backend(&b);
    for (const char *p = "hi\n"; *p; p++)
        ba.write(ba.opaque, 0x3F8, 1, (uint8_t)*p);
    for (const char *p = "yo\nto"; *p; p++)
        bb.write(bb.opaque, 0x3F8, 1, (uint8_t)*p);
    static PdConsole con;
    pd_console_init(&con);
    pd_console_add(&con, &a);
    pd_console_add(&con, &b);
    char reply[200];
    pd_console_command(&con, -1, "focus 2", reply, sizeof reply);
    pd_console_command(&con, -1, "serial ab", reply, sizeof reply);
    cr_assert_str_eq(reply, "ok");
    for (const char *want = "ab"; *want; want++) {
        pd_console_tick(&con);
        cr_assert(bb.read(bb.opaque, 0x3FD, 1) & 0x01, "B has no byte waiting");
        cr_assert_eq(bb.read(bb.opaque, 0x3F8, 1), (uint32_t)*want);
        cr_assert_eq(ba.read(ba.opaque, 0x3FD, 1) & 0x01, 0, "A got console input");
    }
    pd_device_close(&a);
    pd_device_close(&b);
    FILE *f = fopen(path, "rb");
    char got[100] = "";
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    unlink(path);
    got[n] = 0;
    cr_assert_str_eq(got, "[1] hi\n[2] yo\n[2] to");
}

/* --- a mock port space behind the ioports backend --- */

static int ioperm_errno;
static unsigned long granted_from[8], granted_num[8];
static int n_granted;
static uint8_t space[65536];
static unsigned touched[65536];

static int mock_ioperm(unsigned long from, unsigned long num, int on)
{
    if (ioperm_errno) {
        errno = ioperm_errno;
        return -1;
    }
    cr_assert_eq(on, 1);
    granted_from[n_granted] = from;
    granted_num[n_granted++] = num;
    return 0;
}

static uint32_t mock_in(uint16_t port, unsigned width)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        touched[(uint16_t)(port + i)]++;
        v |= (uint32_t)space[(uint16_t)(port + i)] << (8 * i);
    }
    return v;
}

static void mock_out(uint16_t port, unsigned width, uint32_t v)
{
    for (unsigned i = 0; i < width; i++) {
        touched[(uint16_t)(port + i)]++;
        space[(uint16_t)(port + i)] = (uint8_t)(v >> (8 * i));
    }
}

static const PdPortSpace mock_ports = { mock_ioperm, mock_in, mock_out };

static PdSlotConfig lpt_config(void)
{
    PdSlotConfig sc = { .name = "lpt", .backend = PD_IOPORTS, .n_ranges = 2 };
    sc.ranges[0] = (RsRange){ 0x378, 0x37A, 1 };
    sc.ranges[1] = (RsRange){ 0x778, 0x77A, 1 | 2 };
    return sc;
}

Test(remote_portd, ioports_enosys_is_a_clear_error)
{
    static PdDevice d;
    PdSlotConfig sc = lpt_config();
    ioperm_errno = ENOSYS;
    cr_assert_not(pd_device_open(&d, &sc, NULL, NULL, &mock_ports, err, sizeof err));
    cr_assert(strstr(err, "ioperm(0x378, 3)"), "%s", err);
    cr_assert(strstr(err, "no I/O port access"), "%s", err);
    ioperm_errno = EPERM;
    cr_assert_not(pd_device_open(&d, &sc, NULL, NULL, &mock_ports, err, sizeof err));
    cr_assert(strstr(err, "CAP_SYS_RAWIO"), "%s", err);
    ioperm_errno = 0;
}

/* Through the server: allowed accesses reach the mock ports, anything else
 * is refused before the port space sees it. */
Test(remote_portd, ioports_only_inside_the_allowlist)
{
    static PdDevice d;
    static RemoteServer srv;
    uint8_t psk[RP_KEY_LEN] = { 0 };
    PdSlotConfig sc = lpt_config();
    cr_assert(rp_crypto_init());
    rs_init(&srv, psk);
    d.kind = sc.backend;
    RsBackend be = pd_backend(&d);
    RsSlot *s = rs_add_slot(&srv, sc.name, &be);
    for (int i = 0; i < sc.n_ranges; i++)
        cr_assert(rs_slot_allow_ports(s, sc.ranges[i].first, sc.ranges[i].last, sc.ranges[i].widths));
    n_granted = 0;
    cr_assert(pd_device_open(&d, &sc, s, NULL, &mock_ports, err, sizeof err), "%s", err);
    cr_assert_eq(n_granted, 2);
    cr_assert_eq(granted_from[0], 0x378);
    cr_assert_eq(granted_num[0], 3);
    cr_assert(rs_port_allowed(s, 0x378, 1));
    cr_assert(rs_port_allowed(s, 0x37A, 1));
    cr_assert_not(rs_port_allowed(s, 0x37B, 1));
    cr_assert_not(rs_port_allowed(s, 0x378, 2), "width 2 not allowed there");
    cr_assert(rs_port_allowed(s, 0x779, 2));
    cr_assert_not(rs_port_allowed(s, 0x77A, 2), "0x77A-0x77B leaves the range");
    cr_assert_not(rs_port_allowed(s, 0x778, 4));
    /* The backend itself reaches the mock. */
    be.write(be.opaque, 0x378, 1, 0xA5);
    cr_assert_eq(space[0x378], 0xA5);
    cr_assert_eq(be.read(be.opaque, 0x378, 1), 0xA5);
    memset(touched, 0, sizeof touched);
}

Test(remote_portd, mock_backend_and_uart_backend)
{
    static PdDevice d;
    static Clock clock;
    static uint64_t icount;
    clock_init(&clock, 1000000000ull, &icount);
    PdSlotConfig sc = { .name = "m", .backend = PD_MOCK };
    cr_assert(pd_device_open(&d, &sc, NULL, &clock, NULL, err, sizeof err));
    RsBackend be = pd_backend(&d);
    be.write(be.opaque, 0x100, 4, 0x11223344);
    cr_assert_eq(be.read(be.opaque, 0x102, 2), 0x1122);
    static PdDevice u;
    PdSlotConfig uc = { .name = "com2", .backend = PD_UART, .arg = "none" };
    cr_assert(pd_device_open(&u, &uc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    be = pd_backend(&u);
    be.write(be.opaque, 0x2FF, 1, 0x5A);            /* scratch register */
    cr_assert_eq(be.read(be.opaque, 0x2FF, 1), 0x5A);
    cr_assert(be.read(be.opaque, 0x2FD, 1) & 0x20, "THR empty");
    pd_device_close(&u);
    PdSlotConfig bad = { .name = "com3", .backend = PD_UART, .arg = "tcp:nowhere" };
    static PdDevice b;
    cr_assert_not(pd_device_open(&b, &bad, NULL, &clock, NULL, err, sizeof err));
}

/* Two guests writing at once: a line reaches the shared file only when it
 * is complete, so the other's line never lands inside it (each stream is
 * flushed after every byte, as after every batch in kairo-portd). */
Test(remote_portd, muxed_lines_never_interleave)
{
    static PdDevice a, b;
    static Clock clock;
    static uint64_t icount;
    clock_init(&clock, 1000000000ull, &icount);
    char path[] = "/tmp/kairo-mux-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    PdSlotConfig sc = { .name = "com1", .backend = PD_UART };
    snprintf(sc.arg, sizeof sc.arg, "mux:%s", path);
    cr_assert(pd_device_open(&a, &sc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    cr_assert(pd_device_open(&b, &sc, NULL, &clock, NULL, err, sizeof err), "%s", err);
    RsBackend ba = pd_backend(&a), bb = pd_backend(&b);
    const char *ta = "A:one\nA:two\n", *tb = "B:first\nB:second\n";
    while (*ta || *tb) {
        if (*ta) {
            ba.write(ba.opaque, 0x3F8, 1, (uint8_t)*ta++);
            pd_device_commit_output(&a, false);
        }
        if (*tb) {
            bb.write(bb.opaque, 0x3F8, 1, (uint8_t)*tb++);
            pd_device_commit_output(&b, false);
        }
    }
    pd_device_close(&a);
    pd_device_close(&b);
    FILE *f = fopen(path, "rb");
    char got[200] = "";
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    unlink(path);
    got[n] = 0;
    cr_assert_str_eq(got, "[1] A:one\n[2] B:first\n[1] A:two\n[2] B:second\n");
}
