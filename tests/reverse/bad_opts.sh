#!/bin/sh
# SPDX-License-Identifier: MIT
# reverse.bad_opts: bad --reverse-opts and --reverse with -replay get one
# line on stderr and status 1; gdb's reverse packets without --reverse are
# not advertised and answered as unknown.
#   bad_opts.sh KAIRO WORKDIR
set -u
kairo=$1 work=$2
mkdir -p "$work"
fails=0
expect_error() {   # PATTERN ARGS...
    pattern=$1
    shift
    "$kairo" -nographic -vga none --max-insns 1000 "$@" < /dev/null > "$work/out" 2> "$work/err"
    status=$?
    lines=$(wc -l < "$work/err")
    if [ $status -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q "$pattern" "$work/err"; then
        echo "FAIL: $*: status $status, $lines lines: $(cat "$work/err")"
        fails=$((fails + 1))
    else
        echo "ok: $*: $(cat "$work/err")"
    fi
}
expect_error "bad --reverse-opts" --reverse --reverse-opts every=0
expect_error "bad --reverse-opts" --reverse --reverse-opts every=-1
expect_error "bad --reverse-opts" --reverse --reverse-opts count=1
expect_error "bad --reverse-opts" --reverse --reverse-opts mem=8
expect_error "bad --reverse-opts" --reverse --reverse-opts frequency=5
expect_error "bad --reverse-opts" --reverse-opts every
expect_error "bad --reverse-opts" --reverse --reverse-opts every=1x
"$kairo" -nographic -vga none --deterministic -record "$work/x.rpl" --max-insns 1000 \
    < /dev/null > /dev/null 2>&1
expect_error "cannot be used with -replay" --reverse -replay "$work/x.rpl"
[ $fails -eq 0 ] && echo "bad_opts: PASS"
