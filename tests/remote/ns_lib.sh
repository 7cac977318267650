# SPDX-License-Identifier: MIT
# Helpers for the remote-port namespace tests (sourced, bash). Call them
# inside `unshare -Urn`: the caller's namespace is the client's; the server
# gets a child network namespace holding the other end of a veth pair.
CLIENT_MAC=02:00:00:00:00:01

# check WHAT CONDITION: evaluate CONDITION, print "$TEST: ok: WHAT" or
# "$TEST: FAIL: WHAT" (and set fail=1; the script exits with it at the end).
check() { if eval "$2"; then echo "$TEST: ok: $1"; else echo "$TEST: FAIL: $1"; fail=1; fi; }

# wait_for SECONDS CONDITION: poll CONDITION every $WAIT_STEP s (0.1) until
# it holds (status 0) or SECONDS pass (status 1).
wait_for() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do eval "$2" && return 0; sleep "${WAIT_STEP:-0.1}"; done
    return 1
}

SERVER_MAC=02:00:00:00:00:02

# impair IFACE: 10% loss and 5% duplication of our frames on its egress.
impair() {
    nft add table netdev kairo_test 2>/dev/null || true
    nft add chain netdev kairo_test eg_"$1" "{ type filter hook egress device \"$1\" priority 0; }"
    nft add rule netdev kairo_test eg_"$1" ether type 0x88b5 numgen random mod 100 '<' 10 drop
    nft add rule netdev kairo_test eg_"$1" ether type 0x88b5 numgen random mod 100 '<' 5 dup to "$1"
}

# make_pair: veth vc (ours, CLIENT_MAC) <-> vs (SERVER_MAC).
make_pair() {
    ip link add vc type veth peer name vs
    ip link set vc address $CLIENT_MAC
    ip link set vs address $SERVER_MAC
}

# start_portd PORTD CONF ERRFILE IMPAIR(0|1): kairo-portd --stats in the
# server's namespace on vs; sets portd_pid. Brings vc up (impaired too).
# The namespace is held by its own process (ns_holder), so that a killed
# server can be restarted in it (restart_portd) with the veth pair intact.
start_portd() {
    export -f impair
    IMPAIR=$4 unshare -n bash -c '
        while ! ip link show vs >/dev/null 2>&1; do sleep 0.02; done
        ip link set lo up
        ip link set vs up
        [ "$IMPAIR" = 1 ] && impair vs
        exec sleep 100000' &
    ns_holder=$!
    pids+=($ns_holder)
    while [ "$(readlink /proc/$ns_holder/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
        sleep 0.02
    done
    ip link set vs netns "$ns_holder"
    ip link set vc up
    if [ "$4" = 1 ]; then impair vc; fi
    while ! nsenter -n -t "$ns_holder" ip link show vs 2>/dev/null | grep -q "state UP\|LOWER_UP"; do
        sleep 0.02
    done
    restart_portd "$1" "$2" "$3"
}

# restart_portd PORTD CONF ERRFILE [ARGS]: (another) kairo-portd --stats in
# the server's namespace, its stderr appended to ERRFILE; sets portd_pid.
restart_portd() {
    local portd=$1 conf=$2 errfile=$3
    shift 3
    nsenter -n -t "$ns_holder" "$portd" -c "$conf" --stats "$@" 2>>"$errfile" &
    portd_pid=$!
}

# portd_drop NAME ERRFILE: a drop counter from kairo-portd --stats.
portd_drop() {
    grep -o " $1=[0-9]*" "$2" | tail -1 | cut -d= -f2
}

# scratch_work: a temporary directory in $work, removed at exit together with
# the processes left in pids, kairo_pid and portd_pid.
scratch_work() {
    work=$(mktemp -d)
    pids=() kairo_pid="" portd_pid=""
    # Only the test's own shell cleans up: a forked child killed before it
    # exec'd its command (kill right after start) would run this trap too.
    trap '[ "$BASHPID" = "$$" ] || exit 0
          for p in "${pids[@]}" $kairo_pid $portd_pid; do kill "$p" 2>/dev/null || true; done
          rm -rf "$work"' EXIT
}
