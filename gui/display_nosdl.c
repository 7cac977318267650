/* SPDX-License-Identifier: MIT */
/* The display backend of a kairo built without SDL (cmake -DKAIRO_SDL=OFF):
 * it never opens, so -display sdl is a one-line error and the default runs
 * headless. Built instead of display_sdl.c and keymap.c. */
#include "gui/display_backend.h"

#include <stdio.h>

static void *nosdl_open(const DisplayConfig *cfg, I8042 *kbc, char *err, size_t errlen)
{
    (void)cfg, (void)kbc;
    snprintf(err, errlen, "this kairo was built without SDL (cmake -DKAIRO_SDL=ON)");
    return NULL;
}

const DisplayBackend display_sdl_backend = { "none", nosdl_open, NULL, NULL, NULL, NULL, NULL,
                                                   NULL, NULL };
