/* SPDX-License-Identifier: MIT */
/* The checkpoint store of reverse debugging (docs/REVERSE.md): machine
 * states at instruction counts of one run, kept in memory.
 *
 * RAM is kept page by page and shared: a checkpoint holds a pointer per
 * RAM page to a reference-counted copy, and a page that was not written
 * since the previous checkpoint (the caller's dirty map says which) is the
 * previous checkpoint's copy. A written page whose bytes came out equal is
 * shared too, and all-zero pages are one static page. Everything else
 * (CPU, devices) is an opaque blob per checkpoint.
 *
 * The store is bounded: past max_count checkpoints or max_bytes of pages
 * and blobs it thins, removing the checkpoint whose neighbours are
 * closest (so the survivors spread evenly over the history), the first
 * and the last excepted; only two left and still too large, the oldest
 * goes (history then starts later). */
#ifndef KAIRO_CHECKPOINTS_H
#define KAIRO_CHECKPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CK_PAGE_SIZE 4096u

typedef struct CkPage {
    uint32_t refs;
    uint8_t data[CK_PAGE_SIZE];
} CkPage;

typedef struct Checkpoint {
    uint64_t icount;        /* the instruction count */
    uint64_t exec;          /* instructions executed (icount without idle time) */
    size_t log_pos;         /* the input log's first record not applied yet */
    uint64_t log_icount;    /* the count of the record before it */
    uint8_t *state;         /* every component but RAM */
    size_t state_len;
    CkPage **pages;         /* [n_pages] */
} Checkpoint;

typedef struct CkStore {
    uint32_t n_pages;       /* RAM pages */
    Checkpoint *cps;        /* sorted by icount */
    int n, cap;
    int max_count;
    uint64_t max_bytes;
    /* What RAM holds, as pages: the checkpoint taken or restored last;
     * RAM equals it except for the pages the dirty map marks. */
    CkPage **base;
    uint64_t live_pages;    /* page copies allocated */
    uint64_t state_bytes;   /* blobs */
    uint64_t taken, thinned, shared_equal;
} CkStore;

/* False when out of memory. max_count >= 2. */
bool ck_init(CkStore *s, uint32_t n_pages, int max_count, uint64_t max_bytes);
void ck_free(CkStore *s);
/* Drop every checkpoint (RAM changed behind the store's back: a snapshot
 * was loaded); the next take copies all of RAM again. */
void ck_clear(CkStore *s);

/* Take a checkpoint of ram (n_pages pages) and state at icount; dirty
 * (one byte per page) says which pages changed since the base, and is
 * cleared. Returns its index, or -1 out of memory (nothing changed). A
 * checkpoint at a count already held replaces it. */
int ck_take(CkStore *s, const uint8_t *ram, uint8_t *dirty, uint64_t icount, uint64_t exec,
            const void *state, size_t state_len, size_t log_pos, uint64_t log_icount);
/* Make ram equal checkpoint i (copying only the pages that differ from
 * what it holds now) and clear dirty; returns the pages copied. */
uint32_t ck_restore_ram(CkStore *s, int i, uint8_t *ram, uint8_t *dirty);
/* The last checkpoint with exec <= the given count (by_exec) or icount <=
 * it; -1 if there is none. */
int ck_find(const CkStore *s, uint64_t count, bool by_exec);
/* Remove the checkpoints after icount (a new future replaces them). */
void ck_drop_after(CkStore *s, uint64_t icount);
/* Bytes held: page copies, blobs and the page tables. */
uint64_t ck_bytes(const CkStore *s);

#endif
