# Run by linux_rstep.sh: kairo -S --reverse with the Debian kernel; @PORT@,
# @BREAK@ and @STEPS@ are filled in. Prints one "R ..." line of registers
# per position for the driver to compare with a forward -d cpu trace.
set pagination off
set confirm off
set architecture i386
target remote 127.0.0.1:@PORT@
define regs
  printf "R %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %04x %04x %04x %04x %04x\n", $eax, $ecx, $edx, $ebx, $esp, $ebp, $esi, $edi, $eip, $eflags, $es, $ss, $ds, $fs, $gs
end
break *@BREAK@
continue
monitor info history
regs
delete
set $i = 0
while $i < @STEPS@
  reverse-stepi
  regs
  set $i = $i + 1
end
monitor info history
# A write watchpoint on the stack slot at ESP: reverse-continue stops
# before the instruction that last wrote it; one step later the slot
# holds what it holds here.
set $slot = $esp
set $now = *(unsigned int *)$slot
printf "SLOT %08x %08x\n", $slot, $now
watch *(unsigned int *)$slot
reverse-continue
printf "WATCHSTOP "
regs
stepi
printf "AFTERSTEP %08x\n", *(unsigned int *)$slot
kill
