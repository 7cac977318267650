/* What kairo-portd puts behind a slot: one of Kairo's device models (the
 * 16550 UART, an IDE channel), the host's real ports, or an in-memory
 * port space. */
#ifndef KAIRO_REMOTE_PORTD_BACKENDS_H
#define KAIRO_REMOTE_PORTD_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "iodev/chardev.h"
#include "iodev/ide.h"
#include "iodev/remote/portd_config.h"
#include "iodev/remote/server.h"
#include "iodev/uart.h"
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
    const PdPortSpace *ports;
    uint8_t mock[65536];
} PdDevice;

/* The RsBackend calls for a device of this kind (opaque = the device). */
RsBackend pd_backend(PdDevice *d);
/* Create the device behind slot (after rs_add_slot); false with a
 * one-line reason (an image that does not open, ioperm refused...). */
bool pd_device_open(PdDevice *d, const PdSlotConfig *sc, RsSlot *slot, Clock *clock,
                    const PdPortSpace *ports, char *err, size_t errlen);
void pd_device_close(PdDevice *d);

#endif
