#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Image locks between processes (OFD locks on QEMU's lock bytes):
#   - a second kairo writing the same qcow2 (or raw) image is refused with
#     one line naming the image; so is a reader next to a writer;
#   - two -snapshot runs (readers) share the image;
#   - QEMU sees kairo's lock (qemu-img info without -U fails), and kairo
#     sees QEMU's (qemu-io holding the image).
#   locks.sh KAIRO
set -uo pipefail
kairo=$1
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "locks: FAIL: $*"; exit 1; }

qemu-img create -q -f qcow2 "$work/d.qcow2" 64M || fail "qemu-img create"
truncate -s 16M "$work/d.raw"

# A kairo that keeps its disks open (SeaBIOS finds nothing to boot).
hold() { "$kairo" -display none --timeout 60 "$@" >/dev/null 2>&1 & pids+=($!); }
# One that must be refused at once: status 1 and one line naming the image.
refused() {
    local what=$1; shift
    timeout 20 "$kairo" -display none --max-insns 1000 "$@" > "$work/out" 2> "$work/err"
    local st=$?
    [ "$st" = 1 ] || fail "$what: status $st, want 1 ($(cat "$work/err"))"
    [ "$(wc -l < "$work/err")" = 1 ] || fail "$what: not one line: $(cat "$work/err")"
    grep -q "in use by another process" "$work/err" || fail "$what: $(cat "$work/err")"
    echo "locks: $what refused: $(cat "$work/err")"
}
accepted() {
    local what=$1; shift
    timeout 20 "$kairo" -display none --max-insns 1000 "$@" > "$work/out" 2> "$work/err"
    local st=$?
    [ "$st" = 3 ] || fail "$what: status $st, want 3 (limit reached): $(cat "$work/err")"
    echo "locks: $what accepted"
}
wait_lock() {   # until the holder's locks are visible
    local ino; ino=$(stat -c %i "$1")
    for _ in $(seq 1 100); do grep -q ":$ino " /proc/locks && return 0; sleep 0.1; done
    fail "no lock appeared on $1"
}

hold -hda "$work/d.qcow2"
wait_lock "$work/d.qcow2"
refused "second writer (qcow2)" -hda "$work/d.qcow2"
refused "second writer, -drive" -drive file="$work/d.qcow2",format=qcow2,index=1
refused "reader next to a writer" -hda "$work/d.qcow2" -snapshot
qemu-img info "$work/d.qcow2" >/dev/null 2>&1 && fail "qemu-img info ignored kairo's lock"
qemu-img info -U "$work/d.qcow2" >/dev/null || fail "qemu-img info -U"
echo "locks: qemu-img sees kairo's write lock"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; pids=()

hold -hda "$work/d.raw"
wait_lock "$work/d.raw"
refused "second writer (raw)" -hdb "$work/d.raw"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; pids=()

hold -hda "$work/d.qcow2" -snapshot
wait_lock "$work/d.qcow2"
accepted "second -snapshot reader" -hda "$work/d.qcow2" -snapshot
refused "writer next to a reader" -hda "$work/d.qcow2"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; pids=()

accepted "writer once alone" -hda "$work/d.qcow2"

qemu-io -c 'sleep 20000' "$work/d.qcow2" >/dev/null 2>&1 &
pids+=($!)
wait_lock "$work/d.qcow2"
refused "kairo next to a qemu writer" -hda "$work/d.qcow2"
echo "locks: all as QEMU does"
