/* SPDX-License-Identifier: MIT */
/* Remote ports, CPU side: REP INS/OUTS on a slot with string ops reach it
 * as one call per page run (one frame for a sector), with the same memory
 * and register results as the element loop, in both directions, and never
 * touch the port when the destination would fault. */
#include "tests/unit/flow_util.h"

typedef struct BatchPort {
    uint16_t next;
    unsigned string_calls, element_calls;
    unsigned last_count;
    uint8_t written[8192];
    unsigned n_written;
} BatchPort;

static BatchPort bp;

static uint32_t bp_read(void *o, uint16_t port, unsigned size)
{
    (void)port, (void)size;
    BatchPort *b = o;
    b->element_calls++;
    return b->next++;
}

static void bp_write(void *o, uint16_t port, unsigned size, uint32_t v)
{
    (void)port;
    BatchPort *b = o;
    b->element_calls++;
    for (unsigned i = 0; i < size; i++)
        b->written[b->n_written++ % sizeof b->written] = (uint8_t)(v >> (8 * i));
}

static void bp_read_string(void *o, uint16_t port, unsigned size, void *buf, unsigned count)
{
    (void)port;
    BatchPort *b = o;
    b->string_calls++;
    b->last_count = count;
    uint8_t *p = buf;
    for (unsigned i = 0; i < count; i++, b->next++)
        for (unsigned k = 0; k < size; k++)
            p[i * size + k] = (uint8_t)(b->next >> (8 * k));
}

static void bp_write_string(void *o, uint16_t port, unsigned size, const void *buf,
                            unsigned count)
{
    (void)port;
    BatchPort *b = o;
    b->string_calls++;
    b->last_count = count;
    for (unsigned i = 0; i < count * size; i++)
        b->written[b->n_written++ % sizeof b->written] = ((const uint8_t *)buf)[i];
}

static const PortOps bp_ops = { bp_read, bp_write, true };
static const PortStringOps bp_string_ops = { bp_read_string, bp_write_string };

static void setup(void)
{
    setup_pm();
    memset(&bp, 0, sizeof bp);
    PortBus *bus = h_portbus(cpu);
    int s = portbus_add_slot(bus, "remote-test", &bp_ops, &bp);
    cr_assert(s >= 0);
    cr_assert(portbus_map(bus, s, 0x170, 8));
    portbus_set_string_ops(bus, s, &bp_string_ops);
    cpu->gpr[R_EDX] = 0x170;
}

TestSuite(remote_cpu, .init = setup, .fini = teardown);

Test(remote_cpu, rep_insw_sector_is_one_call)
{
    cpu->gpr[R_EDI] = DATA;             /* page aligned: the sector fits */
    cpu->gpr[R_ECX] = 256;
    cr_assert_eq(RUN(0xF3, 0x66, 0x6D), -1);
    cr_assert_eq(bp.string_calls, 1);
    cr_assert_eq(bp.last_count, 256);
    cr_assert_eq(bp.element_calls, 0);
    for (unsigned i = 0; i < 256; i++)
        cr_assert_eq(rd16(DATA + 2 * i), i);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 512);
    cr_assert_eq(cpu->gpr[R_ECX], 0);
}

/* A run that crosses a page goes in two calls, in order. */
Test(remote_cpu, rep_insw_split_at_the_page)
{
    cpu->gpr[R_EDI] = DATA + 0x1000 - 100;
    cpu->gpr[R_ECX] = 256;
    cr_assert_eq(RUN(0xF3, 0x66, 0x6D), -1);
    cr_assert_eq(bp.string_calls, 2);
    for (unsigned i = 0; i < 256; i++)
        cr_assert_eq(rd16(DATA + 0x1000 - 100 + 2 * i), i);
}

Test(remote_cpu, rep_insb_backwards)
{
    cpu->eflags |= FLAG_DF;
    cpu->gpr[R_EDI] = DATA + 0x800;
    cpu->gpr[R_ECX] = 10;
    cr_assert_eq(RUN(0xF3, 0x6C), -1);
    cr_assert_eq(bp.string_calls, 1);
    for (unsigned i = 0; i < 10; i++)
        cr_assert_eq(h_read8(cpu, DATA + 0x800 - i), i);
    cr_assert_eq(cpu->gpr[R_EDI], DATA + 0x800 - 10);
}

Test(remote_cpu, rep_outsw_sector_is_one_call)
{
    for (unsigned i = 0; i < 512; i++)
        h_write32(cpu, DATA + 0x2000 + i * 4, i * 0x01010101u);
    cpu->gpr[R_ESI] = DATA + 0x2000;
    cpu->gpr[R_ECX] = 256;
    cr_assert_eq(RUN(0xF3, 0x66, 0x6F), -1);
    cr_assert_eq(bp.string_calls, 1);
    cr_assert_eq(bp.n_written, 512);
    for (unsigned i = 0; i < 512; i++)
        cr_assert_eq(bp.written[i], h_read8(cpu, DATA + 0x2000 + i));
    cr_assert_eq(cpu->gpr[R_ESI], DATA + 0x2000 + 512);
}

/* The end of the run is beyond the segment limit: #GP before any port
 * access, so nothing is lost when the instruction restarts. */
Test(remote_cpu, fault_before_the_port_is_read)
{
    h_set_gdt(cpu, 9, 0, DATA + 100, SMALL_DATA);
    seg_load(cpu, SEG_ES, SEL_SMALL32);
    cpu->gpr[R_EDI] = DATA;
    cpu->gpr[R_ECX] = 256;
    cr_assert_eq(RUN(0xF3, 0x66, 0x6D), 13);
    cr_assert_eq(bp.string_calls, 0);
    cr_assert_eq(bp.next, 0, "the port was read before the fault");
}
