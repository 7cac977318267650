#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secure by default, on UDP loopback inside `unshare -Urn`:
#   - kairo-portd refuses to start without a key, with an all-zero key, a
#     text key, a world-readable key, a FIFO as key file (at once, no hang)
#     and a UDP port above 65535; each refusal is one line on stderr;
#   - raw keys ending in 0x0A and in 0x0D work (a push through a UART);
#   - --insecure-no-auth serves, and logs every session;
#   - the running server has no capabilities, no_new_privs and seccomp;
#   - kairo's -remote errors are one line.
#
# usage: keys.sh KAIRO KAIRO_PORTD REMOTE_PUSH
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${KAIRO_REMOTE_NS:-}" ]; then
    unshare -Urn true 2>/dev/null || { echo "keys: no unshare -Urn: SKIP"; exit 77; }
    exec env KAIRO_REMOTE_NS=1 unshare -Urn "$0" "$@"
fi
. "$here/ns_lib.sh"
KAIRO=$1 PORTD=$2 PUSH=$3
scratch_work
ip link set lo up
fail=0
TEST=keys

# A random raw key whose last byte is $1 (hex), mode 0600.
make_key() {
    { head -c 31 /dev/urandom; printf "\\x$1"; } > "$2"
    chmod 600 "$2"
}
conf() {   # conf FILE KEYLINE PORT
    cat > "$1" <<EOC
$2
listen udp 127.0.0.1:$3
client 127.0.0.1
slot com2 uart file:$work/com2.out
ports 0x2F8-0x2FF
EOC
}
# refused NAME EXPECTED-TEXT CONF [ARGS]: portd exits non-zero within 5 s
# with exactly one line on stderr that contains the text.
refused() {
    local name=$1 text=$2 c=$3
    shift 3
    set +e
    timeout 5 "$PORTD" -c "$c" "$@" 2>"$work/err" >/dev/null
    local st=$?
    set -e
    check "refuses $name (status $st: $(head -1 "$work/err"))" \
        "[ $st != 0 ] && [ $st != 124 ] && [ \$(wc -l < '$work/err') = 1 ] && grep -q '$text' '$work/err'"
}

conf "$work/nokey.conf" "" 7201
refused "no key line" "no key line" "$work/nokey.conf"
head -c 32 /dev/zero > "$work/zero.key"; chmod 600 "$work/zero.key"
conf "$work/zero.conf" "key $work/zero.key" 7201
refused "an all-zero key" "one byte repeated" "$work/zero.conf"
printf 'correct horse battery staple 123' > "$work/text.key"; chmod 600 "$work/text.key"
conf "$work/text.conf" "key $work/text.key" 7201
refused "a text key" "is text" "$work/text.conf"
make_key 41 "$work/world.key"; chmod 644 "$work/world.key"
conf "$work/world.conf" "key $work/world.key" 7201
refused "a world-readable key" "group or others" "$work/world.conf"
mkfifo -m 600 "$work/fifo.key"
conf "$work/fifo.conf" "key $work/fifo.key" 7201
refused "a FIFO key file" "not a regular file" "$work/fifo.conf"
make_key 41 "$work/ok.key"
conf "$work/port.conf" "key $work/ok.key" 99999
refused "UDP port 99999" "0-65535" "$work/port.conf"
refused "--insecure-no-auth beside a key" "choose one" "$work/port.conf" --insecure-no-auth

# Keys ending in LF and CR serve.
for last in 0a 0d; do
    make_key $last "$work/k$last"
    conf "$work/k$last.conf" "key $work/k$last" 7202
    "$PORTD" -c "$work/k$last.conf" 2>"$work/portd_$last.err" &
    portd_pid=$!
    sleep 0.3
    set +e
    "$PUSH" --spec "com2=udp:127.0.0.1:7202,key=$work/k$last" --bytes 4096 >/dev/null 2>&1
    st=$?
    set -e
    if [ $last = 0a ]; then
        # The privilege drop, seen from outside.
        status=/proc/$portd_pid/status
        check "portd has no capabilities" "grep -q '^CapEff:[[:space:]]*0000000000000000' $status"
        check "portd has no_new_privs" "grep -q '^NoNewPrivs:[[:space:]]*1' $status"
        check "portd runs under seccomp" "grep -q '^Seccomp:[[:space:]]*2' $status"
    fi
    kill "$portd_pid"; wait "$portd_pid" || true; portd_pid=""
    check "a raw key ending in 0x$last serves (push status $st)" "[ $st = 0 ]"
done

# --insecure-no-auth: serves, says so on every session.
conf "$work/insecure.conf" "" 7203
"$PORTD" -c "$work/insecure.conf" --insecure-no-auth 2>"$work/insecure.err" &
portd_pid=$!
sleep 0.3
set +e
"$PUSH" --spec "com2=udp:127.0.0.1:7203,insecure-no-auth" --bytes 64 >/dev/null 2>&1; st1=$?
"$PUSH" --spec "com2=udp:127.0.0.1:7203,insecure-no-auth" --bytes 64 >/dev/null 2>&1; st2=$?
"$PUSH" --spec "com2=udp:127.0.0.1:7203" --bytes 64 >/dev/null 2>"$work/nokey_client.err"; st3=$?
set -e
kill "$portd_pid"; wait "$portd_pid" || true; portd_pid=""
check "--insecure-no-auth serves ($st1, $st2)" "[ $st1 = 0 ] && [ $st2 = 0 ]"
check "--insecure-no-auth logs each session" \
    "[ \$(grep -c 'NOT authenticated' '$work/insecure.err') = 2 ]"
check "a client without key= is refused" "[ $st3 = 1 ] && grep -q 'no key=FILE' '$work/nokey_client.err'"

# kairo: -remote errors are one line and a non-zero exit.
for spec in "com2=udp:127.0.0.1:99999,key=$work/ok.key" "com2=udp:127.0.0.1:7204" \
            "com2=udp:127.0.0.1:7204,key=$work/world.key" "com9=udp:127.0.0.1:7204,key=$work/ok.key" \
            "com2=eth:nosuchif,peer=02:00:00:00:00:02,key=$work/ok.key" "com2=tcp:x"; do
    set +e
    timeout 10 "$KAIRO" -nographic -remote "$spec" </dev/null >/dev/null 2>"$work/kairo.err"
    st=$?
    set -e
    check "kairo -remote '$spec': one-line error ($(head -1 "$work/kairo.err"))" \
        "[ $st != 0 ] && [ $st != 124 ] && [ \$(wc -l < '$work/kairo.err') = 1 ]"
done
exit $fail
