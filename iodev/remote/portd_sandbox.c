/* SPDX-License-Identifier: MIT */
/* kairo-portd's privilege drop (see portd_sandbox.h). */
#include "iodev/remote/portd_sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether we run in a user namespace that does not map every uid (as
 * `unshare -Ur` makes): there, nobody usually does not exist. */
static bool in_partial_user_namespace(void)
{
    FILE *f = fopen("/proc/self/uid_map", "r");
    unsigned long inside = 0, outside = 0, count = 0;
    bool partial = f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
                   count != 4294967295ul;
    if (f)
        fclose(f);
    return partial;
}

/* Become user (or nobody when we are root and none is named). Inside a
 * user namespace that maps only our own uid, nobody cannot be reached
 * (setgroups is denied, the uid unmapped): then we stay, without
 * capabilities. */
static bool switch_user(const char *user, char *err, size_t errlen, char *done, size_t donelen)
{
    if (!user && geteuid() != 0) {
        snprintf(done, donelen, "user %d", (int)geteuid());
        return true;
    }
    const char *name = user ? user : "nobody";
    struct passwd *pw = getpwnam(name);
    if (!pw) {
        snprintf(err, errlen, "--user %s: no such user", name);
        return false;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        if (!user && in_partial_user_namespace()) {
            snprintf(done, donelen, "user %d (%s is not mapped in this user namespace)",
                     (int)geteuid(), name);
            return true;
        }
        snprintf(err, errlen, "cannot become user %s: %s", name, strerror(errno));
        return false;
    }
    snprintf(done, donelen, "user %s", name);
    return true;
}

static bool drop_capabilities(char *err, size_t errlen)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) != 0) {
        snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
        return false;
    }
    return true;
}

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
/* What the serving loop needs: the network (and a tcp: character backend
 * taking its client), device files already open, stderr, the state file,
 * time, memory, signals, and the random nonces of new sessions. Anything else (open, socket, exec, ptrace...) fails EPERM:
 * an error path, never a crash. */
static const int allowed_syscalls[] = {
    SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_lseek,
    SYS_fsync, SYS_fdatasync, SYS_ftruncate, SYS_close, SYS_fstat, SYS_newfstatat,
    SYS_poll, SYS_ppoll, SYS_recvfrom, SYS_sendto, SYS_recvmsg, SYS_sendmsg,
    SYS_accept, SYS_accept4, SYS_shutdown, SYS_fcntl, SYS_setsockopt, SYS_getsockopt,
    SYS_clock_gettime, SYS_gettimeofday, SYS_nanosleep, SYS_clock_nanosleep,
    SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_madvise, SYS_futex,
    SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_restart_syscall,
    SYS_getrandom, SYS_getpid, SYS_gettid, SYS_exit, SYS_exit_group,
};
#define N_ALLOWED (sizeof allowed_syscalls / sizeof allowed_syscalls[0])

static bool install_seccomp(char *err, size_t errlen)
{
    struct sock_filter f[4 + 2 * N_ALLOWED + 1];
    size_t n = 0;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < N_ALLOWED; i++) {
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                              (uint32_t)allowed_syscalls[i], 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        snprintf(err, errlen, "cannot install the seccomp allowlist: %s", strerror(errno));
        return false;
    }
    return true;
}
#else
static bool install_seccomp(char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return true;    /* no allowlist written for this architecture */
}
#endif

bool pd_drop_privileges(const char *user, bool seccomp, char *err, size_t errlen, char *done,
                        size_t donelen)
{
    char who[160];
    if (!switch_user(user, err, errlen, who, sizeof who) || !drop_capabilities(err, errlen))
        return false;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return false;
    }
    if (seccomp && !install_seccomp(err, errlen))
        return false;
    snprintf(done, donelen, "%s, no capabilities, no_new_privs%s", who,
             seccomp ? ", seccomp allowlist" : "");
    return true;
}
