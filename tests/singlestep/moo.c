/* SPDX-License-Identifier: MIT */
/* MOO test-vector reader (see moo.h). */
#include "tests/singlestep/moo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* No MOO file comes near this; a corrupt stream that inflates forever stops. */
#define MOO_MAX_BYTES (512u << 20)

static bool slurp(FILE *fp, uint8_t **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *nb = cap < MOO_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        if (!r) {
            *out = buf;
            *len = n;
            return !ferror(fp);
        }
        n += r;
    }
    free(buf);
    return false;
}

/* Inflates a whole gzip member. zlib's gzread() accepts a file whose CRC
 * and length trailer is cut off; inflate() to Z_STREAM_END checks both. */
static const char *gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    z_stream zs = { 0 };
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return "zlib initialisation failed";
    size_t cap = in_len * 4 + 4096, n = 0;
    uint8_t *buf = malloc(cap);
    const char *fail = buf ? NULL : "out of memory";
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)(in_len > 0x7FFFFFFF ? 0x7FFFFFFF : in_len);
    while (!fail) {
        if (n == cap) {
            uint8_t *nb = cap < MOO_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                fail = cap < MOO_MAX_BYTES ? "out of memory" : "inflates past 512 MiB";
                break;
            }
            buf = nb;
            cap *= 2;
        }
        zs.next_out = buf + n;
        zs.avail_out = (uInt)(cap - n > 0x7FFFFFFF ? 0x7FFFFFFF : cap - n);
        int r = inflate(&zs, Z_NO_FLUSH);
        n = (size_t)(zs.next_out - buf);
        if (r == Z_STREAM_END)
            break;
        if (r == Z_BUF_ERROR && zs.avail_in == 0)
            fail = "compressed data ends early (truncated file)";
        else if (r != Z_OK && r != Z_BUF_ERROR)
            fail = zs.msg ? zs.msg : "corrupt compressed data";
    }
    inflateEnd(&zs);
    if (fail) {
        free(buf);
        return fail;
    }
    *out = buf;
    *out_len = n;
    return NULL;
}

static bool read_all(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open %s", path);
        return false;
    }
    uint8_t *raw;
    size_t raw_len;
    bool ok = slurp(fp, &raw, &raw_len);
    fclose(fp);
    if (!ok) {
        snprintf(err, errlen, "%s: read error or file too large", path);
        return false;
    }
    if (raw_len < 2 || raw[0] != 0x1F || raw[1] != 0x8B) {
        *out = raw;     /* a plain MOO file */
        *len = raw_len;
        return true;
    }
    const char *fail = gunzip(raw, raw_len, out, len);
    free(raw);
    if (fail) {
        snprintf(err, errlen, "%s: %s", path, fail);
        return false;
    }
    return true;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* The chunk at pos, which must lie wholly within [pos, end). */
typedef struct Chunk {
    char id[5];
    size_t body, len;
} Chunk;

static bool chunk_at(const uint8_t *d, size_t pos, size_t end, Chunk *c)
{
    if (pos > end || end - pos < 8)
        return false;
    memcpy(c->id, d + pos, 4);
    c->id[4] = 0;
    uint32_t n = le32(d + pos + 4);
    if (n > end - pos - 8)
        return false;
    c->body = pos + 8;
    c->len = n;
    return true;
}

static bool parse_header(MooFile *f, char *err, size_t errlen)
{
    Chunk c;
    if (!chunk_at(f->data, 0, f->len, &c) || strcmp(c.id, "MOO ") || c.len < 12) {
        snprintf(err, errlen, "not a MOO file (no MOO header chunk)");
        return false;
    }
    f->n_tests = le32(f->data + c.body + 4);
    memcpy(f->cpu, f->data + c.body + 8, 4);
    f->cpu[4] = 0;
    f->regs32 = f->cpu[0] == '3';
    f->pos = c.body + c.len;
    return true;
}

bool moo_open(MooFile *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (!read_all(path, &f->data, &f->len, err, errlen))
        return false;
    char why[128];
    if (!parse_header(f, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        moo_close(f);
        return false;
    }
    return true;
}

bool moo_open_mem(MooFile *f, const void *data, size_t len, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->data = malloc(len ? len : 1);
    if (!f->data) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(f->data, data, len);
    f->len = len;
    if (!parse_header(f, err, errlen)) {
        moo_close(f);
        return false;
    }
    return true;
}

void moo_close(MooFile *f)
{
    free(f->data);
    f->data = NULL;
    f->len = f->pos = 0;
}

void moo_test_free(MooTest *t)
{
    free(t->init.ram);
    free(t->final.ram);
    t->init.ram = t->final.ram = NULL;
    t->init.cap_ram = t->final.cap_ram = 0;
}

void moo_hash_hex(const MooTest *t, char out[41])
{
    for (unsigned i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", t->hash[i]);
}

static const int regs16_order[14] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS,
                                      MOO_ES, MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS };
static const int regs32_order[20] = { MOO_CR0, MOO_CR3, MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_SI,
                                      MOO_DI, MOO_BP, MOO_SP, MOO_CS, MOO_DS, MOO_ES, MOO_FS,
                                      MOO_GS, MOO_SS, MOO_IP, MOO_FLAGS, MOO_DR6, MOO_DR7 };

/* REGS (u16 mask, u16 values) and RG32 (u32 mask, u32 values) share a shape. */
static bool parse_regs(const uint8_t *d, const Chunk *c, bool wide, MooState *s)
{
    const int *order = wide ? regs32_order : regs16_order;
    unsigned n_order = wide ? 20 : 14, w = wide ? 4 : 2;
    if (c->len < w)
        return false;
    uint32_t mask = wide ? le32(d + c->body) : le16(d + c->body);
    size_t p = c->body + w, end = c->body + c->len;
    for (unsigned i = 0; i < n_order; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (end - p < w)
            return false;
        s->regs[order[i]] = wide ? le32(d + p) : le16(d + p);
        s->present |= 1u << order[i];
        p += w;
    }
    return true;
}

static bool parse_ram(const uint8_t *d, const Chunk *c, MooState *s)
{
    if (c->len < 4)
        return false;
    uint32_t n = le32(d + c->body);
    if ((uint64_t)n * 5 > c->len - 4)
        return false;
    if (n > s->cap_ram) {
        MooRam *nr = realloc(s->ram, n * sizeof *nr);
        if (!nr)
            return false;
        s->ram = nr;
        s->cap_ram = n;
    }
    const uint8_t *p = d + c->body + 4;
    for (uint32_t i = 0; i < n; i++, p += 5)
        s->ram[i] = (MooRam){ le32(p), p[4] };
    s->n_ram = n;
    return true;
}

static bool parse_state(const uint8_t *d, const Chunk *outer, bool wide, MooState *s)
{
    size_t pos = outer->body, end = outer->body + outer->len;
    while (pos < end) {
        Chunk c;
        if (!chunk_at(d, pos, end, &c))
            return false;
        if (!strcmp(c.id, wide ? "RG32" : "REGS") && !parse_regs(d, &c, wide, s))
            return false;
        if (!strcmp(c.id, "RAM ") && !parse_ram(d, &c, s))
            return false;
        pos = c.body + c.len;
    }
    return true;
}

/* A "u32 length + bytes" payload, cut to what the chunk holds and to cap. */
static size_t counted_bytes(const uint8_t *d, const Chunk *c, size_t cap, const uint8_t **src)
{
    *src = d + c->body;
    if (c->len < 4)
        return 0;
    size_t n = le32(d + c->body);
    if (n > c->len - 4)
        n = c->len - 4;
    if (n > cap)
        n = cap;
    *src = d + c->body + 4;
    return n;
}

static bool parse_test(MooFile *f, const Chunk *tc, MooTest *t, char *err, size_t errlen)
{
    const uint8_t *d = f->data;
    t->index = le32(d + tc->body);
    size_t p = tc->body + 4, end = tc->body + tc->len;
    while (p < end) {
        Chunk c;
        if (!chunk_at(d, p, end, &c)) {
            snprintf(err, errlen, "test %u: truncated sub-chunk at offset %zu", t->index, p);
            return false;
        }
        const uint8_t *src = NULL;
        if (!strcmp(c.id, "NAME")) {
            size_t n = counted_bytes(d, &c, sizeof t->name - 1, &src);
            memcpy(t->name, src, n);
            t->name[n] = 0;
        } else if (!strcmp(c.id, "BYTS")) {
            t->n_bytes = (unsigned)counted_bytes(d, &c, sizeof t->bytes, &src);
            memcpy(t->bytes, src, t->n_bytes);
        } else if (!strcmp(c.id, "INIT") || !strcmp(c.id, "FINA")) {
            bool init = c.id[0] == 'I';
            if (!parse_state(d, &c, f->regs32, init ? &t->init : &t->final)) {
                snprintf(err, errlen, "test %u: malformed %s state", t->index, c.id);
                return false;
            }
        } else if (!strcmp(c.id, "EXCP") && c.len >= 5) {
            t->has_exception = true;
            t->exc_vector = d[c.body];
            t->exc_flags_addr = le32(d + c.body + 1);
        } else if (!strcmp(c.id, "HASH") && c.len >= 20) {
            t->has_hash = true;
            memcpy(t->hash, d + c.body, 20);
        }
        p = c.body + c.len;
    }
    if (!(t->init.present & (1u << MOO_IP)) || !(t->init.present & (1u << MOO_CS)) ||
        !t->n_bytes) {
        snprintf(err, errlen, "test %u: no initial CS:IP or no instruction bytes", t->index);
        return false;
    }
    return true;
}

static void state_clear(MooState *s)
{
    memset(s->regs, 0, sizeof s->regs);
    s->present = 0;
    s->n_ram = 0;
}

bool moo_next(MooFile *f, MooTest *t, char *err, size_t errlen)
{
    err[0] = 0;
    MooState init = t->init, final = t->final;
    memset(t, 0, sizeof *t);
    t->init = init;
    t->final = final;
    state_clear(&t->init);
    state_clear(&t->final);
    while (f->pos < f->len) {
        Chunk c;
        if (!chunk_at(f->data, f->pos, f->len, &c)) {
            snprintf(err, errlen, "truncated chunk at offset %zu", f->pos);
            return false;
        }
        f->pos = c.body + c.len;
        if (strcmp(c.id, "TEST"))
            continue;   /* META and chunks we do not know */
        if (c.len < 4) {
            snprintf(err, errlen, "TEST chunk of %zu bytes", c.len);
            return false;
        }
        return parse_test(f, &c, t, err, errlen);
    }
    return false;
}
