#!/bin/sh
# SPDX-License-Identifier: MIT
# What a packager of a headless kairo does: configure without the optional
# front ends and the tests, build, and boot FreeDOS with no window.
#   headless_build.sh SOURCE_DIR BUILD_DIR FREEDOS_IMAGE
set -u
src=$1 build=$2 image=$3
rm -rf "$build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKAIRO_SDL=OFF -DKAIRO_CAPSTONE=OFF \
    -DBUILD_TESTING=OFF ${CMAKE_C_COMPILER_LAUNCHER:+-DCMAKE_C_COMPILER_LAUNCHER=$CMAKE_C_COMPILER_LAUNCHER} \
    >/dev/null || { echo "headless_build: configure failed"; exit 1; }
cmake --build "$build" -j2 >/dev/null 2>&1 || { echo "headless_build: build failed"; exit 1; }
if ldd "$build/kairo" | grep -E 'libSDL2|libcapstone'; then
    echo "headless_build: linked against an optional library"; exit 1
fi
out=$("$build/kairo" -display none -snapshot -fda "$image" --deterministic --max-insns 600000000 \
    --dump-text 2>&1)
echo "$out" | tail -3
echo "$out" | grep -q 'A:\\>' || { echo "headless_build: FreeDOS did not reach its prompt"; exit 1; }
"$build/kairo" -display sdl -fda "$image" 2>&1 | grep -q 'built without SDL' ||
    { echo "headless_build: -display sdl is not a clear error"; exit 1; }
echo "headless_build: ok"
