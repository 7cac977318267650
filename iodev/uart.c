/* SPDX-License-Identifier: MIT */
/* 16550A UART (see uart.h).
 *
 * Transmission is immediate: the byte goes to the backend when written and
 * the transmitter shows empty at once (drivers only need THRE to come back
 * and its interrupt to fire). Reception honours the FIFO, its trigger
 * level and the character timeout, which drivers do depend on. */
#include "iodev/uart.h"

#include <string.h>

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define FCR_ENABLE 0x01

static bool fifo_push(UartFifo *f, uint8_t v)
{
    if (f->count == UART_FIFO)
        return false;
    f->data[(f->head + f->count) % UART_FIFO] = v;
    f->count++;
    return true;
}

static uint8_t fifo_pop(UartFifo *f)
{
    if (!f->count)
        return 0;
    uint8_t v = f->data[f->head];
    f->head = (f->head + 1) % UART_FIFO;
    f->count--;
    return v;
}

static unsigned rx_trigger(const Uart *u)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

/* Time for one character at the programmed rate (10 bits a frame). */
static uint64_t char_ns(const Uart *u)
{
    uint32_t div = u->divisor ? u->divisor : 1;
    return 10ull * 1000000000ull * div / 115200;
}

/* The highest-priority pending interrupt as an IIR value. */
static uint8_t pending_iir(const Uart *u)
{
    if ((u->ier & IER_RLSI) && (u->lsr & (LSR_OE | LSR_BI)))
        return 0x06;
    if ((u->ier & IER_RDI) && u->timeout_pending)
        return 0x0C;
    if ((u->ier & IER_RDI) && u->rx.count >= rx_trigger(u))
        return 0x04;
    if ((u->ier & IER_THRI) && u->thr_interrupt)
        return 0x02;
    if ((u->ier & IER_MSI) && (u->msr & 0x0F))
        return 0x00;
    return 0x01;
}

static void update_irq(Uart *u)
{
    /* On a PC the IRQ line is gated by OUT2. */
    bool level = !(pending_iir(u) & 1) && (u->mcr & MCR_OUT2);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

static void update_lsr(Uart *u)
{
    if (u->rx.count)
        u->lsr |= LSR_DR;
    else
        u->lsr &= (uint8_t)~LSR_DR;
}

void uart_receive(Uart *u, const uint8_t *buf, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        if (!fifo_push(&u->rx, buf[i])) {
            u->lsr |= LSR_OE;
            u->overruns++;
        } else {
            u->rx_bytes++;
        }
        if (!(u->fcr & FCR_ENABLE) && u->rx.count > 1) {
            /* Without the FIFO there is one holding register: the older
             * byte was overwritten. */
            fifo_pop(&u->rx);
            u->lsr |= LSR_OE;
        }
    }
    u->last_rx_ns = clock_ns(u->clock);
    u->timeout_pending = false;
    update_lsr(u);
    update_irq(u);
    /* The character timeout needs a look after four character times. */
    if ((u->fcr & FCR_ENABLE) && u->rx.count && !u->rx_timer.armed)
        timer_mod(&u->rx_timer, u->last_rx_ns + 4 * char_ns(u) + 1);
}

static bool backend_has_input(const Uart *u)
{
    return u->backend && chardev_has_input(u->backend);
}

/* Modem status inputs as the loopback wiring or a PC cable give them. */
static void update_msr(Uart *u)
{
    uint8_t lines;
    if (u->mcr & MCR_LOOP) {
        lines = (uint8_t)(((u->mcr & MCR_RTS) ? 0x10 : 0) | ((u->mcr & MCR_DTR) ? 0x20 : 0) |
                          ((u->mcr & MCR_OUT1) ? 0x40 : 0) | ((u->mcr & MCR_OUT2) ? 0x80 : 0));
    } else {
        lines = 0xB0;   /* CTS, DSR, DCD asserted by the host side */
    }
    uint8_t old = u->msr & 0xF0;
    uint8_t delta = (uint8_t)(((old ^ lines) & 0x10 ? 0x01 : 0) | ((old ^ lines) & 0x20 ? 0x02 : 0) |
                              ((old & 0x40) && !(lines & 0x40) ? 0x04 : 0) |
                              ((old ^ lines) & 0x80 ? 0x08 : 0));
    u->msr = (uint8_t)(lines | (u->msr & 0x0F) | delta);
}

static void transmit(Uart *u, uint8_t v)
{
    u->tx_bytes++;
    if (u->mcr & MCR_LOOP)
        uart_receive(u, &v, 1);
    else if (u->backend)
        chardev_write(u->backend, &v, 1);
    u->lsr |= LSR_THRE | LSR_TEMT;
    u->thr_interrupt = true;
}

/* Poll the backend and run the receive timeout, at the character rate. */
static void rx_timer_cb(void *opaque)
{
    Uart *u = opaque;
    uint64_t now = clock_ns(u->clock);
    if (u->backend && !(u->mcr & MCR_LOOP)) {
        uint8_t buf[UART_FIFO];
        unsigned room = UART_FIFO - u->rx.count;
        size_t n = room ? chardev_read(u->backend, buf, room) : 0;
        if (n)
            uart_receive(u, buf, (unsigned)n);
    }
    if (u->rx.count && !u->timeout_pending && (u->fcr & FCR_ENABLE) &&
        now - u->last_rx_ns >= 4 * char_ns(u)) {
        u->timeout_pending = true;
        update_irq(u);
    }
    /* Poll a host input about every millisecond of guest time (or at the
     * character rate when slower): often enough for typing and pasting,
     * rarely enough to cost nothing; 10 ms while nobody types (the
     * backend says which). Without input, only a pending timeout needs
     * the timer. */
    if (backend_has_input(u)) {
        uint64_t period = char_ns(u), every = chardev_poll_period_ns(u->backend);
        if (period < every)
            period = every;
        timer_mod(&u->rx_timer, now + period);
    } else if (u->rx.count && !u->timeout_pending && (u->fcr & FCR_ENABLE)) {
        timer_mod(&u->rx_timer, u->last_rx_ns + 4 * char_ns(u) + 1);
    }
}

uint32_t uart_port_read(void *opaque, uint16_t port, unsigned size)
{
    Uart *u = opaque;
    (void)size;
    bool dlab = u->lcr & 0x80;
    switch (port & 7) {
    case 0:
        if (dlab)
            return u->divisor & 0xFF;
        {
            uint8_t v = fifo_pop(&u->rx);
            u->timeout_pending = false;
            u->last_rx_ns = clock_ns(u->clock);
            update_lsr(u);
            update_irq(u);
            return v;
        }
    case 1:
        return dlab ? u->divisor >> 8 : u->ier;
    case 2: {
        uint8_t iir = pending_iir(u);
        if (iir == 0x02)
            u->thr_interrupt = false;   /* reading IIR acknowledges THRE */
        update_irq(u);
        return iir | ((u->fcr & FCR_ENABLE) ? 0xC0 : 0);
    }
    case 3:
        return u->lcr;
    case 4:
        return u->mcr;
    case 5: {
        uint8_t v = u->lsr;
        u->lsr &= (uint8_t)~(LSR_OE | LSR_BI);
        update_irq(u);
        return v;
    }
    case 6: {
        update_msr(u);
        uint8_t v = u->msr;
        u->msr &= 0xF0;   /* reading clears the deltas */
        update_irq(u);
        return v;
    }
    default:
        return u->scr;
    }
}

void uart_port_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    Uart *u = opaque;
    (void)size;
    uint8_t v = (uint8_t)value;
    bool dlab = u->lcr & 0x80;
    switch (port & 7) {
    case 0:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0xFF00) | v);
        } else {
            u->thr_interrupt = false;
            transmit(u, v);
        }
        break;
    case 1:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0x00FF) | v << 8);
        } else {
            uint8_t old = u->ier;
            u->ier = v & 0x0F;
            /* Enabling THRI with the transmitter empty raises it at once. */
            if ((u->ier & IER_THRI) && !(old & IER_THRI) && (u->lsr & LSR_THRE))
                u->thr_interrupt = true;
        }
        break;
    case 2:
        if (v & 0x02) {
            u->rx.count = 0;
            u->timeout_pending = false;
        }
        if (v & 0x04)
            u->tx.count = 0;
        if ((v ^ u->fcr) & FCR_ENABLE) {
            u->rx.count = u->tx.count = 0;
        }
        u->fcr = v & 0xC9;
        update_lsr(u);
        break;
    case 3:
        u->lcr = v;
        break;
    case 4:
        u->mcr = v & 0x1F;
        update_msr(u);
        break;
    case 5:
    case 6:
        break;   /* LSR and MSR are read-only */
    default:
        u->scr = v;
        break;
    }
    update_irq(u);
}

void uart_reset(Uart *u)
{
    u->ier = u->fcr = u->lcr = u->mcr = u->scr = 0;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr = 0xB0;
    u->divisor = 12;   /* 9600 baud */
    u->rx.count = u->tx.count = 0;
    u->thr_interrupt = u->timeout_pending = false;
    u->irq_level = false;
    irq_lower(&u->irq);
}

void uart_init(Uart *u, Clock *clock, const IrqLine *irq, CharDev *backend)
{
    memset(u, 0, sizeof *u);
    u->clock = clock;
    if (irq)
        u->irq = *irq;
    u->backend = backend;
    timer_init(&u->rx_timer, clock, rx_timer_cb, u);
    uart_reset(u);
    if (backend_has_input(u))
        timer_mod(&u->rx_timer, clock_ns(clock) + 1000000);
}

bool uart_register(Uart *u, PortBus *bus, const char *slot, uint16_t base, int irq)
{
    static const PortOps ops = { uart_port_read, uart_port_write, false };
    int s = portbus_add_slot(bus, slot, &ops, u);
    if (s < 0 || !portbus_map(bus, s, base, 8))
        return false;
    portbus_slot_irq(bus, s, irq);
    return true;
}

/* --- machine state --- */

static void uart_reset_dev(void *dev) { uart_reset(dev); }

/* The IRQ line follows from the registers; drive it whatever it was. */
static bool uart_post_load(void *dev, char *err, size_t errlen)
{
    Uart *u = dev;
    if (u->rx.head >= UART_FIFO || u->tx.head >= UART_FIFO) {
        snprintf(err, errlen, "uart: FIFO head out of range");
        return false;
    }
    u->ier &= 0x0F;
    u->fcr &= 0xC9;
    u->mcr &= 0x1F;
    u->irq_level = !(pending_iir(u) & 1) && (u->mcr & MCR_OUT2);
    irq_set(&u->irq, u->irq_level);
    return true;
}

static void uart_info(void *dev, FILE *out)
{
    const Uart *u = dev;
    fprintf(out, "divisor %u (%u baud), lcr %02X ier %02X mcr %02X lsr %02X msr %02X\n",
            u->divisor, u->divisor ? 115200u / u->divisor : 0, u->lcr, u->ier, u->mcr, u->lsr,
            u->msr);
    fprintf(out, "fifo %s, rx %u/%u bytes (trigger %u), irq %s\n",
            (u->fcr & FCR_ENABLE) ? "on" : "off", u->rx.count, UART_FIFO, rx_trigger(u),
            u->irq_level ? "high" : "low");
    fprintf(out, "sent %llu, received %llu, overruns %llu\n", (unsigned long long)u->tx_bytes,
            (unsigned long long)u->rx_bytes, (unsigned long long)u->overruns);
}

static void uart_teardown(void *dev)
{
    Uart *u = dev;
    timer_del(&u->rx_timer);
}

/* The backend (chardev) is host wiring, not guest state. */
static const StateField uart_fields[] = {
    SF_FIELD(Uart, ier, SF_U8),
    SF_FIELD(Uart, fcr, SF_U8),
    SF_FIELD(Uart, lcr, SF_U8),
    SF_FIELD(Uart, mcr, SF_U8),
    SF_FIELD(Uart, lsr, SF_U8),
    SF_FIELD(Uart, msr, SF_U8),
    SF_FIELD(Uart, scr, SF_U8),
    SF_FIELD(Uart, divisor, SF_U16),
    SF_BLOB(Uart, rx.data),
    SF_FIELD_MAX(Uart, rx.head, SF_U32, UART_FIFO - 1),
    SF_FIELD_MAX(Uart, rx.count, SF_U32, UART_FIFO),
    SF_BLOB(Uart, tx.data),
    SF_FIELD_MAX(Uart, tx.head, SF_U32, UART_FIFO - 1),
    SF_FIELD_MAX(Uart, tx.count, SF_U32, UART_FIFO),
    SF_FIELD(Uart, thr_interrupt, SF_BOOL),
    SF_FIELD(Uart, timeout_pending, SF_BOOL),
    SF_FIELD(Uart, last_rx_ns, SF_U64),
    SF_FIELD(Uart, rx_timer, SF_TIMER),
    SF_FIELD(Uart, tx_bytes, SF_U64),
    SF_FIELD(Uart, rx_bytes, SF_U64),
    SF_FIELD(Uart, overruns, SF_U64),
};

const DeviceDesc uart_desc = {
    .kind = "uart",
    .version = 1,
    .fields = uart_fields,
    .n_fields = sizeof uart_fields / sizeof uart_fields[0],
    .reset = uart_reset_dev,
    .post_load = uart_post_load,
    .info = uart_info,
    .teardown = uart_teardown,
};
