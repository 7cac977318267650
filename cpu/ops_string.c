/* SPDX-License-Identifier: MIT */
/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP, REPE
 * and REPNE.
 *
 * Registers are updated after every element, so a fault in the middle of
 * a REP leaves ECX/ESI/EDI describing exactly the work left and the
 * instruction restarts there. A REP runs at most REP_CHUNK elements per
 * call and then returns to the loop with EIP still on the instruction, so
 * interrupts are taken in the middle of long strings as on real hardware
 * (each call counts as one instruction).
 *
 * REP MOVS and REP STOS move page-sized runs through host pointers when the
 * TLB has the pages, in either direction. Pages holding decoded code are
 * never in the write TLB, so such runs cannot skip code invalidation.
 *
 * Handlers are chosen per kind, width and prefix at decode time; each is a
 * thin wrapper over an inline element function whose size is a constant. */
#include <stdint.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/insn.h"
#include "cpu/mem_access.h"
#include "cpu/seg.h"
#include "cpu/svm.h"
#include "cpu/svm_vmcb.h"
#include "iodev/portbus.h"
#include "cpu/pickers.h"

#define REP_CHUNK 4096u

/* ======== operands ======== */

/* Index and count registers follow the ADDRESS size: SI/DI/CX or ESI/EDI/ECX. */
static inline uint32_t idx_get(const Cpu *cpu, const Insn *in, unsigned r)
{
    return (in->flags & INSN_ADDR32) ? cpu->gpr[r] : cpu->gpr[r] & 0xFFFFu;
}

static inline void idx_set(Cpu *cpu, const Insn *in, unsigned r, uint32_t v)
{
    if (in->flags & INSN_ADDR32)
        cpu->gpr[r] = v;
    else
        reg16_set(cpu, r, (uint16_t)v);
}

/* Step per element: DF picks the direction. */
static inline uint32_t str_delta(const Cpu *cpu, unsigned size)
{
    return (cpu->eflags & FLAG_DF) ? (uint32_t)-(int32_t)size : size;
}

static inline uint32_t mem_rd(Cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    return size == 1 ? cpu_read8(cpu, seg, off) : size == 2 ? cpu_read16(cpu, seg, off)
                                                             : cpu_read32(cpu, seg, off);
}

static inline void mem_wr(Cpu *cpu, unsigned seg, uint32_t off, unsigned size, uint32_t v)
{
    if (size == 1)
        cpu_write8(cpu, seg, off, (uint8_t)v);
    else if (size == 2)
        cpu_write16(cpu, seg, off, (uint16_t)v);
    else
        cpu_write32(cpu, seg, off, v);
}

static inline uint32_t acc_get(const Cpu *cpu, unsigned size)
{
    return size == 1 ? cpu->gpr[R_EAX] & 0xFFu : size == 2 ? cpu->gpr[R_EAX] & 0xFFFFu
                                                            : cpu->gpr[R_EAX];
}

static inline void acc_set(Cpu *cpu, unsigned size, uint32_t v)
{
    if (size == 1)
        reg8_set(cpu, R_EAX, (uint8_t)v);
    else if (size == 2)
        reg16_set(cpu, R_EAX, (uint16_t)v);
    else
        cpu->gpr[R_EAX] = v;
}

/* CMPS/SCAS set the flags of CMP a, b. */
static inline void compare_flags(Cpu *cpu, unsigned size, uint32_t a, uint32_t b)
{
    uint32_t w = size == 1 ? LF_W8 : size == 2 ? LF_W16 : LF_W32;
    uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    flags_lazy(cpu, LF_SUB | w, a, b, (a - b) & mask);
}

static inline unsigned elem_size(const Insn *in)
{
    if (!(in->opcode & 1))
        return 1;
    return (in->flags & INSN_OP32) ? 4 : 2;
}

/* ======== one element of each operation ======== */

static inline void movs_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t d = str_delta(cpu, size);
    uint32_t si = idx_get(cpu, in, R_ESI), di = idx_get(cpu, in, R_EDI);
    mem_wr(cpu, SEG_ES, di, size, mem_rd(cpu, in->seg, si, size));
    idx_set(cpu, in, R_ESI, si + d);
    idx_set(cpu, in, R_EDI, di + d);
}

static inline void stos_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t di = idx_get(cpu, in, R_EDI);
    mem_wr(cpu, SEG_ES, di, size, acc_get(cpu, size));
    idx_set(cpu, in, R_EDI, di + str_delta(cpu, size));
}

static inline void lods_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t si = idx_get(cpu, in, R_ESI);
    acc_set(cpu, size, mem_rd(cpu, in->seg, si, size));
    idx_set(cpu, in, R_ESI, si + str_delta(cpu, size));
}

/* Returns whether the elements were equal (ZF). */
static inline bool cmps_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t d = str_delta(cpu, size);
    uint32_t si = idx_get(cpu, in, R_ESI), di = idx_get(cpu, in, R_EDI);
    uint32_t a = mem_rd(cpu, in->seg, si, size), b = mem_rd(cpu, SEG_ES, di, size);
    idx_set(cpu, in, R_ESI, si + d);
    idx_set(cpu, in, R_EDI, di + d);
    compare_flags(cpu, size, a, b);
    return a == b;
}

static inline bool scas_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t di = idx_get(cpu, in, R_EDI);
    uint32_t a = acc_get(cpu, size), b = mem_rd(cpu, SEG_ES, di, size);
    idx_set(cpu, in, R_EDI, di + str_delta(cpu, size));
    compare_flags(cpu, size, a, b);
    return a == b;
}

/* The store must be known to succeed before the port is read: a port read
 * has side effects and cannot be repeated when the instruction restarts. */
static inline void ins_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t di = idx_get(cpu, in, R_EDI);
    cpu_check_access(cpu, SEG_ES, di, size, true, true);
    mem_wr(cpu, SEG_ES, di, size, portbus_read(cpu->io, (uint16_t)cpu->gpr[R_EDX], size));
    idx_set(cpu, in, R_EDI, di + str_delta(cpu, size));
}

static inline void outs_elem(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t si = idx_get(cpu, in, R_ESI);
    portbus_write(cpu->io, (uint16_t)cpu->gpr[R_EDX], size, mem_rd(cpu, in->seg, si, size));
    idx_set(cpu, in, R_ESI, si + str_delta(cpu, size));
}

/* ======== host-pointer runs for REP MOVS / REP STOS ======== */

/* Elements that can be done from offset off of seg, in the direction of
 * DF, without leaving the current page or wrapping the offset: the span of
 * one host-pointer run. 0 when the current element straddles pages. */
static uint32_t run_elems(const Cpu *cpu, const Insn *in, unsigned seg, uint32_t off,
                          unsigned size, bool back)
{
    uint32_t pos = (cpu->seg[seg].base + off) & 0xFFFu;
    if (pos + size > 0x1000u)
        return 0;
    if (back) {
        uint32_t n = pos / size + 1;
        uint32_t by_off = off / size + 1;   /* offsets must not wrap below 0 */
        return by_off < n ? by_off : n;
    }
    uint32_t room = 0x1000u - pos;
    if (!(in->flags & INSN_ADDR32) && 0x10000u - off < room)
        room = 0x10000u - off;
    return room / size;
}

/* Copy bytes in elements of size. When the destination runs ahead of the
 * source into bytes not read yet, element order shows (MOVSB one byte
 * apart replicates a byte; MOVSD two apart is not a byte-wise copy), so
 * that case goes element by element; otherwise memmove is equivalent. */
static void host_movs(uint8_t *dst, const uint8_t *src, uint32_t bytes, unsigned size,
                      bool back)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;   /* may be different objects */
    bool hazard = back ? (d < s && d + bytes > s) : (d > s && d < s + bytes);
    if (!hazard) {
        memmove(dst, src, bytes);
        return;
    }
    uint32_t t;
    if (!back) {
        for (uint32_t i = 0; i < bytes; i += size) {
            memcpy(&t, src + i, size);
            memcpy(dst + i, &t, size);
        }
    } else {
        for (uint32_t i = bytes; i > 0;) {
            i -= size;
            memcpy(&t, src + i, size);
            memcpy(dst + i, &t, size);
        }
    }
}

/* Up to max MOVS elements through host pointers; returns how many were
 * done (0 when the TLB lacks a page: one ordinary element then fills it). */
static uint32_t movs_run(Cpu *cpu, const Insn *in, unsigned size, uint32_t max)
{
    bool back = cpu->eflags & FLAG_DF;
    uint32_t si = idx_get(cpu, in, R_ESI), di = idx_get(cpu, in, R_EDI);
    uint32_t n = run_elems(cpu, in, SEG_ES, di, size, back);
    uint32_t n2 = run_elems(cpu, in, in->seg, si, size, back);
    if (n2 < n)
        n = n2;
    if (n > max)
        n = max;
    if (n < 2)
        return 0;
    uint32_t bytes = n * size, span = bytes - size;
    uint8_t *dst = cpu_fast_ptr(&cpu->seg[SEG_ES], cpu->tlb_write, back ? di - span : di, bytes,
                                SEG_ACC_WRITE);
    const uint8_t *src = cpu_fast_ptr(&cpu->seg[in->seg], cpu->tlb_read,
                                      back ? si - span : si, bytes, SEG_ACC_READ);
    if (!dst || !src)
        return 0;
    host_movs(dst, src, bytes, size, back);
    uint32_t delta = back ? (uint32_t)-(int32_t)bytes : bytes;
    idx_set(cpu, in, R_ESI, si + delta);
    idx_set(cpu, in, R_EDI, di + delta);
    return n;
}

static uint32_t stos_run(Cpu *cpu, const Insn *in, unsigned size, uint32_t max)
{
    bool back = cpu->eflags & FLAG_DF;
    uint32_t di = idx_get(cpu, in, R_EDI);
    uint32_t n = run_elems(cpu, in, SEG_ES, di, size, back);
    if (n > max)
        n = max;
    if (n < 2)
        return 0;
    uint32_t bytes = n * size, span = bytes - size;
    uint8_t *dst = cpu_fast_ptr(&cpu->seg[SEG_ES], cpu->tlb_write, back ? di - span : di, bytes,
                                SEG_ACC_WRITE);
    if (!dst)
        return 0;
    uint32_t v = acc_get(cpu, size);
    if (size == 1) {
        memset(dst, (int)v, bytes);
    } else {
        for (uint32_t i = 0; i < bytes; i += size)
            memcpy(dst + i, &v, size);
    }
    idx_set(cpu, in, R_EDI, di + (back ? (uint32_t)-(int32_t)bytes : bytes));
    return n;
}

/* ======== REP drivers ======== */

/* Elements to do in this call. Single-stepping traps after every element
 * (EIP still on the instruction until the count runs out), and so does a
 * data breakpoint hit (cpu->pending_db; such pages never take the
 * host-pointer runs, so the element loops see every hit). */
static inline uint32_t rep_budget(const Cpu *cpu)
{
    return (cpu->eflags & FLAG_TF) ? 1 : REP_CHUNK;
}

/* After a chunk: finished, or back to the loop with EIP on the instruction
 * so that interrupts can be taken before the rest. */
static inline const Insn *rep_end(Cpu *cpu, const Insn *in, uint32_t count)
{
    return count ? insn_leave_block(cpu, in) : insn_next(cpu, in);
}

static inline const Insn *rep_movs(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t count = idx_get(cpu, in, R_ECX), budget = rep_budget(cpu);
    while (count && budget && !cpu->pending_db) {
        uint32_t n = movs_run(cpu, in, size, count < budget ? count : budget);
        if (!n) {
            movs_elem(cpu, in, size);
            n = 1;
        }
        count -= n;
        budget -= n;
        idx_set(cpu, in, R_ECX, count);
    }
    return rep_end(cpu, in, count);
}

static inline const Insn *rep_stos(Cpu *cpu, const Insn *in, unsigned size)
{
    uint32_t count = idx_get(cpu, in, R_ECX), budget = rep_budget(cpu);
    while (count && budget && !cpu->pending_db) {
        uint32_t n = stos_run(cpu, in, size, count < budget ? count : budget);
        if (!n) {
            stos_elem(cpu, in, size);
            n = 1;
        }
        count -= n;
        budget -= n;
        idx_set(cpu, in, R_ECX, count);
    }
    return rep_end(cpu, in, count);
}

/* REPE stops on the first difference, REPNE on the first match. */
static inline const Insn *rep_compare(Cpu *cpu, const Insn *in, unsigned size, bool scas)
{
    bool stop_when_equal = in->flags & INSN_REPNE;
    uint32_t count = idx_get(cpu, in, R_ECX), budget = rep_budget(cpu);
    while (count && budget && !cpu->pending_db) {
        bool equal = scas ? scas_elem(cpu, in, size) : cmps_elem(cpu, in, size);
        idx_set(cpu, in, R_ECX, --count);
        budget--;
        if (equal == stop_when_equal)
            return insn_next(cpu, in);
    }
    return rep_end(cpu, in, count);
}

/* ======== handlers ======== */

static const Insn *op_movsb(Cpu *cpu, const Insn *in)
{
    movs_elem(cpu, in, 1);
    return insn_next(cpu, in);
}

static const Insn *op_movsw(Cpu *cpu, const Insn *in)
{
    movs_elem(cpu, in, 2);
    return insn_next(cpu, in);
}

static const Insn *op_movsd(Cpu *cpu, const Insn *in)
{
    movs_elem(cpu, in, 4);
    return insn_next(cpu, in);
}

static const Insn *op_stosb(Cpu *cpu, const Insn *in)
{
    stos_elem(cpu, in, 1);
    return insn_next(cpu, in);
}

static const Insn *op_stosw(Cpu *cpu, const Insn *in)
{
    stos_elem(cpu, in, 2);
    return insn_next(cpu, in);
}

static const Insn *op_stosd(Cpu *cpu, const Insn *in)
{
    stos_elem(cpu, in, 4);
    return insn_next(cpu, in);
}

static const Insn *op_lodsb(Cpu *cpu, const Insn *in)
{
    lods_elem(cpu, in, 1);
    return insn_next(cpu, in);
}

static const Insn *op_lodsw(Cpu *cpu, const Insn *in)
{
    lods_elem(cpu, in, 2);
    return insn_next(cpu, in);
}

static const Insn *op_lodsd(Cpu *cpu, const Insn *in)
{
    lods_elem(cpu, in, 4);
    return insn_next(cpu, in);
}

static const Insn *op_cmps(Cpu *cpu, const Insn *in)
{
    cmps_elem(cpu, in, elem_size(in));
    return insn_next(cpu, in);
}

static const Insn *op_scas(Cpu *cpu, const Insn *in)
{
    scas_elem(cpu, in, elem_size(in));
    return insn_next(cpu, in);
}

static const Insn *op_rep_movsb(Cpu *cpu, const Insn *in) { return rep_movs(cpu, in, 1); }
static const Insn *op_rep_movsw(Cpu *cpu, const Insn *in) { return rep_movs(cpu, in, 2); }
static const Insn *op_rep_movsd(Cpu *cpu, const Insn *in) { return rep_movs(cpu, in, 4); }
static const Insn *op_rep_stosb(Cpu *cpu, const Insn *in) { return rep_stos(cpu, in, 1); }
static const Insn *op_rep_stosw(Cpu *cpu, const Insn *in) { return rep_stos(cpu, in, 2); }
static const Insn *op_rep_stosd(Cpu *cpu, const Insn *in) { return rep_stos(cpu, in, 4); }
static const Insn *op_rep_cmpsb(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 1, false); }
static const Insn *op_rep_cmpsw(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 2, false); }
static const Insn *op_rep_cmpsd(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 4, false); }
static const Insn *op_rep_scasb(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 1, true); }
static const Insn *op_rep_scasw(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 2, true); }
static const Insn *op_rep_scasd(Cpu *cpu, const Insn *in) { return rep_compare(cpu, in, 4, true); }

/* REP LODS is legal and pointless: keep only the last element. */
static const Insn *op_rep_lods(Cpu *cpu, const Insn *in)
{
    unsigned size = elem_size(in);
    uint32_t count = idx_get(cpu, in, R_ECX), budget = rep_budget(cpu);
    for (; count && budget && !cpu->pending_db; budget--) {
        lods_elem(cpu, in, size);
        idx_set(cpu, in, R_ECX, --count);
    }
    return rep_end(cpu, in, count);
}

/* An intercepted INS/OUTS (SVM): EXITINFO1 names the string form, REP,
 * the address size and the source segment (ES for INS). */
static void svm_string_io(Cpu *cpu, const Insn *in, unsigned size, bool is_in, bool rep)
{
    uint32_t info = IOIO_STR | (is_in ? IOIO_IN : 0) | (rep ? IOIO_REP : 0) |
                    ((in->flags & INSN_ADDR32) ? IOIO_A32 : IOIO_A16) |
                    ((uint32_t)(is_in ? SEG_ES : in->seg) << IOIO_SEG_SHIFT);
    svm_intercept_io(cpu, (uint16_t)cpu->gpr[R_EDX], size, info, cpu->eip + in->len);
}

/* INS / OUTS: the I/O permission check comes before anything else. */
static const Insn *op_ins(Cpu *cpu, const Insn *in)
{
    unsigned size = elem_size(in);
    cpu_io_permit(cpu, (uint16_t)cpu->gpr[R_EDX], size);
    SVM_HOOK(cpu, svm_string_io(cpu, in, size, true, false));
    ins_elem(cpu, in, size);
    return insn_next(cpu, in);
}

static const Insn *op_outs(Cpu *cpu, const Insn *in)
{
    unsigned size = elem_size(in);
    cpu_io_permit(cpu, (uint16_t)cpu->gpr[R_EDX], size);
    SVM_HOOK(cpu, svm_string_io(cpu, in, size, false, false));
    outs_elem(cpu, in, size);
    return insn_next(cpu, in);
}

/* ======== batched string I/O ========
 * A slot that takes a run of elements in one call (a remote proxy: one
 * frame for a whole sector) gets the elements of REP INS/OUTS that lie in
 * the current page. Both ends are checked before the port is touched, so
 * no element can fault after its port access; under TF or with data
 * breakpoints armed the element loop runs instead. */
static uint32_t io_batch_elems(Cpu *cpu, const Insn *in, unsigned seg, uint32_t off,
                               unsigned size, uint32_t count, bool write)
{
    if (count < 2 || (cpu->eflags & FLAG_TF) || (cpu->dr[7] & 0xFF) ||
        !portbus_string_batched(cpu->io, (uint16_t)cpu->gpr[R_EDX], size))
        return 0;
    bool back = cpu->eflags & FLAG_DF;
    uint32_t n = run_elems(cpu, in, seg, off, size, back);
    if (n > count)
        n = count;
    if (n < 2)
        return 0;
    uint32_t span = (n - 1) * size;
    cpu_check_access(cpu, seg, off, size, write, true);
    cpu_check_access(cpu, seg, back ? off - span : off + span, size, write, true);
    return n;
}

static uint32_t element_at(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint32_t ins_batch(Cpu *cpu, const Insn *in, unsigned size, uint32_t count)
{
    uint32_t di = idx_get(cpu, in, R_EDI);
    uint32_t n = io_batch_elems(cpu, in, SEG_ES, di, size, count, true);
    if (!n)
        return 0;
    uint8_t buf[4096];
    portbus_read_string(cpu->io, (uint16_t)cpu->gpr[R_EDX], size, buf, n);
    for (uint32_t i = 0; i < n; i++, di += str_delta(cpu, size))
        mem_wr(cpu, SEG_ES, di, size, element_at(buf + i * size, size));
    idx_set(cpu, in, R_EDI, di);
    return n;
}

static uint32_t outs_batch(Cpu *cpu, const Insn *in, unsigned size, uint32_t count)
{
    uint32_t si = idx_get(cpu, in, R_ESI);
    uint32_t n = io_batch_elems(cpu, in, in->seg, si, size, count, false);
    if (!n)
        return 0;
    uint8_t buf[4096];
    for (uint32_t i = 0; i < n; i++, si += str_delta(cpu, size)) {
        uint32_t v = mem_rd(cpu, in->seg, si, size);
        for (unsigned b = 0; b < size; b++)
            buf[i * size + b] = (uint8_t)(v >> (8 * b));
    }
    portbus_write_string(cpu->io, (uint16_t)cpu->gpr[R_EDX], size, buf, n);
    idx_set(cpu, in, R_ESI, si);
    return n;
}

/* REP INS/OUTS: one batch when the slot takes it, else element by element. */
static inline const Insn *rep_io(Cpu *cpu, const Insn *in, bool out)
{
    unsigned size = elem_size(in);
    cpu_io_permit(cpu, (uint16_t)cpu->gpr[R_EDX], size);
    SVM_HOOK(cpu, svm_string_io(cpu, in, size, !out, true));
    uint32_t count = idx_get(cpu, in, R_ECX), budget = rep_budget(cpu);
    uint32_t run = count < budget ? count : budget;
    uint32_t batched = out ? outs_batch(cpu, in, size, run) : ins_batch(cpu, in, size, run);
    if (batched) {
        count -= batched;
        idx_set(cpu, in, R_ECX, count);
        return rep_end(cpu, in, count);
    }
    for (; count && budget && !cpu->pending_db; budget--) {
        if (out)
            outs_elem(cpu, in, size);
        else
            ins_elem(cpu, in, size);
        idx_set(cpu, in, R_ECX, --count);
    }
    return rep_end(cpu, in, count);
}

static const Insn *op_rep_ins(Cpu *cpu, const Insn *in) { return rep_io(cpu, in, false); }
static const Insn *op_rep_outs(Cpu *cpu, const Insn *in) { return rep_io(cpu, in, true); }

/* ======== pickers ======== */

/* [rep][width: byte, word, dword] for the opcode pairs A4/A5 .. AE/AF. */
typedef struct StringForms {
    InsnFn plain[3], rep[3];
} StringForms;

static const StringForms movs_forms = {
    { op_movsb, op_movsw, op_movsd }, { op_rep_movsb, op_rep_movsw, op_rep_movsd } };
static const StringForms stos_forms = {
    { op_stosb, op_stosw, op_stosd }, { op_rep_stosb, op_rep_stosw, op_rep_stosd } };
static const StringForms lods_forms = {
    { op_lodsb, op_lodsw, op_lodsd }, { op_rep_lods, op_rep_lods, op_rep_lods } };
static const StringForms cmps_forms = {
    { op_cmps, op_cmps, op_cmps }, { op_rep_cmpsb, op_rep_cmpsw, op_rep_cmpsd } };
static const StringForms scas_forms = {
    { op_scas, op_scas, op_scas }, { op_rep_scasb, op_rep_scasw, op_rep_scasd } };
static const StringForms ins_forms = {
    { op_ins, op_ins, op_ins }, { op_rep_ins, op_rep_ins, op_rep_ins } };
static const StringForms outs_forms = {
    { op_outs, op_outs, op_outs }, { op_rep_outs, op_rep_outs, op_rep_outs } };

/* F2 on a non-comparing string instruction repeats like F3. */
InsnFn pick_string(const DecodeCtx *d)
{
    const StringForms *f;
    switch (d->opcode & ~1u) {
    case 0xA4: f = &movs_forms; break;
    case 0xA6: f = &cmps_forms; break;
    case 0xAA: f = &stos_forms; break;
    case 0xAC: f = &lods_forms; break;
    case 0xAE: f = &scas_forms; break;
    case 0x6C: f = &ins_forms; break;
    default: f = &outs_forms; break;
    }
    unsigned w = !(d->opcode & 1) ? 0 : d->op32 ? 2 : 1;
    return (d->rep || d->repne) ? f->rep[w] : f->plain[w];
}
