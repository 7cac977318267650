/* SPDX-License-Identifier: MIT */
/* The value of one hexadecimal digit, shared by every text parser that reads
 * hex (gdb packets, --send escapes, remote-port key files). */
#ifndef KAIRO_HEXDIGIT_H
#define KAIRO_HEXDIGIT_H

/* 0-15, or -1 when c is not a hex digit (either case). */
static inline int hex_digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
