/* SPDX-License-Identifier: MIT */
/* The x87 transcendental instructions on the sf80 core (fpu/sf80_trans.c).
 *
 * Each function computes its result with about 125 bits of internal
 * precision and rounds it once to 64 bits in the context's rounding mode
 * (precision control does not apply to these instructions), raising
 * IE/DE/UE/OE/PE and C1 as the x87 does. Operand screening follows the x87:
 * unsupported formats give IE and the real indefinite, an SNaN gives IE and
 * its quiet form, denormal operands raise DE.
 *
 * Where these differ from correct rounding, they follow what was measured
 * on an Intel part: every computed result is reported inexact (PE, and UE
 * when it is denormal), sin/tan/atan of a tiny operand (below 2^-68 for
 * sin and tan, 2^-40 for atan) is the operand and cos of one is 1, and
 * outside the defined ranges F2XM1 and FYL2XP1 give what Intel gives.
 *
 * FSIN, FCOS, FSINCOS and FPTAN reduce their operand modulo pi/2 as Intel
 * parts do, with a 66-bit approximation of pi, so that large operands give
 * the same (mathematically imprecise) results as the hardware. For
 * |x| >= 2^63 they return false: the instruction sets C2 and leaves the
 * stack unchanged, with no exception. Otherwise they return true (C2 = 0). */
#ifndef KAIRO_SF80_TRANS_H
#define KAIRO_SF80_TRANS_H

#include "fpu/sf80.h"

bool sf80_sin(Sf80Ctx *c, F80 x, F80 *sin);
bool sf80_cos(Sf80Ctx *c, F80 x, F80 *cos);
/* FSINCOS: both results, flags for both roundings. */
bool sf80_sincos(Sf80Ctx *c, F80 x, F80 *sin, F80 *cos);
/* FPTAN's tangent. The instruction then pushes 1.0, or, when the tangent
 * is a NaN (NaN or invalid operand, masked), that NaN again, as Intel
 * parts do. */
bool sf80_tan(Sf80Ctx *c, F80 x, F80 *tan);
/* FPATAN: the angle of the point (x = ST(0), y = ST(1)), in (-pi, pi]. */
F80 sf80_atan2(Sf80Ctx *c, F80 y, F80 x);
/* F2XM1: 2^x - 1, defined by Intel for -1 <= x <= 1 (computed beyond). */
F80 sf80_2xm1(Sf80Ctx *c, F80 x);
/* FYL2X: y * log2(x), x = ST(0), y = ST(1). */
F80 sf80_yl2x(Sf80Ctx *c, F80 x, F80 y);
/* FYL2XP1: y * log2(x + 1), defined for |x| < 1 - sqrt(2)/2. */
F80 sf80_yl2xp1(Sf80Ctx *c, F80 x, F80 y);

#endif
