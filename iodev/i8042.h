/* 8042 keyboard controller (ports 0x60, 0x64) with a PS/2 keyboard (IRQ 1)
 * and a PS/2 IntelliMouse (IRQ 12); A20 and CPU reset through its output
 * port.
 *
 * Usage: i8042_init(&kbc, irq1, irq12, hooks); i8042_register(&kbc, bus);
 * the display side feeds i8042_key() and i8042_mouse(). */
#ifndef KAIRO_I8042_H
#define KAIRO_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/devstate.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"

#define KBC_QUEUE 64

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
    KbcQueue queue;
    bool enabled;
    uint8_t scancode_set;   /* 1, 2 or 3 */
    uint8_t leds, typematic;
    uint8_t expecting;      /* command awaiting its data byte, 0 = none */
    uint8_t last_sent;
} Ps2Keyboard;

typedef struct Ps2Mouse {
    KbcQueue queue;
    bool enabled, remote, wrap;
    uint8_t id;             /* 0 standard, 3 IntelliMouse (wheel) */
    uint8_t rate, resolution;
    bool scaling21;
    uint8_t expecting;
    uint8_t knock[3];       /* last three sample rates: 200, 100, 80 turns on the wheel */
    int dx, dy, dz;
    uint8_t buttons;
} Ps2Mouse;

typedef struct I8042 {
    uint8_t status;
    uint8_t command_byte;
    uint8_t output_port;
    uint8_t out_byte;       /* the output buffer */
    bool out_aux;           /* it came from the mouse */
    uint8_t pending_cmd;    /* controller command awaiting data on 0x60 */
    KbcQueue ctrl_queue;    /* controller replies (come first) */
    Ps2Keyboard kbd;
    Ps2Mouse mouse;
    IrqLine irq1, irq12;
    KbcHooks hooks;
} I8042;

void i8042_init(I8042 *k, const IrqLine *irq1, const IrqLine *irq12, const KbcHooks *hooks);
void i8042_reset(I8042 *k);
bool i8042_register(I8042 *k, PortBus *bus);
/* A key event in scan code set 1 (make; the break is make | 0x80; an
 * extended key is preceded by 0xE0). Translation to set 2 happens when the
 * guest turned the controller's translation off. */
void i8042_key(I8042 *k, uint8_t set1_code);
/* Relative motion (dy positive = up), wheel, buttons (bit 0 left, 1 right, 2 middle). */
void i8042_mouse(I8042 *k, int dx, int dy, int dz, uint8_t buttons);
void i8042_save(const I8042 *k, StateWriter *w);
bool i8042_load(I8042 *k, StateReader *r);

uint32_t i8042_port_read(void *opaque, uint16_t port, unsigned size);
void i8042_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
