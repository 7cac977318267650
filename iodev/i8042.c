/* 8042 keyboard controller, PS/2 keyboard and mouse (see i8042.h). */
#include "iodev/i8042.h"

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

#define OP_RESET 0x01   /* high = CPU running */
#define OP_A20   0x02

static void log_once(const char *what, unsigned v)
{
    static unsigned seen[16];
    static unsigned n;
    unsigned key = ((unsigned)(uint8_t)what[0] << 16) | v;
    for (unsigned i = 0; i < n; i++)
        if (seen[i] == key)
            return;
    if (n < 16)
        seen[n++] = key;
    fprintf(stderr, "kairo: i8042: %s 0x%02X (logged once)\n", what, v);
}

static void q_push(KbcQueue *q, uint8_t v)
{
    if (q->count == KBC_QUEUE)
        return;   /* a full keyboard buffer drops input, as the real one does */
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

/* Set 1 make codes to set 2 (for a guest that turns translation off). */
static const uint8_t set1_to_set2[0x59] = {
    0x00, 0x76, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55, 0x66, 0x0D,
    0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43, 0x44, 0x4D, 0x54, 0x5B, 0x5A, 0x14, 0x1C, 0x1B,
    0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C, 0x52, 0x0E, 0x12, 0x5D, 0x1A, 0x22, 0x21, 0x2A,
    0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x59, 0x7C, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0C, 0x03,
    0x0B, 0x83, 0x0A, 0x01, 0x09, 0x77, 0x7E, 0x6C, 0x75, 0x7D, 0x7B, 0x6B, 0x73, 0x74, 0x79, 0x69,
    0x72, 0x7A, 0x70, 0x71, 0x00, 0x00, 0x61, 0x78, 0x07,
};

/* Move the next byte into the output buffer if it is free. */
static void refill(I8042 *k)
{
    if (k->status & ST_OBF)
        return;
    bool aux;
    uint8_t v;
    if (k->ctrl_queue.count) {
        v = q_pop(&k->ctrl_queue);
        aux = false;
    } else if (k->kbd.queue.count && !(k->command_byte & CB_KBD_OFF)) {
        v = q_pop(&k->kbd.queue);
        aux = false;
    } else if (k->mouse.queue.count && !(k->command_byte & CB_AUX_OFF)) {
        v = q_pop(&k->mouse.queue);
        aux = true;
    } else {
        return;
    }
    k->out_byte = v;
    k->out_aux = aux;
    k->status |= ST_OBF;
    if (aux) {
        k->status |= ST_AUX_OBF;
        if (k->command_byte & CB_AUX_INT)
            irq_raise(&k->irq12);
    } else {
        k->status &= (uint8_t)~ST_AUX_OBF;
        if (k->command_byte & CB_KBD_INT)
            irq_raise(&k->irq1);
    }
}

static void kbd_reply(I8042 *k, uint8_t v)
{
    k->kbd.last_sent = v;
    q_push(&k->kbd.queue, v);
}

static void mouse_reply(I8042 *k, uint8_t v)
{
    q_push(&k->mouse.queue, v);
}

/* --- the keyboard --- */

static void kbd_defaults(Ps2Keyboard *kb)
{
    kb->scancode_set = 2;
    kb->typematic = 0x2B;   /* 10.9 cps, 500 ms */
    kb->leds = 0;
    kb->expecting = 0;
}

static void kbd_command(I8042 *k, uint8_t v)
{
    Ps2Keyboard *kb = &k->kbd;
    if (kb->expecting) {
        uint8_t cmd = kb->expecting;
        kb->expecting = 0;
        if (cmd == 0xED) {
            kb->leds = v & 7;
            kbd_reply(k, 0xFA);
            return;
        }
        if (cmd == 0xF3) {
            kb->typematic = v & 0x7F;
            kbd_reply(k, 0xFA);
            return;
        }
        if (cmd == 0xF0) {
            kbd_reply(k, 0xFA);
            if (v == 0)
                kbd_reply(k, kb->scancode_set);
            else if (v <= 3)
                kb->scancode_set = v;
            return;
        }
    }
    switch (v) {
    case 0xED: case 0xF3: case 0xF0:
        kb->expecting = v;
        kbd_reply(k, 0xFA);
        break;
    case 0xEE:
        kbd_reply(k, 0xEE);
        break;
    case 0xF2:
        kbd_reply(k, 0xFA);
        kbd_reply(k, 0xAB);
        /* The controller translates the second ID byte with the codes. */
        kbd_reply(k, (k->command_byte & CB_TRANSLATE) ? 0x41 : 0x83);
        break;
    case 0xF4:
        kb->enabled = true;
        kbd_reply(k, 0xFA);
        break;
    case 0xF5:
        kb->enabled = false;
        kbd_defaults(kb);
        kbd_reply(k, 0xFA);
        break;
    case 0xF6:
        kbd_defaults(kb);
        kbd_reply(k, 0xFA);
        break;
    case 0xFE:
        kbd_reply(k, kb->last_sent);
        break;
    case 0xFF:
        kb->queue.count = 0;
        kbd_defaults(kb);
        kb->enabled = true;
        kbd_reply(k, 0xFA);
        kbd_reply(k, 0xAA);   /* basic assurance test passed */
        break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
        kbd_reply(k, 0xFA);   /* set-3 key types: accepted, not modelled */
        break;
    default:
        log_once("unknown keyboard command", v);
        kbd_reply(k, 0xFE);
        break;
    }
}

void i8042_key(I8042 *k, uint8_t code)
{
    Ps2Keyboard *kb = &k->kbd;
    if (!kb->enabled)
        return;
    if ((k->command_byte & CB_TRANSLATE) || kb->scancode_set == 1) {
        q_push(&kb->queue, code);
    } else if (code == 0xE0 || code == 0xE1) {
        q_push(&kb->queue, code);
    } else {
        uint8_t make = code & 0x7F;
        uint8_t s2 = make < sizeof set1_to_set2 ? set1_to_set2[make] : 0;
        if (!s2) {
            log_once("no set-2 code for set-1 key", code);
            return;
        }
        if (code & 0x80)
            q_push(&kb->queue, 0xF0);
        q_push(&kb->queue, s2);
    }
    refill(k);
}

/* --- the mouse --- */

static void mouse_defaults(Ps2Mouse *m)
{
    m->rate = 100;
    m->resolution = 2;
    m->scaling21 = false;
    m->enabled = false;
    m->remote = false;
    m->dx = m->dy = m->dz = 0;
}

static void mouse_send_packet(I8042 *k)
{
    Ps2Mouse *m = &k->mouse;
    int dx = m->dx < -255 ? -255 : m->dx > 255 ? 255 : m->dx;
    int dy = m->dy < -255 ? -255 : m->dy > 255 ? 255 : m->dy;
    int dz = m->dz < -7 ? -7 : m->dz > 7 ? 7 : m->dz;
    uint8_t b0 = (uint8_t)(0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
    mouse_reply(k, b0);
    mouse_reply(k, (uint8_t)dx);
    mouse_reply(k, (uint8_t)dy);
    if (m->id == 3)
        mouse_reply(k, (uint8_t)(dz & 0x0F));
    m->dx -= dx;
    m->dy -= dy;
    m->dz -= dz;
}

static void mouse_command(I8042 *k, uint8_t v)
{
    Ps2Mouse *m = &k->mouse;
    if (m->expecting) {
        uint8_t cmd = m->expecting;
        m->expecting = 0;
        mouse_reply(k, 0xFA);
        if (cmd == 0xF3) {
            m->rate = v;
            m->knock[0] = m->knock[1];
            m->knock[1] = m->knock[2];
            m->knock[2] = v;
            if (m->knock[0] == 200 && m->knock[1] == 100 && m->knock[2] == 80)
                m->id = 3;
        } else if (cmd == 0xE8) {
            m->resolution = v & 3;
        }
        return;
    }
    switch (v) {
    case 0xE6: m->scaling21 = false; mouse_reply(k, 0xFA); break;
    case 0xE7: m->scaling21 = true; mouse_reply(k, 0xFA); break;
    case 0xE8: case 0xF3:
        m->expecting = v;
        mouse_reply(k, 0xFA);
        break;
    case 0xE9:
        mouse_reply(k, 0xFA);
        mouse_reply(k, (uint8_t)((m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) |
                                 (m->scaling21 ? 0x10 : 0) | (m->buttons & 7)));
        mouse_reply(k, m->resolution);
        mouse_reply(k, m->rate);
        break;
    case 0xEA: m->remote = false; mouse_reply(k, 0xFA); break;
    case 0xF0: m->remote = true; mouse_reply(k, 0xFA); break;
    case 0xEB:
        mouse_reply(k, 0xFA);
        mouse_send_packet(k);
        break;
    case 0xEC: m->wrap = false; mouse_reply(k, 0xFA); break;
    case 0xEE: m->wrap = true; mouse_reply(k, 0xFA); break;
    case 0xF2:
        mouse_reply(k, 0xFA);
        mouse_reply(k, m->id);
        break;
    case 0xF4: m->enabled = true; mouse_reply(k, 0xFA); break;
    case 0xF5: m->enabled = false; mouse_reply(k, 0xFA); break;
    case 0xF6: mouse_defaults(m); mouse_reply(k, 0xFA); break;
    case 0xFF:
        m->queue.count = 0;
        mouse_defaults(m);
        m->id = 0;
        mouse_reply(k, 0xFA);
        mouse_reply(k, 0xAA);
        mouse_reply(k, 0x00);
        break;
    default:
        log_once("unknown mouse command", v);
        mouse_reply(k, 0xFE);
        break;
    }
}

void i8042_mouse(I8042 *k, int dx, int dy, int dz, uint8_t buttons)
{
    Ps2Mouse *m = &k->mouse;
    m->dx += dx;
    m->dy += dy;
    m->dz += dz;
    bool changed = buttons != m->buttons;
    m->buttons = buttons;
    if (m->enabled && !m->remote && (dx || dy || dz || changed) && m->queue.count < KBC_QUEUE - 8)
        mouse_send_packet(k);
    refill(k);
}

/* --- the controller --- */

static void write_output_port(I8042 *k, uint8_t v)
{
    uint8_t old = k->output_port;
    k->output_port = v | 0x01;   /* the reset line returns high */
    if ((old ^ v) & OP_A20 && k->hooks.set_a20)
        k->hooks.set_a20(k->hooks.opaque, v & OP_A20);
    if (!(v & OP_RESET) && k->hooks.reset)
        k->hooks.reset(k->hooks.opaque);
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
    case 0xA7: k->command_byte |= CB_AUX_OFF; break;
    case 0xA8: k->command_byte &= (uint8_t)~CB_AUX_OFF; break;
    case 0xA9: q_push(&k->ctrl_queue, 0x00); break;   /* aux interface test: OK */
    case 0xAA:
        k->status |= ST_SYS;
        q_push(&k->ctrl_queue, 0x55);
        break;
    case 0xAB: q_push(&k->ctrl_queue, 0x00); break;
    case 0xAD: k->command_byte |= CB_KBD_OFF; break;
    case 0xAE: k->command_byte &= (uint8_t)~CB_KBD_OFF; break;
    case 0xC0: q_push(&k->ctrl_queue, 0x80); break;   /* input port: not inhibited */
    case 0xD0: q_push(&k->ctrl_queue, k->output_port); break;
    case 0xDD: write_output_port(k, k->output_port & (uint8_t)~OP_A20); break;
    case 0xDF: write_output_port(k, k->output_port | OP_A20); break;
    case 0xE0: q_push(&k->ctrl_queue, 0x00); break;
    default:
        if (v >= 0xF0) {
            /* Pulse output lines whose bit is 0: bit 0 is the CPU reset. */
            if (!(v & 1) && k->hooks.reset)
                k->hooks.reset(k->hooks.opaque);
        } else {
            log_once("unknown controller command", v);
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
        if (!(v & CB_KBD_INT))
            irq_lower(&k->irq1);
        if (!(v & CB_AUX_INT))
            irq_lower(&k->irq12);
        break;
    case 0xD1:
        write_output_port(k, v);
        break;
    case 0xD2:
        q_push(&k->kbd.queue, v);
        break;
    case 0xD3:
        q_push(&k->mouse.queue, v);
        break;
    case 0xD4:
        mouse_command(k, v);
        break;
    default:
        /* A write to the data port talks to the keyboard and enables it. */
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
        if (k->out_aux)
            irq_lower(&k->irq12);
        else
            irq_lower(&k->irq1);
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

void i8042_reset(I8042 *k)
{
    k->status = ST_UNLOCK;
    k->command_byte = CB_KBD_INT | CB_AUX_OFF | CB_TRANSLATE;
    k->output_port = OP_RESET | OP_A20;
    k->pending_cmd = 0;
    k->ctrl_queue.count = 0;
    memset(&k->kbd, 0, sizeof k->kbd);
    kbd_defaults(&k->kbd);
    k->kbd.enabled = true;
    memset(&k->mouse, 0, sizeof k->mouse);
    mouse_defaults(&k->mouse);
    irq_lower(&k->irq1);
    irq_lower(&k->irq12);
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

static void save_queue(StateWriter *w, const KbcQueue *q)
{
    state_put_u8(w, (uint8_t)q->count);
    for (unsigned i = 0; i < q->count; i++)
        state_put_u8(w, q->data[(q->head + i) % KBC_QUEUE]);
}

static void load_queue(StateReader *r, KbcQueue *q)
{
    unsigned n = state_get_u8(r);
    q->head = q->count = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t v = state_get_u8(r);
        if (i < KBC_QUEUE)
            q_push(q, v);
    }
}

void i8042_save(const I8042 *k, StateWriter *w)
{
    state_begin(w, "i8042", 1);
    state_put_u8(w, k->status);
    state_put_u8(w, k->command_byte);
    state_put_u8(w, k->output_port);
    state_put_u8(w, k->out_byte);
    state_put_u8(w, k->out_aux);
    state_put_u8(w, k->pending_cmd);
    save_queue(w, &k->ctrl_queue);
    save_queue(w, &k->kbd.queue);
    state_put_u8(w, k->kbd.enabled);
    state_put_u8(w, k->kbd.scancode_set);
    state_put_u8(w, k->kbd.leds);
    state_put_u8(w, k->kbd.typematic);
    state_put_u8(w, k->kbd.expecting);
    save_queue(w, &k->mouse.queue);
    state_put_u8(w, (uint8_t)(k->mouse.enabled | k->mouse.remote << 1 | k->mouse.scaling21 << 2));
    state_put_u8(w, k->mouse.id);
    state_put_u8(w, k->mouse.rate);
    state_put_u8(w, k->mouse.resolution);
    state_put_u8(w, k->mouse.expecting);
    state_end(w);
}

bool i8042_load(I8042 *k, StateReader *r)
{
    uint32_t version;
    if (!state_section(r, "i8042", &version) || version != 1)
        return false;
    k->status = state_get_u8(r);
    k->command_byte = state_get_u8(r);
    k->output_port = state_get_u8(r);
    k->out_byte = state_get_u8(r);
    k->out_aux = state_get_u8(r);
    k->pending_cmd = state_get_u8(r);
    load_queue(r, &k->ctrl_queue);
    load_queue(r, &k->kbd.queue);
    k->kbd.enabled = state_get_u8(r);
    k->kbd.scancode_set = state_get_u8(r);
    k->kbd.leds = state_get_u8(r);
    k->kbd.typematic = state_get_u8(r);
    k->kbd.expecting = state_get_u8(r);
    load_queue(r, &k->mouse.queue);
    uint8_t f = state_get_u8(r);
    k->mouse.enabled = f & 1;
    k->mouse.remote = f & 2;
    k->mouse.scaling21 = f & 4;
    k->mouse.id = state_get_u8(r);
    k->mouse.rate = state_get_u8(r);
    k->mouse.resolution = state_get_u8(r);
    k->mouse.expecting = state_get_u8(r);
    state_section_end(r);
    return state_ok(r);
}
