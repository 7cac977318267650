/* SPDX-License-Identifier: MIT */
/* Building the cards and backends; polling them (see nic_setup.h). */
#include "iodev/ne2k/nic_setup.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIRST_NIC_PCI_SLOT 3    /* 0: host bridge, 1: PIIX3, 2: VGA */
#define MAX_IDLE_WAIT_MS 10     /* stay responsive to signals and timeouts */

/* --- a chip and its netdev --- */

static void chip_transmit(void *net_opaque, const uint8_t *frame, size_t len)
{
    netdev_send(net_opaque, frame, len);
}

static bool netdev_to_chip(void *chip, const uint8_t *frame, size_t len)
{
    /* No room: the frame waits in the netdev's queue (what QEMU does too)
     * until a later poll; the ring itself overflows only in the unit tests'
     * direct calls. Frames are not pushed in while the driver drains the
     * ring: lib8390 must find ISR empty at the end of its handler, or an
     * edge-triggered ISA line never rises again. */
    return dp8390_receive(chip, frame, len, false);
}

void nic_connect(Dp8390 *chip, NetDev *nd)
{
    chip->transmit = nd ? chip_transmit : NULL;
    chip->net_opaque = nd;
    if (nd)
        netdev_attach(nd, netdev_to_chip, chip);
}

/* --- building --- */

static NetDev *find_netdev(NicSet *s, const char *id)
{
    for (int i = 0; i < s->n_netdevs; i++)
        if (!strcmp(s->netdev[i].id, id))
            return &s->netdev[i];
    return NULL;
}

static bool add_card(NicSet *s, const NicConfig *c, PortBus *io, PciBus *pci,
                     const IrqLine *isa_irqs, int *next_pci_slot, char *err, size_t errlen)
{
    NicCard *card = &s->cards[s->n_cards++];
    card->model = c->model;
    snprintf(card->slot, sizeof card->slot, "ne2k%d", s->n_cards - 1);
    card->net = c->netdev[0] ? find_netdev(s, c->netdev) : NULL;
    Dp8390 *chip;
    if (c->model == NIC_NE2K_ISA) {
        ne2k_isa_init(&card->isa, c->mac);
        if (!ne2k_isa_register(&card->isa, io, card->slot, c->iobase, &isa_irqs[c->irq],
                               c->irq)) {
            snprintf(err, errlen, "ne2k_isa: ports 0x%X-0x%X are taken", c->iobase,
                     c->iobase + NE2K_IO_SIZE - 1);
            return false;
        }
        chip = &card->isa.chip;
    } else {
        int slot = c->pci_slot >= 0 ? c->pci_slot : (*next_pci_slot)++;
        if (!ne2k_pci_init(&card->pci, pci, io, card->slot, (unsigned)slot, c->mac, err, errlen))
            return false;
        chip = &card->pci.chip;
    }
    nic_connect(chip, card->net);
    return true;
}

bool nic_setup(NicSet *s, const NetOptions *o, PortBus *io, PciBus *pci,
               const IrqLine *isa_irqs, char *err, size_t errlen)
{
    bool replay_stub = s->replay_stub;   /* set by the machine before */
    memset(s, 0, sizeof *s);
    s->replay_stub = replay_stub;
    if (!o->n_nics && !o->n_netdevs)
        return true;
    for (int i = 0; i < o->n_netdevs; i++) {
        /* Under -replay the log brings the frames: no host backend. */
        if (s->replay_stub ? !netdev_open_with(&s->netdev[i], o->netdev[i].id, NULL, NULL)
                           : !netdev_open(&s->netdev[i], &o->netdev[i], err, errlen)) {
            if (s->replay_stub)
                snprintf(err, errlen, "netdev %s: out of memory", o->netdev[i].id);
            return false;
        }
        s->poll_list[i] = &s->netdev[i];
        s->n_netdevs = i + 1;
    }
    s->cards = calloc(NET_MAX_NICS, sizeof *s->cards);
    if (!s->cards) {
        snprintf(err, errlen, "network cards: out of memory");
        return false;
    }
    int next_pci_slot = FIRST_NIC_PCI_SLOT;
    for (int i = 0; i < o->n_nics; i++)
        if (!add_card(s, &o->nic[i], io, pci, isa_irqs, &next_pci_slot, err, errlen))
            return false;
    return true;
}

void nic_reset(NicSet *s)
{
    for (int i = 0; i < s->n_cards; i++)
        if (s->cards[i].model == NIC_NE2K_ISA)
            ne2k_isa_reset(&s->cards[i].isa);
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t nic_service(NicSet *s, uint64_t budget_ns)
{
    if (!s->n_netdevs)
        return 0;
    if (!budget_ns) {
        netdev_poll_all(s->poll_list, s->n_netdevs, 0);
        return 0;
    }
    uint64_t ms = budget_ns / 1000000;
    int timeout = ms > MAX_IDLE_WAIT_MS ? MAX_IDLE_WAIT_MS : (int)ms;
    uint64_t t0 = host_ns();
    netdev_poll_all(s->poll_list, s->n_netdevs, timeout);
    uint64_t waited = host_ns() - t0;
    return waited < budget_ns ? waited : budget_ns;
}

bool nic_guest_started(const NicSet *s)
{
    for (int i = 0; i < s->n_cards; i++) {
        const NicCard *c = &s->cards[i];
        const Dp8390Stats *st = c->model == NIC_NE2K_ISA ? &c->isa.chip.stats : &c->pci.chip.stats;
        if (st->tx_frames || st->tx_aborted)
            return true;
    }
    return false;
}

void nic_print_stats(const NicSet *s, FILE *out)
{
    for (int i = 0; i < s->n_cards; i++) {
        const NicCard *c = &s->cards[i];
        const Dp8390Stats *st = c->model == NIC_NE2K_ISA ? &c->isa.chip.stats : &c->pci.chip.stats;
        fprintf(out, "kairo: %s: tx %llu (aborted %llu), rx %llu (filtered %llu, missed %llu, "
                     "bad ring %llu)\n",
                c->slot, (unsigned long long)st->tx_frames, (unsigned long long)st->tx_aborted,
                (unsigned long long)st->rx_frames, (unsigned long long)st->rx_filtered,
                (unsigned long long)st->rx_missed, (unsigned long long)st->rx_bad_ring);
    }
    for (int i = 0; i < s->n_netdevs; i++) {
        const NetStats *st = &s->netdev[i].stats;
        fprintf(out, "kairo: netdev %s: tx %llu (errors %llu), rx %llu; dropped: %llu runts, "
                     "%llu oversize, %llu garbage, %llu queue full\n",
                s->netdev[i].id, (unsigned long long)st->tx_frames,
                (unsigned long long)st->tx_errors, (unsigned long long)st->rx_frames,
                (unsigned long long)st->rx_runts, (unsigned long long)st->rx_oversize,
                (unsigned long long)st->rx_garbage, (unsigned long long)st->rx_queue_drops);
    }
}

void nic_destroy(NicSet *s)
{
    for (int i = 0; i < s->n_netdevs; i++)
        netdev_close(&s->netdev[i]);
    s->n_netdevs = 0;
    free(s->cards);
    s->cards = NULL;
    s->n_cards = 0;
}
