#!/usr/bin/env bash
# make bench: Kelpie side by side with nginx (the physical-limit baseline) on loopback, driven by the same
# kelpie-load and wrk workloads. Writes bench/results/<date>.json, plots, and the generated section of
# docs/benchmarks.md. Bounded (BENCH_BUDGET_S, default 840 s); every process it starts is stopped by PID,
# also on failure or Ctrl-C.
#
# Knobs (environment): BENCH_DURATION (6s) BENCH_WARMUP (1s) BENCH_STEP_DURATION (3s)
#   BENCH_CONNECTIONS_SINGLE (32) BENCH_CONNECTIONS_BATCH (16) BENCH_THREADS (1) BENCH_NGINX_WORKERS (nproc)
#   BENCH_POOL (1) BENCH_NGINX_REPEATS (2) BENCH_STARTS (10) BENCH_SKIP_BUILD, BENCH_SKIP_CALLGRIND (unset) BENCH_KEEP_WORK (unset: the work dir is removed)
#   KELPIE_BIN / KELPIE_LOAD_BIN (default: release builds under .build/release)
#   BENCH_CALLGRIND_BIN (default: bench/micro/callgrind-bench built in release by this script)
#   BENCH_SOURCE_COMMIT: the commit the binaries were built from, when built from a clean export elsewhere
#   GRPC_BENCH_* (see bench/otlp_grpc.sh: OTLP/gRPC beside OTLP/HTTP with h2load)
#   BENCH_CONFIGS: space-separated shell patterns naming what to run (default "*": everything): nginx,
#     kelpie-memory, kelpie-durable, kelpie-null-*, kelpie-kafka-memory/-durable/-delivered, kelpie-*-dispatch,
#     start-to-ready, callgrind; e.g. BENCH_CONFIGS='kelpie-kafka-*'. A selection writes
#     bench/results/<date>-partial.json and leaves docs/benchmarks.md alone.
#   KELPIE_TANSU_BIN (default .build-venv/tansu/bin/tansu-broker, installed by scripts/bootstrap.sh bench): the
#     Kafka-compatible broker the kafka rows produce to, started per configuration and stopped by PID
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-6s}
WARMUP=${BENCH_WARMUP:-1s}
STEP_DURATION=${BENCH_STEP_DURATION:-3s}
CONN_SINGLE=${BENCH_CONNECTIONS_SINGLE:-32}
CONN_BATCH=${BENCH_CONNECTIONS_BATCH:-16}
THREADS=${BENCH_THREADS:-1}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-$(nproc)}   # like Kelpie, which runs one I/O lane per CPU
STARTS=${BENCH_STARTS:-10}
BUDGET_S=${BENCH_BUDGET_S:-840}
POOL=${BENCH_POOL:-1}      # bodies per kelpie-load run: 1 = exactly the body wrk sends (same bytes, same headers)
BATCH_EVENT_BYTES=420      # 100 events of 420-byte data objects + time/samplerate wrappers ≈ 48 KB
SINGLE_EVENT_BYTES=368
SCRIPT_START=$(date +%s)
CONFIGS=${BENCH_CONFIGS:-*}
TANSU=${KELPIE_TANSU_BIN:-$ROOT/.build-venv/tansu/bin/tansu-broker}

WORK=$(mktemp -d /tmp/kelpie-bench.XXXXXX)
mkdir -p "$WORK/runs" "$WORK/logs" "$WORK/bodies"
PIDS=()

log() { printf '[bench %4ss] %s\n' "$(( $(date +%s) - SCRIPT_START ))" "$*" >&2; }

stop_pid() {  # stop_pid PID [grace seconds]: SIGTERM, wait, then SIGKILL; only the given PID.
  local pid=$1 grace=${2:-10} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && stop_pid "$pid" 5; done
  if [ -z "${BENCH_KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "work directory kept: $WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget_pid() { local keep=() p; for p in "${PIDS[@]:-}"; do [ "$p" != "$1" ] && keep+=("$p"); done; PIDS=("${keep[@]:-}"); }

over_budget() { [ $(( $(date +%s) - SCRIPT_START )) -ge "$BUDGET_S" ]; }
note_skip() { printf '{"what":"%s","reason":"%s"}\n' "$1" "$2" >> "$WORK/skipped.jsonl"; log "skip $1: $2"; }
note_failure() { printf '{"what":"%s","reason":"%s"}\n' "$1" "$2" >> "$WORK/failures.jsonl"; log "FAILED $1: $2"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_ready() {  # wait_ready PORT PID TIMEOUT_S [SCHEME]
  local port=$1 pid=$2 timeout=$3 scheme=${4:-http} i
  for ((i = 0; i < timeout * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if curl -kfsS -o /dev/null --max-time 1 "$scheme://127.0.0.1:$port/readyz" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# selected NAME: whether BENCH_CONFIGS names it.
selected() {
  # The patterns are matched, never expanded as file names (an unquoted '*' would glob the repository).
  local - pattern
  set -f
  for pattern in $CONFIGS; do
    # shellcheck disable=SC2254
    case "$1" in $pattern) return 0 ;; esac
  done
  return 1
}

# CPU seconds (user + system) the process has used so far, from /proc/PID/stat (clock ticks).
cpu_seconds() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1" 2>/dev/null || echo 0
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- build
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  log "building release binaries"
  swift build -c release --product kelpie >&2
  swift build -c release --product kelpie-load >&2
fi
# The in-process callgrind workload is a separate small package (symlinks to Ingest and Pipeline); building
# it when it is up to date takes a few seconds.
CALLGRIND_PACKAGE="$ROOT/bench/micro/callgrind-bench"
if [ -z "${BENCH_CALLGRIND_BIN:-}" ] && [ -z "${BENCH_SKIP_CALLGRIND:-}" ] && selected callgrind; then
  log "building bench/micro/callgrind-bench (release)"
  swift build -c release --package-path "$CALLGRIND_PACKAGE" --product CallgrindBench >&2 \
    || log "callgrind bench did not build; the callgrind step will report it"
fi
CALLGRIND_BENCH=${BENCH_CALLGRIND_BIN:-$CALLGRIND_PACKAGE/.build/release/CallgrindBench}
BIN_DIR=$(swift build -c release --show-bin-path 2>/dev/null || echo "$ROOT/.build/release")
KELPIE=${KELPIE_BIN:-$BIN_DIR/kelpie}
LOAD=${KELPIE_LOAD_BIN:-$BIN_DIR/kelpie-load}
[ -x "$LOAD" ] || { log "kelpie-load not found at $LOAD"; exit 1; }

# ---------------------------------------------------------------- machine
if [ -n "${BENCH_SOURCE_COMMIT:-}" ]; then
  # Binaries built elsewhere from a clean export of this commit (e.g. `git archive`), so this working tree's
  # state says nothing about them.
  COMMIT=$BENCH_SOURCE_COMMIT; DIRTY=false
else
  COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  DIRTY=false; git diff --quiet HEAD -- Sources bench 2>/dev/null || DIRTY=true
fi
python3 - "$WORK/meta.json" <<PY
import json, os, platform, subprocess, sys, datetime
def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip() or subprocess.run(cmd, shell=True, capture_output=True, text=True).stderr.strip()
    except Exception: return "?"
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"): cpu = line.split(":", 1)[1].strip(); break
mem_kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
now = datetime.datetime.now(datetime.timezone.utc)
json.dump({"commit": "$COMMIT", "dirty": $( [ "$DIRTY" = true ] && echo True || echo False ),
  "date": now.strftime("%Y-%m-%d"), "date_time": now.strftime("%Y-%m-%d %H:%M UTC"),
  "nproc": os.cpu_count(), "cpu": cpu, "memory": f"{mem_kb / 1048576:.1f} GiB RAM", "kernel": platform.release(),
  "nginx": sh("nginx -v 2>&1").replace("nginx version: ", ""), "wrk": sh("wrk -v 2>&1 | head -1").split(" Copyright")[0],
  "nginx_workers": int("$NGINX_WORKERS"), "nginx_repeats": int("${BENCH_NGINX_REPEATS:-2}"), "load_threads": int("$THREADS"), "duration": "$DURATION", "warmup": "$WARMUP",
  "connections_single": int("$CONN_SINGLE"), "connections_batch": int("$CONN_BATCH"), "pool": int("$POOL"),
  "configs": "$CONFIGS", "partial": "$CONFIGS" != "*"}, open(sys.argv[1], "w"))
PY

# ---------------------------------------------------------------- workloads
# name | kelpie-load payload args | events per request | connections
WORKLOADS=(
  "single|--payload single-json --event-bytes $SINGLE_EVENT_BYTES --pool $POOL|1|$CONN_SINGLE"
  "batch|--payload batch-json --batch-size 100 --event-bytes $BATCH_EVENT_BYTES --pool $POOL|100|$CONN_BATCH"
  "batch-gzip|--payload batch-json --batch-size 100 --event-bytes $BATCH_EVENT_BYTES --compression gzip --pool $POOL|100|$CONN_BATCH"
  "msgpack-zstd|--payload batch-msgpack --batch-size 100 --event-bytes $BATCH_EVENT_BYTES --compression zstd --pool $POOL|100|$CONN_BATCH"
  "otlp|--payload otlp-traces --batch-size 512 --event-bytes $SINGLE_EVENT_BYTES --pool $POOL|512|$CONN_BATCH"
)
for spec in "${WORKLOADS[@]}"; do
  IFS='|' read -r name args _ _ <<< "$spec"
  # shellcheck disable=SC2086
  "$LOAD" body ${args/--pool $POOL/} --out "$WORK/bodies/$name.body" --wrk-script "$WORK/bodies/$name.lua" >&2
done
BATCH_REPLY=$(python3 -c 'print("[" + ",".join(["{\"status\":202}"] * 100) + "]")')

# record_run TARGET WORKLOAD TOOL MODE FILE EVENTS_PER_REQUEST CONNECTIONS [SERVER_CPU_S [BROKER_CPU_S]]:
# the CPU seconds Kelpie (and the Kafka broker) used during the run, warm-up included, when measured.
record_run() {
  printf '{"target":"%s","workload":"%s","tool":"%s","mode":"%s","file":"%s","events_per_request":%s,"connections":%s,"server_cpu_seconds":%s,"broker_cpu_seconds":%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-null}" "${9:-null}" >> "$WORK/runs.jsonl"
}

# The sustainable maximum of a closed-loop run in requests/s: accepted events/s over events per request, so
# refused requests (503 when Kelpie's queue is full) do not count towards it.
closed_rps() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["summary"]["events_per_second"] / max(1, d["batch_size"]))' "$1" 2>/dev/null || echo 0
}

# wrk_closed TARGET WORKLOAD URL EVENTS CONNECTIONS REPEAT: one wrk closed-loop run, recorded.
wrk_closed() {
  local target=$1 name=$2 url=$3 events=$4 conns=$5 repeat=$6 out="$WORK/runs/$1-$2"
  log "$target / $name: wrk closed loop against $url ($repeat/$REPEATS)"
  timeout 120 /usr/bin/time -f 'cpu_seconds %U %S' -o "$out-wrk-closed-$repeat.cpu" \
    wrk -t"$THREADS" -c"$conns" -d"$DURATION" --timeout 10s --latency -s "$WORK/bodies/$name.lua" \
    "$url" > "$out-wrk-closed-$repeat.txt" 2>&1 || true
  cat "$out-wrk-closed-$repeat.cpu" >> "$out-wrk-closed-$repeat.txt" 2>/dev/null || true
  record_run "$target" "$name" wrk closed "$out-wrk-closed-$repeat.txt" "$events" "$conns"
}

# drive TARGET_NAME PORT WORKLOAD_SPEC [with_steps]: closed loop (kelpie-load, wrk; REPEATS times each),
# open loop at 50 % of the best closed-loop rate, and optionally open-loop steps at 10–90 % of it.
REPEATS=1
drive() {
  local target=$1 port=$2 spec=$3 steps=${4:-} name args events conns out max half
  IFS='|' read -r name args events conns <<< "$spec"
  over_budget && { note_skip "$target/$name" "time budget of ${BUDGET_S}s used up"; return 0; }
  out="$WORK/runs/$target-$name"
  local repeat
  for ((repeat = 1; repeat <= REPEATS; repeat++)); do
    # Alternate the tools so machine noise hits both alike; the report keeps each tool's best run.
    log "$target / $name: kelpie-load closed loop ($repeat/$REPEATS)"
    local server_cpu0 broker_cpu0 server_cpu broker_cpu=null
    server_cpu0=$(cpu_seconds "${SERVER_PID:-}"); broker_cpu0=$(cpu_seconds "${BROKER_PID:-}")
    # shellcheck disable=SC2086
    timeout 120 "$LOAD" run --target "http://127.0.0.1:$port" $args --connections "$conns" --threads "$THREADS" \
      --closed --duration "$DURATION" --warmup "$WARMUP" --progress none --json "$out-kl-closed-$repeat.json" \
      > "$out-kl-closed-$repeat.txt" 2>&1 || true
    server_cpu=$(python3 -c "print(round($(cpu_seconds "${SERVER_PID:-}") - $server_cpu0, 2))")
    [ -n "${BROKER_PID:-}" ] && broker_cpu=$(python3 -c "print(round($(cpu_seconds "$BROKER_PID") - $broker_cpu0, 2))")
    [ -n "${SERVER_PID:-}" ] || server_cpu=null
    record_run "$target" "$name" kelpie-load closed "$out-kl-closed-$repeat.json" "$events" "$conns" "$server_cpu" "$broker_cpu"
    wrk_closed "$target" "$name" "http://127.0.0.1:$port" "$events" "$conns" "$repeat"
  done
  # The open-loop runs take the best kelpie-load closed-loop rate as the maximum.
  local best=1 r
  for ((r = 2; r <= REPEATS; r++)); do
    python3 -c "import sys; sys.exit(0 if float('$(closed_rps "$out-kl-closed-$r.json")') > float('$(closed_rps "$out-kl-closed-$best.json")') else 1)" && best=$r
  done
  cp "$out-kl-closed-$best.json" "$out-kl-closed.json" 2>/dev/null || true
  max=$(closed_rps "$out-kl-closed.json")
  half=$(python3 -c "print(round(float('$max') * 0.5, 1))")
  if python3 -c "import sys; sys.exit(0 if float('$half') > 0 else 1)"; then
    log "$target / $name: kelpie-load open loop at $half req/s (50 % of the accepted maximum, $max req/s)"
    # shellcheck disable=SC2086
    timeout 120 "$LOAD" run --target "http://127.0.0.1:$port" $args --connections "$conns" --threads "$THREADS" \
      --rate "$half" --duration "$DURATION" --warmup "$WARMUP" --progress none --json "$out-kl-open50.json" \
      > "$out-kl-open50.txt" 2>&1 || true
    record_run "$target" "$name" kelpie-load open50 "$out-kl-open50.json" "$events" "$conns"
    if [ -n "$steps" ]; then
      local schedule
      schedule=$(python3 -c "m=float('$max'); print(','.join(str(round(m*f,1)) for f in (0.1,0.3,0.5,0.7,0.9)))")
      log "$target / $name: open-loop steps $schedule req/s"
      # shellcheck disable=SC2086
      timeout 120 "$LOAD" run --target "http://127.0.0.1:$port" $args --connections "$conns" --threads "$THREADS" \
        --schedule "$schedule" --step-duration "$STEP_DURATION" --warmup "$WARMUP" --progress none \
        --json "$out-kl-steps.json" > "$out-kl-steps.txt" 2>&1 || true
      record_run "$target" "$name" kelpie-load steps "$out-kl-steps.json" "$events" "$conns"
    fi
  else
    note_failure "$target/$name" "closed-loop run produced no throughput (see kelpie-load output)"
  fi
}

# ---------------------------------------------------------------- nginx
run_nginx() {
  local prefix="$WORK/nginx" port pid
  port=$(free_port)
  mkdir -p "$prefix"
  sed -e "s#@PREFIX@#$prefix#g" -e "s#@PORT@#$port#g" -e "s#@WORKERS@#$NGINX_WORKERS#g" \
    -e "s#@BATCH_REPLY@#$BATCH_REPLY#g" "$ROOT/bench/nginx.conf.template" > "$prefix/nginx.conf"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" > "$WORK/logs/nginx.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  if ! wait_ready "$port" "$pid" 10; then
    note_failure nginx "did not answer /readyz (see $prefix/error.log)"
    stop_pid "$pid"; forget_pid "$pid"; return 0
  fi
  log "nginx ready on $port (pid $pid, $NGINX_WORKERS worker(s))"
  REPEATS=${BENCH_NGINX_REPEATS:-2}   # the kelpie-load vs wrk comparison is run twice, interleaved
  for spec in "${WORKLOADS[@]}"; do
    case "$spec" in batch\|*) drive nginx "$port" "$spec" steps ;; *) drive nginx "$port" "$spec" ;; esac
  done
  REPEATS=1
  stop_pid "$pid"; forget_pid "$pid"
}

# ---------------------------------------------------------------- kelpie
KELPIE_SERVES=false
start_kelpie() {  # start_kelpie NAME ACK BACKEND [SINK] [SCHEME] → sets K_PID K_PORT K_DATA; SCHEME https serves TLS
  local scheme=${5:-http} tls_flags=()
  K_PORT=$(free_port)
  K_DATA=$(mktemp -d "$WORK/data-$1.XXXX")
  [ "$scheme" = https ] && tls_flags=(--tls-cert "$WORK/tls/cert.pem" --tls-key "$WORK/tls/key.pem")
  local sink_args=(--sink "${4:-spool}")
  [ "${4:-}" = kafka ] && sink_args+=(--kafka-brokers "127.0.0.1:$T_PORT")
  KELPIE_DRAIN_DELAY=0s KELPIE_SHUTDOWN_TIMEOUT=5s KELPIE_LOG_LEVEL=warning \
    "$KELPIE" serve --listen "127.0.0.1:$K_PORT" --data-dir "$K_DATA" --ack "$2" --io-backend "$3" "${sink_args[@]}" "${tls_flags[@]}" \
    > "$WORK/logs/kelpie-$1.log" 2>&1 &
  K_PID=$!
  PIDS+=("$K_PID")
  if ! wait_ready "$K_PORT" "$K_PID" 15 "$scheme"; then
    note_failure "$1" "kelpie serve did not become ready: $(tail -c 300 "$WORK/logs/kelpie-$1.log" | tr '\n"' ' \047')"
    stop_pid "$K_PID"; forget_pid "$K_PID"; K_PID=""
    return 1
  fi
  KELPIE_SERVES=true
}

stop_kelpie() { [ -n "${K_PID:-}" ] && { stop_pid "$K_PID" 10; forget_pid "$K_PID"; rm -rf "$K_DATA"; K_PID=""; }; }

# Tansu (a Kafka-compatible broker, in memory) for one kafka configuration → sets T_PID T_PORT. Fresh per
# configuration so each starts empty; SIGKILL by PID afterwards (its state is in memory and thrown away).
start_tansu() {
  T_PORT=$(free_port)
  local url="tcp://127.0.0.1:$T_PORT" i
  env -u CLUSTER_ID -u LISTENER_URL -u ADVERTISED_LISTENER_URL -u STORAGE_ENGINE -u SCHEMA_REGISTRY \
    "$TANSU" broker --listener-url "$url" --advertised-listener-url "$url" --storage-engine memory://tansu/ \
    > "$WORK/logs/tansu-$1.log" 2>&1 &
  T_PID=$!
  PIDS+=("$T_PID")
  for ((i = 0; i < 200; i++)); do
    kill -0 "$T_PID" 2>/dev/null || break
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$T_PORT" 2>/dev/null && return 0
    sleep 0.05
  done
  note_failure "$1" "Tansu did not accept connections (see logs/tansu-$1.log)"
  stop_tansu
  return 1
}
stop_tansu() { [ -n "${T_PID:-}" ] && { kill -KILL "$T_PID" 2>/dev/null || true; wait "$T_PID" 2>/dev/null || true; forget_pid "$T_PID"; T_PID=""; }; return 0; }

supported() {  # supported PORT SPEC: one small fixed-work run must succeed with every event accepted
  local name args events conns
  IFS='|' read -r name args events conns <<< "$2"
  # shellcheck disable=SC2086
  timeout 30 "$LOAD" run --target "http://127.0.0.1:$1" $args --requests 3 --connections 1 --max-error-rate 0 \
    --progress none --json "$WORK/runs/probe-$name.json" > "$WORK/runs/probe-$name.txt" 2>&1
}

RSS_JSON="{}"
rss_set() { RSS_JSON=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.setdefault(sys.argv[2],{})[sys.argv[3]]=(sys.argv[4] if sys.argv[3]=='load_workload' else int(sys.argv[4])); print(json.dumps(d))" "$RSS_JSON" "$1" "$2" "$3"); }

run_kelpie_config() {  # NAME ACK BACKEND [ONLY_WORKLOAD] [SINK]
  local name=$1 ack=$2 backend=$3 only_workload=${4:-} sink=${5:-spool} sampler spec wl
  selected "$name" || return 0
  over_budget && { note_skip "$name" "time budget used up"; return 0; }
  if [ "$sink" = kafka ]; then
    [ -x "$TANSU" ] || { note_skip "$name" "no Tansu broker at $TANSU (scripts/bootstrap.sh bench installs it)"; return 0; }
    start_tansu "$name" || return 0
    BROKER_PID=$T_PID
  fi
  start_kelpie "$name" "$ack" "$backend" "$sink" || { stop_tansu; BROKER_PID=""; return 0; }
  SERVER_PID=$K_PID
  log "$name ready on $K_PORT (pid $K_PID)"
  sleep 1
  rss_set "$name" idle_kb "$(rss_kb "$K_PID")"
  for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r wl _ <<< "$spec"
    if [ -n "$only_workload" ] && [ "$wl" != "$only_workload" ]; then continue; fi
    if ! supported "$K_PORT" "$spec"; then
      note_skip "$name/$wl" "server does not accept this workload yet (probe: $(grep -m1 -E 'status codes' "$WORK/runs/probe-$wl.txt" 2>/dev/null || echo 'no response'))"
      continue
    fi
    if [ "$wl" = batch ]; then
      # Sample RSS every 0.2 s during the batch runs; keep the peak.
      ( peak=0; while kill -0 "$K_PID" 2>/dev/null; do v=$(rss_kb "$K_PID"); [ "${v:-0}" -gt "$peak" ] && peak=$v; echo "$peak" > "$WORK/rss-$name.peak"; sleep 0.2; done ) &
      sampler=$!
      PIDS+=("$sampler")
      drive "$name" "$K_PORT" "$spec" steps
      stop_pid "$sampler" 1; forget_pid "$sampler"
      rss_set "$name" load_peak_kb "$(cat "$WORK/rss-$name.peak" 2>/dev/null || echo 0)"
      rss_set "$name" load_workload batch
    else
      drive "$name" "$K_PORT" "$spec"
    fi
  done
  stop_kelpie
  stop_tansu
  SERVER_PID=""; BROKER_PID=""
}

# TLS: the same single-event and batch workloads through TLS 1.3 (ECDSA P-256 certificate, X25519, the
# client's preferred AEAD), driven by wrk over https on keep-alive connections (kelpie-load speaks plain
# HTTP only), next to the plain-HTTP wrk rows of kelpie-memory.
run_kelpie_tls_config() {  # NAME ACK BACKEND
  local name=$1 spec wl events conns repeat
  over_budget && { note_skip "$name" "time budget used up"; return 0; }
  mkdir -p "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls/key.pem" \
    -out "$WORK/tls/cert.pem" -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  start_kelpie "$name" "$2" "$3" spool https || return 0
  log "$name ready on $K_PORT (pid $K_PID, TLS)"
  for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r wl _ events conns <<< "$spec"
    case "$wl" in single|batch) ;; *) continue ;; esac
    for ((repeat = 1; repeat <= REPEATS; repeat++)); do
      wrk_closed "$name" "$wl" "https://127.0.0.1:$K_PORT" "$events" "$conns" "$repeat"
    done
  done
  stop_kelpie
}

# Instructions per event: bench/micro/callgrind-bench runs the server's own in-process path (content
# decoding, the batch/OTLP decoder, the reply body, EventPipeline.submit with ack=memory and the WAL writer)
# on the same request body the load runs send, 100 requests = 10,000 events (OTLP: 20 × 500 spans), under
# callgrind with instrumentation switched on around that window only. Sockets and HTTP are not in it:
# Valgrind 3.19 cannot run the kelpie server (DWARF 5 with debug info; an internal SIGSEGV at a signal
# syscall without). The binary runs without its debug sections for the same DWARF 5 reason.
callgrind_count() {
  command -v valgrind > /dev/null || { note_skip callgrind "valgrind not installed"; return 0; }
  over_budget && { note_skip callgrind "time budget used up"; return 0; }
  [ -x "$CALLGRIND_BENCH" ] || { note_failure callgrind "no callgrind bench binary at $CALLGRIND_BENCH"; return 0; }
  objcopy --strip-debug "$CALLGRIND_BENCH" "$WORK/callgrind-bench-nodebug"
  "$LOAD" body --payload otlp-traces --batch-size 500 --event-bytes "$SINGLE_EVENT_BYTES" \
    --out "$WORK/bodies/callgrind-otlp.body" >&2
  : > "$WORK/callgrind-runs.jsonl"
  local spec name format body encoding requests extra out
  # name | format | body | Content-Encoding | requests | extra flags
  for spec in \
    "batch|json|batch.body|identity|100|" \
    "batch-decode-only|json|batch.body|identity|100|--no-pipeline" \
    "msgpack-zstd|msgpack|msgpack-zstd.body|zstd|100|" \
    "otlp|otlp|callgrind-otlp.body|identity|20|"; do
    IFS='|' read -r name format body encoding requests extra <<< "$spec"
    out="$WORK/callgrind-$name.out"
    log "callgrind: $name ($requests requests)"
    # shellcheck disable=SC2086
    if ! timeout 300 valgrind --tool=callgrind --instr-atstart=no --dump-instr=no --callgrind-out-file="$out" \
      "$WORK/callgrind-bench-nodebug" "$format" "$WORK/bodies/$body" --encoding "$encoding" --requests "$requests" $extra \
      > "$WORK/callgrind-$name.json" 2> "$WORK/logs/callgrind-$name.log"; then
      note_failure "callgrind/$name" "$(grep -m1 -E 'CallgrindBench:|INTERNAL ERROR|impossible' "$WORK/logs/callgrind-$name.log" | tr '\n"' ' \047')"
      continue
    fi
    python3 - "$name" "$out" "$WORK/callgrind-$name.json" >> "$WORK/callgrind-runs.jsonl" <<'PY' || note_failure "callgrind/$name" "could not read callgrind output"
import json, sys
name, out, result = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
total = 0
for line in open(out, errors="replace"):
    if line.startswith("totals:") or line.startswith("summary:"):
        total = max(total, int(line.split()[1]))
if not result["client_requests"] or not result["on_valgrind"]:
    raise SystemExit("the bench was built without callgrind client requests")
if result["events"] != 10000 or total == 0:
    raise SystemExit(f"expected 10000 events and a total, got {result['events']} events, {total} instructions")
result.update({"workload": name, "instructions": total, "instructions_per_event": total / result["events"]})
print(json.dumps(result))
PY
  done
  python3 - "$WORK/callgrind-runs.jsonl" > "$WORK/callgrind.json" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(json.dumps({"runs": runs, "tool": "valgrind --tool=callgrind --instr-atstart=no --dump-instr=no",
                  "bench": "bench/micro/callgrind-bench (CallgrindBench, release, objcopy --strip-debug)"}))
PY
}

# ---------------------------------------------------------------- the matrix
selected nginx && run_nginx
if [ -x "$KELPIE" ]; then
  run_kelpie_config kelpie-memory memory epoll
  run_kelpie_config kelpie-durable durable epoll
  run_kelpie_tls_config kelpie-memory-tls memory epoll
  # The null sink: the server without storage (ack=memory straight to the sink; ack=durable through the WAL
  # and the forwarder).
  run_kelpie_config kelpie-null-memory memory epoll "" null
  run_kelpie_config kelpie-null-durable durable epoll "" null
  # The Kafka sink into Tansu on this box (acks=all, idempotent, zstd), in every ack mode; 100-event JSON
  # batches only (the workload the capacity model in docs/scaling.md is built on).
  run_kelpie_config kelpie-kafka-memory memory epoll batch kafka
  run_kelpie_config kelpie-kafka-durable durable epoll batch kafka
  run_kelpie_config kelpie-kafka-delivered delivered epoll batch kafka
  run_kelpie_config kelpie-memory-dispatch memory dispatch single
  run_kelpie_config kelpie-durable-dispatch durable dispatch single
  if [ "$KELPIE_SERVES" = true ] && selected start-to-ready; then
    if over_budget; then note_skip start-to-ready "time budget used up"; else
      log "start → ready, $STARTS starts"
      python3 "$ROOT/bench/start_to_ready.py" "$KELPIE" "$STARTS" "$WORK/logs/ready.log" > "$WORK/ready.json" \
        || { note_failure start-to-ready "see logs/ready.log"; rm -f "$WORK/ready.json"; }
    fi
  fi
  if over_budget; then note_skip otlp-grpc "time budget used up"; else
    log "OTLP/gRPC beside OTLP/HTTP (h2load)"
    KELPIE_BIN="$KELPIE" KELPIE_LOAD_BIN="$LOAD" bash "$ROOT/bench/otlp_grpc.sh" "$WORK/otlp-grpc.json" \
      2> "$WORK/logs/otlp-grpc.log" || note_failure otlp-grpc "see logs/otlp-grpc.log"
  fi
else
  note_failure kelpie "no kelpie binary at $KELPIE"
fi
if [ -n "${BENCH_SKIP_CALLGRIND:-}" ]; then note_skip callgrind "BENCH_SKIP_CALLGRIND set"; elif selected callgrind; then callgrind_count; fi
echo "$RSS_JSON" > "$WORK/rss.json"

# ---------------------------------------------------------------- report
VENV="$ROOT/.build-venv/bench"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV (matplotlib)"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check matplotlib >&2
fi
"$VENV/bin/python" "$ROOT/bench/report.py" "$WORK" "$ROOT"
log "done in $(( $(date +%s) - SCRIPT_START ))s"
[ ! -s "$WORK/failures.jsonl" ]
