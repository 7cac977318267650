/* SPDX-License-Identifier: MIT */
/* The gdb stub without gdb: the packet layer fed good and malformed bytes,
 * and the stub over a socketpair driving a harness CPU (breakpoint, step,
 * watchpoint, Ctrl-C, memory through paging, error replies). */
#include <criterion/criterion.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/mem_access.h"
#include "debug/gdbpacket.h"
#include "debug/gdbstub.h"
#include "tests/unit/cpu_harness.h"

/* ======== packet layer ======== */

static GdbRxEvent feed(GdbRx *rx, const char *bytes, size_t len)
{
    GdbRxEvent last = GDB_RX_NONE;
    for (size_t i = 0; i < len; i++) {
        GdbRxEvent ev = gdb_rx_byte(rx, (uint8_t)bytes[i]);
        if (ev != GDB_RX_NONE)
            last = ev;
    }
    return last;
}

static GdbRxEvent feed_str(GdbRx *rx, const char *s)
{
    return feed(rx, s, strlen(s));
}

Test(gdbpacket, good_packet_and_checksum)
{
    static GdbRx rx;
    gdb_rx_init(&rx);
    cr_assert_eq(feed_str(&rx, "$g#67"), GDB_RX_PACKET);
    cr_assert_str_eq(rx.buf, "g");
    cr_assert_eq(feed_str(&rx, "$qSupported:swbreak+#8b"), GDB_RX_PACKET);
    cr_assert_str_eq(rx.buf, "qSupported:swbreak+");
    cr_assert_eq(feed_str(&rx, "$#00"), GDB_RX_PACKET, "an empty packet");
    cr_assert_eq(rx.len, 0);
}

Test(gdbpacket, malformed_checksums)
{
    static GdbRx rx;
    gdb_rx_init(&rx);
    cr_assert_eq(feed_str(&rx, "$g#68"), GDB_RX_BAD_CHECKSUM);
    cr_assert_eq(feed_str(&rx, "$g#6"), GDB_RX_NONE, "incomplete");
    cr_assert_eq(feed_str(&rx, "z"), GDB_RX_BAD_CHECKSUM, "non-hex second digit");
    cr_assert_eq(feed_str(&rx, "$g#x7"), GDB_RX_BAD_CHECKSUM, "non-hex first digit");
    /* After garbage, the next good packet still parses. */
    cr_assert_eq(feed_str(&rx, "junk$g#67"), GDB_RX_PACKET);
}

Test(gdbpacket, restart_interrupt_acks)
{
    static GdbRx rx;
    gdb_rx_init(&rx);
    cr_assert_eq(feed_str(&rx, "$mmm$g#67"), GDB_RX_PACKET, "a '$' restarts the packet");
    cr_assert_str_eq(rx.buf, "g");
    cr_assert_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    cr_assert_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    cr_assert_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NACK);
    /* Inside a packet 0x03 is data (X packets are binary). */
    char pkt[16];
    char data[] = { 'X', 0x03 };
    size_t n = gdb_frame(data, 2, pkt, sizeof pkt);
    cr_assert_eq(feed(&rx, pkt, n), GDB_RX_PACKET);
    cr_assert_eq(rx.len, 2);
    cr_assert_eq(rx.buf[1], 0x03);
}

Test(gdbpacket, too_long)
{
    static GdbRx rx;
    static char big[GDB_PACKET_MAX + 100];
    static char framed[GDB_PACKET_MAX + 200];
    gdb_rx_init(&rx);
    memset(big, 'a', sizeof big);
    size_t n = gdb_frame(big, sizeof big, framed, sizeof framed);
    cr_assert_gt(n, 0);
    cr_assert_eq(feed(&rx, framed, n), GDB_RX_TOO_LONG);
    cr_assert_eq(feed_str(&rx, "$g#67"), GDB_RX_PACKET, "and the next one is fine");
    cr_assert_eq(gdb_frame(big, sizeof big, framed, 10), 0, "a frame that does not fit");
}

Test(gdbpacket, hex_and_binary)
{
    const char *p = "1f,";
    uint32_t v;
    cr_assert(gdb_parse_hex(&p, &v));
    cr_assert_eq(v, 0x1f);
    cr_assert_str_eq(p, ",");
    p = "ffffffff";
    cr_assert(gdb_parse_hex(&p, &v));
    cr_assert_eq(v, 0xffffffffu);
    p = "100000000";
    cr_assert_not(gdb_parse_hex(&p, &v), "33 bits");
    p = ",1";
    cr_assert_not(gdb_parse_hex(&p, &v), "no digit");
    uint8_t b[4];
    cr_assert(gdb_hex_decode("0aFf", 2, b));
    cr_assert(b[0] == 0x0a && b[1] == 0xff);
    cr_assert_not(gdb_hex_decode("0g", 1, b));
    cr_assert_not(gdb_hex_decode("0", 1, b), "odd length ends at the NUL");
    char hex[9];
    gdb_hex_encode((const uint8_t *)"\x12\xab", 2, hex);
    cr_assert_str_eq(hex, "12ab");
    cr_assert_eq(gdb_unescape("a}\x03", 3, b), 2);
    cr_assert(b[0] == 'a' && b[1] == '#');
    cr_assert_eq(gdb_unescape("a}", 2, b), -1, "dangling escape");
    char esc[8];
    cr_assert_eq(gdb_escape("#*", 2, esc, sizeof esc), 4);
    cr_assert(esc[0] == '}' && esc[1] == ('#' ^ 0x20) && esc[2] == '}' && esc[3] == ('*' ^ 0x20));
    cr_assert_eq(gdb_escape("##", 2, esc, 3), 0, "does not fit");
}

/* ======== the stub over a socketpair ======== */

typedef struct {
    Cpu *cpu;
    GdbStub *stub;
    int fd;   /* our end: the "gdb" side */
    volatile sig_atomic_t host_signal;
} Session;

static void session_open(Session *s)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    s->cpu = h_cpu_new(1, true);
    s->stub = gdb_stub_new_connected(sv[1], s->cpu);
    cr_assert_not_null(s->stub);
    s->fd = sv[0];
    s->host_signal = 0;
}

static void session_close(Session *s)
{
    gdb_stub_free(s->stub);
    close(s->fd);
    h_cpu_free(s->cpu);
}

static void send_bytes(Session *s, const void *data, size_t len)
{
    cr_assert_eq(write(s->fd, data, len), (ssize_t)len);
}

static void send_packet_len(Session *s, const char *payload, size_t len)
{
    char framed[GDB_PACKET_MAX + 8];
    size_t n = gdb_frame(payload, len, framed, sizeof framed);
    send_bytes(s, framed, n);
}

static void send_packet(Session *s, const char *payload)
{
    send_packet_len(s, payload, strlen(payload));
}

/* The next thing the stub sent: '+', '-', or a packet's payload (its
 * checksum verified). */
static const char *next_reply(Session *s)
{
    static GdbRx rx;
    static char ack[2];
    gdb_rx_init(&rx);
    for (;;) {
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        cr_assert_gt(poll(&p, 1, 2000), 0, "no reply from the stub");
        uint8_t c;
        cr_assert_eq(read(s->fd, &c, 1), 1);
        GdbRxEvent ev = gdb_rx_byte(&rx, c);
        if (ev == GDB_RX_ACK || ev == GDB_RX_NACK) {
            ack[0] = (char)c;
            return ack;
        }
        cr_assert_neq(ev, GDB_RX_BAD_CHECKSUM, "the stub sent a bad checksum");
        if (ev == GDB_RX_PACKET)
            return rx.buf;
    }
}

/* The reply to one packet: its '+' then its payload. */
static const char *reply_of(Session *s)
{
    cr_assert_str_eq(next_reply(s), "+");
    return next_reply(s);
}

static GdbVerdict service(Session *s)
{
    return gdb_stub_service(s->stub, &s->host_signal);
}

Test(gdbstub, malformed_packets_get_error_replies)
{
    Session s;
    session_open(&s);
    static const struct { const char *packet, *reply; } cases[] = {
        { "m", "E22" },
        { "mzz,4", "E22" },
        { "m10000", "E22" },
        { "m1ffffffff,4", "E22" },
        { "m0,4x", "E22" },
        { "M0,4:zz", "E22" },
        { "M0,2:001122", "E22" },
        { "X0,2:}", "E22" },
        { "X0,3:ab", "E22" },
        { "Z0,abc", "E22" },
        { "Z0,10000,1;X1,0", "E22" },
        { "Z9,10000,1", "" },
        { "Z2,10000,0", "E22" },
        { "Z2,ffffffff,4", "E22" },
        { "z", "E22" },
        { "p", "E22" },
        { "p1000", "E22" },
        { "P8=0011", "E22" },
        { "P8=zz112233", "E22" },
        { "Px=00000000", "E22" },
        { "G123", "E22" },
        { "cxyz", "E22" },
        { "C05;zz", "E22" },
        { "vCont;q", "E22" },
        { "vCont;c:2", "E22" },
        { "vCont;cc", "E22" },
        { "qXfer:features:read:other.xml:0,10", "E00" },
        { "qXfer:features:read:target.xml:zz", "E22" },
        { "qXfer:features:read:target.xml:ffff,10", "E22" },
        { "Qbogus", "" },
        { "\x01\x02", "" },
        { "bs", "" },   /* no reverse execution without --reverse */
        { "bc", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        send_packet(&s, cases[i].packet);
    send_bytes(&s, "$g#00", 5);   /* bad checksum */
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_KILL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(reply_of(&s), cases[i].reply, "packet '%s'", cases[i].packet);
    cr_assert_str_eq(next_reply(&s), "-", "a bad checksum is refused");
    cr_assert_str_eq(next_reply(&s), "+", "k is acknowledged");
    session_close(&s);
}

Test(gdbstub, queries_registers_and_memory)
{
    Session s;
    session_open(&s);
    h_load(s.cpu, 0x20000, "\x11\x22\x33\x44", 4);
    s.cpu->gpr[R_EAX] = 0x12345678;
    s.cpu->eip = 0xABCD;
    send_packet(&s, "qSupported:multiprocess+;swbreak+");
    send_packet(&s, "QStartNoAckMode");
    send_packet(&s, "?");
    send_packet(&s, "qAttached");
    send_packet(&s, "qC");
    send_packet(&s, "qfThreadInfo");
    send_packet(&s, "qsThreadInfo");
    send_packet(&s, "p0");
    send_packet(&s, "p8");
    send_packet(&s, "P0=efbeadde");
    send_packet(&s, "m20000,4");
    send_packet(&s, "M20001,2:aabb");
    send_packet(&s, "X20002,2:}\x03}\x04");   /* '#' and '$' escaped */
    send_packet(&s, "m20000,4");
    send_packet(&s, "qXfer:features:read:target.xml:0,20");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_KILL);
    cr_assert_str_eq(reply_of(&s), "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;"
                                   "QStartNoAckMode+;vContSupported+");
    cr_assert_str_eq(reply_of(&s), "OK");
    /* No acks from here on. */
    cr_assert(!strncmp(next_reply(&s), "T05thread:01;", 13));
    cr_assert_str_eq(next_reply(&s), "1");
    cr_assert_str_eq(next_reply(&s), "QC01");
    cr_assert_str_eq(next_reply(&s), "m01");
    cr_assert_str_eq(next_reply(&s), "l");
    cr_assert_str_eq(next_reply(&s), "78563412");
    cr_assert_str_eq(next_reply(&s), "cdab0000");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_eq(s.cpu->gpr[R_EAX], 0xDEADBEEF);
    cr_assert_str_eq(next_reply(&s), "11223344");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "11aa2324");
    const char *xml = next_reply(&s);
    cr_assert(!strncmp(xml, "m<?xml version=\"1.0\"?>", 22) && strlen(xml) == 33, "%s", xml);
    session_close(&s);
}

/* A reverse hook that answers from a script: what a reverse command left. */
static int reverse_calls, fork_calls;
static bool fake_reverse(void *opaque, bool step, DbgStop *stop, bool *begin)
{
    (void)opaque;
    reverse_calls++;
    *begin = false;
    if (step) {
        *stop = (DbgStop){ .kind = DSTOP_STEP };
        *begin = reverse_calls == 3;
    } else if (reverse_calls == 2) {
        *stop = (DbgStop){ .kind = DSTOP_WATCH, .type = WATCH_WRITE, .addr = 0x1234 };
    } else {
        return false;
    }
    return true;
}

static void fake_fork(void *opaque)
{
    (void)opaque;
    fork_calls++;
}

Test(gdbstub, reverse_packets)
{
    Session s;
    session_open(&s);
    gdb_stub_set_reverse(s.stub, fake_reverse, fake_fork, NULL);
    reverse_calls = fork_calls = 0;
    send_packet(&s, "qSupported:swbreak+");
    send_packet(&s, "bs");
    send_packet(&s, "bc");
    send_packet(&s, "bs");
    send_packet(&s, "bc");
    send_packet(&s, "P0=efbeadde");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_KILL);
    const char *sup = reply_of(&s);
    cr_assert(strstr(sup, ";ReverseStep+;ReverseContinue+"), "%s", sup);
    cr_assert(!strncmp(reply_of(&s), "T05thread:01;04:", 16), "a step: no reason");
    cr_assert(!strncmp(reply_of(&s), "T05thread:01;watch:00001234;", 28));
    cr_assert(!strncmp(reply_of(&s), "T05thread:01;replaylog:begin;", 29));
    cr_assert_str_eq(reply_of(&s), "E01", "the hook failed");
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_eq(reverse_calls, 4);
    cr_assert_eq(fork_calls, 1, "a register write forks the history");
}

/* -smp: a thread per CPU; Hg picks whose registers gdb reads and writes. */
Test(gdbstub, threads_are_cpus)
{
    Session s;
    session_open(&s);
    Cpu *ap = cpu_new(s.cpu->mem, s.cpu->io);
    cr_assert_not_null(ap);
    ap->apic_id = 1;
    Cpu *cpus[2] = { s.cpu, ap };
    gdb_stub_set_cpus(s.stub, cpus, 2);
    s.cpu->gpr[R_EAX] = 0x11111111;
    ap->gpr[R_EAX] = 0x22222222;
    send_packet(&s, "QStartNoAckMode");
    send_packet(&s, "qfThreadInfo");
    send_packet(&s, "T2");
    send_packet(&s, "T3");
    send_packet(&s, "Hg2");
    send_packet(&s, "p0");
    send_packet(&s, "P0=44332211");
    send_packet(&s, "Hg3");
    send_packet(&s, "Hg1");
    send_packet(&s, "p0");
    send_packet(&s, "qThreadExtraInfo,2");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_KILL);
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "m01,02");
    cr_assert_str_eq(next_reply(&s), "OK", "thread 2 is alive");
    cr_assert_str_eq(next_reply(&s), "E22", "there is no thread 3");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "22222222", "the AP's EAX");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_eq(ap->gpr[R_EAX], 0x11223344u, "written to the AP");
    cr_assert_eq(s.cpu->gpr[R_EAX], 0x11111111u, "not to the BSP");
    cr_assert_str_eq(next_reply(&s), "E22");
    cr_assert_str_eq(next_reply(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "11111111", "the BSP again");
    cr_assert_str_eq(next_reply(&s), "4350552031", "hex of 'CPU 1'");
    cpu_free(ap);
    session_close(&s);
}

Test(gdbstub, unmapped_memory_is_e14)
{
    Session s;
    session_open(&s);
    /* Paging on with an empty page directory: nothing is mapped. */
    for (uint32_t a = 0x80000; a < 0x81000; a += 4)
        h_write32(s.cpu, a, 0);
    s.cpu->cr3 = 0x80000;
    s.cpu->cr0 |= CR0_PG;
    tlb_flush_all(s.cpu);
    send_packet(&s, "m1000,4");
    send_packet(&s, "M1000,1:00");
    send_packet(&s, "X1000,1:a");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_KILL);
    cr_assert_str_eq(reply_of(&s), "E14");
    cr_assert_str_eq(reply_of(&s), "E14");
    cr_assert_str_eq(reply_of(&s), "E14");
    session_close(&s);
}

static void load_code(Session *s, const char *code, size_t len)
{
    h_load(s->cpu, H_CODE, code, len);
    s->cpu->eip = H_CODE;
}

Test(gdbstub, breakpoint_then_step)
{
    Session s;
    session_open(&s);
    /* nop; nop; inc eax; inc eax; jmp $ */
    load_code(&s, "\x90\x90\x40\x40\xEB\xFE", 6);
    send_packet(&s, "Z0,10002,1");
    send_packet(&s, "c");
    send_packet(&s, "s");
    send_packet(&s, "vCont;s:1");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->eip, 0x10002, "stopped before the instruction at the breakpoint");
    cr_assert_eq(service(&s), GDB_GO);   /* the step */
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->eip, 0x10003);
    cr_assert_eq(s.cpu->gpr[R_EAX], 1);
    cr_assert_eq(service(&s), GDB_GO);   /* vCont step */
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->eip, 0x10004);
    cr_assert_eq(service(&s), GDB_KILL);
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "+");   /* c: the reply is the stop */
    cr_assert_str_eq(next_reply(&s), "T05thread:01;swbreak:;04:00000900;05:00000000;08:02000100;");
    cr_assert_str_eq(next_reply(&s), "+");
    cr_assert(strstr(next_reply(&s), "08:03000100;"));
    cr_assert_str_eq(next_reply(&s), "+");
    cr_assert(strstr(next_reply(&s), "08:04000100;"));
    session_close(&s);
}

Test(gdbstub, continue_from_a_breakpoint_runs_its_instruction)
{
    Session s;
    session_open(&s);
    load_code(&s, "\x40\xEB\xFD", 3);   /* inc eax; jmp short back to it */
    send_packet(&s, "Z0,10000,1");
    send_packet(&s, "c");
    send_packet(&s, "c");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->gpr[R_EAX], 1, "not stopped where the guest was resumed");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->gpr[R_EAX], 2);
    cr_assert_eq(s.cpu->eip, 0x10000);
    cr_assert_eq(service(&s), GDB_KILL);
    session_close(&s);
}

Test(gdbstub, watchpoints_stop_after_the_access)
{
    Session s;
    session_open(&s);
    /* The first access to each page fills the TLB: the watched accesses
     * come after it, so they are caught on a page kept off the fast path. */
    load_code(&s,
              "\xA3\x00\x00\x02\x00"       /* mov [0x20000], eax */
              "\xA3\x04\x00\x02\x00"       /* mov [0x20004], eax */
              "\x8B\x1D\x08\x00\x02\x00"   /* mov ebx, [0x20008] */
              "\xA1\x00\x00\x02\x00"       /* mov eax, [0x20000] */
              "\xEB\xFE",                  /* jmp $ */
              23);
    send_packet(&s, "Z2,20004,4");
    send_packet(&s, "c");
    send_packet(&s, "z2,20004,4");
    send_packet(&s, "Z3,20002,1");
    send_packet(&s, "c");
    send_packet(&s, "k");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->eip, 0x1000A, "right after the store");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 1000);
    cr_assert_eq(s.cpu->eip, 0x10015, "right after the load");
    cr_assert_eq(service(&s), GDB_KILL);
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "+");
    cr_assert(strstr(next_reply(&s), "watch:00020004;"));
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_str_eq(reply_of(&s), "OK");
    cr_assert_str_eq(next_reply(&s), "+");
    cr_assert(strstr(next_reply(&s), "rwatch:00020002;"));
    session_close(&s);
}

Test(gdbstub, ctrl_c_stops_a_running_guest)
{
    Session s;
    session_open(&s);
    load_code(&s, "\xEB\xFE", 2);   /* jmp $ */
    send_packet(&s, "c");
    cr_assert_eq(service(&s), GDB_GO);
    cpu_run(s.cpu, 10000);
    cr_assert_eq(service(&s), GDB_GO, "still running");
    send_bytes(&s, "\x03", 1);
    send_packet(&s, "D");
    cr_assert_eq(service(&s), GDB_GO, "detached: running again");
    cr_assert_str_eq(next_reply(&s), "+");
    cr_assert(!strncmp(next_reply(&s), "T02thread:01;", 13), "SIGINT");
    cr_assert_str_eq(reply_of(&s), "OK");
    char c;
    cr_assert_eq(read(s.fd, &c, 1), 0, "the stub closed the connection");
    session_close(&s);
}

/* Counts the packets the stub sends until it closes the connection. */
static void *count_replies(void *arg)
{
    int fd = *(int *)arg;
    static GdbRx rx;
    static long packets;
    gdb_rx_init(&rx);
    packets = 0;
    uint8_t buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            packets += gdb_rx_byte(&rx, buf[i]) == GDB_RX_PACKET;
    return &packets;
}

enum { RANDOM_PACKETS = 3000 };

/* Random packets built from the protocol's own characters, then k.
 * Resume, detach and kill letters are left out so that the guest stays
 * stopped until the end. */
static void *send_random_packets(void *arg)
{
    Session *s = arg;
    static const char first[] = "gGpPmMXZzqQHT?";
    static const char rest[] = "0123456789abcdefABCDEF,:;=}*xqQSupportedfeatures.-";
    unsigned seed = 12345;
    for (int i = 0; i < RANDOM_PACKETS; i++) {
        char pkt[48];
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % (sizeof pkt - 1);
        pkt[0] = first[(seed >> 8) % (sizeof first - 1)];
        for (size_t k = 1; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            pkt[k] = rest[(seed >> 16) % (sizeof rest - 1)];
        }
        send_packet_len(s, pkt, len);
    }
    send_packet(s, "k");
    return NULL;
}

/* Every random packet gets exactly one reply and the stub survives (the
 * sanitizer build checks its memory accesses). Sender and reader are
 * threads, so that neither socket buffer can fill up and block the stub. */
Test(gdbstub, random_packets_each_get_a_reply)
{
    Session s;
    session_open(&s);
    pthread_t sender, reader;
    cr_assert_eq(pthread_create(&reader, NULL, count_replies, &s.fd), 0);
    cr_assert_eq(pthread_create(&sender, NULL, send_random_packets, &s), 0);
    cr_assert_eq(service(&s), GDB_KILL);
    pthread_join(sender, NULL);
    gdb_stub_free(s.stub);   /* closes its end: the reader sees EOF */
    void *count;
    pthread_join(reader, &count);
    cr_assert_eq(*(long *)count, RANDOM_PACKETS, "%ld replies", *(long *)count);
    close(s.fd);
    h_cpu_free(s.cpu);
}

Test(gdbstub, host_signal_while_stopped)
{
    Session s;
    session_open(&s);
    s.host_signal = 2;
    cr_assert_eq(service(&s), GDB_HOST_SIGNAL);
    session_close(&s);
}
