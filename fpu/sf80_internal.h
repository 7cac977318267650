/* SPDX-License-Identifier: MIT */
/* Pieces of the sf80 core shared between its files (sf80.c, sf80_trans.c);
 * not for the instruction layer, which uses sf80.h and sf80_trans.h. */
#ifndef KAIRO_SF80_INTERNAL_H
#define KAIRO_SF80_INTERNAL_H

#include "fpu/sf80.h"

#define SF80_BIAS 16383
#define SF80_INT_BIT 0x8000000000000000ull
#define SF80_QUIET_BIT 0x4000000000000000ull

/* NaN operands: an SNaN raises IE; of two NaNs the x87's choice wins (a
 * QNaN over an SNaN, then the larger significand); the result is quiet. */
F80 sf80_propagate(Sf80Ctx *c, F80 a, F80 b, bool b_used);

/* A finite non-zero operand as (unbiased exponent, significand with the
 * integer bit set); denormals and pseudo-denormals are normalized. */
void sf80_unpack(F80 a, int32_t *e, uint64_t *m);

/* Round S * 2^(e - 127) (S normalized: bit 127 set; or zero) to the
 * context's precision and pack it, raising OE/UE/PE/C1 as the x87 does,
 * with the biased-exponent results of unmasked OE/UE. */
F80 sf80_round_pack(Sf80Ctx *c, bool sign, int32_t e, unsigned __int128 s);

/* Two-operand screening: unsupported formats (IE) and NaNs, then DE for a
 * denormal operand. True when *out holds the result already. */
bool sf80_screen_nan2(Sf80Ctx *c, F80 a, F80 b, F80 *out);
bool sf80_screen_denormal2(Sf80Ctx *c, F80 a, F80 b, F80 *out);

#endif
