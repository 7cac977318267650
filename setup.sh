#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kairo set-up: installs the Debian packages it needs (apt-get), builds, and
# then either boots the default guest (`./setup.sh run`) or runs the test
# suite (`./setup.sh test`; `./setup.sh test-long` runs the tests labelled
# long, which take minutes each). Works on a fresh Debian bookworm, as root
# or with sudo.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(build-essential cmake pkg-config nasm gcc-multilib zlib1g-dev libsdl2-dev
          libslirp-dev libcriterion-dev seabios libsodium-dev nftables iproute2 tshark gdb
          python3 libcapstone-dev xvfb xdotool x11-apps libx11-dev qemu-utils qemu-system-x86
          mtools)

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    # A mirror caught mid-sync fails the update for one index; the install
    # may still find everything, and reports clearly if it does not.
    $sudo apt-get update -qq || echo "setup: apt-get update reported errors; installing anyway"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() {
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)"
}

case "${1:-run}" in
run)
    install_packages
    build
    # The default guest: Debian's own 686 kernel with a busybox initramfs
    # (images/build.sh fetches both with apt-get download), on SeaBIOS,
    # its console on this terminal. At the shell, `poweroff -f` ends the
    # run. Without a terminal (a script, CI) it runs one command and
    # powers off by itself.
    images/build.sh "$BUILD_DIR/images" initrd
    kairo=("$BUILD_DIR/kairo" -m 256 -kernel "$BUILD_DIR/images/vmlinuz"
           -initrd "$BUILD_DIR/images/initrd.img" -append "console=ttyS0 cryptomgr.notests"
           -nographic --stats)
    if [ -t 0 ]; then
        exec "${kairo[@]}"
    fi
    exec "${kairo[@]}" --expect "KAIRO-GUEST-READY" --expect "# " \
        --send 'uname -a; cat /proc/cpuinfo | head -5\n' --expect "# " --send 'poweroff -f\n'
    ;;
test)
    install_packages
    build
    cd "$BUILD_DIR"
    # The default suite; `./setup.sh test-long` runs the long one.
    exec ctest -LE long -j"$(nproc)" --output-on-failure --timeout 900
    ;;
test-long)
    install_packages
    build
    cd "$BUILD_DIR"
    exec ctest -L long -j"$(nproc)" --output-on-failure --timeout 1800
    ;;
build)
    install_packages
    build
    ;;
*)
    echo "usage: $0 [run|test|test-long|build]" >&2
    exit 2
    ;;
esac
