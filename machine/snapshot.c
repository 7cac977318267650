/* SPDX-License-Identifier: MIT */
/* Machine snapshots (see snapshot.h and docs/SNAPSHOTS.md).
 *
 * File layout, little-endian:
 *     "KAIROSNP"              magic
 *     u32 format version      SNAPSHOT_FORMAT_VERSION
 *     u32 n, n bytes          the configuration: one devstate section "config"
 *     u64 raw length          of the components' state stream
 *     u64 n, n bytes          that stream, deflated in chunks (machine/snapzip.h)
 *     u32 CRC-32              of every byte before it */
#include "machine/snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "machine/machine.h"
#include "machine/snapzip.h"
#include "machine/timetravel.h"

static const char MAGIC[8] = { 'K', 'A', 'I', 'R', 'O', 'S', 'N', 'P' };
#define HEADER_BYTES (sizeof MAGIC + 4)
#define MAX_FILES 8
/* Nothing this kairo writes is larger: RAM (at most 3840 MiB) plus the
 * devices' buffers and the disk overlays. A larger claim is corruption. */
#define MAX_RAW_BYTES (6ull << 30)

/* ======== the configuration block ======== */

typedef struct SnapFile {
    char role[8];           /* "fda", "hda", "kernel"... */
    char path[256];
    uint64_t size;
    uint32_t crc;
} SnapFile;

typedef struct SnapConfig {
    uint32_t ram_mb;
    uint64_t icount;
    bool overlay;           /* -snapshot */
    int n_comp;
    struct {
        char name[24];
        char kind[24];
        uint32_t version;
    } comp[DEVICE_LIST_MAX];
    int n_files;
    SnapFile files[MAX_FILES];
} SnapConfig;

static void put_str(StateWriter *w, const char *s)
{
    size_t n = strlen(s);
    state_put_u16(w, (uint16_t)n);
    state_put_bytes(w, s, n);
}

static bool get_str(StateReader *r, char *out, size_t cap)
{
    uint16_t n = state_get_u16(r);
    if (!state_ok(r) || n >= cap) {
        r->failed = true;
        return false;
    }
    state_get_bytes(r, out, n);
    out[n] = 0;
    return state_ok(r);
}

/* The size and CRC-32 of a file named on the command line (kernel, initrd). */
static bool hash_path(const char *path, uint64_t *size, uint32_t *crc)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static uint8_t buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        c = crc32(c, buf, (uInt)n);
        total += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    *size = total;
    *crc = (uint32_t)c;
    return ok;
}

static BlockDev *disk_of(Machine *m, int i)
{
    if (i < 2)
        return &m->fdc.drive[i].disk;
    return &m->ide[(i - 2) >> 1].dev[(i - 2) & 1].disk;
}

static const char *const disk_roles[6] = { "fda", "fdb", "hda", "hdb", "hdc", "hdd" };

/* The images this machine runs from, as a snapshot records them. */
static bool machine_files(Machine *m, SnapFile *files, int *n, char *err, size_t errlen)
{
    *n = 0;
    for (int i = 0; i < 6; i++) {
        BlockDev *bd = disk_of(m, i);
        if (!blockdev_present(bd))
            continue;
        SnapFile *f = &files[(*n)++];
        snprintf(f->role, sizeof f->role, "%s", disk_roles[i]);
        snprintf(f->path, sizeof f->path, "%s", bd->path);
        f->size = bd->size;
        if (!blockdev_content_hash(bd, &f->crc)) {
            snprintf(err, errlen, "snapshot: cannot read image '%s'", bd->path);
            return false;
        }
    }
    const char *boot[2] = { m->opt.kernel, m->opt.initrd };
    static const char *const boot_roles[2] = { "kernel", "initrd" };
    for (int i = 0; i < 2; i++) {
        if (!boot[i])
            continue;
        SnapFile *f = &files[(*n)++];
        snprintf(f->role, sizeof f->role, "%s", boot_roles[i]);
        snprintf(f->path, sizeof f->path, "%s", boot[i]);
        if (!hash_path(boot[i], &f->size, &f->crc)) {
            snprintf(err, errlen, "snapshot: cannot read %s '%s'", boot_roles[i], boot[i]);
            return false;
        }
    }
    return true;
}

static bool config_of(Machine *m, SnapConfig *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->ram_mb = m->opt.ram_mb;
    c->icount = m->cpu->icount;
    c->overlay = m->opt.snapshot;
    c->n_comp = m->devices.n;
    for (int i = 0; i < m->devices.n; i++) {
        const DeviceInstance *d = &m->devices.items[i];
        snprintf(c->comp[i].name, sizeof c->comp[i].name, "%s", d->name);
        snprintf(c->comp[i].kind, sizeof c->comp[i].kind, "%s", d->desc->kind);
        c->comp[i].version = d->desc->version;
    }
    return machine_files(m, c->files, &c->n_files, err, errlen);
}

static void config_write(const SnapConfig *c, StateWriter *w)
{
    state_begin(w, "config", 1);
    state_put_u32(w, c->ram_mb);
    state_put_u64(w, c->icount);
    state_put_u8(w, c->overlay);
    state_put_u32(w, (uint32_t)c->n_comp);
    for (int i = 0; i < c->n_comp; i++) {
        put_str(w, c->comp[i].name);
        put_str(w, c->comp[i].kind);
        state_put_u32(w, c->comp[i].version);
    }
    state_put_u32(w, (uint32_t)c->n_files);
    for (int i = 0; i < c->n_files; i++) {
        put_str(w, c->files[i].role);
        put_str(w, c->files[i].path);
        state_put_u64(w, c->files[i].size);
        state_put_u32(w, c->files[i].crc);
    }
    state_end(w);
}

static bool config_read(StateReader *r, SnapConfig *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    uint32_t version;
    if (!state_section(r, "config", &version) || version != 1) {
        snprintf(err, errlen, "snapshot: the configuration block is damaged");
        return false;
    }
    c->ram_mb = state_get_u32(r);
    c->icount = state_get_u64(r);
    c->overlay = state_get_u8(r) != 0;
    uint32_t n = state_get_u32(r);
    if (!state_ok(r) || n > DEVICE_LIST_MAX) {
        snprintf(err, errlen, "snapshot: the configuration block is damaged");
        return false;
    }
    c->n_comp = (int)n;
    for (int i = 0; i < c->n_comp; i++) {
        get_str(r, c->comp[i].name, sizeof c->comp[i].name);
        get_str(r, c->comp[i].kind, sizeof c->comp[i].kind);
        c->comp[i].version = state_get_u32(r);
    }
    n = state_get_u32(r);
    if (!state_ok(r) || n > MAX_FILES) {
        snprintf(err, errlen, "snapshot: the configuration block is damaged");
        return false;
    }
    c->n_files = (int)n;
    for (int i = 0; i < c->n_files; i++) {
        get_str(r, c->files[i].role, sizeof c->files[i].role);
        get_str(r, c->files[i].path, sizeof c->files[i].path);
        c->files[i].size = state_get_u64(r);
        c->files[i].crc = state_get_u32(r);
    }
    if (!state_ok(r)) {
        snprintf(err, errlen, "snapshot: the configuration block is damaged");
        return false;
    }
    state_section_end(r);
    return true;
}

/* ======== the configuration against this machine ======== */

static bool check_components(const SnapConfig *s, const Machine *m, char *err, size_t errlen)
{
    const DeviceList *l = &m->devices;
    for (int i = 0; i < s->n_comp; i++) {
        const DeviceInstance *d = devlist_find(l, s->comp[i].name);
        if (!d) {
            snprintf(err, errlen, "snapshot: it has component '%s' (%s), this machine has none",
                     s->comp[i].name, s->comp[i].kind);
            return false;
        }
        if (strcmp(d->desc->kind, s->comp[i].kind)) {
            snprintf(err, errlen, "snapshot: component '%s' is a %s, on this machine a %s",
                     s->comp[i].name, s->comp[i].kind, d->desc->kind);
            return false;
        }
        if (s->comp[i].version > d->desc->version || s->comp[i].version == 0) {
            snprintf(err, errlen, "snapshot: component '%s' was saved as version %u; this kairo "
                                  "reads versions 1 to %u",
                     s->comp[i].name, s->comp[i].version, d->desc->version);
            return false;
        }
        if (&l->items[i] != d) {
            snprintf(err, errlen, "snapshot: component '%s' is in another place than on this "
                                  "machine", s->comp[i].name);
            return false;
        }
    }
    if (s->n_comp != l->n) {
        snprintf(err, errlen, "snapshot: this machine has component '%s' (%s), the snapshot has "
                              "none", l->items[s->n_comp].name, l->items[s->n_comp].desc->kind);
        return false;
    }
    return true;
}

static const SnapFile *find_file(const SnapFile *files, int n, const char *role)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(files[i].role, role))
            return &files[i];
    return NULL;
}

static bool check_files(const SnapConfig *s, const SnapConfig *here, bool force, char *err,
                        size_t errlen)
{
    for (int i = 0; i < s->n_files; i++) {
        const SnapFile *a = &s->files[i];
        const SnapFile *b = find_file(here->files, here->n_files, a->role);
        if (!b) {
            snprintf(err, errlen, "snapshot: it has %s '%s', this machine has none", a->role,
                     a->path);
            return false;
        }
        if (a->size != b->size && !force) {
            snprintf(err, errlen, "snapshot: %s '%s' was %llu bytes, '%s' is %llu (force=on "
                                  "or loadvm -f to load anyway)", a->role, a->path,
                     (unsigned long long)a->size, b->path, (unsigned long long)b->size);
            return false;
        }
        if (a->crc != b->crc && !force) {
            snprintf(err, errlen, "snapshot: %s '%s' changed since the snapshot (CRC %08x, now "
                                  "%08x; force=on or loadvm -f to load anyway)",
                     a->role, b->path, a->crc, b->crc);
            return false;
        }
    }
    for (int i = 0; i < here->n_files; i++) {
        if (!find_file(s->files, s->n_files, here->files[i].role)) {
            snprintf(err, errlen, "snapshot: this machine has %s '%s', the snapshot has none",
                     here->files[i].role, here->files[i].path);
            return false;
        }
    }
    return true;
}

static bool check_config(const SnapConfig *s, Machine *m, bool force, char *err, size_t errlen)
{
    if (s->ram_mb != m->opt.ram_mb) {
        snprintf(err, errlen, "snapshot: RAM size %u MiB, this machine %u MiB", s->ram_mb,
                 m->opt.ram_mb);
        return false;
    }
    if (s->overlay != m->opt.snapshot) {
        snprintf(err, errlen, "snapshot: it was saved %s -snapshot, this machine runs %s it",
                 s->overlay ? "with" : "without", m->opt.snapshot ? "with" : "without");
        return false;
    }
    if (!check_components(s, m, err, errlen))
        return false;
    SnapConfig here;
    if (!config_of(m, &here, err, errlen))
        return false;
    return check_files(s, &here, force, err, errlen);
}

/* ======== the disks' -snapshot overlays ======== */

/* A component of its own ("disks"): the sectors the guest wrote under
 * -snapshot live in memory only, so they travel in the snapshot; without
 * -snapshot they are in the image files, which the configuration block
 * identifies by size and CRC. dev is the Machine. */
static void disks_save(void *dev, StateWriter *w)
{
    for (int i = 0; i < 6; i++)
        blockdev_save_overlay(disk_of(dev, i), w);
}

static bool disks_load(void *dev, StateReader *r, uint32_t version, char *err, size_t errlen)
{
    (void)version;
    for (int i = 0; i < 6 && state_ok(r); i++)
        if (!blockdev_load_overlay(disk_of(dev, i), r, err, errlen))
            return false;
    return true;
}

static void disks_info(void *dev, FILE *out)
{
    for (int i = 0; i < 6; i++) {
        const BlockDev *bd = disk_of(dev, i);
        if (!blockdev_present(bd))
            continue;
        uint64_t dirty = 0;
        for (uint64_t k = 0; bd->overlay && k < bd->overlay_chunks; k++)
            dirty += bd->overlay[k] != NULL;
        fprintf(out, "%s %s, %llu bytes%s", disk_roles[i], bd->path,
                (unsigned long long)bd->size, bd->readonly ? ", read-only" : "");
        if (bd->overlay)
            fprintf(out, ", -snapshot overlay %llu KiB", (unsigned long long)dirty * 4);
        fprintf(out, "\n");
    }
}

const DeviceDesc disks_desc = {
    .kind = "disks",
    .version = 1,
    .save_extra = disks_save,
    .load_extra = disks_load,
    .info = disks_info,
};

/* ======== the file ======== */

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void history_add(SnapshotHistory *h, const char *path, uint64_t icount, bool loaded)
{
    if (h->n == SNAPSHOT_HISTORY_MAX) {
        memmove(&h->items[0], &h->items[1], sizeof h->items[0] * (SNAPSHOT_HISTORY_MAX - 1));
        h->n--;
    }
    snprintf(h->items[h->n].path, sizeof h->items[h->n].path, "%s", path);
    h->items[h->n].icount = icount;
    h->items[h->n].loaded = loaded;
    h->n++;
    h->total++;
}

static bool write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n;
}

/* Header, configuration and the deflated stream, in one buffer. */
static bool build_image(const StateWriter *cfg, const StateWriter *st, uint8_t **out,
                        size_t *len, char *err, size_t errlen)
{
    uint8_t *z = NULL;
    size_t zlen = 0;
    if (!snapzip_deflate(st->buf, st->len, &z, &zlen)) {
        snprintf(err, errlen, "snapshot: out of memory compressing the state");
        return false;
    }
    size_t total = 16 + cfg->len + 16 + zlen + 4;
    uint8_t *buf = malloc(total);
    if (!buf) {
        free(z);
        snprintf(err, errlen, "snapshot: out of memory");
        return false;
    }
    memcpy(buf, MAGIC, sizeof MAGIC);
    put_le32(buf + 8, SNAPSHOT_FORMAT_VERSION);
    put_le32(buf + 12, (uint32_t)cfg->len);
    size_t pos = 16;
    memcpy(buf + pos, cfg->buf, cfg->len);
    pos += cfg->len;
    put_le32(buf + pos, (uint32_t)st->len);
    put_le32(buf + pos + 4, (uint32_t)((uint64_t)st->len >> 32));
    put_le32(buf + pos + 8, (uint32_t)zlen);
    put_le32(buf + pos + 12, (uint32_t)((uint64_t)zlen >> 32));
    memcpy(buf + pos + 16, z, zlen);
    free(z);
    pos += 16 + zlen;
    put_le32(buf + pos, (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), buf, pos));
    *out = buf;
    *len = pos + 4;
    return true;
}

bool snapshot_save(Machine *m, const char *path, char *err, size_t errlen)
{
    SnapConfig c;
    if (!config_of(m, &c, err, errlen))
        return false;
    StateWriter cfg, st;
    state_writer_init(&cfg);
    state_writer_init(&st);
    config_write(&c, &cfg);
    devlist_save_all(&m->devices, &st);
    bool ok = !cfg.failed && !st.failed;
    if (!ok)
        snprintf(err, errlen, "snapshot: out of memory");
    uint8_t *img = NULL;
    size_t len = 0;
    ok = ok && build_image(&cfg, &st, &img, &len, err, errlen);
    state_writer_free(&cfg);
    state_writer_free(&st);
    if (!ok)
        return false;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(img);
        snprintf(err, errlen, "snapshot: cannot create '%s': %s", path, strerror(errno));
        return false;
    }
    ok = write_all(f, img, len);
    ok = (fclose(f) == 0) && ok;
    free(img);
    if (!ok) {
        snprintf(err, errlen, "snapshot: cannot write '%s'", path);
        remove(path);
        return false;
    }
    history_add(&m->snapshots, path, c.icount, false);
    return true;
}

/* The whole file in memory, its frame checked: magic, version, CRC. */
static uint8_t *read_checked(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "snapshot: cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *nb = cap <= MAX_RAW_BYTES ? realloc(buf, cap) : NULL;
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "snapshot: '%s' is too large", path);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    const char *why = NULL;
    if (n < HEADER_BYTES || memcmp(buf, MAGIC, sizeof MAGIC))
        why = "is not a kairo snapshot";
    else if (le32(buf + 8) != SNAPSHOT_FORMAT_VERSION) {
        snprintf(err, errlen, "snapshot: '%s' has format version %u; this kairo reads %u", path,
                 le32(buf + 8), SNAPSHOT_FORMAT_VERSION);
        free(buf);
        return NULL;
    } else if (n < HEADER_BYTES + 4 + 16 + 4)
        why = "is truncated";
    else if (le32(buf + n - 4) != (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), buf, n - 4))
        why = "is truncated or corrupt (checksum mismatch)";
    if (why) {
        snprintf(err, errlen, "snapshot: '%s' %s", path, why);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The configuration and where the deflated stream lies in a checked file. */
static bool parse_frame(const uint8_t *buf, size_t len, SnapConfig *c, const uint8_t **z,
                        uint64_t *zlen, uint64_t *raw_len, char *err, size_t errlen)
{
    size_t body = len - 4;
    uint32_t cfg_len = le32(buf + 12);
    if (cfg_len > body - 16 || body - 16 - cfg_len < 16) {
        snprintf(err, errlen, "snapshot: the configuration block is damaged");
        return false;
    }
    StateReader r;
    state_reader_init(&r, buf + 16, cfg_len);
    if (!config_read(&r, c, err, errlen))
        return false;
    const uint8_t *p = buf + 16 + cfg_len;
    *raw_len = le64(p);
    *zlen = le64(p + 8);
    *z = p + 16;
    if (*zlen != body - 16 - cfg_len - 16 || *raw_len > MAX_RAW_BYTES) {
        snprintf(err, errlen, "snapshot: the state stream's lengths are damaged");
        return false;
    }
    return true;
}

static uint8_t *inflate_stream(const uint8_t *z, uint64_t zlen, uint64_t raw_len, char *err,
                               size_t errlen)
{
    uint8_t *raw = malloc(raw_len ? raw_len : 1);
    if (!raw) {
        snprintf(err, errlen, "snapshot: out of memory for %llu bytes of state",
                 (unsigned long long)raw_len);
        return NULL;
    }
    if (!snapzip_inflate(z, zlen, raw, raw_len)) {
        free(raw);
        snprintf(err, errlen, "snapshot: the state stream does not inflate");
        return NULL;
    }
    return raw;
}

bool snapshot_load(Machine *m, const char *path, bool force, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = read_checked(path, &len, err, errlen);
    if (!buf)
        return false;
    SnapConfig c;
    const uint8_t *z;
    uint64_t zlen, raw_len;
    uint8_t *raw = NULL;
    bool ok = parse_frame(buf, len, &c, &z, &zlen, &raw_len, err, errlen) &&
              check_config(&c, m, force, err, errlen) &&
              (raw = inflate_stream(z, zlen, raw_len, err, errlen)) != NULL;
    free(buf);
    if (!ok)
        return false;
    /* From here the machine changes: every component back to its reset
     * state (what a section from an older version does not hold keeps
     * that), then every section. */
    machine_reset(m);
    StateReader r;
    state_reader_init(&r, raw, raw_len);
    char why[200];
    ok = devlist_load_all(&m->devices, &r, why, sizeof why);
    if (ok && r.pos != r.len) {
        snprintf(why, sizeof why, "%llu bytes of state left over after the last component",
                 (unsigned long long)(r.len - r.pos));
        ok = false;
    }
    free(raw);
    if (!ok) {
        snprintf(err, errlen, "snapshot: %s (the machine's state is partly loaded)", why);
        return false;
    }
    history_add(&m->snapshots, path, m->cpu->icount, true);
    tt_discard(m);   /* --reverse: the history before the load is not this run's */
    /* --save-at points the loaded state has passed are not taken. */
    while (m->next_save < m->opt.n_save_at &&
           m->opt.save_at[m->next_save].icount <= m->cpu->icount)
        m->next_save++;
    return true;
}

bool snapshot_describe(const char *path, FILE *out, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = read_checked(path, &len, err, errlen);
    if (!buf)
        return false;
    SnapConfig c;
    const uint8_t *z;
    uint64_t zlen, raw_len;
    bool ok = parse_frame(buf, len, &c, &z, &zlen, &raw_len, err, errlen);
    free(buf);
    if (!ok)
        return false;
    fprintf(out, "%s: icount %llu, RAM %u MiB%s, %llu bytes (state %llu bytes)\n", path,
            (unsigned long long)c.icount, c.ram_mb, c.overlay ? ", -snapshot" : "",
            (unsigned long long)len, (unsigned long long)raw_len);
    fprintf(out, "components:");
    for (int i = 0; i < c.n_comp; i++)
        fprintf(out, " %s(%s v%u)", c.comp[i].name, c.comp[i].kind, c.comp[i].version);
    fprintf(out, "\n");
    for (int i = 0; i < c.n_files; i++)
        fprintf(out, "%s: %s, %llu bytes, CRC %08x\n", c.files[i].role, c.files[i].path,
                (unsigned long long)c.files[i].size, c.files[i].crc);
    return true;
}

void snapshot_history_print(const SnapshotHistory *h, FILE *out)
{
    if (!h->n) {
        fprintf(out, "no snapshot saved or loaded in this run\n");
        return;
    }
    for (int i = 0; i < h->n; i++)
        fprintf(out, "%-6s %-40s icount %llu\n", h->items[i].loaded ? "loaded" : "saved",
                h->items[i].path, (unsigned long long)h->items[i].icount);
}

/* ======== --state-hash ======== */

uint64_t machine_state_hash(Machine *m)
{
    /* The CPU's and the x87's sections hold every register (and icount);
     * RAM is hashed directly, being large. Two CRC-32s with different
     * starting points make a 64-bit value. */
    StateWriter w;
    state_writer_init(&w);
    const char *names[2] = { "cpu", "fpu" };
    for (int i = 0; i < 2; i++) {
        const DeviceInstance *d = devlist_find(&m->devices, names[i]);
        if (d)
            device_save(d, &w);
    }
    uLong lo = crc32(0L, Z_NULL, 0), hi = adler32(0L, Z_NULL, 0);
    PhysMem *mem = m->mem;
    for (uint64_t off = 0; off < mem->ram_size; off += 1u << 20) {
        uInt n = (uInt)(mem->ram_size - off < (1u << 20) ? mem->ram_size - off : 1u << 20);
        lo = crc32(lo, mem->ram + off, n);
        hi = adler32(hi, mem->ram + off, n);
    }
    lo = crc32(lo, w.buf, (uInt)w.len);
    hi = adler32(hi, w.buf, (uInt)w.len);
    state_writer_free(&w);
    return (uint64_t)hi << 32 | (uint32_t)lo;
}
