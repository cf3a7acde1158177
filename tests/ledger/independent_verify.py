#!/usr/bin/env python3
"""Verifies one stream of a cairn ledger in a SQLite database.

Written only from docs/ledger-format.md ("Tables", "The hash of a record",
"Verification" steps 1-3 and 5), with the Python standard library alone, so
that it shares no code and no assumptions with cairn's own verifier. It does
not decode records (step 4 is for verifiers that decode protobuf).

Usage: independent_verify.py DB_PATH STREAM

Prints "ok N HEADHEX" (N events; HEADHEX the hex of the last event's hash, or
of 32 zero bytes for an empty stream) and exits 0, or prints
"bad POSITION REASON" for the first failing position and exits 1. REASON is
"gap", "broken link" or "hash mismatch". Exits 2 when it cannot check at all.
"""

import hashlib
import pathlib
import sqlite3
import struct
import sys

DOMAIN = b"cairn-ledger-v1\x00"  # 15 ASCII bytes and one zero byte
GENESIS = bytes(32)


def record_hash(stream: str, position: int, prev_hash: bytes, record: bytes) -> bytes:
    s = stream.encode("utf-8")
    return hashlib.sha256(
        DOMAIN
        + struct.pack(">Q", position)
        + struct.pack(">I", len(s))
        + s
        + prev_hash
        + struct.pack(">I", len(record))
        + record
    ).digest()


def as_bytes(value) -> bytes:
    """BLOB columns come back as bytes; anything else is not a valid hash or record."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return b""  # never equal to a 32-byte hash


def verify(conn: sqlite3.Connection, stream: str):
    rows = conn.execute(
        "SELECT stream, position, prev_hash, hash, record FROM cairn_ledger "
        "WHERE stream = ? ORDER BY position",
        (stream,),
    )
    expected = 1
    head = GENESIS
    count = 0
    for row_stream, position, prev_hash, stored_hash, record in rows:
        # Step 1: positions 1, 2, 3, ... with no gap and no repeat.
        if not isinstance(position, int) or position != expected:
            return ("bad", expected, "gap")
        # Step 2: prev_hash is the previous row's hash (zeros for the first).
        if as_bytes(prev_hash) != head:
            return ("bad", position, "broken link")
        # Step 3: the stored hash is the hash of this row.
        computed = record_hash(row_stream, position, head, as_bytes(record))
        if as_bytes(stored_hash) != computed:
            return ("bad", position, "hash mismatch")
        head = computed
        expected += 1
        count += 1
    return ("ok", count, head.hex())


def main(argv) -> int:
    if len(argv) != 3:
        print("usage: independent_verify.py DB_PATH STREAM", file=sys.stderr)
        return 2
    db_path, stream = argv[1], argv[2]
    path = pathlib.Path(db_path)
    if not path.is_file():
        print(f"error: {db_path}: no such file", file=sys.stderr)
        return 2
    try:
        # Read-only: a verifier must never create or change anything.
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            result = verify(conn, stream)
        finally:
            conn.close()
    except sqlite3.Error as e:
        print(f"error: {db_path}: {e}", file=sys.stderr)
        return 2
    print(" ".join(str(x) for x in result))
    return 0 if result[0] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
