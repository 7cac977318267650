/* SPDX-License-Identifier: MIT */
/* ATA/ATAPI register bits and command codes shared by ide.c and atapi.c. */
#ifndef KAIRO_IDE_REGS_H
#define KAIRO_IDE_REGS_H

/* Status */
#define ST_BSY  0x80u
#define ST_DRDY 0x40u
#define ST_DF   0x20u
#define ST_DSC  0x10u
#define ST_DRQ  0x08u
#define ST_ERR  0x01u
/* Error */
#define ERR_UNC  0x40u
#define ERR_IDNF 0x10u
#define ERR_ABRT 0x04u
/* Device/head */
#define SEL_LBA 0x40u
/* Device control */
#define DEVCTL_NIEN 0x02u
#define DEVCTL_SRST 0x04u
#define DEVCTL_HOB  0x80u
/* ATAPI interrupt reason (sector count register) */
#define IREASON_COD 0x01u
#define IREASON_IO  0x02u
/* Bus-master IDE */
#define BM_CMD_START 0x01u
#define BM_CMD_READ  0x08u   /* set: the device writes memory */
#define BM_STATUS_ACTIVE 0x01u
#define BM_STATUS_ERROR  0x02u
#define BM_STATUS_INTR   0x04u
#define BM_STATUS_DRV0   0x20u
#define BM_STATUS_DRV1   0x40u

enum {
    CMD_NOP = 0x00, CMD_DEVICE_RESET = 0x08, CMD_RECALIBRATE = 0x10,
    CMD_READ = 0x20, CMD_READ_NORETRY = 0x21, CMD_READ_EXT = 0x24, CMD_READ_DMA_EXT = 0x25,
    CMD_READ_NATIVE_MAX_EXT = 0x27, CMD_READ_MULTIPLE_EXT = 0x29,
    CMD_WRITE = 0x30, CMD_WRITE_NORETRY = 0x31, CMD_WRITE_EXT = 0x34, CMD_WRITE_DMA_EXT = 0x35,
    CMD_WRITE_MULTIPLE_EXT = 0x39,
    CMD_VERIFY = 0x40, CMD_VERIFY_NORETRY = 0x41, CMD_VERIFY_EXT = 0x42,
    CMD_SEEK = 0x70, CMD_DIAGNOSTIC = 0x90, CMD_INIT_PARAMS = 0x91,
    CMD_PACKET = 0xA0, CMD_IDENTIFY_PACKET = 0xA1,
    CMD_READ_MULTIPLE = 0xC4, CMD_WRITE_MULTIPLE = 0xC5, CMD_SET_MULTIPLE = 0xC6,
    CMD_READ_DMA = 0xC8, CMD_READ_DMA_NORETRY = 0xC9, CMD_WRITE_DMA = 0xCA,
    CMD_WRITE_DMA_NORETRY = 0xCB,
    CMD_STANDBY_IMMEDIATE = 0xE0, CMD_IDLE_IMMEDIATE = 0xE1, CMD_STANDBY = 0xE2, CMD_IDLE = 0xE3,
    CMD_CHECK_POWER = 0xE5, CMD_SLEEP = 0xE6, CMD_FLUSH = 0xE7, CMD_FLUSH_EXT = 0xEA,
    CMD_IDENTIFY = 0xEC, CMD_SET_FEATURES = 0xEF, CMD_READ_NATIVE_MAX = 0xF8,
};

#endif
