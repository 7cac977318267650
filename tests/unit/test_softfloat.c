/* SPDX-License-Identifier: MIT */
/* The sf80 soft-float core with hand-picked cases: the real and integer
 * indefinites, unsupported formats, pseudo-denormals, NaN propagation,
 * masked and unmasked exceptions, precision control, FPREM/FPREM1 quotient
 * bits and partial remainders, conversions, packed BCD round trips, and
 * the transcendentals' special cases (Intel's 66-bit pi included). The
 * bulk comparison against a real x87 is tests/diff/fpu_diff.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "fpu/sf80.h"
#include "fpu/sf80_trans.h"

#define INT_BIT 0x8000000000000000ull

static const F80 ONE = { INT_BIT, 0x3FFF };
static const F80 TWO = { INT_BIT, 0x4000 };
static const F80 SEVEN = { 0xE000000000000000ull, 0x4001 };
static const F80 PINF = { INT_BIT, 0x7FFF };
static const F80 NINF = { INT_BIT, 0xFFFF };

static Sf80Ctx masked(void) { return (Sf80Ctx){ .rc = SF_RC_NEAREST, .pc = SF_PC_64, .masks = 0x3F }; }

static F80 f(uint16_t se, uint64_t mant) { return (F80){ mant, se }; }

#define assert_f80(got, se_, mant_)                                                         \
    cr_assert((got).se == (se_) && (got).mant == (mant_), "got %04X:%016llX, want %04X:%016llX", \
              (got).se, (unsigned long long)(got).mant, (unsigned)(se_), (unsigned long long)(mant_))

Test(softfloat, invalid_operations_give_the_real_indefinite)
{
    Sf80Ctx c = masked();
    assert_f80(sf80_add(&c, PINF, NINF), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(c.flags, SF_IE);
    c = masked();
    assert_f80(sf80_mul(&c, sf80_zero(false), PINF), 0xFFFF, 0xC000000000000000ull);
    c = masked();
    assert_f80(sf80_div(&c, sf80_zero(true), sf80_zero(false)), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(c.flags, SF_IE);
    c = masked();
    assert_f80(sf80_sqrt(&c, f(0xBFFF, INT_BIT)), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(c.flags, SF_IE);
}

Test(softfloat, unsupported_formats_are_invalid_operands)
{
    const F80 bad[] = {
        f(0x3FFF, 0x4000000000000000ull),   /* unnormal */
        f(0x7FFF, 0),                       /* pseudo-infinity */
        f(0x7FFF, 0x4000000000000000ull),   /* pseudo-NaN */
    };
    for (unsigned i = 0; i < 3; i++) {
        Sf80Ctx c = masked();
        cr_assert_eq(sf80_class(bad[i]), SF_CLASS_UNSUPPORTED);
        assert_f80(sf80_add(&c, bad[i], ONE), 0xFFFF, 0xC000000000000000ull);
        cr_assert_eq(c.flags, SF_IE);
        c = masked();
        cr_assert_eq(sf80_compare(&c, bad[i], ONE, true), 2);
        cr_assert_eq(c.flags, SF_IE);
    }
}

Test(softfloat, pseudo_denormals_are_accepted_with_de)
{
    /* Exponent 0 with the integer bit set: the value of exponent 1. */
    F80 pd = f(0x0000, 0x8000000000000001ull);
    Sf80Ctx c = masked();
    cr_assert_eq(sf80_class(pd), SF_CLASS_DENORMAL);
    assert_f80(sf80_mul(&c, pd, ONE), 0x0001, 0x8000000000000001ull);
    cr_assert_eq(c.flags, SF_DE);
    c = masked();
    cr_assert_eq(sf80_compare(&c, pd, f(0x0001, 0x8000000000000001ull), false), 0);
    cr_assert_eq(c.flags, SF_DE);
}

Test(softfloat, unmasked_denormal_operand_stops_with_de_alone)
{
    Sf80Ctx c = masked();
    c.masks &= (uint16_t)~SF_DE;
    sf80_add(&c, f(0x0000, 0x0000000000000003ull), f(0x3FFF, 0x8000000000000001ull));
    cr_assert_eq(c.flags, SF_DE);
}

Test(softfloat, nan_propagation)
{
    F80 q1 = f(0x7FFF, 0xC000000000000001ull), q2 = f(0xFFFF, 0xC000000000000002ull);
    F80 snan = f(0x7FFF, 0x8000000000000005ull);
    Sf80Ctx c = masked();
    assert_f80(sf80_add(&c, q1, q2), 0xFFFF, 0xC000000000000002ull);   /* larger significand */
    cr_assert_eq(c.flags, 0);
    c = masked();
    assert_f80(sf80_mul(&c, snan, ONE), 0x7FFF, 0xC000000000000005ull);   /* quieted */
    cr_assert_eq(c.flags, SF_IE);
    c = masked();
    assert_f80(sf80_sub(&c, snan, q1), 0x7FFF, 0xC000000000000001ull);   /* QNaN over SNaN */
    cr_assert_eq(c.flags, SF_IE);
    /* FCOM: any NaN is invalid; FUCOM: only an SNaN. */
    c = masked();
    cr_assert_eq(sf80_compare(&c, q1, ONE, true), 2);
    cr_assert_eq(c.flags, 0);
    cr_assert_eq(sf80_compare(&c, q1, ONE, false), 2);
    cr_assert_eq(c.flags, SF_IE);
}

Test(softfloat, precision_control_rounds_but_keeps_the_exponent_range)
{
    Sf80Ctx c = masked();
    c.pc = SF_PC_24;
    /* 1 + 2^-24 is a tie at 24 bits: to even, 1.0 */
    assert_f80(sf80_add(&c, ONE, f(0x3FE7, INT_BIT)), 0x3FFF, INT_BIT);
    cr_assert_eq(c.flags, SF_PE);
    /* 1 + 3 * 2^-25 rounds up at 24 bits: C1 */
    c = masked();
    c.pc = SF_PC_24;
    assert_f80(sf80_add(&c, ONE, f(0x3FE7, 0xC000000000000000ull)), 0x3FFF, 0x8000010000000000ull);
    cr_assert_eq(c.flags, SF_PE | SF_C1);
    /* 2^-16000 * 2^-300 is no underflow at 24 bits: the exponent stays 15-bit */
    c = masked();
    c.pc = SF_PC_24;
    assert_f80(sf80_mul(&c, f(0x3FFF - 16000, INT_BIT), f(0x3FFF - 300, INT_BIT)), 0x3FFF - 16300,
               INT_BIT);
    cr_assert_eq(c.flags, 0);
}

Test(softfloat, overflow_masked_and_unmasked)
{
    F80 big = f(0x7FFE, INT_BIT);
    Sf80Ctx c = masked();
    assert_f80(sf80_mul(&c, big, TWO), 0x7FFF, INT_BIT);
    cr_assert_eq(c.flags, SF_OE | SF_PE | SF_C1);
    /* Unmasked: the exponent wrapped by 24576 for the handler. */
    c = masked();
    c.masks &= (uint16_t)~SF_OE;
    assert_f80(sf80_mul(&c, big, TWO), 0x7FFF - 24576, INT_BIT);
    cr_assert_eq(c.flags, SF_OE);
    /* Toward zero, masked: the largest finite value. */
    c = masked();
    c.rc = SF_RC_ZERO;
    assert_f80(sf80_mul(&c, big, TWO), 0x7FFE, ~0ull);
}

Test(softfloat, fprem_quotient_bits)
{
    Sf80Ctx c = masked();
    unsigned q;
    bool incomplete;
    /* 7 rem 2 = 1, quotient 3 (Q2 Q1 Q0 = 0 1 1) */
    assert_f80(sf80_rem(&c, SEVEN, TWO, false, &q, &incomplete), 0x3FFF, INT_BIT);
    cr_assert_eq(q, 3);
    cr_assert(!incomplete);
    /* FPREM1: 7 / 2 = 3.5 rounds to the even 4, remainder -1 */
    assert_f80(sf80_rem(&c, SEVEN, TWO, true, &q, &incomplete), 0xBFFF, INT_BIT);
    cr_assert_eq(q, 4);
    /* -7 rem 2 = -1: the dividend's sign */
    assert_f80(sf80_rem(&c, f(0xC001, 0xE000000000000000ull), TWO, false, &q, &incomplete), 0xBFFF,
               INT_BIT);
    cr_assert_eq(q, 3);
    cr_assert_eq(c.flags, 0);
}

Test(softfloat, fprem_partial_remainder_sets_c2_until_done)
{
    /* 2^100 rem 3 = 1 (2^2 = 1 mod 3), reached in partial steps */
    Sf80Ctx c = masked();
    F80 a = f(0x3FFF + 100, INT_BIT), three = f(0x4000, 0xC000000000000000ull);
    unsigned q, steps = 0;
    bool incomplete = true;
    while (incomplete) {
        a = sf80_rem(&c, a, three, false, &q, &incomplete);
        steps++;
        cr_assert(steps < 10);
    }
    cr_assert_gt(steps, 1);
    assert_f80(a, 0x3FFF, INT_BIT);
    cr_assert_eq(c.flags, 0);
}

Test(softfloat, integer_stores)
{
    Sf80Ctx c = masked();
    cr_assert_eq(sf80_to_int(&c, f(0x400E, INT_BIT), 16), INT16_MIN);   /* 32768: indefinite */
    cr_assert_eq(c.flags, SF_IE);
    c = masked();
    cr_assert_eq(sf80_to_int(&c, f(0xC00E, INT_BIT), 16), -32768);
    cr_assert_eq(c.flags, 0);
    F80 two_and_half = f(0x4000, 0xA000000000000000ull);
    c = masked();
    cr_assert_eq(sf80_to_int(&c, two_and_half, 32), 2);   /* tie to even */
    cr_assert_eq(c.flags, SF_PE);
    c = masked();
    c.rc = SF_RC_UP;
    cr_assert_eq(sf80_to_int(&c, two_and_half, 32), 3);
    cr_assert_eq(c.flags, SF_PE | SF_C1);
    c = masked();
    cr_assert_eq(sf80_to_int(&c, sf80_indefinite, 64), INT64_MIN);
    cr_assert_eq(c.flags, SF_IE);
}

Test(softfloat, float_conversions)
{
    Sf80Ctx c = masked();
    /* float32 SNaN loads quieted, with IE */
    assert_f80(sf80_from_f32(&c, 0x7F800001u), 0x7FFF, 0xC000010000000000ull);
    cr_assert_eq(c.flags, SF_IE);
    /* a float32 denormal loads normalized, with DE */
    c = masked();
    assert_f80(sf80_from_f32(&c, 0x00000001u), 0x3FFF - 149, INT_BIT);
    cr_assert_eq(c.flags, SF_DE);
    /* the real indefinite stores as the float64 indefinite */
    c = masked();
    cr_assert_eq(sf80_to_f64(&c, sf80_indefinite), 0xFFF8000000000000ull);
    cr_assert_eq(c.flags, 0);
    /* 2^-149 * 1.5 to float32: a denormal, inexact, tiny */
    c = masked();
    cr_assert_eq(sf80_to_f32(&c, f(0x3FFF - 149, 0xC000000000000000ull)), 2u);
    cr_assert_eq(c.flags, SF_UE | SF_PE | SF_C1);
    /* 2^128 to float32: overflow to infinity */
    c = masked();
    cr_assert_eq(sf80_to_f32(&c, f(0x3FFF + 128, INT_BIT)), 0x7F800000u);
    cr_assert_eq(c.flags, SF_OE | SF_PE | SF_C1);
}

Test(softfloat, bcd_round_trip)
{
    /* -123456789012345678: two digits a byte, low first, sign in byte 9 */
    const uint8_t bcd[10] = { 0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80 };
    F80 v = sf80_from_bcd(bcd);
    cr_assert_eq(sf80_to_int(&(Sf80Ctx){ .masks = 0x3F }, v, 64), -123456789012345678ll);
    uint8_t out[10];
    Sf80Ctx c = masked();
    sf80_to_bcd(&c, v, out);
    cr_assert(!memcmp(out, bcd, 10));
    cr_assert_eq(c.flags, 0);
    /* the largest: 18 nines */
    const uint8_t nines[10] = { 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x00 };
    sf80_to_bcd(&c, sf80_from_bcd(nines), out);
    cr_assert(!memcmp(out, nines, 10));
    /* 10^18 does not fit: the BCD indefinite, IE */
    const uint8_t indefinite[10] = { 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF };
    sf80_to_bcd(&c, f(0x403A, 0xDE0B6B3A76400000ull), out);
    cr_assert(!memcmp(out, indefinite, 10));
    cr_assert_eq(c.flags, SF_IE);
    /* -0 keeps its sign both ways */
    const uint8_t mzero[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80 };
    v = sf80_from_bcd(mzero);
    assert_f80(v, 0x8000, 0);
    c = masked();
    sf80_to_bcd(&c, v, out);
    cr_assert(!memcmp(out, mzero, 10));
}

Test(softfloat, fxtract_and_fscale)
{
    Sf80Ctx c = masked();
    F80 sig, e = sf80_xtract(&c, f(0x4005, 0xC000000000000000ull), &sig);   /* 96 */
    assert_f80(e, 0x4001, 0xC000000000000000ull);                            /* 6 */
    assert_f80(sig, 0x3FFF, 0xC000000000000000ull);                          /* 1.5 */
    e = sf80_xtract(&c, sf80_zero(true), &sig);                              /* -0: ZE */
    assert_f80(e, 0xFFFF, INT_BIT);
    cr_assert_eq(c.flags, SF_ZE);
    c = masked();
    assert_f80(sf80_scale(&c, ONE, f(0xC000, 0xB000000000000000ull)), 0x3FFD, INT_BIT);   /* 1 * 2^trunc(-2.75) */
    cr_assert_eq(c.flags, 0);
}

Test(softfloat, trig_special_cases)
{
    Sf80Ctx c = masked();
    F80 r, r2;
    cr_assert(sf80_sin(&c, sf80_zero(true), &r));
    assert_f80(r, 0x8000, 0);
    cr_assert(sf80_cos(&c, sf80_zero(true), &r));
    assert_f80(r, 0x3FFF, INT_BIT);
    cr_assert_eq(c.flags, 0);
    /* |x| >= 2^63: out of range (C2), nothing raised */
    cr_assert(!sf80_sin(&c, f(0x403E, INT_BIT), &r));
    cr_assert(!sf80_sincos(&c, f(0xC050, INT_BIT), &r, &r2));
    cr_assert_eq(c.flags, 0);
    /* infinities are invalid */
    cr_assert(sf80_tan(&c, PINF, &r));
    assert_f80(r, 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(c.flags, SF_IE);
}

Test(softfloat, fsin_of_fldpi_uses_the_66_bit_pi)
{
    /* FLDPI's value exceeds Intel's 66-bit pi by exactly 2^-64, and an
     * Intel part returns sin = -2^-64 (the true sine is -0.92 * 2^-64). */
    Sf80Ctx c = masked();
    F80 r;
    cr_assert(sf80_sin(&c, f(0x4000, 0xC90FDAA22168C235ull), &r));
    assert_f80(r, 0xBFBF, INT_BIT);
    cr_assert_eq(c.flags, SF_PE | SF_C1);
    c = masked();
    cr_assert(sf80_cos(&c, f(0x4000, 0xC90FDAA22168C235ull), &r));
    assert_f80(r, 0xBFFF, INT_BIT);
}

Test(softfloat, fpatan_special_cases)
{
    Sf80Ctx c = masked();
    /* atan2(+0, -0) = +pi, atan2(-inf, +inf) = -pi/4, atan2(-0, +0) = -0 */
    assert_f80(sf80_atan2(&c, sf80_zero(false), sf80_zero(true)), 0x4000, 0xC90FDAA22168C235ull);
    assert_f80(sf80_atan2(&c, NINF, PINF), 0xBFFE, 0xC90FDAA22168C235ull);
    c = masked();
    assert_f80(sf80_atan2(&c, sf80_zero(true), sf80_zero(false)), 0x8000, 0);
    cr_assert_eq(c.flags, 0);
    /* atan2(1, 1) = pi/4 */
    assert_f80(sf80_atan2(&c, ONE, ONE), 0x3FFE, 0xC90FDAA22168C235ull);
}

Test(softfloat, logarithms_and_f2xm1)
{
    Sf80Ctx c = masked();
    /* 3 * log2 8 = 9 (Intel reports it inexact all the same) */
    assert_f80(sf80_yl2x(&c, f(0x4002, INT_BIT), f(0x4000, 0xC000000000000000ull)), 0x4002,
               0x9000000000000000ull);
    cr_assert_eq(c.flags, SF_PE);
    /* log2 of 0: ZE and an infinity of the opposite sign to y */
    c = masked();
    assert_f80(sf80_yl2x(&c, sf80_zero(false), ONE), 0xFFFF, INT_BIT);
    cr_assert_eq(c.flags, SF_ZE);
    /* log2 of a negative number: invalid */
    c = masked();
    assert_f80(sf80_yl2x(&c, f(0xBFFF, INT_BIT), ONE), 0xFFFF, 0xC000000000000000ull);
    cr_assert_eq(c.flags, SF_IE);
    /* 2^-1 - 1 = -0.5 */
    c = masked();
    assert_f80(sf80_2xm1(&c, f(0xBFFF, INT_BIT)), 0xBFFE, INT_BIT);
    /* log2(1 + x) for a small x is about x / ln 2 */
    c = masked();
    F80 r = sf80_yl2xp1(&c, f(0x3FEF, INT_BIT), ONE);   /* x = 2^-16 */
    assert_f80(r, 0x3FEF, 0xB8A9DED47C11283Eull);
}
