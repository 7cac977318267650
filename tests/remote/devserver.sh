#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kairo-portd as one device server for several VMs, on UDP loopback inside
# `unshare -Urn` (each VM binds its own 127.0.0.x, so the server tells them
# apart and gives each its own VGA and 8042 instance):
#   gfx:     the mode 12h pattern ROM on a remote VGA: the server's
#            screendump equals kairo's local screendump byte for byte, and
#            kairo's and the server's counters show the frame-buffer stores
#            coalesced (MMIO bytes per round trip reported);
#   console: two guests (devserver_guest.asm, blue "A" and red "B") with
#            -remote vga= and -remote i8042= on one server: the screendump
#            shows the focused guest; typed keys reach only it (both guests'
#            COM1); after switching away and back each screen is intact
#            (every row but the tick counter's) and both guests kept running
#            (their tick counters advanced); a focus on a missing client is
#            refused and counted;
#   replay:  guest A recorded with its remote VGA (its banner read back from
#            the frame buffer, a MMIO load) and replayed with the server gone:
#            same state hash and COM1 transcript.
#
# usage: devserver.sh KAIRO KAIRO_PORTD GFX_IMG GUEST_A_IMG GUEST_B_IMG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "devserver: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 GFX=$3 GA=$4 GB=$5
for f in "$GFX" "$GA" "$GB"; do [ -s "$f" ] || { echo "devserver: no image $f"; exit 1; }; done
scratch_work
ip link set lo up
fail=0
TEST=devserver

"$PORTD" --genkey "$work/key" >/dev/null
slots() {   # slots CLIENT: one client's own VGA and 8042
    cat <<EOC
slot vga vga
client $1
ports 0x3B0-0x3DF widths 1,2
ports 0x1CE-0x1D0 widths 1,2
mmio 0xA0000-0xBFFFF
mmio 0xE0000000-0xE0FFFFFF
slot i8042 kbd
client $1
ports 0x60
ports 0x64
irq 1
irq 12
EOC
}
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7710"
    echo "control $work/ctl"
    slots 127.0.0.2
    slots 127.0.0.3
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done

# ctl COMMAND [PPM]: one control command; its reply line on stdout.
ctl() {
    python3 - "$work/ctl" "$@" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
data = b""
while True:
    b = s.recv(1 << 16)
    if not b:
        break
    data += b
line, _, rest = data.partition(b"\n")
print(line.decode())
if len(sys.argv) > 3:
    open(sys.argv[3], "wb").write(rest)
EOP
}
remote() {  # remote SLOT ADDR
    echo "$1=udp:127.0.0.1:7710,bind=$2:0,key=$work/key"
}

# --- gfx: mode 12h, remote against local ---
"$KAIRO" -fda "$GFX" -snapshot -display none -device isa-debug-exit --deterministic \
    --max-insns 400000000 -screendump "$work/local.ppm" >/dev/null 2>&1 || true
set +e
"$KAIRO" -fda "$GFX" -snapshot -display none -device isa-debug-exit --deterministic \
    --max-insns 400000000 -remote "$(remote vga 127.0.0.2)" --remote-stats 2>"$work/gfx.err"
status=$?
set -e
check "the mode 12h ROM ran on a remote VGA (status $status)" '[ $status -eq 33 ]'
ctl "focus 1" >/dev/null
ctl screendump "$work/remote.ppm" >/dev/null
check "the server's screendump equals the local one byte for byte" \
    'cmp -s "$work/local.ppm" "$work/remote.ppm"'
trips=$(grep -o 'remote vga: [0-9]* round trips' "$work/gfx.err" | awk '{print $3}')
kill -USR1 $portd_pid
sleep 0.3
mbytes=$(grep -o 'slot vga: [0-9]* port accesses executed, [0-9]* MMIO bytes' "$work/portd.err" |
         head -1 | awk '{print $7}')
echo "devserver: mode 12h: $mbytes MMIO bytes written in $trips round trips"
check "frame-buffer stores coalesced (over 200 bytes a round trip)" \
    '[ -n "$trips" ] && [ -n "$mbytes" ] && [ $((mbytes / trips)) -gt 200 ]'

# --- console: two guests, one screen, one keyboard ---
"$KAIRO" -fda "$GA" -snapshot -display none -serial "file:$work/a.out" \
    -remote "$(remote vga 127.0.0.2)" -remote "$(remote i8042 127.0.0.2)" 2>"$work/a.err" &
pids+=($!)
"$KAIRO" -fda "$GB" -snapshot -display none -serial "file:$work/b.out" \
    -remote "$(remote vga 127.0.0.3)" -remote "$(remote i8042 127.0.0.3)" 2>"$work/b.err" &
pids+=($!)

# colour_of PPM: the background of the top-left cell, as "R G B".
colour_of() {
    python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
parts = d.split(b"\n", 3)
w = int(parts[1].split()[0])
px = parts[3]
o = (20 * w + 70) * 3        # row 20, column 70: a blank of the first text row
print(px[o], px[o + 1], px[o + 2])' "$1"
}
# rows_equal PPM1 PPM2: equal but for the tick counter's text row (16 pixels).
rows_equal() {
    python3 -c '
import sys
def rows(p):
    d = open(p, "rb").read().split(b"\n", 3)
    w = int(d[1].split()[0])
    return w, d[3]
w1, a = rows(sys.argv[1])
w2, b = rows(sys.argv[2])
line = w1 * 3
skip = range(16 * line, 32 * line)
same = len(a) == len(b) and all(a[i] == b[i] for i in range(0, len(a), 3) if i not in skip)
sys.exit(0 if same else 1)' "$1" "$2"
}
wait_colour() {  # wait_colour K "R G B": focus K shows that background
    for _ in $(seq 200); do
        ctl "focus $1" >/dev/null
        ctl screendump "$work/s.ppm" >/dev/null
        [ "$(colour_of "$work/s.ppm")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
blue="0 0 170" red="170 0 0"
check "focus 1 shows guest A (blue)" 'wait_colour 1 "$blue"'
check "focus 2 shows guest B (red)" 'wait_colour 2 "$red"'
ctl "focus 1" >/dev/null
check "typing to the focused guest" '[ "$(ctl "type abc\n")" = ok ]'
for _ in $(seq 100); do grep -q "A:N:" "$work/a.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.2
ctl screendump "$work/a1.ppm" >/dev/null
check "guest A got a, b, c and Enter" 'grep -q "A:a:" "$work/a.out" && grep -q "A:c:" "$work/a.out" && grep -q "A:N:" "$work/a.out"'
check "guest A read its banner back from the remote VGA memory (a MMIO load)" \
    'grep -q "A:R:G" "$work/a.out"'
check "guest B got none of them" '! grep -q "B:[abcN]:" "$work/b.out"'
ctl "focus 2" >/dev/null
ctl "type xy\n" >/dev/null
for _ in $(seq 100); do grep -q "B:N:" "$work/b.out" 2>/dev/null && break; sleep 0.1; done
check "guest B got x, y and Enter" 'grep -q "B:x:" "$work/b.out" && grep -q "B:N:" "$work/b.out"'
check "guest A got none of them" '! grep -q "A:x:" "$work/a.out"'
sleep 0.2
ctl screendump "$work/b1.ppm" >/dev/null
sleep 1
ctl "focus 1" >/dev/null
ctl screendump "$work/a2.ppm" >/dev/null
check "guest A's screen intact after focus 2 and back" 'rows_equal "$work/a1.ppm" "$work/a2.ppm"'
check "guest A's tick counter advanced while out of focus" '! cmp -s "$work/a1.ppm" "$work/a2.ppm"'
ctl "type q\n" >/dev/null
for _ in $(seq 100); do grep -q "A:q:" "$work/a.out" && break; sleep 0.1; done
first=$(grep "A:a:" "$work/a.out" | head -1 | cut -d: -f3 | tr -d '\r')
later=$(grep "A:q:" "$work/a.out" | head -1 | cut -d: -f3 | tr -d '\r')
echo "devserver: guest A ticks at its first key $first, after focus 2 and back $later"
check "guest A kept running (ticks advanced by over 18 in over a second)" \
    '[ -n "$first" ] && [ -n "$later" ] && [ $((16#$later - 16#$first)) -gt 18 ]'
ctl "focus 2" >/dev/null
ctl screendump "$work/b2.ppm" >/dev/null
check "guest B's screen intact after focus 1 and back" 'rows_equal "$work/b1.ppm" "$work/b2.ppm"'
check "guest B's tick counter advanced" '! cmp -s "$work/b1.ppm" "$work/b2.ppm"'
check "focus on a missing client refused" '[ "${ctl_out:=$(ctl "focus 5")}" != "${ctl_out#error}" ]'
stats=$(ctl stats)
echo "devserver: $stats"
check "focus changes and the refusal counted" \
    '[[ "$stats" =~ focus-changes\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 4 ] && [[ "$stats" =~ refused\ [1-9] ]]'
grep "console: focus" "$work/portd.err" | head -3

# --- record/replay: the remote VGA's MMIO load comes back from the log ---
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()
run_a() {   # run_a SERIAL_OUT ARGS...: guest A for a fixed instruction count
    local out=$1
    shift
    set +e
    "$KAIRO" -fda "$GA" -snapshot -display none --deterministic --max-insns 60000000 \
        -serial "file:$out" -remote "$(remote vga 127.0.0.2)" --state-hash "$@"
    echo "status $?"
    set -e
}
run_a "$work/rec.out" -record "$work/a.rpl" 2>"$work/rec.err" >"$work/rec.status"
kill $portd_pid
wait $portd_pid 2>/dev/null || true
portd_pid=
run_a "$work/play.out" -replay "$work/a.rpl" 2>"$work/play.err" >"$work/play.status"
hash_of() { grep -a "state hash" "$1" | tail -1 | sed 's/.*state hash //'; }
echo "devserver: recorded $(hash_of "$work/rec.err"), replayed without the server $(hash_of "$work/play.err")"
check "recorded: the banner read back through the remote VGA" 'grep -q "A:R:G" "$work/rec.out"'
check "replayed without a server: same state hash, same COM1, replay complete" \
    '[ -n "$(hash_of "$work/rec.err")" ] && [ "$(hash_of "$work/rec.err")" = "$(hash_of "$work/play.err")" ] &&
     cmp -s "$work/rec.out" "$work/play.out" && grep -q "replay complete" "$work/play.err" &&
     cmp -s "$work/rec.status" "$work/play.status"'
exit $fail
