/* SPDX-License-Identifier: MIT */
/* What kairo-portd puts behind a slot: one of Kairo's device models (the
 * 16550 UART, an IDE channel), the host's real ports, or an in-memory
 * port space. */
#ifndef KAIRO_REMOTE_PORTD_BACKENDS_H
#define KAIRO_REMOTE_PORTD_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "iodev/chardev.h"
#include "iodev/i8042.h"
#include "iodev/ide.h"
#include "iodev/remote/portd_config.h"
#include "iodev/remote/server.h"
#include "iodev/uart.h"
#include "iodev/vga.h"
#include "machine/clock.h"

/* Real port access, replaceable so that tests run against a mock port
 * space (ioperm is ENOSYS on many kernels, and tests have no CAP_SYS_RAWIO). */
typedef struct PdPortSpace {
    int (*ioperm)(unsigned long from, unsigned long num, int on);   /* -1 with errno */
    uint32_t (*in)(uint16_t port, unsigned width);
    void (*out)(uint16_t port, unsigned width, uint32_t value);
} PdPortSpace;

extern const PdPortSpace pd_host_ports;

typedef struct PdDevice {
    int kind;                   /* PD_* */
    RsSlot *slot;
    Uart uart;
    CharDev chr;
    IdeChannel ide;
    bool partitioned;           /* ide with `partition`: confined to a range of the image */
    bool shares_disk;           /* partitioned: the image belongs to another slot's device */
    bool muxed;                 /* uart mux:PATH: output shared with a prefix, input from the console */
    Vga *vga;                   /* PD_VGA: shown on the console when focused */
    I8042 *kbc;                 /* PD_KBD: fed from the console when focused */
    const PdPortSpace *ports;
    uint64_t out_len;           /* output file bytes acknowledged (flushed before a reply) */
    uint8_t mock[65536];
} PdDevice;

/* The RsBackend calls for a device of this kind (opaque = the device). */
RsBackend pd_backend(PdDevice *d);
/* Create the device behind slot (after rs_add_slot); false with a
 * one-line reason (an image that does not open, ioperm refused...). */
bool pd_device_open(PdDevice *d, const PdSlotConfig *sc, RsSlot *slot, Clock *clock,
                    const PdPortSpace *ports, char *err, size_t errlen);
void pd_device_close(PdDevice *d);

/* Before a reply leaves: output the device wrote reaches its file (and
 * the disk with sync), out_len records how much. */
void pd_device_commit_output(PdDevice *d, bool sync);
/* The device's state (component descriptor) and its output length.
 * Loading rolls the output file back to the acknowledged length: bytes of
 * a batch that ran but was never acknowledged are written again when the
 * client retransmits it. */
void pd_device_save(const PdDevice *d, StateWriter *w);
bool pd_device_load(PdDevice *d, StateReader *r, char *err, size_t errlen);

#endif
