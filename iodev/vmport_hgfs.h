/* SPDX-License-Identifier: MIT */
/* HGFS, VMware's shared-folder protocol, served over the backdoor's RPCI
 * channel ("f " + packet) for vmhgfs-fuse: sessions (V4), open/read/
 * write/close, directory search, attributes, create/delete/rename of files
 * and directories, volume information (the V3 operations), with the old
 * (id, op) header or the V4 one. docs/VMPORT.md.
 *
 * -vmport share=NAME:HOSTDIR[:ro] exports a directory. Every guest path is
 * resolved strictly under it: components are walked one by one with
 * openat(O_NOFOLLOW), so no "..", no symlink anywhere on the path and no
 * special file is ever reached; read-only shares refuse every change; host
 * errors become HGFS status codes. */
#ifndef KAIRO_VMPORT_HGFS_H
#define KAIRO_VMPORT_HGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HGFS_SHARES_MAX 8
#define HGFS_FILES_MAX 128
#define HGFS_SEARCHES_MAX 32
#define HGFS_PACKET_MAX_LARGE 63488     /* 15 pages of data + 2 KiB of header */
#define HGFS_IO_MAX_LARGE 61440

/* Status codes (the protocol's order). */
enum {
    HGFS_ST_SUCCESS, HGFS_ST_NO_SUCH_FILE, HGFS_ST_INVALID_HANDLE, HGFS_ST_NOT_PERMITTED,
    HGFS_ST_FILE_EXISTS, HGFS_ST_NOT_DIRECTORY, HGFS_ST_DIR_NOT_EMPTY, HGFS_ST_PROTOCOL_ERROR,
    HGFS_ST_ACCESS_DENIED, HGFS_ST_INVALID_NAME, HGFS_ST_GENERIC_ERROR,
    HGFS_ST_SHARING_VIOLATION, HGFS_ST_NO_SPACE, HGFS_ST_NOT_SUPPORTED, HGFS_ST_NAME_TOO_LONG,
    HGFS_ST_INVALID_PARAMETER, HGFS_ST_NOT_SAME_DEVICE,
};

typedef struct HgfsShare {
    char name[64];
    char path[256];
    int dirfd;                  /* O_DIRECTORY of the host directory */
    bool ro;
} HgfsShare;

typedef struct HgfsFile {
    int fd;                     /* -1: free */
    bool writable;
    bool append;
} HgfsFile;

typedef struct HgfsSearch {
    bool used;
    int dirfd;                  /* the directory listed; -1 for the share list */
    bool ro;                    /* on a read-only share */
    char **names;
    uint32_t n;
} HgfsSearch;

typedef struct HgfsServer {
    HgfsShare shares[HGFS_SHARES_MAX];
    int n_shares;
    HgfsFile files[HGFS_FILES_MAX];
    HgfsSearch searches[HGFS_SEARCHES_MAX];
    uint64_t session;           /* 0: none yet */
    uint64_t requests, errors;
    uint64_t bytes_read, bytes_written;
    FILE *trace;                /* -d hostcall */
} HgfsServer;

void hgfs_init(HgfsServer *s);
/* "NAME:HOSTDIR[:ro]"; false with a one-line reason. */
bool hgfs_add_share(HgfsServer *s, const char *spec, char *err, size_t errlen);
/* One request packet -> its reply packet in out (cap bytes, at least
 * HGFS_PACKET_MAX_LARGE); returns the reply length. Malformed requests
 * get error replies (a reply too short to carry one: 0). */
size_t hgfs_dispatch(HgfsServer *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap);
/* Close every open file and search (guest reset, channel loss). */
void hgfs_close_all(HgfsServer *s);
/* And the shares too (teardown). */
void hgfs_free(HgfsServer *s);

#endif
