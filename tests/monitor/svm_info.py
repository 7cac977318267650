#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""monitor.svm_info: the monitor in an SVM guest (tests/asm/svm_vintr.asm
on -cpu phenom). A breakpoint on the guest's virtual-interrupt handler
(found by its bytes, mov eax, 0x4141; hlt) stops in the guest world:
`info svm` names it, the VMCB (0x11000), ASID 1 and the TLB bank in use,
V_IRQ cleared by the delivery and vector 0x41; `r` shows the guest's
registers (EIP on the handler), `info cpu` the same world; the ROM
then runs to its PASS.
    svm_info.py KAIRO ROM WORKDIR"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monclient import Monitor, abort, finish, fresh_workdir, start_kairo  # noqa: E402

kairo, rom, work = sys.argv[1:4]
(sock,) = fresh_workdir(work, "mon.sock")
with open(rom, "rb") as f:
    image = f.read()
off = image.find(bytes([0xB8, 0x41, 0x41, 0, 0, 0xF4]))
if off < 0:
    print("FAIL: the guest's handler is not in the ROM")
    sys.exit(1)
handler = 0x100000000 - len(image) + off
proc = start_kairo([kairo, "-cpu", "phenom", "-bios", rom, "-display", "none",
                    "-serial", "none", "-debugcon", "none", "-device", "isa-debug-exit",
                    "-no-reboot", "-monitor", "unix:" + sock, "-S", "--timeout", "60"],
                   os.path.join(work, "kairo.log"))
try:
    mon = Monitor(sock)
    mon.cmd("info svm", r"^cpu 0: svm: host world, gif 1")
    mon.cmd("b 0x%x" % handler, r"^breakpoint 1$")
    mon.cmd("c")
    mon.stop_event(r"^breakpoint 1 hit", r"^0008:%08x .*mov eax, 0x4141" % handler)
    mon.cmd("info svm", r"^cpu 0: svm: guest world, gif 1, efer 00001000, vm_hsave_pa 0x10000",
            r"^svm: vmcb 0x11000 asid 1 \(TLB bank in use: asid 1\), npt off",
            r"^svm: v_irq 0 vector 0x41 .* ign_tpr",
            r"^svm: intercepts .* misc1 01000000 misc2 00000001")
    mon.cmd("r", r"^eip  0x%08x" % handler)
    mon.cmd("info cpu", r"^svm: guest world")
    mon.cmd("delete 1")
    mon.cmd("c")   # the ROM runs to its end: exit status 33 (PASS)
except Exception as e:  # noqa: BLE001 - any failure ends the session
    abort(proc, repr(e))
sys.exit(finish(proc, mon, 33))
