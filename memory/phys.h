/* SPDX-License-Identifier: MIT */
/* The physical address space: RAM, ROM, MMIO regions and the A20 gate.
 *
 * Every 4 KiB physical page below 4 GiB has an entry saying whether it is
 * backed by host memory (RAM or ROM, with a host pointer) or by a device's
 * MMIO handlers. The CPU's TLB caches host pointers from here; anything that
 * changes a mapping calls the map-change hook so the TLBs are flushed.
 * Addresses at or above 4 GiB (reachable through PAE) read as all-ones. */
#ifndef KAIRO_PHYS_H
#define KAIRO_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_PAGE_SHIFT 12
#define PHYS_PAGE_SIZE 4096u
#define PHYS_PAGES (1u << 20)

/* Page flags */
#define PHYS_PG_READ   0x01u   /* host pointer valid for reads */
#define PHYS_PG_WRITE  0x02u   /* host pointer valid for writes */
#define PHYS_PG_MMIO   0x04u   /* accesses go to an MMIO region */
#define PHYS_PG_CODE   0x08u   /* decoded instructions exist for this page */

typedef struct MmioOps {
    /* size is 1, 2 or 4; addr is the full physical address */
    uint32_t (*read)(void *opaque, uint32_t addr, unsigned size);
    void (*write)(void *opaque, uint32_t addr, unsigned size, uint32_t value);
} MmioOps;

typedef struct MmioRegion {
    uint32_t start, len;
    const MmioOps *ops;
    void *opaque;
    const char *name;
} MmioRegion;

#define PHYS_MAX_MMIO 64

typedef struct PhysMem {
    uint8_t *ram;
    uint32_t ram_size;
    uint8_t **page_host;    /* [PHYS_PAGES]: host address of the page or NULL */
    uint8_t *page_flags;    /* [PHYS_PAGES]: PHYS_PG_* */
    uint8_t *page_mmio;     /* [PHYS_PAGES]: index into mmio[] + 1, 0 = none */
    MmioRegion mmio[PHYS_MAX_MMIO];
    int n_mmio;
    uint32_t a20_mask;      /* 0xFFFFFFFF or 0xFFEFFFFF */
    /* Called when a page's mapping changes or A20 toggles: TLBs must go. */
    void (*map_changed)(void *opaque);
    void *map_changed_opaque;
    /* Called before a write reaches a page flagged PHYS_PG_CODE. */
    void (*code_write)(void *opaque, uint32_t paddr, unsigned len);
    void *code_write_opaque;
    /* Bumped whenever a page becomes PHYS_PG_CODE: an inactive TLB bank
     * (cpu/svm_tlb.c) checks its write entries only when this moved. */
    uint32_t code_epoch;
    /* Reverse debugging's dirty map (machine/timetravel.c): one byte per
     * RAM page, set by every write that can reach RAM (a write TLB fill,
     * the slow-path and block writes); NULL when nobody tracks. */
    uint8_t *dirty;
    /* Owned ROM buffers, freed with the PhysMem. */
    uint8_t *rom_bufs[8];
    int n_rom_bufs;
} PhysMem;

/* Creates the address space with ram_bytes of RAM at 0 (mapped up to
 * 0xA0000 and from 1 MiB; the legacy hole reads as all-ones until a device or
 * ROM claims it). Returns NULL with a message in errbuf on failure. */
PhysMem *phys_new(uint32_t ram_bytes, char *errbuf, size_t errlen);
void phys_free(PhysMem *m);

/* Map a copy of data as ROM at [addr, addr+len); len rounded up to pages. */
bool phys_map_rom(PhysMem *m, uint32_t addr, const uint8_t *data, uint32_t len);
/* Map len bytes of RAM backing (offset into RAM) at addr: used for the
 * 0xC0000-0xFFFFF shadow areas. writable=false makes it read-only. */
void phys_map_ram(PhysMem *m, uint32_t addr, uint32_t ram_offset, uint32_t len,
                  bool writable);
/* Map device-owned host memory (a video card's VRAM) at addr as RAM, so the
 * guest reaches it through the TLB fast path. The caller keeps it alive. */
void phys_map_host(PhysMem *m, uint32_t addr, uint8_t *host, uint32_t len, bool writable);
/* Register an MMIO region (page-aligned start and length). */
bool phys_map_mmio(PhysMem *m, uint32_t addr, uint32_t len, const MmioOps *ops,
                   void *opaque, const char *name);
/* Remove whatever maps [addr, addr+len): reads become all-ones. */
void phys_unmap(PhysMem *m, uint32_t addr, uint32_t len);

void phys_set_a20(PhysMem *m, bool enabled);
static inline bool phys_a20(const PhysMem *m) { return m->a20_mask == 0xFFFFFFFFu; }

/* Slow-path accessors for any address (A20 already applied by the caller
 * for CPU accesses; device DMA applies it too through these). size 1/2/4/8
 * for read, 1/2/4 for write; an access crossing a page is split. */
uint64_t phys_read(PhysMem *m, uint64_t paddr, unsigned size);
void phys_write(PhysMem *m, uint64_t paddr, unsigned size, uint64_t value);
/* Bulk copies for DMA and loaders; they honour MMIO and code pages. */
void phys_read_block(PhysMem *m, uint64_t paddr, void *dst, size_t len);
void phys_write_block(PhysMem *m, uint64_t paddr, const void *src, size_t len);

/* Host pointer for a physical page, or NULL (MMIO / unmapped / >= 4 GiB /
 * write to a read-only or code page). paddr is page-aligned. */
static inline uint8_t *phys_page_host(const PhysMem *m, uint64_t paddr, bool write)
{
    if (paddr >> 32)
        return NULL;
    uint32_t pg = (uint32_t)paddr >> PHYS_PAGE_SHIFT;
    uint8_t f = m->page_flags[pg];
    if (write ? (f & (PHYS_PG_WRITE | PHYS_PG_CODE)) != PHYS_PG_WRITE : !(f & PHYS_PG_READ))
        return NULL;
    return m->page_host[pg];
}

/* A write may reach the host page host: mark it in the dirty map. */
static inline void phys_mark_dirty(PhysMem *m, const uint8_t *host)
{
    if (m->dirty && host >= m->ram && host < m->ram + m->ram_size)
        m->dirty[(size_t)(host - m->ram) >> PHYS_PAGE_SHIFT] = 1;
}

#endif
