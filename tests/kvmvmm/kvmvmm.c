/* SPDX-License-Identifier: MIT */
/* kvmvmm: a minimal virtual machine monitor on the Linux KVM API, built as
 * a static i386 program and run inside a Debian guest of Kairo whose CPU
 * has SVM (tests/guest/kvm_amd.sh). It creates a VM with one vCPU and 64
 * KiB of memory and runs four guests in it, one after the other, each to its HLT:
 *   real  a real-mode guest: prints a string with OUT to port 0xE9, reads
 *         port 0xEA (the VMM answers 0x5A) and writes back the value + 1;
 *   prot  a protected-mode guest with paging of its own (code and data at
 *         0xC0000000 mapped onto low memory): prints with REP OUTSB, which
 *         KVM emulates by reading guest memory through the guest's page
 *         tables, and stores a word the VMM then checks in guest memory;
 *   pae   the same with PAE paging and EFER.NXE, the message's page
 *         execute-disabled;
 *   irq   a real-mode guest that sets its vector 0x20, prints 'w' with IF
 *         clear, then STI and spins: the VMM asks KVM for an interrupt
 *         window (KVM opens one with SVM's V_IRQ and the VINTR intercept),
 *         injects vector 0x20 with KVM_INTERRUPT (EVENTINJ) and the
 *         guest's handler prints 'i' and halts.
 * Each guest's output is printed and compared; "KVMVMM <name> OK" after
 * each, "KVMVMM PASS" and status 0 at the end. Any other exit, a KVM
 * error or a wrong byte: one line "KVMVMM FAIL: ..." and status 1. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x10000u
#define PORT_OUT 0xE9
#define PORT_IN  0xEA
#define IN_VALUE 0x5A

typedef struct Vm {
    int kvm, vm, vcpu;
    uint8_t *mem;
    struct kvm_run *run;
    char out[256];   /* what the guest printed */
    size_t out_len;
    bool want_irq;   /* the irq guest: inject IRQ_VECTOR once a window opens */
    unsigned windows;   /* KVM_EXIT_IRQ_WINDOW_OPEN exits seen */
} Vm;

static _Noreturn void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("KVMVMM FAIL: ", stdout);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    exit(1);
}

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
    int r = ioctl(fd, req, arg);
    if (r < 0)
        fail("%s: %s", what, strerror(errno));
    return r;
}

/* --- the guests' code (hand-assembled; the listings are beside) --- */

static const char real_msg[] = "Hello from a real-mode KVM guest";
static const uint8_t real_code[] = {
    0xBE, 0x40, 0x10,   /* 1000 mov si, 0x1040 (the message) */
    0xBA, 0xE9, 0x00,   /* 1003 mov dx, 0xE9 */
    0xAC,               /* 1006 lodsb */
    0x84, 0xC0,         /* 1007 test al, al */
    0x74, 0x03,         /* 1009 jz 0x100E */
    0xEE,               /* 100B out dx, al */
    0xEB, 0xF8,         /* 100C jmp 0x1006 */
    0x42,               /* 100E inc dx (0xEA) */
    0xEC,               /* 100F in al, dx */
    0x40,               /* 1010 inc ax */
    0x4A,               /* 1011 dec dx (0xE9) */
    0xEE,               /* 1012 out dx, al */
    0xF4,               /* 1013 hlt */
};

#define IRQ_VECTOR 0x20
static const uint8_t irq_code[] = {
    0xC7, 0x06, 0x80, 0x00, 0x00, 0x11, /* 1000 mov word [0x80], 0x1100 */
    0xC7, 0x06, 0x82, 0x00, 0x00, 0x00, /* 1006 mov word [0x82], 0 */
    0xBA, 0xE9, 0x00,                   /* 100C mov dx, 0xE9 */
    0xB0, 'w',                          /* 100F mov al, 'w' */
    0xEE,                               /* 1011 out dx, al */
    0xFB,                               /* 1012 sti */
    0xEB, 0xFE,                         /* 1013 jmp $ */
};
static const uint8_t irq_handler[] = {
    0xB0, 'i',                          /* 1100 mov al, 'i' */
    0xEE,                               /* 1102 out dx, al */
    0xF4,                               /* 1103 hlt */
};

static const char prot_msg[] = "Hello from a paged protected-mode KVM guest";
#define PROT_LIN  0xC0000000u   /* where the guest sees low memory */
#define PROT_CODE 0x4000u
#define PROT_DATA 0x5000u
#define PROT_WORD 0x6000u
#define PROT_PD   0x8000u
#define PROT_PT   0x9000u
#define PROT_MAGIC 0x600DF00Du
static const uint8_t prot_code[] = {
    0xBE, 0x00, 0x50, 0x00, 0xC0,              /* mov esi, 0xC0005000 */
    0xB9, sizeof prot_msg - 1, 0x00, 0x00, 0x00, /* mov ecx, length */
    0x66, 0xBA, 0xE9, 0x00,                    /* mov dx, 0xE9 */
    0xF3, 0x6E,                                /* rep outsb */
    0xC7, 0x05, 0x00, 0x60, 0x00, 0xC0,        /* mov dword [0xC0006000], */
    0x0D, 0xF0, 0x0D, 0x60,                    /*   0x600DF00D */
    0xF4,                                      /* hlt */
};

/* --- the VM --- */

static void vm_create(Vm *v)
{
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        fail("/dev/kvm: %s", strerror(errno));
    int api = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION)
        fail("KVM API version %d, expected %d", api, KVM_API_VERSION);
    v->vm = kvm_ioctl(v->kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
    v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v->mem == MAP_FAILED)
        fail("mmap of guest memory: %s", strerror(errno));
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uintptr_t)v->mem,
    };
    kvm_ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");
    v->vcpu = kvm_ioctl(v->vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
    int size = kvm_ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
    if ((size_t)size < sizeof *v->run)
        fail("KVM_GET_VCPU_MMAP_SIZE %d is too small", size);
    v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
    if (v->run == MAP_FAILED)
        fail("mmap of kvm_run: %s", strerror(errno));
}

static void set_regs(Vm *v, uint32_t rip, uint32_t rsp)
{
    struct kvm_regs regs = { .rflags = 2, .rip = rip, .rsp = rsp };
    kvm_ioctl(v->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void real_mode_setup(Vm *v, const uint8_t *code, size_t len)
{
    memset(v->mem, 0, MEM_SIZE);
    memcpy(v->mem + 0x1000, code, len);
    memcpy(v->mem + 0x1040, real_msg, sizeof real_msg);
    memcpy(v->mem + 0x1100, irq_handler, sizeof irq_handler);
    struct kvm_sregs s;
    kvm_ioctl(v->vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
    /* 16-bit segments at 0 with 64 KiB limits, as after RESET but for CS's
     * base (the previous guest may have left 32-bit flat ones) */
    struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.ss, &s.fs, &s.gs };
    for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++)
        *segs[i] = (struct kvm_segment){ .limit = 0xFFFF, .type = i == 0 ? 0xB : 0x3,
                                         .present = 1, .s = 1 };
    s.cr0 &= ~0x80000001ull;   /* real mode, as after RESET */
    s.cr4 = 0;
    s.efer = 0;
    kvm_ioctl(v->vcpu, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
    set_regs(v, 0x1000, 0x8000);
}

static void flat_segment(struct kvm_segment *seg, uint16_t sel, uint8_t type)
{
    *seg = (struct kvm_segment){
        .base = 0, .limit = 0xFFFFFFFFu, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
}

/* 32-bit paging: one page table maps the first 64 KiB both at 0 and at
 * 0xC0000000 (page directory entries 0 and 0x300). */
static uint32_t paging32_setup(Vm *v)
{
    uint32_t *pd = (uint32_t *)(v->mem + PROT_PD), *pt = (uint32_t *)(v->mem + PROT_PT);
    for (uint32_t i = 0; i < MEM_SIZE / 0x1000; i++)
        pt[i] = (i << 12) | 0x3;   /* present, writable */
    pd[0] = PROT_PT | 0x3;
    pd[PROT_LIN >> 22] = PROT_PT | 0x3;
    return PROT_PD;
}

/* PAE paging, the same mapping through PDPTEs 0 and 3 (one page directory
 * for both), with the message's page execute-disabled (EFER.NXE). */
#define PAE_PDPT 0xA000u
#define PAE_PD   0xB000u
#define PAE_PT   0xC000u
#define PAE_XD   (1ull << 63)
static uint32_t paging_pae_setup(Vm *v)
{
    uint64_t *pdpt = (uint64_t *)(v->mem + PAE_PDPT), *pd = (uint64_t *)(v->mem + PAE_PD);
    uint64_t *pt = (uint64_t *)(v->mem + PAE_PT);
    for (uint32_t i = 0; i < MEM_SIZE / 0x1000; i++)
        pt[i] = ((uint64_t)i << 12) | 0x3;
    pt[PROT_DATA >> 12] |= PAE_XD;
    pd[0] = PAE_PT | 0x3;
    pdpt[0] = PAE_PD | 0x1;   /* PDPTEs: present only */
    pdpt[PROT_LIN >> 30] = PAE_PD | 0x1;
    return PAE_PDPT;
}

static void prot_mode_setup(Vm *v, bool pae)
{
    memset(v->mem, 0, MEM_SIZE);
    memcpy(v->mem + PROT_CODE, prot_code, sizeof prot_code);
    memcpy(v->mem + PROT_DATA, prot_msg, sizeof prot_msg);
    struct kvm_sregs s;
    kvm_ioctl(v->vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
    flat_segment(&s.cs, 0x08, 0xB);   /* execute/read, accessed */
    struct kvm_segment *data[] = { &s.ds, &s.es, &s.ss, &s.fs, &s.gs };
    for (unsigned i = 0; i < sizeof data / sizeof data[0]; i++)
        flat_segment(data[i], 0x10, 0x3);   /* read/write, accessed */
    /* a 32-bit TSS (busy) and no LDT, as after a task register load */
    s.tr = (struct kvm_segment){ .base = 0x7000, .limit = 0x67, .selector = 0x18, .type = 0xB,
                                 .present = 1 };
    s.ldt = (struct kvm_segment){ .selector = 0, .type = 0x2, .present = 1, .limit = 0xFFFF };
    s.cr3 = pae ? paging_pae_setup(v) : paging32_setup(v);
    s.cr4 = pae ? 0x20 : 0;          /* PAE */
    s.efer = pae ? 0x800 : 0;        /* NXE */
    s.cr0 = 0x80000011u;             /* PG, ET, PE */
    kvm_ioctl(v->vcpu, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
    set_regs(v, PROT_LIN + PROT_CODE, PROT_LIN + 0x7000);
}

/* --- the KVM_RUN loop --- */

static void handle_io(Vm *v)
{
    struct kvm_run *r = v->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    size_t n = (size_t)r->io.size * r->io.count;
    if (r->io.direction == KVM_EXIT_IO_OUT && r->io.port == PORT_OUT && r->io.size == 1) {
        for (size_t i = 0; i < n && v->out_len < sizeof v->out - 1; i++) {
            v->out[v->out_len++] = (char)data[i];
            if (data[i] == 'w' && v->want_irq)
                r->request_interrupt_window = 1;   /* the irq guest is ready */
        }
        fwrite(data, 1, n, stdout);
        fflush(stdout);
        return;
    }
    if (r->io.direction == KVM_EXIT_IO_IN && r->io.port == PORT_IN && r->io.size == 1) {
        memset(data, IN_VALUE, n);
        return;
    }
    fail("unexpected I/O: %s port %#x size %u count %u",
         r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", r->io.port, r->io.size,
         r->io.count);
}

static const char *exit_name(uint32_t reason)
{
    static const char *const names[] = {
        [KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
        [KVM_EXIT_IO] = "IO", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
        [KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
        [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    };
    if (reason < sizeof names / sizeof names[0] && names[reason])
        return names[reason];
    return "other";
}

/* KVM says the guest can take an interrupt (IF set, no shadow): queue
 * the vector, which KVM injects at the next entry. */
static void inject_irq(Vm *v, const char *name)
{
    struct kvm_run *r = v->run;
    if (!v->want_irq || !r->ready_for_interrupt_injection || !r->if_flag)
        fail("%s: interrupt window exit without a window (ready %u, IF %u)", name,
             r->ready_for_interrupt_injection, r->if_flag);
    struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
    kvm_ioctl(v->vcpu, KVM_INTERRUPT, &irq, "KVM_INTERRUPT");
    r->request_interrupt_window = 0;
    v->want_irq = false;
    v->windows++;
}

/* The vCPU's CS:EIP, CR0 and CR3 for a failure line. */
static const char *where(Vm *v)
{
    static char buf[96];
    struct kvm_regs regs;
    struct kvm_sregs s;
    if (ioctl(v->vcpu, KVM_GET_REGS, &regs) < 0 || ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
        return "(registers unreadable)";
    snprintf(buf, sizeof buf, "%04x:%08llx cr0 %#llx cr3 %#llx", s.cs.selector,
             (unsigned long long)regs.rip, (unsigned long long)s.cr0, (unsigned long long)s.cr3);
    return buf;
}

/* Runs the vCPU until HLT; at most max_exits exits. */
static void run_to_halt(Vm *v, const char *name, unsigned max_exits)
{
    v->out_len = 0;
    for (unsigned i = 0; i < max_exits; i++) {
        if (ioctl(v->vcpu, KVM_RUN, 0) < 0)
            fail("%s: KVM_RUN: %s", name, strerror(errno));
        struct kvm_run *r = v->run;
        switch (r->exit_reason) {
        case KVM_EXIT_IO:
            handle_io(v);
            break;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            inject_irq(v, name);
            break;
        case KVM_EXIT_HLT:
            v->out[v->out_len] = 0;
            putchar('\n');
            return;
        case KVM_EXIT_FAIL_ENTRY:
            fail("%s: FAIL_ENTRY, hardware reason %#llx", name,
                 (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        case KVM_EXIT_INTERNAL_ERROR:
            fail("%s: INTERNAL_ERROR, suberror %u", name, r->internal.suberror);
        default:
            fail("%s: exit %u (%s) at %s", name, r->exit_reason, exit_name(r->exit_reason),
                 where(v));
        }
    }
    fail("%s: no HLT after %u exits", name, max_exits);
}

/* Run the paged guest; its output and stored word must be right. */
static void prot_mode_run(Vm *v, const char *name, bool pae)
{
    prot_mode_setup(v, pae);
    printf("KVMVMM %s: ", name);
    run_to_halt(v, name, 200);
    if (strcmp(v->out, prot_msg) != 0)
        fail("%s: the guest printed \"%s\"", name, v->out);
    uint32_t word;
    memcpy(&word, v->mem + PROT_WORD, sizeof word);
    if (word != PROT_MAGIC)
        fail("%s: guest-physical %#x holds %#x, not %#x", name, PROT_WORD, word, PROT_MAGIC);
    printf("KVMVMM %s OK\n", name);
}

static void alarm_handler(int sig)
{
    (void)sig;
    static const char msg[] = "KVMVMM FAIL: timeout\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(2);
    _exit(1);
}

int main(void)
{
    signal(SIGALRM, alarm_handler);
    alarm(30);   /* guest seconds; a run takes well under one */
    Vm v = { 0 };
    vm_create(&v);

    real_mode_setup(&v, real_code, sizeof real_code);
    printf("KVMVMM real: ");
    run_to_halt(&v, "real", 200);
    char want[sizeof real_msg + 1];
    snprintf(want, sizeof want, "%s%c", real_msg, IN_VALUE + 1);
    if (strcmp(v.out, want) != 0)
        fail("real: the guest printed \"%s\"", v.out);
    printf("KVMVMM real OK\n");

    prot_mode_run(&v, "prot", false);
    prot_mode_run(&v, "pae", true);

    real_mode_setup(&v, irq_code, sizeof irq_code);
    v.want_irq = true;
    printf("KVMVMM irq: ");
    run_to_halt(&v, "irq", 200);
    if (strcmp(v.out, "wi") != 0 || v.windows != 1)
        fail("irq: the guest printed \"%s\" after %u interrupt windows", v.out, v.windows);
    printf("KVMVMM irq OK\n");
    printf("KVMVMM PASS\n");
    return 0;
}
