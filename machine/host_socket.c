/* SPDX-License-Identifier: MIT */
/* Listening TCP sockets on the host (see host_socket.h). */
#include "machine/host_socket.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool host_parse_tcp(const char *spec, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon = strrchr(spec, ':');
    const char *comma = strchr(spec, ',');
    if (comma && colon > comma)
        colon = NULL;
    if (!colon)
        return false;
    /* The last ':' before any option separates host and port ([::1] aside). */
    size_t hl = (size_t)(colon - spec);
    if (hl >= hostlen)
        return false;
    memcpy(host, spec, hl);
    host[hl] = 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    const char *p = colon + 1;
    size_t n = strcspn(p, ",");
    if (!n || n >= portlen || strspn(p, "0123456789") != n)
        return false;
    memcpy(port, p, n);
    port[n] = 0;
    static const char *const accepted[] = { "server", "nowait", "wait=off" };
    for (const char *opt = p + n; *opt;) {
        opt++;
        size_t k = strcspn(opt, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
            known |= strlen(accepted[i]) == k && !strncmp(opt, accepted[i], k);
        if (!known)
            return false;
        opt += k;
    }
    return strtol(port, NULL, 10) <= 65535;
}

int host_tcp_listen(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (r) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot listen on port %s: %s", port, strerror(saved));
    return fd;
}

unsigned host_socket_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}
