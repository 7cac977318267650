/* SPDX-License-Identifier: MIT */
/* Portable soft-float for the x87's 80-bit extended format: no host long
 * double and no host FPU state, so results are the same on every host.
 *
 * Every operation takes a context with the rounding and precision control
 * and accumulates the exception flags and C1 (round up) in it, as the x87
 * reports them. Results follow the P6: NaN propagation by the larger
 * significand, the "real indefinite" for invalid operations, unnormals,
 * pseudo-NaNs and pseudo-infinities treated as invalid operands,
 * pseudo-denormals accepted, tininess detected after rounding, and the
 * 15-bit exponent range kept at reduced precision. */
#ifndef KAIRO_SF80_H
#define KAIRO_SF80_H

#include <stdbool.h>
#include <stdint.h>

typedef struct F80 {
    uint64_t mant;          /* explicit integer bit at 63 */
    uint16_t se;            /* sign << 15 | biased exponent */
} F80;

/* Exception flags, as in the x87 status word */
#define SF_IE 0x01
#define SF_DE 0x02
#define SF_ZE 0x04
#define SF_OE 0x08
#define SF_UE 0x10
#define SF_PE 0x20
#define SF_C1 0x200        /* the last rounding went up in magnitude */

enum { SF_RC_NEAREST, SF_RC_DOWN, SF_RC_UP, SF_RC_ZERO };
enum { SF_PC_24 = 0, SF_PC_53 = 2, SF_PC_64 = 3 };

typedef struct Sf80Ctx {
    unsigned rc;            /* rounding control (SF_RC_*) */
    unsigned pc;            /* precision control (SF_PC_*) */
    uint16_t masks;         /* exception masks (control word bits 0-5) */
    uint16_t flags;         /* accumulated SF_* */
} Sf80Ctx;

/* Classes for FXAM and the tag word */
enum { SF_CLASS_ZERO, SF_CLASS_NORMAL, SF_CLASS_DENORMAL, SF_CLASS_INF, SF_CLASS_NAN,
       SF_CLASS_UNSUPPORTED };

static inline bool sf80_sign(F80 a) { return a.se >> 15; }
static inline unsigned sf80_exp(F80 a) { return a.se & 0x7FFF; }
static inline F80 sf80_make(bool sign, unsigned exp, uint64_t mant)
{
    return (F80){ mant, (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7FFF)) };
}
int sf80_class(F80 a);
bool sf80_is_nan(F80 a);
bool sf80_is_snan(F80 a);

extern const F80 sf80_indefinite;     /* negative QNaN C000000000000000 */
F80 sf80_zero(bool sign);
F80 sf80_inf(bool sign);

F80 sf80_add(Sf80Ctx *c, F80 a, F80 b);
F80 sf80_sub(Sf80Ctx *c, F80 a, F80 b);
F80 sf80_mul(Sf80Ctx *c, F80 a, F80 b);
F80 sf80_div(Sf80Ctx *c, F80 a, F80 b);
F80 sf80_sqrt(Sf80Ctx *c, F80 a);
/* FRNDINT: round to an integer in the current rounding mode. */
F80 sf80_round_int(Sf80Ctx *c, F80 a);
/* FSCALE: a * 2^trunc(b). */
F80 sf80_scale(Sf80Ctx *c, F80 a, F80 b);
/* FXTRACT: exponent and significand (significand in *sig). */
F80 sf80_xtract(Sf80Ctx *c, F80 a, F80 *sig);
/* FPREM (ieee=false, truncating) / FPREM1 (ieee=true, nearest): the
 * partial remainder; *quot gets the low three quotient bits and *incomplete
 * whether another iteration is needed (C2). */
F80 sf80_rem(Sf80Ctx *c, F80 a, F80 b, bool ieee, unsigned *quot, bool *incomplete);

/* Comparison: -1 less, 0 equal, 1 greater, 2 unordered. quiet: only an
 * SNaN raises IE (FUCOM); otherwise any NaN does (FCOM). */
int sf80_compare(Sf80Ctx *c, F80 a, F80 b, bool quiet);

/* Conversions */
F80 sf80_from_i64(int64_t v);
/* To integer with the rounding mode; out of range or NaN: IE and the
 * integer indefinite (the most negative value), as FIST stores. */
int64_t sf80_to_int(Sf80Ctx *c, F80 a, unsigned bits);
F80 sf80_from_f32(Sf80Ctx *c, uint32_t v);
F80 sf80_from_f64(Sf80Ctx *c, uint64_t v);
uint32_t sf80_to_f32(Sf80Ctx *c, F80 a);
uint64_t sf80_to_f64(Sf80Ctx *c, F80 a);
/* 18-digit packed BCD (FBLD/FBSTP); 10 bytes. */
F80 sf80_from_bcd(const uint8_t bcd[10]);
void sf80_to_bcd(Sf80Ctx *c, F80 a, uint8_t bcd[10]);

#endif
