/* SPDX-License-Identifier: MIT */
/* The network cards and backends the options asked for, and their service
 * from the machine loop.
 *
 * Usage: nic_setup(&s, &opt.net, ...) after the PCI bus exists; between
 * slices of guest instructions nic_service(&s, 0); while the guest idles
 * nic_service(&s, budget_ns), which waits on the backends in host time and
 * returns how long it waited (the machine lets guest time follow, so an
 * idle guest's clock keeps pace with the network's). */
#ifndef KAIRO_NIC_SETUP_H
#define KAIRO_NIC_SETUP_H

#include <stdio.h>

#include "iodev/ne2k/ne2k_isa.h"
#include "iodev/ne2k/ne2k_pci.h"
#include "iodev/net/netdev.h"
#include "iodev/irq.h"

typedef struct NicCard {
    int model;              /* NIC_* */
    Ne2kIsa isa;
    Ne2kPci pci;
    NetDev *net;            /* NULL: no backend, transmissions go nowhere */
    char slot[16];
} NicCard;

typedef struct NicSet {
    NetDev netdev[NET_MAX_NETDEVS];
    NetDev *poll_list[NET_MAX_NETDEVS];
    int n_netdevs;
    NicCard *cards;         /* [NET_MAX_NICS], allocated: each holds 32 KiB of RAM */
    int n_cards;
    bool replay_stub;       /* -replay: the netdevs open no backend */
} NicSet;

bool nic_setup(NicSet *s, const NetOptions *o, PortBus *io, PciBus *pci,
               const IrqLine *isa_irqs, char *err, size_t errlen);
/* The machine's reset line: ISA cards (PCI ones reset with the bus). */
void nic_reset(NicSet *s);
/* Poll the backends; wait up to budget_ns of host time for one to have
 * something. Returns the host nanoseconds spent waiting. */
uint64_t nic_service(NicSet *s, uint64_t budget_ns);
void nic_print_stats(const NicSet *s, FILE *out);
/* Has the guest sent a frame on any card? Until it has, nothing can come
 * back, so the machine neither slices finely nor idles in host time for
 * the network: a default NIC the guest never uses costs nothing and keeps
 * runs deterministic. */
bool nic_guest_started(const NicSet *s);
void nic_destroy(NicSet *s);

/* Wire a chip to a netdev both ways (NULL: a card with no cable). */
void nic_connect(Dp8390 *chip, NetDev *nd);

#endif
