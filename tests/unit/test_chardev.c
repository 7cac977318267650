/* SPDX-License-Identifier: MIT */
/* Character backends and the expect/send engine. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iodev/chardev.h"
#include "iodev/expect.h"

static void feed(ExpectScript *s, const char *text)
{
    expect_feed(s, (const uint8_t *)text, strlen(text));
}

static size_t take(ExpectScript *s, char *buf, size_t max)
{
    size_t n = expect_take(s, (uint8_t *)buf, max - 1);
    buf[n] = 0;
    return n;
}

Test(expect, steps_run_in_order_and_sends_wait_for_their_expects)
{
    ExpectScript s;
    char err[200], buf[64];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_WAIT, "login:", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_SEND, "root\\n", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_WAIT, "# ", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_SEND, "\\x41\\tB", err, sizeof err));
    cr_assert_eq(take(&s, buf, sizeof buf), 0, "nothing typed before the first expect");
    feed(&s, "Debian lo");
    cr_assert_eq(take(&s, buf, sizeof buf), 0);
    feed(&s, "gin: ");     /* the marker split over two writes */
    cr_assert_eq(take(&s, buf, 3), 2, "a send is typed in pieces as room allows");
    cr_assert_str_eq(buf, "ro");
    take(&s, buf, sizeof buf);
    cr_assert_str_eq(buf, "ot\n");
    feed(&s, "# ");
    take(&s, buf, sizeof buf);
    cr_assert_str_eq(buf, "A\tB");
    cr_assert_not(expect_active(&s));
    expect_free(&s);
}

Test(expect, an_expect_matches_only_output_after_the_previous_match)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 10);
    cr_assert(expect_add(&s, EXPECT_WAIT, "ok", err, sizeof err));
    cr_assert(expect_add(&s, EXPECT_WAIT, "ok", err, sizeof err));
    feed(&s, "ok\n");
    cr_assert(expect_active(&s), "the same text once satisfies one step");
    feed(&s, "ok\n");
    cr_assert_not(expect_active(&s));
    expect_free(&s);
}

Test(expect, a_missed_expect_fails_after_its_timeout)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 5);
    cr_assert(expect_add(&s, EXPECT_WAIT, "never", err, sizeof err));
    cr_assert(expect_check(&s, 100.0));
    cr_assert(expect_check(&s, 104.0));
    cr_assert_not(expect_check(&s, 105.5));
    cr_assert_not(expect_active(&s));
    expect_free(&s);
}

Test(expect, bad_steps_and_scripts_are_refused)
{
    ExpectScript s;
    char err[200];
    expect_init(&s, 5);
    cr_assert_not(expect_add(&s, EXPECT_SEND, "\\xZZ", err, sizeof err));
    cr_assert_not(expect_add(&s, EXPECT_WAIT, "", err, sizeof err));
    char path[] = "/tmp/kairo-expect-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# comment\nexpect a b\ntimeout 3\nsend x\\n\nfrobnicate\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    cr_assert_not(expect_load(&s, path, err, sizeof err));
    cr_assert(strstr(err, ":5: unknown command"), "%s", err);
    cr_assert_eq(s.n_steps, 2);
    cr_assert_eq(s.steps[1].timeout_s, 3);
    unlink(path);
    expect_free(&s);
}

Test(chardev, tcp_server_passes_bytes_both_ways)
{
    CharDev c;
    char err[200], spec[64];
    int port = 0;
    for (int p = 47000; p < 47100 && !port; p++) {
        snprintf(spec, sizeof spec, "tcp:127.0.0.1:%d,server,nowait", p);
        if (chardev_open(&c, spec, err, sizeof err))
            port = p;
    }
    cr_assert(port, "no free port: %s", err);
    cr_assert(chardev_has_input(&c));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(write(fd, "hi", 2) == 2);
    uint8_t buf[16];
    size_t n = 0;
    for (int i = 0; i < 1000 && n < 2; i++) {
        n += chardev_read(&c, buf + n, sizeof buf - n);
        usleep(1000);
    }
    cr_assert_eq(n, 2);
    cr_assert(!memcmp(buf, "hi", 2));
    chardev_write(&c, (const uint8_t *)"yo", 2);
    char back[4] = { 0 };
    cr_assert(read(fd, back, 2) == 2);
    cr_assert_str_eq(back, "yo");
    close(fd);
    chardev_close(&c);
}

Test(chardev, bad_specs_are_refused)
{
    CharDev c;
    char err[200];
    cr_assert_not(chardev_open(&c, "tcp:nohostport", err, sizeof err));
    cr_assert_not(chardev_open(&c, "tcp:127.0.0.1:abc,server", err, sizeof err));
    cr_assert_not(chardev_open(&c, "serial:/dev/ttyS0", err, sizeof err));
    cr_assert(strstr(err, "unknown character backend"), "%s", err);
}

Test(chardev, pty_opens)
{
    CharDev c;
    char err[200];
    cr_assert(chardev_open(&c, "pty", err, sizeof err), "%s", err);
    cr_assert_eq(c.kind, CHARDEV_PTY);
    chardev_write(&c, (const uint8_t *)"x", 1);   /* nobody on the slave: not an error */
    chardev_close(&c);
}
