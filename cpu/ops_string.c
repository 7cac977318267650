/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP, REPE
 * and REPNE.
 *
 * Registers are updated after every element, so a fault in the middle of
 * a REP leaves ECX/ESI/EDI describing exactly the work left and the
 * instruction restarts there. A REP runs at most REP_CHUNK elements per
 * call and then returns to the loop with EIP still on the instruction, so
 * interrupts are taken in the middle of long strings as on real hardware.
 * REP MOVS and REP STOS copy whole page-sized runs through host pointers
 * when the TLB has both pages. */
#include <string.h>

#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "iodev/portbus.h"

#define REP_CHUNK 4096u

enum { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

static unsigned str_kind(uint16_t opcode)
{
    switch (opcode) {
    case 0xA4: case 0xA5: return STR_MOVS;
    case 0xA6: case 0xA7: return STR_CMPS;
    case 0xAA: case 0xAB: return STR_STOS;
    case 0xAC: case 0xAD: return STR_LODS;
    case 0xAE: case 0xAF: return STR_SCAS;
    case 0x6C: case 0x6D: return STR_INS;
    default: return STR_OUTS;
    }
}

static unsigned elem_size(const Insn *in)
{
    if (!(in->opcode & 1))
        return 1;
    return (in->flags & INSN_OP32) ? 4 : 2;
}

/* Index registers by address size. */
static uint32_t idx_get(const Cpu *cpu, const Insn *in, unsigned r)
{
    return (in->flags & INSN_ADDR32) ? cpu->gpr[r] : cpu->gpr[r] & 0xFFFF;
}

static void idx_add(Cpu *cpu, const Insn *in, unsigned r, int32_t delta)
{
    if (in->flags & INSN_ADDR32)
        cpu->gpr[r] += (uint32_t)delta;
    else
        reg16_set(cpu, r, (uint16_t)(cpu->gpr[r] + (uint32_t)delta));
}

static uint32_t mem_read(Cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    return size == 1 ? cpu_read8(cpu, seg, off) : size == 2 ? cpu_read16(cpu, seg, off)
                                                             : cpu_read32(cpu, seg, off);
}

static void mem_write(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, uint32_t v)
{
    if (size == 1)
        cpu_write8(cpu, seg, off, (uint8_t)v);
    else if (size == 2)
        cpu_write16(cpu, seg, off, (uint16_t)v);
    else
        cpu_write32(cpu, seg, off, v);
}

static uint32_t acc_get(const Cpu *cpu, unsigned size)
{
    return size == 1 ? cpu->gpr[R_EAX] & 0xFF : size == 2 ? cpu->gpr[R_EAX] & 0xFFFF
                                                           : cpu->gpr[R_EAX];
}

static void acc_set(Cpu *cpu, unsigned size, uint32_t v)
{
    if (size == 1)
        reg8_set(cpu, R_EAX, (uint8_t)v);
    else if (size == 2)
        reg16_set(cpu, R_EAX, (uint16_t)v);
    else
        cpu->gpr[R_EAX] = v;
}

static uint32_t width_flag(unsigned size)
{
    return size == 1 ? LF_W8 : size == 2 ? LF_W16 : LF_W32;
}

/* One element of the operation. Returns the comparison result for
 * CMPS/SCAS (whether ZF ends up set), true otherwise. */
static bool string_step(Cpu *cpu, const Insn *in, unsigned kind, unsigned size, int32_t delta)
{
    uint32_t si = idx_get(cpu, in, R_ESI), di = idx_get(cpu, in, R_EDI);
    uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    switch (kind) {
    case STR_MOVS:
        mem_write(cpu, SEG_ES, di, size, mem_read(cpu, in->seg, si, size));
        idx_add(cpu, in, R_ESI, delta);
        idx_add(cpu, in, R_EDI, delta);
        return true;
    case STR_STOS:
        mem_write(cpu, SEG_ES, di, size, acc_get(cpu, size));
        idx_add(cpu, in, R_EDI, delta);
        return true;
    case STR_LODS:
        acc_set(cpu, size, mem_read(cpu, in->seg, si, size));
        idx_add(cpu, in, R_ESI, delta);
        return true;
    case STR_CMPS: {
        uint32_t a = mem_read(cpu, in->seg, si, size), b = mem_read(cpu, SEG_ES, di, size);
        idx_add(cpu, in, R_ESI, delta);
        idx_add(cpu, in, R_EDI, delta);
        flags_lazy(cpu, LF_SUB | width_flag(size), a, b, (a - b) & mask);
        return a == b;
    }
    case STR_SCAS: {
        uint32_t a = acc_get(cpu, size), b = mem_read(cpu, SEG_ES, di, size);
        idx_add(cpu, in, R_EDI, delta);
        flags_lazy(cpu, LF_SUB | width_flag(size), a, b, (a - b) & mask);
        return a == b;
    }
    case STR_INS: {
        uint16_t port = (uint16_t)cpu->gpr[R_EDX];
        /* The store must be possible before the port is read: a read has
         * side effects and cannot be repeated after a fault. */
        cpu_check_access(cpu, SEG_ES, di, size, true, true);
        mem_write(cpu, SEG_ES, di, size, portbus_read(cpu->io, port, size));
        idx_add(cpu, in, R_EDI, delta);
        return true;
    }
    default: {
        uint16_t port = (uint16_t)cpu->gpr[R_EDX];
        portbus_write(cpu->io, port, size, mem_read(cpu, in->seg, si, size));
        idx_add(cpu, in, R_ESI, delta);
        return true;
    }
    }
}

static uint32_t count_get(const Cpu *cpu, const Insn *in)
{
    return (in->flags & INSN_ADDR32) ? cpu->gpr[R_ECX] : cpu->gpr[R_ECX] & 0xFFFF;
}

static void count_set(Cpu *cpu, const Insn *in, uint32_t v)
{
    if (in->flags & INSN_ADDR32)
        cpu->gpr[R_ECX] = v;
    else
        reg16_set(cpu, R_ECX, (uint16_t)v);
}

/* Bytes that can be moved before an index leaves its page or (16-bit
 * addressing) wraps: the span of a host-pointer run. */
static uint32_t run_room(const Cpu *cpu, const Insn *in, unsigned seg, uint32_t off)
{
    uint32_t lin = cpu->seg[seg].base + off;
    uint32_t room = 0x1000u - (lin & 0xFFFu);
    if (!(in->flags & INSN_ADDR32) && 0x10000u - off < room)
        room = 0x10000u - off;
    return room;
}

/* REP MOVS / REP STOS forward (DF = 0) through host pointers: up to one
 * page at a time. Returns the elements done (0 when the fast path cannot
 * be used right now; the element loop then runs and fills the TLB). */
static uint32_t fast_forward_run(Cpu *cpu, const Insn *in, unsigned kind, unsigned size,
                                 uint32_t count)
{
    uint32_t di = idx_get(cpu, in, R_EDI);
    uint32_t room = run_room(cpu, in, SEG_ES, di);
    uint32_t si = 0;
    if (kind == STR_MOVS) {
        si = idx_get(cpu, in, R_ESI);
        uint32_t r2 = run_room(cpu, in, in->seg, si);
        if (r2 < room)
            room = r2;
    }
    uint32_t n = room / size;
    if (n > count)
        n = count;
    if (n < 2)
        return 0;
    uint32_t bytes = n * size;
    uint8_t *dst = cpu_fast_ptr(&cpu->seg[SEG_ES], cpu->tlb_write, di, bytes, SEG_ACC_WRITE);
    if (!dst)
        return 0;
    if (kind == STR_MOVS) {
        const uint8_t *src = cpu_fast_ptr(&cpu->seg[in->seg], cpu->tlb_read, si, bytes,
                                          SEG_ACC_READ);
        if (!src)
            return 0;
        if (dst > src && dst < src + bytes) {
            /* Overlap with the destination ahead: element order matters
             * (a byte MOVS one apart replicates a pattern). */
            for (uint32_t i = 0; i < bytes; i++)
                dst[i] = src[i];
        } else {
            memmove(dst, src, bytes);
        }
        idx_add(cpu, in, R_ESI, (int32_t)bytes);
    } else {
        uint32_t v = acc_get(cpu, size);
        if (size == 1) {
            memset(dst, (int)v, bytes);
        } else {
            for (uint32_t i = 0; i < bytes; i += size)
                memcpy(dst + i, &v, size);
        }
    }
    idx_add(cpu, in, R_EDI, (int32_t)bytes);
    return n;
}

static const Insn *op_string(Cpu *cpu, const Insn *in)
{
    unsigned kind = str_kind(in->opcode), size = elem_size(in);
    int32_t delta = (cpu->eflags & FLAG_DF) ? -(int32_t)size : (int32_t)size;
    if (kind == STR_INS || kind == STR_OUTS)
        cpu_io_permit(cpu, (uint16_t)cpu->gpr[R_EDX], size);
    if (!(in->flags & (INSN_REP | INSN_REPNE))) {
        string_step(cpu, in, kind, size, delta);
        return insn_next(cpu, in);
    }
    uint32_t count = count_get(cpu, in);
    if (count == 0)
        return insn_next(cpu, in);
    bool compares = kind == STR_CMPS || kind == STR_SCAS;
    bool want_equal = in->flags & INSN_REP;   /* REPE; REPNE stops on equal */
    uint32_t budget = REP_CHUNK;
    while (count && budget) {
        if (!compares && delta > 0 && (kind == STR_MOVS || kind == STR_STOS)) {
            uint32_t n = fast_forward_run(cpu, in, kind, size, count);
            if (n) {
                count -= n;
                count_set(cpu, in, count);
                budget = budget > n ? budget - n : 0;
                continue;
            }
        }
        bool equal = string_step(cpu, in, kind, size, delta);
        count--;
        count_set(cpu, in, count);
        budget--;
        if (compares && equal != want_equal)
            return insn_next(cpu, in);
    }
    if (count == 0)
        return insn_next(cpu, in);
    /* More to do: come back to this instruction after the loop has had a
     * look at interrupts. */
    return insn_leave_block(cpu, in);
}

static InsnFn pick_string(const DecodeCtx *d)
{
    (void)d;
    return op_string;
}

void ops_string_register(void)
{
    for (unsigned op = 0xA4; op <= 0xAF; op++)
        if (op != 0xA8 && op != 0xA9)
            insn_pickers[op] = pick_string;
    for (unsigned op = 0x6C; op <= 0x6F; op++)
        insn_pickers[op] = pick_string;
}
