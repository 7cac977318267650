#!/bin/sh
# SPDX-License-Identifier: MIT
# The licence stays true: LICENSE is MIT, every source file carries its
# SPDX line, and no third-party package sits in the tree.
# usage: licence.sh SOURCE_DIR
src=$1
fail=0
grep -q "^MIT License" "$src/LICENSE" || { echo "licence: LICENSE is not the MIT licence"; fail=1; }
missing=$(find "$src" -path "$src/build*" -prune -o -path "$src/.git" -prune -o \
    \( -name '*.c' -o -name '*.h' -o -name '*.asm' -o -name '*.inc' -o -name '*.sh' \
       -o -name '*.py' -o -name '*.cmake' -o -name CMakeLists.txt \) -type f -print |
    xargs grep -L "SPDX-License-Identifier: MIT")
[ -z "$missing" ] || { echo "licence: no SPDX line in:"; echo "$missing"; fail=1; }
packages=$(find "$src" -path "$src/build*" -prune -o -path "$src/.git" -prune -o \
    \( -name '*.deb' -o -name '*.rpm' \) -type f -print)
[ -z "$packages" ] || { echo "licence: third-party packages in the tree:"; echo "$packages"; fail=1; }
[ $fail -eq 0 ] && echo "licence: MIT, SPDX lines everywhere, no packages"
exit $fail
