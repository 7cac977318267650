# SPDX-License-Identifier: MIT
"""Multiboot kernels through -kernel (issue 15). The test kernels
(mb1.asm as ELF and a.out kludge, mb2.asm as ELF and with the address
tags) print on COM1 what their loader passed. Version 1 runs on kairo and
on qemu-system-i386 side by side and the reports must agree (the loader's
name aside; the top-of-RAM reservation is the firmware's, so only its
type and place are compared). QEMU does not load version 2, so its
reports are checked against the Multiboot2 specification's values.
Then kernels kairo must refuse: one line on stderr, status 1.
  multiboot_test.py KAIRO KERNEL_DIR WORKDIR"""
import os
import re
import shutil
import subprocess
import sys

kairo, kdir, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []
RAM_MB = 128


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


mod1 = os.path.join(work, "mod1.txt")
mod2 = os.path.join(work, "mod2.bin")
with open(mod1, "w") as f:
    f.write("module one contents\n")
with open(mod2, "wb") as f:
    f.write(b"second\x01module")
MODS = "%s arg1 arg2,%s x=y,,z" % (mod1, mod2)   # ",," is a comma in the second
APPEND = "hello world"


def run(emu, kernel, tag):
    out = os.path.join(work, tag + ".txt")
    if os.path.exists(out):
        os.remove(out)
    if emu == "kairo":
        argv = [kairo, "--deterministic", "-icount", "sleep=off"]
    else:
        argv = ["qemu-system-i386", "-M", "pc", "-accel", "tcg"]
    argv += ["-m", str(RAM_MB), "-display", "none", "-serial", "file:" + out,
             "-device", "isa-debug-exit", "-kernel", kernel, "-initrd", MODS,
             "-append", APPEND]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    text = open(out, errors="replace").read() if os.path.exists(out) else ""
    print("--- %s (status %d)\n%s" % (" ".join(argv), p.returncode, text), end="")
    if p.stderr:
        print(p.stderr.decode(errors="replace"), end="")
    return p.returncode, text


def fields(text):
    return dict(re.findall(r"(\w+)=(\[[^\]]*\]|\S+)", text))


def mmap(text):
    return [tuple(int(x, 16) for x in m)
            for m in re.findall(r"mmap base=(\w+) len=(\w+) type=(\w+)", text)]


def ram_at_1m(entries):
    return next((l for b, l, t in entries if b == 0x100000 and t == 1), None)


def firmware_neutral(entries):
    """The map without what depends on the firmware's own tables: the
    length of RAM at 1 MiB and the reservation just below the top of RAM."""
    top = RAM_MB << 20
    return [(b, t) if b == 0x100000 else (b, l, t)
            for b, l, t in entries if not (top - (1 << 20) <= b < top)]


def check_common(tag, text):
    f = fields(text)
    entries = mmap(text)
    check("MB-END" in text, "%s: the kernel ran to its end" % tag)
    mods = re.findall(r"mod len=(\w+) page_offset=(\w+) cmd=\[([^\]]*)\] data=\[([^\]]*)\]", text)
    check(mods == [("00000014", "00000000", mod1 + " arg1 arg2", "module one contents."),
                   ("0000000D", "00000000", mod2 + " x=y,z", "second.module")],
          "%s: two page-aligned modules with their command lines and contents" % tag)
    low = int(f.get("mem_lower", "0"), 16)
    up = int(f.get("mem_upper", "0"), 16)
    check(low == 0x27F and entries[:1] == [(0, 0x9FC00, 1)],
          "%s: mem_lower 639 KiB = the map's RAM at 0" % tag)
    check(ram_at_1m(entries) is not None and up == ram_at_1m(entries) // 1024,
          "%s: mem_upper (%d KiB) = the map's RAM at 1 MiB" % (tag, up))
    return f, entries


if shutil.which("qemu-system-i386") is None:
    check(False, "qemu-system-i386 is installed (setup.sh: qemu-system-x86)")
for kernel in ("mb1.elf", "mb1aout.bin"):
    path = os.path.join(kdir, kernel)
    ks, kt = run("kairo", path, "kairo-" + kernel)
    qs, qt = run("qemu", path, "qemu-" + kernel) if shutil.which("qemu-system-i386") else (-1, "")
    check(ks == 33, "%s: kairo exit status %d (33: the kernel's debug exit)" % (kernel, ks))
    kf, km = check_common("kairo " + kernel, kt)
    qf, qm = check_common("qemu " + kernel, qt)
    check(kf.get("magic") == "2BADB002", "%s: EAX = 0x2BADB002" % kernel)
    check(kf.get("cmdline") == "[%s %s]" % (path, APPEND),
          "%s: the command line is the file name, then -append (as QEMU)" % kernel)
    same = ["flags", "boot_device", "cmdline", "mods_count", "mem_lower"]
    check(all(kf.get(k) == qf.get(k) for k in same),
          "%s: %s as QEMU gives them" % (kernel, ", ".join(same)))
    check(firmware_neutral(km) == firmware_neutral(qm) and len(km) == len(qm),
          "%s: the memory map agrees with QEMU's (%d entries)" % (kernel, len(km)))
    strip = lambda t: re.sub(r"mmap .*|mem_upper=\w+|loader=\[\w+\]", "", t)
    check(strip(kt) == strip(qt), "%s: the rest of the report is identical to QEMU's" % kernel)
    check(kf.get("loader") == "[kairo]" and qf.get("loader") == "[qemu]",
          "%s: each loader names itself" % kernel)

for kernel in ("mb2.elf", "mb2flat.bin"):
    path = os.path.join(kdir, kernel)
    ks, kt = run("kairo", path, "kairo-" + kernel)
    check(ks == 33, "%s: kairo exit status %d (33)" % (kernel, ks))
    f, entries = check_common(kernel, kt)
    check(f.get("magic") == "36D76289", "%s: EAX = 0x36D76289" % kernel)
    check(f.get("mbi_align") == "00000000", "%s: the MBI is 8-byte aligned" % kernel)
    check(f.get("cmdline") == "[%s]" % APPEND,
          "%s: the command line tag holds -append only (as GRUB)" % kernel)
    check(f.get("loader") == "[kairo]", "%s: the boot loader name tag" % kernel)
    check(f.get("entry_size") == "00000018" and f.get("entry_version") == "00000000",
          "%s: memory map tag: 24-byte entries, version 0" % kernel)
    check(f.get("load_base") == "00100000", "%s: load base address tag 0x100000" % kernel)
    check("tag type=" not in kt, "%s: no tag of an unknown type" % kernel)
    check(f.get("end_tag_ends_at") is not None and f.get("end_tag_ends_at") == f.get("total_size"),
          "%s: total_size (%s) ends with the end tag" % (kernel, f.get("total_size")))


def bad_kernel(name, data, why):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    p = subprocess.run([kairo, "-display", "none", "-kernel", path], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 1 and err.count("\n") == 1 and why in err,
          "%s refused: status %d, %r" % (name, p.returncode, err.strip()))


def mb1_header(flags):
    return (0x1BADB002).to_bytes(4, "little") + flags.to_bytes(4, "little") + \
        ((-(0x1BADB002 + flags)) & 0xFFFFFFFF).to_bytes(4, "little")


bad_kernel("unknown-flag.bin", mb1_header(0x8) + bytes(500), "requires features")
bad_kernel("not-elf.bin", mb1_header(0x3) + bytes(500), "not a 32-bit i386 ELF")
bad_kernel("low-load.bin", mb1_header(0x10003) + (0x7C00).to_bytes(4, "little") * 3 +
           bytes(4) + (0x7C00).to_bytes(4, "little") + bytes(500), "below 1 MiB")
hdr2 = [0xE85250D6, 0, 40, 0]
hdr2[3] = (-(sum(hdr2))) & 0xFFFFFFFF
req = (1).to_bytes(2, "little") + bytes(2) + (12).to_bytes(4, "little") + (9).to_bytes(4, "little")
bad_kernel("mb2-needs-elf-sections.bin",
           b"".join(x.to_bytes(4, "little") for x in hdr2) + req + bytes(4) +
           bytes(2) + bytes(2) + (8).to_bytes(4, "little") + bytes(500),
           "requires information tag 9")

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
