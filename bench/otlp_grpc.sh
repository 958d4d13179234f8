#!/usr/bin/env bash
# OTLP/gRPC beside OTLP/HTTP on one Kelpie, driven by h2load (Debian nghttp2-client) with the same export
# (512 spans, protobuf) both ways: HTTP/1.1 POST /v1/traces, and the gRPC TraceService/Export over h2c, once
# with one stream per connection (the same concurrency as HTTP/1.1) and once multiplexed (few connections,
# several streams each, as a Collector sends). Spans/s come from Kelpie's own accepted-events counter, CPU from
# /proc/PID/stat, so refusals and gRPC error statuses (HTTP 200 too) never count as throughput.
#
# Standalone (`bash bench/otlp_grpc.sh OUT.json`) or called by bench/run.sh. Environment: KELPIE_BIN,
# KELPIE_LOAD_BIN (default release builds), GRPC_BENCH_DURATION (6, seconds per row), GRPC_BENCH_CONNECTIONS
# (16), GRPC_BENCH_MUX ("2x8": connections x streams). Kelpie runs with --ack memory --sink null, so the rows
# compare the protocols' cost, not the disk's. Every process it starts is stopped by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: otlp_grpc.sh OUT.json}
KELPIE=${KELPIE_BIN:-$ROOT/.build/release/kelpie}
LOAD=${KELPIE_LOAD_BIN:-$ROOT/.build/release/kelpie-load}
DURATION=${GRPC_BENCH_DURATION:-6}
CONNECTIONS=${GRPC_BENCH_CONNECTIONS:-16}
MUX=${GRPC_BENCH_MUX:-2x8}
SPANS=512
KEY=hcaik_01hzbenchgrpc0000000000000000000000000000000000000000000000
WORK=$(mktemp -d /tmp/kelpie-grpc-bench.XXXXXX)
K_PID=""

cleanup() {
  if [ -n "$K_PID" ] && kill -0 "$K_PID" 2>/dev/null; then
    kill -TERM "$K_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$K_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$K_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in h2load "$KELPIE" "$LOAD"; do
  command -v "$tool" > /dev/null || { echo "otlp_grpc.sh: $tool not found (make bench installs nghttp2-client)" >&2; exit 1; }
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
KELPIE_DRAIN_DELAY=0s KELPIE_LOG_LEVEL=warning "$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --ack memory --sink null > "$WORK/kelpie.log" 2>&1 &
K_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
  kill -0 "$K_PID" 2>/dev/null || { echo "kelpie exited: $(tail -c 300 "$WORK/kelpie.log")" >&2; exit 1; }
  sleep 0.05
done

"$LOAD" body --payload otlp-traces --batch-size "$SPANS" --event-bytes 368 --out "$WORK/export.pb" > /dev/null
python3 - "$WORK/export.pb" "$WORK/export.grpc" <<'PY'
import struct, sys
body = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"\0" + struct.pack(">I", len(body)) + body)  # gRPC length-prefixed message
PY

accepted() {
  curl -fsS --max-time 5 "http://127.0.0.1:$PORT/metrics" | python3 -c '
import sys
print(int(sum(float(l.rsplit(None, 1)[1]) for l in sys.stdin if l.startswith("kelpie_ingest_events_accepted_total{") and "otlp_traces" in l)))'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$K_PID/stat"; }
TICKS_PER_SECOND=$(getconf CLK_TCK)

ROWS=()
row() {  # row NAME PROTOCOL CONNECTIONS STREAMS h2load-args...
  local name=$1 protocol=$2 conns=$3 streams=$4; shift 4
  local before_events before_cpu started ended after_events after_cpu
  before_events=$(accepted); before_cpu=$(cpu_ticks); started=$(date +%s.%N)
  timeout $((DURATION + 30)) h2load -c "$conns" -m "$streams" -D "$DURATION" "$@" > "$WORK/$name.txt" 2>&1 || true
  ended=$(date +%s.%N); after_events=$(accepted); after_cpu=$(cpu_ticks)
  ROWS+=("$(python3 - "$name" "$protocol" "$conns" "$streams" "$before_events" "$after_events" "$before_cpu" "$after_cpu" \
    "$started" "$ended" "$TICKS_PER_SECOND" "$SPANS" "$WORK/$name.txt" <<'PY'
import json, re, sys
name, protocol, conns, streams, e0, e1, c0, c1, t0, t1, hz, spans, log = sys.argv[1:]
text = open(log).read()
m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
events, seconds, cpu = int(e1) - int(e0), float(t1) - float(t0), (int(c1) - int(c0)) / float(hz)
print(json.dumps({
    "row": name, "protocol": protocol, "connections": int(conns), "streams_per_connection": int(streams),
    "spans_per_request": int(spans), "seconds": round(seconds, 3), "spans_accepted": events,
    "spans_per_second": round(events / seconds, 1), "kelpie_cpu_seconds": round(cpu, 3),
    "kelpie_cpu_us_per_span": round(cpu * 1e6 / events, 3) if events else None,
    "h2load_requests_done": int(m.group(3)) if m else None,
    # gRPC refusals are HTTP 200 too: what Kelpie accepted is the count that matters.
    "requests_accepted": events // int(spans),
    "h2load_requests_failed": (int(m.group(5)) + int(m.group(6))) if m else None,
}))
PY
)")
  echo "${ROWS[-1]}" >&2
}

HEADERS=(-H "x-honeycomb-team: $KEY")
row otlp-http "HTTP/1.1" "$CONNECTIONS" 1 --h1 -d "$WORK/export.pb" "${HEADERS[@]}" \
  -H "content-type: application/x-protobuf" "http://127.0.0.1:$PORT/v1/traces"
GRPC_URL="http://127.0.0.1:$PORT/opentelemetry.proto.collector.trace.v1.TraceService/Export"
row otlp-grpc "gRPC (h2c)" "$CONNECTIONS" 1 -d "$WORK/export.grpc" "${HEADERS[@]}" \
  -H "content-type: application/grpc" -H "te: trailers" "$GRPC_URL"
row otlp-grpc-mux "gRPC (h2c)" "${MUX%x*}" "${MUX#*x}" -d "$WORK/export.grpc" "${HEADERS[@]}" \
  -H "content-type: application/grpc" -H "te: trailers" "$GRPC_URL"

python3 -c 'import json, sys; json.dump([json.loads(r) for r in sys.argv[2:]], open(sys.argv[1], "w"), indent=1)' "$OUT" "${ROWS[@]}"
