#!/bin/bash
# SPDX-License-Identifier: MIT
# The harness and run control of issue 15 on a boot sector (hello.asm: a
# line to COM1, a line on the screen, then cli; hlt):
#   harness.sh KAIRO HELLO.BIN WORKDIR
set -u
kairo=$1 bin=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
cp "$bin" hello.img && truncate -s 1474560 hello.img
fails=0
check() {   # check WHAT COMMAND...: the command's success is the verdict
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
run() {     # run NAME OPTIONS...: kairo on the boot sector; status in NAME.st
    local name=$1; shift
    timeout 60 "$kairo" -fda hello.img -display none "$@" >"$name.out" 2>"$name.err" </dev/null
    echo $? >"$name.st"
}
st() { cat "$1.st"; }
has() { grep -q -- "$2" "$1"; }

# 1. Alone, cli; hlt ends the run with 0.
run alone -serial stdio --deterministic
check "cli; hlt alone ends the run (status $(st alone))" \
    test "$(st alone)" = 0 -a "$(grep -c 'guest halted with interrupts disabled' alone.err)" = 1

# 2. --expect-fail: a pattern on COM1 fails the run at once.
run failpat -serial stdio --deterministic --expect "never printed" --expect-fail BOOM
check "--expect-fail BOOM: status $(st failpat) (4), said so" \
    bash -c "test $(st failpat) = 4 && grep -q \"expect-fail pattern 'BOOM' seen\" failpat.err"

# 3. Regex, the screen as a source and --expect-exit, with a monitor
#    attached (so the halt alone would not end the run).
run steps -serial stdio --deterministic -monitor unix:steps.sock \
    --expect KAIRO-BOOT-HELLO --expect-re 'second line [A-Z]{4} ' --expect-screen SCREEN-MARK-7 \
    --expect-exit --expect-timeout 20
check "--expect, --expect-re, --expect-screen then --expect-exit: status $(st steps) (0)" \
    bash -c "test $(st steps) = 0 && grep -q 'last expect step matched' steps.err"
check "an attached monitor turns the halt into 'halted ... waiting'" has steps.err "halted (interrupts disabled)"

# 4. Halted with a monitor attached: it waits, and --timeout still ends it.
t0=$(date +%s.%N)
run waits -serial none -monitor unix:waits.sock --timeout 2
t1=$(date +%s.%N)
check "halted with a monitor waits until --timeout: status $(st waits) (3)" \
    bash -c "test $(st waits) = 3 && grep -q 'timeout (2.0 s)' waits.err"
took=$(awk "BEGIN { print $t1 - $t0 }")
check "... after about 2 s ($took s)" awk "BEGIN { exit !($took >= 1.9 && $took < 10) }"

# 5. --timeout counts held time: -S with the monitor holding the guest.
run held -serial none -monitor unix:held.sock -S --timeout 1.5
check "-S held by the monitor: --timeout fires (status $(st held), 3)" \
    bash -c "test $(st held) = 3 && grep -q 'timeout (1.5 s)' held.err"

# 6. tcp:...,server waits for its client: nothing is lost before it connects.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$kairo" -fda hello.img -display none -serial tcp:127.0.0.1:$port,server --deterministic \
    >tcp.out 2>tcp.err </dev/null &
pid=$!
sleep 1.5
check "tcp server: kairo waits for the client (still running after 1.5 s)" kill -0 $pid
python3 - "$port" >tcp.got <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
data = b""
while b"BOOM" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode(errors="replace"))
PY
wait $pid; tcp_st=$?
check "tcp server: the client gets the first line (KAIRO-BOOT-HELLO), status $tcp_st" \
    bash -c "grep -q KAIRO-BOOT-HELLO tcp.got && test $tcp_st = 0"

# 7. The text monitor's system_reset, eject and change: the boot sector runs
#    again after each reset, and not while its floppy is out.
cp hello.img other.img
(sleep 1; echo system_reset; sleep 1; echo eject floppy0; echo system_reset; sleep 1
 echo change floppy0 other.img; echo system_reset; sleep 1; echo eject floppy9; echo quit) |
    timeout 30 "$kairo" -fda hello.img -display none -serial file:mon-serial.txt \
        -monitor stdio >mon.out 2>mon.err
mon_st=$?
check "monitor: system_reset twice with a floppy, once without: 3 boots ($(grep -c KAIRO-BOOT-HELLO mon-serial.txt))" \
    test "$(grep -c KAIRO-BOOT-HELLO mon-serial.txt)" = 3
check "monitor: eject of an unknown drive is an error" grep -q "eject: Device 'floppy9' not found" mon.out
check "monitor: quit ends the run with 0 ($mon_st)" test "$mon_st" = 0

# 8. A monitor script that sends `c` and more at once: the rest waits for
#    the next stop (here the breakpoint at the boot sector).
printf 'b 0x7c00\nc\nregs\nquit\n' |
    timeout 30 "$kairo" -fda hello.img -display none -serial none -monitor stdio -S \
        >script.out 2>script.err
check "monitor script 'b; c; regs': regs runs at the breakpoint (eip 0x7c00)" \
    grep -q "eip  0x00007c00" script.out

# 9. Bad options: one line, status 1.
for bad in "-icount shift=99" "-icount sleep=maybe" "-echr 999"; do
    # shellcheck disable=SC2086
    "$kairo" $bad -fda hello.img -display none >bad.out 2>bad.err; s=$?
    check "'$bad': one line on stderr, status $s (1)" \
        bash -c "test $s = 1 && test \$(wc -l < bad.err) = 1"
done

echo "$fails failure(s)"
exit $((fails != 0))
