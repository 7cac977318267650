/* SPDX-License-Identifier: MIT */
/* The return stack (ras_push / ras_pop, cpu/icache.h): a RET goes on
 * through the link its CALL's block keeps for the return address, yet it
 * always lands where the popped EIP says, every run stops at its exact
 * count, and code rewritten at a return address runs anew. */
#include "tests/unit/flow_util.h"

TestSuite(return_stack, .init = setup_pm, .fini = teardown);

/* A tiny assembler: bytes at offsets from the snippet's start. */
typedef struct Asm {
    uint8_t b[0x100];
    unsigned n;
} Asm;

static void asm_put(Asm *a, unsigned len, const uint8_t *bytes)
{
    memcpy(a->b + a->n, bytes, len);
    a->n += len;
}
#define EMIT(a, ...) ({ const uint8_t e_[] = { __VA_ARGS__ }; asm_put((a), sizeof e_, e_); })

static void call_to(Asm *a, unsigned target)
{
    EMIT(a, 0xE8, D32(target - (a->n + 5)));
}

static void jnz_to(Asm *a, unsigned target)
{
    EMIT(a, 0x0F, 0x85, D32(target - (a->n + 6)));
}

/* mov ecx,n; l: call f; inc ebx; call f; inc esi; call f; inc edi; dec ecx;
 * jnz l; hlt — and at 0x80, f: inc eax; ret. One function, three callers:
 * its RET alone would link to one of them. */
static uint32_t load_three_callers(uint32_t n)
{
    Asm a = { .n = 0 };
    const unsigned f = 0x80;
    EMIT(&a, 0xB9, D32(n));
    unsigned l = a.n;
    call_to(&a, f);
    EMIT(&a, 0x43);
    call_to(&a, f);
    EMIT(&a, 0x46);
    call_to(&a, f);
    EMIT(&a, 0x47, 0x49);
    jnz_to(&a, l);
    EMIT(&a, HLT);
    a.n = f;
    EMIT(&a, 0x40, 0xC3);
    uint32_t at = next_addr();
    h_load(cpu, at, a.b, a.n);
    return at;
}

static void clear_counters(void)
{
    cpu->gpr[R_EAX] = cpu->gpr[R_EBX] = cpu->gpr[R_ESI] = cpu->gpr[R_EDI] = 0;
}

Test(return_stack, each_ret_returns_to_its_own_caller)
{
    uint32_t at = load_three_callers(1000);
    clear_counters();
    uint32_t sp = cpu->gpr[R_ESP];
    uint64_t n = h_run(cpu, at, 100000);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 3000u);
    cr_assert_eq(cpu->gpr[R_EBX], 1000u);
    cr_assert_eq(cpu->gpr[R_ESI], 1000u);
    cr_assert_eq(cpu->gpr[R_EDI], 1000u);
    cr_assert_eq(cpu->gpr[R_ESP], sp);
    cr_assert_eq(n - cpu->idle_insns, 1u + 1000 * 14 + 1, "%llu",
                 (unsigned long long)(n - cpu->idle_insns));
}

/* The same loop stopped at odd counts, against a run of one instruction
 * per block (no links, no return stack): the same registers, EIP and ESP
 * at every stop, whether it falls on a CALL, inside f or after a RET. */
Test(return_stack, chained_runs_stop_where_single_steps_do)
{
    uint32_t at = load_three_callers(400);
    const uint64_t stops[] = { 1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16, 999, 1000, 1001, 4097 };
    uint32_t sp = cpu->gpr[R_ESP];
    for (unsigned i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        uint32_t want[9], want_eip;
        clear_counters();
        cpu->gpr[R_ESP] = sp;
        cpu->single_step = true;
        cr_assert_eq(h_run(cpu, at, stops[i]), stops[i]);
        cpu->single_step = false;
        memcpy(want, cpu->gpr, sizeof want);
        want_eip = cpu->eip;
        clear_counters();
        cpu->gpr[R_ESP] = sp;
        /* Twice: the second run finds every link and return-stack entry made. */
        for (int pass = 0; pass < 2; pass++) {
            clear_counters();
            cpu->gpr[R_ESP] = sp;
            cr_assert_eq(h_run(cpu, at, stops[i]), stops[i]);
            cr_assert_arr_eq(cpu->gpr, want, sizeof want, "registers at %llu",
                             (unsigned long long)stops[i]);
            cr_assert_eq(cpu->eip, want_eip, "EIP at %llu: %x, want %x",
                         (unsigned long long)stops[i], cpu->eip, want_eip);
        }
    }
}

/* g: inc eax; cmp eax,5; jne r; mov dword [esp],alt; r: ret. The fifth
 * RET pops another address than its CALL pushed: it must go there, not
 * through the return stack's entry for the caller. */
Test(return_stack, a_ret_to_a_replaced_address_goes_there)
{
    Asm a = { .n = 0 };
    const unsigned alt = 0x60, g = 0x80;
    uint32_t at = next_addr();
    EMIT(&a, 0xB9, D32(10));
    unsigned l = a.n;
    call_to(&a, g);
    EMIT(&a, 0x43, 0x49);
    jnz_to(&a, l);
    EMIT(&a, HLT);
    a.n = alt;
    EMIT(&a, 0x42, HLT);
    a.n = g;
    EMIT(&a, 0x40, 0x83, 0xF8, 0x05, 0x75, 0x07, 0xC7, 0x04, 0x24, D32(at + alt), 0xC3);
    h_load(cpu, at, a.b, a.n);
    clear_counters();
    cpu->gpr[R_EDX] = 0;
    uint32_t sp = cpu->gpr[R_ESP];
    h_run(cpu, at, 10000);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 5u);
    cr_assert_eq(cpu->gpr[R_EBX], 4u);
    cr_assert_eq(cpu->gpr[R_EDX], 1u);
    cr_assert_eq(cpu->eip, at + alt + 2);
    cr_assert_eq(cpu->gpr[R_ESP], sp);
}

/* l: call n; n: pop esi; call f; inc ebx; dec ecx; jnz l; hlt. The first
 * CALL never returns: the return stack is one entry off from then on, and
 * every RET still lands right. */
Test(return_stack, a_call_that_never_returns_leaves_rets_right)
{
    Asm a = { .n = 0 };
    const unsigned f = 0x80;
    EMIT(&a, 0xB9, D32(20));
    unsigned l = a.n;
    call_to(&a, a.n + 5);
    EMIT(&a, 0x5E);
    call_to(&a, f);
    EMIT(&a, 0x43, 0x49);
    jnz_to(&a, l);
    EMIT(&a, HLT);
    a.n = f;
    EMIT(&a, 0x40, 0xC3);
    uint32_t at = next_addr();
    h_load(cpu, at, a.b, a.n);
    clear_counters();
    uint32_t sp = cpu->gpr[R_ESP];
    h_run(cpu, at, 10000);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 20u);
    cr_assert_eq(cpu->gpr[R_EBX], 20u);
    cr_assert_eq(cpu->gpr[R_ESI], at + l + 5);
    cr_assert_eq(cpu->gpr[R_ESP], sp);
}

/* l: call f; ra: inc ebx; dec ecx; jnz l; hlt — f: inc eax; cmp eax,2;
 * jne r; mov byte [ra],0x47 (inc edi); r: ret. The second RET comes back
 * through a link to the block at ra, which f has just rewritten: it must
 * run the new code. */
Test(return_stack, code_rewritten_at_a_return_address_runs_anew)
{
    Asm a = { .n = 0 };
    const unsigned f = 0x80;
    uint32_t at = next_addr();
    EMIT(&a, 0xB9, D32(3));
    unsigned l = a.n;
    call_to(&a, f);
    unsigned ra = a.n;
    EMIT(&a, 0x43, 0x49);
    jnz_to(&a, l);
    EMIT(&a, HLT);
    a.n = f;
    EMIT(&a, 0x40, 0x83, 0xF8, 0x02, 0x75, 0x07, 0xC6, 0x05, D32(at + ra), 0x47, 0xC3);
    h_load(cpu, at, a.b, a.n);
    clear_counters();
    h_run(cpu, at, 10000);
    cr_assert_eq(h_last_exception(cpu), -1);
    cr_assert_eq(cpu->gpr[R_EAX], 3u);
    cr_assert_eq(cpu->gpr[R_EBX], 1u);
    cr_assert_eq(cpu->gpr[R_EDI], 2u);
}
