/* SPDX-License-Identifier: MIT */
/* Machine state of fw_cfg (the selected item, by key, and the read
 * position), isa-debug-exit and the debug console: loaded into a fresh
 * instance they answer the same from there; a selection this machine
 * does not have, truncations and hostile values are refused cleanly. */
#include <criterion/criterion.h>
#include <string.h>

#include "devstate_harness.h"
#include "iodev/debugcon.h"
#include "iodev/debugexit.h"
#include "iodev/fwcfg.h"

static FwCfg a, b;
static PhysMem *mem;
static const char blob[] = "the quick brown fox jumps over the lazy dog";

static void build(FwCfg *fw, bool with_file)
{
    fwcfg_init(fw, mem);
    fwcfg_add_u32(fw, FW_CFG_NB_CPUS, 1);
    if (with_file)
        fwcfg_add_file(fw, "etc/kairo-test", blob, sizeof blob);
    fwcfg_add_file(fw, "etc/other", "xyz", 3);
}

static void *fresh_b(void)
{
    fwcfg_free(&b);
    build(&b, true);
    return &b;
}

static void setup(void)
{
    char err[128];
    mem = phys_new(1 << 20, err, sizeof err);
    cr_assert(mem);
    build(&a, true);
    build(&b, true);
}

static void teardown(void)
{
    fwcfg_free(&a);
    fwcfg_free(&b);
    phys_free(mem);
}

TestSuite(devstate_misc, .init = setup, .fini = teardown);

static uint16_t key_of(const FwCfg *fw, const char *name)
{
    for (int i = 0; i < fw->n_items; i++)
        if (!strcmp(fw->items[i].name, name))
            return fw->items[i].key;
    cr_assert_fail("no item %s", name);
    return 0;
}

static void select_and_read(FwCfg *fw, uint16_t key, int n)
{
    fwcfg_port_write(fw, 0x510, 2, key);
    for (int i = 0; i < n; i++)
        fwcfg_port_read(fw, 0x511, 1);
}

Test(devstate_misc, fwcfg_selection_and_offset_survive)
{
    select_and_read(&a, key_of(&a, "etc/kairo-test"), 10);
    StateWriter w = dh_save(&fwcfg_desc, &a, "fwcfg");
    char err[200];
    cr_assert(dh_load(&fwcfg_desc, &b, "fwcfg", w.buf, w.len, err, sizeof err), "%s", err);
    for (size_t i = 10; i < sizeof blob + 2; i++)
        cr_expect_eq(fwcfg_port_read(&a, 0x511, 1), fwcfg_port_read(&b, 0x511, 1), "byte %zu", i);
    state_writer_free(&w);
    /* The generated file directory as the selection. */
    select_and_read(&a, FW_CFG_FILE_DIR, 5);
    w = dh_save(&fwcfg_desc, &a, "fwcfg");
    fresh_b();
    cr_assert(dh_load(&fwcfg_desc, &b, "fwcfg", w.buf, w.len, err, sizeof err), "%s", err);
    for (int i = 5; i < 80; i++)
        cr_expect_eq(fwcfg_port_read(&a, 0x511, 1), fwcfg_port_read(&b, 0x511, 1), "dir byte %d",
                     i);
    state_writer_free(&w);
}

Test(devstate_misc, fwcfg_selection_missing_here_is_refused)
{
    select_and_read(&a, key_of(&a, "etc/other"), 1);
    StateWriter w = dh_save(&fwcfg_desc, &a, "fwcfg");
    fwcfg_free(&b);
    fwcfg_init(&b, mem);
    char err[200];
    cr_assert_not(dh_load(&fwcfg_desc, &b, "fwcfg", w.buf, w.len, err, sizeof err));
    cr_expect(strstr(err, "fw_cfg") && strstr(err, "selected"), "%s", err);
    dh_check_truncations(&fwcfg_desc, "fwcfg", &w, fresh_b);
    state_writer_free(&w);
}

Test(devstate_misc, debugexit_request_and_debugcon)
{
    PortBus bus;
    portbus_init(&bus);
    DebugExit x, y;
    cr_assert(debugexit_init(&x, &bus, 0xF4, 4));
    portbus_write(&bus, 0xF4, 1, 0x21);
    StateWriter w = dh_save(&debugexit_desc, &x, "debugexit");
    PortBus bus2;
    portbus_init(&bus2);
    cr_assert(debugexit_init(&y, &bus2, 0xF4, 4));
    char err[200];
    cr_assert(dh_load(&debugexit_desc, &y, "debugexit", w.buf, w.len, err, sizeof err), "%s", err);
    cr_expect(y.requested);
    cr_expect_eq(y.status, 0x43);
    StateWriter bad = w;
    bad.buf = malloc(w.len);
    memcpy(bad.buf, w.buf, w.len);
    dh_patch(&bad, &debugexit_desc, "debugexit", "status", 0, 0x200, 4);
    cr_expect_not(dh_load(&debugexit_desc, &y, "debugexit", bad.buf, bad.len, err, sizeof err));
    free(bad.buf);
    debugexit_desc.reset(&y);
    cr_expect_not(y.requested);
    state_writer_free(&w);
    /* The debug console has no state but a section all the same. */
    DebugCon dc = { NULL };
    w = dh_save(&debugcon_desc, &dc, "debugcon");
    cr_assert(dh_load(&debugcon_desc, &dc, "debugcon", w.buf, w.len, err, sizeof err), "%s", err);
    cr_assert_not(dh_load(&debugcon_desc, &dc, "debugcon", w.buf, w.len - 1, err, sizeof err));
    state_writer_free(&w);
}
