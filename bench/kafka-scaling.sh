#!/usr/bin/env bash
# The check of docs/scaling.md's capacity model: one Kelpie, then two Kelpie processes (two ports), each
# `--sink kafka` into one Tansu broker on this box, in one run, so the ratios are measured side by side on the
# same (shared, noisy) machine. For each N in $SCALING_PROCESSES (default "1 2"):
#   - a fresh Tansu (in memory), N kelpies (--ack $SCALING_ACK, default delivered), one kelpie-load per kelpie
#     (closed loop, 100-event JSON batches, --verify against the topic: every acknowledged event must be there);
#   - CPU seconds of every kelpie, of Tansu and of the load generators (/proc/PID/stat, over the load run);
#   - bytes the kelpies sent to Tansu (TCP bytes_acked of their sockets to the broker, `ss -tinp`): produce
#     requests with zstd-compressed record batches, i.e. what Kafka stores plus request framing;
#   - canonical event bytes the sink confirmed (kelpie_sink_delivered_bytes_total), and the HTTP body bytes.
# Prints one JSON object per N and a table. Every process is started and stopped by PID.
# Knobs: SCALING_DURATION (10s) SCALING_CONNECTIONS (8 per kelpie-load) SCALING_ACK (delivered)
#   SCALING_PROCESSES ("1 2") KELPIE_BIN / KELPIE_LOAD_BIN (release builds) KELPIE_TANSU_BIN
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=$(cd "$ROOT" && swift build -c release --show-bin-path 2>/dev/null || echo "$ROOT/.build/release")
KELPIE=${KELPIE_BIN:-$BIN_DIR/kelpie}
LOAD=${KELPIE_LOAD_BIN:-$BIN_DIR/kelpie-load}
TANSU=${KELPIE_TANSU_BIN:-$ROOT/.build-venv/tansu/bin/tansu-broker}
DURATION=${SCALING_DURATION:-10s}
CONNECTIONS=${SCALING_CONNECTIONS:-8}
ACK=${SCALING_ACK:-delivered}
PROCESSES=${SCALING_PROCESSES:-1 2}
WORK=$(mktemp -d /tmp/kelpie-scaling.XXXXXX)
PIDS=()
for binary in "$KELPIE" "$LOAD" "$TANSU"; do [ -x "$binary" ] || { echo "missing $binary" >&2; exit 1; }; done

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${SCALING_KEEP_WORK:-}" ] || rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu() { python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"; }
metric() {  # metric PORT NAME: the sum of the series of NAME on a kelpie's /metrics
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" | python3 -c '
import sys
name = sys.argv[1]
print(sum(float(l.rsplit(None, 1)[1]) for l in sys.stdin if l.startswith(name + "{") or l.startswith(name + " ")))' "$2"
}
# sent_to_broker PORT PID...: TCP bytes_acked of the given processes' sockets to 127.0.0.1:PORT.
sent_to_broker() {
  local port=$1; shift
  ss -tinpH "dst 127.0.0.1:$port" | python3 -c '
import re, sys
pids = set(sys.argv[1:])
total, owner = 0, False
for line in sys.stdin:
    if "users:" in line:
        owner = any(f"pid={p}," in line for p in pids)
    found = re.search(r"bytes_acked:(\d+)", line)
    if found and owner:
        total += int(found.group(1))
print(total)' "$@"
}

for n in $PROCESSES; do
  T_PORT=$(free_port)
  env -u CLUSTER_ID -u LISTENER_URL -u ADVERTISED_LISTENER_URL -u STORAGE_ENGINE -u SCHEMA_REGISTRY \
    "$TANSU" broker --listener-url "tcp://127.0.0.1:$T_PORT" --advertised-listener-url "tcp://127.0.0.1:$T_PORT" \
    --storage-engine memory://tansu/ > "$WORK/tansu-$n.log" 2>&1 &
  T_PID=$!; PIDS+=("$T_PID")
  for _ in $(seq 1 200); do python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$T_PORT" 2>/dev/null && break; sleep 0.05; done
  K_PIDS=(); K_PORTS=()
  for i in $(seq 1 "$n"); do
    port=$(free_port); mkdir -p "$WORK/data-$n-$i"
    KELPIE_LOG_LEVEL=warning KELPIE_DRAIN_DELAY=0s "$KELPIE" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data-$n-$i" \
      --sink kafka --ack "$ACK" --kafka-brokers "127.0.0.1:$T_PORT" > "$WORK/kelpie-$n-$i.log" 2>&1 &
    K_PIDS+=($!); K_PORTS+=("$port"); PIDS+=($!)
  done
  for port in "${K_PORTS[@]}"; do
    for _ in $(seq 1 300); do curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null && break; sleep 0.05; done
  done
  declare -A C0=()
  for pid in "${K_PIDS[@]}" "$T_PID"; do C0[$pid]=$(cpu "$pid"); done
  L_PIDS=()
  for i in $(seq 1 "$n"); do
    "$LOAD" run --target "http://127.0.0.1:${K_PORTS[$((i - 1))]}" --payload batch-json --batch-size 100 --closed \
      --connections "$CONNECTIONS" --duration "$DURATION" --warmup 1s --progress none --verify --run-id "s$n-$i" \
      --acked "$WORK/acked-$n-$i.txt" --kafka-brokers "127.0.0.1:$T_PORT" --kafka-timeout 300s \
      --json "$WORK/load-$n-$i.json" > "$WORK/load-$n-$i.txt" 2>&1 &
    L_PIDS+=($!); PIDS+=($!)
  done
  # CPU over the load phase: sampled when the first kelpie-load prints its summary (verification follows).
  for i in $(seq 1 "$n"); do
    until grep -q "^verify: run id" "$WORK/load-$n-$i.txt" 2>/dev/null || ! kill -0 "${L_PIDS[$((i - 1))]}" 2>/dev/null; do sleep 0.1; done
  done
  declare -A C1=()
  for pid in "${K_PIDS[@]}" "$T_PID"; do C1[$pid]=$(cpu "$pid"); done
  rc=0
  for pid in "${L_PIDS[@]}"; do wait "$pid" || rc=1; done
  sent=$(sent_to_broker "$T_PORT" "${K_PIDS[@]}")
  canonical=0
  for port in "${K_PORTS[@]}"; do canonical=$(python3 -c "print($canonical + $(metric "$port" kelpie_sink_delivered_bytes_total))"); done
  kelpie_cpu=0
  for pid in "${K_PIDS[@]}"; do kelpie_cpu=$(python3 -c "print($kelpie_cpu + ${C1[$pid]} - ${C0[$pid]})"); done
  broker_cpu=$(python3 -c "print(${C1[$T_PID]} - ${C0[$T_PID]})")
  row=$(python3 - "$n" "$rc" "$sent" "$canonical" "$kelpie_cpu" "$broker_cpu" "$WORK" <<'PY'
import glob, json, re, sys
n, rc, sent, canonical, kelpie_cpu, broker_cpu, work = sys.argv[1:]
n = int(n)
loads = [json.load(open(f"{work}/load-{n}-{i}.json")) for i in range(1, n + 1)]
texts = [open(f"{work}/load-{n}-{i}.txt").read() for i in range(1, n + 1)]
events = sum(l["totals"]["events_accepted"] for l in loads)
eps = sum(l["summary"]["events_per_second"] for l in loads)
body = sum(l["mean_body_bytes"] for l in loads) / n
batch = loads[0]["batch_size"]
verify = [l.get("verify") or {} for l in loads]
missing = sum(v.get("missing", -1) for v in verify)
duplicated = sum(v.get("duplicate_copies", 0) for v in verify)
found = sum(v.get("acknowledged_found", 0) for v in verify)
acked = sum(v.get("acknowledged", 0) for v in verify)
failed = sum(l["totals"]["requests_failed"] for l in loads)
row = {"kelpies": n, "events_per_second": round(eps), "events_accepted": events, "requests_failed": failed,
       "kelpie_cpu_seconds": round(float(kelpie_cpu), 2), "broker_cpu_seconds": round(float(broker_cpu), 2),
       "kelpie_cpu_us_per_event": round(float(kelpie_cpu) * 1e6 / max(1, events), 2),
       "broker_cpu_us_per_event": round(float(broker_cpu) * 1e6 / max(1, events), 2),
       "client_cpu_us_per_event": round(sum(l["client_cpu_seconds"] for l in loads) * 1e6 / max(1, events), 2),
       "http_body_bytes_per_event": round(body / batch, 1),
       "canonical_bytes_per_event": round(float(canonical) / max(1, events), 1),
       "kafka_wire_bytes_per_event": round(int(sent) / max(1, events), 1),
       "verify_acknowledged": acked, "verify_found": found, "verify_missing": missing,
       "verify_duplicate_copies": duplicated, "kelpie_load_exit_ok": rc == "0"}
print(json.dumps(row))
PY
  )
  echo "$row" | tee -a "$WORK/rows.jsonl"
  for pid in "${K_PIDS[@]}"; do kill -TERM "$pid"; done
  for pid in "${K_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  kill -KILL "$T_PID"; wait "$T_PID" 2>/dev/null || true
  unset C0 C1
done
python3 - "$WORK/rows.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = ["kelpies", "events_per_second", "kelpie_cpu_us_per_event", "broker_cpu_us_per_event", "client_cpu_us_per_event",
        "http_body_bytes_per_event", "canonical_bytes_per_event", "kafka_wire_bytes_per_event", "verify_acknowledged",
        "verify_found", "verify_missing", "verify_duplicate_copies", "requests_failed"]
print("| " + " | ".join(keys) + " |")
print("|" + "---|" * len(keys))
for r in rows:
    print("| " + " | ".join(str(r[k]) for k in keys) + " |")
PY
