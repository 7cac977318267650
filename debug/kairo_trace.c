/* SPDX-License-Identifier: MIT */
/* kairo-trace: print a binary trace (kairo --trace FILE) as text, with the
 * same lines as kairo -d exec,cpu,int,io,mmu. A corrupt or truncated file
 * gives one line on stderr and exit status 1, never a crash: every field
 * is checked against what the format allows before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "debug/trace.h"
#include "debug/trace_format.h"
#include "debug/trace_text.h"

#define IN_CHUNK (256u << 10)
#define OUT_CHUNK (1u << 20)

typedef struct Code {
    bool valid, code32;
    uint8_t n;
    uint32_t lin;
    uint8_t len[TRACE_CODE_MAX_INSNS];
    uint16_t off[TRACE_CODE_MAX_INSNS];
    uint8_t bytes[TRACE_CODE_MAX_BYTES];
} Code;

typedef struct Reader {
    const char *path;
    FILE *f;
    z_stream z;
    bool z_end;            /* the zlib stream ended */
    uint8_t *in, *out;
    size_t pos, len;       /* unread inflated bytes: out[pos..len) */
    const char *error;     /* first error, NULL while fine */
    /* decoding state */
    Code *codes;           /* [TRACE_CODE_SLOTS] */
    bool have_mode;
    uint16_t cs;
    uint32_t cs_base;
    int cur;               /* slot of the current block, -1 none */
    unsigned idx;
    uint64_t icount, n_insns;
    /* -smp: the CPU the records are of (tag = index + 1, 0 before any
     * REC_CPU: a uniprocessor trace), each CPU's last icount. */
    uint8_t cpu_tag;
    uint64_t cpu_icount[TRACE_MAX_CPUS];
    unsigned items;        /* TRACE_* the header says were recorded */
    TraceRegs regs;
    bool regs_due;         /* an instruction was printed, its registers not yet */
    FILE *o;
} Reader;

static bool fail(Reader *r, const char *why)
{
    if (!r->error)
        r->error = why;
    return false;
}

/* Inflate more into out: true if there is more to read, false at the end
 * of the stream or on an error (r->error says which). */
static bool refill(Reader *r)
{
    if (r->z_end || r->error)
        return false;
    memmove(r->out, r->out + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    size_t before = r->len;
    while (r->len == before) {
        if (r->z.avail_in == 0) {
            size_t got = fread(r->in, 1, IN_CHUNK, r->f);
            if (got == 0)
                return fail(r, "truncated (the compressed stream stops early)");
            r->z.next_in = r->in;
            r->z.avail_in = (uInt)got;
        }
        r->z.next_out = r->out + r->len;
        r->z.avail_out = (uInt)(OUT_CHUNK - r->len);
        int ret = inflate(&r->z, Z_NO_FLUSH);
        r->len = OUT_CHUNK - r->z.avail_out;
        if (ret == Z_STREAM_END) {
            r->z_end = true;
            break;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            return fail(r, "corrupt (bad compressed data)");
    }
    return r->len > before;
}

/* n more bytes readable; every refill must make progress, so a stream
 * that stops early ends here instead of looping. */
static bool need(Reader *r, size_t n)
{
    while (r->len - r->pos < n)
        if (!refill(r))
            return r->error ? false : fail(r, "truncated (a record is cut off)");
    return true;
}

static bool get_bytes(Reader *r, void *dst, size_t n)
{
    if (!need(r, n))
        return false;
    memcpy(dst, r->out + r->pos, n);
    r->pos += n;
    return true;
}

static bool get_u8(Reader *r, uint8_t *v) { return get_bytes(r, v, 1); }

static bool get_le(Reader *r, unsigned n, uint64_t *v)
{
    uint8_t b[8];
    if (!get_bytes(r, b, n))
        return false;
    *v = 0;
    for (unsigned i = 0; i < n; i++)
        *v |= (uint64_t)b[i] << (8 * i);
    return true;
}

static bool get_varint(Reader *r, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (!get_u8(r, &b))
            return false;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return true;
    }
    return fail(r, "corrupt (an over-long number)");
}

/* ======== records ======== */

static void print_insn(Reader *r)
{
    const Code *c = &r->codes[r->cur];
    uint32_t lin = c->lin + c->off[r->idx];
    TraceWhere at = { r->icount, r->cs, lin - r->cs_base, r->cpu_tag };
    char line[320];
    trace_fmt_insn(line, sizeof line, &at, c->bytes + c->off[r->idx], c->len[r->idx], c->code32);
    fprintf(r->o, "%s\n", line);
    r->regs_due = (r->items & TRACE_CPU) != 0;
}

static bool rec_code(Reader *r)
{
    uint64_t slot, lin;
    uint8_t flags, n;
    if (!get_varint(r, &slot) || !get_le(r, 4, &lin) || !get_u8(r, &flags) || !get_u8(r, &n))
        return false;
    if (slot >= TRACE_CODE_SLOTS || n == 0 || n > TRACE_CODE_MAX_INSNS)
        return fail(r, "corrupt (a CODE record out of range)");
    Code *c = &r->codes[slot];
    if (!get_bytes(r, c->len, n))
        return false;
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++) {
        if (c->len[i] == 0 || c->len[i] > 15)
            return fail(r, "corrupt (an instruction length out of range)");
        c->off[i] = (uint16_t)total;
        total += c->len[i];
    }
    if (total > TRACE_CODE_MAX_BYTES || !get_bytes(r, c->bytes, total))
        return r->error ? false : fail(r, "corrupt (a CODE record too long)");
    c->valid = true;
    c->code32 = flags & TRACE_CODE_32;
    c->n = n;
    c->lin = (uint32_t)lin;
    if (r->cur == (int)slot)
        r->cur = -1;   /* the block being run was redefined */
    return true;
}

/* ENTER (block = false) or BLOCK (index 0, the next icount). */
static bool rec_enter(Reader *r, bool block)
{
    uint64_t slot, delta = 0;
    uint8_t idx = 0;
    if (!get_varint(r, &slot) || (!block && (!get_u8(r, &idx) || !get_varint(r, &delta))))
        return false;
    if (slot >= TRACE_CODE_SLOTS || !r->codes[slot].valid || idx >= r->codes[slot].n ||
        !r->have_mode)
        return fail(r, "corrupt (ENTER names no defined instruction)");
    /* The writer starts from "icount -1", so the first delta is the count itself. */
    r->icount = r->icount + 1 + (uint64_t)trace_unzigzag(delta);
    r->cur = (int)slot;
    r->idx = idx;
    r->n_insns++;
    print_insn(r);
    return true;
}

static bool rec_next(Reader *r)
{
    if (r->cur < 0 || r->idx + 1 >= r->codes[r->cur].n)
        return fail(r, "corrupt (NEXT past the end of a block)");
    r->idx++;
    r->icount++;
    r->n_insns++;
    print_insn(r);
    return true;
}

/* The writer's tw_cpu: another CPU's records, its mode sent again. */
static bool rec_cpu(Reader *r)
{
    uint8_t cpu;
    if (!get_u8(r, &cpu))
        return false;
    if (cpu >= TRACE_MAX_CPUS)
        return fail(r, "corrupt (a CPU number out of range)");
    r->cpu_icount[r->cpu_tag ? r->cpu_tag - 1 : 0] = r->icount;
    r->cpu_tag = (uint8_t)(cpu + 1);
    r->icount = r->cpu_icount[cpu];
    r->cur = -1;
    r->have_mode = false;
    return true;
}

static bool rec_mode(Reader *r)
{
    uint64_t cs, base;
    uint8_t mode;
    if (!get_le(r, 2, &cs) || !get_le(r, 4, &base) || !get_u8(r, &mode))
        return false;
    r->cs = (uint16_t)cs;
    r->cs_base = (uint32_t)base;
    r->have_mode = true;
    return true;
}

/* With registers recorded, every instruction line is followed by them: a
 * REGS record right after it carries the ones that changed. */
static void print_regs(Reader *r)
{
    char line[320];
    trace_fmt_regs(line, sizeof line, &r->regs);
    fprintf(r->o, "%s\n", line);
    r->regs_due = false;
}

static bool rec_regs(Reader *r)
{
    uint64_t mask;
    if (!get_le(r, 2, &mask))
        return false;
    if (mask >> TRACE_REG_COUNT || r->n_insns == 0)
        return fail(r, "corrupt (a register record out of place)");
    for (int i = 0; i < TRACE_REG_COUNT; i++) {
        uint64_t v;
        if ((mask >> i) & 1) {
            if (!get_le(r, i >= TRACE_REG_SEG0 ? 2 : 4, &v))
                return false;
            r->regs.v[i] = (uint32_t)v;
        }
    }
    print_regs(r);
    return true;
}

static bool get_where(Reader *r, TraceWhere *at)
{
    uint64_t cs, eip;
    if (!get_le(r, 2, &cs) || !get_le(r, 4, &eip) || !get_varint(r, &at->icount))
        return false;
    at->cs = (uint16_t)cs;
    at->eip = (uint32_t)eip;
    return true;
}

static bool rec_event(Reader *r, uint8_t type)
{
    TraceEvent ev = { .type = type };
    uint64_t a, b;
    bool ok = true;
    switch (type) {
    case REC_INT:
        ok = get_u8(r, &ev.kind) && get_u8(r, &ev.vector) && get_le(r, 4, &a) &&
             get_u8(r, &ev.cpl);
        ev.err = (uint32_t)a;
        if (ok && (ev.kind >= TRACE_INT_KINDS || ev.cpl > 3))
            return fail(r, "corrupt (an interrupt record out of range)");
        break;
    case REC_IO:
        ok = get_u8(r, &ev.kind) && get_le(r, 2, &a) && get_le(r, 4, &b);
        ev.port = (uint16_t)a;
        ev.value = (uint32_t)b;
        if (ok && ((ev.kind >> 1) != 1 && (ev.kind >> 1) != 2 && (ev.kind >> 1) != 4))
            return fail(r, "corrupt (a port I/O record out of range)");
        break;
    case REC_MMU:
        ok = get_u8(r, &ev.kind) && get_u8(r, &ev.access) && get_le(r, 4, &a) &&
             get_le(r, 8, &ev.value64);
        ev.value = (uint32_t)a;
        if (ok && ev.kind >= TRACE_MMU_KINDS)
            return fail(r, "corrupt (an MMU record out of range)");
        break;
    default:
        break;
    }
    ev.at.cpu_tag = r->cpu_tag;
    if (!ok || !get_where(r, &ev.at))
        return false;
    char line[320];
    trace_fmt_event(line, sizeof line, &ev);
    fprintf(r->o, "%s\n", line);
    return true;
}

/* The records up to END; true if END came and agreed with what was read. */
static bool read_records(Reader *r)
{
    for (;;) {
        uint8_t type = 0;
        if (r->pos == r->len && !refill(r))
            return r->error ? false : fail(r, "truncated (no END record)");
        get_u8(r, &type);
        if (r->regs_due && type != REC_REGS)
            print_regs(r);
        bool ok;
        switch (type) {
        case REC_NEXT: ok = rec_next(r); break;
        case REC_ENTER: ok = rec_enter(r, false); break;
        case REC_BLOCK: ok = rec_enter(r, true); break;
        case REC_CODE: ok = rec_code(r); break;
        case REC_MODE: ok = rec_mode(r); break;
        case REC_CPU: ok = rec_cpu(r); break;
        case REC_REGS: ok = rec_regs(r); break;
        case REC_INT: case REC_IO: case REC_MMU: case REC_TRIPLE: ok = rec_event(r, type); break;
        case REC_END: {
            uint64_t n;
            if (!get_varint(r, &n))
                return false;
            if (n != r->n_insns)
                return fail(r, "corrupt (the instruction count at END differs)");
            return true;
        }
        default:
            return fail(r, "corrupt (unknown record type)");
        }
        if (!ok)
            return false;
    }
}

static bool read_header(Reader *r)
{
    uint8_t h[TRACE_HEADER_LEN];
    if (fread(h, 1, sizeof h, r->f) != sizeof h)
        return fail(r, "not a kairo trace (too short)");
    if (memcmp(h, TRACE_MAGIC, 8))
        return fail(r, "not a kairo trace (bad magic)");
    unsigned version = h[8] | h[9] << 8;
    if (version != TRACE_VERSION)
        return fail(r, "unsupported trace version");
    if (h[10] != TRACE_HEADER_LEN)
        return fail(r, "corrupt (bad header length)");
    r->items = h[12] | h[13] << 8 | (unsigned)h[14] << 16 | (unsigned)h[15] << 24;
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: kairo-trace FILE   print a kairo --trace file as text\n");
        return argc == 2 ? 0 : 2;
    }
    Reader r = { .path = argv[1], .cur = -1, .o = stdout, .icount = ~0ull };
    for (int i = 0; i < TRACE_MAX_CPUS; i++)
        r.cpu_icount[i] = ~0ull;
    r.f = fopen(r.path, "rb");
    if (!r.f) {
        fprintf(stderr, "kairo-trace: %s: cannot open\n", r.path);
        return 1;
    }
    r.in = malloc(IN_CHUNK);
    r.out = malloc(OUT_CHUNK);
    r.codes = calloc(TRACE_CODE_SLOTS, sizeof *r.codes);
    if (!r.in || !r.out || !r.codes || inflateInit(&r.z) != Z_OK) {
        fprintf(stderr, "kairo-trace: out of memory\n");
        return 1;
    }
    bool ok = read_header(&r) && read_records(&r);
    if (ok && (r.pos != r.len || !r.z_end)) {
        /* Anything after END must be the end of the zlib stream itself. */
        ok = !refill(&r) && !r.error && r.z_end && r.pos == r.len;
        if (!ok)
            fail(&r, r.error ? r.error : "corrupt (data after the END record)");
    }
    inflateEnd(&r.z);
    fclose(r.f);
    free(r.in);
    free(r.out);
    free(r.codes);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "kairo-trace: write error\n");
        return 1;
    }
    if (!ok) {
        fprintf(stderr, "kairo-trace: %s: %s\n", r.path, r.error ? r.error : "corrupt");
        return 1;
    }
    return 0;
}
