/* SPDX-License-Identifier: MIT */
/* fw_cfg (see fwcfg.h): items by key, files through a directory, byte
 * reads through the data port and the DMA interface SeaBIOS prefers. */
#include "iodev/fwcfg.h"

#include <stdlib.h>
#include <string.h>

/* DMA control bits */
#define DMA_ERROR  0x01u
#define DMA_READ   0x02u
#define DMA_SKIP   0x04u
#define DMA_SELECT 0x08u
#define DMA_WRITE  0x10u

static void put_be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t be32_to_cpu(uint32_t v) { return __builtin_bswap32(v); }

static int find_key(const FwCfg *fw, uint16_t key)
{
    for (int i = 0; i < fw->n_items; i++)
        if (fw->items[i].key == key)
            return i;
    return -1;
}

static void rebuild_dir(FwCfg *fw)
{
    uint32_t n = 0;
    for (int i = 0; i < fw->n_items; i++)
        if (fw->items[i].key >= FW_CFG_FILE_FIRST)
            n++;
    free(fw->dir);
    fw->dir_len = 4 + n * 64;
    fw->dir = calloc(1, fw->dir_len);
    if (!fw->dir) {
        fw->dir_len = 0;
        return;
    }
    put_be32(fw->dir, n);
    uint8_t *e = fw->dir + 4;
    for (int i = 0; i < fw->n_items; i++) {
        const FwCfgItem *it = &fw->items[i];
        if (it->key < FW_CFG_FILE_FIRST)
            continue;
        put_be32(e, it->len);
        put_be16(e + 4, it->key);
        memcpy(e + 8, it->name, sizeof it->name);
        e += 64;
    }
}

void fwcfg_init(FwCfg *fw, PhysMem *mem)
{
    memset(fw, 0, sizeof *fw);
    fw->mem = mem;
    fw->cur = -1;
    fw->next_file_key = FW_CFG_FILE_FIRST;
    fwcfg_add_bytes(fw, FW_CFG_SIGNATURE, "QEMU", 4);
    fwcfg_add_u32(fw, FW_CFG_ID, 3);   /* traditional interface and DMA */
    rebuild_dir(fw);
}

void fwcfg_free(FwCfg *fw)
{
    for (int i = 0; i < fw->n_items; i++)
        free(fw->items[i].data);
    free(fw->dir);
    fw->n_items = 0;
    fw->dir = NULL;
}

bool fwcfg_add_bytes(FwCfg *fw, uint16_t key, const void *data, uint32_t len)
{
    int i = find_key(fw, key);
    if (i < 0) {
        if (fw->n_items == FWCFG_MAX_ITEMS)
            return false;
        i = fw->n_items++;
        memset(&fw->items[i], 0, sizeof fw->items[i]);
        fw->items[i].key = key;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    if (len)
        memcpy(copy, data, len);
    free(fw->items[i].data);
    fw->items[i].data = copy;
    fw->items[i].len = len;
    return true;
}

bool fwcfg_add_u16(FwCfg *fw, uint16_t key, uint16_t v)
{
    return fwcfg_add_bytes(fw, key, &v, 2);   /* little-endian host */
}

bool fwcfg_add_u32(FwCfg *fw, uint16_t key, uint32_t v)
{
    return fwcfg_add_bytes(fw, key, &v, 4);
}

bool fwcfg_add_u64(FwCfg *fw, uint16_t key, uint64_t v)
{
    return fwcfg_add_bytes(fw, key, &v, 8);
}

bool fwcfg_add_file(FwCfg *fw, const char *name, const void *data, uint32_t len)
{
    if (strlen(name) >= sizeof fw->items[0].name)
        return false;
    for (int i = 0; i < fw->n_items; i++)
        if (fw->items[i].key >= FW_CFG_FILE_FIRST && !strcmp(fw->items[i].name, name)) {
            bool ok = fwcfg_add_bytes(fw, fw->items[i].key, data, len);
            rebuild_dir(fw);
            return ok;
        }
    uint16_t key = fw->next_file_key++;
    if (!fwcfg_add_bytes(fw, key, data, len))
        return false;
    strcpy(fw->items[find_key(fw, key)].name, name);
    rebuild_dir(fw);
    return true;
}

static void select_key(FwCfg *fw, uint16_t key)
{
    /* Bit 14 asks for write access; bit 15 selects the architecture's own
     * items (0x8000 + n), a separate space: keep it in the key. */
    key &= 0xBFFF;
    fw->cur = find_key(fw, key);
    fw->offset = 0;
    if (fw->cur < 0 && key == FW_CFG_FILE_DIR)
        fw->cur = -2;   /* the directory is generated, not an item */
}

static const uint8_t *cur_data(const FwCfg *fw, uint32_t *len)
{
    if (fw->cur == -2) {
        *len = fw->dir_len;
        return fw->dir;
    }
    if (fw->cur < 0) {
        *len = 0;
        return NULL;
    }
    *len = fw->items[fw->cur].len;
    return fw->items[fw->cur].data;
}

static uint8_t read_byte(FwCfg *fw)
{
    uint32_t len;
    const uint8_t *d = cur_data(fw, &len);
    if (fw->offset >= len)
        return 0;
    return d[fw->offset++];
}

/* Run the DMA descriptor at guest physical address addr. */
static void dma_run(FwCfg *fw, uint64_t addr)
{
    uint32_t control = be32_to_cpu((uint32_t)phys_read(fw->mem, addr, 4));
    uint32_t length = be32_to_cpu((uint32_t)phys_read(fw->mem, addr + 4, 4));
    uint64_t target = (uint64_t)be32_to_cpu((uint32_t)phys_read(fw->mem, addr + 8, 4)) << 32 |
                      be32_to_cpu((uint32_t)phys_read(fw->mem, addr + 12, 4));
    if (control & DMA_SELECT)
        select_key(fw, (uint16_t)(control >> 16));
    uint32_t status = 0;
    if (control & DMA_WRITE) {
        status = DMA_ERROR;   /* no writable items */
    } else if (control & (DMA_READ | DMA_SKIP)) {
        uint32_t len;
        const uint8_t *d = cur_data(fw, &len);
        uint32_t avail = fw->offset < len ? len - fw->offset : 0;
        uint32_t n = length < avail ? length : avail;
        if (control & DMA_READ) {
            if (n)
                phys_write_block(fw->mem, target, d + fw->offset, n);
            /* Past the end reads as zeros. */
            static const uint8_t zeros[256];
            for (uint32_t z = n; z < length; z += sizeof zeros) {
                uint32_t k = length - z < sizeof zeros ? length - z : (uint32_t)sizeof zeros;
                phys_write_block(fw->mem, target + z, zeros, k);
            }
        }
        fw->offset += n;
    }
    phys_write(fw->mem, addr, 4, be32_to_cpu(status));
}

uint32_t fwcfg_port_read(void *opaque, uint16_t port, unsigned size)
{
    FwCfg *fw = opaque;
    switch (port) {
    case 0x511: {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)read_byte(fw) << (8 * i);
        return v;
    }
    case 0x514: case 0x518:
        /* "QEMU CFG" read back from the DMA address register */
        return port == 0x514 ? 0x51454D55u : 0x47464320u;
    default:
        return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
    }
}

void fwcfg_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    FwCfg *fw = opaque;
    switch (port) {
    case 0x510:
        if (size >= 2)
            select_key(fw, (uint16_t)value);
        break;
    case 0x514:
        fw->dma_hi = be32_to_cpu(value);
        break;
    case 0x518:
        dma_run(fw, (uint64_t)fw->dma_hi << 32 | be32_to_cpu(value));
        fw->dma_hi = 0;
        break;
    default:
        break;
    }
}

bool fwcfg_register(FwCfg *fw, PortBus *bus)
{
    static const PortOps ops = { fwcfg_port_read, fwcfg_port_write, true };
    int s = portbus_add_slot(bus, "fw_cfg", &ops, fw);
    return s >= 0 && portbus_map(bus, s, 0x510, 2) && portbus_map(bus, s, 0x514, 8);
}

/* --- machine state --- */

/* The items are configuration (built from the options at start); the
 * state is which one is selected, the read position and half a DMA
 * address. The selection is saved by key, not by table index. */
static const StateField fwcfg_fields[] = {
    SF_FIELD(FwCfg, offset, SF_U32),
    SF_FIELD(FwCfg, dma_hi, SF_U32),
};

#define NO_SELECTION 0xFFFFu

static void fwcfg_save_extra(void *dev, StateWriter *w)
{
    const FwCfg *fw = dev;
    uint16_t key = fw->cur == -2 ? FW_CFG_FILE_DIR : fw->cur < 0 ? NO_SELECTION
                                                                 : fw->items[fw->cur].key;
    state_put_u16(w, key);
}

static bool fwcfg_load_extra(void *dev, StateReader *r, uint32_t version, char *err,
                             size_t errlen)
{
    FwCfg *fw = dev;
    (void)version;
    uint16_t key = state_get_u16(r);
    if (!state_ok(r))
        return true;   /* the caller reports the truncation */
    if (key == NO_SELECTION) {
        fw->cur = -1;
        return true;
    }
    int cur = find_key(fw, key);
    if (cur < 0 && key != FW_CFG_FILE_DIR) {
        snprintf(err, errlen,
                 "fw_cfg: the snapshot has item 0x%04X selected, this machine has none", key);
        return false;
    }
    fw->cur = cur >= 0 ? cur : -2;
    return true;
}

static void fwcfg_reset_dev(void *dev)
{
    FwCfg *fw = dev;
    fw->cur = -1;
    fw->offset = 0;
    fw->dma_hi = 0;
}

static void fwcfg_teardown(void *dev) { fwcfg_free(dev); }

static void fwcfg_info(void *dev, FILE *out)
{
    const FwCfg *fw = dev;
    uint32_t len = 0;
    cur_data(fw, &len);
    if (fw->cur >= 0)
        fprintf(out, "selected 0x%04X %s, offset %u of %u\n", fw->items[fw->cur].key,
                fw->items[fw->cur].name, fw->offset, len);
    else
        fprintf(out, "selected %s, offset %u\n", fw->cur == -2 ? "the file directory" : "nothing",
                fw->offset);
    fprintf(out, "%d items, next file key 0x%04X\n", fw->n_items, fw->next_file_key);
}

const DeviceDesc fwcfg_desc = {
    .kind = "fwcfg",
    .version = 1,
    .fields = fwcfg_fields,
    .n_fields = sizeof fwcfg_fields / sizeof fwcfg_fields[0],
    .reset = fwcfg_reset_dev,
    .save_extra = fwcfg_save_extra,
    .load_extra = fwcfg_load_extra,
    .info = fwcfg_info,
    .teardown = fwcfg_teardown,
};
