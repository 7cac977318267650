#!/bin/sh
# SPDX-License-Identifier: MIT
# cmake --install of BUILD_DIR into a scratch DESTDIR with prefix /usr: the
# programs and the man page land in their places and the installed kairo
# runs.   install_check.sh BUILD_DIR
set -u
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null || { echo "install failed"; exit 1; }
fail=0
for f in usr/bin/kairo usr/bin/kairo-portd usr/bin/kairo-trace usr/share/man/man1/kairo.1 \
         usr/share/doc/kairo/LICENSE; do
    if [ -e "$dest/$f" ]; then echo "installed: /$f"; else echo "MISSING: /$f"; fail=1; fi
done
"$dest/usr/bin/kairo" --version | grep -q '^kairo ' || { echo "installed kairo does not run"; fail=1; }
grep -q -- '\\-nodefaults' "$dest/usr/share/man/man1/kairo.1" ||
    { echo "the installed page lacks the options"; fail=1; }
exit $fail
