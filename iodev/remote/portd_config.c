/* SPDX-License-Identifier: MIT */
/* kairo-portd's configuration file: one directive a line, # comments. */
#include "iodev/remote/portd_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iodev/remote/transport.h"

const char pd_config_help[] =
    "Configuration file (one directive a line, '#' starts a comment):\n"
    "  key FILE                 pre-shared key (required unless --insecure-no-auth):\n"
    "                           32 random bytes or 64 hex digits, mode 0600, owned by\n"
    "                           the user running kairo-portd (--genkey FILE)\n"
    "  state FILE [fsync]       keep the devices' state, the sessions (reply caches)\n"
    "                           and the clients' epochs in FILE, written before every\n"
    "                           reply: kill -9 and a restart lose nothing. fsync: also\n"
    "                           fdatasync it, the output files and the disks each time\n"
    "                           (survives a power cut; slower)\n"
    "  listen eth IFACE         raw 802.3 frames, EtherType 0x88B5, on an interface\n"
    "  listen udp HOST:PORT     UDP datagrams on an address\n"
    "  client MAC|IP            allow a client (a MAC for eth, an IP for udp); before\n"
    "                           the first slot: for every slot, after it: for that slot\n"
    "  slot NAME uart CHARDEV   a 16550 UART; CHARDEV is stdio, file:PATH (appended to,\n"
    "                           flushed before each reply) or none; mux:PATH: several\n"
    "                           clients' UARTs (instances) into one file, each line\n"
    "                           prefixed [K], input from the console (serial TEXT)\n"
    "  slot NAME ide IMAGE[,IMAGE2]  an IDE channel with a master (and slave) disk\n"
    "  slot NAME ioports        the host's real ports (ioperm; needs CAP_SYS_RAWIO and a\n"
    "                           kernel that has it)\n"
    "  slot NAME mock           an in-memory port space (tests)\n"
    "  slot NAME vga            a std-vga (VGA and Bochs VBE) shown on the console\n"
    "  slot NAME kbd            an 8042 keyboard controller fed from the console\n"
    "                           The same NAME again is another device instance: each\n"
    "                           copy has its own client lines and serves only them\n"
    "  mmio FIRST-LAST          a memory range the slot may touch (vga: 0xA0000-0xBFFFF,\n"
    "                           the LFB as 0xE0000000-0xE0FFFFFF)\n"
    "  partition FIRST-LAST     ide: sectors FIRST to LAST of the image are this\n"
    "                           instance's whole disk (one image, one partition per\n"
    "                           client; outside it nothing is read or written)\n"
    "  policy exclusive         one of the slot's clients owns it at a time (the first\n"
    "                           to connect); the others see it offline until it is\n"
    "                           handed over or released on the control socket (the\n"
    "                           owner is kept in the state file across restarts)\n"
    "  control PATH             the console's control socket (focus K, screendump, text,\n"
    "                           type TEXT, serial TEXT, handover SLOT K, release SLOT,\n"
    "                           stats)\n"
    "  ports FIRST-LAST [widths W,W]  a port range the slot may touch (default width 1);\n"
    "                           FIRST alone for one port; widths from 1, 2, 4\n"
    "  irq N                    an interrupt line the slot forwards (0-15, up to 4)\n"
    "Nothing outside a slot's ports, widths and clients is ever executed: such\n"
    "requests are refused and counted. Example:\n"
    "  key /etc/kairo/portd.key\n"
    "  listen eth veth1\n"
    "  client 02:00:00:00:00:01\n"
    "  slot com2 uart file:/var/log/com2.out\n"
    "  ports 0x2F8-0x2FF\n"
    "  irq 3\n"
    "  slot ide1 ide /srv/disk.img\n"
    "  ports 0x170-0x177 widths 1,2,4\n"
    "  ports 0x376\n"
    "  irq 15\n";

static const char *const backend_names[PD_BACKEND_COUNT] = {
    [PD_UART] = "uart", [PD_IDE] = "ide", [PD_IOPORTS] = "ioports", [PD_MOCK] = "mock",
    [PD_VGA] = "vga", [PD_KBD] = "kbd",
};

/* Whether the backend takes an argument. */
static const bool backend_arg[PD_BACKEND_COUNT] = { [PD_UART] = true, [PD_IDE] = true };

typedef struct Ctx {
    PdConfig *c;
    char *err;
    size_t errlen;
    const char *name;
    int line;
} Ctx;

static bool fail(Ctx *x, const char *what, const char *arg)
{
    snprintf(x->err, x->errlen, "%s:%d: %s%s%s", x->name, x->line, what, arg ? " " : "",
             arg ? arg : "");
    return false;
}

static bool parse_port(const char *s, uint16_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (!*s || *end || errno || v > 0xFFFF)
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool parse_widths(const char *s, uint8_t *out)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", s);
    *out = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (strcmp(w, "1") && strcmp(w, "2") && strcmp(w, "4"))
            return false;
        *out |= (uint8_t)atoi(w);
    }
    return *out != 0;
}

static PdSlotConfig *cur_slot(Ctx *x)
{
    return x->c->n_slots ? &x->c->slots[x->c->n_slots - 1] : NULL;
}

static bool parse_client(const char *s, RsClient *c)
{
    memset(c, 0, sizeof *c);
    if (rp_parse_mac(s, c->mac)) {
        c->is_mac = true;
        return true;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&c->addr;
    if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        return true;
    }
    return false;
}

static bool d_key(Ctx *x, char **argv, int argc)
{
    if (argc != 1)
        return fail(x, "key wants one file", NULL);
    snprintf(x->c->key, sizeof x->c->key, "%s", argv[0]);
    return true;
}

static bool d_state(Ctx *x, char **argv, int argc)
{
    if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "fsync")))
        return fail(x, "state wants FILE [fsync]", NULL);
    snprintf(x->c->state, sizeof x->c->state, "%s", argv[0]);
    x->c->state_fsync = argc == 2;
    return true;
}

static bool d_listen(Ctx *x, char **argv, int argc)
{
    if (argc != 2 || (strcmp(argv[0], "eth") && strcmp(argv[0], "udp")))
        return fail(x, "listen wants 'eth IFACE' or 'udp HOST:PORT'", NULL);
    if (x->c->n_listen == PD_MAX_LISTEN)
        return fail(x, "too many listen lines", NULL);
    x->c->listen[x->c->n_listen].eth = argv[0][0] == 'e';
    snprintf(x->c->listen[x->c->n_listen].where, sizeof x->c->listen[0].where, "%s", argv[1]);
    x->c->n_listen++;
    return true;
}

static bool d_client(Ctx *x, char **argv, int argc)
{
    RsClient cl;
    if (argc != 1 || !parse_client(argv[0], &cl))
        return fail(x, "client wants a MAC (aa:bb:cc:dd:ee:ff) or an IP address:", argc ? argv[0] : NULL);
    PdSlotConfig *s = cur_slot(x);
    int *n = s ? &s->n_clients : &x->c->n_clients;
    RsClient *list = s ? s->clients : x->c->clients;
    if (*n == RS_MAX_CLIENTS)
        return fail(x, "too many clients", NULL);
    list[(*n)++] = cl;
    return true;
}

static bool d_slot(Ctx *x, char **argv, int argc)
{
    if (argc < 2)
        return fail(x, "slot wants NAME BACKEND [ARG]", NULL);
    if (strlen(argv[0]) > RP_SLOT_NAME_LEN || x->c->n_slots == RS_MAX_SLOTS)
        return fail(x, "slot name too long or too many slots:", argv[0]);
    for (int i = 0; i < x->c->n_slots; i++)
        if (!strcmp(x->c->slots[i].name, argv[0]) && !x->c->slots[i].n_clients)
            return fail(x, "duplicate slot (another instance needs client lines in each copy)",
                        argv[0]);
    int b = -1;
    for (int i = 0; i < PD_BACKEND_COUNT; i++)
        if (!strcmp(argv[1], backend_names[i]))
            b = i;
    if (b < 0)
        return fail(x, "unknown backend (uart, ide, ioports, mock, vga, kbd):", argv[1]);
    if (argc != (backend_arg[b] ? 3 : 2))
        return fail(x, backend_arg[b] ? "this backend wants an argument:" : "this backend takes no argument:", argv[1]);
    PdSlotConfig *s = &x->c->slots[x->c->n_slots++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", argv[0]);
    s->backend = b;
    if (argc == 3)
        snprintf(s->arg, sizeof s->arg, "%s", argv[2]);
    return true;
}

static bool d_ports(Ctx *x, char **argv, int argc)
{
    PdSlotConfig *s = cur_slot(x);
    if (!s)
        return fail(x, "ports before any slot", NULL);
    if ((argc != 1 && argc != 3) || (argc == 3 && strcmp(argv[1], "widths")))
        return fail(x, "ports wants FIRST[-LAST] [widths W,W]", NULL);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", argv[0]);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = 0;
    RsRange r = { .widths = 1 };   /* bytes unless told */
    if (!parse_port(buf, &r.first) || !parse_port(dash ? dash + 1 : buf, &r.last) ||
        r.last < r.first)
        return fail(x, "bad port range", argv[0]);
    if (argc == 3 && !parse_widths(argv[2], &r.widths))
        return fail(x, "bad widths (1, 2, 4):", argv[2]);
    if (s->n_ranges == RS_MAX_RANGES)
        return fail(x, "too many port ranges", NULL);
    s->ranges[s->n_ranges++] = r;
    return true;
}

static bool parse_addr(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || errno || v > 0xFFFFFFFFull)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool d_mmio(Ctx *x, char **argv, int argc)
{
    PdSlotConfig *s = cur_slot(x);
    if (!s)
        return fail(x, "mmio before any slot", NULL);
    if (s->backend != PD_VGA)
        return fail(x, "this backend has no memory:", s->name);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", argc == 1 ? argv[0] : "");
    char *dash = strchr(buf, '-');
    if (!dash)
        return fail(x, "mmio wants FIRST-LAST", NULL);
    *dash = 0;
    RsMemRange r;
    if (!parse_addr(buf, &r.first) || !parse_addr(dash + 1, &r.last) || r.last < r.first)
        return fail(x, "bad memory range", argv[0]);
    if (s->n_mranges == RS_MAX_MRANGES)
        return fail(x, "too many memory ranges", NULL);
    s->mranges[s->n_mranges++] = r;
    return true;
}

static bool d_policy(Ctx *x, char **argv, int argc)
{
    PdSlotConfig *s = cur_slot(x);
    if (!s)
        return fail(x, "policy before any slot", NULL);
    if (argc != 1 || strcmp(argv[0], "exclusive"))
        return fail(x, "policy wants exclusive", NULL);
    s->exclusive = true;
    return true;
}

static bool d_partition(Ctx *x, char **argv, int argc)
{
    PdSlotConfig *s = cur_slot(x);
    if (!s)
        return fail(x, "partition before any slot", NULL);
    if (s->backend != PD_IDE)
        return fail(x, "partition is for ide slots:", s->name);
    char buf[64], *end1, *end2;
    snprintf(buf, sizeof buf, "%s", argc == 1 ? argv[0] : "");
    char *dash = strchr(buf, '-');
    if (!dash)
        return fail(x, "partition wants FIRST-LAST (sectors)", NULL);
    *dash = 0;
    errno = 0;
    unsigned long long first = strtoull(buf, &end1, 0), last = strtoull(dash + 1, &end2, 0);
    if (!buf[0] || !dash[1] || *end1 || *end2 || errno || last < first)
        return fail(x, "bad partition", argv[0]);
    s->partitioned = true;
    s->part_first = first;
    s->part_count = last - first + 1;
    return true;
}

static bool d_control(Ctx *x, char **argv, int argc)
{
    if (argc != 1 || strlen(argv[0]) >= sizeof x->c->control)
        return fail(x, "control wants a socket PATH (under 108 bytes)", NULL);
    snprintf(x->c->control, sizeof x->c->control, "%s", argv[0]);
    return true;
}

static bool d_irq(Ctx *x, char **argv, int argc)
{
    PdSlotConfig *s = cur_slot(x);
    char *end = NULL;
    long n = argc == 1 ? strtol(argv[0], &end, 0) : -1;
    if (!s)
        return fail(x, "irq before any slot", NULL);
    if (argc != 1 || *end || n < 0 || n > 15 || s->n_irqs == RP_MAX_IRQS)
        return fail(x, "irq wants a number 0-15 (at most 4 a slot)", NULL);
    s->irqs[s->n_irqs++] = (int)n;
    return true;
}

static const struct {
    const char *name;
    bool (*fn)(Ctx *x, char **argv, int argc);
} directives[] = {
    { "key", d_key },   { "state", d_state }, { "listen", d_listen }, { "client", d_client },
    { "slot", d_slot }, { "ports", d_ports },   { "irq", d_irq },
    { "mmio", d_mmio }, { "control", d_control }, { "policy", d_policy },
    { "partition", d_partition },
};

static bool parse_line(Ctx *x, char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    char *argv[8], *save = NULL;
    int argc = 0;
    for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (argc == 8)
            return fail(x, "too many words", NULL);
        argv[argc++] = w;
    }
    if (!argc)
        return true;
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
        if (!strcmp(argv[0], directives[i].name))
            return directives[i].fn(x, argv + 1, argc - 1);
    return fail(x, "unknown directive", argv[0]);
}

static bool check_whole(Ctx *x)
{
    if (!x->c->n_listen)
        return fail(x, "no listen line", NULL);
    if (!x->c->n_slots)
        return fail(x, "no slot", NULL);
    for (int i = 0; i < x->c->n_slots; i++) {
        const PdSlotConfig *s = &x->c->slots[i];
        if (!s->n_ranges)
            return fail(x, "slot has no ports line:", s->name);
        if (!s->n_clients && !x->c->n_clients)
            return fail(x, "slot has no client allowed:", s->name);
        for (int k = 0; k < x->c->n_slots; k++)
            if (k != i && !strcmp(x->c->slots[k].name, s->name) && !s->n_clients)
                return fail(x, "each instance of a slot needs its own client lines:", s->name);
    }
    return true;
}

bool pd_config_parse(PdConfig *c, const char *text, const char *name, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    Ctx x = { c, err, errlen, name, 0 };
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024];
        x.line++;
        if (n >= sizeof line)
            return fail(&x, "line too long", NULL);
        memcpy(line, p, n);
        line[n] = 0;
        if (!parse_line(&x, line))
            return false;
        p += n + (nl ? 1 : 0);
    }
    return check_whole(&x);
}

bool pd_config_load(PdConfig *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config '%s': %s", path, strerror(errno));
        return false;
    }
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    bool too_big = !feof(f);
    fclose(f);
    if (too_big) {
        snprintf(err, errlen, "config '%s' is larger than 64 KiB", path);
        return false;
    }
    text[n] = 0;
    return pd_config_parse(c, text, path, err, errlen);
}
