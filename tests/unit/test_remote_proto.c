/* SPDX-License-Identifier: MIT */
/* Remote ports: the frame codec, batches, keys and the replay window. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iodev/remote/proto.h"
#include "iodev/remote/transport.h"

static uint8_t key[RP_KEY_LEN], other_key[RP_KEY_LEN];

static void setup(void)
{
    cr_assert(rp_crypto_init());
    for (int i = 0; i < RP_KEY_LEN; i++) {
        key[i] = (uint8_t)i;
        other_key[i] = (uint8_t)(i + 1);
    }
}

TestSuite(remote_proto, .init = setup);

static size_t sample_frame(uint8_t *frame, uint16_t len)
{
    uint8_t payload[RP_MAX_PAYLOAD];
    for (unsigned i = 0; i < len; i++)
        payload[i] = (uint8_t)(i * 7);
    RpHeader h = { .type = RP_REQUEST, .session = 0x1122334455667788ull, .seq = 42, .ack = 7,
                   .len = len };
    return rp_seal(frame, &h, payload, key);
}

Test(remote_proto, round_trip)
{
    uint8_t frame[RP_MAX_FRAME];
    size_t n = sample_frame(frame, 100);
    cr_assert_eq(n, RP_HEADER_LEN + 100 + RP_TAG_LEN);
    RpHeader h;
    cr_assert_eq(rp_parse_header(frame, n, &h), -1);
    cr_assert_eq(h.type, RP_REQUEST);
    cr_assert_eq(h.session, 0x1122334455667788ull);
    cr_assert_eq(h.seq, 42);
    cr_assert_eq(h.ack, 7);
    cr_assert_eq(h.len, 100);
    cr_assert(rp_verify(frame, n, key));
    cr_assert_not(rp_verify(frame, n, other_key));
    cr_assert_eq(rp_payload(frame)[99], (uint8_t)(99 * 7));
}

/* The tag is crypto_auth's (HMAC-SHA512-256) whatever the keyed-state
 * cache holds: more keys in turn than it has entries, each frame checked
 * against libsodium's one-shot function and refused under the other keys. */
Test(remote_proto, tag_is_crypto_auth_across_many_keys)
{
    uint8_t keys[20][RP_KEY_LEN], frame[RP_MAX_FRAME], want[crypto_auth_BYTES];
    for (int k = 0; k < 20; k++)
        for (int i = 0; i < RP_KEY_LEN; i++)
            keys[k][i] = (uint8_t)(k * 31 + i * 7 + 1);
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 20; k++) {
            uint8_t payload[40] = { (uint8_t)k, (uint8_t)round };
            RpHeader h = { .type = RP_REQUEST, .session = 9, .seq = (uint32_t)k, .len = 40 };
            size_t n = rp_seal(frame, &h, payload, keys[k]);
            size_t body = n - RP_TAG_LEN;
            crypto_auth(want, frame, body, keys[k]);
            cr_assert_eq(memcmp(frame + body, want, RP_TAG_LEN), 0, "key %d round %d", k, round);
            cr_assert(rp_verify(frame, n, keys[k]));
            cr_assert_not(rp_verify(frame, n, keys[(k + 1) % 20]));
            frame[body - 1] ^= 1;
            cr_assert_not(rp_verify(frame, n, keys[k]), "a changed byte must fail");
        }
}

Test(remote_proto, oversized_payload_not_sealed)
{
    uint8_t frame[RP_MAX_FRAME + 64], payload[RP_MAX_PAYLOAD + 1] = { 0 };
    RpHeader h = { .type = RP_REQUEST, .len = RP_MAX_PAYLOAD + 1 };
    cr_assert_eq(rp_seal(frame, &h, payload, key), 0);
}

/* Every prefix of a valid frame is refused by the header parse or the MAC. */
Test(remote_proto, every_truncation_dropped)
{
    uint8_t frame[RP_MAX_FRAME];
    size_t n = sample_frame(frame, 64);
    for (size_t cut = 0; cut < n; cut++) {
        RpHeader h;
        int why = rp_parse_header(frame, cut, &h);
        cr_assert(why == RP_DROP_SHORT || why == RP_DROP_LENGTH, "cut %zu gave %d", cut, why);
    }
    /* A longer frame (trailing bytes) is refused too. */
    uint8_t longer[RP_MAX_FRAME + 1];
    memcpy(longer, frame, n);
    longer[n] = 0;
    RpHeader h;
    cr_assert_eq(rp_parse_header(longer, n + 1, &h), RP_DROP_LENGTH);
}

/* Any single flipped bit: a header error or a MAC failure, never accepted. */
Test(remote_proto, every_bit_flip_dropped)
{
    uint8_t frame[RP_MAX_FRAME];
    size_t n = sample_frame(frame, 40);
    for (size_t bit = 0; bit < n * 8; bit++) {
        frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        RpHeader h;
        bool accepted = rp_parse_header(frame, n, &h) < 0 && rp_verify(frame, n, key);
        cr_assert_not(accepted, "bit %zu flipped and still accepted", bit);
        frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    RpHeader h;
    cr_assert_eq(rp_parse_header(frame, n, &h), -1);
    cr_assert(rp_verify(frame, n, key));
}

Test(remote_proto, header_reasons)
{
    uint8_t frame[RP_MAX_FRAME];
    size_t n = sample_frame(frame, 8);
    RpHeader h;
    frame[0] ^= 1;
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_MAGIC);
    frame[0] ^= 1;
    frame[4] = 2;
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_VERSION);
    frame[4] = RP_VERSION;
    frame[5] = RP_TYPE_COUNT;
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_TYPE);
    frame[5] = 0;
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_TYPE);
    frame[5] = RP_REQUEST;
    frame[6] = 1;
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_TYPE);
    frame[6] = 0;
    frame[25] = 9;  /* payload length 9, frame holds 8 */
    cr_assert_eq(rp_parse_header(frame, n, &h), RP_DROP_LENGTH);
}

static size_t sample_batch(uint8_t *buf, size_t cap)
{
    static const uint8_t data[6] = { 1, 2, 3, 4, 5, 6 };
    RpOp ops[] = {
        { .kind = RP_OP_WRITE, .width = 1, .port = 0x3F8, .count = 1, .value = 0x41 },
        { .kind = RP_OP_WRITE, .width = 4, .port = 0xCFC, .count = 1, .value = 0xDEADBEEF },
        { .kind = RP_OP_READ, .width = 2, .port = 0x1F0, .count = 1 },
        { .kind = RP_OP_WRITE_STRING, .width = 2, .port = 0x170, .count = 3, .data = data },
        { .kind = RP_OP_READ_STRING, .width = 2, .port = 0x170, .count = 256 },
    };
    size_t len = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        len = rp_put_op(buf, len, cap, &ops[i]);
        cr_assert_neq(len, 0);
    }
    return len;
}

Test(remote_proto, batch_round_trip)
{
    uint8_t buf[RP_MAX_PAYLOAD];
    size_t len = sample_batch(buf, sizeof buf), pos = 0;
    RpOp op;
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_WRITE && op.port == 0x3F8 && op.value == 0x41);
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.width == 4 && op.value == 0xDEADBEEF);
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_READ && rp_op_reply_len(&op) == 2);
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_WRITE_STRING && op.count == 3 && op.data[5] == 6);
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_READ_STRING && rp_op_reply_len(&op) == 512);
    cr_assert_eq(pos, len);
}

/* Cut anywhere: ops before the cut parse, the cut one never does. */
Test(remote_proto, batch_every_truncation)
{
    uint8_t buf[RP_MAX_PAYLOAD];
    size_t len = sample_batch(buf, sizeof buf);
    size_t bounds[8], nb = 0, pos = 0;
    RpOp op;
    bounds[nb++] = 0;
    while (pos < len) {
        cr_assert(rp_next_op(buf, len, &pos, &op));
        bounds[nb++] = pos;
    }
    for (size_t cut = 0; cut < len; cut++) {
        size_t p = 0;
        while (p < cut && rp_next_op(buf, cut, &p, &op))
            ;
        bool at_bound = false;
        for (size_t i = 0; i < nb; i++)
            at_bound |= bounds[i] == cut;
        cr_assert_eq(p == cut, at_bound, "cut %zu", cut);
    }
}

Test(remote_proto, bad_ops_refused)
{
    uint8_t buf[8] = { RP_OP_READ, 3, 0, 0 };       /* width 3 */
    size_t pos = 0;
    RpOp op;
    cr_assert_not(rp_next_op(buf, 4, &pos, &op));
    buf[0] = 9, buf[1] = 1;                          /* unknown kind */
    cr_assert_not(rp_next_op(buf, 4, &pos, &op));
    uint8_t zero_count[6] = { RP_OP_READ_STRING, 1, 0, 0, 0, 0 };
    cr_assert_not(rp_next_op(zero_count, 6, &pos, &op));
    uint8_t huge[6] = { RP_OP_WRITE_STRING, 4, 0, 0, 0xFF, 0xFF };
    cr_assert_not(rp_next_op(huge, 6, &pos, &op));
    cr_assert_eq(pos, 0);
}

/* Memory ops: address and count survive, every cut is refused, a run
 * that would wrap past 4 GiB or has no elements never parses. */
Test(remote_proto, mem_ops)
{
    uint8_t buf[64], data[6] = { 1, 2, 3, 4, 5, 6 };
    RpOp w = { .kind = RP_OP_MEM_WRITE, .width = 2, .addr = 0xE0001000, .count = 3, .data = data };
    RpOp r = { .kind = RP_OP_MEM_READ, .width = 4, .addr = 0xA0000, .count = 5 };
    size_t len = rp_put_op(buf, 0, sizeof buf, &w);
    cr_assert_eq(len, 8 + 6);
    len = rp_put_op(buf, len, sizeof buf, &r);
    cr_assert_eq(len, 8 + 6 + 8);
    size_t pos = 0;
    RpOp op;
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_MEM_WRITE && op.addr == 0xE0001000 && op.count == 3 &&
              op.width == 2 && op.data[5] == 6 && rp_op_reply_len(&op) == 0);
    cr_assert(rp_next_op(buf, len, &pos, &op));
    cr_assert(op.kind == RP_OP_MEM_READ && op.addr == 0xA0000 && rp_op_reply_len(&op) == 20);
    cr_assert_eq(pos, len);
    for (size_t cut = 1; cut < 14; cut++) {
        pos = 0;
        cr_assert_not(rp_next_op(buf, cut, &pos, &op), "cut %zu parsed", cut);
    }
    uint8_t wrap[8] = { RP_OP_MEM_READ, 4, 0, 2, 0xFF, 0xFF, 0xFF, 0xFC };   /* 8 bytes at 4G-4 */
    pos = 0;
    cr_assert_not(rp_next_op(wrap, 8, &pos, &op));
    wrap[3] = 1;                                                            /* 4 bytes: fits */
    cr_assert(rp_next_op(wrap, 8, &pos, &op));
    uint8_t none[8] = { RP_OP_MEM_READ, 1, 0, 0, 0, 0x0A, 0, 0 };
    pos = 0;
    cr_assert_not(rp_next_op(none, 8, &pos, &op));
}

Test(remote_proto, hello_strict)
{
    RpHello in = { .slot = "com2", .epoch = 123456789 }, out;
    memset(in.nonce, 0xAB, sizeof in.nonce);
    uint8_t p[RP_HELLO_LEN];
    rp_put_hello(p, &in);
    cr_assert(rp_get_hello(p, sizeof p, &out));
    cr_assert_str_eq(out.slot, "com2");
    cr_assert_eq(out.epoch, 123456789);
    cr_assert_not(rp_get_hello(p, sizeof p - 1, &out));
    p[6] = 'x';             /* bytes after the NUL */
    cr_assert_not(rp_get_hello(p, sizeof p, &out));
    p[6] = 0;
    p[0] = 0;               /* empty name */
    cr_assert_not(rp_get_hello(p, sizeof p, &out));
    p[0] = '\n';            /* not printable */
    cr_assert_not(rp_get_hello(p, sizeof p, &out));
}

Test(remote_proto, session_keys_differ)
{
    uint8_t cn[RP_NONCE_LEN] = { 1 }, sn[RP_NONCE_LEN] = { 2 };
    uint8_t a1[RP_KEY_LEN], b1[RP_KEY_LEN], a2[RP_KEY_LEN], b2[RP_KEY_LEN], hk[RP_KEY_LEN];
    rp_session_keys(key, 5, cn, sn, a1, b1);
    rp_session_keys(key, 6, cn, sn, a2, b2);
    rp_handshake_key(key, hk);
    cr_assert_neq(memcmp(a1, b1, RP_KEY_LEN), 0);
    cr_assert_neq(memcmp(a1, a2, RP_KEY_LEN), 0);
    cr_assert_neq(memcmp(a1, hk, RP_KEY_LEN), 0);
    cr_assert_neq(memcmp(hk, key, RP_KEY_LEN), 0);
    rp_session_keys(key, 5, cn, sn, a2, b2);
    cr_assert_eq(memcmp(a1, a2, RP_KEY_LEN), 0);
}

Test(remote_proto, replay_window)
{
    RpReplayWindow w = { 0 };
    cr_assert(rp_window_accept(&w, 10));
    cr_assert_not(rp_window_accept(&w, 10));
    cr_assert(rp_window_accept(&w, 12));
    cr_assert(rp_window_accept(&w, 11));       /* late but new */
    cr_assert_not(rp_window_accept(&w, 11));
    cr_assert(rp_window_accept(&w, 100));
    cr_assert_not(rp_window_accept(&w, 12));   /* too old now */
    cr_assert(rp_window_accept(&w, 40));       /* 60 behind, unseen */
    cr_assert_not(rp_window_check(&w, 36));    /* 64 behind */
    cr_assert(rp_window_accept(&w, 0xFFFFFFFFu) == false);  /* far behind after wrap math */
}

static const char *write_key_file(const char *text, mode_t mode)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/kairo-key-test-%d", (int)getpid());
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    fchmod(fd, mode);
    close(fd);
    return path;
}

Test(remote_proto, key_file)
{
    char err[256];
    uint8_t k[RP_KEY_LEN];
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    const char *path = write_key_file(hex, 0600);
    cr_assert(rp_load_key(path, k, err, sizeof err), "%s", err);
    cr_assert_eq(memcmp(k, key, RP_KEY_LEN), 0);
    path = write_key_file(hex, 0640);
    cr_assert_not(rp_load_key(path, k, err, sizeof err));
    cr_assert(strstr(err, "group or others"), "%s", err);
    path = write_key_file("too short", 0600);
    cr_assert_not(rp_load_key(path, k, err, sizeof err));
    path = write_key_file("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600);
    cr_assert_not(rp_load_key(path, k, err, sizeof err));
    unlink(path);
    cr_assert_not(rp_load_key("/nonexistent/key", k, err, sizeof err));
}

static const char *write_key_bytes(const uint8_t *b, size_t n)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/kairo-key-raw-%d", (int)getpid());
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, b, n), (ssize_t)n);
    close(fd);
    return path;
}

/* The length decides: a raw key ending in LF or CR is 32 bytes, and kept
 * whole; hex may end in "\n" or "\r\n" but in nothing else. */
Test(remote_proto, key_file_length_first)
{
    char err[256];
    uint8_t raw[RP_KEY_LEN], k[RP_KEY_LEN];
    for (int i = 0; i < RP_KEY_LEN; i++)
        raw[i] = (uint8_t)(0x91 + 3 * i);
    const uint8_t ends[] = { 0x0A, 0x0D };
    for (int e = 0; e < 2; e++) {
        raw[RP_KEY_LEN - 1] = ends[e];
        const char *path = write_key_bytes(raw, RP_KEY_LEN);
        cr_assert(rp_load_key(path, k, err, sizeof err), "%s", err);
        cr_assert_eq(memcmp(k, raw, RP_KEY_LEN), 0);
        unlink(path);
    }
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    char text[80];
    snprintf(text, sizeof text, "%s\r\n", hex);
    cr_assert(rp_load_key(write_key_file(text, 0600), k, err, sizeof err), "%s", err);
    snprintf(text, sizeof text, "%s\n\n", hex);
    cr_assert_not(rp_load_key(write_key_file(text, 0600), k, err, sizeof err));
    snprintf(text, sizeof text, "%s\r", hex);
    cr_assert_not(rp_load_key(write_key_file(text, 0600), k, err, sizeof err));
    uint8_t extra[RP_KEY_LEN + 1];
    memcpy(extra, raw, RP_KEY_LEN);
    extra[RP_KEY_LEN] = '\n';       /* 33 bytes: neither format */
    cr_assert_not(rp_load_key(write_key_bytes(extra, sizeof extra), k, err, sizeof err));
    cr_assert(strstr(err, "33 bytes"), "%s", err);
}

Test(remote_proto, weak_keys_refused)
{
    char err[256];
    uint8_t k[RP_KEY_LEN], zero[RP_KEY_LEN] = { 0 }, few[RP_KEY_LEN];
    cr_assert_not(rp_load_key(write_key_bytes(zero, RP_KEY_LEN), k, err, sizeof err));
    cr_assert(strstr(err, "repeated"), "%s", err);
    for (int i = 0; i < RP_KEY_LEN; i++)
        few[i] = (uint8_t)(0x80 + i % 8);
    cr_assert_not(rp_load_key(write_key_bytes(few, RP_KEY_LEN), k, err, sizeof err));
    cr_assert(strstr(err, "distinct"), "%s", err);
    cr_assert_not(rp_load_key(write_key_file("0123456789abcdefghijklmnopqrstuv", 0600), k, err,
                              sizeof err));
    cr_assert(strstr(err, "text"), "%s", err);
    /* 64 hex zeros decode to the zero key: refused too. */
    cr_assert_not(rp_load_key(write_key_file("000000000000000000000000000000000000000000000000"
                                             "0000000000000000\n", 0600), k, err, sizeof err));
}

/* A FIFO must be an immediate error, not an open() that waits for a writer. */
Test(remote_proto, fifo_key_refused, .timeout = 5)
{
    char err[256], path[64];
    uint8_t k[RP_KEY_LEN];
    snprintf(path, sizeof path, "/tmp/kairo-key-fifo-%d", (int)getpid());
    unlink(path);
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_not(rp_load_key(path, k, err, sizeof err));
    cr_assert(strstr(err, "not a regular file"), "%s", err);
    unlink(path);
}

/* The spin guard: a spin during which the thread lost its CPU pauses
 * spinning, 100 ms after a calm spell, doubling up to a second while spins
 * keep being preempted within a second of resuming; a spin that kept its
 * CPU, or too short to judge, does not pause. */
Test(remote_proto, spin_guard_backs_off_when_preempted)
{
    RpSpinGuard g = { 0 };
    rp_spin_judge(&g, 50000, 49000, 1000);      /* kept its CPU */
    rp_spin_judge(&g, 10000, 0, 1000);          /* too short to say */
    cr_assert_eq(g.backoffs, 0);
    cr_assert(rp_spin_begin(&g, 2000));
    rp_spin_judge(&g, 50000, 20000, 5000);      /* ran 40% of the time */
    cr_assert_eq(g.backoffs, 1);
    cr_assert_not(rp_spin_begin(&g, 6000), "spinning should pause");
    cr_assert_not(rp_spin_begin(&g, 5000 + 99999999ull), "for 100 ms");
    cr_assert(rp_spin_begin(&g, 5000 + 100000000ull), "and resume after it");
    /* Preempted again soon after each resumption: 20, 40, ... ms, then a
     * second at most (a busy host). */
    uint64_t now = 5000 + 100000000ull, want = 200000000ull;
    for (int i = 0; i < 12; i++) {
        rp_spin_judge(&g, 50000, 0, now + 500000000ull);
        now += 500000000ull;
        cr_assert_not(rp_spin_begin(&g, now + want - 1), "pause %d shorter than %llu", i,
                      (unsigned long long)want);
        cr_assert(rp_spin_begin(&g, now + want), "pause %d longer than %llu", i,
                  (unsigned long long)want);
        now += want;
        want = want * 2 > 1000000000ull ? 1000000000ull : want * 2;
    }
    cr_assert_eq(g.backoffs, 13);
    /* Spins kept their CPU for over a second since: 100 ms again. */
    rp_spin_judge(&g, 50000, 49000, now + 500000000ull);
    rp_spin_judge(&g, 50000, 0, now + 1000000000ull);
    cr_assert_not(rp_spin_begin(&g, now + 1000000000ull + 99999999ull));
    cr_assert(rp_spin_begin(&g, now + 1000000000ull + 100000000ull));
    /* Measured from the loop's turns: 1 us apart is on the CPU, and so is
     * a 30 us gap (softirqs, a vCPU's steal); a 3 ms gap (another thread's
     * time slice) was time off it. */
    RpSpinGuard t = { 0 };
    uint64_t base = rp_now_ns() + 5000000000ull;    /* a spin that ends in the future */
    cr_assert(rp_spin_begin(&t, base));
    for (uint64_t us = 1; us <= 50; us++)
        rp_spin_tick(&t, base + us * 1000);
    rp_spin_judge(&t, 50000, 50000 - t.off_cpu, base + 50000);
    cr_assert_eq(t.backoffs, 0, "a busy loop was judged preempted");
    cr_assert(rp_spin_begin(&t, base + 100000));
    rp_spin_tick(&t, base + 110000);
    rp_spin_tick(&t, base + 140000);
    rp_spin_tick(&t, base + 150000);
    cr_assert_eq(t.off_cpu, 0, "a 30 us gap counted as time off the CPU");
    rp_spin_judge(&t, 50000, 50000 - t.off_cpu, base + 150000);
    cr_assert_eq(t.backoffs, 0, "a 30 us gap in a 50 us spin is not preemption");
    cr_assert(rp_spin_begin(&t, base + 200000));
    rp_spin_tick(&t, base + 210000);
    rp_spin_tick(&t, base + 3210000);
    rp_spin_tick(&t, base + 3250000);
    cr_assert_eq(t.off_cpu, 3000000);
    rp_spin_judge(&t, 3050000, 3050000 - t.off_cpu, base + 3250000);
    cr_assert_eq(t.backoffs, 1, "a 3 ms gap in a spin is preemption");
    /* Measured: a thread asleep for the whole "spin" was not on the CPU. */
    RpSpinGuard m = { 0 };
    cr_assert(rp_spin_begin(&m, rp_now_ns()));
    usleep(30000);
    rp_spin_end(&m);
    cr_assert_eq(m.backoffs, 1);
}
