/* SPDX-License-Identifier: MIT */
/* The checkpoint store of reverse debugging (see checkpoints.h). */
#include "machine/checkpoints.h"

#include <stdlib.h>
#include <string.h>

/* All-zero pages, never counted nor freed: a guest that touched little of
 * its RAM costs little. */
static CkPage zero_page;

/* ======== pages ======== */

static void page_ref(CkPage *p)
{
    if (p && p != &zero_page)
        p->refs++;
}

static void page_unref(CkStore *s, CkPage *p)
{
    if (!p || p == &zero_page || --p->refs)
        return;
    free(p);
    s->live_pages--;
}

static bool is_zero(const uint8_t *p)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < CK_PAGE_SIZE; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        acc |= v;
    }
    return acc == 0;
}

/* The page to hold bytes: the base's copy when equal (a write of the same
 * values), the zero page, or a new copy (NULL out of memory). */
static CkPage *page_for(CkStore *s, CkPage *old, const uint8_t *bytes)
{
    if (old && !memcmp(old->data, bytes, CK_PAGE_SIZE)) {
        s->shared_equal++;
        return old;
    }
    if (is_zero(bytes))
        return &zero_page;
    CkPage *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    p->refs = 0;
    memcpy(p->data, bytes, CK_PAGE_SIZE);
    s->live_pages++;
    return p;
}

/* ======== the list ======== */

bool ck_init(CkStore *s, uint32_t n_pages, int max_count, uint64_t max_bytes)
{
    memset(s, 0, sizeof *s);
    s->n_pages = n_pages;
    s->max_count = max_count < 2 ? 2 : max_count;
    s->max_bytes = max_bytes;
    s->base = calloc(n_pages ? n_pages : 1, sizeof *s->base);
    return s->base != NULL;
}

static void release(CkStore *s, Checkpoint *c)
{
    for (uint32_t i = 0; i < s->n_pages; i++)
        page_unref(s, c->pages[i]);
    free(c->pages);
    free(c->state);
    s->state_bytes -= c->state_len;
}

static void remove_at(CkStore *s, int i)
{
    release(s, &s->cps[i]);
    memmove(&s->cps[i], &s->cps[i + 1], (size_t)(s->n - i - 1) * sizeof s->cps[0]);
    s->n--;
}

void ck_clear(CkStore *s)
{
    while (s->n)
        remove_at(s, s->n - 1);
    for (uint32_t i = 0; i < s->n_pages; i++) {
        page_unref(s, s->base[i]);
        s->base[i] = NULL;
    }
}

void ck_free(CkStore *s)
{
    if (!s->base)
        return;
    ck_clear(s);
    free(s->base);
    free(s->cps);
    memset(s, 0, sizeof *s);
}

uint64_t ck_bytes(const CkStore *s)
{
    return s->live_pages * sizeof(CkPage) + s->state_bytes +
           (uint64_t)(s->n + 1) * s->n_pages * sizeof(CkPage *);
}

/* The checkpoint to thin: the one whose neighbours are closest. */
static int thin_victim(const CkStore *s)
{
    if (s->n < 3)
        return 0;
    int best = 1;
    uint64_t best_gap = UINT64_MAX;
    for (int i = 1; i + 1 < s->n; i++) {
        uint64_t gap = s->cps[i + 1].icount - s->cps[i - 1].icount;
        if (gap < best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return best;
}

static void thin(CkStore *s)
{
    while (s->n > 1 && (s->n > s->max_count || (s->max_bytes && ck_bytes(s) > s->max_bytes))) {
        remove_at(s, thin_victim(s));
        s->thinned++;
    }
}

/* Room for one more, at its place in icount order; NULL out of memory. */
static Checkpoint *slot_for(CkStore *s, uint64_t icount)
{
    int at = s->n;
    while (at > 0 && s->cps[at - 1].icount > icount)
        at--;
    if (at > 0 && s->cps[at - 1].icount == icount)
        remove_at(s, --at);
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        Checkpoint *n = realloc(s->cps, (size_t)cap * sizeof *n);
        if (!n)
            return NULL;
        s->cps = n;
        s->cap = cap;
    }
    memmove(&s->cps[at + 1], &s->cps[at], (size_t)(s->n - at) * sizeof s->cps[0]);
    s->n++;
    return &s->cps[at];
}

/* The new checkpoint's pages: the base's where the dirty map is clear. */
static bool build_pages(CkStore *s, CkPage **pages, const uint8_t *ram, const uint8_t *dirty)
{
    for (uint32_t i = 0; i < s->n_pages; i++) {
        CkPage *old = s->base[i];
        CkPage *p = old && !dirty[i] ? old : page_for(s, old, ram + (size_t)i * CK_PAGE_SIZE);
        if (!p) {
            for (uint32_t k = 0; k < i; k++)
                page_unref(s, pages[k]);
            return false;
        }
        page_ref(p);
        pages[i] = p;
    }
    return true;
}

/* The base becomes pages (references taken). */
static void set_base(CkStore *s, CkPage *const *pages)
{
    for (uint32_t i = 0; i < s->n_pages; i++) {
        page_ref(pages[i]);
        page_unref(s, s->base[i]);
        s->base[i] = pages[i];
    }
}

int ck_take(CkStore *s, const uint8_t *ram, uint8_t *dirty, uint64_t icount, uint64_t exec,
            const void *state, size_t state_len, size_t log_pos, uint64_t log_icount)
{
    CkPage **pages = malloc((s->n_pages ? s->n_pages : 1) * sizeof *pages);
    uint8_t *blob = malloc(state_len ? state_len : 1);
    if (!pages || !blob || !build_pages(s, pages, ram, dirty)) {
        free(pages);
        free(blob);
        return -1;
    }
    memcpy(blob, state, state_len);
    set_base(s, pages);
    memset(dirty, 0, s->n_pages);
    Checkpoint *c = slot_for(s, icount);
    if (!c) {
        for (uint32_t i = 0; i < s->n_pages; i++)
            page_unref(s, pages[i]);
        free(pages);
        free(blob);
        return -1;
    }
    *c = (Checkpoint){ icount, exec, log_pos, log_icount, blob, state_len, pages };
    s->state_bytes += state_len;
    s->taken++;
    thin(s);
    return ck_find(s, icount, false);
}

uint32_t ck_restore_ram(CkStore *s, int i, uint8_t *ram, uint8_t *dirty)
{
    const Checkpoint *c = &s->cps[i];
    uint32_t copied = 0;
    for (uint32_t pg = 0; pg < s->n_pages; pg++) {
        if (!dirty[pg] && s->base[pg] == c->pages[pg])
            continue;
        memcpy(ram + (size_t)pg * CK_PAGE_SIZE, c->pages[pg]->data, CK_PAGE_SIZE);
        copied++;
    }
    set_base(s, c->pages);
    memset(dirty, 0, s->n_pages);
    return copied;
}

int ck_find(const CkStore *s, uint64_t count, bool by_exec)
{
    int found = -1;
    for (int i = 0; i < s->n; i++)
        if ((by_exec ? s->cps[i].exec : s->cps[i].icount) <= count)
            found = i;
    return found;
}

void ck_drop_after(CkStore *s, uint64_t icount)
{
    while (s->n && s->cps[s->n - 1].icount > icount)
        remove_at(s, s->n - 1);
}
