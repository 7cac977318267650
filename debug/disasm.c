/* SPDX-License-Identifier: MIT */
/* Capstone behind disasm_one(). Two handles (16- and 32-bit), opened on
 * first use and kept for the process: cs_open is far too slow to call per
 * instruction when kairo-trace prints millions of them. */
#include "debug/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

static csh handles[2];
static bool opened[2], failed[2];
static cs_insn *scratch[2];

static bool handle_for(bool code32, csh *h, cs_insn **insn)
{
    int i = code32 ? 1 : 0;
    if (!opened[i] && !failed[i]) {
        if (cs_open(CS_ARCH_X86, code32 ? CS_MODE_32 : CS_MODE_16, &handles[i]) != CS_ERR_OK) {
            failed[i] = true;
            return false;
        }
        scratch[i] = cs_malloc(handles[i]);
        if (!scratch[i]) {
            cs_close(&handles[i]);
            failed[i] = true;
            return false;
        }
        opened[i] = true;
    }
    if (failed[i])
        return false;
    *h = handles[i];
    *insn = scratch[i];
    return true;
}

unsigned disasm_one(const uint8_t *bytes, size_t len, uint32_t eip, bool code32, char *out,
                    size_t outlen)
{
    csh h;
    cs_insn *insn;
    const uint8_t *code = bytes;
    size_t size = len;
    uint64_t address = eip;
    if (!handle_for(code32, &h, &insn) || !cs_disasm_iter(h, &code, &size, &address, insn)) {
        snprintf(out, outlen, "(bad)");
        return 0;
    }
    if (insn->op_str[0])
        snprintf(out, outlen, "%s %s", insn->mnemonic, insn->op_str);
    else
        snprintf(out, outlen, "%s", insn->mnemonic);
    return insn->size;
}
