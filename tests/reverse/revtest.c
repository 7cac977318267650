/* SPDX-License-Identifier: MIT */
/* The reverse-debugging test kernel: Multiboot 1, built with gcc -m32 -g
 * so gdb has lines and call frames (CFI) to step over calls and finish
 * functions. A loop of ITER iterations calls func_a, which calls func_b,
 * then stores the iteration number to `value` (a write watchpoint's
 * target); func_b counts its calls in count_b and spins, so the run is
 * long enough to hold many checkpoints. First it prints "GO" on COM1 and
 * waits for a byte there (revtest.sh types 'X' with --send): history run
 * again must get it from the input log. done() exits through
 * isa-debug-exit with value + count_b, plus 1 unless the byte was 'X':
 * status (2 * ITER << 1) | 1 = 201.
 * revtest.gdb finds the lines marked "@name" in this file. */
#include <stdint.h>

#define ITER 50
#define SPIN 3000

/* The Multiboot header, first in .text (-fno-toplevel-reorder). */
__asm__(".section .text\n"
        ".align 4\n"
        ".long 0x1BADB002, 0, -0x1BADB002\n");

#define COM1 0x3F8

volatile int value, count_b, input;
static uint8_t stack[8192] __attribute__((aligned(16)));

static uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void serial_puts(const char *s)
{
    for (; *s; s++) {
        while (!(inb(COM1 + 5) & 0x20))   /* LSR: THR empty */
            ;
        outb(COM1, (uint8_t)*s);
    }
}

static int serial_getc(void)
{
    while (!(inb(COM1 + 5) & 0x01))   /* LSR: data ready */
        ;
    return inb(COM1);
}

__attribute__((noinline)) static void func_b(void)
{
    count_b++; /* @b_body */
    for (volatile int i = 0; i < SPIN; i++)
        ;
}

__attribute__((noinline)) static void func_a(void)
{
    func_b(); /* @call_b */
}

__attribute__((noinline, noreturn)) void done(void)
{
    outb(0x501, (uint8_t)(value + count_b + (input != 'X')));
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void kmain(void)
{
    serial_puts("GO\n");
    input = serial_getc();
    for (int i = 1; i <= ITER; i++) { /* @loop */
        func_a();                       /* @call_a */
        value = i;                      /* @after_a */
    }
    done();
}

__attribute__((naked, noreturn)) void _start(void)
{
    __asm__ volatile("lea %c0(%1), %%esp\n"
                     "call kmain" : : "i"(sizeof stack), "r"(stack));
}
