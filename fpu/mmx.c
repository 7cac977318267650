/* SPDX-License-Identifier: MIT */
/* The MMX instruction set of the Pentium II (0F 60-7F, D1-FE).
 *
 * MM0-MM7 are the significands of the physical x87 registers R0-R7 (not
 * relative to TOP). As on a P6, every MMX instruction but EMMS sets TOP to
 * 0 and marks all eight tags valid; an instruction that writes an MMX
 * register sets that register's sign and exponent field to all ones; the
 * other x87 state (CW, SW flags, pointers, opcode) is left alone. EMMS
 * marks every tag empty and sets TOP to 0 (measured on an AMD part, and
 * what Bochs does; the SDM mentions only the tags).
 *
 * Checks (mmx_check in fpu/mmx.h) come before the memory operand. The x87
 * state changes only after the memory access, so a page fault leaves it as
 * it was.
 *
 * The packed operations are described by a table per opcode: a lane
 * function and the lane width, or a whole-register function for the ones
 * that move data between lanes (packs, unpacks, PMADDWD). */
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "fpu/mmx.h"
#include "cpu/pickers.h"

/* --- state (fpu/mmx.h) --- */

static uint64_t read_m64(Cpu *cpu, const Insn *in)
{
    return cpu_read64(cpu, in->seg, insn_ea(cpu, in));
}

/* --- lanes --- */

/* A lane operation on zero-extended lane values of `bits` bits; the result
 * is truncated to the lane. */
typedef uint64_t (*LaneFn)(uint64_t a, uint64_t b, unsigned bits);

static int64_t sext(uint64_t v, unsigned bits)
{
    unsigned s = 64 - bits;
    return (int64_t)(v << s) >> s;
}

static uint64_t sat_signed(int64_t v, unsigned bits)
{
    int64_t max = ((int64_t)1 << (bits - 1)) - 1, min = -max - 1;
    return (uint64_t)(v > max ? max : v < min ? min : v);
}

static uint64_t sat_unsigned(int64_t v, unsigned bits)
{
    int64_t max = ((int64_t)1 << bits) - 1;
    return (uint64_t)(v > max ? max : v < 0 ? 0 : v);
}

static uint64_t lane_add(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a + b; }
static uint64_t lane_sub(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a - b; }
static uint64_t lane_adds(uint64_t a, uint64_t b, unsigned bits)
{
    return sat_signed(sext(a, bits) + sext(b, bits), bits);
}
static uint64_t lane_subs(uint64_t a, uint64_t b, unsigned bits)
{
    return sat_signed(sext(a, bits) - sext(b, bits), bits);
}
static uint64_t lane_addus(uint64_t a, uint64_t b, unsigned bits)
{
    return sat_unsigned((int64_t)(a + b), bits);
}
static uint64_t lane_subus(uint64_t a, uint64_t b, unsigned bits)
{
    return sat_unsigned((int64_t)a - (int64_t)b, bits);
}
static uint64_t lane_cmpeq(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a == b ? ~0ull : 0; }
static uint64_t lane_cmpgt(uint64_t a, uint64_t b, unsigned bits)
{
    return sext(a, bits) > sext(b, bits) ? ~0ull : 0;
}
static uint64_t lane_mullo(uint64_t a, uint64_t b, unsigned bits)
{
    return (uint64_t)(sext(a, bits) * sext(b, bits));
}
static uint64_t lane_mulhi(uint64_t a, uint64_t b, unsigned bits)
{
    return (uint64_t)(sext(a, bits) * sext(b, bits)) >> bits;
}
static uint64_t lane_and(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a & b; }
static uint64_t lane_andn(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return ~a & b; }
static uint64_t lane_or(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a | b; }
static uint64_t lane_xor(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a ^ b; }

/* Shifts: the count is the whole 64-bit source (or the immediate); counts
 * past the lane width give 0, or the sign for arithmetic shifts. */
static uint64_t lane_sll(uint64_t a, uint64_t n, unsigned bits) { return n >= bits ? 0 : a << n; }
static uint64_t lane_srl(uint64_t a, uint64_t n, unsigned bits) { return n >= bits ? 0 : a >> n; }
static uint64_t lane_sra(uint64_t a, uint64_t n, unsigned bits)
{
    return (uint64_t)(sext(a, bits) >> (n >= bits ? bits - 1 : n));
}

/* The integer additions of SSE and SSE2 (unsigned lanes come zero-extended). */
static uint64_t lane_minu(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a < b ? a : b; }
static uint64_t lane_maxu(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return a > b ? a : b; }
static uint64_t lane_mins(uint64_t a, uint64_t b, unsigned bits)
{
    return sext(a, bits) < sext(b, bits) ? a : b;
}
static uint64_t lane_maxs(uint64_t a, uint64_t b, unsigned bits)
{
    return sext(a, bits) > sext(b, bits) ? a : b;
}
static uint64_t lane_avg(uint64_t a, uint64_t b, unsigned bits) { (void)bits; return (a + b + 1) >> 1; }
static uint64_t lane_mulhu(uint64_t a, uint64_t b, unsigned bits) { return (a * b) >> bits; }
/* PMULUDQ: the low dwords of each quadword, multiplied unsigned. */
static uint64_t lane_muludq(uint64_t a, uint64_t b, unsigned bits)
{
    (void)bits;
    return (a & 0xFFFFFFFFu) * (b & 0xFFFFFFFFu);
}

static uint64_t lane_mask(unsigned bits) { return bits == 64 ? ~0ull : (1ull << bits) - 1; }

static uint64_t packed(uint64_t a, uint64_t b, unsigned bits, LaneFn fn)
{
    uint64_t m = lane_mask(bits), r = 0;
    for (unsigned i = 0; i < 64; i += bits)
        r |= (fn((a >> i) & m, (b >> i) & m, bits) & m) << i;
    return r;
}

static uint64_t shifted(uint64_t a, uint64_t count, unsigned bits, LaneFn fn)
{
    uint64_t m = lane_mask(bits), r = 0;
    for (unsigned i = 0; i < 64; i += bits)
        r |= (fn((a >> i) & m, count, bits) & m) << i;
    return r;
}

/* --- whole-register operations --- */

typedef uint64_t (*WholeFn)(uint64_t a, uint64_t b);

static uint64_t lane(uint64_t v, unsigned i, unsigned bits) { return (v >> (i * bits)) & lane_mask(bits); }

/* Pack the lanes of a (low half) and b (high half) to half the width. */
static uint64_t pack(uint64_t a, uint64_t b, unsigned bits, bool to_unsigned)
{
    unsigned n = 64 / bits, half = bits / 2;
    uint64_t r = 0;
    for (unsigned i = 0; i < 2 * n; i++) {
        int64_t v = sext(lane(i < n ? a : b, i % n, bits), bits);
        uint64_t s = to_unsigned ? sat_unsigned(v, half) : sat_signed(v, half);
        r |= (s & lane_mask(half)) << (i * half);
    }
    return r;
}
static uint64_t packsswb(uint64_t a, uint64_t b) { return pack(a, b, 16, false); }
static uint64_t packssdw(uint64_t a, uint64_t b) { return pack(a, b, 32, false); }
static uint64_t packuswb(uint64_t a, uint64_t b) { return pack(a, b, 16, true); }

/* Interleave the low (high = false) or high halves' lanes: a's first. */
static uint64_t unpack(uint64_t a, uint64_t b, unsigned bits, bool high)
{
    unsigned n = 32 / bits, from = high ? n : 0;
    uint64_t r = 0;
    for (unsigned i = 0; i < n; i++) {
        r |= lane(a, from + i, bits) << (2 * i * bits);
        r |= lane(b, from + i, bits) << ((2 * i + 1) * bits);
    }
    return r;
}
static uint64_t punpcklbw(uint64_t a, uint64_t b) { return unpack(a, b, 8, false); }
static uint64_t punpcklwd(uint64_t a, uint64_t b) { return unpack(a, b, 16, false); }
static uint64_t punpckldq(uint64_t a, uint64_t b) { return unpack(a, b, 32, false); }
static uint64_t punpckhbw(uint64_t a, uint64_t b) { return unpack(a, b, 8, true); }
static uint64_t punpckhwd(uint64_t a, uint64_t b) { return unpack(a, b, 16, true); }
static uint64_t punpckhdq(uint64_t a, uint64_t b) { return unpack(a, b, 32, true); }

/* Two dword sums of word products; 0x8000 * 0x8000 twice wraps to 0x80000000. */
static uint64_t pmaddwd(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 2; i++) {
        int64_t s = sext(lane(a, 2 * i, 16), 16) * sext(lane(b, 2 * i, 16), 16) +
                    sext(lane(a, 2 * i + 1, 16), 16) * sext(lane(b, 2 * i + 1, 16), 16);
        r |= ((uint64_t)s & 0xFFFFFFFFu) << (32 * i);
    }
    return r;
}

/* PSADBW: the sum of the eight absolute byte differences, in the low word. */
static uint64_t psadbw(uint64_t a, uint64_t b)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint64_t x = lane(a, i, 8), y = lane(b, i, 8);
        sum += x > y ? x - y : y - x;
    }
    return sum;
}

/* --- the operation table (second opcode byte) --- */

enum { MMX_LANES = 1, MMX_SHIFT, MMX_WHOLE };

typedef struct {
    uint8_t form;       /* MMX_* */
    uint8_t bits;       /* lane width */
    LaneFn lane;
    WholeFn whole;
} MmxOp;

static const MmxOp mmx_ops[256] = {
    [0x60] = { MMX_WHOLE, 0, NULL, punpcklbw }, [0x61] = { MMX_WHOLE, 0, NULL, punpcklwd },
    [0x62] = { MMX_WHOLE, 0, NULL, punpckldq }, [0x63] = { MMX_WHOLE, 0, NULL, packsswb },
    [0x64] = { MMX_LANES, 8, lane_cmpgt, NULL }, [0x65] = { MMX_LANES, 16, lane_cmpgt, NULL },
    [0x66] = { MMX_LANES, 32, lane_cmpgt, NULL }, [0x67] = { MMX_WHOLE, 0, NULL, packuswb },
    [0x68] = { MMX_WHOLE, 0, NULL, punpckhbw }, [0x69] = { MMX_WHOLE, 0, NULL, punpckhwd },
    [0x6A] = { MMX_WHOLE, 0, NULL, punpckhdq }, [0x6B] = { MMX_WHOLE, 0, NULL, packssdw },
    [0x74] = { MMX_LANES, 8, lane_cmpeq, NULL }, [0x75] = { MMX_LANES, 16, lane_cmpeq, NULL },
    [0x76] = { MMX_LANES, 32, lane_cmpeq, NULL },
    [0xD1] = { MMX_SHIFT, 16, lane_srl, NULL }, [0xD2] = { MMX_SHIFT, 32, lane_srl, NULL },
    [0xD3] = { MMX_SHIFT, 64, lane_srl, NULL }, [0xD5] = { MMX_LANES, 16, lane_mullo, NULL },
    [0xD8] = { MMX_LANES, 8, lane_subus, NULL }, [0xD9] = { MMX_LANES, 16, lane_subus, NULL },
    [0xDB] = { MMX_LANES, 64, lane_and, NULL }, [0xDC] = { MMX_LANES, 8, lane_addus, NULL },
    [0xDD] = { MMX_LANES, 16, lane_addus, NULL }, [0xDF] = { MMX_LANES, 64, lane_andn, NULL },
    [0xE1] = { MMX_SHIFT, 16, lane_sra, NULL }, [0xE2] = { MMX_SHIFT, 32, lane_sra, NULL },
    [0xE5] = { MMX_LANES, 16, lane_mulhi, NULL }, [0xE8] = { MMX_LANES, 8, lane_subs, NULL },
    [0xE9] = { MMX_LANES, 16, lane_subs, NULL }, [0xEB] = { MMX_LANES, 64, lane_or, NULL },
    [0xEC] = { MMX_LANES, 8, lane_adds, NULL }, [0xED] = { MMX_LANES, 16, lane_adds, NULL },
    [0xEF] = { MMX_LANES, 64, lane_xor, NULL },
    [0xF1] = { MMX_SHIFT, 16, lane_sll, NULL }, [0xF2] = { MMX_SHIFT, 32, lane_sll, NULL },
    [0xF3] = { MMX_SHIFT, 64, lane_sll, NULL }, [0xF5] = { MMX_WHOLE, 0, NULL, pmaddwd },
    [0xF8] = { MMX_LANES, 8, lane_sub, NULL }, [0xF9] = { MMX_LANES, 16, lane_sub, NULL },
    [0xFA] = { MMX_LANES, 32, lane_sub, NULL }, [0xFC] = { MMX_LANES, 8, lane_add, NULL },
    [0xFD] = { MMX_LANES, 16, lane_add, NULL }, [0xFE] = { MMX_LANES, 32, lane_add, NULL },
    /* SSE (Pentium III), then SSE2 (Pentium 4): the opcode table's isa
     * column keeps them from older models */
    [0xDA] = { MMX_LANES, 8, lane_minu, NULL }, [0xDE] = { MMX_LANES, 8, lane_maxu, NULL },
    [0xE0] = { MMX_LANES, 8, lane_avg, NULL }, [0xE3] = { MMX_LANES, 16, lane_avg, NULL },
    [0xE4] = { MMX_LANES, 16, lane_mulhu, NULL },
    [0xEA] = { MMX_LANES, 16, lane_mins, NULL }, [0xEE] = { MMX_LANES, 16, lane_maxs, NULL },
    [0xF6] = { MMX_WHOLE, 0, NULL, psadbw },
    [0xD4] = { MMX_LANES, 64, lane_add, NULL }, [0xFB] = { MMX_LANES, 64, lane_sub, NULL },
    [0xF4] = { MMX_LANES, 64, lane_muludq, NULL },
};

bool mmx_op_known(unsigned op) { return op < 256 && mmx_ops[op].form; }

static uint64_t mmx_apply(const MmxOp *op, uint64_t a, uint64_t b)
{
    switch (op->form) {
    case MMX_LANES: return packed(a, b, op->bits, op->lane);
    case MMX_SHIFT: return shifted(a, b, op->bits, op->lane);
    default: return op->whole(a, b);
    }
}

uint64_t mmx_op_64(unsigned op, uint64_t a, uint64_t b) { return mmx_apply(&mmx_ops[op], a, b); }

/* The 128-bit forms: lane and shift operations work on each half (a shift
 * count is the source's low quadword); packs take the destination's lanes
 * to the low half and the source's to the high half; unpacks interleave
 * the low (or high) quadwords of both. */
void mmx_op_128(unsigned op, const uint64_t a[2], const uint64_t b[2], uint64_t r[2])
{
    const MmxOp *m = &mmx_ops[op];
    uint64_t lo, hi;
    switch (m->form) {
    case MMX_LANES:
        lo = packed(a[0], b[0], m->bits, m->lane);
        hi = packed(a[1], b[1], m->bits, m->lane);
        break;
    case MMX_SHIFT:
        lo = shifted(a[0], b[0], m->bits, m->lane);
        hi = shifted(a[1], b[0], m->bits, m->lane);
        break;
    default:
        if (m->whole == packsswb || m->whole == packssdw || m->whole == packuswb) {
            lo = m->whole(a[0], a[1]);
            hi = m->whole(b[0], b[1]);
        } else if (m->whole == pmaddwd || m->whole == psadbw) {
            lo = m->whole(a[0], b[0]);
            hi = m->whole(a[1], b[1]);
        } else {
            /* unpacks (60-62 low, 68-6A high): the MMX form interleaves
             * the low dwords of its operands, the high one their high
             * dwords, so the 128-bit form runs both on one quadword. */
            static const WholeFn pairs[3][2] = {
                { punpcklbw, punpckhbw }, { punpcklwd, punpckhwd }, { punpckldq, punpckhdq },
            };
            unsigned k = op & 3, half = op >= 0x68;
            lo = pairs[k][0](a[half], b[half]);
            hi = pairs[k][1](a[half], b[half]);
        }
        break;
    }
    r[0] = lo;
    r[1] = hi;
}

uint64_t mmx_shift_imm(uint64_t v, unsigned count, unsigned width, unsigned kind)
{
    static const LaneFn kinds[8] = { [2] = lane_srl, [4] = lane_sra, [6] = lane_sll };
    return shifted(v, count, width, kinds[kind]);
}

/* --- handlers --- */

/* MM(reg) = MM(reg) op MM(rm) */
static const Insn *op_mmx_binary_reg(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    mm_set(f, in->reg, mmx_apply(&mmx_ops[in->opcode & 0xFF], mm_get(f, in->reg), mm_get(f, in->rm)));
    return insn_next(cpu, in);
}

/* MM(reg) = MM(reg) op m64 */
static const Insn *op_mmx_binary_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint64_t src = read_m64(cpu, in);
    mmx_touch(f);
    mm_set(f, in->reg, mmx_apply(&mmx_ops[in->opcode & 0xFF], mm_get(f, in->reg), src));
    return insn_next(cpu, in);
}

/* 0F 71/72/73 /2 /4 /6 ib: shifts of MM(rm) by an immediate. */
static const Insn *op_mmx_shift_imm(Cpu *cpu, const Insn *in)
{
    static const LaneFn kinds[8] = { [2] = lane_srl, [4] = lane_sra, [6] = lane_sll };
    static const uint8_t widths[3] = { 16, 32, 64 };
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    unsigned bits = widths[(in->opcode & 0xFF) - 0x71];
    mm_set(f, in->rm, shifted(mm_get(f, in->rm), in->imm & 0xFF, bits, kinds[in->reg]));
    return insn_next(cpu, in);
}

/* 0F 6E: MOVD mm, r/m32 (zero-extended) */
static const Insn *op_movd_mm_r32(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    mm_set(f, in->reg, cpu->gpr[in->rm]);
    return insn_next(cpu, in);
}

static const Insn *op_movd_mm_m32(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint32_t v = cpu_read32(cpu, in->seg, insn_ea(cpu, in));
    mmx_touch(f);
    mm_set(f, in->reg, v);
    return insn_next(cpu, in);
}

/* 0F 7E: MOVD r/m32, mm */
static const Insn *op_movd_r32_mm(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    cpu->gpr[in->rm] = (uint32_t)mm_get(f, in->reg);
    return insn_next(cpu, in);
}

static const Insn *op_movd_m32_mm(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    cpu_write32(cpu, in->seg, insn_ea(cpu, in), (uint32_t)mm_get(f, in->reg));
    mmx_touch(f);
    return insn_next(cpu, in);
}

/* 0F 6F: MOVQ mm, mm/m64; 0F 7F: MOVQ mm/m64, mm */
static const Insn *op_movq_load_reg(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    mm_set(f, in->reg, mm_get(f, in->rm));
    return insn_next(cpu, in);
}

static const Insn *op_movq_load_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    uint64_t v = read_m64(cpu, in);
    mmx_touch(f);
    mm_set(f, in->reg, v);
    return insn_next(cpu, in);
}

static const Insn *op_movq_store_reg(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    mmx_touch(f);
    mm_set(f, in->rm, mm_get(f, in->reg));
    return insn_next(cpu, in);
}

static const Insn *op_movq_store_mem(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    cpu_write64(cpu, in->seg, insn_ea(cpu, in), mm_get(f, in->reg));
    mmx_touch(f);
    return insn_next(cpu, in);
}

/* 0F 77: EMMS */
static const Insn *op_emms(Cpu *cpu, const Insn *in)
{
    FpuState *f = mmx_check(cpu);
    f->tw = 0xFFFF;
    f->sw &= (uint16_t)~(7u << FSW_TOP_SHIFT);
    return insn_next(cpu, in);
}

/* --- picking --- */

InsnFn pick_mmx_binary(const DecodeCtx *d)
{
    return d->mem ? op_mmx_binary_mem : op_mmx_binary_reg;
}

/* Group 12/13/14: /2 PSRL, /4 PSRA (not for quadwords), /6 PSLL; register
 * operands only. */
InsnFn pick_mmx_shift_imm(const DecodeCtx *d)
{
    bool ok = d->reg == 2 || d->reg == 6 || (d->reg == 4 && d->opcode != 0x173);
    return ok && !d->mem ? op_mmx_shift_imm : NULL;
}

InsnFn pick_movd_load(const DecodeCtx *d) { return d->mem ? op_movd_mm_m32 : op_movd_mm_r32; }
InsnFn pick_movd_store(const DecodeCtx *d) { return d->mem ? op_movd_m32_mm : op_movd_r32_mm; }
InsnFn pick_movq_load(const DecodeCtx *d) { return d->mem ? op_movq_load_mem : op_movq_load_reg; }
InsnFn pick_movq_store(const DecodeCtx *d) { return d->mem ? op_movq_store_mem : op_movq_store_reg; }
InsnFn pick_emms(const DecodeCtx *d) { (void)d; return op_emms; }
