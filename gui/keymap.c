/* SPDX-License-Identifier: MIT */
/* SDL scancodes to PS/2 set 2 key numbers: one table, indexed by the
 * scancode (SDL's scancodes are the USB HID keyboard usages, so this is
 * also the USB-to-PS/2 table of the keyboard's own firmware). */
#include "gui/keymap.h"

#include <SDL_scancode.h>

#include "iodev/i8042.h"

#define E0 PS2_KEY_E0

static const uint16_t sdl_to_ps2[SDL_NUM_SCANCODES] = {
    /* Letters */
    [SDL_SCANCODE_A] = 0x1C, [SDL_SCANCODE_B] = 0x32, [SDL_SCANCODE_C] = 0x21,
    [SDL_SCANCODE_D] = 0x23, [SDL_SCANCODE_E] = 0x24, [SDL_SCANCODE_F] = 0x2B,
    [SDL_SCANCODE_G] = 0x34, [SDL_SCANCODE_H] = 0x33, [SDL_SCANCODE_I] = 0x43,
    [SDL_SCANCODE_J] = 0x3B, [SDL_SCANCODE_K] = 0x42, [SDL_SCANCODE_L] = 0x4B,
    [SDL_SCANCODE_M] = 0x3A, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x44,
    [SDL_SCANCODE_P] = 0x4D, [SDL_SCANCODE_Q] = 0x15, [SDL_SCANCODE_R] = 0x2D,
    [SDL_SCANCODE_S] = 0x1B, [SDL_SCANCODE_T] = 0x2C, [SDL_SCANCODE_U] = 0x3C,
    [SDL_SCANCODE_V] = 0x2A, [SDL_SCANCODE_W] = 0x1D, [SDL_SCANCODE_X] = 0x22,
    [SDL_SCANCODE_Y] = 0x35, [SDL_SCANCODE_Z] = 0x1A,
    /* The digit row */
    [SDL_SCANCODE_1] = 0x16, [SDL_SCANCODE_2] = 0x1E, [SDL_SCANCODE_3] = 0x26,
    [SDL_SCANCODE_4] = 0x25, [SDL_SCANCODE_5] = 0x2E, [SDL_SCANCODE_6] = 0x36,
    [SDL_SCANCODE_7] = 0x3D, [SDL_SCANCODE_8] = 0x3E, [SDL_SCANCODE_9] = 0x46,
    [SDL_SCANCODE_0] = 0x45,
    /* Editing and punctuation */
    [SDL_SCANCODE_RETURN] = 0x5A, [SDL_SCANCODE_ESCAPE] = 0x76,
    [SDL_SCANCODE_BACKSPACE] = 0x66, [SDL_SCANCODE_TAB] = 0x0D, [SDL_SCANCODE_SPACE] = 0x29,
    [SDL_SCANCODE_MINUS] = 0x4E, [SDL_SCANCODE_EQUALS] = 0x55,
    [SDL_SCANCODE_LEFTBRACKET] = 0x54, [SDL_SCANCODE_RIGHTBRACKET] = 0x5B,
    [SDL_SCANCODE_BACKSLASH] = 0x5D,
    [SDL_SCANCODE_NONUSHASH] = 0x5D,       /* ISO #~: the same key position as \| */
    [SDL_SCANCODE_SEMICOLON] = 0x4C, [SDL_SCANCODE_APOSTROPHE] = 0x52,
    [SDL_SCANCODE_GRAVE] = 0x0E, [SDL_SCANCODE_COMMA] = 0x41, [SDL_SCANCODE_PERIOD] = 0x49,
    [SDL_SCANCODE_SLASH] = 0x4A, [SDL_SCANCODE_CAPSLOCK] = 0x58,
    [SDL_SCANCODE_NONUSBACKSLASH] = 0x61,  /* the 102nd key, <> on ISO boards */
    /* Function keys (F7 is the one code above 0x7F) */
    [SDL_SCANCODE_F1] = 0x05, [SDL_SCANCODE_F2] = 0x06, [SDL_SCANCODE_F3] = 0x04,
    [SDL_SCANCODE_F4] = 0x0C, [SDL_SCANCODE_F5] = 0x03, [SDL_SCANCODE_F6] = 0x0B,
    [SDL_SCANCODE_F7] = 0x83, [SDL_SCANCODE_F8] = 0x0A, [SDL_SCANCODE_F9] = 0x01,
    [SDL_SCANCODE_F10] = 0x09, [SDL_SCANCODE_F11] = 0x78, [SDL_SCANCODE_F12] = 0x07,
    [SDL_SCANCODE_F13] = 0x08, [SDL_SCANCODE_F14] = 0x10, [SDL_SCANCODE_F15] = 0x18,
    [SDL_SCANCODE_F16] = 0x20, [SDL_SCANCODE_F17] = 0x28, [SDL_SCANCODE_F18] = 0x30,
    [SDL_SCANCODE_F19] = 0x38, [SDL_SCANCODE_F20] = 0x40, [SDL_SCANCODE_F21] = 0x48,
    [SDL_SCANCODE_F22] = 0x50, [SDL_SCANCODE_F23] = 0x57, [SDL_SCANCODE_F24] = 0x5F,
    /* The block above the arrows */
    [SDL_SCANCODE_PRINTSCREEN] = PS2_KEY_PRTSC, [SDL_SCANCODE_SCROLLLOCK] = 0x7E,
    [SDL_SCANCODE_PAUSE] = PS2_KEY_PAUSE, [SDL_SCANCODE_SYSREQ] = 0x84,
    [SDL_SCANCODE_INSERT] = E0 | 0x70, [SDL_SCANCODE_HOME] = E0 | 0x6C,
    [SDL_SCANCODE_PAGEUP] = E0 | 0x7D, [SDL_SCANCODE_DELETE] = E0 | 0x71,
    [SDL_SCANCODE_END] = E0 | 0x69, [SDL_SCANCODE_PAGEDOWN] = E0 | 0x7A,
    [SDL_SCANCODE_RIGHT] = E0 | 0x74, [SDL_SCANCODE_LEFT] = E0 | 0x6B,
    [SDL_SCANCODE_DOWN] = E0 | 0x72, [SDL_SCANCODE_UP] = E0 | 0x75,
    /* Keypad: Enter and / are the E0 twins of the main keys */
    [SDL_SCANCODE_NUMLOCKCLEAR] = 0x77, [SDL_SCANCODE_KP_DIVIDE] = E0 | 0x4A,
    [SDL_SCANCODE_KP_MULTIPLY] = 0x7C, [SDL_SCANCODE_KP_MINUS] = 0x7B,
    [SDL_SCANCODE_KP_PLUS] = 0x79, [SDL_SCANCODE_KP_ENTER] = E0 | 0x5A,
    [SDL_SCANCODE_KP_1] = 0x69, [SDL_SCANCODE_KP_2] = 0x72, [SDL_SCANCODE_KP_3] = 0x7A,
    [SDL_SCANCODE_KP_4] = 0x6B, [SDL_SCANCODE_KP_5] = 0x73, [SDL_SCANCODE_KP_6] = 0x74,
    [SDL_SCANCODE_KP_7] = 0x6C, [SDL_SCANCODE_KP_8] = 0x75, [SDL_SCANCODE_KP_9] = 0x7D,
    [SDL_SCANCODE_KP_0] = 0x70, [SDL_SCANCODE_KP_PERIOD] = 0x71,
    [SDL_SCANCODE_KP_EQUALS] = 0x0F, [SDL_SCANCODE_KP_COMMA] = 0x6D,
    /* Modifiers and the Windows keys */
    [SDL_SCANCODE_LCTRL] = 0x14, [SDL_SCANCODE_LSHIFT] = 0x12, [SDL_SCANCODE_LALT] = 0x11,
    [SDL_SCANCODE_LGUI] = E0 | 0x1F, [SDL_SCANCODE_RCTRL] = E0 | 0x14,
    [SDL_SCANCODE_RSHIFT] = 0x59, [SDL_SCANCODE_RALT] = E0 | 0x11,
    [SDL_SCANCODE_RGUI] = E0 | 0x27, [SDL_SCANCODE_APPLICATION] = E0 | 0x2F,
    /* Japanese keys: Ro, Katakana/Hiragana, Yen, Henkan, Muhenkan */
    [SDL_SCANCODE_INTERNATIONAL1] = 0x51, [SDL_SCANCODE_INTERNATIONAL2] = 0x13,
    [SDL_SCANCODE_INTERNATIONAL3] = 0x6A, [SDL_SCANCODE_INTERNATIONAL4] = 0x64,
    [SDL_SCANCODE_INTERNATIONAL5] = 0x67,
    /* ACPI and multimedia keys (Microsoft's set 2 assignments) */
    [SDL_SCANCODE_POWER] = E0 | 0x37, [SDL_SCANCODE_SLEEP] = E0 | 0x3F,
    [SDL_SCANCODE_MUTE] = E0 | 0x23, [SDL_SCANCODE_AUDIOMUTE] = E0 | 0x23,
    [SDL_SCANCODE_VOLUMEUP] = E0 | 0x32, [SDL_SCANCODE_VOLUMEDOWN] = E0 | 0x21,
    [SDL_SCANCODE_AUDIONEXT] = E0 | 0x4D, [SDL_SCANCODE_AUDIOPREV] = E0 | 0x15,
    [SDL_SCANCODE_AUDIOSTOP] = E0 | 0x3B, [SDL_SCANCODE_AUDIOPLAY] = E0 | 0x34,
    [SDL_SCANCODE_MEDIASELECT] = E0 | 0x50, [SDL_SCANCODE_MAIL] = E0 | 0x48,
    [SDL_SCANCODE_CALCULATOR] = E0 | 0x2B, [SDL_SCANCODE_COMPUTER] = E0 | 0x40,
    [SDL_SCANCODE_WWW] = E0 | 0x3A, [SDL_SCANCODE_AC_HOME] = E0 | 0x3A,
    [SDL_SCANCODE_AC_SEARCH] = E0 | 0x10, [SDL_SCANCODE_AC_BACK] = E0 | 0x38,
    [SDL_SCANCODE_AC_FORWARD] = E0 | 0x30, [SDL_SCANCODE_AC_STOP] = E0 | 0x28,
    [SDL_SCANCODE_AC_REFRESH] = E0 | 0x20, [SDL_SCANCODE_AC_BOOKMARKS] = E0 | 0x18,
};

uint16_t keymap_ps2_key(int sdl_scancode, bool ctrl, bool alt)
{
    if (sdl_scancode <= 0 || sdl_scancode >= SDL_NUM_SCANCODES)
        return 0;
    uint16_t key = sdl_to_ps2[sdl_scancode];
    /* The keyboard itself sends these differently under the modifier. */
    if (key == PS2_KEY_PAUSE && ctrl)
        return E0 | 0x7E;   /* Break */
    if (key == PS2_KEY_PRTSC && alt)
        return 0x84;        /* SysRq */
    return key;
}
