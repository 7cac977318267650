/* SPDX-License-Identifier: MIT */
/* The decoder: lengths, operand fields, prefixes, LOCK legality, limits. */
#include <criterion/criterion.h>

#include "cpu/decode.h"

static Insn in;
static bool ends;

static int dec(const uint8_t *b, unsigned n, bool code32)
{
    decode_init();
    return decode_insn(b, n, code32, ~0u, &in, &ends);
}
#define DEC32(...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; dec(b_, sizeof b_, true); })
#define DEC16(...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; dec(b_, sizeof b_, false); })

Test(decode, modrm32_register_form)
{
    cr_assert_eq(DEC32(0x01, 0xD8), 2);          /* add eax, ebx */
    cr_assert_eq(in.opcode, 0x01);
    cr_assert_eq(in.reg, R_EBX);
    cr_assert_eq(in.rm, R_EAX);
    cr_assert_not(in.flags & INSN_MEM);
    cr_assert(in.flags & INSN_OP32);
}

Test(decode, modrm32_sib_disp32)
{
    /* mov eax, [ebx + esi*4 + 0x12345678] */
    cr_assert_eq(DEC32(0x8B, 0x84, 0xB3, 0x78, 0x56, 0x34, 0x12), 7);
    cr_assert(in.flags & INSN_MEM);
    cr_assert_eq(in.base, R_EBX);
    cr_assert_eq(in.index, R_ESI);
    cr_assert_eq(in.scale, 2);
    cr_assert_eq(in.disp, 0x12345678u);
    cr_assert_eq(in.seg, SEG_DS);
}

Test(decode, sib_no_base_and_no_index)
{
    /* mov eax, [0x1000 + ecx*8]  (SIB base=5, mod=0 -> disp32, no base) */
    cr_assert_eq(DEC32(0x8B, 0x04, 0xCD, 0x00, 0x10, 0x00, 0x00), 7);
    cr_assert_eq(in.base, REG_NONE);
    cr_assert_eq(in.index, R_ECX);
    cr_assert_eq(in.scale, 3);
    /* mov eax, [esp + 8]: index 4 means none, default segment SS */
    cr_assert_eq(DEC32(0x8B, 0x44, 0x24, 0x08), 4);
    cr_assert_eq(in.base, R_ESP);
    cr_assert_eq(in.index, REG_NONE);
    cr_assert_eq(in.seg, SEG_SS);
    cr_assert_eq(in.disp, 8);
}

Test(decode, ebp_base_defaults_to_ss_and_disp8_sign_extends)
{
    cr_assert_eq(DEC32(0x8B, 0x45, 0xFC), 3);    /* mov eax, [ebp-4] */
    cr_assert_eq(in.base, R_EBP);
    cr_assert_eq(in.seg, SEG_SS);
    cr_assert_eq(in.disp, 0xFFFFFFFCu);
    cr_assert_eq(DEC32(0x8B, 0x05, 0x44, 0x33, 0x22, 0x11), 6);   /* mov eax, [disp32] */
    cr_assert_eq(in.base, REG_NONE);
    cr_assert_eq(in.seg, SEG_DS);
}

Test(decode, modrm16_forms)
{
    cr_assert_eq(DEC16(0x8B, 0x42, 0x10), 3);    /* mov ax, [bp+si+0x10] */
    cr_assert_eq(in.base, R_EBP);
    cr_assert_eq(in.index, R_ESI);
    cr_assert_eq(in.seg, SEG_SS);
    cr_assert_not(in.flags & INSN_OP32);
    cr_assert_not(in.flags & INSN_ADDR32);
    cr_assert_eq(DEC16(0x8B, 0x06, 0x34, 0x12), 4);   /* mov ax, [0x1234] */
    cr_assert_eq(in.base, REG_NONE);
    cr_assert_eq(in.disp, 0x1234);
    cr_assert_eq(in.seg, SEG_DS);
}

Test(decode, size_prefixes_flip_defaults)
{
    cr_assert_eq(DEC16(0x66, 0x67, 0x8B, 0x04, 0x24), 5);   /* mov eax, [esp] in 16-bit code */
    cr_assert(in.flags & INSN_OP32);
    cr_assert(in.flags & INSN_ADDR32);
    cr_assert_eq(DEC32(0x66, 0xB8, 0x34, 0x12), 4);          /* mov ax, 0x1234 */
    cr_assert_eq(in.imm, 0x1234);
    cr_assert_eq(DEC32(0xB8, 0x78, 0x56, 0x34, 0x12), 5);
    cr_assert_eq(in.imm, 0x12345678u);
}

Test(decode, segment_override_wins)
{
    cr_assert_eq(DEC32(0x26, 0x8B, 0x45, 0x00), 4);   /* mov eax, es:[ebp] */
    cr_assert_eq(in.seg, SEG_ES);
    cr_assert(in.flags & INSN_SEGOVR);
    cr_assert_eq(DEC32(0x64, 0xA1, 0x00, 0x00, 0x00, 0x00), 6);   /* mov eax, fs:[0] */
    cr_assert_eq(in.seg, SEG_FS);
}

Test(decode, immediates_by_shape)
{
    cr_assert_eq(DEC32(0x83, 0xC0, 0xFF), 3);          /* add eax, -1 (sign-extended ib) */
    cr_assert_eq(in.imm, 0xFFFFFFFFu);
    cr_assert_eq(DEC32(0x80, 0xC0, 0xFF), 3);          /* add al, 0xFF (zero-extended) */
    cr_assert_eq(in.imm, 0xFF);
    cr_assert_eq(DEC32(0xF7, 0xC0, 1, 0, 0, 0), 6);    /* test eax, 1 : group 3 /0 has iv */
    cr_assert_eq(DEC32(0xF7, 0xD8), 2);                /* neg eax: group 3 /3 has none */
    cr_assert_eq(DEC32(0xC8, 0x10, 0x00, 0x02), 4);    /* enter 16, 2 */
    cr_assert_eq(in.imm, 16);
    cr_assert_eq(in.imm2, 2);
    cr_assert_eq(DEC32(0xEA, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00), 7);   /* jmp 0008:12345678 */
    cr_assert_eq(in.imm, 0x12345678u);
    cr_assert_eq(in.imm2, 8);
    cr_assert(ends);
    cr_assert_eq(DEC16(0xA1, 0x34, 0x12), 3);          /* mov ax, [moffs16] */
    cr_assert_eq(in.disp, 0x1234);
    cr_assert(in.flags & INSN_MEM);
}

Test(decode, relative_branches)
{
    cr_assert_eq(DEC32(0x75, 0xFE), 2);                /* jnz $ */
    cr_assert_eq(in.disp, 0xFFFFFFFEu);
    cr_assert_not(ends, "a conditional branch leaves its block only when taken");
    cr_assert_eq(DEC32(0xEB, 0xFE), 2);                /* jmp $ */
    cr_assert(ends);
    cr_assert_eq(DEC32(0x0F, 0x84, 0x00, 0x01, 0x00, 0x00), 6);
    cr_assert_eq(in.opcode, 0x184);
    cr_assert_eq(in.disp, 0x100);
    cr_assert_eq(DEC16(0xE8, 0xFD, 0xFF), 3);          /* call rel16 -3 */
    cr_assert_eq(in.disp, 0xFFFFFFFDu);
}

Test(decode, mov_cr_ignores_mod)
{
    /* 0F 20 with mod=00 is still a register form with no displacement */
    cr_assert_eq(DEC32(0x0F, 0x20, 0x00), 3);
    cr_assert_not(in.flags & INSN_MEM);
}

Test(decode, lock_on_register_or_unlockable_is_ud)
{
    cr_assert_eq(DEC32(0xF0, 0x01, 0xD8), 3);          /* lock add eax, ebx */
    cr_assert_neq(in.fn, NULL);
    cr_assert(ends);
    cr_assert_eq(DEC32(0xF0, 0x8B, 0x00), 3);          /* lock mov: never lockable */
    cr_assert(ends);
    cr_assert_eq(DEC32(0xF0, 0x80, 0x38, 0x01), 4);    /* lock cmp byte [eax], 1 */
    cr_assert(ends);
}

Test(decode, too_long_and_short_reads)
{
    uint8_t b[16];
    memset(b, 0x66, sizeof b);
    cr_assert_eq(dec(b, 16, true), DECODE_TOO_LONG);
    cr_assert_eq(in.len, 15);
    static const uint8_t partial[] = { 0x8B, 0x84 };    /* needs SIB + disp32 */
    cr_assert_eq(dec(partial, sizeof partial, true), DECODE_MORE);
}

Test(decode, undefined_opcode_gets_a_handler_and_ends_block)
{
    cr_assert_eq(DEC32(0x0F, 0x0F, 0x00), 2);          /* 3DNow! escape: not a P6 opcode */
    cr_assert_eq(in.fn, insn_undefined);
    cr_assert(ends);
}

Test(decode, far_calls_through_ff_end_block)
{
    cr_assert_eq(DEC32(0xFF, 0xD0), 2);                /* call eax */
    cr_assert(ends);
    cr_assert_eq(DEC32(0xFF, 0xC0), 2);                /* inc eax */
    cr_assert_not(ends);
}
