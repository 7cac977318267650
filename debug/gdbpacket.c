/* SPDX-License-Identifier: MIT */
/* GDB remote serial protocol framing (see gdbpacket.h). */
#include "debug/gdbpacket.h"

#include <string.h>

#include "machine/hexdigit.h"

enum { RX_IDLE, RX_DATA, RX_CSUM_HI, RX_CSUM_LO };

void gdb_rx_init(GdbRx *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->overflow = false;
    rx->sum = 0;
    rx->csum = 0;
    rx->buf[0] = 0;
}

static GdbRxEvent rx_idle(GdbRx *rx, uint8_t c)
{
    switch (c) {
    case '$':
        rx->state = RX_DATA;
        rx->len = 0;
        rx->overflow = false;
        rx->sum = 0;
        return GDB_RX_NONE;
    case 0x03: return GDB_RX_INTERRUPT;
    case '+': return GDB_RX_ACK;
    case '-': return GDB_RX_NACK;
    default: return GDB_RX_NONE;   /* line noise between packets */
    }
}

static GdbRxEvent rx_data(GdbRx *rx, uint8_t c)
{
    if (c == '#') {
        rx->state = RX_CSUM_HI;
        return GDB_RX_NONE;
    }
    if (c == '$') {
        /* A new start inside a packet: the sender gave up on the old one. */
        return rx_idle(rx, c);
    }
    rx->sum = (uint8_t)(rx->sum + c);
    if (rx->len < GDB_PACKET_MAX)
        rx->buf[rx->len++] = (char)c;
    else
        rx->overflow = true;
    return GDB_RX_NONE;
}

GdbRxEvent gdb_rx_byte(GdbRx *rx, uint8_t c)
{
    int digit;
    switch (rx->state) {
    case RX_DATA:
        return rx_data(rx, c);
    case RX_CSUM_HI:
        digit = hex_digit_value((char)c);
        if (digit < 0) {
            rx->state = RX_IDLE;
            return GDB_RX_BAD_CHECKSUM;
        }
        rx->csum = (uint8_t)(digit << 4);
        rx->state = RX_CSUM_LO;
        return GDB_RX_NONE;
    case RX_CSUM_LO:
        rx->state = RX_IDLE;
        digit = hex_digit_value((char)c);
        if (digit < 0 || (uint8_t)(rx->csum | digit) != rx->sum)
            return GDB_RX_BAD_CHECKSUM;
        if (rx->overflow)
            return GDB_RX_TOO_LONG;
        rx->buf[rx->len] = 0;
        return GDB_RX_PACKET;
    default:
        return rx_idle(rx, c);
    }
}

uint8_t gdb_checksum(const char *data, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + (uint8_t)data[i]);
    return sum;
}

static const char hex_chars[] = "0123456789abcdef";

size_t gdb_frame(const char *payload, size_t len, char *out, size_t cap)
{
    if (len + 4 > cap)
        return 0;
    uint8_t sum = gdb_checksum(payload, len);
    out[0] = '$';
    memcpy(out + 1, payload, len);
    out[len + 1] = '#';
    out[len + 2] = hex_chars[sum >> 4];
    out[len + 3] = hex_chars[sum & 15];
    return len + 4;
}

bool gdb_parse_hex(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    for (int d; (d = hex_digit_value(*s)) >= 0; s++, n++) {
        v = v << 4 | (unsigned)d;
        if (v > 0xFFFFFFFFull)
            return false;
    }
    if (!n)
        return false;
    *p = s;
    *out = (uint32_t)v;
    return true;
}

bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit_value(hex[2 * i]);
        int lo = hi < 0 ? -1 : hex_digit_value(hex[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_chars[in[i] >> 4];
        out[2 * i + 1] = hex_chars[in[i] & 15];
    }
    out[2 * n] = 0;
}

long gdb_unescape(const char *in, size_t len, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)in[i];
        if (c == '}') {
            if (++i == len)
                return -1;
            c = (uint8_t)in[i] ^ 0x20;
        }
        out[n++] = c;
    }
    return (long)n;
}

size_t gdb_escape(const char *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        bool special = c == '#' || c == '$' || c == '}' || c == '*';
        if (n + (special ? 2 : 1) > cap)
            return 0;
        if (special) {
            out[n++] = '}';
            c ^= 0x20;
        }
        out[n++] = c;
    }
    return n;
}
