/* SPDX-License-Identifier: MIT */
/* fw_cfg: signature, items through the data port, the file directory, and
 * the DMA interface (select + read into guest memory, big-endian fields). */
#include <criterion/criterion.h>
#include <string.h>

#include "iodev/fwcfg.h"

static FwCfg fw;
static PhysMem *mem;
static PortBus bus;

static void setup(void)
{
    char err[128];
    mem = phys_new(2 << 20, err, sizeof err);
    portbus_init(&bus);
    fwcfg_init(&fw, mem);
    cr_assert(fwcfg_register(&fw, &bus));
}

static void teardown(void)
{
    fwcfg_free(&fw);
    phys_free(mem);
}

TestSuite(fwcfg, .init = setup, .fini = teardown);

Test(fwcfg, signature_and_id)
{
    portbus_write(&bus, 0x510, 2, FW_CFG_SIGNATURE);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++)
        sig[i] = (char)portbus_read(&bus, 0x511, 1);
    cr_assert_str_eq(sig, "QEMU");
    portbus_write(&bus, 0x510, 2, FW_CFG_ID);
    cr_assert_eq(portbus_read(&bus, 0x511, 1) & 2, 2, "DMA interface offered");
}

Test(fwcfg, file_directory_lists_files)
{
    cr_assert(fwcfg_add_file(&fw, "etc/e820", "0123456789", 10));
    cr_assert(fwcfg_add_file(&fw, "bootorder", "/isa/fdc@03f0/floppy@0\n", 23));
    portbus_write(&bus, 0x510, 2, FW_CFG_FILE_DIR);
    uint8_t dir[4 + 2 * 64];
    for (size_t i = 0; i < sizeof dir; i++)
        dir[i] = (uint8_t)portbus_read(&bus, 0x511, 1);
    cr_assert_eq(dir[3], 2, "two files, big-endian count");
    cr_assert_eq(dir[4 + 3], 10, "size of the first file");
    cr_assert_eq(dir[4 + 4] << 8 | dir[4 + 5], FW_CFG_FILE_FIRST);
    cr_assert_str_eq((char *)dir + 4 + 8, "etc/e820");
    cr_assert_str_eq((char *)dir + 4 + 64 + 8, "bootorder");
}

Test(fwcfg, dma_select_and_read)
{
    cr_assert(fwcfg_add_file(&fw, "etc/test", "hello, dma", 10));
    /* Descriptor at 0x1000: control = select key 0x20 | read, length 12, address 0x2000. */
    uint32_t control = (uint32_t)FW_CFG_FILE_FIRST << 16 | 0x08 | 0x02;
    phys_write(mem, 0x1000, 4, __builtin_bswap32(control));
    phys_write(mem, 0x1004, 4, __builtin_bswap32(12));
    phys_write(mem, 0x1008, 4, 0);
    phys_write(mem, 0x100C, 4, __builtin_bswap32(0x2000));
    phys_write(mem, 0x2000, 4, 0xFFFFFFFF);
    phys_write(mem, 0x2008, 4, 0xFFFFFFFF);
    portbus_write(&bus, 0x514, 4, 0);
    portbus_write(&bus, 0x518, 4, __builtin_bswap32(0x1000));
    cr_assert_eq(phys_read(mem, 0x1000, 4), 0u, "control cleared: done, no error");
    char out[13] = { 0 };
    phys_read_block(mem, 0x2000, out, 12);
    cr_assert(!memcmp(out, "hello, dma\0\0", 12), "data then zeros past the end");
}
