# SPDX-License-Identifier: MIT
"""A QMP client of our own (QEMU's JSON machine protocol): connect, read
the greeting, negotiate, run commands, collect events; and the "shape" of
a message (its keys and value types, recursively) for comparing kairo's
replies with QEMU's."""
import json
import socket
import time


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QmpError("cannot connect to " + path)
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        self.log = []
        self.greeting = self.read()
        self.next_id = 1

    def read(self):
        """One message (a JSON object)."""
        dec = json.JSONDecoder()
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    obj, end = dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    self.log.append(("<", obj))
                    return obj
                except ValueError:
                    pass
            data = self.sock.recv(65536)
            if not data:
                raise QmpError("connection closed")
            self.buf += data

    def send_raw(self, data):
        self.log.append((">", data))
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def command(self, name, **args):
        """The reply to a command (events that arrive first are kept)."""
        msg = {"execute": name, "id": self.next_id}
        self.next_id += 1
        if args:
            msg["arguments"] = args
        self.send_raw(json.dumps(msg))
        while True:
            obj = self.read()
            if "event" in obj:
                self.events.append(obj)
                continue
            return obj

    def cmd(self, name, **args):
        """A command's return value; QmpError if it failed."""
        r = self.command(name, **args)
        if "error" in r:
            raise QmpError("%s: %s" % (name, r["error"]))
        return r["return"]

    def event(self, name, timeout=30.0):
        """Wait for an event (one already received counts)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError("no %s event within %.0f s" % (name, timeout))
            self.sock.settimeout(left)
            try:
                obj = self.read()
            except socket.timeout:
                continue
            finally:
                self.sock.settimeout(30.0)
            if "event" in obj:
                self.events.append(obj)

    def close(self):
        self.sock.close()


def shape(v):
    """Keys and value types, recursively; lists by their first element."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "str"
    return "null"
