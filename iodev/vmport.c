/* SPDX-License-Identifier: MIT */
/* VMware's backdoor: the command table, the message channels and the
 * high-bandwidth port (iodev/vmport.h, docs/VMPORT.md). */
#include "iodev/vmport.h"

#include <stdlib.h>
#include <string.h>

#include "debug/log.h"
#include "machine/replay.h"

/* The register file in x86 encoding order (cpu/cpu.h's R_*), restated so
 * this file needs nothing of the CPU but the array. */
enum { AX, CX, DX, BX, SP, BP, SI, DI };

static uint16_t hi16(uint32_t v) { return (uint16_t)(v >> 16); }
static void set_hi16(uint32_t *r, uint32_t v) { *r = (*r & 0xFFFFu) | (v << 16); }

/* -d hostcall: every backdoor command but the message steps, which show
 * as the RPC requests and replies they carry (vmport_rpc.c). */
static void trace_call(Vmport *vm, const char *what, const uint32_t *g)
{
    vm->calls++;
    if (vm->trace && strcmp(what, "MESSAGE") != 0 && strncmp(what, "HB", 2) != 0)
        fprintf(vm->trace, "hostcall: %s eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
                what, g[AX], g[BX], g[CX], g[DX], g[SI], g[DI]);
}

/* ======== plain commands ======== */

static void cmd_getversion(Vmport *vm, uint32_t *g)
{
    g[AX] = 6;                  /* the version vmware-checkvm calls "good" */
    g[BX] = VMPORT_MAGIC;
    g[CX] = vm->vmx_type;
}

static void cmd_getmhz(Vmport *vm, uint32_t *g)
{
    g[AX] = vm->mhz;
    g[BX] = VMPORT_MAGIC;
}

static void cmd_gethz(Vmport *vm, uint32_t *g)
{
    uint64_t hz = (uint64_t)vm->mhz * 1000000u;
    g[AX] = (uint32_t)hz;
    g[BX] = (uint32_t)(hz >> 32);
    g[CX] = 0;                  /* no APIC timer frequency to report */
}

static void host_time(Vmport *vm, uint64_t *secs, uint32_t *usecs)
{
    uint64_t ns = vm->now_ns ? vm->now_ns(vm->now_opaque) : 0;
    *secs = (uint64_t)vm->epoch + ns / 1000000000u;
    *usecs = (uint32_t)(ns % 1000000000u / 1000u);
}

static void cmd_gettime(Vmport *vm, uint32_t *g)
{
    uint64_t s;
    uint32_t us;
    host_time(vm, &s, &us);
    g[AX] = (uint32_t)s;
    g[BX] = us;
    g[CX] = 1000000;            /* the largest lag (us) the guest should tolerate */
    g[DX] = 0;                  /* minutes west of UTC: the guest clock is UTC */
}

static void cmd_gettimefull(Vmport *vm, uint32_t *g)
{
    uint64_t s;
    uint32_t us;
    host_time(vm, &s, &us);
    g[AX] = VMPORT_MAGIC;       /* "the full form is supported" */
    g[SI] = (uint32_t)(s >> 32);
    g[DX] = (uint32_t)s;
    g[BX] = us;
    g[CX] = 1000000;
    g[DI] = 0;                  /* the lag: none, the clock is virtual */
}

static void cmd_gethwversion(Vmport *vm, uint32_t *g) { g[AX] = vm->hwversion; }
static void cmd_getmemsize(Vmport *vm, uint32_t *g) { g[AX] = vm->mem_mb; }

static void cmd_getuuid(Vmport *vm, uint32_t *g)
{
    static const int reg[4] = { AX, BX, CX, DX };
    for (int i = 0; i < 4; i++)
        g[reg[i]] = (uint32_t)vm->uuid[4 * i] | (uint32_t)vm->uuid[4 * i + 1] << 8 |
                    (uint32_t)vm->uuid[4 * i + 2] << 16 | (uint32_t)vm->uuid[4 * i + 3] << 24;
}

/* No SVGA device, no absolute mouse, ACPI on, no vCPU features. */
static void cmd_getscreensize(Vmport *vm, uint32_t *g) { (void)vm; g[AX] = 0xFFFFFFFFu; }
static void cmd_ismouseabsolute(Vmport *vm, uint32_t *g) { (void)vm; g[AX] = 0; }
static void cmd_isacpidisabled(Vmport *vm, uint32_t *g) { (void)vm; g[AX] = 0; }
/* Bit 31 says "none of the other bits is valid", which is the truth. */
static void cmd_get_vcpu_info(Vmport *vm, uint32_t *g) { (void)vm; g[AX] = 1u << 31; }

static void cmd_message(Vmport *vm, uint32_t *g);

typedef struct BackdoorCmd {
    uint16_t nr;
    const char *name;
    void (*fn)(Vmport *vm, uint32_t *g);
} BackdoorCmd;

static const BackdoorCmd commands[] = {
    { BD_GETMHZ, "GETMHZ", cmd_getmhz },
    { BD_GETVERSION, "GETVERSION", cmd_getversion },
    { BD_GETSCREENSIZE, "GETSCREENSIZE", cmd_getscreensize },
    { BD_GETHWVERSION, "GETHWVERSION", cmd_gethwversion },
    { BD_GETUUID, "GETUUID", cmd_getuuid },
    { BD_GETMEMSIZE, "GETMEMSIZE", cmd_getmemsize },
    { BD_GETTIME, "GETTIME", cmd_gettime },
    { BD_MESSAGE, "MESSAGE", cmd_message },
    { BD_ISACPIDISABLED, "ISACPIDISABLED", cmd_isacpidisabled },
    { BD_ISMOUSEABSOLUTE, "ISMOUSEABSOLUTE", cmd_ismouseabsolute },
    { BD_GETHZ, "GETHZ", cmd_gethz },
    { BD_GETTIMEFULL, "GETTIMEFULL", cmd_gettimefull },
    { BD_GETTIMEFULL_WITH_LAG, "GETTIMEFULL_WITH_LAG", cmd_gettimefull },
    { BD_GET_VCPU_INFO, "GET_VCPU_INFO", cmd_get_vcpu_info },
};

void vmport_backdoor(Vmport *vm, uint32_t *g)
{
    uint16_t nr = (uint16_t)g[CX];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (commands[i].nr == nr) {
            trace_call(vm, commands[i].name, g);
            commands[i].fn(vm, g);
            return;
        }
    }
    trace_call(vm, "unknown", g);
    /* VMware leaves the registers of a command it does not know; EBX
     * not being the magic is how callers tell. */
    log_event(LOG_UNIMP, "vmport", "backdoor command", nr, NULL);
}

/* ======== message channels ======== */

static void msg_status(uint32_t *g, uint32_t st) { g[CX] = st << 16; }

static VmportChannel *channel_of(Vmport *vm, const uint32_t *g, bool cookies)
{
    unsigned id = hi16(g[DX]);
    if (id >= VMPORT_CHANNELS || !vm->ch[id].open)
        return NULL;
    VmportChannel *c = &vm->ch[id];
    if (cookies && (g[SI] != c->cookie_hi || g[DI] != c->cookie_lo))
        return NULL;
    return c;
}

void vmport_channel_free(VmportChannel *c)
{
    free(c->out);
    free(c->in);
    memset(c, 0, sizeof *c);
}

void vmport_channel_post(VmportChannel *c, const void *msg, uint32_t len)
{
    free(c->in);
    c->in = malloc(len ? len : 1);
    if (!c->in) {
        c->has_in = false;
        return;
    }
    memcpy(c->in, msg, len);
    c->in_len = len;
    c->in_pos = 0;
    c->has_in = true;
}

/* ======== the replay seam ======== */

bool vmport_replaying(const Vmport *vm) { return replay_playing(vm->replay); }

void vmport_host_post(Vmport *vm, VmportChannel *c, const void *msg, uint32_t len)
{
    enum { PIECE = REPLAY_MAX_PAYLOAD - 1 };
    Replay *r = vm->replay;
    if (replay_recording(r)) {
        uint8_t p[REPLAY_MAX_PAYLOAD];
        uint32_t off = 0;
        do {    /* [more][bytes], all at this instruction */
            uint32_t k = len - off < PIECE ? len - off : PIECE;
            p[0] = off + k < len;
            memcpy(p + 1, (const uint8_t *)msg + off, k);
            replay_log(r, RK_HOSTCALL, p, k + 1);
            off += k;
        } while (off < len);
    }
    if (!replay_playing(r)) {
        vmport_channel_post(c, msg, len);
        return;
    }
    uint8_t *buf = NULL;
    uint32_t n = 0;
    const ReplayEvent *e;
    while ((e = replay_take_sync(r, RK_HOSTCALL)) != NULL && e->len >= 1) {
        uint8_t *more = n + e->len <= VMPORT_MSG_MAX ? realloc(buf, n + e->len) : NULL;
        if (!more) {
            replay_fail(r, "vmport: a logged host message is too long");
            break;
        }
        buf = more;
        memcpy(buf + n, e->data + 1, e->len - 1);
        n += e->len - 1;
        bool last = !e->data[0];
        replay_consume(r);
        if (last) {
            vmport_channel_post(c, buf, n);
            break;
        }
    }
    free(buf);
}

static uint32_t next_cookie(Vmport *vm)
{
    /* xorshift32: distinct cookies, the same ones in every run */
    uint32_t x = vm->cookie_seed ? vm->cookie_seed : 0x6B616972u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return vm->cookie_seed = x;
}

static void msg_open(Vmport *vm, uint32_t *g)
{
    uint32_t proto = g[BX] & ~MSG_FLAG_COOKIE;
    if (proto != MSG_PROTO_RPCI && proto != MSG_PROTO_TCLO) {
        log_event(LOG_GUEST_ERROR, "vmport", "unknown channel protocol", proto, NULL);
        msg_status(g, 0);
        return;
    }
    for (unsigned id = 0; id < VMPORT_CHANNELS; id++) {
        VmportChannel *c = &vm->ch[id];
        if (c->open)
            continue;
        memset(c, 0, sizeof *c);
        c->open = true;
        c->tclo = proto == MSG_PROTO_TCLO;
        if (g[BX] & MSG_FLAG_COOKIE) {
            c->cookie_hi = next_cookie(vm);
            c->cookie_lo = next_cookie(vm);
        }
        g[SI] = c->cookie_hi;
        g[DI] = c->cookie_lo;
        set_hi16(&g[DX], id);
        msg_status(g, MSG_ST_SUCCESS);
        if (c->tclo) {
            /* As VMware does when the tools' loop starts: resynchronise,
             * then ask for their capabilities (tools.capability.* RPCs). */
            vm->guest.tools_running = true;
            vmport_tclo_request(vm, "reset");
            vmport_tclo_request(vm, "Capabilities_Register");
        }
        if (vm->trace)
            fprintf(vm->trace, "hostcall: channel %u opened (%s)\n", id, c->tclo ? "TCLO" : "RPCI");
        return;
    }
    msg_status(g, 0);           /* every channel is in use */
}

/* A whole message arrived from the guest. */
static void msg_complete(Vmport *vm, VmportChannel *c)
{
    c->sending = false;
    vmport_rpc_message(vm, c, c->out, c->out_len);
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_size = 0;
}

static bool send_begin(Vmport *vm, VmportChannel *c, uint32_t size)
{
    if (size > VMPORT_MSG_MAX) {
        log_event(LOG_GUEST_ERROR, "vmport", "message too long", size, NULL);
        return false;
    }
    free(c->out);
    c->out = malloc(size ? size : 1);
    if (!c->out)
        return false;
    c->out_size = size;
    c->out_len = 0;
    c->sending = true;
    if (size == 0)
        msg_complete(vm, c);
    return true;
}

/* Append guest bytes to the message being sent; false past its size. */
static bool send_bytes(Vmport *vm, VmportChannel *c, const uint8_t *p, uint32_t n)
{
    if (!c->sending || n > c->out_size - c->out_len)
        return false;
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    if (c->out_len == c->out_size)
        msg_complete(vm, c);
    return true;
}

/* TCLO: the guest's poll takes the next host request when none waits. */
static void tclo_refill(Vmport *vm, VmportChannel *c)
{
    if (!c->tclo || c->has_in)
        return;
    if (vmport_replaying(vm)) {     /* the log says when a request came */
        vmport_host_post(vm, c, NULL, 0);
        return;
    }
    if (vm->tclo_n == 0)
        return;
    const char *req = vm->tclo[vm->tclo_head];
    vmport_host_post(vm, c, req, (uint32_t)strlen(req));
    if (vm->trace)
        fprintf(vm->trace, "hostcall: tclo request \"%s\"\n", req);
    vm->tclo_head = (vm->tclo_head + 1) % VMPORT_TCLO_QUEUE;
    vm->tclo_n--;
}

static void msg_sendsize(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    msg_status(g, send_begin(vm, c, g[BX]) ? MSG_ST_SUCCESS | MSG_ST_HB : 0);
}

static void msg_sendpayload(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    uint8_t b[4] = { (uint8_t)g[BX], (uint8_t)(g[BX] >> 8), (uint8_t)(g[BX] >> 16),
                     (uint8_t)(g[BX] >> 24) };
    uint32_t left = c->sending ? c->out_size - c->out_len : 0;
    msg_status(g, send_bytes(vm, c, b, left < 4 ? left : 4) && left ? MSG_ST_SUCCESS : 0);
}

static void msg_recvsize(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    tclo_refill(vm, c);
    if (!c->has_in) {
        g[BX] = 0;
        msg_status(g, MSG_ST_SUCCESS);
        return;
    }
    c->in_pos = 0;
    g[BX] = c->in_len;
    set_hi16(&g[DX], MSG_SENDSIZE);     /* "the host sends a message of this size" */
    msg_status(g, MSG_ST_SUCCESS | MSG_ST_DORECV | MSG_ST_HB);
}

static void msg_recvpayload(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    (void)vm;
    if (!c->has_in || c->in_pos >= c->in_len) {
        msg_status(g, 0);
        return;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < 4 && c->in_pos + i < c->in_len; i++)
        v |= (uint32_t)c->in[c->in_pos + i] << (8 * i);
    c->in_pos = c->in_len - c->in_pos < 4 ? c->in_len : c->in_pos + 4;
    g[BX] = v;
    set_hi16(&g[DX], MSG_SENDPAYLOAD);
    msg_status(g, MSG_ST_SUCCESS);
}

/* The guest says whether it got the message; either way it is done (a
 * failed RPCI reply is not resent: VMware drops it too). */
static void msg_recvstatus(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    (void)vm;
    if (!c->has_in) {
        msg_status(g, 0);
        return;
    }
    free(c->in);
    c->in = NULL;
    c->has_in = false;
    c->in_len = c->in_pos = 0;
    msg_status(g, MSG_ST_SUCCESS);
}

static void msg_close(Vmport *vm, VmportChannel *c, uint32_t *g)
{
    if (c->tclo)
        vm->guest.tools_running = false;
    if (vm->trace)
        fprintf(vm->trace, "hostcall: channel %u closed\n", (unsigned)(c - vm->ch));
    vmport_channel_free(c);
    msg_status(g, MSG_ST_SUCCESS);
}

static void cmd_message(Vmport *vm, uint32_t *g)
{
    static void (*const ops[])(Vmport *, VmportChannel *, uint32_t *) = {
        [MSG_SENDSIZE] = msg_sendsize, [MSG_SENDPAYLOAD] = msg_sendpayload,
        [MSG_RECVSIZE] = msg_recvsize, [MSG_RECVPAYLOAD] = msg_recvpayload,
        [MSG_RECVSTATUS] = msg_recvstatus, [MSG_CLOSE] = msg_close,
    };
    unsigned type = hi16(g[CX]);
    if (type == MSG_OPEN) {
        msg_open(vm, g);
        return;
    }
    VmportChannel *c = channel_of(vm, g, true);
    if (type >= sizeof ops / sizeof ops[0] || !c) {
        log_event(LOG_GUEST_ERROR, "vmport", "bad message call", type, NULL);
        msg_status(g, 0);
        return;
    }
    ops[type](vm, c, g);
}

/* ======== the high-bandwidth port ========
 * REP OUTSB/INSB with EBX = command | status << 16, DX's high half the
 * channel. The CPU may deliver a transfer in pieces (page runs, the rep
 * budget); each piece continues the message and updates the status. */

static VmportChannel *hb_channel(Vmport *vm, uint32_t *g)
{
    if (g[AX] != VMPORT_MAGIC || (uint16_t)g[BX] != 0)   /* 0: BDOORHB_CMD_MESSAGE */
        return NULL;
    return channel_of(vm, g, false);
}

void vmport_hb_out(Vmport *vm, uint32_t *g, const uint8_t *buf, uint32_t n)
{
    trace_call(vm, "HB out", g);
    VmportChannel *c = hb_channel(vm, g);
    bool ok = c && send_bytes(vm, c, buf, n);
    if (!ok)
        log_event(LOG_GUEST_ERROR, "vmport", "bad high-bandwidth send", n, NULL);
    set_hi16(&g[BX], ok ? MSG_ST_SUCCESS : 0);
}

void vmport_hb_in(Vmport *vm, uint32_t *g, uint8_t *buf, uint32_t n)
{
    trace_call(vm, "HB in", g);
    VmportChannel *c = hb_channel(vm, g);
    bool ok = c && c->has_in && c->in_pos <= c->in_len && n <= c->in_len - c->in_pos;
    if (ok) {
        memcpy(buf, c->in + c->in_pos, n);
        c->in_pos += n;
    } else {
        memset(buf, 0xFF, n);
        log_event(LOG_GUEST_ERROR, "vmport", "bad high-bandwidth receive", n, NULL);
    }
    set_hi16(&g[BX], ok ? MSG_ST_SUCCESS : 0);
}

/* ======== the port slot ======== */

static uint32_t vmport_read(void *opaque, uint16_t port, unsigned size)
{
    Vmport *vm = opaque;
    uint32_t ones = size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
    if (!vm->gpr || port != VMPORT_PORT || size != 4 || vm->gpr[AX] != VMPORT_MAGIC) {
        log_event(LOG_GUEST_ERROR, "vmport", "access without the magic at port", port, NULL);
        return ones;
    }
    vmport_backdoor(vm, vm->gpr);
    return vm->gpr[AX];         /* the IN writes EAX with this */
}

static void vmport_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Vmport *vm = opaque;
    if (port == VMPORT_HB_PORT && size == 1 && vm->gpr) {
        uint8_t b = (uint8_t)value;
        vmport_hb_out(vm, vm->gpr, &b, 1);
        return;
    }
    log_event(LOG_GUEST_ERROR, "vmport", "write to port", port, NULL);
}

static void vmport_read_string(void *opaque, uint16_t port, unsigned size, void *buf,
                               unsigned count)
{
    Vmport *vm = opaque;
    if (port == VMPORT_HB_PORT && size == 1 && vm->gpr) {
        vmport_hb_in(vm, vm->gpr, buf, count);
        return;
    }
    memset(buf, 0xFF, (size_t)size * count);
}

static void vmport_write_string(void *opaque, uint16_t port, unsigned size, const void *buf,
                                unsigned count)
{
    Vmport *vm = opaque;
    if (port == VMPORT_HB_PORT && size == 1 && vm->gpr) {
        vmport_hb_out(vm, vm->gpr, buf, count);
        return;
    }
    log_event(LOG_GUEST_ERROR, "vmport", "string write to port", port, NULL);
}

/* A single INSB (or an unbatched REP INSB) reads one byte at a time. */
static uint32_t vmport_read_port(void *opaque, uint16_t port, unsigned size)
{
    Vmport *vm = opaque;
    if (port == VMPORT_HB_PORT && size == 1 && vm->gpr) {
        uint8_t b;
        vmport_hb_in(vm, vm->gpr, &b, 1);
        return b;
    }
    return vmport_read(opaque, port, size);
}

static const PortOps vmport_ops = { vmport_read_port, vmport_write, true };
static const PortStringOps vmport_string_ops = { vmport_read_string, vmport_write_string };

bool vmport_init(Vmport *vm, PortBus *bus)
{
    int slot = portbus_add_slot(bus, "vmport", &vmport_ops, vm);
    if (slot < 0 || !portbus_map(bus, slot, VMPORT_PORT, 2))
        return false;
    portbus_set_string_ops(bus, slot, &vmport_string_ops);
    if (!vm->mhz)
        vm->mhz = 1000;
    if (!vm->hwversion)
        vm->hwversion = 7;
    if (!vm->vmx_type)
        vm->vmx_type = 2;       /* what QEMU's vmport reports */
    if (vm->hgfs.n_shares == 0)
        hgfs_init(&vm->hgfs);
    return true;
}

void vmport_attach_regs(Vmport *vm, uint32_t *gpr) { vm->gpr = gpr; }

/* --- machine state --- */

/* Reset closes every channel, file handle and host program (a load then
 * brings the channels back, vmport_load_extra). */
static void vmport_reset(void *dev)
{
    Vmport *vm = dev;
    for (int i = 0; i < VMPORT_CHANNELS; i++)
        vmport_channel_free(&vm->ch[i]);
    vm->guest.tools_running = false;
    vm->tclo_n = vm->tclo_head = 0;
    hgfs_close_all(&vm->hgfs);
    exec_stop_all(&vm->exec);
}

static void vmport_teardown(void *dev)
{
    Vmport *vm = dev;
    vmport_reset(vm);
    hgfs_free(&vm->hgfs);
    exec_free(&vm->exec);
    free(vm->hgfs_reply);
    vm->hgfs_reply = NULL;
}

static void vmport_info(void *dev, FILE *out)
{
    const Vmport *vm = dev;
    int open = 0;
    for (int i = 0; i < VMPORT_CHANNELS; i++)
        open += vm->ch[i].open;
    fprintf(out, "vmport: %llu calls, %d channels open, %d guestinfo variables, "
                 "%d host requests queued\n",
            (unsigned long long)vm->calls, open, vm->n_info, vm->tclo_n);
    vmport_print_guest(vm, out);
}

/* The channels (messages half sent or unfetched), the guestinfo
 * variables and the queued host requests travel in a snapshot; open HGFS
 * handles and host programs do not (the guest gets INVALID_HANDLE or "no
 * such program" afterwards, as after a host restart). */
static void put_string(StateWriter *w, const char *s)
{
    uint16_t n = (uint16_t)strlen(s);
    state_put_u16(w, n);
    state_put_bytes(w, s, n);
}

static bool get_string(StateReader *r, char *s, size_t cap)
{
    uint16_t n = state_get_u16(r);
    if (n >= cap)
        return false;
    state_get_bytes(r, s, n);
    s[n] = 0;
    return state_ok(r);
}

static void vmport_save_extra(void *dev, StateWriter *w)
{
    Vmport *vm = dev;
    for (int i = 0; i < VMPORT_CHANNELS; i++) {
        const VmportChannel *c = &vm->ch[i];
        state_put_u8(w, c->open);
        if (!c->open)
            continue;
        state_put_u8(w, c->tclo);
        state_put_u32(w, c->cookie_hi);
        state_put_u32(w, c->cookie_lo);
        state_put_u8(w, c->sending);
        state_put_u32(w, c->sending ? c->out_size : 0);
        state_put_u32(w, c->sending ? c->out_len : 0);
        if (c->sending)
            state_put_bytes(w, c->out, c->out_len);
        state_put_u8(w, c->has_in);
        state_put_u32(w, c->has_in ? c->in_len : 0);
        state_put_u32(w, c->has_in ? c->in_pos : 0);
        if (c->has_in)
            state_put_bytes(w, c->in, c->in_len);
    }
    state_put_u32(w, (uint32_t)vm->n_info);
    for (int i = 0; i < vm->n_info; i++) {
        put_string(w, vm->info[i].key);
        put_string(w, vm->info[i].value);
    }
    state_put_u32(w, (uint32_t)vm->tclo_n);
    for (int i = 0; i < vm->tclo_n; i++)
        put_string(w, vm->tclo[(vm->tclo_head + i) % VMPORT_TCLO_QUEUE]);
}

static bool load_channel(StateReader *r, VmportChannel *c)
{
    c->open = true;
    c->tclo = state_get_u8(r);
    c->cookie_hi = state_get_u32(r);
    c->cookie_lo = state_get_u32(r);
    c->sending = state_get_u8(r);
    c->out_size = state_get_u32(r);
    c->out_len = state_get_u32(r);
    if (!state_ok(r) || c->out_size > VMPORT_MSG_MAX || c->out_len > c->out_size)
        return false;
    if (c->sending) {
        if (!(c->out = malloc(c->out_size ? c->out_size : 1)))
            return false;
        state_get_bytes(r, c->out, c->out_len);
    }
    c->has_in = state_get_u8(r);
    c->in_len = state_get_u32(r);
    c->in_pos = state_get_u32(r);
    if (!state_ok(r) || c->in_len > VMPORT_MSG_MAX || c->in_pos > c->in_len)
        return false;
    if (c->has_in) {
        if (!(c->in = malloc(c->in_len ? c->in_len : 1)))
            return false;
        state_get_bytes(r, c->in, c->in_len);
    }
    return state_ok(r);
}

static bool vmport_load_extra(void *dev, StateReader *r, uint32_t version, char *err,
                              size_t errlen)
{
    (void)version;
    Vmport *vm = dev;
    for (int i = 0; i < VMPORT_CHANNELS; i++) {
        if (state_get_u8(r) && !load_channel(r, &vm->ch[i])) {
            snprintf(err, errlen, "vmport: channel %d is malformed", i);
            return false;
        }
        if (vm->ch[i].open && vm->ch[i].tclo)
            vm->guest.tools_running = true;
    }
    uint32_t n = state_get_u32(r);
    if (!state_ok(r) || n > VMPORT_GUESTINFO_MAX) {
        snprintf(err, errlen, "vmport: %u guestinfo variables", n);
        return false;
    }
    vm->n_info = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_string(r, vm->info[i].key, sizeof vm->info[i].key) ||
            !get_string(r, vm->info[i].value, sizeof vm->info[i].value)) {
            snprintf(err, errlen, "vmport: guestinfo variable %u is malformed", i);
            return false;
        }
    }
    n = state_get_u32(r);
    if (!state_ok(r) || n > VMPORT_TCLO_QUEUE) {
        snprintf(err, errlen, "vmport: %u queued host requests", n);
        return false;
    }
    vm->tclo_head = 0;
    vm->tclo_n = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_string(r, vm->tclo[i], sizeof vm->tclo[i])) {
            snprintf(err, errlen, "vmport: host request %u is malformed", i);
            return false;
        }
    }
    return true;
}

static const StateField vmport_fields[] = {
    SF_FIELD(Vmport, cookie_seed, SF_U32),
};

const DeviceDesc vmport_desc = {
    .kind = "vmport",
    .version = 1,
    .fields = vmport_fields,
    .n_fields = sizeof vmport_fields / sizeof vmport_fields[0],
    .reset = vmport_reset,
    .save_extra = vmport_save_extra,
    .load_extra = vmport_load_extra,
    .info = vmport_info,
    .teardown = vmport_teardown,
};
