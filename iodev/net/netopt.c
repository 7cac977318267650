/* SPDX-License-Identifier: MIT */
/* Parsing of -netdev, -nic, -device ne2k_*, -object filter-dump (see netopt.h). */
#include "iodev/net/netopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *fmt, const char *arg)
{
    fputs("kairo: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return -1;
}

static bool copy_value(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);
    if (n >= cap)
        return false;
    memcpy(dst, v, n + 1);
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

bool netopt_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return !(mac[0] & 1);   /* a station address is never multicast */
}

static const struct { const char *name; int kind; } netdev_kinds[] = {
    { "user", NETDEV_USER }, { "tap", NETDEV_TAP }, { "raw", NETDEV_RAW },
    { "socket", NETDEV_SOCKET },
};

static int netdev_kind(const char *name)
{
    for (size_t i = 0; i < sizeof netdev_kinds / sizeof netdev_kinds[0]; i++)
        if (!strcmp(name, netdev_kinds[i].name))
            return netdev_kinds[i].kind;
    return -1;
}

/* Backend properties (shared by -netdev and -nic); 1 = not a backend key. */
static int netdev_property(NetdevConfig *c, const char *key, const char *v)
{
    char *dst = NULL;
    size_t cap = NET_ADDR_LEN;
    if (!strcmp(key, "id"))
        dst = c->id, cap = sizeof c->id;
    else if (!strcmp(key, "ifname") && (c->kind == NETDEV_TAP || c->kind == NETDEV_RAW))
        dst = c->ifname, cap = sizeof c->ifname;
    else if (c->kind == NETDEV_SOCKET && !strcmp(key, "udp"))
        dst = c->udp;
    else if (c->kind == NETDEV_SOCKET && !strcmp(key, "localaddr"))
        dst = c->localaddr;
    else if (c->kind == NETDEV_SOCKET && !strcmp(key, "listen"))
        dst = c->listen;
    else if (c->kind == NETDEV_SOCKET && !strcmp(key, "connect"))
        dst = c->connect;
    else if (c->kind == NETDEV_USER && !strcmp(key, "net"))
        dst = c->net;
    else if (c->kind == NETDEV_USER && !strcmp(key, "host"))
        dst = c->host;
    else if (c->kind == NETDEV_USER && !strcmp(key, "dhcpstart"))
        dst = c->dhcpstart;
    else if (c->kind == NETDEV_USER && !strcmp(key, "dns"))
        dst = c->dns;
    else if (c->kind == NETDEV_USER && !strcmp(key, "hostfwd")) {
        if (c->n_hostfwd == NET_MAX_HOSTFWD)
            return fail("at most %s hostfwd rules per netdev", "8");
        dst = c->hostfwd[c->n_hostfwd++];
    } else if (c->kind == NETDEV_USER && (!strcmp(key, "ipv4") || !strcmp(key, "ipv6"))) {
        bool on = !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "y");
        if (!on && strcmp(v, "off") && strcmp(v, "no") && strcmp(v, "n"))
            return fail("bad %s= value (on, off)", key);
        *(key[3] == '4' ? &c->ipv4 : &c->ipv6) = on;
        return 0;
    } else if (c->kind == NETDEV_USER && (!strcmp(key, "ipv6-net") || !strcmp(key, "ipv6-prefix"))) {
        dst = c->ipv6_net;
    } else if (c->kind == NETDEV_USER && !strcmp(key, "hostname")) {
        dst = c->hostname, cap = sizeof c->hostname;
    } else if (c->kind == NETDEV_USER && !strcmp(key, "restrict")) {
        c->restricted = !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "y");
        return 0;
    } else if (c->kind == NETDEV_TAP && (!strcmp(key, "script") || !strcmp(key, "downscript"))) {
        /* Kairo never runs scripts: only "no" is meaningful. */
        return strcmp(v, "no") ? fail("tap: %s must be 'no' (Kairo runs no scripts)", key) : 0;
    } else {
        return 1;
    }
    if (!copy_value(dst, cap, v))
        return fail("network property value too long: '%s'", v);
    return 0;
}

static int check_netdev(const NetdevConfig *c)
{
    if ((c->kind == NETDEV_TAP || c->kind == NETDEV_RAW) && !c->ifname[0])
        return fail("-netdev %s needs ifname=", c->kind == NETDEV_TAP ? "tap" : "raw");
    if (c->kind == NETDEV_SOCKET && !c->udp[0] && !c->listen[0] && !c->connect[0])
        return fail("%s", "-netdev socket needs udp=HOST:PORT (with localaddr=), listen= or connect=");
    if (c->kind == NETDEV_SOCKET && c->udp[0] && !c->localaddr[0])
        return fail("%s", "-netdev socket,udp= needs localaddr=HOST:PORT");
    return 0;
}

static NetdevConfig *new_netdev(NetOptions *o)
{
    if (o->n_netdevs == NET_MAX_NETDEVS)
        return NULL;
    NetdevConfig *c = &o->netdev[o->n_netdevs++];
    memset(c, 0, sizeof *c);
    c->ipv4 = c->ipv6 = true;   /* libslirp offers both, as in QEMU */
    return c;
}

static const NetdevConfig *find_netdev(const NetOptions *o, const char *id)
{
    for (int i = 0; i < o->n_netdevs; i++)
        if (!strcmp(o->netdev[i].id, id))
            return &o->netdev[i];
    return NULL;
}

int netopt_netdev(NetOptions *o, const char *spec)
{
    char buf[1024];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-netdev: specification too long");
    char *save = NULL;
    char *type = strtok_r(buf, ",", &save);
    int kind = type ? netdev_kind(type) : -1;
    if (kind < 0)
        return fail("unknown -netdev type '%s' (user, tap, raw, socket)", type ? type : "");
    NetdevConfig *c = new_netdev(o);
    if (!c)
        return fail("at most %s -netdev backends", "4");
    c->kind = kind;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad -netdev property '%s'", kv);
        *eq = 0;
        int r = netdev_property(c, kv, eq + 1);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail("unknown -netdev property '%s'", kv);
    }
    if (!c->id[0])
        return fail("-netdev %s needs id=", type);
    for (int i = 0; i < o->n_netdevs - 1; i++)
        if (!strcmp(o->netdev[i].id, c->id))
            return fail("duplicate -netdev id '%s'", c->id);
    return check_netdev(c);
}

static NicConfig *new_nic(NetOptions *o, int model)
{
    if (o->n_nics == NET_MAX_NICS)
        return NULL;
    NicConfig *n = &o->nic[o->n_nics];
    memset(n, 0, sizeof *n);
    n->model = model;
    n->iobase = 0x300;
    n->irq = 9;
    n->pci_slot = -1;
    /* QEMU's default MAC, the last byte counting the cards. */
    static const uint8_t base_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(n->mac, base_mac, 6);
    n->mac[5] = (uint8_t)(n->mac[5] + o->n_nics);
    o->n_nics++;
    return n;
}

/* Card properties (shared by -device and -nic); 1 = not a card key. */
static int nic_property(NicConfig *n, const char *key, const char *v)
{
    unsigned long x;
    if (!strcmp(key, "mac")) {
        if (!netopt_parse_mac(v, n->mac))
            return fail("bad MAC address '%s' (xx:xx:xx:xx:xx:xx, not multicast)", v);
        n->mac_set = true;
    } else if (!strcmp(key, "netdev")) {
        if (!copy_value(n->netdev, sizeof n->netdev, v))
            return fail("netdev id too long: '%s'", v);
    } else if (n->model == NIC_NE2K_ISA && !strcmp(key, "iobase")) {
        if (!parse_uint(v, 0xFFE0, &x) || (x & 0x1F))
            return fail("bad ne2k_isa iobase '%s' (32-byte aligned)", v);
        n->iobase = (uint16_t)x;
    } else if (n->model == NIC_NE2K_ISA && !strcmp(key, "irq")) {
        if (!parse_uint(v, 15, &x) || x < 2 || x == 8 || x == 13)
            return fail("bad ne2k_isa irq '%s' (2-15, not 8 or 13)", v);
        n->irq = (uint8_t)(x == 2 ? 9 : x);
    } else if (n->model == NIC_NE2K_PCI && !strcmp(key, "addr")) {
        /* addr=S or addr=S.0 */
        char slot[8];
        size_t len = strcspn(v, ".");
        if (len == 0 || len >= sizeof slot || (v[len] && strcmp(v + len, ".0")))
            return fail("bad ne2k_pci addr '%s' (slot number)", v);
        memcpy(slot, v, len);
        slot[len] = 0;
        if (!parse_uint(slot, 31, &x) || x < 3)
            return fail("bad ne2k_pci addr '%s' (slot 3-31)", v);
        n->pci_slot = (int)x;
    } else if (!strcmp(key, "id")) {
        /* accepted for QEMU command lines; nothing refers to it */
    } else {
        return 1;
    }
    return 0;
}

static int model_of(const char *name)
{
    if (!strcmp(name, "ne2k_isa"))
        return NIC_NE2K_ISA;
    if (!strcmp(name, "ne2k_pci") || !strcmp(name, "rtl8029"))
        return NIC_NE2K_PCI;
    return -1;
}

int netopt_device(NetOptions *o, const char *spec)
{
    char buf[512];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-device: specification too long");
    char *save = NULL;
    char *name = strtok_r(buf, ",", &save);
    int model = name ? model_of(name) : -1;
    if (model < 0)
        return fail("unknown network device '%s' (ne2k_isa, ne2k_pci)", spec);
    NicConfig *n = new_nic(o, model);
    if (!n)
        return fail("at most %s network cards", "4");
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad -device property '%s'", kv);
        *eq = 0;
        int r = nic_property(n, kv, eq + 1);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail("unknown network card property '%s'", kv);
    }
    return 0;
}

int netopt_nic(NetOptions *o, const char *spec)
{
    char buf[1024];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-nic: specification too long");
    char *save = NULL;
    char *type = strtok_r(buf, ",", &save);
    if (type && !strcmp(type, "none")) {
        o->none = true;
        return 0;
    }
    /* -nic model=... without a type: the user backend. */
    bool typed = type && !strchr(type, '=');
    int kind = typed ? netdev_kind(type) : NETDEV_USER;
    if (kind < 0)
        return fail("unknown -nic type '%s' (user, tap, raw, socket, none)", type);
    NetdevConfig *c = new_netdev(o);
    if (!c)
        return fail("at most %s -netdev backends", "4");
    c->kind = kind;
    snprintf(c->id, sizeof c->id, "__nic%d", o->n_netdevs - 1);
    /* The model decides which card properties apply: find it first. */
    int model = NIC_NE2K_PCI;
    const char *m = strstr(spec, "model=");
    if (m) {
        char mname[32];
        size_t len = strcspn(m + 6, ",");
        if (len >= sizeof mname || (snprintf(mname, sizeof mname, "%.*s", (int)len, m + 6),
                                    (model = model_of(mname)) < 0))
            return fail("unknown -nic model in '%s' (ne2k_pci, ne2k_isa)", spec);
    }
    NicConfig *n = new_nic(o, model);
    if (!n)
        return fail("at most %s network cards", "4");
    memcpy(n->netdev, c->id, sizeof n->netdev);
    char *kv = typed ? strtok_r(NULL, ",", &save) : type;
    for (; kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad -nic property '%s'", kv);
        *eq = 0;
        if (!strcmp(kv, "model"))
            continue;
        if (!strcmp(kv, "id"))
            return fail("%s", "-nic takes no id= (use -netdev and -device)");
        int r = nic_property(n, kv, eq + 1);
        if (r > 0)
            r = netdev_property(c, kv, eq + 1);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail("unknown -nic property '%s'", kv);
    }
    return check_netdev(c);
}

int netopt_object(NetOptions *o, const char *spec)
{
    char buf[1024];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-object: specification too long");
    char *save = NULL;
    char *type = strtok_r(buf, ",", &save);
    if (!type || strcmp(type, "filter-dump"))
        return fail("unknown -object '%s' (filter-dump)", spec);
    const char *netdev = NULL, *file = NULL;
    unsigned long maxlen = 65536;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad filter-dump property '%s'", kv);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(kv, "netdev"))
            netdev = v;
        else if (!strcmp(kv, "file"))
            file = v;
        else if (!strcmp(kv, "maxlen")) {
            if (!parse_uint(v, 65536, &maxlen) || maxlen < 14)
                return fail("bad filter-dump maxlen '%s'", v);
        } else if (strcmp(kv, "id") && strcmp(kv, "queue"))
            return fail("unknown filter-dump property '%s'", kv);
    }
    if (!netdev || !file)
        return fail("%s", "filter-dump needs netdev=ID and file=PATH");
    /* The netdev must come first, as in QEMU. */
    NetdevConfig *c = (NetdevConfig *)find_netdev(o, netdev);
    if (!c)
        return fail("filter-dump: no -netdev with id '%s' (give -netdev first)", netdev);
    if (c->dump_file[0])
        return fail("filter-dump: netdev '%s' is dumped already", netdev);
    if (!copy_value(c->dump_file, sizeof c->dump_file, file))
        return fail("filter-dump: file name too long: '%s'", file);
    c->dump_maxlen = (uint32_t)maxlen;
    return 0;
}

/* --- QEMU's legacy -net --- */

#define HUB_ID "__hub0"

static int legacy_nic(NetOptions *o, const char *spec)
{
    char buf[512];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-net: specification too long");
    int model = NIC_NE2K_PCI;
    char *save = NULL;
    strtok_r(buf, ",", &save);   /* "nic" */
    char *props[16];
    int n_props = 0;
    for (char *kv = strtok_r(NULL, ",", &save); kv && n_props < 16; kv = strtok_r(NULL, ",", &save))
        props[n_props++] = kv;
    for (int i = 0; i < n_props; i++)
        if (!strncmp(props[i], "model=", 6) && (model = model_of(props[i] + 6)) < 0)
            return fail("-net nic: model '%s' is not emulated (ne2k_pci, ne2k_isa)", props[i] + 6);
    NicConfig *n = new_nic(o, model);
    if (!n)
        return fail("at most %s network cards", "4");
    n->on_hub = true;
    for (int i = 0; i < n_props; i++) {
        char *eq = strchr(props[i], '=');
        if (!eq)
            return fail("bad -net nic property '%s'", props[i]);
        *eq = 0;
        const char *key = props[i], *v = eq + 1;
        if (!strcmp(key, "model") || !strcmp(key, "name") ||
            (!strcmp(key, "vlan") && !strcmp(v, "0")))
            continue;
        if (!strcmp(key, "netdev"))
            n->on_hub = false;
        int r = nic_property(n, !strcmp(key, "macaddr") ? "mac" : key, v);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail("-net nic: property '%s' is not supported", key);
    }
    return 0;
}

static int legacy_backend(NetOptions *o, const char *spec)
{
    char buf[1024];
    if (!copy_value(buf, sizeof buf, spec))
        return fail("%s", "-net: specification too long");
    char *save = NULL;
    char *type = strtok_r(buf, ",", &save);
    int kind = type ? netdev_kind(type) : -1;
    if (kind < 0)
        return fail("-net '%s': unknown type (nic, user, tap, socket, none)", spec);
    if (find_netdev(o, HUB_ID))
        return fail("-net %s: one -net backend only (use -netdev/-device pairs for more)", type);
    NetdevConfig *c = new_netdev(o);
    if (!c)
        return fail("at most %s -netdev backends", "4");
    c->kind = kind;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return fail("bad -net property '%s'", kv);
        *eq = 0;
        if (!strcmp(kv, "name") || (!strcmp(kv, "vlan") && !strcmp(eq + 1, "0")))
            continue;
        if (!strcmp(kv, "id"))
            return fail("%s", "-net takes no id= (use -netdev)");
        int r = netdev_property(c, kv, eq + 1);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail("-net: property '%s' is not supported", kv);
    }
    snprintf(c->id, sizeof c->id, "%s", HUB_ID);
    return check_netdev(c);
}

int netopt_legacy(NetOptions *o, const char *spec)
{
    size_t n = strcspn(spec, ",");
    if (!strncmp(spec, "none", n) && n == 4) {
        o->none = true;
        return 0;
    }
    if (!strncmp(spec, "nic", n) && n == 3)
        return legacy_nic(o, spec);
    return legacy_backend(o, spec);
}

int netopt_add_default_nic(NetOptions *o)
{
    if (o->none || o->n_nics || o->n_netdevs)
        return 0;
    return netopt_nic(o, "user,model=ne2k_pci");
}

void netopt_set_hostname(NetOptions *o, const char *name)
{
    snprintf(o->hostname, sizeof o->hostname, "%s", name ? name : "");
}

/* The -net cards join the -net backend (QEMU's hub 0 has one here). */
static int join_hub(NetOptions *o)
{
    bool hub = find_netdev(o, HUB_ID) != NULL;
    int on_hub = 0;
    for (int i = 0; i < o->n_nics; i++) {
        if (!o->nic[i].on_hub)
            continue;
        if (hub)
            snprintf(o->nic[i].netdev, sizeof o->nic[i].netdev, "%s", HUB_ID);
        on_hub++;
    }
    if (hub && !on_hub)
        return fail("%s", "-net backend without -net nic: add -net nic (or use -nic TYPE)");
    if (on_hub > 1)
        return fail("%s", "-net: one card per -net backend here (use -netdev/-device pairs)");
    return 0;
}

int netopt_check(NetOptions *o)
{
    if (join_hub(o) < 0)
        return -1;
    for (int i = 0; i < o->n_netdevs; i++)   /* hostname= wins over -name */
        if (!o->netdev[i].hostname[0])
            memcpy(o->netdev[i].hostname, o->hostname, sizeof o->hostname);
    for (int i = 0; i < o->n_nics; i++) {
        const NicConfig *n = &o->nic[i];
        if (n->netdev[0] && !find_netdev(o, n->netdev))
            return fail("network card: no -netdev with id '%s'", n->netdev);
        for (int j = 0; j < i; j++)
            if (n->netdev[0] && !strcmp(o->nic[j].netdev, n->netdev))
                return fail("netdev '%s' is used by two cards", n->netdev);
    }
    return 0;
}
