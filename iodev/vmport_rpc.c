/* SPDX-License-Identifier: MIT */
/* The RPC layer over the backdoor's message channels (iodev/vmport.h):
 * RPCI requests from the guest's tools (guestinfo variables, log lines,
 * capability and state reports) and the TCLO loop through which the host
 * asks the tools for things (soft power-off and reboot, time sync, the
 * guest's IP address). Every request and reply shows under -d hostcall. */
#include "iodev/vmport.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debug/log.h"
#include "machine/json.h"

/* ======== guestinfo variables ======== */

static VmportKV *info_find(Vmport *vm, const char *key, size_t klen)
{
    for (int i = 0; i < vm->n_info; i++)
        if (strlen(vm->info[i].key) == klen && !memcmp(vm->info[i].key, key, klen))
            return &vm->info[i];
    return NULL;
}

static bool info_set(Vmport *vm, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (klen == 0 || klen >= VMPORT_KEY_MAX || vlen >= VMPORT_VALUE_MAX)
        return false;
    VmportKV *kv = info_find(vm, key, klen);
    if (!kv) {
        if (vm->n_info == VMPORT_GUESTINFO_MAX)
            return false;
        kv = &vm->info[vm->n_info++];
        memcpy(kv->key, key, klen);
        kv->key[klen] = 0;
    }
    memcpy(kv->value, val, vlen);
    kv->value[vlen] = 0;
    return true;
}

bool vmport_set_guestinfo(Vmport *vm, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (strncmp(arg, "guestinfo.", 10) != 0 || !eq || eq == arg + 10)
        return false;
    return info_set(vm, arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1));
}

/* ======== RPCI ======== */

/* Copy text into the reply buffer as "1 text" or "0 text". */
static uint32_t reply(char *out, uint32_t cap, bool ok, const char *text, size_t tlen)
{
    if (cap < 3)
        return 0;
    out[0] = ok ? '1' : '0';
    out[1] = ' ';
    if (tlen > cap - 2)
        tlen = cap - 2;
    memcpy(out + 2, text, tlen);
    return (uint32_t)(2 + tlen);
}

static uint32_t reply_str(char *out, uint32_t cap, bool ok, const char *text)
{
    return reply(out, cap, ok, text, strlen(text));
}

/* A copy of at most cap-1 bytes, NUL-terminated, with controls made '?'. */
static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        dst[i] = (src[i] >= 0x20 && src[i] != 0x7F) || (src[i] & 0x80) ? src[i] : '?';
    dst[len] = 0;
}

static uint64_t parse_decimal(const char *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 19 && isdigit((unsigned char)p[i]); i++)
        v = v * 10 + (uint64_t)(p[i] - '0');
    return v;
}

typedef struct Req {
    const char *args;       /* after the command word and one space */
    size_t alen;
} Req;

static uint32_t rpc_info_get(Vmport *vm, Req r, char *out, uint32_t cap)
{
    VmportKV *kv = info_find(vm, r.args, r.alen);
    if (!kv || strncmp(kv->key, "guestinfo.", 10) != 0)
        return reply_str(out, cap, false, "No value found");
    return reply_str(out, cap, true, kv->value);
}

static uint32_t rpc_info_set(Vmport *vm, Req r, char *out, uint32_t cap)
{
    const char *sp = memchr(r.args, ' ', r.alen);
    size_t klen = sp ? (size_t)(sp - r.args) : r.alen;
    size_t vlen = sp ? r.alen - klen - 1 : 0;
    if (klen < 11 || strncmp(r.args, "guestinfo.", 10) != 0)
        return reply_str(out, cap, false, "Invalid key");
    char val[VMPORT_VALUE_MAX];
    copy_text(val, sizeof val, sp ? sp + 1 : "", vlen);
    if (!info_set(vm, r.args, klen, val, strlen(val)))
        return reply_str(out, cap, false, "Too many variables or too long");
    if (klen == 12 && !memcmp(r.args, "guestinfo.ip", 12))
        copy_text(vm->guest.ip, sizeof vm->guest.ip, val, strlen(val));   /* cut to fit */
    return reply_str(out, cap, true, "");
}

static uint32_t rpc_log(Vmport *vm, Req r, char *out, uint32_t cap)
{
    char line[VMPORT_VALUE_MAX];
    copy_text(line, sizeof line, r.args, r.alen);
    vm->guest.logs++;
    if (vm->trace)
        fprintf(vm->trace, "hostcall: guest log: %s\n", line);
    return reply_str(out, cap, true, "");
}

/* ======== the NIC report: XDR (RFC 4506, big-endian 4-byte units) ======== */

typedef struct Xdr {
    const uint8_t *p;
    size_t n, pos;
    bool bad;
} Xdr;

static uint32_t xdr_u32(Xdr *x)
{
    if (x->bad || x->n - x->pos < 4) {
        x->bad = true;
        return 0;
    }
    const uint8_t *b = x->p + x->pos;
    x->pos += 4;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Variable-length opaque data of at most max bytes (padded to 4). */
static const uint8_t *xdr_opaque(Xdr *x, uint32_t *len, uint32_t max)
{
    *len = xdr_u32(x);
    size_t padded = ((size_t)*len + 3) & ~(size_t)3;
    if (x->bad || *len > max || padded > x->n - x->pos) {
        x->bad = true;
        return NULL;
    }
    const uint8_t *d = x->p + x->pos;
    x->pos += padded;
    return d;
}

/* An optional enum (XDR pointer: present flag, then the value). */
static void xdr_skip_optional_u32(Xdr *x)
{
    if (xdr_u32(x))
        xdr_u32(x);
}

static void append_ip(char *list, size_t cap, uint32_t type, const uint8_t *a, uint32_t len)
{
    char one[48];
    size_t used = strlen(list);
    if (type == 1 && len == 4)          /* IAT_IPV4 */
        snprintf(one, sizeof one, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    else if (type == 2 && len == 16) {  /* IAT_IPV6: full form, no compression */
        int o = 0;
        for (int i = 0; i < 16; i += 2)
            o += snprintf(one + o, sizeof one - (size_t)o, "%s%x", i ? ":" : "",
                          (unsigned)(a[i] << 8 | a[i + 1]));
    } else
        return;
    if (used + strlen(one) + 2 < cap)
        snprintf(list + used, cap - used, "%s%s", used ? " " : "", one);
}

bool vmport_parse_nicinfo(VmportGuest *g, const uint8_t *p, size_t n)
{
    Xdr x = { p, n, 0, false };
    /* GuestNicProto: version 3, then a present NicInfoV3 with its NIC list. */
    if (xdr_u32(&x) != 3 || xdr_u32(&x) != 1)
        return false;
    uint32_t nics = xdr_u32(&x), len;
    if (x.bad || nics == 0)
        return !x.bad;
    const uint8_t *mac = xdr_opaque(&x, &len, 64);
    uint32_t ips = xdr_u32(&x);
    if (x.bad || ips > 2048)
        return false;
    char list[VMPORT_VALUE_MAX] = "";
    for (uint32_t i = 0; i < ips && !x.bad; i++) {
        uint32_t type = xdr_u32(&x), alen;
        const uint8_t *addr = xdr_opaque(&x, &alen, 16);
        xdr_u32(&x);                    /* prefix length */
        xdr_skip_optional_u32(&x);      /* origin */
        xdr_skip_optional_u32(&x);      /* status */
        if (!x.bad)
            append_ip(list, sizeof list, type, addr, alen);
    }
    if (x.bad)
        return false;
    copy_text(g->mac, sizeof g->mac, (const char *)mac, len);
    snprintf(g->nic_ips, sizeof g->nic_ips, "%s", list);
    return true;
}

/* SetGuestInfo  KEY VALUE (two spaces: an empty field before the key). */
enum { GI_DNS_NAME = 1, GI_OS_NAME_FULL = 5, GI_OS_NAME = 6, GI_UPTIME = 7, GI_BUILD = 4,
       GI_NIC_V3 = 10, GI_OS_STRUCTURED = 11 };

static uint32_t rpc_set_guest_info(Vmport *vm, Req r, char *out, uint32_t cap)
{
    const char *p = r.args, *end = r.args + r.alen;
    while (p < end && *p == ' ')
        p++;
    unsigned key = 0;
    while (p < end && isdigit((unsigned char)*p) && key < 1000)
        key = key * 10 + (unsigned)(*p++ - '0');
    if (p < end && *p == ' ')
        p++;
    size_t vlen = (size_t)(end - p);
    VmportGuest *g = &vm->guest;
    switch (key) {
    case GI_DNS_NAME: copy_text(g->hostname, sizeof g->hostname, p, vlen); break;
    case GI_OS_NAME_FULL: copy_text(g->os_full, sizeof g->os_full, p, vlen); break;
    case GI_OS_NAME: copy_text(g->os_name, sizeof g->os_name, p, vlen); break;
    case GI_BUILD: copy_text(g->tools_version, sizeof g->tools_version, p, vlen); break;
    case GI_UPTIME: g->uptime_cs = parse_decimal(p, vlen); break;
    case GI_NIC_V3:
        if (!vmport_parse_nicinfo(g, (const uint8_t *)p, vlen))
            return reply_str(out, cap, false, "Malformed NIC information");
        break;
    /* Refused so that the tools fall back to the plain OS names (5, 6). */
    case GI_OS_STRUCTURED: return reply_str(out, cap, false, "Unsupported");
    case 0: return reply_str(out, cap, false, "Bad key");
    default: break;     /* disk, NIC (XDR) and memory reports: accepted, not kept */
    }
    return reply_str(out, cap, true, "");
}

static uint32_t rpc_statechange(Vmport *vm, Req r, char *out, uint32_t cap)
{
    copy_text(vm->guest.state_change, sizeof vm->guest.state_change, r.args, r.alen);
    return reply_str(out, cap, true, "");
}

static uint32_t rpc_capability(Vmport *vm, Req r, char *out, uint32_t cap)
{
    (void)r;
    vm->guest.caps++;
    return reply_str(out, cap, true, "");
}

static uint32_t rpc_set_version(Vmport *vm, Req r, char *out, uint32_t cap)
{
    copy_text(vm->guest.tools_version, sizeof vm->guest.tools_version, r.args, r.alen);
    return reply_str(out, cap, true, "");
}

typedef struct RpcCmd {
    const char *name;       /* the request's first word, or a prefix ending in '.' */
    uint32_t (*fn)(Vmport *vm, Req r, char *out, uint32_t cap);
} RpcCmd;

static const RpcCmd rpc_commands[] = {
    { "info-get", rpc_info_get },
    { "info-set", rpc_info_set },
    { "log", rpc_log },
    { "SetGuestInfo", rpc_set_guest_info },
    { "tools.os.statechange.status", rpc_statechange },
    { "tools.set.version", rpc_set_version },
    { "tools.capability.", rpc_capability },
};

uint32_t vmport_rpci_reply(Vmport *vm, const char *req, uint32_t len, char *out, uint32_t cap)
{
    while (len && req[len - 1] == 0)    /* the tools send C strings with their NUL */
        len--;
    const char *sp = memchr(req, ' ', len);
    size_t wlen = sp ? (size_t)(sp - req) : len;
    for (size_t i = 0; i < sizeof rpc_commands / sizeof rpc_commands[0]; i++) {
        const char *name = rpc_commands[i].name;
        size_t nlen = strlen(name);
        bool prefix = name[nlen - 1] == '.';
        if (prefix ? (wlen >= nlen && !memcmp(req, name, nlen))
                   : (wlen == nlen && !memcmp(req, name, nlen))) {
            Req r = { sp ? sp + 1 : req + len, sp ? len - wlen - 1 : 0 };
            return rpc_commands[i].fn(vm, r, out, cap);
        }
    }
    return reply_str(out, cap, false, "Unknown command");
}

/* ======== TCLO: the guest's replies ======== */

static void tclo_reply(Vmport *vm, const uint8_t *msg, uint32_t len)
{
    while (len && msg[len - 1] == 0)
        len--;
    if (len)    /* the first poll sends an empty message: nothing answered yet */
        copy_text(vm->guest.last_reply, sizeof vm->guest.last_reply, (const char *)msg, len);
}

/* "f " + an HGFS packet: "1 " + the reply packet, or "0 ..." when there
 * are no shares (vmhgfs-fuse then says the host has none) or the packet
 * is too short to answer. */
static void rpc_hgfs(Vmport *vm, VmportChannel *c, const uint8_t *pkt, uint32_t len)
{
    size_t cap = 2 + HGFS_PACKET_MAX_LARGE;
    if (!vm->hgfs_reply)
        vm->hgfs_reply = malloc(cap);
    size_t n = 0;
    if (vmport_replaying(vm)) {     /* the log has the reply; the host is not touched */
        vmport_host_post(vm, c, NULL, 0);
        return;
    }
    if (vm->hgfs_reply && vm->hgfs.n_shares) {
        vm->hgfs.trace = vm->trace;
        n = hgfs_dispatch(&vm->hgfs, pkt, len, vm->hgfs_reply + 2, cap - 2);
    }
    if (!n) {
        static const char no[] = "0 HGFS is not available";
        vmport_host_post(vm, c, no, sizeof no - 1);
        return;
    }
    vm->hgfs_reply[0] = '1';
    vm->hgfs_reply[1] = ' ';
    vmport_host_post(vm, c, vm->hgfs_reply, (uint32_t)(n + 2));
}

/* kairo.exec.*: binary requests and replies (iodev/vmport_exec.h). */
static void rpc_exec(Vmport *vm, VmportChannel *c, const uint8_t *msg, uint32_t len)
{
    size_t cap = 2 + HGFS_PACKET_MAX_LARGE;
    if (vmport_replaying(vm)) {     /* no program runs again: the log has its output */
        vmport_host_post(vm, c, NULL, 0);
        return;
    }
    if (!vm->hgfs_reply)
        vm->hgfs_reply = malloc(cap);
    if (!vm->hgfs_reply)
        return;
    vm->exec.trace = vm->trace;
    size_t n = exec_dispatch(&vm->exec, msg, len, vm->hgfs_reply, cap);
    vmport_host_post(vm, c, vm->hgfs_reply, (uint32_t)n);
}

void vmport_rpc_message(Vmport *vm, VmportChannel *c, const uint8_t *msg, uint32_t len)
{
    bool hgfs = (len >= 2 && msg[0] == 'f' && msg[1] == ' ') ||
                (len >= 16 && !memcmp(msg, "kairo.exec.write", 16));   /* binary */
    if (vm->trace && (len || !c->tclo) && !hgfs) {   /* not empty TCLO polls; HGFS: below */
        char text[VMPORT_VALUE_MAX];
        copy_text(text, sizeof text, (const char *)msg, len);
        fprintf(vm->trace, "hostcall: %s \"%s\"%s\n", c->tclo ? "tclo reply" : "rpci",
                text, len >= sizeof text ? " (cut)" : "");
    }
    if (c->tclo) {
        tclo_reply(vm, msg, len);
        return;
    }
    if (len >= 2 && msg[0] == 'f' && msg[1] == ' ') {
        rpc_hgfs(vm, c, msg + 2, len - 2);
        return;
    }
    if (len >= 11 && !memcmp(msg, "kairo.exec.", 11)) {
        rpc_exec(vm, c, msg, len);
        return;
    }
    char out[VMPORT_VALUE_MAX + 16];
    uint32_t n = vmport_rpci_reply(vm, (const char *)msg, len, out, sizeof out);
    if (vm->trace)
        fprintf(vm->trace, "hostcall: rpci reply \"%.*s\"\n", (int)n, out);
    vmport_host_post(vm, c, out, n);
}

/* ======== host requests ======== */

bool vmport_tclo_request(Vmport *vm, const char *request)
{
    if (vm->tclo_n == VMPORT_TCLO_QUEUE || strlen(request) >= VMPORT_VALUE_MAX)
        return false;
    int slot = (vm->tclo_head + vm->tclo_n) % VMPORT_TCLO_QUEUE;
    snprintf(vm->tclo[slot], sizeof vm->tclo[slot], "%s", request);
    vm->tclo_n++;
    return true;
}

static const struct {
    const char *what;
    const char *request;
} guest_requests[] = {
    { "poweroff", "OS_Halt" },
    { "reboot", "OS_Reboot" },
    { "timesync", "Time_Synchronize 1" },
    { "ip", "Set_Option broadcastIP 1" },
    { "ping", "ping" },
    { "capabilities", "Capabilities_Register" },
};

bool vmport_guest_request(Vmport *vm, const char *what, const char **err)
{
    for (size_t i = 0; i < sizeof guest_requests / sizeof guest_requests[0]; i++) {
        if (strcmp(what, guest_requests[i].what) != 0)
            continue;
        if (!vm->guest.tools_running) {
            *err = "the guest's tools are not running (no TCLO channel open)";
            return false;
        }
        if (!vmport_tclo_request(vm, guest_requests[i].request)) {
            *err = "too many requests are waiting for the guest";
            return false;
        }
        return true;
    }
    *err = "unknown request (poweroff, reboot, timesync, ip, ping, capabilities)";
    return false;
}

/* ======== reports ======== */

void vmport_print_guest(const Vmport *vm, FILE *out)
{
    const VmportGuest *g = &vm->guest;
    fprintf(out, "guest tools: %s\n", g->tools_running ? "running" : "not running");
    fprintf(out, "  os: %s\n  os name: %s\n  host name: %s\n  ip: %s\n  tools version: %s\n",
            g->os_full[0] ? g->os_full : "-", g->os_name[0] ? g->os_name : "-",
            g->hostname[0] ? g->hostname : "-", g->ip[0] ? g->ip : "-",
            g->tools_version[0] ? g->tools_version : "-");
    fprintf(out, "  nic: %s %s\n", g->mac[0] ? g->mac : "-", g->nic_ips[0] ? g->nic_ips : "-");
    fprintf(out, "  uptime: %llu.%02llu s, capabilities: %u, log lines: %u\n",
            (unsigned long long)(g->uptime_cs / 100), (unsigned long long)(g->uptime_cs % 100),
            g->caps, g->logs);
    fprintf(out, "  last reply: %s\n  state change: %s\n",
            g->last_reply[0] ? g->last_reply : "-", g->state_change[0] ? g->state_change : "-");
    for (int i = 0; i < vm->n_info; i++)
        fprintf(out, "  %s = %s\n", vm->info[i].key, vm->info[i].value);
}

void vmport_write_guest_json(const Vmport *vm, FILE *out)
{
    const VmportGuest *g = &vm->guest;
    fprintf(out, "{\"tools-running\": %s, \"os\": ", g->tools_running ? "true" : "false");
    json_write_string(out, g->os_full);
    fputs(", \"os-name\": ", out);
    json_write_string(out, g->os_name);
    fputs(", \"host-name\": ", out);
    json_write_string(out, g->hostname);
    fputs(", \"ip\": ", out);
    json_write_string(out, g->ip);
    fputs(", \"mac\": ", out);
    json_write_string(out, g->mac);
    fputs(", \"addresses\": ", out);
    json_write_string(out, g->nic_ips);
    fputs(", \"tools-version\": ", out);
    json_write_string(out, g->tools_version);
    fputs(", \"last-reply\": ", out);
    json_write_string(out, g->last_reply);
    fputs(", \"guestinfo\": {", out);
    for (int i = 0; i < vm->n_info; i++) {
        fputs(i ? ", " : "", out);
        json_write_string(out, vm->info[i].key);
        fputs(": ", out);
        json_write_string(out, vm->info[i].value);
    }
    fputs("}}", out);
}
