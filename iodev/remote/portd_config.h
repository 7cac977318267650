/* SPDX-License-Identifier: MIT */
/* kairo-portd's configuration file (the grammar is in portd_config.c and
 * in `kairo-portd --help`). */
#ifndef KAIRO_REMOTE_PORTD_CONFIG_H
#define KAIRO_REMOTE_PORTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "iodev/remote/server.h"

#define PD_MAX_LISTEN 8

enum { PD_UART, PD_IDE, PD_IOPORTS, PD_MOCK, PD_VGA, PD_KBD, PD_BACKEND_COUNT };

typedef struct PdSlotConfig {
    char name[RP_SLOT_NAME_LEN + 1];
    int backend;                /* PD_* */
    char arg[512];              /* uart: chardev spec; ide: image[,image2] */
    RsRange ranges[RS_MAX_RANGES];
    int n_ranges;
    RsMemRange mranges[RS_MAX_MRANGES];
    int n_mranges;
    int irqs[RP_MAX_IRQS];
    int n_irqs;
    RsClient clients[RS_MAX_CLIENTS];
    int n_clients;
    bool exclusive;             /* policy exclusive */
    bool partitioned;           /* ide: serve only sectors part_first.. of the image */
    uint64_t part_first, part_count;
} PdSlotConfig;

typedef struct PdConfig {
    char key[512];              /* key file; empty: refused unless --insecure-no-auth */
    char state[512];            /* state file; empty: a restart starts afresh */
    bool state_fsync;           /* fdatasync state, output and disks before each reply */
    struct { bool eth; char where[256]; } listen[PD_MAX_LISTEN];
    int n_listen;
    char control[108];          /* the console's control socket (unix stream); empty: none */
    RsClient clients[RS_MAX_CLIENTS];   /* before the first slot: for every slot */
    int n_clients;
    PdSlotConfig slots[RS_MAX_SLOTS];
    int n_slots;
} PdConfig;

/* Parse a whole file; false with "FILE:LINE: reason" in err. */
bool pd_config_load(PdConfig *c, const char *path, char *err, size_t errlen);
/* Parse text (tests). */
bool pd_config_parse(PdConfig *c, const char *text, const char *name, char *err, size_t errlen);
extern const char pd_config_help[];

#endif
