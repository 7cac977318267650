/* SPDX-License-Identifier: MIT */
/* The physical address space (see phys.h).
 *
 * A flat page table of 2^20 entries describes every 4 KiB page below 4 GiB:
 * its host pointer and flags, or its MMIO region. Lookups are two array
 * reads, which is what the CPU's TLB fill and DMA need. */
#include "memory/phys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void notify_map_changed(PhysMem *m)
{
    if (m->map_changed)
        m->map_changed(m->map_changed_opaque);
}

static void set_pages(PhysMem *m, uint32_t addr, uint32_t len, uint8_t *host, uint8_t flags,
                      uint8_t mmio)
{
    uint32_t first = addr >> PHYS_PAGE_SHIFT;
    uint32_t count = (uint32_t)(((uint64_t)len + PHYS_PAGE_SIZE - 1) >> PHYS_PAGE_SHIFT);
    for (uint32_t i = 0; i < count && first + i < PHYS_PAGES; i++) {
        uint32_t pg = first + i;
        /* Decoded code from the old contents is no longer what the page
         * holds: invalidating it also drops PHYS_PG_CODE. */
        if ((m->page_flags[pg] & PHYS_PG_CODE) && m->code_write)
            m->code_write(m->code_write_opaque, pg << PHYS_PAGE_SHIFT, PHYS_PAGE_SIZE);
        m->page_host[pg] = host ? host + (size_t)i * PHYS_PAGE_SIZE : NULL;
        m->page_flags[pg] = flags | (m->page_flags[pg] & PHYS_PG_CODE);
        m->page_mmio[pg] = mmio;
    }
    notify_map_changed(m);
}

PhysMem *phys_new(uint32_t ram_bytes, char *errbuf, size_t errlen)
{
    if (ram_bytes < (1u << 20) || ram_bytes > 0xF0000000u || (ram_bytes & 0xFFFu)) {
        snprintf(errbuf, errlen, "RAM size must be 1 MiB..3840 MiB in whole pages");
        return NULL;
    }
    PhysMem *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(errbuf, errlen, "out of memory for the address space");
        return NULL;
    }
    m->page_host = calloc(PHYS_PAGES, sizeof *m->page_host);
    m->page_flags = calloc(PHYS_PAGES, 1);
    m->page_mmio = calloc(PHYS_PAGES, 1);
    /* calloc: the kernel hands out zero pages lazily, so a large guest RAM
     * costs host memory only as the guest touches it. */
    m->ram = calloc(1, ram_bytes);
    if (!m->page_host || !m->page_flags || !m->page_mmio || !m->ram) {
        snprintf(errbuf, errlen, "cannot allocate %u MiB of guest RAM", ram_bytes >> 20);
        phys_free(m);
        return NULL;
    }
    m->ram_size = ram_bytes;
    m->a20_mask = 0xFFFFFFFFu;
    set_pages(m, 0, 0xA0000, m->ram, PHYS_PG_READ | PHYS_PG_WRITE, 0);
    if (ram_bytes > 0x100000u)
        set_pages(m, 0x100000, ram_bytes - 0x100000u, m->ram + 0x100000, PHYS_PG_READ | PHYS_PG_WRITE,
                  0);
    return m;
}

void phys_free(PhysMem *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_rom_bufs; i++)
        free(m->rom_bufs[i]);
    free(m->ram);
    free(m->page_host);
    free(m->page_flags);
    free(m->page_mmio);
    free(m);
}

bool phys_map_rom(PhysMem *m, uint32_t addr, const uint8_t *data, uint32_t len)
{
    if ((addr & (PHYS_PAGE_SIZE - 1)) || len == 0 ||
        m->n_rom_bufs == (int)(sizeof m->rom_bufs / sizeof m->rom_bufs[0]))
        return false;
    uint32_t size = (len + PHYS_PAGE_SIZE - 1) & ~(PHYS_PAGE_SIZE - 1);
    if ((uint64_t)addr + size > 0x100000000ull)
        return false;
    uint8_t *buf = malloc(size);
    if (!buf)
        return false;
    memset(buf, 0xFF, size);
    memcpy(buf, data, len);
    m->rom_bufs[m->n_rom_bufs++] = buf;
    set_pages(m, addr, size, buf, PHYS_PG_READ, 0);
    return true;
}

void phys_map_ram(PhysMem *m, uint32_t addr, uint32_t ram_offset, uint32_t len, bool writable)
{
    if ((uint64_t)ram_offset + len > m->ram_size)
        return;
    set_pages(m, addr, len, m->ram + ram_offset,
              (uint8_t)(PHYS_PG_READ | (writable ? PHYS_PG_WRITE : 0)), 0);
}

void phys_map_host(PhysMem *m, uint32_t addr, uint8_t *host, uint32_t len, bool writable)
{
    if ((addr & (PHYS_PAGE_SIZE - 1)) || (uint64_t)addr + len > 0x100000000ull)
        return;
    set_pages(m, addr, len, host, (uint8_t)(PHYS_PG_READ | (writable ? PHYS_PG_WRITE : 0)), 0);
}

bool phys_map_mmio(PhysMem *m, uint32_t addr, uint32_t len, const MmioOps *ops, void *opaque,
                   const char *name)
{
    if ((addr & (PHYS_PAGE_SIZE - 1)) || (len & (PHYS_PAGE_SIZE - 1)) || len == 0 ||
        (uint64_t)addr + len > 0x100000000ull)
        return false;
    /* A region moved by its device (a BAR the guest reprograms) takes its
     * old entry again: the table does not fill up with stale copies. */
    int idx = 0;
    while (idx < m->n_mmio && !(m->mmio[idx].ops == ops && m->mmio[idx].opaque == opaque &&
                                m->mmio[idx].name == name))
        idx++;
    if (idx == PHYS_MAX_MMIO)
        return false;
    if (idx == m->n_mmio)
        m->n_mmio++;
    m->mmio[idx] = (MmioRegion){ addr, len, ops, opaque, name };
    set_pages(m, addr, len, NULL, PHYS_PG_MMIO, (uint8_t)(idx + 1));
    return true;
}

void phys_unmap(PhysMem *m, uint32_t addr, uint32_t len)
{
    set_pages(m, addr & ~(PHYS_PAGE_SIZE - 1), len, NULL, 0, 0);
}

void phys_set_a20(PhysMem *m, bool enabled)
{
    uint32_t mask = enabled ? 0xFFFFFFFFu : 0xFFEFFFFFu;
    if (mask == m->a20_mask)
        return;
    m->a20_mask = mask;
    notify_map_changed(m);
}

/* One access inside a single page. */
static uint32_t read_in_page(PhysMem *m, uint32_t addr, unsigned size)
{
    uint32_t pg = addr >> PHYS_PAGE_SHIFT;
    uint8_t f = m->page_flags[pg];
    if (f & PHYS_PG_READ) {
        const uint8_t *p = m->page_host[pg] + (addr & (PHYS_PAGE_SIZE - 1));
        uint32_t v = 0;
        memcpy(&v, p, size);   /* little-endian host */
        return v;
    }
    if (f & PHYS_PG_MMIO) {
        const MmioRegion *r = &m->mmio[m->page_mmio[pg] - 1];
        return r->ops->read(r->opaque, addr, size);
    }
    return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

static void write_in_page(PhysMem *m, uint32_t addr, unsigned size, uint32_t value)
{
    uint32_t pg = addr >> PHYS_PAGE_SHIFT;
    uint8_t f = m->page_flags[pg];
    if (f & PHYS_PG_CODE) {
        if (m->code_write)
            m->code_write(m->code_write_opaque, addr, size);
        f = m->page_flags[pg];
    }
    if (f & PHYS_PG_WRITE) {
        phys_mark_dirty(m, m->page_host[pg]);
        memcpy(m->page_host[pg] + (addr & (PHYS_PAGE_SIZE - 1)), &value, size);
    } else if (f & PHYS_PG_MMIO) {
        const MmioRegion *r = &m->mmio[m->page_mmio[pg] - 1];
        r->ops->write(r->opaque, addr, size, value);
    }
    /* ROM and unmapped space ignore writes. */
}

uint64_t phys_read(PhysMem *m, uint64_t paddr, unsigned size)
{
    if (size == 8)
        return phys_read(m, paddr, 4) | (phys_read(m, paddr + 4, 4) << 32);
    if (paddr >> 32)
        return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    uint32_t a = (uint32_t)paddr;
    if ((a & (PHYS_PAGE_SIZE - 1)) + size <= PHYS_PAGE_SIZE)
        return read_in_page(m, a, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)phys_read(m, paddr + i, 1) << (8 * i);
    return v;
}

void phys_write(PhysMem *m, uint64_t paddr, unsigned size, uint64_t value)
{
    if (size == 8) {
        phys_write(m, paddr, 4, (uint32_t)value);
        phys_write(m, paddr + 4, 4, (uint32_t)(value >> 32));
        return;
    }
    if (paddr >> 32)
        return;
    uint32_t a = (uint32_t)paddr;
    if ((a & (PHYS_PAGE_SIZE - 1)) + size <= PHYS_PAGE_SIZE) {
        write_in_page(m, a, size, (uint32_t)value);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        phys_write(m, paddr + i, 1, (uint8_t)(value >> (8 * i)));
}

void phys_read_block(PhysMem *m, uint64_t paddr, void *dst, size_t len)
{
    uint8_t *out = dst;
    while (len) {
        size_t chunk = PHYS_PAGE_SIZE - (paddr & (PHYS_PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        uint8_t *host = phys_page_host(m, paddr & ~(uint64_t)(PHYS_PAGE_SIZE - 1), false);
        if (host) {
            memcpy(out, host + (paddr & (PHYS_PAGE_SIZE - 1)), chunk);
        } else {
            for (size_t i = 0; i < chunk; i++)
                out[i] = (uint8_t)phys_read(m, paddr + i, 1);
        }
        out += chunk;
        paddr += chunk;
        len -= chunk;
    }
}

void phys_write_block(PhysMem *m, uint64_t paddr, const void *src, size_t len)
{
    const uint8_t *in = src;
    while (len) {
        size_t chunk = PHYS_PAGE_SIZE - (paddr & (PHYS_PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        if (!(paddr >> 32)) {
            uint32_t pg = (uint32_t)(paddr >> PHYS_PAGE_SHIFT);
            if ((m->page_flags[pg] & PHYS_PG_CODE) && m->code_write)
                m->code_write(m->code_write_opaque, (uint32_t)paddr, (unsigned)chunk);
        }
        uint8_t *host = phys_page_host(m, paddr & ~(uint64_t)(PHYS_PAGE_SIZE - 1), true);
        if (host) {
            phys_mark_dirty(m, host);
            memcpy(host + (paddr & (PHYS_PAGE_SIZE - 1)), in, chunk);
        } else {
            for (size_t i = 0; i < chunk; i++)
                phys_write(m, paddr + i, 1, in[i]);
        }
        in += chunk;
        paddr += chunk;
        len -= chunk;
    }
}
