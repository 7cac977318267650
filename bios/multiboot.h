/* SPDX-License-Identifier: MIT */
/* Multiboot kernels for -kernel: version 1 (ELF and the a.out kludge), as
 * QEMU's loader boots them, and version 2, as GRUB does.
 *
 * Everything is laid out here, on the host: the kernel's image (its load
 * segments, zeroed bss), the modules of -initrd "FILE ARGS,FILE ARGS"
 * page-aligned after it, the strings, and the boot information structure
 * (MBI) with a parameter block in low memory. The loader option ROM
 * (bios/multiboot/multiboot.asm) copies both into place over fw_cfg DMA,
 * appends the BIOS's E820 memory map to the MBI, switches to 32-bit
 * protected mode and jumps to the entry with the magic in EAX and the MBI
 * in EBX. */
#ifndef KAIRO_MULTIBOOT_H
#define KAIRO_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iodev/fwcfg.h"

enum {
    MB_PARAMS_ADDR = 0x8000,   /* the ROM's parameter block, then the MBI */
    MB_INFO_ADDR = 0x8040,
    MB_LOW_END = 0xA000,       /* the MBI and its memory map end below this */
};

/* Which multiboot version a kernel image speaks: 1, 2, or 0 (none). */
int multiboot_version(const uint8_t *file, size_t size);

/* Lay out the kernel (taking ownership of file), its modules and command
 * line, and publish them with the loader ROM in fw_cfg. False with a
 * one-line reason for anything that cannot be loaded. */
bool multiboot_setup(FwCfg *fw, uint64_t ram_bytes, uint8_t *file, size_t size,
                     const char *kernel_path, const char *modules, const char *cmdline,
                     char *err, size_t errlen);

#endif
