/* SPDX-License-Identifier: MIT */
/* 8042 keyboard controller, PS/2 keyboard and mouse (see i8042.h).
 *
 * Three parts talk over two byte pipes: the keyboard and the mouse queue
 * what they would send down their cables, and the controller moves one
 * byte at a time into its output buffer when the guest has read the last
 * one, translating keyboard bytes to set 1 on the way if asked to. */
#include "iodev/i8042.h"
#include "debug/log.h"
#include "machine/replay.h"

#include <stdio.h>
#include <string.h>

#define ST_OBF     0x01
#define ST_IBF     0x02
#define ST_SYS     0x04
#define ST_CMD     0x08   /* last write was to 0x64 */
#define ST_UNLOCK  0x10   /* keyboard not inhibited by the key lock */
#define ST_AUX_OBF 0x20

#define CB_KBD_INT   0x01
#define CB_AUX_INT   0x02
#define CB_SYS       0x04
#define CB_KBD_OFF   0x10
#define CB_AUX_OFF   0x20
#define CB_TRANSLATE 0x40

#define OP_RESET   0x01   /* high = CPU running */
#define OP_A20     0x02
#define OP_ONES    0xCC   /* unused lines and the idle keyboard clock/data read high */
#define OP_KBD_OBF 0x10
#define OP_AUX_OBF 0x20

#define ACK      0xFA
#define RESEND   0xFE
#define BAT_OK   0xAA

/* -d unimp / guest_errors (debug/log.h) */
static void log_unimp(const char *what, unsigned v)
{
    log_event(LOG_UNIMP, "i8042", what, v, NULL);
}

static void log_guest_error(const char *what, unsigned v)
{
    log_event(LOG_GUEST_ERROR, "i8042", what, v, NULL);
}

/* --- byte queues --- */

static unsigned q_room(const KbcQueue *q) { return KBC_QUEUE - q->count; }

static void q_push(KbcQueue *q, uint8_t v)
{
    if (q->count == KBC_QUEUE)
        return;   /* callers check the room for whole sequences */
    q->data[(q->head + q->count) % KBC_QUEUE] = v;
    q->count++;
}

static uint8_t q_pop(KbcQueue *q)
{
    uint8_t v = q->data[q->head];
    q->head = (q->head + 1) % KBC_QUEUE;
    q->count--;
    return v;
}

static void q_clear(KbcQueue *q) { q->head = q->count = 0; }

/* --- scan codes --- */

/* The 8042's translation of set 2 codes 0x00-0x7F to set 1 (a fixed table
 * in the controller's ROM). Codes from 0x80 pass through, except the F7
 * and Alt+SysRq keys, whose set 2 codes are 0x83 and 0x84. */
static const uint8_t xlate_low[128] = {
    /* 00 */ 0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58,
    /* 08 */ 0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59,
    /* 10 */ 0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A,
    /* 18 */ 0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B,
    /* 20 */ 0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C,
    /* 28 */ 0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D,
    /* 30 */ 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E,
    /* 38 */ 0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F,
    /* 40 */ 0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60,
    /* 48 */ 0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61,
    /* 50 */ 0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E,
    /* 58 */ 0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76,
    /* 60 */ 0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B,
    /* 68 */ 0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F,
    /* 70 */ 0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45,
    /* 78 */ 0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54,
};

uint8_t i8042_translate(uint8_t code)
{
    if (code < 0x80)
        return xlate_low[code];
    return code == 0x83 ? 0x41 : code == 0x84 ? 0x54 : code;
}

/* The set 2 key whose set 1 make code is code (0 = none). Two set 2 codes
 * translate to 0x41 and 0x54; the real keys are F7 (0x83) and SysRq (0x84). */
static uint8_t set2_of_set1(uint8_t code)
{
    if (code == 0x41)
        return 0x83;
    if (code == 0x54)
        return 0x84;
    for (unsigned c = 1; c < 0x80; c++)
        if (xlate_low[c] == code)
            return (uint8_t)c;
    return 0;
}

/* Scan code set 3 gives every key one code with no prefixes; where it
 * differs from the set 2 make code, this table says so. */
static const struct { uint16_t key; uint8_t code; } set3_differs[] = {
    { 0x14, 0x11 }, { 0x11, 0x19 }, { 0x58, 0x14 }, { 0x76, 0x08 },   /* LCtrl LAlt Caps Esc */
    { 0x05, 0x07 }, { 0x06, 0x0F }, { 0x04, 0x17 }, { 0x0C, 0x1F },   /* F1-F4 */
    { 0x03, 0x27 }, { 0x0B, 0x2F }, { 0x83, 0x37 }, { 0x0A, 0x3F },   /* F5-F8 */
    { 0x01, 0x47 }, { 0x09, 0x4F }, { 0x78, 0x56 }, { 0x07, 0x5E },   /* F9-F12 */
    { 0x77, 0x76 }, { 0x7E, 0x5F }, { 0x84, 0x57 },                   /* NumLk ScrLk SysRq */
    { 0x5D, 0x53 }, { 0x61, 0x13 },                                   /* \ and the 102nd key */
    { 0x79, 0x7C }, { 0x7B, 0x84 }, { 0x7C, 0x7E },                   /* keypad + - * */
    { PS2_KEY_E0 | 0x14, 0x58 }, { PS2_KEY_E0 | 0x11, 0x39 },         /* RCtrl RAlt */
    { PS2_KEY_PRTSC, 0x57 }, { PS2_KEY_PAUSE, 0x62 }, { PS2_KEY_E0 | 0x7E, 0x62 },
    { PS2_KEY_E0 | 0x70, 0x67 }, { PS2_KEY_E0 | 0x71, 0x64 },         /* Ins Del */
    { PS2_KEY_E0 | 0x6C, 0x6E }, { PS2_KEY_E0 | 0x69, 0x65 },         /* Home End */
    { PS2_KEY_E0 | 0x7D, 0x6F }, { PS2_KEY_E0 | 0x7A, 0x6D },         /* PgUp PgDn */
    { PS2_KEY_E0 | 0x75, 0x63 }, { PS2_KEY_E0 | 0x72, 0x60 },         /* Up Down */
    { PS2_KEY_E0 | 0x6B, 0x61 }, { PS2_KEY_E0 | 0x74, 0x6A },         /* Left Right */
    { PS2_KEY_E0 | 0x5A, 0x79 }, { PS2_KEY_E0 | 0x4A, 0x77 },         /* keypad Enter / */
    { PS2_KEY_E0 | 0x1F, 0x8B }, { PS2_KEY_E0 | 0x27, 0x8C }, { PS2_KEY_E0 | 0x2F, 0x8D },
};

static uint8_t set3_code(uint16_t key)
{
    for (unsigned i = 0; i < sizeof set3_differs / sizeof set3_differs[0]; i++)
        if (set3_differs[i].key == key)
            return set3_differs[i].code;
    return key & PS2_KEY_E0 ? 0 : (uint8_t)key;   /* other E0 keys have no set 3 code */
}

/* The bytes a key sends in set 2. */
static unsigned set2_bytes(uint16_t key, bool down, uint8_t *out)
{
    static const uint8_t pause[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };
    static const uint8_t prtsc_make[] = { 0xE0, 0x12, 0xE0, 0x7C };
    static const uint8_t prtsc_break[] = { 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12 };
    const uint8_t *fixed = NULL;
    unsigned n = 0;
    if (key == PS2_KEY_PAUSE) {
        if (!down)
            return 0;   /* make only */
        fixed = pause, n = sizeof pause;
    } else if (key == PS2_KEY_PRTSC) {
        fixed = down ? prtsc_make : prtsc_break;
        n = down ? sizeof prtsc_make : sizeof prtsc_break;
    }
    if (fixed) {
        memcpy(out, fixed, n);
        return n;
    }
    if (key & PS2_KEY_E0)
        out[n++] = 0xE0;
    if (!down)
        out[n++] = 0xF0;
    out[n++] = (uint8_t)key;
    return n;
}

/* Set 1 is set 2 run through the controller's table: what a keyboard that
 * scans in set 1 sends is exactly what the 8042 would make of set 2. */
static unsigned set1_from_set2(const uint8_t *in, unsigned n, uint8_t *out)
{
    unsigned m = 0;
    bool brk = false;
    for (unsigned i = 0; i < n; i++) {
        if (in[i] == 0xF0) {
            brk = true;
            continue;
        }
        out[m++] = (uint8_t)(i8042_translate(in[i]) | (brk ? 0x80 : 0));
        brk = false;
    }
    return m;
}

/* What the keyboard sends for a key event in its current set. */
static unsigned key_bytes(const Ps2Keyboard *kb, uint16_t key, bool down, uint8_t *out)
{
    uint8_t s2[8];
    if (kb->scancode_set == 3) {
        uint8_t c = set3_code(key);
        if (!c) {
            log_unimp("no set-3 code for key", key & 0xFF);
            return 0;
        }
        unsigned n = 0;
        if (!down)
            out[n++] = 0xF0;
        out[n++] = c;
        return n;
    }
    unsigned n = set2_bytes(key, down, s2);
    if (kb->scancode_set == 1)
        return set1_from_set2(s2, n, out);
    memcpy(out, s2, n);
    return n;
}

/* --- the controller's output buffer and interrupts --- */

/* IRQ 1 and 12 follow the output buffer: high while it holds a byte from
 * their side and the command byte lets that side interrupt. */
static void update_irqs(I8042 *k)
{
    bool full = k->status & ST_OBF;
    irq_set(&k->irq1, full && !k->out_aux && (k->command_byte & CB_KBD_INT));
    irq_set(&k->irq12, full && k->out_aux && (k->command_byte & CB_AUX_INT));
}

/* Next keyboard byte as the guest will see it, or -1 if none is ready. */
static int next_kbd_byte(I8042 *k)
{
    KbcQueue *q = &k->kbd.queue;
    while (q->count) {
        uint8_t b = q_pop(q);
        if (!(k->command_byte & CB_TRANSLATE))
            return b;
        if (b == 0xF0) {
            k->xlate_break = true;   /* folded into the next byte */
            continue;
        }
        uint8_t t = (uint8_t)(i8042_translate(b) | (k->xlate_break ? 0x80 : 0));
        k->xlate_break = false;
        return t;
    }
    return -1;
}

/* Move the next byte into the output buffer if it is free. */
static void refill(I8042 *k)
{
    if (!(k->status & ST_OBF)) {
        int v = -1;
        bool aux = false;
        /* Bytes the guest wrote with D2/D3 skip the disabled ports. */
        if (k->ctrl_queue.count) {
            v = q_pop(&k->ctrl_queue);
        } else if (k->ctrl_aux_queue.count) {
            v = q_pop(&k->ctrl_aux_queue);
            aux = true;
        } else if (k->kbd.queue.count && !(k->command_byte & CB_KBD_OFF)) {
            v = next_kbd_byte(k);
        }
        if (v < 0 && k->mouse.queue.count && !(k->command_byte & CB_AUX_OFF)) {
            v = q_pop(&k->mouse.queue);
            aux = true;
        }
        if (v >= 0) {
            k->out_byte = (uint8_t)v;
            k->out_aux = aux;
            k->status |= ST_OBF;
            k->status = aux ? (k->status | ST_AUX_OBF) : (k->status & (uint8_t)~ST_AUX_OBF);
        }
    }
    update_irqs(k);
}

/* --- the keyboard --- */

static void kbd_reply(I8042 *k, uint8_t v)
{
    k->kbd.last_sent = v;
    q_push(&k->kbd.queue, v);
}

static void kbd_send(I8042 *k, const uint8_t *bytes, unsigned n)
{
    Ps2Keyboard *kb = &k->kbd;
    if (q_room(&kb->queue) < n) {
        /* The keyboard's buffer is full: it sends its overrun code once
         * there is room for it and drops the key. */
        if (q_room(&kb->queue))
            kbd_reply(k, kb->scancode_set == 1 ? 0xFF : 0x00);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        kbd_reply(k, bytes[i]);
}

/* Typematic byte: bits 0-4 the rate, (8 + low 3 bits) * 2^(bits 3-4) / 240
 * seconds between repeats; bits 5-6 the delay, 250 ms steps. */
static uint64_t typematic_delay_ns(uint8_t t) { return (((t >> 5) & 3) + 1) * 250000000ull; }
static uint64_t typematic_period_ns(uint8_t t)
{
    return ((8ull + (t & 7)) << ((t >> 3) & 3)) * 1000000000ull / 240;
}

static void typematic_stop(I8042 *k)
{
    k->kbd.repeat_key = 0;
    if (k->clock)
        timer_del(&k->typematic);
}

static void typematic_fired(void *opaque)
{
    I8042 *k = opaque;
    Ps2Keyboard *kb = &k->kbd;
    if (!kb->repeat_key || !kb->enabled)
        return;
    uint8_t bytes[8];
    /* Print Screen repeats without its fake shift prefix. */
    uint16_t key = kb->repeat_key;
    unsigned n;
    if (key == PS2_KEY_PRTSC && kb->scancode_set != 3) {
        bytes[0] = 0xE0;
        bytes[1] = kb->scancode_set == 1 ? 0x37 : 0x7C;
        n = 2;
    } else {
        n = key_bytes(kb, key, true, bytes);
    }
    kbd_send(k, bytes, n);
    refill(k);
    /* From the previous deadline, not from now: repeats do not drift, and
     * a late timer catches up. A deadline far in the past (from a loaded
     * state) restarts from now instead of catching up repeat by repeat. */
    uint64_t period = typematic_period_ns(kb->typematic);
    uint64_t next = k->typematic.deadline + period;
    uint64_t now = clock_ns(k->clock);
    timer_mod(&k->typematic, now > next && now - next > 64 * period ? now + period : next);
}

/* The replay seam for host input: logged when recording; ignored when
 * replaying (the log's events come with replay cleared). */
static bool host_input_allowed(I8042 *k, ReplayKind kind, const uint8_t *p, size_t len)
{
    if (replay_playing(k->replay))
        return false;
    replay_log(k->replay, kind, p, len);
    return true;
}

void i8042_key_event(I8042 *k, uint16_t key, bool down)
{
    if (k->replay) {
        const uint8_t p[3] = { (uint8_t)key, (uint8_t)(key >> 8), down };
        if (!host_input_allowed(k, RK_KEY, p, sizeof p))
            return;
    }
    Ps2Keyboard *kb = &k->kbd;
    if (!kb->enabled)
        return;
    uint8_t bytes[8];
    unsigned n = key_bytes(kb, key, down, bytes);
    if (!n)
        return;   /* Pause has no break code; a key without a set-3 code */
    kbd_send(k, bytes, n);
    if (down && key != PS2_KEY_PAUSE) {
        /* The last key pressed is the one that repeats. */
        kb->repeat_key = key;
        if (k->clock)
            timer_mod(&k->typematic, clock_ns(k->clock) + typematic_delay_ns(kb->typematic));
        else
            log_unimp("typematic repeat needs a clock; key", key & 0xFF);
    } else if (!down && key == kb->repeat_key) {
        typematic_stop(k);
    }
    refill(k);
}

void i8042_key(I8042 *k, uint8_t code)
{
    Ps2Keyboard *kb = &k->kbd;
    if (kb->set1_pause_left) {
        /* E1 1D 45 presses Pause; E1 9D C5 is its (ignored) release. */
        if (--kb->set1_pause_left == 0 && code == 0x45)
            i8042_key_event(k, PS2_KEY_PAUSE, true);
        return;
    }
    if (code == 0xE0) {
        kb->set1_prefix = 0xE0;
        return;
    }
    if (code == 0xE1) {
        kb->set1_pause_left = 2;
        return;
    }
    bool ext = kb->set1_prefix == 0xE0;
    kb->set1_prefix = 0;
    uint8_t make = code & 0x7F;
    if (ext && (make == 0x2A || make == 0x36))
        return;   /* the fake shifts around Print Screen: the key adds its own */
    uint8_t s2 = set2_of_set1(make);
    if (!s2) {
        log_unimp("no set-2 code for set-1 key", code);
        return;
    }
    i8042_key_event(k, (uint16_t)(s2 | (ext ? PS2_KEY_E0 : 0)), !(code & 0x80));
}

/* The keyboard empties its buffer; a half-translated break goes with it. */
static void kbd_flush(I8042 *k)
{
    q_clear(&k->kbd.queue);
    k->xlate_break = false;
}

static void kbd_defaults(Ps2Keyboard *kb)
{
    kb->scancode_set = 2;
    kb->typematic = 0x2B;   /* 10.9 characters/s after 500 ms */
    kb->leds = 0;
    kb->expecting = 0;
}

/* The parameter byte of ED, F3 or F0. */
static void kbd_parameter(I8042 *k, uint8_t cmd, uint8_t v)
{
    Ps2Keyboard *kb = &k->kbd;
    switch (cmd) {
    case 0xED:
        kb->leds = v & 7;
        kbd_reply(k, ACK);
        break;
    case 0xF3:
        kb->typematic = v & 0x7F;
        kbd_reply(k, ACK);
        break;
    case 0xF0:
        if (v > 3) {
            kbd_reply(k, RESEND);
            break;
        }
        kbd_reply(k, ACK);
        if (v == 0)
            kbd_reply(k, kb->scancode_set);   /* translated, it reads 0x43/0x41/0x3F */
        else
            kb->scancode_set = v;
        break;
    }
}

static void kbd_command(I8042 *k, uint8_t v)
{
    Ps2Keyboard *kb = &k->kbd;
    /* A byte in the command range cancels a command still waiting for its
     * parameter (or ends a set-3 key list) and runs as a command itself. */
    if (kb->expecting && v < 0xED) {
        uint8_t cmd = kb->expecting;
        if (cmd >= 0xFB) {
            kbd_reply(k, ACK);   /* one more key of the list; the list goes on */
            return;
        }
        kb->expecting = 0;
        kbd_parameter(k, cmd, v);
        return;
    }
    kb->expecting = 0;
    switch (v) {
    case 0xED: case 0xF3: case 0xF0:
        kb->expecting = v;
        kbd_reply(k, ACK);
        break;
    case 0xEE:
        kbd_reply(k, 0xEE);   /* echo */
        break;
    case 0xF2:
        kbd_reply(k, ACK);
        kbd_reply(k, 0xAB);   /* MF2 keyboard; translated the 0x83 reads 0x41 */
        kbd_reply(k, 0x83);
        break;
    case 0xF4:
        kbd_flush(k);
        kb->enabled = true;
        kbd_reply(k, ACK);
        break;
    case 0xF5:
        typematic_stop(k);
        kbd_flush(k);
        kb->enabled = false;
        kbd_defaults(kb);
        kbd_reply(k, ACK);
        break;
    case 0xF6:
        typematic_stop(k);
        kbd_flush(k);
        kbd_defaults(kb);
        kbd_reply(k, ACK);
        break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA:
    case 0xFB: case 0xFC: case 0xFD:
        /* Set 3 per-key make/break/typematic types: every key here keeps
         * make, break and repeat. */
        log_unimp("set-3 key type command accepted, not modelled:", v);
        if (v >= 0xFB)
            kb->expecting = v;   /* a list of keys follows */
        kbd_reply(k, ACK);
        break;
    case 0xFE:
        q_push(&kb->queue, kb->last_sent);
        break;
    case 0xFF:
        typematic_stop(k);
        kbd_flush(k);
        kbd_defaults(kb);
        kb->enabled = true;
        kbd_reply(k, ACK);
        kbd_reply(k, BAT_OK);   /* basic assurance test passed */
        break;
    default:
        log_guest_error("unknown keyboard command", v);
        kbd_reply(k, RESEND);
        break;
    }
}

/* --- the mouse --- */

static void mouse_reply(I8042 *k, uint8_t v)
{
    q_push(&k->mouse.queue, v);
}

static void mouse_defaults(Ps2Mouse *m)
{
    m->rate = 100;
    m->resolution = 2;      /* 4 counts/mm */
    m->scaling21 = false;
    m->enabled = false;
    m->remote = false;
    m->dx = m->dy = m->dz = 0;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* 2:1 scaling (stream mode only): small motions stay, larger ones double. */
static int scale21(int v)
{
    static const int small[6] = { 0, 1, 1, 3, 6, 9 };
    int a = v < 0 ? -v : v;
    int s = a < 6 ? small[a] : 2 * a;
    return v < 0 ? -s : s;
}

static unsigned packet_len(const Ps2Mouse *m) { return m->id >= 3 ? 4 : 3; }

/* Motion beyond one packet's range stays in the counters for the next.
 * The wheel byte counts notches toward the user, as IntelliMouse drivers
 * (Linux's psmouse) read it: the opposite of i8042_mouse()'s dz. ID 3
 * sends it as a signed byte, ID 4 as four bits beside buttons 4 and 5. */
static void mouse_send_packet(I8042 *k, bool stream)
{
    Ps2Mouse *m = &k->mouse;
    int zmax = m->id == 4 ? 7 : 127;
    int dx = clamp(m->dx, -255, 255), dy = clamp(m->dy, -255, 255), dz = clamp(m->dz, -zmax, zmax);
    m->dx -= dx;
    m->dy -= dy;
    m->dz -= dz;
    if (stream && m->scaling21) {
        dx = clamp(scale21(dx), -255, 255);
        dy = clamp(scale21(dy), -255, 255);
    }
    uint8_t *p = m->last_packet;
    p[0] = (uint8_t)(0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
    p[1] = (uint8_t)dx;
    p[2] = (uint8_t)dy;
    p[3] = (uint8_t)-dz;
    if (m->id == 4)   /* buttons 4 and 5 in bits 4-5 */
        p[3] = (uint8_t)((p[3] & 0x0F) | ((m->buttons & 0x18) << 1));
    m->last_len = (uint8_t)packet_len(m);
    for (unsigned i = 0; i < m->last_len; i++)
        mouse_reply(k, p[i]);
}

static void mouse_set_rate(Ps2Mouse *m, uint8_t rate)
{
    m->rate = rate;
    m->knock[0] = m->knock[1];
    m->knock[1] = m->knock[2];
    m->knock[2] = rate;
    /* 200, 100, 80 wakes the wheel; then 200, 200, 80 the side buttons. */
    if (m->knock[0] == 200 && m->knock[1] == 100 && m->knock[2] == 80)
        m->id = 3;
    else if (m->id == 3 && m->knock[0] == 200 && m->knock[1] == 200 && m->knock[2] == 80)
        m->id = 4;
}

static void mouse_parameter(I8042 *k, uint8_t cmd, uint8_t v)
{
    Ps2Mouse *m = &k->mouse;
    mouse_reply(k, ACK);
    if (cmd == 0xF3)
        mouse_set_rate(m, v);
    else if (cmd == 0xE8)
        m->resolution = v & 3;
}

static void mouse_status(I8042 *k)
{
    Ps2Mouse *m = &k->mouse;
    /* The status byte orders the buttons left, middle, right from bit 2. */
    uint8_t b = m->buttons;
    mouse_reply(k, ACK);
    mouse_reply(k, (uint8_t)((m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) |
                             (m->scaling21 ? 0x10 : 0) | ((b & 1) << 2) | ((b & 4) >> 1) |
                             ((b & 2) >> 1)));
    mouse_reply(k, m->resolution);
    mouse_reply(k, m->rate);
}

static void mouse_command(I8042 *k, uint8_t v)
{
    Ps2Mouse *m = &k->mouse;
    if (m->expecting) {
        uint8_t cmd = m->expecting;
        m->expecting = 0;
        mouse_parameter(k, cmd, v);
        return;
    }
    if (m->wrap && v != 0xEC && v != 0xFF) {
        mouse_reply(k, v);   /* wrap mode echoes everything else */
        return;
    }
    switch (v) {
    case 0xE6: m->scaling21 = false; mouse_reply(k, ACK); break;
    case 0xE7: m->scaling21 = true; mouse_reply(k, ACK); break;
    case 0xE8: case 0xF3:
        m->expecting = v;
        mouse_reply(k, ACK);
        break;
    case 0xE9: mouse_status(k); break;
    case 0xEA: m->remote = false; m->dx = m->dy = m->dz = 0; mouse_reply(k, ACK); break;
    case 0xF0: m->remote = true; m->dx = m->dy = m->dz = 0; mouse_reply(k, ACK); break;
    case 0xEB:
        mouse_reply(k, ACK);
        mouse_send_packet(k, false);
        break;
    case 0xEC: m->wrap = false; mouse_reply(k, ACK); break;
    case 0xEE: m->wrap = true; mouse_reply(k, ACK); break;
    case 0xF2:
        mouse_reply(k, ACK);
        mouse_reply(k, m->id);
        break;
    case 0xF4: m->enabled = true; m->dx = m->dy = m->dz = 0; mouse_reply(k, ACK); break;
    case 0xF5: m->enabled = false; m->dx = m->dy = m->dz = 0; mouse_reply(k, ACK); break;
    case 0xF6: mouse_defaults(m); mouse_reply(k, ACK); break;
    case 0xFE:
        for (unsigned i = 0; i < m->last_len; i++)
            mouse_reply(k, m->last_packet[i]);
        break;
    case 0xFF:
        q_clear(&m->queue);
        mouse_defaults(m);
        m->id = 0;
        m->wrap = false;
        mouse_reply(k, ACK);
        mouse_reply(k, BAT_OK);
        mouse_reply(k, 0x00);   /* device ID */
        break;
    default:
        log_guest_error("unknown mouse command", v);
        mouse_reply(k, RESEND);
        break;
    }
}

/* Motion not yet sent, held within +-MOTION_LIMIT: far more than any
 * burst of packets drains, and never near int overflow however long the
 * host moves the mouse while the guest reads nothing. */
#define MOTION_LIMIT (1 << 24)

static int accumulate(int have, int delta)
{
    long long sum = (long long)have + delta;
    return (int)(sum > MOTION_LIMIT ? MOTION_LIMIT : sum < -MOTION_LIMIT ? -MOTION_LIMIT : sum);
}

void i8042_mouse(I8042 *k, int dx, int dy, int dz, uint8_t buttons)
{
    if (k->replay) {
        uint8_t p[13];
        const int v[3] = { dx, dy, dz };
        for (int i = 0; i < 12; i++)
            p[i] = (uint8_t)((uint32_t)v[i / 4] >> (8 * (i % 4)));
        p[12] = buttons;
        if (!host_input_allowed(k, RK_MOUSE, p, sizeof p))
            return;
    }
    Ps2Mouse *m = &k->mouse;
    if (m->id < 3)
        dz = 0;   /* no wheel until the guest turned it on */
    m->dx = accumulate(m->dx, dx);
    m->dy = accumulate(m->dy, dy);
    m->dz = accumulate(m->dz, dz);
    bool changed = (buttons & 0x1F) != m->buttons;
    m->buttons = buttons & 0x1F;
    bool streaming = m->enabled && !m->remote && !m->wrap;
    if (streaming && (dx || dy || dz || changed)) {
        /* Send until the counters are drained, as the mouse would over
         * several sample periods; a full buffer keeps the rest for later. */
        do {
            if (q_room(&m->queue) < packet_len(m))
                break;
            mouse_send_packet(k, true);
        } while (m->dx || m->dy || m->dz);
    }
    refill(k);
}

/* --- the controller --- */

static void write_output_port(I8042 *k, uint8_t v)
{
    k->output_port = (uint8_t)((v & (OP_RESET | OP_A20)) | OP_RESET);   /* reset returns high */
    /* Port 0x92 drives the same gate: apply the level even if this port's
     * bit did not change, so the last writer decides, as the guest expects. */
    if (k->hooks.set_a20)
        k->hooks.set_a20(k->hooks.opaque, v & OP_A20);
    if (!(v & OP_RESET) && k->hooks.reset)
        k->hooks.reset(k->hooks.opaque);
}

static uint8_t read_output_port(const I8042 *k)
{
    uint8_t v = (uint8_t)((k->output_port & (OP_RESET | OP_A20)) | OP_ONES);
    if (k->status & ST_OBF)
        v |= k->out_aux ? OP_AUX_OBF : OP_KBD_OBF;
    return v;
}

static void controller_command(I8042 *k, uint8_t v)
{
    switch (v) {
    case 0x20:
        q_push(&k->ctrl_queue, k->command_byte);
        break;
    case 0x60: case 0xD1: case 0xD2: case 0xD3: case 0xD4:
        k->pending_cmd = v;
        break;
    case 0xA4: q_push(&k->ctrl_queue, 0xF1); break;   /* no password installed */
    case 0xA7: k->command_byte |= CB_AUX_OFF; break;
    case 0xA8: k->command_byte &= (uint8_t)~CB_AUX_OFF; break;
    case 0xA9: q_push(&k->ctrl_queue, 0x00); break;   /* aux interface test: OK */
    case 0xAA:
        k->status |= ST_SYS;
        q_push(&k->ctrl_queue, 0x55);
        break;
    case 0xAB: q_push(&k->ctrl_queue, 0x00); break;   /* keyboard interface test: OK */
    case 0xAD: k->command_byte |= CB_KBD_OFF; break;
    case 0xAE: k->command_byte &= (uint8_t)~CB_KBD_OFF; break;
    case 0xC0: q_push(&k->ctrl_queue, 0x80); break;   /* input port: not inhibited */
    case 0xD0: q_push(&k->ctrl_queue, read_output_port(k)); break;
    case 0xDD: write_output_port(k, k->output_port & (uint8_t)~OP_A20); break;
    case 0xDF: write_output_port(k, k->output_port | OP_A20); break;
    case 0xE0: q_push(&k->ctrl_queue, 0x00); break;   /* test inputs: clock and data low */
    default:
        if (v >= 0xF0) {
            /* Pulse the output lines whose bit is 0: bit 0 is the CPU
             * reset (0xFE). The others are unconnected on a PC. */
            if (!(v & 1) && k->hooks.reset)
                k->hooks.reset(k->hooks.opaque);
        } else {
            log_guest_error("unknown controller command", v);
        }
        break;
    }
    refill(k);
}

static void data_write(I8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;
    k->pending_cmd = 0;
    switch (cmd) {
    case 0x60:
        k->command_byte = v;
        k->status = (uint8_t)((k->status & ~ST_SYS) | (v & CB_SYS));
        break;
    case 0xD1:
        write_output_port(k, v);
        break;
    case 0xD2:
        q_push(&k->ctrl_queue, v);   /* as if from the keyboard, untranslated */
        break;
    case 0xD3:
        q_push(&k->ctrl_aux_queue, v);   /* as if from the mouse */
        break;
    case 0xD4:
        mouse_command(k, v);
        break;
    default:
        /* Sending to the keyboard clocks its cable: the port is enabled. */
        k->command_byte &= (uint8_t)~CB_KBD_OFF;
        kbd_command(k, v);
        break;
    }
    refill(k);
}

uint32_t i8042_port_read(void *opaque, uint16_t port, unsigned size)
{
    I8042 *k = opaque;
    (void)size;
    if (port == 0x64)
        return k->status;
    uint8_t v = k->out_byte;
    if (k->status & ST_OBF) {
        k->status &= (uint8_t)~(ST_OBF | ST_AUX_OBF);
        /* The line drops before the next byte raises it again: the 8259
         * sees a fresh edge for each byte. */
        update_irqs(k);
        refill(k);
    }
    return v;
}

void i8042_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    I8042 *k = opaque;
    (void)size;
    if (port == 0x64) {
        k->status |= ST_CMD;
        controller_command(k, (uint8_t)value);
    } else {
        k->status &= (uint8_t)~ST_CMD;
        data_write(k, (uint8_t)value);
    }
}

/* --- life cycle --- */

void i8042_reset(I8042 *k)
{
    typematic_stop(k);
    k->status = ST_UNLOCK | ST_CMD;
    k->command_byte = CB_KBD_INT | CB_AUX_OFF | CB_TRANSLATE;
    k->output_port = OP_RESET | OP_A20;
    k->out_byte = 0;
    k->out_aux = false;
    k->pending_cmd = 0;
    k->xlate_break = false;
    q_clear(&k->ctrl_queue);
    q_clear(&k->ctrl_aux_queue);
    memset(&k->kbd, 0, sizeof k->kbd);
    kbd_defaults(&k->kbd);
    k->kbd.enabled = true;
    memset(&k->mouse, 0, sizeof k->mouse);
    mouse_defaults(&k->mouse);
    update_irqs(k);
}

void i8042_init(I8042 *k, const IrqLine *irq1, const IrqLine *irq12, const KbcHooks *hooks)
{
    memset(k, 0, sizeof *k);
    if (irq1)
        k->irq1 = *irq1;
    if (irq12)
        k->irq12 = *irq12;
    if (hooks)
        k->hooks = *hooks;
    i8042_reset(k);
}

void i8042_set_clock(I8042 *k, Clock *clock)
{
    typematic_stop(k);
    k->clock = clock;
    if (clock)
        timer_init(&k->typematic, clock, typematic_fired, k);
}

bool i8042_register(I8042 *k, PortBus *bus)
{
    static const PortOps ops = { i8042_port_read, i8042_port_write, false };
    int s = portbus_add_slot(bus, "i8042", &ops, k);
    if (s < 0 || !portbus_map(bus, s, 0x60, 1) || !portbus_map(bus, s, 0x64, 1))
        return false;
    portbus_slot_irq(bus, s, 1);
    portbus_slot_irq(bus, s, 12);
    return true;
}

/* --- machine state --- */

static const StateField i8042_fields[] = {
    SF_FIELD(I8042, status, SF_U8),
    SF_FIELD(I8042, command_byte, SF_U8),
    SF_FIELD(I8042, output_port, SF_U8),
    SF_FIELD(I8042, out_byte, SF_U8),
    SF_FIELD(I8042, out_aux, SF_BOOL),
    SF_FIELD(I8042, pending_cmd, SF_U8),
    SF_FIELD(I8042, xlate_break, SF_BOOL),
    SF_BLOB(I8042, ctrl_queue.data),
    SF_FIELD_MAX(I8042, ctrl_queue.head, SF_U32, KBC_QUEUE - 1),
    SF_FIELD_MAX(I8042, ctrl_queue.count, SF_U32, KBC_QUEUE),
    SF_BLOB(I8042, ctrl_aux_queue.data),
    SF_FIELD_MAX(I8042, ctrl_aux_queue.head, SF_U32, KBC_QUEUE - 1),
    SF_FIELD_MAX(I8042, ctrl_aux_queue.count, SF_U32, KBC_QUEUE),
    SF_BLOB(I8042, kbd.queue.data),
    SF_FIELD_MAX(I8042, kbd.queue.head, SF_U32, KBC_QUEUE - 1),
    SF_FIELD_MAX(I8042, kbd.queue.count, SF_U32, KBC_QUEUE),
    SF_FIELD(I8042, kbd.enabled, SF_BOOL),
    SF_FIELD_MAX(I8042, kbd.scancode_set, SF_U8, 3),
    SF_FIELD(I8042, kbd.leds, SF_U8),
    SF_FIELD(I8042, kbd.typematic, SF_U8),
    SF_FIELD(I8042, kbd.expecting, SF_U8),
    SF_FIELD(I8042, kbd.last_sent, SF_U8),
    SF_FIELD(I8042, kbd.repeat_key, SF_U16),
    SF_FIELD(I8042, kbd.set1_prefix, SF_U8),
    SF_FIELD_MAX(I8042, kbd.set1_pause_left, SF_U8, 2),
    SF_BLOB(I8042, mouse.queue.data),
    SF_FIELD_MAX(I8042, mouse.queue.head, SF_U32, KBC_QUEUE - 1),
    SF_FIELD_MAX(I8042, mouse.queue.count, SF_U32, KBC_QUEUE),
    SF_FIELD(I8042, mouse.enabled, SF_BOOL),
    SF_FIELD(I8042, mouse.remote, SF_BOOL),
    SF_FIELD(I8042, mouse.wrap, SF_BOOL),
    SF_FIELD(I8042, mouse.id, SF_U8),
    SF_FIELD(I8042, mouse.rate, SF_U8),
    SF_FIELD(I8042, mouse.resolution, SF_U8),
    SF_FIELD(I8042, mouse.scaling21, SF_BOOL),
    SF_FIELD(I8042, mouse.expecting, SF_U8),
    SF_BLOB(I8042, mouse.knock),
    SF_FIELD(I8042, mouse.dx, SF_U32),
    SF_FIELD(I8042, mouse.dy, SF_U32),
    SF_FIELD(I8042, mouse.dz, SF_U32),
    SF_FIELD_MAX(I8042, mouse.buttons, SF_U8, 0x1F),
    SF_BLOB(I8042, mouse.last_packet),
    SF_FIELD_MAX(I8042, mouse.last_len, SF_U8, 4),
    SF_FIELD(I8042, typematic, SF_TIMER),
};

static bool i8042_post_load(void *dev, char *err, size_t errlen)
{
    I8042 *k = dev;
    if (k->kbd.scancode_set < 1) {
        snprintf(err, errlen, "i8042: scan code set 0");
        return false;
    }
    const Ps2Mouse *m = &k->mouse;
    if (m->dx < -MOTION_LIMIT || m->dx > MOTION_LIMIT || m->dy < -MOTION_LIMIT ||
        m->dy > MOTION_LIMIT || m->dz < -MOTION_LIMIT || m->dz > MOTION_LIMIT) {
        snprintf(err, errlen, "i8042: pending mouse motion %d,%d,%d out of range", m->dx, m->dy,
                 m->dz);
        return false;
    }
    /* IRQ 1 and 12 follow from the output buffer and the command byte. */
    update_irqs(k);
    return true;
}

static void i8042_reset_dev(void *dev) { i8042_reset(dev); }

static void i8042_teardown(void *dev) { typematic_stop(dev); }

static void i8042_info(void *dev, FILE *out)
{
    const I8042 *k = dev;
    fprintf(out, "status %02X command byte %02X output port %02X, buffer %02X%s%s\n", k->status,
            k->command_byte, k->output_port, k->out_byte,
            (k->status & ST_OBF) ? " (full" : " (empty", k->out_aux ? ", mouse)" : ")");
    fprintf(out, "keyboard: %s, set %u, leds %X, typematic %02X, queue %u%s\n",
            k->kbd.enabled ? "scanning" : "disabled", k->kbd.scancode_set, k->kbd.leds,
            k->kbd.typematic, k->kbd.queue.count, k->kbd.repeat_key ? ", repeating" : "");
    fprintf(out, "mouse: %s%s, id %u, rate %u, resolution %u, queue %u\n",
            k->mouse.enabled ? "streaming" : "disabled", k->mouse.remote ? " (remote)" : "",
            k->mouse.id, k->mouse.rate, k->mouse.resolution, k->mouse.queue.count);
}

const DeviceDesc i8042_desc = {
    .kind = "i8042",
    .version = 1,
    .fields = i8042_fields,
    .n_fields = sizeof i8042_fields / sizeof i8042_fields[0],
    .reset = i8042_reset_dev,
    .post_load = i8042_post_load,
    .info = i8042_info,
    .teardown = i8042_teardown,
};
