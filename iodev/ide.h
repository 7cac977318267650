/* SPDX-License-Identifier: MIT */
/* IDE/ATA channel with master and slave (hard disks and ATAPI CD-ROMs),
 * as on a PIIX3: PIO, READ/WRITE MULTIPLE, LBA28/LBA48, and bus-master
 * DMA through the PIIX3's BMIDE registers.
 *
 * Usage: ide_init(&ch, mem, &hooks); ide_attach_disk(&ch, 0, path, ...) or
 * ide_attach_cdrom(&ch, 1, iso_or_NULL, ...); ide_register(&ch, bus,
 * "ide0", 0x1F0, 0x3F6, 14). The PCI IDE function forwards its BMIDE
 * ports to ide_bmdma_read/ide_bmdma_write. */
#ifndef KAIRO_IDE_H
#define KAIRO_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "iodev/blockdev.h"
#include "iodev/device.h"
#include "iodev/irq.h"
#include "iodev/portbus.h"
#include "memory/phys.h"

typedef struct IdeHooks {
    IrqLine irq;                /* IRQ 14 / 15 on a PC */
} IdeHooks;

enum { IDE_NONE, IDE_DISK, IDE_CDROM };

/* What the data register is doing */
enum { IDE_XFER_NONE, IDE_XFER_PIO_IN, IDE_XFER_PIO_OUT, IDE_XFER_PACKET };

#define IDE_BUF_SECTORS 256   /* READ/WRITE MULTIPLE blocks and ATAPI chunks fit */

typedef struct IdeDevice {
    int kind;
    BlockDev disk;
    uint64_t sectors;               /* 512-byte sectors (disk) or 2048-byte blocks (CD) */
    uint64_t base_lba;              /* a partition served as a whole disk: where it starts */
    uint64_t refused;               /* accesses past the disk's end (IDNF), counted */
    bool partition;                 /* ide_set_partition: its owner logs the refusals */
    uint16_t cyls, heads, spt;      /* default CHS (disk) */
    uint16_t cur_heads, cur_spt;    /* INITIALIZE DEVICE PARAMETERS */
    uint16_t mult_sectors;          /* SET MULTIPLE MODE, 0 = disabled */
    uint8_t xfer_mode;              /* SET FEATURES transfer mode */
    bool write_cache;
    /* Registers, with the previous values for LBA48 (HOB) */
    uint8_t feature, count, lba_lo, lba_mid, lba_hi;
    uint8_t hob_feature, hob_count, hob_lba_lo, hob_lba_mid, hob_lba_hi;
    uint8_t select, status, error;
    /* The command in progress */
    uint8_t cmd;
    int xfer;
    uint64_t cur_lba;
    uint32_t remaining;             /* sectors still to transfer */
    uint32_t block;                 /* sectors per DRQ block */
    uint8_t buf[IDE_BUF_SECTORS * 512 + 2048];
    uint32_t buf_pos, buf_len;
    bool dma_pending;               /* a DMA command waits for the BM start bit */
    bool dma_write;
    /* ATAPI */
    uint8_t sense_key, asc, ascq;
    bool unit_attention;
    bool locked;
    uint8_t packet[12];
    uint32_t atapi_lba;             /* READ(10/12) in progress: next block */
    uint32_t atapi_blocks;          /* blocks still to send */
    uint32_t stage_len;             /* bytes of response staged in buf */
    uint16_t byte_limit;
    bool atapi_dma;
} IdeDevice;

typedef struct IdeChannel {
    IdeDevice dev[2];
    int cur;                        /* selected device */
    uint8_t devctl;
    IdeHooks hooks;
    PhysMem *mem;
    bool irq_level;
    /* PIIX3 bus-master IDE registers of this channel */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
    const char *name;
    uint32_t activity;              /* disk transfers so far: the display's activity marker */
} IdeChannel;

void ide_init(IdeChannel *ch, PhysMem *mem, const IdeHooks *hooks, const char *name);
void ide_reset(IdeChannel *ch);
bool ide_attach_disk(IdeChannel *ch, int unit, const char *path, bool readonly, char *err,
                     size_t errlen);
/* A CD-ROM drive; path may be NULL (empty drive). */
bool ide_attach_cdrom(IdeChannel *ch, int unit, const char *path, char *err, size_t errlen);
/* Replace the CD medium (NULL ejects); the guest sees a media change. */
bool ide_change_cdrom(IdeChannel *ch, int unit, const char *path, char *err, size_t errlen);
bool ide_register(IdeChannel *ch, PortBus *bus, const char *slot, uint16_t cmd_base,
                  uint16_t ctl_port, int irq);
void ide_flush(IdeChannel *ch);
void ide_close(IdeChannel *ch);
/* CMOS disk type / geometry for the BIOS */
/* Serve sectors [first, first+count) of the attached image as the whole
 * disk (kairo-portd's partitioned slots): LBA 0 is `first`, and nothing
 * outside the window is ever read or written. Shared: another channel's
 * open image (the same file, one lock); the caller closes it only once. */
bool ide_set_partition(IdeChannel *ch, int unit, uint64_t first, uint64_t count, char *err,
                       size_t errlen);
bool ide_share_disk(IdeChannel *ch, int unit, const BlockDev *open_image);
bool ide_disk_geometry(const IdeChannel *ch, int unit, uint16_t *c, uint16_t *h, uint16_t *s);

uint32_t ide_cmd_read(void *opaque, uint16_t port, unsigned size);
void ide_cmd_write(void *opaque, uint16_t port, unsigned size, uint32_t value);
uint32_t ide_ctl_read(void *opaque, uint16_t port, unsigned size);
void ide_ctl_write(void *opaque, uint16_t port, unsigned size, uint32_t value);
/* BMIDE registers: offset 0 command, 2 status, 4-7 PRD table address. */
uint32_t ide_bmdma_read(IdeChannel *ch, unsigned offset, unsigned size);
void ide_bmdma_write(IdeChannel *ch, unsigned offset, unsigned size, uint32_t value);

/* Machine state of a channel (both units, the bus-master registers, the
 * command in flight and its buffer); disk contents are not state. */
extern const DeviceDesc ide_desc;

/* Shared with atapi.c and ide_state.c */
void ide_set_irq(IdeChannel *ch);
/* Drive the line from irq_level and nIEN. */
void ide_update_irq(IdeChannel *ch);
void atapi_identify(IdeDevice *d, uint16_t *words);
void atapi_packet_received(IdeChannel *ch, IdeDevice *d);
void atapi_pio_chunk_done(IdeChannel *ch, IdeDevice *d);
void atapi_dma_run(IdeChannel *ch, IdeDevice *d);
void atapi_reset_signature(IdeDevice *d);
void ide_put_string(uint16_t *words, int first, int count, const char *s);

#endif
