/* SPDX-License-Identifier: MIT */
/* The display's host keymap (gui/keymap.c): SDL scancodes to PS/2 keys,
 * checked through the real 8042 by the bytes the guest reads at port 0x60,
 * with the controller's set 1 translation on (what BIOSes and DOS see) and
 * off (native set 2, what Linux's atkbd may ask for). */
#include <SDL_scancode.h>
#include <criterion/criterion.h>
#include <string.h>

#include "gui/keymap.h"
#include "iodev/i8042.h"

static PortBus bus;
static Clock clk;
static uint64_t icount;
static I8042 kbc;

static void irq_sink(void *o, int line, bool level) { (void)o; (void)line; (void)level; }
static void hook_a20(void *o, bool on) { (void)o; (void)on; }
static void hook_reset(void *o) { (void)o; }

static void setup(void)
{
    static const IrqLine irq1 = { irq_sink, NULL, 1 }, irq12 = { irq_sink, NULL, 12 };
    static const KbcHooks hooks = { hook_a20, hook_reset, NULL };
    icount = 0;
    clock_init(&clk, 1000000000ull, &icount);
    portbus_init(&bus);
    i8042_init(&kbc, &irq1, &irq12, &hooks);
    i8042_set_clock(&kbc, &clk);
    cr_assert(i8042_register(&kbc, &bus));
}

TestSuite(keymap, .init = setup);

static void out(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t in(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }

/* Translation on or off through the command byte (bit 6), as a guest does. */
static void translate(bool on)
{
    out(0x64, 0x20);
    uint8_t cb = in(0x60);
    out(0x64, 0x60);
    out(0x60, (uint8_t)(on ? cb | 0x40 : cb & ~0x40));
}

/* Press and release a host key; the guest must read exactly want. */
static void check_key(SDL_Scancode sc, bool ctrl, bool alt, const uint8_t *want, unsigned n,
                      const char *what)
{
    uint16_t key = keymap_ps2_key(sc, ctrl, alt);
    cr_assert_neq(key, 0, "%s: no PC key", what);
    i8042_key_event(&kbc, key, true);
    i8042_key_event(&kbc, key, false);
    for (unsigned i = 0; i < n; i++) {
        cr_assert(in(0x64) & 0x01, "%s: byte %u of %u missing", what, i, n);
        uint8_t got = in(0x60);
        cr_assert_eq(got, want[i], "%s: byte %u is 0x%02X, want 0x%02X", what, i, got, want[i]);
    }
    cr_assert_not(in(0x64) & 0x01, "%s: more than %u bytes", what, n);
}
#define KEY(sc, ctrl, alt, ...) do { \
        static const uint8_t w_[] = { __VA_ARGS__ }; \
        check_key(sc, ctrl, alt, w_, sizeof w_, #sc); \
    } while (0)

Test(keymap, plain_keys_translated_and_native)
{
    translate(true);
    KEY(SDL_SCANCODE_A, false, false, 0x1E, 0x9E);
    KEY(SDL_SCANCODE_ESCAPE, false, false, 0x01, 0x81);
    KEY(SDL_SCANCODE_F7, false, false, 0x41, 0xC1);   /* the set 2 code above 0x7F */
    KEY(SDL_SCANCODE_F12, false, false, 0x58, 0xD8);
    KEY(SDL_SCANCODE_KP_5, false, false, 0x4C, 0xCC);
    KEY(SDL_SCANCODE_NONUSBACKSLASH, false, false, 0x56, 0xD6);
    translate(false);
    KEY(SDL_SCANCODE_A, false, false, 0x1C, 0xF0, 0x1C);
    KEY(SDL_SCANCODE_F7, false, false, 0x83, 0xF0, 0x83);
    KEY(SDL_SCANCODE_KP_MULTIPLY, false, false, 0x7C, 0xF0, 0x7C);
}

Test(keymap, extended_keys_carry_e0)
{
    translate(true);
    KEY(SDL_SCANCODE_RCTRL, false, false, 0xE0, 0x1D, 0xE0, 0x9D);
    KEY(SDL_SCANCODE_RALT, false, false, 0xE0, 0x38, 0xE0, 0xB8);
    KEY(SDL_SCANCODE_KP_ENTER, false, false, 0xE0, 0x1C, 0xE0, 0x9C);
    KEY(SDL_SCANCODE_KP_DIVIDE, false, false, 0xE0, 0x35, 0xE0, 0xB5);
    KEY(SDL_SCANCODE_UP, false, false, 0xE0, 0x48, 0xE0, 0xC8);
    KEY(SDL_SCANCODE_DELETE, false, false, 0xE0, 0x53, 0xE0, 0xD3);
    KEY(SDL_SCANCODE_LGUI, false, false, 0xE0, 0x5B, 0xE0, 0xDB);
    KEY(SDL_SCANCODE_APPLICATION, false, false, 0xE0, 0x5D, 0xE0, 0xDD);
    translate(false);
    KEY(SDL_SCANCODE_RCTRL, false, false, 0xE0, 0x14, 0xE0, 0xF0, 0x14);
    KEY(SDL_SCANCODE_RALT, false, false, 0xE0, 0x11, 0xE0, 0xF0, 0x11);
    KEY(SDL_SCANCODE_KP_ENTER, false, false, 0xE0, 0x5A, 0xE0, 0xF0, 0x5A);
    KEY(SDL_SCANCODE_HOME, false, false, 0xE0, 0x6C, 0xE0, 0xF0, 0x6C);
    KEY(SDL_SCANCODE_PAGEDOWN, false, false, 0xE0, 0x7A, 0xE0, 0xF0, 0x7A);
}

Test(keymap, the_left_and_right_twins_differ)
{
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_LCTRL, false, false), 0x14);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_RCTRL, false, false), PS2_KEY_E0 | 0x14);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_LSHIFT, false, false), 0x12);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_RSHIFT, false, false), 0x59);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_RETURN, false, false), 0x5A);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_KP_ENTER, false, false), PS2_KEY_E0 | 0x5A);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_INSERT, false, false), PS2_KEY_E0 | 0x70);
    cr_assert_eq(keymap_ps2_key(SDL_SCANCODE_KP_0, false, false), 0x70);
}

Test(keymap, pause_and_ctrl_pause_break)
{
    translate(true);
    /* Pause has no break code: its release sends nothing. */
    KEY(SDL_SCANCODE_PAUSE, false, false, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    KEY(SDL_SCANCODE_PAUSE, true, false, 0xE0, 0x46, 0xE0, 0xC6);   /* Ctrl+Break */
    translate(false);
    KEY(SDL_SCANCODE_PAUSE, false, false, 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    KEY(SDL_SCANCODE_PAUSE, true, false, 0xE0, 0x7E, 0xE0, 0xF0, 0x7E);
}

Test(keymap, print_screen_and_alt_sysrq)
{
    translate(true);
    KEY(SDL_SCANCODE_PRINTSCREEN, false, false, 0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
    KEY(SDL_SCANCODE_PRINTSCREEN, false, true, 0x54, 0xD4);         /* Alt+SysRq */
    KEY(SDL_SCANCODE_SYSREQ, false, false, 0x54, 0xD4);
    translate(false);
    KEY(SDL_SCANCODE_PRINTSCREEN, false, false, 0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0,
        0xF0, 0x12);
    KEY(SDL_SCANCODE_PRINTSCREEN, false, true, 0x84, 0xF0, 0x84);
}

Test(keymap, every_mapped_key_reaches_the_guest)
{
    /* Each mapped scancode sends its make code and (Pause aside) a
     * matching break, in native set 2: nothing the table holds is lost
     * or mangled by the keyboard. */
    translate(false);
    unsigned mapped = 0;
    for (int sc = 1; sc < SDL_NUM_SCANCODES; sc++) {
        uint16_t key = keymap_ps2_key(sc, false, false);
        if (!key || key == PS2_KEY_PAUSE || key == PS2_KEY_PRTSC)
            continue;
        mapped++;
        i8042_key_event(&kbc, key, true);
        i8042_key_event(&kbc, key, false);
        uint8_t got[8];
        unsigned n = 0;
        while ((in(0x64) & 0x01) && n < sizeof got)
            got[n++] = in(0x60);
        unsigned e0 = (key & PS2_KEY_E0) ? 1 : 0;
        cr_assert_eq(n, 3 + 2 * e0, "scancode %d: %u bytes", sc, n);
        cr_assert_eq(got[e0], (uint8_t)key, "scancode %d: make 0x%02X", sc, got[e0]);
        cr_assert_eq(got[n - 2], 0xF0, "scancode %d: no break prefix", sc);
        cr_assert_eq(got[n - 1], (uint8_t)key, "scancode %d: break 0x%02X", sc, got[n - 1]);
    }
    cr_assert_geq(mapped, 120, "only %u keys mapped", mapped);
    cr_assert_eq(keymap_ps2_key(0, false, false), 0, "SDL_SCANCODE_UNKNOWN");
    cr_assert_eq(keymap_ps2_key(SDL_NUM_SCANCODES, false, false), 0, "out of range");
    cr_assert_eq(keymap_ps2_key(-1, false, false), 0, "negative");
}
