#!/bin/sh
# SPDX-License-Identifier: MIT
# -device vmport / -vmport mistakes: each is one line on stderr and a
# nonzero exit, never a start.
#   bad_options.sh KAIRO
kairo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
refuse() {   # refuse WHAT ARGS...: must exit nonzero with one stderr line
    what=$1
    shift
    "$kairo" -display none --max-insns 1000 "$@" < /dev/null > /dev/null 2> "$tmp/err"
    st=$? lines=$(wc -l < "$tmp/err")
    if [ $st -ne 0 ] && [ "$lines" -eq 1 ]; then
        echo "ok   $what: $(cat "$tmp/err")"
    else
        echo "FAIL $what: status $st, $lines lines: $(cat "$tmp/err")"
        fails=$((fails + 1))
    fi
}
refuse "no device" -vmport guestinfo.a=b
refuse "bad device property" -device vmport,speed=3
refuse "bad -vmport" -device vmport -vmport nonsense
refuse "share without a directory" -device vmport -vmport share=x:
refuse "share of a missing directory" -device vmport -vmport share=x:/nonexistent/dir
refuse "share name twice" -device vmport -vmport share=x:/tmp -vmport share=x:/tmp
refuse "relative program" -device vmport -vmport exec=ls:ls
refuse "missing program" -device vmport -vmport exec=x:/nonexistent/prog
refuse "guestinfo too long" -device vmport -vmport "guestinfo.k=$(head -c 400 /dev/zero | tr '\0' v)"
echo "bad_options: $fails failures"
[ $fails -eq 0 ]
