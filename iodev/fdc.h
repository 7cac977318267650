/* SPDX-License-Identifier: MIT */
/* 82077AA floppy disk controller with two drives (ports 0x3F0-0x3F5, 0x3F7,
 * IRQ 6, DMA channel 2).
 *
 * Usage: fdc_init(&fdc, &bus_hooks); fdc_attach(&fdc, 0, path, readonly,..);
 * fdc_register(&fdc, portbus) claims the ports as slot "fdc". The machine
 * supplies IRQ and DMA through FdcHooks, so the controller never knows
 * which PIC or DMA controller (or remote proxy) is behind them. */
#ifndef KAIRO_FDC_H
#define KAIRO_FDC_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/blockdev.h"
#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"

typedef struct FdcHooks {
    IrqLine irq;                /* IRQ 6 on a PC */
    /* Move up to len bytes between buf and guest memory through the DMA
     * channel (to_memory: a disk read). Returns the bytes moved; *tc is
     * set when the channel reached terminal count. */
    int (*dma_transfer)(void *opaque, void *buf, int len, bool to_memory, bool *tc);
    void *opaque;
} FdcHooks;

typedef struct FdcDrive {
    BlockDev disk;
    uint8_t cyl;                /* where the head is */
    uint8_t tracks, heads, sectors;
    bool media_changed;         /* the DIR disk-change line */
    int cmos_type;              /* 0 none, 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M */
} FdcDrive;

enum { FDC_PHASE_CMD, FDC_PHASE_PIO_READ, FDC_PHASE_PIO_WRITE, FDC_PHASE_RESULT };

#define FDC_PIO_MAX (2 * 36 * 512)   /* one cylinder of a 2.88M disk */

typedef struct Fdc {
    FdcDrive drive[2];
    FdcHooks hooks;
    uint8_t dor, tdr, dsr, ccr;
    int phase;
    uint8_t cmd[9];
    int cmd_len, cmd_need;
    uint8_t res[10];
    int res_len, res_pos;
    /* Interrupt status for SENSE INTERRUPT STATUS */
    bool irq_level;
    bool sense_pending;
    uint8_t sense_st0, sense_pcn;
    int reset_polls;            /* drives still to report after a reset */
    /* SPECIFY / CONFIGURE / LOCK / PERPENDICULAR */
    uint8_t spec1, spec2;
    uint8_t config, pretrk, perpendicular;
    bool lock;
    /* Non-DMA transfers */
    uint8_t pio_buf[FDC_PIO_MAX];
    int pio_len, pio_pos;
    uint8_t pio_drive;
    uint32_t activity;          /* data commands so far: the display's activity marker */
} Fdc;

void fdc_init(Fdc *fdc, const FdcHooks *hooks);
void fdc_reset(Fdc *fdc);
/* Insert an image into drive 0/1; false with a reason in err when the file
 * is missing or its size is not a floppy format. */
bool fdc_attach(Fdc *fdc, int drive, const char *path, bool readonly, char *err,
                size_t errlen);
/* Claim the ports on the bus as slot "fdc" (with IRQ 6). */
bool fdc_register(Fdc *fdc, PortBus *bus);
/* CMOS register 0x10 value (drive 0 high nibble, drive 1 low). */
uint8_t fdc_cmos_types(const Fdc *fdc);
/* Machine state: registers, the command in flight (bytes, results, the
 * PIO data), each head's cylinder and disk-change line; the drives'
 * formats must match, disk contents are not state. */
extern const DeviceDesc fdc_desc;
void fdc_flush(Fdc *fdc);
void fdc_close(Fdc *fdc);

uint32_t fdc_port_read(void *opaque, uint16_t port, unsigned size);
void fdc_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
