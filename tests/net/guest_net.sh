#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of the network tests, run by the initramfs's init through
# kairo.run=/net-test.sh. Parameters come from the kernel command line:
#   net.mod=ne2k-pci|ne   net.modargs=io=0x300,irq=5 (commas for spaces)
#   net.ip=dhcp|ADDR/PREFIX   net.get=URL   net.md5=SUM   net.serve=PORT
#   net.ping=ADDR   net.debug=1 (driver messages)   net.poweroff=1 (power off at the end: for QEMU runs)
# Every outcome is one line on the console: NET-OK ... or NET-FAIL ...
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    net.*=*) key=${arg%%=*}; key=${key#net.}; eval "net_$key=\"${arg#*=}\"";;
    esac
done
fail() { echo "NET-FAIL $*"; echo "NET-DONE"; exit 1; }
cat > /tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
ifconfig "$interface" "$ip" netmask "$subnet" up
route add default gw "$router" dev "$interface"
S
chmod +x /tmp/dhcp.sh
if [ -n "$net_debug" ]; then   # net.debug=1: the 8390 driver's own messages
    echo 8 > /proc/sys/kernel/printk
    modprobe 8390 dyndbg=+p
    net_modargs="$net_modargs,msg_enable=0x2fff"
fi
modprobe "${net_mod:-ne2k-pci}" $(echo "$net_modargs" | tr ',' ' ') || fail "modprobe $net_mod"
ip link set eth0 up || fail "no eth0"
case "${net_ip:-dhcp}" in
dhcp) udhcpc -i eth0 -q -n -t 5 -s /tmp/dhcp.sh >/dev/null 2>&1 || fail "no DHCP lease"
      echo "NET-OK dhcp $(ip -4 addr show eth0 | sed -n 's/.*inet \([0-9./]*\).*/\1/p')";;
*)    ip addr add "$net_ip" dev eth0 || fail "ip addr $net_ip";;
esac
if [ -n "$net_ping" ]; then
    ping -c 3 -W 5 "$net_ping" >/tmp/ping 2>&1 || { cat /tmp/ping; fail "ping $net_ping"; }
    echo "NET-OK ping $net_ping"
fi
if [ -n "$net_get" ]; then
    start=$(cut -d' ' -f1 /proc/uptime)
    tries=0
    until wget -q -O /tmp/got "$net_get"; do
        tries=$((tries + 1))
        [ $tries -lt 3 ] || fail "wget $net_get"
        sleep 1
    done
    end=$(cut -d' ' -f1 /proc/uptime)
    sum=$(md5sum /tmp/got | cut -d' ' -f1)
    size=$(wc -c < /tmp/got)
    [ -z "$net_md5" ] || [ "$sum" = "$net_md5" ] || fail "md5 $sum"
    echo "NET-OK get $size bytes md5 $sum in $start..$end s"
fi
if [ -n "$net_serve" ]; then
    mkdir -p /www && dd if=/dev/urandom of=/www/blob.bin bs=1024 count=${net_servekb:-256} 2>/dev/null
    httpd -p "$net_serve" -h /www || fail "httpd"
    echo "NET-OK serving port $net_serve md5 $(md5sum /www/blob.bin | cut -d' ' -f1)"
    exec sleep 100000
fi
stats=""
for s in rx_packets rx_errors rx_dropped rx_fifo_errors rx_over_errors tx_packets tx_errors; do
    stats="$stats $s=$(cat /sys/class/net/eth0/statistics/$s)"
done
echo "NET-STATS$stats"
echo "NET-DONE"
[ -z "$net_poweroff" ] || poweroff -f
