#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates everything the generators in cpu/gen produce and diffs it
# with the committed files (the test cpu.opcodes_doc): docs/OPCODES.md
# from the opcode table, cpu/ops_alu_arith.c and cpu/ops_alu_logic.c from
# gen_alu.py. A difference means the committed output is stale: rerun the
# command the diff's header names.
#   cpu/gen/check_generated.sh SOURCE_DIR PATH/TO/gen_opcodes
set -u
src=$1
gen_opcodes=$2
status=0
echo "build/gen_opcodes > docs/OPCODES.md"
"$gen_opcodes" | diff -u "$src/docs/OPCODES.md" - || status=1
for part in arith logic; do
    echo "python3 cpu/gen/gen_alu.py $part > cpu/ops_alu_$part.c"
    python3 "$src/cpu/gen/gen_alu.py" "$part" | diff -u "$src/cpu/ops_alu_$part.c" - || status=1
done
exit $status
