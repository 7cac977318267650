/* SPDX-License-Identifier: MIT */
/* Executes cpudiff cases natively (32-bit x86 host code): reads cases from
 * stdin, writes results to stdout. Built with gcc -m32. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cpudiff.h"

static sigjmp_buf recover;
static volatile int fault_sig;

static void on_fault(int sig)
{
    fault_sig = sig;
    siglongjmp(recover, 1);
}

int main(void)
{
    uint8_t *data = mmap((void *)(uintptr_t)CD_DATA_ADDR, 0x2000, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    uint8_t *code = mmap((void *)(uintptr_t)CD_CODE_ADDR, 0x1000,
                         PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (data == MAP_FAILED || code == MAP_FAILED) {
        perror("cpudiff-native: mmap");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    static CdCase c;
    static CdResult r;
    while (fread(&c, sizeof c, 1, stdin) == 1) {
        memset(&r, 0, sizeof r);
        memcpy(data, c.data, CD_DATA_SIZE);
        memset(data + 0x1000, 0, 64);
        memcpy(code, c.code, c.code_len);
        fault_sig = 0;
        if (sigsetjmp(recover, 1) == 0) {
            ((void (*)(void))(uintptr_t)CD_CODE_ADDR)();
        } else {
            r.faulted = (uint32_t)fault_sig;
        }
        memcpy(r.regs, data + 0x1000, 32);
        memcpy(&r.eflags, data + 0x1000 + 32, 4);
        memcpy(r.data, data, CD_DATA_SIZE);
        if (fwrite(&r, sizeof r, 1, stdout) != 1)
            return 2;
    }
    return 0;
}
