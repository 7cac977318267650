#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 13's record/replay acceptance session (docs/REPLAY.md): the Debian
# kernel + initramfs recorded in an SDL window under a private Xvfb with
#   - keys typed into the window (xdotool), read by the guest from tty1;
#   - a 1 MiB HTTP download from a host server on loopback through
#     -netdev user (slirp);
#   - COM2 served by kairo-portd over UDP on loopback: the guest writes a
#     line to ttyS1, the UART's far end (a TCP echo peer) answers it;
# then replayed headless (-display none) with the HTTP server, the port
# server and the echo peer gone: the same serial transcript, the same final
# hash and count. Two altered logs (a byte of the COM2 reply flipped, a
# byte of a downloaded frame flipped) are caught at the first checkpoint (the recording takes one every 2.5·10^7
# instructions, so the download, near the end, has several)
# after the alteration, and the error names that count.
#   session.sh KAIRO KAIRO_PORTD IMAGES WORKDIR
set -u
kairo=$1 portd=$2 images=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
log=$here/replaylog.py
name=session
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "$name: no $images/$f (images/build.sh)"; exit 1; }
done
rm -rf "$work" && mkdir -p "$work/www" "$work/extra" || exit 1
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() {
    echo "$name: FAIL: $*"
    for f in rec.err portd.err echo.log xvfb.log play.err; do
        [ -s "$work/$f" ] && { echo "--- $f"; tail -15 "$work/$f"; }
    done
    [ -s "$work/rec.out" ] && { echo "--- rec.out"; tail -15 "$work/rec.out"; }
    exit 1
}
wait_for() {   # wait_for SECONDS CONDITION
    secs=$1
    shift
    i=0
    while [ "$i" -lt $((secs * 5)) ]; do
        eval "$*" && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}
free_port() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# --- the host side: HTTP server, the COM2 far end, kairo-portd ---
head -c 1048576 /dev/urandom > "$work/www/blob.bin"
sum=$(md5sum "$work/www/blob.bin" | cut -d' ' -f1)
http_port=$(free_port SOCK_STREAM)
(cd "$work/www" && exec python3 -m http.server "$http_port" --bind 127.0.0.1) > "$work/http.log" 2>&1 &
http_pid=$!
echo_port=$(free_port SOCK_STREAM)
python3 - "$echo_port" > "$work/echo.log" 2>&1 <<'EOF' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(1)
print("echo: listening", flush=True)
conn, _ = srv.accept()
buf = b""
while True:
    data = conn.recv(4096)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        line = line.strip(b"\r")
        print("echo: got %r" % line, flush=True)
        conn.sendall(b"PONG " + line + b"\n")
EOF
echo_pid=$!
pids="$pids $http_pid $echo_pid"
portd_port=$(free_port SOCK_DGRAM)
head -c 32 /dev/urandom > "$work/key"
chmod 600 "$work/key"
wait_for 10 'grep -q listening "$work/echo.log"' || fail "the COM2 echo peer did not start"
cat > "$work/portd.conf" <<EOF
key $work/key
listen udp 127.0.0.1:$portd_port
client 127.0.0.1
slot com2 uart tcp:127.0.0.1:$echo_port
ports 0x2F8-0x2FF
irq 3
EOF
"$portd" -c "$work/portd.conf" 2> "$work/portd.err" &
portd_pid=$!
pids="$pids $portd_pid"

# --- the guest side, in an extra initramfs archive (kairo.run=) ---
cat > "$work/extra/session.sh" <<'EOF'
#!/bin/sh
for arg in $(cat /proc/cmdline); do
    case "$arg" in s.*=*) k=${arg%%=*}; k=${k#s.}; eval "s_$k=\"${arg#*=}\"";; esac
done
# COM2 (the port server's UART): a line out, its echo back.
exec 3<> /dev/ttyS1
stty -F /dev/ttyS1 115200 raw -echo -crtscts
echo "PING-$s_tag" >&3
read -r -t 30 pong <&3
echo "COM2-GOT $pong"
exec 3<&-
# The download through the user network.
modprobe ne2k-pci
ip link set eth0 up
cat > /tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
ifconfig "$interface" "$ip" netmask "$subnet" up
route add default gw "$router" dev "$interface"
S
chmod +x /tmp/dhcp.sh
udhcpc -i eth0 -q -n -t 5 -s /tmp/dhcp.sh > /dev/null 2>&1 || echo "NET-FAIL dhcp"
wget -q -O /tmp/got "$s_get" || echo "NET-FAIL wget"
echo "NET-GOT $(wc -c < /tmp/got) bytes md5 $(md5sum /tmp/got | cut -d' ' -f1)"
rm -f /tmp/got
# Keys typed into the window reach the VGA console's tty1.
echo "TYPE-NOW"
read -r -t 60 typed < /dev/tty1
echo "TYPED:$typed"
echo "SESSION-DONE"
poweroff -f
EOF
chmod +x "$work/extra/session.sh"
(cat "$images/initrd.img"; cd "$work/extra" && echo session.sh | cpio -o -H newc --quiet -R 0:0 | gzip) \
    > "$work/initrd.img"

append="console=ttyS0 quiet cryptomgr.notests kairo.run=/session.sh s.tag=k13 s.get=http://10.0.2.2:$http_port/blob.bin"
set -- -m 128 -kernel "$images/vmlinuz" -initrd "$work/initrd.img" -append "$append" \
    -netdev user,id=n0 -device ne2k_pci,netdev=n0 \
    -remote "com2=udp:127.0.0.1:$portd_port,key=$work/key" --timeout 300

# --- recording, in a window ---
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3> "$work/display" 2> "$work/xvfb.log" &
xvfb_pid=$!
pids="$pids $xvfb_pid"
wait_for 15 '[ -s "$work/display" ]' || fail "Xvfb did not start"
DISPLAY=:$(head -n1 "$work/display")
export DISPLAY
t0=$(date +%s)
"$kairo" "$@" -display sdl -serial "file:$work/rec.out" -icount sleep=off \
    --stats --state-hash -record "$work/session.rpl,checkpoint=25000000" < /dev/null > /dev/null 2> "$work/rec.err" &
kairo_pid=$!
pids="$pids $kairo_pid"
win=
wait_for 30 'win=$(xdotool search --name "^Kairo" 2>/dev/null | head -n1); [ -n "$win" ]' ||
    fail "no Kairo window"
wait_for 240 'grep -aq "TYPE-NOW" "$work/rec.out" 2>/dev/null' || fail "the guest never asked for keys"
xdotool windowfocus --sync "$win" || fail "cannot focus the window"
xdotool type --delay 60 "kairo42"
xdotool key Return
wait "$kairo_pid"
status=$?
kairo_pid=
t1=$(date +%s)
grep -a "recorded\|state hash\|remote com2" "$work/rec.err"
[ "$status" -eq 0 ] || fail "recording: status $status"
grep -aq "COM2-GOT PONG PING-k13" "$work/rec.out" || fail "recording: no COM2 echo"
grep -aq "NET-GOT 1048576 bytes md5 $sum" "$work/rec.out" || fail "recording: no 1 MiB download"
grep -aq "TYPED:kairo42" "$work/rec.out" || fail "recording: the typed keys did not arrive"
grep -aq "SESSION-DONE" "$work/rec.out" || fail "recording: the session did not end"
echo "$name: recorded in $((t1 - t0)) s: $(grep -a "COM2-GOT\|NET-GOT\|TYPED" "$work/rec.out" | tr -d '\r' | tr '\n' ' ')"

# --- nothing left on the host side ---
kill "$http_pid" "$echo_pid" "$portd_pid" "$xvfb_pid" 2>/dev/null
wait "$http_pid" "$echo_pid" "$portd_pid" "$xvfb_pid" 2>/dev/null
unset DISPLAY
python3 "$log" stats "$work/session.rpl"
size=$(wc -c < "$work/session.rpl")
icount=$(grep -a "state hash" "$work/rec.err" | tail -1 | sed 's/.*icount \([0-9]*\).*/\1/')
echo "$name: log $size bytes over $icount instructions: $(python3 -c "print('%.4f' % ($size * 1000 / $icount))") bytes per 1,000 instructions"

# --- replay, headless ---
"$kairo" "$@" -display none -serial "file:$work/play.out" -replay "$work/session.rpl" \
    < /dev/null > /dev/null 2> "$work/play.err"
status=$?
t2=$(date +%s)
[ "$status" -eq 0 ] || { cat "$work/play.err"; fail "replay: status $status"; }
grep -q "remote com2\|Xvfb\|DISPLAY" "$work/play.err" && fail "replay: touched the port server or a display"
hash_of() { grep -a "state hash" "$1" | tail -1 | sed 's/.*state hash \([0-9a-f]*\) icount \([0-9]*\).*/\1 \2/'; }
h1=$(hash_of "$work/rec.err") h2=$(hash_of "$work/play.err")
echo "$name: replayed in $((t2 - t1)) s: recorded hash/icount '$h1', replayed '$h2'"
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "final hash differs"
grep -aq "kairo: replay complete" "$work/play.err" || fail "no 'replay complete'"
cmp "$work/rec.out" "$work/play.out" || fail "serial transcripts differ"
echo "$name: transcripts equal ($(wc -c < "$work/rec.out") bytes)"

# --- the replay needs the remote slot, not its server ---
"$kairo" -m 128 -kernel "$images/vmlinuz" -initrd "$work/initrd.img" -append "$append" \
    -netdev user,id=n0 -device ne2k_pci,netdev=n0 -display none -replay "$work/session.rpl" \
    < /dev/null > /dev/null 2> "$work/noremote.err"
status=$?
echo "$name: without -remote: status $status: $(cat "$work/noremote.err")"
[ "$status" -eq 1 ] && [ "$(wc -l < "$work/noremote.err")" -eq 1 ] &&
    grep -q "recorded on another machine: log 'remote=com2'" "$work/noremote.err" ||
    fail "a replay without -remote com2 is not refused as another machine"

# --- altered logs: caught by the first checkpoint after the alteration
# (or sooner, when the guest then acts otherwise and leaves a logged event
# untaken), with the count in the error ---
altered() {   # altered WHAT KIND N BYTE KAIRO-ARGS...
    what=$1 kind=$2 nth=$3 byte=$4
    shift 4
    from=$(python3 "$log" flip "$work/session.rpl" "$work/$what.rpl" "$kind" "$nth" "$byte" |
        sed -n 's/.* at icount \([0-9]*\)$/\1/p')
    [ -n "$from" ] || fail "cannot alter the log"
    at=$(python3 "$log" checkpoint-after "$work/session.rpl" "$kind" "$nth") ||
        fail "no checkpoint after the altered event"
    "$kairo" "$@" -display none -serial "file:$work/$what.out" -replay "$work/$what.rpl" \
        < /dev/null > /dev/null 2> "$work/$what.err"
    status=$?
    msg=$(grep -v "RDMSR\|WRMSR" "$work/$what.err")
    echo "$name: $what: $kind event at icount $from altered, next checkpoint $at: status $status: $msg"
    [ "$status" -eq 1 ] || fail "$what: status $status, not 1"
    [ "$(echo "$msg" | wc -l)" -eq 1 ] || fail "$what: more than one line"
    got=$(echo "$msg" | sed -n 's/^kairo: replay diverged at icount \([0-9]*\): .*/\1/p')
    [ -n "$got" ] && [ "$got" -ge "$from" ] && [ "$got" -le "$at" ] ||
        fail "$what: not caught between the alteration ($from) and the checkpoint after it ($at)"
}
n=$(python3 "$log" find-remote "$work/session.rpl" PONG) || fail "no COM2 reply in the log"
altered remote-flip remote "$n" -1 "$@"
n=$(python3 "$log" middle "$work/session.rpl" net 1400) || fail "no full-size frame in the log"
altered net-flip net "$n" -200 "$@"
echo "$name: total $(($(date +%s) - t0)) s: PASS"
exit 0
