#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetches QEMU's own Python QMP client (python/qemu/qmp of Debian's qemu
# source package) into OUT/qemu/qmp for tests/qmp/qemu_client.py, with
# `apt-get source --download-only qemu` (the package is never built or
# installed). Without a deb-src entry for bookworm main it adds one (as
# images/build.sh enables i386: root or sudo, the first time only).
#   fetch_qemu_python.sh OUT
set -euo pipefail
out=$(mkdir -p "$1" && cd "$1" && pwd)
[ -f "$out/qemu/qmp/legacy.py" ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
src="$out/src"
mkdir -p "$src"
cd "$src"
if ! ls qemu_*.orig.tar.* >/dev/null 2>&1; then
    if ! apt-get source --download-only qemu >/dev/null 2>&1; then
        if ! grep -rqs "^Types: deb-src" /etc/apt/sources.list.d/ &&
           ! grep -qs "^deb-src" /etc/apt/sources.list; then
            printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n%s\n%s\n' \
                "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
                $sudo tee /etc/apt/sources.list.d/deb-src.sources >/dev/null
        fi
        $sudo apt-get update -qq || true
        apt-get source --download-only qemu >/dev/null 2>&1 ||
            { echo "fetch_qemu_python: apt-get source qemu failed (no deb-src entry reachable?)"; exit 1; }
    fi
fi
tarball=$(ls qemu_*.orig.tar.* | head -1)
tar -xf "$tarball" --wildcards '*/python/qemu/qmp/*'
rm -rf "$out/qemu"
mkdir -p "$out/qemu"
cp -r qemu-*/python/qemu/qmp "$out/qemu/qmp"
: > "$out/qemu/__init__.py"
echo "fetch_qemu_python: QEMU's client in $out/qemu/qmp (from $tarball)"
