# Run by run_gdb_test.sh against kairo -S -gdb tcp:127.0.0.1:PORT with
# gdbtest.bin; @PORT@ is replaced by the port kairo printed. Every check
# prints CHECK-OK or CHECK-FAIL; the driver counts them.
set pagination off
set confirm off
define check
  if $arg0
    echo CHECK-OK $arg1\n
  else
    echo CHECK-FAIL $arg1\n
  end
end

target remote 127.0.0.1:@PORT@
# -S: stopped at the reset vector.
check ($cs==0xf000&&$pc==0xfff0) reset-vector

# A breakpoint at the loop (linear ROMBASE + 0x1000), reached with paging on.
break *0xffff1000
continue
info registers
check $pc==0xffff1000 breakpoint-eip
check ($cr0&0x80000001)==0x80000001 cr0-pe-pg
check $cr3==0x10000 cr3
check $ecx==0 ecx-at-breakpoint

# One instruction: inc ecx.
stepi
check $pc==0xffff1001 stepi-eip
check $ecx==1 stepi-ecx

# Memory through the guest's paging: linear 0x400000 is physical 0x200000.
x/4xw 0x400000
set *(int*)0x400004 = 0x20
x/4xw 0x400000
check *(int*)0x400004==0x20 memory-write-readback
# A linear address no page maps: an error, not a crash.
python
try:
    gdb.execute("x/1xw 0x800000")
    print("CHECK-FAIL unmapped-read")
except gdb.MemoryError:
    print("CHECK-OK unmapped-read")
end

# A write watchpoint stops right after the storing instruction.
delete
watch *(int*)0x400000
continue
check $pc==0xffff1007 watchpoint-eip
check *(int*)0x400000==1 watchpoint-value
delete

# gdb's `monitor` reaches kairo's monitor commands (qRcmd), snapshots too.
python
out = gdb.execute("monitor info devices", to_string=True)
print("CHECK-OK monitor-info-devices" if "cpu" in out and "ram" in out else "CHECK-FAIL monitor-info-devices " + out)
out = gdb.execute("monitor savevm /dev/null", to_string=True)
print("CHECK-OK monitor-savevm" if out.startswith("saved /dev/null") else "CHECK-FAIL monitor-savevm " + out)
out = gdb.execute("monitor info snapshots", to_string=True)
print("CHECK-OK monitor-info-snapshots" if "saved  /dev/null" in out else "CHECK-FAIL monitor-info-snapshots " + out)
end

# The SSE feature of the target description: XMM registers and MXCSR
# (RESET value 0x1F80; the default model has no SSE, the state is there).
check $mxcsr==0x1f80 mxcsr-reset
set $xmm3.v4_int32[2] = 0x12345678
check ($xmm3.v4_int32[2]==0x12345678&&$xmm3.v4_int32[1]==0) xmm-write-readback
set $xmm3.v4_int32[2] = 0

# A register write the guest sees: it adds EBX to its exit value.
set $ebx = 3
check $ebx==3 register-write
continue
