#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Remote MMIO cost: a guest fills the mode 13h frame buffer (64,000 bytes)
# FRAMES times, with REP STOSD and with one MOV a byte, on the local VGA
# and on a VGA served by kairo-portd over UDP on loopback (inside
# `unshare -Urn`). Reports MB/s of frame-buffer writes and how many bytes
# and frames (round trips) the coalesced stores took.
#
# usage: bench/remote_mmio.sh [BUILD_DIR] [FRAMES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
frames=${2:-50}
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$build" "$frames"
fi
. "$here/../tests/remote/ns_lib.sh"
scratch_work
ip link set lo up
kairo=$build/kairo portd=$build/kairo-portd
"$portd" --genkey "$work/key" >/dev/null
cat > "$work/portd.conf" <<EOC
key $work/key
listen udp 127.0.0.1:7720
client 127.0.0.1
slot vga vga
ports 0x3B0-0x3DF widths 1,2
ports 0x1CE-0x1D0 widths 1,2
mmio 0xA0000-0xBFFFF
mmio 0xE0000000-0xE0FFFFFF
EOC
"$portd" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
sleep 0.3
nproc_load=$(cut -d' ' -f1 /proc/loadavg)
echo "remote_mmio: $frames frames of 64,000 bytes; load average $nproc_load"
for store in rep byte; do
    nasm -f bin -DFRAMES="$frames" -DSTORE=$store -o "$work/fill_$store.img" "$here/fb_fill.asm"
    for where in local remote; do
        args=()
        [ $where = remote ] && args=(-remote "vga=udp:127.0.0.1:7720,key=$work/key" --remote-stats)
        t0=$(date +%s.%N)
        set +e
        "$kairo" -fda "$work/fill_$store.img" -snapshot -display none -device isa-debug-exit \
            "${args[@]}" 2>"$work/k.err"
        st=$?
        set -e
        t1=$(date +%s.%N)
        [ $st -eq 33 ] || { echo "remote_mmio: kairo exited $st"; cat "$work/k.err"; exit 1; }
        secs=$(echo "$t1 - $t0" | bc -l)
        mbs=$(echo "$frames * 64000 / $secs / 1000000" | bc -l)
        line=$(printf "remote_mmio: %-4s %-6s %6.2f s  %7.2f MB/s" $store $where "$secs" "$mbs")
        if [ $where = remote ]; then
            trips=$(grep -o 'remote vga: [0-9]* round trips' "$work/k.err" | awk '{print $3}')
            line="$line  $trips round trips, $(echo "$frames * 64000 / $trips" | bc) bytes a trip"
        fi
        echo "$line"
    done
done
