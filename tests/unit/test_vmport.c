/* SPDX-License-Identifier: MIT */
/* -device vmport: backdoor commands, the message channels (low- and
 * high-bandwidth), RPCI requests and replies, TCLO requests, the NIC
 * report parser, and malformed calls getting error statuses. */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/vmport.h"
#include "devstate_harness.h"

enum { AX, CX, DX, BX, SP, BP, SI, DI };

static Vmport vm;
static PortBus bus;
static uint32_t r[9];
static unsigned chan;           /* the channel msg() talks on */
static uint32_t cookie_hi, cookie_lo;

static void setup(void)
{
    memset(&vm, 0, sizeof vm);
    memset(r, 0, sizeof r);
    portbus_init(&bus);
    cr_assert(vmport_init(&vm, &bus));
    vmport_attach_regs(&vm, r);
}

static void teardown(void) { vmport_desc.teardown(&vm); }

TestSuite(vmport, .init = setup, .fini = teardown);

static void call(uint32_t cmd, uint32_t bx)
{
    r[AX] = VMPORT_MAGIC;
    r[CX] = cmd;
    r[BX] = bx;
    r[DX] = (r[DX] & 0xFFFF0000u) | VMPORT_PORT;
    r[AX] = portbus_read(&bus, VMPORT_PORT, 4);
}

static unsigned status(void) { return r[CX] >> 16; }

/* Open a channel; returns its id, leaves the cookies in ESI/EDI. */
static unsigned open_channel(uint32_t proto)
{
    call(BD_MESSAGE | MSG_OPEN << 16, proto | MSG_FLAG_COOKIE);
    cr_assert_eq(status() & MSG_ST_SUCCESS, MSG_ST_SUCCESS);
    cookie_hi = r[SI], cookie_lo = r[DI];
    return chan = r[DX] >> 16;
}

/* As the tools do: channel and cookies set again for every call (the
 * replies overwrite DX's high half with a message type). */
static void msg(unsigned type, uint32_t bx)
{
    r[DX] = chan << 16;
    r[SI] = cookie_hi, r[DI] = cookie_lo;
    call(BD_MESSAGE | type << 16, bx);
}

/* Send over the low-bandwidth port, 4 bytes a call. */
static void send_lb(const char *text)
{
    uint32_t n = (uint32_t)strlen(text);
    msg(MSG_SENDSIZE, n);
    cr_assert_eq(status() & MSG_ST_SUCCESS, MSG_ST_SUCCESS);
    for (uint32_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (uint32_t k = 0; k < 4 && i + k < n; k++)
            v |= (uint32_t)(uint8_t)text[i + k] << (8 * k);
        msg(MSG_SENDPAYLOAD, v);
        cr_assert_eq(status(), MSG_ST_SUCCESS);
    }
}

/* Receive over the low-bandwidth port; returns the length (0: none). */
static uint32_t recv_lb(char *out, uint32_t cap)
{
    msg(MSG_RECVSIZE, 0);
    cr_assert(status() & MSG_ST_SUCCESS);
    if (!(status() & MSG_ST_DORECV))
        return 0;
    uint32_t n = r[BX];
    cr_assert_lt(n, cap);
    for (uint32_t i = 0; i < n; i += 4) {
        msg(MSG_RECVPAYLOAD, MSG_ST_SUCCESS);
        cr_assert_eq(status(), MSG_ST_SUCCESS);
        for (uint32_t k = 0; k < 4 && i + k < n; k++)
            out[i + k] = (char)(r[BX] >> (8 * k));
    }
    out[n] = 0;
    msg(MSG_RECVSTATUS, MSG_ST_SUCCESS);
    cr_assert_eq(status(), MSG_ST_SUCCESS);
    return n;
}

Test(vmport, getversion_and_friends)
{
    call(BD_GETVERSION, ~VMPORT_MAGIC);
    cr_assert_eq(r[AX], 6);
    cr_assert_eq(r[BX], VMPORT_MAGIC);
    call(BD_GETMHZ, 0);
    cr_assert_eq(r[AX], 1000);
    call(BD_GETHWVERSION, 0);
    cr_assert_eq(r[AX], 7);
}

Test(vmport, gettime_follows_the_clock)
{
    vm.epoch = 1700000000;
    call(BD_GETTIMEFULL, 0);
    cr_assert_eq(r[AX], VMPORT_MAGIC);
    cr_assert_eq(r[DX], 1700000000u);
    cr_assert_eq(r[SI], 0);
    call(BD_GETTIME, 0);
    cr_assert_eq(r[AX], 1700000000u);
}

Test(vmport, no_magic_no_answer)
{
    r[AX] = 0x12345678;
    r[BX] = 7;
    r[CX] = BD_GETVERSION;
    cr_assert_eq(portbus_read(&bus, VMPORT_PORT, 4), 0xFFFFFFFFu);
    cr_assert_eq(r[BX], 7);
    r[AX] = VMPORT_MAGIC;
    cr_assert_eq(portbus_read(&bus, VMPORT_PORT, 1), 0xFFu);   /* only IN EAX answers */
}

Test(vmport, unknown_command_leaves_registers)
{
    call(0xFFFE, 0x1111);
    cr_assert_eq(r[BX], 0x1111);
}

Test(vmport, rpci_info_get_low_bandwidth)
{
    cr_assert(vmport_set_guestinfo(&vm, "guestinfo.kairo=forty-two"));
    open_channel(MSG_PROTO_RPCI);
    send_lb("info-get guestinfo.kairo");
    char out[64];
    cr_assert_eq(recv_lb(out, sizeof out), 11);
    cr_assert_str_eq(out, "1 forty-two");
    send_lb("info-get guestinfo.missing");
    recv_lb(out, sizeof out);
    cr_assert_eq(out[0], '0');
    msg(MSG_CLOSE, 0);
    cr_assert_eq(status(), MSG_ST_SUCCESS);
}

Test(vmport, rpci_high_bandwidth_in_pieces)
{
    unsigned id = open_channel(MSG_PROTO_RPCI);
    const char *req = "info-set guestinfo.a some value";
    uint32_t n = (uint32_t)strlen(req);
    msg(MSG_SENDSIZE, n);
    cr_assert(status() & MSG_ST_HB);
    r[AX] = VMPORT_MAGIC;
    r[BX] = MSG_ST_SUCCESS << 16;
    r[DX] = id << 16 | VMPORT_HB_PORT;
    portbus_write_string(&bus, VMPORT_HB_PORT, 1, req, 5);      /* a page run */
    cr_assert_eq(r[BX] >> 16, MSG_ST_SUCCESS);
    for (uint32_t i = 5; i < n; i++)                             /* then byte by byte */
        portbus_write(&bus, VMPORT_HB_PORT, 1, (uint8_t)req[i]);
    cr_assert_eq(r[BX] >> 16, MSG_ST_SUCCESS);
    msg(MSG_RECVSIZE, 0);
    cr_assert_eq(status(), MSG_ST_SUCCESS | MSG_ST_DORECV | MSG_ST_HB);
    cr_assert_eq(r[BX], 2);
    char out[4] = { 0 };
    r[BX] = MSG_ST_SUCCESS << 16;
    r[DX] = id << 16 | VMPORT_HB_PORT;
    portbus_read_string(&bus, VMPORT_HB_PORT, 1, out, 2);
    cr_assert_eq(r[BX] >> 16, MSG_ST_SUCCESS);
    cr_assert_str_eq(out, "1 ");
    cr_assert_str_eq(vm.info[0].key, "guestinfo.a");
    cr_assert_str_eq(vm.info[0].value, "some value");
    /* Reading past the message fails. */
    portbus_read_string(&bus, VMPORT_HB_PORT, 1, out, 3);
    cr_assert_eq(r[BX] >> 16, 0);
}

Test(vmport, bad_calls_fail)
{
    call(BD_MESSAGE | MSG_OPEN << 16, 0x12345678);      /* unknown protocol */
    cr_assert_eq(status(), 0);
    open_channel(MSG_PROTO_RPCI);
    cookie_lo ^= 1;                                     /* wrong cookie */
    msg(MSG_SENDSIZE, 4);
    cr_assert_eq(status(), 0);
    cookie_lo ^= 1;
    msg(MSG_SENDSIZE, VMPORT_MSG_MAX + 1);              /* too long */
    cr_assert_eq(status(), 0);
    msg(MSG_SENDPAYLOAD, 0);                            /* nothing announced */
    cr_assert_eq(status(), 0);
    msg(MSG_RECVPAYLOAD, 1);                            /* nothing to receive */
    cr_assert_eq(status(), 0);
    msg(9, 0);                                          /* no such type */
    cr_assert_eq(status(), 0);
    r[DX] = 7u << 16 | VMPORT_PORT;                     /* a closed channel */
    call(BD_MESSAGE | MSG_CLOSE << 16, 0);
    cr_assert_eq(status(), 0);
    /* High bandwidth without the magic or on no channel. */
    r[AX] = 0;
    r[BX] = MSG_ST_SUCCESS << 16;
    portbus_write_string(&bus, VMPORT_HB_PORT, 1, "abcd", 4);
    cr_assert_eq(r[BX] >> 16, 0);
}

Test(vmport, all_channels_in_use)
{
    for (int i = 0; i < VMPORT_CHANNELS; i++)
        open_channel(MSG_PROTO_RPCI);
    call(BD_MESSAGE | MSG_OPEN << 16, MSG_PROTO_RPCI);
    cr_assert_eq(status(), 0);
}

Test(vmport, tclo_requests_reach_the_guest)
{
    const char *err = NULL;
    cr_assert_not(vmport_guest_request(&vm, "poweroff", &err));   /* no tools yet */
    open_channel(MSG_PROTO_TCLO);
    cr_assert(vm.guest.tools_running);
    cr_assert(vmport_guest_request(&vm, "poweroff", &err));
    cr_assert_not(vmport_guest_request(&vm, "explode", &err));
    send_lb("");                                        /* the first poll */
    char out[64];
    recv_lb(out, sizeof out);
    cr_assert_str_eq(out, "reset");                     /* queued when the loop opened */
    send_lb("OK ATR toolbox");
    recv_lb(out, sizeof out);
    cr_assert_str_eq(out, "Capabilities_Register");
    send_lb("OK ");
    cr_assert_eq(recv_lb(out, sizeof out), 7);
    cr_assert_str_eq(out, "OS_Halt");
    send_lb("OK ");
    cr_assert_str_eq(vm.guest.last_reply, "OK ");
    cr_assert_eq(recv_lb(out, sizeof out), 0);          /* nothing more */
}

static uint32_t rpci(const char *req, char *out, uint32_t cap)
{
    uint32_t n = vmport_rpci_reply(&vm, req, (uint32_t)strlen(req), out, cap - 1);
    out[n] = 0;
    return n;
}

Test(vmport, rpci_requests)
{
    char out[300];
    rpci("", out, sizeof out);
    cr_assert_str_eq(out, "0 Unknown command");
    rpci("info-set", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("info-set guestinfo.", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("info-set other.key 1", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("info-get", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("SetGuestInfo  5 Debian GNU/Linux 12", out, sizeof out);
    cr_assert_str_eq(out, "1 ");
    cr_assert_str_eq(vm.guest.os_full, "Debian GNU/Linux 12");
    rpci("SetGuestInfo  11 structured", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("SetGuestInfo  x", out, sizeof out);
    cr_assert_eq(out[0], '0');
    rpci("tools.capability.hgfs_server toolbox 1", out, sizeof out);
    cr_assert_str_eq(out, "1 ");
    char longval[400];
    memset(longval, 'v', sizeof longval);
    memcpy(longval, "info-set guestinfo.x ", 21);
    longval[sizeof longval - 1] = 0;
    rpci(longval, out, sizeof out);                     /* cut to the value size */
    cr_assert_str_eq(out, "1 ");
    cr_assert_eq(strlen(vm.info[0].value), VMPORT_VALUE_MAX - 1);
    cr_assert_not(vmport_set_guestinfo(&vm, "guestinfo.=x"));
    cr_assert_not(vmport_set_guestinfo(&vm, "other=x"));
}

/* A GuestNicProto v3 with one NIC, one IPv4 address. */
static size_t nic_report(uint8_t *b)
{
    static const uint32_t words[] = { 3, 1, 1, 17 };
    size_t n = 0;
    for (size_t i = 0; i < 4; i++, n += 4)
        b[n] = 0, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = (uint8_t)words[i];
    memcpy(b + n, "52:54:00:12:34:56\0\0\0", 20);
    n += 20;
    static const uint8_t rest[] = { 0, 0, 0, 1,  0, 0, 0, 1,  0, 0, 0, 4,  10, 0, 2, 15,
                                    0, 0, 0, 24, 0, 0, 0, 0,  0, 0, 0, 1,  0, 0, 0, 1 };
    memcpy(b + n, rest, sizeof rest);
    return n + sizeof rest;
}

Test(vmport, nic_report)
{
    uint8_t b[128];
    size_t n = nic_report(b);
    cr_assert(vmport_parse_nicinfo(&vm.guest, b, n));
    cr_assert_str_eq(vm.guest.mac, "52:54:00:12:34:56");
    cr_assert_str_eq(vm.guest.nic_ips, "10.0.2.15");
    for (size_t cut = 0; cut < n; cut++)
        cr_assert_not(vmport_parse_nicinfo(&vm.guest, b, cut), "cut at %zu", cut);
    b[12] = 0x7F;                                       /* a MAC longer than the data */
    cr_assert_not(vmport_parse_nicinfo(&vm.guest, b, n));
}

/* Low-bandwidth receive steps of 4 past a 5-byte message, then a
 * high-bandwidth read: refused, never a read past the message. */
Test(vmport, receive_steps_stay_inside_the_message)
{
    cr_assert(vmport_set_guestinfo(&vm, "guestinfo.k=abc"));
    unsigned id = open_channel(MSG_PROTO_RPCI);
    send_lb("info-get guestinfo.k");
    msg(MSG_RECVSIZE, 0);
    cr_assert_eq(r[BX], 5);                             /* "1 abc" */
    msg(MSG_RECVPAYLOAD, MSG_ST_SUCCESS);
    msg(MSG_RECVPAYLOAD, MSG_ST_SUCCESS);
    msg(MSG_RECVPAYLOAD, MSG_ST_SUCCESS);               /* past the end */
    cr_assert_eq(status(), 0);
    uint8_t b[16];
    r[AX] = VMPORT_MAGIC;
    r[BX] = MSG_ST_SUCCESS << 16;
    r[DX] = id << 16 | VMPORT_HB_PORT;
    portbus_read_string(&bus, VMPORT_HB_PORT, 1, b, 1);
    cr_assert_eq(r[BX] >> 16, 0);
}

/* A snapshot keeps a half-sent message, an unfetched reply, the variables
 * and the queued host requests. */
Test(vmport, snapshot_keeps_channels)
{
    cr_assert(vmport_set_guestinfo(&vm, "guestinfo.k=abc"));
    open_channel(MSG_PROTO_RPCI);
    send_lb("info-get guestinfo.k");                    /* the reply waits */
    unsigned tclo = open_channel(MSG_PROTO_TCLO);
    const char *err = NULL;
    cr_assert(vmport_guest_request(&vm, "ping", &err));
    msg(MSG_SENDSIZE, 8);
    msg(MSG_SENDPAYLOAD, 0x64636261);                   /* "abcd" of 8 */
    StateWriter w = dh_save(&vmport_desc, &vm, "vmport");
    static Vmport v2;
    memset(&v2, 0, sizeof v2);
    PortBus bus2;
    portbus_init(&bus2);
    cr_assert(vmport_init(&v2, &bus2));
    char e[128];
    cr_assert(dh_load(&vmport_desc, &v2, "vmport", w.buf, w.len, e, sizeof e), "%s", e);
    cr_assert(v2.ch[0].open && v2.ch[0].has_in && v2.ch[0].in_len == 5);
    cr_assert(v2.ch[tclo].open && v2.ch[tclo].sending && v2.ch[tclo].out_len == 4);
    cr_assert_eq(v2.tclo_n, 3);                         /* reset, Capabilities_Register, ping */
    cr_assert_str_eq(v2.info[0].value, "abc");
    cr_assert(v2.guest.tools_running);
    /* A damaged section: refused in one message, no crash. */
    for (size_t cut = 8; cut < w.len; cut += 3) {
        static Vmport v3;
        memset(&v3, 0, sizeof v3);
        hgfs_init(&v3.hgfs);
        dh_load(&vmport_desc, &v3, "vmport", w.buf, cut, e, sizeof e);
        vmport_desc.teardown(&v3);
    }
    vmport_desc.teardown(&v2);
    free(w.buf);
}
