/* SPDX-License-Identifier: MIT */
/* Listening TCP sockets on the host, shared by the front ends that serve
 * one client at a time: the monitor (debug/monitor_io.c), the gdb stub
 * (debug/gdbstub.c) and the serial ports' tcp server (iodev/chardev.c).
 * It lives in machine/ with the other host plumbing because both debug/
 * and iodev/ use it and neither should depend on the other. */
#ifndef KAIRO_HOST_SOCKET_H
#define KAIRO_HOST_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

/* "[HOST]:PORT[,server][,nowait][,wait=off]" (the text after "tcp:"):
 * HOST may be empty (every interface) or bracketed ("[::1]"); PORT is
 * decimal, at most 65535. Other options make it false. */
bool host_parse_tcp(const char *spec, char *host, size_t hostlen, char *port, size_t portlen);
/* A non-blocking, close-on-exec listening socket (SO_REUSEADDR, backlog
 * 1) on HOST (empty: every interface) and PORT (0: a free one), trying
 * each address getaddrinfo gives. -1 with a one-line reason in err. */
int host_tcp_listen(const char *host, const char *port, char *err, size_t errlen);
/* The port a socket is bound to (0 when unknown). */
unsigned host_socket_port(int fd);

#endif
