#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (Fuzz/Sources/fuzz-*) from the captured client requests in
Tests/*/Fixtures, so nothing is copied into Fuzz/: usage fuzz-seeds.py OUT_DIR. Bodies compressed with zstd
are decompressed with the zstd command (installed by scripts/bootstrap.sh test)."""
import gzip
import json
import os
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
fixtures = root / "Tests" / "KelpieAppTests" / "Fixtures"
out = pathlib.Path(sys.argv[1])


def fixture(name):
    return (fixtures / f"{name}.body").read_bytes()


def headers(name):
    return json.loads((fixtures / f"{name}.headers.json").read_text())


def unzstd(data):
    return subprocess.run(["zstd", "-d", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def write(target, name, data):
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def chunked(body, size=1000):
    pieces = [b"%x;ext=1\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(pieces) + b"0\r\nTrailer-Field: x\r\n\r\n"


def request(name):
    """The captured request as it crossed the wire: head from headers.json, then the body."""
    meta = headers(name)
    body = fixture(name)
    lines = [f"{meta['method']} {meta['path']} {meta.get('http_version', 'HTTP/1.1')}"]
    for field, value in meta["headers"]:
        if field.lower() in ("content-length", "transfer-encoding"):
            continue
        lines.append(f"{field}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


captured = sorted(p.name[:-len(".body")] for p in fixtures.glob("*.body"))
json_bodies = {
    "libhoney-py-batch": gzip.decompress(fixture("libhoney-py-batch")),
    "libhoney-py-batch-nogzip": fixture("libhoney-py-batch-nogzip"),
    "libhoney-go-batch-json-nocompress": fixture("libhoney-go-batch-json-nocompress"),
    "libhoney-go-batch-dataset-escaped": fixture("libhoney-go-batch-dataset-escaped"),
    "honeycomb-events-single-synthetic": fixture("honeycomb-events-single-synthetic"),
}

# HTTP/1.1: every captured request, a pipelined pair, and a chunked upload.
pipelined = b""
for name in captured:
    wire = request(name)
    write("fuzz-http1-parser", name, wire)
    write("fuzz-http1-parser-split", name, bytes([len(name) % 256]) + wire)
    pipelined += wire if len(pipelined) < 8192 else b""
chunked_request = (b"POST /1/batch/x HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
                   + chunked(json_bodies["libhoney-py-batch-nogzip"]))
for target, prefix in (("fuzz-http1-parser", b""), ("fuzz-http1-parser-split", b"\x07")):
    write(target, "pipelined", prefix + pipelined)
    write(target, "chunked", prefix + chunked_request)

# Chunked bodies (the head is fixed in the harness).
for name, body in json_bodies.items():
    write("fuzz-chunked-body", name, chunked(body, 97 + len(name)))

# Content decoding: selector byte 0 identity, 1 gzip, 2 zstd.
write("fuzz-content-decoding", "gzip-libhoney-py", b"\x01" + fixture("libhoney-py-batch"))
write("fuzz-content-decoding", "gzip-otel-traces", b"\x01" + fixture("otel-py-traces-protobuf-gzip"))
write("fuzz-content-decoding", "zstd-json", b"\x02" + fixture("libhoney-go-batch-json-zstd"))
write("fuzz-content-decoding", "zstd-msgpack", b"\x02" + fixture("libhoney-go-batch-msgpack-zstd"))
write("fuzz-content-decoding", "identity", b"\x00" + json_bodies["libhoney-py-batch-nogzip"])

for name, body in json_bodies.items():
    write("fuzz-json-batch", name, body)
write("fuzz-json-batch", "zstd-decoded", unzstd(fixture("libhoney-go-batch-json-zstd")))

write("fuzz-msgpack-batch", "libhoney-go-msgpack", unzstd(fixture("libhoney-go-batch-msgpack-zstd")))

# OTLP: selector byte 0 traces, 1 logs, 2 metrics (OTLPSignal.allCases order).
for index, signal in enumerate(("traces", "logs", "metrics")):
    write("fuzz-otlp-protobuf", signal, bytes([index]) + fixture(f"otel-py-{signal}-protobuf"))
    write("fuzz-otlp-json", signal, bytes([index]) + fixture(f"otel-py-{signal}-json-synthetic"))
write("fuzz-otlp-protobuf", "traces-gzip-decoded", b"\x00" + gzip.decompress(fixture("otel-py-traces-protobuf-gzip")))

# Key files: the documented YAML example and its JSON twin.
write("fuzz-key-file", "documented.yaml", b"""keys:
  - key: 0123456789abcdef0123456789abcdef
    id: classic-1
    team: {name: Acme Corp, slug: acme}
  - key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    id: FL_xMM5LapLC
    type: ingest
    team: {name: Acme Corp, slug: acme}
    environment: {name: Production, slug: production}
    events: true
    datasets: ["*"]
    create_datasets: true
""")
write("fuzz-key-file", "documented.json", json.dumps({"keys": [
    {"key": "0123456789abcdef0123456789abcdef", "id": "classic-1", "team": {"name": "Acme Corp", "slug": "acme"}},
    {"key_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "id": "FL_xMM5LapLC",
     "type": "configuration", "environment": {"name": "Production"}, "events": False, "datasets": ["a", "B"]},
]}).encode())
