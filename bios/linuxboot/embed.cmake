# SPDX-License-Identifier: MIT
# Turns a binary file into a C array: cmake -DIN=f.bin -DOUT=f.c -DNAME=sym -P embed.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " body "${body}")
file(WRITE ${OUT} "/* Generated from ${IN} by embed.cmake */\n#include <stddef.h>\n#include <stdint.h>\nconst uint8_t ${NAME}[${size}] = {\n    ${body}\n};\nconst size_t ${NAME}_size = ${size};\n")
