/* SPDX-License-Identifier: MIT */
/* Remote-port proxies: a slot's PortOps replaced by ones that forward every
 * access to a port server (-remote SLOT=SPEC).
 *
 *   SLOT=eth:IFACE,peer=MAC[,key=FILE][,OPTIONS]
 *   SLOT=udp:HOST:PORT[,key=FILE][,OPTIONS]
 *   SLOT=...,insecure-no-auth (no key: said out loud, never the default)
 *   OPTIONS: bind=HOST:PORT (udp: our own address, so that one server
 *   tells several VMs on a host apart), timeout=MS (how long an access waits for a silent peer before
 *   the slot goes offline, default 30000), spin=US (busy-poll bound before
 *   sleeping on a reply, default 100, 0 = never), and for tests a seeded
 *   fault layer: loss=PCT, dup=PCT, reorder=PCT, seed=N
 *
 * The slot's companions ("ide1-ctl" for "ide1") follow it into the same
 * session. A slot named "vga" brings its memory too: the 0xA0000 window
 * and the linear frame buffer become remote MMIO (docs/DEVSERVER.md). The slot's IRQs are driven from the server's line state. */
#ifndef KAIRO_REMOTE_PROXY_H
#define KAIRO_REMOTE_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "machine/clock.h"
#include "machine/replay.h"

/* The machine's interrupt line for an IRQ number. */
typedef const IrqLine *(*RemoteIrqLookup)(void *opaque, int irq);

/* Switch the slot named in spec ("com2=udp:...") to a proxy. False with a
 * one-line reason in err (unknown slot, bad spec, unreadable key...).
 * replay (may be NULL): a recording logs what the guest sees of the slot;
 * a replay opens no transport and needs no key: the log answers. */
bool remote_attach(PortBus *bus, Clock *clock, const char *spec, RemoteIrqLookup irq_line,
                   void *irq_opaque, Replay *replay, char *err, size_t errlen);
/* Replay, between slices: a remote slot's logged line changes; false if
 * no slot has the event's number. */
bool remote_replay_event(PortBus *bus, const ReplayEvent *e);
/* Per-slot statistics of every proxy on the bus (--remote-stats). */
void remote_print_stats(const PortBus *bus, FILE *out);
/* Send posted writes, give the slots back their local handlers, close. */
void remote_detach_all(PortBus *bus);

/* A proxy's client engine, for tools and tests that drive a slot without
 * a CPU (NULL if the slot is not remote). */
struct RemoteClient *remote_client_of(PortBus *bus, const char *slot);

/* A remote slot's session in a machine snapshot (proxy_state.c): register
 * remote_client_of(bus, slot) with this descriptor. Saving sends posted
 * writes first; loading into a fresh process adopts the saved session,
 * into the one that saved it keeps the live session (it is ahead). */
struct DeviceDesc;
extern const struct DeviceDesc remote_proxy_desc;

#endif
