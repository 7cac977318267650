/* SPDX-License-Identifier: MIT */
/* The machine's drives by QEMU's names (floppy0, ide1-cd0, ...) and their
 * media: what QMP's query-block/eject/blockdev-change-medium and the text
 * monitor's eject/change work on. */
#ifndef KAIRO_MEDIA_H
#define KAIRO_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include "iodev/blockdev.h"
#include "iodev/ide.h"

struct Machine;

#define MACHINE_MAX_DRIVES 6

typedef struct MachineDrive {
    char name[16];
    BlockDev *bd;
    bool removable, cdrom;
    int floppy;                 /* 0/1, or -1 for IDE */
    IdeChannel *ch;
    int unit;
} MachineDrive;

typedef enum { MEDIA_OK, MEDIA_NO_DEVICE, MEDIA_FAILED } MediaResult;

/* floppy0 always, floppy1 when present, then every IDE device. */
int machine_drives(struct Machine *m, MachineDrive out[MACHINE_MAX_DRIVES]);
/* Insert path (NULL: eject) into a removable drive; the guest sees a disk
 * change. A one-line reason in err otherwise. */
MediaResult machine_change_medium(struct Machine *m, const char *device, const char *path,
                                  char *err, size_t errlen);
/* The same without the record/replay seam (a replay applying its log). */
MediaResult machine_change_medium_unlogged(struct Machine *m, const char *device,
                                           const char *path, char *err, size_t errlen);

#endif
