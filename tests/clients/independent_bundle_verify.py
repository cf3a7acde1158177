#!/usr/bin/env python3
"""Independent verifier of cairn verification bundles, written from
docs/export.md ("Verification bundle") with the standard library and the
openssl command (for Ed25519). Usage:

    independent_bundle_verify.py BUNDLE PUBKEY.pem

Prints "ok STREAM RECORDS HEADPOS HEADHASH" per stream and exits 0, or
prints "FAIL reason" and exits 1.
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

MAGIC = b"cairn-bundle-v1\x00"


def record_hash(stream, position, prev, record):
    s = stream.encode()
    h = hashlib.sha256()
    h.update(b"cairn-ledger-v1\x00")
    h.update(struct.pack(">Q", position))
    h.update(struct.pack(">I", len(s)) + s)
    h.update(prev)
    h.update(struct.pack(">I", len(record)) + record)
    return h.digest()


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    data = open(sys.argv[1], "rb").read()
    pub_pem = sys.argv[2]
    if data[:16] != MAGIC:
        fail("bad magic")
    off = 16
    frames = []
    while off < len(data):
        if off + 5 > len(data):
            fail("cut short")
        tag = data[off:off + 1]
        (n,) = struct.unpack(">I", data[off + 1:off + 5])
        payload = data[off + 5:off + 5 + n]
        if len(payload) != n:
            fail("cut short")
        frames.append((off, tag, payload))
        off += 5 + n
    if not frames or frames[0][1] != b"B" or frames[-1][1] != b"G":
        fail("frame order")
    out = []
    stream = None
    for (foff, tag, p) in frames[1:-1]:
        if tag == b"S":
            if stream is not None:
                fail("nested stream")
            stream, count, last_pos, last_hash = p.decode(), 0, 0, b"\x00" * 32
        elif tag == b"R":
            (pos,) = struct.unpack(">Q", p[:8])
            prev, h, rec = p[8:40], p[40:72], p[72:]
            if pos != last_pos + 1:
                fail("gap at %s %d" % (stream, last_pos + 1))
            if prev != last_hash:
                fail("broken link at %s %d" % (stream, pos))
            if record_hash(stream, pos, prev, rec) != h:
                fail("hash mismatch at %s %d" % (stream, pos))
            count, last_pos, last_hash = count + 1, pos, h
        elif tag == b"H":
            (pos,) = struct.unpack(">Q", p[:8])
            if pos != last_pos or p[8:] != last_hash:
                fail("head mismatch in %s" % stream)
            out.append("ok %s %d %d %s" % (stream, count, pos, last_hash.hex()))
            stream = None
        else:
            fail("unexpected frame %r" % tag)
    goff, _, g = frames[-1]
    if len(g) != 96:
        fail("signature frame size")
    label = b"cairn-bundle-v1-signature".ljust(32, b"\x00")
    message = label + hashlib.sha256(data[:goff]).digest()
    with tempfile.TemporaryDirectory() as d:
        m, s = os.path.join(d, "msg"), os.path.join(d, "sig")
        open(m, "wb").write(message)
        open(s, "wb").write(g[32:])
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub_pem,
                            "-rawin", "-in", m, "-sigfile", s],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            fail("bad signature")
    for line in out:
        print(line)


if __name__ == "__main__":
    main()
