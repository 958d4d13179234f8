#!/usr/bin/env bash
# The real client SDKs against a running kelpie: libhoney-py (gzip and plain JSON batches) and the
# OpenTelemetry Python SDK (traces, logs, metrics over the OTLP/HTTP protobuf exporters and over the OTLP/gRPC
# exporters, each with and without gzip; gRPC once as h2c on the main port, once on the --grpc-listen port).
# Every response must be a success; then kelpie is stopped with SIGTERM and its spool is checked event by event
# (tests/sdk/check_spool.py), and the gRPC runs' events must equal the HTTP runs'. Then the Python snippets of
# docs/sdks.md run as written against a second kelpie (only the address replaced), and `kelpie spool cat
# --dataset` must find what they sent. The grpc part starts a third kelpie (key file with a rate-limited key,
# small queue) for a raw grpcio client that checks each gRPC status mapping (tests/sdk/grpc_status.py).
# Usage: tests/sdk.sh [all|libhoney|otel|docs|grpc]
#
# The SDKs live in a virtualenv made once under .build-venv/sdk (pinned versions below; PyPI must be
# reachable the first time, and the script fails loudly when it is not; KELPIE_SDK_VENV puts it elsewhere).
# Server binary: .build/debug/kelpie or KELPIE_BIN. Self-contained: temp dir, free port, the server stopped by PID on every exit path.
# Ends with "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KELPIE=${KELPIE_BIN:-$ROOT/.build/debug/kelpie}
PART=${1:-all}
VENV=${KELPIE_SDK_VENV:-$ROOT/.build-venv/sdk}
LIBHONEY_VERSION=2.4.0
OTEL_VERSION=1.45.2
PIP_TIMEOUT_SECONDS=150
SENDER_TIMEOUT_SECONDS=60
KEY=hcaik_01hzsdktestkey00000000000000000000000000000000000000000000  # shape of a 64-character ingest (environment) key
LIBHONEY_EVENTS=250
WORK=$(mktemp -d /tmp/kelpie-sdk-test.XXXXXX)
PASSED=0
FAILED=0
SERVER_PID=""

case "$PART" in
  all|libhoney|otel|docs|grpc) ;;
  *) echo "usage: $0 [all|libhoney|otel|docs|grpc]" >&2; exit 2 ;;
esac

stop_server() {  # SIGTERM, bounded wait, then SIGKILL; sets SERVER_RC
  SERVER_RC=""
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_RC=$?
  SERVER_PID=""
}
cleanup() { stop_server; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
finish() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ]; exit $?; }

# Runs a Python helper that prints "ok   - ..." / "FAIL - ..." lines; counts them, and counts a crash,
# a timeout or silence as a failure too (with the tail of its stderr).
run_checks() {
  local name=$1; shift
  local out=$WORK/$name.out err=$WORK/$name.err rc
  timeout "$SENDER_TIMEOUT_SECONDS" "$@" > "$out" 2> "$err"
  rc=$?
  cat "$out"
  PASSED=$((PASSED + $(grep -c '^ok ' "$out")))
  FAILED=$((FAILED + $(grep -c '^FAIL' "$out")))
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$out"; then
    fail "$name exits 0 (rc=$rc$([ "$rc" -eq 124 ] && echo ', timed out')): $(tail -c 600 "$err")"
  elif ! grep -q '^\(ok \|FAIL\)' "$out"; then
    fail "$name reported nothing: $(tail -c 600 "$err")"
  fi
}

# MARK: virtualenv (made once; a stamp file records what was asked for, a lock serialises parallel runs)

ensure_venv() {
  local stamp_wanted="libhoney==$LIBHONEY_VERSION otel==$OTEL_VERSION otel-grpc $(python3 -c 'import sys; print(sys.version.split()[0])')"
  mkdir -p "$(dirname "$VENV")"
  exec 9> "$VENV.lock"
  flock -w 300 9 || { fail "virtualenv lock $VENV.lock"; return 1; }
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.kelpie-stamp" 2>/dev/null)" = "$stamp_wanted" ]; then
    flock -u 9
    return 0
  fi
  echo "# creating $VENV (once)"
  local started=$SECONDS log=$WORK/pip.log
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" > "$log" 2>&1; then
    fail "python3 -m venv $VENV: $(tail -c 400 "$log")"; flock -u 9; return 1
  fi
  local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --timeout 15 --retries 2 --quiet)
  if ! timeout "$PIP_TIMEOUT_SECONDS" "${pip[@]}" "libhoney==$LIBHONEY_VERSION" \
      "opentelemetry-sdk==$OTEL_VERSION" "opentelemetry-exporter-otlp-proto-http==$OTEL_VERSION" \
      "opentelemetry-exporter-otlp-proto-grpc==$OTEL_VERSION" >> "$log" 2>&1; then
    echo "# OpenTelemetry $OTEL_VERSION did not install; trying the newest release"
    if ! timeout "$PIP_TIMEOUT_SECONDS" "${pip[@]}" "libhoney==$LIBHONEY_VERSION" \
        opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-exporter-otlp-proto-grpc >> "$log" 2>&1; then
      fail "pip install of libhoney and the OpenTelemetry SDK into $VENV (is PyPI reachable?):
$(tail -n 4 "$log")"
      rm -rf "$VENV"; flock -u 9; return 1
    fi
  fi
  echo "$stamp_wanted" > "$VENV/.kelpie-stamp"
  echo "# virtualenv ready in $((SECONDS - started)) s"
  flock -u 9
}

if ensure_venv; then
  versions=$("$VENV/bin/python" -c '
from importlib.metadata import version
print(", ".join(f"{name} {version(name)}" for name in
    ("libhoney", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http",
     "opentelemetry-exporter-otlp-proto-grpc", "grpcio", "protobuf", "requests")))' 2>&1)
  pass "SDK virtualenv: $versions"
else
  finish
fi
PY=$VENV/bin/python

# MARK: server

if [ ! -x "$KELPIE" ]; then
  fail "server binary $KELPIE exists (swift build first, or set KELPIE_BIN)"
  finish
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# start_server DATA_DIR [serve options...]: starts kelpie on a free port; sets SERVER_PID and PORT; false when
# not ready.
start_server() {
  PORT=$(free_port)
  local data=$1; shift
  mkdir -p "$data"
  KELPIE_LOG_LEVEL=warning "$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$data" --drain-delay 0s "$@" \
    > "$WORK/kelpie-$(basename "$data").log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

DATA=$WORK/data
GRPC_PORT=$(free_port)
if [ "$PART" != docs ] && [ "$PART" != grpc ]; then
if ! start_server "$DATA" --grpc-listen "127.0.0.1:$GRPC_PORT"; then
  fail "kelpie serve becomes ready on 127.0.0.1:$PORT (log: $(tail -c 400 "$WORK/kelpie-data.log"))"
  finish
fi
pass "kelpie serve ready on 127.0.0.1:$PORT"

# MARK: senders

LIBHONEY_EXPECTED=()
OTEL_EXPECTED=()
GRPC_EXPECTED=()
if [ "$PART" = all ] || [ "$PART" = libhoney ]; then
  for mode in gzip plain; do
    dataset=sdk-libhoney; [ "$mode" = plain ] && dataset=sdk-libhoney-nogzip
    run_checks "libhoney-$mode" "$PY" "$ROOT/tests/sdk/libhoney_send.py" --api-host "http://127.0.0.1:$PORT" \
      --key "$KEY" --dataset "$dataset" --mode "$mode" --count "$LIBHONEY_EVENTS" --out "$WORK/libhoney-$mode.json"
    [ -s "$WORK/libhoney-$mode.json" ] && LIBHONEY_EXPECTED+=("$WORK/libhoney-$mode.json")
  done
fi
if [ "$PART" = all ] || [ "$PART" = otel ]; then
  for compression in gzip none; do
    run_checks "otel-$compression" "$PY" "$ROOT/tests/sdk/otel_send.py" --endpoint "http://127.0.0.1:$PORT" \
      --key "$KEY" --run "otel-$compression" --service-name sdk-otel --compression "$compression" \
      --metrics-dataset sdk-otel-metrics --out "$WORK/otel-$compression.json"
    [ -s "$WORK/otel-$compression.json" ] && OTEL_EXPECTED+=("$WORK/otel-$compression.json")
  done
  # The same telemetry over OTLP/gRPC: gzip as h2c on the main port, uncompressed on the --grpc-listen port.
  for compression in gzip none; do
    grpc_port=$PORT; [ "$compression" = none ] && grpc_port=$GRPC_PORT
    run_checks "otel-grpc-$compression" "$PY" "$ROOT/tests/sdk/otel_send.py" --protocol grpc \
      --endpoint "http://127.0.0.1:$grpc_port" --key "$KEY" --run "otel-grpc-$compression" --service-name sdk-otel \
      --compression "$compression" --metrics-dataset sdk-otel-metrics --out "$WORK/otel-grpc-$compression.json"
    [ -s "$WORK/otel-grpc-$compression.json" ] && GRPC_EXPECTED+=("$WORK/otel-grpc-$compression.json")
  done
fi

# MARK: stop, then read the spool

stop_server
if [ "$SERVER_RC" -eq 0 ]; then pass "kelpie exits 0 on SIGTERM"; else fail "kelpie exits 0 on SIGTERM (rc=$SERVER_RC): $(tail -c 400 "$WORK/kelpie-data.log")"; fi
if timeout 30 "$KELPIE" spool cat --data-dir "$DATA" > "$WORK/spool.jsonl" 2> "$WORK/spool.err"; then
  pass "kelpie spool cat: $(wc -l < "$WORK/spool.jsonl") events"
else
  fail "kelpie spool cat --data-dir $DATA: $(tail -c 400 "$WORK/spool.err")"
fi
if [ "${#LIBHONEY_EXPECTED[@]}" -gt 0 ]; then
  run_checks check-libhoney "$PY" "$ROOT/tests/sdk/check_spool.py" "$WORK/spool.jsonl" libhoney "${LIBHONEY_EXPECTED[@]}"
fi
if [ "${#OTEL_EXPECTED[@]}" -gt 0 ] || [ "${#GRPC_EXPECTED[@]}" -gt 0 ]; then
  run_checks check-otel "$PY" "$ROOT/tests/sdk/check_spool.py" "$WORK/spool.jsonl" otel "${OTEL_EXPECTED[@]}" "${GRPC_EXPECTED[@]}"
fi
if [ "${#OTEL_EXPECTED[@]}" -eq 2 ] && [ "${#GRPC_EXPECTED[@]}" -eq 2 ]; then
  run_checks check-grpc-equal "$PY" "$ROOT/tests/sdk/check_spool.py" "$WORK/spool.jsonl" same-events \
    "$WORK/otel-gzip.json" "$WORK/otel-grpc-gzip.json" "$WORK/otel-none.json" "$WORK/otel-grpc-none.json"
fi
fi  # PART != docs, grpc

# MARK: docs/sdks.md's Python snippets, as written, against a kelpie of their own

# snippet NAME: the marked snippet of docs/sdks.md with the test server's address, into $WORK/NAME.
snippet() {
  "$PY" "$ROOT/tests/sdk/docs_snippets.py" "$ROOT/docs/sdks.md" "$1" "http://127.0.0.1:$PORT" > "$WORK/$1" 2> "$WORK/$1.err" \
    || { fail "docs/sdks.md has the snippet $1: $(cat "$WORK/$1.err")"; return 1; }
}
# ran NAME CMD...: runs a snippet with a deadline; it must exit 0 and print no traceback.
ran() {
  local name=$1; shift
  if timeout "$SENDER_TIMEOUT_SECONDS" "$@" > "$WORK/$name.out" 2>&1 && ! grep -q Traceback "$WORK/$name.out"; then
    pass "docs/sdks.md $name runs as written"
  else
    fail "docs/sdks.md $name runs as written: $(tail -c 600 "$WORK/$name.out")"
  fi
}
# spooled DATASET PATTERN WHAT: `kelpie spool cat --dataset` finds exactly one event matching PATTERN.
spooled() {
  local found
  found=$(timeout 30 "$KELPIE" spool cat --data-dir "$DOCS_DATA" --dataset "$1" 2>&1 | grep -c -- "$2")
  if [ "$found" = 1 ]; then pass "$3 is in the spool (kelpie spool cat --dataset $1)"
  else fail "$3 is in the spool once (kelpie spool cat --dataset $1 | grep '$2': $found): $(timeout 30 "$KELPIE" spool cat --data-dir "$DOCS_DATA" 2>&1 | tail -c 600)"; fi
}

if [ "$PART" = all ] || [ "$PART" = docs ]; then
  DOCS_DATA=$WORK/docs-data
  if ! start_server "$DOCS_DATA"; then
    fail "a second kelpie serve becomes ready (log: $(tail -c 400 "$WORK/kelpie-docs-data.log"))"
    finish
  fi
  if snippet libhoney-py; then
    ran libhoney-py "$PY" "$WORK/libhoney-py"
  fi
  if snippet otel-env && snippet otel-py; then
    # The documented export lines (address replaced) are the snippet's whole OpenTelemetry configuration.
    mapfile -t otel_env < "$WORK/otel-env"
    ran otel-py env "${otel_env[@]}" "$PY" "$WORK/otel-py"
  fi
  stop_server
  [ "$SERVER_RC" -eq 0 ] || fail "the docs kelpie exits 0 on SIGTERM (rc=$SERVER_RC)"
  # libhoney-py serialises with Python's ", " and ": " separators; Kelpie stores data byte for byte.
  spooled my-dataset '"data":{"service.name": *"checkout", *"duration_ms": *12.5}' "libhoney-py's event"
  spooled checkout '"name":"POST /checkout"' "the OpenTelemetry span"
fi

# MARK: gRPC status mapping, against a kelpie with a key file and a queue small enough to overflow

if [ "$PART" = all ] || [ "$PART" = grpc ]; then
  UNKNOWN_KEY=hcaik_01hzsdkunknownkey000000000000000000000000000000000000000000
  NARROW_KEY=hcaik_01hzsdknarrowkey0000000000000000000000000000000000000000000
  LIMITED_KEY=hcaik_01hzsdklimitedkey000000000000000000000000000000000000000000
  cat > "$WORK/keys.yaml" <<KEYS
keys:
  - key: $KEY
    id: sdk-wide
  - key: $NARROW_KEY
    id: sdk-narrow
    datasets: [narrow-only]
  - key: $LIMITED_KEY
    id: sdk-limited
    rate_limit: {events_per_second: 1, burst: 3}
KEYS
  if start_server "$WORK/status-data" --keys "$WORK/keys.yaml" --ack durable --max-queue-bytes 2MiB \
      --max-decoded-bytes 2MiB; then
    run_checks grpc-status "$PY" "$ROOT/tests/sdk/grpc_status.py" --target "127.0.0.1:$PORT" \
      --key "$KEY" --unknown-key "$UNKNOWN_KEY" --narrow-key "$NARROW_KEY" --limited-key "$LIMITED_KEY"
    stop_server
    [ "$SERVER_RC" -eq 0 ] || fail "the status-check kelpie exits 0 on SIGTERM (rc=$SERVER_RC)"
  else
    fail "a kelpie with a key file becomes ready (log: $(tail -c 400 "$WORK/kelpie-status-data.log"))"
  fi
fi
finish
