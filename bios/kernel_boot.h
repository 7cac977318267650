/* SPDX-License-Identifier: MIT */
/* Direct Linux boot (-kernel/-initrd/-append), as QEMU does it: the kernel
 * is parsed here and handed to SeaBIOS through fw_cfg together with the
 * loader option ROM (bios/linuxboot/linuxboot.asm), which copies it into
 * place and enters the kernel's real-mode setup by the x86 boot protocol
 * (Documentation/arch/x86/boot.rst). */
#ifndef KAIRO_KERNEL_BOOT_H
#define KAIRO_KERNEL_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/fwcfg.h"

/* Where the pieces go (boot protocol 2.02+ layout, the one QEMU uses). */
enum {
    KBOOT_SETUP_ADDR = 0x10000,      /* real-mode setup, 64 KiB with its heap */
    KBOOT_CMDLINE_ADDR = 0x20000,
    KBOOT_KERNEL_ADDR = 0x100000,    /* protected-mode kernel */
    KBOOT_TOP_RESERVE = 0x20000,     /* left free at the top of RAM for the BIOS */
};

/* What parsing a bzImage found; filled by kernel_boot_parse. */
typedef struct KernelImage {
    uint8_t *setup;          /* real-mode part, header patched by kernel_boot_place */
    uint32_t setup_size;
    const uint8_t *kernel;   /* protected-mode part (points into file) */
    uint32_t kernel_size;
    uint16_t protocol;
    uint32_t initrd_addr_max;
    uint32_t cmdline_max;    /* bytes, without the NUL */
    uint8_t *file;           /* the whole image */
    size_t file_size;
} KernelImage;

/* Parse a bzImage held in memory (takes ownership of file); false with a
 * one-line reason in err for anything the boot protocol cannot load. */
bool kernel_boot_parse(KernelImage *k, uint8_t *file, size_t size, char *err, size_t errlen);
/* Fill in the setup header for an initrd of initrd_size bytes (0: none) and a
 * command line; returns the initrd's load address in *initrd_addr. */
bool kernel_boot_place(KernelImage *k, uint64_t ram_bytes, uint32_t initrd_size,
                       const char *cmdline, uint32_t *initrd_addr, char *err, size_t errlen);
void kernel_boot_free(KernelImage *k);

/* An option ROM as fw_cfg file name (genroms/...), its PnP header and
 * whole-image checksums made zero. */
bool kernel_boot_publish_rom(FwCfg *fw, const char *name, const uint8_t *image, size_t size);

/* Read the files, parse, and publish everything in fw_cfg (items, the
 * loader ROM as genroms/linuxboot.bin, and a bootorder that boots it). A
 * multiboot kernel goes to bios/multiboot.c instead (initrd_path is then
 * its module list). */
bool kernel_boot_setup(FwCfg *fw, uint64_t ram_bytes, const char *kernel_path,
                       const char *initrd_path, const char *cmdline, char *err, size_t errlen);

#endif
