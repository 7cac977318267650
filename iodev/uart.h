/* SPDX-License-Identifier: MIT */
/* 16550A UART (COM1-COM4 at 0x3F8/0x2F8/0x3E8/0x2E8, IRQ 4/3/4/3).
 *
 * Usage: uart_init(&u, clock, irq_line, &chardev); uart_register(&u, bus,
 * "com1", 0x3F8, 4). Received bytes come from the backend, polled by a
 * timer at the character rate the guest programmed. */
#ifndef KAIRO_UART_H
#define KAIRO_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/chardev.h"
#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "machine/clock.h"

#define UART_FIFO 16

typedef struct UartFifo {
    uint8_t data[UART_FIFO];
    unsigned head, count;
} UartFifo;

typedef struct Uart {
    uint8_t ier, iir_thri_pending, fcr, lcr, mcr, lsr, msr, scr;
    uint16_t divisor;
    UartFifo rx, tx;
    bool thr_interrupt;     /* THR-empty interrupt pending (cleared by IIR read / THR write) */
    bool timeout_pending;   /* character timeout on the receive FIFO */
    uint64_t last_rx_ns;
    Clock *clock;
    IrqLine irq;
    bool irq_level;
    CharDev *backend;
    Timer rx_timer;
    uint64_t tx_bytes, rx_bytes, overruns;
} Uart;

void uart_init(Uart *u, Clock *clock, const IrqLine *irq, CharDev *backend);
void uart_reset(Uart *u);
bool uart_register(Uart *u, PortBus *bus, const char *slot, uint16_t base, int irq);
/* Push received bytes (from a backend, a test, or a remote peer). */
void uart_receive(Uart *u, const uint8_t *buf, unsigned len);
/* Machine state: registers, both FIFOs, the receive timer. */
extern const DeviceDesc uart_desc;

uint32_t uart_port_read(void *opaque, uint16_t port, unsigned size);
void uart_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
