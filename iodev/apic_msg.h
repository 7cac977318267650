/* SPDX-License-Identifier: MIT */
/* One interrupt message on the APIC bus: what an I/O APIC redirection
 * entry or a local APIC's ICR sends to the local APICs. */
#ifndef KAIRO_APIC_MSG_H
#define KAIRO_APIC_MSG_H

#include <stdbool.h>
#include <stdint.h>

/* Delivery modes (ICR and redirection entries bits 8-10). */
enum {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};

/* ICR destination shorthands (bits 18-19). */
enum { APIC_SH_NONE = 0, APIC_SH_SELF = 1, APIC_SH_ALL = 2, APIC_SH_OTHERS = 3 };

typedef struct ApicMsg {
    uint8_t vector;
    uint8_t mode;           /* APIC_DM_* */
    uint8_t dest;           /* APIC ID, or logical destination */
    uint8_t shorthand;      /* APIC_SH_* (an I/O APIC sends none) */
    bool logical;           /* destination mode */
    bool level;             /* trigger mode: level (TMR set, EOI broadcast) */
    bool assert;            /* false only for the INIT level de-assert */
    int source;             /* sending local APIC's index, -1 for the I/O APIC */
} ApicMsg;

#endif
