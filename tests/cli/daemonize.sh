#!/bin/sh
# SPDX-License-Identifier: MIT
# -daemonize: the parent returns 0 once the machine is built, the child
# keeps running in its own session with its pid in the -pidfile, answers on
# its monitor socket, and removes the pid file when `quit` ends it. A child
# that cannot build its machine makes the parent return 1.
#   daemonize.sh KAIRO ROM
set -u
kairo=$1 rom=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "daemonize: $*"; exit 1; }
"$kairo" -daemonize -pidfile "$work/k.pid" -bios "$rom" -display none -nic none \
    -monitor "unix:$work/mon.sock" -S || fail "the parent returned $?"
[ -s "$work/k.pid" ] || fail "no pid file"
pid=$(cat "$work/k.pid")
kill -0 "$pid" 2>/dev/null || fail "pid $pid is not running"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the child leads no session of its own"
answer=$(python3 - "$work/mon.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
s.sendall(b"info status\nquit\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode())
PY
)
echo "$answer" | grep -q "VM status: paused" || fail "monitor answer: $answer"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the child did not end on quit"
[ -e "$work/k.pid" ] && fail "the pid file outlived the child"
"$kairo" -daemonize -bios "$work/missing.bin" -display none -nic none 2>"$work/err"
[ $? -eq 1 ] || fail "a failing child did not make the parent return 1"
grep -q "missing.bin" "$work/err" || fail "the child's error is not on stderr: $(cat "$work/err")"
echo "daemonize: ok"
