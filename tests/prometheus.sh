#!/usr/bin/env bash
# A real Prometheus (Debian's `prometheus`, scripts/bootstrap.sh test installs it) against loaded Kelpies
# (run by `make test-scripts`); issue 10, "A real Prometheus". Two kelpie processes on 127.0.0.1, each
# labelled as the Prometheus Operator labels a pod (namespace, pod):
#   overload    --ack durable with a 64 KiB queue (and 64 KiB bodies, which it must admit), kelpie-load well past it: 503 queue_full refusals;
#               plus one batch with an invalid event and one request without a key (per-event rejections
#               and a client refusal, so every dashboard series exists);
#   sink-outage --sink http --ack memory towards a closed 127.0.0.1 port: the relay fails every request,
#               unconfirmed events fill the 256 KiB queue and ingest is refused.
# Prometheus (free port, its own data dir under the temp dir, 1 s scrape and evaluation) loads the rule
# groups of deploy/base/prometheusrule.yaml and scrapes both. Checks (tests/prometheus_check.py):
#   - every metric name the rules, deploy/prometheus-adapter/rules.yaml and deploy/grafana/kelpie.json use
#     is on a Kelpie's /metrics (a name Kelpie does not export fails here);
#   - every refusal reason Kelpie counts is matched by exactly one alert (server or client side);
#   - every rule evaluates with health ok and no lastError;
#   - the overload alerts fire for the overloaded Kelpie, the sink alert for the one whose sink is down,
#     and alerts with no cause (KelpieAbsent, KelpieServerErrors, KelpieWALWriteErrors) stay quiet;
#   - the HPA's events/s query (the adapter's metricsQuery, as the adapter expands it) returns a value;
#   - every dashboard query (variables and every panel target, $namespace/$pod at "All") returns data.
# Every wait has a deadline; every process is stopped by PID. Ends with "N passed, M failed".
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/common.sh
source "$ROOT/tests/lib/common.sh"
CHECK="$ROOT/tests/prometheus_check.py"
WORK=$(mktemp -d /tmp/kelpie-prometheus-test.XXXXXX)
# The test's copy of the rules keeps every expression and shortens each `for:` (5-15 min in deploy/) to
# this, so an alert can go pending -> firing within the test; the evaluation interval is 1 s.
ALERT_FOR=2s
READY_TIMEOUT_SECONDS=20
SCRAPE_TIMEOUT_SECONDS=20
SERIES_TIMEOUT_SECONDS=20
RULES_TIMEOUT_SECONDS=20
ALERT_TIMEOUT_SECONDS=30
PIDS=()

# SIGTERM, 5 s to exit, then SIGKILL.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && stop_pid "$pid"; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Counts the ok/not ok lines of a checker; one that crashes or says nothing is a failure.
count() {
  local out=$WORK/check.out
  python3 "$CHECK" "$@" >"$out" 2>&1
  local rc=$?
  sed 's/^not ok - /FAIL - /; s/^ok - /ok   - /' "$out"
  PASSED=$((PASSED + $(grep -c '^ok ' "$out")))
  FAILED=$((FAILED + $(grep -c '^not ok ' "$out")))
  if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then fail "prometheus_check.py $1 exited $rc"; fi
  grep -q '^\(ok\|not ok\) ' "$out" || fail "prometheus_check.py $1 reported nothing"
}
# wait_http URL PID SECONDS: true once URL answers 2xx while PID lives.
wait_http() {
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fsS -o /dev/null -m 1 "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

for binary in "$KELPIE" "$LOAD"; do
  [ -x "$binary" ] || { fail "binary $binary exists (swift build --build-tests first, or set KELPIE_BIN/KELPIE_LOAD_BIN)"; finish; }
done
command -v prometheus >/dev/null || { fail "prometheus is installed (scripts/bootstrap.sh test installs it)"; finish; }
python3 -c 'import yaml' 2>/dev/null || { fail "python3-yaml is installed (scripts/bootstrap.sh test installs it)"; finish; }

START=$(date +%s.%N)
OVERLOAD_PORT=$(free_port)
OUTAGE_PORT=$(free_port)
CLOSED_PORT=$(free_port)  # nothing listens here: the relay's upstream is down
PROM_PORT=$(free_port)
mkdir -p "$WORK/overload" "$WORK/outage" "$WORK/prometheus/data"

echo "# two kelpies: overload (64 KiB queue) and sink-outage (--sink http to a closed port)"
KELPIE_LOG_LEVEL=warning "$KELPIE" serve --listen "127.0.0.1:$OVERLOAD_PORT" --data-dir "$WORK/overload" \
  --ack durable --max-queue-bytes 64KiB --max-decoded-bytes 64KiB --max-body-bytes 64KiB --drain-delay 0s >"$WORK/overload.log" 2>&1 &
OVERLOAD_PID=$!
PIDS+=("$OVERLOAD_PID")
KELPIE_LOG_LEVEL=warning KELPIE_UPSTREAM_KEY=prometheus-test "$KELPIE" serve --listen "127.0.0.1:$OUTAGE_PORT" \
  --data-dir "$WORK/outage" --sink http --upstream-url "http://127.0.0.1:$CLOSED_PORT" --ack memory \
  --max-queue-bytes 256KiB --max-decoded-bytes 64KiB --max-body-bytes 64KiB --upstream-timeout 1s --drain-delay 0s >"$WORK/outage.log" 2>&1 &
OUTAGE_PID=$!
PIDS+=("$OUTAGE_PID")
check "overload kelpie ready on 127.0.0.1:$OVERLOAD_PORT" \
  wait_http "http://127.0.0.1:$OVERLOAD_PORT/readyz" "$OVERLOAD_PID" "$READY_TIMEOUT_SECONDS"
check "sink-outage kelpie ready on 127.0.0.1:$OUTAGE_PORT" \
  wait_http "http://127.0.0.1:$OUTAGE_PORT/readyz" "$OUTAGE_PID" "$READY_TIMEOUT_SECONDS"
if [ "$FAILED" -ne 0 ]; then tail -n 5 "$WORK"/*.log; finish; fi

echo "# prometheus on 127.0.0.1:$PROM_PORT"
count setup "$WORK/prometheus" "$ALERT_FOR" \
  "127.0.0.1:$OVERLOAD_PORT,kelpie-overload,kelpie-overload-0" \
  "127.0.0.1:$OUTAGE_PORT,kelpie-sink-outage,kelpie-sink-outage-0"
promtool check config "$WORK/prometheus/prometheus.yml" >"$WORK/promtool.log" 2>&1
check "promtool check config (rules included): $(tail -1 "$WORK/promtool.log")" [ $? -eq 0 ]
prometheus --config.file="$WORK/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
PIDS+=("$PROM_PID")
PROM="http://127.0.0.1:$PROM_PORT"
check "prometheus ready" wait_http "$PROM/-/ready" "$PROM_PID" "$READY_TIMEOUT_SECONDS"
if [ "$FAILED" -ne 0 ]; then tail -20 "$WORK/prometheus.log"; finish; fi
count targets "$PROM" 2 "$SCRAPE_TIMEOUT_SECONDS"

echo "# load"
# Client mistakes once: a batch with one invalid event (per-event 400, kelpie_ingest_events_rejected_total)
# and a request without a key (401, refusal reason unauthorized).
code=$(curl -s -o "$WORK/mixed.json" -w '%{http_code}' -m 5 -H 'X-Honeycomb-Team: prometheus-test' \
  --data '[{"data":{"ok":true}},{"data":"not an object"}]' "http://127.0.0.1:$OVERLOAD_PORT/1/batch/mixed")
check "a batch with one invalid event is answered 200 with a per-event 400: $(cat "$WORK/mixed.json")" \
  grep -q '"status":400' "$WORK/mixed.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 --data '{"a":1}' "http://127.0.0.1:$OVERLOAD_PORT/1/events/nokey")
check "a request without a key is answered 401 (got $code)" [ "$code" = 401 ]
# Far more than a 64 KiB queue takes: 16 connections in a closed loop keep up to 16 batches of ~18 KB
# waiting for the group commit at once, whatever the machine's speed (a fixed 400 req/s open loop was
# absorbed without a refusal on a quiet machine); and steady load on the relay until its 256 KiB queue is
# full; both run until stopped below.
timeout 120 "$LOAD" run --target "http://127.0.0.1:$OVERLOAD_PORT" --payload batch-json --batch-size 50 \
  --closed --connections 16 --duration 100s --warmup 0s --datasets 3 --progress none >"$WORK/load-overload.txt" 2>&1 &
PIDS+=("$!")
timeout 120 "$LOAD" run --target "http://127.0.0.1:$OUTAGE_PORT" --payload batch-json --batch-size 50 \
  --rate 50 --connections 4 --duration 100s --warmup 0s --progress none >"$WORK/load-outage.txt" 2>&1 &
PIDS+=("$!")

echo "# metric names used by deploy/ against Kelpie's /metrics"
count metric-names "$SERIES_TIMEOUT_SECONDS" "http://127.0.0.1:$OVERLOAD_PORT/metrics" "http://127.0.0.1:$OUTAGE_PORT/metrics"

echo "# every refusal reason Kelpie counts is alerted on (server side or client side)"
count reasons "http://127.0.0.1:$OVERLOAD_PORT/metrics" "http://127.0.0.1:$OUTAGE_PORT/metrics"

echo "# every rule of deploy/base/prometheusrule.yaml evaluates"
count rules "$PROM" "$RULES_TIMEOUT_SECONDS"

echo "# alerts (for: shortened to $ALERT_FOR in the test's copy)"
count firing "$PROM" "$ALERT_TIMEOUT_SECONDS" \
  "KelpieRefusingRequests{namespace=kelpie-overload}" \
  "KelpieSinkErrors{namespace=kelpie-sink-outage,sink=http}" \
  "KelpieSaturated{namespace=kelpie-sink-outage,pod=kelpie-sink-outage-0}" \
  "KelpieQueueHigh{namespace=kelpie-sink-outage,pod=kelpie-sink-outage-0}"
count quiet "$PROM" KelpieAbsent KelpieServerErrors KelpieWALWriteErrors "KelpieSinkErrors{namespace=kelpie-overload}"

echo "# HPA: prometheus-adapter's events/s query"
count hpa "$PROM" kelpie-overload kelpie-overload-0

echo "# every Grafana panel query returns data"
count dashboard "$PROM" "$START"

for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
PIDS=()
echo "# whole test: $(python3 -c "import time; print(f'{time.time() - $START:.1f}')") s"
finish
