/* SPDX-License-Identifier: MIT */
/* Two 8237 DMA controllers (ports 0x00-0x0F, 0xC0-0xDF) with their page
 * registers (0x80-0x8F), as on a PC/AT: channels 0-3 move bytes, 5-7 words.
 *
 * Usage: dma_init(&dma, mem); dma_register(&dma, bus); a device moves data
 * with dma_transfer(&dma, channel, buf, len, to_memory, &tc). Port 0x80
 * (an unused page register) is where BIOSes write POST codes: post_code
 * keeps the last one. */
#ifndef KAIRO_DMA_H
#define KAIRO_DMA_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/portbus.h"
#include "memory/phys.h"

typedef struct DmaChannel {
    uint16_t base_addr, base_count, cur_addr, cur_count;
    uint8_t mode, page;
} DmaChannel;

typedef struct DmaController {
    DmaChannel ch[4];
    uint8_t mask, request, status, command;
    bool flipflop;
} DmaController;

typedef struct Dma {
    DmaController ctrl[2];
    uint8_t pages[16];      /* the page register file as written */
    uint8_t post_code;
    PhysMem *mem;
} Dma;

void dma_init(Dma *d, PhysMem *mem);
void dma_reset(Dma *d);
bool dma_register(Dma *d, PortBus *bus);
/* Move up to len bytes on channel 0-7; returns bytes moved (0 if masked).
 * *tc is set when the channel reached terminal count. */
int dma_transfer(Dma *d, int channel, void *buf, int len, bool to_memory, bool *tc);
/* Machine state: both controllers, every channel, the page registers. */
extern const DeviceDesc dma_desc;

uint32_t dma_port_read(void *opaque, uint16_t port, unsigned size);
void dma_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
