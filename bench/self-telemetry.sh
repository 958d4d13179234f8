#!/usr/bin/env bash
# Self-telemetry's overhead on the single-event benchmark (docs/dogfood.md): Kelpie servers side by side in
# one run, the same kelpie-load closed loop against each in turn, alternating so machine noise hits all alike:
#   off      no self-telemetry
#   rate-N   --self-telemetry-url to another Kelpie (--sink null) with --self-telemetry-sample-rate N, for
#            each N of SELFTEL_RATES (default "1 10": every request described, and 1 in 10); a huge N
#            (1000000) leaves only the per-request cost on the I/O lanes, almost nothing to send
# Prints per-run figures and, per server, the median events/s, its ratio to `off`, and server CPU per 1000
# requests (utime+stime from /proc during the run); the receiving Kelpie's CPU is listed apart (it runs on the
# same machine here, on another in a real chain).
#
# Knobs: KELPIE_BIN, KELPIE_LOAD_BIN (default: release builds), SELFTEL_ROUNDS (3), SELFTEL_DURATION (6s),
#   SELFTEL_CONNECTIONS (32, as bench/run.sh's single row), SELFTEL_ACK (memory, as the kelpie-memory row),
#   SELFTEL_RATES ("1 10").
# Every process it starts is stopped by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KELPIE=${KELPIE_BIN:-$ROOT/.build/release/kelpie}
LOAD=${KELPIE_LOAD_BIN:-$ROOT/.build/release/kelpie-load}
ROUNDS=${SELFTEL_ROUNDS:-3}
DURATION=${SELFTEL_DURATION:-6s}
CONNECTIONS=${SELFTEL_CONNECTIONS:-32}
ACK=${SELFTEL_ACK:-memory}
RATES=${SELFTEL_RATES:-1 10}
WORK=$(mktemp -d /tmp/kelpie-selftel.XXXXXX)
PIDS=()

stop_all() {
  local pid i
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap stop_all EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

declare -A PORT PID
start() {  # start NAME ARGS...
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "$WORK/$name"
  "$KELPIE" serve --listen "127.0.0.1:$port" --data-dir "$WORK/$name" --drain-delay 0s --log-level warning "$@" \
    >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!; PORT[$name]=$port; PIDS+=("$!")
  local i
  for ((i = 0; i < 200; i++)); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$name did not start: $(cat "$WORK/$name.log")" >&2; exit 1
}

echo "self-telemetry-bench-key" >"$WORK/key"
start receiver --sink null --ack memory
start off --ack "$ACK"
SERVERS=(off)
for rate in $RATES; do
  start "rate-$rate" --ack "$ACK" --self-telemetry-url "http://127.0.0.1:${PORT[receiver]}" \
    --self-telemetry-key-file "$WORK/key" --self-telemetry-sample-rate "$rate"
  SERVERS+=("rate-$rate")
done

echo "# $(date -u +%FT%TZ) $(git -C "$ROOT" rev-parse --short HEAD) ack=$ACK connections=$CONNECTIONS duration=$DURATION rounds=$ROUNDS nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %5s %12s %9s %9s %14s %14s\n' server round events/s p50_ms p99_ms cpu_s/1k_req receiver_cpu_s
for ((round = 1; round <= ROUNDS; round++)); do
  for name in "${SERVERS[@]}"; do
    out="$WORK/$name-$round.json"
    c0=$(cpu_seconds "${PID[$name]}"); r0=$(cpu_seconds "${PID[receiver]}")
    "$LOAD" run --target "http://127.0.0.1:${PORT[$name]}" --payload single-json --event-bytes 368 --pool 1 \
      --connections "$CONNECTIONS" --threads 1 --closed --duration "$DURATION" --warmup 1s --progress none \
      --json "$out" >/dev/null 2>&1 || true
    c1=$(cpu_seconds "${PID[$name]}"); r1=$(cpu_seconds "${PID[receiver]}")
    python3 - "$out" "$name" "$round" "$c0" "$c1" "$r0" "$r1" <<'PY' | tee -a "$WORK/rows.txt"
import json, sys
out, name, rnd, c0, c1, r0, r1 = sys.argv[1], sys.argv[2], sys.argv[3], *map(float, sys.argv[4:])
d = json.load(open(out))
s, t = d["summary"], d["totals"]
requests = max(1, t["requests_completed"])
print(f"{name:<12} {rnd:>5} {s['events_per_second']:>12.0f} {s['latency_ms']['p50']:>9.3f} {s['latency_ms']['p99']:>9.3f} "
      f"{(c1 - c0) / requests * 1000:>14.4f} {r1 - r0:>14.2f}")
PY
  done
done
echo "# medians"
python3 - "$WORK/rows.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
by = {}
for name, _, eps, p50, p99, cpu, _ in rows:
    by.setdefault(name, []).append((float(eps), float(p50), float(p99), float(cpu)))
base = statistics.median(r[0] for r in by["off"])
base_cpu = statistics.median(r[3] for r in by["off"])
for name, runs in by.items():
    eps = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[3] for r in runs)
    print(f"{name:<12} events/s {eps:>9.0f} ({eps / base:.3f} of off)  p50 {statistics.median(r[1] for r in runs):.3f} ms  "
          f"p99 {statistics.median(r[2] for r in runs):.3f} ms  server CPU per 1000 requests {cpu:.4f} s ({cpu / base_cpu:.3f} of off)")
PY
for name in "${SERVERS[@]:1}"; do
  curl -s "http://127.0.0.1:${PORT[$name]}/metrics" | grep -E '^kelpie_self_telemetry_(sent|dropped)' | sed "s/^/# $name: /"
done
