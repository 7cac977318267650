/* MOO test-vector reader (see moo.h). */
#include "tests/singlestep/moo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static bool read_all(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    gzFile gz = gzopen(path, "rb");   /* reads plain files too */
    if (!gz) {
        snprintf(err, errlen, "cannot open %s", path);
        return false;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                gzclose(gz);
                snprintf(err, errlen, "out of memory reading %s", path);
                return false;
            }
            buf = nb;
        }
        int r = gzread(gz, buf + n, (unsigned)(cap - n));
        if (r < 0) {
            free(buf);
            gzclose(gz);
            snprintf(err, errlen, "corrupt compressed data in %s", path);
            return false;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(gz);
    *out = buf;
    *len = n;
    return true;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A chunk within [pos, end): id and payload bounds. */
static bool chunk_at(const uint8_t *d, size_t pos, size_t end, char id[5], size_t *body,
                     size_t *blen)
{
    if (pos + 8 > end)
        return false;
    memcpy(id, d + pos, 4);
    id[4] = 0;
    uint32_t n = le32(d + pos + 4);
    if (n > end - pos - 8)
        return false;
    *body = pos + 8;
    *blen = n;
    return true;
}

bool moo_open(MooFile *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (!read_all(path, &f->data, &f->len, err, errlen))
        return false;
    char id[5];
    size_t body, blen;
    if (!chunk_at(f->data, 0, f->len, id, &body, &blen) || strcmp(id, "MOO ") || blen < 12) {
        snprintf(err, errlen, "%s: not a MOO file", path);
        moo_close(f);
        return false;
    }
    f->n_tests = le32(f->data + body + 4);
    memcpy(f->cpu, f->data + body + 8, 4);
    f->regs32 = f->cpu[0] == '3';
    f->pos = body + blen;
    return true;
}

void moo_close(MooFile *f)
{
    free(f->data);
    f->data = NULL;
}

static const int regs16_order[14] = { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS,
                                      MOO_ES, MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS };
/* RG32 bit order: cr0 cr3 eax ebx ecx edx esi edi ebp esp cs ds es fs gs ss eip eflags dr6 dr7 */
static const int regs32_order[20] = { MOO_CR0, MOO_CR3, MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_SI,
                                      MOO_DI, MOO_BP, MOO_SP, MOO_CS, MOO_DS, MOO_ES, MOO_FS,
                                      MOO_GS, MOO_SS, MOO_IP, MOO_FLAGS, MOO_DR6, MOO_DR7 };

static bool parse_state(const uint8_t *d, size_t pos, size_t end, MooState *s)
{
    while (pos < end) {
        char id[5];
        size_t body, blen;
        if (!chunk_at(d, pos, end, id, &body, &blen))
            return false;
        if (!strcmp(id, "REGS")) {
            if (blen < 2)
                return false;
            uint16_t mask = le16(d + body);
            size_t p = body + 2;
            for (int i = 0; i < 14; i++) {
                if (!(mask & (1u << i)))
                    continue;
                if (p + 2 > body + blen)
                    return false;
                s->regs[regs16_order[i]] = le16(d + p);
                s->present |= 1u << regs16_order[i];
                p += 2;
            }
        } else if (!strcmp(id, "RG32")) {
            if (blen < 4)
                return false;
            uint32_t mask = le32(d + body);
            size_t p = body + 4;
            for (int i = 0; i < 20; i++) {
                if (!(mask & (1u << i)))
                    continue;
                if (p + 4 > body + blen)
                    return false;
                s->regs[regs32_order[i]] = le32(d + p);
                s->present |= 1u << regs32_order[i];
                p += 4;
            }
        } else if (!strcmp(id, "RAM ")) {
            if (blen < 4)
                return false;
            uint32_t n = le32(d + body);
            if ((uint64_t)n * 5 > blen - 4)
                return false;
            s->ram = realloc(s->ram, (n ? n : 1) * sizeof *s->ram);
            if (!s->ram)
                return false;
            for (uint32_t i = 0; i < n; i++) {
                s->ram[i].addr = le32(d + body + 4 + 5 * i);
                s->ram[i].value = d[body + 8 + 5 * i];
            }
            s->n_ram = n;
        }
        pos = body + blen;
    }
    return true;
}

bool moo_next(MooFile *f, MooTest *t, char *err, size_t errlen)
{
    err[0] = 0;
    MooRam *keep_i = t->init.ram, *keep_f = t->final.ram;
    memset(t, 0, sizeof *t);
    t->init.ram = keep_i;
    t->final.ram = keep_f;
    t->init.n_ram = t->final.n_ram = 0;
    for (;;) {
        char id[5];
        size_t body, blen;
        if (f->pos >= f->len)
            return false;
        if (!chunk_at(f->data, f->pos, f->len, id, &body, &blen)) {
            snprintf(err, errlen, "truncated chunk at offset %zu", f->pos);
            return false;
        }
        f->pos = body + blen;
        if (strcmp(id, "TEST"))
            continue;
        if (blen < 4) {
            snprintf(err, errlen, "short TEST chunk");
            return false;
        }
        t->index = le32(f->data + body);
        size_t p = body + 4, end = body + blen;
        while (p < end) {
            char sid[5];
            size_t sb, sl;
            if (!chunk_at(f->data, p, end, sid, &sb, &sl)) {
                snprintf(err, errlen, "truncated sub-chunk in test %u", t->index);
                return false;
            }
            const uint8_t *d = f->data + sb;
            if (!strcmp(sid, "NAME") && sl >= 4) {
                uint32_t n = le32(d);
                if (n > sl - 4)
                    n = (uint32_t)sl - 4;
                if (n >= sizeof t->name)
                    n = sizeof t->name - 1;
                memcpy(t->name, d + 4, n);
            } else if (!strcmp(sid, "BYTS") && sl >= 4) {
                uint32_t n = le32(d);
                if (n > sl - 4 || n > sizeof t->bytes)
                    n = n > sizeof t->bytes ? sizeof t->bytes : (uint32_t)sl - 4;
                memcpy(t->bytes, d + 4, n);
                t->n_bytes = n;
            } else if (!strcmp(sid, "INIT")) {
                if (!parse_state(f->data, sb, sb + sl, &t->init)) {
                    snprintf(err, errlen, "bad INIT in test %u", t->index);
                    return false;
                }
            } else if (!strcmp(sid, "FINA")) {
                if (!parse_state(f->data, sb, sb + sl, &t->final)) {
                    snprintf(err, errlen, "bad FINA in test %u", t->index);
                    return false;
                }
            } else if (!strcmp(sid, "EXCP") && sl >= 5) {
                t->has_exception = true;
                t->exc_vector = d[0];
                t->exc_flags_addr = le32(d + 1);
            } else if (!strcmp(sid, "HASH") && sl >= 20) {
                memcpy(t->hash, d, 20);
            }
            p = sb + sl;
        }
        return true;
    }
}
