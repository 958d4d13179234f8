#!/usr/bin/env bash
# The real client SDKs against a running kelpie: libhoney-py (gzip and plain JSON batches) and the
# OpenTelemetry Python SDK (traces, logs, metrics over the OTLP/HTTP protobuf exporters, with and without
# gzip). Every response must be a success; then kelpie is stopped with SIGTERM and its spool is checked
# event by event (tests/sdk/check_spool.py). Usage: tests/sdk.sh [all|libhoney|otel]
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
  all|libhoney|otel) ;;
  *) echo "usage: $0 [all|libhoney|otel]" >&2; exit 2 ;;
esac

# shellcheck source=tests/lib/harness.bash
source "$ROOT/tests/lib/harness.bash"
cleanup() { stop_server; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

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
  local stamp_wanted="libhoney==$LIBHONEY_VERSION otel==$OTEL_VERSION $(python3 -c 'import sys; print(sys.version.split()[0])')"
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
      "opentelemetry-sdk==$OTEL_VERSION" "opentelemetry-exporter-otlp-proto-http==$OTEL_VERSION" >> "$log" 2>&1; then
    echo "# OpenTelemetry $OTEL_VERSION did not install; trying the newest release"
    if ! timeout "$PIP_TIMEOUT_SECONDS" "${pip[@]}" "libhoney==$LIBHONEY_VERSION" \
        opentelemetry-sdk opentelemetry-exporter-otlp-proto-http >> "$log" 2>&1; then
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
    ("libhoney", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "protobuf", "requests")))' 2>&1)
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
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DATA=$WORK/data
mkdir -p "$DATA"
KELPIE_LOG_LEVEL=warning "$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --drain-delay 0s \
  > "$WORK/kelpie.log" 2>&1 &
SERVER_PID=$!
ready=false
for _ in $(seq 1 200); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null && { ready=true; break; }
  sleep 0.05
done
if [ "$ready" != true ]; then
  fail "kelpie serve becomes ready on 127.0.0.1:$PORT (log: $(tail -c 400 "$WORK/kelpie.log"))"
  finish
fi
pass "kelpie serve ready on 127.0.0.1:$PORT"

# MARK: senders

LIBHONEY_EXPECTED=()
OTEL_EXPECTED=()
if [ "$PART" != otel ]; then
  for mode in gzip plain; do
    dataset=sdk-libhoney; [ "$mode" = plain ] && dataset=sdk-libhoney-nogzip
    run_checks "libhoney-$mode" "$PY" "$ROOT/tests/sdk/libhoney_send.py" --api-host "http://127.0.0.1:$PORT" \
      --key "$KEY" --dataset "$dataset" --mode "$mode" --count "$LIBHONEY_EVENTS" --out "$WORK/libhoney-$mode.json"
    [ -s "$WORK/libhoney-$mode.json" ] && LIBHONEY_EXPECTED+=("$WORK/libhoney-$mode.json")
  done
fi
if [ "$PART" != libhoney ]; then
  for compression in gzip none; do
    run_checks "otel-$compression" "$PY" "$ROOT/tests/sdk/otel_send.py" --endpoint "http://127.0.0.1:$PORT" \
      --key "$KEY" --run "otel-$compression" --service-name sdk-otel --compression "$compression" \
      --metrics-dataset sdk-otel-metrics --out "$WORK/otel-$compression.json"
    [ -s "$WORK/otel-$compression.json" ] && OTEL_EXPECTED+=("$WORK/otel-$compression.json")
  done
fi

# MARK: stop, then read the spool

stop_server
if [ "$SERVER_RC" -eq 0 ]; then pass "kelpie exits 0 on SIGTERM"; else fail "kelpie exits 0 on SIGTERM (rc=$SERVER_RC): $(tail -c 400 "$WORK/kelpie.log")"; fi
if timeout 30 "$KELPIE" spool cat --data-dir "$DATA" > "$WORK/spool.jsonl" 2> "$WORK/spool.err"; then
  pass "kelpie spool cat: $(wc -l < "$WORK/spool.jsonl") events"
else
  fail "kelpie spool cat --data-dir $DATA: $(tail -c 400 "$WORK/spool.err")"
fi
if [ "${#LIBHONEY_EXPECTED[@]}" -gt 0 ]; then
  run_checks check-libhoney "$PY" "$ROOT/tests/sdk/check_spool.py" "$WORK/spool.jsonl" libhoney "${LIBHONEY_EXPECTED[@]}"
fi
if [ "${#OTEL_EXPECTED[@]}" -gt 0 ]; then
  run_checks check-otel "$PY" "$ROOT/tests/sdk/check_spool.py" "$WORK/spool.jsonl" otel "${OTEL_EXPECTED[@]}"
fi
finish
