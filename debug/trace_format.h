/* SPDX-License-Identifier: MIT */
/* The binary trace (--trace FILE), version 1: the shared definitions of the
 * writer (debug/trace_writer.c) and the reader (kairo-trace). docs/TRACING.md
 * describes the format for other readers.
 *
 * A file is a 16-byte header followed by one zlib stream (RFC 1950, so a
 * corrupt byte fails the Adler-32 check) holding records. A record is a type
 * byte and its fields; integers are little-endian, "varint" is LEB128. The
 * last record is END; a file without it is truncated.
 *
 * Instruction bytes are sent once: a CODE record defines a block of
 * instructions in one of TRACE_CODE_SLOTS slots (the writer picks the slot;
 * the reader just stores it), ENTER runs instruction k of a slot's block
 * (BLOCK: the first one, straight after the previous instruction) and NEXT
 * the instruction after the previous one. The common case, straight-line
 * code in a block already sent, costs one byte per instruction before
 * compression. */
#ifndef KAIRO_TRACE_FORMAT_H
#define KAIRO_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC "KAIROTRC"
#define TRACE_VERSION 1
#define TRACE_HEADER_LEN 16

#define TRACE_CODE_SLOTS 4096
#define TRACE_CODE_MAX_INSNS 64
#define TRACE_CODE_MAX_BYTES 1024   /* 64 instructions of at most 15 bytes */

/* Record types. */
enum {
    REC_NEXT = 0x01,   /* -                                                          */
    REC_ENTER = 0x02,  /* slot varint, index u8, icount delta (zigzag varint)        */
    REC_CODE = 0x03,   /* slot varint, lin u32, flags u8, n u8, len[n] u8, bytes     */
    REC_MODE = 0x04,   /* cs u16, cs base u32, mode u8 (TRACE_MODE_*)                */
    REC_REGS = 0x05,   /* mask u16 (TRACE_REG_*), then each set field (u32 or u16)   */
    REC_INT = 0x06,    /* kind u8, vector u8, err u32, cpl u8, context               */
    REC_IO = 0x07,     /* flags u8 (bit 0 write, bits 1-3 size), port u16, value u32, context */
    REC_MMU = 0x08,    /* kind u8, access u8, lin u32, value u64, context            */
    REC_TRIPLE = 0x09, /* context                                                    */
    REC_END = 0x0A,    /* instruction records in the file, varint                    */
    REC_BLOCK = 0x0B,  /* slot varint: ENTER at index 0 with delta 0, the common one */
    REC_CPU = 0x0C,    /* cpu u8: the records that follow are this CPU's (-smp > 1) */
};
#define TRACE_MAX_CPUS 16
/* "context" = cs u16, eip u32, icount varint: where the event happened. */

/* REC_CODE flags */
#define TRACE_CODE_32 0x01u

/* REC_MODE mode bits */
#define TRACE_MODE_PE 0x01u
#define TRACE_MODE_V86 0x02u
#define TRACE_MODE_PG 0x04u
#define TRACE_MODE_CPL_SHIFT 3
#define TRACE_MODE_CODE32 0x20u

/* REC_REGS mask: bits 0-7 EAX..EDI (encoding order), 8 EFLAGS, 9-13 ES SS DS FS GS. */
#define TRACE_REG_EFLAGS 8
#define TRACE_REG_SEG0 9
#define TRACE_REG_COUNT 14

/* REC_INT kinds */
enum { TRACE_INT_EXCEPTION, TRACE_INT_SOFT, TRACE_INT_IRQ, TRACE_INT_NMI, TRACE_INT_KINDS };
/* REC_MMU kinds; access bits: 1 write, 2 user */
enum { TRACE_MMU_WALK, TRACE_MMU_PF, TRACE_MMU_FLUSH_ALL, TRACE_MMU_FLUSH_NONGLOBAL,
       TRACE_MMU_INVLPG, TRACE_MMU_KINDS };
#define TRACE_ACC_WRITE 1u
#define TRACE_ACC_USER 2u

/* The slot a block of code at lin goes to. */
static inline unsigned trace_code_slot(uint32_t lin, bool code32)
{
    uint32_t h = (lin ^ (code32 ? 0x80000000u : 0)) * 0x9E3779B1u;
    return (h >> 20) & (TRACE_CODE_SLOTS - 1);
}

/* LEB128 and zigzag. put returns the bytes written (at most 10). */
static inline size_t trace_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}
static inline uint64_t trace_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t trace_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif
