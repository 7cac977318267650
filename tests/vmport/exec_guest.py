# SPDX-License-Identifier: MIT
"""Shadow processes and pipes (issue 19): kairo-host in the Debian guest
runs allowlisted host programs through -device vmport. A 4 MiB pipe in and
out (cat of 4 MiB of random bytes; seq | sort -r) gives the same
bytes and exit status as the program run on the host; a nonzero status
comes back; a name not on the allowlist is refused and logged; kairo-host
cp copies a file from and to a share.
  exec_guest.py KAIRO IMAGES WORKDIR"""
import hashlib
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Checks, Guest  # noqa: E402

kairo, images, work = sys.argv[1:4]
check = Checks()
share = os.path.join(work, "share")
shutil.rmtree(share, ignore_errors=True)
os.makedirs(share)
blob = random.Random(4).randbytes(4 << 20)
with open(os.path.join(share, "blob.bin"), "wb") as f:
    f.write(blob)
sort = shutil.which("sort")
cat = shutil.which("cat")
false = shutil.which("false")
lines = "".join("%d\n" % i for i in range(1, 100001)).encode()
host = subprocess.run([sort, "-r"], input=lines, stdout=subprocess.PIPE, check=False,
                      env={"LC_ALL": "C"})
g = Guest(kairo, images, work, ["-vmport", "share=share:%s" % share,
                                "-vmport", "exec=sort:/usr/bin/env LC_ALL=C %s" % sort,
                                "-vmport", "exec=cat:%s" % cat,
                                "-vmport", "exec=false:%s" % false])
K = "/mnt/usr/bin/kairo-host"
try:
    g.boot(check)
    out, rc = g.run("seq 1 100000 | %s run sort -r > /tmp/sorted; echo st=$?; "
                    "md5sum /tmp/sorted" % K, 120)
    check(hashlib.md5(host.stdout).hexdigest() in out,
          "seq | sort -r (%d bytes) through pipes: the same bytes as on the host" % len(lines))
    check("st=%d" % host.returncode in out, "... and the same exit status")
    out, rc = g.run("%s cp host:share/blob.bin /tmp/blob.bin && md5sum /tmp/blob.bin" % K)
    check(hashlib.md5(blob).hexdigest() in out, "kairo-host cp host:share/blob.bin (4 MiB)")
    out, rc = g.run("%s run cat < /tmp/blob.bin | md5sum" % K, 120)
    check(hashlib.md5(blob).hexdigest() in out, "4 MiB of binary through cat, in and out")
    out, rc = g.run("%s run false < /dev/null" % K)
    check(rc == 1, "the host program's exit status comes back (false: %d)" % rc)
    out, rc = g.run("%s run rm -rf / < /dev/null" % K)
    check(rc == 126 and "refused" in out, "a name not on the allowlist is refused (%d)" % rc)
    with open(os.path.join(work, "kairo.err"), errors="replace") as f:
        err = f.read()
    check("'rm', which is not on the -vmport exec= allowlist; refused" in err,
          "... and logged on kairo's stderr")
    out, rc = g.run("echo from-the-guest > /tmp/up.txt && %s cp /tmp/up.txt host:share/up.txt" % K)
    with open(os.path.join(share, "up.txt")) as f:
        check(f.read() == "from-the-guest\n", "kairo-host cp to host:share/up.txt")
    check("exec sort" in g.log(), "-d hostcall shows the programs started")
except Exception as ex:  # noqa: BLE001
    check(False, "exception: %s" % ex)
finally:
    g.close()
check.exit("exec_guest")
