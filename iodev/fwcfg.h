/* SPDX-License-Identifier: MIT */
/* QEMU's firmware configuration interface (fw_cfg): the channel through
 * which SeaBIOS learns the memory map (etc/e820), the boot order, and
 * finds a -kernel/-initrd to load. Ports 0x510 (selector), 0x511 (data)
 * and 0x514 (DMA address, big-endian).
 *
 * Usage: fwcfg_init(&fw, mem); fwcfg_add_u32(&fw, FW_CFG_NB_CPUS, 1);
 * fwcfg_add_file(&fw, "etc/e820", table, len); fwcfg_register(&fw, bus). */
#ifndef KAIRO_FWCFG_H
#define KAIRO_FWCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/device.h"
#include "iodev/portbus.h"
#include "memory/phys.h"

enum {
    FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_UUID = 0x02, FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07, FW_CFG_KERNEL_SIZE = 0x08, FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0A, FW_CFG_INITRD_SIZE = 0x0B, FW_CFG_BOOT_DEVICE = 0x0C,
    FW_CFG_NUMA = 0x0D, FW_CFG_BOOT_MENU = 0x0E, FW_CFG_MAX_CPUS = 0x0F,
    FW_CFG_KERNEL_ENTRY = 0x10, FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13, FW_CFG_CMDLINE_SIZE = 0x14, FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16, FW_CFG_SETUP_SIZE = 0x17, FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20,
};

#define FWCFG_MAX_ITEMS 64

typedef struct FwCfgItem {
    uint16_t key;
    char name[56];      /* files only */
    uint8_t *data;      /* owned copy */
    uint32_t len;
} FwCfgItem;

typedef struct FwCfg {
    PhysMem *mem;
    FwCfgItem items[FWCFG_MAX_ITEMS];
    int n_items;
    uint16_t next_file_key;
    int cur;            /* selected item index, -1 for none */
    uint32_t offset;    /* read position in the selected item */
    uint32_t dma_hi;    /* high half of the DMA address being written */
    uint8_t *dir;       /* the FILE_DIR blob, rebuilt when files change */
    uint32_t dir_len;
} FwCfg;

void fwcfg_init(FwCfg *fw, PhysMem *mem);
/* Machine state: the selected item (by key), the read offset, the DMA
 * address's high half. The items themselves are configuration. */
extern const DeviceDesc fwcfg_desc;
void fwcfg_free(FwCfg *fw);
bool fwcfg_add_bytes(FwCfg *fw, uint16_t key, const void *data, uint32_t len);
bool fwcfg_add_u16(FwCfg *fw, uint16_t key, uint16_t v);
bool fwcfg_add_u32(FwCfg *fw, uint16_t key, uint32_t v);
bool fwcfg_add_u64(FwCfg *fw, uint16_t key, uint64_t v);
bool fwcfg_add_file(FwCfg *fw, const char *name, const void *data, uint32_t len);
bool fwcfg_register(FwCfg *fw, PortBus *bus);

uint32_t fwcfg_port_read(void *opaque, uint16_t port, unsigned size);
void fwcfg_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value);

#endif
