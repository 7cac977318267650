/* SPDX-License-Identifier: MIT */
/* HGFS shared folders for vmhgfs-fuse (iodev/vmport_hgfs.h). All packet
 * fields are little-endian and packed; the offsets below are those of the
 * protocol's V3 request and reply layouts. */
#include "iodev/vmport_hgfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* Operations served (the protocol's numbering). */
enum {
    OP_OPEN_V3 = 24, OP_READ_V3, OP_WRITE_V3, OP_CLOSE_V3, OP_SEARCH_OPEN_V3, OP_SEARCH_READ_V3,
    OP_SEARCH_CLOSE_V3, OP_GETATTR_V3, OP_SETATTR_V3, OP_CREATE_DIR_V3, OP_DELETE_FILE_V3,
    OP_DELETE_DIR_V3, OP_RENAME_V3, OP_QUERY_VOLUME_V3,
    OP_CREATE_SESSION_V4 = 41, OP_DESTROY_SESSION_V4 = 42,
    OP_NEW_HEADER = 0xFF,
};

#define HEADER_V4_SIZE 52       /* version, dummy op, sizes, id, op, status, flags, info, session */
#define HEADER_OLD_SIZE 8       /* id, op (request) / id, status (reply) */
#define NAME_V3_SIZE 16         /* length, flags, case type, fid; then the name */
#define ATTR_V2_SIZE 104
#define NAME_USE_FILE_DESC 1u
#define HINT_USE_FILE_DESC 4u

/* ======== little-endian fields ======== */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* ======== one request ======== */

typedef struct Req {
    const uint8_t *p;           /* the operation's fields, after the header */
    size_t n;
    uint32_t op;
} Req;

typedef struct Out {
    uint8_t *p;                 /* the reply's fields, after the header */
    size_t cap, len;
} Out;

typedef struct Name {
    const char *s;
    uint32_t len, flags, fid;
} Name;

/* A V3 name at off; false if it does not fit in the request. */
static bool get_name(const Req *r, size_t off, Name *nm)
{
    if (off > r->n || r->n - off < NAME_V3_SIZE)
        return false;
    const uint8_t *p = r->p + off;
    nm->len = rd32(p);
    nm->flags = rd32(p + 4);
    nm->fid = rd32(p + 12);
    nm->s = (const char *)p + NAME_V3_SIZE;
    return nm->len <= r->n - off - NAME_V3_SIZE;
}

static const struct { int err; int status; } errno_status[] = {
    { ENOENT, HGFS_ST_NO_SUCH_FILE }, { EBADF, HGFS_ST_INVALID_HANDLE },
    { EPERM, HGFS_ST_NOT_PERMITTED }, { EEXIST, HGFS_ST_FILE_EXISTS },
    { ENOTDIR, HGFS_ST_NOT_DIRECTORY }, { ENOTEMPTY, HGFS_ST_DIR_NOT_EMPTY },
    { EACCES, HGFS_ST_ACCESS_DENIED }, { EROFS, HGFS_ST_ACCESS_DENIED },
    { ELOOP, HGFS_ST_ACCESS_DENIED },       /* a symlink on the path: never followed */
    { EISDIR, HGFS_ST_ACCESS_DENIED }, { ENOSPC, HGFS_ST_NO_SPACE },
    { EDQUOT, HGFS_ST_NO_SPACE }, { EFBIG, HGFS_ST_NO_SPACE },
    { ENAMETOOLONG, HGFS_ST_NAME_TOO_LONG }, { EINVAL, HGFS_ST_INVALID_PARAMETER },
    { EXDEV, HGFS_ST_NOT_SAME_DEVICE }, { EBUSY, HGFS_ST_SHARING_VIOLATION },
};

static int status_of_errno(int e)
{
    for (size_t i = 0; i < sizeof errno_status / sizeof errno_status[0]; i++)
        if (errno_status[i].err == e)
            return errno_status[i].status;
    return HGFS_ST_GENERIC_ERROR;
}

/* ======== shares and path resolution ======== */

void hgfs_init(HgfsServer *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < HGFS_FILES_MAX; i++)
        s->files[i].fd = -1;
}

bool hgfs_add_share(HgfsServer *s, const char *spec, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || !colon[1] ||
        (size_t)(colon - spec) >= sizeof s->shares[0].name) {
        snprintf(err, errlen, "share=%s: expected NAME:HOSTDIR[:ro]", spec);
        return false;
    }
    if (s->n_shares == HGFS_SHARES_MAX) {
        snprintf(err, errlen, "share=%s: at most %d shares", spec, HGFS_SHARES_MAX);
        return false;
    }
    HgfsShare *sh = &s->shares[s->n_shares];
    memset(sh, 0, sizeof *sh);
    memcpy(sh->name, spec, (size_t)(colon - spec));
    snprintf(sh->path, sizeof sh->path, "%s", colon + 1);
    size_t plen = strlen(sh->path);
    if (plen > 3 && !strcmp(sh->path + plen - 3, ":ro")) {
        sh->path[plen - 3] = 0;
        sh->ro = true;
    }
    for (int i = 0; i < s->n_shares; i++) {
        if (!strcmp(s->shares[i].name, sh->name)) {
            snprintf(err, errlen, "share=%s: the name %s is taken", spec, sh->name);
            return false;
        }
    }
    sh->dirfd = open(sh->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sh->dirfd < 0) {
        snprintf(err, errlen, "share=%s: %s: %s", spec, sh->path, strerror(errno));
        return false;
    }
    s->n_shares++;
    return true;
}

/* Where a guest name leads: the directory holding the last component
 * (an fd of ours) and that component; or the list of shares. */
typedef struct Where {
    bool root;                  /* the name was empty: the share list */
    HgfsShare *share;
    int dirfd;                  /* -1 when root */
    char leaf[256];             /* "." for the share's own directory */
} Where;

static void where_done(Where *w)
{
    if (w->dirfd >= 0)
        close(w->dirfd);
    w->dirfd = -1;
}

static bool component_ok(const char *c, size_t len)
{
    if (len == 0 || len >= 256 || (len == 1 && c[0] == '.') ||
        (len == 2 && c[0] == '.' && c[1] == '.'))
        return false;
    return memchr(c, '/', len) == NULL;
}

static HgfsShare *share_named(HgfsServer *s, const char *c, size_t len)
{
    for (int i = 0; i < s->n_shares; i++)
        if (strlen(s->shares[i].name) == len && !memcmp(s->shares[i].name, c, len))
            return &s->shares[i];
    return NULL;
}

/* Walk the components with openat(O_NOFOLLOW | O_DIRECTORY): a symlink or
 * a non-directory anywhere before the last component stops the walk. */
static int resolve(HgfsServer *s, const Name *nm, Where *w)
{
    memset(w, 0, sizeof *w);
    w->dirfd = -1;
    uint32_t len = nm->len;
    while (len && nm->s[len - 1] == 0)      /* a trailing NUL some clients count */
        len--;
    if (len == 0) {
        w->root = true;
        return HGFS_ST_SUCCESS;
    }
    const char *p = nm->s, *end = nm->s + len;
    const char *nul = memchr(p, 0, (size_t)(end - p));
    size_t clen = nul ? (size_t)(nul - p) : (size_t)(end - p);
    if (!component_ok(p, clen) || !(w->share = share_named(s, p, clen)))
        return HGFS_ST_NO_SUCH_FILE;
    w->dirfd = dup(w->share->dirfd);
    if (w->dirfd < 0)
        return status_of_errno(errno);
    snprintf(w->leaf, sizeof w->leaf, ".");
    for (p = nul ? nul + 1 : end; p < end;) {
        nul = memchr(p, 0, (size_t)(end - p));
        clen = nul ? (size_t)(nul - p) : (size_t)(end - p);
        if (!component_ok(p, clen)) {
            where_done(w);
            return HGFS_ST_INVALID_NAME;
        }
        if (strcmp(w->leaf, ".") != 0) {    /* descend into the previous component */
            int fd = openat(w->dirfd, w->leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                int st = status_of_errno(errno);
                where_done(w);
                return st;
            }
            close(w->dirfd);
            w->dirfd = fd;
        }
        memcpy(w->leaf, p, clen);
        w->leaf[clen] = 0;
        p = nul ? nul + 1 : end;
    }
    return HGFS_ST_SUCCESS;
}

/* Only regular files and directories are served. */
static int stat_served(int dirfd, const char *leaf, struct stat *st)
{
    if (fstatat(dirfd, leaf, st, AT_SYMLINK_NOFOLLOW) != 0)
        return status_of_errno(errno);
    return S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) ? HGFS_ST_SUCCESS
                                                         : HGFS_ST_ACCESS_DENIED;
}

/* ======== attributes ======== */

static uint64_t nt_time(struct timespec t)
{
    return ((uint64_t)t.tv_sec + 11644473600ull) * 10000000ull + (uint64_t)t.tv_nsec / 100;
}

static struct timespec unix_time(uint64_t nt)
{
    struct timespec t;
    uint64_t secs = nt / 10000000ull;
    t.tv_sec = (time_t)(secs > 11644473600ull ? secs - 11644473600ull : 0);
    t.tv_nsec = (long)(nt % 10000000ull * 100);
    return t;
}

/* HgfsAttrV2 from a stat: type, size, times, permissions, ids. */
static void put_attr(uint8_t *a, const struct stat *st, bool ro)
{
    memset(a, 0, ATTR_V2_SIZE);
    unsigned mode = st->st_mode;
    unsigned owner = (mode >> 6) & 7;
    /* valid: type, size, access/write/change times, the four permission
     * sets, allocation size, user, group, file and volume ids, effective
     * permissions (not the creation time nor Windows flags) */
    wr64(a, 0x2FBFBull);
    wr32(a + 8, S_ISDIR(mode) ? 1 : 0);
    wr64(a + 12, (uint64_t)st->st_size);
    wr64(a + 28, nt_time(st->st_atim));
    wr64(a + 36, nt_time(st->st_mtim));
    wr64(a + 44, nt_time(st->st_ctim));
    a[52] = (uint8_t)((mode >> 9) & 7);
    a[53] = (uint8_t)(ro ? owner & ~2u : owner);
    a[54] = (uint8_t)((mode >> 3) & 7);
    a[55] = (uint8_t)(mode & 7);
    wr64(a + 64, (uint64_t)st->st_blocks * 512);
    wr32(a + 72, st->st_uid);
    wr32(a + 76, st->st_gid);
    wr64(a + 80, (uint64_t)st->st_ino);
    wr32(a + 88, (uint32_t)st->st_dev | 1);
    wr32(a + 92, ro ? owner & ~2u : owner);
}

/* ======== handles ======== */

static HgfsFile *file_of(HgfsServer *s, uint32_t h)
{
    return h < HGFS_FILES_MAX && s->files[h].fd >= 0 ? &s->files[h] : NULL;
}

static int new_file(HgfsServer *s, int fd, bool writable, bool append)
{
    for (int i = 0; i < HGFS_FILES_MAX; i++) {
        if (s->files[i].fd < 0) {
            s->files[i] = (HgfsFile){ fd, writable, append };
            return i;
        }
    }
    return -1;
}

static void search_free(HgfsSearch *se)
{
    for (uint32_t i = 0; i < se->n; i++)
        free(se->names[i]);
    free(se->names);
    if (se->dirfd >= 0)
        close(se->dirfd);
    memset(se, 0, sizeof *se);
}

void hgfs_close_all(HgfsServer *s)
{
    for (int i = 0; i < HGFS_FILES_MAX; i++) {
        if (s->files[i].fd >= 0)
            close(s->files[i].fd);
        s->files[i].fd = -1;
    }
    for (int i = 0; i < HGFS_SEARCHES_MAX; i++)
        if (s->searches[i].used)
            search_free(&s->searches[i]);
    s->session = 0;
}

void hgfs_free(HgfsServer *s)
{
    hgfs_close_all(s);
    for (int i = 0; i < s->n_shares; i++)
        close(s->shares[i].dirfd);
    s->n_shares = 0;
}

/* ======== operations ======== */

/* Reply fields of n bytes, zeroed; NULL if they do not fit. */
static uint8_t *reply_fields(Out *o, size_t n)
{
    if (o->cap - o->len < n)
        return NULL;
    uint8_t *p = o->p + o->len;
    memset(p, 0, n);
    o->len += n;
    return p;
}

static int op_getattr(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 16 || !get_name(r, 16, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    struct stat st;
    bool ro = false;
    if ((rd64(r->p) & HINT_USE_FILE_DESC) || (nm.flags & NAME_USE_FILE_DESC)) {
        HgfsFile *f = file_of(s, nm.fid);
        if (!f)
            return HGFS_ST_INVALID_HANDLE;
        if (fstat(f->fd, &st) != 0)
            return status_of_errno(errno);
    } else {
        Where w;
        int rc = resolve(s, &nm, &w);
        if (rc)
            return rc;
        if (w.root) {
            if (fstat(s->n_shares ? s->shares[0].dirfd : AT_FDCWD, &st) != 0)
                return status_of_errno(errno);
            st.st_mode = S_IFDIR | 0555;
            ro = true;
        } else {
            rc = stat_served(w.dirfd, w.leaf, &st);
            ro = w.share->ro;
        }
        where_done(&w);
        if (rc)
            return rc;
    }
    uint8_t *a = reply_fields(o, ATTR_V2_SIZE + 8 + NAME_V3_SIZE + 1);
    if (!a)
        return HGFS_ST_PROTOCOL_ERROR;
    put_attr(a, &st, ro);
    return HGFS_ST_SUCCESS;
}

/* Open flags: must exist / truncate / create / create new / create+truncate. */
static const int open_disposition[5] = { 0, O_TRUNC, O_CREAT, O_CREAT | O_EXCL, O_CREAT | O_TRUNC };

static int op_open(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 64 || !get_name(r, 64, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    uint64_t mask = rd64(r->p);
    uint32_t mode = (mask & 1) ? rd32(r->p + 8) & 3 : 0;
    uint32_t flags = (mask & 2) ? rd32(r->p + 12) : 0;
    if (mode == 3 || flags > 4)
        return HGFS_ST_INVALID_PARAMETER;
    unsigned perms = (mask & 8) ? (unsigned)r->p[17] << 6 : 6u << 6;
    perms |= (mask & 16) ? (unsigned)r->p[18] << 3 : 4u << 3;
    perms |= (mask & 32) ? r->p[19] : 4u;
    bool writes = mode != 0 || flags != 0;
    Where w;
    int rc = resolve(s, &nm, &w);
    if (rc)
        return rc;
    if (w.root || !strcmp(w.leaf, ".")) {
        where_done(&w);
        return HGFS_ST_ACCESS_DENIED;   /* directories are listed, not opened */
    }
    if (writes && w.share->ro) {
        where_done(&w);
        return HGFS_ST_ACCESS_DENIED;
    }
    static const int acc[3] = { O_RDONLY, O_WRONLY, O_RDWR };
    int fd = openat(w.dirfd, w.leaf, acc[mode] | open_disposition[flags] | O_NOFOLLOW |
                                         O_NONBLOCK | O_CLOEXEC, perms & 0777);
    rc = fd < 0 ? status_of_errno(errno) : HGFS_ST_SUCCESS;
    where_done(&w);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {     /* no devices, FIFOs, sockets */
        close(fd);
        return HGFS_ST_ACCESS_DENIED;
    }
    int h = new_file(s, fd, mode != 0, false);
    if (h < 0) {
        close(fd);
        return HGFS_ST_GENERIC_ERROR;
    }
    uint8_t *rep = reply_fields(o, 16);
    if (!rep)
        return HGFS_ST_PROTOCOL_ERROR;
    wr32(rep, (uint32_t)h);
    return HGFS_ST_SUCCESS;
}

static int op_read(HgfsServer *s, const Req *r, Out *o)
{
    if (r->n < 24)
        return HGFS_ST_PROTOCOL_ERROR;
    HgfsFile *f = file_of(s, rd32(r->p));
    uint64_t off = rd64(r->p + 4);
    uint32_t want = rd32(r->p + 12);
    if (!f)
        return HGFS_ST_INVALID_HANDLE;
    if (want > HGFS_IO_MAX_LARGE || off > INT64_MAX)
        return HGFS_ST_INVALID_PARAMETER;
    uint8_t *rep = reply_fields(o, 12 + want);
    if (!rep)
        return HGFS_ST_PROTOCOL_ERROR;
    ssize_t got = pread(f->fd, rep + 12, want, (off_t)off);
    if (got < 0) {
        o->len -= 12 + want;
        return status_of_errno(errno);
    }
    wr32(rep, (uint32_t)got);
    o->len -= want - (size_t)got;
    s->bytes_read += (uint64_t)got;
    return HGFS_ST_SUCCESS;
}

static int op_write(HgfsServer *s, const Req *r, Out *o)
{
    if (r->n < 25)
        return HGFS_ST_PROTOCOL_ERROR;
    HgfsFile *f = file_of(s, rd32(r->p));
    bool append = r->p[4] & 1;
    uint64_t off = rd64(r->p + 5);
    uint32_t n = rd32(r->p + 13);
    if (!f)
        return HGFS_ST_INVALID_HANDLE;
    if (!f->writable)
        return HGFS_ST_ACCESS_DENIED;
    if (n > r->n - 25 || n > HGFS_IO_MAX_LARGE || off > INT64_MAX)
        return HGFS_ST_INVALID_PARAMETER;
    ssize_t put;
    if (append) {
        off_t end = lseek(f->fd, 0, SEEK_END);
        put = end < 0 ? -1 : pwrite(f->fd, r->p + 25, n, end);
    } else
        put = pwrite(f->fd, r->p + 25, n, (off_t)off);
    if (put < 0)
        return status_of_errno(errno);
    uint8_t *rep = reply_fields(o, 12);
    if (!rep)
        return HGFS_ST_PROTOCOL_ERROR;
    wr32(rep, (uint32_t)put);
    s->bytes_written += (uint64_t)put;
    return HGFS_ST_SUCCESS;
}

static int op_close(HgfsServer *s, const Req *r, Out *o)
{
    if (r->n < 4)
        return HGFS_ST_PROTOCOL_ERROR;
    HgfsFile *f = file_of(s, rd32(r->p));
    if (!f)
        return HGFS_ST_INVALID_HANDLE;
    close(f->fd);
    f->fd = -1;
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

static int search_add(HgfsSearch *se, const char *name)
{
    if (se->n % 64 == 0) {
        char **more = realloc(se->names, (se->n + 64) * sizeof *more);
        if (!more)
            return -1;
        se->names = more;
    }
    if (!(se->names[se->n] = strdup(name)))
        return -1;
    se->n++;
    return 0;
}

/* The directory's names now (regular files and directories only). */
static int search_fill(HgfsSearch *se, int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return status_of_errno(e);
    }
    struct dirent *de;
    struct stat st;
    int rc = HGFS_ST_SUCCESS;
    while ((de = readdir(d)) != NULL) {
        if (!component_ok(de->d_name, strlen(de->d_name)) ||
            stat_served(dirfd, de->d_name, &st) != HGFS_ST_SUCCESS)
            continue;
        if (search_add(se, de->d_name) != 0) {
            rc = HGFS_ST_GENERIC_ERROR;
            break;
        }
    }
    closedir(d);
    return rc;
}

static int op_search_open(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 8 || !get_name(r, 8, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    int h = 0;
    while (h < HGFS_SEARCHES_MAX && s->searches[h].used)
        h++;
    if (h == HGFS_SEARCHES_MAX)
        return HGFS_ST_GENERIC_ERROR;
    HgfsSearch *se = &s->searches[h];
    memset(se, 0, sizeof *se);
    se->used = true;
    se->dirfd = -1;
    Where w;
    int rc = resolve(s, &nm, &w);
    if (!rc && w.root) {
        for (int i = 0; i < s->n_shares && !rc; i++)
            rc = search_add(se, s->shares[i].name) ? HGFS_ST_GENERIC_ERROR : 0;
    } else if (!rc) {
        se->ro = w.share->ro;
        se->dirfd = openat(w.dirfd, w.leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        rc = se->dirfd < 0 ? status_of_errno(errno) : search_fill(se, se->dirfd);
    }
    where_done(&w);
    uint8_t *rep = rc ? NULL : reply_fields(o, 12);
    if (!rep) {
        search_free(se);
        return rc ? rc : HGFS_ST_PROTOCOL_ERROR;
    }
    wr32(rep, (uint32_t)h);
    return HGFS_ST_SUCCESS;
}

/* One entry per reply (the client does not ask for more). */
static int op_search_read(HgfsServer *s, const Req *r, Out *o)
{
    if (r->n < 12)
        return HGFS_ST_PROTOCOL_ERROR;
    uint32_t h = rd32(r->p), index = rd32(r->p + 4);
    if (h >= HGFS_SEARCHES_MAX || !s->searches[h].used)
        return HGFS_ST_INVALID_HANDLE;
    HgfsSearch *se = &s->searches[h];
    uint8_t *rep = reply_fields(o, 16);
    if (!rep)
        return HGFS_ST_PROTOCOL_ERROR;
    struct stat st;
    bool ro = false;
    const char *name = NULL;
    for (; index < se->n && !name; index++) {   /* skip names gone since the open */
        if (se->dirfd < 0) {
            HgfsShare *sh = share_named(s, se->names[index], strlen(se->names[index]));
            if (sh && fstat(sh->dirfd, &st) == 0)
                name = se->names[index], ro = sh->ro;
        } else if (stat_served(se->dirfd, se->names[index], &st) == HGFS_ST_SUCCESS)
            name = se->names[index];
    }
    if (!name)
        return HGFS_ST_SUCCESS;                 /* count 0: the end */
    size_t nlen = strlen(name);
    uint8_t *e = reply_fields(o, 4 + ATTR_V2_SIZE + NAME_V3_SIZE + nlen + 1);
    if (!e)
        return HGFS_ST_PROTOCOL_ERROR;
    wr64(rep, 1);
    put_attr(e + 4, &st, ro || se->ro);
    wr32(e + 4 + ATTR_V2_SIZE, (uint32_t)nlen);
    wr32(e + 4 + ATTR_V2_SIZE + 12, 0xFFFFFFFFu);
    memcpy(e + 4 + ATTR_V2_SIZE + NAME_V3_SIZE, name, nlen);
    return HGFS_ST_SUCCESS;
}

static int op_search_close(HgfsServer *s, const Req *r, Out *o)
{
    if (r->n < 4)
        return HGFS_ST_PROTOCOL_ERROR;
    uint32_t h = rd32(r->p);
    if (h >= HGFS_SEARCHES_MAX || !s->searches[h].used)
        return HGFS_ST_INVALID_HANDLE;
    search_free(&s->searches[h]);
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

/* Resolve a name that is to be changed: not the share list, not a share's
 * own directory, not on a read-only share. */
static int resolve_for_change(HgfsServer *s, const Name *nm, Where *w)
{
    int rc = resolve(s, nm, w);
    if (rc)
        return rc;
    if (w->root || !strcmp(w->leaf, ".") || w->share->ro) {
        where_done(w);
        return HGFS_ST_ACCESS_DENIED;
    }
    return HGFS_ST_SUCCESS;
}

static int op_setattr(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 120 || !get_name(r, 120, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    const uint8_t *a = r->p + 8;
    uint64_t valid = rd64(a);
    int fd = -1;
    Where w = { .dirfd = -1 };
    int rc = HGFS_ST_SUCCESS;
    if ((rd64(r->p) & HINT_USE_FILE_DESC) || (nm.flags & NAME_USE_FILE_DESC)) {
        HgfsFile *f = file_of(s, nm.fid);
        if (!f)
            return HGFS_ST_INVALID_HANDLE;
        if (!f->writable)
            return HGFS_ST_ACCESS_DENIED;
        fd = dup(f->fd);
    } else {
        rc = resolve_for_change(s, &nm, &w);
        if (rc)
            return rc;
        struct stat st;
        rc = stat_served(w.dirfd, w.leaf, &st);
        if (!rc)
            fd = openat(w.dirfd, w.leaf,
                        (S_ISDIR(st.st_mode) ? O_RDONLY : O_WRONLY) | O_NOFOLLOW | O_CLOEXEC);
        where_done(&w);
    }
    if (!rc && fd < 0)
        rc = status_of_errno(errno);
    if (!rc && (valid & 2) && ftruncate(fd, (off_t)rd64(a + 12)) != 0)
        rc = status_of_errno(errno);
    if (!rc && (valid & (0xFull << 6))) {
        mode_t m = (mode_t)((a[52] & 7u) << 9 | (a[53] & 7u) << 6 | (a[54] & 7u) << 3 | (a[55] & 7u));
        if (fchmod(fd, m) != 0)
            rc = status_of_errno(errno);
    }
    if (!rc && (valid & (3ull << 3))) {
        struct timespec t[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
        if (valid & (1ull << 3))
            t[0] = unix_time(rd64(a + 28));
        if (valid & (1ull << 4))
            t[1] = unix_time(rd64(a + 36));
        if (futimens(fd, t) != 0)
            rc = status_of_errno(errno);
    }
    if (fd >= 0)
        close(fd);
    if (rc)
        return rc;
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

static int op_create_dir(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 20 || !get_name(r, 20, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    uint64_t mask = rd64(r->p);
    mode_t m = (mode_t)(((mask & 2) ? r->p[9] & 7u : 7u) << 6 |
                        ((mask & 4) ? r->p[10] & 7u : 5u) << 3 | ((mask & 8) ? r->p[11] & 7u : 5u));
    Where w;
    int rc = resolve_for_change(s, &nm, &w);
    if (rc)
        return rc;
    rc = mkdirat(w.dirfd, w.leaf, m) != 0 ? status_of_errno(errno) : HGFS_ST_SUCCESS;
    where_done(&w);
    if (rc)
        return rc;
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

static int op_delete(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 16 || !get_name(r, 16, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    if ((rd64(r->p) & 1) || (nm.flags & NAME_USE_FILE_DESC))
        return HGFS_ST_NOT_SUPPORTED;           /* by name only */
    Where w;
    int rc = resolve_for_change(s, &nm, &w);
    if (rc)
        return rc;
    struct stat st;
    rc = fstatat(w.dirfd, w.leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ? status_of_errno(errno) : 0;
    bool dir = r->op == OP_DELETE_DIR_V3;
    if (!rc && dir != !!S_ISDIR(st.st_mode))
        rc = dir ? HGFS_ST_NOT_DIRECTORY : HGFS_ST_ACCESS_DENIED;
    if (!rc && unlinkat(w.dirfd, w.leaf, dir ? AT_REMOVEDIR : 0) != 0)
        rc = status_of_errno(errno);
    where_done(&w);
    if (rc)
        return rc;
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

static int op_rename(HgfsServer *s, const Req *r, Out *o)
{
    Name from, to;
    if (r->n < 16 || !get_name(r, 16, &from) ||
        !get_name(r, 16 + NAME_V3_SIZE + 1 + (size_t)from.len, &to))
        return HGFS_ST_PROTOCOL_ERROR;
    uint64_t hints = rd64(r->p);
    if ((hints & 3) || ((from.flags | to.flags) & NAME_USE_FILE_DESC))
        return HGFS_ST_NOT_SUPPORTED;           /* by name only */
    Where a, b;
    int rc = resolve_for_change(s, &from, &a);
    if (rc)
        return rc;
    rc = resolve_for_change(s, &to, &b);
    if (rc) {
        where_done(&a);
        return rc;
    }
    if (a.share != b.share)
        rc = HGFS_ST_NOT_SAME_DEVICE;
    else if (renameat2(a.dirfd, a.leaf, b.dirfd, b.leaf, (hints & 4) ? RENAME_NOREPLACE : 0) != 0)
        rc = status_of_errno(errno);
    where_done(&a);
    where_done(&b);
    if (rc)
        return rc;
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

static int op_query_volume(HgfsServer *s, const Req *r, Out *o)
{
    Name nm;
    if (r->n < 8 || !get_name(r, 8, &nm))
        return HGFS_ST_PROTOCOL_ERROR;
    Where w;
    int rc = resolve(s, &nm, &w);
    if (rc)
        return rc;
    struct statvfs v;
    int fd = w.root ? (s->n_shares ? s->shares[0].dirfd : -1) : w.dirfd;
    rc = fd < 0 || fstatvfs(fd, &v) != 0 ? HGFS_ST_GENERIC_ERROR : HGFS_ST_SUCCESS;
    where_done(&w);
    uint8_t *rep = rc ? NULL : reply_fields(o, 24);
    if (!rep)
        return rc ? rc : HGFS_ST_PROTOCOL_ERROR;
    wr64(rep, (uint64_t)v.f_bavail * v.f_frsize);
    wr64(rep + 8, (uint64_t)v.f_blocks * v.f_frsize);
    return HGFS_ST_SUCCESS;
}

static int op_create_session(HgfsServer *s, const Req *r, Out *o)
{
    (void)r;
    uint8_t *rep = reply_fields(o, 24);
    if (!rep)
        return HGFS_ST_PROTOCOL_ERROR;
    hgfs_close_all(s);          /* a new session: the old one's handles are gone */
    s->session = 0x6B6169726FULL + s->requests;
    wr64(rep, s->session);
    wr32(rep + 12, HGFS_PACKET_MAX_LARGE);
    wr32(rep + 20, 1);          /* the maximum packet size is valid */
    return HGFS_ST_SUCCESS;
}

static int op_destroy_session(HgfsServer *s, const Req *r, Out *o)
{
    (void)r;
    hgfs_close_all(s);
    return reply_fields(o, 8) ? HGFS_ST_SUCCESS : HGFS_ST_PROTOCOL_ERROR;
}

typedef struct HgfsOpEntry {
    uint32_t op;
    const char *name;
    int (*fn)(HgfsServer *s, const Req *r, Out *o);
} HgfsOpEntry;

static const HgfsOpEntry ops[] = {
    { OP_OPEN_V3, "open", op_open },
    { OP_READ_V3, "read", op_read },
    { OP_WRITE_V3, "write", op_write },
    { OP_CLOSE_V3, "close", op_close },
    { OP_SEARCH_OPEN_V3, "search-open", op_search_open },
    { OP_SEARCH_READ_V3, "search-read", op_search_read },
    { OP_SEARCH_CLOSE_V3, "search-close", op_search_close },
    { OP_GETATTR_V3, "getattr", op_getattr },
    { OP_SETATTR_V3, "setattr", op_setattr },
    { OP_CREATE_DIR_V3, "mkdir", op_create_dir },
    { OP_DELETE_FILE_V3, "delete", op_delete },
    { OP_DELETE_DIR_V3, "rmdir", op_delete },
    { OP_RENAME_V3, "rename", op_rename },
    { OP_QUERY_VOLUME_V3, "volume", op_query_volume },
    { OP_CREATE_SESSION_V4, "create-session", op_create_session },
    { OP_DESTROY_SESSION_V4, "destroy-session", op_destroy_session },
};

/* ======== the packet ======== */

size_t hgfs_dispatch(HgfsServer *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    s->requests++;
    if (cap < HEADER_V4_SIZE + 64)
        return 0;
    if (len < HEADER_OLD_SIZE) {
        /* Too short for a header: the tools' "is HGFS there?" probe sends an
         * empty packet and wants any reply. */
        s->errors++;
        wr32(out, 0);
        wr32(out + 4, HGFS_ST_PROTOCOL_ERROR);
        return HEADER_OLD_SIZE;
    }
    bool v4 = rd32(req + 4) == OP_NEW_HEADER;
    size_t hsize = v4 ? HEADER_V4_SIZE : HEADER_OLD_SIZE;
    Req r = { 0 };
    uint32_t id = rd32(req);
    int status = HGFS_ST_PROTOCOL_ERROR;
    if (v4) {
        /* packet size, header size: the operation's fields lie between */
        uint32_t declared = len >= HEADER_V4_SIZE ? rd32(req + 8) : 0;
        uint32_t header = len >= HEADER_V4_SIZE ? rd32(req + 12) : 0;
        if (header >= HEADER_V4_SIZE && header <= declared && declared <= len) {
            id = rd32(req + 16);
            r.op = rd32(req + 20);
            r.p = req + header;
            r.n = declared - header;
            status = -1;
        }
    } else {
        r.op = rd32(req + 4);
        r.p = req + HEADER_OLD_SIZE;
        r.n = len - HEADER_OLD_SIZE;
        status = -1;
    }
    Out o = { out + hsize, cap - hsize, 0 };
    const char *name = "unknown";
    if (status < 0) {
        status = HGFS_ST_PROTOCOL_ERROR;    /* older operations: the client falls back */
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            if (ops[i].op == r.op) {
                name = ops[i].name;
                status = ops[i].fn(s, &r, &o);
                break;
            }
        }
    }
    if (status != HGFS_ST_SUCCESS) {
        o.len = 0;
        s->errors++;
    }
    if (s->trace)
        fprintf(s->trace, "hostcall: hgfs %s (op %u) -> status %d, %zu bytes\n", name, r.op,
                status, o.len);
    if (v4) {
        memset(out, 0, HEADER_V4_SIZE);
        out[0] = 1;
        wr32(out + 4, OP_NEW_HEADER);
        wr32(out + 8, (uint32_t)(HEADER_V4_SIZE + o.len));
        wr32(out + 12, HEADER_V4_SIZE);
        wr32(out + 16, id);
        wr32(out + 20, r.op);
        wr32(out + 24, (uint32_t)status);
        wr32(out + 28, 2);       /* a reply */
        wr64(out + 36, s->session);
    } else {
        wr32(out, id);
        wr32(out + 4, (uint32_t)status);
    }
    return hsize + o.len;
}
