/* SPDX-License-Identifier: MIT */
/* The checkpoint store of reverse debugging (machine/checkpoints.h): RAM
 * pages shared between checkpoints, restores that copy only what differs,
 * thinning under a count and a memory cap, and the memory log's positions
 * (machine/replay.h) replayed from a checkpoint. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "machine/checkpoints.h"
#include "machine/replay.h"

enum { PAGES = 64 };

static uint8_t ram[PAGES * CK_PAGE_SIZE];
static uint8_t dirty[PAGES];

/* A guest write: bytes in a page, marked dirty as the TLB fill would. */
static void poke(uint32_t page, uint32_t off, uint8_t v)
{
    ram[page * CK_PAGE_SIZE + off] = v;
    dirty[page] = 1;
}

static void reset_ram(void)
{
    memset(ram, 0, sizeof ram);
    memset(dirty, 0, sizeof dirty);
}

static int take(CkStore *s, uint64_t icount)
{
    uint8_t state[16];
    memset(state, (int)(icount & 0xFF), sizeof state);
    return ck_take(s, ram, dirty, icount, icount, state, sizeof state, 0, 0);
}

Test(checkpoints, first_copies_nonzero_pages_later_only_dirty_ones)
{
    CkStore s;
    reset_ram();
    cr_assert(ck_init(&s, PAGES, 16, 0));
    poke(3, 0, 1);
    poke(7, 100, 2);
    cr_assert_geq(take(&s, 0), 0);
    /* Zero pages are the one static page: two copies for two pages. */
    cr_assert_eq(s.live_pages, 2);
    cr_assert_eq(dirty[3], 0, "the take clears the dirty map");
    poke(7, 101, 3);
    cr_assert_geq(take(&s, 1000), 0);
    cr_assert_eq(s.live_pages, 3, "only the written page is copied again");
    cr_assert_eq(s.cps[0].pages[3], s.cps[1].pages[3], "an unwritten page is shared");
    cr_assert_neq(s.cps[0].pages[7], s.cps[1].pages[7]);
    /* A page written with the bytes it had: shared, not copied. */
    poke(3, 0, 1);
    cr_assert_geq(take(&s, 2000), 0);
    cr_assert_eq(s.live_pages, 3);
    cr_assert_eq(s.cps[2].pages[3], s.cps[1].pages[3]);
    cr_assert_eq(s.shared_equal, 1);
    ck_free(&s);
}

Test(checkpoints, restore_copies_back_only_what_differs)
{
    CkStore s;
    reset_ram();
    cr_assert(ck_init(&s, PAGES, 16, 0));
    poke(1, 5, 0x11);
    take(&s, 0);
    poke(2, 6, 0x22);
    take(&s, 100);
    poke(1, 5, 0x33);   /* after the last checkpoint, not in any */
    poke(9, 0, 0x44);
    cr_assert_eq(ck_restore_ram(&s, 0, ram, dirty), 3, "pages 1, 9 (dirty) and 2 (differs)");
    cr_assert_eq(ram[1 * CK_PAGE_SIZE + 5], 0x11);
    cr_assert_eq(ram[2 * CK_PAGE_SIZE + 6], 0);
    cr_assert_eq(ram[9 * CK_PAGE_SIZE], 0);
    cr_assert_eq(dirty[1] | dirty[9], 0);
    cr_assert_eq(ck_restore_ram(&s, 1, ram, dirty), 1, "only page 2");
    cr_assert_eq(ram[2 * CK_PAGE_SIZE + 6], 0x22);
    cr_assert_eq(ck_restore_ram(&s, 1, ram, dirty), 0, "nothing: RAM is the checkpoint");
    /* A checkpoint taken after a restore shares from the restored one. */
    poke(4, 0, 0x55);
    take(&s, 150);
    cr_assert_eq(s.cps[2].pages[2], s.cps[1].pages[2]);
    cr_assert_eq(s.cps[2].pages[4]->data[0], 0x55);
    ck_free(&s);
}

Test(checkpoints, find_by_count_and_by_executed)
{
    CkStore s;
    reset_ram();
    cr_assert(ck_init(&s, PAGES, 16, 0));
    uint8_t st = 0;
    ck_take(&s, ram, dirty, 100, 90, &st, 1, 0, 0);
    ck_take(&s, ram, dirty, 300, 200, &st, 1, 0, 0);
    ck_take(&s, ram, dirty, 200, 150, &st, 1, 0, 0);   /* out of order: sorted in */
    cr_assert_eq(s.cps[1].icount, 200);
    cr_assert_eq(ck_find(&s, 99, false), -1);
    cr_assert_eq(ck_find(&s, 250, false), 1);
    cr_assert_eq(ck_find(&s, 150, true), 1);
    cr_assert_eq(ck_find(&s, 1000, true), 2);
    ck_drop_after(&s, 200);
    cr_assert_eq(s.n, 2);
    ck_free(&s);
}

Test(checkpoints, thinning_keeps_ends_and_spreads_the_rest)
{
    CkStore s;
    reset_ram();
    cr_assert(ck_init(&s, PAGES, 8, 0));
    for (uint64_t i = 0; i <= 100; i++) {
        poke((uint32_t)(i % PAGES), 0, (uint8_t)(i + 1));
        cr_assert_geq(take(&s, i * 1000), 0);
        cr_assert_leq(s.n, 8);
    }
    cr_assert_eq(s.cps[0].icount, 0, "the start of history stays");
    cr_assert_eq(s.cps[s.n - 1].icount, 100000, "the newest stays");
    cr_assert_eq(s.thinned, 101 - 8);
    /* Evenly spread: no gap more than three times another. */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 1; i < s.n; i++) {
        uint64_t gap = s.cps[i].icount - s.cps[i - 1].icount;
        lo = gap < lo ? gap : lo;
        hi = gap > hi ? gap : hi;
    }
    cr_assert_leq(hi, 3 * lo, "gaps %llu..%llu", (unsigned long long)lo,
                  (unsigned long long)hi);
    /* Every survivor still restores to what RAM held at its count. */
    for (int i = 0; i < s.n; i++) {
        uint64_t k = s.cps[i].icount / 1000;
        ck_restore_ram(&s, i, ram, dirty);
        cr_assert_eq(ram[(k % PAGES) * CK_PAGE_SIZE], (uint8_t)(k + 1));
    }
    ck_free(&s);
}

Test(checkpoints, memory_cap_frees_pages_and_drops_the_oldest_last)
{
    CkStore s;
    reset_ram();
    uint64_t table = (uint64_t)PAGES * sizeof(CkPage *);
    /* Room for the page tables of a few checkpoints and a few copies. */
    uint64_t cap = 6 * table + 12 * sizeof(CkPage);
    cr_assert(ck_init(&s, PAGES, 1000, cap));
    for (uint64_t i = 0; i < 50; i++) {
        for (uint32_t p = 0; p < 4; p++)
            poke(p, 0, (uint8_t)(i * 4 + p + 1));
        cr_assert_geq(take(&s, i * 10), 0);
        cr_assert_leq(ck_bytes(&s), cap, "after %llu: %llu bytes",
                      (unsigned long long)i, (unsigned long long)ck_bytes(&s));
    }
    cr_assert_geq(s.n, 1);
    cr_assert_gt(s.thinned, 0);
    /* The pages of removed checkpoints went back: live copies are the
     * survivors' (4 pages each at most) plus the base. */
    cr_assert_leq(s.live_pages, (uint64_t)(s.n + 1) * 4);
    ck_clear(&s);
    cr_assert_eq(s.live_pages, 0, "no page leaked");
    ck_free(&s);
}

Test(checkpoints, replay_memory_log_from_a_position)
{
    Replay r;
    uint64_t icount = 0;
    memset(&r, 0, sizeof r);
    cr_assert(replay_open_memory(&r, &icount));
    cr_assert(replay_recording(&r));
    uint8_t a = 'a', b = 'b';
    icount = 10;
    r.in_slice = true;
    replay_log(&r, RK_SERIAL, (uint8_t[]){ 0, a }, 2);
    uint64_t prev;
    size_t pos = replay_mem_pos(&r, &prev);   /* a checkpoint here */
    cr_assert_eq(prev, 10);
    icount = 25;
    replay_log(&r, RK_SERIAL, (uint8_t[]){ 0, b }, 2);
    /* Back to the checkpoint: the second input comes from the log. */
    icount = 12;
    replay_mem_play(&r, pos, prev);
    cr_assert(replay_playing(&r));
    uint8_t buf[8];
    cr_assert_eq(replay_serial(&r, 0, buf, 0, sizeof buf), 0, "not due before count 25");
    icount = 25;
    cr_assert_eq(replay_serial(&r, 0, buf, 0, sizeof buf), 1);
    cr_assert_eq(buf[0], 'b');
    cr_assert(!r.failed);
    /* The end of history: recording again, the log continues after it. */
    replay_mem_record(&r);
    cr_assert(replay_recording(&r));
    size_t len = r.mem_len;
    icount = 30;
    replay_log(&r, RK_SERIAL, (uint8_t[]){ 0, a }, 2);
    cr_assert_gt(r.mem_len, len);
    /* Cut in the past: going live at count 12 drops the record at 25. */
    replay_mem_play(&r, pos, prev);
    replay_mem_record(&r);
    cr_assert_eq(r.mem_len, pos, "the recorded future is dropped");
    replay_close(&r);
}
