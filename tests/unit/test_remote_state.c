/* SPDX-License-Identifier: MIT */
/* kairo-portd's state file: a restarted server resumes the devices, the
 * sessions (a retransmission finds its cached reply), the clients' epochs
 * (a HELLO captured before the restart stays refused), and rolls output
 * back to what was acknowledged; a torn newest record falls back to the
 * other one. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/remote/portd_backends.h"
#include "iodev/remote/portd_state.h"

typedef struct Served {
    RemoteServer srv;
    RpTransport t;
    PdDevice dev;
    PdDevice *devs[1];
    Clock clock;
    uint64_t icount;
} Served;

static char state_path[64], out_path[64], err[400];
static uint8_t psk[RP_KEY_LEN];
static RpTransport client_t;
static RpPeer client_addr;

/* A server with one UART slot writing to out_path, on a fresh UDP port. */
static void serve_uart(Served *s)
{
    memset(s, 0, sizeof *s);
    clock_init(&s->clock, 1000000000ull, &s->icount);
    rs_init(&s->srv, psk);
    cr_assert(rp_transport_open_udp(&s->t, "127.0.0.1:0", NULL, NULL, err, sizeof err), "%s", err);
    PdSlotConfig sc = { .name = "com2", .backend = PD_UART };
    snprintf(sc.arg, sizeof sc.arg, "file:%s", out_path);
    s->dev.kind = PD_UART;
    RsBackend be = pd_backend(&s->dev);
    RsSlot *slot = rs_add_slot(&s->srv, "com2", &be);
    cr_assert(slot);
    cr_assert(rs_slot_allow_ports(slot, 0x2F8, 0x2FF, 1));
    RsClient me = { .is_mac = false };
    me.addr.ss_family = AF_INET;
    ((struct sockaddr_in *)&me.addr)->sin_addr.s_addr = htonl(0x7F000001);
    cr_assert(rs_slot_allow_client(slot, &me));
    cr_assert(pd_device_open(&s->dev, &sc, slot, &s->clock, NULL, err, sizeof err), "%s", err);
    s->devs[0] = &s->dev;
}

static void init(void)
{
    cr_assert(rp_crypto_init());
    for (int i = 0; i < RP_KEY_LEN; i++)
        psk[i] = (uint8_t)(0x81 + 5 * i);
    snprintf(state_path, sizeof state_path, "/tmp/kairo-state-%d", (int)getpid());
    snprintf(out_path, sizeof out_path, "/tmp/kairo-state-out-%d", (int)getpid());
    unlink(state_path);
    unlink(out_path);
    cr_assert(rp_transport_open_udp(&client_t, "127.0.0.1:0", NULL, NULL, err, sizeof err));
    memset(&client_addr, 0, sizeof client_addr);
    client_addr.salen = sizeof(struct sockaddr_in);
    getsockname(client_t.fd, (struct sockaddr *)&client_addr.sa, &client_addr.salen);
}

static void fini(void)
{
    rp_transport_close(&client_t);
    unlink(state_path);
    unlink(out_path);
}

TestSuite(remote_state, .init = init, .fini = fini, .timeout = 30);

static size_t hello_frame(uint8_t *frame, uint64_t session, uint64_t epoch, RpHello *hello)
{
    uint8_t payload[RP_HELLO_LEN], hs[RP_KEY_LEN];
    memset(hello, 0, sizeof *hello);
    snprintf(hello->slot, sizeof hello->slot, "com2");
    hello->epoch = epoch;
    memset(hello->nonce, 0x33, RP_NONCE_LEN);
    rp_put_hello(payload, hello);
    rp_handshake_key(psk, hs);
    RpHeader h = { .type = RP_HELLO, .session = session, .len = RP_HELLO_LEN };
    return rp_seal(frame, &h, payload, hs);
}

static size_t request_frame(uint8_t *frame, uint64_t session, uint32_t seq, const uint8_t *c2s,
                            const uint8_t *bytes, unsigned n)
{
    uint8_t payload[RP_MAX_PAYLOAD];
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        RpOp op = { .kind = RP_OP_WRITE, .width = 1, .port = 0x2F8, .count = 1, .value = bytes[i] };
        len = rp_put_op(payload, len, sizeof payload, &op);
    }
    RpOp lcr = { .kind = RP_OP_WRITE, .width = 1, .port = 0x2FB, .count = 1, .value = 0x1B };
    len = rp_put_op(payload, len, sizeof payload, &lcr);
    RpHeader h = { .type = RP_REQUEST, .session = session, .seq = seq, .len = (uint16_t)len };
    return rp_seal(frame, &h, payload, c2s);
}

static void commit(Served *s)
{
    static PdState st;
    pd_device_commit_output(&s->dev, false);
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err), "%s", err);
    cr_assert(pd_state_commit(&st, &s->srv, &s->t, s->devs, s->icount));
    pd_state_close(&st);
}

Test(remote_state, restart_resumes_sessions_devices_and_epochs)
{
    static Served a, b;
    uint8_t frame[RP_MAX_FRAME + 1], c2s[RP_KEY_LEN], s2c[RP_KEY_LEN];
    RpHello hello;
    RpPeer any;
    serve_uart(&a);
    /* An earlier session's HELLO (epoch 500), captured off the wire. */
    static uint8_t captured_hello[RP_MAX_FRAME];
    size_t hl = hello_frame(captured_hello, 41, 500, &hello);
    rs_handle(&a.srv, &a.t, captured_hello, hl, &client_addr);
    cr_assert_eq(a.srv.st.sessions, 1);
    /* The current session: epoch 1000. */
    size_t n1 = hello_frame(frame, 42, 1000, &hello);
    rs_handle(&a.srv, &a.t, frame, n1, &client_addr);
    cr_assert_eq(a.srv.st.sessions, 2);
    usleep(10000);
    RpPeer any0;
    rp_transport_recv(&client_t, frame, sizeof frame, &any0);     /* the first WELCOME */
    usleep(10000);
    size_t n = rp_transport_recv(&client_t, frame, sizeof frame, &any);
    cr_assert_eq(n, RP_HEADER_LEN + RP_WELCOME_LEN + RP_TAG_LEN);
    rp_session_keys(psk, 42, hello.nonce, rp_payload(frame) + 2 + RP_NONCE_LEN, c2s, s2c);
    /* Request 1 runs: "hello" to the UART, LCR = 0x1B. */
    static uint8_t req[RP_MAX_FRAME];
    size_t rl = request_frame(req, 42, 1, c2s, (const uint8_t *)"hello", 5);
    rs_handle(&a.srv, &a.t, req, rl, &client_addr);
    cr_assert_eq(a.srv.slots[0].ops_executed, 6);
    commit(&a);
    /* Bytes of a batch that ran after the commit but never got its reply
     * out: the restarted server rolls them back. */
    uart_port_write(&a.dev.uart, 0x2F8, 1, 'X');
    chardev_flush(&a.dev.chr);
    struct stat sb;
    stat(out_path, &sb);
    cr_assert_eq(sb.st_size, 6);
    /* kill -9: a's memory is gone; b starts from the file. */
    while (rp_transport_recv(&client_t, frame, sizeof frame, &any))
        ;
    serve_uart(&b);
    static PdState st;
    uint64_t device_ns = 0;
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err), "%s", err);
    cr_assert_eq(pd_state_resume(&st, &b.srv, &b.t, 1, b.devs, &device_ns, err, sizeof err), 1,
                 "%s", err);
    pd_state_close(&st);
    stat(out_path, &sb);
    cr_assert_eq(sb.st_size, 5, "the unacknowledged byte was not rolled back");
    cr_assert_eq(b.dev.out_len, 5);
    cr_assert_eq(uart_port_read(&b.dev.uart, 0x2FB, 1), 0x1B, "LCR lost in the restart");
    cr_assert_eq(b.srv.slots[0].ops_executed, 6);
    /* The session's client retransmits request 1 (to b's address now,
     * as it would to the same one): answered from the restored cache. */
    rs_handle(&b.srv, &b.t, req, rl, &client_addr);
    cr_assert_eq(b.srv.st.duplicates, 1);
    cr_assert_eq(b.srv.slots[0].ops_executed, 6, "request 1 executed twice");
    usleep(10000);
    n = rp_transport_recv(&client_t, frame, sizeof frame, &any);
    RpHeader h;
    cr_assert_gt(n, 0);
    cr_assert_lt(rp_parse_header(frame, n, &h), 0);
    cr_assert(rp_verify(frame, n, s2c), "the cached reply is sealed with the session key");
    cr_assert_eq(h.type, RP_REPLY);
    cr_assert_eq(h.ack, 1);
    /* The HELLO captured before the restart is refused. */
    rs_handle(&b.srv, &b.t, captured_hello, hl, &client_addr);
    cr_assert_eq(b.srv.st.sessions, 0, "a replayed HELLO opened a session");
    cr_assert_eq(b.srv.st.drops[RP_DROP_REPLAY], 1);
    /* Request 2 continues the session. */
    rl = request_frame(req, 42, 2, c2s, (const uint8_t *)"!", 1);
    rs_handle(&b.srv, &b.t, req, rl, &client_addr);
    cr_assert_eq(b.srv.slots[0].ops_executed, 8);
    pd_device_commit_output(&b.dev, false);
    stat(out_path, &sb);
    cr_assert_eq(sb.st_size, 6);
    pd_device_close(&a.dev);
    pd_device_close(&b.dev);
    rp_transport_close(&a.t);
    rp_transport_close(&b.t);
}

/* Two records alternate; a torn newest one leaves the older in charge, and
 * a file with neither is a clear error. */
Test(remote_state, torn_record_falls_back)
{
    static Served a, b;
    static PdState st;
    serve_uart(&a);
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err), "%s", err);
    uart_port_write(&a.dev.uart, 0x2FF, 1, 0x11);  /* scratch */
    cr_assert(pd_state_commit(&st, &a.srv, &a.t, a.devs, 0));
    uart_port_write(&a.dev.uart, 0x2FF, 1, 0x22);
    cr_assert(pd_state_commit(&st, &a.srv, &a.t, a.devs, 0));
    cr_assert_eq(st.gen, 2);
    pd_state_close(&st);
    /* Record 2 lives in the first area (even generations): tear its data. */
    FILE *f = fopen(state_path, "r+b");
    cr_assert(f);
    fseek(f, 40, SEEK_SET);
    fputc(0x5A ^ 0xFF, f);
    fclose(f);
    serve_uart(&b);
    uint64_t ns;
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err));
    cr_assert_eq(pd_state_resume(&st, &b.srv, &b.t, 1, b.devs, &ns, err, sizeof err), 1, "%s", err);
    cr_assert_eq(st.gen, 1);
    cr_assert_eq(uart_port_read(&b.dev.uart, 0x2FF, 1), 0x11);
    pd_state_close(&st);
    /* Garbage in both areas. */
    f = fopen(state_path, "wb");
    for (int i = 0; i < 100; i++)
        fputc(i, f);
    fclose(f);
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err));
    cr_assert_eq(pd_state_resume(&st, &b.srv, &b.t, 1, b.devs, &ns, err, sizeof err), -1);
    cr_assert(strstr(err, "no valid record"), "%s", err);
    pd_state_close(&st);
    /* It holds session keys: readable by others is refused. */
    chmod(state_path, 0644);
    cr_assert_not(pd_state_open(&st, state_path, false, err, sizeof err));
    cr_assert(strstr(err, "group or others"), "%s", err);
    pd_device_close(&a.dev);
    pd_device_close(&b.dev);
    rp_transport_close(&a.t);
    rp_transport_close(&b.t);
}

/* An exclusive slot's owner is in the record: a handover to the second
 * client survives the restart (the first stays refused), and a record
 * naming a client the configuration does not have is a clear error. */
Test(remote_state, exclusive_owner_survives_restart)
{
    static Served a, b;
    static PdState st;
    RsClient other = { .is_mac = false };
    other.addr.ss_family = AF_INET;
    ((struct sockaddr_in *)&other.addr)->sin_addr.s_addr = htonl(0x7F000002);
    serve_uart(&a);
    cr_assert(rs_slot_allow_client(&a.srv.slots[0], &other));
    rs_slot_set_exclusive(&a.srv.slots[0]);
    cr_assert(rs_slot_handover(&a.srv.slots[0], 1));
    commit(&a);
    serve_uart(&b);
    cr_assert(rs_slot_allow_client(&b.srv.slots[0], &other));
    rs_slot_set_exclusive(&b.srv.slots[0]);
    uint64_t ns;
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err));
    cr_assert_eq(pd_state_resume(&st, &b.srv, &b.t, 1, b.devs, &ns, err, sizeof err), 1, "%s", err);
    pd_state_close(&st);
    cr_assert_eq(b.srv.slots[0].owner, 1, "the handover was lost in the restart");
    cr_assert_eq(b.srv.slots[0].acct.grants, 1);
    /* The first client's HELLO is refused: the slot stays offline for it. */
    uint8_t frame[RP_MAX_FRAME];
    RpHello hello;
    size_t hl = hello_frame(frame, 77, 2000, &hello);
    rs_handle(&b.srv, &b.t, frame, hl, &client_addr);
    cr_assert_eq(b.srv.st.sessions, 0, "the old owner got a session after the restart");
    cr_assert_eq(b.srv.slots[0].acct.refusals, 1);
    pd_device_close(&b.dev);
    rp_transport_close(&b.t);
    /* The same record against a configuration with one client. */
    serve_uart(&b);
    rs_slot_set_exclusive(&b.srv.slots[0]);
    cr_assert(pd_state_open(&st, state_path, false, err, sizeof err));
    cr_assert_eq(pd_state_resume(&st, &b.srv, &b.t, 1, b.devs, &ns, err, sizeof err), -1);
    cr_assert(strstr(err, "owner client 2"), "%s", err);
    pd_state_close(&st);
    pd_device_close(&a.dev);
    pd_device_close(&b.dev);
    rp_transport_close(&a.t);
    rp_transport_close(&b.t);
}
