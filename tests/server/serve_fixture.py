"""Starts `strata serve` for a test and always stops it; raw wire-protocol helpers.

Used by the real-client tests (pymongo, Node.js driver, mongosh) and the hostile-input test.
The server binds 127.0.0.1 on a free port (--port 0, read back through --port-file), in a fresh
temporary data directory; stop() sends SIGTERM, expects a clean exit ("database closed
cleanly"), and kills the process if it does not exit in time.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import bson


class Server:
    def __init__(self, strata, *extra_args, data_dir=None):
        self.strata = strata
        self.extra_args = list(extra_args)
        self.tmp = tempfile.mkdtemp(prefix="strata-serve-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.proc = None
        self.port = None

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.strata, "serve", "--db", self.data_dir, "--port", "0",
             "--port-file", self.port_file] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("strata serve exited at start:\n" + self.log_text())
            if os.path.exists(self.port_file):
                self.port = int(open(self.port_file).read().strip())
                return self
            time.sleep(0.05)
        raise RuntimeError("strata serve did not start listening in 30 s:\n" + self.log_text())

    def log_text(self):
        try:
            return open(self.log_path, "rb").read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL: the process dies without any shutdown."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        self.proc = None

    def stop(self, expect_clean=True, sig=signal.SIGTERM):
        """SIGTERM (or `sig`), wait, kill if needed. Returns the exit code."""
        if self.proc is None:
            return None
        code = self.proc.poll()
        if code is None:
            self.proc.send_signal(sig)
            try:
                code = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("strata serve did not exit within 20 s of SIGTERM")
        self.log.close()
        self.proc = None
        if expect_clean:
            text = self.log_text()
            assert code == 0, "strata serve exited with %s:\n%s" % (code, text[-3000:])
            assert "database closed cleanly" in text, text[-3000:]
        return code

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if self.proc is not None:
                # On a failing test, still stop; a clean exit is asserted only on success.
                self.stop(expect_clean=exc[0] is None)
        finally:
            if exc[0] is not None:
                sys.stderr.write("---- server log ----\n" + self.log_text()[-5000:] + "\n")
            self.cleanup()
        return False


# ---- raw wire protocol ----

OP_REPLY, OP_QUERY, OP_COMPRESSED, OP_MSG = 1, 2004, 2012, 2013


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def op_msg(command, request_id=1, flags=0, sequences=(), checksum=False):
    body = struct.pack("<I", flags | (1 if checksum else 0)) + b"\x00" + bson.BSON.encode(command)
    for identifier, docs in sequences:
        payload = identifier.encode() + b"\x00" + b"".join(bson.BSON.encode(d) for d in docs)
        body += b"\x01" + struct.pack("<i", 4 + len(payload)) + payload
    length = 16 + len(body) + (4 if checksum else 0)
    message = struct.pack("<iiii", length, request_id, 0, OP_MSG) + body
    if checksum:
        message += struct.pack("<I", crc32c(message))
    return message


def op_query(collection, query, request_id=1):
    body = (struct.pack("<i", 0) + collection.encode() + b"\x00" + struct.pack("<ii", 0, -1) +
            bson.BSON.encode(query))
    return struct.pack("<iiii", 16 + len(body), request_id, 0, OP_QUERY) + body


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_reply(sock):
    """Returns (opcode, flags, document, raw message)."""
    header = recv_exact(sock, 16)
    length, _, _, opcode = struct.unpack("<iiii", header)
    rest = recv_exact(sock, length - 16)
    raw = header + rest
    if opcode == OP_MSG:
        flags = struct.unpack("<I", rest[:4])[0]
        assert rest[4] == 0, "reply section kind %d" % rest[4]
        doc_len = struct.unpack("<i", rest[5:9])[0]
        doc = bson.BSON(rest[5:5 + doc_len]).decode()
        return opcode, flags, doc, raw
    if opcode == OP_REPLY:
        doc = bson.BSON(rest[20:]).decode()
        return opcode, 0, doc, raw
    raise AssertionError("unexpected reply opcode %d" % opcode)


def command(sock, cmd, **kwargs):
    sock.sendall(op_msg(cmd, **kwargs))
    return read_reply(sock)[2]


def is_closed(sock, timeout=10):
    """True when the server closed the connection (EOF or reset) within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
