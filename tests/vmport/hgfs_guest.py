# SPDX-License-Identifier: MIT
"""HGFS shared folders (issue 19) with Debian's own vmhgfs-fuse in the
Debian guest: `vmhgfs-fuse .host:/share` mounts a host directory; listing,
reading a 16 MiB file (checksum), writing one back (checksum on the host),
rename, mkdir and rm match the host; a read-only share refuses writes; a
symlink pointing outside the share and a FIFO are not served. Prints the
sequential read/write throughput beside the NE2000 user-network download
of the same file (bench).
  hgfs_guest.py KAIRO IMAGES WORKDIR"""
import hashlib
import http.server
import os
import random
import shutil
import socketserver
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Checks, Guest  # noqa: E402

kairo, images, work = sys.argv[1:4]
check = Checks()
share, ro, outside = (os.path.join(work, d) for d in ("share", "ro", "outside"))
for d in (share, ro, outside):
    shutil.rmtree(d, ignore_errors=True)
os.makedirs(os.path.join(share, "sub"))
os.makedirs(ro)
os.makedirs(outside)
big = random.Random(19).randbytes(16 << 20)
with open(os.path.join(share, "big.bin"), "wb") as f:
    f.write(big)
with open(os.path.join(share, "hello.txt"), "w") as f:
    f.write("hello from the host\n")
with open(os.path.join(ro, "keep.txt"), "w") as f:
    f.write("read-only\n")
with open(os.path.join(outside, "secret.txt"), "w") as f:
    f.write("SECRET-OUTSIDE\n")
os.symlink(os.path.join(outside, "secret.txt"), os.path.join(share, "escape"))
os.mkfifo(os.path.join(share, "fifo"))
big_md5 = hashlib.md5(big).hexdigest()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=share, **k)

    def log_message(self, *a):
        pass


httpd = socketserver.TCPServer(("127.0.0.1", 0), Quiet)
port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()

g = Guest(kairo, images, work, ["-vmport", "share=share:%s" % share,
                                "-vmport", "share=ro:%s:ro" % ro])
H = "/mnt/mnt/hgfs"
R = "/mnt/mnt/ro"


def timed(cmd, timeout=300):
    t = time.monotonic()
    out, rc = g.run(cmd, timeout)
    return out, rc, time.monotonic() - t


try:
    g.boot(check)
    out, rc = g.run("insmod /mnt/lib/modules/fuse.ko; mkdir -p /mnt/mnt/ro; "
                    "chroot /mnt /usr/bin/vmhgfs-fuse .host:/share /mnt/hgfs && "
                    "chroot /mnt /usr/bin/vmhgfs-fuse .host:/ro /mnt/ro")
    check(rc == 0, "vmhgfs-fuse mounts .host:/share and .host:/ro (rc %d)" % rc)
    out, rc = g.run("ls %s" % H)
    names = sorted(out.split())
    check(names == ["big.bin", "hello.txt", "sub"],
          "listing matches the host, without the symlink and the FIFO: %s" % names)
    out, rc = g.run("cat %s/hello.txt" % H)
    check("hello from the host" in out, "a small file reads back")
    out, rc = g.run("md5sum %s/big.bin" % H)
    check(big_md5 in out, "16 MiB read: the checksum matches (%s)" % out.split()[:1])
    g.run("echo 3 > /proc/sys/vm/drop_caches")
    out, rc, t_read = timed("dd if=%s/big.bin of=/dev/null bs=64k" % H)

    out, rc = g.run("dd if=/dev/urandom of=/tmp/w.bin bs=1M count=16 2>/dev/null; "
                    "md5sum /tmp/w.bin")
    guest_md5 = out.split()[0] if out.split() else "?"
    out, rc, t_write = timed("cp /tmp/w.bin %s/w.bin && sync" % H)
    with open(os.path.join(share, "w.bin"), "rb") as f:
        host_md5 = hashlib.md5(f.read()).hexdigest()
    check(rc == 0 and host_md5 == guest_md5, "16 MiB write: the host's checksum matches")

    out, rc = g.run("mkdir %s/newdir && mv %s/w.bin %s/newdir/moved.bin && rm %s/hello.txt "
                    "&& rmdir %s/sub" % (H, H, H, H, H))
    check(rc == 0, "mkdir, rename, rm, rmdir in the guest (rc %d)" % rc)
    check(os.path.isfile(os.path.join(share, "newdir", "moved.bin")) and
          not os.path.exists(os.path.join(share, "hello.txt")) and
          not os.path.exists(os.path.join(share, "sub")), "... and the host sees each change")

    out, rc = g.run("cat %s/keep.txt" % R)
    check("read-only" in out, "the read-only share reads")
    _, rc1 = g.run("echo x > %s/new.txt" % R)
    _, rc2 = g.run("rm -f %s/keep.txt" % R)
    _, rc3 = g.run("mkdir %s/d" % R)
    check(rc1 and rc2 and rc3 and sorted(os.listdir(ro)) == ["keep.txt"],
          "the read-only share refuses create, delete and mkdir (%d %d %d)" % (rc1, rc2, rc3))
    out, rc = g.run("cat %s/escape" % H)
    check(rc != 0 and "SECRET" not in out, "a symlink pointing outside the share is refused")
    out, rc = g.run("cat %s/fifo" % H, 30)
    check(rc != 0, "a FIFO in the share is refused")
    log = g.log()
    check("hgfs read" in log and "hgfs write" in log, "-d hostcall shows the HGFS requests")

    # Bench: the same 16 MiB over the NE2000 and user networking.
    out, rc = g.run("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && "
                    "route add default gw 10.0.2.2")
    out, rc, t_net = timed("wget -q -O /tmp/n.bin http://10.0.2.2:%d/big.bin" % port)
    out, rc = g.run("md5sum /tmp/n.bin")
    mb = 16.0
    print("bench: HGFS read %.2f MB/s, HGFS write %.2f MB/s, NE2000 user-net download %s"
          % (mb / t_read, mb / t_write,
             "%.2f MB/s" % (mb / t_net) if big_md5 in out else "failed (%r)" % out[-80:]),
          flush=True)
    g.run("umount /mnt/mnt/hgfs; umount /mnt/mnt/ro")
except Exception as ex:  # noqa: BLE001
    check(False, "exception: %s" % ex)
finally:
    g.close()
    httpd.shutdown()
check.exit("hgfs_guest")
