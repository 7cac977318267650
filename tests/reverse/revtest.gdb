# Run by revtest.sh against kairo --reverse -S with revtest.elf; @PORT@,
# @ELF@ and @SRC@ are filled in. Every check prints CHECK-OK or CHECK-FAIL.
set pagination off
set confirm off
define check
  if $arg0
    echo CHECK-OK $arg1\n
  else
    echo CHECK-FAIL $arg1\n
  end
end
file @ELF@
# $at("name"): is the PC on the source line marked "@name"?
python
import re
marks = {}
for n, line in enumerate(open("@SRC@"), 1):
    m = re.search(r"@(\w+) \*/", line)
    if m:
        marks[m.group(1)] = n
class At(gdb.Function):
    def __init__(self):
        super().__init__("at")
    def invoke(self, name):
        pc = int(gdb.parse_and_eval("$pc"))
        return gdb.find_pc_line(pc).line == marks[name.string()]
At()
end
target remote 127.0.0.1:@PORT@
# At the reset vector before any instruction (-S): nothing to go back to;
# one step forward and back again is an ordinary step.
reverse-stepi
check $pc==0xfff0 rstepi-at-start
stepi
check $pc!=0xfff0 stepi-from-start
reverse-stepi
check $pc==0xfff0 rstepi-to-start
break done
continue
check input==88 input-from-serial
check value==50 value-at-done
check count_b==50 count-at-done
delete

# A write watchpoint: back to before the last write (iteration 50), then
# the one before (iteration 49).
watch value
reverse-continue
check $at("after_a") rwatch-line
check value==49 rwatch-old-value
check count_b==50 rwatch-count
reverse-continue
check $at("after_a") rwatch2-line
check value==48 rwatch2-old-value
check count_b==49 rwatch2-count
delete

# A breakpoint hit in the past: func_b, last entered in iteration 49.
break func_b
reverse-continue
check $at("b_body") rbreak-line
check count_b==48 rbreak-count
delete

# reverse-finish: out of func_b to its call in func_a, then out of func_a
# to its call in the loop.
reverse-finish
check $at("call_b") rfinish-b
reverse-finish
check $at("call_a") rfinish-a
check value==48 rfinish-value
# Forward over the call (replaying history), then reverse-next steps back
# over it: to the call, with func_b's count as before it.
python
gdb.execute("advance %d" % marks["after_a"])
end
check $at("after_a") forward-over-call
check count_b==49 forward-count
reverse-next
check $at("call_a") rnext-line
check count_b==48 rnext-count
# One instruction back from the call: the loop's condition.
reverse-stepi
check $at("loop") rstepi-line
# An access watchpoint (func_b reads and writes count_b): back to before
# the last access, the increment of iteration 48.
awatch count_b
reverse-continue
check $at("b_body") rawatch-line
check count_b==47 rawatch-value
delete

# No breakpoint before: reverse-continue runs to the start of history
# (the reset vector) and says so (the driver looks for gdb's "No more
# reverse-execution history.").
reverse-continue
check ($cs==0xf000&&$pc==0xfff0) begin-at-reset

# The monitor's commands through gdb: goto forward in history, rstep back,
# info history (replaying), rcont with no monitor breakpoint: the start.
set remotetimeout 60
python
import re
def count_of(text):
    m = re.search(r"icount (\d+)", text)
    return int(m.group(1)) if m else -1
out = gdb.execute("monitor goto 300000", to_string=True)
gdb.set_convenience_variable("goto_ok", count_of(out) == 300000)
out = gdb.execute("monitor rstep 10", to_string=True)
gdb.set_convenience_variable("rstep_ok", 0 < count_of(out) < 300000)
out = gdb.execute("monitor info history", to_string=True)
gdb.set_convenience_variable("hist_ok", "replaying" in out and "checkpoints" in out)
out = gdb.execute("monitor rcont", to_string=True)
gdb.set_convenience_variable("rcont_ok", "at the start of history" in out and count_of(out) == 0)
gdb.execute("maintenance flush register-cache")
end
check $goto_ok monitor-goto
check $rstep_ok monitor-rstep
check $hist_ok monitor-info-history
check $rcont_ok monitor-rcont

# Forward to the end: history replays, then the run goes on live and the
# kernel exits with value + count_b = 100: status 201.
continue
