/* SPDX-License-Identifier: MIT */
/* Host keys (SDL scancodes, i.e. USB HID usages) to the PS/2 key numbers
 * of i8042_key_event() (scan code set 2 make codes, PS2_KEY_E0 for the
 * E0-prefixed keys, PS2_KEY_PAUSE, PS2_KEY_PRTSC). */
#ifndef KAIRO_KEYMAP_H
#define KAIRO_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

/* The key a host scancode is on the PC keyboard; 0 if it has none.
 * ctrl/alt: the modifiers held, for the two keys that change with them as
 * on a real keyboard (Ctrl+Pause is Break, Alt+Print Screen is SysRq). */
uint16_t keymap_ps2_key(int sdl_scancode, bool ctrl, bool alt);

#endif
