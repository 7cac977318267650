#!/bin/sh
# SPDX-License-Identifier: MIT
# Linux guests on the NE2000 (the Debian kernel and busybox initramfs of
# images/build.sh, with tests/net/guest_net.sh appended to the initramfs):
#   guest_test.sh KAIRO IMAGES WORKDIR download-pci   DHCP from the user backend, a 4 MiB
#                                                     file over HTTP from the host's
#                                                     loopback (10.0.2.2), md5 checked
#   ... download-isa                                  the same with the ISA card, `ne`
#   ... hostfwd                                       a host client fetches from busybox
#                                                     httpd in the guest via hostfwd
#   ... veth                                          two guests on a veth pair (raw
#                                                     backend, unshare -Urn) ping and pass
#                                                     a file; the pcap of the run is checked
# Exit 0 = pass, 77 = cannot run here (no images, no user namespaces).
set -u
kairo=$1 images=$2 work=$3 mode=$4
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$images/vmlinuz" ] && [ -f "$images/initrd.img" ] || {
    echo "guest_test: no $images/vmlinuz or initrd.img (images/build.sh)"; exit 1; }
mkdir -p "$work"
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# The initramfs plus our script: the kernel unpacks concatenated archives.
initrd="$work/initrd-net.img"
if [ "$mode" != veth-inside ]; then
    rm -rf "$work/extra" && mkdir -p "$work/extra" && cp "$here/guest_net.sh" "$work/extra/net-test.sh"
    (cat "$images/initrd.img"; cd "$work/extra" && echo net-test.sh | cpio -o -H newc --quiet -R 0:0 | gzip) > "$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
fi
base_append="console=ttyS0 quiet kairo.run=/net-test.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# boot LOG APPEND KAIRO-OPTIONS...: a guest in the background, powered off
# once its script printed NET-DONE.
boot() {
    log=$1 append=$2
    shift 2
    "$kairo" -m 128 -nographic -vga none -icount sleep=off --timeout 300 --expect-timeout 240 --stats \
        -kernel "$images/vmlinuz" -initrd "$initrd" -append "$base_append $append" \
        --expect "NET-DONE" --send 'poweroff -f\n' "$@" < /dev/null > "$log" 2>&1 &
    pids="$pids $!"
    last_pid=$!
}

# wait_for LOG TEXT SECONDS
wait_for() {
    i=0
    while [ $i -lt "$3" ]; do
        grep -aq "$2" "$1" 2>/dev/null && return 0
        grep -aq "NET-FAIL" "$1" 2>/dev/null && break
        sleep 1
        i=$((i + 1))
    done
    echo "guest_test: '$2' not seen in $1:"; grep -a "NET-\|kairo:" "$1" | tail -20
    return 1
}

http_server() {   # http_server DIR PORT
    (cd "$1" && exec python3 -m http.server "$2" --bind 127.0.0.1) > "$work/http.log" 2>&1 &
    pids="$pids $!"
    sleep 1
}

download() {   # download ne2k_pci|ne2k_isa
    mkdir -p "$work/www"
    [ -f "$work/www/blob.bin" ] || head -c 4194304 /dev/urandom > "$work/www/blob.bin"
    sum=$(md5sum "$work/www/blob.bin" | cut -d' ' -f1)
    port=$(free_port)
    http_server "$work/www" "$port"
    if [ "$1" = ne2k_isa ]; then
        extra="net.mod=ne net.modargs=io=0x300,irq=5"
        card="ne2k_isa,netdev=n0,iobase=0x300,irq=5"
    else
        extra="net.mod=ne2k-pci"
        card="ne2k_pci,netdev=n0"
    fi
    log="$work/$mode.log"
    boot "$log" "$extra net.get=http://10.0.2.2:$port/blob.bin net.md5=$sum" \
        -netdev user,id=n0 -device "$card"
    wait "$last_pid"
    status=$?
    grep -a "NET-\|kairo: ne2k\|kairo: netdev" "$log"
    grep -aq "NET-OK get 4194304 bytes md5 $sum" "$log" && [ $status -eq 0 ]
}

hostfwd() {
    port=$(free_port)
    log="$work/hostfwd.log"
    boot "$log" "net.serve=8080 net.servekb=1024" \
        -nic "user,model=ne2k_pci,hostfwd=tcp:127.0.0.1:$port-:8080"
    wait_for "$log" "NET-OK serving port [0-9]* md5 [0-9a-f]\{32\}" 240 || return 1
    want=$(grep -a "NET-OK serving" "$log" | sed 's/.*md5 \([0-9a-f]*\).*/\1/' | tr -d '\r')
    got=$(python3 -c "import urllib.request,hashlib,sys; print(hashlib.md5(urllib.request.urlopen(sys.argv[1], timeout=60).read()).hexdigest())" "http://127.0.0.1:$port/blob.bin")
    echo "guest_test: hostfwd: guest file md5 $want, fetched $got"
    [ -n "$want" ] && [ "$want" = "$got" ]
}

# Inside unshare -Urn: the veth pair, two guests on it, each on one end.
veth_inside() {
    ip link add ka type veth peer name kb || exit 77
    ip link set ka up && ip link set kb up && ip link set lo up
    pcap="$work/veth.pcap"
    boot "$work/veth-b.log" "net.ip=192.168.77.2/24 net.serve=80 net.servekb=512" \
        -netdev raw,id=n0,ifname=kb -device ne2k_pci,netdev=n0,mac=52:54:00:77:00:02
    wait_for "$work/veth-b.log" "NET-OK serving port [0-9]* md5 [0-9a-f]\{32\}" 240 || exit 1
    want=$(grep -a "NET-OK serving" "$work/veth-b.log" | sed 's/.*md5 \([0-9a-f]*\).*/\1/' | tr -d '\r')
    boot "$work/veth-a.log" "net.ip=192.168.77.1/24 net.ping=192.168.77.2 net.get=http://192.168.77.2/blob.bin net.md5=$want" \
        -netdev raw,id=n0,ifname=ka -device ne2k_pci,netdev=n0,mac=52:54:00:77:00:01 \
        -object filter-dump,id=f0,netdev=n0,file="$pcap"
    wait "$last_pid"
    grep -a "NET-\|kairo: ne2k\|kairo: netdev" "$work/veth-a.log"
    grep -aq "NET-OK ping 192.168.77.2" "$work/veth-a.log" &&
        grep -aq "NET-OK get 524288 bytes md5 $want" "$work/veth-a.log" || exit 1
    python3 "$here/pcap_check.py" "$pcap" --need-icmp || exit 1
    command -v tshark > /dev/null || { echo "guest_test: tshark missing (setup.sh installs it)"; exit 1; }
    tshark -r "$pcap" -q -z io,phs > "$work/tshark.txt" 2>&1 || { cat "$work/tshark.txt"; exit 1; }
    grep -q "icmp" "$work/tshark.txt" || { cat "$work/tshark.txt"; exit 1; }
    echo "guest_test: tshark reads the pcap"
    exit 0
}

case "$mode" in
download-pci) download ne2k_pci ;;
download-isa) download ne2k_isa ;;
hostfwd) hostfwd ;;
veth) unshare -Urn true 2>/dev/null || { echo "guest_test: no user namespaces"; exit 77; }
      unshare -Urn "$0" "$kairo" "$images" "$work" veth-inside ;;
veth-inside) veth_inside ;;
*) echo "guest_test: unknown mode $mode"; exit 2 ;;
esac
status=$?
[ $status -eq 0 ] && echo "guest_test: $mode PASS" || echo "guest_test: $mode FAIL ($status)"
exit $status
