/* SPDX-License-Identifier: MIT */
/* The tap backend: an existing TAP interface (ip tuntap add NAME mode tap),
 * frames without the packet-information header. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iodev/net/net_fd.h"

static ssize_t tap_recv(NetFd *f, uint8_t *buf, size_t cap)
{
    ssize_t n = read(f->fd, buf, cap);
    return n < 0 ? -1 : n;
}

static bool tap_send(void *be, const uint8_t *frame, size_t len)
{
    NetFd *f = be;
    return write(f->fd, frame, len) == (ssize_t)len;
}

static void tap_close(void *be)
{
    NetFd *f = be;
    close(f->fd);
    free(f);
}

const NetBackendOps net_tap_ops = { "tap", tap_send, net_fd_fill, net_fd_dispatch, tap_close };

void *net_tap_open(NetDev *nd, const NetdevConfig *c, char *err, size_t errlen)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "net tap: cannot open /dev/net/tun: %s", strerror(errno));
        return NULL;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    size_t name_len = strlen(c->ifname);
    if (name_len >= sizeof ifr.ifr_name) {
        snprintf(err, errlen, "net tap: interface name too long");
        close(fd);
        return NULL;
    }
    memcpy(ifr.ifr_name, c->ifname, name_len + 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || !net_fd_set_nonblocking(fd)) {
        snprintf(err, errlen, "net tap: cannot attach to '%s': %s", c->ifname, strerror(errno));
        close(fd);
        return NULL;
    }
    NetFd *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        snprintf(err, errlen, "net tap: out of memory");
        return NULL;
    }
    *f = (NetFd){ .fd = fd, .poll_index = -1, .nd = nd, .recv_frame = tap_recv };
    return f;
}
