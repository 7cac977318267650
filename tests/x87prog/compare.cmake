# SPDX-License-Identifier: MIT
# x87prog's tests: run it natively (it must exit 0 and finish its output);
# with RUN set, also under x87run, and the two outputs must be identical.
# ARGS go to both runs (x87run has no kernel to deliver signals:
# --no-signals).
#   cmake -DPROG=x87prog -DOUT=dir [-DRUN=x87run] [-DARGS=...] -P compare.cmake
execute_process(COMMAND ${PROG} ${ARGS} OUTPUT_FILE ${OUT}/native.txt RESULT_VARIABLE native_rc)
file(READ ${OUT}/native.txt native)
string(LENGTH "${native}" native_len)
if(NOT native_rc EQUAL 0 OR native_len LESS 7)
  message(FATAL_ERROR "x87prog: native run failed (exit ${native_rc})")
endif()
math(EXPR tail_at "${native_len} - 7")
string(SUBSTRING "${native}" ${tail_at} 7 tail)
if(NOT tail STREQUAL "== end\n")
  message(FATAL_ERROR "x87prog: native output does not end with '== end'")
endif()
if(NOT RUN)
  message(STATUS "x87prog: native run complete (${native_len} bytes)")
  return()
endif()
execute_process(COMMAND ${RUN} ${PROG} ${ARGS} OUTPUT_FILE ${OUT}/kairo.txt RESULT_VARIABLE kairo_rc)
if(NOT kairo_rc EQUAL 0)
  message(FATAL_ERROR "x87prog: the run under Kairo failed (exit ${kairo_rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/native.txt ${OUT}/kairo.txt
  RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  message(FATAL_ERROR "x87prog: output under Kairo differs from the native one "
                      "(diff ${OUT}/native.txt ${OUT}/kairo.txt)")
endif()
message(STATUS "x87prog: native and Kairo outputs identical (${native_len} bytes)")
