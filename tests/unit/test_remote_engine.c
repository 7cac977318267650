/* SPDX-License-Identifier: MIT */
/* Remote ports: the exactly-once engine, client and server over UDP on
 * loopback with the seeded fault layer on both sides (loss, duplication,
 * reordering), interrupt forwarding, peer loss, and the refusals. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/device.h"
#include "iodev/remote/client.h"
#include "iodev/remote/proxy.h"
#include "iodev/remote/server.h"

/* --- a mock device with side effects --- */

#define LOG_MAX 20000

typedef struct Mock {
    uint32_t counter;           /* port 0: each read returns the next number */
    uint32_t log[LOG_MAX];      /* port 1: writes, in arrival order */
    unsigned n_log;
    uint16_t word;              /* port 2: a word stream for string reads */
    uint8_t mem[0x20000];       /* MMIO 0xA0000-0xBFFFF */
    uint64_t mem_calls;         /* backend calls for memory ops */
    RsSlot *slot;
    atomic_int pulse_request;   /* port 0x11: pulse line 0 after the batch */
    uint64_t executed;          /* every backend call */
} Mock;

static uint32_t mock_read(void *o, uint16_t port, unsigned w)
{
    Mock *m = o;
    (void)w;
    m->executed++;
    if (port == 0)
        return m->counter++;
    if (port == 2)
        return m->word++;
    return 0;
}

static void mock_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    Mock *m = o;
    (void)w;
    m->executed++;
    if (port == 1 && m->n_log < LOG_MAX)
        m->log[m->n_log++] = v;
    else if (port == 0x10)
        rs_slot_set_irq(m->slot, 0, v != 0);
    else if (port == 0x11)
        atomic_store(&m->pulse_request, 1);
}

static uint32_t mock_mread(void *o, uint32_t addr, unsigned w)
{
    Mock *m = o;
    m->mem_calls++;
    uint32_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint32_t)m->mem[addr - 0xA0000 + i] << (8 * i);
    return v;
}

static void mock_mwrite(void *o, uint32_t addr, unsigned w, uint32_t v)
{
    Mock *m = o;
    m->mem_calls++;
    for (unsigned i = 0; i < w; i++)
        m->mem[addr - 0xA0000 + i] = (uint8_t)(v >> (8 * i));
}

/* --- the server thread --- */

static RemoteServer srv;
static RpTransport srv_t, cli_t;
static RpFaults srv_faults, cli_faults;
static Mock mock;
static pthread_t thread;
static atomic_int stop, paused, level_request = -1, forget_sessions, handover_to = -2;
static char server_addr[64];
static uint8_t psk[RP_KEY_LEN];

static void *serve(void *arg)
{
    (void)arg;
    static uint8_t frame[RP_MAX_FRAME + 1];
    while (!atomic_load(&stop)) {
        rp_transport_wait(&srv_t, rp_now_ns() + 1000000);
        RpPeer from;
        size_t n;
        while ((n = rp_transport_recv(&srv_t, frame, sizeof frame, &from)) > 0)
            if (!atomic_load(&paused))
                rs_handle(&srv, &srv_t, frame, n, &from);
        if (atomic_exchange(&forget_sessions, 0))      /* a restart without state */
            memset(srv.sessions, 0, sizeof srv.sessions);
        int to = atomic_exchange(&handover_to, -2);
        if (to != -2)
            rs_slot_handover(mock.slot, to);
        int level = atomic_exchange(&level_request, -1);
        if (level >= 0)
            rs_slot_set_irq(mock.slot, 0, level != 0);
        if (atomic_exchange(&mock.pulse_request, 0)) {
            rs_slot_set_irq(mock.slot, 0, true);
            rs_slot_set_irq(mock.slot, 0, false);
        }
        rs_tick(&srv, rp_now_ns());
    }
    return NULL;
}

static void start_server(bool allow_us, bool faults)
{
    char err[256];
    cr_assert(rp_crypto_init());
    for (int i = 0; i < RP_KEY_LEN; i++)
        psk[i] = (uint8_t)(0xA0 + i);
    memset(&mock, 0, sizeof mock);
    rs_init(&srv, psk);
    RsBackend be = { mock_read, mock_write, &mock, mock_mread, mock_mwrite };
    RsSlot *s = rs_add_slot(&srv, "dev", &be);
    cr_assert(s);
    mock.slot = s;
    cr_assert(rs_slot_allow_ports(s, 0x00, 0x1F, 1 | 2 | 4));
    cr_assert(rs_slot_allow_mmio(s, 0xA0000, 0xBFFFF));
    cr_assert(rs_slot_add_irq(s, 5));
    RsClient me = { .is_mac = false };
    me.addr.ss_family = AF_INET;
    ((struct sockaddr_in *)&me.addr)->sin_addr.s_addr = htonl(allow_us ? 0x7F000001 : 0x0A000001);
    cr_assert(rs_slot_allow_client(s, &me));
    cr_assert(rp_transport_open_udp(&srv_t, "127.0.0.1:0", NULL, NULL, err, sizeof err), "%s", err);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(srv_t.fd, (struct sockaddr *)&a, &al);
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%u", ntohs(a.sin_port));
    /* Without faults the layer is there but idle: a test may turn loss or
     * duplication on for a while. */
    rp_faults_init(&srv_faults, faults ? 10 : 0, faults ? 5 : 0, faults ? 10 : 0, 7);
    srv_t.faults = &srv_faults;
    atomic_store(&stop, 0);
    atomic_store(&paused, 0);
    pthread_create(&thread, NULL, serve, NULL);
}

static bool running;

static void stop_server(void)
{
    if (!running)
        return;
    running = false;
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    rp_transport_close(&srv_t);
}

static RemoteClient rc;

static void open_client(const uint8_t *key, bool faults)
{
    char err[256];
    RpPeer peer;
    cr_assert(rp_transport_open_udp(&cli_t, NULL, server_addr, &peer, err, sizeof err), "%s", err);
    if (faults) {
        rp_faults_init(&cli_faults, 10, 5, 10, 11);
        cli_t.faults = &cli_faults;
    }
    rc_init(&rc, &cli_t, &peer, key, "dev", 400);
    rc.quiet = true;
}

static void teardown(void)
{
    stop_server();
    rp_transport_close(&cli_t);
}

TestSuite(remote_engine, .timeout = 60);

/* Reads with side effects and posted writes, through 10% loss, 5%
 * duplication and 10% reordering in both directions: every read value
 * arrives once and in order, every write is executed once and in order. */
Test(remote_engine, exactly_once_under_faults, .fini = teardown)
{
    start_server(true, true);
    open_client(psk, true);
    cr_assert(rc_connect(&rc, 3000));
    const unsigned n = 3000;
    for (unsigned i = 0; i < n; i++) {
        rc_write(&rc, 1, 4, i);
        uint32_t v = rc_read(&rc, 0, 1);
        cr_assert_eq(v, i & 0xFF, "read %u gave %u", i, v);
    }
    rc_flush(&rc);
    stop_server();
    cr_assert_eq(mock.counter, n, "port 0 read %u times for %u reads", mock.counter, n);
    cr_assert_eq(mock.n_log, n);
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(mock.log[i], i, "write %u executed as %u", i, mock.log[i]);
    cr_assert_gt(rc.st.retransmits, 0, "the fault layer should have forced retransmissions");
    cr_assert_gt(srv.st.duplicates, 0, "duplicates should have been answered from the cache");
    cr_assert_eq(rc.st.offline_events, 0);
}

/* A 512-byte sector read with INSW is one round trip. */
Test(remote_engine, string_read_one_round_trip, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    uint16_t sector[256];
    uint64_t before = rc.st.round_trips;
    rc_read_string(&rc, 2, 2, sector, 256);
    cr_assert_eq(rc.st.round_trips - before, 1);
    for (int i = 0; i < 256; i++)
        cr_assert_eq(sector[i], i);
    /* A write string of a sector is posted and goes in one frame. */
    uint16_t out[256] = { 0 };
    before = rc.st.round_trips;
    rc_write_string(&rc, 1, 2, out, 256);
    rc_flush(&rc);
    cr_assert_eq(rc.st.round_trips - before, 1);
}

/* Remote MMIO: a burst of byte stores coalesces into one op per frame,
 * stores are ordered with port writes and reads, a read sees every store
 * before it, and memory outside the slot's ranges is refused whole. */
Test(remote_engine, mmio_stores_coalesce_and_stay_ordered, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    uint64_t before = rc.st.round_trips;
    const unsigned n = 38400;                   /* one 640x480 plane */
    for (unsigned i = 0; i < n; i++)
        rc_mem_write(&rc, 0xA0000 + i, 1, (uint8_t)(i * 7));
    rc_write(&rc, 1, 4, 0xBEEF);                /* a port write after the burst */
    rc_mem_write(&rc, 0xA0000, 2, 0x1234);      /* a store after the port write */
    uint32_t back = rc_mem_read(&rc, 0xA0000, 2);
    cr_assert_eq(back, 0x1234, "the read overtook the store: 0x%X", back);
    uint64_t trips = rc.st.round_trips - before;
    cr_assert_leq(trips, n / 1300 + 2, "%llu round trips for %u stores", (unsigned long long)trips,
                  n);
    cr_assert_geq(rc.st.mem_coalesced, n - trips - 1);
    uint8_t blk[300];
    rc_mem_read_block(&rc, 0xA0000 + 1000, 1, blk, sizeof blk);
    for (unsigned i = 0; i < sizeof blk; i++)
        cr_assert_eq(blk[i], (uint8_t)((1000 + i) * 7));
    /* REP STOSD-like block into the window: posted, one frame. */
    uint32_t words[256];
    for (unsigned i = 0; i < 256; i++)
        words[i] = 0x01010101u * i;
    before = rc.st.round_trips;
    rc_mem_write_block(&rc, 0xB0000, 4, words, 256);
    rc_flush(&rc);
    cr_assert_eq(rc.st.round_trips - before, 1);
    /* Past the end of the range: the whole batch is refused, nothing runs. */
    uint64_t refused = srv.st.refused;
    rc_mem_write(&rc, 0xBFFFE, 4, 0xFFFFFFFF);
    rc_flush(&rc);
    stop_server();
    cr_assert_eq(srv.st.refused, refused + 1);
    cr_assert_eq(mock.n_log, 1);
    cr_assert_eq(mock.log[0], 0xBEEF);
    cr_assert_eq(mock.mem[0], 0x34);
    cr_assert_eq(mock.mem[1], 0x12);
    for (unsigned i = 2; i < n; i++)
        cr_assert_eq(mock.mem[i], (uint8_t)(i * 7), "byte %u", i);
    for (unsigned i = 0; i < 256; i++)
        cr_assert_eq(mock.mem[0x10000 + 4 * i], i);
    cr_assert_eq(mock.mem[0x1FFFE], 0, "a refused store was executed");
    cr_assert_eq(srv.slots[0].mem_bytes_written, n + 2 + 1024);
}

/* An exclusive slot handed over while both clients run: the first client
 * owns it, the second is refused (offline); after the handover the first
 * goes offline and none of its accesses runs, the second gets the slot. */
static void open_bound(RpTransport *t, RemoteClient *c, const char *bind)
{
    char err[256];
    RpPeer peer;
    cr_assert(rp_transport_open_udp(t, bind, server_addr, &peer, err, sizeof err), "%s", err);
    rc_init(c, t, &peer, psk, "dev", 300);
    c->quiet = true;
}

Test(remote_engine, exclusive_handover, .fini = teardown)
{
    static RpTransport t1, t2;
    static RemoteClient c1, c2;
    start_server(true, false);      /* no client has spoken yet: the slot can change */
    RsClient a = { .is_mac = false }, b = { .is_mac = false };
    a.addr.ss_family = b.addr.ss_family = AF_INET;
    ((struct sockaddr_in *)&a.addr)->sin_addr.s_addr = htonl(0x7F000002);
    ((struct sockaddr_in *)&b.addr)->sin_addr.s_addr = htonl(0x7F000003);
    cr_assert(rs_slot_allow_client(mock.slot, &a));     /* client 2 */
    cr_assert(rs_slot_allow_client(mock.slot, &b));     /* client 3 */
    rs_slot_set_exclusive(mock.slot);
    open_bound(&t1, &c1, "127.0.0.2:0");
    open_bound(&t2, &c2, "127.0.0.3:0");
    cr_assert(rc_connect(&c1, 3000), "the first client should get the slot");
    cr_assert_not(rc_connect(&c2, 300), "the second client should be refused");
    rc_write(&c1, 1, 4, 1);
    rc_flush(&c1);
    rc_write(&c2, 1, 4, 0xBAD2);
    rc_flush(&c2);
    cr_assert_eq(c2.st.offline_accesses, 1);
    atomic_store(&handover_to, 2);                      /* index 2: 127.0.0.3 */
    while (atomic_load(&handover_to) != -2)
        usleep(1000);
    rc_write(&c1, 1, 4, 0xBAD1);
    rc_flush(&c1);
    cr_assert_not(c1.online, "the old owner should see the slot go offline");
    cr_assert(rc_connect(&c2, 3000), "the new owner should get the slot");
    rc_write(&c2, 1, 4, 2);
    rc_flush(&c2);
    cr_assert(c2.online);
    stop_server();
    rp_transport_close(&t1);
    rp_transport_close(&t2);
    cr_assert_eq(mock.n_log, 2, "%u writes executed", mock.n_log);
    cr_assert_eq(mock.log[0], 1);
    cr_assert_eq(mock.log[1], 2);
    cr_assert_geq(mock.slot->acct.refusals, 1);
    cr_assert_eq(mock.slot->acct.grants, 2);
}

/* Through the port bus: REP INSW reaches the proxy as one batch. */
static PortBus bus;
static uint32_t local_read(void *o, uint16_t p, unsigned s)
{
    (void)o, (void)p, (void)s;
    return 0x55;
}
static void local_write(void *o, uint16_t p, unsigned s, uint32_t v)
{
    (void)o, (void)p, (void)s, (void)v;
}

Test(remote_engine, proxy_on_the_bus, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);    /* unused transport, closed by the teardown */
    static const PortOps local = { local_read, local_write, true };
    portbus_init(&bus);
    int s = portbus_add_slot(&bus, "dev", &local, NULL);
    cr_assert(portbus_map(&bus, s, 0x00, 0x20));
    char keyfile[64], spec[160], err[256];
    snprintf(keyfile, sizeof keyfile, "/tmp/kairo-engine-key-%d", (int)getpid());
    FILE *f = fopen(keyfile, "wb");
    fwrite(psk, 1, sizeof psk, f);
    fclose(f);
    chmod(keyfile, 0600);
    snprintf(spec, sizeof spec, "dev=udp:%s,key=%s,timeout=500", server_addr, keyfile);
    cr_assert(remote_attach(&bus, NULL, spec, NULL, NULL, NULL, err, sizeof err), "%s", err);
    unlink(keyfile);
    RemoteClient *prc = remote_client_of(&bus, "dev");
    cr_assert(prc);
    cr_assert(portbus_string_batched(&bus, 2, 2));
    uint16_t words[256];
    uint64_t before = prc->st.round_trips;
    portbus_read_string(&bus, 2, 2, words, 256);
    cr_assert_eq(prc->st.round_trips - before, 1);
    cr_assert_eq(words[255], 255);
    portbus_write(&bus, 1, 1, 0x42);
    cr_assert_eq(portbus_read(&bus, 0, 1), 0);
    cr_assert_eq(mock.log[0], 0x42);
    remote_detach_all(&bus);
    cr_assert_eq(portbus_read(&bus, 0, 1), 0x55, "the local handlers are back");
}

static int irq_rises, irq_falls;
static bool irq_level;
static void on_irq(void *o, int line, bool level)
{
    (void)o;
    cr_assert_eq(line, 0);
    if (level && !irq_level)
        irq_rises++;
    if (!level && irq_level)
        irq_falls++;
    irq_level = level;
}

static void *restore_after_1500ms(void *arg)
{
    (void)arg;
    usleep(1500000);
    srv_faults.loss = 0;
    return NULL;
}

/* Levels ride on replies; a pulse between two samples still arrives. */
Test(remote_engine, irq_levels_and_pulses, .fini = teardown)
{
    start_server(true, true);
    open_client(psk, true);
    rc_set_irq(&rc, on_irq, NULL, 1);
    cr_assert(rc_connect(&rc, 3000));
    rc_write(&rc, 0x10, 1, 1);
    rc_flush(&rc);
    cr_assert(irq_level);
    cr_assert_eq(irq_rises, 1);
    rc_write(&rc, 0x10, 1, 0);
    rc_flush(&rc);
    cr_assert_not(irq_level);
    for (int k = 0; k < 20; k++) {
        rc_write(&rc, 0x11, 1, 1);      /* the device pulses after the batch */
        rc_flush(&rc);
        uint64_t end = rp_now_ns() + 2000000000ull;
        while ((irq_rises < 2 + k || irq_level) && rp_now_ns() < end) {
            rc_poll(&rc);
            usleep(100);
        }
        cr_assert_eq(irq_rises, 2 + k, "pulse %d lost", k);
        cr_assert_not(irq_level);
    }
}

/* Peer lost: reads give all-ones, the slot goes offline; when the server
 * answers again the session comes back by itself. */
Test(remote_engine, offline_and_back, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    cr_assert_eq(rc_read(&rc, 0, 1), 0);
    atomic_store(&paused, 1);
    cr_assert_eq(rc_read(&rc, 0, 1), 0xFF);
    cr_assert_not(rc.online);
    cr_assert_eq(rc.st.offline_events, 1);
    cr_assert_eq(rc_read(&rc, 0, 2), 0xFFFF, "offline: a floating bus");
    atomic_store(&paused, 0);
    usleep(1100000);                    /* the retry interval */
    uint32_t v = rc_read(&rc, 0, 1);
    cr_assert(rc.online, "the session should be re-established");
    cr_assert_eq(v, 1, "the unanswered read was executed once; this is the next");
    cr_assert_eq(rc.st.sessions, 2);
}

/* The reply of an executed read is lost for a while (every server frame
 * dropped): the access waits, the same request is retransmitted, and the
 * cached reply brings the true value once frames flow again. Executed
 * once, never answered with all-ones, no new session. */
Test(remote_engine, outage_resumes_with_the_true_result, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    RemoteClient dflt;
    rc_init(&dflt, &cli_t, &rc.peer, psk, "dev", 0);
    cr_assert_eq(dflt.peer_timeout, 30000000000ull, "the default outage bound is 30 s");
    rc.peer_timeout = 10000000000ull;   /* a 10 s outage bound */
    cr_assert(rc_connect(&rc, 3000));
    cr_assert_eq(rc_read(&rc, 0, 1), 0);
    srv_faults.loss = 100;
    pthread_t restore;
    pthread_create(&restore, NULL, restore_after_1500ms, NULL);
    uint64_t t0 = rp_now_ns();
    uint32_t v = rc_read(&rc, 0, 1);
    uint64_t waited = rp_now_ns() - t0;
    pthread_join(restore, NULL);
    cr_assert_eq(v, 1, "the read executed during the outage gave 0x%X", v);
    cr_assert_geq(waited, 1400000000ull, "the access waited %llu ns", (unsigned long long)waited);
    cr_assert_eq(rc_read(&rc, 0, 1), 2);
    stop_server();
    cr_assert_eq(mock.counter, 3, "executed %u reads for 3 issued", mock.counter);
    cr_assert_eq(rc.st.offline_events, 0);
    cr_assert_eq(rc.st.sessions, 1);
    cr_assert_gt(srv.st.duplicates, 0, "the retransmissions were answered from the cache");
    cr_assert_eq(rc.st.issued, mock.executed);
}

/* A line raised while the client was away arrives with the new session:
 * the server sends every line's level and edge count again. */
Test(remote_engine, irq_resync_on_reconnect, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    rc_set_irq(&rc, on_irq, NULL, 1);
    irq_rises = irq_falls = 0;
    irq_level = false;
    cr_assert(rc_connect(&rc, 3000));
    atomic_store(&paused, 1);
    cr_assert_eq(rc_read(&rc, 0, 1), 0xFF);     /* 400 ms bound: offline */
    cr_assert_not(rc.online);
    atomic_store(&level_request, 1);
    usleep(20000);
    cr_assert_not(irq_level);
    atomic_store(&paused, 0);
    uint64_t end = rp_now_ns() + 3000000000ull;
    while ((!rc.online || !irq_level) && rp_now_ns() < end) {
        rc_poll(&rc);
        usleep(200);
    }
    cr_assert(rc.online);
    cr_assert(irq_level, "the level raised during the outage never arrived");
    cr_assert_eq(irq_rises, 1);
}

/* Every server frame twice: the WELCOME's copy is a duplicate, not a
 * MAC failure. */
Test(remote_engine, duplicate_welcome_not_a_mac_failure, .fini = teardown)
{
    start_server(true, false);
    srv_faults.dup = 100;
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    for (unsigned i = 0; i < 20; i++)
        cr_assert_eq(rc_read(&rc, 0, 1), i);
    cr_assert_eq(rc.st.drops[RP_DROP_MAC], 0);
    cr_assert_gt(rc.st.duplicate_welcomes, 0);
}

/* The server restarted without its state file: it tells the client it
 * does not know the session, and the access goes offline at once instead
 * of waiting out the bound; the next access opens a new session. */
Test(remote_engine, lost_session_noticed, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    rc.peer_timeout = 20000000000ull;           /* a 20 s bound */
    cr_assert(rc_connect(&rc, 3000));
    cr_assert_eq(rc_read(&rc, 0, 1), 0);
    atomic_store(&forget_sessions, 1);
    usleep(20000);
    uint64_t t0 = rp_now_ns();
    cr_assert_eq(rc_read(&rc, 0, 1), 0xFF);
    cr_assert_lt(rp_now_ns() - t0, 2000000000ull, "waited for the bound");
    cr_assert_eq(rc.st.offline_events, 1);
    usleep(1100000);
    cr_assert_eq(rc_read(&rc, 0, 1), 1, "the lost request never ran on the new server");
    cr_assert_eq(rc.st.sessions, 2);
    stop_server();
    cr_assert_gt(srv.st.no_session_notices, 0);
}

/* A snapshot carries the session: a fresh client loading it continues the
 * same server session (no new HELLO), posted writes were sent before the
 * save, and the next read gets the next value. */
Test(remote_engine, snapshot_carries_the_session, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    cr_assert_eq(rc_read(&rc, 0, 1), 0);
    rc_write(&rc, 1, 4, 0xAB);                  /* posted: the save sends it */
    DeviceInstance in = { &remote_proxy_desc, &rc, "dev-remote" };
    StateWriter w;
    state_writer_init(&w);
    device_save(&in, &w);
    cr_assert_not(w.failed);
    cr_assert_eq(mock.n_log, 1, "the posted write was not sent before the save");
    static RemoteClient fresh;
    rc_init(&fresh, &cli_t, &rc.peer, psk, "dev", 400);
    fresh.quiet = true;
    DeviceInstance in2 = { &remote_proxy_desc, &fresh, "dev-remote" };
    StateReader r;
    char why[200];
    state_reader_init(&r, w.buf, w.len);
    cr_assert(device_load(&in2, &r, why, sizeof why), "%s", why);
    cr_assert(fresh.online);
    cr_assert_eq(fresh.session, rc.session);
    cr_assert_eq(rc_read(&fresh, 0, 1), 1);
    stop_server();
    cr_assert_eq(srv.st.sessions, 1, "loading the snapshot opened a new session");
    cr_assert_eq(mock.counter, 2);
    /* A truncated section is a clean error. */
    state_reader_init(&r, w.buf, w.len - 9);
    cr_assert_not(device_load(&in2, &r, why, sizeof why));
    state_writer_free(&w);
}

/* --- refusals: counted, and nothing executed --- */

Test(remote_engine, wrong_key_refused, .fini = teardown)
{
    start_server(true, false);
    uint8_t wrong[RP_KEY_LEN];
    memcpy(wrong, psk, sizeof wrong);
    wrong[0] ^= 1;
    open_client(wrong, false);
    cr_assert_not(rc_connect(&rc, 200));
    cr_assert_eq(rc_read(&rc, 0, 1), 0xFF);
    stop_server();
    cr_assert_gt(srv.st.drops[RP_DROP_MAC], 0);
    cr_assert_eq(srv.st.sessions, 0);
    cr_assert_eq(mock.executed, 0);
}

Test(remote_engine, client_not_on_allowlist_refused, .fini = teardown)
{
    start_server(false, false);
    open_client(psk, false);
    cr_assert_not(rc_connect(&rc, 200));
    rc_write(&rc, 1, 1, 5);
    rc_flush(&rc);
    stop_server();
    cr_assert_gt(srv.st.drops[RP_DROP_PEER], 0);
    cr_assert_eq(srv.st.sessions, 0);
    cr_assert_eq(mock.executed, 0);
}

Test(remote_engine, port_outside_allowlist_refused, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    /* One allowed write and one port outside the list in the same batch:
     * the whole batch is refused, the allowed write does not run either. */
    rc_write(&rc, 1, 1, 9);
    cr_assert_eq(rc_read(&rc, 0x80, 1), 0xFF);
    cr_assert_eq(rc_read(&rc, 0x1F, 2), 0xFFFF, "0x1F-0x20 crosses the end of the range");
    stop_server();
    cr_assert_eq(srv.st.refused, 2);
    cr_assert_eq(srv.st.drops[RP_DROP_PORT], 2);
    cr_assert_eq(mock.executed, 0);
    cr_assert_eq(rc.st.refused, 2);
}

/* Frames captured off the wire and played again: answered from the cache
 * or dropped, never executed a second time. */
static uint8_t captured[64][RP_MAX_FRAME];
static size_t captured_len[64];
static int n_captured;

Test(remote_engine, replayed_frames_not_executed, .fini = teardown)
{
    start_server(true, false);
    open_client(psk, false);
    cr_assert(rc_connect(&rc, 3000));
    for (int i = 0; i < 5; i++) {
        rc_write(&rc, 1, 1, (uint32_t)i);
        rc_flush(&rc);
    }
    cr_assert_eq(mock.n_log, 5);
    /* Rebuild the exact frames the client sent (same keys, session and
     * sequence numbers) and inject them from the client's address. */
    for (uint32_t seq = 1; seq <= 5; seq++) {
        uint8_t payload[8];
        RpOp op = { .kind = RP_OP_WRITE, .width = 1, .port = 1, .count = 1, .value = seq - 1 };
        size_t len = rp_put_op(payload, 0, sizeof payload, &op);
        RpHeader h = { .type = RP_REQUEST, .session = rc.session, .seq = seq,
                       .ack = rc.irq_version, .len = (uint16_t)len };
        captured_len[n_captured] = rp_seal(captured[n_captured], &h, payload, rc.c2s);
        n_captured++;
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < n_captured; i++)
            cr_assert(rp_transport_send(&cli_t, &rc.peer, captured[i], captured_len[i]));
    /* A HELLO older than the session's (a replay of an earlier one) is
     * refused as well: the session stays. */
    uint8_t hs[RP_KEY_LEN], hello_frame[RP_MAX_FRAME], payload[RP_HELLO_LEN];
    RpHello old = { .slot = "dev", .epoch = 1 };
    rp_put_hello(payload, &old);
    rp_handshake_key(psk, hs);
    RpHeader hh = { .type = RP_HELLO, .session = 77, .len = RP_HELLO_LEN };
    size_t hl = rp_seal(hello_frame, &hh, payload, hs);
    cr_assert(rp_transport_send(&cli_t, &rc.peer, hello_frame, hl));
    usleep(200000);
    rc_write(&rc, 1, 1, 5);
    rc_flush(&rc);
    cr_assert(rc.online);
    stop_server();
    cr_assert_eq(srv.st.sessions, 1);
    cr_assert_eq(mock.n_log, 6, "replayed writes were executed");
    cr_assert_eq(srv.st.requests, 6);
    cr_assert_gt(srv.st.drops[RP_DROP_REPLAY], 0);
}

/* --- hostile input: random and corrupt frames never crash, never run an
 * access outside the allowlist --- */

static uint32_t guard_read(void *o, uint16_t port, unsigned w)
{
    (void)o;
    cr_assert(port + w - 1 <= 0x1F, "read of 0x%X/%u executed", port, w);
    return 0;
}

static void guard_write(void *o, uint16_t port, unsigned w, uint32_t v)
{
    (void)o, (void)v;
    cr_assert(port + w - 1 <= 0x1F, "write of 0x%X/%u executed", port, w);
}

static uint32_t guard_mread(void *o, uint32_t addr, unsigned w)
{
    (void)o;
    cr_assert(addr >= 0x1000 && addr + w - 1 <= 0x1FFF, "MMIO read of 0x%X/%u executed", addr, w);
    return 0;
}

static void guard_mwrite(void *o, uint32_t addr, unsigned w, uint32_t v)
{
    (void)o, (void)v;
    cr_assert(addr >= 0x1000 && addr + w - 1 <= 0x1FFF, "MMIO write of 0x%X/%u executed", addr, w);
}

static uint64_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 7, rnd_state ^= rnd_state << 17;
    return (uint32_t)rnd_state;
}

Test(remote_engine, hostile_frames)
{
    char err[256];
    static RemoteServer hs;
    static RpTransport st, ct;
    uint8_t key[RP_KEY_LEN] = { 9 }, hk[RP_KEY_LEN];
    cr_assert(rp_crypto_init());
    rs_init(&hs, key);
    RsBackend be = { guard_read, guard_write, NULL, guard_mread, guard_mwrite };
    RsSlot *s = rs_add_slot(&hs, "dev", &be);
    rs_slot_allow_ports(s, 0, 0x1F, 1 | 2 | 4);
    rs_slot_allow_mmio(s, 0x1000, 0x1FFF);
    RsClient me = { .is_mac = false };
    me.addr.ss_family = AF_INET;
    ((struct sockaddr_in *)&me.addr)->sin_addr.s_addr = htonl(0x7F000001);
    rs_slot_allow_client(s, &me);
    cr_assert(rp_transport_open_udp(&st, "127.0.0.1:0", NULL, NULL, err, sizeof err));
    cr_assert(rp_transport_open_udp(&ct, "127.0.0.1:0", NULL, NULL, err, sizeof err));
    RpPeer from = { 0 };
    from.salen = sizeof(struct sockaddr_in);
    getsockname(ct.fd, (struct sockaddr *)&from.sa, &from.salen);
    /* Open a session by hand: HELLO in, WELCOME out. */
    RpHello hello = { .slot = "dev", .epoch = 5 };
    uint8_t payload[RP_MAX_PAYLOAD], frame[RP_MAX_FRAME + 1], c2s[RP_KEY_LEN], s2c[RP_KEY_LEN];
    rp_put_hello(payload, &hello);
    rp_handshake_key(key, hk);
    RpHeader h = { .type = RP_HELLO, .session = 99, .len = RP_HELLO_LEN };
    size_t n = rp_seal(frame, &h, payload, hk);
    rs_handle(&hs, &st, frame, n, &from);
    cr_assert_eq(hs.st.sessions, 1);
    RpPeer any;
    usleep(10000);
    n = rp_transport_recv(&ct, frame, sizeof frame, &any);
    cr_assert_eq(n, RP_HEADER_LEN + RP_WELCOME_LEN + RP_TAG_LEN);
    rp_session_keys(key, 99, hello.nonce, rp_payload(frame) + 2 + RP_NONCE_LEN, c2s, s2c);
    uint32_t seq = 1;
    for (int i = 0; i < 200000; i++) {
        unsigned kind = rnd() % 4;
        if (kind == 0) {                        /* random bytes */
            n = rnd() % (RP_MAX_FRAME + 1);
            for (size_t k = 0; k < n; k++)
                frame[k] = (uint8_t)rnd();
        } else {                                /* a sealed frame with a random payload */
            uint16_t len = (uint16_t)(rnd() % 64);
            for (unsigned k = 0; k < len; k++)
                payload[k] = (uint8_t)(kind == 3 && k % 4 == 0 ? 1 + rnd() % 6 : rnd());
            RpHeader r = { .type = (uint8_t)(1 + rnd() % (RP_TYPE_COUNT - 1)), .session = 99,
                           .seq = kind == 1 ? seq++ : rnd() % 8, .ack = rnd(), .len = len };
            n = rp_seal(frame, &r, payload, rnd() % 16 ? c2s : s2c);
            if (rnd() % 4 == 0)
                frame[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));     /* corrupt it */
            if (rnd() % 8 == 0)
                n = rnd() % (n + 1);                                /* truncate it */
        }
        rs_handle(&hs, &st, frame, n, &from);
        while (rp_transport_recv(&ct, frame, sizeof frame, &any))
            ;
    }
    uint64_t drops = 0;
    for (int i = 0; i < RP_DROP_COUNT; i++)
        drops += hs.st.drops[i];
    cr_assert_gt(drops, 100000);
    cr_assert_gt(hs.st.refused, 0);
    rp_transport_close(&st);
    rp_transport_close(&ct);
}
