/* SPDX-License-Identifier: MIT */
/* The instruction decoder.
 *
 * The shape of every opcode (which bytes follow it) lives in one table
 * here; what an opcode means, in the opcode table (cpu/opcode_table.c),
 * which names each opcode's family and picker. */
#include "cpu/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

InsnPicker insn_pickers[OPCODE_SPACE];

#define M DA_MODRM
#define I8 DA_IMM8
#define IV DA_IMMV
#define E DA_END
#define L DA_LOCK
#define P DA_PREFIX

/* One-byte opcodes 00-FF, then 0F 00 - 0F FF, 0F 38 xx and 0F 3A xx. */
const uint16_t decode_attrs[OPCODE_SPACE] = {
    /* ALU block: op r/m,r  op r,r/m  op AL,ib  op eAX,iv */
    [0x00] = M | L, [0x01] = M | L, [0x02] = M, [0x03] = M, [0x04] = I8, [0x05] = IV,
    [0x08] = M | L, [0x09] = M | L, [0x0A] = M, [0x0B] = M, [0x0C] = I8, [0x0D] = IV,
    [0x10] = M | L, [0x11] = M | L, [0x12] = M, [0x13] = M, [0x14] = I8, [0x15] = IV,
    [0x18] = M | L, [0x19] = M | L, [0x1A] = M, [0x1B] = M, [0x1C] = I8, [0x1D] = IV,
    [0x20] = M | L, [0x21] = M | L, [0x22] = M, [0x23] = M, [0x24] = I8, [0x25] = IV,
    [0x28] = M | L, [0x29] = M | L, [0x2A] = M, [0x2B] = M, [0x2C] = I8, [0x2D] = IV,
    [0x30] = M | L, [0x31] = M | L, [0x32] = M, [0x33] = M, [0x34] = I8, [0x35] = IV,
    [0x38] = M, [0x39] = M, [0x3A] = M, [0x3B] = M, [0x3C] = I8, [0x3D] = IV,
    [0x06] = 0, [0x07] = 0, [0x0E] = 0, [0x16] = 0, [0x17] = E, [0x1E] = 0, [0x1F] = 0,
    [0x26] = P, [0x2E] = P, [0x36] = P, [0x3E] = P,
    [0x27] = 0, [0x2F] = 0, [0x37] = 0, [0x3F] = 0,
    [0x62] = M, [0x63] = M,
    [0x64] = P, [0x65] = P, [0x66] = P, [0x67] = P,
    [0x68] = IV, [0x69] = M | IV, [0x6A] = I8 | DA_SIGNX8, [0x6B] = M | I8 | DA_SIGNX8,
    /* Conditional branches do not end a block: not taken, the block goes
     * on; taken, the handler leaves it (insn_leave_block). */
    [0x70] = DA_REL8, [0x71] = DA_REL8, [0x72] = DA_REL8, [0x73] = DA_REL8,
    [0x74] = DA_REL8, [0x75] = DA_REL8, [0x76] = DA_REL8, [0x77] = DA_REL8,
    [0x78] = DA_REL8, [0x79] = DA_REL8, [0x7A] = DA_REL8, [0x7B] = DA_REL8,
    [0x7C] = DA_REL8, [0x7D] = DA_REL8, [0x7E] = DA_REL8, [0x7F] = DA_REL8,
    [0x80] = M | I8 | L, [0x81] = M | IV | L, [0x82] = M | I8 | L, [0x83] = M | I8 | DA_SIGNX8 | L,
    [0x84] = M, [0x85] = M, [0x86] = M | L, [0x87] = M | L,
    [0x88] = M, [0x89] = M, [0x8A] = M, [0x8B] = M, [0x8C] = M, [0x8D] = M, [0x8E] = M | E,
    [0x8F] = M,
    [0x9A] = DA_FARPTR | E, [0x9D] = E,
    [0xA0] = DA_MOFFS, [0xA1] = DA_MOFFS, [0xA2] = DA_MOFFS, [0xA3] = DA_MOFFS,
    [0xA8] = I8, [0xA9] = IV,
    [0xB0] = I8, [0xB1] = I8, [0xB2] = I8, [0xB3] = I8,
    [0xB4] = I8, [0xB5] = I8, [0xB6] = I8, [0xB7] = I8,
    [0xB8] = IV, [0xB9] = IV, [0xBA] = IV, [0xBB] = IV,
    [0xBC] = IV, [0xBD] = IV, [0xBE] = IV, [0xBF] = IV,
    [0xC0] = M | I8, [0xC1] = M | I8, [0xC2] = DA_IMM16 | E, [0xC3] = E,
    [0xC4] = M, [0xC5] = M, [0xC6] = M | I8, [0xC7] = M | IV,
    [0xC8] = DA_ENTER, [0xCA] = DA_IMM16 | E, [0xCB] = E, [0xCC] = E, [0xCD] = I8 | E,
    [0xCE] = E, [0xCF] = E,
    [0xD0] = M, [0xD1] = M, [0xD2] = M, [0xD3] = M, [0xD4] = I8, [0xD5] = I8,
    [0xD8] = M, [0xD9] = M, [0xDA] = M, [0xDB] = M, [0xDC] = M, [0xDD] = M, [0xDE] = M, [0xDF] = M,
    [0xE0] = DA_REL8, [0xE1] = DA_REL8, [0xE2] = DA_REL8, [0xE3] = DA_REL8,
    /* Port I/O ends a block: a device may raise or drop an interrupt line,
     * and the CPU must look at it after this instruction, not at whatever
     * instruction the block happens to end with. That makes the point
     * where an interrupt is taken a function of the instruction stream
     * alone, so a run resumed from a snapshot (whose blocks start
     * elsewhere) takes it at the same instruction count. */
    [0xE4] = I8 | E, [0xE5] = I8 | E, [0xE6] = I8 | E, [0xE7] = I8 | E,
    [0xEC] = E, [0xED] = E, [0xEE] = E, [0xEF] = E,
    [0x6C] = E, [0x6D] = E, [0x6E] = E, [0x6F] = E,
    [0xE8] = DA_RELV | E, [0xE9] = DA_RELV | E, [0xEA] = DA_FARPTR | E, [0xEB] = DA_REL8 | E,
    [0xF0] = P, [0xF1] = E, [0xF2] = P, [0xF3] = P, [0xF4] = E,
    [0xF6] = M | I8 | DA_GRP3 | L, [0xF7] = M | IV | DA_GRP3 | L,
    [0xFB] = E, [0xFE] = M | L, [0xFF] = M | L,

    /* 0F xx */
    [0x100] = M, [0x101] = M | E, [0x102] = M, [0x103] = M, [0x105] = E, [0x106] = E,
    [0x107] = E,
    [0x108] = E, [0x109] = E, [0x10B] = E,
    [0x118] = M, [0x119] = M, [0x11A] = M, [0x11B] = M, [0x11C] = M, [0x11D] = M,
    [0x11E] = M, [0x11F] = M,
    [0x120] = M, [0x121] = M, [0x122] = M | E, [0x123] = M | E,
    [0x130] = E, [0x134] = E, [0x135] = E,
    [0x140] = M, [0x141] = M, [0x142] = M, [0x143] = M, [0x144] = M, [0x145] = M,
    [0x146] = M, [0x147] = M, [0x148] = M, [0x149] = M, [0x14A] = M, [0x14B] = M,
    [0x14C] = M, [0x14D] = M, [0x14E] = M, [0x14F] = M,
    /* MMX */
    [0x160] = M, [0x161] = M, [0x162] = M, [0x163] = M, [0x164] = M, [0x165] = M,
    [0x166] = M, [0x167] = M, [0x168] = M, [0x169] = M, [0x16A] = M, [0x16B] = M,
    [0x16E] = M, [0x16F] = M, [0x171] = M | I8, [0x172] = M | I8, [0x173] = M | I8,
    [0x174] = M, [0x175] = M, [0x176] = M, [0x177] = 0, [0x17E] = M, [0x17F] = M,
    [0x180] = DA_RELV, [0x181] = DA_RELV, [0x182] = DA_RELV, [0x183] = DA_RELV,
    [0x184] = DA_RELV, [0x185] = DA_RELV, [0x186] = DA_RELV, [0x187] = DA_RELV,
    [0x188] = DA_RELV, [0x189] = DA_RELV, [0x18A] = DA_RELV, [0x18B] = DA_RELV,
    [0x18C] = DA_RELV, [0x18D] = DA_RELV, [0x18E] = DA_RELV, [0x18F] = DA_RELV,
    [0x190] = M, [0x191] = M, [0x192] = M, [0x193] = M, [0x194] = M, [0x195] = M,
    [0x196] = M, [0x197] = M, [0x198] = M, [0x199] = M, [0x19A] = M, [0x19B] = M,
    [0x19C] = M, [0x19D] = M, [0x19E] = M, [0x19F] = M,
    [0x1A1] = 0, [0x1A2] = E, [0x1A3] = M, [0x1A4] = M | I8, [0x1A5] = M,
    [0x1A9] = 0, [0x1AA] = E, [0x1AB] = M | L, [0x1AC] = M | I8, [0x1AD] = M, [0x1AE] = M,
    [0x1AF] = M,
    [0x1B0] = M | L, [0x1B1] = M | L, [0x1B2] = M, [0x1B3] = M | L, [0x1B4] = M, [0x1B5] = M,
    [0x1B6] = M, [0x1B7] = M, [0x1BA] = M | I8 | L, [0x1BB] = M | L, [0x1BC] = M, [0x1BD] = M,
    [0x1BE] = M, [0x1BF] = M,
    [0x1C0] = M | L, [0x1C1] = M | L, [0x1C7] = M | L,
    [0x1D1] = M, [0x1D2] = M, [0x1D3] = M, [0x1D5] = M, [0x1D8] = M, [0x1D9] = M,
    [0x1DB] = M, [0x1DC] = M, [0x1DD] = M, [0x1DF] = M,
    [0x1E1] = M, [0x1E2] = M, [0x1E5] = M, [0x1E8] = M, [0x1E9] = M, [0x1EB] = M,
    [0x1EC] = M, [0x1ED] = M, [0x1EF] = M,
    [0x1F1] = M, [0x1F2] = M, [0x1F3] = M, [0x1F5] = M, [0x1F8] = M, [0x1F9] = M,
    [0x1FA] = M, [0x1FB] = M, [0x1FC] = M, [0x1FD] = M, [0x1FE] = M,
    /* SSE, SSE2, SSE3 (the MMX rows above serve their 66 forms too) */
    [0x110] = M, [0x111] = M, [0x112] = M, [0x113] = M, [0x114] = M, [0x115] = M,
    [0x116] = M, [0x117] = M,
    [0x128] = M, [0x129] = M, [0x12A] = M, [0x12B] = M, [0x12C] = M, [0x12D] = M,
    [0x12E] = M, [0x12F] = M,
    [0x150] = M, [0x151] = M, [0x152] = M, [0x153] = M, [0x154] = M, [0x155] = M,
    [0x156] = M, [0x157] = M, [0x158] = M, [0x159] = M, [0x15A] = M, [0x15B] = M,
    [0x15C] = M, [0x15D] = M, [0x15E] = M, [0x15F] = M,
    [0x16C] = M, [0x16D] = M, [0x170] = M | I8, [0x17C] = M, [0x17D] = M,
    [0x1C2] = M | I8, [0x1C3] = M, [0x1C4] = M | I8, [0x1C5] = M | I8, [0x1C6] = M | I8,
    [0x1D0] = M, [0x1D4] = M, [0x1D6] = M, [0x1D7] = M, [0x1DA] = M, [0x1DE] = M,
    [0x1E0] = M, [0x1E3] = M, [0x1E4] = M, [0x1E6] = M, [0x1E7] = M, [0x1EA] = M, [0x1EE] = M,
    [0x1F0] = M, [0x1F4] = M, [0x1F6] = M, [0x1F7] = M,
    /* 0F 38 and 0F 3A: every opcode has a ModRM, 3A an imm8 as well; no
     * opcode is assigned on these models, so they are #UD for now. */
#define ROW16(b, v) [b + 0] = v, [b + 1] = v, [b + 2] = v, [b + 3] = v, [b + 4] = v, \
    [b + 5] = v, [b + 6] = v, [b + 7] = v, [b + 8] = v, [b + 9] = v, [b + 10] = v, \
    [b + 11] = v, [b + 12] = v, [b + 13] = v, [b + 14] = v, [b + 15] = v
#define MAP256(b, v) ROW16(b, v), ROW16(b + 0x10, v), ROW16(b + 0x20, v), ROW16(b + 0x30, v), \
    ROW16(b + 0x40, v), ROW16(b + 0x50, v), ROW16(b + 0x60, v), ROW16(b + 0x70, v),       \
    ROW16(b + 0x80, v), ROW16(b + 0x90, v), ROW16(b + 0xA0, v), ROW16(b + 0xB0, v),       \
    ROW16(b + 0xC0, v), ROW16(b + 0xD0, v), ROW16(b + 0xE0, v), ROW16(b + 0xF0, v)
    MAP256(0x200, M), MAP256(0x300, M | I8),
#undef MAP256
#undef ROW16
};

#undef M
#undef I8
#undef IV
#undef E
#undef L
#undef P

/* Which group members may take LOCK (reg field), for group opcodes. */
static bool lock_allowed(unsigned op, unsigned reg)
{
    switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83:
        return reg != 7;                 /* not CMP */
    case 0xF6: case 0xF7:
        return reg == 2 || reg == 3;     /* NOT, NEG */
    case 0xFE: case 0xFF:
        return reg <= 1;                 /* INC, DEC */
    case 0x1BA:
        return reg >= 5;                 /* BTS, BTR, BTC */
    case 0x1C7:
        return reg == 1;                 /* CMPXCHG8B */
    default:
        return true;
    }
}

static const Insn *insn_lock_ud(Cpu *cpu, const Insn *in)
{
    (void)in;
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

const Insn *insn_undefined(Cpu *cpu, const Insn *in)
{
    cpu_log_once(cpu, "undefined opcode", in->opcode);
    cpu_fault(cpu, EXC_UD, NO_ERRCODE);
}

static const Insn *insn_too_long(Cpu *cpu, const Insn *in)
{
    (void)in;
    cpu_fault(cpu, EXC_GP, 0);
}

/* Filled from the opcode table by decode_init: the picker of each
 * opcode's PFX_ANY row (or pick_by_prefix when it has prefixed rows), the
 * extension that row needs, and the rows by mandatory prefix. */
static uint32_t op_isa[OPCODE_SPACE];
static const OpcodeRow *any_row[OPCODE_SPACE];
static const OpcodeRow *prefixed_row[OPCODE_SPACE][4];
static bool has_members[OPCODE_SPACE];

/* The extensions the opcode's group member needs (opcode_members). */
static uint32_t member_isa(unsigned op, unsigned reg, bool mem)
{
    uint32_t need = 0;
    for (size_t i = 0; i < opcode_members_len; i++) {
        const OpcodeMember *m = &opcode_members[i];
        if (m->opcode == op && reg >= m->reg_first && reg <= m->reg_last &&
            m->form != (mem ? FORM_REG : FORM_MEM))
            need |= m->isa;
    }
    return need;
}

/* An opcode with mandatory-prefix rows (opcode_table.h PFX_ANY): the row
 * of this prefix if the model has its extension; else the PFX_ANY row,
 * except for an opcode whose unprefixed form is the prefixed row itself
 * (an SSE opcode with no older meaning), which is #UD. */
static InsnFn pick_by_prefix(const DecodeCtx *d)
{
    const OpcodeRow *f = prefixed_row[d->opcode][d->mprefix & 3];
    if (f && (d->isa & f->isa))
        return f->pick(d);
    if (f && d->mprefix == PFX_NONE)
        return NULL;
    const OpcodeRow *any = any_row[d->opcode];
    return any ? any->pick(d) : NULL;
}

void decode_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    char msg[160];
    if (opcode_table_check(msg, sizeof msg)) {
        fprintf(stderr, "kairo: %s\n", msg);   /* a build that must not ship */
        abort();
    }
    for (size_t i = 0; i < opcode_table_len; i++) {
        const OpcodeRow *row = &opcode_table[i];
        if (row->prefix == PFX_ANY) {
            any_row[row->opcode] = row;
            op_isa[row->opcode] = row->isa;
            insn_pickers[row->opcode] = row->pick;
        } else {
            prefixed_row[row->opcode][row->prefix] = row;
        }
    }
    for (size_t i = 0; i < opcode_members_len; i++)
        has_members[opcode_members[i].opcode] = true;
    for (unsigned op = 0; op < OPCODE_SPACE; op++)
        for (unsigned pfx = PFX_NONE; pfx <= PFX_F2; pfx++)
            if (prefixed_row[op][pfx])
                insn_pickers[op] = pick_by_prefix;
}

uint32_t decode_op_isa(unsigned op)
{
    return op < OPCODE_SPACE ? op_isa[op] : 0;
}

const OpcodeRow *decode_row(unsigned op, unsigned prefix)
{
    if (op >= OPCODE_SPACE || prefix > PFX_ANY)
        return NULL;
    return prefix == PFX_ANY ? any_row[op] : prefixed_row[op][prefix];
}

/* A byte reader over the available window. */
typedef struct {
    const uint8_t *p;
    unsigned pos, avail;
    bool short_read;
} ByteReader;

static inline uint32_t rd8(ByteReader *r)
{
    if (r->pos >= r->avail) {
        r->short_read = true;
        return 0;
    }
    return r->p[r->pos++];
}
static inline uint32_t rd16(ByteReader *r)
{
    uint32_t lo = rd8(r);
    return lo | (rd8(r) << 8);
}
static inline uint32_t rd32(ByteReader *r)
{
    uint32_t lo = rd16(r);
    return lo | (rd16(r) << 16);
}

/* 16-bit ModRM addressing: base and index registers per rm. */
static const uint8_t ea16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
static const uint8_t ea16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, REG_NONE, REG_NONE,
                                       REG_NONE, REG_NONE };

static void decode_modrm16(ByteReader *r, unsigned mod, unsigned rm, Insn *in, bool *ss_default)
{
    if (mod == 0 && rm == 6) {
        in->base = REG_NONE;
        in->index = REG_NONE;
        in->disp = rd16(r);
        return;
    }
    in->base = ea16_base[rm];
    in->index = ea16_index[rm];
    *ss_default = (rm == 2 || rm == 3 || rm == 6);
    if (mod == 1)
        in->disp = (uint32_t)(int32_t)(int8_t)rd8(r);
    else if (mod == 2)
        in->disp = rd16(r);
    else
        in->disp = 0;
}

static void decode_modrm32(ByteReader *r, unsigned mod, unsigned rm, Insn *in, bool *ss_default)
{
    in->index = REG_NONE;
    in->scale = 0;
    if (rm == 4) {
        uint32_t sib = rd8(r);
        unsigned base = sib & 7, index = (sib >> 3) & 7;
        in->scale = (uint8_t)(sib >> 6);
        in->index = index == 4 ? REG_NONE : (uint8_t)index;
        if (base == 5 && mod == 0) {
            in->base = REG_NONE;
            in->disp = rd32(r);
            return;
        }
        in->base = (uint8_t)base;
        *ss_default = (base == R_ESP || base == R_EBP);
    } else if (rm == 5 && mod == 0) {
        in->base = REG_NONE;
        in->disp = rd32(r);
        return;
    } else {
        in->base = (uint8_t)rm;
        *ss_default = (rm == R_EBP);
    }
    if (mod == 1)
        in->disp = (uint32_t)(int32_t)(int8_t)rd8(r);
    else if (mod == 2)
        in->disp = rd32(r);
    else
        in->disp = 0;
}

int decode_insn(const uint8_t *bytes, unsigned avail, bool code32, uint32_t isa, Insn *in,
                bool *ends_block)
{
    ByteReader r = { bytes, 0, avail > 15 ? 15 : avail, false };
    bool op32 = code32, addr32 = code32;
    bool rep = false, repne = false, lock = false, opsize = false;
    int seg_override = -1;
    unsigned op;

    *in = (Insn){ 0 };
    in->base = REG_NONE;
    in->index = REG_NONE;

    for (;;) {
        op = rd8(&r);
        if (r.short_read)
            goto short_read;
        if (!(decode_attrs[op] & DA_PREFIX))
            break;
        switch (op) {
        case 0x26: seg_override = SEG_ES; break;
        case 0x2E: seg_override = SEG_CS; break;
        case 0x36: seg_override = SEG_SS; break;
        case 0x3E: seg_override = SEG_DS; break;
        case 0x64: seg_override = SEG_FS; break;
        case 0x65: seg_override = SEG_GS; break;
        case 0x66: op32 = !code32; opsize = true; break;
        case 0x67: addr32 = !code32; break;
        case 0xF0: lock = true; break;
        case 0xF2: repne = true; rep = false; break;
        case 0xF3: rep = true; repne = false; break;
        }
    }
    if (op == 0x0F) {
        op = OP_0F | rd8(&r);
        if (op == 0x138 || op == 0x13A)
            op = (op == 0x138 ? OP_0F38 : OP_0F3A) | rd8(&r);
        if (r.short_read)
            goto short_read;
    }
    unsigned mprefix = rep ? PFX_F3 : repne ? PFX_F2 : opsize ? PFX_66 : PFX_NONE;
    uint16_t attrs = decode_attrs[op];
    bool ss_default = false;
    unsigned mod = 3;
    if (attrs & DA_MODRM) {
        uint32_t modrm = rd8(&r);
        mod = modrm >> 6;
        if (op >= 0x120 && op <= 0x123)
            mod = 3;   /* MOV to/from CR/DR ignore mod: always registers */
        in->reg = (modrm >> 3) & 7;
        in->rm = modrm & 7;
        if (mod != 3) {
            in->flags |= INSN_MEM;
            if (addr32)
                decode_modrm32(&r, mod, in->rm, in, &ss_default);
            else
                decode_modrm16(&r, mod, in->rm, in, &ss_default);
        }
    } else {
        in->reg = op & 7;   /* register-in-opcode forms: 40-5F, 90-97, B0-BF, 0F C8-CF */
    }
    if ((attrs & DA_IMM8) && (!(attrs & DA_GRP3) || in->reg < 2))
        in->imm = (attrs & DA_SIGNX8) ? (uint32_t)(int32_t)(int8_t)rd8(&r) : rd8(&r);
    if ((attrs & DA_IMMV) && (!(attrs & DA_GRP3) || in->reg < 2))
        in->imm = op32 ? rd32(&r) : rd16(&r);
    if (attrs & DA_IMM16)
        in->imm = rd16(&r);
    if (attrs & DA_MOFFS) {
        in->disp = addr32 ? rd32(&r) : rd16(&r);
        in->flags |= INSN_MEM;
    }
    if (attrs & DA_FARPTR) {
        in->imm = op32 ? rd32(&r) : rd16(&r);
        in->imm2 = (uint16_t)rd16(&r);
    }
    if (attrs & DA_ENTER) {
        in->imm = rd16(&r);
        in->imm2 = (uint16_t)rd8(&r);
    }
    if (attrs & DA_REL8)
        in->disp = (uint32_t)(int32_t)(int8_t)rd8(&r);
    if (attrs & DA_RELV)
        in->disp = op32 ? rd32(&r) : (uint32_t)(int32_t)(int16_t)rd16(&r);
    if (r.short_read)
        goto short_read;

    in->len = (uint8_t)r.pos;
    in->opcode = (uint16_t)op;
    in->mprefix = (uint8_t)mprefix;
    in->seg = (uint8_t)(seg_override >= 0 ? seg_override : ss_default ? SEG_SS : SEG_DS);
    in->flags |= (op32 ? INSN_OP32 : 0) | (addr32 ? INSN_ADDR32 : 0) | (rep ? INSN_REP : 0) |
                 (repne ? INSN_REPNE : 0) | (lock ? INSN_LOCK : 0) |
                 (seg_override >= 0 ? INSN_SEGOVR : 0);
    *ends_block = (attrs & DA_END) != 0 || (op == 0xFF && in->reg >= 2 && in->reg <= 5);

    if (lock && (!(attrs & DA_LOCK) || mod == 3 || !lock_allowed(op, in->reg))) {
        in->fn = insn_lock_ud;
        *ends_block = true;
        return in->len;
    }
    uint32_t need = op_isa[op] | (has_members[op] ? member_isa(op, in->reg, mod != 3) : 0);
    if (need & ~isa) {
        in->fn = insn_undefined;
        *ends_block = true;
        return in->len;
    }
    DecodeCtx ctx = {
        .opcode = (uint16_t)op, .mprefix = (uint8_t)mprefix, .isa = isa, .reg = in->reg, .rm = in->rm, .mem = mod != 3,
        .op32 = op32, .addr32 = addr32, .rep = rep, .repne = repne, .lock = lock,
    };
    InsnPicker pick = insn_pickers[op];
    in->fn = pick ? pick(&ctx) : NULL;
    if (!in->fn) {
        in->fn = insn_undefined;
        *ends_block = true;
    } else {
        in->fn = insn_specialise(in->fn, in);   /* cpu/ops_fast.c */
    }
    return in->len;

short_read:
    if (avail >= 15) {
        /* 15 bytes of prefixes and still no complete instruction. */
        in->fn = insn_too_long;
        in->len = 15;
        *ends_block = true;
        return DECODE_TOO_LONG;
    }
    return DECODE_MORE;
}
