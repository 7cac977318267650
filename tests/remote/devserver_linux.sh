#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian kernel on the VGA text console of a remote VGA and 8042 (its
# vgacon stores into the remote frame buffer, its i8042 driver probes the
# remote controller), beside boot-sector guest A on the same kairo-portd:
# keys typed on the server's console while Linux has the focus reach
# Linux's tty1 (it echoes them to its serial line) and not guest A; focus
# on A: A's keys reach A only; focus back on Linux shows its screen again
# with text on it (UDP loopback inside `unshare -Urn`).
#
# usage: devserver_linux.sh KAIRO KAIRO_PORTD VMLINUZ INITRD GUEST_A_IMG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    for f in "$3" "$4" "$5"; do
        [ -f "$f" ] || { echo "devserver_linux: no image $f"; exit 1; }
    done
    unshare -Urn true 2>/dev/null || { echo "devserver_linux: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 VMLINUZ=$3 INITRD=$4 GA=$5
scratch_work
ip link set lo up
fail=0
TEST=devserver_linux
WAIT_STEP=0.5

mkdir -p "$work/extra"
cat > "$work/extra/tty_test.sh" <<'EOF'
#!/bin/sh
echo "LINUX-ON-VGA" > /dev/tty1
echo "TYPE-NOW"
read -r typed < /dev/tty1
echo "TYPED:$typed"
sleep 600
EOF
chmod +x "$work/extra/tty_test.sh"
(cd "$work/extra" && ls | cpio -o -H newc --quiet -R 0:0 | gzip) > "$work/extra.cpio.gz"
cat "$INITRD" "$work/extra.cpio.gz" > "$work/initrd.img"

"$PORTD" --genkey "$work/key" >/dev/null
{
    echo "key $work/key"
    echo "listen udp 127.0.0.1:7750"
    echo "control $work/ctl"
    for c in 127.0.0.2 127.0.0.3; do
        printf 'slot vga vga\nclient %s\nports 0x3B0-0x3DF widths 1,2\nports 0x1CE-0x1D0 widths 1,2\n' $c
        printf 'mmio 0xA0000-0xBFFFF\nmmio 0xE0000000-0xE0FFFFFF\n'
        printf 'slot i8042 kbd\nclient %s\nports 0x60\nports 0x64\nirq 1\nirq 12\n' $c
    done
} > "$work/portd.conf"
"$PORTD" -c "$work/portd.conf" --stats 2>"$work/portd.err" &
portd_pid=$!
for _ in $(seq 100); do [ -S "$work/ctl" ] && break; sleep 0.05; done
ctl() { python3 - "$work/ctl" "$@" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
data = b""
while True:
    b = s.recv(1 << 16)
    if not b: break
    data += b
line, _, rest = data.partition(b"\n")
print(line.decode())
if len(sys.argv) > 3: open(sys.argv[3], "wb").write(rest)
EOP
}
remote() { echo "$1=udp:127.0.0.1:7750,bind=$2:0,key=$work/key"; }
"$KAIRO" -fda "$GA" -snapshot -display none -serial "file:$work/A.out" \
    -remote "$(remote vga 127.0.0.2)" -remote "$(remote i8042 127.0.0.2)" 2>"$work/A.err" &
pids+=($!)
"$KAIRO" -kernel "$VMLINUZ" -initrd "$work/initrd.img" -m 256 -display none \
    -serial "file:$work/L.out" -append "console=ttyS0 console=tty0 kairo.run=/tty_test.sh" \
    -remote "$(remote vga 127.0.0.3)" -remote "$(remote i8042 127.0.0.3)" --timeout 900 \
    2>"$work/L.err" &
pids+=($!)
check "Linux booted with a remote VGA and 8042 and asks for keys" \
    'wait_for 600 "grep -aq TYPE-NOW $work/L.out"'
ctl "focus 2" >/dev/null
ctl screendump "$work/L1.ppm" >/dev/null
check "keys typed on the console reach Linux's tty1" \
    '[ "$(ctl "type kairo42\n")" = ok ] && wait_for 30 "grep -aq TYPED:kairo42 $work/L.out"'
check "guest A got none of them" '! grep -q "A:[a-z0-9]:" "$work/A.out"'
ctl "focus 1" >/dev/null
ctl "type q\n" >/dev/null
check "guest A gets its keys" 'wait_for 20 "grep -q A:q: $work/A.out"'
ctl screendump "$work/A1.ppm" >/dev/null
ctl "focus 2" >/dev/null
ctl screendump "$work/L2.ppm" >/dev/null
check "focus 2 again shows Linux's screen, not guest A's" \
    '[ -s "$work/L2.ppm" ] && ! cmp -s "$work/L2.ppm" "$work/A1.ppm"'
check "Linux's console has text (not one colour)" \
    'python3 -c "import sys; d=open(sys.argv[1],\"rb\").read().split(b\"\\n\",3)[3]; sys.exit(0 if len(set(d[i:i+3] for i in range(0, len(d), 3))) > 1 else 1)" "$work/L2.ppm"'
grep -a "TYPED\|LINUX" "$work/L.out" | tr -d '\r' || true
exit $fail
