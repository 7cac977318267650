/* SPDX-License-Identifier: MIT */
/* GDB remote serial protocol framing: receiving "$data#cs" packets byte by
 * byte, framing replies, checksums and the hex and binary encodings.
 * Nothing here touches a socket or a CPU, so the unit tests feed it bytes. */
#ifndef KAIRO_GDBPACKET_H
#define KAIRO_GDBPACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest packet payload accepted (announced as PacketSize). */
#define GDB_PACKET_MAX 16384

typedef enum {
    GDB_RX_NONE,          /* byte consumed, nothing complete yet */
    GDB_RX_PACKET,        /* a packet with a good checksum: rx->buf, rx->len */
    GDB_RX_BAD_CHECKSUM,  /* a packet with a wrong or malformed checksum */
    GDB_RX_TOO_LONG,      /* a well-formed packet longer than GDB_PACKET_MAX */
    GDB_RX_INTERRUPT,     /* 0x03 outside a packet: Ctrl-C */
    GDB_RX_ACK,           /* '+' */
    GDB_RX_NACK,          /* '-': resend the last reply */
} GdbRxEvent;

typedef struct GdbRx {
    int state;                      /* RX_* in gdbpacket.c */
    char buf[GDB_PACKET_MAX + 1];   /* payload, NUL-terminated after GDB_RX_PACKET */
    size_t len;
    bool overflow;
    uint8_t sum;                    /* running checksum of the payload */
    uint8_t csum;                   /* the checksum the packet carries */
} GdbRx;

void gdb_rx_init(GdbRx *rx);
/* Feed one received byte; returns what it completes. */
GdbRxEvent gdb_rx_byte(GdbRx *rx, uint8_t c);

uint8_t gdb_checksum(const char *data, size_t len);
/* "$payload#cs" into out; returns its length, 0 when it does not fit. */
size_t gdb_frame(const char *payload, size_t len, char *out, size_t cap);

/* A hex number of 1..8 digits at *p (advanced past it); false when there
 * is no digit or the value does not fit in 32 bits. */
bool gdb_parse_hex(const char **p, uint32_t *out);
/* Exactly 2*n hex digits at hex into n bytes; false on a bad digit. */
bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out);
/* n bytes as 2*n lowercase hex digits, NUL-terminated (out holds 2n+1). */
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);
/* Undo the binary escape ('}' then byte ^ 0x20) of an X packet's data;
 * returns the decoded length, or -1 for a dangling escape. */
long gdb_unescape(const char *in, size_t len, uint8_t *out);
/* Escape '#', '$', '}' and '*' in binary reply data (qXfer); returns the
 * escaped length, or 0 when it would not fit in cap. */
size_t gdb_escape(const char *in, size_t len, char *out, size_t cap);

#endif
