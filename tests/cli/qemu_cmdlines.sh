#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every line of qemu_cmdlines.txt (see its header): a line marked ok
# must start the machine (status 0 or 3 from --max-insns, or still running
# when the timeout stops it), a line marked refuse must end with status 1
# and ONE line on stderr containing the word; no line may leave a file
# behind other than the one it names (QEMU's -trace once wrote 'events=x').
#   qemu_cmdlines.sh KAIRO LIST IMAGES_DIR
set -u
kairo=$(realpath "$1") list=$2 images=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 4M "$work/disk.img"
truncate -s 1440K "$work/floppy.img"
truncate -s 2M "$work/cd.iso"
for f in vmlinuz initrd.img; do
    [ -f "$images/$f" ] || { echo "qemu_cmdlines: $images/$f missing (images/build.sh)"; exit 1; }
done

fails=0 n=0
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    expect=${line%%|*} args=${line#*|}
    args=${args//@DISK@/$work/disk.img}
    args=${args//@FLOPPY@/$work/floppy.img}
    args=${args//@ISO@/$work/cd.iso}
    args=${args//@KERNEL@/$images/vmlinuz}
    args=${args//@INITRD@/$images/initrd.img}
    eval "set -- $args"
    n=$((n + 1))
    run=$(mktemp -d "$work/run.XXXX")
    (cd "$run" && timeout -s TERM 10 "$kairo" "$@" -display none --max-insns 3000000 \
        </dev/null >stdout.txt 2>stderr.txt)
    status=$?
    # -daemonize: the parent is gone; the child ends at the limit and
    # removes its pid file.
    for _ in $(seq 100); do [ -e "$run/kairo.pid" ] || break; sleep 0.1; done
    err=$(cat "$run/stderr.txt")
    left=$(cd "$run" && ls | grep -vx 'stdout.txt\|stderr.txt' | xargs)
    verdict=""
    case "$expect" in
    ok*)
        case $status in 0|3|124) ;; *) verdict="status $status: $err" ;; esac
        want=""; [[ $expect == *creates* ]] && want=$(echo "${expect#*creates}" | xargs)
        [ "$left" = "$want" ] || verdict+=" leaves '$left' (want '$want')" ;;
    refuse*)
        word=${expect#refuse } word=${word%% }
        if [ $status -ne 1 ]; then verdict="status $status, not refused"
        elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then verdict="not one line: $err"
        elif [[ $err != *"$word"* ]]; then verdict="message lacks '$word': $err"
        fi
        [ -z "$left" ] || verdict+=" leaves '$left'" ;;
    esac
    if [ -n "$verdict" ]; then
        echo "FAIL: $line"
        echo "      $verdict"
        fails=$((fails + 1))
    else
        echo "ok:   $line  -> ${err%%$'\n'*}"
    fi
done < "$list"
echo "qemu_cmdlines: $n command lines, $fails failed"
[ "$n" -ge 40 ] && [ $fails -eq 0 ]
