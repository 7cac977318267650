/* SPDX-License-Identifier: MIT */
/* Network options as QEMU spells them, parsed into plain records:
 *   -netdev user|tap|raw|socket,id=ID,...    a backend
 *   -device ne2k_isa|ne2k_pci,netdev=ID,...   a card on it
 *   -nic TYPE[,model=ne2k_pci|ne2k_isa][,mac=..][,backend options]   both at once
 *   -object filter-dump,id=F,netdev=ID,file=PATH[,maxlen=N]   a pcap of the traffic
 * machine/options.c hands the strings here; iodev/ne2k/nic_setup.c builds
 * what they describe. */
#ifndef KAIRO_NETOPT_H
#define KAIRO_NETOPT_H

#include <stdbool.h>
#include <stdint.h>

#define NET_MAX_NETDEVS 4
#define NET_MAX_NICS 4
#define NET_MAX_HOSTFWD 8
#define NET_ID_LEN 32
#define NET_ADDR_LEN 64
#define NET_PATH_LEN 256

enum { NETDEV_USER, NETDEV_TAP, NETDEV_RAW, NETDEV_SOCKET };
enum { NIC_NE2K_ISA, NIC_NE2K_PCI };

typedef struct NetdevConfig {
    char id[NET_ID_LEN];
    int kind;                               /* NETDEV_* */
    char ifname[NET_ID_LEN];                /* tap, raw */
    char udp[NET_ADDR_LEN], localaddr[NET_ADDR_LEN];   /* socket: UDP peer and our end */
    char listen[NET_ADDR_LEN], connect[NET_ADDR_LEN];  /* socket: TCP stream */
    /* user */
    char hostfwd[NET_MAX_HOSTFWD][NET_ADDR_LEN];
    int n_hostfwd;
    char net[NET_ADDR_LEN], host[NET_ADDR_LEN], dhcpstart[NET_ADDR_LEN], dns[NET_ADDR_LEN];
    bool restricted;
    bool ipv4, ipv6;                        /* ipv4=off / ipv6=off turn one off */
    char ipv6_net[NET_ADDR_LEN];            /* ipv6-net=PREFIX/LEN (default fec0::/64) */
    char hostname[NET_ID_LEN * 2];          /* DHCP host name (-name), "" = none */
    /* -object filter-dump on this netdev */
    char dump_file[NET_PATH_LEN];
    uint32_t dump_maxlen;
} NetdevConfig;

typedef struct NicConfig {
    int model;                              /* NIC_* */
    char netdev[NET_ID_LEN];                /* "" = not connected */
    uint8_t mac[6];
    bool mac_set;
    uint16_t iobase;                        /* ISA */
    uint8_t irq;                            /* ISA */
    int pci_slot;                           /* PCI device number, -1 = first free from 3 */
    bool on_hub;                            /* -net nic: joins the -net backend */
} NicConfig;

typedef struct NetOptions {
    NetdevConfig netdev[NET_MAX_NETDEVS];
    int n_netdevs;
    NicConfig nic[NET_MAX_NICS];
    int n_nics;
    bool none;                              /* -nic none / -net none: no default card */
    char hostname[NET_ID_LEN * 2];          /* DHCP host name for user backends ("" = none) */
} NetOptions;

/* Each returns 0, or -1 after printing one line to stderr. */
int netopt_netdev(NetOptions *o, const char *spec);
int netopt_nic(NetOptions *o, const char *spec);
/* spec starts with "ne2k_isa" or "ne2k_pci". */
int netopt_device(NetOptions *o, const char *spec);
/* spec starts with "filter-dump". */
int netopt_object(NetOptions *o, const char *spec);
/* QEMU's legacy -net nic[,model=..][,macaddr=..] | user|tap|socket[,..] | none:
 * the cards and the one backend of "hub 0" are joined by netopt_check. */
int netopt_legacy(NetOptions *o, const char *spec);
/* QEMU's default: an ne2k_pci on user networking, unless a network option
 * (or none) was given. */
int netopt_add_default_nic(NetOptions *o);
/* -name: the host name the user network's DHCP server hands out. */
void netopt_set_hostname(NetOptions *o, const char *name);
/* After all options: every -device/-object names an existing netdev. */
int netopt_check(NetOptions *o);
/* "52:54:00:12:34:56" */
bool netopt_parse_mac(const char *s, uint8_t mac[6]);

#endif
