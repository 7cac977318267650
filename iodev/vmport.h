/* SPDX-License-Identifier: MIT */
/* VMware's backdoor (-device vmport): the host-call channel unmodified
 * guest tools (open-vm-tools' vmtoolsd, vmware-rpctool, vmware-checkvm)
 * speak. docs/VMPORT.md describes the protocol and what is served.
 *
 * A call is `IN EAX, DX` on port 0x5658 with EAX = 0x564D5868 and the
 * command in CX; arguments and results travel in EAX..EDI, so the device
 * reads and writes the CPU's register file during the IN (the one device
 * that does: vmport_attach_regs hands it the array). Bulk message payloads
 * go through REP OUTSB / REP INSB on 0x5659 (the high-bandwidth port).
 * Like VMware, both ports answer from any privilege level: the CPU's I/O
 * permission check lets them through while the device is present
 * (cpu->io_open_first/count).
 *
 * Messages travel over channels (open, send, receive, close); a channel
 * speaks RPCI (guest requests, host replies "1 ..."/"0 ...") or TCLO
 * (host requests the guest polls for, the guest's replies); both are
 * served by vmport_rpc.c. */
#ifndef KAIRO_VMPORT_H
#define KAIRO_VMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iodev/device.h"
#include "iodev/portbus.h"
#include "iodev/vmport_exec.h"
#include "iodev/vmport_hgfs.h"

#define VMPORT_MAGIC 0x564D5868u
#define VMPORT_PORT 0x5658
#define VMPORT_HB_PORT 0x5659

#define VMPORT_CHANNELS 8           /* as on VMware */
#define VMPORT_MSG_MAX (256 * 1024) /* one message, either direction */
#define VMPORT_TCLO_QUEUE 16
#define VMPORT_GUESTINFO_MAX 64
#define VMPORT_KEY_MAX 64
#define VMPORT_VALUE_MAX 256

/* Backdoor commands (ECX low half) served here. */
enum {
    BD_GETMHZ = 1, BD_GETVERSION = 10, BD_GETSCREENSIZE = 15, BD_GETHWVERSION = 17,
    BD_GETUUID = 19, BD_GETMEMSIZE = 20, BD_GETTIME = 23, BD_MESSAGE = 30,
    BD_ISACPIDISABLED = 34, BD_ISMOUSEABSOLUTE = 36, BD_GETHZ = 45, BD_GETTIMEFULL = 46,
    BD_GETTIMEFULL_WITH_LAG = 55, BD_GET_VCPU_INFO = 68,
};

/* Message sub-commands (ECX high half) and reply status bits. */
enum { MSG_OPEN, MSG_SENDSIZE, MSG_SENDPAYLOAD, MSG_RECVSIZE, MSG_RECVPAYLOAD,
       MSG_RECVSTATUS, MSG_CLOSE };
enum { MSG_ST_SUCCESS = 0x01, MSG_ST_DORECV = 0x02, MSG_ST_CLOSED = 0x04,
       MSG_ST_HB = 0x80 };
#define MSG_FLAG_COOKIE 0x80000000u
#define MSG_PROTO_RPCI 0x49435052u  /* "RPCI" */
#define MSG_PROTO_TCLO 0x4F4C4354u  /* "TCLO" */

typedef struct VmportChannel {
    bool open;
    bool tclo;                  /* else RPCI */
    uint32_t cookie_hi, cookie_lo;
    /* guest -> host: a message whose size was announced */
    uint8_t *out;
    uint32_t out_size, out_len;
    bool sending;
    /* host -> guest: the message waiting to be fetched */
    uint8_t *in;
    uint32_t in_len, in_pos;
    bool has_in;
} VmportChannel;

typedef struct VmportKV {
    char key[VMPORT_KEY_MAX];
    char value[VMPORT_VALUE_MAX];
} VmportKV;

/* What the guest's tools told the host (info guest, query-guest). */
typedef struct VmportGuest {
    char os_full[VMPORT_VALUE_MAX];
    char os_name[VMPORT_KEY_MAX];
    char hostname[VMPORT_KEY_MAX];
    char ip[VMPORT_KEY_MAX];                /* guestinfo.ip: the primary address */
    char mac[24];                           /* the first NIC's, from its NIC report */
    char nic_ips[VMPORT_VALUE_MAX];         /* its addresses, space-separated */
    char tools_version[VMPORT_KEY_MAX];
    char last_reply[VMPORT_VALUE_MAX];   /* the guest's answer to the last TCLO request */
    char state_change[VMPORT_KEY_MAX];   /* "tools.os.statechange.status" argument */
    uint32_t caps;              /* capability registrations seen */
    uint32_t logs;              /* log lines received */
    uint64_t uptime_cs;         /* SetGuestInfo uptime (hundredths of a second) */
    bool tools_running;         /* a TCLO channel is open */
} VmportGuest;

typedef struct Vmport {
    uint32_t *gpr;              /* the CPU's EAX..EDI (cpu->gpr), see vmport_attach_regs */
    uint32_t mhz;               /* GETMHZ */
    uint32_t mem_mb;            /* GETMEMSIZE */
    uint32_t hwversion;         /* GETHWVERSION */
    uint32_t vmx_type;          /* GETVERSION's product type in ECX */
    uint8_t uuid[16];           /* GETUUID */
    /* The time of day GETTIME reports: epoch + guest nanoseconds, so it
     * follows the guest's own clock (and record/replay) like the RTC. */
    uint64_t (*now_ns)(void *opaque);
    void *now_opaque;
    int64_t epoch;
    uint32_t cookie_seed;       /* cookies are a sequence, reproducible */
    VmportChannel ch[VMPORT_CHANNELS];
    /* guestinfo.* variables: -vmport guestinfo.KEY=VALUE and info-set */
    VmportKV info[VMPORT_GUESTINFO_MAX];
    int n_info;
    /* host -> guest requests waiting for the guest's TCLO poll */
    char tclo[VMPORT_TCLO_QUEUE][VMPORT_VALUE_MAX];
    int tclo_head, tclo_n;
    VmportGuest guest;
    HgfsServer hgfs;            /* -vmport share=... (vmport_hgfs.c) */
    ExecServer exec;            /* -vmport exec=... (vmport_exec.c) */
    uint8_t *hgfs_reply;        /* "1 " + one reply packet (HGFS or kairo.exec) */
    FILE *trace;                /* -d hostcall: every call, or NULL */
    struct Replay *replay;      /* -record/-replay: host messages pass vmport_host_post */
    uint64_t calls;
} Vmport;

/* Ports 0x5658-0x5659 as slot "vmport". */
bool vmport_init(Vmport *vm, PortBus *bus);
/* The CPU's register file, read and written during a backdoor IN. */
void vmport_attach_regs(Vmport *vm, uint32_t *gpr);
/* "guestinfo.KEY=VALUE": a value info-get returns; false if malformed or full. */
bool vmport_set_guestinfo(Vmport *vm, const char *kv);
/* A host request for the guest's tools ("OS_Halt", "OS_Reboot",
 * "Set_Option broadcastIP 1"...), fetched at the guest's next TCLO poll. */
bool vmport_tclo_request(Vmport *vm, const char *request);
/* The monitor's `guest WHAT` and QMP's guest-request: poweroff, reboot,
 * timesync, ip; false (and *err) for anything else. */
bool vmport_guest_request(Vmport *vm, const char *what, const char **err);
/* info guest / query-guest. */
void vmport_print_guest(const Vmport *vm, FILE *out);
void vmport_write_guest_json(const Vmport *vm, FILE *out);

/* The backdoor calls themselves (tests drive these with a register array). */
void vmport_backdoor(Vmport *vm, uint32_t *gpr);
/* High-bandwidth transfers of n bytes (REP OUTSB / REP INSB, in pieces). */
void vmport_hb_out(Vmport *vm, uint32_t *gpr, const uint8_t *buf, uint32_t n);
void vmport_hb_in(Vmport *vm, uint32_t *gpr, uint8_t *buf, uint32_t n);

/* RPC (vmport_rpc.c): a complete guest message on channel c. */
void vmport_rpc_message(Vmport *vm, VmportChannel *c, const uint8_t *msg, uint32_t len);
/* RPCI: the reply text for one request; returns its length (<= cap). */
uint32_t vmport_rpci_reply(Vmport *vm, const char *req, uint32_t len, char *out, uint32_t cap);
/* The guest's NIC report (SetGuestInfo 10: a NicInfoV3 in XDR): the first
 * NIC's MAC and addresses into g; false if malformed. */
bool vmport_parse_nicinfo(VmportGuest *g, const uint8_t *p, size_t n);
/* The replay seam: every message the host hands the guest goes through
 * here. Recording logs it (RK_HOSTCALL, in pieces); replaying posts the
 * logged message instead of msg (which may be NULL: the host was not
 * asked), or none if the log has none at this instruction. */
void vmport_host_post(Vmport *vm, VmportChannel *c, const void *msg, uint32_t len);
bool vmport_replaying(const Vmport *vm);
/* Hand a message to the guest on channel c (replaces an unfetched one). */
void vmport_channel_post(VmportChannel *c, const void *msg, uint32_t len);
void vmport_channel_free(VmportChannel *c);

extern const DeviceDesc vmport_desc;

#endif
