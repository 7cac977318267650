/* SPDX-License-Identifier: MIT */
/* 8042 keyboard controller (ports 0x60, 0x64) with a PS/2 keyboard (IRQ 1,
 * scan code set 2 natively, translated to set 1 by the controller, typematic
 * repeat on the clock) and a PS/2 IntelliMouse (IRQ 12); A20 and CPU reset
 * through the controller's output port.
 *
 * Usage: i8042_init(&kbc, irq1, irq12, hooks); i8042_set_clock(&kbc, clock)
 * for typematic repeat; i8042_register(&kbc, bus). The display side feeds
 * i8042_key_event() (or set-1 bytes through i8042_key()) and i8042_mouse(). */
#ifndef KAIRO_I8042_H
#define KAIRO_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "machine/clock.h"

#define KBC_QUEUE 64

/* Key numbers for i8042_key_event: a key's scan code set 2 make code, with
 * PS2_KEY_E0 added for the keys sent with the E0 prefix (arrows, right
 * Ctrl/Alt, keypad Enter and /...). Pause has its own number. */
#define PS2_KEY_E0      0x100
#define PS2_KEY_PAUSE   0x200
#define PS2_KEY_PRTSC   (PS2_KEY_E0 | 0x7C)

typedef struct KbcQueue {
    uint8_t data[KBC_QUEUE];
    unsigned head, count;
} KbcQueue;

typedef struct KbcHooks {
    void (*set_a20)(void *opaque, bool enabled);
    void (*reset)(void *opaque);   /* pulse of the CPU reset line */
    void *opaque;
} KbcHooks;

typedef struct Ps2Keyboard {
    KbcQueue queue;         /* bytes waiting to cross the keyboard cable */
    bool enabled;           /* scanning */
    uint8_t scancode_set;   /* 1, 2 or 3 */
    uint8_t leds, typematic;
    uint8_t expecting;      /* command awaiting its parameter, 0 = none */
    uint8_t last_sent;      /* for RESEND */
    uint16_t repeat_key;    /* key held for typematic repeat, 0 = none */
    uint8_t set1_prefix;    /* i8042_key(): E0 seen, or E1 bytes still to come */
    uint8_t set1_pause_left;
} Ps2Keyboard;

typedef struct Ps2Mouse {
    KbcQueue queue;
    bool enabled, remote, wrap;
    uint8_t id;             /* 0 standard, 3 IntelliMouse (wheel), 4 with buttons 4/5 */
    uint8_t rate, resolution;
    bool scaling21;
    uint8_t expecting;
    uint8_t knock[3];       /* last three sample rates: 200, 100, 80 turns on the wheel */
    int dx, dy, dz;
    uint8_t buttons;        /* bit 0 left, 1 right, 2 middle, 3 fourth, 4 fifth */
    uint8_t last_packet[4], last_len;
} Ps2Mouse;

typedef struct I8042 {
    uint8_t status;
    uint8_t command_byte;
    uint8_t output_port;
    uint8_t out_byte;       /* the output buffer */
    bool out_aux;           /* it came from the mouse */
    uint8_t pending_cmd;    /* controller command awaiting data on 0x60 */
    bool xlate_break;       /* translating: an F0 was swallowed, the next byte gets bit 7 */
    KbcQueue ctrl_queue;    /* controller replies and D2 bytes (come first, never translated) */
    KbcQueue ctrl_aux_queue;    /* D3 bytes: as if from the mouse */
    Ps2Keyboard kbd;
    Ps2Mouse mouse;
    IrqLine irq1, irq12;
    KbcHooks hooks;
    Clock *clock;
    Timer typematic;
    struct Replay *replay;  /* record/replay: host input is logged or ignored */
} I8042;

void i8042_init(I8042 *k, const IrqLine *irq1, const IrqLine *irq12, const KbcHooks *hooks);
/* Typematic repeat runs on guest time; without a clock keys do not repeat. */
void i8042_set_clock(I8042 *k, Clock *clock);
void i8042_reset(I8042 *k);
bool i8042_register(I8042 *k, PortBus *bus);
/* A key went down or up (key: PS2_KEY_* numbering above). The keyboard
 * sends it in its current scan code set and repeats a held key. */
void i8042_key_event(I8042 *k, uint16_t key, bool down);
/* The same from a stream of scan code set 1 bytes (make; break = make |
 * 0x80; E0 and E1 prefixes), as a host keyboard layer may produce. */
void i8042_key(I8042 *k, uint8_t set1_code);
/* Relative motion (dy positive = up), wheel notches (positive = away from
 * the user; dropped until the guest turned the wheel on), buttons (bit 0
 * left, 1 right, 2 middle, 3 and 4 side buttons). */
void i8042_mouse(I8042 *k, int dx, int dy, int dz, uint8_t buttons);
/* Machine state: the controller, its queues, keyboard and mouse modes and
 * queues, the typematic timer. */
extern const DeviceDesc i8042_desc;

/* The controller's set 2 to set 1 translation of one byte (F0 handled by
 * the caller), and the set 1 code a key reports. */
uint8_t i8042_translate(uint8_t set2_code);

uint32_t i8042_port_read(void *opaque, uint16_t port, unsigned size);
void i8042_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
