/* SPDX-License-Identifier: MIT */
/* -daemonize and -pidfile (machine/daemon.h). */
#include "machine/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;          /* the child's end of the pipe to the parent */
static char pid_path[4096];
static int pid_fd = -1;

bool daemon_start(void)
{
    int p[2];
    if (pipe(p) != 0) {
        fprintf(stderr, "kairo: -daemonize: %s\n", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kairo: -daemonize: %s\n", strerror(errno));
        return false;
    }
    if (pid > 0) {
        /* The parent: one byte means ready; EOF means the child failed
         * (its one-line error is already on our shared stderr). */
        close(p[1]);
        char byte;
        ssize_t n;
        do
            n = read(p[0], &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
            waitpid(pid, NULL, 0);
        _exit(n == 1 ? 0 : 1);
    }
    close(p[0]);
    ready_fd = p[1];
    setsid();
    return true;
}

void daemon_ready(void)
{
    if (ready_fd < 0)
        return;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        fflush(NULL);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    char byte = 1;
    ssize_t n = write(ready_fd, &byte, 1);
    (void)n;
    close(ready_fd);
    ready_fd = -1;
}

bool pidfile_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "kairo: -pidfile %s: %s\n", path, strerror(errno));
        return false;
    }
    if (lockf(fd, F_TLOCK, 0) != 0) {
        fprintf(stderr, "kairo: -pidfile %s: another process holds it (is kairo running?)\n",
                path);
        close(fd);
        return false;
    }
    char text[32];
    int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, text, (size_t)len) != len) {
        fprintf(stderr, "kairo: -pidfile %s: %s\n", path, strerror(errno));
        close(fd);
        return false;
    }
    pid_fd = fd;   /* kept open: the lock lasts as long as kairo */
    snprintf(pid_path, sizeof pid_path, "%s", path);
    return true;
}

void pidfile_remove(void)
{
    if (pid_fd < 0)
        return;
    unlink(pid_path);
    close(pid_fd);
    pid_fd = -1;
}
