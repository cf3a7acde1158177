#!/usr/bin/env python3
"""A Ledger service client in Python, from code generated from the proto.

Usage: python_client.py ADDRESS TOKEN STREAM

Lists the streams, reads STREAM's history page by page and checks every
record's hash as docs/ledger-format.md specifies, subscribes from the start
until CaughtUp, and prints a JSON summary on stdout. Exits non-zero on any
disagreement.
"""
import hashlib
import json
import struct
import sys

import grpc

from cairn.v1 import ledger_service_pb2 as pb
from cairn.v1 import ledger_service_pb2_grpc as pb_grpc


def record_hash(stream, position, prev_hash, record):
    s = stream.encode("utf-8")
    data = (b"cairn-ledger-v1\x00" + struct.pack(">Q", position) + struct.pack(">I", len(s)) + s
            + prev_hash + struct.pack(">I", len(record)) + record)
    return hashlib.sha256(data).digest()


def main():
    address, token, stream = sys.argv[1:4]
    metadata = [("authorization", "Bearer " + token)]
    stub = pb_grpc.LedgerStub(grpc.insecure_channel(address))

    streams = stub.ListStreams(pb.ListStreamsRequest(), metadata=metadata, timeout=30)
    heads = {s.stream: s.head_position for s in streams.streams}

    history = []
    request = pb.ReadStreamRequest(stream=stream, limit=2)
    while True:
        page = stub.ReadStream(request, metadata=metadata, timeout=30)
        history.extend(page.records)
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    prev = bytes(32)
    for r in history:
        if r.prev_hash != prev or record_hash(r.stream, r.position, r.prev_hash, r.record) != r.hash:
            print("bad hash at position %d" % r.position, file=sys.stderr)
            return 1
        prev = r.hash

    subscribed = []
    call = stub.Subscribe(pb.SubscribeRequest(stream=stream, from_start=True), metadata=metadata,
                          timeout=30)
    for item in call:
        kind = item.WhichOneof("item")
        if kind == "record":
            subscribed.append(item.record.position)
        elif kind == "caught_up":
            call.cancel()
            break

    try:
        stub.ReadStream(pb.ReadStreamRequest(stream=stream), timeout=30)
        unauthenticated = "no error"
    except grpc.RpcError as e:
        unauthenticated = e.code().name

    print(json.dumps({
        "streams": heads,
        "history": [r.position for r in history],
        "types": [r.event.WhichOneof("body") for r in history],
        "subscribed": subscribed,
        "without_token": unauthenticated,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
