/* SPDX-License-Identifier: MIT */
/* 8042 keyboard controller, PS/2 keyboard and mouse: controller commands,
 * set 2 -> set 1 translation, keyboard commands and typematic repeat, the
 * IntelliMouse knock and packets, the A20 and reset lines, save/restore. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/i8042.h"

static PortBus bus;
static bool lines[16];
static int raises[16];
static bool a20 = true;
static int a20_calls, resets;
static Clock clk;
static uint64_t icount;
static I8042 kbc;

static void irq_sink(void *o, int line, bool level)
{
    (void)o;
    if (level && !lines[line & 15])
        raises[line & 15]++;
    lines[line & 15] = level;
}
static void hook_a20(void *o, bool on) { (void)o; a20 = on; a20_calls++; }
static void hook_reset(void *o) { (void)o; resets++; }

static void setup(void)
{
    static const IrqLine irq1 = { irq_sink, NULL, 1 }, irq12 = { irq_sink, NULL, 12 };
    static const KbcHooks hooks = { hook_a20, hook_reset, NULL };
    memset(lines, 0, sizeof lines);
    memset(raises, 0, sizeof raises);
    a20 = true;
    a20_calls = resets = 0;
    icount = 0;
    clock_init(&clk, 1000000000ull, &icount);   /* one instruction per ns */
    portbus_init(&bus);
    i8042_init(&kbc, &irq1, &irq12, &hooks);
    i8042_set_clock(&kbc, &clk);
    cr_assert(i8042_register(&kbc, &bus));
}

TestSuite(i8042, .init = setup);

static void out(uint16_t p, uint8_t v) { portbus_write(&bus, p, 1, v); }
static uint8_t in(uint16_t p) { return (uint8_t)portbus_read(&bus, p, 1); }
static void cmd(uint8_t c) { out(0x64, c); }
static void cmd_data(uint8_t c, uint8_t d) { out(0x64, c); out(0x60, d); }
static bool has_data(void) { return in(0x64) & 0x01; }
static void mouse_cmd(uint8_t c) { cmd_data(0xD4, c); }

/* Read n bytes from the output buffer into buf; fail if fewer are there. */
static void read_bytes(uint8_t *buf, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        cr_assert(has_data(), "byte %u of %u missing", i, n);
        buf[i] = in(0x60);
    }
}

static void expect_bytes(const uint8_t *want, unsigned n)
{
    uint8_t got[32];
    read_bytes(got, n);
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "byte %u: got 0x%02X, want 0x%02X", i, got[i], want[i]);
    cr_assert_not(has_data(), "no more bytes after %u", n);
}
#define EXPECT(...) do { \
        static const uint8_t w_[] = { __VA_ARGS__ }; expect_bytes(w_, sizeof w_); \
    } while (0)

static void run_ns(uint64_t ns)
{
    icount += ns;
    clock_run_timers(&clk);
}

/* --- the controller --- */

Test(i8042, self_test_interface_tests_and_status)
{
    cr_assert_eq(in(0x64) & 0x04, 0, "system flag clear after power-on");
    cmd(0xAA);
    EXPECT(0x55);
    cr_assert(in(0x64) & 0x04, "self-test sets the system flag");
    cmd(0xAB);
    EXPECT(0x00);
    cmd(0xA9);
    EXPECT(0x00);
    cmd(0xA4);
    EXPECT(0xF1);   /* no password */
    cr_assert(in(0x64) & 0x08, "last write went to the command port");
    out(0x60, 0xEE);
    cr_assert_eq(in(0x64) & 0x08, 0);
    EXPECT(0xEE);
}

Test(i8042, command_byte_read_write_and_port_enables)
{
    cmd(0x20);
    EXPECT(0x61);   /* translate, aux disabled, keyboard interrupt */
    cmd_data(0x60, 0x47);
    cmd(0x20);
    EXPECT(0x47);
    cr_assert(in(0x64) & 0x04, "bit 2 of the command byte is the system flag");
    cmd(0xA7);
    cmd(0xAD);
    cmd(0x20);
    EXPECT(0x77);
    cmd(0xA8);
    cmd(0xAE);
    cmd(0x20);
    EXPECT(0x47);
}

Test(i8042, keyboard_irq_follows_output_buffer_and_command_byte)
{
    cmd_data(0x60, 0x40);                  /* translation, no interrupts */
    i8042_key_event(&kbc, 0x1C, true);     /* A */
    cr_assert_not(lines[1]);
    cmd_data(0x60, 0x41);                  /* enable IRQ 1: the full buffer raises it */
    cr_assert(lines[1]);
    cr_assert_eq(in(0x60), 0x1E);
    cr_assert_not(lines[1]);
    i8042_key_event(&kbc, 0x1C, false);
    i8042_key_event(&kbc, 0x32, true);     /* B */
    cr_assert(lines[1]);
    int before = raises[1];
    cr_assert_eq(in(0x60), 0x9E);
    cr_assert(lines[1], "next byte loaded at once");
    cr_assert_eq(raises[1], before + 1, "with a fresh edge for the 8259");
    cr_assert_eq(in(0x60), 0x30);
}

Test(i8042, disabled_keyboard_port_holds_bytes)
{
    cmd(0xAD);
    i8042_key_event(&kbc, 0x1C, true);
    cr_assert_not(has_data());
    cmd(0xAE);
    EXPECT(0x1E);
}

/* --- translation and scan code sets --- */

Test(i8042, set2_make_and_break_translate_to_set1)
{
    i8042_key_event(&kbc, 0x1C, true);                    /* A */
    i8042_key_event(&kbc, 0x1C, false);
    EXPECT(0x1E, 0x9E);
    i8042_key_event(&kbc, PS2_KEY_E0 | 0x75, true);       /* up arrow */
    i8042_key_event(&kbc, PS2_KEY_E0 | 0x75, false);
    EXPECT(0xE0, 0x48, 0xE0, 0xC8);
    i8042_key_event(&kbc, 0x83, true);                    /* F7: set 2 0x83 */
    i8042_key_event(&kbc, 0x83, false);
    EXPECT(0x41, 0xC1);
    cr_assert_eq(i8042_translate(0x76), 0x01, "Esc");
    cr_assert_eq(i8042_translate(0x84), 0x54, "Alt+SysRq");
    cr_assert_eq(i8042_translate(0xFA), 0xFA, "ACK passes through");
}

Test(i8042, translation_off_gives_native_set2)
{
    cmd_data(0x60, 0x01);
    i8042_key_event(&kbc, 0x1C, true);
    i8042_key_event(&kbc, 0x1C, false);
    EXPECT(0x1C, 0xF0, 0x1C);
    i8042_key_event(&kbc, PS2_KEY_PRTSC, true);
    i8042_key_event(&kbc, PS2_KEY_PRTSC, false);
    EXPECT(0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    i8042_key_event(&kbc, PS2_KEY_PAUSE, true);
    i8042_key_event(&kbc, PS2_KEY_PAUSE, false);   /* no break code */
    EXPECT(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
}

Test(i8042, pause_and_print_screen_translate_like_set1)
{
    i8042_key_event(&kbc, PS2_KEY_PAUSE, true);
    EXPECT(0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    i8042_key_event(&kbc, PS2_KEY_PRTSC, true);
    i8042_key_event(&kbc, PS2_KEY_PRTSC, false);
    EXPECT(0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
}

Test(i8042, identify_and_scancode_set_through_translation)
{
    out(0x60, 0xF2);
    EXPECT(0xFA, 0xAB, 0x41);       /* translated ID */
    out(0x60, 0xF0);
    out(0x60, 0x00);
    EXPECT(0xFA, 0xFA, 0x41);       /* set 2, translated */
    cmd_data(0x60, 0x01);
    out(0x60, 0xF2);
    EXPECT(0xFA, 0xAB, 0x83);
    out(0x60, 0xF0);
    out(0x60, 0x00);
    EXPECT(0xFA, 0xFA, 0x02);
}

Test(i8042, keyboard_in_set1_and_set3)
{
    cmd_data(0x60, 0x01);           /* translation off */
    out(0x60, 0xF0);
    out(0x60, 0x01);
    EXPECT(0xFA, 0xFA);
    i8042_key_event(&kbc, 0x1C, true);
    i8042_key_event(&kbc, 0x1C, false);
    i8042_key_event(&kbc, PS2_KEY_E0 | 0x14, true);   /* right Ctrl */
    EXPECT(0x1E, 0x9E, 0xE0, 0x1D);
    out(0x60, 0xF0);
    out(0x60, 0x03);
    EXPECT(0xFA, 0xFA);
    i8042_key_event(&kbc, 0x05, true);                /* F1 */
    i8042_key_event(&kbc, 0x05, false);
    i8042_key_event(&kbc, PS2_KEY_E0 | 0x75, true);   /* up arrow: no prefix in set 3 */
    i8042_key_event(&kbc, 0x1C, true);                /* A: as set 2 */
    EXPECT(0x07, 0xF0, 0x07, 0x63, 0x1C);
    out(0x60, 0xF0);
    out(0x60, 0x07);
    EXPECT(0xFA, 0xFE);             /* no set 7 */
}

Test(i8042, set1_byte_input_is_parsed_into_keys)
{
    cmd_data(0x60, 0x01);           /* show what the keyboard sends: set 2 */
    i8042_key(&kbc, 0x1E);
    i8042_key(&kbc, 0x9E);
    EXPECT(0x1C, 0xF0, 0x1C);
    i8042_key(&kbc, 0xE0);
    i8042_key(&kbc, 0x48);
    EXPECT(0xE0, 0x75);
    static const uint8_t prtsc[] = { 0xE0, 0x2A, 0xE0, 0x37 };
    for (unsigned i = 0; i < sizeof prtsc; i++)
        i8042_key(&kbc, prtsc[i]);
    EXPECT(0xE0, 0x12, 0xE0, 0x7C);
    static const uint8_t pause[] = { 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5 };
    for (unsigned i = 0; i < sizeof pause; i++)
        i8042_key(&kbc, pause[i]);
    EXPECT(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    i8042_key(&kbc, 0x41);          /* F7 is set 2 0x83, not 0x02 */
    EXPECT(0x83);
}

/* --- keyboard commands --- */

Test(i8042, keyboard_reset_echo_leds_and_resend)
{
    out(0x60, 0xFF);
    EXPECT(0xFA, 0xAA);
    out(0x60, 0xEE);
    EXPECT(0xEE);
    out(0x60, 0xED);
    out(0x60, 0x07);
    EXPECT(0xFA, 0xFA);
    cr_assert_eq(kbc.kbd.leds, 7);
    out(0x60, 0xFE);
    EXPECT(0xFA);                   /* resend: the last byte again */
    out(0x60, 0x99);
    EXPECT(0xFE);                   /* unknown command */
    out(0x60, 0xED);                /* a command instead of the LED byte... */
    out(0x60, 0xEE);                /* ...runs as a command */
    EXPECT(0xFA, 0xEE);
}

Test(i8042, keyboard_disable_enable_and_defaults)
{
    out(0x60, 0xF3);
    out(0x60, 0x00);
    EXPECT(0xFA, 0xFA);
    cr_assert_eq(kbc.kbd.typematic, 0x00);
    out(0x60, 0xF5);
    EXPECT(0xFA);
    i8042_key_event(&kbc, 0x1C, true);
    cr_assert_not(has_data(), "a disabled keyboard does not scan");
    cr_assert_eq(kbc.kbd.typematic, 0x2B, "F5 restores the defaults");
    out(0x60, 0xF4);
    EXPECT(0xFA);
    i8042_key_event(&kbc, 0x1C, false);
    EXPECT(0x9E);
    out(0x60, 0xF6);
    EXPECT(0xFA);
}

Test(i8042, typematic_repeat_on_the_clock)
{
    /* Default 0x2B: 500 ms delay, then (8 + 3) * 2 / 240 s = 91.7 ms. */
    i8042_key_event(&kbc, 0x1C, true);
    EXPECT(0x1E);
    run_ns(499000000);
    cr_assert_not(has_data(), "no repeat before the delay");
    run_ns(1000000);
    EXPECT(0x1E);
    run_ns(91666665);
    cr_assert_not(has_data());
    run_ns(1);
    EXPECT(0x1E);
    run_ns(91666667 * 3);
    EXPECT(0x1E, 0x1E, 0x1E);
    i8042_key_event(&kbc, 0x1C, false);
    EXPECT(0x9E);
    run_ns(2000000000);
    cr_assert_not(has_data(), "released: no more repeats");

    /* Fastest rate, shortest delay: 250 ms, then 30 per second. */
    out(0x60, 0xF3);
    out(0x60, 0x00);
    EXPECT(0xFA, 0xFA);
    i8042_key_event(&kbc, PS2_KEY_E0 | 0x75, true);
    EXPECT(0xE0, 0x48);
    run_ns(250000000 + 1000000000 / 30 * 2 + 10);
    EXPECT(0xE0, 0x48, 0xE0, 0x48, 0xE0, 0x48);
    i8042_key_event(&kbc, 0x1C, true);   /* a new key takes the repeat over */
    EXPECT(0x1E);
    run_ns(250000000);
    EXPECT(0x1E);
}

/* --- the mouse --- */

static void enable_mouse(void)
{
    cmd_data(0x60, 0x43);            /* both interrupts, translation */
    cmd(0xA8);
}

Test(i8042, mouse_reset_id_and_standard_packet)
{
    enable_mouse();
    mouse_cmd(0xFF);
    EXPECT(0xFA, 0xAA, 0x00);
    mouse_cmd(0xF2);
    EXPECT(0xFA, 0x00);
    i8042_mouse(&kbc, 10, 10, 0, 0);
    cr_assert_not(has_data(), "reporting disabled after reset");
    mouse_cmd(0xF4);
    EXPECT(0xFA);
    i8042_mouse(&kbc, -2, 300, 5, 2);
    cr_assert(lines[12]);
    cr_assert(in(0x64) & 0x20, "aux data");
    /* 3-byte packets: the wheel is ignored, motion past 255 carries over */
    EXPECT(0x1A, 0xFE, 0xFF, 0x0A, 0x00, 45);
    cr_assert_not(lines[12]);
    i8042_mouse(&kbc, 0, 0, -3, 2);
    cr_assert_not(has_data(), "the wheel alone sends nothing without the knock");
}

Test(i8042, mouse_wheel_knock_and_4_byte_packets)
{
    enable_mouse();
    static const uint8_t knock[] = { 0xF3, 200, 0xF3, 100, 0xF3, 80 };
    for (unsigned i = 0; i < sizeof knock; i++) {
        mouse_cmd(knock[i]);
        EXPECT(0xFA);
    }
    mouse_cmd(0xF2);
    EXPECT(0xFA, 0x03);
    mouse_cmd(0xF4);
    EXPECT(0xFA);
    /* The 4th byte counts toward the user: a notch up (dz +1) is -1. */
    i8042_mouse(&kbc, 5, -3, 1, 1);
    EXPECT(0x29, 0x05, 0xFD, 0xFF);   /* left, Y negative, bit 3; wheel up */
    i8042_mouse(&kbc, 0, 0, -2, 4);
    EXPECT(0x0C, 0x00, 0x00, 0x02);   /* middle button, two notches down */
    i8042_mouse(&kbc, 0, 0, 9, 0);
    EXPECT(0x08, 0x00, 0x00, 0xF7);   /* a whole signed byte on ID 3 */
    i8042_mouse(&kbc, 0, 0, -200, 0);
    EXPECT(0x08, 0x00, 0x00, 0x7F, 0x08, 0x00, 0x00, 0x49);   /* 127, then 73 */
    /* 200, 200, 80 on an IntelliMouse: buttons 4 and 5 */
    static const uint8_t knock2[] = { 0xF3, 200, 0xF3, 200, 0xF3, 80, 0xF2 };
    for (unsigned i = 0; i < sizeof knock2; i++)
        mouse_cmd(knock2[i]);
    EXPECT(0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x04);
    i8042_mouse(&kbc, 0, 0, 1, 0x10);
    EXPECT(0x08, 0x00, 0x00, 0x2F);   /* button 5, wheel -1 in 4 bits */
    i8042_mouse(&kbc, 0, 0, -9, 0x08);
    EXPECT(0x08, 0x00, 0x00, 0x17, 0x08, 0x00, 0x00, 0x12);   /* +7, then +2 */
}

Test(i8042, mouse_remote_status_wrap_and_scaling)
{
    enable_mouse();
    mouse_cmd(0xF0);                 /* remote mode */
    EXPECT(0xFA);
    mouse_cmd(0xF4);
    EXPECT(0xFA);
    i8042_mouse(&kbc, 3, 4, 0, 0);
    cr_assert_not(has_data(), "remote mode waits to be asked");
    mouse_cmd(0xEB);
    EXPECT(0xFA, 0x08, 0x03, 0x04);
    mouse_cmd(0xFE);
    EXPECT(0x08, 0x03, 0x04);        /* resend the last packet */
    cmd_data(0xD4, 0xE8);
    cmd_data(0xD4, 0x03);
    EXPECT(0xFA, 0xFA);
    mouse_cmd(0xE7);                 /* 2:1 scaling */
    EXPECT(0xFA);
    i8042_mouse(&kbc, 0, 0, 0, 1);
    mouse_cmd(0xE9);
    EXPECT(0xFA, 0x74, 0x03, 100);   /* remote, enabled, 2:1, left (bit 2) */
    mouse_cmd(0xEA);                 /* stream */
    EXPECT(0xFA);
    i8042_mouse(&kbc, 4, -5, 0, 1);
    EXPECT(0x29, 0x06, 0xF7);        /* 4 -> 6, -5 -> -9 */
    mouse_cmd(0xEE);                 /* wrap */
    EXPECT(0xFA);
    mouse_cmd(0x42);
    EXPECT(0x42);
    i8042_mouse(&kbc, 1, 1, 0, 1);
    cr_assert_not(has_data(), "no packets in wrap mode");
    mouse_cmd(0xEC);
    EXPECT(0xFA);
}

Test(i8042, aux_port_disable_holds_mouse_bytes_and_d3_bypasses_it)
{
    enable_mouse();
    mouse_cmd(0xF4);
    EXPECT(0xFA);
    cmd(0xA7);
    i8042_mouse(&kbc, 1, 0, 0, 0);
    cr_assert_not(has_data());
    cmd_data(0xD3, 0x5A);            /* loopback: arrives as aux data anyway */
    cr_assert_eq(in(0x64) & 0x21, 0x21);
    cr_assert(lines[12]);
    EXPECT(0x5A);
    cmd_data(0xD2, 0x33);            /* as if from the keyboard, untranslated */
    cr_assert_eq(in(0x64) & 0x21, 0x01);
    cr_assert(lines[1]);
    EXPECT(0x33);
    cmd(0xA8);
    EXPECT(0x08, 0x01, 0x00);
}

/* --- A20 and reset --- */

Test(i8042, output_port_a20_and_reset_callbacks)
{
    cmd(0xD0);
    uint8_t op = in(0x60);
    cr_assert_eq(op & 0x03, 0x03, "A20 on, CPU running");
    cmd_data(0xD1, 0xDD);            /* A20 off */
    cr_assert_not(a20);
    cmd(0xD0);
    cr_assert_eq(in(0x60) & 0x02, 0);
    cmd_data(0xD1, 0xDF);
    cr_assert(a20);
    cmd(0xDD);
    cr_assert_not(a20);
    cmd(0xDF);
    cr_assert(a20);
    cr_assert_eq(resets, 0);
    cmd(0xFF);                       /* pulse nothing */
    cr_assert_eq(resets, 0);
    cmd(0xFE);                       /* pulse bit 0: the CPU reset */
    cr_assert_eq(resets, 1);
    cmd_data(0xD1, 0xDE);            /* reset line driven low */
    cr_assert_eq(resets, 2);
    cmd(0xD0);
    cr_assert_eq(in(0x60) & 0x01, 0x01, "the reset line returns high");
}

/* --- save/restore --- */

Test(i8042, save_restore_round_trip)
{
    enable_mouse();
    mouse_cmd(0xF4);
    EXPECT(0xFA);
    cmd_data(0x60, 0x03);            /* translation off */
    i8042_key_event(&kbc, 0x1C, true);
    i8042_key_event(&kbc, 0x1C, false);
    i8042_mouse(&kbc, 2, 2, 0, 0);
    StateWriter w = dh_save(&i8042_desc, &kbc, "i8042");

    I8042 other;
    static const IrqLine irq1 = { irq_sink, NULL, 1 }, irq12 = { irq_sink, NULL, 12 };
    i8042_init(&other, &irq1, &irq12, NULL);
    i8042_set_clock(&other, &clk);
    char err[200];
    cr_assert(dh_load(&i8042_desc, &other, "i8042", w.buf, w.len, err, sizeof err), "%s", err);
    for (int i = 0; i < 6; i++) {
        uint8_t a = (uint8_t)i8042_port_read(&kbc, 0x60, 1);
        uint8_t b = (uint8_t)i8042_port_read(&other, 0x60, 1);
        cr_assert_eq(a, b, "byte %d", i);
    }
    timer_del(&other.typematic);
    state_writer_free(&w);
}
