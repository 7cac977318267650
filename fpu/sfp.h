/* SPDX-License-Identifier: MIT */
/* Portable soft-float for the SSE formats, binary32 and binary64, with the
 * semantics of the MXCSR: four rounding modes, the six exception flags,
 * DAZ (denormal operands read as zero) and FTZ (masked underflow gives
 * zero), and the SSE NaN rules (the first source's NaN wins, quieted; the
 * invalid-operation default is the negative "QNaN indefinite").
 *
 * Values travel as their bit patterns in a uint64_t; no host floating
 * point is used, so results are the same on every host and in every host
 * rounding mode. The flags are split into the pre-computation ones (IE,
 * DE, ZE) and the post-computation ones (OE, UE, PE), because an unmasked
 * pre-computation exception in any lane of a packed instruction stops the
 * post-computation checks of all lanes. */
#ifndef KAIRO_SFP_H
#define KAIRO_SFP_H

#include <stdbool.h>
#include <stdint.h>

/* MXCSR bits */
#define MX_IE 0x0001u
#define MX_DE 0x0002u
#define MX_ZE 0x0004u
#define MX_OE 0x0008u
#define MX_UE 0x0010u
#define MX_PE 0x0020u
#define MX_FLAGS 0x003Fu
#define MX_DAZ 0x0040u
#define MX_MASK_SHIFT 7
#define MX_MASKS 0x1F80u
#define MX_RC_SHIFT 13
#define MX_FTZ 0x8000u
#define MX_RESET 0x1F80u
#define MX_PRE (MX_IE | MX_DE | MX_ZE)

enum { SFP_NEAREST, SFP_DOWN, SFP_UP, SFP_ZERO };

/* The two formats: binary32 (FMT_S) and binary64 (FMT_D). */
typedef enum { FMT_S, FMT_D } SfpFmt;

typedef struct SfpEnv {
    uint32_t mxcsr;     /* control: rounding, masks, DAZ, FTZ */
    uint32_t flags;     /* MX_IE..MX_PE raised so far */
} SfpEnv;

static inline SfpEnv sfp_env(uint32_t mxcsr) { return (SfpEnv){ mxcsr, 0 }; }

uint64_t sfp_add(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);
uint64_t sfp_sub(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);
uint64_t sfp_mul(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);
uint64_t sfp_div(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);
uint64_t sfp_sqrt(SfpFmt f, uint64_t b, SfpEnv *e);
/* MINPS/MAXPS: b when either is a NaN (IE) or both are zeros. */
uint64_t sfp_min(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);
uint64_t sfp_max(SfpFmt f, uint64_t a, uint64_t b, SfpEnv *e);

/* Comparison: -1 less, 0 equal, 1 greater, 2 unordered. quiet: IE only
 * for SNaN operands (else for any NaN). */
int sfp_compare(SfpFmt f, uint64_t a, uint64_t b, bool quiet, SfpEnv *e);

/* Conversions. To integer: truncate or round by MXCSR.RC; NaN or out of
 * range gives 0x80000000 (IE). */
uint32_t sfp_to_i32(SfpFmt f, uint64_t a, bool truncate, SfpEnv *e);
uint64_t sfp_from_i32(SfpFmt f, int32_t v, SfpEnv *e);
uint64_t sfp_convert(SfpFmt to, SfpFmt from, uint64_t a, SfpEnv *e);

/* RCPPS/RSQRTPS approximations (relative error below 1.5 * 2^-12). */
uint32_t sfp_rcp_s(uint32_t a, SfpEnv *e);
uint32_t sfp_rsqrt_s(uint32_t a, SfpEnv *e);

#endif
