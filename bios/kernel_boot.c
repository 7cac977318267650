/* SPDX-License-Identifier: MIT */
/* Direct Linux boot: bzImage parsing and the fw_cfg hand-off. */
#include "bios/kernel_boot.h"

#include "bios/firmware.h"
#include "bios/multiboot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const uint8_t linuxboot_rom[];
extern const size_t linuxboot_rom_size;

/* Setup header offsets (boot.rst). */
enum {
    HDR_SETUP_SECTS = 0x1F1,
    HDR_BOOT_FLAG = 0x1FE,
    HDR_VID_MODE = 0x1FA,
    HDR_MAGIC = 0x202,
    HDR_VERSION = 0x206,
    HDR_TYPE_OF_LOADER = 0x210,
    HDR_LOADFLAGS = 0x211,
    HDR_RAMDISK_IMAGE = 0x218,
    HDR_RAMDISK_SIZE = 0x21C,
    HDR_HEAP_END_PTR = 0x224,
    HDR_CMD_LINE_PTR = 0x228,
    HDR_INITRD_ADDR_MAX = 0x22C,
    HDR_CMDLINE_SIZE = 0x238,
    LOADED_HIGH = 0x01,
    CAN_USE_HEAP = 0x80,
    LOADER_UNDEFINED = 0xFF,
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The boot protocol's video mode from a "vga=" word of the command line,
 * as boot loaders (and QEMU's -kernel) do: the kernel's real-mode setup
 * code sets that mode through the video BIOS before it starts, which is how
 * vesafb gets its framebuffer (vga=0x318: 1024x768, 32 bits). */
static bool cmdline_vga_mode(const char *cmdline, uint16_t *mode)
{
    static const struct { const char *name; uint16_t mode; } named[] = {
        {"normal", 0xFFFF}, {"ext", 0xFFFE}, {"ask", 0xFFFD},
    };
    for (const char *p = cmdline; (p = strstr(p, "vga=")) != NULL; p += 4) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        const char *v = p + 4;
        size_t len = strcspn(v, " ");
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
            if (len == strlen(named[i].name) && !strncmp(v, named[i].name, len)) {
                *mode = named[i].mode;
                return true;
            }
        char *end;
        unsigned long m = strtoul(v, &end, 0);
        if (end == v + len && len && m <= 0xFFFF) {
            *mode = (uint16_t)m;
            return true;
        }
    }
    return false;
}

bool kernel_boot_parse(KernelImage *k, uint8_t *file, size_t size, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->file = file;
    k->file_size = size;
    if (size < 0x1000 || size > 0x7FFFFFFF) {
        snprintf(err, errlen, "not a Linux bzImage (%zu bytes)", size);
        return false;
    }
    if (get16(file + HDR_BOOT_FLAG) != 0xAA55 || memcmp(file + HDR_MAGIC, "HdrS", 4)) {
        snprintf(err, errlen, "not a Linux bzImage (no boot protocol header)");
        return false;
    }
    k->protocol = get16(file + HDR_VERSION);
    if (k->protocol < 0x202 || !(file[HDR_LOADFLAGS] & LOADED_HIGH)) {
        snprintf(err, errlen, "kernel boot protocol %x.%02x: only bzImage 2.02 and later boot",
                 k->protocol >> 8, k->protocol & 0xFF);
        return false;
    }
    unsigned sects = file[HDR_SETUP_SECTS] ? file[HDR_SETUP_SECTS] : 4;
    k->setup_size = (sects + 1) * 512u;
    if (k->setup_size >= size) {
        snprintf(err, errlen, "kernel image truncated (setup of %u bytes, file of %zu)",
                 k->setup_size, size);
        return false;
    }
    k->kernel = file + k->setup_size;
    k->kernel_size = (uint32_t)(size - k->setup_size);
    k->initrd_addr_max = k->protocol >= 0x203 ? get32(file + HDR_INITRD_ADDR_MAX) : 0x37FFFFFF;
    k->cmdline_max = k->protocol >= 0x206 ? get32(file + HDR_CMDLINE_SIZE) : 255;
    k->setup = malloc(k->setup_size);
    if (!k->setup) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(k->setup, file, k->setup_size);
    return true;
}

bool kernel_boot_place(KernelImage *k, uint64_t ram_bytes, uint32_t initrd_size,
                       const char *cmdline, uint32_t *initrd_addr, char *err, size_t errlen)
{
    size_t cmdlen = strlen(cmdline);
    if (cmdlen > k->cmdline_max || cmdlen >= 0x10000) {
        snprintf(err, errlen, "-append: command line of %zu bytes, the kernel takes %u", cmdlen,
                 k->cmdline_max);
        return false;
    }
    if (KBOOT_KERNEL_ADDR + (uint64_t)k->kernel_size + KBOOT_TOP_RESERVE > ram_bytes) {
        snprintf(err, errlen, "-kernel: a %u-byte kernel does not fit in %llu MiB of RAM",
                 k->kernel_size, (unsigned long long)(ram_bytes >> 20));
        return false;
    }
    uint8_t *h = k->setup;
    uint16_t vid_mode;
    if (cmdline_vga_mode(cmdline, &vid_mode))
        put16(h + HDR_VID_MODE, vid_mode);
    h[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    h[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    /* The heap ends where the command line starts, 64 KiB above setup. */
    put16(h + HDR_HEAP_END_PTR, (uint16_t)(KBOOT_CMDLINE_ADDR - KBOOT_SETUP_ADDR - 0x200));
    put32(h + HDR_CMD_LINE_PTR, KBOOT_CMDLINE_ADDR);
    *initrd_addr = 0;
    if (initrd_size) {
        uint64_t top = ram_bytes - KBOOT_TOP_RESERVE;
        if ((uint64_t)k->initrd_addr_max + 1 < top)
            top = (uint64_t)k->initrd_addr_max + 1;
        uint64_t lowest = KBOOT_KERNEL_ADDR + (uint64_t)k->kernel_size;
        if (initrd_size > top || ((top - initrd_size) & ~0xFFFull) < lowest) {
            snprintf(err, errlen, "-initrd: %u bytes do not fit below %llu MiB beside the kernel",
                     initrd_size, (unsigned long long)(top >> 20));
            return false;
        }
        *initrd_addr = (uint32_t)((top - initrd_size) & ~0xFFFull);
    }
    put32(h + HDR_RAMDISK_IMAGE, *initrd_addr);
    put32(h + HDR_RAMDISK_SIZE, initrd_size);
    return true;
}

void kernel_boot_free(KernelImage *k)
{
    free(k->setup);
    free(k->file);
    memset(k, 0, sizeof *k);
}

/* The whole file in memory, or a one-line error. */
static uint8_t *slurp(const char *what, const char *path, size_t *size, char *err, size_t errlen)
{
    uint8_t *buf = firmware_read_file(path, 0x7FFFFFFF, size);
    if (!buf)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return buf;
}

bool kernel_boot_publish_rom(FwCfg *fw, const char *name, const uint8_t *image, size_t size)
{
    uint8_t *rom = malloc(size);
    if (!rom)
        return false;
    memcpy(rom, image, size);
    uint16_t pnp = get16(rom + 0x1A);
    if (pnp + 0x20u <= size && !memcmp(rom + pnp, "$PnP", 4)) {
        uint8_t sum = 0;
        rom[pnp + 9] = 0;
        for (unsigned i = 0; i < 0x20; i++)
            sum = (uint8_t)(sum + rom[pnp + i]);
        rom[pnp + 9] = (uint8_t)-sum;
    }
    uint8_t sum = 0;
    rom[size - 1] = 0;
    for (size_t i = 0; i < size; i++)
        sum = (uint8_t)(sum + rom[i]);
    rom[size - 1] = (uint8_t)-sum;
    bool ok = fwcfg_add_file(fw, name, rom, (uint32_t)size);
    free(rom);
    return ok;
}

static bool publish_rom(FwCfg *fw)
{
    return kernel_boot_publish_rom(fw, "genroms/linuxboot.bin", linuxboot_rom,
                                   linuxboot_rom_size);
}

bool kernel_boot_setup(FwCfg *fw, uint64_t ram_bytes, const char *kernel_path,
                       const char *initrd_path, const char *cmdline, char *err, size_t errlen)
{
    size_t ksize = 0, isize = 0;
    err[0] = 0;
    uint8_t *kfile = slurp("-kernel", kernel_path, &ksize, err, errlen);
    if (!kfile)
        return false;
    /* Not a bzImage but a multiboot kernel: QEMU's order of checks. */
    if ((ksize < 0x206 || memcmp(kfile + HDR_MAGIC, "HdrS", 4)) &&
        multiboot_version(kfile, ksize)) {
        char why[300] = "";
        if (multiboot_setup(fw, ram_bytes, kfile, ksize, kernel_path, initrd_path,
                            cmdline ? cmdline : "", why, sizeof why))
            return true;
        snprintf(err, errlen, "-kernel %s: %s", kernel_path, why);
        return false;
    }
    KernelImage k;
    char why[160];
    if (!kernel_boot_parse(&k, kfile, ksize, why, sizeof why)) {
        snprintf(err, errlen, "-kernel %s: %s", kernel_path, why);
        kernel_boot_free(&k);
        return false;
    }
    uint8_t *ifile = NULL;
    if (initrd_path) {
        ifile = slurp("-initrd", initrd_path, &isize, err, errlen);
        if (!ifile) {
            kernel_boot_free(&k);
            return false;
        }
        if (isize == 0) {
            snprintf(err, errlen, "-initrd %s: empty file", initrd_path);
            free(ifile);
            kernel_boot_free(&k);
            return false;
        }
    }
    uint32_t initrd_addr = 0;
    const char *line = cmdline ? cmdline : "";
    bool ok = kernel_boot_place(&k, ram_bytes, (uint32_t)isize, line, &initrd_addr, err, errlen);
    ok = ok && fwcfg_add_u32(fw, FW_CFG_SETUP_ADDR, KBOOT_SETUP_ADDR) &&
         fwcfg_add_u32(fw, FW_CFG_SETUP_SIZE, k.setup_size) &&
         fwcfg_add_bytes(fw, FW_CFG_SETUP_DATA, k.setup, k.setup_size) &&
         fwcfg_add_u32(fw, FW_CFG_KERNEL_ADDR, KBOOT_KERNEL_ADDR) &&
         fwcfg_add_u32(fw, FW_CFG_KERNEL_SIZE, k.kernel_size) &&
         fwcfg_add_bytes(fw, FW_CFG_KERNEL_DATA, k.kernel, k.kernel_size) &&
         fwcfg_add_u32(fw, FW_CFG_INITRD_ADDR, initrd_addr) &&
         fwcfg_add_u32(fw, FW_CFG_INITRD_SIZE, (uint32_t)isize) &&
         (!isize || fwcfg_add_bytes(fw, FW_CFG_INITRD_DATA, ifile, (uint32_t)isize)) &&
         fwcfg_add_u32(fw, FW_CFG_CMDLINE_ADDR, KBOOT_CMDLINE_ADDR) &&
         fwcfg_add_u32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(line) + 1) &&
         fwcfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, line, (uint32_t)strlen(line) + 1) &&
         publish_rom(fw);
    static const char bootorder[] = "/rom@genroms/linuxboot.bin\n";
    ok = ok && fwcfg_add_file(fw, "bootorder", bootorder, sizeof bootorder - 1);
    if (!ok && !err[0])
        snprintf(err, errlen, "-kernel: cannot publish the kernel through fw_cfg");
    free(ifile);
    kernel_boot_free(&k);
    return ok;
}
