#!/usr/bin/env python3
"""Verifies one stream of a cairn ledger in a SQLite or PostgreSQL database.

Written only from docs/ledger-format.md ("Tables", "The hash of a record",
"Record contents", "Verification", "The state snapshot", "Fault names") and
docs/verification.md ("What an anchor says"), with the Python standard library
alone, so that it shares no code with cairn's own verifier. The record check
(step 4) decodes records with the small protobuf wire-format reader below,
which takes the field numbers and types of cairn.v1.Event from
proto/cairn/v1/events.proto, as the docs say.

Usage: independent_verify.py [--expect-head POS:HASH] [--proto EVENTS_PROTO]
                             DATABASE STREAM

DATABASE is a SQLite file, read with the sqlite3 module, or a
postgres:// or postgresql:// URL, read with the psql program.

Prints "ok N HEADHEX" (N events; HEADHEX the hex of the last event's hash, or
of 32 zero bytes for an empty stream) and exits 0, or prints
"bad POSITION FAULT" for the first failing position and exits 1. FAULT is one
of the fault names of docs/ledger-format.md: "gap", "broken link",
"hash mismatch", "record mismatch", "snapshot ahead", "snapshot mismatch",
"truncated" or "anchor mismatch". Exits 2 when it cannot check at all.

The snapshot check is the one the docs give for a verifier that does not
implement cairn's replay rules: it checks the snapshot's position and the
envelope of its state (replay version, stream, position, head hash), which
catches every change to the ledger up to the snapshot's position.
"""

import argparse
import hashlib
import pathlib
import re
import sqlite3
import struct
import subprocess
import sys

DOMAIN = b"cairn-ledger-v1\x00"  # 15 ASCII bytes and one zero byte
GENESIS = bytes(32)
REPLAY_VERSION = 4  # docs/ledger-format.md, "The state snapshot"
DEFAULT_PROTO = pathlib.Path(__file__).resolve().parents[2] / "proto/cairn/v1/events.proto"
MASK64 = (1 << 64) - 1


def record_hash(stream: bytes, position: int, prev_hash: bytes, record: bytes) -> bytes:
    return hashlib.sha256(
        DOMAIN
        + struct.pack(">Q", position & MASK64)
        + struct.pack(">I", len(stream))
        + stream
        + prev_hash
        + struct.pack(">I", len(record))
        + record
    ).digest()


def signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


# Column values, read as docs/ledger-format.md, "Reading the columns", says.
def as_bytes(value) -> bytes:
    """BLOB and TEXT values as their bytes; anything else is empty."""
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else b""


def as_text(value) -> bytes:
    """TEXT and BLOB as their bytes, numbers in decimal, NULL empty."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, bool) or value is None:
        return b""
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return repr(value).encode()
    return b""


def as_int(value, kind: str) -> int:
    """INTEGER as is, REAL truncated, TEXT's leading decimal integer, else 0.
    `kind` is SQLite's typeof() of the value."""
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind == "integer":
        return value
    if kind == "real":
        return int(value)
    if kind == "text":
        m = re.match(rb"-?[0-9]+", bytes(value))
        if m is None:
            return 0
        n = int(m.group(0))
        return n if -(1 << 63) <= n < (1 << 63) else 0
    return 0


# ---------------------------------------------------------------------------
# The schema: message name -> {field number: (field name, type, oneof name)}.

SCALARS = {
    "int32": 0, "int64": 0, "uint32": 0, "uint64": 0, "sint32": 0, "sint64": 0,
    "bool": 0, "fixed64": 1, "sfixed64": 1, "double": 1, "fixed32": 5,
    "sfixed32": 5, "float": 5, "string": 2, "bytes": 2,
}
TIMESTAMP = "google.protobuf.Timestamp"


def load_schema(path: pathlib.Path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
    tokens = re.findall(r'"[^"]*"|[A-Za-z_][A-Za-z0-9_.]*|-?[0-9]+|\S', text)
    messages = {TIMESTAMP: {1: ("seconds", "int64", None), 2: ("nanos", "int32", None)}}
    enums = set()
    stack = []  # ("message", name) or ("oneof", name) or ("enum", name) or ("other", "")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("message", "enum", "oneof") and i + 2 < len(tokens) and tokens[i + 2] == "{":
            name = tokens[i + 1]
            stack.append((tok, name))
            if tok == "message":
                messages[name] = {}
            elif tok == "enum":
                enums.add(name)
            i += 3
        elif tok == "}":
            stack.pop()
            i += 1
        elif tok == "{":
            stack.append(("other", ""))
            i += 1
        elif not stack or stack[-1][0] in ("enum", "other"):
            i += 1  # syntax, package, import, option, enum values
        elif tok in ("option", "reserved", "extensions"):
            while tokens[i] != ";":
                i += 1
            i += 1
        else:
            j = i + 1 if tok in ("repeated", "optional") else i
            ftype, fname, eq, fnum = tokens[j : j + 4]
            if eq != "=":
                raise ValueError(f"{path}: cannot read the field at '{' '.join(tokens[i:i + 5])}'")
            message = next(n for k, n in reversed(stack) if k == "message")
            oneof = stack[-1][1] if stack[-1][0] == "oneof" else None
            messages[message][int(fnum)] = (fname, ftype, oneof)
            while tokens[i] != ";":
                i += 1
            i += 1
    schema = {}
    for name, fields in messages.items():
        schema[name] = {}
        for num, (fname, ftype, oneof) in fields.items():
            if ftype in SCALARS:
                kind = ftype
            elif ftype in enums or ftype.split(".")[-1] in enums:
                kind = "enum"
            elif ftype in messages:
                kind = ftype
            elif ftype.split(".")[-1] in messages:
                kind = ftype.split(".")[-1]
            else:
                raise ValueError(f"{path}: unknown type {ftype} of {name}.{fname}")
            schema[name][num] = (fname, kind, oneof)
    return schema


# ---------------------------------------------------------------------------
# Protobuf wire format, as docs/ledger-format.md, "Decoding a record", says.

class DecodeError(Exception):
    pass


RECURSION_LIMIT = 100


def read_varint(buf: bytes, i: int, end: int, max_bytes: int):
    value = shift = 0
    for _ in range(max_bytes):
        if i >= end:
            raise DecodeError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i
    raise DecodeError("varint too long")


def read_length(buf: bytes, i: int, end: int):
    size, i = read_varint(buf, i, end, 5)
    if size >= 1 << 31 or size > end - i:
        raise DecodeError("length past the end")
    return size, i


def read_fixed(buf: bytes, i: int, end: int, wire: int):
    n = 8 if wire == 1 else 4
    if end - i < n:
        raise DecodeError("truncated fixed field")
    return buf[i : i + n], i + n


def wire_type_of(kind: str) -> int:
    if kind in SCALARS:
        return SCALARS[kind]
    return 0 if kind == "enum" else 2


def parse(schema, message: str, buf: bytes, i: int, end: int, depth: int, group: int = 0):
    """Parses fields up to `end` (or, for a group, up to its end tag). Returns
    the list of (field number, value) of the known fields with their own wire
    type, in order, and the index after the last byte read."""
    fields = schema.get(message, {}) if message else {}
    out = []
    while i < end:
        tag, i = read_varint(buf, i, end, 5)
        tag &= 0xFFFFFFFF
        number, wire = tag >> 3, tag & 7
        if wire == 4:
            if group and number == group:
                return out, i
            raise DecodeError("unexpected end-group tag")
        if number == 0:
            raise DecodeError("field number 0")
        known = fields.get(number)
        if known is not None and wire == wire_type_of(known[1]):
            kind = known[1]
            if wire == 0:
                value, i = read_varint(buf, i, end, 10)
            elif wire == 1 or wire == 5:
                value, i = read_fixed(buf, i, end, wire)
            else:
                size, i = read_length(buf, i, end)
                value, i = buf[i : i + size], i + size
                if kind == "string":
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        raise DecodeError("string field is not UTF-8") from None
                elif kind != "bytes":
                    if depth - 1 < 0:
                        raise DecodeError("nested too deeply")
                    value, _ = parse(schema, kind, value, 0, len(value), depth - 1)
            out.append((number, value))
            continue
        # An unknown field, or a known one with another wire type: skipped.
        if wire == 0:
            _, i = read_varint(buf, i, end, 10)
        elif wire == 1 or wire == 5:
            _, i = read_fixed(buf, i, end, wire)
        elif wire == 2:
            size, i = read_length(buf, i, end)
            i += size
        elif wire == 3:
            if depth - 1 < 0:
                raise DecodeError("nested too deeply")
            _, i = parse(schema, "", buf, i, end, depth - 1, group=number)
        else:
            raise DecodeError(f"wire type {wire}")
    if group:
        raise DecodeError("group without its end tag")
    return out, i


def decode_event(schema, record: bytes):
    """The record's envelope as docs/ledger-format.md, "Record contents", lists
    it; raises DecodeError when the record does not decode."""
    fields, _ = parse(schema, "Event", record, 0, len(record), RECURSION_LIMIT)
    event = {"stream": b"", "position": 0, "event_id": b"", "prev_hash": b"", "hash": b"",
             "seconds": 0, "nanos": 0, "body": ""}
    names = schema["Event"]
    for number, value in fields:
        name, _, oneof = names[number]
        if name in ("stream", "event_id", "prev_hash", "hash"):
            event[name] = value
        elif name == "position":
            event["position"] = signed(value, 64)
        elif name == "recorded_at":  # embedded messages merge
            for n, v in value:
                if n == 1:
                    event["seconds"] = signed(v, 64)
                elif n == 2:
                    event["nanos"] = signed(v, 32)
        if oneof == "body":
            event["body"] = name
    nanos = event["nanos"]
    micros = event["seconds"] * 1000000 + (nanos // 1000 if nanos >= 0 else -(-nanos // 1000))
    event["recorded_at"] = signed(micros, 64)
    return event


def decode_snapshot_envelope(state: bytes):
    """Fields 1-4 of a cairn.v1.StateSnapshot; raises DecodeError when the
    bytes are not well-formed protobuf."""
    schema = {"Snapshot": {1: ("replay_version", "int64", None), 2: ("stream", "bytes", None),
                           3: ("position", "int64", None), 4: ("head_hash", "bytes", None)}}
    fields, _ = parse(schema, "Snapshot", state, 0, len(state), RECURSION_LIMIT)
    out = {"replay_version": 0, "stream": b"", "position": 0, "head_hash": b""}
    for number, value in fields:
        name = schema["Snapshot"][number][0]
        out[name] = signed(value, 64) if isinstance(value, int) else value
    return out


# ---------------------------------------------------------------------------

class SqliteLedger:
    """Rows of a SQLite file, read as "Reading the columns" says."""

    def __init__(self, path: pathlib.Path):
        # Read-only: a verifier must never create or change anything.
        self.conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        self.conn.text_factory = bytes  # TEXT values as stored, not decoded

    def close(self):
        self.conn.close()

    def ledger_rows(self, stream: str):
        """(stream, position, event_id, event_type, recorded_at, record,
        prev_hash, hash) of the stream's rows with position > 0, in order."""
        for row in self.conn.execute(
            "SELECT stream, position, typeof(position), event_id, event_type, recorded_at, "
            "typeof(recorded_at), record, prev_hash, hash FROM cairn_ledger "
            "WHERE stream = ? AND position > 0 ORDER BY position",
            (stream,),
        ):
            yield (as_text(row[0]), as_int(row[1], row[2]), as_text(row[3]), as_text(row[4]),
                   as_int(row[5], row[6]), as_bytes(row[7]), as_bytes(row[8]), as_bytes(row[9]))

    def snapshot_row(self, stream: str):
        """(position, replay, state) of the stream's snapshot, or None."""
        found = self.conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            ("cairn_state_snapshot",),
        ).fetchone()[0]
        if not found:
            return None
        row = self.conn.execute(
            "SELECT position, typeof(position), replay, typeof(replay), state "
            "FROM cairn_state_snapshot WHERE stream = ?",
            (stream,),
        ).fetchone()
        if row is None:
            return None
        return as_int(row[0], row[1]), as_int(row[2], row[3]), as_bytes(row[4])


class PostgresLedger:
    """Rows of a PostgreSQL database, read with psql (the column types leave
    nothing to convert). The stream is passed as a psql variable, which psql
    quotes; every value comes back as hex or a decimal integer."""

    def __init__(self, url: str):
        self.url = url

    def close(self):
        pass

    def query(self, sql: str, stream: str):
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "stream=" + stream,
             "-d", self.url, "-f", "-"],
            input=sql, capture_output=True, text=True, check=False,
        )
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip() or f"psql exited with {r.returncode}")
        return [line.split("|") for line in r.stdout.splitlines() if line]

    def ledger_rows(self, stream: str):
        text = "encode(convert_to({}, 'UTF8'), 'hex')"
        for row in self.query(
            "SELECT " + text.format("stream") + ", position, " + text.format("event_id") + ", "
            + text.format("event_type") + ", recorded_at, encode(record, 'hex'), "
            "encode(prev_hash, 'hex'), encode(hash, 'hex') FROM cairn_ledger "
            "WHERE stream = :'stream' AND position > 0 ORDER BY position;", stream):
            yield (bytes.fromhex(row[0]), int(row[1]), bytes.fromhex(row[2]),
                   bytes.fromhex(row[3]), int(row[4]), bytes.fromhex(row[5]),
                   bytes.fromhex(row[6]), bytes.fromhex(row[7]))

    def snapshot_row(self, stream: str):
        found = self.query(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relname = 'cairn_state_snapshot' "
            "AND n.nspname = current_schema();", stream)
        if int(found[0][0]) == 0:
            return None
        rows = self.query("SELECT position, replay, encode(state, 'hex') "
                          "FROM cairn_state_snapshot WHERE stream = :'stream';", stream)
        if not rows:
            return None
        return int(rows[0][0]), int(rows[0][1]), bytes.fromhex(rows[0][2])


def verify_chain(db, schema, stream: str):
    """Steps 1-5 of "Verification": ("bad", position, fault) or
    ("ok", count, head position, head hash, {position: hash})."""
    head_position, head = 0, GENESIS
    hashes = {}
    for (row_stream, position, event_id, event_type, recorded_at, record, prev_hash,
         stored_hash) in db.ledger_rows(stream):
        # Step 1: positions 1, 2, 3, ... with no gap and no repeat.
        expected = head_position + 1
        if position != expected:
            return ("bad", expected, "gap")
        # Step 2: prev_hash is the previous row's hash (zeros for the first).
        if prev_hash != head:
            return ("bad", position, "broken link")
        # Step 3: the stored hash is the hash of this row.
        computed = record_hash(row_stream, position, head, record)
        if stored_hash != computed:
            return ("bad", position, "hash mismatch")
        # Step 4: the record decodes and agrees with the columns.
        try:
            e = decode_event(schema, record)
        except DecodeError:
            return ("bad", position, "record mismatch")
        if (e["stream"] != row_stream or e["position"] != position
                or e["event_id"] != event_id or e["prev_hash"] != head
                or e["hash"] != b"" or e["body"].encode() != event_type
                or e["recorded_at"] != recorded_at):
            return ("bad", position, "record mismatch")
        head_position, head = position, computed
        hashes[position] = computed
    return ("ok", head_position, head_position, head, hashes)


def check_snapshot(db, stream: str, head_position: int, hashes):
    """"The state snapshot": None, or ("bad", position, fault)."""
    row = db.snapshot_row(stream)
    if row is None:
        return None
    position, replay, state = row
    if replay != REPLAY_VERSION:
        return None  # built by other replay rules: not checked
    if position < 1:
        return ("bad", 1, "snapshot mismatch")
    if position > head_position:
        return ("bad", head_position + 1, "snapshot ahead")
    try:
        env = decode_snapshot_envelope(state)
    except DecodeError:
        return ("bad", position, "snapshot mismatch")
    if (env["replay_version"] != REPLAY_VERSION or env["stream"] != stream.encode()
            or env["position"] != position or env["head_hash"] != hashes[position]):
        return ("bad", position, "snapshot mismatch")
    return None


def check_anchor(anchor, head_position: int, hashes):
    """docs/verification.md, "What an anchor says": None, or ("bad", position, fault)."""
    position, expected_hash = anchor
    if head_position < position:
        return ("bad", head_position + 1, "truncated")
    found = hashes[position] if position > 0 else GENESIS
    if found != expected_hash:
        return ("bad", position, "anchor mismatch")
    return None


def verify(db, schema, stream: str, anchor):
    chain = verify_chain(db, schema, stream)
    if chain[0] == "bad":
        return chain
    _, count, head_position, head, hashes = chain
    bad = check_snapshot(db, stream, head_position, hashes)
    if bad is None and anchor is not None:
        bad = check_anchor(anchor, head_position, hashes)
    return bad or ("ok", count, head.hex())


def parse_expect_head(text: str):
    m = re.fullmatch(r"(0|[1-9][0-9]*):([0-9a-fA-F]{64})", text)
    if m is None:
        raise ValueError(f"--expect-head wants POS:HASH, got '{text}'")
    return int(m.group(1)), bytes.fromhex(m.group(2))


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="independent_verify.py")
    parser.add_argument("--expect-head", metavar="POS:HASH")
    parser.add_argument("--proto", default=str(DEFAULT_PROTO), metavar="EVENTS_PROTO")
    parser.add_argument("db_path")
    parser.add_argument("stream")
    args = parser.parse_args(argv[1:])
    try:
        anchor = parse_expect_head(args.expect_head) if args.expect_head else None
        schema = load_schema(pathlib.Path(args.proto))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        if re.match(r"postgres(ql)?://", args.db_path):
            db = PostgresLedger(args.db_path)
        else:
            path = pathlib.Path(args.db_path)
            if not path.is_file():
                print(f"error: {args.db_path}: no such file", file=sys.stderr)
                return 2
            db = SqliteLedger(path)
        try:
            result = verify(db, schema, args.stream, anchor)
        finally:
            db.close()
    except (sqlite3.Error, RuntimeError, OSError) as e:
        print(f"error: {args.db_path}: {e}", file=sys.stderr)
        return 2
    print(" ".join(str(x) for x in result))
    return 0 if result[0] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
