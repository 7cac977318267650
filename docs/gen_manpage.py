#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes docs/kairo.1 from `kairo --help`, so the man page lists exactly
the option table (machine/options.c). The cli.manpage test checks that the
committed page equals what this prints.
    docs/gen_manpage.py build/kairo > docs/kairo.1"""
import re
import subprocess
import sys


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def main():
    kairo = sys.argv[1]
    help_text = subprocess.run([kairo, "--help"], check=True, capture_output=True,
                               text=True).stdout
    version = subprocess.run([kairo, "--version"], check=True, capture_output=True,
                             text=True).stdout.split()[-1]
    out = [
        '.TH KAIRO 1 "2026" "kairo %s" "User Commands"' % version,
        ".SH NAME",
        "kairo \\- a full\\-system IA\\-32 PC emulator",
        ".SH SYNOPSIS",
        ".B kairo",
        "[\\fIoptions\\fR] [\\fIdisk image\\fR]",
        ".SH DESCRIPTION",
        "Kairo interprets every instruction of an IA\\-32 PC (a Pentium II on the",
        "i440FX chipset with SeaBIOS, PC/AT devices, IDE, floppy, std\\-vga, NE2000).",
        "Its command line follows qemu\\-system\\-i386 where the two overlap;",
        "QEMU options that mean nothing here are refused with the reason.",
        "A word without a dash is the first disk image, as with QEMU.",
        ".SH OPTIONS",
    ]
    for line in help_text.splitlines()[1:]:
        if not line.strip():
            continue
        group = re.match(r"^(\S.*):$", line)
        if group:
            out.append(".SS " + roff(group.group(1)))
        elif re.match(r"^  \S", line):
            # "  HEAD  help" or, for a long head, "  HEAD" with the help below
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            out += [".TP", "\\fB" + roff(parts[0]) + "\\fR"] + [roff(p) for p in parts[1:]]
        else:
            out.append(roff(line.strip()))
    out += [
        ".SH EXIT STATUS",
        "The guest's isa\\-debug\\-exit value, else 0 (halted or powered off), 1 (bad",
        "options or images: one line on stderr), 2 (triple fault under \\-no\\-reboot),",
        "3 (a limit reached), 4 (an \\-\\-expect missed), 5 (SIGINT or SIGTERM).",
        ".SH SEE ALSO",
        ".BR kairo\\-trace (1),",
        ".BR kairo\\-portd (1),",
        ".BR qemu\\-system\\-i386 (1);",
        "README.md and docs/ in the source tree.",
    ]
    print("\n".join(out))


main()
