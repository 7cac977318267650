/* SPDX-License-Identifier: MIT */
/* Multiboot 1 and 2 kernels for -kernel (see multiboot.h). The formats are
 * the Multiboot Specification 0.6.96 and Multiboot2 Specification 2.0. */
#include "bios/multiboot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/firmware.h"
#include "bios/kernel_boot.h"

extern const uint8_t multiboot_rom[];
extern const size_t multiboot_rom_size;

enum {
    MB1_MAGIC = 0x1BADB002, MB1_BOOT_MAGIC = 0x2BADB002, MB1_SEARCH = 8192,
    MB2_MAGIC = 0xE85250D6, MB2_BOOT_MAGIC = 0x36D76289, MB2_SEARCH = 32768,
    MB1_PAGE_ALIGN = 1u << 0, MB1_MEMINFO = 1u << 1, MB1_VIDEO = 1u << 2,
    MB1_AOUT_KLUDGE = 1u << 16,
    /* MBI flags set by the loader: memory, boot device, cmdline, modules,
     * memory map, boot loader name (the set QEMU passes). */
    MBI_FLAGS = 0x001 | 0x002 | 0x004 | 0x008 | 0x040 | 0x200,
    MB1_INFO_SIZE = 116,          /* up to and including the framebuffer fields */
    MB1_BOOT_DEVICE = 0x8000FFFF, /* first BIOS disk, no partition: QEMU's value */
    MB_LOW_MEM_KB = 640,
    MB_TOP_RESERVE = 0x100000,    /* kept free under the top of RAM for SeaBIOS */
    MB_MIN_LOAD = 0x100000,
    MB_MAX_MODULES = 32,
    PAGE = 4096,
};

static const char loader_name[] = "kairo";

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The offset of a valid version-1 header (magic, checksum), or -1. */
static long find_mb1(const uint8_t *f, size_t size)
{
    for (size_t off = 0; off + 12 <= size && off < MB1_SEARCH; off += 4)
        if (rd32(f + off) == MB1_MAGIC && rd32(f + off) + rd32(f + off + 4) + rd32(f + off + 8) == 0)
            return (long)off;
    return -1;
}

/* The offset of a valid version-2 header, or -1. */
static long find_mb2(const uint8_t *f, size_t size)
{
    for (size_t off = 0; off + 16 <= size && off < MB2_SEARCH; off += 8) {
        if (rd32(f + off) != MB2_MAGIC)
            continue;
        uint32_t sum = rd32(f + off) + rd32(f + off + 4) + rd32(f + off + 8) + rd32(f + off + 12);
        if (sum == 0 && rd32(f + off + 4) == 0 && rd32(f + off + 8) >= 16 &&
            off + rd32(f + off + 8) <= size)
            return (long)off;
    }
    return -1;
}

int multiboot_version(const uint8_t *file, size_t size)
{
    return find_mb2(file, size) >= 0 ? 2 : find_mb1(file, size) >= 0 ? 1 : 0;
}

/* --- the image being built: kernel, then modules and strings --- */

typedef struct Layout {
    uint32_t base;         /* guest address of blob[0] */
    uint8_t *blob;
    uint32_t size, cap;
    uint32_t entry;
    uint32_t mod_align;    /* modules start on this boundary */
    char *err;
    size_t errlen;
} Layout;

static bool fail(Layout *l, const char *fmt, const char *arg)
{
    snprintf(l->err, l->errlen, fmt, arg);
    return false;
}

/* Make room for [addr, addr + len) in the blob (zero-filled); a pointer to
 * it, or NULL when it would not fit in 32 bits. */
static uint8_t *reserve(Layout *l, uint32_t addr, uint32_t len)
{
    if (addr < l->base || (uint64_t)addr + len > 0xFFFFFFFFull)
        return NULL;
    uint32_t end = addr - l->base + len;
    if (end > l->cap) {
        uint32_t cap = l->cap ? l->cap : 1u << 20;
        while (cap < end)
            cap = cap > 0x7FFFFFFF ? end : cap * 2;
        uint8_t *b = realloc(l->blob, cap);
        if (!b)
            return NULL;
        memset(b + l->cap, 0, cap - l->cap);
        l->blob = b;
        l->cap = cap;
    }
    if (end > l->size)
        l->size = end;
    return l->blob + (addr - l->base);
}

/* Append bytes (aligned) after everything so far; their guest address. */
static uint32_t append(Layout *l, const void *data, uint32_t len, uint32_t align)
{
    uint32_t addr = align_up(l->base + l->size, align);
    uint8_t *p = reserve(l, addr, len);
    if (!p)
        return 0;
    memcpy(p, data, len);
    return addr;
}

/* A PT_LOAD worth loading: not empty, and not one that holds only the ELF
 * and program headers (ld puts one just below the text; loading it below
 * 1 MiB would only hit the BIOS). */
static bool segment_wanted(const uint8_t *ph, uint32_t headers_end)
{
    uint32_t off = rd32(ph + 4), filesz = rd32(ph + 16);
    return rd32(ph) == 1 && rd32(ph + 20) && !(off == 0 && filesz && filesz <= headers_end);
}

/* An ELF32 i386 image: every PT_LOAD at its physical address. */
static bool load_elf(Layout *l, const uint8_t *f, size_t size)
{
    if (size < 52 || memcmp(f, "\x7f" "ELF", 4) || f[4] != 1 || rd16(f + 18) != 3)
        return fail(l, "%s", "not a 32-bit i386 ELF and no a.out kludge in the multiboot header");
    uint32_t phoff = rd32(f + 28), entry = rd32(f + 24);
    unsigned phentsize = rd16(f + 42), phnum = rd16(f + 44);
    if (phentsize < 32 || (uint64_t)phoff + (uint64_t)phnum * phentsize > size)
        return fail(l, "%s", "ELF program headers outside the file");
    uint32_t headers_end = phoff + phnum * phentsize;
    uint32_t lo = 0xFFFFFFFF, hi = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + i * phentsize;
        if (!segment_wanted(ph, headers_end))
            continue;
        uint32_t paddr = rd32(ph + 12), memsz = rd32(ph + 20);
        if (paddr < lo)
            lo = paddr;
        if ((uint64_t)paddr + memsz > hi)
            hi = paddr + memsz;
    }
    if (lo > hi)
        return fail(l, "%s", "the ELF image has nothing to load");
    l->base = lo;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + i * phentsize;
        if (!segment_wanted(ph, headers_end))
            continue;
        uint32_t off = rd32(ph + 4), vaddr = rd32(ph + 8), paddr = rd32(ph + 12);
        uint32_t filesz = rd32(ph + 16), memsz = rd32(ph + 20);
        if (filesz > memsz || (uint64_t)off + filesz > size)
            return fail(l, "%s", "an ELF segment lies outside the file");
        uint8_t *p = reserve(l, paddr, memsz);
        if (!p)
            return fail(l, "%s", "out of memory");
        memcpy(p, f + off, filesz);
        /* A kernel linked high gives a virtual entry: the same place in
         * its segment's physical copy. */
        if (entry >= vaddr && entry - vaddr < memsz)
            l->entry = entry - vaddr + paddr;
    }
    if (!l->entry)
        l->entry = entry;
    return true;
}

/* The address fields (MB1's a.out kludge, MB2's address tag): the file
 * from the header's position back to load_addr is the image. */
static bool load_flat(Layout *l, const uint8_t *f, size_t size, long hdr_off,
                      const uint32_t addr[4], uint32_t entry)
{
    uint32_t header_addr = addr[0], load_addr = addr[1], load_end = addr[2], bss_end = addr[3];
    if (load_addr > header_addr || header_addr - load_addr > (uint32_t)hdr_off)
        return fail(l, "%s", "bad address fields in the multiboot header (load_addr)");
    uint32_t file_off = (uint32_t)hdr_off - (header_addr - load_addr);
    uint32_t len = load_end ? load_end - load_addr : (uint32_t)(size - file_off);
    if (load_end && load_end < load_addr)
        return fail(l, "%s", "bad address fields in the multiboot header (load_end_addr)");
    if ((uint64_t)file_off + len > size)
        return fail(l, "%s", "the multiboot header's load range passes the end of the file");
    uint32_t total = bss_end > load_addr + len ? bss_end - load_addr : len;
    l->base = load_addr;
    uint8_t *p = reserve(l, load_addr, total ? total : 1);
    if (!p)
        return fail(l, "%s", "out of memory");
    memcpy(p, f + file_off, len);
    l->entry = entry;
    return true;
}

/* --- modules: -initrd "FILE ARGS,FILE ARGS" (",," is a comma) --- */

typedef struct Module {
    uint32_t start, end;
    char *cmdline;        /* the whole entry, file name included, as QEMU passes it */
    uint32_t cmdline_addr;
} Module;

/* Split the -initrd list into module command lines. */
static int split_modules(const char *spec, Module *mods, Layout *l)
{
    int n = 0;
    const char *p = spec;
    while (p && *p) {
        if (n == MB_MAX_MODULES) {
            fail(l, "more than %s modules in -initrd", "32");
            return -1;
        }
        char *s = malloc(strlen(p) + 1);
        if (!s) {
            fail(l, "%s", "out of memory");
            return -1;
        }
        size_t k = 0;
        for (; *p; p++) {
            if (*p == ',' && p[1] == ',')
                p++;
            else if (*p == ',')
                break;
            s[k++] = *p;
        }
        s[k] = 0;
        mods[n++].cmdline = s;
        p = *p ? p + 1 : NULL;
    }
    return n;
}

static bool load_modules(Layout *l, Module *mods, int n)
{
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%.*s", (int)strcspn(mods[i].cmdline, " "),
                 mods[i].cmdline);
        size_t size = 0;
        uint8_t *data = firmware_read_file(path, 0x7FFFFFFF, &size);
        if (!data) {
            snprintf(l->err, l->errlen, "-initrd module %s: %s", path, strerror(errno));
            return false;
        }
        mods[i].start = append(l, data, (uint32_t)size, l->mod_align);
        mods[i].end = mods[i].start + (uint32_t)size;
        free(data);
        if (!mods[i].start)
            return fail(l, "-initrd module %s: out of memory", path);
    }
    return true;
}

/* --- the boot information --- */

static uint32_t mem_upper_kb(uint64_t ram_bytes)
{
    return (uint32_t)(ram_bytes / 1024) - 1024;
}

/* Version 1: the MBI in low memory, the strings and module list in the blob. */
static bool build_mbi1(Layout *l, uint8_t *low, uint64_t ram, const char *kernel_path,
                       const char *cmdline, Module *mods, int n)
{
    char *line = malloc(strlen(kernel_path) + strlen(cmdline) + 2);
    if (!line)
        return fail(l, "%s", "out of memory");
    sprintf(line, "%s %s", kernel_path, cmdline);   /* QEMU's: the file name, then -append */
    uint32_t cmd = append(l, line, (uint32_t)strlen(line) + 1, 1);
    free(line);
    uint32_t name = append(l, loader_name, sizeof loader_name, 1);
    uint8_t list[MB_MAX_MODULES * 16];
    for (int i = 0; i < n; i++) {
        mods[i].cmdline_addr = append(l, mods[i].cmdline, (uint32_t)strlen(mods[i].cmdline) + 1, 1);
        wr32(list + 16 * i, mods[i].start);
        wr32(list + 16 * i + 4, mods[i].end);
        wr32(list + 16 * i + 8, mods[i].cmdline_addr);
        wr32(list + 16 * i + 12, 0);
    }
    uint32_t mods_addr = n ? append(l, list, (uint32_t)(16 * n), 4) : 0;
    if (!cmd || !name || (n && !mods_addr))
        return fail(l, "%s", "out of memory");
    uint8_t *mbi = low + (MB_INFO_ADDR - MB_PARAMS_ADDR);
    wr32(mbi + 0, MBI_FLAGS);
    wr32(mbi + 4, MB_LOW_MEM_KB);
    wr32(mbi + 8, mem_upper_kb(ram));
    wr32(mbi + 12, MB1_BOOT_DEVICE);
    wr32(mbi + 16, cmd);
    wr32(mbi + 20, (uint32_t)n);
    wr32(mbi + 24, mods_addr);
    wr32(mbi + 48, MB_INFO_ADDR + MB1_INFO_SIZE + 4);   /* mmap_addr; the ROM fills it */
    wr32(mbi + 64, name);
    wr32(low + 16, MB_INFO_ADDR + MB1_INFO_SIZE + 4);   /* where the ROM writes entries */
    wr32(low + 24, MB_INFO_ADDR + 4);                    /* mem_lower, mem_upper */
    return true;
}

/* Version 2: one tag list in low memory, the memory map tag last (the ROM
 * fills it and writes the end tag and the total size). */
typedef struct TagWriter {
    uint8_t *p;
    uint32_t off, cap;
} TagWriter;

static uint8_t *tag(TagWriter *t, uint32_t type, uint32_t size)
{
    t->off = align_up(t->off, 8);
    if (t->off + size > t->cap)
        return NULL;
    uint8_t *p = t->p + t->off;
    wr32(p, type);
    wr32(p + 4, size);
    t->off += size;
    return p;
}

static uint8_t *string_tag(TagWriter *t, uint32_t type, const char *s, uint32_t fixed)
{
    uint8_t *p = tag(t, type, 8 + fixed + (uint32_t)strlen(s) + 1);
    if (p)
        memcpy(p + 8 + fixed, s, strlen(s) + 1);
    return p;
}

static bool build_mbi2(Layout *l, uint8_t *low, uint64_t ram, const char *cmdline,
                       Module *mods, int n)
{
    TagWriter t = { low + (MB_INFO_ADDR - MB_PARAMS_ADDR), 8, MB_LOW_END - MB_INFO_ADDR - 1024 };
    bool ok = string_tag(&t, 1, cmdline, 0) && string_tag(&t, 2, loader_name, 0);
    for (int i = 0; ok && i < n; i++) {
        uint8_t *m = string_tag(&t, 3, mods[i].cmdline, 8);
        ok = m != NULL;
        if (ok) {
            wr32(m + 8, mods[i].start);
            wr32(m + 12, mods[i].end);
        }
    }
    uint8_t *mem = ok ? tag(&t, 4, 16) : NULL;
    uint8_t *base = mem ? tag(&t, 21, 12) : NULL;   /* image load base physical address */
    if (!base)
        return fail(l, "%s", "the multiboot2 information does not fit below 40 KiB "
                             "(command lines too long)");
    wr32(mem + 8, MB_LOW_MEM_KB);
    wr32(mem + 12, mem_upper_kb(ram));
    wr32(low + 24, MB_INFO_ADDR + (uint32_t)(mem + 8 - t.p));   /* the ROM refines them */
    wr32(base + 8, l->base);
    uint8_t *mmap = tag(&t, 6, 16);   /* header only; the ROM appends entries */
    wr32(mmap + 8, 24);               /* entry size */
    wr32(mmap + 12, 0);               /* entry version */
    wr32(low + 16, MB_INFO_ADDR + (uint32_t)(mmap - t.p));
    return true;
}

/* --- the version-2 header's tags --- */

/* Honour what GRUB honours: address and entry tags, module alignment;
 * an information request or another tag we cannot satisfy is refused
 * unless it is marked optional. */
static bool read_mb2_tags(Layout *l, const uint8_t *f, size_t size, long off, bool *flat,
                          uint32_t addr[4], uint32_t *entry)
{
    static const uint32_t provided[] = { 0, 1, 2, 3, 4, 6, 21 };
    uint32_t end = (uint32_t)off + rd32(f + off + 8);
    for (uint32_t p = (uint32_t)off + 16; p + 8 <= end && p + 8 <= size;) {
        uint16_t type = rd16(f + p), flags = rd16(f + p + 2);
        uint32_t len = rd32(f + p + 4);
        if (type == 0)
            break;
        if (len < 8 || p + len > end)
            return fail(l, "%s", "malformed multiboot2 header tag");
        bool optional = flags & 1;
        if (type == 1 && !optional) {            /* information request */
            for (uint32_t q = p + 8; q + 4 <= p + len; q += 4) {
                uint32_t want = rd32(f + q);
                bool have = false;
                for (size_t i = 0; i < sizeof provided / sizeof provided[0]; i++)
                    have |= provided[i] == want;
                if (!have) {
                    char num[16];
                    snprintf(num, sizeof num, "%u", want);
                    return fail(l, "the multiboot2 kernel requires information tag %s, "
                                   "which kairo does not provide", num);
                }
            }
        } else if (type == 2 && len >= 24) {     /* address */
            *flat = true;
            for (int i = 0; i < 4; i++)
                addr[i] = rd32(f + p + 8 + 4 * i);
        } else if (type == 3 && len >= 12) {     /* entry address */
            *entry = rd32(f + p + 8);
        } else if (type == 6) {                  /* module alignment: page */
            l->mod_align = PAGE;
        } else if (type == 5 && !optional) {     /* framebuffer */
            return fail(l, "%s", "the multiboot2 kernel requires a framebuffer (not provided)");
        }
        p += align_up(len, 8);
    }
    return true;
}

/* --- putting it together --- */

static bool lay_out_kernel(Layout *l, int version, const uint8_t *f, size_t size)
{
    uint32_t addr[4] = { 0 }, entry = 0;
    bool flat = false;
    if (version == 1) {
        long off = find_mb1(f, size);
        uint32_t flags = rd32(f + off + 4);
        if (flags & 0xFFF8)
            return fail(l, "%s", "the multiboot header requires features kairo does not know");
        if (flags & MB1_VIDEO)
            fprintf(stderr, "kairo: multiboot: the kernel asks for a video mode; "
                            "it keeps the BIOS's text mode\n");
        if (flags & MB1_PAGE_ALIGN)
            l->mod_align = PAGE;
        flat = flags & MB1_AOUT_KLUDGE;
        if (flat) {
            if (off + 32 > (long)size)
                return fail(l, "%s", "the multiboot header is cut short");
            for (int i = 0; i < 4; i++)
                addr[i] = rd32(f + off + 12 + 4 * i);
            entry = rd32(f + off + 28);
        }
        return flat ? load_flat(l, f, size, off, addr, entry) : load_elf(l, f, size);
    }
    long off = find_mb2(f, size);
    if (!read_mb2_tags(l, f, size, off, &flat, addr, &entry))
        return false;
    bool ok = flat ? load_flat(l, f, size, off, addr, entry) : load_elf(l, f, size);
    if (ok && entry)
        l->entry = entry;
    if (ok && flat && !entry)
        return fail(l, "%s", "the multiboot2 address tag needs an entry address tag");
    return ok;
}

static bool publish(FwCfg *fw, const Layout *l, const uint8_t *low, uint32_t low_size)
{
    static const char bootorder[] = "/rom@genroms/multiboot.bin\n";
    return fwcfg_add_u32(fw, FW_CFG_KERNEL_ADDR, l->base) &&
           fwcfg_add_u32(fw, FW_CFG_KERNEL_SIZE, l->size) &&
           fwcfg_add_bytes(fw, FW_CFG_KERNEL_DATA, l->blob, l->size) &&
           fwcfg_add_u32(fw, FW_CFG_INITRD_ADDR, MB_PARAMS_ADDR) &&
           fwcfg_add_u32(fw, FW_CFG_INITRD_SIZE, low_size) &&
           fwcfg_add_bytes(fw, FW_CFG_INITRD_DATA, low, low_size) &&
           kernel_boot_publish_rom(fw, "genroms/multiboot.bin", multiboot_rom,
                                   multiboot_rom_size) &&
           fwcfg_add_file(fw, "bootorder", bootorder, sizeof bootorder - 1);
}

bool multiboot_setup(FwCfg *fw, uint64_t ram_bytes, uint8_t *file, size_t size,
                     const char *kernel_path, const char *modules, const char *cmdline,
                     char *err, size_t errlen)
{
    int version = multiboot_version(file, size);
    Layout l = { .mod_align = 4, .err = err, .errlen = errlen };
    Module mods[MB_MAX_MODULES];
    memset(mods, 0, sizeof mods);
    static uint8_t low[MB_LOW_END - MB_PARAMS_ADDR];
    memset(low, 0, sizeof low);
    int n = 0;
    bool ok = version && lay_out_kernel(&l, version, file, size);
    if (ok && l.base < MB_MIN_LOAD)
        ok = fail(&l, "%s", "the multiboot kernel loads below 1 MiB (kairo keeps that for the "
                            "BIOS)");
    if (ok && modules)
        ok = (n = split_modules(modules, mods, &l)) >= 0 && load_modules(&l, mods, n);
    if (ok)
        ok = version == 1 ? build_mbi1(&l, low, ram_bytes, kernel_path, cmdline, mods, n)
                          : build_mbi2(&l, low, ram_bytes, cmdline, mods, n);
    if (ok && (uint64_t)l.base + l.size + MB_TOP_RESERVE > ram_bytes)
        ok = fail(&l, "%s", "the multiboot kernel and its modules do not fit in RAM");
    if (ok) {
        wr32(low + 0, (uint32_t)version);
        wr32(low + 4, version == 1 ? MB1_BOOT_MAGIC : MB2_BOOT_MAGIC);
        wr32(low + 8, MB_INFO_ADDR);
        wr32(low + 12, l.entry);
        wr32(low + 20, MB_LOW_END);
        ok = publish(fw, &l, low, sizeof low);
        if (!ok && !err[0])
            snprintf(err, errlen, "-kernel: cannot publish the kernel through fw_cfg");
    }
    for (int i = 0; i < MB_MAX_MODULES; i++)
        free(mods[i].cmdline);
    free(l.blob);
    free(file);
    return ok;
}
