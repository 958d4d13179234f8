#!/usr/bin/env bash
# Zero failed requests across a rolling restart, a scale-down and a scale-up, behind a real load balancer
# (run by `make test-scripts`). On 127.0.0.1 only:
#   - three kelpie processes (KELPIE_BIN; `--ack durable`, spool sink), each with its own port and data dir;
#   - HAProxy (Debian `haproxy`) in front, standing in for the Service and kube-proxy: TCP mode (kube-proxy
#     is layer 4, so a client's keep-alive connection stays on one pod), no retries or redispatch (kube-proxy
#     has none), and active health checks on /readyz at the readiness probe's period, timeout and thresholds
#     read from deploy/base/deployment.yaml; drain delay and shutdown timeout come from the ConfigMap;
#   - kelpie-load (KELPIE_LOAD_BIN) in open loop through HAProxy at half the throughput measured just before
#     (closed loop, same path), with --verify; plus one long-lived keep-alive client (tests/rolling/rolling.py)
#     that reconnects only when a response says `Connection: close`.
# While the load runs: a rolling restart (SIGTERM → wait for exit 0 → start again on the same port and data
# dir → wait until HAProxy has it UP → next), then a scale-down (one process stopped for good) and a
# scale-up (a fourth process started; HAProxy sends to it once its /readyz passes).
# Required: 0 failed requests for both clients (no connection errors, timeouts or 5xx), every acknowledged
# event in the spools (kelpie-load verify over every data dir), every process exits 0 within the grace period
# left after the preStop sleep. Measured: SIGTERM → HAProxy marks the server DOWN (stats socket, polled every
# 20 ms), SIGTERM → exit; docs/operations.md derives the deploy/ timings from these figures.
# Then the Kafka variant: the same processes with `--sink kafka --ack delivered` against one Tansu broker
# (KELPIE_TANSU_BIN, default .build-venv/tansu/bin/tansu-broker; started by this script, stopped by PID), the
# rolling restart only (the scale scenarios test the balancer, not the sink), verified against the topic
# (`kelpie-load verify --kafka-brokers`). ROLLING_SINK=spool or =kafka runs one variant.
# Each variant ends with "N passed, M failed"; processes started and stopped by PID; every wait polls with a
# deadline.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ROLLING_SINK:-}" ]; then
  echo "# variant 1: spool sink, --ack durable"
  ROLLING_SINK=spool bash "$0"; spool_rc=$?
  echo "# variant 2: Kafka sink (Tansu), --ack delivered"
  ROLLING_SINK=kafka bash "$0"; kafka_rc=$?
  [ "$spool_rc" -eq 0 ] && [ "$kafka_rc" -eq 0 ]
  exit $?
fi
SINK=$ROLLING_SINK
TANSU=${KELPIE_TANSU_BIN:-$ROOT/.build-venv/tansu/bin/tansu-broker}
# shellcheck source=tests/lib/common.sh
source "$ROOT/tests/lib/common.sh"
HELPER="$ROOT/tests/rolling/rolling.py"
WORK=$(mktemp -d /tmp/kelpie-rolling.XXXXXX)
BATCH_SIZE=10
LOAD_CONNECTIONS=16
MEASURE_SECONDS=3
MAX_RATE=1500             # requests/s cap on the half-of-maximum rate: bounds the acked-id file on fast machines
START_TIMEOUT_S=30
declare -A PID PORT
HAPROXY_PID=""
LOAD_PID=""
KEEPALIVE_PID=""
TANSU_PID=""

cleanup() {
  local pid
  for pid in "$LOAD_PID" "$KEEPALIVE_PID" "${PID[@]}" "$HAPROXY_PID" "$TANSU_PID"; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
seconds() { python3 -c "import re,sys; v=sys.argv[1]; m=re.fullmatch(r'([0-9.]+)(ms|s|m)?', v); n=float(m.group(1)); print({'ms':n/1000,'m':n*60}.get(m.group(2), n))" "$1"; }

for binary in "$KELPIE" "$LOAD"; do
  [ -x "$binary" ] || { fail "binary $binary exists (run swift build --build-tests first)"; finish; }
done
command -v haproxy >/dev/null || { fail "haproxy is installed (scripts/bootstrap.sh test installs it)"; finish; }
case "$SINK" in
  spool) SINK_ARGS=(--ack durable); STORE="a spool" ;;
  kafka)
    [ -x "$TANSU" ] || { fail "the Tansu broker is at $TANSU (scripts/bootstrap.sh test installs it)"; finish; }
    TANSU_PORT=$(free_port)
    env -u CLUSTER_ID -u LISTENER_URL -u ADVERTISED_LISTENER_URL -u STORAGE_ENGINE -u SCHEMA_REGISTRY \
      "$TANSU" broker --listener-url "tcp://127.0.0.1:$TANSU_PORT" --advertised-listener-url "tcp://127.0.0.1:$TANSU_PORT" \
      --storage-engine memory://tansu/ > "$WORK/tansu.log" 2>&1 &
    TANSU_PID=$!
    deadline=$((SECONDS + 15))
    until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$TANSU_PORT" 2>/dev/null; do
      kill -0 "$TANSU_PID" 2>/dev/null && [ $SECONDS -lt $deadline ] || { fail "Tansu accepts connections ($(tail -c 300 "$WORK/tansu.log"))"; finish; }
      sleep 0.05
    done
    pass "Tansu broker on 127.0.0.1:$TANSU_PORT (pid $TANSU_PID)"
    SINK_ARGS=(--sink kafka --ack delivered --kafka-brokers "127.0.0.1:$TANSU_PORT"); STORE="the Kafka topic" ;;
  *) fail "ROLLING_SINK is spool or kafka, not $SINK"; finish ;;
esac

eval "$(python3 "$HELPER" manifest "$ROOT/deploy")" || { fail "deploy/base values readable"; finish; }
DRAIN_S=$(seconds "$KELPIE_DRAIN_DELAY")
# SIGTERM arrives after the preStop sleep; what is left of the grace period is the exit deadline.
EXIT_DEADLINE_S=$((GRACE_S - PRESTOP_S))
echo "# deploy/base: readiness every ${READINESS_PERIOD_S}s, timeout ${READINESS_TIMEOUT_S}s, fall ${READINESS_FAILURE_THRESHOLD}, rise ${READINESS_SUCCESS_THRESHOLD}; drain delay $KELPIE_DRAIN_DELAY, drain idle $KELPIE_DRAIN_IDLE_TIMEOUT, shutdown timeout $KELPIE_SHUTDOWN_TIMEOUT; grace ${GRACE_S}s - preStop ${PRESTOP_S}s = ${EXIT_DEADLINE_S}s from SIGTERM to exit"

# --- kelpie processes -----------------------------------------------------------------------------------
start_kelpie() {  # NAME: on PORT[NAME] with data dir $WORK/NAME (kept across restarts)
  local name=$1
  mkdir -p "$WORK/$name"
  KELPIE_DRAIN_DELAY=$KELPIE_DRAIN_DELAY KELPIE_SHUTDOWN_TIMEOUT=$KELPIE_SHUTDOWN_TIMEOUT \
  KELPIE_DRAIN_IDLE_TIMEOUT=$KELPIE_DRAIN_IDLE_TIMEOUT KELPIE_LOG_LEVEL=info \
    "$KELPIE" serve --listen "127.0.0.1:${PORT[$name]}" --data-dir "$WORK/$name" "${SINK_ARGS[@]}" \
    >> "$WORK/$name.log" 2>&1 &
  PID[$name]=$!
}
wait_ready() {  # NAME: /readyz 200 on the process's own port
  local name=$1 deadline=$((SECONDS + START_TIMEOUT_S))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "${PID[$name]}" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:${PORT[$name]}/readyz" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
# stop_kelpie NAME: SIGTERM, measure → HAProxy DOWN and → exit; sets DOWN_AFTER, EXIT_AFTER, EXIT_CODE.
stop_kelpie() {
  local name=$1 pid=${PID[$1]} t0 down_at exit_at deadline
  t0=$(now)
  kill -TERM "$pid"
  if down_at=$(python3 "$HELPER" haproxy-wait "$WORK/haproxy.sock" "kelpie/$name" DOWN 30); then
    DOWN_AFTER=$(elapsed "$t0" "$down_at")
  else
    DOWN_AFTER="never"
  fi
  deadline=$(python3 -c "print(int(($t0 + $EXIT_DEADLINE_S) * 1000))")
  while kill -0 "$pid" 2>/dev/null && [ "$(date +%s%3N)" -lt "$deadline" ]; do sleep 0.02; done
  exit_at=$(now)
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; wait "$pid" 2>/dev/null
    EXIT_CODE="killed"
  else
    wait "$pid"; EXIT_CODE=$?
  fi
  EXIT_AFTER=$(elapsed "$t0" "$exit_at")
  PID[$name]=""
}
wait_up() { python3 "$HELPER" haproxy-wait "$WORK/haproxy.sock" "kelpie/$1" UP "$2" >/dev/null; }

for name in s1 s2 s3 s4; do PORT[$name]=$(free_port); done
for name in s1 s2 s3; do start_kelpie "$name"; done
for name in s1 s2 s3; do
  wait_ready "$name" || { fail "$name ready on ${PORT[$name]} ($(tail -c 300 "$WORK/$name.log"))"; finish; }
done
pass "three kelpie processes ready (ports ${PORT[s1]} ${PORT[s2]} ${PORT[s3]})"

# --- HAProxy ----------------------------------------------------------------------------------------------
LB_PORT=$(free_port)
cat > "$WORK/haproxy.cfg" <<EOF
global
    stats socket $WORK/haproxy.sock mode 600 level admin
    maxconn 4096
defaults
    mode tcp
    retries 0
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check ${READINESS_TIMEOUT_S}s
frontend ingest
    bind 127.0.0.1:$LB_PORT
    default_backend kelpie
backend kelpie
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server check inter ${READINESS_PERIOD_S}s fastinter ${READINESS_PERIOD_S}s downinter ${READINESS_PERIOD_S}s fall ${READINESS_FAILURE_THRESHOLD} rise ${READINESS_SUCCESS_THRESHOLD}
    server s1 127.0.0.1:${PORT[s1]}
    server s2 127.0.0.1:${PORT[s2]}
    server s3 127.0.0.1:${PORT[s3]}
    server s4 127.0.0.1:${PORT[s4]}
EOF
haproxy -c -q -f "$WORK/haproxy.cfg" || { fail "haproxy accepts the configuration"; finish; }
haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
# HAProxy starts every server UP; s4 (the scale-up slot, no process yet) must fail its checks first.
LB_DEADLINE=$((READINESS_PERIOD_S * (READINESS_FAILURE_THRESHOLD + 2) + 5))
ok=true
for name in s1 s2 s3; do wait_up "$name" "$LB_DEADLINE" || ok=false; done
python3 "$HELPER" haproxy-wait "$WORK/haproxy.sock" kelpie/s4 DOWN "$LB_DEADLINE" >/dev/null || ok=false
check "HAProxy on 127.0.0.1:$LB_PORT: s1-s3 UP, s4 DOWN" [ "$ok" = true ]
[ "$ok" = true ] || { tail -20 "$WORK/haproxy.log"; finish; }

# --- the rate: half of the maximum through the balancer -----------------------------------------------------
timeout 60 "$LOAD" run --target "http://127.0.0.1:$LB_PORT" --payload batch-json --batch-size $BATCH_SIZE \
  --closed --connections $LOAD_CONNECTIONS --duration ${MEASURE_SECONDS}s --warmup 0.5s --progress none \
  --json "$WORK/max.json" > "$WORK/max.txt" 2>&1
MAX_RPS=$(json_get "$WORK/max.json" summary.requests_per_second 2>/dev/null || echo 0)
RATE=$(python3 -c "print(max(20, min($MAX_RATE, int(float('$MAX_RPS') / 2))))")
check "closed-loop maximum measured through HAProxy: $MAX_RPS req/s ($BATCH_SIZE-event batches); open loop at $RATE req/s" \
  python3 -c "import sys; sys.exit(0 if float('$MAX_RPS') > 40 else 1)"

# --- load and the keep-alive client -----------------------------------------------------------------------
# Long enough for four drains (drain delay + drain idle), four starts each seen UP by the balancer (two check
# periods and a second), and a margin; the scenario checks that the load is still running when it ends.
DRAIN_IDLE_S=$(seconds "$KELPIE_DRAIN_IDLE_TIMEOUT")
STOPS=4; [ "$SINK" = kafka ] && STOPS=3   # the Kafka variant runs the rolling restart only
LOAD_SECONDS=$(python3 -c "print(int($STOPS * ($DRAIN_S + $DRAIN_IDLE_S) + $STOPS * (2 * $READINESS_PERIOD_S + 1) + 12))")
RUN_ID=roll$$
"$LOAD" run --target "http://127.0.0.1:$LB_PORT" --payload batch-json --batch-size $BATCH_SIZE --rate "$RATE" \
  --connections $LOAD_CONNECTIONS --duration "${LOAD_SECONDS}s" --warmup 0s --timeout 10s --verify --run-id "$RUN_ID" \
  --acked "$WORK/acked.txt" --progress plain --progress-interval 5 --json "$WORK/load.json" > "$WORK/load.txt" 2>&1 &
LOAD_PID=$!
python3 "$HELPER" keepalive "$LB_PORT" "$WORK" > "$WORK/keepalive.log" 2>&1 &
KEEPALIVE_PID=$!
echo "# load: $RATE req/s for ${LOAD_SECONDS}s through HAProxy; keep-alive client on one connection"

# Let the load reach every server before the first SIGTERM: wait until each has served ingest requests.
accepted_on() {  # NAME: events the process has accepted since it started (0 when unreachable)
  curl -fsS --max-time 2 "http://127.0.0.1:${PORT[$1]}/metrics" 2>/dev/null | python3 -c '
import sys
print(int(sum(float(l.rsplit(None, 1)[1]) for l in sys.stdin if l.startswith("kelpie_ingest_events_accepted_total"))))'
}
served_everywhere() {
  local name
  for name in s1 s2 s3; do [ "$(accepted_on "$name")" -gt 0 ] || return 1; done
}
deadline=$((SECONDS + 20))
until served_everywhere || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
check "load reaches all three processes" served_everywhere

# --- rolling restart ---------------------------------------------------------------------------------------
DOWN_TIMES=()
report_stop() {  # NAME SCENARIO
  DOWN_TIMES+=("$DOWN_AFTER")
  echo "# $2 $1: SIGTERM → HAProxy DOWN ${DOWN_AFTER}s, → exit ${EXIT_AFTER}s (code $EXIT_CODE)"
  check "$2 $1 exits 0 within ${EXIT_DEADLINE_S}s of SIGTERM (exit $EXIT_CODE after ${EXIT_AFTER}s)" [ "$EXIT_CODE" = 0 ]
  check "$2 $1: HAProxy marks it DOWN before its drain delay (${DRAIN_S}s) ends (${DOWN_AFTER}s)" \
    python3 -c "import sys; sys.exit(0 if '$DOWN_AFTER' != 'never' and float('$DOWN_AFTER') < $DRAIN_S else 1)"
}
for name in s1 s2 s3; do
  stop_kelpie "$name"
  report_stop "$name" "rolling restart:"
  start_kelpie "$name"
  wait_ready "$name" && wait_up "$name" $((START_TIMEOUT_S + READINESS_PERIOD_S * 2))
  check "rolling restart: $name back and UP in HAProxy" [ $? -eq 0 ]
done

# --- scale-up: s4 starts and joins once ready; scale-down: s3 stops for good ------------------------------
LIVE=(s1 s2 s3)
if [ "$SINK" = spool ]; then
  LIVE=(s1 s2 s4)
  # A layer-4 balancer moves no open connection: a new process gets new connections only. After the rolling
  # restart the process restarted last holds none (its clients reconnected to the others while it drained), so
  # a scale-up is proven with clients that connect after it: single events, each on a fresh connection, which
  # HAProxy's round robin spreads over every UP process, s4 included.
  start_kelpie s4
  wait_ready s4 && wait_up s4 $((START_TIMEOUT_S + READINESS_PERIOD_S * 2))
  check "scale-up: s4 ready and UP in HAProxy" [ $? -eq 0 ]
  fresh_ok=0
  for i in $(seq 1 12); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H 'X-Honeycomb-Team: rolling-key' \
      -d "{\"kelpie_load_id\":\"fresh-$i\"}" "http://127.0.0.1:$LB_PORT/1/events/rolling-fresh")
    [ "$code" = 200 ] && { fresh_ok=$((fresh_ok + 1)); echo "fresh-$i" >> "$WORK/fresh-acked.txt"; }
  done
  check "scale-up: 12 new connections through HAProxy during the load, all answered 200 ($fresh_ok)" [ "$fresh_ok" -eq 12 ]
  s4_accepted=$(accepted_on s4)
  check "scale-up: s4 serves new connections ($s4_accepted events accepted)" [ "${s4_accepted:-0}" -gt 0 ]
  stop_kelpie s3
  report_stop s3 "scale-down:"
fi
check "the load was still running when the scenarios ended" kill -0 "$LOAD_PID"

# --- results ---------------------------------------------------------------------------------------------
deadline=$((SECONDS + LOAD_SECONDS + 60))
while kill -0 "$LOAD_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
wait "$LOAD_PID"; load_rc=$?; LOAD_PID=""
touch "$WORK/stop"
deadline=$((SECONDS + 20))
while kill -0 "$KEEPALIVE_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
wait "$KEEPALIVE_PID"; KEEPALIVE_PID=""
check "kelpie-load exits 0 (rc=$load_rc)" [ "$load_rc" -eq 0 ]

sent=$(json_get "$WORK/load.json" totals.requests_sent)
completed=$(json_get "$WORK/load.json" totals.requests_completed)
errors=$(python3 - "$WORK/load.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
# Failed requests (non-2xx, transport errors, timeouts, protocol errors), refused connects, refused events
# inside 2xx batch replies, and replies that could not be read.
bad_events = sum(int(v) for k, v in t["event_status_counts"].items() if not 200 <= int(k) < 300)
print(t["requests_failed"] + t["connect_errors"] + bad_events + t["unreadable_replies"])
PY
)
echo "# kelpie-load: $sent requests sent, $completed completed, $errors failed"
check "kelpie-load: 0 failed requests ($sent sent, $errors connection errors, timeouts or non-2xx)" [ "$errors" = 0 ]
check "kelpie-load: every request completed ($completed of $sent)" [ "$completed" = "$sent" ]

ka_requests=$(json_get "$WORK/keepalive.json" requests)
ka_failed=$(json_get "$WORK/keepalive.json" failed)
ka_close=$(json_get "$WORK/keepalive.json" connection_close)
echo "# keep-alive client: $ka_requests requests, $ka_failed failed, $ka_close answered with Connection: close, $(json_get "$WORK/keepalive.json" connections) connections"
check "keep-alive client: 0 failed requests of $ka_requests ($(json_get "$WORK/keepalive.json" failures))" [ "$ka_failed" = 0 ]
check "keep-alive client: its connection was drained with Connection: close at least once ($ka_close)" [ "$ka_close" -ge 1 ]

# Every process stops cleanly (flushing its WAL) before the spools are read; all at once, no load left.
t0=$(now)
for name in "${LIVE[@]}"; do kill -TERM "${PID[$name]}"; done
deadline=$((SECONDS + EXIT_DEADLINE_S))
for name in "${LIVE[@]}"; do
  while kill -0 "${PID[$name]}" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  kill -0 "${PID[$name]}" 2>/dev/null && kill -KILL "${PID[$name]}"
  wait "${PID[$name]}"; code=$?
  check "final stop $name exits 0 within ${EXIT_DEADLINE_S}s (exit $code, $(elapsed "$t0" "$(now)")s after SIGTERM)" [ "$code" = 0 ]
  PID[$name]=""
done
if [ "$SINK" = kafka ]; then
  spools=(--kafka-brokers "127.0.0.1:$TANSU_PORT")
else
  spools=(--spool "$WORK/s1" --spool "$WORK/s2" --spool "$WORK/s3" --spool "$WORK/s4")
fi
timeout 120 "$LOAD" verify --acked "$WORK/acked.txt" "${spools[@]}" --run-prefix "$RUN_ID-" --json "$WORK/verify.json" \
  > "$WORK/verify.txt" 2>&1
rc=$?
echo "# verify: $(json_get "$WORK/verify.json" acknowledged) events acknowledged, $(json_get "$WORK/verify.json" acknowledged_found) found"
check "every event kelpie-load saw acknowledged is in $STORE (rc=$rc: $(tr '\n' ' ' < "$WORK/verify.txt" | cut -c1-200))" [ "$rc" -eq 0 ]
timeout 60 "$LOAD" verify --acked "$WORK/keepalive-acked.txt" "${spools[@]}" --run-prefix ka- > "$WORK/verify-ka.txt" 2>&1
rc=$?
check "every event the keep-alive client saw acknowledged is in $STORE (rc=$rc: $(head -1 "$WORK/verify-ka.txt"))" [ "$rc" -eq 0 ]
if [ "$SINK" = spool ]; then
  timeout 60 "$LOAD" verify --acked "$WORK/fresh-acked.txt" "${spools[@]}" --run-prefix fresh- > "$WORK/verify-fresh.txt" 2>&1
  rc=$?
  check "every event sent on the scale-up's fresh connections is in $STORE (rc=$rc)" [ "$rc" -eq 0 ]
fi
echo "# SIGTERM → HAProxy DOWN (s): ${DOWN_TIMES[*]}"
[ "$FAILED" -eq 0 ] || { echo "# logs kept in $WORK"; KEEP_WORK=1; }
finish
