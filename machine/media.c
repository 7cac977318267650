/* SPDX-License-Identifier: MIT */
/* The machine's drives and their media (see media.h). */
#include "machine/media.h"

#include <stdio.h>
#include <string.h>

#include "machine/machine.h"
#include "machine/replay_host.h"

int machine_drives(Machine *m, MachineDrive out[MACHINE_MAX_DRIVES])
{
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (i == 0 || m->fdc.drive[i].cmos_type) {
            out[n] = (MachineDrive){ .bd = &m->fdc.drive[i].disk, .removable = true, .floppy = i };
            snprintf(out[n++].name, sizeof out[0].name, "floppy%d", i);
        }
    for (int i = 0; i < 4; i++) {
        IdeDevice *d = &m->ide[i >> 1].dev[i & 1];
        if (d->kind == IDE_NONE)
            continue;
        out[n] = (MachineDrive){ .bd = &d->disk, .removable = d->kind == IDE_CDROM,
                                 .cdrom = d->kind == IDE_CDROM, .floppy = -1,
                                 .ch = &m->ide[i >> 1], .unit = i & 1 };
        snprintf(out[n++].name, sizeof out[0].name, "ide%d-%s%d", i >> 1,
                 d->kind == IDE_CDROM ? "cd" : "hd", i & 1);
    }
    return n;
}

/* A medium changes what the guest reads: logged when recording, refused
 * when replaying (the log brings its own changes). */
MediaResult machine_change_medium(Machine *m, const char *device, const char *path, char *err,
                                  size_t errlen)
{
    if (!replay_host_allowed(m, path ? "change" : "eject", err, errlen))
        return MEDIA_FAILED;
    MediaResult r = machine_change_medium_unlogged(m, device, path, err, errlen);
    if (r == MEDIA_OK)
        replay_host_log_medium(m, device, path);
    return r;
}

MediaResult machine_change_medium_unlogged(Machine *m, const char *device, const char *path,
                                           char *err, size_t errlen)
{
    MachineDrive all[MACHINE_MAX_DRIVES];
    int n = machine_drives(m, all);
    MachineDrive *d = NULL;
    for (int i = 0; i < n && !d; i++)
        if (!strcmp(all[i].name, device))
            d = &all[i];
    if (!d) {
        snprintf(err, errlen, "Device '%s' not found", device);
        return MEDIA_NO_DEVICE;
    }
    if (!d->removable) {
        snprintf(err, errlen, "Device '%s' is not removable", device);
        return MEDIA_FAILED;
    }
    if (d->floppy < 0)
        return ide_change_cdrom(d->ch, d->unit, path, err, errlen) ? MEDIA_OK : MEDIA_FAILED;
    if (path)
        return fdc_attach(&m->fdc, d->floppy, path, false, err, errlen) ? MEDIA_OK
                                                                         : MEDIA_FAILED;
    FdcDrive *fd = &m->fdc.drive[d->floppy];
    blockdev_flush(&fd->disk);
    blockdev_close(&fd->disk);
    fd->media_changed = true;   /* the DIR change line: the guest notices */
    return MEDIA_OK;
}
