"""The wire protocol byte by byte against a running `strata serve`: what drivers rely on, then
hostile input (bad lengths, truncated and stalled frames, huge claimed sizes, deep nesting,
garbage opcodes, compression bombs, random bytes). Each hostile frame must close that one
connection (with a log line) or get an error reply, and the server must keep serving.

  /usr/bin/python3 wire_test.py STRATA_BINARY
"""
import os
import random
import socket
import struct
import sys
import time
import zlib

import bson

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_fixture import (OP_COMPRESSED, OP_MSG, OP_QUERY, OP_REPLY, Server, command,  # noqa
                           connect, crc32c, is_closed, op_msg, op_query, read_reply)

STRATA = sys.argv[1]
FRAME_TIMEOUT_MS = 800
MAX_CONNECTIONS = 12
checks = []


def check(name):
    checks.append(name)
    print("  ok:", name, flush=True)


def ping_ok(port):
    s = connect(port)
    try:
        return command(s, {"ping": 1, "$db": "admin"})["ok"] == 1
    finally:
        s.close()


def header(length, opcode, request_id=7):
    return struct.pack("<iiii", length, request_id, 0, opcode)


def nested(depth):
    doc = {"leaf": 1}
    for _ in range(depth):
        doc = {"a": doc}
    return doc


def raw_nested_bytes(depth):
    # Built by hand: bson.encode would recurse too deep for Python at large depths.
    inner = b"\x10x\x00\x01\x00\x00\x00\x00"  # {x: 1}
    inner = struct.pack("<i", len(inner) + 4) + inner
    for _ in range(depth):
        body = b"\x03a\x00" + inner + b"\x00"
        inner = struct.pack("<i", len(body) + 4) + body
    return inner


def msg_with_body(body_bytes, flags=0):
    payload = struct.pack("<I", flags) + b"\x00" + body_bytes
    return header(16 + len(payload), OP_MSG) + payload


def compressed(message, compressor_id, data=None, claimed=None):
    original_op = struct.unpack("<i", message[12:16])[0]
    body = message[16:]
    if data is None:
        data = zlib.compress(body) if compressor_id == 2 else body
    payload = struct.pack("<ii", original_op, len(body) if claimed is None else claimed) + \
        bytes([compressor_id]) + data
    request_id = struct.unpack("<i", message[4:8])[0]
    return header(16 + len(payload), OP_COMPRESSED, request_id) + payload


def expect_closed(port, frame, name, send_all=True):
    s = connect(port)
    try:
        if send_all:
            s.sendall(frame)
        assert is_closed(s, timeout=10), name + ": the connection stayed open"
    finally:
        s.close()
    assert ping_ok(port), name + ": the server stopped answering"
    check("closed: " + name)


def expect_error(port, frame, name, code=None):
    s = connect(port)
    try:
        s.sendall(frame)
        _, _, reply, _ = read_reply(s)
        assert reply["ok"] == 0, (name, reply)
        if code is not None:
            assert reply["code"] == code, (name, reply)
        # The connection stays usable after an error reply.
        assert command(s, {"ping": 1, "$db": "admin"})["ok"] == 1, name
    finally:
        s.close()
    check("error reply (%s): %s" % (reply.get("codeName"), name))


def protocol(port):
    s = connect(port)
    # OP_QUERY handshake → OP_REPLY.
    s.sendall(op_query("admin.$cmd", {"isMaster": 1, "client": {"application": {"name": "t"}}},
                       request_id=41))
    opcode, _, reply, raw = read_reply(s)
    assert opcode == OP_REPLY and reply["ismaster"] is True, reply
    assert struct.unpack("<i", raw[8:12])[0] == 41  # responseTo
    check("OP_QUERY isMaster answered with OP_REPLY")
    s.sendall(op_query("admin.$cmd", {"$query": {"hello": 1}, "$readPreference": {"mode": "primary"}}))
    assert read_reply(s)[2]["isWritablePrimary"] is True
    check("OP_QUERY {$query: {hello: 1}} unwrapped")

    # OP_MSG with a checksum: the reply carries a valid CRC-32C.
    s.sendall(op_msg({"ping": 1, "$db": "admin"}, checksum=True, request_id=42))
    opcode, flags, reply, raw = read_reply(s)
    assert reply["ok"] == 1 and flags & 1, flags
    assert struct.unpack("<I", raw[-4:])[0] == crc32c(raw[:-4])
    check("OP_MSG checksum verified and returned")

    # Kind 1 document sequences merged into the command.
    r = command(s, {"insert": "seq", "$db": "wire"},
                sequences=[("documents", [{"_id": i, "v": i} for i in range(5)])])
    assert r["ok"] == 1 and r["n"] == 5, r
    r = command(s, {"update": "seq", "$db": "wire"},
                sequences=[("updates", [{"q": {"_id": 1}, "u": {"$set": {"v": 100}}}])])
    assert r["nModified"] == 1, r
    check("OP_MSG document sequences (insert documents, update updates)")

    # moreToCome: no reply; the next reply answers the next request.
    s.sendall(op_msg({"insert": "seq", "documents": [{"_id": 99}], "$db": "wire",
                      "writeConcern": {"w": 0}}, flags=2, request_id=50))
    s.sendall(op_msg({"find": "seq", "filter": {"_id": 99}, "$db": "wire"}, request_id=51))
    _, _, reply, raw = read_reply(s)
    assert struct.unpack("<i", raw[8:12])[0] == 51, "a moreToCome message was answered"
    assert reply["cursor"]["firstBatch"] == [{"_id": 99}], reply
    check("OP_MSG moreToCome: applied, not answered")

    # OP_COMPRESSED request → reply compressed with the same compressor.
    for cid, name in ((2, "zlib"), (3, "zstd"), (1, "snappy")):
        plain = op_msg({"find": "seq", "filter": {"_id": 1}, "$db": "wire"}, request_id=60 + cid)
        if cid == 3:
            import zstandard
            frame = compressed(plain, 3, data=zstandard.ZstdCompressor().compress(plain[16:]))
        elif cid == 1:
            import snappy
            frame = compressed(plain, 1, data=snappy.compress(plain[16:]))
        else:
            frame = compressed(plain, 2)
        s.sendall(frame)
        hdr = s.recv(16, socket.MSG_WAITALL)
        length, _, response_to, opcode = struct.unpack("<iiii", hdr)
        rest = s.recv(length - 16, socket.MSG_WAITALL)
        assert opcode == OP_COMPRESSED and response_to == 60 + cid, opcode
        orig, size, used = struct.unpack("<iiB", rest[:9])
        assert orig == OP_MSG and used == cid, (orig, used)
        if cid == 2:
            inner = zlib.decompress(rest[9:])
        elif cid == 3:
            inner = zstandard.ZstdDecompressor().decompress(rest[9:], max_output_size=size)
        else:
            inner = snappy.uncompress(rest[9:])
        assert len(inner) == size
        doc = bson.BSON(inner[5:]).decode()
        assert doc["cursor"]["firstBatch"] == [{"_id": 1, "v": 100}], doc
        check("OP_COMPRESSED %s request, %s reply" % (name, name))
    s.close()

    # Missing $db, OP_QUERY for a non-handshake command: errors, not crashes.
    expect_error(port, op_msg({"ping": 1}), "OP_MSG without $db", code=40571)
    expect_error(port, op_query("wire.$cmd", {"find": "seq"}), "OP_QUERY find",
                 code=352)
    expect_error(port, op_query("wire.seq", {"x": 1}), "OP_QUERY on a collection", code=352)


def hostile(port):
    expect_closed(port, header(4, OP_MSG), "message length 4 (below the header)")
    expect_closed(port, header(-20, OP_MSG), "negative message length")
    expect_closed(port, header(1 << 30, OP_MSG) + b"\x00" * 64,
                  "claimed length 1 GiB (over 48,000,000)")
    expect_closed(port, header(48_000_001, OP_MSG), "claimed length 48,000,001")
    expect_closed(port, header(40, 9999) + b"\x00" * 24, "garbage opcode 9999")
    expect_closed(port, header(40, 2010) + b"\x00" * 24, "removed opcode OP_COMMAND")
    expect_closed(port, header(16, OP_MSG), "OP_MSG without flag bits")
    expect_closed(port, msg_with_body(b"")[:-1] + b"", "OP_MSG without a body section")
    good = bson.BSON.encode({"ping": 1, "$db": "admin"})
    lying = struct.pack("<i", 5000) + good[4:]
    expect_closed(port, msg_with_body(lying), "body document claims more than the message")
    expect_closed(port, msg_with_body(struct.pack("<i", 3) + good[4:]),
                  "body document length 3")
    expect_closed(port, msg_with_body(good, flags=1 << 5), "unknown required flag bit 5")
    bad_crc = op_msg({"ping": 1, "$db": "admin"}, checksum=True)
    bad_crc = bad_crc[:-4] + struct.pack("<I", (struct.unpack("<I", bad_crc[-4:])[0] ^ 1))
    expect_closed(port, bad_crc, "wrong CRC-32C")
    seq = struct.pack("<I", 0) + b"\x00" + good + b"\x01" + struct.pack("<i", 1 << 20) + b"documents\x00"
    expect_closed(port, header(16 + len(seq), OP_MSG) + seq, "document sequence size past the end")
    seq = struct.pack("<I", 0) + b"\x00" + good + b"\x01" + struct.pack("<i", 14) + b"documents\x00\x00"
    expect_closed(port, header(16 + len(seq), OP_MSG) + seq, "truncated document in a sequence")
    seq = struct.pack("<I", 0) + b"\x00" + good + b"\x07" + b"\x00" * 8
    expect_closed(port, header(16 + len(seq), OP_MSG) + seq, "section kind 7")
    two = struct.pack("<I", 0) + b"\x00" + good + b"\x00" + good
    expect_closed(port, header(16 + len(two), OP_MSG) + two, "two body sections")
    ping = op_msg({"ping": 1, "$db": "admin"})
    expect_closed(port, compressed(ping, 9), "OP_COMPRESSED with compressor id 9")
    expect_closed(port, compressed(ping, 2, claimed=-1), "OP_COMPRESSED negative size")
    expect_closed(port, compressed(ping, 2, claimed=2_000_000_000), "OP_COMPRESSED 2 GB claimed")
    bomb = zlib.compress(b"\x00" * (20 << 20))
    expect_closed(port, compressed(ping, 2, data=bomb, claimed=len(ping) - 16),
                  "zlib bomb (20 MiB of zeros claiming %d bytes)" % (len(ping) - 16))
    expect_closed(port, compressed(ping, 2, data=b"not zlib at all"), "invalid zlib data")
    expect_closed(port, compressed(ping, 3, data=b"\x28\xb5\x2f\xfd garbage"), "invalid zstd data")
    inner_compressed = compressed(ping, 0)
    expect_closed(port, compressed(inner_compressed, 0), "OP_COMPRESSED inside OP_COMPRESSED")
    expect_closed(port, op_query("admin.$cmd", {"hello": 1})[:-3], "truncated OP_QUERY")

    # Stalled partial frames are closed after the frame timeout; idle connections are not.
    t0 = time.time()
    s = connect(port)
    s.sendall(header(100, OP_MSG) + b"\x00" * 10)
    assert is_closed(s, timeout=10), "a stalled partial frame was kept"
    waited = time.time() - t0
    assert waited >= FRAME_TIMEOUT_MS / 1000 * 0.9, waited
    s.close()
    s = connect(port)
    s.sendall(b"\x20\x00\x00")
    assert is_closed(s, timeout=10), "a stalled partial header was kept"
    s.close()
    check("closed: stalled partial frame and partial header after ~%d ms" % FRAME_TIMEOUT_MS)
    idle = connect(port)
    time.sleep(FRAME_TIMEOUT_MS / 1000 * 2)
    assert command(idle, {"ping": 1, "$db": "admin"})["ok"] == 1
    idle.close()
    check("idle connection kept past the frame timeout")

    # Well framed but invalid commands: error replies on a connection that stays open.
    expect_error(port, msg_with_body(bson.BSON.encode(dict(nested(150), **{"$db": "admin"}))),
                 "150 levels of nesting")
    deep = raw_nested_bytes(100_000)
    body = b"\x03ping\x00" + deep + b"\x02$db\x00" + struct.pack("<i", 6) + b"admin\x00"
    doc = struct.pack("<i", len(body) + 5) + body + b"\x00"
    expect_error(port, msg_with_body(doc), "100,000 levels of nesting (%d bytes)" % len(doc))
    big = bson.BSON.encode({"insert": "big", "documents": [{"s": "x" * (17 << 20)}], "$db": "wire"})
    expect_error(port, msg_with_body(big), "17 MiB document", code=10334)
    bad_utf8 = bson.BSON.encode({"insert": "u", "documents": [{"s": "AAAA"}], "$db": "wire"})
    bad_utf8 = bad_utf8.replace(b"AAAA", b"\xff\xfe\xc0\x80")
    expect_error(port, msg_with_body(bad_utf8), "invalid UTF-8 in a string")
    dup = bson.BSON.encode({"insert": "d", "$db": "wire", "documents": []})
    seq = struct.pack("<I", 0) + b"\x00" + dup
    item = bson.BSON.encode({"_id": 1})
    payload = b"documents\x00" + item
    seq += b"\x01" + struct.pack("<i", 4 + len(payload)) + payload
    expect_error(port, header(16 + len(seq), OP_MSG) + seq, "sequence repeats a body field")

    # Random garbage: every frame is closed or answered; the server keeps serving.
    rng = random.Random(1234)
    for i in range(300):
        kind = rng.randrange(4)
        if kind == 0:
            frame = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        elif kind == 1:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
            frame = header(16 + len(body), rng.choice([OP_MSG, OP_QUERY, OP_COMPRESSED])) + body
        else:
            frame = bytearray(op_msg({"find": "seq", "filter": {"a": {"$gt": i}}, "$db": "wire"}))
            for _ in range(rng.randrange(1, 6)):
                frame[rng.randrange(16, len(frame))] = rng.randrange(256)
            frame = bytes(frame)
        s = connect(port)
        s.sendall(frame)
        s.settimeout(0.1)  # an answer or a close, or a stalled frame the client abandons
        try:
            s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
    assert ping_ok(port)
    check("300 random and mutated frames; the server still answers")

    # --max-connections: one more than allowed is closed at once. The server may still be
    # timing out stalled frames of the random connections above (they count until it closes
    # them), so first wait until MAX_CONNECTIONS connections are all served.
    deadline = time.time() + 10 + FRAME_TIMEOUT_MS / 1000.0
    while True:
        held = [connect(port) for _ in range(MAX_CONNECTIONS)]
        try:
            if all(command(h, {"ping": 1, "$db": "admin"})["ok"] == 1 for h in held):
                break
        except (ConnectionError, OSError):
            pass
        for h in held:
            h.close()
        assert time.time() < deadline, "the earlier connections were never released"
        time.sleep(0.1)
    extra = connect(port)
    assert is_closed(extra, timeout=10), "a connection over --max-connections was served"
    extra.close()
    for h in held:
        h.close()
    deadline = time.time() + 10
    while True:
        try:
            if ping_ok(port):
                break
        except (ConnectionError, OSError, AssertionError):
            pass
        assert time.time() < deadline, "no connection accepted after the others closed"
        time.sleep(0.05)
    check("--max-connections %d: the next connection is refused, later ones served" %
          MAX_CONNECTIONS)


def main():
    with Server(STRATA, "--frame-timeout-ms", str(FRAME_TIMEOUT_MS),
                "--max-connections", str(MAX_CONNECTIONS)) as server:
        protocol(server.port)
        hostile(server.port)
        assert server.alive()
        log = server.log_text()
        for needle in ("unsupported opcode 9999", "checksum mismatch",
                       "timed out waiting for the rest of a message", "refused"):
            assert needle in log, "no log line for: " + needle
        check("each hostile close has its log line")
    print("wire protocol: %d passed, 0 failed" % len(checks))


if __name__ == "__main__":
    main()
