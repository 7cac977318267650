/* SPDX-License-Identifier: MIT */
/* x87run: run a static i386 Linux program (x87prog) on Kairo's CPU without
 * a guest kernel, so that its output can be compared with a native run.
 *
 *   x87run [--max-insns N] PROGRAM [ARGUMENTS...]
 *
 * The program's PT_LOAD segments go to their addresses in a flat 32-bit
 * protected-mode machine (the unit-test harness, paging off, CPL 0); INT 0x80
 * lands on the harness's stub for vector 0x80, where the few system calls a
 * static glibc program makes are served here: write/writev to the host's
 * stdout, brk, anonymous mmap2, set_thread_area (a GDT entry for %gs),
 * uname, exit; the rest fail with ENOSYS or a harmless answer. The x87
 * starts as Linux starts a process (FNINIT, CR0.NE). Any other exception
 * stops the run with a message and status 2. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/firmware.h"
#include "cpu/seg.h"
#include "fpu/fpu.h"
#include "memory/phys.h"
#include "tests/unit/cpu_harness.h"

#define RAM_MB 256
#define STACK_TOP 0x0F000000u
#define MMAP_BASE 0x0C000000u
#define TLS_GDT_INDEX 12
#define ENOSYS_ 38

typedef struct {
    Cpu *cpu;
    uint32_t brk, brk_start, mmap_next;
    bool exited;
    int status;
} Proc;

static void copy_in(Proc *p, uint32_t at, const void *src, size_t n) { phys_write_block(p->cpu->mem, at, src, n); }

static void copy_out(Proc *p, void *dst, uint32_t at, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = h_read8(p->cpu, at + (uint32_t)i);
}

static void zero(Proc *p, uint32_t at, size_t n)
{
    static const uint8_t z[4096];
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        copy_in(p, at, z, k);
        at += (uint32_t)k;
        n -= k;
    }
}

/* --- loading --- */

/* Far above any test program; bios/firmware.c reads the file. */
#define MAX_PROGRAM_BYTES (64u << 20)

/* Load the segments; returns the entry point, 0 on a bad file. */
static uint32_t load_elf(Proc *p, const uint8_t *img, size_t len, uint32_t *phdr, unsigned *phnum)
{
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
        eh->e_machine != EM_386 || eh->e_type != ET_EXEC || eh->e_phoff + eh->e_phnum * sizeof(Elf32_Phdr) > len)
        return 0;
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff);
    uint32_t end = 0;
    *phdr = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (ph[i].p_offset + ph[i].p_filesz > len || ph[i].p_vaddr + ph[i].p_memsz > MMAP_BASE)
            return 0;
        copy_in(p, ph[i].p_vaddr, img + ph[i].p_offset, ph[i].p_filesz);
        zero(p, ph[i].p_vaddr + ph[i].p_filesz, ph[i].p_memsz - ph[i].p_filesz);
        if (ph[i].p_offset == 0)
            *phdr = ph[i].p_vaddr + eh->e_phoff;
        if (ph[i].p_vaddr + ph[i].p_memsz > end)
            end = ph[i].p_vaddr + ph[i].p_memsz;
    }
    *phnum = eh->e_phnum;
    p->brk = p->brk_start = (end + 0xFFF) & ~0xFFFu;
    return eh->e_entry;
}

#define MAX_ARGS 8

/* argc, argv, envp, auxv, as the kernel lays them out; the strings go to
 * the top of the stack. */
static void build_stack(Proc *p, uint32_t entry, uint32_t phdr, unsigned phnum, int argc, char **argv)
{
    static const uint8_t random_bytes[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    uint32_t at_random = STACK_TOP - 16, str = at_random;
    uint32_t words[MAX_ARGS + 32];
    unsigned n = 0;
    copy_in(p, at_random, random_bytes, sizeof random_bytes);
    words[n++] = (uint32_t)argc;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + 1;
        str -= (uint32_t)len;
        copy_in(p, str, argv[i], len);
        words[n++] = str;
    }
    const uint32_t tail[] = {
        0, 0,                                          /* end of argv, empty envp */
        AT_PHDR, phdr, AT_PHENT, sizeof(Elf32_Phdr), AT_PHNUM, phnum, AT_PAGESZ, 4096,
        AT_ENTRY, entry, AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0, AT_SECURE, 0,
        AT_RANDOM, at_random, AT_HWCAP, 0, AT_NULL, 0,
    };
    memcpy(words + n, tail, sizeof tail);
    n += sizeof tail / 4;
    uint32_t sp = (str - 4 * n) & ~15u;
    /* Registers at entry are zero, EDX above all: it is a function for
     * atexit when non-zero (the CPU's reset value would be the signature). */
    memset(p->cpu->gpr, 0, sizeof p->cpu->gpr);
    for (unsigned i = 0; i < n; i++)
        h_write32(p->cpu, sp + 4 * i, words[i]);
    p->cpu->gpr[R_ESP] = sp;
}

/* --- system calls --- */

static uint32_t sys_write(Proc *p, uint32_t fd, uint32_t buf, uint32_t len)
{
    if (fd != 1 && fd != 2)
        return (uint32_t)-9;   /* EBADF */
    char tmp[4096];
    for (uint32_t done = 0; done < len;) {
        uint32_t k = len - done < sizeof tmp ? len - done : (uint32_t)sizeof tmp;
        copy_out(p, tmp, buf + done, k);
        fwrite(tmp, 1, k, fd == 1 ? stdout : stderr);
        done += k;
    }
    return len;
}

static uint32_t sys_writev(Proc *p, uint32_t fd, uint32_t iov, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sys_write(p, fd, h_read32(p->cpu, iov + 8 * i), h_read32(p->cpu, iov + 8 * i + 4));
        if ((int32_t)r < 0)
            return r;
        total += r;
    }
    return total;
}

static uint32_t sys_brk(Proc *p, uint32_t want)
{
    if (want >= p->brk_start && want < MMAP_BASE) {
        if (want > p->brk)
            zero(p, p->brk, want - p->brk);
        p->brk = want;
    }
    return p->brk;
}

static uint32_t sys_mmap2(Proc *p, uint32_t len, uint32_t flags, int32_t fd)
{
    if (!(flags & 0x20) || fd != -1)   /* MAP_ANONYMOUS only */
        return (uint32_t)-ENOSYS_;
    len = (len + 0xFFF) & ~0xFFFu;
    if (p->mmap_next + len > STACK_TOP - 0x100000)
        return (uint32_t)-12;   /* ENOMEM */
    uint32_t at = p->mmap_next;
    zero(p, at, len);
    p->mmap_next += len;
    return at;
}

/* struct user_desc { entry_number, base_addr, limit, flags bits } */
static uint32_t sys_set_thread_area(Proc *p, uint32_t desc)
{
    uint32_t base = h_read32(p->cpu, desc + 4), limit = h_read32(p->cpu, desc + 8);
    uint32_t bits = h_read32(p->cpu, desc + 12);
    h_write32(p->cpu, desc, TLS_GDT_INDEX);
    uint16_t flags = DESC_P | DESC_S | 0x3 | (3 << DESC_DPL_SHIFT) | ((bits & 1) ? DESC_DB : 0) |
                     ((bits & 0x10) ? DESC_G : 0);
    h_set_gdt(p->cpu, TLS_GDT_INDEX, base, (bits & 0x10) ? limit << 12 | 0xFFF : limit, flags);
    return 0;
}

static uint32_t sys_uname(Proc *p, uint32_t buf)
{
    static const char *fields[6] = { "Linux", "kairo", "5.10.0", "#1", "i686", "" };
    zero(p, buf, 6 * 65);
    for (int i = 0; i < 6; i++)
        copy_in(p, buf + 65u * (uint32_t)i, fields[i], strlen(fields[i]));
    return 0;
}

static uint32_t sys_getrandom(Proc *p, uint32_t buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(i * 37 + 11);
        copy_in(p, buf + i, &b, 1);
    }
    return len;
}

static void serve_syscall(Proc *p)
{
    uint32_t *r = p->cpu->gpr;
    uint32_t nr = r[R_EAX], a = r[R_EBX], b = r[R_ECX], c = r[R_EDX];
    uint32_t ret;
    switch (nr) {
    case 1: case 252: p->exited = true; p->status = (int)(a & 0xFF); ret = 0; break;   /* exit, exit_group */
    case 4: ret = sys_write(p, a, b, c); break;
    case 146: ret = sys_writev(p, a, b, c); break;
    case 45: ret = sys_brk(p, a); break;
    case 192: ret = sys_mmap2(p, b, r[R_ESI], (int32_t)r[R_EDI]); break;
    case 243: ret = sys_set_thread_area(p, a); break;
    case 122: ret = sys_uname(p, a); break;
    case 355: ret = sys_getrandom(p, a, b); break;
    case 54: ret = (uint32_t)-25; break;                            /* ioctl: ENOTTY */
    case 20: case 224: case 258: ret = 1; break;                    /* getpid, gettid, set_tid_address */
    case 91: case 125: case 174: case 175: case 311: ret = 0; break; /* munmap mprotect sigaction sigprocmask robust_list */
    default: ret = (uint32_t)-ENOSYS_; break;
    }
    r[R_EAX] = ret;
}

/* --- the run --- */

int main(int argc, char **argv)
{
    uint64_t max_insns = 2000000000ull;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--max-insns")) {
        max_insns = strtoull(argv[2], NULL, 0);
        first = 3;
    }
    if (first >= argc || argc - first > MAX_ARGS) {
        fprintf(stderr, "usage: x87run [--max-insns N] PROGRAM [ARGUMENTS...]\n");
        return 1;
    }
    size_t len;
    uint8_t *img = firmware_read_file(argv[first], MAX_PROGRAM_BYTES, &len);
    if (!img) {
        fprintf(stderr, "x87run: cannot read %s\n", argv[first]);
        return 1;
    }
    Proc p = { .cpu = h_cpu_new(RAM_MB, true), .mmap_next = MMAP_BASE };
    uint32_t phdr;
    unsigned phnum;
    uint32_t entry = load_elf(&p, img, len, &phdr, &phnum);
    free(img);
    if (!entry) {
        fprintf(stderr, "x87run: %s is not a static i386 executable\n", argv[first]);
        return 1;
    }
    Cpu *cpu = p.cpu;
    cpu->gdtr.limit = 0xFF;   /* room for the TLS entry */
    cpu->cr0 |= CR0_NE | CR0_MP;
    fpu_init(cpu->fpu);
    build_stack(&p, entry, phdr, phnum, argc - first, argv + first);
    uint64_t total = 0;
    uint32_t eip = entry;
    while (!p.exited) {
        /* A halt counts as idle time in h_run's result: count the work. */
        uint64_t before = cpu->icount - cpu->idle_insns;
        h_run(cpu, eip, max_insns - total);
        total += cpu->icount - cpu->idle_insns - before;
        int vec = h_last_exception(cpu);
        if (vec != 0x80) {
            /* vectors 8, 10-14 and 17 push an error code before EIP */
            bool errcode = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
            uint32_t frame = cpu->gpr[R_ESP] + (errcode ? 4 : 0);
            if (vec < 0)
                fprintf(stderr, "x87run: stopped at %08X (%s) after %llu instructions\n", cpu->eip,
                        cpu->triple_fault ? "triple fault" : cpu->halted ? "HLT" : "limit",
                        (unsigned long long)total);
            else
                fprintf(stderr, "x87run: exception %d (error code %08X) at %08X after %llu instructions\n",
                        vec, errcode ? h_read32(cpu, cpu->gpr[R_ESP]) : 0, h_read32(cpu, frame),
                        (unsigned long long)total);
            fprintf(stderr, "  eax %08X ebx %08X ecx %08X edx %08X esi %08X edi %08X ebp %08X esp %08X gs %04X:%08X\n",
                    cpu->gpr[R_EAX], cpu->gpr[R_EBX], cpu->gpr[R_ECX], cpu->gpr[R_EDX], cpu->gpr[R_ESI],
                    cpu->gpr[R_EDI], cpu->gpr[R_EBP], cpu->gpr[R_ESP], cpu->seg[SEG_GS].sel,
                    cpu->seg[SEG_GS].base);
            return 2;
        }
        /* the INT 0x80 frame: EIP, CS, EFLAGS */
        eip = h_read32(cpu, cpu->gpr[R_ESP]);
        cpu->gpr[R_ESP] += 12;
        serve_syscall(&p);
    }
    fflush(stdout);
    fprintf(stderr, "x87run: exit %d after %llu instructions\n", p.status, (unsigned long long)total);
    h_cpu_free(cpu);
    return p.status;
}
