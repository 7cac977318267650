/* SPDX-License-Identifier: MIT */
/* qcow2 images, versions 2 and 3 (see qcow2.h and docs/DISKS.md).
 *
 * Layout facts used here (QEMU's docs/interop/qcow2.txt): a big-endian
 * header; guest cluster n is found through L1[n / l2_entries] (the host
 * offset of an L2 table) and that table's entry n % l2_entries; every host
 * cluster in use has a refcount, found through the refcount table (host
 * offsets of refcount blocks). Bit 63 of an L1/L2 entry ("copied") says
 * the cluster's refcount is exactly 1, so it may be written in place;
 * otherwise (internal snapshots share it) a write copies it first. */
#include "iodev/qcow2.h"

#include "iodev/blockdev.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define QCOW2_MAGIC 0x514649FBu          /* "QFI\xfb" */
#define ENTRY_OFFSET_MASK 0x00FFFFFFFFFFFE00ull
#define RT_OFFSET_MASK 0xFFFFFFFFFFFFFE00ull
#define FLAG_COPIED (1ull << 63)
#define FLAG_COMPRESSED (1ull << 62)
#define FLAG_ZERO 1ull                   /* version 3: the cluster reads as zeros */

/* Incompatible feature bits (header offset 72, version 3). */
#define INCOMPAT_DIRTY 0x1ull
#define INCOMPAT_CORRUPT 0x2ull
#define INCOMPAT_KNOWN (INCOMPAT_DIRTY | INCOMPAT_CORRUPT)

/* Header extension types. */
#define EXT_END 0u
#define EXT_BACKING_FORMAT 0xE2792ACAu

#define MAX_BACKING_DEPTH 16
#define MAX_L1_ENTRIES (1u << 22)        /* 32 MiB of L1: far beyond any IDE disk */
#define MAX_RT_CLUSTERS (1u << 16)
#define CACHE_TABLES 32
#define ALLOC_POOL 256                   /* clusters reserved per flush of refcounts: */
#define ALLOC_POOL_BYTES (1u << 23)      /* as many as make 8 MiB, at least 32 */
#define MAX_RELEASES 4096                /* dropped references held until a flush */

typedef struct {
    uint64_t offset;        /* host offset of the cached table; 0 = free slot */
    uint64_t stamp;         /* last use, for eviction */
    uint8_t *data;          /* one cluster, as on disk (big-endian) */
} CachedTable;

typedef struct {
    CachedTable slot[CACHE_TABLES];
    uint64_t clock;
} TableCache;

struct Qcow2 {
    int fd;
    char path[256];
    bool readonly;
    uint32_t version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint64_t size;              /* virtual disk size */
    uint64_t l2_entries;        /* entries per L2 table */
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;               /* host byte order */
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_entries;
    uint64_t *rt;               /* host byte order */
    uint32_t refcount_order;    /* refcount width is 1 << order bits */
    uint64_t rb_entries;        /* refcounts per refcount block */
    uint64_t next_cluster;      /* allocation cursor (host cluster index), never moves back */
    TableCache l2_cache, rb_cache;
    BlockDev *backing;          /* NULL: unallocated clusters read as zeros */
    uint8_t *zbuf;              /* compressed bytes of one cluster (up to two clusters) */
    uint8_t *inflated;          /* the last decompressed cluster */
    uint64_t inflated_entry;    /* its L2 entry; 0 = none */
    uint8_t *cluster_buf;       /* a cluster being assembled for a copy-on-write */
    uint64_t pool[ALLOC_POOL];  /* host offsets whose refcount 1 is on disk, not yet used */
    int pool_len, pool_pos;
    struct Release {
        uint64_t offset, len;
    } *released;                /* references dropped since the last flush: freed after it */
    size_t n_released, cap_released;
    bool dirty;                 /* written since the last flush */
    uint64_t errors;            /* only the first is printed */
};

/* --- big-endian fields --- */

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

/* --- host file I/O --- */

/* Runtime errors reach the guest as an I/O error; the first is printed. */
static bool q_fail(Qcow2 *q, const char *fmt, ...)
{
    if (q->errors++ == 0) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "kairo: qcow2 image '%s': %s (further errors not shown)\n", q->path, msg);
    }
    return false;
}

/* Reads len bytes; returns how many were there before the end of file. */
static ssize_t host_pread(int fd, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static bool host_read(Qcow2 *q, uint64_t off, void *buf, size_t len)
{
    ssize_t n = host_pread(q->fd, off, buf, len);
    if (n == (ssize_t)len)
        return true;
    return q_fail(q, "read at %llu: %s", (unsigned long long)off,
                  n < 0 ? strerror(errno) : "beyond the end of the file");
}

static bool host_write(Qcow2 *q, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(q->fd, p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return q_fail(q, "write at %llu: %s", (unsigned long long)(off + done),
                          n < 0 ? strerror(errno) : "short write");
        done += (size_t)n;
    }
    q->dirty = true;
    return true;
}

static bool host_write_be(Qcow2 *q, uint64_t off, uint64_t v, int bytes)
{
    uint8_t b[8];
    put_be(b, v, bytes);
    return host_write(q, off, b, (size_t)bytes);
}

/* The ordering point: everything written so far is on disk. */
static bool host_sync(Qcow2 *q)
{
    if (fdatasync(q->fd) == 0)
        return true;
    return q_fail(q, "flush failed: %s", strerror(errno));
}

/* --- table caches (L2 tables and refcount blocks), write-through --- */

static CachedTable *cache_slot_for(Qcow2 *q, TableCache *c, uint64_t offset, bool *hit)
{
    CachedTable *victim = &c->slot[0];
    for (int i = 0; i < CACHE_TABLES; i++) {
        CachedTable *s = &c->slot[i];
        if (s->offset == offset && s->data) {
            *hit = true;
            s->stamp = ++c->clock;
            return s;
        }
        if (s->stamp < victim->stamp)
            victim = s;
    }
    *hit = false;
    if (!victim->data && !(victim->data = malloc(q->cluster_size)))
        return NULL;
    victim->offset = 0;
    victim->stamp = ++c->clock;
    return victim;
}

static bool table_offset_valid(Qcow2 *q, uint64_t offset)
{
    if (offset && !(offset & (q->cluster_size - 1)))
        return true;
    return q_fail(q, "metadata offset 0x%llx is not cluster aligned (corrupt image; "
                     "qemu-img check)", (unsigned long long)offset);
}

/* The table at host offset, read on a miss. NULL on an error. */
static uint8_t *table_get(Qcow2 *q, TableCache *c, uint64_t offset)
{
    if (!table_offset_valid(q, offset))
        return NULL;
    bool hit;
    CachedTable *s = cache_slot_for(q, c, offset, &hit);
    if (!s)
        return NULL;
    if (!hit) {
        if (!host_read(q, offset, s->data, q->cluster_size))
            return NULL;
        s->offset = offset;
    }
    return s->data;
}

/* A new table at host offset: written whole, then cached. */
static uint8_t *table_create(Qcow2 *q, TableCache *c, uint64_t offset, const uint8_t *content)
{
    bool hit;
    CachedTable *s = cache_slot_for(q, c, offset, &hit);
    if (!s)
        return NULL;
    s->offset = 0;
    if (content)
        memcpy(s->data, content, q->cluster_size);
    else
        memset(s->data, 0, q->cluster_size);
    if (!host_write(q, offset, s->data, q->cluster_size))
        return NULL;
    s->offset = offset;
    return s->data;
}

static void cache_free(TableCache *c)
{
    for (int i = 0; i < CACHE_TABLES; i++)
        free(c->slot[i].data);
    memset(c, 0, sizeof *c);
}

/* --- refcounts --- */

/* Entries narrower than a byte are packed from the least significant bit;
 * wider ones are big-endian. */
static uint64_t rb_entry_read(const Qcow2 *q, const uint8_t *blk, uint64_t i)
{
    unsigned bits = 1u << q->refcount_order;
    if (bits < 8)
        return (blk[i * bits / 8] >> (i * bits % 8)) & ((1u << bits) - 1);
    return get_be(blk + i * (bits / 8), (int)(bits / 8));
}

/* Stores v and writes the changed bytes through to the block at offset. */
static bool rb_entry_write(Qcow2 *q, uint8_t *blk, uint64_t blk_offset, uint64_t i, uint64_t v)
{
    unsigned bits = 1u << q->refcount_order;
    if (bits < 8) {
        uint8_t *b = &blk[i * bits / 8];
        unsigned shift = (unsigned)(i * bits % 8), mask = ((1u << bits) - 1) << shift;
        *b = (uint8_t)((*b & ~mask) | ((v << shift) & mask));
        return host_write(q, blk_offset + i * bits / 8, b, 1);
    }
    uint8_t *p = blk + i * (bits / 8);
    put_be(p, v, (int)(bits / 8));
    return host_write(q, blk_offset + i * (bits / 8), p, bits / 8);
}

static uint64_t refblock_offset(const Qcow2 *q, uint64_t cluster)
{
    uint64_t r = cluster / q->rb_entries;
    return r < q->rt_entries ? q->rt[r] & RT_OFFSET_MASK : 0;
}

static bool refcount_get(Qcow2 *q, uint64_t cluster, uint64_t *out)
{
    uint64_t off = refblock_offset(q, cluster);
    *out = 0;
    if (!off)
        return true;
    uint8_t *blk = table_get(q, &q->rb_cache, off);
    if (!blk)
        return false;
    *out = rb_entry_read(q, blk, cluster % q->rb_entries);
    return true;
}

static bool refcount_set(Qcow2 *q, uint64_t cluster, uint64_t v)
{
    uint64_t off = refblock_offset(q, cluster);
    if (!off)
        return q_fail(q, "no refcount block for cluster %llu", (unsigned long long)cluster);
    uint8_t *blk = table_get(q, &q->rb_cache, off);
    return blk && rb_entry_write(q, blk, off, cluster % q->rb_entries, v);
}

/* Drops one reference to each host cluster in [offset, offset + len). */
static bool refcount_release(Qcow2 *q, uint64_t offset, uint64_t len)
{
    uint64_t first = offset >> q->cluster_bits, last = (offset + len - 1) >> q->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        uint64_t rc;
        if (!refcount_get(q, c, &rc))
            return false;
        if (rc == 0)
            return q_fail(q, "freeing cluster %llu whose refcount is 0", (unsigned long long)c);
        if (!refcount_set(q, c, rc - 1))
            return false;
    }
    return true;
}

/* A reference dropped (an L2 entry or table pointer rewritten): the
 * refcounts fall only after the next flush has put the new pointer on
 * disk, so no crash can leave a pointer to a cluster counted as free. */
static bool release_later(Qcow2 *q, uint64_t offset, uint64_t len)
{
    if (q->n_released == q->cap_released) {
        size_t cap = q->cap_released ? q->cap_released * 2 : 64;
        struct Release *r = realloc(q->released, cap * sizeof *r);
        if (!r)
            return host_sync(q) && refcount_release(q, offset, len);
        q->released = r;
        q->cap_released = cap;
    }
    q->released[q->n_released++] = (struct Release){ offset, len };
    return q->n_released < MAX_RELEASES || qcow2_flush(q);
}

static bool apply_releases(Qcow2 *q)
{
    bool ok = true;
    for (size_t i = 0; i < q->n_released; i++)
        ok = refcount_release(q, q->released[i].offset, q->released[i].len) && ok;
    q->n_released = 0;
    return ok;
}

/* A refcount block for range r, placed at cluster c (which lies in range
 * r, so the block counts itself). The block is on disk before the table
 * entry that makes it live. */
static bool refblock_create(Qcow2 *q, uint64_t r, uint64_t c)
{
    uint64_t off = c << q->cluster_bits;
    uint8_t *blk = table_create(q, &q->rb_cache, off, NULL);
    if (!blk || !rb_entry_write(q, blk, off, c % q->rb_entries, 1) || !host_sync(q))
        return false;
    if (!host_write_be(q, q->rt_offset + r * 8, off, 8))
        return false;
    q->rt[r] = off;
    return true;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Sizes a new refcount table placed at cluster c with its new refcount
 * blocks right after it: *t table clusters, *b blocks (one per range from
 * c's onwards), such that the blocks cover the table and themselves. */
static bool rt_grow_plan(const Qcow2 *q, uint64_t c, uint64_t *t, uint64_t *b)
{
    uint64_t per_cluster = q->cluster_size / 8, first_r = c / q->rb_entries;
    uint64_t tc = 1, bc = 1;
    for (int iter = 0; iter < 64; iter++) {
        uint64_t last_r = (c + tc + bc - 1) / q->rb_entries;
        uint64_t want = q->rt_entries * 2 > last_r + 1 ? q->rt_entries * 2 : last_r + 1;
        uint64_t tc2 = div_up(want, per_cluster), bc2 = last_r - first_r + 1;
        if (tc2 == tc && bc2 == bc) {
            *t = tc;
            *b = bc;
            return tc <= MAX_RT_CLUSTERS;
        }
        tc = tc2;
        bc = bc2;
    }
    return false;
}

/* The refcount table is full: a bigger one goes at cluster c (the end of
 * the file), with the refcount blocks it needs after it. The header
 * switches to it with one write; the old table's clusters are freed
 * afterwards (a kill in between leaks them, nothing worse). */
static bool rt_grow(Qcow2 *q, uint64_t c)
{
    uint64_t tc, bc;
    if (!rt_grow_plan(q, c, &tc, &bc))
        return q_fail(q, "refcount table cannot grow any more");
    uint64_t first_r = c / q->rb_entries, entries = tc * (q->cluster_size / 8);
    uint64_t *rt = calloc(entries, sizeof *rt);
    uint8_t *disk = calloc(tc, q->cluster_size);
    uint8_t *blk = calloc(1, q->cluster_size);
    bool ok = rt && disk && blk;
    if (ok)
        memcpy(rt, q->rt, q->rt_entries * sizeof *rt);
    for (uint64_t k = 0; ok && k < bc; k++) {
        uint64_t r = first_r + k, blk_cluster = c + tc + k;
        memset(blk, 0, q->cluster_size);
        for (uint64_t n = c; n < c + tc + bc; n++)
            if (n / q->rb_entries == r) {
                unsigned bits = 1u << q->refcount_order;
                uint64_t i = n % q->rb_entries;
                if (bits < 8)
                    blk[i * bits / 8] |= (uint8_t)(1u << (i * bits % 8));
                else
                    put_be(blk + i * (bits / 8), 1, (int)(bits / 8));
            }
        rt[r] = blk_cluster << q->cluster_bits;
        ok = table_create(q, &q->rb_cache, rt[r], blk) != NULL;
    }
    for (uint64_t i = 0; ok && i < entries; i++)
        put_be(disk + i * 8, rt[i], 8);
    uint64_t new_off = c << q->cluster_bits;
    ok = ok && host_write(q, new_off, disk, tc * q->cluster_size) && host_sync(q);
    uint8_t hdr[12];
    put_be(hdr, new_off, 8);
    put_be(hdr + 8, tc, 4);
    ok = ok && host_write(q, 48, hdr, sizeof hdr);
    free(disk);
    free(blk);
    if (!ok) {
        free(rt);
        return false;
    }
    uint64_t old_off = q->rt_offset, old_clusters = q->rt_clusters;
    free(q->rt);
    q->rt = rt;
    q->rt_entries = entries;
    q->rt_offset = new_off;
    q->rt_clusters = (uint32_t)tc;
    q->next_cluster = c + tc + bc;
    return release_later(q, old_off, old_clusters << q->cluster_bits);
}

/* A free host cluster, its refcount now 1 (written, not yet flushed), or
 * 0 on an error. Clusters are taken from the end of the file. */
static uint64_t cluster_claim(Qcow2 *q)
{
    for (int guard = 0; guard < 1 << 20; guard++) {
        uint64_t c = q->next_cluster, r = c / q->rb_entries;
        if (c >> (56 - q->cluster_bits)) {
            q_fail(q, "image file too large");
            return 0;
        }
        if (r >= q->rt_entries) {
            if (!rt_grow(q, c))
                return 0;
            continue;
        }
        if (!(q->rt[r] & RT_OFFSET_MASK)) {
            if (!refblock_create(q, r, c))
                return 0;
            continue;
        }
        uint64_t rc;
        if (!refcount_get(q, c, &rc))
            return 0;
        q->next_cluster++;
        if (rc == 0)
            return refcount_set(q, c, 1) ? c << q->cluster_bits : 0;
    }
    q_fail(q, "no free cluster found");
    return 0;
}

/* A cluster for new data or a new table. Refcounts are claimed for a few
 * clusters at a time and flushed before any of them is used, so a pointer
 * written later never reaches the disk ahead of its cluster's refcount. */
static uint64_t cluster_alloc(Qcow2 *q)
{
    if (q->pool_pos == q->pool_len) {
        q->pool_pos = q->pool_len = 0;
        int want = (int)(ALLOC_POOL_BYTES >> q->cluster_bits);
        want = want < 32 ? 32 : want > ALLOC_POOL ? ALLOC_POOL : want;
        uint64_t c;
        while (q->pool_len < want && (c = cluster_claim(q)))
            q->pool[q->pool_len++] = c;
        if (!q->pool_len || !host_sync(q))
            return 0;
    }
    return q->pool[q->pool_pos++];
}

/* Reserved clusters never used go back (unreferenced: safe at any time). */
static bool pool_return(Qcow2 *q)
{
    bool ok = true;
    while (q->pool_pos < q->pool_len)
        ok = refcount_set(q, q->pool[--q->pool_len] >> q->cluster_bits, 0) && ok;
    q->pool_pos = q->pool_len = 0;
    return ok;
}

/* --- reading clusters --- */

static bool l2_entry(Qcow2 *q, uint64_t vcluster, uint64_t *entry)
{
    uint64_t l1i = vcluster / q->l2_entries;
    *entry = 0;
    uint64_t l2_off = l1i < q->l1_size ? q->l1[l1i] & ENTRY_OFFSET_MASK : 0;
    if (!l2_off)
        return true;
    uint8_t *t = table_get(q, &q->l2_cache, l2_off);
    if (!t)
        return false;
    *entry = be64(t + 8 * (vcluster % q->l2_entries));
    return true;
}

/* Where a compressed cluster's bytes are: the host offset and a length
 * in 512-byte sectors counted from the offset's sector. */
static void compressed_extent(const Qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len)
{
    unsigned x = 62 - (q->cluster_bits - 8);
    *off = entry & ((1ull << x) - 1);
    uint64_t sectors = ((entry >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;
    *len = sectors * 512 - (*off & 511);
}

/* Raw deflate (no zlib header), as QEMU writes it. */
static bool inflate_cluster(Qcow2 *q, uint64_t entry)
{
    if (q->inflated_entry == entry)
        return true;
    uint64_t off, len;
    compressed_extent(q, entry, &off, &len);
    /* The last compressed cluster may end at the end of the file. */
    ssize_t got = host_pread(q->fd, off, q->zbuf, (size_t)len);
    if (got <= 0)
        return q_fail(q, "compressed cluster at %llu unreadable", (unsigned long long)off);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return q_fail(q, "zlib initialisation failed");
    z.next_in = q->zbuf;
    z.avail_in = (uInt)got;
    z.next_out = q->inflated;
    z.avail_out = (uInt)q->cluster_size;
    int rc = inflate(&z, Z_FINISH);
    bool full = z.avail_out == 0;
    inflateEnd(&z);
    if (!full || (rc != Z_STREAM_END && rc != Z_OK && rc != Z_BUF_ERROR)) {
        q->inflated_entry = 0;
        return q_fail(q, "compressed cluster at %llu does not inflate", (unsigned long long)off);
    }
    q->inflated_entry = entry;
    return true;
}

static bool backing_read(Qcow2 *q, uint64_t offset, uint8_t *buf, size_t len)
{
    uint64_t have = q->backing ? q->backing->size : 0;
    size_t from_backing = offset >= have ? 0 : (have - offset < len ? (size_t)(have - offset) : len);
    if (from_backing && !blockdev_read(q->backing, offset, buf, from_backing))
        return false;
    memset(buf + from_backing, 0, len - from_backing);
    return true;
}

static bool data_offset_valid(Qcow2 *q, uint64_t host)
{
    if (!(host & (q->cluster_size - 1)))
        return true;
    return q_fail(q, "data cluster offset 0x%llx is not aligned (corrupt image)",
                  (unsigned long long)host);
}

/* Bytes [in, in + n) of guest cluster vcluster. */
static bool read_in_cluster(Qcow2 *q, uint64_t vcluster, size_t in, uint8_t *buf, size_t n)
{
    uint64_t e;
    if (!l2_entry(q, vcluster, &e))
        return false;
    if (e & FLAG_COMPRESSED) {
        if (!inflate_cluster(q, e & ~FLAG_COPIED))
            return false;
        memcpy(buf, q->inflated + in, n);
        return true;
    }
    if (q->version >= 3 && (e & FLAG_ZERO)) {
        memset(buf, 0, n);
        return true;
    }
    uint64_t host = e & ENTRY_OFFSET_MASK;
    if (!host)
        return backing_read(q, (vcluster << q->cluster_bits) + in, buf, n);
    return data_offset_valid(q, host) && host_read(q, host + in, buf, n);
}

/* --- writing clusters --- */

/* The L2 table for l1 index l1i, allocated (zeroed) or copied out of a
 * shared one first; the L1 entry is written after the table. */
static uint64_t l2_table_for_write(Qcow2 *q, uint64_t l1i)
{
    uint64_t old = q->l1[l1i] & ENTRY_OFFSET_MASK;
    if (old && (q->l1[l1i] & FLAG_COPIED))
        return old;
    const uint8_t *src = NULL;
    if (old && !(src = table_get(q, &q->l2_cache, old)))
        return 0;
    if (src) {  /* the cache slot may be reused by the allocation */
        memcpy(q->cluster_buf, src, q->cluster_size);
        src = q->cluster_buf;
    }
    uint64_t fresh = cluster_alloc(q);
    if (!fresh || !table_create(q, &q->l2_cache, fresh, src))
        return 0;
    if (!host_write_be(q, q->l1_offset + l1i * 8, fresh | FLAG_COPIED, 8))
        return 0;
    q->l1[l1i] = fresh | FLAG_COPIED;
    if (old && !release_later(q, old, 1))
        return 0;
    return fresh;
}

static bool l2_entry_write(Qcow2 *q, uint64_t l2_off, uint64_t i, uint64_t entry)
{
    uint8_t *t = table_get(q, &q->l2_cache, l2_off);
    if (!t)
        return false;
    put_be(t + 8 * i, entry, 8);
    return host_write(q, l2_off + 8 * i, t + 8 * i, 8);
}

/* Releases what an L2 entry pointed to, once nothing points there. */
static bool entry_release(Qcow2 *q, uint64_t e)
{
    if (e & FLAG_COMPRESSED) {
        uint64_t off, len;
        compressed_extent(q, e & ~FLAG_COPIED, &off, &len);
        if (q->inflated_entry == (e & ~FLAG_COPIED))
            q->inflated_entry = 0;
        return release_later(q, off, len);
    }
    uint64_t host = e & ENTRY_OFFSET_MASK;
    return !host || release_later(q, host, 1);
}

/* Bytes [in, in + n) of guest cluster vcluster. A cluster that is not
 * ours alone (unallocated, compressed, zero, shared) gets a fresh host
 * cluster with the old contents merged in: refcount, data, L2 entry, in
 * that order; then the old one is released. */
static bool write_in_cluster(Qcow2 *q, uint64_t vcluster, size_t in, const uint8_t *buf, size_t n)
{
    uint64_t l1i = vcluster / q->l2_entries, i = vcluster % q->l2_entries;
    uint64_t l2_off = l2_table_for_write(q, l1i);
    uint64_t e;
    if (!l2_off || !l2_entry(q, vcluster, &e))
        return false;
    uint64_t host = e & ENTRY_OFFSET_MASK;
    bool in_place = !(e & FLAG_COMPRESSED) && host && (e & FLAG_COPIED) &&
                    !(q->version >= 3 && (e & FLAG_ZERO));
    if (in_place)
        return data_offset_valid(q, host) && host_write(q, host + in, buf, n);
    const uint8_t *whole = buf;
    if (n < q->cluster_size) {
        if (!read_in_cluster(q, vcluster, 0, q->cluster_buf, q->cluster_size))
            return false;
        memcpy(q->cluster_buf + in, buf, n);
        whole = q->cluster_buf;
    }
    uint64_t fresh = cluster_alloc(q);
    if (!fresh || !host_write(q, fresh, whole, q->cluster_size))
        return false;
    if (!l2_entry_write(q, l2_off, i, fresh | FLAG_COPIED))
        return false;
    return entry_release(q, e);
}

/* --- the block-device calls --- */

typedef bool (*ClusterOp)(Qcow2 *q, uint64_t vcluster, size_t in, uint8_t *buf, size_t n);

static bool for_each_cluster(Qcow2 *q, uint64_t offset, uint8_t *buf, size_t len, ClusterOp op)
{
    if (offset > q->size || len > q->size - offset)
        return false;
    while (len) {
        uint64_t vc = offset >> q->cluster_bits;
        size_t in = (size_t)(offset & (q->cluster_size - 1));
        size_t n = q->cluster_size - in < len ? q->cluster_size - in : len;
        if (!op(q, vc, in, buf, n))
            return false;
        buf += n;
        offset += n;
        len -= n;
    }
    return true;
}

static bool write_op(Qcow2 *q, uint64_t vcluster, size_t in, uint8_t *buf, size_t n)
{
    return write_in_cluster(q, vcluster, in, buf, n);
}

bool qcow2_read(Qcow2 *q, uint64_t offset, void *buf, size_t len)
{
    return for_each_cluster(q, offset, buf, len, read_in_cluster);
}

bool qcow2_write(Qcow2 *q, uint64_t offset, const void *buf, size_t len)
{
    if (q->readonly)
        return false;
    /* write_op never writes into buf; the cast only shares the walker. */
    return for_each_cluster(q, offset, (uint8_t *)(uintptr_t)buf, len, write_op);
}

/* On disk, then the dropped references freed (on disk at the next flush;
 * lost, they are leaks). */
bool qcow2_flush(Qcow2 *q)
{
    if (!q->dirty && !q->n_released)
        return true;
    if (!host_sync(q))
        return false;
    q->dirty = false;
    return apply_releases(q);
}

void qcow2_close(Qcow2 *q)
{
    if (!q)
        return;
    if (!q->readonly) {
        qcow2_flush(q);
        pool_return(q);
        qcow2_flush(q);
    }
    if (q->backing) {
        blockdev_close(q->backing);
        free(q->backing);
    }
    cache_free(&q->l2_cache);
    cache_free(&q->rb_cache);
    free(q->l1);
    free(q->rt);
    free(q->zbuf);
    free(q->inflated);
    free(q->cluster_buf);
    free(q->released);
    free(q);
}

/* --- opening --- */

typedef struct {
    uint32_t version;
    uint64_t backing_offset;
    uint32_t backing_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint32_t nb_snapshots;
    uint64_t incompatible, autoclear;
    uint32_t refcount_order;
    uint32_t header_length;
} Header;

bool qcow2_probe(const uint8_t *head, size_t len)
{
    return len >= 4 && be32(head) == QCOW2_MAGIC;
}

static bool open_error(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "qcow2 image '%s': %s", path, msg);
    return false;
}

static void header_parse(const uint8_t *h, Header *hd)
{
    hd->version = be32(h + 4);
    hd->backing_offset = be64(h + 8);
    hd->backing_size = be32(h + 16);
    hd->cluster_bits = be32(h + 20);
    hd->size = be64(h + 24);
    hd->crypt_method = be32(h + 32);
    hd->l1_size = be32(h + 36);
    hd->l1_offset = be64(h + 40);
    hd->rt_offset = be64(h + 48);
    hd->rt_clusters = be32(h + 56);
    hd->nb_snapshots = be32(h + 60);
    hd->incompatible = hd->version >= 3 ? be64(h + 72) : 0;
    hd->autoclear = hd->version >= 3 ? be64(h + 88) : 0;
    hd->refcount_order = hd->version >= 3 ? be32(h + 96) : 4;
    hd->header_length = hd->version >= 3 ? be32(h + 100) : 72;
}

/* Names of the incompatible features kairo does not implement. */
static void unsupported_features(uint64_t bits, char *out, size_t len)
{
    static const char *const names[] = { "dirty", "corrupt", "external data file",
                                         "non-zlib compression", "extended L2 entries" };
    out[0] = 0;
    for (unsigned b = 0; b < 64; b++) {
        if (!(bits >> b & 1))
            continue;
        size_t used = strlen(out);
        if (b < sizeof names / sizeof names[0])
            snprintf(out + used, len - used, "%s%s", used ? ", " : "", names[b]);
        else
            snprintf(out + used, len - used, "%sfeature bit %u", used ? ", " : "", b);
    }
}

static bool header_check(const Header *hd, uint64_t file_size, bool readonly, const char *path,
                         char *err, size_t errlen)
{
    char names[160];
    if (hd->version != 2 && hd->version != 3)
        return open_error(err, errlen, path, "version %u is not supported (2, 3)", hd->version);
    if (hd->cluster_bits < 9 || hd->cluster_bits > 21)
        return open_error(err, errlen, path, "bad cluster size 2^%u", hd->cluster_bits);
    if (hd->crypt_method)
        return open_error(err, errlen, path, "encrypted images are not supported "
                          "(qemu-img convert -O qcow2 to decrypt)");
    if (hd->incompatible & ~INCOMPAT_KNOWN) {
        unsupported_features(hd->incompatible & ~INCOMPAT_KNOWN, names, sizeof names);
        return open_error(err, errlen, path, "uses %s, not supported (qemu-img convert -O qcow2 "
                          "makes a plain image)", names);
    }
    if (!readonly && (hd->incompatible & INCOMPAT_CORRUPT))
        return open_error(err, errlen, path, "is marked corrupt: repair it with "
                          "'qemu-img check -r all' or open it read-only");
    if (!readonly && (hd->incompatible & INCOMPAT_DIRTY) && hd->nb_snapshots)
        return open_error(err, errlen, path, "was not closed cleanly (dirty bit, lazy refcounts) "
                          "and has snapshots: run 'qemu-img check -r all' first");
    if (hd->version >= 3 && (hd->header_length < 104 || hd->header_length % 8 ||
                             hd->header_length > (1u << hd->cluster_bits)))
        return open_error(err, errlen, path, "bad header length %u", hd->header_length);
    if (hd->refcount_order > 6)
        return open_error(err, errlen, path, "bad refcount order %u", hd->refcount_order);
    uint64_t cs = 1ull << hd->cluster_bits, l2e = cs / 8;
    if (hd->size == 0 || hd->size > (1ull << 50))
        return open_error(err, errlen, path, "bad disk size %llu", (unsigned long long)hd->size);
    if (hd->l1_size < div_up(hd->size, cs * l2e) || hd->l1_size > MAX_L1_ENTRIES)
        return open_error(err, errlen, path, "L1 table size %u does not fit the disk size",
                          hd->l1_size);
    if ((hd->l1_offset & (cs - 1)) || (hd->rt_offset & (cs - 1)) || !hd->rt_offset)
        return open_error(err, errlen, path, "table offsets are not cluster aligned (corrupt)");
    if (!hd->rt_clusters || hd->rt_clusters > MAX_RT_CLUSTERS)
        return open_error(err, errlen, path, "bad refcount table size");
    if (hd->l1_offset + (uint64_t)hd->l1_size * 8 > file_size ||
        hd->rt_offset + ((uint64_t)hd->rt_clusters << hd->cluster_bits) > file_size)
        return open_error(err, errlen, path, "truncated (tables beyond the end of the file)");
    return true;
}

static bool load_table(int fd, uint64_t off, uint64_t entries, uint64_t **out)
{
    uint8_t *raw = malloc(entries * 8 + 1);
    *out = calloc(entries + 1, sizeof **out);
    bool ok = raw && *out && host_pread(fd, off, raw, entries * 8) == (ssize_t)(entries * 8);
    for (uint64_t i = 0; ok && i < entries; i++)
        (*out)[i] = be64(raw + i * 8);
    free(raw);
    return ok;
}

/* Header extensions after the header, up to the end marker; only the
 * backing file's format is used. */
static bool read_extensions(const uint8_t *c0, size_t len, uint32_t start, char *backing_fmt,
                            size_t fmtlen)
{
    size_t pos = start;
    while (pos + 8 <= len) {
        uint32_t type = be32(c0 + pos), n = be32(c0 + pos + 4);
        if (type == EXT_END)
            return true;
        if (n > len - pos - 8)
            return false;
        if (type == EXT_BACKING_FORMAT && n < fmtlen) {
            memcpy(backing_fmt, c0 + pos + 8, n);
            backing_fmt[n] = 0;
        }
        pos += 8 + div_up(n, 8) * 8;
    }
    return true;
}

/* Relative backing names are relative to the image's own directory. */
static void backing_path(const char *image, const char *name, char *out, size_t len)
{
    const char *slash = strrchr(image, '/');
    if (name[0] == '/' || !slash)
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%.*s/%s", (int)(slash - image), image, name);
}

static bool open_backing(Qcow2 *q, const uint8_t *c0, size_t c0_len, const Header *hd,
                         const char *fmt, int depth, char *err, size_t errlen)
{
    if (!hd->backing_offset)
        return true;
    if (hd->backing_size == 0 || hd->backing_size > 1023 ||
        hd->backing_offset + hd->backing_size > c0_len)
        return open_error(err, errlen, q->path, "bad backing file name field");
    char name[1024], full[4096];
    memcpy(name, c0 + hd->backing_offset, hd->backing_size);
    name[hd->backing_size] = 0;
    if (!strncmp(name, "json:", 5))
        return open_error(err, errlen, q->path, "json: backing file names are not supported");
    if (depth >= MAX_BACKING_DEPTH)
        return open_error(err, errlen, q->path, "backing chain longer than %d images",
                          MAX_BACKING_DEPTH);
    backing_path(q->path, name, full, sizeof full);
    q->backing = malloc(sizeof *q->backing);
    char why[512];
    if (!q->backing ||
        !blockdev_open_backing(q->backing, full, fmt[0] ? fmt : NULL, depth + 1, why, sizeof why)) {
        free(q->backing);
        q->backing = NULL;
        return open_error(err, errlen, q->path, "backing file: %s", why);
    }
    return true;
}

static bool setup_from_header(Qcow2 *q, const Header *hd, char *err, size_t errlen)
{
    q->version = hd->version;
    q->cluster_bits = hd->cluster_bits;
    q->cluster_size = 1ull << hd->cluster_bits;
    q->size = hd->size;
    q->l2_entries = q->cluster_size / 8;
    q->l1_size = hd->l1_size;
    q->l1_offset = hd->l1_offset;
    q->rt_offset = hd->rt_offset;
    q->rt_clusters = hd->rt_clusters;
    q->rt_entries = ((uint64_t)hd->rt_clusters << hd->cluster_bits) / 8;
    q->refcount_order = hd->refcount_order;
    q->rb_entries = q->cluster_size * 8 >> hd->refcount_order;
    q->zbuf = malloc(2 * q->cluster_size);
    q->inflated = malloc(q->cluster_size);
    q->cluster_buf = malloc(q->cluster_size);
    if (!q->zbuf || !q->inflated || !q->cluster_buf ||
        !load_table(q->fd, q->l1_offset, q->l1_size, &q->l1) ||
        !load_table(q->fd, q->rt_offset, q->rt_entries, &q->rt))
        return open_error(err, errlen, q->path, "cannot load its tables");
    return true;
}

/* --- the dirty bit --- */

/* Counts one reference to each cluster of [off, off + len). */
static bool count_refs(Qcow2 *q, uint32_t *counts, uint64_t n, uint64_t off, uint64_t len)
{
    if (!len)
        return true;
    for (uint64_t c = off >> q->cluster_bits; c <= (off + len - 1) >> q->cluster_bits; c++) {
        if (c >= n)
            return q_fail(q, "reference to cluster %llu beyond the end of the file",
                          (unsigned long long)c);
        counts[c]++;
    }
    return true;
}

/* Every reference from the metadata (no snapshots: the caller checked). */
static bool count_all_refs(Qcow2 *q, uint32_t *counts, uint64_t n)
{
    bool ok = count_refs(q, counts, n, 0, q->cluster_size) &&
              count_refs(q, counts, n, q->l1_offset, (uint64_t)q->l1_size * 8) &&
              count_refs(q, counts, n, q->rt_offset, (uint64_t)q->rt_clusters << q->cluster_bits);
    for (uint64_t r = 0; ok && r < q->rt_entries; r++)
        if (q->rt[r] & RT_OFFSET_MASK)
            ok = count_refs(q, counts, n, q->rt[r] & RT_OFFSET_MASK, q->cluster_size);
    for (uint32_t i = 0; ok && i < q->l1_size; i++) {
        uint64_t l2 = q->l1[i] & ENTRY_OFFSET_MASK;
        if (!l2)
            continue;
        const uint8_t *t = table_get(q, &q->l2_cache, l2);
        ok = t && count_refs(q, counts, n, l2, q->cluster_size);
        for (uint64_t k = 0; ok && k < q->l2_entries; k++) {
            uint64_t e = be64(t + 8 * k), off, len;
            if (e & FLAG_COMPRESSED) {
                compressed_extent(q, e & ~FLAG_COPIED, &off, &len);
                ok = count_refs(q, counts, n, off, len);
            } else if (e & ENTRY_OFFSET_MASK) {
                ok = count_refs(q, counts, n, e & ENTRY_OFFSET_MASK, q->cluster_size);
            }
        }
    }
    return ok;
}

/* QEMU killed with lazy refcounts on left the dirty bit: the refcounts may
 * be stale. As QEMU does on such an open, they are recomputed from the
 * metadata and written back, then the bit is cleared (after a flush). */
static bool dirty_repair(Qcow2 *q, const Header *hd, uint64_t file_size, char *err,
                         size_t errlen)
{
    if (q->readonly || !(hd->incompatible & INCOMPAT_DIRTY))
        return true;
    uint64_t n = div_up(file_size, q->cluster_size), quiet = q->errors;
    q->errors = 1;      /* the one line is open_error's */
    uint32_t *counts = calloc(n, sizeof *counts);
    bool ok = counts && count_all_refs(q, counts, n);
    uint64_t fixed = 0;
    for (uint64_t r = 0; ok && r < q->rt_entries; r++) {
        if (!(q->rt[r] & RT_OFFSET_MASK))
            continue;
        for (uint64_t i = 0; ok && i < q->rb_entries; i++) {
            uint64_t c = r * q->rb_entries + i, have, want = c < n ? counts[c] : 0;
            ok = refcount_get(q, c, &have);
            if (ok && have != want) {
                ok = refcount_set(q, c, want);
                fixed++;
            }
            if (c < n)
                counts[c] = 0;  /* done */
        }
    }
    for (uint64_t c = 0; ok && c < n; c++)
        if (counts[c])
            ok = q_fail(q, "cluster %llu is in use but has no refcount block",
                        (unsigned long long)c);
    free(counts);
    q->errors = quiet;
    uint64_t clean = hd->incompatible & ~INCOMPAT_DIRTY;
    if (!ok || fdatasync(q->fd) != 0 || !host_write_be(q, 72, clean, 8))
        return open_error(err, errlen, q->path, "was not closed cleanly (dirty bit) and its "
                          "refcounts cannot be repaired: run 'qemu-img check -r all'");
    fprintf(stderr, "kairo: qcow2 image '%s' was not closed cleanly: %llu refcount(s) "
            "repaired\n", q->path, (unsigned long long)fixed);
    return true;
}

/* Opened for writing: autoclear features kairo does not maintain (bitmaps)
 * must be cleared, telling QEMU their data is stale. */
static bool clear_autoclear(Qcow2 *q, const Header *hd, char *err, size_t errlen)
{
    if (q->readonly || !hd->autoclear)
        return true;
    if (!host_write_be(q, 88, 0, 8))
        return open_error(err, errlen, q->path, "cannot update the header");
    return true;
}

Qcow2 *qcow2_open(int fd, const char *path, bool readonly, int depth, uint64_t *size,
                  char *err, size_t errlen)
{
    struct stat st;
    uint8_t h[104] = { 0 };
    if (fstat(fd, &st) != 0 || host_pread(fd, 0, h, sizeof h) < 72 || !qcow2_probe(h, 4)) {
        open_error(err, errlen, path, "truncated header");
        return NULL;
    }
    Header hd;
    header_parse(h, &hd);
    if (hd.version >= 3 && st.st_size < 104) {
        open_error(err, errlen, path, "truncated header");
        return NULL;
    }
    if (!header_check(&hd, (uint64_t)st.st_size, readonly, path, err, errlen))
        return NULL;
    Qcow2 *q = calloc(1, sizeof *q);
    size_t c0_len = (uint64_t)st.st_size < (1ull << hd.cluster_bits)
                        ? (size_t)st.st_size : (size_t)1 << hd.cluster_bits;
    uint8_t *c0 = malloc(c0_len);
    char backing_fmt[32] = "";
    if (!q || !c0 || host_pread(fd, 0, c0, c0_len) != (ssize_t)c0_len) {
        open_error(err, errlen, path, "cannot read its first cluster");
        goto fail;
    }
    q->fd = fd;
    q->readonly = readonly;
    snprintf(q->path, sizeof q->path, "%s", path);
    q->next_cluster = div_up((uint64_t)st.st_size, 1ull << hd.cluster_bits);
    if (!read_extensions(c0, c0_len, hd.header_length, backing_fmt, sizeof backing_fmt)) {
        open_error(err, errlen, path, "bad header extension");
        goto fail;
    }
    if (!setup_from_header(q, &hd, err, errlen) ||
        !dirty_repair(q, &hd, (uint64_t)st.st_size, err, errlen) ||
        !clear_autoclear(q, &hd, err, errlen) ||
        !open_backing(q, c0, c0_len, &hd, backing_fmt, depth, err, errlen))
        goto fail;
    free(c0);
    *size = q->size;
    return q;
fail:
    free(c0);
    qcow2_close(q);
    return NULL;
}
