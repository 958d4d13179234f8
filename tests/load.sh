#!/usr/bin/env bash
# Process-level checks of kelpie-load against the real server (.build/debug/kelpie, built by `make test`):
# fixed-rate accuracy, the summary's accepted events against /metrics, --max-error-rate, and --verify
# against the spool (intact, then with a deleted and a duplicated line). Self-contained: temp dirs, free
# ports, every process stopped by PID; bounded by per-command timeouts. Ends with "N passed, M failed".
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/common.sh
source "$ROOT/tests/lib/common.sh"
WORK=$(mktemp -d /tmp/kelpie-load-test.XXXXXX)
SERVER_PID=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
cleanup() { stop_server; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

metric_sum() {  # sum of every sample of a metric family on /metrics
  curl -fsS --max-time 5 "http://127.0.0.1:$PORT/metrics" | python3 -c '
import sys
name = sys.argv[1]
total = 0.0
for line in sys.stdin:
    if line.startswith(name + "{") or line.startswith(name + " "):
        total += float(line.rsplit(None, 1)[1])
print(int(total))' "$1"
}

for binary in "$LOAD" "$KELPIE"; do
  if [ ! -x "$binary" ]; then
    fail "binary $binary exists (run swift build --build-tests first; the server must be built for these checks)"
    finish
  fi
done

PORT=$(free_port)
DATA=$WORK/data
mkdir -p "$DATA"
KELPIE_DRAIN_DELAY=0s KELPIE_LOG_LEVEL=warning \
  "$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --ack durable > "$WORK/kelpie.log" 2>&1 &
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
pass "kelpie serve ready"

# 1. Fixed rate for a few seconds: achieved within 5 %, and the client's accepted count equals the
#    server's kelpie_ingest_events_accepted_total delta (warm-up and drain included on both sides).
before=$(metric_sum kelpie_ingest_events_accepted_total)
timeout 60 "$LOAD" run --target "http://127.0.0.1:$PORT" --payload batch-json --batch-size 20 --rate 100 \
  --duration 3s --warmup 0.5s --connections 16 --progress none --json "$WORK/rate.json" > "$WORK/rate.txt" 2>&1
rc=$?
check "fixed-rate run exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
sleep 0.2
after=$(metric_sum kelpie_ingest_events_accepted_total)
achieved=$(json_get "$WORK/rate.json" summary.requests_per_second)
check "achieved rate $achieved req/s within 5 % of 100" \
  python3 -c "import sys; sys.exit(0 if abs(float('$achieved') - 100) <= 5 else 1)"
accepted=$(json_get "$WORK/rate.json" totals.events_accepted)
check "summary accepted events ($accepted) = /metrics delta ($((after - before)))" [ "$accepted" -eq $((after - before)) ]
check "every event was acknowledged with 202" [ "$(json_get "$WORK/rate.json" totals.events_sent)" -eq "$accepted" ]

# 2. Single events and gzip'd batches are accepted too.
timeout 60 "$LOAD" run --target "http://127.0.0.1:$PORT" --payload single-json --rate 200 --duration 1s --warmup 0s \
  --max-error-rate 0 --progress none > "$WORK/single.txt" 2>&1
check "single-json run with --max-error-rate 0 exits 0" [ $? -eq 0 ]
timeout 60 "$LOAD" run --target "http://127.0.0.1:$PORT" --payload batch-json --compression gzip --rate 50 \
  --duration 1s --warmup 0s --max-error-rate 0 --progress none > "$WORK/gzip.txt" 2>&1
check "gzip batch run with --max-error-rate 0 exits 0" [ $? -eq 0 ]

# 3. --max-error-rate: a path the server does not serve fails every request → exit status 1.
timeout 60 "$LOAD" run --target "http://127.0.0.1:$PORT/no-such-prefix" --payload batch-json --rate 50 \
  --duration 1s --warmup 0s --max-error-rate 0.01 --progress none > "$WORK/errors.txt" 2>&1
check "error rate above --max-error-rate exits 1" [ $? -eq 1 ]

# 4. --verify against the spool: intact passes; a deleted line and a duplicated line are both reported.
timeout 60 "$LOAD" run --target "http://127.0.0.1:$PORT" --payload batch-json --batch-size 10 --rate 50 \
  --duration 2s --warmup 0s --verify --run-id lt1 --acked "$WORK/acked.txt" --progress none > "$WORK/verify-run.txt" 2>&1
check "verify run exits 0" [ $? -eq 0 ]
acked=$(wc -l < "$WORK/acked.txt")
check "acknowledged ids were written ($acked)" [ "$acked" -gt 500 ]
stop_server   # SIGTERM: the server flushes what it acknowledged
timeout 60 "$LOAD" verify --acked "$WORK/acked.txt" --spool "$DATA" --run-prefix lt1- > "$WORK/verify-ok.txt" 2>&1
rc=$?
check "verify finds every acknowledged event in the spool (rc=$rc; $(grep -m1 acknowledged "$WORK/verify-ok.txt"))" [ "$rc" -eq 0 ]

mkdir -p "$WORK/tampered"
python3 - "$DATA" "$WORK/tampered/events.jsonl" <<'PY'
import glob, os, sys
lines = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.jsonl"), recursive=True)):
    lines += [l for l in open(path) if '"kelpie_load_id":"lt1-' in l]
assert len(lines) > 10, f"only {len(lines)} tagged lines in the spool"
del lines[5]               # an acknowledged event goes missing
lines.append(lines[7])     # another one appears twice
open(sys.argv[2], "w").writelines(lines)
PY
timeout 60 "$LOAD" verify --acked "$WORK/acked.txt" --spool "$WORK/tampered/events.jsonl" --run-prefix lt1- \
  > "$WORK/verify-bad.txt" 2>&1
rc=$?
check "verify exits 2 when an acknowledged event is missing" [ "$rc" -eq 2 ]
check "verify reports exactly one missing event" grep -q "missing 1$" "$WORK/verify-bad.txt"
check "verify reports exactly one duplicated id" grep -q "duplicated ids 1 " "$WORK/verify-bad.txt"

finish
